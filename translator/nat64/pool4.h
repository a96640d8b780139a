/* SPDX-License-Identifier: BSD-2-Clause */
/* pool4: the IPv4 transport addresses (T,t) a stateful NAT64 hands out.
 * Internal to the NAT64 tables (nat64/); not a public interface.
 *
 * One bitmap of ports per (pool4 address, protocol). A port is owned by
 * whoever set its bit with an atomic operation, so workers never hand out the
 * same (T,t) twice and need no lock to allocate. Ranges are only ever added
 * (under the caller's configuration lock); a range that leaves the
 * configuration is deactivated, so its live entries keep their ports. */
#ifndef TUN64_POOL4_H
#define TUN64_POOL4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nat64.h"

#define POOL4_MAX_RANGES 64
/* A pool4 line may not span more than a /16: each address costs 24 KiB of
 * (lazily touched) bitmap with the full port range. */
#define POOL4_MIN_LEN 16

/* Index of a NAT64 protocol: 0 TCP, 1 UDP, 2 ICMP, -1 anything else. */
int nat64_proto_index(uint8_t proto);

struct pool4;

struct pool4 *pool4_new(void);
void pool4_free(struct pool4 *p);

/* Can ranges r[0..n) be added next to what p already holds? Refuses
 * malformed lines and ports shared between two different lines. */
bool pool4_valid(const struct pool4 *p, const struct pool4_range *r, size_t n);

/* Add one range, inactive (no allocations from it yet). Returns its index,
 * the index of an identical range already present, or -1 (memory, full).
 * Caller serialises calls to pool4_add and pool4_set_active. */
int pool4_add(struct pool4 *p, const struct pool4_range *r);
void pool4_set_active(struct pool4 *p, int idx, bool active);
size_t pool4_n_ranges(const struct pool4 *p);

enum pool4_claim {
	POOL4_CLAIMED, /* bit was free, now ours */
	POOL4_BUSY,    /* already in use */
	POOL4_OUTSIDE, /* (addr, port) is in no range */
};
/* Take one given (T,t) (static BIB entries). */
enum pool4_claim pool4_claim(struct pool4 *p, uint8_t proto, uint32_t addr, uint16_t port);

/* Allocate a free (T,t) for a flow from source port sport. The address is
 * chosen from addr_hint (same hint, same address while it has room: RFC 4787
 * "paired" pooling); the port is random (RFC 6056) within the well-known or
 * the ephemeral part of the range as sport is (RFC 6146 §3.5.1.1), or the
 * other part when that one is full. *rng is a PRNG state owned by the caller.
 * Returns false when exhausted. */
bool pool4_alloc(struct pool4 *p, uint8_t proto, uint32_t addr_hint, uint16_t sport, uint64_t *rng,
                 uint32_t *addr, uint16_t *port);

/* Give back a (T,t) from pool4_alloc or pool4_claim; no-op outside pool4. */
void pool4_release(struct pool4 *p, uint8_t proto, uint32_t addr, uint16_t port);

/* nat64_foreach_pool4's walk (nat64.h). */
void pool4_foreach_use(const struct pool4 *p, int (*cb)(const struct nat64_pool4_use *, void *),
                       void *arg);
/* Is (addr, port) in a range that allocates now? (reload ends the sessions
 * of ranges that left the configuration.) */
bool pool4_active_at(const struct pool4 *p, uint32_t addr, uint16_t port);

/* Range idx: its line, whether it is active, and per protocol (0 TCP, 1
 * UDP, 2 ICMP) the ports in use and the ports it has, all its addresses
 * together. Reads relaxed counters: cheap, a moment's view. False if there
 * is no range idx. */
bool pool4_range_use(const struct pool4 *p, size_t idx, struct pool4_range *cfg, bool *active,
                     uint64_t used[3], uint64_t total[3]);
/* Port blocks (pool4-block-size n > 1, RFC 7422): a block is n
 * consecutive ports at a multiple of n from the start of one part of a
 * range (so two blocks never overlap), claimed whole. pool4_alloc_block
 * tries addr_pref first (paired pooling, RFC 4787 REQ-2; 0: none), then the
 * address addr_hint picks, as pool4_alloc; the block is chosen at random
 * among the free ones of an address (RFC 6056). */
bool pool4_alloc_block(struct pool4 *p, uint8_t proto, uint32_t addr_pref, uint32_t addr_hint,
                       uint16_t sport, uint32_t n, uint64_t *rng, uint32_t *addr, uint16_t *first);
/* Claim the block of n ports that holds (addr, port) (state-file import);
 * *first is its first port. */
enum pool4_claim pool4_claim_block(struct pool4 *p, uint8_t proto, uint32_t addr, uint16_t port,
                                   uint32_t n, uint16_t *first);
/* Give back a block from pool4_alloc_block or pool4_claim_block. */
void pool4_release_block(struct pool4 *p, uint8_t proto, uint32_t addr, uint16_t first, uint32_t n);

/* xorshift64* step; state must be non-zero. */
uint64_t pool4_rand(uint64_t *state);

#endif
