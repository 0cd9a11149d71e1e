//! The one raw netlink socket the audit client (`crates/auditnl`) and the
//! proc connector (`crates/procconn`) both use: open and bind to a protocol
//! and multicast groups, size the receive buffer, send to the kernel, wait
//! with `poll`, read one datagram without blocking. Message formats stay
//! with their users; ENOBUFS (the socket overflowed) is a value, not an
//! error, because callers count it as loss.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::Duration;

/// What one read brought.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Read {
    /// A datagram of this many bytes.
    Datagram(usize),
    /// Nothing waiting.
    Nothing,
    /// The kernel dropped messages: the receive buffer overflowed.
    NoBufs,
}

/// Which step of opening failed.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("netlink socket: {0}")]
    Socket(io::Error),
    #[error("netlink bind: {0}")]
    Bind(io::Error),
}

/// A bound AF_NETLINK socket.
pub struct RawSocket {
    fd: OwnedFd,
    portid: u32,
}

fn sockaddr(groups: u32) -> libc::sockaddr_nl {
    // SAFETY: all-zero is a valid sockaddr_nl (pid 0 is the kernel).
    let mut addr: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
    addr.nl_family = libc::AF_NETLINK as libc::sa_family_t;
    addr.nl_groups = groups;
    addr
}

const ADDR_LEN: libc::socklen_t = std::mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t;

impl RawSocket {
    /// `sock_type` is `SOCK_RAW` or `SOCK_DGRAM`, `protocol` a `NETLINK_*`
    /// family, `groups` the multicast groups to join (0 for none).
    pub fn open(sock_type: i32, protocol: i32, groups: u32) -> Result<RawSocket, OpenError> {
        // SAFETY: plain socket(2) call, result checked.
        let raw = unsafe { libc::socket(libc::AF_NETLINK, sock_type | libc::SOCK_CLOEXEC, protocol) };
        if raw < 0 {
            return Err(OpenError::Socket(io::Error::last_os_error()));
        }
        // SAFETY: `raw` is a fresh descriptor we own.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        let addr = sockaddr(groups);
        // SAFETY: a valid sockaddr_nl of ADDR_LEN bytes.
        if unsafe { libc::bind(fd.as_raw_fd(), (&addr as *const libc::sockaddr_nl).cast(), ADDR_LEN) } < 0 {
            return Err(OpenError::Bind(io::Error::last_os_error()));
        }
        let mut bound = addr;
        let mut len = ADDR_LEN;
        // SAFETY: getsockname into a valid sockaddr_nl.
        let rc = unsafe { libc::getsockname(fd.as_raw_fd(), (&mut bound as *mut libc::sockaddr_nl).cast(), &mut len) };
        Ok(RawSocket { fd, portid: if rc == 0 { bound.nl_pid } else { 0 } })
    }

    /// The port id the kernel gave this socket.
    pub fn portid(&self) -> u32 {
        self.portid
    }

    /// Asks for a `bytes` receive buffer (SO_RCVBUFFORCE as root, else
    /// SO_RCVBUF); returns what the kernel granted.
    pub fn set_rcvbuf(&self, bytes: usize) -> usize {
        let v = i32::try_from(bytes).unwrap_or(i32::MAX);
        let int_len = std::mem::size_of::<i32>() as libc::socklen_t;
        for opt in [libc::SO_RCVBUFFORCE, libc::SO_RCVBUF] {
            // SAFETY: setsockopt with a valid int.
            let rc = unsafe {
                libc::setsockopt(self.fd.as_raw_fd(), libc::SOL_SOCKET, opt, (&v as *const i32).cast(), int_len)
            };
            if rc == 0 {
                break;
            }
        }
        let mut got: i32 = 0;
        let mut len = int_len;
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

    /// Sends one datagram (a complete netlink message) to the kernel.
    pub fn send_to_kernel(&self, msg: &[u8]) -> io::Result<()> {
        let dst = sockaddr(0);
        loop {
            // SAFETY: `msg` and `dst` are valid for their lengths.
            let rc = unsafe {
                libc::sendto(
                    self.fd.as_raw_fd(),
                    msg.as_ptr().cast(),
                    msg.len(),
                    0,
                    (&dst as *const libc::sockaddr_nl).cast(),
                    ADDR_LEN,
                )
            };
            if rc >= 0 {
                return Ok(());
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

impl AsRawFd for RawSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_socket_opens_and_reads_nothing() {
        // NETLINK_ROUTE needs no privileges.
        let s = RawSocket::open(libc::SOCK_RAW, libc::NETLINK_ROUTE, 0).unwrap();
        assert!(s.portid() > 0);
        assert!(s.set_rcvbuf(1 << 20) > 0);
        assert!(!s.wait(Duration::from_millis(10)).unwrap());
        let mut buf = [0u8; 64];
        assert_eq!(s.read(&mut buf).unwrap(), Read::Nothing);
    }

    #[test]
    fn bad_protocol_is_a_socket_error() {
        assert!(matches!(RawSocket::open(libc::SOCK_RAW, 9999, 0), Err(OpenError::Socket(_))));
    }
}
