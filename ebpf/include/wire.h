/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * wire.h — the one definition of every record the kernel side hands to user
 * space, and of the maps user space writes to steer it.
 *
 * Every record is a `struct pn_record` written to the `events` ring buffer:
 * a common header, six numeric arguments whose meaning depends on the kind
 * (documented per kind below), up to five blobs (strings, argv, sockaddrs,
 * paths) and the blob bytes. Only the used prefix of `data` is submitted, so
 * records are variable-length: `hdr.size` is the number of bytes submitted.
 *
 * The Rust mirror lives in crates/sensor/src/wire.rs; its build script
 * compiles a probe of this header with the host C compiler and asserts every
 * size and offset, so the two can never drift apart silently.
 *
 * Kind numbers are grouped by family and never renumbered: a retired kind
 * leaves a hole.
 */
#ifndef PANOPTES_WIRE_H
#define PANOPTES_WIRE_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define PN_COMM_LEN 16
#define PN_NUM_ARGS 6
#define PN_NUM_BLOBS 6
/* Logical budget for all blobs of one record. A blob starts only while the
 * used length is below this; it may run past it into the slack. */
#define PN_DATA_LEN 8192
#define PN_DATA_MASK (PN_DATA_LEN - 1)
/* Largest single blob (one string, argv, or one path). */
#define PN_STR_MAX 4096
/* Physical data size: budget + slack for the last blob. */
#define PN_DATA_CAP (PN_DATA_LEN + PN_STR_MAX)
/* argv (and environment) byte cap at exec. */
#define PN_ARGV_MAX 4096
/* cgroup path components (kernfs nodes) walked for EXEC blob 4. */
#define PN_CGROUP_DEPTH 12
/* Path components walked when resolving a dentry to a path. */
#define PN_PATH_DEPTH 32
/* Bytes of one path component (NAME_MAX + NUL). */
#define PN_NAME_MAX 256
/* Raw sockaddr bytes copied (sizeof(struct sockaddr_un) = 110). */
#define PN_SOCKADDR_MAX 128
/* Size of the kinds space, for per-kind drop counters and the kinds mask. */
#define PN_MAX_KINDS 64
/* The reader is woken once 1/PN_WAKEUP_FRACTION of the ring buffer is
 * waiting; below that it picks records up on its poll timer (PN_POLL_MS). */
#define PN_WAKEUP_FRACTION 8
#define PN_POLL_MS 20
/* Watch-list key bytes (LPM trie). */
#define PN_WATCH_LEN 128

/* Record kinds. Families: 1-9 process, 10-19 file, 20-29 network,
 * 30-49 security. */
enum pn_kind {
	PN_KIND_EXEC = 1,
	PN_KIND_FORK = 2,
	PN_KIND_EXIT = 3,

	PN_KIND_OPEN = 10,
	PN_KIND_RENAME = 11,
	PN_KIND_UNLINK = 12,
	PN_KIND_CHMOD = 13,
	PN_KIND_CHOWN = 14,

	PN_KIND_CONNECT = 20,
	PN_KIND_BIND = 21,
	PN_KIND_LISTEN = 22,
	PN_KIND_ACCEPT = 23,

	PN_KIND_PTRACE = 30,
	PN_KIND_MODULE = 31,
	PN_KIND_MEMFD = 32,
	PN_KIND_SETID = 33,
	PN_KIND_CAPSET = 34,
	PN_KIND_MOUNT = 35,
	PN_KIND_UMOUNT = 36,
	PN_KIND_UNSHARE = 37,
	PN_KIND_SETNS = 38,
	PN_KIND_BPF = 39,
	PN_KIND_KILL = 40,
};

