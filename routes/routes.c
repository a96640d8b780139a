/* SPDX-License-Identifier: BSD-2-Clause */
/* The netlink helper, changes side: link up + MTU, the translation prefix and
 * pool4 routes into the tun, the forwarding sysctls. Uses libnl-route-3.
 *
 * Ownership rule: a route that already exists on our link when we look is
 * left alone and never removed; a route we add is ours and teardown removes
 * it. heal re-adds any of the routes that went missing (ours or not) and
 * from then on owns them. */
#include "routes_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/link/inet6.h>
#include <netlink/route/nexthop.h>
#include <netlink/route/route.h>
#include <netlink/socket.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

void routes_logf(const struct routes *r, int level, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (r->log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	r->log(level, "%s", msg);
}

char *route_entry_str(const struct route_entry *e, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (inet_ntop(e->family, e->dst, a, sizeof(a)) == NULL)
		snprintf(a, sizeof(a), "?");
	snprintf(buf, len, "%s/%u", a, e->len);
	return buf;
}

/* ---- kernel error capture ---------------------------------------------- */

static int extack_attr_cb(const struct nlattr *a, void *data)
{
	struct routes *r = data;

	if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG &&
	    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
		snprintf(r->extack, sizeof(r->extack), "%s", mnl_attr_get_str(a));
	return MNL_CB_OK;
}

/* libnl maps kernel errnos onto its own codes ("Object exists"); keep the
 * errno and the extended ack text so messages read like the kernel's. */
static int capture_err(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct routes *r = arg;
	const struct nlmsghdr *nlh = (const void *)((const char *)e - NLMSG_HDRLEN);
	size_t off = sizeof(*e);

	(void)nla;
	r->nl_errno = -e->error;
	r->extack[0] = '\0';
	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
		/* Uncapped, the whole request is echoed before the TLVs. */
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED) && e->msg.nlmsg_len >= NLMSG_HDRLEN)
			off += e->msg.nlmsg_len - NLMSG_HDRLEN;
		if (nlh->nlmsg_len > NLMSG_HDRLEN + off)
			mnl_attr_parse(nlh, off, extack_attr_cb, r);
	}
	return NL_STOP;
}

static void kernel_error_clear(struct routes *r)
{
	r->nl_errno = 0;
	r->extack[0] = '\0';
}

/* Text for a failed libnl call: the kernel's errno and extack message when
 * the kernel answered, else libnl's own description. */
static const char *kernel_error_str(const struct routes *r, int nlerr, char *buf, size_t len)
{
	if (r->nl_errno == 0)
		snprintf(buf, len, "%s", nl_geterror(nlerr));
	else if (r->extack[0] != '\0')
		snprintf(buf, len, "%s (%s)", strerror(r->nl_errno), r->extack);
	else
		snprintf(buf, len, "%s", strerror(r->nl_errno));
	return buf;
}

