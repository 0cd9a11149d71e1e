//! Condition text → syntax tree (docs/rules.md, "Conditions"). Every node
//! keeps the byte span it came from so the compiler can point at it.

use std::ops::Range;

/// A parse error at a byte span of the condition text.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntaxError {
    pub span: Range<usize>,
    pub message: String,
    pub hint: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    Contains,
    StartsWith,
    EndsWith,
    Glob,
    Regex,
    IEq,
    IIn,
    IContains,
    IStartsWith,
    IEndsWith,
    IGlob,
    Cidr,
}

impl Op {
    fn from_word(w: &str) -> Option<Op> {
        Some(match w {
            "==" | "=" => Op::Eq,
            "!=" => Op::Ne,
            "<" => Op::Lt,
            "<=" => Op::Le,
            ">" => Op::Gt,
            ">=" => Op::Ge,
            "in" => Op::In,
            "contains" => Op::Contains,
            "startswith" => Op::StartsWith,
            "endswith" => Op::EndsWith,
            "glob" => Op::Glob,
            "regex" => Op::Regex,
            "ieq" => Op::IEq,
            "iin" => Op::IIn,
            "icontains" => Op::IContains,
            "istartswith" => Op::IStartsWith,
            "iendswith" => Op::IEndsWith,
            "iglob" => Op::IGlob,
            "cidr" => Op::Cidr,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Op::Eq => "==",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::In => "in",
            Op::Contains => "contains",
            Op::StartsWith => "startswith",
            Op::EndsWith => "endswith",
            Op::Glob => "glob",
            Op::Regex => "regex",
            Op::IEq => "ieq",
            Op::IIn => "iin",
            Op::IContains => "icontains",
            Op::IStartsWith => "istartswith",
            Op::IEndsWith => "iendswith",
            Op::IGlob => "iglob",
            Op::Cidr => "cidr",
        }
    }
}

const OPERATORS: &str = "==, !=, <, <=, >, >=, in, contains, startswith, endswith, glob, regex, ieq, iin, icontains, istartswith, iendswith, iglob, cidr, exists";

/// One value as written.
#[derive(Debug, Clone, PartialEq)]
pub struct Val {
    pub text: String,
    pub quoted: bool,
    pub span: Range<usize>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Ast {
    And(Vec<Ast>),
    Or(Vec<Ast>),
    Not(Box<Ast>),
    /// A bare name: a macro.
    Name {
        name: String,
        span: Range<usize>,
    },
    Pred {
        field: String,
        field_span: Range<usize>,
        mask: Option<Val>,
        op: Op,
        values: Vec<Val>,
        list: bool,
    },
    Exists {
        field: String,
        field_span: Range<usize>,
    },
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    LParen,
    RParen,
    Comma,
    Word(String),
    Quoted(String),
}

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '[' | ']' | '-' | '$')
}

impl<'a> Lexer<'a> {
    fn next(&mut self) -> Result<Option<(Tok, Range<usize>)>, SyntaxError> {
        let rest = &self.src[self.pos..];
        let trimmed = rest.trim_start();
        self.pos += rest.len() - trimmed.len();
        let start = self.pos;
        let Some(c) = trimmed.chars().next() else { return Ok(None) };
        let tok = match c {
            '(' => {
                self.pos += 1;
                Tok::LParen
            }
            ')' => {
                self.pos += 1;
                Tok::RParen
            }
            ',' => {
                self.pos += 1;
                Tok::Comma
            }
            '"' | '\'' => {
                let mut out = String::new();
                let mut chars = trimmed.char_indices().skip(1);
                loop {
                    match chars.next() {
                        None => {
                            return Err(SyntaxError {
                                span: start..self.src.len(),
                                message: "unterminated string".into(),
                                hint: Some(format!("close it with {c}")),
                            })
                        }
                        Some((i, ch)) if ch == c => {
                            self.pos += i + 1;
                            break;
                        }
                        Some((_, '\\')) if c == '"' => match chars.next() {
                            Some((_, e @ ('"' | '\\'))) => out.push(e),
                            Some((_, e)) => {
                                out.push('\\');
                                out.push(e);
                            }
                            None => {}
                        },
                        Some((_, ch)) => out.push(ch),
                    }
                }
                Tok::Quoted(out)
            }
            '=' | '!' | '<' | '>' | '&' => {
                let two = trimmed.get(..2).unwrap_or("");
                let len = if matches!(two, "==" | "!=" | "<=" | ">=") { 2 } else { 1 };
                self.pos += len;
                Tok::Word(trimmed[..len].to_string())
            }
            _ => {
                let mut end = 0;
                let ident = c.is_ascii_alphabetic() || c == '$' || c == '_';
                for (i, ch) in trimmed.char_indices() {
                    if ch.is_whitespace() || matches!(ch, '(' | ')' | ',') {
                        break;
                    }
                    if ident && i > 0 && !is_ident_char(ch) && matches!(ch, '=' | '!' | '<' | '>' | '&') {
                        break;
                    }
                    end = i + ch.len_utf8();
                }
                self.pos += end;
                Tok::Word(trimmed[..end].to_string())
            }
        };
        Ok(Some((tok, start..self.pos)))
    }
}

