//! The proc connector wire format, decoded from bytes (no casts of kernel
//! structs, so no alignment or size assumptions): a netlink header, a
//! `struct cn_msg` (`<linux/connector.h>`), then a `struct proc_event`
//! (`<linux/cn_proc.h>`).
//!
//! ```text
//! nlmsghdr   len u32 | type u16 | flags u16 | seq u32 | pid u32        16 bytes
//! cn_msg     idx u32 | val u32 | seq u32 | ack u32 | len u16 | flags u16 20 bytes
//! proc_event what u32 | cpu u32 | timestamp_ns u64 | event_data union
//! ```
//!
//! `cn_msg.seq` counts events per CPU (`proc_event.cpu`); a gap in it is an
//! event this socket lost. `timestamp_ns` is `ktime_get_ns()`:
//! CLOCK_MONOTONIC, which stops while the machine is suspended (see
//! [`crate::clock`]).

/// `CN_IDX_PROC` / `CN_VAL_PROC`: the proc connector's id.
pub const CN_IDX_PROC: u32 = 1;
pub const CN_VAL_PROC: u32 = 1;
/// `PROC_CN_MCAST_LISTEN` / `PROC_CN_MCAST_IGNORE`.
pub const MCAST_LISTEN: u32 = 1;
pub const MCAST_IGNORE: u32 = 2;

const NLMSG_HDRLEN: usize = 16;
const CN_MSG_LEN: usize = 20;
/// what + cpu + timestamp.
const EVENT_HEADER_LEN: usize = 16;

/// `enum what` values.
pub mod what {
    pub const NONE: u32 = 0x0000_0000;
    pub const FORK: u32 = 0x0000_0001;
    pub const EXEC: u32 = 0x0000_0002;
    pub const UID: u32 = 0x0000_0004;
    pub const GID: u32 = 0x0000_0040;
    pub const SID: u32 = 0x0000_0080;
    pub const PTRACE: u32 = 0x0000_0100;
    pub const COMM: u32 = 0x0000_0200;
    /// Only sent to listeners that asked for it with a filter (6.6+).
    pub const NONZERO_EXIT: u32 = 0x2000_0000;
    pub const COREDUMP: u32 = 0x4000_0000;
    pub const EXIT: u32 = 0x8000_0000;
}

/// One decoded `struct proc_event` payload. Pids are the kernel's
/// `pid` (thread id) and `tgid` (process id) pairs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProcEvent {
    /// Answer to our listen request; `err` is an errno.
    Ack {
        err: u32,
    },
    /// `parent_*` is the new task's `real_parent` (for a new thread: the
    /// process's parent, not the creating thread).
    Fork {
        parent_pid: u32,
        parent_tgid: u32,
        child_pid: u32,
        child_tgid: u32,
    },
    Exec {
        pid: u32,
        tgid: u32,
    },
    /// Credentials changed; real and effective uid after the change.
    Uid {
        pid: u32,
        tgid: u32,
        ruid: u32,
        euid: u32,
    },
    Gid {
        pid: u32,
        tgid: u32,
        rgid: u32,
        egid: u32,
    },
    Sid {
        pid: u32,
        tgid: u32,
    },
    /// `tracer_*` is 0 for a detach.
    Ptrace {
        pid: u32,
        tgid: u32,
        tracer_pid: u32,
        tracer_tgid: u32,
    },
    Comm {
        pid: u32,
        tgid: u32,
        comm: String,
    },
    Coredump {
        pid: u32,
        tgid: u32,
        parent_pid: u32,
        parent_tgid: u32,
    },
    /// A task (thread) ended; `exit_code` is a wait(2) status,
    /// `exit_signal` the signal sent to the parent (SIGCHLD), not the
    /// killing signal.
    Exit {
        pid: u32,
        tgid: u32,
        exit_code: u32,
        exit_signal: u32,
        parent_pid: u32,
        parent_tgid: u32,
        nonzero_only: bool,
    },
    Unknown {
        what: u32,
    },
}

