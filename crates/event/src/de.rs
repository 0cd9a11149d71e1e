//! Reading an [`Event`] back from its JSON shape (`json.rs` writes it):
//! replays, the store reader and hand-written rule tests.
//!
//! `kind` is required; every other key may be missing and then takes its
//! default (0, "", false, null, empty list; a missing body is the kind's
//! default body). Unknown keys, a body under another kind's key and wrong
//! types are errors that name the key. Events come `kind` first (the writer
//! puts it there), so the body is parsed straight into its struct when its
//! key arrives; only a body that precedes `kind` is buffered as a
//! `serde_json::Value` first.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde::Deserialize;

use crate::body::*;
use crate::kind::EventKind;
use crate::time::parse_rfc3339_nanos;
use crate::{Container, Event, Process};

impl Event {
    /// Parses one JSON event (a line as [`Event::to_json`] writes it, or a
    /// partial event as rule tests write it).
    pub fn from_json(line: &str) -> Result<Event, serde_json::Error> {
        serde_json::from_str(line)
    }

    /// [`Event::from_json`] of bytes. The UTF-8 check runs over the whole
    /// line first: faster than serde_json's check inside each string.
    pub fn from_json_slice(line: &[u8]) -> Result<Event, serde_json::Error> {
        match std::str::from_utf8(line) {
            Ok(text) => serde_json::from_str(text),
            Err(_) => serde_json::from_slice(line),
        }
    }
}

impl Body {
    /// The body of `kind` with every field at its default: what a JSON
    /// event without a body gets.
    pub fn default_for(kind: EventKind) -> Body {
        match kind {
            EventKind::Exec => Body::Exec(Exec::default()),
            EventKind::Fork => Body::Fork(Fork::default()),
            EventKind::Exit => Body::Exit(Exit::default()),
            EventKind::FileOpen => Body::FileOpen(FileOpen::default()),
            EventKind::FileRename => Body::FileRename(FileRename::default()),
            EventKind::FileUnlink => Body::FileUnlink(FilePath::default()),
            EventKind::FileChmod => Body::FileChmod(FileChmod::default()),
            EventKind::FileChown => Body::FileChown(FileChown::default()),
            EventKind::NetConnect => Body::NetConnect(NetAddr::default()),
            EventKind::NetBind => Body::NetBind(NetAddr::default()),
            EventKind::NetListen => Body::NetListen(NetListen::default()),
            EventKind::NetAccept => Body::NetAccept(NetAccept::default()),
            EventKind::Ptrace => Body::Ptrace(Ptrace::default()),
            EventKind::ModuleLoad => Body::ModuleLoad(ModuleLoad::default()),
            EventKind::MemfdCreate => Body::MemfdCreate(MemfdCreate::default()),
            EventKind::Setid => Body::Setid(Setid::default()),
            EventKind::Capset => Body::Capset(Capset::default()),
            EventKind::Mount => Body::Mount(Mount::default()),
            EventKind::Umount => Body::Umount(Umount::default()),
            EventKind::Unshare => Body::Unshare(Unshare::default()),
            EventKind::Setns => Body::Setns(Setns::default()),
            EventKind::Bpf => Body::Bpf(Bpf::default()),
            EventKind::Kill => Body::Kill(Kill::default()),
            EventKind::AssetChange => Body::AssetChange(AssetChange::default()),
            EventKind::Loss => Body::Loss(Loss::default()),
        }
    }
}

/// Parses the body of one kind.
struct BodySeed(EventKind);

/// The body of a `kind` event from its JSON object alone (nothing but
/// whitespace may follow it); `None` where the full parser fails.
pub(crate) fn body_from_json(kind: EventKind, text: &[u8]) -> Option<Body> {
    let mut de = serde_json::Deserializer::from_str(std::str::from_utf8(text).ok()?);
    let body = BodySeed(kind).deserialize(&mut de).ok()?;
    de.end().ok()?;
    Some(body)
}

