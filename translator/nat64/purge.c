/* SPDX-License-Identifier: BSD-2-Clause */
/* Operator actions on live state: sessions ended on request (tun64ctl
 * sessions delete) or because their pool4 range left the configuration
 * (reload), timers cut to a shorter timeout (reload), and pool4 use. */
#include "tables.h"

#define PURGE_BATCH 256 /* dead BIB entries buried per shard lock */

static bool bib_in_active_pool4(const struct nat64 *nat, const struct bib *b)
{
	return pool4_active_at(nat->pool, b->addr4, b->port4);
}

static bool matches(const struct nat64 *nat, const struct bib *b,
                    const struct nat64_delete_filter *f)
{
	switch (f->by) {
	case NAT64_DEL_ALL:
		return true;
	case NAT64_DEL_CLIENT:
		return prefix6_contains(&f->client, b->addr6);
	case NAT64_DEL_POOL4:
		return b->addr4 == f->addr4;
	case NAT64_DEL_OUTSIDE_POOL4:
		/* static entries keep their (T,t) whatever pool4 says */
		return !b->is_static && !bib_in_active_pool4(nat, b);
	}
	return false;
}

/* One pass over a shard's timer lists (shard locked); false when dead[] is
 * full and the caller must come back. */
static bool purge_lists(struct nat64 *nat, struct shard *sh, const struct nat64_delete_filter *f,
                        struct bib **dead, size_t *n_dead, size_t *removed)
{
	for (int t = 0; t < TIMER_MAX; t++) {
		struct session *s = sh->timers[t].head;

		while (s) {
			struct session *next = s->lru_next;
			struct bib *b;

			if (!matches(nat, s->bib, f)) {
				s = next;
				continue;
			}
			if (*n_dead == PURGE_BATCH)
				return false;
			b = session_destroy(nat, sh, s);
			(*removed)++;
			if (b) {
				bib_kill(nat, sh, b);
				dead[(*n_dead)++] = b;
			}
			s = next;
		}
	}
	return true;
}

size_t nat64_delete(struct nat64 *nat, const struct nat64_delete_filter *f)
{
	struct bib *dead[PURGE_BATCH];
	size_t removed = 0;

	for (size_t i = 0; i < NSHARDS; i++) {
		struct shard *sh = &nat->shards[i];
		bool done;

		do {
			size_t n_dead = 0;

			pthread_mutex_lock(&sh->lock);
			done = purge_lists(nat, sh, f, dead, &n_dead, &removed);
			pthread_mutex_unlock(&sh->lock);
			bury_bibs(nat, sh, dead, n_dead);
		} while (!done);
	}
	if (f->by == NAT64_DEL_OUTSIDE_POOL4)
		atomic_fetch_add(&nat->ended_pool4_removed, removed);
	else
		atomic_fetch_add(&nat->deleted, removed);
	return removed;
}

/* Re-queue every session of list l, none expiring later than timeout from
 * now; lru_append marks the list out of order where a cut one now sits
 * behind later ones, and nat64_expire then walks it whole once. */
static size_t clamp_list(struct lru *l, uint64_t limit_ms)
{
	struct session *s = l->head;
	size_t cut = 0;

	l->head = l->tail = NULL;
	while (s) {
		struct session *next = s->lru_next;

		if (s->expires_ms > limit_ms) {
			s->expires_ms = limit_ms;
			cut++;
		}
		lru_append(l, s);
		s = next;
	}
	return cut;
}

size_t nat64_clamp_timers(struct nat64 *nat, uint64_t now_ms)
{
	size_t cut = 0;

	for (size_t i = 0; i < NSHARDS; i++) {
		struct shard *sh = &nat->shards[i];

		pthread_mutex_lock(&sh->lock);
		for (int t = 0; t < TIMER_MAX; t++)
			cut +=
			    clamp_list(&sh->timers[t], now_ms + atomic_load(&nat->timeout_ms[t]));
		pthread_mutex_unlock(&sh->lock);
	}
	return cut;
}

size_t nat64_pool4_ranges(struct nat64 *nat, struct nat64_range_use *out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; n < max && i < pool4_n_ranges(nat->pool); i++) {
		struct nat64_range_use *u = &out[n];

		if (!pool4_range_use(nat->pool, i, &u->range, &u->active, u->used, u->total))
			break;
		if (u->active)
			n++;
	}
	return n;
}
