//! Time: RFC 3339 text with nanoseconds, and the offset that turns the
//! kernel's CLOCK_BOOTTIME stamps into wall-clock time.

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
    fn boot_clock_maps_now_to_now() {
        let clock = BootClock::now();
        let unix = clock.to_unix_ns(BootClock::boot_now_ns());
        let sys = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64;
        assert!(unix.abs_diff(sys) < 1_000_000_000, "{unix} vs {sys}");
    }
}
