/* SPDX-License-Identifier: BSD-2-Clause */
/* Generic building blocks of the NAT64 tables: a chained hash table of
 * intrusive nodes and a slab allocator. No NAT64 knowledge, no locking: the
 * caller owns the lock that covers a table or a slab.
 *
 * Internal to nat64/; not a public interface. */
#ifndef TUN64_NAT64_TABLE_H
#define TUN64_NAT64_TABLE_H

#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>

#define HTAB_MIN 16    /* smallest bucket count */
#define SLAB_CHUNK 256 /* objects per slab chunk */

#define container_of(p, type, member) ((type *)((char *)(p)-offsetof(type, member)))

/* splitmix64 finaliser: spreads keys over the buckets (and shard bits). */
static inline uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

struct hnode {
	struct hnode *next;
};

/* Chained hash table of intrusive nodes; the caller keeps the load factor
 * <= 1 with htab_full / htab_grow. */
struct htab {
	struct hnode **b;
	size_t mask;
	size_t n;
};

/* Recomputes the hash of a node for htab_grow; ctx is the caller's. */
typedef uint64_t (*htab_hash_fn)(const void *ctx, const struct hnode *e);

/* Smallest power of two >= n, at least HTAB_MIN. */
size_t pow2_at_least(size_t n);

/* nbuckets: a power of two. Returns -1 when out of memory. */
int htab_init(struct htab *t, size_t nbuckets);
void htab_destroy(struct htab *t);

static inline struct hnode *htab_bucket(const struct htab *t, uint64_t h)
{
	return t->b[h & t->mask];
}

/* As many nodes as buckets: time to grow before the next insert. */
static inline int htab_full(const struct htab *t)
{
	return t->n >= t->mask + 1;
}

/* Double the buckets. On allocation failure keep the old ones (longer
 * chains, still correct). */
void htab_grow(struct htab *t, const void *ctx, htab_hash_fn hash);
void htab_insert(struct htab *t, struct hnode *e, uint64_t h);
/* No-op when e is not in the chain of h. */
void htab_remove(struct htab *t, struct hnode *e, uint64_t h);

/* Fixed-size objects in chunks of SLAB_CHUNK, never given back to malloc
 * before slab_destroy: a steady state never allocates. An object's first
 * bytes hold the free-list link while it is free. */
struct slab_chunk {
	struct slab_chunk *next;
	alignas(16) unsigned char obj[];
};

struct slab {
	struct hnode *free;
	struct slab_chunk *chunks;
	size_t obj_size;
};

void slab_init(struct slab *s, size_t obj_size);
void *slab_alloc(struct slab *s); /* NULL when out of memory */
void slab_free(struct slab *s, void *obj);
void slab_destroy(struct slab *s);

#endif
