//! `--since` / `--until` values: RFC 3339 (`2026-11-23T12:00:00Z`), Unix
//! seconds (`1795000000`), or an age (`30s`, `10m`, `2h`, `7d` ago).

/// Parses `text` into Unix nanoseconds, relative ages counted back from
/// `now_unix_ns`.
pub fn parse_time(text: &str, now_unix_ns: u64) -> Result<u64, String> {
    let text = text.trim();
    if let Some(unit) = text.chars().last().filter(|c| c.is_ascii_alphabetic()) {
        if let Ok(n) = text[..text.len() - 1].parse::<u64>() {
            let secs = match unit {
                's' => n,
                'm' => n * 60,
                'h' => n * 3600,
                'd' => n * 86_400,
                _ => return Err(format!("{text:?}: unknown unit {unit:?} (use s, m, h or d)")),
            };
            return Ok(now_unix_ns.saturating_sub(secs.saturating_mul(1_000_000_000)));
        }
    }
    if let Ok(secs) = text.parse::<u64>() {
        return Ok(secs.saturating_mul(1_000_000_000));
    }
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map(|t| t.unix_timestamp_nanos().max(0) as u64)
        .map_err(|_| format!("{text:?}: expected RFC 3339 (2026-11-23T12:00:00Z), Unix seconds, or an age like 10m"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_800_000_000_000_000_000;

    #[test]
    fn forms() {
        assert_eq!(parse_time("10m", NOW), Ok(NOW - 600_000_000_000));
        assert_eq!(parse_time("2d", NOW), Ok(NOW - 172_800_000_000_000));
        assert_eq!(parse_time("1795000000", NOW), Ok(1_795_000_000_000_000_000));
        assert_eq!(parse_time("1970-01-01T00:00:01.5Z", NOW), Ok(1_500_000_000));
        assert!(parse_time("10y", NOW).unwrap_err().contains("unknown unit"));
        assert!(parse_time("yesterday", NOW).unwrap_err().contains("RFC 3339"));
    }
}
