/* SPDX-License-Identifier: BSD-2-Clause */
/* connrate: the load generator of bench.sh's connection-setup-rate and
 * session-capacity tests. It sends COUNT first packets of new flows (TCP SYNs,
 * or UDP datagrams) at RATE packets per second to one destination, every one
 * with a 4-tuple of its own, and prints what it sent. The receiving side
 * (nft counters in the server namespace) counts what arrived; bench.sh
 * compares the two and binary-searches the rate (RFC 9693: the maximum
 * connection establishment rate is the highest rate at which every test frame
 * that opens a new connection is forwarded).
 *
 * Why raw SYNs rather than a connect() loop: a kernel TCP client spends far
 * more per connection (socket, ephemeral port, SYN-ACK or RST handling,
 * close) than a translator spends per new session, so a connect() loop on
 * the same two CPUs measures the client. A raw IPv6 socket with
 * IPV6_HDRINCL writes one prepared packet per flow, and the flows differ in
 * the source port and, past the last port, the source address:
 *   flow i: source SRC + i / NPORTS (added to the low 32 bits),
 *           source port PORT0 + i % NPORTS, destination DST port DPORT.
 *
 * usage: connrate --dst ADDR6 --src ADDR6 --rate PPS --count N
 *                 [--proto tcp|udp] [--port0 P] [--nports K] [--dport P]
 * prints: "sent N errors E seconds S rate R" (R: packets per second achieved
 * over the sending time; E: packets the kernel refused, not sent).
 * Documentation addresses only (the bench uses 2001:db8::/32). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* sendmmsg */
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip6.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef IPV6_HDRINCL
#define IPV6_HDRINCL 36 /* linux/in6.h, Linux 4.5 */
#endif

enum { BATCH = 64, UDP_PAYLOAD = 16 };

struct pkt {
	struct ip6_hdr ip6;
	union {
		struct tcphdr tcp;
		struct {
			struct udphdr udp;
			uint8_t payload[UDP_PAYLOAD];
		} u;
	} l4;
};

struct opts {
	struct in6_addr dst, src;
	double rate;
	unsigned long count;
	int tcp;
	unsigned port0, nports, dport;
};

static uint32_t sum16(const void *p, size_t len, uint32_t s)
{
	const uint8_t *b = p;

	for (; len > 1; b += 2, len -= 2)
		s += (uint32_t)b[0] << 8 | b[1];
	if (len)
		s += (uint32_t)b[0] << 8;
	return s;
}

/* RFC 8200 §8.1: the upper-layer checksum covers the IPv6 pseudo-header. */
static uint16_t l4_csum(const struct ip6_hdr *ip6, const void *l4, size_t len, uint8_t proto)
{
	uint32_t s = sum16(&ip6->ip6_src, sizeof(ip6->ip6_src), 0);

	s = sum16(&ip6->ip6_dst, sizeof(ip6->ip6_dst), s);
	s += (uint32_t)(len >> 16) + (uint32_t)(len & 0xffff) + proto;
	s = sum16(l4, len, s);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return htons((uint16_t)~s);
}

