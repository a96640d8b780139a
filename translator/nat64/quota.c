/* SPDX-License-Identifier: BSD-2-Clause */
/* Session counts: the live sessions of each address against its share of
 * the quota, of each client /64 against max_sessions_per_client, and of the
 * whole table against max_sessions; early drop at those limits (evict.c).
 * See "Per-client quota" in tables.h. */
#include "tables.h"

#define QUOTA_SALT 0x3c6ef372fe94f82bULL
_Static_assert(NAT64_CLIENT_PREFIX_LEN == 64, "client key is the first 8 bytes of X'");

static uint64_t client_key(const uint8_t addr6[16])
{
	return load64(addr6); /* the /64 (NAT64_CLIENT_PREFIX_LEN) */
}

static uint64_t client_hash(const struct nat64 *nat, uint64_t key)
{
	return mix64(nat->hkey ^ QUOTA_SALT ^ key);
}

static uint64_t client_node_hash(const void *ctx, const struct hnode *e)
{
	return client_hash(ctx, container_of(e, struct client, node)->key);
}

static struct quota_shard *quota_of(struct nat64 *nat, uint64_t h)
{
	return &nat->quota[h >> (64 - SHARD_BITS)];
}

static struct client *client_find(const struct quota_shard *q, uint64_t h, uint64_t key)
{
	for (struct hnode *e = htab_bucket(&q->clients, h); e; e = e->next) {
		struct client *c = container_of(e, struct client, node);

		if (c->key == key)
			return c;
	}
	return NULL;
}

static uint64_t addr_hash(const struct nat64 *nat, const uint8_t addr6[16])
{
	return mix64(hash_addr6(nat, addr6) ^ QUOTA_SALT);
}

static uint64_t addr_node_hash(const void *ctx, const struct hnode *e)
{
	return addr_hash(ctx, container_of(e, struct caddr, node)->addr);
}

static struct caddr *addr_find(const struct quota_shard *q, uint64_t h, const uint8_t addr6[16])
{
	for (struct hnode *e = htab_bucket(&q->addrs, h); e; e = e->next) {
		struct caddr *a = container_of(e, struct caddr, node);

		if (!memcmp(a->addr, addr6, 16))
			return a;
	}
	return NULL;
}

struct quota_shard *quota_of_addr(struct nat64 *nat, const uint8_t addr6[16])
{
	return quota_of(nat, client_hash(nat, client_key(addr6)));
}

struct client *quota_client(struct nat64 *nat, struct quota_shard *q, const uint8_t addr6[16])
{
	uint64_t key = client_key(addr6);

	return client_find(q, client_hash(nat, key), key);
}

struct caddr *quota_addr(struct nat64 *nat, struct quota_shard *q, const uint8_t addr6[16])
{
	return addr_find(q, addr_hash(nat, addr6), addr6);
}

/* Client entry for key, created with no sessions (quota shard locked). */
static struct client *client_get(struct nat64 *nat, struct quota_shard *q, uint64_t h, uint64_t key)
{
	struct client *c = client_find(q, h, key);

	if (c)
		return c;
	c = slab_alloc(&q->slab);
	if (!c)
		return NULL;
	memset(c, 0, sizeof(*c));
	c->key = key;
	if (htab_full(&q->clients))
		htab_grow(&q->clients, nat, client_node_hash);
	htab_insert(&q->clients, &c->node, h);
	return c;
}

/* Address entry, created with no sessions (quota shard locked). */
static struct caddr *addr_get(struct nat64 *nat, struct quota_shard *q, const uint8_t addr6[16])
{
	uint64_t h = addr_hash(nat, addr6);
	struct caddr *a = addr_find(q, h, addr6);

	if (a)
		return a;
	a = slab_alloc(&q->addr_slab);
	if (!a)
		return NULL;
	memset(a, 0, sizeof(*a));
	memcpy(a->addr, addr6, 16);
	if (htab_full(&q->addrs))
		htab_grow(&q->addrs, nat, addr_node_hash);
	htab_insert(&q->addrs, &a->node, h);
	return a;
}

/* Forget entries without sessions (quota shard locked). */
static void client_put(struct nat64 *nat, struct quota_shard *q, struct client *c)
{
	if (c && c->n_sessions == 0) {
		htab_remove(&q->clients, &c->node, client_hash(nat, c->key));
		slab_free(&q->slab, c);
	}
}

