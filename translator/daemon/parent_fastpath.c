/* SPDX-License-Identifier: BSD-2-Clause */
/* The parent's half of the tc fast path (issue 13, privsep.h): it loads and
 * attaches the BPF program to the tun, holds its maps, and does what the
 * engine asks of them. On Debian 12 kernels (kernel.unprivileged_bpf_disabled
 * = 2) a process without CAP_BPF may not call bpf() at all, even on a map fd
 * it was given, so the engine sends sessions and settings here and gets
 * back, once a second, the sessions that moved and the program's counters. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "daemon.h"
#include "log.h"
#include "privsep.h"

#ifdef TUN64_FASTPATH
#include <bpf/libbpf.h>
#include <netinet/in.h>
#include <stdarg.h>

#include "fastpath.h"

_Static_assert(PS_FP_NCOUNTERS == FP_COUNTER_MAX, "ps_fp_counters holds every counter");

/* libbpf's own messages at debug level: `auto` says one line when the
 * kernel refuses, not libbpf's whole verifier story. */
static int libbpf_to_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[512];

	(void)level;
	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	log_debug("libbpf: %s", line);
	return 0;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int pfp_open(struct daemon *d)
{
	int err;

	if (d->cfg->fast_path == FAST_PATH_NO)
		return 0;
	libbpf_set_print(libbpf_to_log);
	if (d->cfg->mode != XLAT_STATEFUL) {
		err = -EOPNOTSUPP;
		goto fail;
	}
	err = fastpath_open(&d->fp);
	if (err == 0) {
		err = fastpath_attach(d->fp, d->tun.ifindex);
		if (err) {
			fastpath_close(d->fp);
			d->fp = NULL;
		}
	}
	if (err == 0) {
		d->fp_since_ns = mono_ns();
		log_info("fast path: BPF program attached to the egress of %s", d->tun.name);
		return 0;
	}
fail:
	if (d->cfg->fast_path == FAST_PATH_YES) {
		log_err("fast-path yes: cannot %s: %s",
		        err == -EOPNOTSUPP ? "use it" : "load and attach the BPF program",
		        err == -EOPNOTSUPP ? "stateful mode only" : strerror(-err));
		return -1;
	}
	log_info("fast path: not in use (%s: %s)",
	         err == -EOPNOTSUPP ? "stateless mode" : "the kernel refused the BPF program",
	         strerror(-err));
	return 0;
}

void pfp_reattach(struct daemon *d)
{
	int err;

	if (!d->fp)
		return;
	fastpath_detach(d->fp);
	err = fastpath_attach(d->fp, d->tun.ifindex);
	if (err) {
		log_err("fast path: attaching to the re-created %s: %s; running without it",
		        d->tun.name, strerror(-err));
		fastpath_close(d->fp);
		d->fp = NULL;
	}
}

void pfp_close(struct daemon *d)
{
	fastpath_close(d->fp);
	d->fp = NULL;
}

/* What moved since the last poll, in batches. */
struct seen_ctx {
	struct daemon *d;
	struct ps_fp_seen out;
};

static void seen_flush(struct seen_ctx *c)
{
	if (c->out.n && ps_send(c->d->ps_fd, PS_FP_SEEN, &c->out, sizeof(c->out), NULL, 0) < 0)
		log_debug("fast path: to the engine: %s", strerror(errno));
	memset(&c->out, 0, sizeof(c->out));
}

