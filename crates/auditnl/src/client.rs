//! [`AuditClient`]: receives audit records, either as the registered audit
//! daemon ([`Mode::Own`]: we set the audit pid, enable auditing and install
//! our rules) or as a read-only listener on the AUDIT_NLGRP_READLOG
//! multicast group ([`Mode::Multicast`]: another daemon, usually auditd,
//! owns the pid and the rules).
//!
//! Own mode changes global kernel state, and undoes exactly its own changes
//! in [`AuditClient::close`] (or on drop): it deletes the rules it added
//! (not rules that were there before, even identical ones), unregisters the
//! audit pid (the kernel only lets the owner register when nobody else is
//! registered, so the previous pid was 0 or a dead daemon), and puts back the
//! enabled flag and backlog limit it raised. A process killed with SIGKILL
//! cannot undo anything: its rules stay (a later Own open finds them, keeps
//! them and leaves them in place) and the kernel drops the dead pid on its
//! next send. The kernel's "audit was ever enabled" latch cannot be undone:
//! tasks forked after the first enable carry an audit context until reboot.
//!
//! Two sockets are used: `events` receives records (it is the one registered
//! as the daemon, or subscribed to the group); `control` carries requests, so
//! that status queries never interleave with the record stream.

use std::time::{Duration, Instant};

use crate::control::{Channel, Expect, AUDIT_ADD_RULE, AUDIT_DEL_RULE};
use crate::error::AuditError;
use crate::netlink::{NlMessage, NlSocket};
use crate::rule::{panoptes_rules, Rule};
use crate::status::{mask, AuditStatus};

/// `AUDIT_NLGRP_READLOG` as a bind(2) group bit.
const READLOG_GROUP_BIT: u32 = 1;
/// `AUDIT_REPLACE`: the kernel probing whether the daemon is alive.
const AUDIT_REPLACE: u16 = 1329;

/// How to get records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Multicast when a live process already owns the audit pid, else Own.
    Auto,
    /// Read-only: subscribe to AUDIT_NLGRP_READLOG, change nothing.
    Multicast,
    /// Become the audit daemon and install the rules.
    Own,
}

/// What the client ended up doing (what [`Mode::Auto`] resolved to).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActiveMode {
    Multicast,
    Own,
}

/// Open options; [`Options::new`] gives the defaults for a mode.
#[derive(Debug, Clone)]
pub struct Options {
    pub mode: Mode,
    /// Rules installed in Own mode (default: [`panoptes_rules`]).
    pub rules: Vec<Rule>,
    /// Raise the kernel backlog limit to at least this in Own mode (the
    /// default of 64 stalls busy hosts); restored on close.
    pub backlog_limit: Option<u32>,
    /// Receive buffer asked for the events socket.
    pub rcvbuf_bytes: usize,
    /// Most datagrams one `recv` returns.
    pub batch_max: usize,
}

impl Options {
    pub fn new(mode: Mode) -> Result<Options, AuditError> {
        let rules = panoptes_rules().map_err(|source| AuditError::Rule { index: 0, source })?;
        Ok(Options { mode, rules, backlog_limit: Some(8192), rcvbuf_bytes: 8 << 20, batch_max: 4096 })
    }
}

/// One audit record as the kernel sent it; the text is not parsed here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditMessage {
    /// Record type (1300 SYSCALL, 1309 EXECVE, 1320 EOE, ...).
    pub msg_type: u16,
    /// `audit(<secs>.<millis>:<serial>): key=value ...`, trailing NULs cut.
    pub payload: Vec<u8>,
}

/// Counters since open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AuditStats {
    /// Records returned by `recv`.
    pub messages: u64,
    /// Payload bytes of those records.
    pub bytes: u64,
    /// ENOBUFS on the events socket: the kernel dropped records for us
    /// (multicast; unicast to the daemon blocks instead of dropping).
    pub enobufs: u64,
    /// Datagrams that did not frame as netlink messages.
    pub malformed: u64,
    /// Records dropped because the queue kept during control requests was
    /// full.
    pub pending_dropped: u64,
    /// Kernel `lost` counter at open and at the last status refresh (the
    /// kernel's own drops: backlog or rate limit exceeded, no memory).
    pub kernel_lost_at_open: u32,
    pub kernel_lost: u32,
    /// Kernel backlog at the last status refresh.
    pub kernel_backlog: u32,
    /// Own mode: rules we added, and rules that were already there.
    pub rules_added: u32,
    pub rules_preexisting: u32,
}

