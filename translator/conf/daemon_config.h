/* SPDX-License-Identifier: BSD-2-Clause */
/* What tun64d builds from a tun64_config before it translates: the read-only
 * translator settings (struct live) and the NAT64 table settings. Shared by
 * the daemon (tun64d.c) and the offline capture translator
 * (pcap_translate.c), so both run the packet core with the same settings. */
#ifndef TUN64_DAEMON_CONFIG_H
#define TUN64_DAEMON_CONFIG_H

#include <stddef.h>

#include "config.h"
#include "eam.h"
#include "nat64.h"
#include "xlat.h"

/* What workers read per packet. Replaced whole on reload and never written
 * once published: a worker loads d->live at the top of each batch. */
struct live {
	struct xlat_config x;
	struct prefix4 pool4[CONFIG_MAX_POOL4];
	struct eam_table *eam;
	bool udp_coalesce; /* udp-coalesce: the workers' USO writes (coalesce.h) */
};

/* Returns NULL with err set on a bad `map` table or out of memory. */
struct live *live_new(const struct tun64_config *c, char *err, size_t errlen);
void live_free(struct live *l);

/* The NAT64 table settings of c (seed left 0: the caller picks it). */
void fill_nat64_config(const struct tun64_config *c, struct nat64_config *n);

#endif
