/* SPDX-License-Identifier: BSD-2-Clause */
/* Unsolicited IPv4 SYNs held for 6 s: see synhold.h. */
#include "synhold.h"

#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

struct held_syn {
	bool used;
	uint32_t src4, dst4;
	uint16_t sport, dport;
	uint64_t deadline_ms;
	size_t len;
	uint8_t pkt[SYNHOLD_QUOTE_MAX];
};

/* One shard: the SYNs whose sender (Z,z) hashes here. An IPv6 SYN looks in
 * the shard of its destination (Z,z) only, and only when that shard holds
 * something: while scanners keep some shards busy, IPv6 SYNs to other
 * peers take no lock at all, and no two workers meet on one global mutex. */
struct hold_shard {
	alignas(64) pthread_mutex_t lock;
	atomic_uint count; /* read without the lock on the IPv6 SYN path */
	struct held_syn *held;
};

struct synhold {
	atomic_uint total; /* all shards: the bound of the whole table */
	unsigned slots;    /* the bound */
	unsigned per_shard, n_shards;
	struct hold_shard shard[SYNHOLD_SHARDS];
};

/* (Z,z) -> shard: Fibonacci hashing of the sender. A sender aiming all its
 * SYNs at one shard fills that shard's per_shard slots, not the table. */
static struct hold_shard *shard_of(struct synhold *h, uint32_t z4, uint16_t z)
{
	uint64_t k = ((uint64_t)z4 << 16 | z) * 0x9e3779b97f4a7c15ULL;

	return &h->shard[(k >> 32) % h->n_shards];
}

struct synhold *synhold_new(unsigned slots)
{
	struct synhold *h;

	if (slots == 0)
		slots = SYNHOLD_SLOTS;
	/* Its shards are cache-line aligned: calloc promises only 16. */
	h = aligned_alloc(64, (sizeof(*h) + 63) & ~(size_t)63);
	if (!h)
		return NULL;
	memset(h, 0, sizeof(*h));
	h->slots = slots;
	h->n_shards = slots < SYNHOLD_SHARDS ? slots : SYNHOLD_SHARDS;
	/* twice the fair share: uneven hashing does not refuse early */
	h->per_shard = (2 * slots + h->n_shards - 1) / h->n_shards;
	atomic_init(&h->total, 0);
	for (unsigned i = 0; i < h->n_shards; i++) {
		struct hold_shard *sh = &h->shard[i];

		atomic_init(&sh->count, 0);
		sh->held = calloc(h->per_shard, sizeof(sh->held[0]));
		if (!sh->held || pthread_mutex_init(&sh->lock, NULL) != 0) {
			free(sh->held);
			h->n_shards = i;
			synhold_free(h);
			return NULL;
		}
	}
	return h;
}

void synhold_free(struct synhold *h)
{
	if (!h)
		return;
	for (unsigned i = 0; i < h->n_shards; i++) {
		pthread_mutex_destroy(&h->shard[i].lock);
		free(h->shard[i].held);
	}
	free(h);
}

static bool same_flow(const struct held_syn *s, uint32_t src4, uint16_t sport, uint32_t dst4,
                      uint16_t dport)
{
	return s->used && s->src4 == src4 && s->sport == sport && s->dst4 == dst4 &&
	       s->dport == dport;
}

/* One SYN fewer in sh (locked). */
static void forget(struct synhold *h, struct hold_shard *sh, struct held_syn *s)
{
	s->used = false;
	atomic_fetch_sub_explicit(&sh->count, 1, memory_order_relaxed);
	atomic_fetch_sub_explicit(&h->total, 1, memory_order_relaxed);
}

