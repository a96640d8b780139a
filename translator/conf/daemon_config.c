/* SPDX-License-Identifier: BSD-2-Clause */
/* Settings derived from the configuration for the packet core; see
 * daemon_config.h. Moved verbatim from tun64d.c. */
#include "daemon_config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Default for max-sessions 0: one session per 16 KiB of RAM, between 64 Ki and
 * 1 Mi sessions (a session costs well under 200 bytes, so this stays below
 * 1% of memory). */
static uint64_t auto_max_sessions(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
	uint64_t n = 65536;

	if (pages > 0 && psize > 0)
		n = (uint64_t)pages * (uint64_t)psize / 16384;
	if (n < 65536)
		n = 65536;
	if (n > 1048576)
		n = 1048576;
	return n;
}

void live_free(struct live *l)
{
	if (l)
		eam_table_free(l->eam);
	free(l);
}

/* Returns NULL with err set on a bad `map` table or out of memory. */
struct live *live_new(const struct tun64_config *c, char *err, size_t errlen)
{
	struct live *l = calloc(1, sizeof(*l));
	struct xlat_config *x;

	if (!l) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	l->eam = eam_table_new(c->map, c->n_map, err, errlen);
	if (!l->eam) {
		free(l);
		return NULL;
	}
	x = &l->x;
	x->eam = l->eam;
	x->mode = c->mode;
	x->pool6 = c->prefix;
	for (size_t i = 0; i < c->n_pool4; i++) {
		l->pool4[i].addr = c->pool4[i].addr;
		l->pool4[i].len = c->pool4[i].len;
	}
	x->pool4 = l->pool4;
	x->n_pool4 = c->mode == XLAT_STATEFUL ? c->n_pool4 : 0;
	x->own4 = c->ipv4_addr;
	memcpy(x->own6, c->ipv6_addr, 16);
	x->mtu = (uint16_t)c->mtu;
	x->lowest_ipv6_mtu = (uint16_t)c->lowest_ipv6_mtu;
	x->wkp_allow_private = c->allow_private_wkp;
	x->icmp_error_rate = c->icmp_error_rate;
	x->icmp_error_burst = c->icmp_error_burst;
	x->icmp_unreachable = c->icmp_unreachable;
	x->rfc6791_pool4 = c->rfc6791_pool4;
	x->rfc6791_pool4_set = c->rfc6791_pool4_set;
	x->rfc6791_pool6 = c->rfc6791_pool6;
	x->rfc6791_pool6_set = c->rfc6791_pool6_set;
	x->udp_zero_csum_drop = c->udp_zero_csum_drop;
	x->tos_zero = c->tos_zero;
	x->flow_label_hash = c->flow_label_hash;
	l->udp_coalesce = c->udp_coalesce;
	return l;
}

void fill_nat64_config(const struct tun64_config *c, struct nat64_config *n)
{
	memset(n, 0, sizeof(*n));
	n->pool4 = c->pool4;
	n->n_pool4 = c->n_pool4;
	n->bib = c->bib;
	n->n_bib = c->n_bib;
	n->timeout_udp = c->timeout_udp;
	n->timeout_tcp_est = c->timeout_tcp_est;
	n->timeout_tcp_trans = c->timeout_tcp_trans;
	n->timeout_icmp = c->timeout_icmp;
	n->max_sessions = c->max_sessions ? c->max_sessions : auto_max_sessions();
	/* One /64 may hold at most a quarter of the table unless told otherwise. */
	n->max_sessions_per_client =
	    c->max_sessions_per_client ? c->max_sessions_per_client : n->max_sessions / 4;
	n->max_sessions_per_address_pct = c->max_sessions_per_address;
	n->block_size = c->pool4_block_size;
	n->allow6 = c->allow6;
	n->n_allow6 = c->n_allow6;
	n->address_dependent_filtering = c->filtering_adf;
}
