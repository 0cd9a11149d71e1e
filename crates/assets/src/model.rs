//! The data model every collector fills: a [`Table`] of [`Row`]s (ordered
//! string maps, so every table serialises, stores and diffs the same way),
//! with the warnings met while reading it and the time it took; a
//! [`Snapshot`] is the tables of one collection.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One row: column name → value. Absent and empty mean "unknown".
pub type Row = BTreeMap<String, String>;

/// Builds a row from `(column, value)` pairs, leaving out empty values.
pub fn row<const N: usize>(pairs: [(&str, String); N]) -> Row {
    pairs.into_iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| (k.to_string(), v)).collect()
}

/// Most warnings one table keeps; later ones are counted, not kept.
const MAX_WARNINGS: usize = 50;

/// One collected table.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Table {
    pub name: String,
    pub rows: Vec<Row>,
    /// What could not be read: each one names the input and the reason;
    /// the row it concerned was skipped, the rest of the table stands.
    pub warnings: Vec<String>,
    /// Warnings beyond the ones kept.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub warnings_dropped: u64,
    /// Wall-clock milliseconds this table took.
    pub elapsed_ms: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Table {
    pub fn new(name: &str) -> Table {
        Table { name: name.to_string(), ..Table::default() }
    }

    /// Records a skipped input. Logged at debug level: the caller shows
    /// the table's warnings once, together.
    pub fn warn(&mut self, message: impl Into<String>) {
        let message = message.into();
        tracing::debug!(table = %self.name, %message, "asset input skipped");
        if self.warnings.len() < MAX_WARNINGS {
            self.warnings.push(message);
        } else {
            self.warnings_dropped += 1;
        }
    }

    pub fn push(&mut self, row: Row) {
        self.rows.push(row);
    }
}

/// The tables of one collection.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// When the collection started, Unix nanoseconds.
    pub time_unix_ns: u64,
    pub host: String,
    /// In collection order.
    pub tables: Vec<Table>,
}

impl Snapshot {
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.name == name)
    }

    /// Milliseconds of every table together.
    pub fn elapsed_ms(&self) -> u64 {
        self.tables.iter().map(|t| t.elapsed_ms).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_leave_out_empty_values_and_warnings_are_capped() {
        let r = row([("a", "1".into()), ("b", String::new())]);
        assert_eq!(r.len(), 1);
        let mut t = Table::new("x");
        for i in 0..60 {
            t.warn(format!("w{i}"));
        }
        assert_eq!((t.warnings.len(), t.warnings_dropped), (50, 10));
        let json = serde_json::to_string(&t).unwrap();
        let back: Table = serde_json::from_str(&json).unwrap();
        assert_eq!(back, t);
    }
}