/* Which syscall (or variant) produced a record: `hdr.op`. */
enum pn_op {
	PN_OP_NONE = 0,
	/* exec */
	PN_OP_EXECVE = 1,
	PN_OP_EXECVEAT = 2,
	/* open */
	PN_OP_OPEN = 10,
	PN_OP_OPENAT = 11,
	PN_OP_OPENAT2 = 12,
	PN_OP_CREAT = 13,
	/* rename */
	PN_OP_RENAME = 20,
	PN_OP_RENAMEAT = 21,
	PN_OP_RENAMEAT2 = 22,
	/* unlink */
	PN_OP_UNLINK = 30,
	PN_OP_UNLINKAT = 31,
	PN_OP_RMDIR = 32,
	/* chmod */
	PN_OP_CHMOD = 40,
	PN_OP_FCHMOD = 41,
	PN_OP_FCHMODAT = 42,
	PN_OP_FCHMODAT2 = 43,
	/* chown */
	PN_OP_CHOWN = 50,
	PN_OP_LCHOWN = 51,
	PN_OP_FCHOWN = 52,
	PN_OP_FCHOWNAT = 53,
	/* accept */
	PN_OP_ACCEPT = 60,
	PN_OP_ACCEPT4 = 61,
	/* module */
	PN_OP_INIT_MODULE = 70,
	PN_OP_FINIT_MODULE = 71,
	/* setid */
	PN_OP_SETUID = 80,
	PN_OP_SETGID = 81,
	PN_OP_SETREUID = 82,
	PN_OP_SETREGID = 83,
	PN_OP_SETRESUID = 84,
	PN_OP_SETRESGID = 85,
	/* kill */
	PN_OP_KILL = 90,
	PN_OP_TKILL = 91,
	PN_OP_TGKILL = 92,
};

/* Blob flags. */
#define PN_BLOB_PRESENT 0x1
#define PN_BLOB_TRUNCATED 0x2
/* Path components NUL-separated, leaf first: user space reverses and joins
 * them with '/'. Set on paths the kernel resolved from a dentry. */
#define PN_BLOB_PATH_REVERSED 0x4
/* The blob could not be read (fault): present but empty. */
#define PN_BLOB_FAULT 0x8

/* Why an open was reported: `args[5]` of PN_KIND_OPEN. */
#define PN_OPEN_WHY_WRITE 0x1
#define PN_OPEN_WHY_WATCHED 0x2
#define PN_OPEN_WHY_FORENSICS 0x4

struct pn_header {
	__u16 kind;	/* enum pn_kind */
	__u16 op;	/* enum pn_op */
	__u32 size;	/* bytes submitted, header included */
	__u64 time_boot_ns;	/* bpf_ktime_get_boot_ns() at the event */
	__u64 start_boot_ns;	/* thread group leader's start_boottime */
	__u64 cgroup_id;	/* bpf_get_current_cgroup_id() (v2 hierarchy) */
	__s64 ret;	/* syscall result; 0 when there is none */
	__u32 pid;	/* tgid */
	__u32 tid;
	__u32 ppid;	/* real_parent's tgid */
	__u32 uid;
	__u32 gid;
	__u32 euid;
	__u32 egid;
	__u32 _pad;
	char comm[PN_COMM_LEN];
};

struct pn_blob {
	__u16 off;	/* into data[] */
	__u16 len;	/* bytes, without a terminating NUL */
	__u16 flags;	/* PN_BLOB_* */
	__u16 _pad;
};

