/* SPDX-License-Identifier: BSD-2-Clause */
/* Shared internals of the RFC 6146 NAT64 tables (BIB and sessions for TCP,
 * UDP, ICMP): the structures, their hashing and the functions the files of
 * nat64/ call in one another. Not a public interface.
 *
 * Files: nat64.c (6->4 and 4->6 lookups, introspection), entries.c (BIB
 * entries and sessions), quota.c (per-client and global session counts),
 * tcp_state.c (RFC 6146 §3.5.2 state machine), expiry.c (timer lists,
 * nat64_expire), export.c (state file), static_bib.c, setup.c (new, free,
 * reconfigure), table.c (hash table, slab), pool4.c ((T,t) ownership),
 * purge.c (sessions ended by the operator or a reload, pool4 use).
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
 *     never more entries than sessions. The same lock covers the client's
 *     addresses (struct caddr, for the per-address share) and the
 *     unconfirmed lists below.
 *   - Early drop (evict.c): a session that has not carried packets both ways
 *     (TCP before ESTABLISHED, UDP/ICMP before a packet against the
 *     direction that opened it) has a struct ucnode on three FIFO lists in
 *     creation order: its quota shard's, its client /64's and its address's,
 *     all under that quota shard's lock. A new flow at a limit pops the head
 *     of the list of that scope in O(1) ("dooms" it: the victim stops
 *     counting and its slot goes to the new flow), and destroys the victim
 *     after it has dropped its own locks (shard alone, then as nat64_expire
 *     buries a BIB entry). For max-sessions the victim is the oldest head of
 *     the NQUOTA shard lists, found from an atomic hint per quota shard
 *     without locking. Confirmed sessions have no node and cost one pointer.
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
 *   - Early drop: the victim is popped under one quota shard lock; a second
 *     quota shard (max-sessions victim) only after the first is released.
 *     The victim is destroyed with no lock of the new flow held.
 *
 * Memory: 120 bytes per session (plus an 88-byte ucnode while unconfirmed), 56 per BIB entry, plus
 * 8 per hash bucket (three tables, load factor 0.5..1): about 200 bytes per flow with one session
 * per BIB entry, 10^6 flows in about 200 MB. Plus 24 bytes and a bucket per client /64, at most one
 * per session. */
#ifndef TUN64_NAT64_TABLES_H
#define TUN64_NAT64_TABLES_H

#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "nat64.h"
#include "pool4.h"
#include "table.h"

#define NSHARDS 64  /* power of two */
#define NSTRIPES 64 /* power of two */
#define SHARD_BITS 6
_Static_assert(NSHARDS == 1 << SHARD_BITS && NSTRIPES == NSHARDS, "shard/stripe bits");
#define LRU_SLACK_MS 1000
#define NQUOTA 64 /* client quota shards, power of two */
_Static_assert(NQUOTA == NSHARDS, "quota shards use the same bits");
_Static_assert(NSHARDS <= 256 && NQUOTA <= 256, "shard indexes fit a ucnode's uint8_t");

enum timer_class { TIMER_UDP, TIMER_ICMP, TIMER_TCP_EST, TIMER_TCP_TRANS, TIMER_MAX };

struct session;

/* Table entries keep (X',x), (T,t) and (Z,z) as loose fields, not as struct
 * taddr6 / taddr4: the 2 bytes of tail padding of a taddr4 would grow a BIB
 * entry from 56 to 64 bytes and a session from 72 to 80 (see Memory). */
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
	uint64_t queued_ms;  /* expires_ms when last queued on its timer list */
	uint32_t remote4;    /* Z */
	uint16_t rport;      /* z */
	uint8_t state;       /* enum nat64_tcp_state */
	uint8_t timer;       /* enum timer_class */
	struct ucnode *uc;   /* shard lock; non-NULL while unconfirmed (evict.c) */
	uint64_t created_ms; /* for its age in tun64ctl sessions; a restored one: restore time */
	/* shard lock: packets and IP bytes per enum nat64_dir (session_count,
	 * nat64_session_touch for the fast path's) */
	uint64_t packets[2], bytes[2];
};
_Static_assert(sizeof(void *) != 8 || (sizeof(struct bib) == 56 && sizeof(struct session) == 120),
               "entry sizes stated under Memory");

