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
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::Duration;

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

/// What one read brought.
pub enum Read {
    /// A datagram of this many bytes is in the buffer.
    Datagram(usize),
    /// Nothing arrived before the timeout (or nothing queued, non-blocking).
    Nothing,
    /// The socket's receive queue overflowed: records were dropped.
    NoBufs,
}

/// A bound NETLINK_AUDIT socket.
pub struct NlSocket {
    fd: OwnedFd,
    seq: u32,
}

impl NlSocket {
    /// Opens a socket bound to `groups` (0 for unicast only, 1 for
    /// AUDIT_NLGRP_READLOG).
    pub fn open(groups: u32) -> io::Result<NlSocket> {
        // SAFETY: plain socket(2) call; the result is checked before use.
        let raw = unsafe { libc::socket(libc::AF_NETLINK, libc::SOCK_RAW | libc::SOCK_CLOEXEC, libc::NETLINK_AUDIT) };
        if raw < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `raw` is a fresh descriptor we own.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        // SAFETY: all-zero is a valid sockaddr_nl.
        let mut addr: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
        addr.nl_family = libc::AF_NETLINK as libc::sa_family_t;
        addr.nl_groups = groups;
        // SAFETY: `addr` is a valid sockaddr_nl of the given size.
        let rc = unsafe {
            libc::bind(
                fd.as_raw_fd(),
                (&addr as *const libc::sockaddr_nl).cast(),
                std::mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t,
            )
        };
        if rc < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(NlSocket { fd, seq: 0 })
    }

    /// Asks for a `bytes` receive buffer (SO_RCVBUFFORCE as root, else
    /// SO_RCVBUF up to rmem_max). Returns the size the kernel granted.
    pub fn set_rcvbuf(&self, bytes: usize) -> usize {
        let v = i32::try_from(bytes).unwrap_or(i32::MAX);
        for opt in [libc::SO_RCVBUFFORCE, libc::SO_RCVBUF] {
            // SAFETY: setsockopt with a valid int option value.
            let rc = unsafe {
                libc::setsockopt(
                    self.fd.as_raw_fd(),
                    libc::SOL_SOCKET,
                    opt,
                    (&v as *const i32).cast(),
                    std::mem::size_of::<i32>() as libc::socklen_t,
                )
            };
            if rc == 0 {
                break;
            }
        }
        let mut got: i32 = 0;
        let mut len = std::mem::size_of::<i32>() as libc::socklen_t;
        // SAFETY: getsockopt into a valid int.
        let rc = unsafe {
            libc::getsockopt(
                self.fd.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_RCVBUF,
                (&mut got as *mut i32).cast(),
                &mut len,
            )
        };
        if rc == 0 {
            got.max(0) as usize
        } else {
            0
        }
    }

    /// Sends one request (`NLM_F_REQUEST | NLM_F_ACK`) to the kernel;
    /// returns its sequence number.
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
        // SAFETY: all-zero is a valid sockaddr_nl; pid 0 is the kernel.
        let mut dst: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
        dst.nl_family = libc::AF_NETLINK as libc::sa_family_t;
        loop {
            // SAFETY: `msg` and `dst` are valid for the given lengths.
            let rc = unsafe {
                libc::sendto(
                    self.fd.as_raw_fd(),
                    msg.as_ptr().cast(),
                    msg.len(),
                    0,
                    (&dst as *const libc::sockaddr_nl).cast(),
                    std::mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t,
                )
            };
            if rc >= 0 {
                return Ok(self.seq);
            }
            let err = io::Error::last_os_error();
            if err.kind() != io::ErrorKind::Interrupted {
                return Err(err);
            }
        }
    }

    /// Waits up to `timeout` for the socket to become readable.
    pub fn wait(&self, timeout: Duration) -> io::Result<bool> {
        let mut pfd = libc::pollfd { fd: self.fd.as_raw_fd(), events: libc::POLLIN, revents: 0 };
        let ms = i32::try_from(timeout.as_millis()).unwrap_or(i32::MAX);
        // SAFETY: one valid pollfd.
        let rc = unsafe { libc::poll(&mut pfd, 1, ms) };
        if rc < 0 {
            let err = io::Error::last_os_error();
            return if err.kind() == io::ErrorKind::Interrupted { Ok(false) } else { Err(err) };
        }
        Ok(rc > 0)
    }

    /// Reads one datagram without blocking.
    pub fn read(&self, buf: &mut [u8]) -> io::Result<Read> {
        loop {
            // SAFETY: `buf` is valid for writes of its length.
            let n = unsafe { libc::recv(self.fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), libc::MSG_DONTWAIT) };
            if n >= 0 {
                return Ok(Read::Datagram(n as usize));
            }
            let err = io::Error::last_os_error();
            match err.raw_os_error() {
                Some(libc::EINTR) => continue,
                Some(libc::EAGAIN) => return Ok(Read::Nothing),
                Some(libc::ENOBUFS) => return Ok(Read::NoBufs),
                _ => return Err(err),
            }
        }
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
