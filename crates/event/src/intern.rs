//! `&'static str` fields read back from JSON.
//!
//! Bodies hold names from fixed tables as `&'static str` (syscall names,
//! socket types, `O_*` and `CLONE_NEW*` names) so the event path never
//! allocates them. Reading an event from JSON maps each incoming string to
//! the same static string from those tables ([`crate::names`]); a string the
//! tables do not know (a syscall of a newer sensor, a hand-written rule
//! test) is leaked once into a small global set and reused after that. The
//! set is bounded: after [`MAX_INTERNED`] distinct unknown strings, or for a
//! string longer than [`MAX_INTERNED_LEN`] bytes, reading fails with an
//! error naming the value, so untrusted input can leak at most
//! `MAX_INTERNED * MAX_INTERNED_LEN` bytes (256 KiB) in a process's life.

use std::collections::HashSet;
use std::fmt;
use std::sync::{Mutex, OnceLock};

use serde::de::{self, Deserializer, SeqAccess, Visitor};

/// `&'static str`, spelled so serde's derive does not take it for a string
/// borrowed from the input (which would tie every parse to `'static`
/// input); its fields are read with the functions below.
pub type StaticStr = &'static str;

/// Most distinct strings outside the tables that are ever leaked.
pub const MAX_INTERNED: usize = 1024;
/// Longest string outside the tables that is interned.
pub const MAX_INTERNED_LEN: usize = 256;

/// Why a string could not be made `'static`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InternError {
    TooLong { len: usize },
    Full,
}

impl fmt::Display for InternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InternError::TooLong { len } => write!(f, "{len} bytes, longer than the {MAX_INTERNED_LEN} allowed"),
            InternError::Full => write!(f, "more than {MAX_INTERNED} distinct names outside the known tables"),
        }
    }
}

fn known() -> &'static HashSet<&'static str> {
    static KNOWN: OnceLock<HashSet<&'static str>> = OnceLock::new();
    KNOWN.get_or_init(|| crate::names::static_names().chain(std::iter::once("")).collect())
}

/// The `'static` copy of `s`: from the tables when they have it (no lock,
/// no allocation), else from the process-wide bounded interner.
pub fn intern(s: &str) -> Result<&'static str, InternError> {
    if let Some(found) = known().get(s) {
        return Ok(found);
    }
    static GLOBAL: OnceLock<Interner> = OnceLock::new();
    GLOBAL.get_or_init(|| Interner::new(MAX_INTERNED)).intern(s)
}

/// A set of leaked strings that stops growing at `cap`.
struct Interner {
    set: Mutex<HashSet<&'static str>>,
    cap: usize,
}

impl Interner {
    fn new(cap: usize) -> Interner {
        Interner { set: Mutex::new(HashSet::new()), cap }
    }

    fn intern(&self, s: &str) -> Result<&'static str, InternError> {
        if s.len() > MAX_INTERNED_LEN {
            return Err(InternError::TooLong { len: s.len() });
        }
        // A poisoned lock only means another thread panicked while
        // inserting; the set itself is still a valid set.
        let mut set = self.set.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(found) = set.get(s) {
            return Ok(found);
        }
        if set.len() >= self.cap {
            return Err(InternError::Full);
        }
        let leaked: &'static str = Box::leak(Box::from(s));
        set.insert(leaked);
        Ok(leaked)
    }
}

struct StaticStrVisitor;

impl<'de> Visitor<'de> for StaticStrVisitor {
    type Value = &'static str;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<&'static str, E> {
        intern(s).map_err(|e| E::custom(format_args!("cannot keep the name {s:?}: {e}")))
    }
}

/// `deserialize_with` for `&'static str` fields.
pub(crate) fn static_str<'de, D: Deserializer<'de>>(d: D) -> Result<&'static str, D::Error> {
    d.deserialize_str(StaticStrVisitor)
}

struct OptionStaticStrVisitor;

impl<'de> Visitor<'de> for OptionStaticStrVisitor {
    type Value = Option<&'static str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string or null")
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        static_str(d).map(Some)
    }
}

/// `deserialize_with` for `Option<&'static str>` fields.
pub(crate) fn option_static_str<'de, D: Deserializer<'de>>(d: D) -> Result<Option<&'static str>, D::Error> {
    d.deserialize_option(OptionStaticStrVisitor)
}

struct VecStaticStrVisitor;

impl<'de> Visitor<'de> for VecStaticStrVisitor {
    type Value = Vec<&'static str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of strings")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        // Capped: a size hint comes from the input.
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(32));
        while let Some(name) = seq.next_element_seed(StaticStrSeed)? {
            out.push(name);
        }
        Ok(out)
    }
}

struct StaticStrSeed;

impl<'de> de::DeserializeSeed<'de> for StaticStrSeed {
    type Value = &'static str;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<&'static str, D::Error> {
        static_str(d)
    }
}

/// `deserialize_with` for `Vec<&'static str>` fields.
pub(crate) fn vec_static_str<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<&'static str>, D::Error> {
    d.deserialize_seq(VecStaticStrVisitor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_name_is_known_without_interning() {
        let mut names: Vec<&str> = crate::names::SYSCALLS.to_vec();
        names.extend(crate::names::open_flags(u32::MAX));
        names.extend(crate::names::open_flags(0));
        names.extend(crate::names::namespace_flags(u64::MAX));
        names.extend((0..16).filter_map(crate::names::socket_type));
        assert!(names.len() > 80, "{names:?}");
        for name in names {
            assert!(known().contains(name), "{name}");
            assert_eq!(intern(name), Ok(name));
        }
        assert_eq!(intern(""), Ok(""));
    }

    #[test]
    fn unknown_names_are_interned_once() {
        let a = intern("a_syscall_from_the_future").unwrap();
        let b = intern(&String::from("a_syscall_from_the_future")).unwrap();
        assert!(std::ptr::eq(a, b), "the second lookup reuses the first copy");
        let long = "x".repeat(MAX_INTERNED_LEN + 1);
        assert_eq!(intern(&long), Err(InternError::TooLong { len: MAX_INTERNED_LEN + 1 }));
    }

    #[test]
    fn the_interner_stops_at_its_cap() {
        let interner = Interner::new(2);
        let a = interner.intern("one").unwrap();
        interner.intern("two").unwrap();
        assert_eq!(interner.intern("three"), Err(InternError::Full));
        assert!(std::ptr::eq(interner.intern("one").unwrap(), a), "interned names stay usable when full");
    }
}
