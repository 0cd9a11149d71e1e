//! `struct audit_status` (AUDIT_GET replies, AUDIT_SET requests): the
//! kernel audit switches (enabled, failure mode, daemon pid, rate and
//! backlog limits) and counters (lost records, current backlog).

/// `AUDIT_STATUS_*` mask bits of an AUDIT_SET request.
pub mod mask {
    pub const ENABLED: u32 = 0x0001;
    pub const PID: u32 = 0x0004;
    pub const BACKLOG_LIMIT: u32 = 0x0010;
}

/// The kernel's audit status (fields of `struct audit_status` in order).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AuditStatus {
    pub mask: u32,
    /// 0 off, 1 on, 2 on and locked (immutable until reboot).
    pub enabled: u32,
    /// What the kernel does when it must drop: 0 silent, 1 printk, 2 panic.
    pub failure: u32,
    /// The registered audit daemon's pid (0: none).
    pub pid: u32,
    /// Records per second before the kernel drops (0: no limit).
    pub rate_limit: u32,
    /// Records queued for the daemon before the kernel drops or waits.
    pub backlog_limit: u32,
    /// Records the kernel lost since boot.
    pub lost: u32,
    /// Records queued now.
    pub backlog: u32,
    /// Feature bitmap (AUDIT_GET) / version.
    pub feature_bitmap: u32,
    /// How long (jiffies) a task waits for backlog room.
    pub backlog_wait_time: u32,
}

/// Size of the ten words above (the kernel's struct has one more, newer,
/// field; it accepts shorter requests and we ignore the extra reply word).
pub const STATUS_LEN: usize = 40;

impl AuditStatus {
    /// Native-endian bytes for an AUDIT_SET request.
    pub fn to_bytes(&self) -> Vec<u8> {
        [
            self.mask,
            self.enabled,
            self.failure,
            self.pid,
            self.rate_limit,
            self.backlog_limit,
            self.lost,
            self.backlog,
            self.feature_bitmap,
            self.backlog_wait_time,
        ]
        .iter()
        .flat_map(|w| w.to_ne_bytes())
        .collect()
    }

    /// Decodes an AUDIT_GET reply; older kernels send fewer words, which
    /// read as 0.
    pub fn from_bytes(b: &[u8]) -> Option<AuditStatus> {
        if b.len() < 32 {
            return None;
        }
        let w = |i: usize| b.get(i * 4..i * 4 + 4).map(|s| u32::from_ne_bytes([s[0], s[1], s[2], s[3]])).unwrap_or(0);
        Some(AuditStatus {
            mask: w(0),
            enabled: w(1),
            failure: w(2),
            pid: w(3),
            rate_limit: w(4),
            backlog_limit: w(5),
            lost: w(6),
            backlog: w(7),
            feature_bitmap: w(8),
            backlog_wait_time: w(9),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_short() {
        let s = AuditStatus { mask: mask::PID, pid: 42, enabled: 1, lost: 7, ..Default::default() };
        let b = s.to_bytes();
        assert_eq!(b.len(), STATUS_LEN);
        assert_eq!(AuditStatus::from_bytes(&b), Some(s));
        assert_eq!(AuditStatus::from_bytes(&b[..31]), None);
        assert_eq!(AuditStatus::from_bytes(&b[..32]).map(|s| s.feature_bitmap), Some(0));
    }
}
