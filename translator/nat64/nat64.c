/* RFC 6146 stateful NAT64 tables: BIB and sessions for TCP, UDP, ICMP.
 *
 * Layout
 *   - NSHARDS shards, each with a mutex. A BIB entry lives in the shard picked
 *     by hashing its IPv4 key (proto, T, t); its sessions live in the same
 *     shard, in a hash table keyed by (BIB entry, Z, z), so a 4->6 packet
 *     takes exactly one lock.
 *   - NSTRIPES stripes, each with a mutex and a hash table indexing the same
 *     BIB entries by their IPv6 key (proto, X', x), so a 6->4 packet finds
 *     its shard. The stripe lock also serialises BIB creation for one
 *     (proto, X', x): endpoint-independent mapping (RFC 6146 §3.5.1) needs one
 *     entry per source, however many workers see its first packets.
 *   - (T,t) ownership is in pool4.c: atomic bitmaps, no lock.
 *   - Per-client quota: NQUOTA quota shards, each with a mutex and a hash
 *     table of client /64 -> live sessions. Every session is counted when it
 *     is created and uncounted when it is destroyed, whether a quota is set
 *     or not, so a reload may set one at any time. The lock is taken only
 *     when a session is created or destroyed, never for packets of existing
 *     flows. A client entry lives while the /64 has sessions, so there are
 *     never more entries than sessions.
 *   - allow6: a short array (NAT64_MAX_ALLOW6) read on the first packet of a
 *     flow under its stripe lock; reconfigure rewrites it holding every
 *     stripe, so readers need no lock of their own.
 *   - Entries come from per-shard slabs (chunks of SLAB_CHUNK, never given
 *     back before nat64_free): packets of existing flows never allocate.
 *   - Expiry: one FIFO list per timer class and shard. All sessions of a list
 *     share one timeout, so the list is in order of queued_ms (the expiry a
 *     session had when queued). A refresh only writes expires_ms (no list
 *     work on the packet path); nat64_expire pops heads whose queued_ms has
 *     passed and either removes them or, if refreshed meanwhile, queues them
 *     again at the tail. Expiry costs O(expired + refreshed), not O(sessions).
 *     Workers' clocks differ by a few ms, so the order is kept within
 *     LRU_SLACK_MS (a session may be removed that much late). When a list is
 *     out of order beyond that (a reload shortened its timeout, or a caller's
 *     clock jumped back), nat64_expire walks it whole until it is in order
 *     again, i.e. at most one old timeout after the reload.
 *
 * Lock order: stripe before shard. Never more than one stripe or one shard.
 *   - nat64_out: stripe, then the shard of the BIB entry.
 *   - nat64_in, nat64_bib_lookup4, stats, foreach: one shard only.
 *   - nat64_bib_lookup6: one stripe only (BIB fields read there are
 *     immutable while the entry is in the stripe index).
 *   - nat64_expire: shard alone (unhash sessions, take dead BIB entries out
 *     of the IPv4 table and mark them dead); then each entry's stripe alone
 *     (drop it from the IPv6 index); then the port goes back to pool4 and the
 *     shard is locked alone again to recycle the memory. A worker that finds a
 *     dead entry in the IPv6 index (it holds the stripe, and sees `dead` under
 *     the shard lock) unlinks it itself and creates a new one; the old port is
 *     still marked in pool4, so the new entry cannot get the same (T,t).
 *   - Reconfigure: cfg_lock, then stripe, then shard; for allow6, cfg_lock,
 *     then all stripes in index order.
 *   - A quota shard is a leaf: taken under a stripe and/or a shard, never
 *     with another lock taken under it.
 *
 * Memory: 72 bytes per session, 56 per BIB entry, plus 8 per hash bucket
 * (three tables, load factor 0.5..1): measured about 160 bytes per flow with
 * one session per BIB entry, 10^6 flows in about 160 MB. Plus 24 bytes and a
 * bucket per client /64, at most one per session. */
#include "nat64.h"

#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>

#include "pool4.h"

#define NSHARDS 64  /* power of two */
#define NSTRIPES 64 /* power of two */
#define SHARD_BITS 6
_Static_assert(NSHARDS == 1 << SHARD_BITS && NSTRIPES == NSHARDS, "shard/stripe bits");
#define SLAB_CHUNK 256
#define EXPIRE_BATCH 256
#define HTAB_MIN 16
#define LRU_SLACK_MS 1000
#define HTAB_INIT_TOTAL (1u << 16) /* initial buckets of a table, all shards */
#define NQUOTA 64                  /* client quota shards, power of two */
_Static_assert(NQUOTA == NSHARDS, "quota shards use the same bits");
#define QUOTA_SALT 0x3c6ef372fe94f82bULL
_Static_assert(NAT64_CLIENT_PREFIX_LEN == 64, "client key is the first 8 bytes of X'");

#define container_of(p, type, member) ((type *)((char *)(p)-offsetof(type, member)))

enum timer_class { TIMER_UDP, TIMER_ICMP, TIMER_TCP_EST, TIMER_TCP_TRANS, TIMER_MAX };

struct hnode {
	struct hnode *next;
};

/* Chained hash table of intrusive nodes; load factor kept <= 1. */
struct htab {
	struct hnode **b;
	size_t mask;
	size_t n;
};

struct session;

struct bib {
	struct hnode node4; /* shard bib4 table; first: slab free-list link */
	struct hnode node6; /* stripe idx6 table */
	struct session *sessions;
	uint8_t addr6[16];
	uint32_t addr4;
	uint16_t port6, port4;
	uint32_t n_sessions;
	uint8_t proto;
	bool is_static;
	bool dead;    /* shard lock: out of bib4, waiting to leave idx6 */
	bool in_idx6; /* stripe lock */
};

