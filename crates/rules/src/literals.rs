//! The literals a string test needs to find (its "needles"): they feed
//! the shared Aho-Corasick scans that prefilter predicates and key the
//! rule index. A needle is necessary, not sufficient, except for
//! `contains` (`exact`).

use crate::compile::Needles;
use crate::cond::{Op, Val};

/// Needles for `contains` (exact), prefixes and suffixes (when every value
/// has 3+ bytes), regexes (the literals their matches start with) and
/// globs (the longest literal run of each alternative, when every
/// alternative has one of 3+ bytes).
pub(crate) fn needles_of(op: Op, values: &[Val]) -> Option<Needles> {
    let texts: Vec<&str> = values.iter().map(|v| v.text.as_str()).collect();
    match op {
        Op::Contains | Op::IContains => Some(Needles {
            texts: texts
                .iter()
                .map(|t| if op == Op::IContains { t.to_ascii_lowercase() } else { t.to_string() })
                .collect(),
            insensitive: op == Op::IContains,
            exact: true,
        }),
        // A prefix or suffix is also a substring: a precondition found by
        // the shared scan (and a key for the rule index).
        Op::StartsWith | Op::EndsWith | Op::IStartsWith | Op::IEndsWith => {
            let insensitive = matches!(op, Op::IStartsWith | Op::IEndsWith);
            texts.iter().all(|t| t.len() >= 3).then(|| Needles {
                texts: texts.iter().map(|t| if insensitive { t.to_ascii_lowercase() } else { t.to_string() }).collect(),
                insensitive,
                exact: false,
            })
        }
        // A regex needs one of the literals its matches start with.
        Op::Regex => {
            let mut all = Vec::new();
            for t in &texts {
                all.extend(regex_literals(t)?);
            }
            all.sort();
            all.dedup();
            Some(Needles { texts: all, insensitive: false, exact: false })
        }
        Op::Glob | Op::IGlob => {
            let runs: Option<Vec<String>> = texts.iter().map(|t| longest_literal(t).filter(|r| r.len() >= 3)).collect();
            runs.map(|runs| Needles {
                texts: runs.into_iter().map(|r| if op == Op::IGlob { r.to_ascii_lowercase() } else { r }).collect(),
                insensitive: op == Op::IGlob,
                exact: false,
            })
        }
        _ => None,
    }
}

/// The literals every match of `pattern` starts with (so contains), when
/// they are few and each at least 3 bytes: `/dev/(tcp|udp)/[0-9]+` needs
/// `/dev/tcp/` or `/dev/udp/`. `None` when a match may start otherwise.
pub(crate) fn regex_literals(pattern: &str) -> Option<Vec<String>> {
    use regex_syntax::hir::literal::{ExtractKind, Extractor};
    let hir = regex_syntax::Parser::new().parse(pattern).ok()?;
    let mut extractor = Extractor::new();
    extractor.kind(ExtractKind::Prefix).limit_total(64);
    let seq = extractor.extract(&hir);
    let literals = seq.literals()?;
    let texts: Option<Vec<String>> = literals
        .iter()
        .map(|l| std::str::from_utf8(l.as_bytes()).ok().filter(|t| t.len() >= 3).map(str::to_string))
        .collect();
    texts.filter(|t| !t.is_empty())
}

/// The longest run of literal characters in a glob.
fn longest_literal(glob: &str) -> Option<String> {
    let mut best = String::new();
    let mut cur = String::new();
    let mut chars = glob.chars();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            ']' if in_class => in_class = false,
            _ if in_class => {}
            '*' | '?' | '[' => {
                in_class = c == '[';
                if cur.len() > best.len() {
                    best = std::mem::take(&mut cur);
                }
                cur.clear();
            }
            '\\' => cur.extend(chars.next()),
            _ => cur.push(c),
        }
    }
    if cur.len() > best.len() {
        best = cur;
    }
    (!best.is_empty()).then_some(best)
}
