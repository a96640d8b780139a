/* SPDX-License-Identifier: BSD-2-Clause */
/* tun64ctl pref64: the radvd and systemd-networkd settings that announce the
 * translation prefix in RFC 8781 PREF64 options, for a router whose own RA
 * daemon should do it instead of tun64d's pref64-announce. */
#ifndef TUN64_PREF64_CONF_H
#define TUN64_PREF64_CONF_H

#include <stdio.h>

#include "addr.h"

/* Both snippets for prefix p on link ifname ("" when the configuration
 * names none: a placeholder is printed). */
void pref64_print_conf(FILE *f, const struct prefix6 *p, const char *ifname);

#endif
