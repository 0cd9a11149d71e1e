/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * programs/open.bpf.h — open, openat, openat2, creat: write intent, the watch list, forensics.
 *
 * A fragment of probes.bpf.c (one BPF object): included after the maps and
 * the common plumbing (pn_begin, pn_submit, PN_SYSCALL, ...) it uses.
 */

/* ---------------------------------------------------------------- open */

/*
 * Is the absolute user path in the watch list? 1 yes, 0 no, -1 unreadable.
 * The path is looked up as it is; then, under /proc/ and /home/, once more
 * with the next component (a pid, self or thread-self; a user name)
 * replaced by a star, so "/proc/STAR/environ" and "/home/STAR/.ssh/..."
 * entries (STAR being the '*' character) match every process and user. The
 * prefix length covers the terminating NUL, so an exact entry (which ends
 * with the NUL) and a prefix entry (which stops earlier) both match.
 */
static __always_inline int pn_watched(const char *upath)
{
	struct pn_watch_key key;
	int clen = 0, digits = 1, ended = 0, rewrite = 0, proc, home, j;
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
	key.prefixlen = n * 8;
	if (bpf_map_lookup_elem(&watch, &key))
		return 1;
	proc = n > 7 && key.data[1] == 'p' && key.data[2] == 'r' && key.data[3] == 'o' &&
	       key.data[4] == 'c' && key.data[5] == '/';
	home = n > 7 && key.data[1] == 'h' && key.data[2] == 'o' && key.data[3] == 'm' &&
	       key.data[4] == 'e' && key.data[5] == '/';
	if (!proc && !home)
		return 0;
#pragma unroll
	for (j = 0; j < 32; j++) {
		c = key.data[6 + j];
		if (c == '/' || c == 0) {
			ended = c == '/';
			break;
		}
		if (c < '0' || c > '9')
			digits = 0;
		clen++;
	}
	if (!ended || clen == 0)
		return 0;
	if (home)
		rewrite = 1;
	else if (digits)
		rewrite = 1;
	else if (clen == 4 && key.data[6] == 's' && key.data[7] == 'e' && key.data[8] == 'l' &&
		 key.data[9] == 'f')
		rewrite = 1;
	else if (clen == 11 && key.data[6] == 't' && key.data[7] == 'h' && key.data[8] == 'r' &&
		 key.data[9] == 'e' && key.data[10] == 'a' && key.data[11] == 'd' &&
		 key.data[12] == '-' && key.data[13] == 's' && key.data[14] == 'e' &&
		 key.data[15] == 'l' && key.data[16] == 'f')
		rewrite = 1;
	if (!rewrite)
		return 0;
	/* "/proc/" or "/home/", "*", then the rest, re-read after the component */
	key.data[6] = '*';
	m = bpf_probe_read_user_str(&key.data[7], PN_WATCH_LEN - 7, upath + 6 + clen);
	if (m <= 0)
		return -1;
	key.prefixlen = (7 + m) * 8;
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