bool synhold_add(struct synhold *h, const uint8_t *ip4, size_t len, uint32_t src4, uint16_t sport,
                 uint32_t dst4, uint16_t dport, uint64_t now_ms)
{
	struct hold_shard *sh = shard_of(h, src4, sport);
	struct held_syn *free_slot = NULL;
	bool held = true;

	pthread_mutex_lock(&sh->lock);
	for (unsigned i = 0; i < h->per_shard; i++) {
		struct held_syn *s = &sh->held[i];

		if (same_flow(s, src4, sport, dst4, dport))
			goto out; /* a retransmission: the first copy keeps its deadline */
		if (!s->used && !free_slot)
			free_slot = s;
	}
	/* the shard's bound, then the table's */
	if (!free_slot ||
	    atomic_fetch_add_explicit(&h->total, 1, memory_order_relaxed) >= h->slots) {
		if (free_slot)
			atomic_fetch_sub_explicit(&h->total, 1, memory_order_relaxed);
		held = false;
		goto out;
	}
	free_slot->used = true;
	free_slot->src4 = src4;
	free_slot->sport = sport;
	free_slot->dst4 = dst4;
	free_slot->dport = dport;
	free_slot->deadline_ms = now_ms + SYNHOLD_MS;
	free_slot->len = len < SYNHOLD_QUOTE_MAX ? len : SYNHOLD_QUOTE_MAX;
	memcpy(free_slot->pkt, ip4, free_slot->len);
	atomic_fetch_add_explicit(&sh->count, 1, memory_order_relaxed);
out:
	pthread_mutex_unlock(&sh->lock);
	return held;
}

/* A relaxed count is enough: a SYN held at the same instant as the IPv6 SYN
 * that would cancel it races with it on the wire anyway. */
static bool shard_empty(struct hold_shard *sh)
{
	return atomic_load_explicit(&sh->count, memory_order_relaxed) == 0;
}

bool synhold_find(struct synhold *h, uint32_t peer4, uint16_t peer_port, uint32_t *t4,
                  uint16_t *tport)
{
	struct hold_shard *sh = shard_of(h, peer4, peer_port);
	bool found = false;

	if (shard_empty(sh))
		return false; /* the common case: no lock */
	pthread_mutex_lock(&sh->lock);
	for (unsigned i = 0; i < h->per_shard && !found; i++) {
		const struct held_syn *s = &sh->held[i];

		if (s->used && s->src4 == peer4 && s->sport == peer_port) {
			*t4 = s->dst4;
			*tport = s->dport;
			found = true;
		}
	}
	pthread_mutex_unlock(&sh->lock);
	return found;
}

unsigned synhold_cancel(struct synhold *h, uint32_t peer4, uint16_t peer_port, uint32_t t4,
                        uint16_t tport)
{
	struct hold_shard *sh = shard_of(h, peer4, peer_port);
	unsigned n = 0;

	if (shard_empty(sh))
		return 0; /* the common case: no lock */
	pthread_mutex_lock(&sh->lock);
	for (unsigned i = 0; i < h->per_shard; i++) {
		struct held_syn *s = &sh->held[i];

		if (same_flow(s, peer4, peer_port, t4, tport)) {
			forget(h, sh, s);
			n++;
		}
	}
	pthread_mutex_unlock(&sh->lock);
	return n;
}

/* One due SYN of sh into out, 0 if none (sh locked). */
static size_t expire_shard(struct synhold *h, struct hold_shard *sh, uint64_t now_ms, uint8_t *out,
                           size_t cap)
{
	for (unsigned i = 0; i < h->per_shard; i++) {
		struct held_syn *s = &sh->held[i];
		size_t len;

		if (!s->used || now_ms < s->deadline_ms)
			continue;
		len = s->len < cap ? s->len : cap;
		memcpy(out, s->pkt, len);
		forget(h, sh, s);
		return len;
	}
	return 0;
}

size_t synhold_expire(struct synhold *h, uint64_t now_ms, uint8_t *out, size_t cap)
{
	size_t len = 0;

	if (atomic_load_explicit(&h->total, memory_order_relaxed) == 0)
		return 0;
	for (unsigned i = 0; i < h->n_shards && !len; i++) {
		struct hold_shard *sh = &h->shard[i];

		if (shard_empty(sh))
			continue;
		pthread_mutex_lock(&sh->lock);
		len = expire_shard(h, sh, now_ms, out, cap);
		pthread_mutex_unlock(&sh->lock);
	}
	return len;
}

unsigned synhold_count(const struct synhold *h)
{
	return atomic_load_explicit(&((struct synhold *)h)->total, memory_order_relaxed);
}
