/* SPDX-License-Identifier: BSD-2-Clause */
/* Restart without breaking connections (state file): export of live
 * sessions and import of saved ones, with their dynamic BIB entries and the
 * same (T,t). */
#include <stdlib.h>

#include <netinet/in.h>

#include "tables.h"

static void session_saved(const struct session *s, uint64_t now_ms, struct nat64_saved_session *o)
{
	const struct bib *b = s->bib;

	memset(o, 0, sizeof(*o));
	o->proto = b->proto;
	memcpy(o->v6.addr, b->addr6, 16);
	o->v6.port = b->port6;
	o->v4.addr = b->addr4;
	o->v4.port = b->port4;
	o->remote = session_remote(s);
	o->state = (enum nat64_tcp_state)s->state;
	o->remaining_ms = s->expires_ms - now_ms;
	o->is_static = b->is_static;
	memcpy(o->packets, s->packets, sizeof(o->packets));
	memcpy(o->bytes, s->bytes, sizeof(o->bytes));
}

/* A restored session keeps its counts (shard locked). */
static void session_restored(struct session *s, const struct nat64_saved_session *e,
                             uint64_t now_ms)
{
	s->created_ms = now_ms; /* the state file keeps no age */
	memcpy(s->packets, e->packets, sizeof(s->packets));
	memcpy(s->bytes, e->bytes, sizeof(s->bytes));
}

int nat64_export(struct nat64 *nat, uint64_t now_ms,
                 int (*cb)(const struct nat64_saved_session *, void *), void *arg)
{
	for (size_t i = 0; i < NSHARDS; i++) {
		struct shard *sh = &nat->shards[i];
		int rc = 0;

		pthread_mutex_lock(&sh->lock);
		for (int t = 0; t < TIMER_MAX && !rc; t++) {
			for (struct session *s = sh->timers[t].head; s && !rc; s = s->lru_next) {
				struct nat64_saved_session o;

				if (session_expired(s, now_ms))
					continue; /* nat64_expire has not run yet */
				session_saved(s, now_ms, &o);
				rc = cb(&o, arg);
			}
		}
		pthread_mutex_unlock(&sh->lock);
		if (rc)
			return rc;
	}
	return 0;
}

enum import_outcome {
	IMPORT_SESSION, /* onto an existing BIB entry */
	IMPORT_NEW_BIB, /* with a re-created dynamic BIB entry */
	IMPORT_OUTSIDE,
	IMPORT_TAKEN,
	IMPORT_LIMIT,
	IMPORT_NOT_ALLOWED,
	IMPORT_EXPIRED,
	IMPORT_DUPLICATE,
	IMPORT_INVALID,
	IMPORT_NOMEM,
};

/* A session state that a live table can hold for this protocol. */
static bool saved_valid(const struct nat64_saved_session *e)
{
	if (nat64_proto_index(e->proto) < 0)
		return false;
	if (e->proto != IPPROTO_TCP)
		return e->state == NAT64_TCP_NONE &&
		       (e->proto != IPPROTO_ICMP || e->remote.port == e->v4.port); /* z == t */
	return e->state > NAT64_TCP_CLOSED && e->state <= NAT64_TCP_TRANS;
}

/* Lifetime left, at most the configured timeout of its state: a restart
 * with shorter timeouts shortens restored sessions as a reload would. */
static uint64_t saved_lifetime(struct nat64 *nat, const struct nat64_saved_session *e)
{
	uint64_t max = atomic_load_explicit(&nat->timeout_ms[timer_for(e->proto, e->state)],
	                                    memory_order_relaxed);

	return e->remaining_ms < max ? e->remaining_ms : max;
}

static enum import_outcome reserve_outcome(enum nat64_result r)
{
	return r == NAT64_NOMEM ? IMPORT_NOMEM : IMPORT_LIMIT;
}

/* Session e on the live entry b for its (X',x) (shard sh locked). */
static enum import_outcome import_on_bib(struct nat64 *nat, struct shard *sh, struct bib *b,
                                         const struct nat64_saved_session *e, uint64_t now_ms)
{
	uint64_t hs = sess_hash(nat, b, &e->remote);
	enum nat64_result r;
	struct session *s;

	if (b->addr4 != e->v4.addr || b->port4 != e->v4.port)
		return IMPORT_TAKEN; /* (X',x) is bound to another (T,t) now */
	if (session_find(sh, hs, b, &e->remote))
		return IMPORT_DUPLICATE;
	r = session_reserve(nat, b->addr6, NULL);
	if (r != NAT64_OK)
		return reserve_outcome(r);
	s = session_insert(nat, sh, b, hs, &e->remote, e->state, now_ms + saved_lifetime(nat, e));
	if (!s) {
		session_unreserve(nat, b->addr6);
		return IMPORT_NOMEM;
	}
	session_restored(s, e, now_ms);
	return IMPORT_SESSION;
}

/* No entry for (X',x): claim exactly the saved (T,t) and re-create the
 * dynamic entry with its session (stripe st locked). */
