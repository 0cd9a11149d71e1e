//! `panoptes rules test`: every rule's `tests:` events are run through that
//! rule alone; `match` cases must raise it and `nomatch` cases must not.

use event::Event;

use crate::compile::Predicates;
use crate::eval::{eval, Cache};
use crate::load::{Rule, RuleSet, Sequence, Tests};
use crate::sequence::SeqState;
use crate::yaml::Pos;

/// One failed case.
#[derive(Debug, Clone)]
pub struct Failure {
    pub rule: String,
    pub file: String,
    pub pos: Pos,
    pub message: String,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}: {}: {}", self.file, self.pos.line, self.pos.col, self.rule, self.message)
    }
}

#[derive(Debug, Clone, Default)]
pub struct Report {
    pub cases: usize,
    pub failures: Vec<Failure>,
    /// Enabled rules with no match case or no nomatch case.
    pub untested: Vec<String>,
}

/// Runs every rule's test cases.
pub fn run(set: &RuleSet) -> Report {
    let mut report = Report::default();
    for rule in &set.rules {
        check(&mut report, &rule.meta.id, &rule.meta.file, &rule.tests, rule.meta.enabled, |events| {
            matches_rule(rule, &set.preds, events)
        });
    }
    for seq in &set.sequences {
        check(&mut report, &seq.meta.id, &seq.meta.file, &seq.tests, seq.meta.enabled, |events| {
            matches_sequence(seq, &set.preds, events)
        });
    }
    report
}

fn check(
    report: &mut Report,
    id: &str,
    file: &str,
    tests: &Tests,
    enabled: bool,
    mut run: impl FnMut(&[Event]) -> bool,
) {
    if enabled && (tests.matching.is_empty() || tests.nonmatching.is_empty()) {
        report.untested.push(id.to_string());
    }
    for (want, cases) in [(true, &tests.matching), (false, &tests.nonmatching)] {
        for (pos, json) in cases {
            report.cases += 1;
            let fail = |message: String| Failure { rule: id.to_string(), file: file.to_string(), pos: *pos, message };
            let events: Result<Vec<Event>, String> = json.iter().map(test_event).collect();
            match events {
                Err(e) => report.failures.push(fail(format!("bad test event: {e}"))),
                Ok(events) => {
                    if run(&events) != want {
                        let what = if want { "did not match" } else { "matched" };
                        report.failures.push(fail(format!("{what}: {}", serde_json::Value::from(json.clone()))));
                    }
                }
            }
        }
    }
}

/// A test event: partial JSON, with an exec id made up from the pid when
/// absent (sequences group by it).
pub fn test_event(json: &serde_json::Value) -> Result<Event, String> {
    let mut ev = Event::from_json(&json.to_string()).map_err(|e| e.to_string())?;
    if ev.process.exec_id.is_none() {
        let pid = ev.process.pid;
        std::sync::Arc::make_mut(&mut ev.process).exec_id = Some(format!("test:{pid}"));
    }
    Ok(ev)
}

fn matches_rule(rule: &Rule, preds: &Predicates, events: &[Event]) -> bool {
    let mut cache = Cache::default();
    events.iter().any(|ev| {
        cache.reset(preds.preds.len());
        eval(&rule.cond, ev, preds, &mut cache, &[])
            && !rule.exceptions.iter().any(|(_, e)| eval(e, ev, preds, &mut cache, &[]))
    })
}

fn matches_sequence(seq: &Sequence, preds: &Predicates, events: &[Event]) -> bool {
    let mut state = SeqState::default();
    let mut cache = Cache::default();
    let mut drops = 0;
    events.iter().any(|ev| {
        cache.reset(preds.preds.len());
        let done = state.feed(seq, ev, preds, &mut cache, 1024, &mut drops, true);
        done.iter().any(|_| !seq.exceptions.iter().any(|(_, e)| eval(e, ev, preds, &mut cache, &[])))
    })
}