impl<'de> DeserializeSeed<'de> for BodySeed {
    type Value = Body;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Body, D::Error> {
        Ok(match self.0 {
            EventKind::Exec => Body::Exec(Exec::deserialize(d)?),
            EventKind::Fork => Body::Fork(Fork::deserialize(d)?),
            EventKind::Exit => Body::Exit(Exit::deserialize(d)?),
            EventKind::FileOpen => Body::FileOpen(FileOpen::deserialize(d)?),
            EventKind::FileRename => Body::FileRename(FileRename::deserialize(d)?),
            EventKind::FileUnlink => Body::FileUnlink(FilePath::deserialize(d)?),
            EventKind::FileChmod => Body::FileChmod(FileChmod::deserialize(d)?),
            EventKind::FileChown => Body::FileChown(FileChown::deserialize(d)?),
            EventKind::NetConnect => Body::NetConnect(NetAddr::deserialize(d)?),
            EventKind::NetBind => Body::NetBind(NetAddr::deserialize(d)?),
            EventKind::NetListen => Body::NetListen(NetListen::deserialize(d)?),
            EventKind::NetAccept => Body::NetAccept(NetAccept::deserialize(d)?),
            EventKind::Ptrace => Body::Ptrace(Ptrace::deserialize(d)?),
            EventKind::ModuleLoad => Body::ModuleLoad(ModuleLoad::deserialize(d)?),
            EventKind::MemfdCreate => Body::MemfdCreate(MemfdCreate::deserialize(d)?),
            EventKind::Setid => Body::Setid(Setid::deserialize(d)?),
            EventKind::Capset => Body::Capset(Capset::deserialize(d)?),
            EventKind::Mount => Body::Mount(Mount::deserialize(d)?),
            EventKind::Umount => Body::Umount(Umount::deserialize(d)?),
            EventKind::Unshare => Body::Unshare(Unshare::deserialize(d)?),
            EventKind::Setns => Body::Setns(Setns::deserialize(d)?),
            EventKind::Bpf => Body::Bpf(Bpf::deserialize(d)?),
            EventKind::Kill => Body::Kill(Kill::deserialize(d)?),
            EventKind::AssetChange => Body::AssetChange(AssetChange::deserialize(d)?),
            EventKind::Loss => Body::Loss(Loss::deserialize(d)?),
        })
    }
}

/// A top-level key. The body key is recognised only once `kind` is known.
enum Key {
    Kind,
    Time,
    TimeBoot,
    Process,
    Container,
    Body,
    Other(String),
}

struct KeySeed {
    body_key: Option<&'static str>,
}

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Key;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Key, D::Error> {
        d.deserialize_identifier(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Key;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an event key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Key, E> {
        Ok(match key {
            "kind" => Key::Kind,
            "time" => Key::Time,
            "time_boot_ns" => Key::TimeBoot,
            "process" => Key::Process,
            "container" => Key::Container,
            _ if Some(key) == self.body_key => Key::Body,
            _ => Key::Other(key.to_string()),
        })
    }
}

/// The `kind` value, looked up without allocating.
struct KindSeed;

impl<'de> DeserializeSeed<'de> for KindSeed {
    type Value = EventKind;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<EventKind, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KindSeed {
    type Value = EventKind;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an event kind name")
    }

    fn visit_str<E: de::Error>(self, name: &str) -> Result<EventKind, E> {
        EventKind::from_name(name).ok_or_else(|| {
            let known: Vec<&str> = EventKind::ALL.iter().map(|k| k.name()).collect();
            E::custom(format_args!("unknown event kind `{name}`; known kinds: {}", known.join(", ")))
        })
    }
}

/// `time`: RFC 3339 text to Unix nanoseconds.
struct TimeSeed;

impl<'de> DeserializeSeed<'de> for TimeSeed {
    type Value = u64;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<u64, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for TimeSeed {
    type Value = u64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an RFC 3339 time such as \"2026-11-23T12:00:00.123456789Z\"")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<u64, E> {
        parse_rfc3339_nanos(text).ok_or_else(|| {
            E::custom(format_args!(
                "`time` {text:?} is not an RFC 3339 time on or after 1970 (e.g. \"2026-11-23T12:00:00.123456789Z\")"
            ))
        })
    }
}

/// `serde(deserialize_with)` for Unix-nanosecond fields written as
/// RFC 3339 text (the alert's `time`).
pub(crate) fn rfc3339<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    TimeSeed.deserialize(d)
}

