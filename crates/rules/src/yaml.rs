//! A YAML tree that remembers where each node came from, so rule errors can
//! say `file:line:column`. Built from yaml-rust2's event parser; anchors and
//! aliases are resolved by copying.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// A place in a source file (1-based line and column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Plain,
    Quoted,
    Block,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Scalar(String, Style),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    pub pos: Pos,
    /// Character index of the node's start in the source.
    pub index: usize,
}

/// A YAML syntax error.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct YamlError {
    pub pos: Pos,
    pub message: String,
}

impl Node {
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar(s, _) => Some(s),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(v) => Some(v),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&[(Node, Node)]> {
        match &self.value {
            Value::Map(v) => Some(v),
            _ => None,
        }
    }

    /// The value under `key` of a map.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?.iter().find(|(k, _)| k.as_str() == Some(key)).map(|(_, v)| v)
    }

    pub fn kind_name(&self) -> &'static str {
        match &self.value {
            Value::Scalar(..) => "a scalar",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a map",
        }
    }

    /// JSON form (plain scalars typed as YAML 1.2 core: null, bools, ints,
    /// floats; quoted and block scalars stay strings).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Scalar(s, Style::Plain) => match s.as_str() {
                "" | "~" | "null" => J::Null,
                "true" => J::Bool(true),
                "false" => J::Bool(false),
                _ => {
                    let radix = ["0x", "0o", "0b"].iter().any(|p| s.trim_start_matches('-').starts_with(p));
                    let int = if radix { crate::compile::parse_int(s) } else { s.parse::<i64>().ok() };
                    if let Some(i) = int {
                        J::from(i)
                    } else if let Ok(u) = s.parse::<u64>() {
                        J::from(u)
                    } else if let Some(f) = s.parse::<f64>().ok().filter(|f| f.is_finite()) {
                        J::from(f)
                    } else {
                        J::String(s.clone())
                    }
                }
            },
            Value::Scalar(s, _) => J::String(s.clone()),
            Value::Seq(v) => J::Array(v.iter().map(Node::to_json).collect()),
            Value::Map(m) => {
                J::Object(m.iter().map(|(k, v)| (k.as_str().unwrap_or_default().to_string(), v.to_json())).collect())
            }
        }
    }
}

/// Parses every document of `text`.
pub fn parse(text: &str) -> Result<Vec<Node>, YamlError> {
    let mut builder = Builder::default();
    let mut parser = Parser::new_from_str(text);
    parser.load(&mut builder, true).map_err(|e| YamlError {
        pos: Pos { line: e.marker().line(), col: e.marker().col() + 1 },
        message: e.info().to_string(),
    })?;
    if let Some(message) = builder.error {
        return Err(YamlError { pos: builder.error_pos, message });
    }
    Ok(builder.docs)
}

enum Open {
    Seq(Node),
    Map(Node, Option<Node>),
}

#[derive(Default)]
struct Builder {
    docs: Vec<Node>,
    stack: Vec<(Open, usize)>,
    anchors: HashMap<usize, Node>,
    error: Option<String>,
    error_pos: Pos,
}

fn pos(mark: &Marker) -> Pos {
    Pos { line: mark.line(), col: mark.col() + 1 }
}

impl Builder {
    fn push(&mut self, node: Node, anchor: usize) {
        if anchor > 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => self.docs.push(node),
            Some((Open::Seq(seq), _)) => {
                if let Value::Seq(items) = &mut seq.value {
                    items.push(node);
                }
            }
            Some((Open::Map(map, key), _)) => match key.take() {
                None => *key = Some(node),
                Some(k) => {
                    if let Value::Map(entries) = &mut map.value {
                        entries.push((k, node));
                    }
                }
            },
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        let node = |value| Node { value, pos: pos(&mark), index: mark.index() };
        match ev {
            Event::Scalar(text, style, anchor, _) => {
                let style = match style {
                    TScalarStyle::Plain => Style::Plain,
                    TScalarStyle::SingleQuoted | TScalarStyle::DoubleQuoted => Style::Quoted,
                    TScalarStyle::Literal | TScalarStyle::Folded => Style::Block,
                };
                self.push(node(Value::Scalar(text, style)), anchor);
            }
            Event::SequenceStart(anchor, _) => self.stack.push((Open::Seq(node(Value::Seq(Vec::new()))), anchor)),
            Event::MappingStart(anchor, _) => self.stack.push((Open::Map(node(Value::Map(Vec::new())), None), anchor)),
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some((open, anchor)) = self.stack.pop() {
                    let done = match open {
                        Open::Seq(n) | Open::Map(n, _) => n,
                    };
                    self.push(done, anchor);
                }
            }
            Event::Alias(id) => match self.anchors.get(&id).cloned() {
                Some(n) => self.push(n, 0),
                None if self.error.is_none() => {
                    self.error = Some("alias to an unknown anchor".into());
                    self.error_pos = pos(&mark);
                }
                None => {}
            },
            _ => {}
        }
    }
}

