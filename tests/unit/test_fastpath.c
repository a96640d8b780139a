/* SPDX-License-Identifier: BSD-2-Clause */
/* The tc fast path (translator/fastpath) against the C core: each packet
 * goes through xlat_packet (the reference) and through the BPF program by
 * BPF_PROG_TEST_RUN with the same session and settings; a packet the
 * program translates must come out byte for byte as the core's. Also: the
 * packets it must leave to tun64d, each with its reason counted, and every
 * .vec case (tests/vectors) the program takes.
 *
 * Needs root (BPF, a tun device): runs in a network namespace of its own.
 * Usage: test_fastpath VECTOR-DIR */
#define _XOPEN_SOURCE 700 /* nftw */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/pkt_cls.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "fastpath.h"
#include "fp_harness.h"
#include "pkt_helpers.h"
#include "xlat.h"
#include "xlat_fixture.h"

#define OWN4_SF "198.51.100.1"
#define OWN6_SF "2001:db8:64::c633:6401"
#define OWN4_SL "192.0.2.1"
#define OWN6_SL "2001:db8:64::c000:201"
#define ETH_LEN FP_ETH_LEN
#define PKT_MAX FP_PKT_MAX
#define TEST_RUN_MAX FP_TEST_RUN_MAX

static struct fastpath *fp;
static int tun_ifindex;

/* ---- running the program ---- */

#define bpf_out fp_run

static void bpf_run_gso(const uint8_t *in, size_t len, uint16_t gso_size, struct bpf_out *o)
{
	int err;

	ck_assert_uint_le(ETH_LEN + len, TEST_RUN_MAX);
	err = fp_harness_run(fp, tun_ifindex, in, len, gso_size, o);
	ck_assert_msg(err == 0, "test run: %s", strerror(-err));
}

static void bpf_run(const uint8_t *in, size_t len, struct bpf_out *o)
{
	bpf_run_gso(in, len, 0, o);
}

/* The program's settings from the fixture's configuration. */
static void configure_like(const struct xlat_fixture *f)
{
	struct fastpath_settings s;

	fp_harness_settings(&f->cfg, &s);
	ck_assert_int_eq(fastpath_configure(fp, &s), 0);
}

/* ---- sessions from the core's own translation ---- */

static uint8_t l4_proto(const uint8_t *p)
{
	uint8_t proto = (p[0] >> 4) == 6 ? p[6] : p[9];

	return proto == IPPROTO_ICMPV6 ? IPPROTO_ICMP : proto;
}

