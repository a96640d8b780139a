/* SPDX-License-Identifier: BSD-2-Clause */
/* Port blocks (pool4-block-size, RFC 7422): each IPv6 address gets blocks
 * of block_size consecutive ports on one pool4 address and its new BIB
 * entries take ports from them, so session-log writes one line per block,
 * not per mapping. Blocks are kept per IPv6 address (/128) and protocol:
 * the log then names the exact host, and the per-address share of the
 * client quota (nat64.h) bounds the ports, hence the blocks, one address
 * holds. A block goes back to pool4 when its last BIB entry does, i.e. when
 * the last session on its ports ends.
 *
 * Also the single way in and out of pool4 for dynamic BIB entries
 * (port_get, port_put, port_claim), whatever the mode.
 *
 * Layout: PB_SHARDS shards by hash of the address, each with a mutex (a
 * leaf lock: taken under a stripe or none) and PB_BUCKETS chains. A block
 * has its own bitmap of the ports its entries use; pool4's bitmap has the
 * whole block marked. */
#include <stdlib.h>
#include <string.h>

#include "tables.h"

#define PB_SHARDS 64
#define PB_BUCKETS 256 /* per shard, power of two */

struct pblock {
	struct pblock *next;
	uint8_t addr6[16];
	uint32_t addr4;
	uint16_t first;
	uint8_t proto;
	uint32_t used;
	uint64_t bits[]; /* block_size bits: ports first + i in use */
};

struct pb_shard {
	alignas(64) pthread_mutex_t lock;
	struct pblock *bucket[PB_BUCKETS];
	uint64_t n[3];
};

struct pblock_table {
	struct pb_shard s[PB_SHARDS];
};

void nat64_emit(struct nat64 *nat, const struct nat64_event *ev)
{
	if (nat->event_cb)
		nat->event_cb(nat->event_ctx, ev);
}

int pblock_init(struct nat64 *nat, uint32_t n)
{
	nat->block_size = n;
	if (n <= 1)
		return 0;
	/* Its shards are cache-line aligned: calloc promises only 16. */
	nat->blocks = aligned_alloc(64, (sizeof(*nat->blocks) + 63) & ~(size_t)63);
	if (!nat->blocks)
		return -1;
	memset(nat->blocks, 0, sizeof(*nat->blocks));
	for (size_t i = 0; i < PB_SHARDS; i++)
		if (pthread_mutex_init(&nat->blocks->s[i].lock, NULL))
			return -1;
	return 0;
}

void pblock_free(struct nat64 *nat)
{
	if (!nat->blocks)
		return;
	for (size_t i = 0; i < PB_SHARDS; i++) {
		struct pb_shard *sh = &nat->blocks->s[i];

		for (size_t j = 0; j < PB_BUCKETS; j++)
			while (sh->bucket[j]) {
				struct pblock *b = sh->bucket[j];

				sh->bucket[j] = b->next;
				free(b);
			}
		pthread_mutex_destroy(&sh->lock);
	}
	free(nat->blocks);
	nat->blocks = NULL;
}

static uint64_t pb_hash(const struct nat64 *nat, uint8_t proto, const uint8_t addr6[16])
{
	return mix64(hash_addr6(nat, addr6) ^ proto);
}

static struct pb_shard *pb_shard(struct nat64 *nat, uint64_t h)
{
	return &nat->blocks->s[h >> (64 - SHARD_BITS)];
}

static struct pblock **pb_bucket(struct pb_shard *sh, uint64_t h)
{
	return &sh->bucket[h & (PB_BUCKETS - 1)];
}

static bool pb_mine(const struct pblock *b, uint8_t proto, const uint8_t addr6[16])
{
	return b->proto == proto && !memcmp(b->addr6, addr6, 16);
}

static void pb_event(struct nat64 *nat, const struct pblock *b, uint8_t kind)
{
	struct nat64_event ev = {.kind = kind,
	                         .proto = b->proto,
	                         .addr4 = b->addr4,
	                         .port4 = b->first,
	                         .port4_last = (uint16_t)(b->first + nat->block_size - 1)};

	memcpy(ev.addr6, b->addr6, 16);
	nat64_emit(nat, &ev);
}

