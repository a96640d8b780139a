/* The parent/engine messages (privsep.h): send, receive with SCM_RIGHTS,
 * and the checks each side runs before it acts on one. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "privsep.h"

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
		if (n != 0)
			return "payload on a message that has none";
		if (seq->saving)
			return "request inside a state save";
		return NULL;
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
		return NULL;
	case PS_CONFIG:
		return n == sizeof(struct tun64_config) ? NULL : "PS_CONFIG: wrong length";
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
