/* Session counts: the live sessions of each client /64 against
 * max_sessions_per_client, and of the whole table against max_sessions.
 * See "Per-client quota" in nat64_internal.h. */
#include "nat64_internal.h"

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

/* Client entry for key, created with no sessions (quota shard locked). */
static struct client *client_get(struct nat64 *nat, struct quota_shard *q, uint64_t h, uint64_t key)
{
	struct client *c = client_find(q, h, key);

	if (c)
		return c;
	c = slab_alloc(&q->slab);
	if (!c)
		return NULL;
	c->key = key;
	c->n_sessions = 0;
	if (htab_full(&q->clients))
		htab_grow(&q->clients, nat, client_node_hash);
	htab_insert(&q->clients, &c->node, h);
	return c;
}

/* One more session for the client /64 of addr6, unless it is at its quota.
 * A new entry starts at 0 < quota, so no entry is ever left empty. */
static enum nat64_result client_reserve(struct nat64 *nat, const uint8_t addr6[16])
{
	uint64_t key = client_key(addr6), h = client_hash(nat, key);
	uint64_t max = atomic_load_explicit(&nat->max_per_client, memory_order_relaxed);
	struct quota_shard *q = quota_of(nat, h);
	enum nat64_result r = NAT64_OK;
	struct client *c;

	pthread_mutex_lock(&q->lock);
	c = client_get(nat, q, h, key);
	if (!c)
		r = NAT64_NOMEM;
	else if (c->n_sessions >= max)
		r = NAT64_CLIENT_QUOTA;
	else
		c->n_sessions++;
	pthread_mutex_unlock(&q->lock);
	return r;
}

/* One session of the client /64 of addr6 is gone; forget a client without
 * sessions. */
static void client_release(struct nat64 *nat, const uint8_t addr6[16])
{
	uint64_t key = client_key(addr6), h = client_hash(nat, key);
	struct quota_shard *q = quota_of(nat, h);
	struct client *c;

	pthread_mutex_lock(&q->lock);
	c = client_find(q, h, key);
	if (c && --c->n_sessions == 0) {
		htab_remove(&q->clients, &c->node, h);
		slab_free(&q->slab, c);
	}
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

/* One more session of client X' against its quota, then max_sessions. The
 * quota goes first so that a flooding client is told (and counted) as such
 * even when the whole table is full too. Half-open TCP sessions (V6_INIT,
 * V4_INIT) are sessions like any other here. */
enum nat64_result session_reserve(struct nat64 *nat, const uint8_t addr6[16])
{
	enum nat64_result r = client_reserve(nat, addr6);

	if (r != NAT64_OK)
		return r;
	if (!global_reserve(nat)) {
		client_release(nat, addr6);
		return NAT64_SESSION_LIMIT;
	}
	return NAT64_OK;
}

void session_unreserve(struct nat64 *nat, const uint8_t addr6[16])
{
	atomic_fetch_sub(&nat->live_sessions, 1);
	client_release(nat, addr6);
}

int quota_init(struct quota_shard *q, size_t nbuckets)
{
	memset(q, 0, sizeof(*q));
	if (pthread_mutex_init(&q->lock, NULL))
		return -1;
	slab_init(&q->slab, sizeof(struct client));
	return htab_init(&q->clients, nbuckets);
}

void quota_destroy(struct quota_shard *q)
{
	htab_destroy(&q->clients);
	slab_destroy(&q->slab);
	pthread_mutex_destroy(&q->lock);
}
