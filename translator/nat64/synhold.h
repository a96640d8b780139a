/* SPDX-License-Identifier: BSD-2-Clause */
/* Unsolicited IPv4 SYNs held for 6 s (RFC 6146 §3.5.2.2, RFC 5382 REQ-4).
 *
 * An IPv4 SYN that finds no state (no BIB entry for (T,t), or a BIB entry
 * whose address-dependent filter refuses (Z,z)) may be one half of a TCP
 * simultaneous open: the IPv6 host behind (T,t) may be about to send its own
 * SYN to (Z,z). So the NAT64 must not answer it for 6 s. If an IPv6 SYN to
 * (Z,z) is translated meanwhile, the held packet is dropped silently; if not,
 * the sender gets an ICMP Port Unreachable quoting it, as RFC 5382 REQ-4 asks
 * (a SYN to a closed port gets an answer, not a silent 2-minute timeout).
 *
 * A small table shared by the workers, in SYNHOLD_SHARDS shards by the
 * sender (Z,z), each with its mutex, its slots (allocated once) and an
 * atomic count: a shard's mutex is taken only by unsolicited SYNs from
 * senders of that shard, by IPv6 SYNs to such a sender while the shard
 * holds something, and by the expiry scan. At most `slots` SYNs in all, and
 * at most twice a shard's fair share in one shard. No syscalls; time comes
 * from the caller. IPv4 addresses in host order. */
#ifndef TUN64_SYNHOLD_H
#define TUN64_SYNHOLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SYNHOLD_MS 6000u  /* RFC 6146 §3.5.2.2, TCP_INCOMING_SYN */
#define SYNHOLD_SLOTS 64u /* the table's bound (each slot ~570 bytes) */
#define SYNHOLD_SHARDS 16u
/* What an ICMPv4 error can quote (576 - 20 - 8, RFC 1812 §4.3.2.3). */
#define SYNHOLD_QUOTE_MAX 548u

struct synhold;

/* slots == 0: SYNHOLD_SLOTS. NULL when out of memory. */
struct synhold *synhold_new(unsigned slots);
void synhold_free(struct synhold *h);

/* Hold the IPv4 SYN ip4 (len bytes; the first SYNHOLD_QUOTE_MAX are kept)
 * from (Z,z) = (src4, sport) to (T,t) = (dst4, dport). A retransmission of
 * a SYN already held keeps the first one and its deadline. Returns false
 * when every slot is taken (the caller drops the SYN as before). */
bool synhold_add(struct synhold *h, const uint8_t *ip4, size_t len, uint32_t src4, uint16_t sport,
                 uint32_t dst4, uint16_t dport, uint64_t now_ms);

/* The (T,t) a SYN from (Z,z) = (peer4, peer_port) is held for, if any: an
 * IPv6 SYN to (Z,z) that needs a new BIB entry asks for that one, so the
 * two halves of a simultaneous open meet. */
bool synhold_find(struct synhold *h, uint32_t peer4, uint16_t peer_port, uint32_t *t4,
                  uint16_t *tport);

/* An IPv6 SYN to (Z,z) = (peer4, peer_port) was translated with the
 * mapping (T,t) = (t4, tport): the SYN held from (Z,z) to (T,t) belongs to
 * that connection and is forgotten ("an outbound SYN for the connection",
 * RFC 5382 REQ-4). Returns how many were dropped (0 or 1). */
unsigned synhold_cancel(struct synhold *h, uint32_t peer4, uint16_t peer_port, uint32_t t4,
                        uint16_t tport);

/* Take one held SYN whose 6 s are over into out (cap bytes). Returns its
 * length, 0 when none is due. Call until 0. */
size_t synhold_expire(struct synhold *h, uint64_t now_ms, uint8_t *out, size_t cap);

/* SYNs held now. */
unsigned synhold_count(const struct synhold *h);

#endif