static void addr_put(struct nat64 *nat, struct quota_shard *q, struct caddr *a)
{
	if (a && a->n_sessions == 0) {
		htab_remove(&q->addrs, &a->node, addr_hash(nat, a->addr));
		slab_free(&q->addr_slab, a);
	}
}

/* One session less for c and a (quota shard locked). */
static void uncount(struct nat64 *nat, struct quota_shard *q, struct client *c, struct caddr *a)
{
	c->n_sessions--;
	a->n_sessions--;
	addr_put(nat, q, a);
	client_put(nat, q, c);
}

/* Take n off its lists; its session stops counting and its slot is the
 * caller's. Called "doomed": the caller destroys the session. */
static struct ucnode *doom(struct nat64 *nat, struct quota_shard *q, struct ucnode *n)
{
	uc_unlink(q, n);
	n->doomed = true;
	uncount(nat, q, n->client, n->addr);
	n->client = NULL;
	n->addr = NULL;
	return n;
}

/* The per-address share of quota max: at least one session. */
static uint64_t addr_limit(struct nat64 *nat, uint64_t max)
{
	uint64_t pct = atomic_load_explicit(&nat->addr_share_pct, memory_order_relaxed);
	uint64_t lim;

	if (max == UINT64_MAX || pct >= 100)
		return max;
	lim = max / 100 * pct + max % 100 * pct / 100; /* no overflow */
	return lim ? lim : 1;
}

/* One more session for addr6 and its client /64, unless the address is at
 * its share or the /64 at its quota and (victim NULL or) the scope has no
 * unconfirmed session to give up. A new entry starts at 0 < limit, so no
 * entry is left empty. */
static enum nat64_result client_reserve(struct nat64 *nat, const uint8_t addr6[16],
                                        struct ucnode **victim)
{
	uint64_t key = client_key(addr6), h = client_hash(nat, key);
	uint64_t max = atomic_load_explicit(&nat->max_per_client, memory_order_relaxed);
	struct quota_shard *q = quota_of(nat, h);
	enum nat64_result r = NAT64_OK;
	struct ucnode *v = NULL;
	struct client *c;
	struct caddr *a = NULL;

	pthread_mutex_lock(&q->lock);
	c = client_get(nat, q, h, key);
	if (c)
		a = addr_get(nat, q, addr6);
	if (!c || !a) {
		r = NAT64_NOMEM;
	} else if (a->n_sessions >= addr_limit(nat, max) || c->n_sessions >= max) {
		/* early drop: the address's own oldest first, else the /64's */
		if (victim)
			v = uc_head(q, c, a,
			            a->n_sessions >= addr_limit(nat, max) ? UC_ADDR : UC_CLIENT);
		if (!v)
			r = NAT64_CLIENT_QUOTA;
	}
	if (r == NAT64_OK) {
		c->n_sessions++;
		a->n_sessions++;
		if (v)
			*victim = doom(nat, q, v);
	} else {
		addr_put(nat, q, a);
		client_put(nat, q, c);
	}
	pthread_mutex_unlock(&q->lock);
	return r;
}

/* One session of addr6 is gone; forget entries without sessions. */
static void client_release(struct nat64 *nat, const uint8_t addr6[16])
{
	uint64_t key = client_key(addr6), h = client_hash(nat, key);
	struct quota_shard *q = quota_of(nat, h);
	struct client *c;
	struct caddr *a;

	pthread_mutex_lock(&q->lock);
	c = client_find(q, h, key);
	a = addr_find(q, addr_hash(nat, addr6), addr6);
	if (c && a)
		uncount(nat, q, c, a);
	pthread_mutex_unlock(&q->lock);
}

uint64_t nat64_client_sessions(struct nat64 *nat, const uint8_t addr6[16])
{
	uint64_t key = client_key(addr6), h = client_hash(nat, key);
	struct quota_shard *q = quota_of(nat, h);
	const struct client *c;
	uint64_t n;

	pthread_mutex_lock(&q->lock);
	c = client_find(q, h, key);
	n = c ? c->n_sessions : 0;
	pthread_mutex_unlock(&q->lock);
	return n;
}

