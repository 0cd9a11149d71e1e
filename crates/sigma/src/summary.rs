//! Counting an import: how many rules converted, and which did not, grouped
//! by reason, for `panoptes rules import-sigma` to print.

use std::collections::BTreeMap;
use std::fmt;

use crate::Outcome;

/// Counts of one import.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub converted: usize,
    pub unsupported: usize,
    /// Reason → the sources refused for it, in input order.
    pub by_reason: BTreeMap<String, Vec<String>>,
}

impl Summary {
    /// Counts `outcomes`.
    pub fn of(outcomes: &[Outcome]) -> Summary {
        let mut summary = Summary::default();
        for outcome in outcomes {
            match outcome {
                Outcome::Converted(_) => summary.converted += 1,
                Outcome::Unsupported { source, reason, .. } => {
                    summary.unsupported += 1;
                    summary.by_reason.entry(reason.clone()).or_default().push(source.clone());
                }
            }
        }
        summary
    }
}

impl fmt::Display for Summary {
    /// `N converted, M not converted`, then each reason with its rules.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} converted, {} not converted", self.converted, self.unsupported)?;
        let mut reasons: Vec<(&String, &Vec<String>)> = self.by_reason.iter().collect();
        reasons.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(b.0)));
        for (reason, sources) in reasons {
            writeln!(f, "  {} × {reason}", sources.len())?;
            for source in sources {
                writeln!(f, "      {source}")?;
            }
        }
        Ok(())
    }
}