static enum import_outcome import_new_bib(struct nat64 *nat, struct stripe *st, uint64_t h6,
                                          const struct nat64_saved_session *e, uint64_t now_ms)
{
	uint64_t h4 = hash4(nat, e->proto, e->v4.addr, e->v4.port);
	struct shard *sh = shard_of(nat, h4);
	enum nat64_result r;
	struct bib *b = NULL;
	struct session *s = NULL;

	if (!source_allowed(nat, e->v6.addr))
		return IMPORT_NOT_ALLOWED;
	switch (port_claim(nat, e->proto, e->v6.addr, e->v4.addr, e->v4.port)) {
	case POOL4_OUTSIDE:
		return IMPORT_OUTSIDE;
	case POOL4_BUSY:
		return IMPORT_TAKEN;
	case POOL4_CLAIMED:
		break;
	}
	r = session_reserve(nat, e->v6.addr, NULL);
	if (r != NAT64_OK) {
		port_put(nat, e->proto, e->v6.addr, e->v4.addr, e->v4.port);
		return reserve_outcome(r);
	}
	pthread_mutex_lock(&sh->lock);
	/* the port was free, so no entry can hold (T,t) */
	b = bib_create(nat, sh, h4, e->proto, e->v6.addr, e->v6.port, e->v4.addr, e->v4.port);
	if (b)
		s = session_insert(nat, sh, b, sess_hash(nat, b, &e->remote), &e->remote, e->state,
		                   now_ms + saved_lifetime(nat, e));
	if (s) {
		session_restored(s, e, now_ms);
	} else if (b) {
		bib_kill(nat, sh, b);
		slab_free(&sh->bib_slab, b);
		b = NULL;
	}
	pthread_mutex_unlock(&sh->lock);
	if (!b) {
		port_put(nat, e->proto, e->v6.addr, e->v4.addr, e->v4.port);
		session_unreserve(nat, e->v6.addr);
		return IMPORT_NOMEM;
	}
	idx6_insert(nat, st, b, h6);
	return IMPORT_NEW_BIB;
}

static enum import_outcome import_one(struct nat64 *nat, const struct nat64_saved_session *e,
                                      uint64_t now_ms)
{
	uint64_t h6 = hash6(nat, e->proto, e->v6.addr, e->v6.port);
	struct stripe *st = stripe_of(nat, h6);
	enum import_outcome out = IMPORT_INVALID;
	struct bib *b;

	if (!saved_valid(e))
		return IMPORT_INVALID;
	if (e->remaining_ms == 0)
		return IMPORT_EXPIRED;
	pthread_mutex_lock(&st->lock);
	b = idx6_find(st, h6, e->proto, e->v6.addr, e->v6.port);
	if (b) {
		struct shard *sh = shard_of(nat, bib_hash4(nat, b));

		pthread_mutex_lock(&sh->lock);
		if (b->dead) {
			idx6_unlink(st, b, h6);
			b = NULL;
		} else {
			out = import_on_bib(nat, sh, b, e, now_ms);
		}
		pthread_mutex_unlock(&sh->lock);
	}
	if (!b)
		out = import_new_bib(nat, st, h6, e, now_ms);
	pthread_mutex_unlock(&st->lock);
	return out;
}

static void import_count(struct nat64_import_stats *st, enum import_outcome out)
{
	switch (out) {
	case IMPORT_NEW_BIB:
		st->bib++;
		/* fall through */
	case IMPORT_SESSION:
		st->sessions++;
		break;
	case IMPORT_OUTSIDE:
		st->outside_pool4++;
		break;
	case IMPORT_TAKEN:
		st->taken++;
		break;
	case IMPORT_LIMIT:
		st->limit++;
		break;
	case IMPORT_NOT_ALLOWED:
		st->not_allowed++;
		break;
	case IMPORT_EXPIRED:
		st->expired++;
		break;
	case IMPORT_DUPLICATE:
		st->duplicate++;
		break;
	case IMPORT_INVALID:
	case IMPORT_NOMEM:
		st->invalid++;
		break;
	}
}

static int saved_cmp_remaining(const void *a, const void *b)
{
	uint64_t ra = ((const struct nat64_saved_session *)a)->remaining_ms;
	uint64_t rb = ((const struct nat64_saved_session *)b)->remaining_ms;

	return ra < rb ? -1 : ra > rb;
}

enum nat64_result nat64_import(struct nat64 *nat, struct nat64_saved_session *s, size_t n,
                               uint64_t now_ms, struct nat64_import_stats *st)
{
	/* Ascending lifetimes keep each timer list in expiry order (the cap of
	 * saved_lifetime is per list, so it keeps the order too). */
	qsort(s, n, sizeof(*s), saved_cmp_remaining);
	for (size_t i = 0; i < n; i++) {
		enum import_outcome out = import_one(nat, &s[i], now_ms);

		if (out == IMPORT_NOMEM)
			return NAT64_NOMEM;
		import_count(st, out);
	}
	return NAT64_OK;
}
