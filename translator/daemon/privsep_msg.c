/* SPDX-License-Identifier: BSD-2-Clause */
/* The parent/engine messages (privsep.h): send, receive with SCM_RIGHTS,
 * and the checks each side runs before it acts on one. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "privsep.h"

_Static_assert(sizeof(struct ps_fp_batch) <= PS_MAX_PAYLOAD &&
                   sizeof(struct ps_fp_seen) <= PS_MAX_PAYLOAD,
               "fast-path batches fit a message");

int ps_send(int fd, uint32_t type, const void *payload, size_t len, const int *fds, int nfds)
{
	struct ps_hdr h = {.type = type, .len = (uint32_t)len};
	struct iovec iov[2] = {{.iov_base = &h, .iov_len = sizeof(h)},
	                       {.iov_base = (void *)payload, .iov_len = len}};
	union {
		char buf[CMSG_SPACE(sizeof(int) * TUNIF_MAX_QUEUES)];
		struct cmsghdr align;
	} cm;
	struct msghdr mh = {.msg_iov = iov, .msg_iovlen = len ? 2 : 1};

	if (nfds < 0 || nfds > TUNIF_MAX_QUEUES || len > PS_MAX_PAYLOAD) {
		errno = EINVAL;
		return -1;
	}
	if (nfds > 0) {
		struct cmsghdr *c;

		memset(&cm, 0, sizeof(cm));
		mh.msg_control = cm.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
	}
	for (;;) {
		ssize_t w = sendmsg(fd, &mh, MSG_NOSIGNAL);

		if (w == (ssize_t)(sizeof(h) + len))
			return 0;
		if (w < 0 && errno == EINTR)
			continue;
		if (w >= 0)
			errno = EMSGSIZE; /* a record goes whole or not at all */
		return -1;
	}
}

void ps_close_fds(struct ps_msg *m)
{
	for (int i = 0; i < m->nfds; i++)
		close(m->fds[i]);
	m->nfds = 0;
}

/* Take the fds out of the control messages; any beyond what fits are
 * closed and make the message invalid. */
static int take_fds(struct msghdr *mh, struct ps_msg *m)
{
	int bad = 0;

	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		size_t n;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(fd));
			if (m->nfds < TUNIF_MAX_QUEUES)
				m->fds[m->nfds++] = fd;
			else {
				close(fd);
				bad = 1;
			}
		}
	}
	return bad;
}

int ps_recv(int fd, struct ps_msg *m)
{
	struct iovec iov[2] = {{.iov_base = &m->h, .iov_len = sizeof(m->h)},
	                       {.iov_base = &m->u, .iov_len = sizeof(m->u)}};
	union {
		char buf[CMSG_SPACE(sizeof(int) * TUNIF_MAX_QUEUES)];
		struct cmsghdr align;
	} cm;
	struct msghdr mh = {.msg_iov = iov,
	                    .msg_iovlen = 2,
	                    .msg_control = cm.buf,
	                    .msg_controllen = sizeof(cm.buf)};
	ssize_t r;

	m->nfds = 0;
	do
		r = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
	while (r < 0 && errno == EINTR);
	if (r <= 0)
		return (int)r;
	if (take_fds(&mh, m) || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
	    (size_t)r < sizeof(m->h) || (size_t)r - sizeof(m->h) != m->h.len) {
		ps_close_fds(m);
		errno = EPROTO;
		return -1;
	}
	return 1;
}

static bool terminated(const char *s, size_t cap)
{
	return memchr(s, '\0', cap) != NULL;
}

/* Every prefix well formed (host bits zero), the unused tail and the
 * padding zero: nothing the parent would route is left to chance. */
static const char *check_routes(const void *payload, size_t n)
{
	struct ps_routes r;

	if (n != sizeof(r))
		return "PS_ROUTES: wrong length";
	memcpy(&r, payload, sizeof(r));
	if (r.n > PS_MAX_ROUTES || r.pad != 0)
		return "PS_ROUTES: bad count";
	for (size_t i = 0; i < PS_MAX_ROUTES; i++) {
		const struct ps_prefix4 *p = &r.p[i];
		uint32_t mask = p->len == 0 || p->len > 32 ? 0 : ~0U << (32 - p->len);

		if (p->pad[0] || p->pad[1] || p->pad[2])
			return "PS_ROUTES: bad padding";
		if (i >= r.n && (p->addr || p->len))
			return "PS_ROUTES: data past the count";
		if (i < r.n && (p->len > 32 || (p->addr & ~mask)))
			return "PS_ROUTES: bad prefix";
	}
	return NULL;
}

static bool all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

static bool fp_proto(uint8_t proto)
{
	return proto == 6 || proto == 17 || proto == 1; /* TCP, UDP, ICMP */
}

static const char *check_fp_config(const void *payload, size_t n)
{
	struct ps_fp_config c;

	if (n != sizeof(c))
		return "PS_FP_CONFIG: wrong length";
	memcpy(&c, payload, sizeof(c));
	if (c.enabled > 1 || c.tos_zero > 1 || c.flow_label_hash > 1 || c.pad != 0)
		return "PS_FP_CONFIG: bad field";
	return NULL;
}

/* Each session well formed (an ICMP echo session has its identifier as both
 * ports), nothing after the n-th. */