struct session {
	struct hnode node; /* shard sess table; first: slab free-list link */
	struct session *lru_prev, *lru_next;
	struct session *bib_prev, *bib_next;
	struct bib *bib;
	uint64_t expires_ms;
	uint64_t queued_ms; /* expires_ms when last queued on its timer list */
	uint32_t remote4;   /* Z */
	uint16_t rport;     /* z */
	uint8_t state;      /* enum nat64_tcp_state */
	uint8_t timer;      /* enum timer_class */
};

struct lru {
	struct session *head, *tail;
	uint64_t max_expires; /* latest expiry appended since the list was empty */
	bool disordered;      /* some session expires LRU_SLACK_MS before one ahead */
};

struct slab_chunk {
	struct slab_chunk *next;
	alignas(16) unsigned char obj[];
};

struct slab {
	struct hnode *free;
	struct slab_chunk *chunks;
	size_t obj_size;
};

struct shard {
	alignas(64) pthread_mutex_t lock;
	struct htab bib4;
	struct htab sess;
	struct lru timers[TIMER_MAX];
	struct slab bib_slab, sess_slab;
	uint64_t n_bib[3], n_sess[3];
};

struct stripe {
	alignas(64) pthread_mutex_t lock;
	struct htab idx6;
	uint64_t rng; /* port choice for entries created under this stripe */
};

/* Live sessions of one client /64. */
struct client {
	struct hnode node; /* first: slab free-list link */
	uint64_t key;      /* the /64, first 8 bytes of X' as stored */
	uint64_t n_sessions;
};

struct quota_shard {
	alignas(64) pthread_mutex_t lock;
	struct htab clients;
	struct slab slab;
};

struct nat64 {
	struct shard shards[NSHARDS];
	struct stripe stripes[NSTRIPES];
	struct quota_shard quota[NQUOTA];
	struct pool4 *pool;
	uint64_t hkey; /* hash key: flows from outside cannot aim at one bucket */
	_Atomic uint64_t live_sessions;
	_Atomic uint64_t max_sessions;
	_Atomic uint64_t max_per_client;
	_Atomic uint64_t timeout_ms[TIMER_MAX];
	atomic_bool adf;
	pthread_mutex_t cfg_lock;
	/* static BIB entries installed (cfg_lock) */
	struct nat64_static_bib *statics;
	size_t n_statics;
	/* allow6: written holding every stripe, read holding any one */
	struct prefix6 allow6[NAT64_MAX_ALLOW6];
	size_t n_allow6;
};

/* ---- hashing ---- */

