//! Request/reply over a NETLINK_AUDIT socket, and [`AuditControl`], the
//! read-only control view (status, rule list) that tests and tools use.
//!
//! The kernel answers a request with an ack (`NLMSG_ERROR`, errno 0) and,
//! for AUDIT_GET and AUDIT_LIST_RULES, reply messages sent afterwards from a
//! kernel thread (`audit_send_reply`), the list closed by `NLMSG_DONE`. Both
//! orders are accepted. Records that arrive on the same socket while a
//! request waits (only on the socket that registered as the audit daemon)
//! are kept in a bounded queue for the next `recv`; when it is full they are
//! dropped and counted.

use std::collections::VecDeque;
use std::io;
use std::time::{Duration, Instant};

use crate::error::AuditError;
use crate::netlink::{self, NlMessage, NlSocket, Read, NLMSG_DONE, NLMSG_ERROR, RECV_BUF};
use crate::rule::Rule;
use crate::status::{AuditStatus, STATUS_LEN};

pub const AUDIT_GET: u16 = 1000;
pub const AUDIT_SET: u16 = 1001;
pub const AUDIT_ADD_RULE: u16 = 1011;
pub const AUDIT_DEL_RULE: u16 = 1012;
pub const AUDIT_LIST_RULES: u16 = 1013;

/// How long a control request may take before it is an error.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(3);
/// Records kept while a request waits for its answer.
const PENDING_CAP: usize = 4096;

/// What a request waits for besides the ack.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    AckOnly,
    /// One reply message of this type.
    Reply(u16),
    /// Reply messages of this type until NLMSG_DONE.
    List(u16),
}

/// A socket plus its read buffer, the queue of records set aside during
/// requests, and the counters of what went wrong reading.
pub struct Channel {
    pub sock: NlSocket,
    buf: Vec<u8>,
    pub pending: VecDeque<NlMessage>,
    pub pending_dropped: u64,
    pub enobufs: u64,
    pub malformed: u64,
}

impl Channel {
    pub fn new(sock: NlSocket) -> Channel {
        Channel { sock, buf: vec![0; RECV_BUF], pending: VecDeque::new(), pending_dropped: 0, enobufs: 0, malformed: 0 }
    }

    /// Reads every datagram queued now (at most `max`) into `out`.
    pub fn drain(&mut self, max: usize, out: &mut Vec<NlMessage>) -> io::Result<()> {
        for _ in 0..max {
            match self.sock.read(&mut self.buf)? {
                Read::Datagram(n) => {
                    let datagram = self.buf.get(..n).unwrap_or_default();
                    if let Err(what) = netlink::split(datagram, out) {
                        self.malformed += 1;
                        tracing::debug!(%what, "malformed audit netlink datagram");
                    }
                }
                Read::NoBufs => {
                    self.enobufs += 1;
                    tracing::warn!(total = self.enobufs, "audit socket overflowed (ENOBUFS): records were lost");
                }
                Read::Nothing => break,
            }
        }
        Ok(())
    }

    /// Sends a request and collects its reply payloads.
    pub fn request(
        &mut self,
        op: &'static str,
        msg_type: u16,
        payload: &[u8],
        expect: Expect,
    ) -> Result<Vec<Vec<u8>>, AuditError> {
        let seq = self.sock.send(msg_type, payload).map_err(|source| AuditError::Io { op, source })?;
        let deadline = Instant::now() + REQUEST_TIMEOUT;
        let (mut acked, mut done) = (false, false);
        let mut replies = Vec::new();
        let mut batch = Vec::new();
        loop {
            let finished = acked
                && match expect {
                    Expect::AckOnly => true,
                    Expect::Reply(_) => !replies.is_empty(),
                    Expect::List(_) => done,
                };
            if finished {
                return Ok(replies);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(AuditError::Timeout { op, timeout_ms: REQUEST_TIMEOUT.as_millis() as u64 });
            }
            self.sock.wait(left).map_err(|source| AuditError::Io { op, source })?;
            batch.clear();
            self.drain(256, &mut batch).map_err(|source| AuditError::Io { op, source })?;
            for msg in batch.drain(..) {
                if msg.seq != seq || msg.msg_type >= 1100 {
                    self.set_aside(msg);
                    continue;
                }
                match msg.msg_type {
                    NLMSG_ERROR => match netlink::error_code(&msg.payload) {
                        Some(0) => acked = true,
                        Some(errno) => {
                            return Err(AuditError::Kernel { op, source: io::Error::from_raw_os_error(-errno) })
                        }
                        None => return Err(AuditError::Malformed { op, what: "short NLMSG_ERROR".into() }),
                    },
                    NLMSG_DONE => done = true,
                    t if Some(t) == reply_type(expect) => replies.push(msg.payload),
                    _ => {}
                }
            }
        }
    }

    fn set_aside(&mut self, msg: NlMessage) {
        if msg.msg_type < 1100 {
            return; // a stale answer to an earlier request
        }
        if self.pending.len() >= PENDING_CAP {
            self.pending_dropped += 1;
            return;
        }
        self.pending.push_back(msg);
    }

    pub fn get_status(&mut self) -> Result<AuditStatus, AuditError> {
        const OP: &str = "AUDIT_GET";
        let replies = self.request(OP, AUDIT_GET, &[], Expect::Reply(AUDIT_GET))?;
        replies
            .first()
            .and_then(|b| AuditStatus::from_bytes(b))
            .ok_or_else(|| AuditError::Malformed { op: OP, what: format!("status shorter than {STATUS_LEN} bytes") })
    }

    pub fn set_status(&mut self, op: &'static str, s: &AuditStatus) -> Result<(), AuditError> {
        self.request(op, AUDIT_SET, &s.to_bytes(), Expect::AckOnly).map(|_| ())
    }

    /// The raw `audit_rule_data` of every rule, in kernel order.
    pub fn list_rule_bytes(&mut self) -> Result<Vec<Vec<u8>>, AuditError> {
        self.request("AUDIT_LIST_RULES", AUDIT_LIST_RULES, &[], Expect::List(AUDIT_LIST_RULES))
    }
}

fn reply_type(expect: Expect) -> Option<u16> {
    match expect {
        Expect::AckOnly => None,
        Expect::Reply(t) | Expect::List(t) => Some(t),
    }
}

/// A read-only control connection: audit status and the rule list. Needs
/// CAP_AUDIT_CONTROL (root) in the initial namespaces.
pub struct AuditControl {
    channel: Channel,
}

impl AuditControl {
    pub fn open() -> Result<AuditControl, AuditError> {
        let sock = NlSocket::open(0).map_err(AuditError::Socket)?;
        Ok(AuditControl { channel: Channel::new(sock) })
    }

    /// AUDIT_GET.
    pub fn status(&mut self) -> Result<AuditStatus, AuditError> {
        self.channel.get_status()
    }

    /// AUDIT_LIST_RULES, decoded. A rule this crate cannot decode is an
    /// error (the raw form is in [`AuditControl::list_rule_bytes`]).
    pub fn list_rules(&mut self) -> Result<Vec<Rule>, AuditError> {
        self.list_rule_bytes()?
            .iter()
            .enumerate()
            .map(|(index, b)| Rule::from_bytes(b).map_err(|source| AuditError::Rule { index, source }))
            .collect()
    }

    /// AUDIT_LIST_RULES, raw.
    pub fn list_rule_bytes(&mut self) -> Result<Vec<Vec<u8>>, AuditError> {
        self.channel.list_rule_bytes()
    }
}
