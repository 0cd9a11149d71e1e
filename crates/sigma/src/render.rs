//! Writing a converted rule: the alert `output` template and the Panoptes
//! YAML rule item `panoptes rules import-sigma` writes to files. Every
//! string is a YAML double-quoted scalar, so no title, description or
//! condition can change the document's structure; the Detection Rule
//! License attribution and the conversion notes are YAML comments above the
//! item.

use crate::logsource::Source;
use crate::SigmaRule;

/// The process part every output shows.
const PROCESS: &str = "process {process.exe}, cmdline {process.cmdline}, user {process.user}";

/// `{` and `}` are placeholders in Panoptes templates: literal braces double.
fn template_literal(text: &str) -> String {
    text.replace('{', "{{").replace('}', "}}")
}

/// The alert message template: the title, then what the rule looked at.
pub fn output(title: &str, source: Source, reads_paths: bool) -> String {
    let detail = match source {
        Source::FileEvent => format!("file {{file.target}}, {PROCESS}"),
        Source::NetworkConnection => format!("connect {{net.addr.ip}}:{{net.addr.port}}, {PROCESS}"),
        Source::Auditd if reads_paths => format!("paths {{event.paths}}, {PROCESS}"),
        _ => PROCESS.to_string(),
    };
    format!("{} ({detail})", template_literal(title))
}

/// `text` as a YAML double-quoted scalar.
pub fn yaml_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() || c == '\u{feff}' || c == '\u{2028}' || c == '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn yaml_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|i| yaml_string(i)).collect();
    format!("[{}]", quoted.join(", "))
}

/// One line of a YAML comment: line breaks would end the comment.
fn comment(text: &str) -> String {
    let flat: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    format!("# {}\n", flat.trim_end())
}

/// The Panoptes rule item (`- rule: …`) for a converted rule, ending in a
/// newline; items can be concatenated into one rule file.
pub fn to_panoptes_yaml(rule: &SigmaRule) -> String {
    let mut out = String::new();
    out.push_str(&comment(&format!(
        "Sigma rule {} ({}), Detection Rule License 1.1 (https://github.com/SigmaHQ/Detection-Rule-License)",
        rule.sigma_id,
        rule.status.as_deref().unwrap_or("no status")
    )));
    for note in &rule.notes {
        out.push_str(&comment(&format!("approximation: {note}")));
    }
    out.push_str(&format!("- rule: {}\n", rule.id));
    let mut key = |name: &str, value: String| out.push_str(&format!("  {name}: {value}\n"));
    key("title", yaml_string(&rule.title));
    if let Some(author) = &rule.author {
        key("author", yaml_string(author));
    }
    if let Some(description) = &rule.description {
        key("description", yaml_string(description));
    }
    key("condition", yaml_string(&rule.condition));
    key("severity", rule.severity.clone());
    key("mitre", yaml_list(&rule.mitre));
    key("tags", yaml_list(&rule.tags));
    key("output", yaml_string(&rule.output));
    key("source", yaml_string(&format!("sigma:{}", rule.source)));
    if !rule.references.is_empty() {
        key("references", yaml_list(&rule.references));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_templates() {
        assert_eq!(
            output("Odd {x}", Source::ProcessCreation, false),
            "Odd {{x}} (process {process.exe}, cmdline {process.cmdline}, user {process.user})"
        );
        assert!(output("t", Source::FileEvent, false).starts_with("t (file {file.target}, process"));
        assert!(output("t", Source::NetworkConnection, false).starts_with("t (connect {net.addr.ip}:{net.addr.port}, "));
        assert!(output("t", Source::Auditd, true).starts_with("t (paths {event.paths}, "));
        assert!(output("t", Source::Auditd, false).starts_with("t (process {process.exe}"));
    }

    #[test]
    fn yaml_strings_escape() {
        assert_eq!(yaml_string("a \"b\" \\ c\nd\u{1}"), "\"a \\\"b\\\" \\\\ c\\nd\\u0001\"");
        assert_eq!(comment("two\nlines"), "# two lines\n");
    }
}
