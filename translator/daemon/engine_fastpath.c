/* SPDX-License-Identifier: BSD-2-Clause */
/* The engine's half of the tc fast path (issue 13, privsep.h): the engine
 * owns the NAT64 tables, so it decides which sessions the BPF program may
 * translate, and the parent (which alone may call bpf()) applies that.
 *
 * Once a second (efp_tick) the engine walks its sessions and takes the
 * eligible ones: confirmed (packets both ways; TCP ESTABLISHED, so FIN and
 * RST, which the program punts here, take a session out on the next tick),
 * not hairpinned (RFC 6146 §3.8), Y' by RFC 6052 (an EAM-mapped remote stays
 * on the slow path). It compares that sorted set with the last one and sends
 * the difference in batches: new ones in, expired, closed, evicted or
 * re-mapped ones out. Then it asks for what moved: the parent answers with
 * the last-seen time of each direction that carried packets and the packets
 * and bytes since its last answer (folded into the session's timer and
 * counts, nat64_session_touch) and the program's counters (shown by tun64ctl
 * stats). Stateless mode has no sessions and no fast path. */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "control.h" /* struct fastpath_view */
#include "daemon.h"
#include "eam.h"
#include "log.h"
#include "privsep.h"
#include "rfc7915.h"
#ifdef TUN64_FASTPATH
#include "fastpath.h"
#endif

struct fp_engine {
	struct ps_fp_sess *cur, *next; /* sorted: in the map, and this tick's */
	size_t n_cur, n_next, cap_cur, cap_next;
	bool nomem;
	const struct xlat_config *x; /* while collecting */
	uint64_t rng;
	uint64_t ctr[PS_FP_NCOUNTERS];
	const char *names[PS_FP_NCOUNTERS];
	const char *meanings[PS_FP_NCOUNTERS];
	struct ps_fp_batch add, del;
};

static struct fp_engine *fpe_get(struct daemon *d)
{
	if (!d->fpe) {
		d->fpe = calloc(1, sizeof(*d->fpe));
		if (d->fpe) {
			d->fpe->rng = random_seed() | 1;
#ifdef TUN64_FASTPATH
			for (int c = 0; c < PS_FP_NCOUNTERS; c++) {
				d->fpe->names[c] = fastpath_counter_name((enum fp_counter)c);
				d->fpe->meanings[c] = fastpath_counter_meaning((enum fp_counter)c);
			}
#endif
		}
	}
	return d->fpe;
}

void efp_free(struct daemon *d)
{
	if (!d->fpe)
		return;
	free(d->fpe->cur);
	free(d->fpe->next);
	free(d->fpe);
	d->fpe = NULL;
}

/* The one entry per session, so equal sessions compare equal. */
static int collect(const struct nat64_session_info *in, void *arg)
{
	struct fp_engine *f = arg;
	struct ps_fp_sess *e;
	uint8_t y6[16];

	if (!in->confirmed || (in->proto == IPPROTO_TCP && in->state != NAT64_TCP_ESTABLISHED))
		return 0;
	if (in_pool4(f->x, in->remote4)) /* hairpin: two translations, tun64d's */
		return 0;
	/* An echo request from outside to own4 is tun64d's own to answer
	 * (xlat_is_own4), not the session's: the program cannot tell, so ICMP
	 * sessions on own4 stay here (fuzz_fastpath found the difference). */
	if (in->proto == IPPROTO_ICMP && in->addr4 == f->x->own4)
		return 0;
	if (siit_map_4to6(f->x->eam, &f->x->pool6, in->remote4, y6) != SIIT_VIA_RFC6052)
		return 0;
	if (f->n_next == f->cap_next) {
		size_t cap = f->cap_next ? 2 * f->cap_next : 1024;
		struct ps_fp_sess *n = realloc(f->next, cap * sizeof(*n));

		if (!n) {
			f->nomem = true;
			return 1;
		}
		f->next = n;
		f->cap_next = cap;
	}
	e = &f->next[f->n_next++];
	memset(e, 0, sizeof(*e));
	e->proto = in->proto;
	memcpy(e->src6, in->addr6, 16);
	memcpy(e->dst6, y6, 16);
	e->sport6 = in->port6;
	e->src4 = in->addr4;
	e->sport4 = in->port4;
	e->dst4 = in->remote4;
	/* ICMP echo: the identifiers stand for both ports (fastpath.h) */
	e->dport6 = in->proto == IPPROTO_ICMP ? in->port6 : in->rport4;
	e->dport4 = in->proto == IPPROTO_ICMP ? in->port4 : in->rport4;
	return 0;
}

static int sess_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct ps_fp_sess));
}

static void flush(struct daemon *d, struct ps_fp_batch *b, uint32_t type)
{
	if (b->n && ps_send(d->ps_fd, type, b, sizeof(*b), NULL, 0) < 0)
		log_debug("fast path: to the parent: %s", strerror(errno));
	memset(b, 0, sizeof(*b));
}