/// One connector message: per-CPU sequence, CPU, monotonic time, event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub seq: u32,
    pub cpu: u32,
    pub timestamp_ns: u64,
    pub what: u32,
    pub event: ProcEvent,
}

/// Why a datagram could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("datagram of {0} bytes is shorter than its headers")]
    Short(usize),
    #[error("netlink length {claimed} does not fit the {have} bytes received")]
    BadLength { claimed: usize, have: usize },
    #[error("proc event {what:#x} needs {need} data bytes, has {have}")]
    ShortEvent { what: u32, need: usize, have: usize },
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at + 4).map(|s| u32::from_ne_bytes([s[0], s[1], s[2], s[3]]))
}

fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    b.get(at..at + 8).map(|s| u64::from_ne_bytes([s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]]))
}

/// Decodes every proc connector message of a datagram into `out`. Messages
/// of other connector ids are skipped; a malformed one ends the datagram
/// with an error (earlier messages stay in `out`).
pub fn decode(datagram: &[u8], out: &mut Vec<Message>) -> Result<(), DecodeError> {
    let mut at = 0usize;
    while at < datagram.len() {
        let nl = datagram.get(at..).unwrap_or_default();
        let len = u32_at(nl, 0).ok_or(DecodeError::Short(nl.len()))? as usize;
        if len < NLMSG_HDRLEN + CN_MSG_LEN || len > nl.len() {
            return Err(DecodeError::BadLength { claimed: len, have: nl.len() });
        }
        let msg = &nl[..len];
        let cn = &msg[NLMSG_HDRLEN..];
        let (idx, val) = (u32_at(cn, 0).unwrap_or(0), u32_at(cn, 4).unwrap_or(0));
        let seq = u32_at(cn, 8).unwrap_or(0);
        let data_len = cn.get(16..18).map(|b| u16::from_ne_bytes([b[0], b[1]]) as usize).unwrap_or(0);
        let data = cn.get(CN_MSG_LEN..).unwrap_or_default();
        if idx == CN_IDX_PROC && val == CN_VAL_PROC {
            let data = data.get(..data_len.min(data.len())).unwrap_or_default();
            out.push(decode_event(seq, data)?);
        }
        at += len.next_multiple_of(4);
    }
    Ok(())
}

fn decode_event(seq: u32, ev: &[u8]) -> Result<Message, DecodeError> {
    if ev.len() < EVENT_HEADER_LEN {
        return Err(DecodeError::Short(ev.len()));
    }
    let what = u32_at(ev, 0).unwrap_or(0);
    let cpu = u32_at(ev, 4).unwrap_or(0);
    let timestamp_ns = u64_at(ev, 8).unwrap_or(0);
    let d = &ev[EVENT_HEADER_LEN..];
    let need = |n: usize| -> Result<(), DecodeError> {
        if d.len() < n {
            Err(DecodeError::ShortEvent { what, need: n, have: d.len() })
        } else {
            Ok(())
        }
    };
    let w = |i: usize| u32_at(d, i * 4).unwrap_or(0);
    let event = match what {
        what::NONE => {
            need(4)?;
            ProcEvent::Ack { err: w(0) }
        }
        what::FORK => {
            need(16)?;
            ProcEvent::Fork { parent_pid: w(0), parent_tgid: w(1), child_pid: w(2), child_tgid: w(3) }
        }
        what::EXEC => {
            need(8)?;
            ProcEvent::Exec { pid: w(0), tgid: w(1) }
        }
        what::UID => {
            need(16)?;
            ProcEvent::Uid { pid: w(0), tgid: w(1), ruid: w(2), euid: w(3) }
        }
        what::GID => {
            need(16)?;
            ProcEvent::Gid { pid: w(0), tgid: w(1), rgid: w(2), egid: w(3) }
        }
        what::SID => {
            need(8)?;
            ProcEvent::Sid { pid: w(0), tgid: w(1) }
        }
        what::PTRACE => {
            need(16)?;
            ProcEvent::Ptrace { pid: w(0), tgid: w(1), tracer_pid: w(2), tracer_tgid: w(3) }
        }
        what::COMM => {
            need(24)?;
            let raw = &d[8..24];
            let end = raw.iter().position(|b| *b == 0).unwrap_or(raw.len());
            ProcEvent::Comm { pid: w(0), tgid: w(1), comm: String::from_utf8_lossy(&raw[..end]).into_owned() }
        }
        what::COREDUMP => {
            need(16)?;
            ProcEvent::Coredump { pid: w(0), tgid: w(1), parent_pid: w(2), parent_tgid: w(3) }
        }
        what::EXIT | what::NONZERO_EXIT => {
            // parent_* were added in 4.x; older kernels send 16 bytes.
            need(16)?;
            ProcEvent::Exit {
                pid: w(0),
                tgid: w(1),
                exit_code: w(2),
                exit_signal: w(3),
                parent_pid: w(4),
                parent_tgid: w(5),
                nonzero_only: what == what::NONZERO_EXIT,
            }
        }
        other => ProcEvent::Unknown { what: other },
    };
    Ok(Message { seq, cpu, timestamp_ns, what, event })
}