/* The packet of flow i, in p; returns its length. */
static size_t build(const struct opts *o, unsigned long i, struct pkt *p)
{
	size_t l4len = o->tcp ? sizeof(p->l4.tcp) : sizeof(p->l4.u);
	uint32_t low;
	uint16_t sport = (uint16_t)(o->port0 + i % o->nports);

	memset(p, 0, sizeof(*p));
	p->ip6.ip6_flow = htonl(6u << 28);
	p->ip6.ip6_plen = htons((uint16_t)l4len);
	p->ip6.ip6_nxt = o->tcp ? IPPROTO_TCP : IPPROTO_UDP;
	p->ip6.ip6_hlim = 64;
	p->ip6.ip6_src = o->src;
	memcpy(&low, &p->ip6.ip6_src.s6_addr[12], sizeof(low));
	low = htonl(ntohl(low) + (uint32_t)(i / o->nports));
	memcpy(&p->ip6.ip6_src.s6_addr[12], &low, sizeof(low));
	p->ip6.ip6_dst = o->dst;
	if (o->tcp) {
		p->l4.tcp.th_sport = htons(sport);
		p->l4.tcp.th_dport = htons((uint16_t)o->dport);
		p->l4.tcp.th_seq = htonl((uint32_t)(i * 2654435761u));
		p->l4.tcp.th_off = sizeof(p->l4.tcp) / 4;
		p->l4.tcp.th_flags = TH_SYN;
		p->l4.tcp.th_win = htons(64240);
		p->l4.tcp.th_sum = l4_csum(&p->ip6, &p->l4.tcp, l4len, IPPROTO_TCP);
	} else {
		p->l4.u.udp.uh_sport = htons(sport);
		p->l4.u.udp.uh_dport = htons((uint16_t)o->dport);
		p->l4.u.udp.uh_ulen = htons((uint16_t)l4len);
		p->l4.u.udp.uh_sum = l4_csum(&p->ip6, &p->l4.u, l4len, IPPROTO_UDP);
	}
	return sizeof(p->ip6) + l4len;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int usage(void)
{
	fprintf(stderr, "usage: connrate --dst ADDR6 --src ADDR6 --rate PPS --count N\n"
	                "                [--proto tcp|udp] [--port0 P] [--nports K] [--dport P]\n");
	return 2;
}

static int parse(int argc, char **argv, struct opts *o)
{
	int have_dst = 0, have_src = 0;

	*o = (struct opts){.tcp = 1, .port0 = 1024, .nports = 64512, .dport = 9};
	for (int i = 1; i + 1 < argc; i += 2) {
		const char *k = argv[i], *v = argv[i + 1];

		if (!strcmp(k, "--dst"))
			have_dst = inet_pton(AF_INET6, v, &o->dst) == 1;
		else if (!strcmp(k, "--src"))
			have_src = inet_pton(AF_INET6, v, &o->src) == 1;
		else if (!strcmp(k, "--rate"))
			o->rate = strtod(v, NULL);
		else if (!strcmp(k, "--count"))
			o->count = strtoul(v, NULL, 10);
		else if (!strcmp(k, "--proto"))
			o->tcp = strcmp(v, "udp") != 0;
		else if (!strcmp(k, "--port0"))
			o->port0 = (unsigned)strtoul(v, NULL, 10);
		else if (!strcmp(k, "--nports"))
			o->nports = (unsigned)strtoul(v, NULL, 10);
		else if (!strcmp(k, "--dport"))
			o->dport = (unsigned)strtoul(v, NULL, 10);
		else
			return -1;
	}
	if (!(argc % 2) || !have_dst || !have_src || o->rate <= 0 || !o->count || !o->nports ||
	    o->port0 + o->nports > 65536 || !o->port0 || !o->dport || o->dport > 65535)
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	static struct pkt pkts[BATCH];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_in6 to = {.sin6_family = AF_INET6};
	struct opts o;
	unsigned long sent = 0, errors = 0, next = 0;
	double t0, t_end;
	int fd, one = 1;

	if (parse(argc, argv, &o) < 0)
		return usage();
	fd = socket(AF_INET6, SOCK_RAW, IPPROTO_RAW);
	if (fd < 0 || setsockopt(fd, IPPROTO_IPV6, IPV6_HDRINCL, &one, sizeof(one)) < 0) {
		perror("connrate: raw IPv6 socket with IPV6_HDRINCL");
		return 1;
	}
	to.sin6_addr = o.dst;
	t0 = now_s();
	while (next < o.count) {
		/* Packets due by now: flow i is due at t0 + i / rate. */
		double t = now_s();
		unsigned long due = (unsigned long)((t - t0) * o.rate) + 1;
		unsigned n = 0;

		if (due > o.count)
			due = o.count;
		if (due <= next) {
			double wait = (double)next / o.rate - (t - t0);
			struct timespec ts = {.tv_sec = (time_t)wait,
			                      .tv_nsec =
			                          (long)((wait - (double)(time_t)wait) * 1e9)};

			nanosleep(&ts, NULL);
			continue;
		}
		for (; next < due && n < BATCH; next++, n++) {
			iov[n] = (struct iovec){.iov_base = &pkts[n],
			                        .iov_len = build(&o, next, &pkts[n])};
			msgs[n] = (struct mmsghdr){.msg_hdr = {.msg_name = &to,
			                                       .msg_namelen = sizeof(to),
			                                       .msg_iov = &iov[n],
			                                       .msg_iovlen = 1}};
		}
		for (unsigned k = 0; k < n;) {
			int r = sendmmsg(fd, msgs + k, n - k, 0);

			if (r > 0) {
				sent += (unsigned long)r;
				k += (unsigned)r;
			} else if (r < 0 && errno == EINTR) {
				continue;
			} else {
				/* Refused (ENOBUFS: a full queue on the client): counted, not sent.
				 */
				errors++;
				k++;
			}
		}
	}
	t_end = now_s();
	close(fd);
	printf("sent %lu errors %lu seconds %.3f rate %.0f\n", sent, errors, t_end - t0,
	       t_end > t0 ? (double)sent / (t_end - t0) : 0.0);
	return 0;
}
