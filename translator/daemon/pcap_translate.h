/* SPDX-License-Identifier: BSD-2-Clause */
/* tun64d --translate IN OUT: run a packet capture through the packet core
 * offline, with the daemon's configuration, and write what the daemon would
 * have written back to the tun. */
#ifndef TUN64_PCAP_TRANSLATE_H
#define TUN64_PCAP_TRANSLATE_H

#include <stdio.h>

#include "config.h"

/* Translate every packet of the capture in_path (raw IP, IPv4, IPv6,
 * Ethernet or Linux cooked link type) in order, with a fresh NAT64 table in
 * stateful mode and the capture's timestamps as the clock. The packets the
 * translator sends (translated packets and the ICMP errors it originates)
 * go to out_path, link type raw IP, with the input's timestamps. One
 * verdict line per input packet goes to verdicts.
 * Returns the exit status: 0 when the whole capture was processed (drops
 * included), 1 on an I/O or setup error, after one line on stderr. */
int pcap_translate(const struct tun64_config *cfg, const char *in_path, const char *out_path,
                   FILE *verdicts);

#endif
