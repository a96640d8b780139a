/* SPDX-License-Identifier: BSD-2-Clause */
/* Fragments of stateful flows (RFC 6146 §3.4, §3.5): only the first fragment
 * of a datagram carries the ports, so the address the first fragment was
 * translated to is remembered here, keyed by the datagram's (source,
 * destination, identification, protocol), for the fragments that follow.
 *
 * A bounded table of FRAG_TABLE_ENTRIES slots in FRAG_TABLE_WAYS-way sets:
 * a full set drops its oldest entry, an entry lives FRAG_TIMEOUT_MS. Shared
 * by the workers (fragments of one datagram may reach different tun queues),
 * one lock per set. A fragment that arrives before its first fragment finds
 * nothing and is dropped by the caller: fragments are not held. */
#ifndef TUN64_FRAG_H
#define TUN64_FRAG_H

#include <stdbool.h>
#include <stdint.h>

/* RFC 6146 §4: FRAGMENT_MIN, the shortest time fragments are kept. */
#define FRAG_TIMEOUT_MS 2000
#define FRAG_TABLE_ENTRIES 4096
#define FRAG_TABLE_WAYS 4

/* One datagram as it arrived. IPv4 addresses sit in the first 4 bytes of
 * src / dst, network order, the rest zero. */
struct frag_key {
	uint8_t src[16];
	uint8_t dst[16];
	uint32_t id;   /* IPv4: 16 bits; IPv6 Fragment header: 32 bits */
	uint8_t proto; /* upper-layer protocol, as in the packet */
	uint8_t from_v6;
};

struct frag_table;

/* key_seed keys the set hash so that a sender cannot aim at one set. */
struct frag_table *frag_table_new(uint64_t key_seed);
void frag_table_free(struct frag_table *t);

/* Remember addr (16 bytes; an IPv4 address in the first 4) for key,
 * replacing an entry with the same key. */
void frag_remember(struct frag_table *t, const struct frag_key *key, const uint8_t addr[16],
                   uint64_t now_ms);

/* The address remembered for key, if it has not expired. */
bool frag_lookup(struct frag_table *t, const struct frag_key *key, uint8_t addr[16],
                 uint64_t now_ms);

#endif