static uint32_t get4(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* One direction of a session, named by its IPv4 side (T,t),(Z,z). */
static int seen_one(const struct fp_key *k, const struct fp_session *v, void *arg)
{
	struct seen_ctx *c = arg;
	struct ps_fp_touch *t = &c->out.t[c->out.n];

	memset(t, 0, sizeof(*t));
	if (k->family == FP_FAMILY_6) { /* the rewrite: (T,t) -> (Z,z) */
		t->proto = k->proto == IPPROTO_ICMPV6 ? IPPROTO_ICMP : k->proto;
		t->addr4 = get4(v->rw.src);
		t->port4 = ntohs(v->rw.sport);
		t->remote4 = get4(v->rw.dst);
		t->rport4 = ntohs(v->rw.dport);
	} else { /* the key: (Z,z) -> (T,t) */
		t->proto = k->proto;
		t->dir = 1;
		t->addr4 = get4(k->dst);
		t->port4 = ntohs(k->dport);
		t->remote4 = get4(k->src);
		t->rport4 = ntohs(k->sport);
	}
	if (t->proto != IPPROTO_TCP && t->proto != IPPROTO_UDP && t->proto != IPPROTO_ICMP)
		return 0;
	t->last_seen_ms = v->last_seen_ns / 1000000;
	t->packets = v->packets; /* not reported before (fastpath.h) */
	t->bytes = v->bytes;
	if (!t->packets)
		return 0; /* nothing to add (e.g. a timestamp only) */
	if (++c->out.n == PS_FP_BATCH)
		seen_flush(c);
	return 0;
}

/* Sessions in or out. One going out takes its last packets and bytes to
 * the engine (PS_FP_SEEN) with it. */
static void fp_batch(struct daemon *d, const struct ps_fp_batch *b, bool add)
{
	static unsigned failed; /* logged once per hundred */
	static struct seen_ctx c;

	memset(&c.out, 0, sizeof(c.out));
	c.d = d;

	for (uint32_t i = 0; i < b->n; i++) {
		const struct ps_fp_sess *e = &b->s[i];
		struct fastpath_session s = {.proto = e->proto,
		                             .sport6 = e->sport6,
		                             .dport6 = e->dport6,
		                             .src4 = e->src4,
		                             .dst4 = e->dst4,
		                             .sport4 = e->sport4,
		                             .dport4 = e->dport4};
		int err;

		memcpy(s.src6, e->src6, 16);
		memcpy(s.dst6, e->dst6, 16);
		err = add ? fastpath_session_add(d->fp, &s, e->ipv4_id)
		          : fastpath_session_del(d->fp, &s, seen_one, &c);
		/* ENOENT on delete: the engine's view was already right */
		if (err && !(err == -ENOENT && !add) && failed++ % 100 == 0)
			log_warn("fast path: %s a session: %s", add ? "adding" : "removing",
			         strerror(-err));
	}
	seen_flush(&c);
}

static void fp_poll(struct daemon *d)
{
	static struct seen_ctx c;
	struct ps_fp_counters n;
	uint64_t now = mono_ns();
	int err;

	memset(&c.out, 0, sizeof(c.out));
	c.d = d;
	fastpath_foreach_seen(d->fp, d->fp_since_ns, seen_one, &c);
	seen_flush(&c);
	d->fp_since_ns = now;
	err = fastpath_counters(d->fp, n.c);
	if (err) {
		log_debug("fast path: reading the counters: %s", strerror(-err));
		return;
	}
	if (ps_send(d->ps_fd, PS_FP_COUNTERS, &n, sizeof(n), NULL, 0) < 0)
		log_debug("fast path: to the engine: %s", strerror(errno));
}

void pfp_message(struct daemon *d, const struct ps_msg *m)
{
	const struct ps_fp_config *c = &m->u.fpc;
	int err;

	if (!d->fp)
		return; /* not in use: the engine was told (ps_tun.fastpath) */
	switch (m->h.type) {
	case PS_FP_CONFIG:
		err = fastpath_configure(d->fp, &(struct fastpath_settings){
		                                    .enabled = c->enabled,
		                                    .mtu = c->mtu,
		                                    .lowest_ipv6_mtu = c->lowest_ipv6_mtu,
		                                    .tos_zero = c->tos_zero,
		                                    .flow_label_hash = c->flow_label_hash,
		                                });
		if (err)
			log_err("fast path: configuring: %s", strerror(-err));
		else
			log_info("fast path: %s", c->enabled ? "on" : "off");
		break;
	case PS_FP_ADD:
	case PS_FP_DEL:
		fp_batch(d, &m->u.fpb, m->h.type == PS_FP_ADD);
		break;
	case PS_FP_POLL:
		fp_poll(d);
		break;
	}
}

#else /* built without the fast path */

int pfp_open(struct daemon *d)
{
	if (d->cfg->fast_path != FAST_PATH_YES)
		return 0;
	log_err("fast-path yes: this tun64d was built without the fast path (TUN64_FASTPATH)");
	return -1;
}

void pfp_reattach(struct daemon *d)
{
	(void)d;
}

void pfp_close(struct daemon *d)
{
	(void)d;
}

void pfp_message(struct daemon *d, const struct ps_msg *m)
{
	(void)d;
	(void)m;
}

#endif
