//! The NETLINK_CONNECTOR socket bound to the proc connector group: open,
//! send the listen/ignore op, wait with `poll`, read datagrams without
//! blocking (ENOBUFS reported as a value: the socket overflowed).

use std::io;
use std::time::Duration;

use panoptes_netlink::{OpenError, RawSocket};

use crate::wire::{self, CN_IDX_PROC};

pub use panoptes_netlink::Read;

/// The connector socket: the shared raw netlink socket plus our request
/// sequence and port id (the connector's ops carry them).
pub struct CnSocket {
    raw: RawSocket,
    seq: u32,
}

impl CnSocket {
    pub fn open() -> Result<CnSocket, crate::ProcConnError> {
        use crate::ProcConnError;
        let raw = RawSocket::open(libc::SOCK_DGRAM, libc::NETLINK_CONNECTOR, CN_IDX_PROC).map_err(|e| match e {
            OpenError::Socket(e) => ProcConnError::Socket(e),
            OpenError::Bind(e) => ProcConnError::Bind(e),
        })?;
        Ok(CnSocket { raw, seq: 0 })
    }

    /// Asks for a `bytes` receive buffer; returns what the kernel granted.
    pub fn set_rcvbuf(&self, bytes: usize) -> usize {
        self.raw.set_rcvbuf(bytes)
    }

    /// Sends PROC_CN_MCAST_LISTEN or _IGNORE; returns the request's seq.
    pub fn send_op(&mut self, op: u32) -> io::Result<u32> {
        self.seq = self.seq.wrapping_add(1);
        let msg = wire::subscribe_request(op, self.seq, self.raw.portid());
        self.raw.send_to_kernel(&msg)?;
        Ok(self.seq)
    }

    pub fn wait(&self, timeout: Duration) -> io::Result<bool> {
        self.raw.wait(timeout)
    }

    pub fn read(&self, buf: &mut [u8]) -> io::Result<Read> {
        self.raw.read(buf)
    }
}
