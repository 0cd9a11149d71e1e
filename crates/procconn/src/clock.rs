//! Clocks. The proc connector stamps events with `ktime_get_ns()`, which is
//! CLOCK_MONOTONIC: nanoseconds since boot *not counting time suspended*
//! (the header comment in `<linux/cn_proc.h>` says "since system boot",
//! which is only true on a machine that never slept). Panoptes events carry
//! CLOCK_BOOTTIME (`time_boot_ns`, which does count suspend) plus wall time.
//!
//! [`EventClock`] maps monotonic → boottime by the offset between the two
//! clocks read back to back (0 until the first suspend), then boottime →
//! Unix time with [`event::time::BootClock`]. Both offsets are re-read on
//! [`EventClock::refresh`] (every `recv`): a suspend or an NTP step between
//! an event and its conversion can skew that one event by the step.

use event::time::BootClock;

/// Monotonic → boottime → Unix time.
#[derive(Debug, Clone, Copy)]
pub struct EventClock {
    mono_to_boot_ns: i128,
    boot: BootClock,
}

fn now_ns(clock: libc::clockid_t) -> i128 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes one timespec we own.
    if unsafe { libc::clock_gettime(clock, &mut ts) } != 0 {
        return 0;
    }
    i128::from(ts.tv_sec) * 1_000_000_000 + i128::from(ts.tv_nsec)
}

impl EventClock {
    pub fn now() -> EventClock {
        // The smallest of three back-to-back differences is the one least
        // disturbed by preemption between the two reads.
        let offset = (0..3)
            .map(|_| {
                let mono = now_ns(libc::CLOCK_MONOTONIC);
                let boot = now_ns(libc::CLOCK_BOOTTIME);
                boot - mono
            })
            .min()
            .unwrap_or(0);
        EventClock { mono_to_boot_ns: offset.max(0), boot: BootClock::now() }
    }

    pub fn refresh(&mut self) {
        *self = EventClock::now();
    }

    /// CLOCK_BOOTTIME ns for a connector timestamp.
    pub fn boot_ns(&self, monotonic_ns: u64) -> u64 {
        u64::try_from(i128::from(monotonic_ns) + self.mono_to_boot_ns).unwrap_or(0)
    }

    /// Unix ns for a CLOCK_BOOTTIME stamp.
    pub fn unix_ns(&self, boot_ns: u64) -> u64 {
        self.boot.to_unix_ns(boot_ns)
    }

    #[cfg(test)]
    pub fn with_offset(mono_to_boot_ns: i128) -> EventClock {
        EventClock { mono_to_boot_ns, boot: BootClock::now() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monotonic_now_maps_to_boottime_now() {
        let c = EventClock::now();
        let mono = now_ns(libc::CLOCK_MONOTONIC) as u64;
        let boot = now_ns(libc::CLOCK_BOOTTIME) as u64;
        assert!(c.boot_ns(mono).abs_diff(boot) < 50_000_000);
        let sys = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64;
        assert!(c.unix_ns(c.boot_ns(mono)).abs_diff(sys) < 1_000_000_000);
    }

    #[test]
    fn offset_is_applied() {
        let c = EventClock::with_offset(5_000);
        assert_eq!(c.boot_ns(1_000), 6_000);
    }
}