static int routes_nl_open(struct routes *r, char *err, size_t errlen)
{
	int one = 1, rc;

	r->sk = nl_socket_alloc();
	if (r->sk == NULL) {
		snprintf(err, errlen, "netlink: out of memory");
		return -1;
	}
	rc = nl_connect(r->sk, NETLINK_ROUTE);
	if (rc < 0) {
		snprintf(err, errlen, "netlink: connect: %s", nl_geterror(rc));
		return -1;
	}
	/* Best effort: older kernels have no extended acks. */
	setsockopt(nl_socket_get_fd(r->sk), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(nl_socket_get_fd(r->sk), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	nl_socket_modify_err_cb(r->sk, NL_CB_CUSTOM, capture_err, r);
	return 0;
}

/* ---- sysctls ------------------------------------------------------------ */

/* Set the sysctl at /proc/sys/PATH (slashes, so that a link name with a dot
 * stays one component) to the single digit want unless it has it. Returns 1
 * if it wrote, 0 if already set, -1 with err. */
static int sysctl_ensure(const struct routes *r, const char *path_in_sys, char want, char *err,
                         size_t errlen)
{
	char path[128], cur[8] = "", line[2] = {want, '\n'};
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/sys/%s", path_in_sys);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	n = read(fd, cur, sizeof(cur) - 1);
	if (n > 0 && cur[0] == want && (cur[1] == '\n' || cur[1] == '\0')) {
		close(fd);
		return 0;
	}
	if (pwrite(fd, line, sizeof(line), 0) != (ssize_t)sizeof(line)) {
		snprintf(err, errlen, "setting %s to %c: %s", path, want, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	/* sysctl(8)'s dotted name, as operators know it. */
	snprintf(path, sizeof(path), "%s", path_in_sys);
	for (char *p = path; *p; p++)
		if (*p == '/')
			*p = '.';
	routes_logf(r, 2, "set %s=%c", path, want);
	return 1;
}

/* ---- link --------------------------------------------------------------- */

/* The tun is not a link with neighbours: nothing but translated traffic
 * should cross it, or `tcpdump -i nat64` and the drop counters fill with
 * the kernel's own chatter. Before the link comes up: no IPv6 address
 * generation (so no link-local address, no DAD, no Router Solicitation) and
 * no per-link forwarding or RA (so it is in no all-routers group and sends no
 * MLD report; forwarding across it is governed by conf.all.forwarding).
 * Writing conf.all.forwarding sets every link's, so it must come first.
 * Best effort: a daemon that dropped root cannot write sysctls on a link
 * re-created later; the link then merely chatters. */
static void link_quiet(struct routes *r, struct rtnl_link *cur)
{
	/* MLDv1 first: a link created while forwarding is on has joined the
	 * all-routers groups (while down, so silently); leaving them in MLDv2
	 * queues a change report that goes out when the link comes up, where
	 * MLDv1 sends a Done only after a report of its own (RFC 2710 §4). */
	static const struct {
		const char *key;
		char want;
	} keys[] = {{"force_mld_version", '1'}, {"forwarding", '0'}, {"accept_ra", '0'}};
	struct rtnl_link *want;
	char path[96], err[256];
	uint8_t mode;

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		snprintf(path, sizeof(path), "net/ipv6/conf/%s/%s", r->ifname, keys[i].key);
		if (sysctl_ensure(r, path, keys[i].want, err, sizeof(err)) < 0)
			routes_logf(r, 1, "link %s: %s", r->ifname, err);
	}
	if (rtnl_link_inet6_get_addr_gen_mode(cur, &mode) == 0 && mode == IN6_ADDR_GEN_MODE_NONE)
		return;
	want = rtnl_link_alloc();
	if (want == NULL)
		return;
	if (rtnl_link_inet6_set_addr_gen_mode(want, IN6_ADDR_GEN_MODE_NONE) == 0) {
		kernel_error_clear(r);
		if (rtnl_link_change(r->sk, cur, want, 0) < 0)
			routes_logf(r, 1, "link %s: cannot turn off IPv6 address generation",
			            r->ifname);
	}
	rtnl_link_put(want);
}

static int link_change(struct routes *r, struct rtnl_link *cur, char *err, size_t errlen)
{
	struct rtnl_link *want = rtnl_link_alloc();
	char kmsg[320];
	int rc;

	if (want == NULL) {
		snprintf(err, errlen, "link %s: out of memory", r->ifname);
		return -1;
	}
	rtnl_link_set_flags(want, IFF_UP);
	if (rtnl_link_get_mtu(cur) != r->spec.mtu)
		rtnl_link_set_mtu(want, r->spec.mtu);
	kernel_error_clear(r);
	rc = rtnl_link_change(r->sk, cur, want, 0);
	rtnl_link_put(want);
	if (rc < 0) {
		snprintf(err, errlen, "setting link %s up with mtu %u: %s", r->ifname, r->spec.mtu,
		         kernel_error_str(r, rc, kmsg, sizeof(kmsg)));
		return -1;
	}
	return 0;
}

/* Find the link by name (it may have been re-created with a new ifindex),
 * then bring it up with our MTU if it is not. Returns 1 if it changed
 * something, 0 if not, -1 with err. */
static int link_ensure(struct routes *r, char *err, size_t errlen)
{
	struct rtnl_link *cur = NULL;
	char kmsg[320];
	unsigned flags, mtu;
	int rc, ifindex;

	kernel_error_clear(r);
	rc = rtnl_link_get_kernel(r->sk, 0, r->ifname, &cur);
	if (rc < 0) {
		snprintf(err, errlen, "link %s: %s", r->ifname,
		         kernel_error_str(r, rc, kmsg, sizeof(kmsg)));
		return -1;
	}
	ifindex = rtnl_link_get_ifindex(cur);
	if (r->ifindex != 0 && ifindex != r->ifindex)
		routes_logf(r, 1, "link %s was re-created (ifindex %d, was %d)", r->ifname, ifindex,
		            r->ifindex);
	r->ifindex = ifindex;
	flags = rtnl_link_get_flags(cur);
	mtu = rtnl_link_get_mtu(cur);
	if ((flags & IFF_UP) && mtu == r->spec.mtu) {
		rtnl_link_put(cur);
		return 0;
	}
	if (!(flags & IFF_UP))
		link_quiet(r, cur);
	rc = link_change(r, cur, err, errlen);
	rtnl_link_put(cur);
	if (rc < 0)
		return -1;
	routes_logf(r, 2, "link %s: up, mtu %u (was %s, mtu %u)", r->ifname, r->spec.mtu,
	            (flags & IFF_UP) ? "up" : "down", mtu);
	return 1;
}

/* ---- routes ------------------------------------------------------------- */

static struct nl_addr *route_entry_addr(const struct route_entry *e)
{
	struct nl_addr *a;

	a = nl_addr_build(e->family, e->dst, e->family == AF_INET6 ? 16 : 4);
	if (a != NULL)
		nl_addr_set_prefixlen(a, e->len);
	return a;
}

/* A unicast route to e via our link in the main table, tagged as ours. */
static struct rtnl_route *route_entry_build(const struct routes *r, const struct route_entry *e)
{
	struct rtnl_route *rt = rtnl_route_alloc();
	struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
	struct nl_addr *dst = route_entry_addr(e);

	if (rt == NULL || nh == NULL || dst == NULL)
		goto fail;
	rtnl_route_set_family(rt, (uint8_t)e->family);
	if (rtnl_route_set_dst(rt, dst) < 0)
		goto fail;
	nl_addr_put(dst);
	rtnl_route_set_table(rt, RT_TABLE_MAIN);
	rtnl_route_set_protocol(rt, ROUTES_RTPROT);
	rtnl_route_set_type(rt, RTN_UNICAST);
	/* Directly connected, as `ip route add PREFIX dev X` would make it. */
	rtnl_route_set_scope(rt, e->family == AF_INET ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE);
	rtnl_route_nh_set_ifindex(nh, r->ifindex);
	rtnl_route_add_nexthop(rt, nh);
	return rt;
fail:
	if (nh != NULL)
		rtnl_route_nh_free(nh);
	if (dst != NULL)
		nl_addr_put(dst);
	if (rt != NULL)
		rtnl_route_put(rt);
	return NULL;
}

/* Is there a route to exactly e in the main table out of our link? Any
 * protocol or metric counts: someone else's route serves just as well. */
static bool route_in_cache(const struct routes *r, struct nl_cache *cache,
                           const struct route_entry *e)
{
	struct nl_addr *want = route_entry_addr(e);
	bool found = false;

	if (want == NULL)
		return false;
	for (struct nl_object *o = nl_cache_get_first(cache); o && !found;
	     o = nl_cache_get_next(o)) {
		struct rtnl_route *rt = (struct rtnl_route *)o;
		struct nl_addr *dst = rtnl_route_get_dst(rt);
		struct rtnl_nexthop *nh;

		if (dst == NULL || rtnl_route_get_table(rt) != RT_TABLE_MAIN ||
		    nl_addr_cmp(dst, want) != 0)
			continue;
		for (int i = 0; i < rtnl_route_get_nnexthops(rt); i++) {
			nh = rtnl_route_nexthop_n(rt, i);
			if (nh != NULL && rtnl_route_nh_get_ifindex(nh) == r->ifindex)
				found = true;
		}
	}
	nl_addr_put(want);
	return found;
}

static int route_add(struct routes *r, const struct route_entry *e, char *err, size_t errlen)
{
	struct rtnl_route *rt = route_entry_build(r, e);
	char kmsg[320], dst[64];
	int rc;

	route_entry_str(e, dst, sizeof(dst));
	if (rt == NULL) {
		snprintf(err, errlen, "adding route %s dev %s: out of memory", dst, r->ifname);
		return -1;
	}
	kernel_error_clear(r);
	rc = rtnl_route_add(r->sk, rt, NLM_F_EXCL);
	rtnl_route_put(rt);
	if (rc < 0) {
		snprintf(err, errlen, "adding route %s dev %s: %s", dst, r->ifname,
		         kernel_error_str(r, rc, kmsg, sizeof(kmsg)));
		return -1;
	}
	return 0;
}

/* Delete one of our routes. The request names our protocol, so a route that
 * somebody else has put in its place stays. Gone already is fine. */
static void route_del(struct routes *r, const struct route_entry *e)
{
	struct rtnl_route *rt = route_entry_build(r, e);
	char kmsg[320], dst[64];
	int rc;

	route_entry_str(e, dst, sizeof(dst));
	if (rt == NULL) {
		routes_logf(r, 1, "removing route %s dev %s: out of memory", dst, r->ifname);
		return;
	}
	kernel_error_clear(r);
	rc = rtnl_route_delete(r->sk, rt, 0);
	rtnl_route_put(rt);
	if (rc == 0)
		routes_logf(r, 2, "removed route %s dev %s", dst, r->ifname);
	else if (r->nl_errno == ESRCH || r->nl_errno == ENOENT || r->nl_errno == ENODEV)
		routes_logf(r, 3, "route %s dev %s already gone", dst, r->ifname);
	else
		routes_logf(r, 1, "removing route %s dev %s: %s", dst, r->ifname,
		            kernel_error_str(r, rc, kmsg, sizeof(kmsg)));
}

static int route_cache_load(struct routes *r, int family, struct nl_cache **cache, char *err,
                            size_t errlen)
{
	char kmsg[320];
	int rc;

	kernel_error_clear(r);
	rc = rtnl_route_alloc_cache(r->sk, family, 0, cache);
	if (rc < 0) {
		snprintf(err, errlen, "reading %s routes: %s", family == AF_INET6 ? "IPv6" : "IPv4",
		         kernel_error_str(r, rc, kmsg, sizeof(kmsg)));
		return -1;
	}
	return 0;
}

/* Add every route of the spec that is not there; what we add becomes ours.
 * verb says why, for the log. Returns how many were added, or -1 with err. */
static int routes_ensure(struct routes *r, const char *verb, char *err, size_t errlen)
{
	struct nl_cache *cache6 = NULL, *cache4 = NULL;
	char dst[64];
	int added = 0;

	if (route_cache_load(r, AF_INET6, &cache6, err, errlen) < 0)
		return -1;
	if (route_cache_load(r, AF_INET, &cache4, err, errlen) < 0) {
		nl_cache_free(cache6);
		return -1;
	}
	for (size_t i = 0; i < r->n_routes; i++) {
		struct route_entry *e = &r->route[i];
		struct nl_cache *c = e->family == AF_INET6 ? cache6 : cache4;

		route_entry_str(e, dst, sizeof(dst));
		if (route_in_cache(r, c, e)) {
			if (!e->owned)
				routes_logf(r, 3, "route %s dev %s already present, leaving it",
				            dst, r->ifname);
			continue;
		}
		if (route_add(r, e, err, errlen) < 0) {
			added = -1;
			break;
		}
		e->owned = true;
		added++;
		routes_logf(r, 2, "%s route %s dev %s", verb, dst, r->ifname);
	}
	nl_cache_free(cache6);
	nl_cache_free(cache4);
	return added;
}

static bool route_entry_seen(const struct route_entry *route, size_t n, const struct route_entry *e)
{
	for (size_t i = 0; i < n; i++)
		if (route[i].family == e->family && route[i].len == e->len &&
		    memcmp(route[i].dst, e->dst, 16) == 0)
			return true;
	return false;
}

/* The routes of spec into route[] (room for 1 + ROUTES_MAX_PREFIX4);
 * returns how many. */
static size_t routes_from_spec(const struct routes_spec *spec, struct route_entry *route)
{
	struct route_entry *e;
	size_t n = 0;

	/* Length 0 is no prefix (`prefix none`), never ::/0: that would route
	 * all IPv6 into the tun. */
	if (spec->prefix6.len > 0) {
		e = &route[n++];
		memset(e, 0, sizeof(*e));
		e->family = AF_INET6;
		memcpy(e->dst, spec->prefix6.addr, 16);
		e->len = spec->prefix6.len;
	}
	for (size_t i = 0; i < spec->n_prefix4 && i < ROUTES_MAX_PREFIX4; i++) {
		uint32_t be = htonl(spec->prefix4[i].addr);

		e = &route[n];
		memset(e, 0, sizeof(*e));
		e->family = AF_INET;
		memcpy(e->dst, &be, 4);
		e->len = spec->prefix4[i].len;
		/* One route per prefix: pool4 may name a prefix more than once
		 * (port ranges), and a second add would fail with EEXIST. */
		if (!route_entry_seen(route, n, e))
			n++;
	}
	return n;
}

static void routes_spec_load(struct routes *r, const struct routes_spec *spec)
{
	r->spec = *spec;
	snprintf(r->ifname, sizeof(r->ifname), "%s", spec->ifname);
	r->spec.ifname = r->ifname;
	r->n_routes = routes_from_spec(spec, r->route);
}

/* The translator forwards between the tun and the other links, which the
 * kernel only does with forwarding on. (Setting IPv6 forwarding on also
 * makes the kernel stop accepting router advertisements on links with
 * accept_ra=1: that is what a router is.) */
static int sysctls_ensure(const struct routes *r, char *err, size_t errlen)
{
	int a, b;

	a = sysctl_ensure(r, "net/ipv6/conf/all/forwarding", '1', err, errlen);
	if (a < 0)
		return -1;
	b = sysctl_ensure(r, "net/ipv4/ip_forward", '1', err, errlen);
	if (b < 0)
		return -1;
	return a + b;
}

/* ---- public ------------------------------------------------------------- */

static void routes_free(struct routes *r)
{
	routes_monitor_close(r);
	if (r->sk != NULL)
		nl_socket_free(r->sk);
	free(r);
}

struct routes *routes_setup(const struct routes_spec *spec, routes_log_fn log, char *err,
                            size_t errlen)
{
	struct routes *r;

	if (spec->ifname == NULL || spec->ifname[0] == '\0' || strlen(spec->ifname) >= IFNAMSIZ ||
	    spec->n_prefix4 > ROUTES_MAX_PREFIX4) {
		snprintf(err, errlen, "routes: bad spec (link name or number of pool4 prefixes)");
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL) {
		snprintf(err, errlen, "routes: out of memory");
		return NULL;
	}
	r->log = log;
	routes_spec_load(r, spec);
	/* The forwarding sysctls before the link comes up: link_quiet(). */
	if (routes_nl_open(r, err, errlen) < 0 ||
	    (spec->install_routes && sysctls_ensure(r, err, errlen) < 0) ||
	    link_ensure(r, err, errlen) < 0 || routes_monitor_open(r, err, errlen) < 0)
		goto fail;
	r->mon_link_ok = true;
	if (spec->install_routes && routes_ensure(r, "added", err, errlen) < 0)
		goto fail;
	return r;
fail:
	/* Leave the system as we found it (the link state excepted). */
	routes_teardown(r);
	return NULL;
}

int routes_heal(struct routes *r, char *err, size_t errlen)
{
	int restored = 0, n;

	if (r->withdrawn)
		return 0; /* out of service on purpose: nothing to put back */
	if (r->spec.install_routes) {
		n = sysctls_ensure(r, err, errlen);
		if (n < 0)
			return -1;
		restored += n;
	}
	n = link_ensure(r, err, errlen);
	if (n < 0)
		return -1;
	restored += n;
	r->mon_link_ok = true;
	if (!r->spec.install_routes)
		return restored;
	n = routes_ensure(r, "restored", err, errlen);
	if (n < 0)
		return -1;
	return restored + n;
}

int routes_update(struct routes *r, const struct routes_spec *spec, char *err, size_t errlen)
{
	struct route_entry nw[1 + ROUTES_MAX_PREFIX4], gone[1 + ROUTES_MAX_PREFIX4];
	size_t n_new, n_gone;

	if (spec->n_prefix4 > ROUTES_MAX_PREFIX4) {
		snprintf(err, errlen, "routes: too many IPv4 prefixes");
		return -1;
	}
	r->spec.n_prefix4 = spec->n_prefix4;
	memcpy(r->spec.prefix4, spec->prefix4, sizeof(r->spec.prefix4));
	n_new = routes_from_spec(&r->spec, nw);
	n_gone = route_entries_diff(r->route, r->n_routes, nw, n_new, gone);
	for (size_t i = 0; i < n_gone; i++)
		route_del(r, &gone[i]);
	memcpy(r->route, nw, sizeof(nw[0]) * n_new);
	r->n_routes = n_new;
	if (!r->spec.install_routes || r->withdrawn)
		return 0;
	return routes_ensure(r, "added", err, errlen);
}

static int link_down(struct routes *r, char *err, size_t errlen)
{
	struct rtnl_link *cur = NULL, *want;
	char kmsg[320];
	int rc;

	kernel_error_clear(r);
	rc = rtnl_link_get_kernel(r->sk, 0, r->ifname, &cur);
	if (rc < 0) {
		snprintf(err, errlen, "link %s: %s", r->ifname,
		         kernel_error_str(r, rc, kmsg, sizeof(kmsg)));
		return -1;
	}
	want = rtnl_link_alloc();
	if (want == NULL) {
		rtnl_link_put(cur);
		snprintf(err, errlen, "link %s: out of memory", r->ifname);
		return -1;
	}
	rtnl_link_unset_flags(want, IFF_UP);
	kernel_error_clear(r);
	rc = rtnl_link_change(r->sk, cur, want, 0);
	rtnl_link_put(want);
	rtnl_link_put(cur);
	if (rc < 0) {
		snprintf(err, errlen, "setting link %s down: %s", r->ifname,
		         kernel_error_str(r, rc, kmsg, sizeof(kmsg)));
		return -1;
	}
	return 0;
}

int routes_withdraw(struct routes *r, char *err, size_t errlen)
{
	r->withdrawn = true;
	for (size_t i = 0; i < r->n_routes; i++) {
		if (r->route[i].owned)
			route_del(r, &r->route[i]);
		r->route[i].owned = false;
	}
	r->mon_link_ok = false;
	if (link_down(r, err, errlen) < 0)
		return -1;
	routes_logf(r, 2, "link %s: down, routes removed (withdrawn)", r->ifname);
	return 0;
}

int routes_restore(struct routes *r, char *err, size_t errlen)
{
	r->withdrawn = false;
	return routes_heal(r, err, errlen);
}

bool routes_withdrawn(const struct routes *r)
{
	return r->withdrawn;
}

/* Sysctls are left as they are: other things on a router (other tunnels,
 * plain routing) depend on forwarding, and we cannot know whether someone
 * else wanted it on since we set it. */
void routes_teardown(struct routes *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; r->sk != NULL && i < r->n_routes; i++) {
		if (r->route[i].owned)
			route_del(r, &r->route[i]);
		r->route[i].owned = false;
	}
	routes_free(r);
}
