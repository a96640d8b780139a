/* SPDX-License-Identifier: BSD-2-Clause */
/* The oldest-first lists of unconfirmed sessions (early drop, tables.h):
 * one per quota shard, client /64 and address, all under the quota
 * shard's lock. Push, unlink and head are O(1). */
#include "tables.h"

static struct uc_list *list_of(struct quota_shard *q, struct ucnode *n, enum uc_scope sc)
{
	switch (sc) {
	case UC_CLIENT:
		return &n->client->uc;
	case UC_ADDR:
		return &n->addr->uc;
	default:
		return &q->uc;
	}
}

static void hint_update(struct quota_shard *q)
{
	atomic_store_explicit(&q->uc_oldest, q->uc.head ? q->uc.head->created_ms : UINT64_MAX,
	                      memory_order_relaxed);
}

void uc_push(struct quota_shard *q, struct ucnode *n)
{
	for (int sc = 0; sc < UC_SCOPES; sc++) {
		struct uc_list *l = list_of(q, n, (enum uc_scope)sc);

		n->next[sc] = NULL;
		n->prev[sc] = l->tail;
		if (l->tail)
			l->tail->next[sc] = n;
		else
			l->head = n;
		l->tail = n;
	}
	hint_update(q);
}

void uc_unlink(struct quota_shard *q, struct ucnode *n)
{
	for (int sc = 0; sc < UC_SCOPES; sc++) {
		struct uc_list *l = list_of(q, n, (enum uc_scope)sc);

		if (n->prev[sc])
			n->prev[sc]->next[sc] = n->next[sc];
		else
			l->head = n->next[sc];
		if (n->next[sc])
			n->next[sc]->prev[sc] = n->prev[sc];
		else
			l->tail = n->prev[sc];
	}
	hint_update(q);
}

struct ucnode *uc_head(struct quota_shard *q, struct client *c, struct caddr *a, enum uc_scope sc)
{
	switch (sc) {
	case UC_CLIENT:
		return c->uc.head;
	case UC_ADDR:
		return a->uc.head;
	default:
		return q->uc.head;
	}
}
