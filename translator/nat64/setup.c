/* SPDX-License-Identifier: BSD-2-Clause */
/* Life cycle of the NAT64 tables: nat64_new, nat64_free and
 * nat64_reconfigure (timeouts, limits, pool4, allow6, static entries). */
#include <stdlib.h>

#include "tables.h"

#define HTAB_INIT_TOTAL (1u << 16) /* initial buckets of a table, all shards */

static uint64_t seconds_ms(uint32_t s)
{
	return (uint64_t)s * 1000;
}

static void apply_limits(struct nat64 *nat, const struct nat64_config *cfg)
{
	uint64_t t[TIMER_MAX] = {
	    [TIMER_UDP] = seconds_ms(cfg->timeout_udp),
	    [TIMER_ICMP] = seconds_ms(cfg->timeout_icmp),
	    [TIMER_TCP_EST] = seconds_ms(cfg->timeout_tcp_est),
	    [TIMER_TCP_TRANS] = seconds_ms(cfg->timeout_tcp_trans),
	};

	/* sessions keep their running timer; see LRU_SLACK_MS for the order */
	for (int i = 0; i < TIMER_MAX; i++)
		atomic_store(&nat->timeout_ms[i], t[i]);
	atomic_store(&nat->max_sessions, cfg->max_sessions ? cfg->max_sessions : UINT64_MAX);
	atomic_store(&nat->max_per_client,
	             cfg->max_sessions_per_client ? cfg->max_sessions_per_client : UINT64_MAX);
	atomic_store(&nat->addr_share_pct, cfg->max_sessions_per_address_pct
	                                       ? cfg->max_sessions_per_address_pct
	                                       : NAT64_DEFAULT_ADDRESS_SHARE);
	atomic_store(&nat->adf, cfg->address_dependent_filtering);
}

/* Add new pool4 ranges, still inactive; wanted[i]: range i is configured. */
static int pool_add(struct nat64 *nat, const struct nat64_config *cfg, bool *wanted)
{
	if (!pool4_valid(nat->pool, cfg->pool4, cfg->n_pool4))
		return -1;
	for (size_t i = 0; i < cfg->n_pool4; i++) {
		int idx = pool4_add(nat->pool, &cfg->pool4[i]);

		if (idx < 0)
			return -1;
		wanted[idx] = true;
	}
	return 0;
}

/* Claim the ports of static entries inside new ranges before the ranges
 * open to allocation, so no dynamic flow can take them; then allocate from
 * exactly the configured ranges. */
static void pool_activate(struct nat64 *nat, const bool *wanted)
{
	for (size_t i = 0; i < nat->n_statics; i++)
		pool4_claim(nat->pool, nat->statics[i].proto, nat->statics[i].addr4,
		            nat->statics[i].port4);
	for (size_t i = 0; i < pool4_n_ranges(nat->pool); i++)
		pool4_set_active(nat->pool, (int)i, wanted[i]);
}

static bool allow6_valid(const struct nat64_config *cfg)
{
	if (cfg->n_allow6 > NAT64_MAX_ALLOW6 || (cfg->n_allow6 && !cfg->allow6))
		return false;
	for (size_t i = 0; i < cfg->n_allow6; i++)
		if (cfg->allow6[i].len > 128)
			return false;
	return true;
}

/* Replace the allow6 list (cfg_lock held): every stripe is locked, so no
 * worker is between reading the list and creating state. Existing state is
 * kept; it leaves with its timers. */
static void allow6_apply(struct nat64 *nat, const struct nat64_config *cfg)
{
	for (size_t i = 0; i < NSTRIPES; i++)
		pthread_mutex_lock(&nat->stripes[i].lock);
	if (cfg->n_allow6)
		memcpy(nat->allow6, cfg->allow6, cfg->n_allow6 * sizeof(*cfg->allow6));
	nat->n_allow6 = cfg->n_allow6;
	for (size_t i = NSTRIPES; i-- > 0;)
		pthread_mutex_unlock(&nat->stripes[i].lock);
}

