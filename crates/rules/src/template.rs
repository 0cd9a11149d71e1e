//! Output templates: `"{process.exe} wrote {file.path}"`. Placeholders are
//! field names checked at load; `{{` and `}}` are literal braces. A field the
//! event lacks renders as `-`; a multi-valued one as its values joined by
//! spaces.

use std::fmt::Write;

use event::fields::{Arg, FieldDef};
use event::Event;

#[derive(Debug, Clone)]
enum Part {
    Lit(String),
    Field(&'static FieldDef, Arg),
}

#[derive(Debug, Clone, Default)]
pub struct Template {
    parts: Vec<Part>,
}

impl Template {
    /// Parses a template; the error is (byte offset, message).
    pub fn parse(text: &str) -> Result<Template, (usize, String)> {
        let mut parts = Vec::new();
        let mut lit = String::new();
        let mut chars = text.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            match c {
                '{' if chars.peek().map(|p| p.1) == Some('{') => {
                    chars.next();
                    lit.push('{');
                }
                '}' if chars.peek().map(|p| p.1) == Some('}') => {
                    chars.next();
                    lit.push('}');
                }
                '{' => {
                    let rest = &text[i + 1..];
                    let Some(end) = rest.find('}') else { return Err((i, "unclosed `{`".into())) };
                    let name = rest[..end].trim();
                    let (def, arg) = crate::compile::resolve_field(name, &(0..0), 0).map_err(|e| {
                        (i + 1, format!("{}{}", e.message, e.hint.map(|h| format!(" ({h})")).unwrap_or_default()))
                    })?;
                    if !lit.is_empty() {
                        parts.push(Part::Lit(std::mem::take(&mut lit)));
                    }
                    parts.push(Part::Field(def, arg));
                    for _ in 0..rest[..=end].chars().count() {
                        chars.next();
                    }
                }
                '}' => return Err((i, "lone `}`".into())),
                _ => lit.push(c),
            }
        }
        if !lit.is_empty() {
            parts.push(Part::Lit(lit));
        }
        Ok(Template { parts })
    }

    pub fn render(&self, ev: &Event) -> String {
        let mut out = String::new();
        for p in &self.parts {
            match p {
                Part::Lit(s) => out.push_str(s),
                Part::Field(def, arg) => {
                    let start = out.len();
                    (def.visit)(ev, arg, &mut |v| {
                        if out.len() > start {
                            out.push(' ');
                        }
                        let _ = write!(out, "{v}");
                        false
                    });
                    if out.len() == start {
                        out.push('-');
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use event::{Body, Exec, Process};

    #[test]
    fn renders_fields_braces_and_missing_values() {
        let t = Template::parse("{{x}} {process.exe} ran {exec.argv} in {container.name}").unwrap();
        let ev = Event {
            time_boot_ns: 0,
            time_unix_ns: 0,
            process: Process { exe: Some("/bin/sh".into()), ..Default::default() }.into(),
            container: None,
            body: Body::Exec(Exec { argv: vec!["sh".into(), "-c".into()], ..Default::default() }),
        };
        assert_eq!(t.render(&ev), "{x} /bin/sh ran sh -c in -");
    }

    #[test]
    fn errors_have_offsets() {
        assert_eq!(Template::parse("a {nope.x}").unwrap_err().0, 3);
        assert_eq!(Template::parse("a {process.exe").unwrap_err().0, 2);
        assert_eq!(Template::parse("a } b").unwrap_err().0, 2);
    }
}
