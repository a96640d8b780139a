/* SPDX-License-Identifier: BSD-2-Clause */
/* The engine's side of the socketpair to the parent (privsep.h): requests
 * and their replies, the parent's own messages, the tun fds it hands over.
 * Only the engine's main thread talks to the parent. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"
#include "privsep.h"
#include "sesslog_out.h"

/* One message buffer for the engine's main thread, the only one that talks
 * to the parent (a struct tun64_config is too big for the stack). */
static struct ps_msg msg;

/* PS_LOGFD, whenever it comes: the session-log file, swapped in. */
static void take_logfd(struct daemon *d, struct ps_msg *m)
{
	if (d->slog)
		sesslog_out_take_fd(d->slog, m->fds[0]);
	else
		close(m->fds[0]);
	m->nfds = 0;
}

/* Wait for the parent's reply (want_a or want_b) to what was just sent. A
 * PS_STOP on the way is remembered (d->stop_asked). Returns 0 with msg
 * holding the reply, or -1 when the parent is gone or breaks the protocol. */
int engine_wait(struct daemon *d, uint32_t want_a, uint32_t want_b, struct ps_msg **out)
{
	for (;;) {
		int r = ps_recv(d->ps_fd, &msg);
		const char *why;

		if (r <= 0) {
			if (r < 0)
				log_err("from the parent: %s", strerror(errno));
			d->parent_gone = true;
			return -1;
		}
		why = ps_check_from_parent(&msg.h, &msg.u, msg.h.len, msg.nfds);
		if (why) {
			log_err("from the parent: %s", why);
			ps_close_fds(&msg);
			d->parent_gone = true;
			return -1;
		}
		if (msg.h.type == want_a || msg.h.type == want_b) {
			*out = &msg;
			return 0;
		}
		if (msg.h.type == PS_LOGFD)
			take_logfd(d, &msg);
		ps_close_fds(&msg);
		if (msg.h.type == PS_STOP)
			d->stop_asked = true;
		else
			efp_message(d, &msg); /* fast-path updates between */
	}
}

int engine_request(struct daemon *d, uint32_t type, uint32_t want_a, uint32_t want_b,
                   struct ps_msg **reply)
{
	if (ps_send(d->ps_fd, type, NULL, 0, NULL, 0) < 0) {
		log_err("to the parent: %s", strerror(errno));
		d->parent_gone = true;
		return -1;
	}
	return engine_wait(d, want_a, want_b, reply);
}

int engine_tell(struct daemon *d, uint32_t type, const void *payload, size_t len)
{
	if (ps_send(d->ps_fd, type, payload, len, NULL, 0) < 0) {
		log_err("to the parent: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int engine_read_parent(struct daemon *d)
{
	int r = ps_recv(d->ps_fd, &msg);

	if (r <= 0) {
		log_err("the parent went away%s%s: exiting", r < 0 ? ": " : "",
		        r < 0 ? strerror(errno) : "");
		d->parent_gone = true;
		return -1;
	}
	if (ps_check_from_parent(&msg.h, &msg.u, msg.h.len, msg.nfds) == NULL) {
		if (msg.h.type == PS_STOP)
			d->stop_asked = true;
		else if (msg.h.type == PS_LOGFD)
			take_logfd(d, &msg);
		else
			efp_message(d, &msg);
	}
	ps_close_fds(&msg); /* a reply nobody waits for: nothing to keep */
	return 0;
}

/* reload.c: the configuration file, read by the parent (it may be
 * readable by root only). */
int fetch_config(struct daemon *d, struct tun64_config *nc, char *err, size_t errlen)
{
	struct ps_msg *m;

	if (engine_request(d, PS_CONFIG_REQ, PS_CONFIG, PS_CONFIG_ERR, &m) < 0) {
		snprintf(err, errlen, "reload: the parent did not answer");
		return -1;
	}
	if (m->h.type == PS_CONFIG_ERR) {
		snprintf(err, errlen, "%s", m->u.error.msg);
		return -1;
	}
	memcpy(nc, &m->u.cfg, sizeof(*nc));
	return 0;
}

void engine_take_tun(struct daemon *d, const struct ps_msg *m)
{
	const struct ps_tun *t = &m->u.tun;

	memset(&d->tun, 0, sizeof(d->tun));
	for (int q = 0; q < TUNIF_MAX_QUEUES; q++)
		d->tun.fd[q] = q < m->nfds ? m->fds[q] : -1;
	snprintf(d->tun.name, sizeof(d->tun.name), "%s", t->name);
	d->tun.ifindex = t->ifindex;
	d->tun.existed = t->existed != 0;
	d->tun.nqueues = t->nqueues;
	d->tun.vnet_hdr_len = t->vnet_hdr_len;
	d->tun.offloads = t->offloads;
	d->fp_avail = t->fastpath != 0;
	d->nworkers = (unsigned)t->nqueues;
}