struct lru {
	struct session *head, *tail;
	uint64_t max_expires; /* latest expiry appended since the list was empty */
	bool disordered;      /* some session expires LRU_SLACK_MS before one ahead */
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

/* Scopes of early drop: the quota shard (for max-sessions), the client /64,
 * the address. */
enum uc_scope { UC_SHARD, UC_CLIENT, UC_ADDR, UC_SCOPES };

struct uc_list {
	struct ucnode *head, *tail;
};

/* An unconfirmed session on its three lists (quota shard lock). */
struct ucnode {
	struct ucnode *prev[UC_SCOPES]; /* prev[0] first: slab free-list link */
	struct ucnode *next[UC_SCOPES];
	struct session *s;     /* immutable; s->uc == this while s is alive */
	struct client *client; /* counts the session until it is doomed */
	struct caddr *addr;
	uint64_t created_ms;
	uint8_t shard; /* index of s's shard */
	uint8_t quota; /* index of this node's quota shard */
	uint8_t proto;
	bool from6;  /* opened by a 6->4 packet */
	bool doomed; /* popped by a new flow, which destroys s and frees this */
};

/* Live sessions of one client /64. */
struct client {
	struct hnode node; /* first: slab free-list link */
	uint64_t key;      /* the /64, first 8 bytes of X' as stored */
	uint64_t n_sessions;
	struct uc_list uc;
};

/* Live sessions of one address of a client (the per-address share). */
struct caddr {
	struct hnode node; /* first: slab free-list link */
	uint8_t addr[16];
	uint64_t n_sessions;
	struct uc_list uc;
};

struct quota_shard {
	alignas(64) pthread_mutex_t lock;
	struct htab clients;
	struct htab addrs;
	struct slab slab, addr_slab, uc_slab;
	struct uc_list uc;
	_Atomic uint64_t uc_oldest; /* created_ms of uc.head, UINT64_MAX if none */
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
	_Atomic uint32_t addr_share_pct; /* share of max_per_client per address */
	_Atomic uint64_t evicted[2][3];  /* [0 new flow 6->4, 1 4->6][proto index] */
	_Atomic uint64_t timeout_ms[TIMER_MAX];
	_Atomic uint64_t ended_pool4_removed; /* purge.c: their range left pool4 */
	_Atomic uint64_t deleted;             /* purge.c: tun64ctl sessions delete */
	atomic_bool adf;
	pthread_mutex_t cfg_lock;
	/* static BIB entries installed (cfg_lock) */
	struct nat64_static_bib *statics;
	size_t n_statics;
	/* allow6: written holding every stripe, read holding any one */
	struct prefix6 allow6[NAT64_MAX_ALLOW6];
	size_t n_allow6;
	/* session-log (fixed at nat64_new) */
	nat64_event_fn event_cb;
	void *event_ctx;
	/* pool4-block-size (pblock.c; NULL and 0: per-port) */
	struct pblock_table *blocks;
	uint32_t block_size;
};

/* ---- hashing ---- */

static inline uint64_t hash4(const struct nat64 *nat, uint8_t proto, uint32_t addr, uint16_t port)
{
	return mix64(nat->hkey ^ ((uint64_t)proto << 48 | (uint64_t)port << 32 | addr));
}

static inline uint64_t load64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint64_t hash_addr6(const struct nat64 *nat, const uint8_t a[16])
{
	return mix64(mix64(nat->hkey ^ load64(a)) ^ load64(a + 8));
}

static inline uint64_t hash6(const struct nat64 *nat, uint8_t proto, const uint8_t a[16],
                             uint16_t port)
{
	return mix64(hash_addr6(nat, a) ^ ((uint64_t)proto << 16 | port));
}

static inline uint64_t bib_hash4(const struct nat64 *nat, const struct bib *b)
{
	return hash4(nat, b->proto, b->addr4, b->port4);
}

static inline uint64_t bib_hash6(const struct nat64 *nat, const struct bib *b)
{
	return hash6(nat, b->proto, b->addr6, b->port6);
}

/* A session is keyed by its BIB entry and (Z,z). */
static inline uint64_t sess_hash(const struct nat64 *nat, const struct bib *b,
                                 const struct taddr4 *z)
{
	return mix64(bib_hash4(nat, b) ^ ((uint64_t)z->port << 32 | z->addr));
}

/* (Z,z) of a session. */
static inline struct taddr4 session_remote(const struct session *s)
{
	return (struct taddr4){.addr = s->remote4, .port = s->rport};
}

/* Shard and stripe come from the top bits, buckets from the low bits. */
static inline struct shard *shard_of(struct nat64 *nat, uint64_t h4)
{
	return &nat->shards[h4 >> (64 - SHARD_BITS)];
}

static inline struct stripe *stripe_of(struct nat64 *nat, uint64_t h6)
{
	return &nat->stripes[h6 >> (64 - SHARD_BITS)];
}

static inline bool session_expired(const struct session *s, uint64_t now_ms)
{
	return s->expires_ms <= now_ms;
}

/* ---- tcp_state.c: RFC 6146 §3.5.2, pure ---- */

/* The timer list (hence timeout) of a session of proto in state st. */
enum timer_class timer_for(uint8_t proto, enum nat64_tcp_state st);
/* A TCP packet without SYN finds no session: it may not open one. */
bool tcp_needs_state(uint8_t proto, uint8_t flags);
/* A packet with flags from the IPv6 side (from6) or the IPv4 side on a TCP
 * session in state cur. Returns true when the session timer restarts, with
 * the (possibly same) state to set in *next; false: state and lifetime stay. */
bool tcp_transition(enum nat64_tcp_state cur, bool from6, uint8_t flags,
                    enum nat64_tcp_state *next);

/* ---- expiry.c: timer lists ---- */

/* Queue s at the tail of l with its current expires_ms. */
void lru_append(struct lru *l, struct session *s);
void lru_unlink(struct lru *l, struct session *s);
/* Restart the session timer for its current state (shard sh locked). */
void session_arm(struct nat64 *nat, struct shard *sh, struct session *s, uint64_t now_ms);

/* ---- quota.c: session counts ---- */

int quota_init(struct quota_shard *q, size_t nbuckets);
void quota_destroy(struct quota_shard *q);
struct quota_shard *quota_of_addr(struct nat64 *nat, const uint8_t addr6[16]);
/* Entries of a counted address and its /64 (quota shard q locked). */
struct client *quota_client(struct nat64 *nat, struct quota_shard *q, const uint8_t addr6[16]);
struct caddr *quota_addr(struct nat64 *nat, struct quota_shard *q, const uint8_t addr6[16]);
/* One more session of X' against its address's share, its client's quota,
 * then max_sessions. With victim non-NULL, a scope at its limit gives up its
 * oldest unconfirmed session instead of refusing: *victim is then set and
 * the caller must pass it to evict_finish once it holds no lock. */
enum nat64_result session_reserve(struct nat64 *nat, const uint8_t addr6[16],
                                  struct ucnode **victim);
void session_unreserve(struct nat64 *nat, const uint8_t addr6[16]);
/* s is going (shard locked): its counts and its node. */
void session_release(struct nat64 *nat, struct session *s);

/* ---- evict.c: unconfirmed sessions (quota shard locked unless said) ---- */

void uc_push(struct quota_shard *q, struct ucnode *n);
void uc_unlink(struct quota_shard *q, struct ucnode *n);
/* Oldest unconfirmed session of one scope's list, or NULL. */
struct ucnode *uc_head(struct quota_shard *q, struct client *c, struct caddr *a, enum uc_scope sc);
/* s (shard sh locked), new and unconfirmed, goes on its lists. */
void uc_track(struct nat64 *nat, struct shard *sh, struct session *s, bool from6, uint64_t now_ms);
/* A packet of s (shard locked) came from6: confirm s if it now has traffic
 * both ways. */
void uc_seen(struct nat64 *nat, struct session *s, bool from6);
/* Pop the oldest unconfirmed session of any quota shard (no lock held). */
struct ucnode *uc_pop_oldest(struct nat64 *nat);
/* Destroy a doomed victim; from6: the direction of the flow it made room
 * for. No lock held. */
void evict_finish(struct nat64 *nat, struct ucnode *victim, bool from6);

/* ---- entries.c: BIB entries and sessions ---- */

/* allow6 (caller holds a stripe lock): may X' create state? */
bool source_allowed(const struct nat64 *nat, const uint8_t addr6[16]);
struct bib *bib4_find(struct shard *sh, uint64_t h4, uint8_t proto, uint32_t addr4, uint16_t port4);
struct bib *idx6_find(struct stripe *st, uint64_t h6, uint8_t proto, const uint8_t addr6[16],
                      uint16_t port6);
void idx6_insert(struct nat64 *nat, struct stripe *st, struct bib *b, uint64_t h6);
void idx6_unlink(struct stripe *st, struct bib *b, uint64_t h6);
/* New BIB entry in shard sh (locked); not yet in the IPv6 index. */
struct bib *bib_create(struct nat64 *nat, struct shard *sh, uint64_t h4, uint8_t proto,
                       const uint8_t addr6[16], uint16_t port6, uint32_t addr4, uint16_t port4);
/* Take b out of the IPv4 table (shard lock held); it stays in the IPv6
 * index until its stripe is locked. */
void bib_kill(struct nat64 *nat, struct shard *sh, struct bib *b);
struct session *session_find(struct shard *sh, uint64_t hs, const struct bib *b,
                             const struct taddr4 *z);
/* RFC 6146 §3.5.1: has X' of b a session with Z? */
bool bib_has_remote(const struct bib *b, uint32_t z4);
/* New session of b toward (Z,z) in state st expiring at expires_ms, shard
 * locked; a reservation from session_reserve is held. */
struct session *session_insert(struct nat64 *nat, struct shard *sh, struct bib *b, uint64_t hs,
                               const struct taddr4 *z, enum nat64_tcp_state st,
                               uint64_t expires_ms);
/* New session with the full timeout of its state from now_ms. */
struct session *session_create(struct nat64 *nat, struct shard *sh, struct bib *b, uint64_t hs,
                               const struct taddr4 *z, enum nat64_tcp_state st, uint64_t now_ms);
/* Remove s (shard locked). Returns its BIB entry if that is now dynamic and
 * without sessions, i.e. must go too. */
struct bib *session_destroy(struct nat64 *nat, struct shard *sh, struct session *s);

/* Phase 2 and 3 of nat64_expire for n entries bib_kill took out of shard
 * sh (no lock held). */
void bury_bibs(struct nat64 *nat, struct shard *sh, struct bib **dead, size_t n);

/* ---- pblock.c: ports of dynamic entries, port blocks, events ---- */

/* Tell event_cb, if any (any lock may be held: it does not block). */
void nat64_emit(struct nat64 *nat, const struct nat64_event *ev);
int pblock_init(struct nat64 *nat, uint32_t block_size);
void pblock_free(struct nat64 *nat);
/* (T,t) for a new entry of f (stripe st locked): want4/want_port when
 * free, else from X''s blocks or pool4. */
bool port_get(struct nat64 *nat, struct stripe *st, const struct nat64_flow6 *f, uint32_t *t4,
              uint16_t *t);
/* Exactly (T,t) for X' (in one of its blocks, or a new one holding t). */
enum pool4_claim port_claim(struct nat64 *nat, uint8_t proto, const uint8_t addr6[16], uint32_t t4,
                            uint16_t t);
/* Give back what port_get or port_claim gave X'. */
void port_put(struct nat64 *nat, uint8_t proto, const uint8_t addr6[16], uint32_t t4, uint16_t t);
/* Adds the blocks held per protocol index to n. */
void pblock_count(struct nat64 *nat, uint64_t n[3]);

/* ---- static_bib.c (cfg_lock held) ---- */

/* Install cfg's static BIB entries, drop the ones it no longer lists. */
int statics_apply(struct nat64 *nat, const struct nat64_config *cfg);

#endif
