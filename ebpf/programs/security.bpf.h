/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * programs/security.bpf.h — ptrace, modules, memfd, set*id, capset, mount, namespaces, bpf, kill.
 *
 * A fragment of probes.bpf.c (one BPF object): included after the maps and
 * the common plumbing (pn_begin, pn_submit, PN_SYSCALL, ...) it uses.
 */

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
