/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * programs/process.bpf.h — exec, fork, exit (BTF tracepoints) and failed execs.
 *
 * A fragment of probes.bpf.c (one BPF object): included after the maps and
 * the common plumbing (pn_begin, pn_submit, PN_SYSCALL, ...) it uses.
 */

/* ------------------------------------------------------------- process */

#define PN_TMPFS_MAGIC 0x01021994
#define PN_HUGETLBFS_MAGIC 0x958458f6

/* `action: kill` rules decided here (wire.h PN_KILL_*, `kill_exec`):
 * SIGKILL to the task before its new image runs. True when sent. */
static __always_inline bool pn_exec_kill(struct file *file, struct inode *inode, __u64 nlink, __u64 magic)
{
	struct pn_kill_key key = {};
	struct pn_config *cfg;
	__u32 zero = 0;
	char name[7] = {};
	bool kill;

	cfg = bpf_map_lookup_elem(&config, &zero);
	key.dev = BPF_CORE_READ(inode, i_sb, s_dev);
	key.ino = BPF_CORE_READ(inode, i_ino);
	kill = bpf_map_lookup_elem(&kill_exec, &key) != NULL;
	if (!kill && cfg && (cfg->kill_flags & PN_KILL_DELETED) && nlink == 0)
		kill = true;
	if (!kill && cfg && (cfg->kill_flags & PN_KILL_MEMFD) && (magic == PN_TMPFS_MAGIC || magic == PN_HUGETLBFS_MAGIC)) {
		bpf_probe_read_kernel_str(name, sizeof(name), BPF_CORE_READ(file, f_path.dentry, d_name.name));
		kill = name[0] == 'm' && name[1] == 'e' && name[2] == 'm' && name[3] == 'f' && name[4] == 'd' &&
		       name[5] == ':';
	}
	if (kill)
		bpf_send_signal(9 /* SIGKILL */);
	return kill;
}

/* Inode types (S_IFMT >> 12) the stdio codes single out. */
#define PN_IFCHR 2
#define PN_IFSOCK 12

/* Descriptors 0-2 of `p` as EXEC args[5] (see wire.h): the inode type,
 * with a character device's major (ttys vs /dev/null) or a socket's family
 * (a shell whose stdin is an inet socket is a reverse shell). */
static __always_inline __u64 pn_stdio(struct task_struct *p)
{
	struct file **fds = BPF_CORE_READ(p, files, fdt, fd);
	unsigned int max = BPF_CORE_READ(p, files, fdt, max_fds);
	__u64 codes = PN_EXEC_STDIO_KNOWN;

#pragma unroll
	for (int i = 0; i < 3; i++) {
		struct file *f = NULL;
		struct inode *inode;
		__u64 type, extra = 0;

		if ((unsigned int)i >= max || bpf_probe_read_kernel(&f, sizeof(f), &fds[i]) || !f)
			continue;
		inode = BPF_CORE_READ(f, f_inode);
		type = (BPF_CORE_READ(inode, i_mode) >> 12) & 0xf;
		if (type == PN_IFCHR) {
			extra = BPF_CORE_READ(inode, i_rdev) >> 20;
		} else if (type == PN_IFSOCK) {
			struct socket *sock = BPF_CORE_READ(f, private_data);

			extra = BPF_CORE_READ(sock, sk, __sk_common.skc_family);
		}
		codes |= (type | (extra & 0xfff) << 4) << (16 * i);
	}
	return codes;
}

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
	if (inode && pn_exec_kill(file, inode, rec->args[0], rec->args[2]))
		rec->args[4] |= PN_EXEC_KILLED;
	pn_blob_cwd(rec, 3);
	pn_blob_cgroup(rec, 4, p);
	pn_blob_mm_env(rec, 5, p);
	rec->args[5] = pn_stdio(p);
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
