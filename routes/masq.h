/* SPDX-License-Identifier: BSD-2-Clause */
/* Kernel-assisted masquerade of pool4 (config `masquerade IFNAME`): an
 * nftables table of our own, built with libnftnl, that source-NATs packets
 * from pool4 leaving IFNAME to IFNAME's address at the moment they leave:
 *
 *   table ip tun64 {
 *     chain postrouting {
 *       type nat hook postrouting priority srcnat; policy accept;
 *       ip saddr POOL4-PREFIX oifname "IFNAME" masquerade   (one per prefix)
 *     }
 *   }
 *
 * So a router with one dynamic public IPv4 address (DHCP, PPPoE) needs no
 * NAT rule of its own, and a new address needs no restart of tun64d. */
#ifndef TUN64_MASQ_H
#define TUN64_MASQ_H

#include <stddef.h>

#include "addr.h"

#define MASQ_TABLE "tun64"
#define MASQ_CHAIN "postrouting"
#define MASQ_MAX_PREFIX4 64

/* Replace table ip tun64 (a stale one left by a crashed daemon included)
 * with the chain above, one rule per prefix, in one nftables transaction:
 * all or nothing. Returns 0, or -1 with err set (the kernel's errno text and
 * extended ack message when it gives one). */
int masq_install(const char *ifname, const struct prefix4 *p, size_t n, char *err, size_t errlen);

/* Delete table ip tun64 if it exists. Returns 0 (also when there was none),
 * or -1 with err set. */
int masq_remove(char *err, size_t errlen);

#endif
