/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * programs/network.bpf.h — connect, bind, listen, accept.
 *
 * A fragment of probes.bpf.c (one BPF object): included after the maps and
 * the common plumbing (pn_begin, pn_submit, PN_SYSCALL, ...) it uses.
 */

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
