/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * helpers.h — record-building primitives for probes.bpf.c.
 *
 * Everything here works on a `struct pn_record` that lives in map memory (the
 * per-CPU `scratch` map) and touches no map itself, so it can be included
 * before the map definitions.
 *
 * Blob bookkeeping: while a record is being built, hdr.size holds the number
 * of data[] bytes used so far (pn_submit() turns it into the real size).
 * Keeping that counter in map memory rather than in a register is deliberate:
 * the verifier does not track map contents, so after each blob the exact
 * offset is forgotten and the states of the many paths through a blob writer
 * (one per component count of a path walk, ...) converge instead of being
 * verified separately for every later blob.
 *
 * A blob starts only while used < PN_DATA_LEN, at off = used & PN_DATA_MASK
 * (so off <= 8191) and never writes more than PN_STR_MAX bytes, which keeps
 * every write inside data[PN_DATA_CAP] in a way the verifier can see.
 */
#ifndef PANOPTES_HELPERS_H
#define PANOPTES_HELPERS_H

/* uapi constants that vmlinux.h (types only) does not carry */
#define PN_AT_FDCWD (-100)
#define PN_O_WRONLY 00000001
#define PN_O_RDWR 00000002
#define PN_O_CREAT 00000100
#define PN_O_TRUNC 00001000
#define PN_O_TMPFILE 020200000 /* __O_TMPFILE | O_DIRECTORY */
#define PN_S_IFMT 00170000
#define PN_S_IFSOCK 0140000
#define PN_AF_UNIX 1
#define PN_AF_INET 2
#define PN_AF_INET6 10
#define PN_SIGNAL_GROUP_EXIT 0x00000004
#define PN_CAP_VERSION_1 0x19980330
#define PN_CAP_VERSION_2 0x20071026
#define PN_CAP_VERSION_3 0x20080522

/* s_magic of the pseudo filesystems whose files are named by d_dname() */
#define PN_NSFS_MAGIC 0x6e736673
#define PN_PIPEFS_MAGIC 0x50495045
#define PN_SOCKFS_MAGIC 0x534F434B
#define PN_ANON_INODE_FS_MAGIC 0x09041934

/* Mount crossings allowed between two path components (stacked mounts). */
#define PN_MNT_HOPS 8
/* argv entries read from a user argv array (failed execve). */
#define PN_ARGV_ENTRIES 20

/* Syscall arguments arrive as raw 64-bit registers. */
#define PN_I32(x) ((__u64)(__s64)(__s32)(x)) /* int: fd, pid, signal */
#define PN_U32(x) ((__u64)(__u32)(x))	     /* flags, mode, uid, gid */

static __always_inline __u32 pn_used(struct pn_record *rec)
{
	return *(volatile __u32 *)&rec->hdr.size;
}

static __always_inline void pn_set_used(struct pn_record *rec, __u32 used)
{
	*(volatile __u32 *)&rec->hdr.size = used;
}

/* Offset for a new blob in [0, PN_DATA_MASK], or -1 when the budget is spent
 * (the blob is then recorded as present, truncated and empty). */
static __always_inline long pn_blob_start(struct pn_record *rec, int idx)
{
	__u32 used = pn_used(rec);

	if (used >= PN_DATA_LEN) {
		rec->blobs[idx].off = used;
		rec->blobs[idx].len = 0;
		rec->blobs[idx].flags = PN_BLOB_PRESENT | PN_BLOB_TRUNCATED;
		return -1;
	}
	return used & PN_DATA_MASK;
}

/* Close a blob: `consumed` data bytes (len plus the NUL for strings). */
static __always_inline void pn_blob_end(struct pn_record *rec, int idx, __u32 off,
					__u32 len, __u16 flags, __u32 consumed)
{
	rec->blobs[idx].off = off;
	rec->blobs[idx].len = len;
	rec->blobs[idx].flags = flags;
	pn_set_used(rec, off + consumed);
}

/* NUL-terminated string from user (user = 1) or kernel memory. A NULL
 * pointer leaves the blob absent. */
