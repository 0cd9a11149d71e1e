//! Sigma string values and how they are written in a Panoptes condition.
//!
//! Sigma values are case-insensitive strings with two wildcards: `*` (any
//! run) and `?` (one character); `\*`, `\?` and `\\` are the literal
//! characters, and a backslash before anything else is itself literal
//! (`'\n'` is a backslash and an `n`). A value is parsed into [`Piece`]s,
//! then written either as a quoted literal (no wildcard) or as a Panoptes
//! glob. In a glob the characters the Panoptes glob treats specially
//! (`*`, `?`, `[`, `]`, and `\`, its escape) and, to be safe with
//! brace-expanding glob engines, `{` and `}` are written as one-character
//! classes (`[[]`, `[*]`, `[\]`, …); everything else is literal.
//!
//! Every value is emitted in double quotes with `\"` and `\\` escaped, the
//! only escapes inside a Panoptes double-quoted string.

/// One part of a Sigma value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Literal(char),
    /// `*`: any run of characters.
    AnyRun,
    /// `?`: exactly one character.
    AnyChar,
}

/// Where a value must occur in the field (the Sigma modifier).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    /// No modifier: the whole field.
    Exact,
    Contains,
    StartsWith,
    EndsWith,
}

/// Splits a Sigma value into literal characters and wildcards.
pub fn pieces(value: &str) -> Vec<Piece> {
    let mut out = Vec::with_capacity(value.len());
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.peek() {
                Some(&next @ ('*' | '?' | '\\')) => {
                    chars.next();
                    out.push(Piece::Literal(next));
                }
                _ => out.push(Piece::Literal('\\')),
            },
            '*' => out.push(Piece::AnyRun),
            '?' => out.push(Piece::AnyChar),
            c => out.push(Piece::Literal(c)),
        }
    }
    out
}

/// True when the value has an unescaped `*` or `?`.
pub fn has_wildcard(pieces: &[Piece]) -> bool {
    pieces.iter().any(|p| !matches!(p, Piece::Literal(_)))
}

/// The literal text of a value without wildcards.
pub fn literal(pieces: &[Piece]) -> String {
    pieces
        .iter()
        .map(|p| match p {
            Piece::Literal(c) => *c,
            Piece::AnyRun => '*',
            Piece::AnyChar => '?',
        })
        .collect()
}

/// The Panoptes glob for a value with wildcards under `anchor`:
/// contains `*v*`, startswith `v*`, endswith `*v`, exact `v`. Runs of `*`
/// collapse into one.
pub fn glob(pieces: &[Piece], anchor: Anchor) -> String {
    let mut all = Vec::with_capacity(pieces.len() + 2);
    if matches!(anchor, Anchor::Contains | Anchor::EndsWith) {
        all.push(&Piece::AnyRun);
    }
    all.extend(pieces.iter());
    if matches!(anchor, Anchor::Contains | Anchor::StartsWith) {
        all.push(&Piece::AnyRun);
    }
    let mut out = String::new();
    let mut last_was_run = false;
    for piece in all {
        match piece {
            Piece::AnyRun if last_was_run => continue,
            Piece::AnyRun => out.push('*'),
            Piece::AnyChar => out.push('?'),
            Piece::Literal(c @ ('*' | '?' | '[' | ']' | '{' | '}' | '\\')) => {
                out.push('[');
                out.push(*c);
                out.push(']');
            }
            Piece::Literal(c) => out.push(*c),
        }
        last_was_run = matches!(piece, Piece::AnyRun);
    }
    out
}

/// `text` as a Panoptes double-quoted string.
pub fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        if matches!(c, '"' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// A control character cannot be written inside a Panoptes string.
pub fn control_char(text: &str) -> Option<char> {
    text.chars().find(|c| c.is_control())
}

/// Checks a CIDR network (`10.0.0.0/8`, `fc00::/7`).
pub fn valid_cidr(text: &str) -> bool {
    let Some((addr, len)) = text.split_once('/') else {
        return false;
    };
    let Ok(len) = len.parse::<u8>() else {
        return false;
    };
    match addr.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(_)) => len <= 32,
        Ok(std::net::IpAddr::V6(_)) => len <= 128,
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_follow_sigma() {
        assert_eq!(pieces(r"a\*b"), vec![Piece::Literal('a'), Piece::Literal('*'), Piece::Literal('b')]);
        assert_eq!(pieces(r"\?"), vec![Piece::Literal('?')]);
        assert_eq!(pieces(r"\\*"), vec![Piece::Literal('\\'), Piece::AnyRun]);
        assert_eq!(pieces(r"x\n"), vec![Piece::Literal('x'), Piece::Literal('\\'), Piece::Literal('n')]);
        assert_eq!(pieces("a\\"), vec![Piece::Literal('a'), Piece::Literal('\\')]);
        assert_eq!(pieces("a?*"), vec![Piece::Literal('a'), Piece::AnyChar, Piece::AnyRun]);
        assert!(!has_wildcard(&pieces(r"no \* wildcard \?")));
        assert!(has_wildcard(&pieces("one?")));
        assert_eq!(literal(&pieces(r"echo -e '#!/bin/bash\nbash")), r"echo -e '#!/bin/bash\nbash");
        assert_eq!(literal(&pieces(r"\*\\")), r"*\");
    }

    #[test]
    fn globs_by_anchor() {
        let p = pieces("/home/*/public_html/");
        assert_eq!(glob(&p, Anchor::StartsWith), "/home/*/public_html/*");
        assert_eq!(glob(&p, Anchor::Contains), "*/home/*/public_html/*");
        assert_eq!(glob(&p, Anchor::EndsWith), "*/home/*/public_html/");
        assert_eq!(glob(&p, Anchor::Exact), "/home/*/public_html/");
        assert_eq!(glob(&pieces("*echo binary >>*"), Anchor::Contains), "*echo binary >>*");
        assert_eq!(glob(&pieces("sed -i /^*"), Anchor::StartsWith), "sed -i /^*");
    }

    #[test]
    fn glob_escapes_metacharacters_in_literals() {
        assert_eq!(glob(&pieces(r"[x]*\*\?{a}"), Anchor::Exact), "[[]x[]]*[*][?][{]a[}]");
        assert_eq!(glob(&pieces(r"a\b*"), Anchor::Exact), r"a[\]b*");
    }

    #[test]
    fn quoting_escapes_quotes_and_backslashes() {
        assert_eq!(quote("plain"), "\"plain\"");
        assert_eq!(quote(r#"say "hi" \n"#), r#""say \"hi\" \\n""#);
        assert_eq!(quote(""), "\"\"");
        assert_eq!(control_char("a\tb"), Some('\t'));
        assert_eq!(control_char("ümlaut"), None);
    }

    #[test]
    fn cidr_validation() {
        assert!(valid_cidr("10.0.0.0/8") && valid_cidr("fc00::/7") && valid_cidr("::1/128"));
        assert!(!valid_cidr("10.0.0.0/33") && !valid_cidr("10.0.0.0") && !valid_cidr("x/8") && !valid_cidr("::/129"));
    }
}
