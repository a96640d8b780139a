/* SPDX-License-Identifier: BSD-2-Clause */
/* BIB entries and sessions (RFC 6146 §3.1, §3.2): creation, lookup and
 * removal in the shard and stripe tables. The caller holds the locks each
 * function names (see "Lock order" in tables.h). */
#include "tables.h"

/* allow6 (caller holds a stripe lock): may X' create state? Linear over at
 * most NAT64_MAX_ALLOW6 prefixes, and only for a flow's first packet. */
bool source_allowed(const struct nat64 *nat, const uint8_t addr6[16])
{
	if (nat->n_allow6 == 0)
		return true;
	for (size_t i = 0; i < nat->n_allow6; i++)
		if (prefix6_contains(&nat->allow6[i], addr6))
			return true;
	return false;
}

static uint64_t node4_hash(const void *ctx, const struct hnode *e)
{
	return bib_hash4(ctx, container_of(e, struct bib, node4));
}

static uint64_t node6_hash(const void *ctx, const struct hnode *e)
{
	return bib_hash6(ctx, container_of(e, struct bib, node6));
}

static uint64_t sess_node_hash(const void *ctx, const struct hnode *e)
{
	const struct session *s = container_of(e, struct session, node);
	struct taddr4 z = session_remote(s);

	return sess_hash(ctx, s->bib, &z);
}

struct bib *bib4_find(struct shard *sh, uint64_t h4, uint8_t proto, uint32_t addr4, uint16_t port4)
{
	for (struct hnode *e = htab_bucket(&sh->bib4, h4); e; e = e->next) {
		struct bib *b = container_of(e, struct bib, node4);

		if (b->proto == proto && b->addr4 == addr4 && b->port4 == port4)
			return b;
	}
	return NULL;
}

struct bib *idx6_find(struct stripe *st, uint64_t h6, uint8_t proto, const uint8_t addr6[16],
                      uint16_t port6)
{
	for (struct hnode *e = htab_bucket(&st->idx6, h6); e; e = e->next) {
		struct bib *b = container_of(e, struct bib, node6);

		if (b->proto == proto && b->port6 == port6 && !memcmp(b->addr6, addr6, 16))
			return b;
	}
	return NULL;
}

void idx6_insert(struct nat64 *nat, struct stripe *st, struct bib *b, uint64_t h6)
{
	if (htab_full(&st->idx6))
		htab_grow(&st->idx6, nat, node6_hash);
	htab_insert(&st->idx6, &b->node6, h6);
	b->in_idx6 = true;
}

void idx6_unlink(struct stripe *st, struct bib *b, uint64_t h6)
{
	htab_remove(&st->idx6, &b->node6, h6);
	b->in_idx6 = false;
}

/* session-log: a BIB entry (s NULL) or a session came or went. */
static void entry_event(struct nat64 *nat, const struct bib *b, const struct session *s,
                        uint8_t kind)
{
	struct nat64_event ev = {.kind = kind,
	                         .proto = b->proto,
	                         .port6 = b->port6,
	                         .addr4 = b->addr4,
	                         .port4 = b->port4,
	                         .port4_last = b->port4};

	if (!nat->event_cb)
		return;
	memcpy(ev.addr6, b->addr6, 16);
	if (s) {
		ev.remote4 = s->remote4;
		ev.rport4 = s->rport;
	}
	nat64_emit(nat, &ev);
}

/* New BIB entry in shard sh (locked); not yet in the IPv6 index. */
struct bib *bib_create(struct nat64 *nat, struct shard *sh, uint64_t h4, uint8_t proto,
                       const uint8_t addr6[16], uint16_t port6, uint32_t addr4, uint16_t port4)
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
	if (htab_full(&sh->bib4))
		htab_grow(&sh->bib4, nat, node4_hash);
	htab_insert(&sh->bib4, &b->node4, h4);
	sh->n_bib[nat64_proto_index(proto)]++;
	entry_event(nat, b, NULL, NAT64_EV_BIB_ADD);
	return b;
}

/* Take b out of the IPv4 table (shard lock held); it stays in the IPv6
 * index until its stripe is locked. */