static __always_inline void pn_blob_str(struct pn_record *rec, int idx, const void *src, int user)
{
	long off, n;

	if (!src)
		return;
	off = pn_blob_start(rec, idx);
	if (off < 0)
		return;
	if (user)
		n = bpf_probe_read_user_str(&rec->data[off], PN_STR_MAX, src);
	else
		n = bpf_probe_read_kernel_str(&rec->data[off], PN_STR_MAX, src);
	if (n <= 0) {
		rec->data[off] = 0;
		pn_blob_end(rec, idx, off, 0, PN_BLOB_PRESENT | PN_BLOB_FAULT, 1);
		return;
	}
	pn_blob_end(rec, idx, off, n - 1,
		    PN_BLOB_PRESENT | (n >= PN_STR_MAX ? PN_BLOB_TRUNCATED : 0), n);
}

#define pn_blob_ustr(rec, idx, p) pn_blob_str(rec, idx, (const void *)(p), 1)
#define pn_blob_kstr(rec, idx, p) pn_blob_str(rec, idx, (const void *)(p), 0)

/* Raw bytes from user memory, `len` as passed by the caller, at most `max`
 * (max <= PN_STR_MAX) copied. Not NUL-terminated. */
static __always_inline void pn_blob_ubytes(struct pn_record *rec, int idx, const void *src,
					   __s64 len, __u32 max)
{
	__u16 flags = PN_BLOB_PRESENT;
	__u32 n;
	long off;

	if (!src)
		return;
	off = pn_blob_start(rec, idx);
	if (off < 0)
		return;
	if (len < 0)
		len = 0;
	n = len;
	if (len > max) {
		n = max;
		flags |= PN_BLOB_TRUNCATED;
	}
	if (bpf_probe_read_user(&rec->data[off], n, src) < 0) {
		pn_blob_end(rec, idx, off, 0, PN_BLOB_PRESENT | PN_BLOB_FAULT, 0);
		return;
	}
	pn_blob_end(rec, idx, off, n, flags, n);
}

/* Store the n (<= 8) low bytes of a little-endian word: literal prefixes
 * without a .rodata string. */
static __always_inline __u32 pn_put_word(struct pn_record *rec, __u64 pos, __u64 word, int n)
{
	int k;

#pragma unroll
	for (k = 0; k < 8; k++) {
		if (k >= n)
			break;
		rec->data[pos + k] = word >> (8 * k);
	}
	return n;
}

/* ":[<ino>]" in decimal at pos (pos + 23 <= PN_DATA_CAP); bytes written. */
static __always_inline __u32 pn_put_ino(struct pn_record *rec, __u64 pos, __u64 ino)
{
	__u64 v = ino, nd = 0, k;

	for (k = 0; k < 20; k++) {
		nd++;
		v /= 10;
		if (!v)
			break;
	}
	rec->data[pos] = ':';
	rec->data[pos + 1] = '[';
	v = ino;
	for (k = 0; k < 20; k++) {
		if (k >= nd)
			break;
		rec->data[pos + 2 + (nd - 1 - k)] = '0' + v % 10;
		v /= 10;
	}
	rec->data[pos + 2 + nd] = ']';
	return nd + 3;
}

/*
 * Name of a pseudo file (a dentry that is its own parent without being a
 * mount root), as d_path() shows it via d_dname(): "uts:[4026531838]",
 * "pipe:[123]", "socket:[123]", "anon_inode:[eventfd]"; other filesystems
 * (memfd's "memfd:NAME", ...) use the dentry name. Written NUL-terminated at
 * off; returns the bytes used including the NUL.
 */
