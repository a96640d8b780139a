/* SPDX-License-Identifier: BSD-2-Clause */
/* Stateless address translation (SIIT): the RFC 7757 Explicit Address Mapping
 * Table (EAMT), its RFC 6052 fallback, and the RFC 7757 §4 hairpinning test.
 *
 * The table is built once from the `map` lines of the configuration (at start
 * and on reload; that is where it allocates) and is read-only afterwards, so
 * every worker may look it up at once without locks. Lookups allocate nothing.
 * A NULL table behaves as an empty one. IPv4 addresses are host order. */
#ifndef TUN64_EAM_H
#define TUN64_EAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

/* One `map` line: an IPv4 prefix and the IPv6 prefix it maps to. */
struct eam_map {
	struct prefix4 p4;
	struct prefix6 p6;
};

struct eam_table;

/* Build the table from n `map` entries. Each entry's IPv4 and IPv6 prefixes
 * must have host bits zero, and the IPv4 suffix (32 - len4 bits) must not be
 * longer than the IPv6 suffix (128 - len6 bits), RFC 7757 §3.2: what
 * config.c accepts. The lengths need not be equal otherwise. The same IPv4 or
 * IPv6 prefix may appear only once (it would map two ways). Overlapping
 * prefixes of different lengths are fine: the longest match wins. Returns
 * NULL with err set ("map: ...") on a bad entry or when out of memory.
 * n == 0 gives an empty table. */
struct eam_table *eam_table_new(const struct eam_map *maps, size_t n, char *err, size_t errlen);
void eam_table_free(struct eam_table *t);
size_t eam_table_size(const struct eam_table *t);

/* RFC 7757 §3.2 / §3.3: find the entry whose IPv4 (IPv6) prefix is the longest
 * match for the address, then carry the IPv4 suffix (the 32 - len4 bits after
 * the IPv4 prefix) across. In the IPv6 address it sits right after the IPv6
 * prefix, at bits len6 .. len6 + 32 - len4 - 1. 4to6 leaves any IPv6 bits
 * after it zero; 6to4 ignores them. For 192.0.2.0/24 <-> 2001:db8:aaaa::/64,
 * 192.0.2.1 <-> 2001:db8:aaaa:0:100::, and 2001:db8:aaaa:0:1ff:ffff:ffff:ffff
 * -> 192.0.2.1 too.
 * Return false when no entry matches (out untouched). */
bool eam_4to6(const struct eam_table *t, uint32_t v4, uint8_t out6[16]);
bool eam_6to4(const struct eam_table *t, const uint8_t a6[16], uint32_t *v4);

/* Is v4 inside the IPv4 prefix of some entry? */
bool eam_has4(const struct eam_table *t, uint32_t v4);

/* How an address was translated. */
enum siit_via {
	SIIT_VIA_NONE = 0, /* not translatable */
	SIIT_VIA_EAM,      /* RFC 7757 explicit mapping */
	SIIT_VIA_RFC6052,  /* RFC 6052 with pool6 */
};

/* RFC 7757 §3.2: the EAMT first; an address that matches no entry is
 * translated by RFC 6052 with pool6 (4to6: always possible when pool6 has an
 * RFC 6052 length; 6to4: only when the address is inside pool6). pool6 may be
 * NULL (EAM only). The RFC 6052 §3.1 well-known-prefix check stays with the
 * caller: it applies to SIIT_VIA_RFC6052 results only. */
enum siit_via siit_map_4to6(const struct eam_table *t, const struct prefix6 *pool6, uint32_t v4,
                            uint8_t out[16]);
enum siit_via siit_map_6to4(const struct eam_table *t, const struct prefix6 *pool6,
                            const uint8_t a[16], uint32_t *v4);

/* The same, when the caller does not care how. */
bool siit_addr_4to6(const struct eam_table *t, const struct prefix6 *pool6, uint32_t v4,
                    uint8_t out[16]);
bool siit_addr_6to4(const struct eam_table *t, const struct prefix6 *pool6, const uint8_t a[16],
                    uint32_t *v4);

/* RFC 7757 §4, "intrinsic" hairpinning. An IPv6 node that has an EAM entry
 * (so an IPv4 identity) may talk to another such node by the second one's
 * IPv4 address written as an RFC 6052 address inside pool6. Translated to
 * IPv4, that packet is addressed to an EAM IPv4 address, which is routed right
 * back into the translator. The translator must then translate it straight
 * back to IPv6 instead of emitting it as IPv4. The packet hairpins when
 *
 *   A. (not an ICMPv6 error) its IPv6 destination was translated by RFC 6052,
 *      not by the EAMT, and the resulting IPv4 destination lies inside the
 *      IPv4 prefix of an EAM entry; or
 *   B. (an ICMPv6 error) the source of the packet quoted inside the error was
 *      translated by RFC 6052 and the resulting IPv4 address lies inside the
 *      IPv4 prefix of an EAM entry.
 *
 * Pass the translated address and how siit_map_6to4 got it: for A the outer
 * destination, for B the inner source.
 *
 * In the IPv4 -> IPv6 pass of a hairpinned packet, the address standing for
 * the original sender (the outer source; for an ICMP error, the inner
 * destination, and the outer source when it is that same node) is
 * translated by RFC 6052 only, ignoring its EAM entry (rfc6052_embed with
 * pool6). The other node then sees the sender under the
 * pool6 address, so its replies come back through the translator and reach
 * the sender from the same address it sent to; with the EAM address they
 * would go natively from a source the sender never talked to. All other
 * addresses follow siit_map_4to6 as usual. */
bool siit_hairpin(const struct eam_table *t, enum siit_via via, uint32_t v4);

#endif
