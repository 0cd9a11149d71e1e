//! The JSON shape of an [`Event`]: `kind` first, then the header, then the
//! body under its kind's key. Written by hand so `kind` is never stored twice.

use serde::ser::{Serialize, SerializeMap, Serializer};

use crate::time::rfc3339_nanos;
use crate::Event;

impl Serialize for Event {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let kind = self.kind();
        let mut map = serializer.serialize_map(Some(6))?;
        map.serialize_entry("kind", kind.name())?;
        map.serialize_entry("time", &rfc3339_nanos(self.time_unix_ns))?;
        map.serialize_entry("time_boot_ns", &self.time_boot_ns)?;
        map.serialize_entry("process", &*self.process)?;
        map.serialize_entry("container", &self.container)?;
        map.serialize_entry(kind.body_key(), &self.body)?;
        map.end()
    }
}

impl Event {
    /// One JSON line (no trailing newline).
    pub fn to_json(&self) -> String {
        // Serialising plain structs and maps with string keys cannot fail.
        serde_json::to_string(self).unwrap_or_else(|e| format!("{{\"kind\":\"error\",\"error\":{:?}}}", e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use crate::*;

    fn sample() -> Event {
        Event {
            time_boot_ns: 5_000_000_123,
            time_unix_ns: 1_795_000_000_000_000_123,
            process: Process { pid: 42, tid: 43, comm: "sh".into(), ..Default::default() }.into(),
            container: None,
            body: Body::FileRename(FileRename {
                path: "/tmp/a".into(),
                new_path: "/tmp/b".into(),
                syscall: "renameat2",
                flags: 0,
                result: 0,
            }),
        }
    }

    #[test]
    fn json_shape_is_stable() {
        let v: serde_json::Value = serde_json::from_str(&sample().to_json()).unwrap();
        assert_eq!(v["kind"], "file_rename");
        assert_eq!(v["time"], "2026-11-18T11:06:40.000000123Z");
        assert_eq!(v["time_boot_ns"], 5_000_000_123u64);
        assert_eq!(v["process"]["pid"], 42);
        assert_eq!(v["process"]["ancestors"], serde_json::json!([]));
        assert!(v["container"].is_null());
        assert_eq!(v["file"]["new_path"], "/tmp/b");
        assert_eq!(v["file"]["syscall"], "renameat2");
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(|k| k.as_str()).collect();
        assert_eq!(keys.len(), 6, "{keys:?}");
    }

    #[test]
    fn kind_comes_first() {
        assert!(sample().to_json().starts_with("{\"kind\":\"file_rename\""));
    }
}