static bool pb_test(const struct pblock *b, uint32_t i)
{
	return b->bits[i / 64] >> (i % 64) & 1;
}

static void pb_set(struct pblock *b, uint32_t i, bool on)
{
	if (on)
		b->bits[i / 64] |= 1ULL << (i % 64);
	else
		b->bits[i / 64] &= ~(1ULL << (i % 64));
}

/* A free port of b, from a random start (RFC 6056); b has one. */
static uint16_t pb_take(struct nat64 *nat, struct pblock *b, uint64_t *rng)
{
	uint32_t n = nat->block_size, i = (uint32_t)(pool4_rand(rng) % n);

	while (pb_test(b, i))
		i = (i + 1) % n;
	pb_set(b, i, true);
	b->used++;
	return (uint16_t)(b->first + i);
}

static struct pblock *pb_new(struct nat64 *nat, struct pb_shard *sh, uint64_t h, uint8_t proto,
                             const uint8_t addr6[16], uint32_t addr4, uint16_t first)
{
	struct pblock *b = calloc(1, sizeof(*b) + (nat->block_size + 63) / 64 * sizeof(uint64_t));
	struct pblock **head = pb_bucket(sh, h);

	if (!b)
		return NULL;
	memcpy(b->addr6, addr6, 16);
	b->proto = proto;
	b->addr4 = addr4;
	b->first = first;
	b->next = *head;
	*head = b;
	sh->n[nat64_proto_index(proto)]++;
	pb_event(nat, b, NAT64_EV_BLOCK_ADD);
	return b;
}

/* A port for a new entry of (proto, X'): from a block X' holds, else from a
 * new block, on the address of X''s blocks when it has room. */
static bool block_get(struct nat64 *nat, uint64_t *rng, const struct nat64_flow6 *f, uint32_t *t4,
                      uint16_t *t)
{
	uint64_t h = pb_hash(nat, f->proto, f->src6);
	struct pb_shard *sh = pb_shard(nat, h);
	struct pblock *b, *nb = NULL;
	uint32_t pref = 0, a4;
	uint16_t first;

	pthread_mutex_lock(&sh->lock);
	for (b = *pb_bucket(sh, h); b; b = b->next) {
		if (!pb_mine(b, f->proto, f->src6))
			continue;
		pref = b->addr4;
		if (b->used < nat->block_size)
			break;
	}
	if (!b && pool4_alloc_block(nat->pool, f->proto, pref, (uint32_t)hash_addr6(nat, f->src6),
	                            f->sport, nat->block_size, rng, &a4, &first)) {
		nb = pb_new(nat, sh, h, f->proto, f->src6, a4, first);
		if (!nb)
			pool4_release_block(nat->pool, f->proto, a4, first, nat->block_size);
		b = nb;
	}
	if (b) {
		*t4 = b->addr4;
		*t = pb_take(nat, b, rng);
	}
	pthread_mutex_unlock(&sh->lock);
	return b != NULL;
}

/* Take (T,t) exactly in a block of X' (want4, state-file import). */
enum pool4_claim port_claim(struct nat64 *nat, uint8_t proto, const uint8_t addr6[16], uint32_t t4,
                            uint16_t t)
{
	uint64_t h;
	struct pb_shard *sh;
	struct pblock *b;
	enum pool4_claim c = POOL4_CLAIMED;
	uint16_t first;

	if (!nat->blocks)
		return pool4_claim(nat->pool, proto, t4, t);
	h = pb_hash(nat, proto, addr6);
	sh = pb_shard(nat, h);
	pthread_mutex_lock(&sh->lock);
	for (b = *pb_bucket(sh, h); b; b = b->next)
		if (pb_mine(b, proto, addr6) && b->addr4 == t4 && t >= b->first &&
		    t - b->first < (int)nat->block_size)
			break;
	if (!b) {
		c = pool4_claim_block(nat->pool, proto, t4, t, nat->block_size, &first);
		if (c == POOL4_CLAIMED) {
			b = pb_new(nat, sh, h, proto, addr6, t4, first);
			if (!b) {
				pool4_release_block(nat->pool, proto, t4, first, nat->block_size);
				c = POOL4_BUSY;
			}
		}
	}
	if (b) {
		if (pb_test(b, (uint32_t)(t - b->first))) {
			c = POOL4_BUSY;
		} else {
			pb_set(b, (uint32_t)(t - b->first), true);
			b->used++;
		}
	}
	pthread_mutex_unlock(&sh->lock);
	return c;
}

