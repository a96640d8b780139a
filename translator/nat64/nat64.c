/* SPDX-License-Identifier: BSD-2-Clause */
/* RFC 6146 stateful NAT64: the per-packet lookups nat64_out (6->4) and
 * nat64_in (4->6), the read-only BIB lookups and the introspection calls.
 * The structures and their locking are described in tables.h. */
#include <netinet/in.h>

#include "tables.h"

/* One packet of len IP bytes (shard locked: no atomics needed). */
static void session_count(struct session *s, bool from6, uint32_t len)
{
	enum nat64_dir d = from6 ? NAT64_DIR_6TO4 : NAT64_DIR_4TO6;

	s->packets[d]++;
	s->bytes[d] += len;
}

/* A packet of an existing session: TCP state (RFC 6146 §3.5.2.2), or
 * refresh (§3.5.1: UDP and ICMP sessions are refreshed by both directions). */
static void session_seen(struct nat64 *nat, struct shard *sh, struct session *s, bool from6,
                         uint8_t flags, uint32_t len, uint64_t now_ms)
{
	enum nat64_tcp_state next;

	session_count(s, from6, len);
	if (s->bib->proto != IPPROTO_TCP) {
		session_arm(nat, sh, s, now_ms);
	} else if (tcp_transition((enum nat64_tcp_state)s->state, from6, flags, &next)) {
		s->state = (uint8_t)next;
		session_arm(nat, sh, s, now_ms);
	}
	if (s->uc)
		uc_seen(nat, s, from6);
}

/* New session, early drop of unconfirmed ones as needed (shard locked). */
static struct session *new_session(struct nat64 *nat, struct shard *sh, struct bib *b, uint64_t hs,
                                   const struct taddr4 *z, enum nat64_tcp_state st, bool from6,
                                   uint32_t len, uint64_t now_ms)
{
	struct session *s = session_create(nat, sh, b, hs, z, st, now_ms);

	if (s) {
		uc_track(nat, sh, s, from6, now_ms);
		session_count(s, from6, len);
	}
	return s;
}

/* ---- 6 -> 4 ---- */

/* (Z,z) of the session: for ICMP echo the IPv4 side carries the translated
 * identifier t both ways (z == t), so that the reply from Z finds the session
 * the request made. */
static struct taddr4 out_remote(const struct nat64_flow6 *f, const struct bib *b)
{
	return (struct taddr4){
	    .addr = f->dst4,
	    .port = f->proto == IPPROTO_ICMP ? b->port4 : f->dport,
	};
}

/* Session for flow f on existing entry b (shard sh locked). */
static enum nat64_result out_on_bib(struct nat64 *nat, struct shard *sh, struct bib *b,
                                    const struct nat64_flow6 *f, uint8_t flags, uint64_t now_ms,
                                    struct ucnode **victim)
{
	struct taddr4 z = out_remote(f, b);
	uint64_t hs = sess_hash(nat, b, &z);
	struct session *s = session_find(sh, hs, b, &z);
	enum nat64_tcp_state st = f->proto == IPPROTO_TCP ? NAT64_TCP_V6_INIT : NAT64_TCP_NONE;
	enum nat64_result r;

	if (s) {
		session_seen(nat, sh, s, true, flags, f->len, now_ms);
		return NAT64_OK;
	}
	if (tcp_needs_state(f->proto, flags))
		return NAT64_NO_STATE;
	/* the operator's static entries are allowed whatever allow6 says */
	if (!b->is_static && !source_allowed(nat, f->src6))
		return NAT64_NOT_ALLOWED;
	r = session_reserve(nat, b->addr6, victim);
	if (r != NAT64_OK)
		return r;
	if (!new_session(nat, sh, b, hs, &z, st, true, f->len, now_ms)) {
		session_unreserve(nat, b->addr6);
		return NAT64_NOMEM;
	}
	return NAT64_OK;
}

/* First packet from (X',x): new BIB entry and session (stripe st locked). */
static enum nat64_result out_new_bib(struct nat64 *nat, struct stripe *st, uint64_t h6,
                                     const struct nat64_flow6 *f, uint8_t flags, uint64_t now_ms,
                                     struct bib **bp, struct ucnode **victim)
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
	r = session_reserve(nat, f->src6, victim);
	if (r != NAT64_OK)
		return r;
	if (!port_get(nat, st, f, &t4, &t)) {
		session_unreserve(nat, f->src6);
		return NAT64_POOL4_EXHAUSTED;
	}
	h4 = hash4(nat, f->proto, t4, t);
	sh = shard_of(nat, h4);
	pthread_mutex_lock(&sh->lock);
	b = bib_create(nat, sh, h4, f->proto, f->src6, f->sport, t4, t);
	if (b) {
		struct taddr4 z = out_remote(f, b);

		if (!new_session(nat, sh, b, sess_hash(nat, b, &z), &z, tst, true, f->len,
		                 now_ms)) {
			bib_kill(nat, sh, b);
			slab_free(&sh->bib_slab, b);
			b = NULL;
		}
	}
	pthread_mutex_unlock(&sh->lock);
	if (!b) {
		port_put(nat, f->proto, f->src6, t4, t);
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
	struct ucnode *victim = NULL;
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
			r = out_on_bib(nat, sh, b, f, tcp_flags, now_ms, &victim);
		}
		pthread_mutex_unlock(&sh->lock);
	}
	if (!b)
		r = out_new_bib(nat, st, h6, f, tcp_flags, now_ms, &b, &victim);
	if (r == NAT64_OK) {
		/* b stays allocated while we hold its stripe; (T,t) is immutable */
		*src4 = b->addr4;
		*sport4 = b->port4;
	}
	pthread_mutex_unlock(&st->lock);
	if (victim)
		evict_finish(nat, victim, true);
	return r;
}