void bib_kill(struct nat64 *nat, struct shard *sh, struct bib *b)
{
	htab_remove(&sh->bib4, &b->node4, bib_hash4(nat, b));
	sh->n_bib[nat64_proto_index(b->proto)]--;
	b->dead = true;
	entry_event(nat, b, NULL, NAT64_EV_BIB_DEL);
}

struct session *session_find(struct shard *sh, uint64_t hs, const struct bib *b,
                             const struct taddr4 *z)
{
	for (struct hnode *e = htab_bucket(&sh->sess, hs); e; e = e->next) {
		struct session *s = container_of(e, struct session, node);

		if (s->bib == b && s->remote4 == z->addr && s->rport == z->port)
			return s;
	}
	return NULL;
}

/* RFC 6146 §3.5.1: address-dependent filtering lets (Z, *) in only if X'
 * already talks to Z. O(sessions of this BIB entry). */
bool bib_has_remote(const struct bib *b, uint32_t z4)
{
	for (const struct session *s = b->sessions; s; s = s->bib_next)
		if (s->remote4 == z4)
			return true;
	return false;
}

/* New session of b toward (Z,z) in state st expiring at expires_ms, shard
 * locked; a reservation from session_reserve is held. */
struct session *session_insert(struct nat64 *nat, struct shard *sh, struct bib *b, uint64_t hs,
                               const struct taddr4 *z, enum nat64_tcp_state st, uint64_t expires_ms)
{
	struct session *s = slab_alloc(&sh->sess_slab);

	if (!s)
		return NULL;
	memset(s, 0, sizeof(*s));
	s->bib = b;
	s->remote4 = z->addr;
	s->rport = z->port;
	s->state = (uint8_t)st;
	s->timer = (uint8_t)timer_for(b->proto, st);
	s->expires_ms = expires_ms;
	lru_append(&sh->timers[s->timer], s);
	s->bib_next = b->sessions;
	if (b->sessions)
		b->sessions->bib_prev = s;
	b->sessions = s;
	b->n_sessions++;
	if (htab_full(&sh->sess))
		htab_grow(&sh->sess, nat, sess_node_hash);
	htab_insert(&sh->sess, &s->node, hs);
	sh->n_sess[nat64_proto_index(b->proto)]++;
	entry_event(nat, b, s, NAT64_EV_SESSION_ADD);
	return s;
}

/* New session with the full timeout of its state from now_ms. */
struct session *session_create(struct nat64 *nat, struct shard *sh, struct bib *b, uint64_t hs,
                               const struct taddr4 *z, enum nat64_tcp_state st, uint64_t now_ms)
{
	uint64_t timeout =
	    atomic_load_explicit(&nat->timeout_ms[timer_for(b->proto, st)], memory_order_relaxed);

	struct session *s = session_insert(nat, sh, b, hs, z, st, now_ms + timeout);

	if (s)
		s->created_ms = now_ms;
	return s;
}

/* Remove s (shard locked). Returns its BIB entry if that is now dynamic and
 * without sessions, i.e. must go too. */
struct bib *session_destroy(struct nat64 *nat, struct shard *sh, struct session *s)
{
	struct bib *b = s->bib;
	struct taddr4 z = session_remote(s);

	entry_event(nat, b, s, NAT64_EV_SESSION_DEL);
	htab_remove(&sh->sess, &s->node, sess_hash(nat, b, &z));
	lru_unlink(&sh->timers[s->timer], s);
	if (s->bib_prev)
		s->bib_prev->bib_next = s->bib_next;
	else
		b->sessions = s->bib_next;
	if (s->bib_next)
		s->bib_next->bib_prev = s->bib_prev;
	b->n_sessions--;
	sh->n_sess[nat64_proto_index(b->proto)]--;
	session_release(nat, s);
	slab_free(&sh->sess_slab, s);
	return !b->is_static && b->n_sessions == 0 ? b : NULL;
}

void lru_append(struct lru *l, struct session *s)
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

void lru_unlink(struct lru *l, struct session *s)
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
