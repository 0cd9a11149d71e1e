// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * probes.bpf.c — the kernel side of the Panoptes sensor.
 *
 * Owns: every BPF map user space talks to (events, drops, config, watch) and
 * the internal ones (pending, scratch), and every program user space
 * attaches, by name:
 *
 *   btf_sched_process_{exec,fork,exit}     tp_btf, process life cycle
 *   sys_enter_<name> / sys_exit_<name>     classic syscall tracepoints for
 *       execve execveat | open openat openat2 creat | rename renameat
 *       renameat2 | unlink unlinkat rmdir | chmod fchmod fchmodat fchmodat2 |
 *       chown lchown fchown fchownat | connect bind listen accept accept4 |
 *       ptrace init_module finit_module memfd_create setuid setgid setreuid
 *       setregid setresuid setresgid capset mount umount unshare setns bpf
 *       kill tkill tgkill
 *
 * The record format is wire.h; the blob writers live in include/helpers.h.
 *
 * Syscalls are reported from their exit tracepoint so the result is known:
 * sys_enter_X only filters (self, kinds mask, open relevance) and stashes the
 * raw arguments in `pending` keyed by tid; sys_exit_X takes them back, builds
 * the record in the per-CPU `scratch` map (user memory is read at exit,
 * when the kernel has faulted it in) and submits the used prefix to `events`.
 * Every record that cannot be submitted or built is counted in drops[kind].
 */
/* vmlinux.h has a "typedef struct config_s config;" that would clash with
 * the `config` map user space looks up by name: rename it away while
 * vmlinux.h is parsed (no field called "config" is used here). */
#define config pn_vmlinux_config
#include "vmlinux.h"
#undef config
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>
#include "wire.h"
#include "helpers.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* ------------------------------------------------------------------ maps */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, PN_MAX_KINDS);
} drops SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct pn_config);
	__uint(max_entries, 1);
} config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__type(key, struct pn_watch_key);
	__type(value, __u8);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 256);
} watch SEC(".maps");

/* Syscall arguments stashed by sys_enter_X for sys_exit_X. */
struct pn_pending {
	__u16 kind;	/* enum pn_kind */
	__u16 op;	/* enum pn_op */
	__u32 why;	/* open: PN_OPEN_WHY_* | PN_WHY_RECHECK */
	__u64 args[6];	/* raw syscall arguments */
	__u64 ext[3];	/* openat2: struct open_how {flags, mode, resolve} */
};

/* open: the path (or open_how) could not be read at enter; decide at exit. */
#define PN_WHY_RECHECK 0x80000000u

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, __u32);
	__type(value, struct pn_pending);
	__uint(max_entries, 16384);
} pending SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct pn_record);
	__uint(max_entries, 1);
} scratch SEC(".maps");

/* ------------------------------------------------------ common plumbing */

static __always_inline void pn_drop(__u32 kind)
{
	__u64 *cnt = bpf_map_lookup_elem(&drops, &kind);

	if (cnt)
		*cnt += 1;
}

/* The config when events of `kind` from the current process are wanted. */
static __always_inline struct pn_config *pn_enabled(__u32 kind)
{
	__u32 zero = 0;
	struct pn_config *cfg = bpf_map_lookup_elem(&config, &zero);

	if (!cfg)
		return NULL;
	if ((__u32)(bpf_get_current_pid_tgid() >> 32) == cfg->self_tgid)
		return NULL;
	if (!(cfg->kinds_mask & (1ULL << (kind & (PN_MAX_KINDS - 1)))))
		return NULL;
	return cfg;
}

/* Scratch record with a zeroed head and the header filled for current. */
static __always_inline struct pn_record *pn_begin(__u16 kind, __u16 op, __s64 ret)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	struct pn_record *rec;
	__u32 zero = 0;
	__u64 id;

	rec = bpf_map_lookup_elem(&scratch, &zero);
	if (!rec) {
		pn_drop(kind);
		return NULL;
	}
	__builtin_memset(rec, 0, offsetof(struct pn_record, data));

	rec->hdr.kind = kind;
	rec->hdr.op = op;
	rec->hdr.ret = ret;
	rec->hdr.time_boot_ns = bpf_ktime_get_boot_ns();
	rec->hdr.start_boot_ns = BPF_CORE_READ(t, group_leader, start_boottime);
	rec->hdr.cgroup_id = bpf_get_current_cgroup_id();
	id = bpf_get_current_pid_tgid();
	rec->hdr.pid = id >> 32;
	rec->hdr.tid = (__u32)id;
	rec->hdr.ppid = BPF_CORE_READ(t, real_parent, tgid);
	id = bpf_get_current_uid_gid();
	rec->hdr.uid = (__u32)id;
	rec->hdr.gid = id >> 32;
	rec->hdr.euid = BPF_CORE_READ(t, cred, euid.val);
	rec->hdr.egid = BPF_CORE_READ(t, cred, egid.val);
	bpf_get_current_comm(rec->hdr.comm, sizeof(rec->hdr.comm));
	pn_set_used(rec, 0);
	return rec;
}

