/* SPDX-License-Identifier: BSD-2-Clause */
/* Chained hash table and slab allocator (table.h). */
#include "table.h"

#include <stdlib.h>

size_t pow2_at_least(size_t n)
{
	size_t p = HTAB_MIN;

	while (p < n)
		p <<= 1;
	return p;
}

int htab_init(struct htab *t, size_t nbuckets)
{
	t->b = calloc(nbuckets, sizeof(*t->b));
	if (!t->b)
		return -1;
	t->mask = nbuckets - 1;
	t->n = 0;
	return 0;
}

void htab_destroy(struct htab *t)
{
	free(t->b);
}

void htab_grow(struct htab *t, const void *ctx, htab_hash_fn hash)
{
	size_t nb = (t->mask + 1) * 2;
	struct hnode **b = calloc(nb, sizeof(*b));

	if (!b)
		return;
	for (size_t i = 0; i <= t->mask; i++) {
		struct hnode *e = t->b[i];

		while (e) {
			struct hnode *next = e->next;
			size_t j = hash(ctx, e) & (nb - 1);

			e->next = b[j];
			b[j] = e;
			e = next;
		}
	}
	free(t->b);
	t->b = b;
	t->mask = nb - 1;
}

void htab_insert(struct htab *t, struct hnode *e, uint64_t h)
{
	struct hnode **head = &t->b[h & t->mask];

	e->next = *head;
	*head = e;
	t->n++;
}

void htab_remove(struct htab *t, struct hnode *e, uint64_t h)
{
	struct hnode **pp = &t->b[h & t->mask];

	while (*pp && *pp != e)
		pp = &(*pp)->next;
	if (*pp) {
		*pp = e->next;
		t->n--;
	}
}

void slab_init(struct slab *s, size_t obj_size)
{
	s->free = NULL;
	s->chunks = NULL;
	s->obj_size = (obj_size + 7) & ~(size_t)7;
}

void *slab_alloc(struct slab *s)
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

void slab_free(struct slab *s, void *obj)
{
	struct hnode *o = obj;

	o->next = s->free;
	s->free = o;
}

void slab_destroy(struct slab *s)
{
	while (s->chunks) {
		struct slab_chunk *next = s->chunks->next;

		free(s->chunks);
		s->chunks = next;
	}
}
