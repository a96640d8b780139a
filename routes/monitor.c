/* SPDX-License-Identifier: BSD-2-Clause */
/* The netlink helper, events side: a NETLINK_ROUTE socket (libmnl) on the
 * link and IPv4/IPv6 route groups. It only decides whether routes_heal is
 * worth calling; heal itself looks at the real state, so a false alarm
 * costs one check and a missed event is the only real failure. */
#include "routes_internal.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

/* Route churn on a busy router can be heavy; a larger buffer makes an
 * overrun (ENOBUFS, events lost) rarer. The kernel caps it at rmem_max. */
#define MONITOR_RCVBUF (1 << 20)

struct monitor_batch {
	struct routes *r;
	bool changed;
	bool link_seen; /* a NEWLINK for our link was in this batch */
	bool link_ok;   /* ... and the last one showed it up with our MTU */
};

int routes_monitor_open(struct routes *r, char *err, size_t errlen)
{
	int rcvbuf = MONITOR_RCVBUF;

	r->mon = mnl_socket_open2(NETLINK_ROUTE, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (r->mon == NULL) {
		snprintf(err, errlen, "netlink monitor: socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(mnl_socket_get_fd(r->mon), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (mnl_socket_bind(r->mon, RTMGRP_LINK | RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE,
	                    MNL_SOCKET_AUTOPID) < 0) {
		snprintf(err, errlen, "netlink monitor: bind: %s", strerror(errno));
		mnl_socket_close(r->mon);
		r->mon = NULL;
		return -1;
	}
	return 0;
}

void routes_monitor_close(struct routes *r)
{
	if (r->mon != NULL)
		mnl_socket_close(r->mon);
	r->mon = NULL;
}

int routes_monitor_fd(struct routes *r)
{
	return r->mon != NULL ? mnl_socket_get_fd(r->mon) : -1;
}

struct link_attrs {
	const char *name;
	unsigned mtu;
	bool has_mtu;
};

static int link_attr_cb(const struct nlattr *a, void *data)
{
	struct link_attrs *la = data;

	switch (mnl_attr_get_type(a)) {
	case IFLA_IFNAME:
		if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
			la->name = mnl_attr_get_str(a);
		break;
	case IFLA_MTU:
		if (mnl_attr_validate(a, MNL_TYPE_U32) == 0) {
			la->mtu = mnl_attr_get_u32(a);
			la->has_mtu = true;
		}
		break;
	}
	return MNL_CB_OK;
}

static void monitor_link(struct monitor_batch *b, const struct nlmsghdr *nlh)
{
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	struct routes *r = b->r;
	struct link_attrs la = {0};

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifi))
		return;
	mnl_attr_parse(nlh, sizeof(*ifi), link_attr_cb, &la);
	if (ifi->ifi_index != r->ifindex) {
		/* Our name on another index: the link was re-created. */
		if (nlh->nlmsg_type == RTM_NEWLINK && la.name != NULL &&
		    strcmp(la.name, r->ifname) == 0)
			b->changed = true;
		return;
	}
	if (nlh->nlmsg_type == RTM_DELLINK) {
		b->changed = true;
		b->link_seen = true;
		b->link_ok = false;
		return;
	}
	/* Only the last state of the batch counts: setting up and MTU in one
	 * request produces an event for the MTU while the link is still down. */
	b->link_seen = true;
	b->link_ok = (ifi->ifi_flags & IFF_UP) && (!la.has_mtu || la.mtu == r->spec.mtu);
}

struct route_attrs {
	const void *dst;
	uint32_t table;
	uint32_t oif;
	bool has_oif;
};

static int route_attr_cb(const struct nlattr *a, void *data)
{
	struct route_attrs *ra = data;

	switch (mnl_attr_get_type(a)) {
	case RTA_DST:
		ra->dst = mnl_attr_get_payload(a);
		if (mnl_attr_get_payload_len(a) < 4)
			ra->dst = NULL;
		break;
	case RTA_TABLE:
		if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			ra->table = mnl_attr_get_u32(a);
		break;
	case RTA_OIF:
		if (mnl_attr_validate(a, MNL_TYPE_U32) == 0) {
			ra->oif = mnl_attr_get_u32(a);
			ra->has_oif = true;
		}
		break;
	}
	return MNL_CB_OK;
}

/* A deleted route matters if it is one of the spec's, in the main table,
 * and was on our link (or does not say: multipath). */
static void monitor_route_deleted(struct monitor_batch *b, const struct nlmsghdr *nlh)
{
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	struct routes *r = b->r;
	struct route_attrs ra = {0};
	size_t alen;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*rtm))
		return;
	if (rtm->rtm_family != AF_INET && rtm->rtm_family != AF_INET6)
		return;
	ra.table = rtm->rtm_table;
	mnl_attr_parse(nlh, sizeof(*rtm), route_attr_cb, &ra);
	if (ra.table != RT_TABLE_MAIN || ra.dst == NULL)
		return;
	if (ra.has_oif && (int)ra.oif != r->ifindex)
		return;
	alen = rtm->rtm_family == AF_INET6 ? 16 : 4;
	for (size_t i = 0; i < r->n_routes; i++) {
		const struct route_entry *e = &r->route[i];

		if (e->family == rtm->rtm_family && e->len == rtm->rtm_dst_len &&
		    memcmp(e->dst, ra.dst, alen) == 0)
			b->changed = true;
	}
}

static int monitor_msg_cb(const struct nlmsghdr *nlh, void *data)
{
	struct monitor_batch *b = data;

	switch (nlh->nlmsg_type) {
	case RTM_NEWLINK:
	case RTM_DELLINK:
		monitor_link(b, nlh);
		break;
	case RTM_DELROUTE:
		if (b->r->spec.install_routes)
			monitor_route_deleted(b, nlh);
		break;
	}
	return MNL_CB_OK;
}

int routes_monitor_read(struct routes *r)
{
	struct monitor_batch b = {.r = r};
	char buf[32768]; /* a multi-message datagram fits */
	ssize_t n;

	if (r->mon == NULL) {
		errno = EBADF;
		return -1;
	}
	for (;;) {
		n = mnl_socket_recvfrom(r->mon, buf, sizeof(buf));
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (errno == EINTR)
				continue;
			/* Overrun: events were lost, so assume the worst. */
			if (errno == ENOBUFS) {
				b.changed = true;
				continue;
			}
			return -1;
		}
		if (mnl_cb_run(buf, (size_t)n, 0, 0, monitor_msg_cb, &b) == MNL_CB_ERROR)
			return -1;
	}
	if (b.link_seen) {
		/* Down (or wrong MTU) now, or up again after we saw it down: in
		 * both cases routes may have gone with it. */
		if (!b.link_ok || !r->mon_link_ok)
			b.changed = true;
		r->mon_link_ok = b.link_ok;
	}
	return b.changed ? 1 : 0;
}