/// Parses a condition.
pub fn parse(src: &str) -> Result<Ast, SyntaxError> {
    let mut lexer = Lexer { src, pos: 0 };
    let mut toks = Vec::new();
    while let Some(t) = lexer.next()? {
        toks.push(t);
    }
    let mut p = Parser { toks, i: 0, end: src.len() };
    if p.toks.is_empty() {
        return Err(SyntaxError { span: 0..0, message: "empty condition".into(), hint: None });
    }
    let ast = p.or()?;
    if let Some((_, span)) = p.toks.get(p.i) {
        return Err(SyntaxError {
            span: span.clone(),
            message: "unexpected text after the condition".into(),
            hint: Some("join conditions with `and` / `or`; quote values with spaces".into()),
        });
    }
    Ok(ast)
}

struct Parser {
    toks: Vec<(Tok, Range<usize>)>,
    i: usize,
    end: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.i).map(|(t, _)| t)
    }

    fn span(&self) -> Range<usize> {
        self.toks.get(self.i).map(|(_, s)| s.clone()).unwrap_or(self.end..self.end)
    }

    fn peek_word(&self, w: &str) -> bool {
        matches!(self.peek(), Some(Tok::Word(x)) if x == w)
    }

    fn err<T>(&self, message: impl Into<String>, hint: Option<&str>) -> Result<T, SyntaxError> {
        Err(SyntaxError { span: self.span(), message: message.into(), hint: hint.map(str::to_string) })
    }

    fn or(&mut self) -> Result<Ast, SyntaxError> {
        let mut parts = vec![self.and()?];
        while self.peek_word("or") {
            self.i += 1;
            parts.push(self.and()?);
        }
        Ok(if parts.len() == 1 { parts.remove(0) } else { Ast::Or(parts) })
    }

    fn and(&mut self) -> Result<Ast, SyntaxError> {
        let mut parts = vec![self.unary()?];
        while self.peek_word("and") {
            self.i += 1;
            parts.push(self.unary()?);
        }
        Ok(if parts.len() == 1 { parts.remove(0) } else { Ast::And(parts) })
    }

    fn unary(&mut self) -> Result<Ast, SyntaxError> {
        match self.peek().cloned() {
            Some(Tok::Word(w)) if w == "not" => {
                self.i += 1;
                Ok(Ast::Not(Box::new(self.unary()?)))
            }
            Some(Tok::LParen) => {
                self.i += 1;
                let inner = self.or()?;
                if self.peek() != Some(&Tok::RParen) {
                    return self.err("expected `)`", Some("parentheses must balance"));
                }
                self.i += 1;
                Ok(inner)
            }
            Some(Tok::Word(w))
                if !matches!(w.as_str(), "and" | "or" | ")") && !w.starts_with(['=', '!', '<', '>', '&']) =>
            {
                let field_span = self.span();
                self.i += 1;
                self.predicate(w, field_span)
            }
            None => self.err("the condition ends too early", Some("a field test or macro name is missing")),
            _ => self.err("expected a field test, a macro name, `not` or `(`", None),
        }
    }

    fn predicate(&mut self, field: String, field_span: Range<usize>) -> Result<Ast, SyntaxError> {
        let mut mask = None;
        if self.peek_word("&") {
            self.i += 1;
            mask = Some(self.scalar()?);
        }
        let op_word = match self.peek() {
            None | Some(Tok::RParen) => None,
            Some(Tok::Word(w)) if w == "and" || w == "or" => None,
            Some(Tok::Word(w)) => Some(w.clone()),
            _ => return self.err("expected an operator", Some(OPERATORS)),
        };
        let Some(op_word) = op_word else {
            if mask.is_some() {
                return self.err("expected an operator after the mask", Some("e.g. file.mode & 0o4000 != 0"));
            }
            return Ok(Ast::Name { name: field, span: field_span });
        };
        if op_word == "exists" {
            self.i += 1;
            return Ok(Ast::Exists { field, field_span });
        }
        let Some(op) = Op::from_word(&op_word) else {
            return self.err(format!("unknown operator `{op_word}`"), Some(OPERATORS));
        };
        self.i += 1;
        let (values, list) = if self.peek() == Some(&Tok::LParen) {
            self.i += 1;
            let mut values = vec![self.scalar()?];
            loop {
                match self.peek() {
                    Some(Tok::Comma) => {
                        self.i += 1;
                        values.push(self.scalar()?);
                    }
                    Some(Tok::RParen) => {
                        self.i += 1;
                        break;
                    }
                    _ => return self.err("expected `,` or `)` in the value list", None),
                }
            }
            (values, true)
        } else {
            (vec![self.scalar()?], false)
        };
        Ok(Ast::Pred { field, field_span, mask, op, values, list })
    }

    fn scalar(&mut self) -> Result<Val, SyntaxError> {
        let span = self.span();
        let (text, quoted) = match self.peek() {
            Some(Tok::Word(w)) => (w.clone(), false),
            Some(Tok::Quoted(q)) => (q.clone(), true),
            _ => return self.err("expected a value", Some("quote values that contain spaces, parentheses or commas")),
        };
        self.i += 1;
        Ok(Val { text, quoted, span })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(ast: &Ast) -> String {
        match ast {
            Ast::And(v) => format!("and({})", v.iter().map(names).collect::<Vec<_>>().join(",")),
            Ast::Or(v) => format!("or({})", v.iter().map(names).collect::<Vec<_>>().join(",")),
            Ast::Not(a) => format!("not({})", names(a)),
            Ast::Name { name, .. } => name.clone(),
            Ast::Pred { field, op, values, mask, .. } => format!(
                "{field}{}{}[{}]",
                mask.as_ref().map(|m| format!("&{}", m.text)).unwrap_or_default(),
                op.name(),
                values.iter().map(|v| v.text.as_str()).collect::<Vec<_>>().join("|")
            ),
            Ast::Exists { field, .. } => format!("{field}?"),
        }
    }

    #[test]
    fn precedence_lists_and_quotes() {
        let ast = parse(r#"a == 1 or not b and (c in (x, "y z", 'q\"')) and m"#).unwrap();
        assert_eq!(names(&ast), r#"or(a==[1],and(not(b),cin[x|y z|q\"],m))"#);
        let ast = parse("process.name==bash and file.mode & 0o4000 != 0 and x exists").unwrap();
        assert_eq!(names(&ast), "and(process.name==[bash],file.mode&0o4000!=[0],x?)");
        let ast = parse(r#"process.cmdline contains "a \"b\" \\c""#).unwrap();
        assert_eq!(names(&ast), r#"process.cmdlinecontains[a "b" \c]"#);
        assert_eq!(names(&parse("exec.argv[0] startswith /tmp/").unwrap()), "exec.argv[0]startswith[/tmp/]");
    }

    #[test]
    fn errors_point_at_the_problem() {
        let e = parse("kind == exec and").unwrap_err();
        assert_eq!(e.span, 16..16);
        let e = parse("kind === exec").unwrap_err();
        assert!(e.message.contains("unknown operator") || e.message.contains("expected"), "{e:?}");
        let e = parse("process.name likes bash").unwrap_err();
        assert_eq!(e.message, "unknown operator `likes`");
        assert_eq!(e.span, 13..18);
        let e = parse("(a == 1").unwrap_err();
        assert!(e.message.contains(")"));
        let e = parse("a in (1, 2").unwrap_err();
        assert!(e.message.contains("value list"));
        assert!(parse("a == \"open").unwrap_err().message.contains("unterminated"));
        assert!(parse("").is_err());
        assert!(parse("a == 1 b == 2").unwrap_err().message.contains("unexpected"));
    }

    proptest::proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,80}") {
            let _ = parse(&s);
        }
    }
}
