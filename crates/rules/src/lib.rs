//! Detection rules (docs/rules.md): YAML rule files and Sigma rules are
//! loaded and compiled into a [`RuleSet`] ([`load`]), then an [`Engine`]
//! runs them on events and produces alerts.
//!
//! Pipeline: [`yaml`] (positions) → [`cond`] (condition syntax) →
//! [`compile`] (fields from the event crate, typed values, matchers) →
//! [`engine`] (kind index, shared predicate cache, sequences, rate limit,
//! actions). [`testing`] runs the test events written in rule files.

pub mod compile;
pub mod cond;
pub mod defaults;
pub mod engine;
mod eval;
mod index;
pub mod kernel;
pub mod kill;
mod literals;
pub mod load;
pub mod matcher;
mod ruleset;
mod sequence;
pub mod sparse;
pub mod template;
pub mod testing;
pub mod yaml;

pub use engine::{Engine, EngineOptions, EngineStats};
pub use load::{load, read_sources, ActionKind, Diagnostic, Level, RuleSet, Source};