/*
 * Waking the reader for every record costs the traced task an irq_work and
 * the reader a context switch per event. Records are batched instead: the
 * reader is woken only once 1/PN_WAKEUP_FRACTION of the ring is waiting; it
 * also polls every PN_POLL_MS, so a lone event still arrives within that.
 */
static __always_inline __u64 pn_wakeup_flag(void)
{
	__u64 size = bpf_ringbuf_query(&events, BPF_RB_RING_SIZE);

	if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= size / PN_WAKEUP_FRACTION)
		return BPF_RB_FORCE_WAKEUP;
	return BPF_RB_NO_WAKEUP;
}

static __always_inline void pn_submit(struct pn_record *rec)
{
	__u32 used = pn_used(rec);
	__u32 size;

	if (used > PN_DATA_CAP)
		used = PN_DATA_CAP;
	size = offsetof(struct pn_record, data) + used;
	rec->hdr.size = size;
	if (bpf_ringbuf_output(&events, rec, size, pn_wakeup_flag()))
		pn_drop(rec->hdr.kind);
}

/*
 * Copy the first `nargs` syscall arguments (a constant at every call site).
 * Never read past them: attaching fails with EACCES when a program reads
 * beyond the tracepoint's record. One by one, because an unrolled loop lets
 * clang form a moved ctx pointer, which the verifier refuses.
 */
static __always_inline void pn_get_args(struct trace_event_raw_sys_enter *ctx, int nargs,
					__u64 *args)
{
	if (nargs > 0)
		args[0] = ctx->args[0];
	if (nargs > 1)
		args[1] = ctx->args[1];
	if (nargs > 2)
		args[2] = ctx->args[2];
	if (nargs > 3)
		args[3] = ctx->args[3];
	if (nargs > 4)
		args[4] = ctx->args[4];
	if (nargs > 5)
		args[5] = ctx->args[5];
}

/* sys_enter_X: remember the raw arguments for sys_exit_X. */
static __always_inline int pn_stash(struct trace_event_raw_sys_enter *ctx, int nargs, __u16 kind,
				    __u16 op, __u32 why, const __u64 *ext)
{
	struct pn_pending p = {};
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	p.kind = kind;
	p.op = op;
	p.why = why;
	pn_get_args(ctx, nargs, p.args);
	if (ext) {
		p.ext[0] = ext[0];
		p.ext[1] = ext[1];
		p.ext[2] = ext[2];
	}
	if (bpf_map_update_elem(&pending, &tid, &p, BPF_ANY))
		pn_drop(kind);
	return 0;
}

static __always_inline int pn_enter(struct trace_event_raw_sys_enter *ctx, int nargs, __u16 kind,
				    __u16 op)
{
	if (!pn_enabled(kind))
		return 0;
	return pn_stash(ctx, nargs, kind, op, 0, NULL);
}

/* sys_exit_X: take the stashed arguments back (always removing them). */
static __always_inline int pn_take(__u16 kind, __u16 op, struct pn_pending *out)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct pn_pending *p = bpf_map_lookup_elem(&pending, &tid);

	if (!p)
		return 0;
	__builtin_memcpy(out, p, sizeof(*out));
	bpf_map_delete_elem(&pending, &tid);
	if (out->kind != kind || out->op != op)
		return 0;
	return pn_enabled(kind) != NULL;
}

/* enter + exit program pair for syscall `name` taking `nargs` arguments,
 * the record built by fn(ctx, pending, op) */