static uint64_t mix64(uint64_t x)
{
	/* splitmix64 finaliser */
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static uint64_t hash4(const struct nat64 *nat, uint8_t proto, uint32_t addr, uint16_t port)
{
	return mix64(nat->hkey ^ ((uint64_t)proto << 48 | (uint64_t)port << 32 | addr));
}

static uint64_t load64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t hash_addr6(const struct nat64 *nat, const uint8_t a[16])
{
	return mix64(mix64(nat->hkey ^ load64(a)) ^ load64(a + 8));
}

static uint64_t hash6(const struct nat64 *nat, uint8_t proto, const uint8_t a[16], uint16_t port)
{
	return mix64(hash_addr6(nat, a) ^ ((uint64_t)proto << 16 | port));
}

static uint64_t bib_hash4(const struct nat64 *nat, const struct bib *b)
{
	return hash4(nat, b->proto, b->addr4, b->port4);
}

static uint64_t bib_hash6(const struct nat64 *nat, const struct bib *b)
{
	return hash6(nat, b->proto, b->addr6, b->port6);
}

static uint64_t sess_hash(const struct nat64 *nat, const struct bib *b, uint32_t z4, uint16_t z)
{
	return mix64(bib_hash4(nat, b) ^ ((uint64_t)z << 32 | z4));
}

/* Shard and stripe come from the top bits, buckets from the low bits. */
static struct shard *shard_of(struct nat64 *nat, uint64_t h4)
{
	return &nat->shards[h4 >> (64 - SHARD_BITS)];
}

static struct stripe *stripe_of(struct nat64 *nat, uint64_t h6)
{
	return &nat->stripes[h6 >> (64 - SHARD_BITS)];
}

/* ---- hash table ---- */

static size_t pow2_at_least(size_t n)
{
	size_t p = HTAB_MIN;

	while (p < n)
		p <<= 1;
	return p;
}

static int htab_init(struct htab *t, size_t nbuckets)
{
	t->b = calloc(nbuckets, sizeof(*t->b));
	if (!t->b)
		return -1;
	t->mask = nbuckets - 1;
	t->n = 0;
	return 0;
}

static struct hnode *htab_bucket(const struct htab *t, uint64_t h)
{
	return t->b[h & t->mask];
}

/* Double the buckets. On allocation failure keep the old ones (longer
 * chains, still correct). hash() recomputes a node's hash. */
static void htab_grow(struct htab *t, const struct nat64 *nat,
                      uint64_t (*hash)(const struct nat64 *, const struct hnode *))
{
	size_t nb = (t->mask + 1) * 2;
	struct hnode **b = calloc(nb, sizeof(*b));

	if (!b)
		return;
	for (size_t i = 0; i <= t->mask; i++) {
		struct hnode *e = t->b[i];

		while (e) {
			struct hnode *next = e->next;
			size_t j = hash(nat, e) & (nb - 1);

			e->next = b[j];
			b[j] = e;
			e = next;
		}
	}
	free(t->b);
	t->b = b;
	t->mask = nb - 1;
}

static void htab_insert(struct htab *t, struct hnode *e, uint64_t h)
{
	struct hnode **head = &t->b[h & t->mask];

	e->next = *head;
	*head = e;
	t->n++;
}

static void htab_remove(struct htab *t, struct hnode *e, uint64_t h)
{
	struct hnode **pp = &t->b[h & t->mask];

	while (*pp && *pp != e)
		pp = &(*pp)->next;
	if (*pp) {
		*pp = e->next;
		t->n--;
	}
}

static uint64_t node4_hash(const struct nat64 *nat, const struct hnode *e)
{
	return bib_hash4(nat, container_of(e, struct bib, node4));
}

static uint64_t node6_hash(const struct nat64 *nat, const struct hnode *e)
{
	return bib_hash6(nat, container_of(e, struct bib, node6));
}

static uint64_t sess_node_hash(const struct nat64 *nat, const struct hnode *e)
{
	const struct session *s = container_of(e, struct session, node);

	return sess_hash(nat, s->bib, s->remote4, s->rport);
}

/* ---- slab ---- */

static void slab_init(struct slab *s, size_t obj_size)
{
	s->free = NULL;
	s->chunks = NULL;
	s->obj_size = (obj_size + 7) & ~(size_t)7;
}

static void *slab_alloc(struct slab *s)
{
	struct hnode *o;

	if (!s->free) {
		struct slab_chunk *c = malloc(sizeof(*c) + SLAB_CHUNK * s->obj_size);

		if (!c)
			return NULL;
		c->next = s->chunks;
		s->chunks = c;
		for (size_t i = 0; i < SLAB_CHUNK; i++) {
			o = (struct hnode *)(c->obj + i * s->obj_size);
			o->next = s->free;
			s->free = o;
		}
	}
	o = s->free;
	s->free = o->next;
	return o;
}

static void slab_free(struct slab *s, void *obj)
{
	struct hnode *o = obj;

	o->next = s->free;
	s->free = o;
}

static void slab_destroy(struct slab *s)
{
	while (s->chunks) {
		struct slab_chunk *next = s->chunks->next;

		free(s->chunks);
		s->chunks = next;
	}
}

/* ---- LRU lists ---- */

/* Queue s at the tail with its current expires_ms. */
static void lru_append(struct lru *l, struct session *s)
{
	if (!l->head) {
		l->max_expires = 0;
		l->disordered = false;
	}
	s->queued_ms = s->expires_ms;
	if (s->queued_ms + LRU_SLACK_MS < l->max_expires)
		l->disordered = true;
	if (s->queued_ms > l->max_expires)
		l->max_expires = s->queued_ms;
	s->lru_next = NULL;
	s->lru_prev = l->tail;
	if (l->tail)
		l->tail->lru_next = s;
	else
		l->head = s;
	l->tail = s;
}

static void lru_unlink(struct lru *l, struct session *s)
{
	if (s->lru_prev)
		s->lru_prev->lru_next = s->lru_next;
	else
		l->head = s->lru_next;
	if (s->lru_next)
		s->lru_next->lru_prev = s->lru_prev;
	else
		l->tail = s->lru_prev;
}

/* ---- per-client quota ---- */

static uint64_t client_key(const uint8_t addr6[16])
{
	return load64(addr6); /* the /64 (NAT64_CLIENT_PREFIX_LEN) */
}

static uint64_t client_hash(const struct nat64 *nat, uint64_t key)
{
	return mix64(nat->hkey ^ QUOTA_SALT ^ key);
}

static uint64_t client_node_hash(const struct nat64 *nat, const struct hnode *e)
{
	return client_hash(nat, container_of(e, struct client, node)->key);
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
	if (q->clients.n >= q->clients.mask + 1)
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

/* allow6 (caller holds a stripe lock): may X' create state? Linear over at
 * most NAT64_MAX_ALLOW6 prefixes, and only for a flow's first packet. */
static bool source_allowed(const struct nat64 *nat, const uint8_t addr6[16])
{
	if (nat->n_allow6 == 0)
		return true;
	for (size_t i = 0; i < nat->n_allow6; i++)
		if (prefix6_contains(&nat->allow6[i], addr6))
			return true;
	return false;
}

/* ---- BIB entries ---- */

static struct bib *bib4_find(struct shard *sh, uint64_t h4, uint8_t proto, uint32_t addr4,
                             uint16_t port4)
{
	for (struct hnode *e = htab_bucket(&sh->bib4, h4); e; e = e->next) {
		struct bib *b = container_of(e, struct bib, node4);

		if (b->proto == proto && b->addr4 == addr4 && b->port4 == port4)
			return b;
	}
	return NULL;
}

static struct bib *idx6_find(struct stripe *st, uint64_t h6, uint8_t proto, const uint8_t addr6[16],
                             uint16_t port6)
{
	for (struct hnode *e = htab_bucket(&st->idx6, h6); e; e = e->next) {
		struct bib *b = container_of(e, struct bib, node6);

		if (b->proto == proto && b->port6 == port6 && !memcmp(b->addr6, addr6, 16))
			return b;
	}
	return NULL;
}

static void idx6_insert(struct nat64 *nat, struct stripe *st, struct bib *b, uint64_t h6)
{
	if (st->idx6.n >= st->idx6.mask + 1)
		htab_grow(&st->idx6, nat, node6_hash);
	htab_insert(&st->idx6, &b->node6, h6);
	b->in_idx6 = true;
}

static void idx6_unlink(struct stripe *st, struct bib *b, uint64_t h6)
{
	htab_remove(&st->idx6, &b->node6, h6);
	b->in_idx6 = false;
}

/* New BIB entry in shard sh (locked); not yet in the IPv6 index. */
static struct bib *bib_create(struct nat64 *nat, struct shard *sh, uint64_t h4, uint8_t proto,
                              const uint8_t addr6[16], uint16_t port6, uint32_t addr4,
                              uint16_t port4)
{
	struct bib *b = slab_alloc(&sh->bib_slab);

	if (!b)
		return NULL;
	memset(b, 0, sizeof(*b));
	b->proto = proto;
	memcpy(b->addr6, addr6, 16);
	b->port6 = port6;
	b->addr4 = addr4;
	b->port4 = port4;
	if (sh->bib4.n >= sh->bib4.mask + 1)
		htab_grow(&sh->bib4, nat, node4_hash);
	htab_insert(&sh->bib4, &b->node4, h4);
	sh->n_bib[nat64_proto_index(proto)]++;
	return b;
}

/* Take b out of the IPv4 table (shard lock held); it stays in the IPv6
 * index until its stripe is locked. */
static void bib_kill(struct nat64 *nat, struct shard *sh, struct bib *b)
{
	htab_remove(&sh->bib4, &b->node4, bib_hash4(nat, b));
	sh->n_bib[nat64_proto_index(b->proto)]--;
	b->dead = true;
}

/* ---- sessions ---- */

static enum timer_class timer_for(uint8_t proto, enum nat64_tcp_state st)
{
	if (proto == IPPROTO_UDP)
		return TIMER_UDP;
	if (proto == IPPROTO_ICMP)
		return TIMER_ICMP;
	switch (st) {
	case NAT64_TCP_ESTABLISHED:
	case NAT64_TCP_V4_FIN_RCV:
	case NAT64_TCP_V6_FIN_RCV:
		return TIMER_TCP_EST;
	default:
		return TIMER_TCP_TRANS;
	}
}

/* Restart the session timer for its current state. Same list and not
 * earlier than queued: just the new time (nat64_expire requeues it). */
static void session_arm(struct nat64 *nat, struct shard *sh, struct session *s, uint64_t now_ms)
{
	enum timer_class tc = timer_for(s->bib->proto, (enum nat64_tcp_state)s->state);

	s->expires_ms = now_ms + atomic_load_explicit(&nat->timeout_ms[tc], memory_order_relaxed);
	if (tc == s->timer && s->expires_ms + LRU_SLACK_MS >= s->queued_ms)
		return;
	lru_unlink(&sh->timers[s->timer], s);
	s->timer = (uint8_t)tc;
	lru_append(&sh->timers[tc], s);
}

static struct session *session_find(struct shard *sh, uint64_t hs, const struct bib *b, uint32_t z4,
                                    uint16_t z)
{
	for (struct hnode *e = htab_bucket(&sh->sess, hs); e; e = e->next) {
		struct session *s = container_of(e, struct session, node);

		if (s->bib == b && s->remote4 == z4 && s->rport == z)
			return s;
	}
	return NULL;
}

/* RFC 6146 §3.5.1: address-dependent filtering lets (Z, *) in only if X'
 * already talks to Z. O(sessions of this BIB entry). */
static bool bib_has_remote(const struct bib *b, uint32_t z4)
{
	for (const struct session *s = b->sessions; s; s = s->bib_next)
		if (s->remote4 == z4)
			return true;
	return false;
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
static enum nat64_result session_reserve(struct nat64 *nat, const uint8_t addr6[16])
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

static void session_unreserve(struct nat64 *nat, const uint8_t addr6[16])
{
	atomic_fetch_sub(&nat->live_sessions, 1);
	client_release(nat, addr6);
}

/* New session of b toward (Z,z) in state st expiring at expires_ms, shard
 * locked; a reservation from session_reserve is held. */
static struct session *session_insert(struct nat64 *nat, struct shard *sh, struct bib *b,
                                      uint64_t hs, uint32_t z4, uint16_t z, enum nat64_tcp_state st,
                                      uint64_t expires_ms)
{
	struct session *s = slab_alloc(&sh->sess_slab);

	if (!s)
		return NULL;
	memset(s, 0, sizeof(*s));
	s->bib = b;
	s->remote4 = z4;
	s->rport = z;
	s->state = (uint8_t)st;
	s->timer = (uint8_t)timer_for(b->proto, st);
	s->expires_ms = expires_ms;
	lru_append(&sh->timers[s->timer], s);
	s->bib_next = b->sessions;
	if (b->sessions)
		b->sessions->bib_prev = s;
	b->sessions = s;
	b->n_sessions++;
	if (sh->sess.n >= sh->sess.mask + 1)
		htab_grow(&sh->sess, nat, sess_node_hash);
	htab_insert(&sh->sess, &s->node, hs);
	sh->n_sess[nat64_proto_index(b->proto)]++;
	return s;
}

/* New session with the full timeout of its state from now_ms. */
static struct session *session_create(struct nat64 *nat, struct shard *sh, struct bib *b,
                                      uint64_t hs, uint32_t z4, uint16_t z, enum nat64_tcp_state st,
                                      uint64_t now_ms)
{
	uint64_t timeout =
	    atomic_load_explicit(&nat->timeout_ms[timer_for(b->proto, st)], memory_order_relaxed);

	return session_insert(nat, sh, b, hs, z4, z, st, now_ms + timeout);
}

/* Remove s (shard locked). Returns its BIB entry if that is now dynamic and
 * without sessions, i.e. must go too. */
static struct bib *session_destroy(struct nat64 *nat, struct shard *sh, struct session *s)
{
	struct bib *b = s->bib;

	htab_remove(&sh->sess, &s->node, sess_hash(nat, b, s->remote4, s->rport));
	lru_unlink(&sh->timers[s->timer], s);
	if (s->bib_prev)
		s->bib_prev->bib_next = s->bib_next;
	else
		b->sessions = s->bib_next;
	if (s->bib_next)
		s->bib_next->bib_prev = s->bib_prev;
	b->n_sessions--;
	sh->n_sess[nat64_proto_index(b->proto)]--;
	slab_free(&sh->sess_slab, s);
	session_unreserve(nat, b->addr6);
	return !b->is_static && b->n_sessions == 0 ? b : NULL;
}

/* ---- TCP state machine, RFC 6146 §3.5.2.2 ---- */

static void tcp_set(struct nat64 *nat, struct shard *sh, struct session *s, enum nat64_tcp_state st,
                    uint64_t now_ms)
{
	s->state = (uint8_t)st;
	session_arm(nat, sh, s, now_ms);
}

static void tcp_established(struct nat64 *nat, struct shard *sh, struct session *s, bool from6,
                            uint8_t flags, uint64_t now_ms)
{
	if (flags & NAT64_TCP_RST)
		tcp_set(nat, sh, s, NAT64_TCP_TRANS, now_ms);
	else if (flags & NAT64_TCP_FIN)
		tcp_set(nat, sh, s, from6 ? NAT64_TCP_V6_FIN_RCV : NAT64_TCP_V4_FIN_RCV, now_ms);
	else
		session_arm(nat, sh, s, now_ms);
}

/* A FIN from the side that has not closed yet ends in V6 FIN + V4 FIN
 * (transitory, not refreshed again); anything else keeps TCP_EST. */
static void tcp_half_closed(struct nat64 *nat, struct shard *sh, struct session *s, bool other_side,
                            uint8_t flags, uint64_t now_ms)
{
	if (other_side && (flags & NAT64_TCP_FIN))
		tcp_set(nat, sh, s, NAT64_TCP_V6_FIN_V4_FIN, now_ms);
	else
		session_arm(nat, sh, s, now_ms);
}

static void tcp_update(struct nat64 *nat, struct shard *sh, struct session *s, bool from6,
                       uint8_t flags, uint64_t now_ms)
{
	bool syn = flags & NAT64_TCP_SYN;

	switch ((enum nat64_tcp_state)s->state) {
	case NAT64_TCP_V6_INIT:
		if (syn && !from6)
			tcp_set(nat, sh, s, NAT64_TCP_ESTABLISHED, now_ms);
		else if (syn)
			session_arm(nat, sh, s, now_ms); /* V6 SYN retransmit */
		break;
	case NAT64_TCP_V4_INIT:
		if (syn && from6)
			tcp_set(nat, sh, s, NAT64_TCP_ESTABLISHED, now_ms);
		break;
	case NAT64_TCP_ESTABLISHED:
		tcp_established(nat, sh, s, from6, flags, now_ms);
		break;
	case NAT64_TCP_V4_FIN_RCV:
		tcp_half_closed(nat, sh, s, from6, flags, now_ms);
		break;
	case NAT64_TCP_V6_FIN_RCV:
		tcp_half_closed(nat, sh, s, !from6, flags, now_ms);
		break;
	case NAT64_TCP_TRANS:
		/* RFC 6146: a packet other than RST revives the connection */
		if (!(flags & NAT64_TCP_RST))
			tcp_set(nat, sh, s, NAT64_TCP_ESTABLISHED, now_ms);
		break;
	default: /* V6 FIN + V4 FIN: translated, lifetime not updated */
		break;
	}
}

/* A packet of an existing session: TCP state, or refresh (RFC 6146 §3.5.1:
 * UDP and ICMP sessions are refreshed by both directions). */
static void session_seen(struct nat64 *nat, struct shard *sh, struct session *s, bool from6,
                         uint8_t flags, uint64_t now_ms)
{
	if (s->bib->proto == IPPROTO_TCP)
		tcp_update(nat, sh, s, from6, flags, now_ms);
	else
		session_arm(nat, sh, s, now_ms);
}

static bool tcp_needs_state(uint8_t proto, uint8_t flags)
{
	/* RFC 6146 §3.5.2.2: only a SYN may open a TCP session */
	return proto == IPPROTO_TCP && !(flags & NAT64_TCP_SYN);
}

/* ---- 6 -> 4 ---- */

/* The remote port z of the session: for ICMP echo the IPv4 side carries the
 * translated identifier t both ways (z == t), so that the reply from Z finds
 * the session the request made. */
static uint16_t out_rport(const struct nat64_flow6 *f, const struct bib *b)
{
	return f->proto == IPPROTO_ICMP ? b->port4 : f->dport;
}

/* Session for flow f on existing entry b (shard sh locked). */
static enum nat64_result out_on_bib(struct nat64 *nat, struct shard *sh, struct bib *b,
                                    const struct nat64_flow6 *f, uint8_t flags, uint64_t now_ms)
{
	uint16_t z = out_rport(f, b);
	uint64_t hs = sess_hash(nat, b, f->dst4, z);
	struct session *s = session_find(sh, hs, b, f->dst4, z);
	enum nat64_tcp_state st = f->proto == IPPROTO_TCP ? NAT64_TCP_V6_INIT : NAT64_TCP_NONE;
	enum nat64_result r;

	if (s) {
		session_seen(nat, sh, s, true, flags, now_ms);
		return NAT64_OK;
	}
	if (tcp_needs_state(f->proto, flags))
		return NAT64_NO_STATE;
	/* the operator's static entries are allowed whatever allow6 says */
	if (!b->is_static && !source_allowed(nat, f->src6))
		return NAT64_NOT_ALLOWED;
	r = session_reserve(nat, b->addr6);
	if (r != NAT64_OK)
		return r;
	if (!session_create(nat, sh, b, hs, f->dst4, z, st, now_ms)) {
		session_unreserve(nat, b->addr6);
		return NAT64_NOMEM;
	}
	return NAT64_OK;
}

/* First packet from (X',x): new BIB entry and session (stripe st locked). */
static enum nat64_result out_new_bib(struct nat64 *nat, struct stripe *st, uint64_t h6,
                                     const struct nat64_flow6 *f, uint8_t flags, uint64_t now_ms,
                                     struct bib **bp)
{
	enum nat64_tcp_state tst = f->proto == IPPROTO_TCP ? NAT64_TCP_V6_INIT : NAT64_TCP_NONE;
	uint32_t t4;
	uint16_t t;
	uint64_t h4;
	struct shard *sh;
	struct bib *b;
	enum nat64_result r;

	if (!source_allowed(nat, f->src6))
		return NAT64_NOT_ALLOWED;
	if (tcp_needs_state(f->proto, flags))
		return NAT64_NO_STATE;
	r = session_reserve(nat, f->src6);
	if (r != NAT64_OK)
		return r;
	t4 = f->want4;
	t = f->want_port;
	if ((t < 1024) != (f->sport < 1024)) /* §3.5.1.1: keep the port's range */
		t4 = 0;
	if ((t4 == 0 || pool4_claim(nat->pool, f->proto, t4, t) != POOL4_CLAIMED) &&
	    !pool4_alloc(nat->pool, f->proto, (uint32_t)hash_addr6(nat, f->src6), f->sport,
	                 &st->rng, &t4, &t)) {
		session_unreserve(nat, f->src6);
		return NAT64_POOL4_EXHAUSTED;
	}
	h4 = hash4(nat, f->proto, t4, t);
	sh = shard_of(nat, h4);
	pthread_mutex_lock(&sh->lock);
	b = bib_create(nat, sh, h4, f->proto, f->src6, f->sport, t4, t);
	if (b && !session_create(nat, sh, b, sess_hash(nat, b, f->dst4, out_rport(f, b)), f->dst4,
	                         out_rport(f, b), tst, now_ms)) {
		bib_kill(nat, sh, b);
		slab_free(&sh->bib_slab, b);
		b = NULL;
	}
	pthread_mutex_unlock(&sh->lock);
	if (!b) {
		pool4_release(nat->pool, f->proto, t4, t);
		session_unreserve(nat, f->src6);
		return NAT64_NOMEM;
	}
	idx6_insert(nat, st, b, h6);
	*bp = b;
	return NAT64_OK;
}

enum nat64_result nat64_out(struct nat64 *nat, const struct nat64_flow6 *f, uint8_t tcp_flags,
                            uint64_t now_ms, uint32_t *src4, uint16_t *sport4)
{
	uint64_t h6;
	struct stripe *st;
	struct bib *b;
	enum nat64_result r = NAT64_NO_STATE;

	if (nat64_proto_index(f->proto) < 0)
		return NAT64_NO_STATE;
	h6 = hash6(nat, f->proto, f->src6, f->sport);
	st = stripe_of(nat, h6);
	pthread_mutex_lock(&st->lock);
	b = idx6_find(st, h6, f->proto, f->src6, f->sport);
	if (b) {
		struct shard *sh = shard_of(nat, bib_hash4(nat, b));

		pthread_mutex_lock(&sh->lock);
		if (b->dead) {
			/* expired under us; nat64_expire will see it unlinked */
			idx6_unlink(st, b, h6);
			b = NULL;
		} else {
			r = out_on_bib(nat, sh, b, f, tcp_flags, now_ms);
		}
		pthread_mutex_unlock(&sh->lock);
	}
	if (!b)
		r = out_new_bib(nat, st, h6, f, tcp_flags, now_ms, &b);
	if (r == NAT64_OK) {
		/* b stays allocated while we hold its stripe; (T,t) is immutable */
		*src4 = b->addr4;
		*sport4 = b->port4;
	}
	pthread_mutex_unlock(&st->lock);
	return r;
}

/* ---- 4 -> 6 ---- */

/* No session for (Z,z) yet: RFC 6146 §3.5.1 (UDP), §3.5.2.2 (TCP V4 SYN in
 * CLOSED: the session starts in V4_INIT with the transitory timeout; a SYN
 * with no BIB entry, or refused by the filter, is held by the caller,
 * synhold.h), §3.5.3 (ICMP). */
static enum nat64_result in_new_session(struct nat64 *nat, struct shard *sh, struct bib *b,
                                        uint64_t hs, const struct nat64_flow4 *f, uint8_t flags,
                                        uint64_t now_ms)
{
	enum nat64_tcp_state st = f->proto == IPPROTO_TCP ? NAT64_TCP_V4_INIT : NAT64_TCP_NONE;
	enum nat64_result r;

	if (tcp_needs_state(f->proto, flags))
		return NAT64_NO_STATE;
	if (atomic_load_explicit(&nat->adf, memory_order_relaxed) && !bib_has_remote(b, f->src4))
		return NAT64_FILTERED;
	/* sessions opened from outside count against the client they reach:
	 * IPv4 hosts cannot fill the table through one BIB entry */
	r = session_reserve(nat, b->addr6);
	if (r != NAT64_OK)
		return r;
	if (!session_create(nat, sh, b, hs, f->src4, f->sport, st, now_ms)) {
		session_unreserve(nat, b->addr6);
		return NAT64_NOMEM;
	}
	return NAT64_OK;
}

enum nat64_result nat64_in(struct nat64 *nat, const struct nat64_flow4 *f, uint8_t tcp_flags,
                           uint64_t now_ms, uint8_t dst6[16], uint16_t *dport6)
{
	uint64_t h4, hs;
	struct shard *sh;
	struct bib *b;
	struct session *s;
	enum nat64_result r = NAT64_OK;

	if (nat64_proto_index(f->proto) < 0)
		return NAT64_NO_STATE;
	h4 = hash4(nat, f->proto, f->dst4, f->dport);
	sh = shard_of(nat, h4);
	pthread_mutex_lock(&sh->lock);
	b = bib4_find(sh, h4, f->proto, f->dst4, f->dport);
	if (!b) {
		/* RFC 6146 §3.5: IPv4 packets never create BIB entries */
		pthread_mutex_unlock(&sh->lock);
		return NAT64_NO_STATE;
	}
	hs = sess_hash(nat, b, f->src4, f->sport);
	s = session_find(sh, hs, b, f->src4, f->sport);
	if (s)
		session_seen(nat, sh, s, false, tcp_flags, now_ms);
	else
		r = in_new_session(nat, sh, b, hs, f, tcp_flags, now_ms);
	if (r == NAT64_OK) {
		memcpy(dst6, b->addr6, 16);
		*dport6 = b->port6;
	}
	pthread_mutex_unlock(&sh->lock);
	return r;
}

/* ---- lookups ---- */

bool nat64_bib_lookup4(struct nat64 *nat, uint8_t proto, uint32_t addr4, uint16_t port4,
                       uint8_t addr6[16], uint16_t *port6)
{
	uint64_t h4 = hash4(nat, proto, addr4, port4);
	struct shard *sh = shard_of(nat, h4);
	struct bib *b;

	pthread_mutex_lock(&sh->lock);
	b = bib4_find(sh, h4, proto, addr4, port4);
	if (b) {
		memcpy(addr6, b->addr6, 16);
		*port6 = b->port6;
	}
	pthread_mutex_unlock(&sh->lock);
	return b != NULL;
}

bool nat64_bib_lookup6(struct nat64 *nat, uint8_t proto, const uint8_t addr6[16], uint16_t port6,
                       uint32_t *addr4, uint16_t *port4)
{
	uint64_t h6 = hash6(nat, proto, addr6, port6);
	struct stripe *st = stripe_of(nat, h6);
	struct bib *b;

	pthread_mutex_lock(&st->lock);
	b = idx6_find(st, h6, proto, addr6, port6);
	if (b) {
		*addr4 = b->addr4;
		*port4 = b->port4;
	}
	pthread_mutex_unlock(&st->lock);
	return b != NULL;
}

/* ---- expiry ---- */

static bool session_expired(const struct session *s, uint64_t now_ms)
{
	return s->expires_ms <= now_ms;
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
static void bury_bibs(struct nat64 *nat, struct shard *sh, struct bib **dead, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct bib *b = dead[i];
		uint64_t h6 = bib_hash6(nat, b);
		struct stripe *st = stripe_of(nat, h6);

		pthread_mutex_lock(&st->lock);
		if (b->in_idx6)
			idx6_unlink(st, b, h6);
		pthread_mutex_unlock(&st->lock);
		pool4_release(nat->pool, b->proto, b->addr4, b->port4);
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

/* ---- introspection ---- */

void nat64_get_stats(struct nat64 *nat, struct nat64_stats *st)
{
	memset(st, 0, sizeof(*st));
	for (size_t i = 0; i < NSHARDS; i++) {
		struct shard *sh = &nat->shards[i];

		pthread_mutex_lock(&sh->lock);
		for (int p = 0; p < 3; p++) {
			st->bib[p] += sh->n_bib[p];
			st->sessions[p] += sh->n_sess[p];
		}
		pthread_mutex_unlock(&sh->lock);
	}
	for (size_t i = 0; i < NQUOTA; i++) {
		struct quota_shard *q = &nat->quota[i];

		pthread_mutex_lock(&q->lock);
		st->clients += q->clients.n;
		pthread_mutex_unlock(&q->lock);
	}
}

const char *nat64_tcp_state_name(enum nat64_tcp_state s)
{
	switch (s) {
	case NAT64_TCP_NONE:
		return "-";
	case NAT64_TCP_CLOSED:
		return "CLOSED";
	case NAT64_TCP_V6_INIT:
		return "V6_INIT";
	case NAT64_TCP_V4_INIT:
		return "V4_INIT";
	case NAT64_TCP_ESTABLISHED:
		return "ESTABLISHED";
	case NAT64_TCP_V6_FIN_RCV:
		return "V6_FIN_RCV";
	case NAT64_TCP_V4_FIN_RCV:
		return "V4_FIN_RCV";
	case NAT64_TCP_V6_FIN_V4_FIN:
		return "V6_FIN_V4_FIN";
	case NAT64_TCP_TRANS:
		return "TRANS";
	}
	return "?";
}

static void session_info(const struct session *s, struct nat64_session_info *in)
{
	const struct bib *b = s->bib;

	memset(in, 0, sizeof(*in));
	in->proto = b->proto;
	memcpy(in->addr6, b->addr6, 16);
	in->port6 = b->port6;
	in->addr4 = b->addr4;
	in->port4 = b->port4;
	in->remote4 = s->remote4;
	in->rport4 = s->rport;
	in->state = (enum nat64_tcp_state)s->state;
	in->expires_ms = s->expires_ms;
}

void nat64_foreach_session(struct nat64 *nat, int (*cb)(const struct nat64_session_info *, void *),
                           void *arg)
{
	for (size_t i = 0; i < NSHARDS; i++) {
		struct shard *sh = &nat->shards[i];
		int stop = 0;

		pthread_mutex_lock(&sh->lock);
		for (int t = 0; t < TIMER_MAX && !stop; t++) {
			for (struct session *s = sh->timers[t].head; s && !stop; s = s->lru_next) {
				struct nat64_session_info in;

				session_info(s, &in);
				stop = cb(&in, arg);
			}
		}
		pthread_mutex_unlock(&sh->lock);
		if (stop)
			return;
	}
}

void nat64_foreach_bib(struct nat64 *nat, int (*cb)(const struct nat64_bib_info *, void *),
                       void *arg)
{
	for (size_t i = 0; i < NSHARDS; i++) {
		struct shard *sh = &nat->shards[i];
		int stop = 0;

		pthread_mutex_lock(&sh->lock);
		for (size_t k = 0; k <= sh->bib4.mask && !stop; k++) {
			for (struct hnode *e = sh->bib4.b[k]; e && !stop; e = e->next) {
				const struct bib *b = container_of(e, struct bib, node4);
				struct nat64_bib_info in = {
				    .proto = b->proto,
				    .port6 = b->port6,
				    .addr4 = b->addr4,
				    .port4 = b->port4,
				    .n_sessions = b->n_sessions,
				    .is_static = b->is_static,
				};

				memcpy(in.addr6, b->addr6, 16);
				stop = cb(&in, arg);
			}
		}
		pthread_mutex_unlock(&sh->lock);
		if (stop)
			return;
	}
}

/* ---- restart: export and import of sessions (state-file) ---- */

static void session_saved(const struct session *s, uint64_t now_ms, struct nat64_saved_session *o)
{
	const struct bib *b = s->bib;

	memset(o, 0, sizeof(*o));
	o->proto = b->proto;
	memcpy(o->addr6, b->addr6, 16);
	o->port6 = b->port6;
	o->addr4 = b->addr4;
	o->port4 = b->port4;
	o->remote4 = s->remote4;
	o->rport4 = s->rport;
	o->state = (enum nat64_tcp_state)s->state;
	o->remaining_ms = s->expires_ms - now_ms;
	o->is_static = b->is_static;
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
		       (e->proto != IPPROTO_ICMP || e->rport4 == e->port4); /* z == t */
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
	uint64_t hs = sess_hash(nat, b, e->remote4, e->rport4);
	enum nat64_result r;

	if (b->addr4 != e->addr4 || b->port4 != e->port4)
		return IMPORT_TAKEN; /* (X',x) is bound to another (T,t) now */
	if (session_find(sh, hs, b, e->remote4, e->rport4))
		return IMPORT_DUPLICATE;
	r = session_reserve(nat, b->addr6);
	if (r != NAT64_OK)
		return reserve_outcome(r);
	if (!session_insert(nat, sh, b, hs, e->remote4, e->rport4, e->state,
	                    now_ms + saved_lifetime(nat, e))) {
		session_unreserve(nat, b->addr6);
		return IMPORT_NOMEM;
	}
	return IMPORT_SESSION;
}

/* No entry for (X',x): claim exactly the saved (T,t) and re-create the
 * dynamic entry with its session (stripe st locked). */
static enum import_outcome import_new_bib(struct nat64 *nat, struct stripe *st, uint64_t h6,
                                          const struct nat64_saved_session *e, uint64_t now_ms)
{
	uint64_t h4 = hash4(nat, e->proto, e->addr4, e->port4);
	struct shard *sh = shard_of(nat, h4);
	enum nat64_result r;
	struct bib *b = NULL;

	if (!source_allowed(nat, e->addr6))
		return IMPORT_NOT_ALLOWED;
	switch (pool4_claim(nat->pool, e->proto, e->addr4, e->port4)) {
	case POOL4_OUTSIDE:
		return IMPORT_OUTSIDE;
	case POOL4_BUSY:
		return IMPORT_TAKEN;
	case POOL4_CLAIMED:
		break;
	}
	r = session_reserve(nat, e->addr6);
	if (r != NAT64_OK) {
		pool4_release(nat->pool, e->proto, e->addr4, e->port4);
		return reserve_outcome(r);
	}
	pthread_mutex_lock(&sh->lock);
	/* the port was free, so no entry can hold (T,t) */
	b = bib_create(nat, sh, h4, e->proto, e->addr6, e->port6, e->addr4, e->port4);
	if (b && !session_insert(nat, sh, b, sess_hash(nat, b, e->remote4, e->rport4), e->remote4,
	                         e->rport4, e->state, now_ms + saved_lifetime(nat, e))) {
		bib_kill(nat, sh, b);
		slab_free(&sh->bib_slab, b);
		b = NULL;
	}
	pthread_mutex_unlock(&sh->lock);
	if (!b) {
		pool4_release(nat->pool, e->proto, e->addr4, e->port4);
		session_unreserve(nat, e->addr6);
		return IMPORT_NOMEM;
	}
	idx6_insert(nat, st, b, h6);
	return IMPORT_NEW_BIB;
}

static enum import_outcome import_one(struct nat64 *nat, const struct nat64_saved_session *e,
                                      uint64_t now_ms)
{
	uint64_t h6 = hash6(nat, e->proto, e->addr6, e->port6);
	struct stripe *st = stripe_of(nat, h6);
	enum import_outcome out = IMPORT_INVALID;
	struct bib *b;

	if (!saved_valid(e))
		return IMPORT_INVALID;
	if (e->remaining_ms == 0)
		return IMPORT_EXPIRED;
	pthread_mutex_lock(&st->lock);
	b = idx6_find(st, h6, e->proto, e->addr6, e->port6);
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

/* ---- static BIB entries (cfg_lock held) ---- */

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
			pool4_release(nat->pool, b->proto, b->addr4, b->port4);
			slab_free(&sh->bib_slab, b);
		}
		pthread_mutex_unlock(&sh->lock);
	}
	pthread_mutex_unlock(&st->lock);
}

static int statics_apply(struct nat64 *nat, const struct nat64_config *cfg)
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

/* ---- configuration ---- */

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
	free(sh->bib4.b);
	free(sh->sess.b);
	slab_destroy(&sh->bib_slab);
	slab_destroy(&sh->sess_slab);
	pthread_mutex_destroy(&sh->lock);
}

static int quota_init(struct quota_shard *q, size_t nbuckets)
{
	memset(q, 0, sizeof(*q));
	if (pthread_mutex_init(&q->lock, NULL))
		return -1;
	slab_init(&q->slab, sizeof(struct client));
	return htab_init(&q->clients, nbuckets);
}

static void quota_destroy(struct quota_shard *q)
{
	free(q->clients.b);
	slab_destroy(&q->slab);
	pthread_mutex_destroy(&q->lock);
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
	free(st->idx6.b);
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
	pool4_free(nat->pool);
	free(nat->statics);
	pthread_mutex_destroy(&nat->cfg_lock);
	free(nat);
}
