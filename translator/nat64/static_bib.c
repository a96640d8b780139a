/* SPDX-License-Identifier: BSD-2-Clause */
/* Static BIB entries (config key `bib`): installed, adopted from a live
 * dynamic entry with the same binding, or dropped on reload. Everything here
 * runs with cfg_lock held. */
#include <stdlib.h>

#include "tables.h"

static bool static_same(const struct nat64_static_bib *a, const struct nat64_static_bib *b)
{
	return a->proto == b->proto && a->addr4 == b->addr4 && a->port4 == b->port4 &&
	       a->port6 == b->port6 && !memcmp(a->addr6, b->addr6, 16);
}

static bool static_listed(const struct nat64_static_bib *e, const struct nat64_static_bib *v,
                          size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (static_same(e, &v[i]))
			return true;
	return false;
}

/* (X',x) has live entry b (stripe and shard locked): fine if it is this very
 * binding, which then becomes static. */
static int static_adopt(struct bib *b, const struct nat64_static_bib *e)
{
	if (b->addr4 != e->addr4 || b->port4 != e->port4)
		return -1;
	b->is_static = true;
	return 0;
}

/* Insert a new static entry (stripe locked, no live entry for (X',x)). */
static int static_insert(struct nat64 *nat, struct stripe *st, uint64_t h6,
                         const struct nat64_static_bib *e)
{
	enum pool4_claim c = pool4_claim(nat->pool, e->proto, e->addr4, e->port4);
	uint64_t h4 = hash4(nat, e->proto, e->addr4, e->port4);
	struct shard *sh = shard_of(nat, h4);
	struct bib *b = NULL;

	if (c == POOL4_BUSY)
		return -1; /* (T,t) belongs to another flow */
	pthread_mutex_lock(&sh->lock);
	if (!bib4_find(sh, h4, e->proto, e->addr4, e->port4))
		b = bib_create(nat, sh, h4, e->proto, e->addr6, e->port6, e->addr4, e->port4);
	if (b)
		b->is_static = true;
	pthread_mutex_unlock(&sh->lock);
	if (!b) {
		if (c == POOL4_CLAIMED)
			pool4_release(nat->pool, e->proto, e->addr4, e->port4);
		return -1;
	}
	idx6_insert(nat, st, b, h6);
	return 0;
}

static int static_add(struct nat64 *nat, const struct nat64_static_bib *e)
{
	uint64_t h6 = hash6(nat, e->proto, e->addr6, e->port6);
	struct stripe *st = stripe_of(nat, h6);
	struct bib *b;
	int rc = 0;

	if (nat64_proto_index(e->proto) < 0)
		return -1;
	pthread_mutex_lock(&st->lock);
	b = idx6_find(st, h6, e->proto, e->addr6, e->port6);
	if (b) {
		struct shard *sh = shard_of(nat, bib_hash4(nat, b));

		pthread_mutex_lock(&sh->lock);
		if (b->dead) {
			idx6_unlink(st, b, h6);
			b = NULL;
		} else {
			rc = static_adopt(b, e);
		}
		pthread_mutex_unlock(&sh->lock);
	}
	if (!b)
		rc = static_insert(nat, st, h6, e);
	pthread_mutex_unlock(&st->lock);
	return rc;
}

/* A static entry left the configuration: it becomes dynamic, and goes now
 * if it has no session (else with its last session). */
static void static_remove(struct nat64 *nat, const struct nat64_static_bib *e)
{
	uint64_t h6 = hash6(nat, e->proto, e->addr6, e->port6);
	struct stripe *st = stripe_of(nat, h6);
	struct bib *b;

	pthread_mutex_lock(&st->lock);
	b = idx6_find(st, h6, e->proto, e->addr6, e->port6);
	if (b) {
		struct shard *sh = shard_of(nat, bib_hash4(nat, b));

		pthread_mutex_lock(&sh->lock);
		if (b->addr4 == e->addr4 && b->port4 == e->port4)
			b->is_static = false;
		if (!b->dead && !b->is_static && b->n_sessions == 0) {
			/* both locks held: nobody else can reach b */
			bib_kill(nat, sh, b);
			idx6_unlink(st, b, h6);
			port_put(nat, b->proto, b->addr6, b->addr4, b->port4);
			slab_free(&sh->bib_slab, b);
		}
		pthread_mutex_unlock(&sh->lock);
	}
	pthread_mutex_unlock(&st->lock);
}

int statics_apply(struct nat64 *nat, const struct nat64_config *cfg)
{
	struct nat64_static_bib *kept = calloc(cfg->n_bib ? cfg->n_bib : 1, sizeof(*kept));
	size_t n_kept = 0;
	int rc = 0;

	if (!kept)
		return -1;
	for (size_t i = 0; i < nat->n_statics; i++)
		if (!static_listed(&nat->statics[i], cfg->bib, cfg->n_bib))
			static_remove(nat, &nat->statics[i]);
	for (size_t i = 0; i < cfg->n_bib; i++) {
		const struct nat64_static_bib *e = &cfg->bib[i];

		if (static_listed(e, kept, n_kept))
			continue;
		if (static_listed(e, nat->statics, nat->n_statics) || static_add(nat, e) == 0)
			kept[n_kept++] = *e;
		else
			rc = -1;
	}
	free(nat->statics);
	nat->statics = kept;
	nat->n_statics = n_kept;
	return rc;
}
