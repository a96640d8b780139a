/* SPDX-License-Identifier: BSD-2-Clause */
/* Stateful fragment table, see frag.h. */
#include "frag.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define FRAG_SETS (FRAG_TABLE_ENTRIES / FRAG_TABLE_WAYS)

struct frag_entry {
	struct frag_key key;
	uint8_t addr[16];
	uint64_t expires_ms; /* 0: free */
};

struct frag_set {
	pthread_mutex_t lock;
	struct frag_entry e[FRAG_TABLE_WAYS];
};

struct frag_table {
	uint64_t seed;
	struct frag_set sets[FRAG_SETS];
};

struct frag_table *frag_table_new(uint64_t key_seed)
{
	struct frag_table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->seed = key_seed;
	for (size_t i = 0; i < FRAG_SETS; i++)
		pthread_mutex_init(&t->sets[i].lock, NULL);
	return t;
}

void frag_table_free(struct frag_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < FRAG_SETS; i++)
		pthread_mutex_destroy(&t->sets[i].lock);
	free(t);
}

/* FNV-1a over the key fields, started from the seed. Keys are compared
 * field by field, so padding never matters. */
static uint64_t hash_bytes(uint64_t h, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static struct frag_set *set_of(struct frag_table *t, const struct frag_key *k)
{
	uint8_t tail[6] = {(uint8_t)(k->id >> 24),
	                   (uint8_t)(k->id >> 16),
	                   (uint8_t)(k->id >> 8),
	                   (uint8_t)k->id,
	                   k->proto,
	                   k->from_v6};
	uint64_t h = t->seed ^ 0xcbf29ce484222325ULL;

	h = hash_bytes(h, k->src, 16);
	h = hash_bytes(h, k->dst, 16);
	h = hash_bytes(h, tail, sizeof(tail));
	return &t->sets[(h ^ h >> 32) % FRAG_SETS];
}

static bool key_eq(const struct frag_key *a, const struct frag_key *b)
{
	return a->id == b->id && a->proto == b->proto && a->from_v6 == b->from_v6 &&
	       !memcmp(a->src, b->src, 16) && !memcmp(a->dst, b->dst, 16);
}

static bool entry_live(const struct frag_entry *e, uint64_t now_ms)
{
	return e->expires_ms > now_ms;
}

/* The slot for k: its own entry, else a free or expired one, else the one
 * that expires first. */
static struct frag_entry *slot_for(struct frag_set *s, const struct frag_key *k, uint64_t now_ms)
{
	struct frag_entry *victim = &s->e[0];

	for (size_t i = 0; i < FRAG_TABLE_WAYS; i++)
		if (entry_live(&s->e[i], now_ms) && key_eq(&s->e[i].key, k))
			return &s->e[i];
	for (size_t i = 0; i < FRAG_TABLE_WAYS; i++) {
		if (!entry_live(&s->e[i], now_ms))
			return &s->e[i];
		if (s->e[i].expires_ms < victim->expires_ms)
			victim = &s->e[i];
	}
	return victim;
}

void frag_remember(struct frag_table *t, const struct frag_key *key, const uint8_t addr[16],
                   uint64_t now_ms)
{
	struct frag_set *s = set_of(t, key);
	struct frag_entry *e;

	pthread_mutex_lock(&s->lock);
	e = slot_for(s, key, now_ms);
	e->key = *key;
	memcpy(e->addr, addr, 16);
	e->expires_ms = now_ms + FRAG_TIMEOUT_MS;
	pthread_mutex_unlock(&s->lock);
}

bool frag_lookup(struct frag_table *t, const struct frag_key *key, uint8_t addr[16],
                 uint64_t now_ms)
{
	struct frag_set *s = set_of(t, key);
	bool found = false;

	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < FRAG_TABLE_WAYS && !found; i++) {
		if (entry_live(&s->e[i], now_ms) && key_eq(&s->e[i].key, key)) {
			memcpy(addr, s->e[i].addr, 16);
			found = true;
		}
	}
	pthread_mutex_unlock(&s->lock);
	return found;
}