/*
 * Per-kind meaning of args[] and blobs[] (unused ones are zero / absent):
 *
 * EXEC   args: 0 inode nlink (0 = deleted), 1 inode number, 2 s_magic of the
 *              file's superblock, 3 s_dev, 4 PN_EXEC_* flags, 5 descriptors
 *              0-2: 16 bits each from bit 0 (low 4 bits S_IFMT >> 12, 0 =
 *              closed; high 12 bits the char device's major or the
 *              socket's family) and PN_EXEC_STDIO_KNOWN
 *        blobs: 0 filename as passed, 1 executed file (PATH_REVERSED; a
 *               memfd shows as "memfd:NAME"), 2 argv (NUL-separated),
 *               3 cwd (PATH_REVERSED), 4 cgroup path (PATH_REVERSED): the
 *               cgroup v2 path, or the v1 memory controller's when the
 *               process sits at the v2 root (v1 / hybrid hosts),
 *               5 environment (NUL-separated, cut at PN_ARGV_MAX - 1 bytes;
 *               user space keeps only a few variables)
 *        ret: 0 from sched_process_exec; < 0 from sys_exit_execve* on failure
 *             (then blob 0 comes from the user pointer and 1 is absent)
 * FORK   hdr = parent. args: 0 child tgid, 1 child tid, 2 1 if thread,
 *        3 child start_boottime
 * EXIT   hdr = exiting process (only when the whole thread group is dead).
 *        args: 0 wait status (exit code << 8 | signal)
 * OPEN   args: 0 flags, 1 mode, 2 dirfd, 3 resolve (openat2), 5 PN_OPEN_WHY_*
 *        blobs: 0 path as passed, 1 opened file (PATH_REVERSED, ret >= 0),
 *               2 base dir when the path is relative (PATH_REVERSED)
 * RENAME args: 0 old dirfd, 1 new dirfd, 2 flags
 *        blobs: 0 old path, 1 new path, 2 old base dir, 3 new base dir
 * UNLINK args: 0 dirfd, 1 flags; blobs: 0 path, 2 base dir
 * CHMOD  args: 0 dirfd or fd, 1 mode, 2 flags
 *        blobs: 0 path (fchmod: absent), 1 file from fd (fchmod), 2 base dir
 * CHOWN  args: 0 dirfd or fd, 1 uid, 2 gid, 3 flags
 *        blobs: 0 path (fchown: absent), 1 file from fd (fchown), 2 base dir
 * CONNECT/BIND  args: 0 fd, 1 addrlen, 2 socket type, 3 protocol
 *        blobs: 0 raw sockaddr (as passed)
 * LISTEN args: 0 fd, 1 backlog, 2 socket type, 3 protocol
 *        blobs: 1 local sockaddr (built from the socket)
 * ACCEPT args: 0 listening fd, 2 socket type, 3 protocol; ret = new fd
 *        blobs: 0 peer sockaddr, 1 local sockaddr (both built from the socket)
 * PTRACE args: 0 request, 1 target pid, 2 addr, 3 data
 * MODULE args: 0 len (init) or fd (finit), 1 flags (finit)
 *        blobs: 0 param string, 1 module file from fd (finit, PATH_REVERSED)
 * MEMFD  args: 0 flags; blobs: 0 name; ret = fd
 * SETID  args: 0..2 ids as passed (uid / ruid,euid / ruid,euid,suid)
 * CAPSET args: 0 effective, 1 permitted, 2 inheritable (64-bit), 3 target pid,
 *        4 version
 * MOUNT  args: 0 flags; blobs: 0 source, 1 target, 2 fstype
 * UMOUNT args: 0 flags; blobs: 1 target
 * UNSHARE args: 0 flags
 * SETNS  args: 0 fd, 1 nstype; blobs: 1 namespace file from fd (PATH_REVERSED)
 * BPF    args: 0 cmd, 1 attr size, 2 prog_type (BPF_PROG_LOAD) or map_type
 *        (BPF_MAP_CREATE)
 * KILL   args: 0 target pid (tid for tkill/tgkill), 1 signal, 2 tgid (tgkill)
 */
#define PN_EXEC_ARGV_TRUNCATED 0x1
/* The exec was killed in the kernel by a kill rule (bpf_send_signal). */
#define PN_EXEC_KILLED 0x2
/* EXEC args[5] holds the standard descriptors (successful execs). */
#define PN_EXEC_STDIO_KNOWN (1ULL << 63)

struct pn_record {
	struct pn_header hdr;
	__u64 args[PN_NUM_ARGS];
	struct pn_blob blobs[PN_NUM_BLOBS];
	__u8 data[PN_DATA_CAP];
};

/* Array map `config`, one entry, written by user space before attaching. */
struct pn_config {
	__u32 self_tgid;	/* events of this process are skipped */
	__u32 forensics;	/* 1: report every open, read-only included */
	__u64 kinds_mask;	/* bit n set: kind n enabled */
	__u32 kill_flags;	/* PN_KILL_*: execs killed at sched_process_exec */
	__u32 reserved;
};

/* `action: kill` decided in the kernel at sched_process_exec (the process
 * dies before its new image runs; the exec record says PN_EXEC_KILLED):
 * every exec of a memfd, of a file with no links left, or of a file whose
 * identity is in the `kill_exec` hash. */
#define PN_KILL_MEMFD 0x1
#define PN_KILL_DELETED 0x2

/* `kill_exec` key: the executed file's superblock dev (kernel encoding,
 * MAJOR << 20 | MINOR) and inode number. */
struct pn_kill_key {
	__u64 dev;
	__u64 ino;
};

/* LPM trie `watch`: read-only opens whose absolute path matches are
 * reported. An exact entry's prefixlen covers the terminating NUL; a prefix
 * entry ("/etc/sudoers*") stops before the '*'. A /proc/<pid|self>/ path is
 * looked up with that component replaced by "*". */
struct pn_watch_key {
	__u32 prefixlen;	/* in bits */
	__u8 data[PN_WATCH_LEN];
};

#endif /* PANOPTES_WIRE_H */
