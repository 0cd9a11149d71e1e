/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * programs/file_meta.bpf.h — rename, unlink, chmod and chown families.
 *
 * A fragment of probes.bpf.c (one BPF object): included after the maps and
 * the common plumbing (pn_begin, pn_submit, PN_SYSCALL, ...) it uses.
 */

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

/* The file a chmod/chown-family call changed: from its fd (blob 1) for the
 * f* variants, else the path as passed (blob 0) and, when relative, its base
 * directory (blob 2). */
static __always_inline void pn_blob_target(struct pn_record *rec, int by_fd, __s64 dirfd,
					   const char *path)
{
	if (by_fd) {
		pn_blob_file(rec, 1, pn_fd_file(dirfd));
	} else {
		pn_blob_ustr(rec, 0, path);
		pn_blob_basedir(rec, 2, 0, dirfd);
	}
}

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
	pn_blob_target(rec, op == PN_OP_FCHMOD, dirfd, path);
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
	pn_blob_target(rec, op == PN_OP_FCHOWN, dirfd, path);
	pn_submit(rec);
	return 0;
}

PN_SYSCALL(chown, 3, PN_KIND_CHOWN, PN_OP_CHOWN, pn_exit_chown)
PN_SYSCALL(lchown, 3, PN_KIND_CHOWN, PN_OP_LCHOWN, pn_exit_chown)
PN_SYSCALL(fchown, 3, PN_KIND_CHOWN, PN_OP_FCHOWN, pn_exit_chown)
PN_SYSCALL(fchownat, 5, PN_KIND_CHOWN, PN_OP_FCHOWNAT, pn_exit_chown)
