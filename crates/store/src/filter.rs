//! [`EventFilter`] and [`AlertFilter`]: which stored events or alerts a
//! query wants, and their translation into a SQL `WHERE` clause with bound
//! values (never spliced text).

use rusqlite::types::Value;

use crate::row::to_sql_int;

/// Criteria for [`Store::events`](crate::Store::events); every set field
/// must match. `Some(vec![])` in a list field matches nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventFilter {
    /// A container id, an id prefix of at least 4 characters, or a
    /// container name (exact).
    pub container: Option<String>,
    pub pids: Option<Vec<u32>>,
    pub exec_ids: Option<Vec<String>>,
    /// Inclusive lower bound on `time_unix_ns`.
    pub since_unix_ns: Option<u64>,
    /// Exclusive upper bound on `time_unix_ns`.
    pub until_unix_ns: Option<u64>,
    /// Event kind names (`exec`, `net_connect`, `alert`, ...).
    pub kinds: Option<Vec<String>>,
    /// At most this many events, the oldest first.
    pub limit: Option<usize>,
}

/// Shortest id prefix matched as a prefix (shorter text only matches an
/// exact id or name): two or three hex digits would match almost anything.
pub(crate) const MIN_PREFIX_CHARS: usize = 4;

impl EventFilter {
    /// `WHERE ... ORDER BY ... LIMIT ...` and the values for its `?`s.
    pub(crate) fn to_sql(&self) -> (String, Vec<Value>) {
        let mut terms: Vec<String> = Vec::new();
        let mut values: Vec<Value> = Vec::new();
        if let Some(container) = &self.container {
            let mut term = String::from("(container_id = ? OR container_name = ?");
            values.push(Value::Text(container.clone()));
            values.push(Value::Text(container.clone()));
            if container.chars().count() >= MIN_PREFIX_CHARS {
                term.push_str(" OR container_id GLOB ?");
                values.push(Value::Text(glob_prefix(container)));
            }
            term.push(')');
            terms.push(term);
        }
        if let Some(pids) = &self.pids {
            terms.push(in_list("pid", pids.len()));
            values.extend(pids.iter().map(|pid| Value::Integer(i64::from(*pid))));
        }
        if let Some(exec_ids) = &self.exec_ids {
            terms.push(in_list("exec_id", exec_ids.len()));
            values.extend(exec_ids.iter().map(|id| Value::Text(id.clone())));
        }
        if let Some(kinds) = &self.kinds {
            terms.push(in_list("kind", kinds.len()));
            values.extend(kinds.iter().map(|kind| Value::Text(kind.clone())));
        }
        if let Some(since) = self.since_unix_ns {
            terms.push("time_unix_ns >= ?".into());
            values.push(Value::Integer(to_sql_int(since)));
        }
        if let Some(until) = self.until_unix_ns {
            terms.push("time_unix_ns < ?".into());
            values.push(Value::Integer(to_sql_int(until)));
        }
        let mut sql = String::new();
        if !terms.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(&terms.join(" AND "));
        }
        sql.push_str(" ORDER BY time_unix_ns, id");
        if let Some(limit) = self.limit {
            sql.push_str(" LIMIT ?");
            values.push(Value::Integer(i64::try_from(limit).unwrap_or(i64::MAX)));
        }
        (sql, values)
    }
}

/// Criteria for [`Store::alerts`](crate::Store::alerts); every set field
/// must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AlertFilter {
    /// Rule ids (exact). `Some(vec![])` matches nothing.
    pub rule_ids: Option<Vec<String>>,
    /// Inclusive lower bound on the alert's time.
    pub since_unix_ns: Option<u64>,
    /// Exclusive upper bound on the alert's time.
    pub until_unix_ns: Option<u64>,
    /// At most this many alerts.
    pub limit: Option<usize>,
    /// Newest first (with `limit`: the latest alerts) instead of oldest
    /// first.
    pub newest_first: bool,
}

