//! Kernel sensors. Today: the eBPF tracepoint sensor ([`ebpf`]), whose
//! records are laid out by `ebpf/include/wire.h` ([`wire`]), checked by
//! [`decode`] and turned into [`event::Event`]s by [`convert`].
//!
//! Reading a record never panics: a short, oversized or inconsistent record
//! is a [`DecodeError`] the caller counts.

pub mod convert;
pub mod decode;
pub mod ebpf;
pub mod programs;
pub mod wire;

pub use convert::{event_kind, record_to_event, wire_kind};
pub use decode::DecodeError;
pub use ebpf::{AttachReport, EbpfError, EbpfOptions, EbpfSensor, ExecKillTargets, ProgramFailure};
