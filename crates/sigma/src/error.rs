//! Why a Sigma rule could not be converted. Each variant's text is the
//! `reason` of an [`crate::Outcome::Unsupported`], written for the user of
//! `panoptes rules import-sigma`: it names the field, modifier, syscall,
//! record type or log the rule needs, so the reason can be acted on (or the
//! rule dropped knowingly).

use crate::condition::ConditionError;

/// A reason a rule is not converted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unsupported {
    #[error("cannot read the file: {0}")]
    Read(String),
    #[error("cannot read the directory: {0}")]
    ReadDir(String),
    #[error("invalid YAML: {0}")]
    Yaml(String),
    #[error("empty file: no YAML document")]
    Empty,
    #[error(
        "{0} YAML documents in one file: Sigma rule collections are not supported, split them into one rule a file"
    )]
    MultiDocument(usize),
    #[error("not a Sigma rule: a Sigma rule is a mapping with `logsource` and `detection` keys")]
    NotSigma,
    /// The rule breaks the Sigma format (missing title, detection not a
    /// mapping, empty selection, …).
    #[error("invalid Sigma rule: {0}")]
    Invalid(String),
    #[error("logsource product {0}: only product linux rules are converted")]
    Product(String),
    #[error("needs the {0} log; Panoptes does not collect logs")]
    ServiceLog(String),
    #[error("logsource category {0} has no Panoptes event mapping (mapped: process_creation, file_event, network_connection)")]
    Category(String),
    #[error("logsource has both category {category} and service {service}; only one of them is mapped")]
    CategoryAndService { category: String, service: String },
    #[error("field {field} is not mapped for {logsource}")]
    UnknownField { field: String, logsource: String },
    /// A field Panoptes events have no counterpart for; the text says why.
    #[error("{0}")]
    NoCounterpart(&'static str),
    #[error("modifier {0} is not supported")]
    Modifier(String),
    #[error("modifiers {0} cannot be combined")]
    ModifierCombination(String),
    #[error("Panoptes does not trace syscall {0}")]
    Syscall(String),
    #[error("auditd record type {0} is not a syscall event: Panoptes has no counterpart for it")]
    RecordType(String),
    #[error("{field}: {problem}")]
    Value { field: String, problem: String },
    #[error("invalid condition: {0}")]
    Condition(#[from] ConditionError),
    #[error("timeframe (a correlation over time) is not supported")]
    Timeframe,
}

impl Unsupported {
    pub(crate) fn value(field: &str, problem: impl Into<String>) -> Self {
        Unsupported::Value { field: field.to_string(), problem: problem.into() }
    }

    pub(crate) fn invalid(what: impl Into<String>) -> Self {
        Unsupported::Invalid(what.into())
    }
}
