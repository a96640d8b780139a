/* SPDX-License-Identifier: BSD-2-Clause */
/* Early drop (see "Early drop" in tables.h): the FIFO lists of
 * unconfirmed sessions per quota shard, client /64 and address, and the
 * destruction of a victim popped from one. Like Linux conntrack's
 * early_drop, a flow that has not been answered is given up for a new one
 * before a new one is refused; a confirmed session is never given up. */
#include <netinet/in.h>

#include "tables.h"

/* The client and address entries exist: the session is counted. */
void uc_track(struct nat64 *nat, struct shard *sh, struct session *s, bool from6, uint64_t now_ms)
{
	struct quota_shard *q = quota_of_addr(nat, s->bib->addr6);
	struct ucnode *n;

	pthread_mutex_lock(&q->lock);
	n = slab_alloc(&q->uc_slab);
	if (n) {
		memset(n, 0, sizeof(*n));
		n->s = s;
		n->client = quota_client(nat, q, s->bib->addr6);
		n->addr = quota_addr(nat, q, s->bib->addr6);
		n->created_ms = now_ms;
		n->shard = (uint8_t)(sh - nat->shards);
		n->quota = (uint8_t)(q - nat->quota);
		n->proto = s->bib->proto;
		n->from6 = from6;
		if (n->client && n->addr) {
			uc_push(q, n);
			s->uc = n;
		} else {
			slab_free(&q->uc_slab, n);
		}
	}
	/* without a node the session is never evicted, as if confirmed */
	pthread_mutex_unlock(&q->lock);
}

void uc_seen(struct nat64 *nat, struct session *s, bool from6)
{
	struct ucnode *n = s->uc;
	struct quota_shard *q;

	if (s->bib->proto == IPPROTO_TCP) {
		/* RFC 6146 §3.5.2.2: the handshake went both ways */
		if (s->state == NAT64_TCP_V6_INIT || s->state == NAT64_TCP_V4_INIT)
			return;
	} else if (from6 == n->from6) {
		return; /* no answer yet */
	}
	q = quota_of_addr(nat, s->bib->addr6);
	pthread_mutex_lock(&q->lock);
	if (!n->doomed) {
		/* a doomed session is the evicting flow's to destroy */
		uc_unlink(q, n);
		slab_free(&q->uc_slab, n);
		s->uc = NULL;
	}
	pthread_mutex_unlock(&q->lock);
}

void evict_finish(struct nat64 *nat, struct ucnode *v, bool from6)
{
	struct shard *sh = &nat->shards[v->shard];
	struct session *s = v->s;
	struct quota_shard *q;
	struct bib *dead = NULL;
	int p = nat64_proto_index(v->proto);

	/* session memory is never given back before nat64_free, and s->uc is
	 * cleared when s goes: s->uc == v means s is still the victim */
	pthread_mutex_lock(&sh->lock);
	if (s->uc == v) {
		dead = session_destroy(nat, sh, s);
		if (dead)
			bib_kill(nat, sh, dead);
	}
	pthread_mutex_unlock(&sh->lock);
	if (dead)
		bury_bibs(nat, sh, &dead, 1);
	q = &nat->quota[v->quota];
	pthread_mutex_lock(&q->lock);
	slab_free(&q->uc_slab, v);
	pthread_mutex_unlock(&q->lock);
	atomic_fetch_add_explicit(&nat->evicted[from6 ? 0 : 1][p], 1, memory_order_relaxed);
}