/* ---- 4 -> 6 ---- */

/* No session for (Z,z) yet: RFC 6146 §3.5.1 (UDP), §3.5.2.2 (TCP V4 SYN in
 * CLOSED: the session starts in V4_INIT with the transitory timeout; a SYN
 * with no BIB entry, or refused by the filter, is held by the caller,
 * synhold.h), §3.5.3 (ICMP). */
static enum nat64_result in_new_session(struct nat64 *nat, struct shard *sh, struct bib *b,
                                        uint64_t hs, const struct nat64_flow4 *f,
                                        const struct taddr4 *z, uint8_t flags, uint64_t now_ms,
                                        struct ucnode **victim)
{
	enum nat64_tcp_state st = f->proto == IPPROTO_TCP ? NAT64_TCP_V4_INIT : NAT64_TCP_NONE;
	enum nat64_result r;

	if (tcp_needs_state(f->proto, flags))
		return NAT64_NO_STATE;
	if (atomic_load_explicit(&nat->adf, memory_order_relaxed) && !bib_has_remote(b, z->addr))
		return NAT64_FILTERED;
	/* sessions opened from outside count against the client they reach:
	 * IPv4 hosts cannot fill the table through one BIB entry */
	r = session_reserve(nat, b->addr6, victim);
	if (r != NAT64_OK)
		return r;
	if (!new_session(nat, sh, b, hs, z, st, false, f->len, now_ms)) {
		session_unreserve(nat, b->addr6);
		return NAT64_NOMEM;
	}
	return NAT64_OK;
}

enum nat64_result nat64_in(struct nat64 *nat, const struct nat64_flow4 *f, uint8_t tcp_flags,
                           uint64_t now_ms, uint8_t dst6[16], uint16_t *dport6)
{
	struct taddr4 z = {.addr = f->src4, .port = f->sport};
	uint64_t h4, hs;
	struct shard *sh;
	struct bib *b;
	struct session *s;
	struct ucnode *victim = NULL;
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
	hs = sess_hash(nat, b, &z);
	s = session_find(sh, hs, b, &z);
	if (s)
		session_seen(nat, sh, s, false, tcp_flags, f->len, now_ms);
	else
		r = in_new_session(nat, sh, b, hs, f, &z, tcp_flags, now_ms, &victim);
	if (r == NAT64_OK) {
		memcpy(dst6, b->addr6, 16);
		*dport6 = b->port6;
	}
	pthread_mutex_unlock(&sh->lock);
	if (victim)
		evict_finish(nat, victim, false);
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

bool nat64_session_touch(struct nat64 *nat, uint8_t proto, uint32_t addr4, uint16_t port4,
                         uint32_t remote4, uint16_t rport4, const struct nat64_seen *seen)
{
	uint64_t last_seen_ms = seen->last_seen_ms;
	struct taddr4 z = {.addr = remote4, .port = rport4};
	uint64_t h4;
	struct shard *sh;
	struct bib *b;
	struct session *s = NULL;

	if (nat64_proto_index(proto) < 0)
		return false;
	h4 = hash4(nat, proto, addr4, port4);
	sh = shard_of(nat, h4);
	pthread_mutex_lock(&sh->lock);
	b = bib4_find(sh, h4, proto, addr4, port4);
	if (b)
		s = session_find(sh, sess_hash(nat, b, &z), b, &z);
	if (s && (unsigned)seen->dir < 2) {
		s->packets[seen->dir] += seen->packets;
		s->bytes[seen->dir] += seen->bytes;
	}
	/* RFC 6146 §3.5.2.2: only ESTABLISHED is refreshed by any packet */
	if (s && (proto != IPPROTO_TCP || s->state == NAT64_TCP_ESTABLISHED)) {
		enum timer_class tc = timer_for(proto, (enum nat64_tcp_state)s->state);
		uint64_t t = atomic_load_explicit(&nat->timeout_ms[tc], memory_order_relaxed);

		if (last_seen_ms + t > s->expires_ms)
			session_arm(nat, sh, s, last_seen_ms);
	}
	pthread_mutex_unlock(&sh->lock);
	return s != NULL;
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
	for (int p = 0; p < 3; p++) {
		for (int d = 0; d < 2; d++)
			st->evicted_by_dir[d][p] =
			    atomic_load_explicit(&nat->evicted[d][p], memory_order_relaxed);
		st->evicted[p] = st->evicted_by_dir[0][p] + st->evicted_by_dir[1][p];
	}
	st->ended_pool4_removed = atomic_load(&nat->ended_pool4_removed);
	st->deleted = atomic_load(&nat->deleted);
	pblock_count(nat, st->blocks);
}

void nat64_foreach_pool4(struct nat64 *nat, int (*cb)(const struct nat64_pool4_use *, void *),
                         void *arg)
{
	pool4_foreach_use(nat->pool, cb, arg);
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
	in->created_ms = s->created_ms;
	in->confirmed = s->uc == NULL;
	memcpy(in->packets, s->packets, sizeof(in->packets));
	memcpy(in->bytes, s->bytes, sizeof(in->bytes));
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