static uint16_t be16_at(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

#define session_of fp_harness_session_of

/* The core translates p (it must, in place); the program, given the same
 * session and its IPv4 Identification where the core's generator stood,
 * must redirect the same bytes. Returns the session used. */
static struct fastpath_session same_as_core(struct xlat_fixture *f, const uint8_t *p, size_t len,
                                            const char *what)
{
	static struct bpf_out o;
	struct fastpath_session s;
	uint16_t id = f->ctx.ipv4_id_next;

	xf_run(f, p, len, false);
	ck_assert_msg(f->verdict == XLAT_SEND && f->out != f->ctx.scratch,
	              "%s: the core did not translate", what);
	session_of(p, f->out, &s);
	configure_like(f);
	ck_assert_int_eq(fastpath_session_add(fp, &s, id), 0);
	bpf_run(p, len, &o);
	ck_assert_msg(o.retval == TC_ACT_REDIRECT, "%s: program returned %u", what, o.retval);
	ck_assert_msg(tp_same(o.pkt, o.len, f->out, f->out_len), "%s: bytes differ", what);
	return s;
}

/* The program leaves p to tun64d, unchanged, for reason why. */
static void punted(const uint8_t *p, size_t len, enum fp_counter why)
{
	static struct bpf_out o;

	bpf_run(p, len, &o);
	ck_assert_msg(o.retval == TC_ACT_OK, "retval %u, want TC_ACT_OK", o.retval);
	ck_assert(tp_same(o.pkt, o.len, p, len));
	ck_assert_msg(o.moved[why] == 1, "%s did not move", fastpath_counter_name(why));
	ck_assert_uint_eq(o.moved[FP_TRANSLATED_6TO4] + o.moved[FP_TRANSLATED_4TO6], 0);
}

/* ---- packets ---- */

#define C6 "2001:db8:6::10"
#define S6 "2001:db8:64::cb00:7105" /* 203.0.113.5 under the prefix */
#define S4 "203.0.113.5"
#define SL_C4 "192.0.2.33" /* stateless: C6' under the prefix below */
#define SL_C6 "2001:db8:64::c000:221"

static uint8_t l4buf[PKT_MAX], pkt[PKT_MAX];

static size_t udp6(uint8_t *o, const char *src, const char *dst, uint16_t sp, uint16_t dp,
                   size_t plen, uint8_t hlim, uint8_t tclass, uint32_t flow)
{
	uint8_t pay[PKT_MAX];
	struct tp_ip6 h = {.src = src,
	                   .dst = dst,
	                   .nh = IPPROTO_UDP,
	                   .hlim = hlim,
	                   .tclass = tclass,
	                   .flow = flow};

	tp_fill(pay, plen, 7);
	return tp_ip6(o, &h, l4buf, tp_udp(l4buf, sp, dp, pay, plen));
}

static size_t udp4(uint8_t *o, const char *src, const char *dst, uint16_t sp, uint16_t dp,
                   size_t plen, uint8_t ttl, uint8_t tos, uint16_t frag)
{
	uint8_t pay[PKT_MAX];
	struct tp_ip4 h = {.src = src,
	                   .dst = dst,
	                   .proto = IPPROTO_UDP,
	                   .ttl = ttl,
	                   .tos = tos,
	                   .id = 0x4242,
	                   .frag = frag};

	tp_fill(pay, plen, 9);
	return tp_ip4(o, &h, l4buf, tp_udp(l4buf, sp, dp, pay, plen));
}

static size_t tcp6(uint8_t *o, const char *src, const char *dst, uint16_t sp, uint16_t dp,
                   uint8_t flags, size_t plen)
{
	uint8_t pay[PKT_MAX];
	struct tp_ip6 h = {.src = src, .dst = dst, .nh = IPPROTO_TCP, .hlim = 64, .tclass = 0x28};

	tp_fill(pay, plen, 3);
	return tp_ip6(o, &h, l4buf, tp_tcp(l4buf, sp, dp, 1000, 2000, flags, pay, plen));
}

static size_t tcp4(uint8_t *o, const char *src, const char *dst, uint16_t sp, uint16_t dp,
                   uint8_t flags, size_t plen, uint16_t frag)
{
	uint8_t pay[PKT_MAX];
	struct tp_ip4 h = {.src = src,
	                   .dst = dst,
	                   .proto = IPPROTO_TCP,
	                   .ttl = 50,
	                   .tos = 0xb8,
	                   .id = 7,
	                   .frag = frag};

	tp_fill(pay, plen, 5);
	return tp_ip4(o, &h, l4buf, tp_tcp(l4buf, sp, dp, 3000, 1001, flags, pay, plen));
}

static size_t echo6(uint8_t *o, const char *src, const char *dst, uint8_t type, uint16_t id)
{
	struct tp_ip6 h = {.src = src, .dst = dst, .nh = IPPROTO_ICMPV6, .hlim = 64};

	return tp_ip6(o, &h, l4buf, tp_icmp(l4buf, type, 0, id, 1, "ping6", 5));
}

static size_t echo4(uint8_t *o, const char *src, const char *dst, uint8_t type, uint16_t id)
{
	struct tp_ip4 h = {.src = src, .dst = dst, .proto = IPPROTO_ICMP, .ttl = 64};

	return tp_ip4(o, &h, l4buf, tp_icmp(l4buf, type, 0, id, 1, "ping4", 5));
}

/* Stateful, both directions of UDP, TCP data / ACK and ICMP echo: the
 * session comes from the core's table (its first packets), the rest must
 * match. */
START_TEST(sf_udp_both_ways)
{
	struct xlat_fixture *f = xf_new(XLAT_STATEFUL, OWN4_SF, OWN6_SF);
	struct fastpath_session s;
	char t4[INET_ADDRSTRLEN];
	struct in_addr a;
	size_t n;

	xf_add_nat(f, &xf_nat_default);
	f->ctx.ipv4_id_next = 0xbeef;
	n = udp6(pkt, C6, S6, 5000, 53, 100, 64, 0, 0x12345);
	s = same_as_core(f, pkt, n, "udp 6to4");
	a.s_addr = htonl(s.src4);
	inet_ntop(AF_INET, &a, t4, sizeof(t4));
	n = udp4(pkt, S4, t4, 53, s.sport4, 300, 60, 0x2e, 0);
	same_as_core(f, pkt, n, "udp 4to6");
	/* large, DF: still fits the MTU */
	n = udp4(pkt, S4, t4, 53, s.sport4, 1400, 60, 0, TP_DF);
	same_as_core(f, pkt, n, "udp 4to6 DF 1400");
	/* > 1260 bytes: DF in IPv4 */
	n = udp6(pkt, C6, S6, 5000, 53, 1300, 64, 0xb8, 0);
	same_as_core(f, pkt, n, "udp 6to4 1300");
	xf_free(f);
}
END_TEST

START_TEST(sf_tcp_data_both_ways)
{
	struct xlat_fixture *f = xf_new(XLAT_STATEFUL, OWN4_SF, OWN6_SF);
	struct fastpath_session s;
	struct fastpath_session_stats st;
	char t4[INET_ADDRSTRLEN];
	struct in_addr a;
	size_t n;

	xf_add_nat(f, &xf_nat_default);
	/* the handshake goes through the core only */
	n = tcp6(pkt, C6, S6, 40000, 80, TP_SYN, 0);
	punted(pkt, n, FP_PUNT_TCP_FLAGS);
	xf_run(f, pkt, n, false);
	ck_assert_int_eq(f->verdict, XLAT_SEND);
	session_of(pkt, f->out, &s);
	a.s_addr = htonl(s.src4);
	inet_ntop(AF_INET, &a, t4, sizeof(t4));
	n = tcp4(pkt, S4, t4, 80, s.sport4, TP_SYN | TP_ACK, 0, TP_DF);
	xf_run(f, pkt, n, false);
	ck_assert_int_eq(f->verdict, XLAT_SEND);

	n = tcp6(pkt, C6, S6, 40000, 80, TP_ACK, 0);
	same_as_core(f, pkt, n, "tcp ack 6to4");
	n = tcp6(pkt, C6, S6, 40000, 80, TP_ACK | TP_PSH, 500);
	same_as_core(f, pkt, n, "tcp data 6to4");
	n = tcp4(pkt, S4, t4, 80, s.sport4, TP_ACK | TP_PSH, 1400, TP_DF);
	same_as_core(f, pkt, n, "tcp data 4to6");
	n = tcp4(pkt, S4, t4, 80, s.sport4, TP_ACK, 0, 0);
	same_as_core(f, pkt, n, "tcp ack 4to6");

	ck_assert_int_eq(fastpath_session_stats(fp, &s, &st), 0);
	/* same_as_core() put the session in anew: the last packet only */
	ck_assert_uint_eq(st.packets[0], 0);
	ck_assert_uint_eq(st.packets[1], 1);
	ck_assert_uint_eq(st.bytes[1], n);
	ck_assert_uint_gt(st.last_seen_ms, 0);

	/* FIN and RST change the state: tun64d's */
	n = tcp6(pkt, C6, S6, 40000, 80, TP_FIN | TP_ACK, 0);
	punted(pkt, n, FP_PUNT_TCP_FLAGS);
	n = tcp4(pkt, S4, t4, 80, s.sport4, TP_RST, 0, 0);
	punted(pkt, n, FP_PUNT_TCP_FLAGS);
	ck_assert_int_eq(fastpath_session_del(fp, &s, NULL, NULL), 0);
	n = tcp6(pkt, C6, S6, 40000, 80, TP_ACK, 0);
	punted(pkt, n, FP_PUNT_NO_SESSION);
	xf_free(f);
}
END_TEST

START_TEST(sf_echo_both_ways)
{
	struct xlat_fixture *f = xf_new(XLAT_STATEFUL, OWN4_SF, OWN6_SF);
	struct fastpath_session s;
	char t4[INET_ADDRSTRLEN];
	struct in_addr a;
	size_t n;

	xf_add_nat(f, &xf_nat_default);
	f->ctx.ipv4_id_next = 0xfffe; /* wraps */
	n = echo6(pkt, C6, S6, 128, 0x77);
	s = same_as_core(f, pkt, n, "echo request 6to4");
	a.s_addr = htonl(s.src4);
	inet_ntop(AF_INET, &a, t4, sizeof(t4));
	n = echo4(pkt, S4, t4, 0, s.sport4);
	same_as_core(f, pkt, n, "echo reply 4to6");
	xf_free(f);
}
END_TEST

/* What fastpath_foreach_seen / the last call of fastpath_session_del
 * report, summed per direction. */
struct deltas {
	struct fp_key key[2]; /* of the session (the map has others) */
	uint64_t packets[2], bytes[2];
	int calls;
};

static int add_delta(const struct fp_key *k, const struct fp_session *v, void *arg)
{
	struct deltas *d = arg;
	int dir = k->family == FP_FAMILY_6 ? 0 : 1;

	if (memcmp(k, &d->key[dir], sizeof(*k)) != 0)
		return 0;
	d->packets[dir] += v->packets;
	d->bytes[dir] += v->bytes;
	d->calls++;
	return 0;
}

/* Per-session counts in the map value after N runs, and what userspace
 * reports of them: deltas, each packet once, the rest when the session
 * leaves. */
START_TEST(sf_session_counts)
{
	struct xlat_fixture *f = xf_new(XLAT_STATEFUL, OWN4_SF, OWN6_SF);
	struct fastpath_session s;
	struct fastpath_session_stats st;
	struct deltas d;
	struct fp_rewrite rw[2];
	static struct bpf_out o;
	char t4[INET_ADDRSTRLEN];
	struct in_addr a;
	size_t n6, n4;

	xf_add_nat(f, &xf_nat_default);
	n6 = udp6(pkt, C6, S6, 5001, 53, 200, 64, 0, 0);
	s = same_as_core(f, pkt, n6, "udp 6to4");
	memset(&d, 0, sizeof(d));
	fastpath_session_entries(&s, d.key, rw);
	for (int i = 0; i < 4; i++) {
		bpf_run(pkt, n6, &o);
		ck_assert_uint_eq(o.retval, TC_ACT_REDIRECT);
	}
	a.s_addr = htonl(s.src4);
	inet_ntop(AF_INET, &a, t4, sizeof(t4));
	n4 = udp4(pkt, S4, t4, 53, s.sport4, 500, 60, 0, 0);
	for (int i = 0; i < 3; i++) {
		bpf_run(pkt, n4, &o);
		ck_assert_uint_eq(o.retval, TC_ACT_REDIRECT);
	}
	ck_assert_int_eq(fastpath_session_stats(fp, &s, &st), 0);
	ck_assert_uint_eq(st.packets[0], 5);
	ck_assert_uint_eq(st.bytes[0], 5 * n6);
	ck_assert_uint_eq(st.packets[1], 3);
	ck_assert_uint_eq(st.bytes[1], 3 * n4);

	ck_assert_int_eq(fastpath_foreach_seen(fp, 0, add_delta, &d), 0);
	ck_assert_uint_eq(d.packets[0], 5);
	ck_assert_uint_eq(d.bytes[0], 5 * n6);
	ck_assert_uint_eq(d.packets[1], 3);
	ck_assert_uint_eq(d.bytes[1], 3 * n4);
	/* reported once: a second walk adds nothing */
	ck_assert_int_eq(fastpath_foreach_seen(fp, 0, add_delta, &d), 0);
	ck_assert_uint_eq(d.packets[0] + d.packets[1], 8);
	/* two more, reported as the session goes */
	bpf_run(pkt, n4, &o);
	bpf_run(pkt, n4, &o);
	d.calls = 0;
	ck_assert_int_eq(fastpath_session_del(fp, &s, add_delta, &d), 0);
	ck_assert_int_eq(d.calls, 1);
	ck_assert_uint_eq(d.packets[1], 5);
	ck_assert_uint_eq(d.bytes[1], 5 * n4);
	/* in again: counts from 0, reported from 0 */
	ck_assert_int_eq(fastpath_session_add(fp, &s, 1), 0);
	bpf_run(pkt, n4, &o);
	memset(d.packets, 0, sizeof(d.packets));
	memset(d.bytes, 0, sizeof(d.bytes));
	ck_assert_int_eq(fastpath_foreach_seen(fp, 0, add_delta, &d), 0);
	ck_assert_uint_eq(d.packets[1], 1);
	ck_assert_uint_eq(d.bytes[1], n4);
	ck_assert_int_eq(fastpath_session_del(fp, &s, NULL, NULL), 0);
	xf_free(f);
}
END_TEST

/* Stateless, with each Traffic Class / Flow Label policy. */
START_TEST(sl_policies)
{
	struct xlat_fixture *f = xf_new(XLAT_STATELESS, OWN4_SL, OWN6_SL);
	size_t n;

	for (int i = 0; i < 4; i++) {
		f->cfg.tos_zero = i & 1;
		f->cfg.flow_label_hash = i & 2;
		f->ctx.ipv4_id_next = (uint16_t)(0x1000 * i + 1);
		n = udp6(pkt, SL_C6, S6, 1234, 4321, 40, 9, 0xfc, 0xabcde);
		same_as_core(f, pkt, n, "sl udp 6to4");
		n = udp4(pkt, S4, SL_C4, 4321, 1234, 40, 2, 0xfc, 0);
		same_as_core(f, pkt, n, "sl udp 4to6");
		n = tcp4(pkt, S4, SL_C4, 443, 50000, TP_ACK | TP_PSH, 1000, TP_DF);
		same_as_core(f, pkt, n, "sl tcp 4to6");
		n = tcp6(pkt, SL_C6, S6, 50000, 443, TP_ACK, 1200);
		same_as_core(f, pkt, n, "sl tcp 6to4");
		n = echo4(pkt, S4, SL_C4, 8, 99);
		same_as_core(f, pkt, n, "sl echo request 4to6");
		n = echo6(pkt, SL_C6, S6, 129, 99);
		same_as_core(f, pkt, n, "sl echo reply 6to4");
	}
	xf_free(f);
}
END_TEST

/* Everything the program must leave to tun64d, each for its reason. The
 * sessions exist, so only the packet itself decides. */
START_TEST(punts)
{
	struct xlat_fixture *f = xf_new(XLAT_STATELESS, OWN4_SL, OWN6_SL);
	struct fastpath_session s;
	uint8_t ext[8] = {IPPROTO_UDP, 0, 1, 4, 0, 0, 0, 0};  /* Hop-by-Hop, PadN */
	uint8_t frag[8] = {IPPROTO_UDP, 0, 0, 1, 0, 0, 0, 9}; /* offset 0, M */
	uint8_t opts[4] = {1, 1, 1, 0};                       /* NOP NOP NOP EOL */
	struct tp_ip6 h6 = {.src = SL_C6, .dst = S6, .nh = IPPROTO_UDP, .hlim = 64};
	struct tp_ip4 h4 = {.src = S4, .dst = SL_C4, .proto = IPPROTO_UDP, .ttl = 64};
	size_t n, l;

	n = udp6(pkt, SL_C6, S6, 1234, 4321, 40, 64, 0, 0);
	s = same_as_core(f, pkt, n, "udp 6to4 for the session");
	(void)s;
	n = udp4(pkt, S4, SL_C4, 4321, 1234, 1300, 64, 0, 0);
	punted(pkt, n, FP_PUNT_TOO_BIG); /* no DF, > lowest-ipv6-mtu: split */
	n = udp4(pkt, S4, SL_C4, 4321, 1234, 1480, 64, 0, TP_DF);
	punted(pkt, n, FP_PUNT_TOO_BIG); /* DF, > mtu: Fragmentation Needed */
	n = udp4(pkt, S4, SL_C4, 4321, 1234, 40, 1, 0, 0);
	punted(pkt, n, FP_PUNT_HOP_LIMIT);
	n = udp6(pkt, SL_C6, S6, 1234, 4321, 40, 1, 0, 0);
	punted(pkt, n, FP_PUNT_HOP_LIMIT);
	n = udp4(pkt, S4, SL_C4, 4321, 1234, 40, 64, 0, TP_MF);
	punted(pkt, n, FP_PUNT_FRAGMENT);
	n = udp4(pkt, S4, SL_C4, 4321, 1234, 40, 64, 0, 0);
	pkt[1] ^= 1; /* TOS changed, header checksum now wrong */
	punted(pkt, n, FP_PUNT_MALFORMED);

	l = tp_udp(l4buf, 1234, 4321, "x", 1);
	h6.ext = ext;
	h6.ext_len = sizeof(ext);
	h6.ext_first = IPPROTO_HOPOPTS;
	n = tp_ip6(pkt, &h6, l4buf, l);
	punted(pkt, n, FP_PUNT_EXT_HDR);
	h6.ext = frag;
	h6.ext_first = IPPROTO_FRAGMENT;
	n = tp_ip6(pkt, &h6, l4buf, l);
	punted(pkt, n, FP_PUNT_FRAGMENT);
	l = tp_udp(l4buf, 4321, 1234, "x", 1);
	h4.opts = opts;
	h4.opts_len = sizeof(opts);
	n = tp_ip4(pkt, &h4, l4buf, l);
	punted(pkt, n, FP_PUNT_OPTIONS);
	h4.opts = NULL;
	h4.opts_len = 0;
	h4.keep_l4_csum = true; /* UDP without checksum: tun64d computes it */
	n = tp_ip4(pkt, &h4, l4buf, l);
	punted(pkt, n, FP_PUNT_UDP_NO_CSUM);

	/* ICMP errors and other types */
	l = tp_icmp(l4buf, 3, 1, 0, 0, "quoted", 6); /* Destination Unreachable */
	h4.proto = IPPROTO_ICMP;
	h4.keep_l4_csum = false;
	n = tp_ip4(pkt, &h4, l4buf, l);
	punted(pkt, n, FP_PUNT_ICMP);
	l = tp_icmp(l4buf, 1, 0, 0, 0, "quoted", 6); /* ICMPv6 Destination Unreachable */
	h6.ext = NULL;
	h6.ext_len = 0;
	h6.nh = IPPROTO_ICMPV6;
	n = tp_ip6(pkt, &h6, l4buf, l);
	punted(pkt, n, FP_PUNT_ICMP);
	/* SYN */
	n = tcp6(pkt, SL_C6, S6, 50000, 443, TP_SYN, 0);
	punted(pkt, n, FP_PUNT_TCP_FLAGS);
	/* no session: other ports */
	n = udp6(pkt, SL_C6, S6, 1235, 4321, 40, 64, 0, 0);
	punted(pkt, n, FP_PUNT_NO_SESSION);
	/* off */
	ck_assert_int_eq(fastpath_configure(fp, &(struct fastpath_settings){0}), 0);
	n = udp6(pkt, SL_C6, S6, 1234, 4321, 40, 64, 0, 0);
	punted(pkt, n, FP_PUNT_DISABLED);
	xf_free(f);
}
END_TEST

/* A GSO TCP packet takes one Identification per segment, as the core
 * counts them (l4_gso_segs); a GSO packet whose segments would not fit is
 * left to tun64d. */
START_TEST(gso_ids)
{
	struct xlat_fixture *f = xf_new(XLAT_STATELESS, OWN4_SL, OWN6_SL);
	static struct bpf_out o;
	struct fastpath_session s;
	struct fastpath_session_stats st;
	size_t n;

	n = tcp6(pkt, SL_C6, S6, 50000, 443, TP_ACK, 3000);
	s = same_as_core(f, pkt, n, "tcp 6to4 before GSO");
	bpf_run_gso(pkt, n, 1000, &o); /* the session's next ID is now 1 */
	ck_assert_uint_eq(o.retval, TC_ACT_REDIRECT);
	ck_assert_uint_eq(be16_at(o.pkt + 4), 1);
	bpf_run(pkt, n, &o);
	ck_assert_uint_eq(be16_at(o.pkt + 4), 4); /* 3000 / 1000: three IDs taken */
	ck_assert_int_eq(fastpath_session_stats(fp, &s, &st), 0);
	ck_assert_uint_eq(st.packets[0], 3);
	ck_assert_uint_eq(st.bytes[0], 3 * n);
	n = tcp4(pkt, S4, SL_C4, 443, 50000, TP_ACK, 3000, TP_DF);
	bpf_run_gso(pkt, n, 1460, &o); /* 40 + 20 + 1460 > 1500 */
	ck_assert_uint_eq(o.retval, TC_ACT_OK);
	ck_assert_uint_eq(o.moved[FP_PUNT_TOO_BIG], 1);
	bpf_run_gso(pkt, n, 1400, &o);
	ck_assert_uint_eq(o.retval, TC_ACT_REDIRECT);
	n = udp4(pkt, S4, SL_C4, 4321, 1234, 1000, 64, 0, TP_DF);
	bpf_run_gso(pkt, n, 500, &o);
	ck_assert_uint_eq(o.moved[FP_PUNT_GSO] + o.moved[FP_PUNT_NO_SESSION], 1);
	xf_free(f);
}
END_TEST

/* Differential: random eligible packets and sessions (stateless, so that
 * any addresses under the prefix map), random settings, through both. A
 * packet the core translates in place must come out of the program the
 * same, unless the program leaves it to tun64d for a size reason. */
START_TEST(differential_random)
{
	struct xlat_fixture *f = xf_new(XLAT_STATELESS, OWN4_SL, OWN6_SL);
	static struct bpf_out o;
	static uint8_t in[PKT_MAX];
	unsigned seed = 12345, equal = 0;
	uint16_t id;

	for (int i = 0; i < 600; i++) {
		uint8_t proto =
		    (uint8_t[]){IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP}[rand_r(&seed) % 3];
		bool v6 = rand_r(&seed) & 1;
		size_t plen = (size_t)rand_r(&seed) % (rand_r(&seed) & 1 ? 64 : 1500), n, l;
		uint16_t sp = (uint16_t)rand_r(&seed), dp = (uint16_t)rand_r(&seed);
		char a4[32], a6[64];
		uint8_t pay[1500];
		struct fastpath_session s;

		snprintf(a4, sizeof(a4), "192.0.2.%d", 16 + rand_r(&seed) % 200);
		snprintf(a6, sizeof(a6), "2001:db8:64::c000:2%02x", 16 + rand_r(&seed) % 200);
		for (size_t k = 0; k < plen; k++)
			pay[k] = (uint8_t)rand_r(&seed);
		f->cfg.tos_zero = rand_r(&seed) & 1;
		f->cfg.flow_label_hash = rand_r(&seed) & 1;
		f->ctx.ipv4_id_next = (uint16_t)rand_r(&seed);
		if (proto == IPPROTO_TCP)
			l = tp_tcp(l4buf, sp, dp, (uint32_t)rand_r(&seed), (uint32_t)rand_r(&seed),
			           TP_ACK | (rand_r(&seed) & TP_PSH), pay, plen);
		else if (proto == IPPROTO_UDP)
			l = tp_udp(l4buf, sp, dp, pay, plen);
		else
			l = tp_icmp(l4buf, v6 ? 128 + (rand_r(&seed) & 1) : 8 * (rand_r(&seed) & 1),
			            (uint8_t)(rand_r(&seed) % 3 == 0), sp, dp, pay, plen);
		if (v6) {
			struct tp_ip6 h = {.src = a6,
			                   .dst = S6,
			                   .hlim = (uint8_t)(2 + rand_r(&seed) % 254),
			                   .tclass = (uint8_t)rand_r(&seed),
			                   .flow = (uint32_t)rand_r(&seed) & 0xfffff,
			                   .nh = proto == IPPROTO_ICMP ? IPPROTO_ICMPV6 : proto};
			n = tp_ip6(in, &h, l4buf, l);
		} else {
			struct tp_ip4 h = {.src = S4,
			                   .dst = a4,
			                   .proto = proto,
			                   .ttl = (uint8_t)(2 + rand_r(&seed) % 254),
			                   .tos = (uint8_t)rand_r(&seed),
			                   .id = (uint16_t)rand_r(&seed),
			                   .frag = rand_r(&seed) & 1 ? TP_DF : 0};
			n = tp_ip4(in, &h, l4buf, l);
		}
		id = f->ctx.ipv4_id_next;
		xf_run(f, in, n, false);
		if (f->verdict != XLAT_SEND || f->out == f->ctx.scratch)
			continue;
		session_of(in, f->out, &s);
		configure_like(f);
		ck_assert_int_eq(fastpath_session_add(fp, &s, id), 0);
		bpf_run(in, n, &o);
		ck_assert_int_eq(fastpath_session_del(fp, &s, NULL, NULL), 0);
		if (o.retval == TC_ACT_OK && o.moved[FP_PUNT_TOO_BIG])
			continue;
		ck_assert_msg(o.retval == TC_ACT_REDIRECT, "packet %d: retval %u", i, o.retval);
		ck_assert_msg(tp_same(o.pkt, o.len, f->out, f->out_len), "packet %d differs", i);
		equal++;
	}
	printf("fastpath: %u random packets byte-equal with the core\n", equal);
	ck_assert_uint_gt(equal, 300);
	xf_free(f);
}
END_TEST

/* The attached program on a live skb: a UDP datagram an IPv6 socket sends
 * to the server's IPv6 name is routed into the tun, translated on its
 * egress and redirected to its ingress, and reaches an IPv4 socket of the
 * server (on lo here) from the session's (T, t). */
START_TEST(live_udp_redirect)
{
	struct sockaddr_in6 c6 = {.sin6_family = AF_INET6, .sin6_port = htons(5353)};
	struct sockaddr_in6 s6 = {.sin6_family = AF_INET6, .sin6_port = htons(53)};
	struct sockaddr_in s4 = {.sin_family = AF_INET, .sin_port = htons(53)}, from;
	socklen_t from_len = sizeof(from);
	struct fastpath_settings on = {.enabled = true, .mtu = 1500, .lowest_ipv6_mtu = 1280};
	struct fastpath_session s = {
	    .proto = IPPROTO_UDP, .sport6 = 5353, .dport6 = 53, .sport4 = 40000, .dport4 = 53};
	struct fastpath_session_stats st;
	struct timeval tv = {.tv_sec = 2};
	uint64_t before[FP_COUNTER_MAX], after[FP_COUNTER_MAX];
	char buf[64];
	int a, b;

	ck_assert_int_eq(system("ip link set lo up && ip link set fp0 up && "
	                        "ip addr add " S4 "/32 dev lo && ip -6 addr add " C6
	                        "/128 dev lo nodad && "
	                        "ip -6 route add 2001:db8:64::/96 dev fp0 && "
	                        "ip route add 198.51.100.0/24 dev fp0 && "
	                        "sysctl -qw net.ipv4.conf.all.rp_filter=0 "
	                        "net.ipv4.conf.fp0.rp_filter=0"),
	                 0);
	tp_addr6(C6, c6.sin6_addr.s6_addr);
	tp_addr6(S6, s6.sin6_addr.s6_addr);
	tp_addr4(S4, (uint8_t *)&s4.sin_addr);
	memcpy(s.src6, c6.sin6_addr.s6_addr, 16);
	memcpy(s.dst6, s6.sin6_addr.s6_addr, 16);
	s.src4 = tp_addr4_host("198.51.100.1");
	s.dst4 = tp_addr4_host(S4);
	ck_assert_int_eq(fastpath_test_frames(fp, false), 0);
	ck_assert_int_eq(fastpath_configure(fp, &on), 0);
	ck_assert_int_eq(fastpath_session_add(fp, &s, 0x100), 0);
	ck_assert_int_eq(fastpath_counters(fp, before), 0);

	a = socket(AF_INET6, SOCK_DGRAM, 0);
	b = socket(AF_INET, SOCK_DGRAM, 0);
	ck_assert_int_ge(a, 0);
	ck_assert_int_ge(b, 0);
	ck_assert_int_eq(bind(a, (struct sockaddr *)&c6, sizeof(c6)), 0);
	ck_assert_int_eq(bind(b, (struct sockaddr *)&s4, sizeof(s4)), 0);
	ck_assert_int_eq(setsockopt(b, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	ck_assert_int_eq(sendto(a, "fast", 4, 0, (struct sockaddr *)&s6, sizeof(s6)), 4);
	ck_assert_int_eq(recvfrom(b, buf, sizeof(buf), 0, (struct sockaddr *)&from, &from_len), 4);
	ck_assert(memcmp(buf, "fast", 4) == 0);
	ck_assert_uint_eq(ntohl(from.sin_addr.s_addr), s.src4);
	ck_assert_uint_eq(ntohs(from.sin_port), 40000);

	ck_assert_int_eq(fastpath_counters(fp, after), 0);
	ck_assert_uint_eq(after[FP_TRANSLATED_6TO4] - before[FP_TRANSLATED_6TO4], 1);
	ck_assert_int_eq(fastpath_session_stats(fp, &s, &st), 0);
	ck_assert_uint_eq(st.packets[0], 1);
	ck_assert_uint_eq(st.bytes[0], 40 + 8 + 4);
	close(a);
	close(b);
	ck_assert_int_eq(fastpath_session_del(fp, &s, NULL, NULL), 0);
	ck_assert_int_eq(fastpath_test_frames(fp, true), 0);
}
END_TEST

/* ---- every .vec case the program takes ---- */

struct vec_case {
	char name[96];
	enum xlat_mode mode;
	char set[8][96];
	int n_set;
	uint8_t in[PKT_MAX];
	size_t len;
};

#define MAX_CASES 1024
static struct vec_case *cases;
static int n_cases, n_equal, n_punted, n_skipped;

static int hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static void append_hex(struct vec_case *c, const char *s)
{
	for (; *s; s++) {
		if (hex_val(s[0]) < 0 || hex_val(s[1]) < 0 || c->len == PKT_MAX)
			continue;
		c->in[c->len++] = (uint8_t)(hex_val(s[0]) << 4 | hex_val(s[1]));
		s++;
	}
}

/* The lines this test needs of the format in tests/vectors/README.md
 * (case, mode, set, in and its continuation lines); test_vectors checks the
 * rest. */
static void load_file(const char *path)
{
	FILE *fh = fopen(path, "r");
	char buf[8192];
	struct vec_case *c = NULL;
	bool in_hex = false;

	if (!fh) {
		perror(path);
		return;
	}
	while (fgets(buf, sizeof(buf), fh)) {
		char *s = buf + strspn(buf, " \t");
		char *rest = s + strcspn(s, " \t\n");

		if (s != buf && in_hex && strspn(s, "0123456789abcdef") == strcspn(s, " \t\n")) {
			append_hex(c, s);
			continue;
		}
		in_hex = false;
		if (*rest)
			*rest++ = '\0';
		rest += strspn(rest, " \t");
		rest[strcspn(rest, "\n")] = '\0';
		if (strcmp(s, "case") == 0 && n_cases < MAX_CASES) {
			c = &cases[n_cases++];
			snprintf(c->name, sizeof(c->name), "%s", rest);
			c->mode = XLAT_STATELESS;
		} else if (c && strcmp(s, "mode") == 0) {
			c->mode =
			    strncmp(rest, "stateful", 8) == 0 ? XLAT_STATEFUL : XLAT_STATELESS;
		} else if (c && strcmp(s, "set") == 0 && c->n_set < 8) {
			snprintf(c->set[c->n_set++], sizeof(c->set[0]), "%s", rest);
		} else if (c && strcmp(s, "in") == 0) {
			append_hex(c, rest);
			in_hex = true;
		}
	}
	fclose(fh);
}

static int visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	size_t n = strlen(path);

	(void)st;
	(void)ftw;
	if (type == FTW_F && n > 4 && strcmp(path + n - 4, ".vec") == 0)
		load_file(path); /* outside a test: no ck_assert here */
	return 0;
}

/* "key value" onto the fixture, as test_vectors does. */
static void apply_set(struct xlat_fixture *f, const char *kv)
{
	char key[48], val[64];

	ck_assert_int_eq(sscanf(kv, "%47s %63s", key, val), 2);
	if (strcmp(key, "prefix") == 0 && strcmp(val, "none") == 0)
		memset(&f->cfg.pool6, 0, sizeof(f->cfg.pool6)); /* EAM only; map lines ignored */
	else if (strcmp(key, "prefix") == 0)
		ck_assert_int_eq(prefix6_parse(val, &f->cfg.pool6), 0);
	else if (strcmp(key, "wkp-allow-private") == 0)
		f->cfg.wkp_allow_private = strcmp(val, "yes") == 0;
	else if (strcmp(key, "mtu") == 0)
		f->cfg.mtu = (uint16_t)atoi(val);
	else if (strcmp(key, "lowest-ipv6-mtu") == 0)
		f->cfg.lowest_ipv6_mtu = (uint16_t)atoi(val);
	else if (strcmp(key, "tos") == 0)
		f->cfg.tos_zero = strcmp(val, "zero") == 0;
	else if (strcmp(key, "flow-label") == 0)
		f->cfg.flow_label_hash = strcmp(val, "hash") == 0;
	else if (strcmp(key, "udp-zero-checksum") == 0)
		f->cfg.udp_zero_csum_drop = strcmp(val, "drop") == 0;
	else if (strcmp(key, "icmp-unreachable") == 0)
		f->cfg.icmp_unreachable = strcmp(val, "yes") == 0;
}

/* The core's translation of a case, if it translates it in place, gives
 * the session; the program must then produce the same bytes or leave the
 * packet, unchanged, to tun64d. A case the core does not translate so must
 * not be translated by the program either (it has no session). */
START_TEST(vector_case)
{
	const struct vec_case *c = &cases[_i];
	struct xlat_fixture *f = c->mode == XLAT_STATELESS
	                             ? xf_new(XLAT_STATELESS, OWN4_SL, OWN6_SL)
	                             : xf_new(XLAT_STATEFUL, OWN4_SF, OWN6_SF);
	static struct bpf_out o;
	struct fastpath_session s;
	bool taken;

	/* BPF_PROG_TEST_RUN refuses frames shorter than their IP header (the
	 * kernel routes none such to the tun) and frames over a page */
	if (ETH_LEN + c->len > TEST_RUN_MAX || c->len < 20 || (c->in[0] >> 4 == 6 && c->len < 40)) {
		printf("fastpath: not runnable: %s\n", c->name);
		n_skipped++;
		xf_free(f);
		return;
	}
	if (c->mode == XLAT_STATEFUL) {
		xf_add_nat(f, &xf_nat_default);
		xf_add_frags(f);
	}
	for (int i = 0; i < c->n_set; i++)
		apply_set(f, c->set[i]);
	configure_like(f);
	xf_run(f, c->in, c->len, false);
	taken = f->verdict == XLAT_SEND && f->out != f->ctx.scratch && c->len >= 20;
	if (taken) {
		uint8_t p = l4_proto(c->in);

		taken = p == IPPROTO_TCP || p == IPPROTO_UDP || p == IPPROTO_ICMP;
	}
	if (taken) {
		session_of(c->in, f->out, &s);
		ck_assert_int_eq(fastpath_session_add(fp, &s, 0), 0);
	}
	bpf_run(c->in, c->len, &o);
	if (o.retval == TC_ACT_REDIRECT) {
		ck_assert_msg(taken, "%s: translated, the core did not", c->name);
		ck_assert_msg(tp_same(o.pkt, o.len, f->out, f->out_len), "%s: bytes differ",
		              c->name);
		printf("fastpath: byte-equal %s\n", c->name);
		n_equal++;
	} else {
		ck_assert_msg(o.retval == TC_ACT_OK, "%s: retval %u", c->name, o.retval);
		ck_assert(tp_same(o.pkt, o.len, c->in, c->len));
		for (int k = 0; taken && k < FP_COUNTER_MAX; k++)
			if (o.moved[k])
				printf("fastpath: translated by the core only: %s (%s)\n", c->name,
				       fastpath_counter_name((enum fp_counter)k));
		n_punted++;
	}
	if (taken)
		fastpath_session_del(fp, &s, NULL, NULL);
	xf_free(f);
}
END_TEST

/* ---- setup ---- */

/* A tun of our own in a network namespace of our own: the program's
 * attach point, and the device BPF_PROG_TEST_RUN runs the packets on (no
 * link header, as on the real hook). */
int main(int argc, char **argv)
{
	Suite *su;
	TCase *tc;
	SRunner *sr;
	int failed, err;

	if (argc != 2) {
		fprintf(stderr, "usage: %s VECTOR-DIR\n", argv[0]);
		return EXIT_FAILURE;
	}
	if (geteuid() != 0) {
		printf("test_fastpath: needs root (BPF, a tun device): skipped\n");
		return 77;
	}
	err = fp_harness_open(&fp, &tun_ifindex);
	if (err) {
		fprintf(stderr, "test_fastpath: load/attach: %s\n", strerror(-err));
		return EXIT_FAILURE;
	}
	cases = calloc(MAX_CASES, sizeof(*cases));
	if (!cases || nftw(argv[1], visit, 16, FTW_PHYS) != 0 || n_cases == 0)
		return EXIT_FAILURE;

	su = suite_create("fastpath");
	tc = tcase_create("fastpath");
	tcase_add_test(tc, sf_udp_both_ways);
	tcase_add_test(tc, sf_tcp_data_both_ways);
	tcase_add_test(tc, sf_echo_both_ways);
	tcase_add_test(tc, sf_session_counts);
	tcase_add_test(tc, sl_policies);
	tcase_add_test(tc, punts);
	tcase_add_test(tc, gso_ids);
	tcase_add_test(tc, differential_random);
	tcase_add_test(tc, live_udp_redirect);
	tcase_add_loop_test(tc, vector_case, 0, n_cases);
	suite_add_tcase(su, tc);
	sr = srunner_create(su);
	/* one process: the counts below and the tun live in it */
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	printf("fastpath: %d vector cases byte-equal with the core, %d left to tun64d, %d not "
	       "runnable\n",
	       n_equal, n_punted, n_skipped);
	fastpath_close(fp);
	free(cases);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