static void queue(struct daemon *d, struct ps_fp_batch *b, uint32_t type,
                  const struct ps_fp_sess *e)
{
	struct fp_engine *f = d->fpe;

	b->s[b->n] = *e;
	if (type == PS_FP_ADD) { /* RFC 7739 §5.1: a random start per flow */
		f->rng ^= f->rng << 13;
		f->rng ^= f->rng >> 7;
		f->rng ^= f->rng << 17;
		b->s[b->n].ipv4_id = (uint16_t)f->rng;
	}
	if (++b->n == PS_FP_BATCH)
		flush(d, b, type);
}

/* The difference of two sorted sets: in next only -> add, in cur only ->
 * del. */
static void sync_sessions(struct daemon *d, struct fp_engine *f)
{
	size_t i = 0, j = 0;
	struct ps_fp_sess *t;

	while (i < f->n_cur || j < f->n_next) {
		int c = i == f->n_cur ? 1 : j == f->n_next ? -1 : sess_cmp(&f->cur[i], &f->next[j]);

		if (c < 0)
			queue(d, &f->del, PS_FP_DEL, &f->cur[i++]);
		else if (c > 0)
			queue(d, &f->add, PS_FP_ADD, &f->next[j++]);
		else
			i++, j++;
	}
	flush(d, &f->del, PS_FP_DEL);
	flush(d, &f->add, PS_FP_ADD);
	t = f->cur;
	f->cur = f->next;
	f->next = t;
	f->n_cur = f->n_next;
	i = f->cap_cur;
	f->cap_cur = f->cap_next;
	f->cap_next = i;
}

void efp_tick(struct daemon *d)
{
	struct fp_engine *f;

	if (!d->fp_avail || !d->nat || !(f = fpe_get(d)))
		return;
	f->x = &atomic_load(&d->live)->x;
	f->n_next = 0;
	f->nomem = false;
	nat64_foreach_session(d->nat, collect, f);
	if (f->nomem) {
		log_debug("fast path: out of memory for the session list; next second");
	} else {
		if (f->n_next > 0) /* qsort(NULL, 0, ...) is undefined */
			qsort(f->next, f->n_next, sizeof(*f->next), sess_cmp);
		sync_sessions(d, f);
	}
	if (ps_send(d->ps_fd, PS_FP_POLL, NULL, 0, NULL, 0) < 0)
		log_debug("fast path: to the parent: %s", strerror(errno));
}

void efp_message(struct daemon *d, const struct ps_msg *m)
{
	struct fp_engine *f = fpe_get(d);

	if (!f)
		return;
	if (m->h.type == PS_FP_COUNTERS) {
		memcpy(f->ctr, m->u.fpn.c, sizeof(f->ctr));
	} else if (m->h.type == PS_FP_SEEN && d->nat) {
		for (uint32_t i = 0; i < m->u.fps.n; i++) {
			const struct ps_fp_touch *t = &m->u.fps.t[i];
			struct nat64_seen seen = {
			    .last_seen_ms = t->last_seen_ms,
			    .dir = t->dir ? NAT64_DIR_4TO6 : NAT64_DIR_6TO4,
			    .packets = t->packets,
			    .bytes = t->bytes,
			};

			nat64_session_touch(d->nat, t->proto, t->addr4, t->port4, t->remote4,
			                    t->rport4, &seen);
		}
	}
}

void efp_configure(struct daemon *d)
{
	const struct tun64_config *c = d->cfg;
	struct ps_fp_config m = {
	    .enabled = d->fp_on,
	    .mtu = (uint16_t)c->mtu,
	    .lowest_ipv6_mtu = (uint16_t)c->lowest_ipv6_mtu,
	    .tos_zero = c->tos_zero,
	    .flow_label_hash = c->flow_label_hash,
	};

	if (d->fp_avail && ps_send(d->ps_fd, PS_FP_CONFIG, &m, sizeof(m), NULL, 0) < 0)
		log_warn("fast path: to the parent: %s", strerror(errno));
}

int efp_switch(struct daemon *d, const char *arg, char *msg, size_t msglen)
{
	bool on = strcmp(arg, "on") == 0;

	if (!on && strcmp(arg, "off") != 0) {
		snprintf(msg, msglen, "fast-path: on or off, not '%s'", arg);
		return -1;
	}
	if (!d->fp_avail) {
		snprintf(msg, msglen, "fast-path: not in use (see the log at start)");
		return -1;
	}
	d->fp_on = on;
	efp_configure(d);
	snprintf(msg, msglen, "fast-path %s", on ? "on" : "off");
	return 0;
}

/* From the moment the program is attached (zeros until the parent's first
 * report), so that stats and the metrics do not change shape a second later. */
void efp_counters(struct daemon *d, struct fastpath_view *v)
{
	memset(v, 0, sizeof(*v));
	if (!d->fp_avail || !fpe_get(d) || !d->fpe->names[0])
		return;
	v->values = d->fpe->ctr;
	v->names = d->fpe->names;
	v->meanings = d->fpe->meanings;
	v->n = PS_FP_NCOUNTERS;
}
