//! The Sigma `condition` language: a tokenizer and a recursive-descent
//! parser (precedence `not` > `and` > `or`) into [`Cond`], then
//! [`Cond::resolve`] expands `1 of X*` / `all of X*` / `them` against the
//! rule's search identifiers and rejects identifiers the rule does not have.
//! Aggregations (`| count() by …`) and `N of` for N > 1 are refused with a
//! reason rather than approximated.

use std::fmt;

/// Deepest nesting of `not` and parentheses accepted; deeper input is an
/// error, not a stack overflow.
const MAX_DEPTH: usize = 64;

/// Why a condition is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConditionError {
    #[error("empty condition")]
    Empty,
    #[error("unexpected `{token}` at column {column}")]
    Unexpected { token: String, column: usize },
    #[error("unexpected end of condition (expected {expected})")]
    UnexpectedEnd { expected: &'static str },
    #[error("aggregation (`| …`) at column {0} is not supported")]
    Aggregation(usize),
    #[error("`{0} of` is not supported (only `1 of` and `all of`)")]
    Quantifier(String),
    #[error("nested deeper than {MAX_DEPTH} levels")]
    TooDeep,
    #[error("unknown search identifier `{0}`")]
    UnknownIdentifier(String),
    #[error("`{0}` matches no search identifier")]
    NoMatch(String),
}

/// How many of a group of selections must match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quantifier {
    One,
    All,
}

/// A parsed condition. After [`Cond::resolve`] only `Ident`, `Not`, `And`
/// and `Or` remain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cond {
    Ident(String),
    Not(Box<Cond>),
    And(Vec<Cond>),
    Or(Vec<Cond>),
    /// `1 of pattern` / `all of pattern`; `pattern` is `them` or an
    /// identifier with `*` wildcards.
    Of(Quantifier, String),
}

impl fmt::Display for Quantifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Quantifier::One => "1",
            Quantifier::All => "all",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Open,
    Close,
    Word(String),
}

struct Spanned {
    token: Token,
    column: usize,
}

fn tokenize(text: &str) -> Result<Vec<Spanned>, ConditionError> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut at = 0;
    while let Some(&c) = chars.get(at) {
        let column = at + 1;
        match c {
            c if c.is_whitespace() => at += 1,
            '(' | ')' => {
                at += 1;
                tokens.push(Spanned { token: if c == '(' { Token::Open } else { Token::Close }, column });
            }
            '|' => return Err(ConditionError::Aggregation(column)),
            _ => {
                let end = chars[at..]
                    .iter()
                    .position(|c| c.is_whitespace() || matches!(c, '(' | ')' | '|'))
                    .map_or(chars.len(), |n| at + n);
                tokens.push(Spanned { token: Token::Word(chars[at..end].iter().collect()), column });
                at = end;
            }
        }
    }
    Ok(tokens)
}

struct Parser {
    tokens: Vec<Spanned>,
    next: usize,
    depth: usize,
}

fn is_keyword(word: &str, keyword: &str) -> bool {
    word.eq_ignore_ascii_case(keyword)
}

impl Parser {
    fn peek_word(&self, offset: usize) -> Option<&str> {
        match self.tokens.get(self.next + offset).map(|t| &t.token) {
            Some(Token::Word(w)) => Some(w),
            _ => None,
        }
    }

    fn unexpected(&self) -> ConditionError {
        match self.tokens.get(self.next) {
            Some(t) => ConditionError::Unexpected {
                token: match &t.token {
                    Token::Open => "(".to_string(),
                    Token::Close => ")".to_string(),
                    Token::Word(w) => w.clone(),
                },
                column: t.column,
            },
            None => ConditionError::UnexpectedEnd { expected: "a search identifier" },
        }
    }

    fn or(&mut self) -> Result<Cond, ConditionError> {
        let mut terms = vec![self.and()?];
        while self.peek_word(0).is_some_and(|w| is_keyword(w, "or")) {
            self.next += 1;
            terms.push(self.and()?);
        }
        Ok(if terms.len() == 1 { terms.remove(0) } else { Cond::Or(terms) })
    }

    fn and(&mut self) -> Result<Cond, ConditionError> {
        let mut terms = vec![self.unary()?];
        while self.peek_word(0).is_some_and(|w| is_keyword(w, "and")) {
            self.next += 1;
            terms.push(self.unary()?);
        }
        Ok(if terms.len() == 1 { terms.remove(0) } else { Cond::And(terms) })
    }