/// What Own mode changed, to undo it.
#[derive(Debug, Default)]
struct Changes {
    pid_registered: bool,
    enabled_was: Option<u32>,
    backlog_limit_was: Option<u32>,
    added_rules: Vec<Vec<u8>>,
}

/// A NETLINK_AUDIT client (see the module doc).
pub struct AuditClient {
    control: Channel,
    events: Channel,
    mode: ActiveMode,
    changes: Changes,
    stats: AuditStats,
    batch_max: usize,
    closed: bool,
}

impl AuditClient {
    /// Opens with the default options for `mode`.
    pub fn open(mode: Mode) -> Result<AuditClient, AuditError> {
        AuditClient::open_with(Options::new(mode)?)
    }

    pub fn open_with(opts: Options) -> Result<AuditClient, AuditError> {
        let mut control = Channel::new(NlSocket::open(0).map_err(AuditError::Socket)?);
        let status = control.get_status()?;
        let mode = match opts.mode {
            Mode::Multicast => ActiveMode::Multicast,
            Mode::Own => ActiveMode::Own,
            Mode::Auto if status.pid != 0 && process_alive(status.pid) => ActiveMode::Multicast,
            Mode::Auto => ActiveMode::Own,
        };
        let events_sock = match mode {
            ActiveMode::Multicast => NlSocket::open(READLOG_GROUP_BIT).map_err(AuditError::Multicast)?,
            ActiveMode::Own => NlSocket::open(0).map_err(AuditError::Socket)?,
        };
        let granted = events_sock.set_rcvbuf(opts.rcvbuf_bytes);
        let mut client = AuditClient {
            control,
            events: Channel::new(events_sock),
            mode,
            changes: Changes::default(),
            stats: AuditStats {
                kernel_lost_at_open: status.lost,
                kernel_lost: status.lost,
                kernel_backlog: status.backlog,
                ..Default::default()
            },
            batch_max: opts.batch_max.max(1),
            closed: mode == ActiveMode::Multicast,
        };
        tracing::info!(?mode, audit_pid = status.pid, enabled = status.enabled, rcvbuf = granted, "audit client open");
        if mode == ActiveMode::Own {
            if let Err(e) = client.take_ownership(&status, &opts) {
                if let Err(undo) = client.undo() {
                    tracing::warn!(error = %undo, "could not undo a partial audit setup");
                }
                client.closed = true;
                return Err(e);
            }
        }
        Ok(client)
    }