bool port_get(struct nat64 *nat, struct stripe *st, const struct nat64_flow6 *f, uint32_t *t4,
              uint16_t *t)
{
	*t4 = f->want4;
	*t = f->want_port;
	if ((*t < 1024) != (f->sport < 1024)) /* RFC 6146 §3.5.1.1: keep the port's range */
		*t4 = 0;
	if (*t4 != 0 && port_claim(nat, f->proto, f->src6, *t4, *t) == POOL4_CLAIMED)
		return true;
	if (nat->blocks)
		return block_get(nat, &st->rng, f, t4, t);
	return pool4_alloc(nat->pool, f->proto, (uint32_t)hash_addr6(nat, f->src6), f->sport,
	                   &st->rng, t4, t);
}

void port_put(struct nat64 *nat, uint8_t proto, const uint8_t addr6[16], uint32_t t4, uint16_t t)
{
	uint64_t h;
	struct pb_shard *sh;
	struct pblock **pp, *b;

	if (!nat->blocks) {
		pool4_release(nat->pool, proto, t4, t);
		return;
	}
	h = pb_hash(nat, proto, addr6);
	sh = pb_shard(nat, h);
	pthread_mutex_lock(&sh->lock);
	for (pp = pb_bucket(sh, h); (b = *pp); pp = &b->next)
		if (pb_mine(b, proto, addr6) && b->addr4 == t4 && t >= b->first &&
		    t - b->first < (int)nat->block_size && pb_test(b, (uint32_t)(t - b->first)))
			break;
	if (b) {
		pb_set(b, (uint32_t)(t - b->first), false);
		if (--b->used == 0) {
			*pp = b->next;
			sh->n[nat64_proto_index(proto)]--;
			pool4_release_block(nat->pool, proto, t4, b->first, nat->block_size);
			pb_event(nat, b, NAT64_EV_BLOCK_DEL);
			free(b);
		}
	}
	pthread_mutex_unlock(&sh->lock);
	if (!b) /* a port claimed alone: a static entry the config dropped */
		pool4_release(nat->pool, proto, t4, t);
}

void pblock_count(struct nat64 *nat, uint64_t n[3])
{
	if (!nat->blocks)
		return;
	for (size_t i = 0; i < PB_SHARDS; i++) {
		struct pb_shard *sh = &nat->blocks->s[i];

		pthread_mutex_lock(&sh->lock);
		for (int p = 0; p < 3; p++)
			n[p] += sh->n[p];
		pthread_mutex_unlock(&sh->lock);
	}
}

void nat64_foreach_block(struct nat64 *nat, int (*cb)(const struct nat64_block_info *, void *),
                         void *arg)
{
	if (!nat->blocks)
		return;
	for (size_t i = 0; i < PB_SHARDS; i++) {
		struct pb_shard *sh = &nat->blocks->s[i];
		int stop = 0;

		pthread_mutex_lock(&sh->lock);
		for (size_t j = 0; j < PB_BUCKETS && !stop; j++)
			for (struct pblock *b = sh->bucket[j]; b && !stop; b = b->next) {
				struct nat64_block_info bi = {
				    .proto = b->proto,
				    .addr4 = b->addr4,
				    .first = b->first,
				    .last = (uint16_t)(b->first + nat->block_size - 1),
				    .used = b->used};

				memcpy(bi.addr6, b->addr6, 16);
				stop = cb(&bi, arg);
			}
		pthread_mutex_unlock(&sh->lock);
		if (stop)
			return;
	}
}