#define PN_SYSCALL(name, nargs, kind, op, fn)                                  \
	SEC("tracepoint/syscalls/sys_enter_" #name)                            \
	int sys_enter_##name(struct trace_event_raw_sys_enter *ctx)            \
	{                                                                      \
		return pn_enter(ctx, nargs, kind, op);                         \
	}                                                                      \
	SEC("tracepoint/syscalls/sys_exit_" #name)                             \
	int sys_exit_##name(struct trace_event_raw_sys_exit *ctx)              \
	{                                                                      \
		struct pn_pending p;                                           \
		if (!pn_take(kind, op, &p))                                    \
			return 0;                                              \
		return fn(ctx, &p, op);                                        \
	}

/* ------------------------------------------------------------- process */

SEC("tp_btf/sched_process_exec")
int BPF_PROG(btf_sched_process_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct pn_record *rec;
	struct inode *inode;
	struct file *file;
	__u32 old_tid = old_pid;

	/* a multi-threaded exec changes the tid: drop the execve stash */
	bpf_map_delete_elem(&pending, &old_tid);
	if (!pn_enabled(PN_KIND_EXEC))
		return 0;
	rec = pn_begin(PN_KIND_EXEC, PN_OP_EXECVE, 0);
	if (!rec)
		return 0;

	file = BPF_CORE_READ(bprm, file);
	inode = BPF_CORE_READ(file, f_inode);
	if (inode) {
		rec->args[0] = BPF_CORE_READ(inode, __i_nlink);
		rec->args[1] = BPF_CORE_READ(inode, i_ino);
		rec->args[2] = BPF_CORE_READ(inode, i_sb, s_magic);
		rec->args[3] = BPF_CORE_READ(inode, i_sb, s_dev);
	}
	pn_blob_kstr(rec, 0, BPF_CORE_READ(bprm, filename));
	pn_blob_file(rec, 1, file);
	rec->args[4] = pn_blob_mm_argv(rec, 2, p);
	pn_blob_cwd(rec, 3);
	pn_blob_cgroup(rec, 4, p);
	pn_submit(rec);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(btf_sched_process_fork, struct task_struct *parent, struct task_struct *child)
{
	struct pn_record *rec;
	__u32 tgid, tid;

	if (!pn_enabled(PN_KIND_FORK))
		return 0;
	rec = pn_begin(PN_KIND_FORK, PN_OP_NONE, 0);
	if (!rec)
		return 0;
	tgid = BPF_CORE_READ(child, tgid);
	tid = BPF_CORE_READ(child, pid);
	rec->args[0] = tgid;
	rec->args[1] = tid;
	rec->args[2] = tid != tgid;
	rec->args[3] = BPF_CORE_READ(child, start_boottime);
	pn_submit(rec);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(btf_sched_process_exit, struct task_struct *p)
{
	struct pn_record *rec;
	unsigned int sflags;
	int status;

	/* only the death of the whole thread group */
	if (BPF_CORE_READ(p, signal, live.counter) != 0)
		return 0;
	if (!pn_enabled(PN_KIND_EXIT))
		return 0;
	rec = pn_begin(PN_KIND_EXIT, PN_OP_NONE, 0);
	if (!rec)
		return 0;
	sflags = BPF_CORE_READ(p, signal, flags);
	if (sflags & PN_SIGNAL_GROUP_EXIT)
		status = BPF_CORE_READ(p, signal, group_exit_code);
	else
		status = BPF_CORE_READ(p, exit_code);
	rec->args[0] = PN_U32(status);
	pn_submit(rec);
	return 0;
}

/* execve / execveat: only failures are reported here (successes come from
 * sched_process_exec). */
static __always_inline int pn_exit_exec(struct trace_event_raw_sys_exit *ctx, struct pn_pending *p,
					__u16 op)
{
	const char *const *argv;
	struct pn_record *rec;
	const char *filename;

	if (ctx->ret >= 0)
		return 0;
	if (op == PN_OP_EXECVEAT) {
		filename = (const char *)p->args[1];
		argv = (const char *const *)p->args[2];
	} else {
		filename = (const char *)p->args[0];
		argv = (const char *const *)p->args[1];
	}
	rec = pn_begin(PN_KIND_EXEC, op, ctx->ret);
	if (!rec)
		return 0;
	pn_blob_ustr(rec, 0, filename);
	pn_blob_uargv(rec, 2, argv);
	pn_blob_cwd(rec, 3);
	pn_submit(rec);
	return 0;
}

PN_SYSCALL(execve, 3, PN_KIND_EXEC, PN_OP_EXECVE, pn_exit_exec)
PN_SYSCALL(execveat, 5, PN_KIND_EXEC, PN_OP_EXECVEAT, pn_exit_exec)

/* ---------------------------------------------------------------- open */

/*
 * Is the absolute user path in the watch list? 1 yes, 0 no, -1 unreadable.
 * "/proc/<digits|self|thread-self>/..." is looked up as "/proc/" "*" "/...". The
 * prefix length covers the terminating NUL, so an exact entry (which ends
 * with the NUL) and a prefix entry (which stops earlier) both match.
 */
static __always_inline int pn_watched(const char *upath)
{
	struct pn_watch_key key;
	int clen = 0, digits = 1, ended = 0, rewrite = 0, j;
	long n, m;
	char c;

	if (!upath)
		return 0;
	__builtin_memset(&key, 0, sizeof(key));
	n = bpf_probe_read_user_str(key.data, PN_WATCH_LEN, upath);
	if (n <= 0)
		return -1;
	if (key.data[0] != '/')
		return 0;
	if (n > 7 && key.data[1] == 'p' && key.data[2] == 'r' && key.data[3] == 'o' &&
	    key.data[4] == 'c' && key.data[5] == '/') {
#pragma unroll
		for (j = 0; j < 12; j++) {
			c = key.data[6 + j];
			if (c == '/' || c == 0) {
				ended = 1;
				break;
			}
			if (c < '0' || c > '9')
				digits = 0;
			clen++;
		}
		if (ended && clen > 0) {
			if (digits)
				rewrite = 1;
			else if (clen == 4 && key.data[6] == 's' && key.data[7] == 'e' &&
				 key.data[8] == 'l' && key.data[9] == 'f')
				rewrite = 1;
			else if (clen == 11 && key.data[6] == 't' && key.data[7] == 'h' &&
				 key.data[8] == 'r' && key.data[9] == 'e' && key.data[10] == 'a' &&
				 key.data[11] == 'd' && key.data[12] == '-' && key.data[13] == 's' &&
				 key.data[14] == 'e' && key.data[15] == 'l' && key.data[16] == 'f')
				rewrite = 1;
		}
		if (rewrite) {
			/* "/proc/" "*" then the rest, re-read after the component */
			key.data[6] = '*';
			m = bpf_probe_read_user_str(&key.data[7], PN_WATCH_LEN - 7, upath + 6 + clen);
			if (m <= 0)
				return -1;
			n = 7 + m;
		}
	}
	key.prefixlen = n * 8;
	return bpf_map_lookup_elem(&watch, &key) != NULL;
}

/* Path pointer, flags, mode, dirfd and resolve of an open-family call. */
struct pn_open_args {
	const char *path;
	__u64 flags;
	__u64 mode;
	__s64 dirfd;
	__u64 resolve;
};

static __always_inline void pn_open_decode(const struct pn_pending *p, __u16 op,
					   struct pn_open_args *o)
{
	o->resolve = 0;
	o->dirfd = PN_AT_FDCWD;
	switch (op) {
	case PN_OP_OPEN:
		o->path = (const char *)p->args[0];
		o->flags = PN_U32(p->args[1]);
		o->mode = PN_U32(p->args[2]);
		break;
	case PN_OP_OPENAT:
		o->dirfd = (__s32)p->args[0];
		o->path = (const char *)p->args[1];
		o->flags = PN_U32(p->args[2]);
		o->mode = PN_U32(p->args[3]);
		break;
	case PN_OP_OPENAT2:
		o->dirfd = (__s32)p->args[0];
		o->path = (const char *)p->args[1];
		o->flags = p->ext[0];
		o->mode = p->ext[1];
		o->resolve = p->ext[2];
		break;
	default: /* creat(path, mode) == open(path, O_CREAT|O_WRONLY|O_TRUNC, mode) */
		o->path = (const char *)p->args[0];
		o->flags = PN_O_CREAT | PN_O_WRONLY | PN_O_TRUNC;
		o->mode = PN_U32(p->args[1]);
		break;
	}
	/* the mode register is garbage unless the call can create a file */
	if (!(o->flags & PN_O_CREAT) && (o->flags & PN_O_TMPFILE) != PN_O_TMPFILE)
		o->mode = 0;
}

/* Why this open is worth reporting (PN_OPEN_WHY_*), PN_WHY_RECHECK when
 * user memory could not be read yet and nothing else decided it. Reads the
 * openat2 open_how into p->ext. WATCHED is evaluated for every open so the
 * bits are accurate, not only for read-only ones. */
static __always_inline __u32 pn_open_why(struct pn_pending *p, __u16 op, struct pn_config *cfg)
{
	struct pn_open_args o;
	struct open_how how = {};
	int fault = 0, w;
	__u32 why = 0;

	if (op == PN_OP_OPENAT2) {
		if (p->args[3] < sizeof(how) ||
		    bpf_probe_read_user(&how, sizeof(how), (const void *)p->args[2]) < 0)
			fault = 1;
		p->ext[0] = how.flags;
		p->ext[1] = how.mode;
		p->ext[2] = how.resolve;
	}
	pn_open_decode(p, op, &o);
	if (o.flags & (PN_O_WRONLY | PN_O_RDWR | PN_O_CREAT | PN_O_TRUNC))
		why |= PN_OPEN_WHY_WRITE;
	if (cfg->forensics)
		why |= PN_OPEN_WHY_FORENSICS;
	w = pn_watched(o.path);
	if (w > 0)
		why |= PN_OPEN_WHY_WATCHED;
	else if (w < 0)
		fault = 1;
	if (fault && !why)
		why = PN_WHY_RECHECK;
	return why;
}

static __always_inline int pn_enter_open(struct trace_event_raw_sys_enter *ctx, int nargs,
					 __u16 op)
{
	struct pn_config *cfg = pn_enabled(PN_KIND_OPEN);
	struct pn_pending p = {};
	__u32 why;

	if (!cfg)
		return 0;
	pn_get_args(ctx, nargs, p.args);
	why = pn_open_why(&p, op, cfg);
	if (!why)
		return 0;
	return pn_stash(ctx, nargs, PN_KIND_OPEN, op, why, p.ext);
}

static __always_inline int pn_exit_open(struct trace_event_raw_sys_exit *ctx, struct pn_pending *p,
					__u16 op)
{
	struct pn_config *cfg;
	struct pn_open_args o;
	struct pn_record *rec;
	__s64 ret = ctx->ret;

	if (p->why & PN_WHY_RECHECK) {
		cfg = pn_enabled(PN_KIND_OPEN);
		if (!cfg)
			return 0;
		p->why = pn_open_why(p, op, cfg) & ~PN_WHY_RECHECK;
		if (!p->why)
			return 0;
	}
	pn_open_decode(p, op, &o);
	rec = pn_begin(PN_KIND_OPEN, op, ret);
	if (!rec)
		return 0;
	rec->args[0] = o.flags;
	rec->args[1] = o.mode;
	rec->args[2] = o.dirfd;
	rec->args[3] = o.resolve;
	rec->args[5] = p->why;
	pn_blob_ustr(rec, 0, o.path);
	if (ret >= 0)
		pn_blob_file(rec, 1, pn_fd_file(ret));
	pn_blob_basedir(rec, 2, 0, o.dirfd);
	pn_submit(rec);
	return 0;
}

#define PN_OPEN_SYSCALL(name, nargs, op)                                       \
	SEC("tracepoint/syscalls/sys_enter_" #name)                            \
	int sys_enter_##name(struct trace_event_raw_sys_enter *ctx)            \
	{                                                                      \
		return pn_enter_open(ctx, nargs, op);                          \
	}                                                                      \
	SEC("tracepoint/syscalls/sys_exit_" #name)                             \
	int sys_exit_##name(struct trace_event_raw_sys_exit *ctx)              \
	{                                                                      \
		struct pn_pending p;                                           \
		if (!pn_take(PN_KIND_OPEN, op, &p))                            \
			return 0;                                              \
		return pn_exit_open(ctx, &p, op);                              \
	}

PN_OPEN_SYSCALL(open, 3, PN_OP_OPEN)
PN_OPEN_SYSCALL(openat, 4, PN_OP_OPENAT)
PN_OPEN_SYSCALL(openat2, 4, PN_OP_OPENAT2)
PN_OPEN_SYSCALL(creat, 2, PN_OP_CREAT)

/* ------------------------------------------------------- file metadata */

static __always_inline int pn_exit_rename(struct trace_event_raw_sys_exit *ctx,
					  struct pn_pending *p, __u16 op)
{
	const char *oldp, *newp;
	__s64 olddfd = PN_AT_FDCWD, newdfd = PN_AT_FDCWD;
	struct pn_record *rec;
	__u64 flags = 0;

	if (op == PN_OP_RENAME) {
		oldp = (const char *)p->args[0];
		newp = (const char *)p->args[1];
	} else {
		olddfd = (__s32)p->args[0];
		oldp = (const char *)p->args[1];
		newdfd = (__s32)p->args[2];
		newp = (const char *)p->args[3];
		if (op == PN_OP_RENAMEAT2)
			flags = PN_U32(p->args[4]);
	}
	rec = pn_begin(PN_KIND_RENAME, op, ctx->ret);
	if (!rec)
		return 0;
	rec->args[0] = olddfd;
	rec->args[1] = newdfd;
	rec->args[2] = flags;
	pn_blob_ustr(rec, 0, oldp);
	pn_blob_ustr(rec, 1, newp);
	pn_blob_basedir(rec, 2, 0, olddfd);
	pn_blob_basedir(rec, 3, 1, newdfd);
	pn_submit(rec);
	return 0;
}

PN_SYSCALL(rename, 2, PN_KIND_RENAME, PN_OP_RENAME, pn_exit_rename)
PN_SYSCALL(renameat, 4, PN_KIND_RENAME, PN_OP_RENAMEAT, pn_exit_rename)
PN_SYSCALL(renameat2, 5, PN_KIND_RENAME, PN_OP_RENAMEAT2, pn_exit_rename)

static __always_inline int pn_exit_unlink(struct trace_event_raw_sys_exit *ctx,
					  struct pn_pending *p, __u16 op)
{
	__s64 dirfd = PN_AT_FDCWD;
	struct pn_record *rec;
	const char *path;
	__u64 flags = 0;

	if (op == PN_OP_UNLINKAT) {
		dirfd = (__s32)p->args[0];
		path = (const char *)p->args[1];
		flags = PN_U32(p->args[2]);
	} else {
		path = (const char *)p->args[0];
	}
	rec = pn_begin(PN_KIND_UNLINK, op, ctx->ret);
	if (!rec)
		return 0;
	rec->args[0] = dirfd;
	rec->args[1] = flags;
	pn_blob_ustr(rec, 0, path);
	pn_blob_basedir(rec, 2, 0, dirfd);
	pn_submit(rec);
	return 0;
}

PN_SYSCALL(unlink, 1, PN_KIND_UNLINK, PN_OP_UNLINK, pn_exit_unlink)
PN_SYSCALL(unlinkat, 3, PN_KIND_UNLINK, PN_OP_UNLINKAT, pn_exit_unlink)
PN_SYSCALL(rmdir, 1, PN_KIND_UNLINK, PN_OP_RMDIR, pn_exit_unlink)

static __always_inline int pn_exit_chmod(struct trace_event_raw_sys_exit *ctx,
					 struct pn_pending *p, __u16 op)
{
	__s64 dirfd = PN_AT_FDCWD;
	const char *path = NULL;
	struct pn_record *rec;
	__u64 mode, flags = 0;

	switch (op) {
	case PN_OP_CHMOD:
		path = (const char *)p->args[0];
		mode = PN_U32(p->args[1]);
		break;
	case PN_OP_FCHMOD:
		dirfd = (__s32)p->args[0];
		mode = PN_U32(p->args[1]);
		break;
	default: /* fchmodat, fchmodat2 */
		dirfd = (__s32)p->args[0];
		path = (const char *)p->args[1];
		mode = PN_U32(p->args[2]);
		if (op == PN_OP_FCHMODAT2)
			flags = PN_U32(p->args[3]);
		break;
	}
	rec = pn_begin(PN_KIND_CHMOD, op, ctx->ret);
	if (!rec)
		return 0;
	rec->args[0] = dirfd;
	rec->args[1] = mode;
	rec->args[2] = flags;
	if (op == PN_OP_FCHMOD) {
		pn_blob_file(rec, 1, pn_fd_file(dirfd));
	} else {
		pn_blob_ustr(rec, 0, path);
		pn_blob_basedir(rec, 2, 0, dirfd);
	}
	pn_submit(rec);
	return 0;
}

PN_SYSCALL(chmod, 2, PN_KIND_CHMOD, PN_OP_CHMOD, pn_exit_chmod)
PN_SYSCALL(fchmod, 2, PN_KIND_CHMOD, PN_OP_FCHMOD, pn_exit_chmod)
PN_SYSCALL(fchmodat, 3, PN_KIND_CHMOD, PN_OP_FCHMODAT, pn_exit_chmod)
PN_SYSCALL(fchmodat2, 4, PN_KIND_CHMOD, PN_OP_FCHMODAT2, pn_exit_chmod)

static __always_inline int pn_exit_chown(struct trace_event_raw_sys_exit *ctx,
					 struct pn_pending *p, __u16 op)
{
	__s64 dirfd = PN_AT_FDCWD;
	const char *path = NULL;
	struct pn_record *rec;
	__u64 uid, gid, flags = 0;

	switch (op) {
	case PN_OP_FCHOWN:
		dirfd = (__s32)p->args[0];
		uid = PN_U32(p->args[1]);
		gid = PN_U32(p->args[2]);
		break;
	case PN_OP_FCHOWNAT:
		dirfd = (__s32)p->args[0];
		path = (const char *)p->args[1];
		uid = PN_U32(p->args[2]);
		gid = PN_U32(p->args[3]);
		flags = PN_U32(p->args[4]);
		break;
	default: /* chown, lchown */
		path = (const char *)p->args[0];
		uid = PN_U32(p->args[1]);
		gid = PN_U32(p->args[2]);
		break;
	}
	rec = pn_begin(PN_KIND_CHOWN, op, ctx->ret);
	if (!rec)
		return 0;
	rec->args[0] = dirfd;
	rec->args[1] = uid;
	rec->args[2] = gid;
	rec->args[3] = flags;
	if (op == PN_OP_FCHOWN) {
		pn_blob_file(rec, 1, pn_fd_file(dirfd));
	} else {
		pn_blob_ustr(rec, 0, path);
		pn_blob_basedir(rec, 2, 0, dirfd);
	}
	pn_submit(rec);
	return 0;
}

PN_SYSCALL(chown, 3, PN_KIND_CHOWN, PN_OP_CHOWN, pn_exit_chown)
PN_SYSCALL(lchown, 3, PN_KIND_CHOWN, PN_OP_LCHOWN, pn_exit_chown)
PN_SYSCALL(fchown, 3, PN_KIND_CHOWN, PN_OP_FCHOWN, pn_exit_chown)
PN_SYSCALL(fchownat, 5, PN_KIND_CHOWN, PN_OP_FCHOWNAT, pn_exit_chown)

/* ------------------------------------------------------------- network */

/* connect / bind (fd, addr, addrlen) */
static __always_inline int pn_exit_sockaddr(struct trace_event_raw_sys_exit *ctx,
					    struct pn_pending *p, __u16 kind)
{
	struct pn_record *rec;
	__s64 fd = (__s32)p->args[0];
	__s32 addrlen = p->args[2];

	rec = pn_begin(kind, PN_OP_NONE, ctx->ret);
	if (!rec)
		return 0;
	rec->args[0] = fd;
	rec->args[1] = PN_I32(addrlen);
	pn_sock_info(rec, fd);
	pn_blob_ubytes(rec, 0, (const void *)p->args[1], addrlen, PN_SOCKADDR_MAX);
	pn_submit(rec);
	return 0;
}

static __always_inline int pn_exit_connect(struct trace_event_raw_sys_exit *ctx,
					   struct pn_pending *p, __u16 op)
{
	return pn_exit_sockaddr(ctx, p, PN_KIND_CONNECT);
}

static __always_inline int pn_exit_bind(struct trace_event_raw_sys_exit *ctx,
					struct pn_pending *p, __u16 op)
{
	return pn_exit_sockaddr(ctx, p, PN_KIND_BIND);
}

PN_SYSCALL(connect, 3, PN_KIND_CONNECT, PN_OP_NONE, pn_exit_connect)
PN_SYSCALL(bind, 3, PN_KIND_BIND, PN_OP_NONE, pn_exit_bind)

static __always_inline int pn_exit_listen(struct trace_event_raw_sys_exit *ctx,
					  struct pn_pending *p, __u16 op)
{
	struct pn_record *rec;
	__s64 fd = (__s32)p->args[0];

	rec = pn_begin(PN_KIND_LISTEN, op, ctx->ret);
	if (!rec)
		return 0;
	rec->args[0] = fd;
	rec->args[1] = PN_I32(p->args[1]);
	pn_blob_sockaddr(rec, 1, pn_sock_info(rec, fd), 0);
	pn_submit(rec);
	return 0;
}

PN_SYSCALL(listen, 2, PN_KIND_LISTEN, PN_OP_NONE, pn_exit_listen)

#define PN_EAGAIN 11

static __always_inline int pn_exit_accept(struct trace_event_raw_sys_exit *ctx,
					  struct pn_pending *p, __u16 op)
{
	struct pn_record *rec;
	__s64 ret = ctx->ret;
	struct sock *sk;

	/* non-blocking accept loops spin on EAGAIN: not an event */
	if (ret == -PN_EAGAIN)
		return 0;
	rec = pn_begin(PN_KIND_ACCEPT, op, ret);
	if (!rec)
		return 0;
	rec->args[0] = PN_I32(p->args[0]);
	if (ret >= 0) {
		sk = pn_sock_info(rec, ret);
		pn_blob_sockaddr(rec, 0, sk, 1);
		pn_blob_sockaddr(rec, 1, sk, 0);
	} else {
		pn_sock_info(rec, (__s32)p->args[0]);
	}
	pn_submit(rec);
	return 0;
}

PN_SYSCALL(accept, 3, PN_KIND_ACCEPT, PN_OP_ACCEPT, pn_exit_accept)
PN_SYSCALL(accept4, 4, PN_KIND_ACCEPT, PN_OP_ACCEPT4, pn_exit_accept)

/* ------------------------------------------------------------ security */

static __always_inline int pn_exit_ptrace(struct trace_event_raw_sys_exit *ctx,
					  struct pn_pending *p, __u16 op)
{
	struct pn_record *rec = pn_begin(PN_KIND_PTRACE, op, ctx->ret);

	if (!rec)
		return 0;
	rec->args[0] = p->args[0];
	rec->args[1] = p->args[1];
	rec->args[2] = p->args[2];
	rec->args[3] = p->args[3];
	pn_submit(rec);
	return 0;
}

PN_SYSCALL(ptrace, 4, PN_KIND_PTRACE, PN_OP_NONE, pn_exit_ptrace)

/* init_module(umod, len, uargs) / finit_module(fd, uargs, flags) */
static __always_inline int pn_exit_module(struct trace_event_raw_sys_exit *ctx,
					  struct pn_pending *p, __u16 op)
{
	struct pn_record *rec = pn_begin(PN_KIND_MODULE, op, ctx->ret);

	if (!rec)
		return 0;
	if (op == PN_OP_FINIT_MODULE) {
		rec->args[0] = PN_I32(p->args[0]);
		rec->args[1] = PN_U32(p->args[2]);
		pn_blob_ustr(rec, 0, p->args[1]);
		pn_blob_file(rec, 1, pn_fd_file((__s32)p->args[0]));
	} else {
		rec->args[0] = p->args[1];
		pn_blob_ustr(rec, 0, p->args[2]);
	}
	pn_submit(rec);
	return 0;
}

PN_SYSCALL(init_module, 3, PN_KIND_MODULE, PN_OP_INIT_MODULE, pn_exit_module)
PN_SYSCALL(finit_module, 3, PN_KIND_MODULE, PN_OP_FINIT_MODULE, pn_exit_module)

static __always_inline int pn_exit_memfd(struct trace_event_raw_sys_exit *ctx,
					 struct pn_pending *p, __u16 op)
{
	struct pn_record *rec = pn_begin(PN_KIND_MEMFD, op, ctx->ret);

	if (!rec)
		return 0;
	rec->args[0] = PN_U32(p->args[1]);
	pn_blob_ustr(rec, 0, p->args[0]);
	pn_submit(rec);
	return 0;
}

PN_SYSCALL(memfd_create, 2, PN_KIND_MEMFD, PN_OP_NONE, pn_exit_memfd)

static __always_inline int pn_exit_setid(struct trace_event_raw_sys_exit *ctx,
					 struct pn_pending *p, __u16 op)
{
	struct pn_record *rec = pn_begin(PN_KIND_SETID, op, ctx->ret);

	if (!rec)
		return 0;
	rec->args[0] = PN_U32(p->args[0]);
	if (op != PN_OP_SETUID && op != PN_OP_SETGID)
		rec->args[1] = PN_U32(p->args[1]);
	if (op == PN_OP_SETRESUID || op == PN_OP_SETRESGID)
		rec->args[2] = PN_U32(p->args[2]);
	pn_submit(rec);
	return 0;
}

PN_SYSCALL(setuid, 1, PN_KIND_SETID, PN_OP_SETUID, pn_exit_setid)
PN_SYSCALL(setgid, 1, PN_KIND_SETID, PN_OP_SETGID, pn_exit_setid)
PN_SYSCALL(setreuid, 2, PN_KIND_SETID, PN_OP_SETREUID, pn_exit_setid)
PN_SYSCALL(setregid, 2, PN_KIND_SETID, PN_OP_SETREGID, pn_exit_setid)
PN_SYSCALL(setresuid, 3, PN_KIND_SETID, PN_OP_SETRESUID, pn_exit_setid)
PN_SYSCALL(setresgid, 3, PN_KIND_SETID, PN_OP_SETRESGID, pn_exit_setid)

/* capset(header, data): 64-bit sets from up to two 32-bit data structs. */
static __always_inline int pn_exit_capset(struct trace_event_raw_sys_exit *ctx,
					  struct pn_pending *p, __u16 op)
{
	struct __user_cap_header_struct hdr = {};
	struct __user_cap_data_struct d[2] = {};
	const void *data = (const void *)p->args[1];
	struct pn_record *rec;

	rec = pn_begin(PN_KIND_CAPSET, op, ctx->ret);
	if (!rec)
		return 0;
	bpf_probe_read_user(&hdr, sizeof(hdr), (const void *)p->args[0]);
	if (data) {
		if (hdr.version == PN_CAP_VERSION_1)
			bpf_probe_read_user(&d[0], sizeof(d[0]), data);
		else if (hdr.version == PN_CAP_VERSION_2 || hdr.version == PN_CAP_VERSION_3)
			bpf_probe_read_user(d, sizeof(d), data);
	}
	rec->args[0] = d[0].effective | ((__u64)d[1].effective << 32);
	rec->args[1] = d[0].permitted | ((__u64)d[1].permitted << 32);
	rec->args[2] = d[0].inheritable | ((__u64)d[1].inheritable << 32);
	rec->args[3] = PN_I32(hdr.pid);
	rec->args[4] = hdr.version;
	pn_submit(rec);
	return 0;
}

PN_SYSCALL(capset, 2, PN_KIND_CAPSET, PN_OP_NONE, pn_exit_capset)

static __always_inline int pn_exit_mount(struct trace_event_raw_sys_exit *ctx,
					 struct pn_pending *p, __u16 op)
{
	struct pn_record *rec = pn_begin(PN_KIND_MOUNT, op, ctx->ret);

	if (!rec)
		return 0;
	rec->args[0] = p->args[3];
	pn_blob_ustr(rec, 0, p->args[0]);
	pn_blob_ustr(rec, 1, p->args[1]);
	pn_blob_ustr(rec, 2, p->args[2]);
	pn_submit(rec);
	return 0;
}

PN_SYSCALL(mount, 5, PN_KIND_MOUNT, PN_OP_NONE, pn_exit_mount)

/* umount2(target, flags); the x86_64 tracepoint is called "umount" */
static __always_inline int pn_exit_umount(struct trace_event_raw_sys_exit *ctx,
					  struct pn_pending *p, __u16 op)
{
	struct pn_record *rec = pn_begin(PN_KIND_UMOUNT, op, ctx->ret);

	if (!rec)
		return 0;
	rec->args[0] = PN_U32(p->args[1]);
	pn_blob_ustr(rec, 1, p->args[0]);
	pn_submit(rec);
	return 0;
}

PN_SYSCALL(umount, 2, PN_KIND_UMOUNT, PN_OP_NONE, pn_exit_umount)

static __always_inline int pn_exit_unshare(struct trace_event_raw_sys_exit *ctx,
					   struct pn_pending *p, __u16 op)
{
	struct pn_record *rec = pn_begin(PN_KIND_UNSHARE, op, ctx->ret);

	if (!rec)
		return 0;
	rec->args[0] = p->args[0];
	pn_submit(rec);
	return 0;
}

PN_SYSCALL(unshare, 1, PN_KIND_UNSHARE, PN_OP_NONE, pn_exit_unshare)

static __always_inline int pn_exit_setns(struct trace_event_raw_sys_exit *ctx,
					 struct pn_pending *p, __u16 op)
{
	struct pn_record *rec = pn_begin(PN_KIND_SETNS, op, ctx->ret);
	__s64 fd = (__s32)p->args[0];

	if (!rec)
		return 0;
	rec->args[0] = fd;
	rec->args[1] = PN_U32(p->args[1]);
	pn_blob_file(rec, 1, pn_fd_file(fd));
	pn_submit(rec);
	return 0;
}

PN_SYSCALL(setns, 2, PN_KIND_SETNS, PN_OP_NONE, pn_exit_setns)

static __always_inline int pn_exit_bpf(struct trace_event_raw_sys_exit *ctx,
				       struct pn_pending *p, __u16 op)
{
	struct pn_record *rec = pn_begin(PN_KIND_BPF, op, ctx->ret);
	__u32 cmd = p->args[0], first = 0;

	if (!rec)
		return 0;
	rec->args[0] = cmd;
	rec->args[1] = PN_U32(p->args[2]);
	if ((cmd == BPF_PROG_LOAD || cmd == BPF_MAP_CREATE) && p->args[2] >= sizeof(first)) {
		bpf_probe_read_user(&first, sizeof(first), (const void *)p->args[1]);
		rec->args[2] = first;
	}
	pn_submit(rec);
	return 0;
}

PN_SYSCALL(bpf, 3, PN_KIND_BPF, PN_OP_NONE, pn_exit_bpf)

/* kill(pid, sig), tkill(tid, sig), tgkill(tgid, tid, sig) */
static __always_inline int pn_exit_kill(struct trace_event_raw_sys_exit *ctx,
					struct pn_pending *p, __u16 op)
{
	struct pn_record *rec = pn_begin(PN_KIND_KILL, op, ctx->ret);

	if (!rec)
		return 0;
	if (op == PN_OP_TGKILL) {
		rec->args[0] = PN_I32(p->args[1]);
		rec->args[1] = PN_I32(p->args[2]);
		rec->args[2] = PN_I32(p->args[0]);
	} else {
		rec->args[0] = PN_I32(p->args[0]);
		rec->args[1] = PN_I32(p->args[1]);
	}
	pn_submit(rec);
	return 0;
}

PN_SYSCALL(kill, 2, PN_KIND_KILL, PN_OP_KILL, pn_exit_kill)
PN_SYSCALL(tkill, 2, PN_KIND_KILL, PN_OP_TKILL, pn_exit_kill)
PN_SYSCALL(tgkill, 3, PN_KIND_KILL, PN_OP_TGKILL, pn_exit_kill)
