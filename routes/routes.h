/* SPDX-License-Identifier: BSD-2-Clause */
/* The netlink helper: brings the tun link up, sets its MTU, installs the
 * translation prefix and pool4 routes into it, sets the forwarding sysctls,
 * removes exactly what it added, and watches (libmnl) for the link or the
 * routes going away so they can be put back. Uses libnl-route-3 for changes. */
#ifndef TUN64_ROUTES_H
#define TUN64_ROUTES_H

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"

#define ROUTES_MAX_PREFIX4 64

struct routes_spec {
	const char *ifname;
	unsigned mtu;
	bool install_routes;    /* config `routes`: routes and sysctls */
	struct prefix6 prefix6; /* length 0: none, no IPv6 route */
	struct prefix4 prefix4[ROUTES_MAX_PREFIX4];
	size_t n_prefix4;
};

/* Log callback: level as in config.h enum log_level (0 error .. 3 debug). */
typedef void (*routes_log_fn)(int level, const char *fmt, ...);

struct routes;

/* If install_routes, set net.ipv6.conf.all.forwarding=1 and
 * net.ipv4.ip_forward=1; then make the link quiet (no IPv6 address
 * generation, no per-link forwarding or RA: no link-local address, MLD or RS
 * into the tun) and bring it up with the MTU; if install_routes, add the
 * routes that are missing (recording which ones it added). Logs what it did.
 * Idempotent. Returns NULL
 * with err set (kernel's message included) on failure. */
struct routes *routes_setup(const struct routes_spec *spec, routes_log_fn log, char *err,
                            size_t errlen);

/* Put back the link state and routes if they went missing. Returns the number
 * of things restored, or -1 with err set. */
int routes_heal(struct routes *r, char *err, size_t errlen);

/* Reload: the IPv4 prefixes of spec replace the ones in place (the link,
 * its MTU and the IPv6 prefix stay). Routes that leave are removed if they
 * were ours, routes that stay keep their ownership, new ones are added (not
 * while withdrawn). Returns the number added, or -1 with err set. */
int routes_update(struct routes *r, const struct routes_spec *spec, char *err, size_t errlen);

/* Out of service (tun64ctl withdraw): remove our routes and set the link
 * down; until routes_restore, routes_heal puts nothing back. Returns 0 or -1
 * with err set. */
int routes_withdraw(struct routes *r, char *err, size_t errlen);
/* Back in service: link up, routes back (routes_heal). Returns what
 * routes_heal returns. */
int routes_restore(struct routes *r, char *err, size_t errlen);
bool routes_withdrawn(const struct routes *r);

/* The monitor's netlink socket fd (link and route groups) for poll(). */
int routes_monitor_fd(struct routes *r);

/* Drain monitor events. Returns 1 if something we care about changed (call
 * routes_heal), 0 if not, -1 on error. */
int routes_monitor_read(struct routes *r);

/* Remove the routes we added (only those) and free. */
void routes_teardown(struct routes *r);

#endif
