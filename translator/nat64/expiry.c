/* SPDX-License-Identifier: BSD-2-Clause */
/* Session timers and their expiry (see "Expiry" in tables.h): one
 * FIFO list per timer class and shard, refreshed lazily. */
#include "tables.h"

#define EXPIRE_BATCH 256 /* dead BIB entries buried per shard lock */

/* Same list and not earlier than queued: just the new time (nat64_expire
 * requeues it). */
void session_arm(struct nat64 *nat, struct shard *sh, struct session *s, uint64_t now_ms)
{
	enum timer_class tc = timer_for(s->bib->proto, (enum nat64_tcp_state)s->state);

	s->expires_ms = now_ms + atomic_load_explicit(&nat->timeout_ms[tc], memory_order_relaxed);
	if (tc == s->timer && s->expires_ms + LRU_SLACK_MS >= s->queued_ms)
		return;
	lru_unlink(&sh->timers[s->timer], s);
	s->timer = (uint8_t)tc;
	lru_append(&sh->timers[tc], s);
}

/* Order check of a whole walk over the sessions that stay. */
struct order_scan {
	uint64_t max;
	bool disordered;
};

static void order_scan_add(struct order_scan *o, const struct session *s)
{
	if (s->queued_ms + LRU_SLACK_MS < o->max)
		o->disordered = true;
	if (s->queued_ms > o->max)
		o->max = s->queued_ms;
}

/* Expire sessions of one timer list (shard locked): from the head while
 * their queued time has passed, or the whole list if it is out of order.
 * Sessions refreshed since they were queued go to the tail again. Dead BIB
 * entries go to dead[]; returns false when dead[] is full and the caller
 * must come back. */
static bool expire_list(struct nat64 *nat, struct shard *sh, struct lru *l, uint64_t now_ms,
                        struct bib **dead, size_t *n_dead, size_t *removed)
{
	struct order_scan scan = {0, false};
	bool whole = l->disordered;
	struct session *s = l->head;

	while (s && *n_dead < EXPIRE_BATCH) {
		struct session *next = s->lru_next;
		struct bib *b;

		if (!whole && s->queued_ms > now_ms)
			return true; /* in order: the rest expire later */
		if (!session_expired(s, now_ms)) {
			if (whole) {
				order_scan_add(&scan, s);
			} else {
				/* refreshed: back to the tail, whose queued_ms > now */
				lru_unlink(l, s);
				lru_append(l, s);
			}
			s = next;
			continue;
		}
		b = session_destroy(nat, sh, s);
		(*removed)++;
		if (b) {
			bib_kill(nat, sh, b);
			dead[(*n_dead)++] = b;
		}
		s = next;
	}
	if (s)
		return false;
	if (whole) {
		l->disordered = scan.disordered;
		l->max_expires = scan.max;
	}
	return true;
}

/* Phase 2 and 3 for entries taken out of shard sh: leave the IPv6 index,
 * give the port back, recycle. */
void bury_bibs(struct nat64 *nat, struct shard *sh, struct bib **dead, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct bib *b = dead[i];
		uint64_t h6 = bib_hash6(nat, b);
		struct stripe *st = stripe_of(nat, h6);

		pthread_mutex_lock(&st->lock);
		if (b->in_idx6)
			idx6_unlink(st, b, h6);
		pthread_mutex_unlock(&st->lock);
		port_put(nat, b->proto, b->addr6, b->addr4, b->port4);
	}
	pthread_mutex_lock(&sh->lock);
	for (size_t i = 0; i < n; i++)
		slab_free(&sh->bib_slab, dead[i]);
	pthread_mutex_unlock(&sh->lock);
}

static size_t expire_shard(struct nat64 *nat, struct shard *sh, uint64_t now_ms)
{
	struct bib *dead[EXPIRE_BATCH];
	size_t removed = 0;
	bool done;

	do {
		size_t n_dead = 0;

		done = true;
		pthread_mutex_lock(&sh->lock);
		for (int t = 0; t < TIMER_MAX && done; t++)
			done =
			    expire_list(nat, sh, &sh->timers[t], now_ms, dead, &n_dead, &removed);
		pthread_mutex_unlock(&sh->lock);
		bury_bibs(nat, sh, dead, n_dead);
	} while (!done);
	return removed;
}

size_t nat64_expire(struct nat64 *nat, uint64_t now_ms)
{
	size_t removed = 0;

	for (size_t i = 0; i < NSHARDS; i++)
		removed += expire_shard(nat, &nat->shards[i], now_ms);
	return removed;
}
