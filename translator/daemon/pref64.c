/* SPDX-License-Identifier: BSD-2-Clause */
/* pref64-announce: Router Advertisements with only the PREF64 option, from
 * the parent (pref64.h). */
#include <errno.h>
#include <ifaddrs.h>
#include <netinet/icmp6.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "pref64.h"
#include "pref64_ra.h"

#define ND_HOP_LIMIT 255 /* RFC 4861 §6.1.2: hosts drop an RA with any other */
#define RETRY_MS 1000    /* the link or its link-local address is missing */

static const struct in6_addr ALL_NODES = {{{0xff, 0x02, [15] = 0x01}}};
static const struct in6_addr ALL_ROUTERS = {{{0xff, 0x02, [15] = 0x02}}};

static uint64_t rand_ms(uint64_t lo, uint64_t hi)
{
	uint32_t r = 0;

	if (hi <= lo)
		return lo;
	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
		r = (uint32_t)(uintptr_t)&r ^ (uint32_t)getpid();
	return lo + r % (hi - lo + 1);
}

/* RFC 4861 §6.2.4: the next unsolicited RA after one just sent. */
static void schedule_next(struct pref64 *p, uint64_t now)
{
	uint64_t iv = rand_ms(PREF64_MIN_RTR_ADV_INTERVAL_MS, PREF64_MAX_RTR_ADV_INTERVAL_MS);

	if (p->initial_sent < PREF64_MAX_INITIAL_RTR_ADVERTISEMENTS &&
	    iv > PREF64_MAX_INITIAL_RTR_ADVERT_INTERVAL_MS)
		iv = PREF64_MAX_INITIAL_RTR_ADVERT_INTERVAL_MS;
	p->next_ms = now + iv;
}

/* RFC 4861 §6.2.2: an advertising interface listens on all-routers. */
static int join_all_routers(struct pref64 *p, unsigned ifindex)
{
	struct ipv6_mreq mr = {.ipv6mr_multiaddr = ALL_ROUTERS, .ipv6mr_interface = ifindex};

	return setsockopt(p->fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mr, sizeof(mr));
}

/* The link by name: found, or made again (a new index) since the last look. */
static bool find_link(struct pref64 *p)
{
	unsigned idx = if_nametoindex(p->ifname);

	if (idx == p->ifindex)
		return idx != 0;
	p->ifindex = 0;
	if (!idx || join_all_routers(p, idx) < 0) {
		if (!p->warned)
			log_warn("pref64-announce %s: %s; trying again every second", p->ifname,
			         idx ? strerror(errno) : "no such link");
		p->warned = true;
		return false;
	}
	p->ifindex = idx;
	p->warned = false;
	return true;
}

/* RFC 4861 §6.1.2: the source of an RA is the link-local address of the
 * interface. */
static bool link_local(const struct pref64 *p, struct in6_addr *out)
{
	struct ifaddrs *ifa, *i;
	bool found = false;

	if (getifaddrs(&ifa) < 0)
		return false;
	for (i = ifa; i && !found; i = i->ifa_next) {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)i->ifa_addr;

		if (s && s->sin6_family == AF_INET6 && IN6_IS_ADDR_LINKLOCAL(&s->sin6_addr) &&
		    strcmp(i->ifa_name, p->ifname) == 0) {
			*out = s->sin6_addr;
			found = true;
		}
	}
	freeifaddrs(ifa);
	return found;
}

/* One RA with the given PREF64 lifetime to dst on the link. */
static int send_ra(struct pref64 *p, const struct in6_addr *dst, unsigned lifetime_s)
{
	uint8_t ra[PREF64_RA_LEN];
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
	} cm = {0};
	struct sockaddr_in6 to = {.sin6_family = AF_INET6, .sin6_addr = *dst};
	struct iovec iov = {.iov_base = ra, .iov_len = sizeof(ra)};
	struct msghdr msg = {.msg_name = &to,
	                     .msg_namelen = sizeof(to),
	                     .msg_iov = &iov,
	                     .msg_iovlen = 1,
	                     .msg_control = cm.buf,
	                     .msg_controllen = sizeof(cm.buf)};
	struct in6_pktinfo pi = {0};
	struct cmsghdr *c;

	if (!find_link(p))
		return -1;
	if (!link_local(p, &pi.ipi6_addr)) {
		if (!p->warned)
			log_warn("pref64-announce %s: no link-local address yet", p->ifname);
		p->warned = true;
		return -1;
	}
	if (pref64_ra_build(&p->prefix, lifetime_s, ra, sizeof(ra)) != sizeof(ra))
		return -1; /* config_finalize lets no such prefix length through */
	to.sin6_scope_id = p->ifindex;
	pi.ipi6_ifindex = p->ifindex;
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = IPPROTO_IPV6;
	c->cmsg_type = IPV6_PKTINFO;
	c->cmsg_len = CMSG_LEN(sizeof(pi));
	memcpy(CMSG_DATA(c), &pi, sizeof(pi));
	if (sendmsg(p->fd, &msg, 0) < 0) {
		/* a tentative link-local address (DAD) cannot send yet */
		if (!p->warned)
			log_warn("pref64-announce %s: %s", p->ifname, strerror(errno));
		p->warned = true;
		return -1;
	}
	p->warned = false;
	p->sent_any = true;
	return 0;
}