    fn take_ownership(&mut self, status: &AuditStatus, opts: &Options) -> Result<(), AuditError> {
        if status.enabled == 2 {
            return Err(AuditError::Locked);
        }
        let me = std::process::id();
        let register = AuditStatus { mask: mask::PID, pid: me, ..Default::default() };
        match self.events.set_status("AUDIT_SET pid", &register) {
            Ok(()) => self.changes.pid_registered = true,
            Err(AuditError::Kernel { source, .. }) if source.raw_os_error() == Some(libc::EEXIST) => {
                let pid = self.control.get_status().map(|s| s.pid).unwrap_or(status.pid);
                return Err(AuditError::AlreadyOwned { pid });
            }
            Err(e) => return Err(e),
        }
        if status.enabled == 0 {
            let on = AuditStatus { mask: mask::ENABLED, enabled: 1, ..Default::default() };
            self.control.set_status("AUDIT_SET enabled", &on)?;
            self.changes.enabled_was = Some(0);
        }
        if let Some(limit) = opts.backlog_limit.filter(|l| *l > status.backlog_limit) {
            let raise = AuditStatus { mask: mask::BACKLOG_LIMIT, backlog_limit: limit, ..Default::default() };
            self.control.set_status("AUDIT_SET backlog_limit", &raise)?;
            self.changes.backlog_limit_was = Some(status.backlog_limit);
        }
        let existing = self.control.list_rule_bytes()?;
        tracing::info!(rules = existing.len(), "keeping existing audit rules");
        for (index, rule) in opts.rules.iter().enumerate() {
            let bytes = rule.to_bytes().map_err(|source| AuditError::Rule { index, source })?;
            match self.control.request("AUDIT_ADD_RULE", AUDIT_ADD_RULE, &bytes, Expect::AckOnly) {
                Ok(_) => {
                    self.changes.added_rules.push(bytes);
                    self.stats.rules_added += 1;
                }
                Err(AuditError::Kernel { source, .. }) if source.raw_os_error() == Some(libc::EEXIST) => {
                    tracing::warn!(
                        index,
                        "audit rule already present (left by an earlier run?); kept, not ours to delete"
                    );
                    self.stats.rules_preexisting += 1;
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// What [`Mode::Auto`] resolved to.
    pub fn mode(&self) -> ActiveMode {
        self.mode
    }

    /// Waits up to `timeout` for records and returns every record queued
    /// (at most `batch_max` datagrams). An empty batch means the timeout
    /// passed. ENOBUFS is counted in [`AuditStats::enobufs`], not an error.
    pub fn recv(&mut self, timeout: Duration) -> Result<Vec<AuditMessage>, AuditError> {
        let mut raw: Vec<NlMessage> = self.events.pending.drain(..).collect();
        if raw.is_empty() {
            let start = Instant::now();
            // ENOBUFS wakes poll too; keep waiting out the timeout then.
            while raw.is_empty() {
                let left = timeout.saturating_sub(start.elapsed());
                let ready = self.events.sock.wait(left).map_err(|source| AuditError::Io { op: "poll", source })?;
                if ready {
                    self.events
                        .drain(self.batch_max, &mut raw)
                        .map_err(|source| AuditError::Io { op: "recv", source })?;
                }
                if !ready || left.is_zero() {
                    break;
                }
            }
        } else {
            self.events.drain(self.batch_max, &mut raw).map_err(|source| AuditError::Io { op: "recv", source })?;
        }
        let out: Vec<AuditMessage> = raw
            .into_iter()
            .filter(|m| m.msg_type >= 1100 && m.msg_type != AUDIT_REPLACE)
            .map(|m| AuditMessage { msg_type: m.msg_type, payload: m.payload })
            .collect();
        self.stats.messages += out.len() as u64;
        self.stats.bytes += out.iter().map(|m| m.payload.len() as u64).sum::<u64>();
        Ok(out)
    }

    /// Counters; kernel figures as of the last [`AuditClient::refresh_status`].
    pub fn stats(&self) -> AuditStats {
        AuditStats {
            enobufs: self.events.enobufs + self.control.enobufs,
            malformed: self.events.malformed + self.control.malformed,
            pending_dropped: self.events.pending_dropped,
            ..self.stats
        }
    }

    /// AUDIT_GET now; updates the kernel `lost` and backlog in the stats.
    pub fn refresh_status(&mut self) -> Result<AuditStatus, AuditError> {
        let s = self.control.get_status()?;
        self.stats.kernel_lost = s.lost;
        self.stats.kernel_backlog = s.backlog;
        Ok(s)
    }

    /// Undoes Own mode's changes (see the module doc). Every step is tried;
    /// the first failure is returned.
    pub fn close(mut self) -> Result<(), AuditError> {
        self.closed = true;
        self.undo()
    }

    fn undo(&mut self) -> Result<(), AuditError> {
        let mut first: Option<AuditError> = None;
        let mut note = |r: Result<(), AuditError>, what: &str| {
            if let Err(e) = r {
                tracing::warn!(error = %e, what, "audit restore step failed");
                first.get_or_insert(e);
            }
        };
        for bytes in std::mem::take(&mut self.changes.added_rules).iter().rev() {
            let r = self.control.request("AUDIT_DEL_RULE", AUDIT_DEL_RULE, bytes, Expect::AckOnly).map(|_| ());
            note(r, "delete rule");
        }
        if let Some(limit) = self.changes.backlog_limit_was.take() {
            let s = AuditStatus { mask: mask::BACKLOG_LIMIT, backlog_limit: limit, ..Default::default() };
            note(self.control.set_status("AUDIT_SET backlog_limit", &s), "restore backlog limit");
        }
        if let Some(enabled) = self.changes.enabled_was.take() {
            let s = AuditStatus { mask: mask::ENABLED, enabled, ..Default::default() };
            note(self.control.set_status("AUDIT_SET enabled", &s), "restore enabled");
        }
        if std::mem::take(&mut self.changes.pid_registered) {
            let s = AuditStatus { mask: mask::PID, pid: 0, ..Default::default() };
            note(self.control.set_status("AUDIT_SET pid", &s), "unregister audit pid");
        }
        match first {
            None => Ok(()),
            Some(e) => Err(e),
        }
    }
}

impl Drop for AuditClient {
    fn drop(&mut self) {
        if !self.closed {
            self.closed = true;
            if let Err(e) = self.undo() {
                tracing::warn!(error = %e, "audit state not fully restored on drop");
            }
        }
    }
}

/// Whether `/proc/<pid>` exists (a registered but dead daemon is replaced
/// by the kernel on the next AUDIT_SET).
fn process_alive(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}