uint64_t nat64_address_sessions(struct nat64 *nat, const uint8_t addr6[16])
{
	struct quota_shard *q = quota_of_addr(nat, addr6);
	const struct caddr *a;
	uint64_t n;

	pthread_mutex_lock(&q->lock);
	a = addr_find(q, addr_hash(nat, addr6), addr6);
	n = a ? a->n_sessions : 0;
	pthread_mutex_unlock(&q->lock);
	return n;
}

/* One more live session against max_sessions; false if at the cap. */
static bool global_reserve(struct nat64 *nat)
{
	uint64_t max = atomic_load_explicit(&nat->max_sessions, memory_order_relaxed);

	if (atomic_fetch_add(&nat->live_sessions, 1) >= max) {
		atomic_fetch_sub(&nat->live_sessions, 1);
		return false;
	}
	return true;
}

/* One more session of X' against its address's share and its client's
 * quota, then max_sessions. The quota goes first so that a flooding client
 * is told (and counted) as such even when the whole table is full too. A
 * victim of the quota hands its place in max_sessions to the new session. */
enum nat64_result session_reserve(struct nat64 *nat, const uint8_t addr6[16],
                                  struct ucnode **victim)
{
	enum nat64_result r = client_reserve(nat, addr6, victim);

	if (r != NAT64_OK || (victim && *victim))
		return r;
	if (!global_reserve(nat)) {
		struct ucnode *v = victim ? uc_pop_oldest(nat) : NULL;

		if (!v) {
			client_release(nat, addr6);
			return NAT64_SESSION_LIMIT;
		}
		*victim = v;
	}
	return NAT64_OK;
}

void session_unreserve(struct nat64 *nat, const uint8_t addr6[16])
{
	atomic_fetch_sub(&nat->live_sessions, 1);
	client_release(nat, addr6);
}

void session_release(struct nat64 *nat, struct session *s)
{
	struct ucnode *n = s->uc;
	struct quota_shard *q;

	if (!n) {
		session_unreserve(nat, s->bib->addr6);
		return;
	}
	s->uc = NULL;
	q = quota_of_addr(nat, s->bib->addr6);
	pthread_mutex_lock(&q->lock);
	if (n->doomed) {
		/* no longer counted; the evicting flow frees n */
		pthread_mutex_unlock(&q->lock);
		return;
	}
	uc_unlink(q, n);
	uncount(nat, q, n->client, n->addr);
	slab_free(&q->uc_slab, n);
	pthread_mutex_unlock(&q->lock);
	atomic_fetch_sub(&nat->live_sessions, 1);
}

/* Early drop of max-sessions: the quota shard whose oldest unconfirmed
 * session is the oldest, read from the hints without locking (a hint may
 * be stale: the head found under the lock is taken, or none). */
struct ucnode *uc_pop_oldest(struct nat64 *nat)
{
	uint64_t best = UINT64_MAX;
	struct quota_shard *q = NULL;
	struct ucnode *v = NULL;

	for (size_t i = 0; i < NQUOTA; i++) {
		uint64_t t = atomic_load_explicit(&nat->quota[i].uc_oldest, memory_order_relaxed);

		if (t < best) {
			best = t;
			q = &nat->quota[i];
		}
	}
	if (!q)
		return NULL;
	pthread_mutex_lock(&q->lock);
	if (q->uc.head)
		v = doom(nat, q, q->uc.head);
	pthread_mutex_unlock(&q->lock);
	return v;
}

int quota_init(struct quota_shard *q, size_t nbuckets)
{
	memset(q, 0, sizeof(*q));
	if (pthread_mutex_init(&q->lock, NULL))
		return -1;
	slab_init(&q->slab, sizeof(struct client));
	slab_init(&q->addr_slab, sizeof(struct caddr));
	slab_init(&q->uc_slab, sizeof(struct ucnode));
	atomic_init(&q->uc_oldest, UINT64_MAX);
	if (htab_init(&q->clients, nbuckets))
		return -1;
	return htab_init(&q->addrs, nbuckets);
}

void quota_destroy(struct quota_shard *q)
{
	htab_destroy(&q->clients);
	htab_destroy(&q->addrs);
	slab_destroy(&q->slab);
	slab_destroy(&q->addr_slab);
	slab_destroy(&q->uc_slab);
	pthread_mutex_destroy(&q->lock);
}
