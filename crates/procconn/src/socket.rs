//! The NETLINK_CONNECTOR socket bound to the proc connector group: open,
//! send the listen/ignore op, wait with `poll`, read datagrams without
//! blocking (ENOBUFS reported as a value: the socket overflowed).

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::Duration;

use crate::wire::{self, CN_IDX_PROC};

/// What one read brought.
pub enum Read {
    Datagram(usize),
    Nothing,
    NoBufs,
}

pub struct CnSocket {
    fd: OwnedFd,
    portid: u32,
    seq: u32,
}

impl CnSocket {
    pub fn open() -> Result<CnSocket, crate::ProcConnError> {
        use crate::ProcConnError;
        // SAFETY: plain socket(2) call, result checked.
        let raw =
            unsafe { libc::socket(libc::AF_NETLINK, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, libc::NETLINK_CONNECTOR) };
        if raw < 0 {
            return Err(ProcConnError::Socket(io::Error::last_os_error()));
        }
        // SAFETY: `raw` is a fresh descriptor we own.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        // SAFETY: all-zero is a valid sockaddr_nl.
        let mut addr: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
        addr.nl_family = libc::AF_NETLINK as libc::sa_family_t;
        addr.nl_groups = CN_IDX_PROC;
        let len = std::mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t;
        // SAFETY: valid sockaddr_nl of `len` bytes.
        if unsafe { libc::bind(fd.as_raw_fd(), (&addr as *const libc::sockaddr_nl).cast(), len) } < 0 {
            return Err(ProcConnError::Bind(io::Error::last_os_error()));
        }
        let mut bound: libc::sockaddr_nl = addr;
        let mut blen = len;
        // SAFETY: getsockname into a valid sockaddr_nl.
        let rc = unsafe { libc::getsockname(fd.as_raw_fd(), (&mut bound as *mut libc::sockaddr_nl).cast(), &mut blen) };
        let portid = if rc == 0 { bound.nl_pid } else { 0 };
        Ok(CnSocket { fd, portid, seq: 0 })
    }

    /// Asks for a `bytes` receive buffer (SO_RCVBUFFORCE as root); returns
    /// what the kernel granted.
    pub fn set_rcvbuf(&self, bytes: usize) -> usize {
        let v = i32::try_from(bytes).unwrap_or(i32::MAX);
        for opt in [libc::SO_RCVBUFFORCE, libc::SO_RCVBUF] {
            // SAFETY: setsockopt with a valid int.
            let rc =
                unsafe { libc::setsockopt(self.fd.as_raw_fd(), libc::SOL_SOCKET, opt, (&v as *const i32).cast(), 4) };
            if rc == 0 {
                break;
            }
        }
        let mut got: i32 = 0;
        let mut len: libc::socklen_t = 4;
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

    /// Sends PROC_CN_MCAST_LISTEN or _IGNORE; returns the request's seq.
    pub fn send_op(&mut self, op: u32) -> io::Result<u32> {
        self.seq = self.seq.wrapping_add(1);
        let msg = wire::subscribe_request(op, self.seq, self.portid);
        // SAFETY: all-zero is a valid sockaddr_nl; pid 0 is the kernel.
        let mut dst: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
        dst.nl_family = libc::AF_NETLINK as libc::sa_family_t;
        loop {
            // SAFETY: `msg` and `dst` are valid for their lengths.
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
