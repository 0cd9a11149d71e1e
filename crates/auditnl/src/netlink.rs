//! The raw NETLINK_AUDIT socket: open and bind, send one request, wait with
//! `poll`, read datagrams, and split them into messages.
//!
//! Framing has one kernel quirk: records unicast to the audit daemon carry
//! `nlmsg_len` = payload length (without the 16-byte header), multicast
//! copies carry the real length. Every record travels in its own datagram,
//! so record payloads are taken from the datagram size, never from
//! `nlmsg_len`; only control replies (types below 1100, `NLMSG_*`) are split
//! by `nlmsg_len`.

use std::io;
use std::time::Duration;

use panoptes_netlink::{OpenError, RawSocket};

pub const NLMSG_HDRLEN: usize = 16;
pub const NLMSG_ERROR: u16 = 2;
pub const NLMSG_DONE: u16 = 3;
/// First audit record type (user messages); control messages are below.
const FIRST_RECORD_TYPE: u16 = 1100;
const NLM_F_REQUEST: u16 = 1;
const NLM_F_ACK: u16 = 4;
/// Largest datagram the kernel sends (`MAX_AUDIT_MESSAGE_LENGTH` 8970 and
/// rule replies of up to ~1 KiB + strings), with room to spare.
pub const RECV_BUF: usize = 64 * 1024;

/// One netlink message: header fields and the payload bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NlMessage {
    pub msg_type: u16,
    pub flags: u16,
    pub seq: u32,
    pub payload: Vec<u8>,
}

pub use panoptes_netlink::Read;

/// A NETLINK_AUDIT socket: requests get a sequence number and ask for an
/// ack; reading and waiting are the shared raw socket's.
pub struct NlSocket {
    raw: RawSocket,
    seq: u32,
}

impl NlSocket {
    /// Opens a NETLINK_AUDIT socket joined to `groups` (0: none).
    pub fn open(groups: u32) -> io::Result<NlSocket> {
        let raw = RawSocket::open(libc::SOCK_RAW, libc::NETLINK_AUDIT, groups).map_err(|e| match e {
            OpenError::Socket(e) | OpenError::Bind(e) => e,
        })?;
        Ok(NlSocket { raw, seq: 0 })
    }

    /// Asks for a `bytes` receive buffer; returns what the kernel granted.
    pub fn set_rcvbuf(&self, bytes: usize) -> usize {
        self.raw.set_rcvbuf(bytes)
    }

    /// Sends one request of `msg_type` with `payload`; returns its seq.
    pub fn send(&mut self, msg_type: u16, payload: &[u8]) -> io::Result<u32> {
        self.seq = self.seq.wrapping_add(1).max(1);
        let mut msg = Vec::with_capacity(NLMSG_HDRLEN + payload.len() + 3);
        let len = (NLMSG_HDRLEN + payload.len()) as u32;
        msg.extend_from_slice(&len.to_ne_bytes());
        msg.extend_from_slice(&msg_type.to_ne_bytes());
        msg.extend_from_slice(&(NLM_F_REQUEST | NLM_F_ACK).to_ne_bytes());
        msg.extend_from_slice(&self.seq.to_ne_bytes());
        msg.extend_from_slice(&0u32.to_ne_bytes());
        msg.extend_from_slice(payload);
        msg.resize(msg.len().next_multiple_of(4), 0);
        self.raw.send_to_kernel(&msg)?;
        Ok(self.seq)
    }

    /// Waits up to `timeout` for the socket to become readable.
    pub fn wait(&self, timeout: Duration) -> io::Result<bool> {
        self.raw.wait(timeout)
    }

    /// Reads one datagram without blocking.
    pub fn read(&self, buf: &mut [u8]) -> io::Result<Read> {
        self.raw.read(buf)
    }
}

/// Splits a datagram into messages. `Err` names what was malformed; the
/// messages before the bad one are still returned in `out`.
pub fn split(datagram: &[u8], out: &mut Vec<NlMessage>) -> Result<(), String> {
    let mut at = 0usize;
    while at + NLMSG_HDRLEN <= datagram.len() {
        let h = &datagram[at..at + NLMSG_HDRLEN];
        let len = u32::from_ne_bytes([h[0], h[1], h[2], h[3]]) as usize;
        let msg_type = u16::from_ne_bytes([h[4], h[5]]);
        let flags = u16::from_ne_bytes([h[6], h[7]]);
        let seq = u32::from_ne_bytes([h[8], h[9], h[10], h[11]]);
        if msg_type >= FIRST_RECORD_TYPE {
            // A record: alone in its datagram, length from the datagram.
            let mut payload = datagram[at + NLMSG_HDRLEN..].to_vec();
            while payload.last() == Some(&0) {
                payload.pop();
            }
            out.push(NlMessage { msg_type, flags, seq, payload });
            return Ok(());
        }
        if len < NLMSG_HDRLEN || at + len > datagram.len() {
            return Err(format!("message type {msg_type} claims {len} bytes, {} left", datagram.len() - at));
        }
        out.push(NlMessage { msg_type, flags, seq, payload: datagram[at + NLMSG_HDRLEN..at + len].to_vec() });
        at += len.next_multiple_of(4);
    }
    Ok(())
}

/// The errno of an `NLMSG_ERROR` payload (0 for an ack).
pub fn error_code(payload: &[u8]) -> Option<i32> {
    payload.get(0..4).map(|b| i32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(len: u32, ty: u16, seq: u32) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&len.to_ne_bytes());
        v.extend_from_slice(&ty.to_ne_bytes());
        v.extend_from_slice(&0u16.to_ne_bytes());
        v.extend_from_slice(&seq.to_ne_bytes());
        v.extend_from_slice(&0u32.to_ne_bytes());
        v
    }

    #[test]
    fn unicast_record_length_comes_from_the_datagram() {
        let text = b"audit(1.2:3): pid=1";
        // auditd quirk: nlmsg_len is the payload length only.
        let mut d = header(text.len() as u32, 1300, 0);
        d.extend_from_slice(text);
        let mut out = Vec::new();
        split(&d, &mut out).unwrap();
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].payload, text);
    }

    #[test]
    fn control_messages_split_by_length() {
        let mut d = header(20, NLMSG_ERROR, 7);
        d.extend_from_slice(&0i32.to_ne_bytes());
        d.extend(header(16, NLMSG_DONE, 7));
        let mut out = Vec::new();
        split(&d, &mut out).unwrap();
        assert_eq!(out.iter().map(|m| m.msg_type).collect::<Vec<_>>(), vec![NLMSG_ERROR, NLMSG_DONE]);
        assert_eq!(error_code(&out[0].payload), Some(0));
    }

    #[test]
    fn bad_length_is_an_error_not_a_panic() {
        let d = header(4000, NLMSG_ERROR, 1);
        let mut out = Vec::new();
        assert!(split(&d, &mut out).is_err());
        assert!(split(&d[..5], &mut out).is_ok());
    }

    proptest::proptest! {
        #[test]
        fn split_never_panics(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200)) {
            let mut out = Vec::new();
            let _ = split(&bytes, &mut out);
        }
    }
}
