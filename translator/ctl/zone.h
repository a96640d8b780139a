/* SPDX-License-Identifier: BSD-2-Clause */
/* DNS master files (RFC 1035 §5) to AAAA records: for `tun64ctl map --zone`.
 *
 * An operator who publishes an IPv4-only host to IPv6 clients through the
 * translator needs, for each A record, an AAAA record holding the mapped
 * address. zone_a_to_aaaa reads the zone text and prints those AAAA records,
 * keeping the owner name as written and the record's TTL. Pure: text in,
 * lines out to a FILE, no other I/O. */
#ifndef TUN64_ZONE_H
#define TUN64_ZONE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Map one IPv4 address (host order) to the IPv6 address to publish; false:
 * it has none (`prefix none` and no map line), and its A record gets no AAAA. */
typedef bool (*zone_map4_fn)(uint32_t v4, uint8_t v6[16], void *arg);

/* For every A record of class IN in text, in order, write one line
 * "OWNER TTL IN AAAA ADDR" to out (TTL in seconds; left out when the zone
 * gives none). A "$ORIGIN NAME" line goes before the records whose owner was
 * read under a different $ORIGIN than the last one written, so the output
 * means the same as the input when loaded as a zone. Other record types are
 * ignored. name is the file name used in errors.
 * Returns the number of AAAA records written, or -1 with err set to
 * "NAME:LINE: reason" (nothing more is written after an error). */
int zone_a_to_aaaa(const char *text, const char *name, zone_map4_fn map, void *arg, FILE *out,
                   char *err, size_t errlen);

#endif