/// The listen/ignore request: netlink header + cn_msg + the u32 op.
pub fn subscribe_request(op: u32, seq: u32, portid: u32) -> Vec<u8> {
    let total = (NLMSG_HDRLEN + CN_MSG_LEN + 4) as u32;
    let mut v = Vec::with_capacity(total as usize);
    v.extend_from_slice(&total.to_ne_bytes());
    v.extend_from_slice(&3u16.to_ne_bytes()); // NLMSG_DONE, as the connector uses
    v.extend_from_slice(&0u16.to_ne_bytes());
    v.extend_from_slice(&seq.to_ne_bytes());
    v.extend_from_slice(&portid.to_ne_bytes());
    v.extend_from_slice(&CN_IDX_PROC.to_ne_bytes());
    v.extend_from_slice(&CN_VAL_PROC.to_ne_bytes());
    v.extend_from_slice(&seq.to_ne_bytes());
    v.extend_from_slice(&0u32.to_ne_bytes());
    v.extend_from_slice(&4u16.to_ne_bytes());
    v.extend_from_slice(&0u16.to_ne_bytes());
    v.extend_from_slice(&op.to_ne_bytes());
    v
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A datagram as the kernel builds it: cn_msg.len = sizeof(proc_event)
    /// = 40 (16 header + the 24-byte union).
    pub(crate) fn datagram(seq: u32, cpu: u32, what: u32, ts: u64, words: &[u32]) -> Vec<u8> {
        let mut ev = Vec::new();
        ev.extend_from_slice(&what.to_ne_bytes());
        ev.extend_from_slice(&cpu.to_ne_bytes());
        ev.extend_from_slice(&ts.to_ne_bytes());
        for w in words {
            ev.extend_from_slice(&w.to_ne_bytes());
        }
        ev.resize(40, 0);
        let mut v = Vec::new();
        let total = (16 + 20 + ev.len()) as u32;
        v.extend_from_slice(&total.to_ne_bytes());
        v.extend_from_slice(&3u16.to_ne_bytes());
        v.extend_from_slice(&0u16.to_ne_bytes());
        v.extend_from_slice(&seq.to_ne_bytes());
        v.extend_from_slice(&0u32.to_ne_bytes());
        v.extend_from_slice(&CN_IDX_PROC.to_ne_bytes());
        v.extend_from_slice(&CN_VAL_PROC.to_ne_bytes());
        v.extend_from_slice(&seq.to_ne_bytes());
        v.extend_from_slice(&0u32.to_ne_bytes());
        v.extend_from_slice(&(ev.len() as u16).to_ne_bytes());
        v.extend_from_slice(&0u16.to_ne_bytes());
        v.extend(ev);
        v
    }

    fn one(d: &[u8]) -> Message {
        let mut out = Vec::new();
        decode(d, &mut out).unwrap();
        assert_eq!(out.len(), 1);
        out.remove(0)
    }

    #[test]
    fn decodes_every_what() {
        let m = one(&datagram(7, 1, what::FORK, 99, &[10, 10, 12, 11]));
        assert_eq!((m.seq, m.cpu, m.timestamp_ns), (7, 1, 99));
        assert_eq!(m.event, ProcEvent::Fork { parent_pid: 10, parent_tgid: 10, child_pid: 12, child_tgid: 11 });
        assert_eq!(one(&datagram(0, 0, what::EXEC, 0, &[5, 5])).event, ProcEvent::Exec { pid: 5, tgid: 5 });
        assert_eq!(
            one(&datagram(0, 0, what::UID, 0, &[5, 5, 0, 1000])).event,
            ProcEvent::Uid { pid: 5, tgid: 5, ruid: 0, euid: 1000 }
        );
        assert_eq!(
            one(&datagram(0, 0, what::GID, 0, &[5, 5, 2, 3])).event,
            ProcEvent::Gid { pid: 5, tgid: 5, rgid: 2, egid: 3 }
        );
        assert_eq!(one(&datagram(0, 0, what::SID, 0, &[5, 5])).event, ProcEvent::Sid { pid: 5, tgid: 5 });
        assert_eq!(
            one(&datagram(0, 0, what::PTRACE, 0, &[5, 5, 9, 9])).event,
            ProcEvent::Ptrace { pid: 5, tgid: 5, tracer_pid: 9, tracer_tgid: 9 }
        );
        let comm = u32::from_ne_bytes(*b"bash");
        assert_eq!(
            one(&datagram(0, 0, what::COMM, 0, &[5, 5, comm, 0])).event,
            ProcEvent::Comm { pid: 5, tgid: 5, comm: "bash".into() }
        );
        assert_eq!(
            one(&datagram(0, 0, what::COREDUMP, 0, &[5, 5, 1, 1])).event,
            ProcEvent::Coredump { pid: 5, tgid: 5, parent_pid: 1, parent_tgid: 1 }
        );
        assert_eq!(
            one(&datagram(0, 0, what::EXIT, 0, &[5, 5, 0x300, 17, 1, 1])).event,
            ProcEvent::Exit {
                pid: 5,
                tgid: 5,
                exit_code: 0x300,
                exit_signal: 17,
                parent_pid: 1,
                parent_tgid: 1,
                nonzero_only: false
            }
        );
        assert_eq!(one(&datagram(0, u32::MAX, what::NONE, 0, &[0])).event, ProcEvent::Ack { err: 0 });
        assert_eq!(one(&datagram(0, 0, 0x400, 0, &[])).event, ProcEvent::Unknown { what: 0x400 });
    }

    #[test]
    fn short_and_foreign_messages() {
        let mut d = datagram(0, 0, what::EXIT, 0, &[]);
        // Claim a 4-byte event: too short for its header.
        d[16 + 16] = 4;
        let mut out = Vec::new();
        assert!(decode(&d, &mut out).is_err());
        let mut foreign = datagram(0, 0, what::EXEC, 0, &[1, 1]);
        foreign[16] = 9; // another connector index
        decode(&foreign, &mut out).unwrap();
        assert!(out.is_empty());
        assert!(matches!(decode(&[1, 2, 3], &mut out), Err(DecodeError::Short(3))));
    }

    #[test]
    fn subscribe_request_layout() {
        let r = subscribe_request(MCAST_LISTEN, 1, 77);
        assert_eq!(r.len(), 40);
        assert_eq!(u32_at(&r, 0), Some(40));
        assert_eq!(u32_at(&r, 16), Some(CN_IDX_PROC));
        assert_eq!(u32_at(&r, 36), Some(MCAST_LISTEN));
    }

    proptest::proptest! {
        #[test]
        fn decode_never_panics(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300)) {
            let mut out = Vec::new();
            let _ = decode(&bytes, &mut out);
        }

        #[test]
        fn decode_never_panics_on_framed_garbage(what in proptest::prelude::any::<u32>(), words in proptest::collection::vec(proptest::prelude::any::<u32>(), 0..6)) {
            let mut out = Vec::new();
            let _ = decode(&datagram(1, 0, what, 1, &words), &mut out);
        }
    }
}