static const char *check_fp_batch(const void *payload, size_t n)
{
	const struct ps_fp_batch *b = payload;

	if (n != sizeof(*b))
		return "PS_FP_ADD/DEL: wrong length";
	if (b->n < 1 || b->n > PS_FP_BATCH || b->pad != 0)
		return "PS_FP_ADD/DEL: bad count";
	for (uint32_t i = 0; i < b->n; i++) {
		const struct ps_fp_sess *e = &b->s[i];

		if (!fp_proto(e->proto) || !all_zero(e->pad, sizeof(e->pad)) || e->pad2 != 0)
			return "PS_FP_ADD/DEL: bad session";
		if (e->proto == 1 && (e->sport6 != e->dport6 || e->sport4 != e->dport4))
			return "PS_FP_ADD/DEL: ICMP identifiers differ";
	}
	if (!all_zero(&b->s[b->n], (PS_FP_BATCH - b->n) * sizeof(b->s[0])))
		return "PS_FP_ADD/DEL: data after the last session";
	return NULL;
}

const char *ps_check_from_engine(const struct ps_hdr *h, const void *payload, size_t n, int nfds,
                                 struct ps_seq *seq)
{
	struct ps_state_begin b;
	struct ps_state_end e;

	if (h->len != n)
		return "length does not match the header";
	if (nfds != 0)
		return "file descriptors from the engine";
	switch (h->type) {
	case PS_READY:
	case PS_TUN_LOST:
	case PS_CONFIG_REQ:
	case PS_WITHDRAW:
	case PS_RESTORE:
	case PS_FP_POLL:
		if (n != 0)
			return "payload on a message that has none";
		if (seq->saving)
			return "request inside a state save";
		return NULL;
	case PS_ROUTES:
		if (seq->saving)
			return "request inside a state save";
		return check_routes(payload, n);
	case PS_STATE_BEGIN:
		if (n != sizeof(b))
			return "PS_STATE_BEGIN: wrong length";
		memcpy(&b, payload, sizeof(b));
		if (b.periodic > 1)
			return "PS_STATE_BEGIN: periodic not 0 or 1";
		if (seq->saving)
			return "PS_STATE_BEGIN inside a state save";
		seq->saving = true;
		return NULL;
	case PS_STATE_DATA:
		if (n == 0 || n > PS_STATE_CHUNK)
			return "PS_STATE_DATA: wrong length";
		if (!seq->saving)
			return "PS_STATE_DATA outside a state save";
		return NULL;
	case PS_STATE_END:
		if (n != sizeof(e))
			return "PS_STATE_END: wrong length";
		memcpy(&e, payload, sizeof(e));
		if (e.ok > 1 || e.pad != 0)
			return "PS_STATE_END: bad field";
		if (!seq->saving)
			return "PS_STATE_END outside a state save";
		seq->saving = false;
		return NULL;
	case PS_FP_CONFIG:
		return seq->saving ? "request inside a state save" : check_fp_config(payload, n);
	case PS_FP_ADD:
	case PS_FP_DEL:
		return seq->saving ? "request inside a state save" : check_fp_batch(payload, n);
	default:
		return "unknown message type";
	}
}

const char *ps_check_from_parent(const struct ps_hdr *h, const void *payload, size_t n, int nfds)
{
	struct ps_tun t;

	if (h->len != n)
		return "length does not match the header";
	if (h->type != PS_TUN && h->type != PS_LOGFD && nfds != 0)
		return "unexpected file descriptors";
	switch (h->type) {
	case PS_STOP:
	case PS_TUN_FAIL:
		return n == 0 ? NULL : "payload on a message that has none";
	case PS_TUN:
		if (n != sizeof(t))
			return "PS_TUN: wrong length";
		memcpy(&t, payload, sizeof(t));
		if (t.nqueues < 1 || t.nqueues > TUNIF_MAX_QUEUES || t.nqueues != nfds)
			return "PS_TUN: one fd per queue";
		if (!terminated(t.name, sizeof(t.name)))
			return "PS_TUN: name not terminated";
		if (t.fastpath > 1)
			return "PS_TUN: fastpath not 0 or 1";
		return NULL;
	case PS_CONFIG:
		return n == sizeof(struct tun64_config) ? NULL : "PS_CONFIG: wrong length";
	case PS_FP_SEEN: {
		const struct ps_fp_seen *v = payload;

		if (n != sizeof(*v))
			return "PS_FP_SEEN: wrong length";
		if (v->n < 1 || v->n > PS_FP_BATCH)
			return "PS_FP_SEEN: bad count";
		for (uint32_t i = 0; i < v->n; i++) {
			const struct ps_fp_touch *e = &v->t[i];

			if (!fp_proto(e->proto) || e->dir > 1 || e->pad != 0)
				return "PS_FP_SEEN: bad entry";
			/* deltas of translated packets: at least one, each at
			 * least an IPv4 header (RFC 791) */
			if (e->packets == 0 || e->bytes / 20 < e->packets)
				return "PS_FP_SEEN: bad counts";
		}
		return NULL;
	}
	case PS_FP_COUNTERS:
		return n == sizeof(struct ps_fp_counters) ? NULL : "PS_FP_COUNTERS: wrong length";
	case PS_LOGFD:
		if (n != sizeof(struct ps_logfd))
			return "PS_LOGFD: wrong length";
		if (nfds != 1)
			return "PS_LOGFD: one fd";
		if (((const struct ps_logfd *)payload)->reopen > 1)
			return "PS_LOGFD: reopen not 0 or 1";
		return NULL;
	case PS_CONFIG_ERR:
		if (n != sizeof(struct ps_error))
			return "PS_CONFIG_ERR: wrong length";
		return terminated(((const struct ps_error *)payload)->msg, n)
		           ? NULL
		           : "PS_CONFIG_ERR: not terminated";
	default:
		return "unknown message type";
	}
}
