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
 * The record format is wire.h; the blob writers live in include/helpers.h;
 * the programs, by family, in the programs directory (fragments of this
 * object, one header per family).
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

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct pn_kill_key);
	__type(value, __u32);
	__uint(max_entries, 1024);
} kill_exec SEC(".maps");

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

#include "programs/process.bpf.h"
#include "programs/open.bpf.h"
#include "programs/file_meta.bpf.h"
#include "programs/network.bpf.h"
#include "programs/security.bpf.h"
