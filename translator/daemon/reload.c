/* SPDX-License-Identifier: BSD-2-Clause */
/* Reload (SIGHUP, tun64ctl reload): build new live settings, publish them
 * with one atomic swap, and free the old ones once every worker moved on. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"
#include "nat64.h"
#include "privsep.h"

/* Wait (bounded) until every worker has loaded the current live config, so
 * the retired one is no longer read and can be freed. Workers pass the top of
 * their loop at least every WORKER_POLL_MS. */
static bool workers_caught_up(struct daemon *d)
{
	unsigned gen = atomic_load(&d->gen);

	for (int tries = 0; tries < 50; tries++) {
		bool all = true;

		for (unsigned i = 0; i < d->nstarted; i++)
			if (atomic_load(&d->workers[i].seen_gen) != gen)
				all = false;
		if (all)
			return true;
		usleep(20000);
	}
	return false;
}

/* The routes into the tun follow pool4 (stateful) or `map` (stateless):
 * the parent, which owns them, gets the new set when it changed. */
static void send_routes(struct daemon *d, const struct tun64_config *old,
                        const struct tun64_config *nc)
{
	struct prefix4 a[ROUTES_MAX_PREFIX4], b[ROUTES_MAX_PREFIX4];
	size_t na = route_prefixes(old, a), nb = route_prefixes(nc, b);
	struct ps_routes m = {0};

	if (na == nb && memcmp(a, b, na * sizeof(a[0])) == 0)
		return;
	m.n = (uint32_t)nb;
	for (size_t i = 0; i < nb; i++) {
		m.p[i].addr = b[i].addr;
		m.p[i].len = b[i].len;
	}
	engine_tell(d, PS_ROUTES, &m, sizeof(m));
}

static bool timeout_shorter(const struct tun64_config *old, const struct tun64_config *nc)
{
	return nc->timeout_udp < old->timeout_udp || nc->timeout_icmp < old->timeout_icmp ||
	       nc->timeout_tcp_est < old->timeout_tcp_est ||
	       nc->timeout_tcp_trans < old->timeout_tcp_trans;
}

/* What a reload does to live sessions: those on a pool4 range that left
 * end now (their (T,t) is no longer routed to us), and a shorter timeout
 * applies to running timers too. */
static void reload_sessions(struct daemon *d, const struct tun64_config *old,
                            const struct tun64_config *nc)
{
	struct nat64_delete_filter f = {.by = NAT64_DEL_OUTSIDE_POOL4};
	size_t n;

	n = nat64_delete(d->nat, &f);
	if (n)
		log_info("reload: %zu session(s) ended: their pool4 range was removed", n);
	if (timeout_shorter(old, nc)) {
		n = nat64_clamp_timers(d->nat, now_ms());
		if (n)
			log_info("reload: %zu session timer(s) cut to the shorter timeout", n);
	}
}

/* SIGHUP / tun64ctl reload: read the configuration again (the parent does,
 * fetch_config) and apply it
 * without dropping sessions. A file with an error, or a change that needs a
 * restart, is refused whole and the running configuration stays. */
int reload(struct daemon *d, char *msg, size_t msglen)
{
	struct tun64_config *nc = malloc(sizeof(*nc));
	struct nat64_config ncfg;
	struct live *nl;
	const char *key;
	bool fp_policy;

	if (!nc) {
		snprintf(msg, msglen, "reload: out of memory");
		return -1;
	}
	if (fetch_config(d, nc, msg, msglen) < 0)
		goto refuse;
	key = config_needs_restart(d->cfg, nc);
	if (key) {
		snprintf(msg, msglen, "%s: changing it needs a restart; configuration not reloaded",
		         key);
		goto refuse;
	}
	if (!workers_caught_up(d)) {
		snprintf(msg, msglen, "reload: workers busy, try again");
		goto refuse;
	}
	live_free(d->retired);
	d->retired = NULL;
	nl = live_new(nc, msg, msglen);
	if (!nl)
		goto refuse;
	if (d->nat) {
		fill_nat64_config(nc, &ncfg);
		if (nat64_reconfigure(d->nat, &ncfg) < 0) {
			snprintf(msg, msglen, "reload: the NAT64 tables refused the new settings");
			live_free(nl);
			goto refuse;
		}
	}
	fp_policy = d->cfg->mtu != nc->mtu || d->cfg->lowest_ipv6_mtu != nc->lowest_ipv6_mtu ||
	            d->cfg->tos_zero != nc->tos_zero ||
	            d->cfg->flow_label_hash != nc->flow_label_hash;
	d->retired = atomic_exchange(&d->live, nl);
	atomic_fetch_add(&d->gen, 1);
	if (d->nat)
		reload_sessions(d, d->cfg, nc);
	send_routes(d, d->cfg, nc);
	free(d->cfg);
	d->cfg = nc;
	if (fp_policy)
		efp_configure(d); /* the program follows the same policy as the workers */
	log_set_level(nc->log_level);
	snprintf(msg, msglen, "configuration reloaded");
	d->reloads_ok++; /* tun64_reloads_total (metrics.c) */
	return 0;
refuse:
	free(nc);
	d->reloads_failed++;
	return -1;
}

void reload_and_log(struct daemon *d, const char *why)
{
	char msg[CONFIG_ERRLEN + 64];

	if (reload(d, msg, sizeof(msg)) < 0)
		log_err("%s: %s", why, msg);
	else
		log_info("%s: %s", why, msg);
}