static __always_inline __u32 pn_pseudo_name(struct pn_record *rec, long off, struct dentry *dentry)
{
	struct inode *inode = BPF_CORE_READ(dentry, d_inode);
	const unsigned char *name = BPF_CORE_READ(dentry, d_name.name);
	unsigned long magic = BPF_CORE_READ(inode, i_sb, s_magic);
	__u64 ino = BPF_CORE_READ(inode, i_ino);
	struct ns_common *ns;
	__u64 pos = off;
	long n;

	if (inode && magic == PN_NSFS_MAGIC) {
		ns = BPF_CORE_READ(inode, i_private);
		n = bpf_probe_read_kernel_str(&rec->data[pos], 32, BPF_CORE_READ(ns, ops, name));
		if (n > 1)
			pos += n - 1;
		pos += pn_put_ino(rec, pos, ino);
	} else if (inode && magic == PN_PIPEFS_MAGIC) {
		pos += pn_put_word(rec, pos, 0x65706970ULL /* "pipe" */, 4);
		pos += pn_put_ino(rec, pos, ino);
	} else if (inode && magic == PN_SOCKFS_MAGIC) {
		pos += pn_put_word(rec, pos, 0x74656b636f73ULL /* "socket" */, 6);
		pos += pn_put_ino(rec, pos, ino);
	} else if (inode && magic == PN_ANON_INODE_FS_MAGIC) {
		pos += pn_put_word(rec, pos, 0x6f6e695f6e6f6e61ULL /* "anon_ino" */, 8);
		pos += pn_put_word(rec, pos, 0x3a6564ULL /* "de:" */, 3);
		n = bpf_probe_read_kernel_str(&rec->data[pos], PN_NAME_MAX, name);
		if (n > 1)
			pos += n - 1;
	} else {
		n = bpf_probe_read_kernel_str(&rec->data[pos], PN_NAME_MAX, name);
		if (n > 1)
			pos += n - 1;
	}
	rec->data[pos] = 0;
	return pos - off + 1;
}

/*
 * Path of {vfsmnt, dentry}, components NUL-terminated, leaf first
 * ("/usr/bin/true" -> "true\0bin\0usr\0"), crossing mount points up to the
 * root of the mount tree. "/" gives zero components (len 0). A pseudo file
 * (memfd, pipe, socket, nsfs, anon inode: a dentry that is its own parent
 * without being a mount root) is one component, named as d_path() names it.
 */
static __always_inline void pn_blob_path(struct pn_record *rec, int idx, struct vfsmount *vfsmnt,
					 struct dentry *dentry)
{
	__u16 flags = PN_BLOB_PRESENT | PN_BLOB_PATH_REVERSED;
	struct mount *mnt, *mp;
	struct dentry *mroot, *parent;
	const unsigned char *name;
	__u32 len = 0;
	int done = 0, i, h, state;
	long off, n;

	if (!vfsmnt || !dentry)
		return;
	off = pn_blob_start(rec, idx);
	if (off < 0)
		return;
	mnt = (struct mount *)((void *)vfsmnt - bpf_core_field_offset(struct mount, mnt));

	if (BPF_CORE_READ(dentry, d_parent) == dentry &&
	    BPF_CORE_READ(mnt, mnt.mnt_root) != dentry) {
		len = pn_pseudo_name(rec, off, dentry);
		pn_blob_end(rec, idx, off, len - 1, flags, len);
		return;
	}

	for (i = 0; i <= PN_PATH_DEPTH; i++) {
		/* climb out of mount roots: 0 = on a component, 1 = global
		 * root reached, 2 = too many stacked mounts */
		state = 2;
		for (h = 0; h < PN_MNT_HOPS; h++) {
			mroot = BPF_CORE_READ(mnt, mnt.mnt_root);
			if (dentry != mroot) {
				state = 0;
				break;
			}
			mp = BPF_CORE_READ(mnt, mnt_parent);
			if (!mp || mp == mnt) {
				state = 1;
				break;
			}
			dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
			mnt = mp;
		}
		if (state == 1)
			done = 1;
		if (state != 0)
			break;
		/* one more component than we may keep, or no room for it */
		if (i == PN_PATH_DEPTH || len > PN_STR_MAX - PN_NAME_MAX)
			break;
		name = BPF_CORE_READ(dentry, d_name.name);
		n = bpf_probe_read_kernel_str(&rec->data[off + len], PN_NAME_MAX, name);
		if (n <= 0) {
			if (len == 0)
				flags |= PN_BLOB_FAULT;
			break;
		}
		len += n;
		parent = BPF_CORE_READ(dentry, d_parent);
		if (!parent || parent == dentry) {
			done = 1;
			break;
		}
		dentry = parent;
	}

	if (!done && !(flags & PN_BLOB_FAULT))
		flags |= PN_BLOB_TRUNCATED;
	if (len == 0) {
		rec->data[off] = 0;
		pn_blob_end(rec, idx, off, 0, flags, 1);
		return;
	}
	pn_blob_end(rec, idx, off, len - 1, flags, len);
}

