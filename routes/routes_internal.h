/* SPDX-License-Identifier: BSD-2-Clause */
/* State shared by routes.c (changes, libnl-route-3) and monitor.c (events,
 * libmnl). Not part of the public interface. */
#ifndef TUN64_ROUTES_INTERNAL_H
#define TUN64_ROUTES_INTERNAL_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include "routes.h"

struct nl_sock;
struct mnl_socket;

/* Our routes carry their own protocol number so `ip route show proto 64`
 * lists them and a delete (which names the protocol) never removes a route
 * someone else put in its place. 64 is unassigned in rtnetlink.h. */
#define ROUTES_RTPROT 64

struct route_entry {
	int family; /* AF_INET6 or AF_INET */
	uint8_t dst[16];
	uint8_t len;
	bool owned; /* we added it, so teardown removes it */
};

struct routes {
	struct routes_spec spec; /* spec.ifname points at ifname below */
	char ifname[IFNAMSIZ];
	routes_log_fn log;
	struct nl_sock *sk;
	int ifindex; /* looked up by name again on every heal */

	/* The kernel's answer to the last failed request, captured by the
	 * libnl error callback: errno and the extended ack message. */
	int nl_errno;
	char extack[256];

	struct route_entry route[1 + ROUTES_MAX_PREFIX4];
	size_t n_routes;

	bool withdrawn; /* routes_withdraw: out of service, heal does nothing */

	struct mnl_socket *mon;
	bool mon_link_ok; /* the link was up with our MTU at the last look */
};

void routes_logf(const struct routes *r, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* "2001:db8:64::/96" */
char *route_entry_str(const struct route_entry *e, char *buf, size_t len);

/* diff.c: ownership carried from old[] to nw[] for the routes in both
 * (owned flags of nw[] are overwritten); the owned routes of old[] that are
 * not in nw[] are copied to gone[] (room for n_old), their number returned:
 * those are ours to remove. A route of old[] that was not ours is left. */
size_t route_entries_diff(const struct route_entry *old, size_t n_old, struct route_entry *nw,
                          size_t n_new, struct route_entry *gone);

/* monitor.c: open before making changes so nothing is missed. */
int routes_monitor_open(struct routes *r, char *err, size_t errlen);
void routes_monitor_close(struct routes *r);

#endif