    fn unary(&mut self) -> Result<Cond, ConditionError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(ConditionError::TooDeep);
        }
        let cond = self.unary_inner();
        self.depth -= 1;
        cond
    }

    fn unary_inner(&mut self) -> Result<Cond, ConditionError> {
        let Some(spanned) = self.tokens.get(self.next) else {
            return Err(ConditionError::UnexpectedEnd { expected: "a search identifier" });
        };
        match &spanned.token {
            Token::Open => {
                self.next += 1;
                let inner = self.or()?;
                match self.tokens.get(self.next).map(|t| &t.token) {
                    Some(Token::Close) => {
                        self.next += 1;
                        Ok(inner)
                    }
                    Some(_) => Err(self.unexpected()),
                    None => Err(ConditionError::UnexpectedEnd { expected: "`)`" }),
                }
            }
            Token::Close => Err(self.unexpected()),
            Token::Word(word) => {
                let word = word.clone();
                if is_keyword(&word, "not") {
                    self.next += 1;
                    return Ok(Cond::Not(Box::new(self.unary()?)));
                }
                if self.peek_word(1).is_some_and(|w| is_keyword(w, "of")) {
                    let quantifier = if word == "1" || is_keyword(&word, "any") {
                        Quantifier::One
                    } else if is_keyword(&word, "all") {
                        Quantifier::All
                    } else {
                        return Err(ConditionError::Quantifier(word));
                    };
                    self.next += 2;
                    return match self.peek_word(0) {
                        Some(pattern) if !is_reserved(pattern) => {
                            let pattern = pattern.to_string();
                            self.next += 1;
                            Ok(Cond::Of(quantifier, pattern))
                        }
                        Some(_) => Err(self.unexpected()),
                        None if self.next < self.tokens.len() => Err(self.unexpected()),
                        None => Err(ConditionError::UnexpectedEnd { expected: "a pattern after `of`" }),
                    };
                }
                if is_reserved(&word) {
                    return Err(self.unexpected());
                }
                self.next += 1;
                Ok(Cond::Ident(word))
            }
        }
    }
}

fn is_reserved(word: &str) -> bool {
    ["and", "or", "not", "of"].iter().any(|k| is_keyword(word, k))
}

/// Parses a condition string.
pub fn parse(text: &str) -> Result<Cond, ConditionError> {
    let tokens = tokenize(text)?;
    if tokens.is_empty() {
        return Err(ConditionError::Empty);
    }
    let mut parser = Parser { tokens, next: 0, depth: 0 };
    let cond = parser.or()?;
    if parser.next < parser.tokens.len() {
        return Err(parser.unexpected());
    }
    Ok(cond)
}

/// `*` matches any run of characters; everything else is literal.
fn pattern_matches(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == name;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !name.starts_with(first) || name.len() < first.len() + last.len() || !name.ends_with(last) {
        return false;
    }
    let mut rest = &name[first.len()..name.len() - last.len()];
    for middle in &parts[1..parts.len() - 1] {
        match rest.find(middle) {
            Some(at) => rest = &rest[at + middle.len()..],
            None => return false,
        }
    }
    true
}

impl Cond {
    /// Expands quantifiers against `identifiers` (the rule's search
    /// identifiers, in rule order) and checks every identifier exists.
    pub fn resolve(&self, identifiers: &[String]) -> Result<Cond, ConditionError> {
        Ok(match self {
            Cond::Ident(name) => {
                if !identifiers.contains(name) {
                    return Err(ConditionError::UnknownIdentifier(name.clone()));
                }
                Cond::Ident(name.clone())
            }
            Cond::Not(inner) => Cond::Not(Box::new(inner.resolve(identifiers)?)),
            Cond::And(terms) => Cond::And(terms.iter().map(|t| t.resolve(identifiers)).collect::<Result<_, _>>()?),
            Cond::Or(terms) => Cond::Or(terms.iter().map(|t| t.resolve(identifiers)).collect::<Result<_, _>>()?),
            Cond::Of(quantifier, pattern) => {
                let them = is_keyword(pattern, "them");
                let mut matched: Vec<Cond> = identifiers
                    .iter()
                    .filter(|id| if them { !id.starts_with('_') } else { pattern_matches(pattern, id) })
                    .map(|id| Cond::Ident(id.clone()))
                    .collect();
                match matched.len() {
                    0 => return Err(ConditionError::NoMatch(format!("{quantifier} of {pattern}"))),
                    1 => matched.remove(0),
                    _ if *quantifier == Quantifier::One => Cond::Or(matched),
                    _ => Cond::And(matched),
                }
            }
        })
    }

