//! Time: RFC 3339 text with nanoseconds (written and read back), and the
//! offset that turns the kernel's CLOCK_BOOTTIME stamps into wall-clock time.

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// `2026-11-23T12:00:00.123456789Z` for Unix nanoseconds.
pub fn rfc3339_nanos(unix_ns: u64) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(unix_ns))
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .map(|s| pad_nanos(&s))
        .unwrap_or_else(|| unix_ns.to_string())
}

/// The `time` crate drops trailing zeros of the fraction; fixed nine digits
/// sort and parse more easily.
fn pad_nanos(s: &str) -> String {
    let Some(body) = s.strip_suffix('Z') else { return s.to_string() };
    match body.split_once('.') {
        Some((secs, frac)) => format!("{secs}.{frac:0<9}Z"),
        None => format!("{body}.000000000Z"),
    }
}

/// Unix nanoseconds of an RFC 3339 time (`2026-11-23T12:00:00.123456789Z`,
/// any offset, 0 to 9 fractional digits). `None` for malformed text and for
/// times a `u64` of nanoseconds since 1970 cannot hold.
pub fn parse_rfc3339_nanos(text: &str) -> Option<u64> {
    if let Some(ns) = parse_own_form(text.as_bytes()) {
        return Some(ns);
    }
    let t = OffsetDateTime::parse(text, &Rfc3339).ok()?;
    u64::try_from(t.unix_timestamp_nanos()).ok()
}

/// The exact form [`rfc3339_nanos`] writes (`YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ`),
/// parsed without the general parser: replays read millions of these.
fn parse_own_form(b: &[u8]) -> Option<u64> {
    if b.len() != 30 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    if b[19] != b'.' || b[29] != b'Z' {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<u64> {
        b.get(range)?.iter().try_fold(0u64, |acc, c| c.is_ascii_digit().then(|| acc * 10 + u64::from(c - b'0')))
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second, nanos) = (num(11..13)?, num(14..16)?, num(17..19)?, num(20..29)?);
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_days = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let days_in_month = *month_days.get(usize::try_from(month).ok()?.checked_sub(1)?)?;
    if year < 1970 || day == 0 || day > days_in_month || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let secs = days.checked_mul(86_400)?.checked_add(hour * 3600 + minute * 60 + second)?;
    secs.checked_mul(1_000_000_000)?.checked_add(nanos)
}

/// Days since 1970-01-01 of a date on or after it (Howard Hinnant's
/// `days_from_civil`, restricted to years >= 1970).
fn days_from_civil(year: u64, month: u64, day: u64) -> u64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn clock_ns(clock: libc_clock::ClockId) -> u64 {
    libc_clock::now_ns(clock)
}

/// Maps CLOCK_BOOTTIME nanoseconds to Unix nanoseconds.
#[derive(Debug, Clone, Copy)]
pub struct BootClock {
    offset_ns: i128,
}

impl BootClock {
    /// Reads both clocks now. Call again now and then: NTP may step the wall
    /// clock.
    pub fn now() -> BootClock {
        let boot = clock_ns(libc_clock::ClockId::Boot);
        let real = clock_ns(libc_clock::ClockId::Real);
        BootClock { offset_ns: i128::from(real) - i128::from(boot) }
    }

    pub fn to_unix_ns(&self, boot_ns: u64) -> u64 {
        u64::try_from(i128::from(boot_ns) + self.offset_ns).unwrap_or(0)
    }

    /// The inverse, for sources that stamp wall-clock time (audit).
    pub fn to_boot_ns(&self, unix_ns: u64) -> u64 {
        u64::try_from(i128::from(unix_ns) - self.offset_ns).unwrap_or(0)
    }

    /// CLOCK_BOOTTIME now.
    pub fn boot_now_ns() -> u64 {
        clock_ns(libc_clock::ClockId::Boot)
    }
}

/// `clock_gettime` for CLOCK_BOOTTIME (std only exposes CLOCK_MONOTONIC and
/// the wall clock) and CLOCK_REALTIME, read back to back.
mod libc_clock {
    #[derive(Clone, Copy)]
    pub enum ClockId {
        Boot,
        Real,
    }

    #[repr(C)]
    struct Timespec {
        tv_sec: i64,
        tv_nsec: i64,
    }

    extern "C" {
        fn clock_gettime(clk: i32, tp: *mut Timespec) -> i32;
    }

    const CLOCK_REALTIME: i32 = 0;
    const CLOCK_BOOTTIME: i32 = 7;

    pub fn now_ns(clock: ClockId) -> u64 {
        let id = match clock {
            ClockId::Boot => CLOCK_BOOTTIME,
            ClockId::Real => CLOCK_REALTIME,
        };
        let mut ts = Timespec { tv_sec: 0, tv_nsec: 0 };
        // SAFETY: `ts` is a valid, writable timespec with the C layout.
        let rc = unsafe { clock_gettime(id, &mut ts) };
        if rc != 0 {
            return 0;
        }
        (ts.tv_sec as u64).saturating_mul(1_000_000_000).saturating_add(ts.tv_nsec as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_nine_digit_fraction() {
        assert_eq!(rfc3339_nanos(0), "1970-01-01T00:00:00.000000000Z");
        assert_eq!(rfc3339_nanos(1_500_000_000), "1970-01-01T00:00:01.500000000Z");
        assert_eq!(rfc3339_nanos(1_000_000_001), "1970-01-01T00:00:01.000000001Z");
    }

    #[test]
    fn parses_what_it_writes_and_other_rfc3339_forms() {
        for ns in [0, 1, 999_999_999, 1_500_000_000, 951_782_400_000_000_007, 1_795_000_000_000_000_123, u64::MAX] {
            assert_eq!(parse_rfc3339_nanos(&rfc3339_nanos(ns)), Some(ns), "{ns}");
        }
        assert_eq!(parse_rfc3339_nanos("1970-01-01T00:00:01.5Z"), Some(1_500_000_000));
        assert_eq!(parse_rfc3339_nanos("1970-01-01T01:00:01+01:00"), Some(1_000_000_000));
        for bad in [
            "",
            "yesterday",
            "1969-12-31T23:59:59.000000000Z",
            "2026-02-29T00:00:00.000000000Z",
            "2026-13-01T00:00:00Z",
        ] {
            assert_eq!(parse_rfc3339_nanos(bad), None, "{bad}");
        }
    }

    proptest::proptest! {
        #[test]
        fn own_form_agrees_with_the_general_parser(ns in 0u64..=u64::MAX) {
            let text = rfc3339_nanos(ns);
            let general = OffsetDateTime::parse(&text, &Rfc3339).ok().and_then(|t| u64::try_from(t.unix_timestamp_nanos()).ok());
            proptest::prop_assert_eq!(parse_own_form(text.as_bytes()), general);
            proptest::prop_assert_eq!(general, Some(ns));
        }
    }

    #[test]
    fn boot_clock_maps_now_to_now() {
        let clock = BootClock::now();
        let unix = clock.to_unix_ns(BootClock::boot_now_ns());
        let sys = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64;
        assert!(unix.abs_diff(sys) < 1_000_000_000, "{unix} vs {sys}");
    }
}