/* kernfs_node lost `parent` to `__parent` in 6.15. */
struct kernfs_node___old {
	struct kernfs_node *parent;
} __attribute__((preserve_access_index));

static __always_inline struct kernfs_node *pn_kn_parent(struct kernfs_node *kn)
{
	if (bpf_core_field_exists(kn->__parent))
		return BPF_CORE_READ(kn, __parent);
	return BPF_CORE_READ((struct kernfs_node___old *)kn, parent);
}

/*
 * The task's cgroup as a reversed path ("<id>\0docker" for /docker/<id>):
 * the cgroup v2 one, or, when the task sits at the v2 root (v1 and hybrid
 * hosts, where runtimes place containers in v1 hierarchies), the memory
 * controller's v1 cgroup. Read here, at exec, so a process that is gone
 * before user space looks at /proc still names its container.
 */
static __always_inline void pn_blob_cgroup(struct pn_record *rec, int idx, struct task_struct *t)
{
	__u16 flags = PN_BLOB_PRESENT | PN_BLOB_PATH_REVERSED;
	struct css_set *cset = BPF_CORE_READ(t, cgroups);
	struct cgroup_subsys_state *css = NULL;
	struct cgroup *cg = BPF_CORE_READ(cset, dfl_cgrp);
	struct kernfs_node *kn, *parent;
	__u32 len = 0;
	long off, n;
	int i;

	if ((!cg || BPF_CORE_READ(cg, level) == 0) &&
	    bpf_core_enum_value_exists(enum cgroup_subsys_id, memory_cgrp_id)) {
		__u32 id = bpf_core_enum_value(enum cgroup_subsys_id, memory_cgrp_id);

		bpf_probe_read_kernel(&css, sizeof(css),
				      (void *)cset + bpf_core_field_offset(struct css_set, subsys) +
					      (id & 63) * sizeof(css));
		if (css)
			cg = BPF_CORE_READ(css, cgroup);
	}
	if (!cg)
		return;
	off = pn_blob_start(rec, idx);
	if (off < 0)
		return;
	kn = BPF_CORE_READ(cg, kn);
	for (i = 0; i < PN_CGROUP_DEPTH; i++) {
		if (!kn)
			break;
		parent = pn_kn_parent(kn);
		if (!parent)
			break; /* the hierarchy's root: no name of its own */
		if (len > PN_STR_MAX - PN_NAME_MAX)
			break;
		n = bpf_probe_read_kernel_str(&rec->data[off + len], PN_NAME_MAX, BPF_CORE_READ(kn, name));
		if (n <= 0)
			break;
		len += n;
		kn = parent;
	}
	if (kn && i == PN_CGROUP_DEPTH)
		flags |= PN_BLOB_TRUNCATED;
	if (len == 0) {
		rec->data[off] = 0;
		pn_blob_end(rec, idx, off, 0, flags, 1);
		return;
	}
	pn_blob_end(rec, idx, off, len - 1, flags, len);
}

static __always_inline void pn_blob_file(struct pn_record *rec, int idx, struct file *f)
{
	if (!f)
		return;
	pn_blob_path(rec, idx, BPF_CORE_READ(f, f_path.mnt), BPF_CORE_READ(f, f_path.dentry));
}

/* current->files->fdt->fd[fd], or NULL. */
static __always_inline struct file *pn_fd_file(__s64 fd)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt;
	struct file **fds;
	struct file *f = NULL;
	__u32 max;

	if (fd < 0)
		return NULL;
	fdt = BPF_CORE_READ(t, files, fdt);
	if (!fdt)
		return NULL;
	max = BPF_CORE_READ(fdt, max_fds);
	if ((__u64)fd >= max)
		return NULL;
	fds = BPF_CORE_READ(fdt, fd);
	if (!fds)
		return NULL;
	if (bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]) < 0)
		return NULL;
	return f;
}

/* The struct socket behind a file, or NULL when it is not a socket. */
static __always_inline struct socket *pn_file_socket(struct file *f)
{
	struct socket *sock;
	umode_t mode;

	if (!f)
		return NULL;
	mode = BPF_CORE_READ(f, f_inode, i_mode);
	if ((mode & PN_S_IFMT) != PN_S_IFSOCK)
		return NULL;
	sock = BPF_CORE_READ(f, private_data);
	if (!sock || BPF_CORE_READ(sock, file) != f)
		return NULL;
	if (!BPF_CORE_READ(sock, sk))
		return NULL;
	return sock;
}