    /// Every identifier named, in first-use order (after [`Cond::resolve`]).
    pub fn identifiers(&self) -> Vec<String> {
        fn walk(cond: &Cond, out: &mut Vec<String>) {
            match cond {
                Cond::Ident(name) if !out.contains(name) => out.push(name.clone()),
                Cond::Ident(_) | Cond::Of(..) => {}
                Cond::Not(inner) => walk(inner, out),
                Cond::And(terms) | Cond::Or(terms) => terms.iter().for_each(|t| walk(t, out)),
            }
        }
        let mut out = Vec::new();
        walk(self, &mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(name: &str) -> Cond {
        Cond::Ident(name.to_string())
    }

    fn ids(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    #[test]
    fn precedence_not_over_and_over_or() {
        let cond = parse("a or not b and c").unwrap();
        assert_eq!(cond, Cond::Or(vec![id("a"), Cond::And(vec![Cond::Not(Box::new(id("b"))), id("c")])]));
    }

    #[test]
    fn parentheses_override_precedence() {
        let cond = parse("selection_execve and (keywords_truncate or (keywords_dd and not keywords_filter))").unwrap();
        assert_eq!(
            cond,
            Cond::And(vec![
                id("selection_execve"),
                Cond::Or(vec![
                    id("keywords_truncate"),
                    Cond::And(vec![id("keywords_dd"), Cond::Not(Box::new(id("keywords_filter")))]),
                ]),
            ])
        );
    }

    #[test]
    fn quantifiers_expand_in_rule_order() {
        let names = ids(&["selection", "filter_main_a", "filter_optional_b", "filter_main_c"]);
        let cond = parse("selection and not 1 of filter_main_*").unwrap().resolve(&names).unwrap();
        assert_eq!(
            cond,
            Cond::And(vec![
                id("selection"),
                Cond::Not(Box::new(Cond::Or(vec![id("filter_main_a"), id("filter_main_c")])))
            ])
        );
        let all = parse("all of filter*").unwrap().resolve(&names).unwrap();
        assert_eq!(all, Cond::And(vec![id("filter_main_a"), id("filter_optional_b"), id("filter_main_c")]));
        let single = parse("1 of sel*").unwrap().resolve(&names).unwrap();
        assert_eq!(single, id("selection"));
    }

    #[test]
    fn them_skips_underscore_identifiers() {
        let names = ids(&["a", "_hidden", "b"]);
        assert_eq!(parse("1 of them").unwrap().resolve(&names).unwrap(), Cond::Or(vec![id("a"), id("b")]));
        assert_eq!(parse("all of them").unwrap().resolve(&names).unwrap(), Cond::And(vec![id("a"), id("b")]));
    }

    #[test]
    fn keywords_are_case_insensitive_and_identifiers_may_look_like_words() {
        let names = ids(&["a1", "falsepositives", "filter"]);
        let cond = parse("a1 AND NOT falsepositives or filter").unwrap().resolve(&names).unwrap();
        assert_eq!(
            cond,
            Cond::Or(vec![Cond::And(vec![id("a1"), Cond::Not(Box::new(id("falsepositives")))]), id("filter")])
        );
    }

    #[test]
    fn pattern_wildcards() {
        assert!(pattern_matches("selection_*", "selection_img"));
        assert!(pattern_matches("selection*", "selection"));
        assert!(pattern_matches("*_cli_*", "selection_cli_x"));
        assert!(!pattern_matches("selection_*", "selection"));
        assert!(!pattern_matches("a*b*c", "acb"));
        assert!(pattern_matches("a*b*c", "axbyc"));
    }

    #[test]
    fn errors() {
        assert_eq!(parse(""), Err(ConditionError::Empty));
        assert_eq!(parse("   "), Err(ConditionError::Empty));
        assert_eq!(parse("a and"), Err(ConditionError::UnexpectedEnd { expected: "a search identifier" }));
        assert_eq!(parse("(a or b"), Err(ConditionError::UnexpectedEnd { expected: "`)`" }));
        assert_eq!(parse("a b"), Err(ConditionError::Unexpected { token: "b".into(), column: 3 }));
        assert_eq!(parse("a )"), Err(ConditionError::Unexpected { token: ")".into(), column: 3 }));
        assert_eq!(parse("and a"), Err(ConditionError::Unexpected { token: "and".into(), column: 1 }));
        assert_eq!(parse("selection | count() > 5"), Err(ConditionError::Aggregation(11)));
        assert_eq!(parse("2 of sel*"), Err(ConditionError::Quantifier("2".into())));
        assert_eq!(parse("1 of"), Err(ConditionError::UnexpectedEnd { expected: "a pattern after `of`" }));
        assert_eq!(parse(&"(".repeat(200)), Err(ConditionError::TooDeep));
        assert_eq!(parse(&"not ".repeat(200)), Err(ConditionError::TooDeep));
        let names = ids(&["selection"]);
        assert_eq!(
            parse("selection and not filter").unwrap().resolve(&names),
            Err(ConditionError::UnknownIdentifier("filter".into()))
        );
        assert_eq!(
            parse("1 of filter_*").unwrap().resolve(&names),
            Err(ConditionError::NoMatch("1 of filter_*".into()))
        );
    }

    #[test]
    fn identifiers_in_first_use_order() {
        let cond = parse("b and (a or b) and not c").unwrap();
        assert_eq!(cond.identifiers(), ids(&["b", "a", "c"]));
    }
}