int nat64_reconfigure(struct nat64 *nat, const struct nat64_config *cfg)
{
	bool wanted[POOL4_MAX_RANGES] = {false};
	int rc;

	if (!allow6_valid(cfg))
		return -1;
	pthread_mutex_lock(&nat->cfg_lock);
	rc = pool_add(nat, cfg, wanted);
	if (rc == 0) {
		apply_limits(nat, cfg);
		allow6_apply(nat, cfg);
		rc = statics_apply(nat, cfg);
		pool_activate(nat, wanted);
	}
	pthread_mutex_unlock(&nat->cfg_lock);
	return rc;
}

static int shard_init(struct shard *sh, size_t nbuckets)
{
	memset(sh, 0, sizeof(*sh));
	if (pthread_mutex_init(&sh->lock, NULL))
		return -1;
	slab_init(&sh->bib_slab, sizeof(struct bib));
	slab_init(&sh->sess_slab, sizeof(struct session));
	if (htab_init(&sh->bib4, nbuckets) || htab_init(&sh->sess, nbuckets))
		return -1;
	return 0;
}

static void shard_destroy(struct shard *sh)
{
	htab_destroy(&sh->bib4);
	htab_destroy(&sh->sess);
	slab_destroy(&sh->bib_slab);
	slab_destroy(&sh->sess_slab);
	pthread_mutex_destroy(&sh->lock);
}

static int stripe_init(struct stripe *st, size_t nbuckets, uint64_t seed)
{
	memset(st, 0, sizeof(*st));
	st->rng = mix64(seed) | 1; /* xorshift state must not be zero */
	if (pthread_mutex_init(&st->lock, NULL))
		return -1;
	return htab_init(&st->idx6, nbuckets);
}

static void stripe_destroy(struct stripe *st)
{
	htab_destroy(&st->idx6);
	pthread_mutex_destroy(&st->lock);
}

/* Initial buckets per shard from max_sessions, so that small tables stay
 * small and big ones rarely rehash; tables double as they fill. */
static size_t initial_buckets(uint64_t max_sessions)
{
	uint64_t total =
	    max_sessions && max_sessions < HTAB_INIT_TOTAL ? max_sessions : HTAB_INIT_TOTAL;

	return pow2_at_least((size_t)(total / NSHARDS));
}

static int nat64_init(struct nat64 *nat, const struct nat64_config *cfg)
{
	size_t nb = initial_buckets(cfg->max_sessions);

	nat->hkey = mix64(cfg->seed ^ 0x6a09e667f3bcc908ULL);
	nat->event_cb = cfg->event_cb;
	nat->event_ctx = cfg->event_ctx;
	if (cfg->block_size > NAT64_MAX_BLOCK_SIZE || pblock_init(nat, cfg->block_size))
		return -1;
	if (pthread_mutex_init(&nat->cfg_lock, NULL))
		return -1;
	nat->pool = pool4_new();
	if (!nat->pool)
		return -1;
	for (size_t i = 0; i < NSHARDS; i++)
		if (shard_init(&nat->shards[i], nb))
			return -1;
	for (size_t i = 0; i < NSTRIPES; i++)
		if (stripe_init(&nat->stripes[i], nb, cfg->seed + i))
			return -1;
	for (size_t i = 0; i < NQUOTA; i++)
		if (quota_init(&nat->quota[i], HTAB_MIN))
			return -1;
	return nat64_reconfigure(nat, cfg);
}

struct nat64 *nat64_new(const struct nat64_config *cfg)
{
	size_t size = (sizeof(struct nat64) + 63) & ~(size_t)63;
	struct nat64 *nat = aligned_alloc(64, size);

	if (!nat)
		return NULL;
	memset(nat, 0, size);
	if (nat64_init(nat, cfg)) {
		nat64_free(nat);
		return NULL;
	}
	return nat;
}

void nat64_free(struct nat64 *nat)
{
	if (!nat)
		return;
	for (size_t i = 0; i < NSHARDS; i++)
		shard_destroy(&nat->shards[i]);
	for (size_t i = 0; i < NSTRIPES; i++)
		stripe_destroy(&nat->stripes[i]);
	for (size_t i = 0; i < NQUOTA; i++)
		quota_destroy(&nat->quota[i]);
	pblock_free(nat);
	pool4_free(nat->pool);
	free(nat->statics);
	pthread_mutex_destroy(&nat->cfg_lock);
	free(nat);
}