impl<'de> Deserialize<'de> for Event {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Event, D::Error> {
        d.deserialize_map(EventVisitor)
    }
}

struct EventVisitor;

fn duplicate<E: de::Error>(key: &'static str) -> E {
    E::duplicate_field(key)
}

fn misplaced<E: de::Error>(key: &str, kind: EventKind) -> E {
    E::custom(format_args!(
        "unknown key `{key}` in a `{kind}` event (keys: kind, time, time_boot_ns, process, container, {})",
        kind.body_key()
    ))
}

impl<'de> Visitor<'de> for EventVisitor {
    type Value = Event;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an event object with a `kind`")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Event, A::Error> {
        let mut kind: Option<EventKind> = None;
        let mut time_unix_ns: Option<u64> = None;
        let mut time_boot_ns: Option<u64> = None;
        let mut process: Option<Process> = None;
        let mut container: Option<Option<Container>> = None;
        let mut body: Option<Body> = None;
        // Keys seen before `kind`: the body (normally) or unknown keys.
        let mut early: Vec<(String, serde_json::Value)> = Vec::new();

        while let Some(key) = map.next_key_seed(KeySeed { body_key: kind.map(EventKind::body_key) })? {
            match key {
                Key::Kind if kind.is_some() => return Err(duplicate("kind")),
                Key::Kind => kind = Some(map.next_value_seed(KindSeed)?),
                Key::Time if time_unix_ns.is_some() => return Err(duplicate("time")),
                Key::Time => time_unix_ns = Some(map.next_value_seed(TimeSeed)?),
                Key::TimeBoot if time_boot_ns.is_some() => return Err(duplicate("time_boot_ns")),
                Key::TimeBoot => time_boot_ns = Some(map.next_value()?),
                Key::Process if process.is_some() => return Err(duplicate("process")),
                Key::Process => process = Some(map.next_value()?),
                Key::Container if container.is_some() => return Err(duplicate("container")),
                Key::Container => container = Some(map.next_value()?),
                Key::Body => match kind {
                    Some(k) if body.is_some() => return Err(duplicate(k.body_key())),
                    Some(k) => body = Some(map.next_value_seed(BodySeed(k))?),
                    None => return Err(de::Error::custom("body key seen before `kind`")),
                },
                Key::Other(name) => match kind {
                    Some(k) => return Err(misplaced(&name, k)),
                    None => early.push((name, map.next_value()?)),
                },
            }
        }
        let kind = kind.ok_or_else(|| de::Error::missing_field("kind"))?;
        for (name, value) in early {
            if name != kind.body_key() {
                return Err(misplaced(&name, kind));
            }
            if body.is_some() {
                return Err(duplicate(kind.body_key()));
            }
            body = Some(BodySeed(kind).deserialize(value).map_err(de::Error::custom)?);
        }
        Ok(Event {
            time_boot_ns: time_boot_ns.unwrap_or(0),
            time_unix_ns: time_unix_ns.unwrap_or(0),
            process: match process {
                Some(p) => std::sync::Arc::new(p),
                None => no_process(),
            },
            container: container.flatten(),
            body: body.unwrap_or_else(|| Body::default_for(kind)),
        })
    }
}

/// The process of an event without one: one shared empty `Process`, so
/// such events (and [`crate::lines`]' events, whose process is put in
/// after) do not allocate one each.
pub(crate) fn no_process() -> std::sync::Arc<Process> {
    static EMPTY: std::sync::OnceLock<std::sync::Arc<Process>> = std::sync::OnceLock::new();
    EMPTY.get_or_init(Default::default).clone()
}

#[cfg(test)]
#[path = "de_tests.rs"]
mod tests;