/* args[2] = socket type, args[3] = protocol of the socket behind fd. Returns
 * the struct sock (or NULL). */
static __always_inline struct sock *pn_sock_info(struct pn_record *rec, __s64 fd)
{
	struct socket *sock = pn_file_socket(pn_fd_file(fd));
	struct sock *sk;

	if (!sock)
		return NULL;
	sk = BPF_CORE_READ(sock, sk);
	rec->args[2] = PN_U32((__u16)BPF_CORE_READ(sock, type));
	rec->args[3] = BPF_CORE_READ(sk, sk_protocol);
	return sk;
}

/* struct sockaddr_in / sockaddr_in6 built from the socket's local (peer = 0)
 * or remote address; other families: the 2-byte family only. */
static __always_inline void pn_blob_sockaddr(struct pn_record *rec, int idx, struct sock *sk,
					     int peer)
{
	struct sockaddr_in6 sa6 = {};
	struct sockaddr_in sa = {};
	__u16 family;
	long off;
	__u32 n;

	if (!sk)
		return;
	off = pn_blob_start(rec, idx);
	if (off < 0)
		return;
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (family == PN_AF_INET) {
		sa.sin_family = family;
		if (peer) {
			sa.sin_port = BPF_CORE_READ(sk, __sk_common.skc_dport);
			sa.sin_addr.s_addr = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		} else {
			sa.sin_port = bpf_htons(BPF_CORE_READ(sk, __sk_common.skc_num));
			sa.sin_addr.s_addr = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		}
		n = sizeof(sa);
		bpf_probe_read_kernel(&rec->data[off], sizeof(sa), &sa);
	} else if (family == PN_AF_INET6) {
		sa6.sin6_family = family;
		if (peer) {
			sa6.sin6_port = BPF_CORE_READ(sk, __sk_common.skc_dport);
			BPF_CORE_READ_INTO(&sa6.sin6_addr, sk, __sk_common.skc_v6_daddr);
		} else {
			sa6.sin6_port = bpf_htons(BPF_CORE_READ(sk, __sk_common.skc_num));
			BPF_CORE_READ_INTO(&sa6.sin6_addr, sk, __sk_common.skc_v6_rcv_saddr);
		}
		n = sizeof(sa6);
		bpf_probe_read_kernel(&rec->data[off], sizeof(sa6), &sa6);
	} else {
		n = sizeof(family);
		bpf_probe_read_kernel(&rec->data[off], sizeof(family), &family);
	}
	pn_blob_end(rec, idx, off, n, PN_BLOB_PRESENT, n);
}

/* Directory a relative path is resolved against: only when the path blob
 * `pidx` was read and does not start with '/'. AT_FDCWD -> cwd. */
static __always_inline void pn_blob_basedir(struct pn_record *rec, int idx, int pidx, __s64 dirfd)
{
	struct task_struct *t;
	struct file *f;
	__u32 poff;

	if ((rec->blobs[pidx].flags & (PN_BLOB_PRESENT | PN_BLOB_FAULT)) != PN_BLOB_PRESENT)
		return;
	poff = rec->blobs[pidx].off;
	if (poff >= PN_DATA_CAP)
		return;
	if (rec->data[poff] == '/')
		return;
	if ((__s32)dirfd == PN_AT_FDCWD) {
		t = (struct task_struct *)bpf_get_current_task();
		pn_blob_path(rec, idx, BPF_CORE_READ(t, fs, pwd.mnt), BPF_CORE_READ(t, fs, pwd.dentry));
		return;
	}
	f = pn_fd_file((__s32)dirfd);
	if (f)
		pn_blob_file(rec, idx, f);
}

/* cwd of current, PATH_REVERSED. */
static __always_inline void pn_blob_cwd(struct pn_record *rec, int idx)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();

	pn_blob_path(rec, idx, BPF_CORE_READ(t, fs, pwd.mnt), BPF_CORE_READ(t, fs, pwd.dentry));
}

/* NUL-separated strings of the new image's memory [start, end) (argv or
 * the environment), at most PN_ARGV_MAX - 1 bytes; returns 1 when cut. */
