/* SPDX-License-Identifier: BSD-2-Clause */
/* RFC 8781 PREF64 in a Router Advertisement: the bytes tun64d sends
 * (translator/daemon/pref64.c sends them and keeps the schedule). Pure: a
 * prefix and a lifetime in, the ICMPv6 body out. */
#ifndef TUN64_PREF64_RA_H
#define TUN64_PREF64_RA_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

/* RFC 8781 §4: option type 38, length 2 (units of 8 bytes). */
#define PREF64_OPT_TYPE 38
#define PREF64_OPT_LEN 16
/* The RA header (RFC 4861 §4.2) and the one option. */
#define PREF64_RA_LEN (16 + PREF64_OPT_LEN)
/* RFC 8781 §4: 13 bits of Scaled Lifetime in units of 8 s. */
#define PREF64_LIFETIME_MAX (8191u * 8)

/* RFC 4861 §6.2.1 (MaxRtrAdvInterval, MinRtrAdvInterval = 0.33 of it) and
 * §10 (the constants of a router). */
#define PREF64_MAX_RTR_ADV_INTERVAL_MS 600000u
#define PREF64_MIN_RTR_ADV_INTERVAL_MS (PREF64_MAX_RTR_ADV_INTERVAL_MS / 100 * 33)
#define PREF64_MAX_INITIAL_RTR_ADVERT_INTERVAL_MS 16000u
#define PREF64_MAX_INITIAL_RTR_ADVERTISEMENTS 3u
#define PREF64_MAX_RA_DELAY_TIME_MS 500u
#define PREF64_MIN_DELAY_BETWEEN_RAS_MS 3000u
/* RFC 8781 §4.1: at least 3 x MaxRtrAdvInterval, so that two lost RAs in a
 * row do not expire the prefix: 1800 s while tun64d runs. */
#define PREF64_LIFETIME_S (3 * PREF64_MAX_RTR_ADV_INTERVAL_MS / 1000)

/* The Prefix Length Code of RFC 8781 §4 for a prefix length (32, 40, 48,
 * 56, 64 or 96, those of RFC 6052 §2.2), or -1 for any other length. */
int pref64_plc(unsigned len);

/* Seconds to Scaled Lifetime: rounded up to a multiple of 8 (RFC 8781
 * §4.1), capped at 8191. */
uint16_t pref64_scaled_lifetime(unsigned seconds);

/* The Router Advertisement that carries nothing but the PREF64 option:
 * router lifetime 0 (RFC 4861 §4.2: "not a default router", so hosts change
 * no route, §6.3.4), current hop limit, reachable and retransmit times 0
 * ("unspecified by this router"), no flags. The checksum is left 0: the
 * kernel fills it in for raw ICMPv6 sockets (RFC 3542 §3.1). Writes
 * PREF64_RA_LEN bytes and returns that, or 0 if buf is too small or the
 * prefix length has no PLC. */
size_t pref64_ra_build(const struct prefix6 *p, unsigned lifetime_s, uint8_t *buf, size_t len);

#endif