/// Where byte `offset` of a scalar's text sits in the source. Exact
/// for plain and quoted one-line scalars and for block scalars (`|`, `>`)
/// whose lines are not folded together from blank lines.
pub fn locate(source: &str, node: &Node, offset: usize) -> Pos {
    let Value::Scalar(text, style) = &node.value else { return node.pos };
    match style {
        Style::Plain => Pos { line: node.pos.line, col: node.pos.col + text[..offset.min(text.len())].chars().count() },
        Style::Quoted => {
            // Count through the text for multi-line quoted scalars.
            let before = &text[..offset.min(text.len())];
            match before.rfind('\n') {
                None => Pos { line: node.pos.line, col: node.pos.col + 1 + before.chars().count() },
                Some(nl) => Pos {
                    line: node.pos.line + before.matches('\n').count(),
                    col: before[nl + 1..].chars().count() + 1,
                },
            }
        }
        Style::Block => {
            // The node starts at its first content line; each source line
            // is one text line (literal) or one folded segment followed by a
            // space (folded) — both one separator char.
            let mut remaining = text[..offset.min(text.len())].chars().count();
            let lines = source.lines().skip(node.pos.line.saturating_sub(1));
            let mut indent = None;
            for (n, line) in lines.enumerate() {
                if line.trim().is_empty() {
                    remaining = remaining.saturating_sub(1);
                    continue;
                }
                let ind = *indent.get_or_insert(line.len() - line.trim_start().len());
                let content = line.get(ind..).unwrap_or("").chars().count();
                if remaining <= content {
                    return Pos { line: node.pos.line + n, col: ind + 1 + remaining };
                }
                remaining -= content + 1;
            }
            node.pos
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_of_nodes_and_offsets() {
        let src =
            "- rule: a\n  condition: kind == exec and x\n- rule: b\n  condition: >\n    kind == exec\n    and bad\n";
        let docs = parse(src).unwrap();
        let items = docs[0].as_seq().unwrap();
        let cond = items[0].get("condition").unwrap();
        assert_eq!(cond.pos, Pos { line: 2, col: 14 });
        assert_eq!(locate(src, cond, 17), Pos { line: 2, col: 31 });
        let folded = items[1].get("condition").unwrap();
        assert_eq!(folded.as_str(), Some("kind == exec and bad\n"));
        assert_eq!(locate(src, folded, 17), Pos { line: 6, col: 9 });
        let quoted = parse("c: \"ab cd\"\n").unwrap();
        assert_eq!(locate("", quoted[0].get("c").unwrap(), 3), Pos { line: 1, col: 8 });
    }

    #[test]
    fn anchors_syntax_errors_and_json() {
        let docs = parse("m: 0o4755\nh: 0x10\nq: '0x10'\n").unwrap();
        assert_eq!(docs[0].to_json(), serde_json::json!({"m": 2541, "h": 16, "q": "0x10"}));
        let docs = parse("a: &x [1, two, 'three']\nb: *x\n").unwrap();
        assert_eq!(docs[0].get("b").unwrap().to_json(), serde_json::json!([1, "two", "three"]));
        let err = parse("a: [1, 2\nb: c\n").unwrap_err();
        assert!(err.pos.line >= 1, "{err:?}");
    }
}