static __always_inline int pn_blob_mm_range(struct pn_record *rec, int idx, unsigned long start,
					    unsigned long end)
{
	__u16 flags = PN_BLOB_PRESENT;
	__u64 total;
	int cut = 0;
	__u32 n, len;
	long off;

	if (end <= start)
		return 0;
	off = pn_blob_start(rec, idx);
	if (off < 0)
		return 1;
	total = end - start;
	n = total;
	if (total > PN_ARGV_MAX - 1) {
		n = PN_ARGV_MAX - 1;
		flags |= PN_BLOB_TRUNCATED;
		cut = 1;
	}
	if (bpf_probe_read_user(&rec->data[off], n, (const void *)start) < 0) {
		rec->data[off] = 0;
		pn_blob_end(rec, idx, off, 0, PN_BLOB_PRESENT | PN_BLOB_FAULT, 1);
		return cut;
	}
	/* terminate; drop the last string's own NUL from len if present */
	rec->data[off + n] = 0;
	len = n;
	if (n > 0 && rec->data[off + n - 1] == 0)
		len = n - 1;
	pn_blob_end(rec, idx, off, len, flags, len + 1);
	return cut;
}

/* argv of the new image (from mm->arg_start..arg_end): PN_EXEC_ARGV_TRUNCATED
 * when cut. */
static __always_inline __u64 pn_blob_mm_argv(struct pn_record *rec, int idx, struct task_struct *t)
{
	struct mm_struct *mm = BPF_CORE_READ(t, mm);

	if (!mm)
		return 0;
	if (pn_blob_mm_range(rec, idx, BPF_CORE_READ(mm, arg_start), BPF_CORE_READ(mm, arg_end)))
		return PN_EXEC_ARGV_TRUNCATED;
	return 0;
}

/* The new image's environment (mm->env_start..env_end); user space keeps a
 * few variables (LD_PRELOAD, ...) and drops the rest. */
static __always_inline void pn_blob_mm_env(struct pn_record *rec, int idx, struct task_struct *t)
{
	struct mm_struct *mm = BPF_CORE_READ(t, mm);

	if (mm)
		pn_blob_mm_range(rec, idx, BPF_CORE_READ(mm, env_start), BPF_CORE_READ(mm, env_end));
}

/* argv from a user argv array (failed execve*): up to PN_ARGV_ENTRIES
 * strings, NUL-separated, at most PN_ARGV_MAX bytes including the final NUL. */
static __always_inline void pn_blob_uargv(struct pn_record *rec, int idx, const char *const *uargv)
{
	__u16 flags = PN_BLOB_PRESENT;
	const char *arg;
	__u64 len = 0, room, pos;
	long off, n;
	int i;

	if (!uargv)
		return;
	off = pn_blob_start(rec, idx);
	if (off < 0)
		return;
	for (i = 0; i < PN_ARGV_ENTRIES; i++) {
		arg = NULL;
		if (bpf_probe_read_user(&arg, sizeof(arg), &uargv[i]) < 0) {
			flags |= (i == 0) ? PN_BLOB_FAULT : PN_BLOB_TRUNCATED;
			break;
		}
		if (!arg)
			break;
		pos = off + len;
		if (len >= PN_ARGV_MAX - 1 || pos > PN_DATA_CAP - PN_ARGV_MAX) {
			flags |= PN_BLOB_TRUNCATED;
			break;
		}
		room = PN_ARGV_MAX - len;
		n = bpf_probe_read_user_str(&rec->data[pos], room, arg);
		if (n <= 0) {
			flags |= PN_BLOB_TRUNCATED;
			break;
		}
		len += n;
		if ((__u64)n >= room) {
			flags |= PN_BLOB_TRUNCATED;
			break;
		}
	}
	if (i == PN_ARGV_ENTRIES) {
		arg = NULL;
		bpf_probe_read_user(&arg, sizeof(arg), &uargv[PN_ARGV_ENTRIES]);
		if (arg)
			flags |= PN_BLOB_TRUNCATED;
	}
	if (len == 0) {
		rec->data[off] = 0;
		pn_blob_end(rec, idx, off, 0, flags, 1);
		return;
	}
	pn_blob_end(rec, idx, off, len - 1, flags, len);
}

#endif /* PANOPTES_HELPERS_H */