int pref64_open(struct pref64 *p, const char *ifname, const struct prefix6 *prefix, uint64_t now,
                char *err, size_t errlen)
{
	int hops = ND_HOP_LIMIT, on = 1;
	struct icmp6_filter f;

	memset(p, 0, sizeof(*p));
	snprintf(p->ifname, sizeof(p->ifname), "%s", ifname);
	p->prefix = *prefix;
	p->fd = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_ICMPV6);
	if (p->fd < 0) {
		snprintf(err, errlen, "pref64-announce %s: raw ICMPv6 socket: %s", ifname,
		         strerror(errno));
		return -1;
	}
	/* Solicitations only: answering is all this socket reads for. */
	ICMP6_FILTER_SETBLOCKALL(&f);
	ICMP6_FILTER_SETPASS(ND_ROUTER_SOLICIT, &f);
	if (setsockopt(p->fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof(f)) < 0 ||
	    setsockopt(p->fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof(hops)) < 0 ||
	    setsockopt(p->fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &hops, sizeof(hops)) < 0 ||
	    setsockopt(p->fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof(on)) < 0 ||
	    setsockopt(p->fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &on, sizeof(on)) < 0) {
		snprintf(err, errlen, "pref64-announce %s: socket options: %s", ifname,
		         strerror(errno));
		close(p->fd);
		p->fd = -1;
		return -1;
	}
	/* RFC 4861 §6.2.4: becoming an advertising interface, announce now. */
	p->next_ms = now;
	find_link(p);
	return 0;
}

int pref64_fd(const struct pref64 *p)
{
	return p->fd;
}

int pref64_timeout_ms(const struct pref64 *p, uint64_t now)
{
	uint64_t due = p->next_ms;

	if (p->reply_ms && p->reply_ms < due)
		due = p->reply_ms;
	if (due <= now)
		return 0;
	return due - now > 60000 ? 60000 : (int)(due - now);
}

/* RFC 4861 §6.1.1: a valid solicitation came over the link unforwarded (hop
 * limit 255), with code 0; the kernel checked the ICMPv6 checksum. */
static bool valid_rs(const struct pref64 *p, const struct msghdr *m, ssize_t n)
{
	const struct nd_router_solicit *rs = m->msg_iov[0].iov_base;
	bool hop_ok = false, if_ok = false;
	struct cmsghdr *c;

	if (n < (ssize_t)sizeof(*rs) || rs->nd_rs_type != ND_ROUTER_SOLICIT || rs->nd_rs_code != 0)
		return false;
	for (c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR((struct msghdr *)m, c)) {
		if (c->cmsg_level != IPPROTO_IPV6)
			continue;
		if (c->cmsg_type == IPV6_HOPLIMIT) {
			int h;

			memcpy(&h, CMSG_DATA(c), sizeof(h));
			hop_ok = h == ND_HOP_LIMIT;
		} else if (c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			if_ok = p->ifindex && pi.ipi6_ifindex == p->ifindex;
		}
	}
	return hop_ok && if_ok;
}

/* RFC 4861 §6.2.6: the answer goes to all nodes (the usual case), after a
 * random 0..MAX_RA_DELAY_TIME from the first solicitation it answers, and
 * no sooner than MIN_DELAY_BETWEEN_RAS after the last multicast RA. If the
 * next unsolicited RA comes sooner anyway, that one answers. */
static void solicited(struct pref64 *p, uint64_t now)
{
	uint64_t at;

	if (p->reply_ms)
		return; /* one answer for all solicitations until it goes */
	at = now + rand_ms(0, PREF64_MAX_RA_DELAY_TIME_MS);
	if (p->sent_any && at < p->last_mcast_ms + PREF64_MIN_DELAY_BETWEEN_RAS_MS)
		at = p->last_mcast_ms + PREF64_MIN_DELAY_BETWEEN_RAS_MS;
	if (at < p->next_ms)
		p->reply_ms = at;
}

void pref64_read(struct pref64 *p, uint64_t now)
{
	for (;;) {
		uint8_t buf[1280];
		union {
			struct cmsghdr h;
			char b[CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(int))];
		} cm;
		struct sockaddr_in6 from;
		struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
		struct msghdr m = {.msg_name = &from,
		                   .msg_namelen = sizeof(from),
		                   .msg_iov = &iov,
		                   .msg_iovlen = 1,
		                   .msg_control = cm.b,
		                   .msg_controllen = sizeof(cm.b)};
		ssize_t n = recvmsg(p->fd, &m, 0);

		if (n < 0)
			return; /* EAGAIN: all read */
		if (valid_rs(p, &m, n))
			solicited(p, now);
	}
}

void pref64_tick(struct pref64 *p, uint64_t now)
{
	bool unsolicited = now >= p->next_ms;

	if (!unsolicited && !(p->reply_ms && now >= p->reply_ms))
		return;
	if (send_ra(p, &ALL_NODES, PREF64_LIFETIME_S) < 0) {
		p->next_ms = now + RETRY_MS; /* the link or its address is not there yet */
		p->reply_ms = 0;
		return;
	}
	/* §6.2.4: any multicast RA restarts the timer; the first few count. */
	p->last_mcast_ms = now;
	p->reply_ms = 0;
	if (p->initial_sent < PREF64_MAX_INITIAL_RTR_ADVERTISEMENTS)
		p->initial_sent++;
	schedule_next(p, now);
}

void pref64_stop(struct pref64 *p)
{
	if (p->fd < 0)
		return;
	if (p->sent_any && send_ra(p, &ALL_NODES, 0) == 0)
		log_info("pref64-announce %s: prefix withdrawn (lifetime 0)", p->ifname);
	close(p->fd);
	p->fd = -1;
}