impl AlertFilter {
    /// `WHERE ... ORDER BY ... LIMIT ...` and the values for its `?`s.
    pub(crate) fn to_sql(&self) -> (String, Vec<Value>) {
        let mut terms: Vec<String> = Vec::new();
        let mut values: Vec<Value> = Vec::new();
        if let Some(ids) = &self.rule_ids {
            terms.push(in_list("rule_id", ids.len()));
            values.extend(ids.iter().map(|id| Value::Text(id.clone())));
        }
        if let Some(since) = self.since_unix_ns {
            terms.push("time_unix_ns >= ?".into());
            values.push(Value::Integer(to_sql_int(since)));
        }
        if let Some(until) = self.until_unix_ns {
            terms.push("time_unix_ns < ?".into());
            values.push(Value::Integer(to_sql_int(until)));
        }
        let mut sql = String::new();
        if !terms.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(&terms.join(" AND "));
        }
        sql.push_str(if self.newest_first {
            " ORDER BY time_unix_ns DESC, id DESC"
        } else {
            " ORDER BY time_unix_ns, id"
        });
        if let Some(limit) = self.limit {
            sql.push_str(" LIMIT ?");
            values.push(Value::Integer(i64::try_from(limit).unwrap_or(i64::MAX)));
        }
        (sql, values)
    }
}

/// `column IN (?, ?, ...)`; an empty list is a term that is never true.
fn in_list(column: &str, len: usize) -> String {
    if len == 0 {
        return "0".into();
    }
    format!("{column} IN ({})", vec!["?"; len].join(", "))
}

/// A GLOB pattern matching strings that start with `prefix`; GLOB (unlike
/// LIKE) is case-sensitive, so SQLite can answer it from the index.
pub(crate) fn glob_prefix(prefix: &str) -> String {
    let mut pattern = String::with_capacity(prefix.len() + 1);
    for c in prefix.chars() {
        if matches!(c, '*' | '?' | '[') {
            pattern.push('[');
            pattern.push(c);
            pattern.push(']');
        } else {
            pattern.push(c);
        }
    }
    pattern.push('*');
    pattern
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_filter_only_orders() {
        let (sql, values) = EventFilter::default().to_sql();
        assert_eq!(sql, " ORDER BY time_unix_ns, id");
        assert!(values.is_empty());
    }

    #[test]
    fn every_field_becomes_a_bound_term() {
        let filter = EventFilter {
            container: Some("abcd".into()),
            pids: Some(vec![1, 2]),
            exec_ids: Some(vec!["x".into()]),
            since_unix_ns: Some(5),
            until_unix_ns: Some(9),
            kinds: Some(vec![]),
            limit: Some(3),
        };
        let (sql, values) = filter.to_sql();
        assert_eq!(sql.matches('?').count(), values.len());
        assert!(sql.contains("pid IN (?, ?)"), "{sql}");
        assert!(sql.contains(" AND 0 AND "), "{sql}");
        assert_eq!(values.last(), Some(&Value::Integer(3)));
    }

    #[test]
    fn short_text_is_not_a_prefix() {
        let (sql, _) = EventFilter { container: Some("abc".into()), ..EventFilter::default() }.to_sql();
        assert!(!sql.contains("GLOB"), "{sql}");
    }

    #[test]
    fn alert_filter_binds_every_field() {
        let filter = AlertFilter {
            rule_ids: Some(vec!["a".into(), "b".into()]),
            since_unix_ns: Some(1),
            until_unix_ns: Some(2),
            limit: Some(10),
            newest_first: true,
        };
        let (sql, values) = filter.to_sql();
        assert_eq!(sql, " WHERE rule_id IN (?, ?) AND time_unix_ns >= ? AND time_unix_ns < ? ORDER BY time_unix_ns DESC, id DESC LIMIT ?");
        assert_eq!(values.len(), 5);
        assert_eq!(AlertFilter::default().to_sql().0, " ORDER BY time_unix_ns, id");
    }

    #[test]
    fn glob_metacharacters_are_literal() {
        assert_eq!(glob_prefix("ab*c?[d]"), "ab[*]c[?][[]d]*");
    }
}
