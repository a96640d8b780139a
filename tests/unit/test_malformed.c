/* SPDX-License-Identifier: BSD-2-Clause */
/* Hostile input (GitHub issue "Hostile input"): malformed, truncated,
 * spoofed and looping packets through xlat_packet, in stateless and
 * stateful mode. Each test asserts the verdict and EXACTLY which counters
 * moved between a snapshot taken before the packet and the counters after
 * it (rx plus one drop reason, or rx + reason + icmp-error-sent for an
 * answered packet, whose bytes are compared too).
 *
 * Tests that name an RFC rule the translator does not follow yet fail on
 * purpose; the list is in the lead's report, not worked around here. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frag.h"
#include "nat64.h"
#include "pkt_helpers.h"
#include "xlat.h"
#include "xlat_fixture.h"

/* Stateless: hosts on both sides are RFC 6052 mapped under 2001:db8:64::/96. */
#define SL_C6 "2001:db8:64::c000:221" /* 192.0.2.33 */
#define SL_C4 "192.0.2.33"
#define SRV6 "2001:db8:64::cb00:7105" /* 203.0.113.5 */
#define SRV4 "203.0.113.5"
/* Stateful: an IPv6-only client, pool4 198.51.100.0/28. */
#define SF_C6 "2001:db8:6::10"
#define POOL4 "198.51.100.0"
#define SF_T4 "198.51.100.2" /* a pool4 address, not own4 */
#define OWN4_SF "198.51.100.1"
#define OWN6_SF "2001:db8:64::c633:6401"
#define OWN4_SL "192.0.2.1"
#define OWN6_SL "2001:db8:64::c000:201"
#define ROUTER4 "203.0.113.254"

/* The longest IPv6 payload: 65535 bytes. */
#define MAX_PAYLOAD6 65535

static struct xlat_fixture *F;

/* Buffers of these tests beside the fixture's. */
static struct scratch {
	uint8_t ext[XF_BIG];
	uint8_t quote[XF_BIG];
	uint8_t err_l4[XF_BIG];
} * S;

/* ---- fixtures (as in test_xlat.c) ---- */

static void scratch_new(void)
{
	S = calloc(1, sizeof(*S));
	ck_assert_ptr_nonnull(S);
}

static void stateless_setup(void)
{
	F = xf_new(XLAT_STATELESS, OWN4_SL, OWN6_SL);
	scratch_new();
}

static void stateful_setup(void)
{
	F = xf_new(XLAT_STATEFUL, OWN4_SF, OWN6_SF);
	xf_add_nat(F, &xf_nat_default);
	xf_add_frags(F);
	scratch_new();
}

static void teardown(void)
{
	xf_free(F);
	F = NULL;
	free(S);
	S = NULL;
}

static bool stateful(void)
{
	return F->cfg.mode == XLAT_STATEFUL;
}

/* The IPv6 host that sends towards the IPv4 side, and the IPv4 address the
 * IPv4 side sends to (stateful: an address of pool4, which must be the
 * destination for any 4->6 check after the address checks to be reached). */
static const char *client6(void)
{
	return stateful() ? SF_C6 : SL_C6;
}

static const char *client4(void)
{
	return stateful() ? SF_T4 : SL_C4;
}

static const char *own6_text(void)
{
	return stateful() ? OWN6_SF : OWN6_SL;
}

/* ---- running and checking ---- */

static enum xlat_verdict run(const uint8_t *p, size_t len)
{
	return xf_run(F, p, len, false);
}

static void expect_drop(enum tun64_dir dir, enum tun64_counter why)
{
	ck_assert_msg(F->verdict == XLAT_DROP, "verdict %d, want XLAT_DROP (%s)", F->verdict,
	              counter_name(why));
	xf_expect_moved(F, dir, CTR_RX, why, CTR_MAX);
}

static void expect_translated_only(enum tun64_dir dir)
{
	ck_assert_int_eq(F->verdict, XLAT_SEND);
	ck_assert_ptr_ne(F->out, F->ctx.scratch);
	xf_expect_moved(F, dir, CTR_RX, CTR_TRANSLATED, CTR_MAX);
}

/* Translated in place, ending where the input ended. */
static void expect_translated(enum tun64_dir dir, const uint8_t *exp, size_t exp_len, size_t in_len)
{
	expect_translated_only(dir);
	ck_assert(tp_same(F->out, F->out_len, exp, exp_len));
	ck_assert_ptr_eq(F->out + F->out_len, F->buf + XLAT_HEADROOM + in_len);
}

static void expect_icmp_error(enum tun64_dir dir, enum tun64_counter why, const uint8_t *exp,
                              size_t exp_len)
{
	ck_assert_int_eq(F->verdict, XLAT_SEND);
	ck_assert_ptr_eq(F->out, F->ctx.scratch);
	ck_assert(tp_same(F->out, F->out_len, exp, exp_len));
	ck_assert(tp_csums_ok(F->out, F->out_len));
	xf_expect_moved(F, dir, CTR_RX, why, CTR_ICMP_ERROR_SENT, CTR_MAX);
}

/* Fix the IPv4 header checksum after editing a header field. */
static void refix_ipv4_csum(uint8_t *p, size_t hlen)
{
	uint16_t c;

	p[10] = p[11] = 0;
	c = ref_csum(p, hlen);
	p[10] = (uint8_t)(c >> 8);
	p[11] = (uint8_t)c;
}

static void put_be16_test(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* ---- packets ---- */

static const uint8_t udp_payload[] = "tun64 udp test!"; /* 15 bytes */

static size_t udp6_pkt(uint8_t *o, const char *src, const char *dst)
{
	struct tp_ip6 h = {.src = src, .dst = dst, .nh = 17, .hlim = 64, .tclass = 0xb8};

	return tp_ip6(o, &h, F->l4, tp_udp(F->l4, 5353, 53, udp_payload, 15));
}

static size_t udp4_pkt(uint8_t *o, const char *src, const char *dst)
{
	struct tp_ip4 h = {
	    .src = src, .dst = dst, .proto = 17, .ttl = 50, .id = 0x1234, .frag = TP_DF};

	return tp_ip4(o, &h, F->l4, tp_udp(F->l4, 53, 5353, udp_payload, 15));
}

static size_t tcp4_pkt(uint8_t *o, const char *src, const char *dst)
{
	struct tp_ip4 h = {.src = src, .dst = dst, .proto = 6, .ttl = 64, .frag = TP_DF};

	return tp_ip4(o, &h, F->l4, tp_tcp(F->l4, 80, 40000, 1, 2, TP_SYN | TP_ACK, NULL, 0));
}

static size_t tcp6_pkt(uint8_t *o, const char *src, const char *dst)
{
	struct tp_ip6 h = {.src = src, .dst = dst, .nh = 6, .hlim = 64};

	return tp_ip6(o, &h, F->l4, tp_tcp(F->l4, 40000, 80, 1, 0, TP_SYN, NULL, 0));
}

/* The first len bytes of a complete transport header of proto (an echo
 * request for ICMP / ICMPv6, a Destination Unreachable if error), in an
 * IP packet whose length fields agree with those len bytes. */
static size_t short_l4(uint8_t *l4, uint8_t proto, bool v6, bool error)
{
	switch (proto) {
	case 6:
		return tp_tcp(l4, 40000, 80, 1, 0, TP_SYN, NULL, 0);
	case 17:
		return tp_udp(l4, 5353, 53, NULL, 0);
	default:
		if (error)
			return tp_icmp(l4, v6 ? 1 : 3, 4, 0, 0, NULL, 0);
		return tp_icmp(l4, v6 ? 128 : 8, 0, 0x4242, 1, NULL, 0);
	}
}

static size_t short_l4_pkt4(uint8_t *o, uint8_t proto, size_t len, bool error)
{
	struct tp_ip4 h = {
	    .src = SRV4, .dst = client4(), .proto = proto, .ttl = 64, .keep_l4_csum = true};
	size_t full = short_l4(F->l4, proto, false, error);

	ck_assert_uint_lt(len, full + 1);
	return tp_ip4(o, &h, F->l4, len);
}

static size_t short_l4_pkt6(uint8_t *o, uint8_t proto, size_t len, bool error)
{
	struct tp_ip6 h = {.src = client6(),
	                   .dst = SRV6,
	                   .nh = proto == 1 ? 58 : proto,
	                   .hlim = 64,
	                   .keep_l4_csum = true};
	size_t full = short_l4(F->l4, proto, true, error);

	ck_assert_uint_lt(len, full + 1);
	return tp_ip6(o, &h, F->l4, len);
}

/* ---- truncated IP headers: every length below the header ---- */

START_TEST(trunc_ipv4_header)
{
	udp4_pkt(F->in, SRV4, client4());
	run(F->in, (size_t)_i);
	/* An empty buffer has no version, hence no direction: counted 6to4. */
	expect_drop(_i == 0 ? DIR_6TO4 : DIR_4TO6, CTR_DROP_TRUNCATED);
}
END_TEST

START_TEST(trunc_ipv6_header)
{
	udp6_pkt(F->in, client6(), SRV6);
	run(F->in, (size_t)_i);
	expect_drop(DIR_6TO4, CTR_DROP_TRUNCATED);
}
END_TEST

/* A complete TCP packet cut anywhere after the IP header: the length
 * field promises more than the buffer holds. */
START_TEST(cut_ipv4_inside_transport)
{
	size_t n = tcp4_pkt(F->in, SRV4, client4());

	ck_assert_uint_eq(n, 40);
	run(F->in, 20 + (size_t)_i);
	expect_drop(DIR_4TO6, CTR_DROP_BAD_LENGTH);
}
END_TEST

START_TEST(cut_ipv6_inside_transport)
{
	size_t n = tcp6_pkt(F->in, client6(), SRV6);

	ck_assert_uint_eq(n, 60);
	run(F->in, 40 + (size_t)_i);
	expect_drop(DIR_6TO4, CTR_DROP_BAD_LENGTH);
}
END_TEST

/* ---- truncated transport headers, lengths consistent ---- */

START_TEST(trunc_tcp4)
{
	run(F->in, short_l4_pkt4(F->in, 6, (size_t)_i, false));
	expect_drop(DIR_4TO6, CTR_DROP_TRUNCATED);
}
END_TEST

START_TEST(trunc_udp4)
{
	run(F->in, short_l4_pkt4(F->in, 17, (size_t)_i, false));
	expect_drop(DIR_4TO6, CTR_DROP_TRUNCATED);
}
END_TEST

START_TEST(trunc_icmp4_echo)
{
	run(F->in, short_l4_pkt4(F->in, 1, (size_t)_i, false));
	expect_drop(DIR_4TO6, CTR_DROP_TRUNCATED);
}
END_TEST

START_TEST(trunc_icmp4_error)
{
	run(F->in, short_l4_pkt4(F->in, 1, (size_t)_i, true));
	expect_drop(DIR_4TO6, CTR_DROP_TRUNCATED);
}
END_TEST

START_TEST(trunc_tcp6)
{
	run(F->in, short_l4_pkt6(F->in, 6, (size_t)_i, false));
	expect_drop(DIR_6TO4, CTR_DROP_TRUNCATED);
}
END_TEST

START_TEST(trunc_udp6)
{
	run(F->in, short_l4_pkt6(F->in, 17, (size_t)_i, false));
	expect_drop(DIR_6TO4, CTR_DROP_TRUNCATED);
}
END_TEST

START_TEST(trunc_icmp6_echo)
{
	run(F->in, short_l4_pkt6(F->in, 1, (size_t)_i, false));
	expect_drop(DIR_6TO4, CTR_DROP_TRUNCATED);
}
END_TEST

START_TEST(trunc_icmp6_error)
{
	run(F->in, short_l4_pkt6(F->in, 1, (size_t)_i, true));
	expect_drop(DIR_6TO4, CTR_DROP_TRUNCATED);
}
END_TEST

/* ---- length fields that disagree with the packet ---- */

/* Total Length beyond the buffer by 1, by 100, and 0xffff. */
START_TEST(ipv4_total_length_beyond_buffer)
{
	static const uint16_t extra[] = {1, 100};
	size_t n = udp4_pkt(F->in, SRV4, client4());

	put_be16_test(F->in + 2, _i < 2 ? (uint16_t)(n + extra[_i]) : 0xffff);
	refix_ipv4_csum(F->in, 20);
	run(F->in, n);
	expect_drop(DIR_4TO6, CTR_DROP_BAD_LENGTH);
}
END_TEST

/* Total Length 0 .. 19: below the 20-byte header. */
START_TEST(ipv4_total_length_below_header)
{
	size_t n = udp4_pkt(F->in, SRV4, client4());

	put_be16_test(F->in + 2, (uint16_t)_i);
	refix_ipv4_csum(F->in, 20);
	run(F->in, n);
	expect_drop(DIR_4TO6, CTR_DROP_BAD_LENGTH);
}
END_TEST

START_TEST(ipv6_payload_length_beyond_buffer)
{
	size_t n = udp6_pkt(F->in, client6(), SRV6);
	uint16_t plen = (uint16_t)(n - 40);

	static const uint16_t extra[] = {1, 100};

	put_be16_test(F->in + 4, _i < 2 ? (uint16_t)(plen + extra[_i]) : 0xffff);
	run(F->in, n);
	expect_drop(DIR_6TO4, CTR_DROP_BAD_LENGTH);
}
END_TEST

/* The UDP Length field: below its own 8-byte header (0 .. 7), or beyond
 * the IP payload (the datagram is cut short). */
START_TEST(udp_length_field)
{
	size_t n;

	if (_i < 8) {
		n = udp4_pkt(F->in, SRV4, client4());
		put_be16_test(F->in + 24, (uint16_t)_i);
		run(F->in, n);
		expect_drop(DIR_4TO6, CTR_DROP_BAD_LENGTH);
		n = udp6_pkt(F->in, client6(), SRV6);
		put_be16_test(F->in + 44, (uint16_t)_i);
		run(F->in, n);
		expect_drop(DIR_6TO4, CTR_DROP_BAD_LENGTH);
		return;
	}
	n = udp4_pkt(F->in, SRV4, client4());
	put_be16_test(F->in + 24, (uint16_t)(n - 20 + 1));
	run(F->in, n);
	expect_drop(DIR_4TO6, CTR_DROP_TRUNCATED);
	n = udp6_pkt(F->in, client6(), SRV6);
	put_be16_test(F->in + 44, (uint16_t)(n - 40 + 1));
	run(F->in, n);
	expect_drop(DIR_6TO4, CTR_DROP_TRUNCATED);
}
END_TEST

START_TEST(ipv4_bad_header_checksum)
{
	size_t n = udp4_pkt(F->in, SRV4, client4());

	/* every bit of the checksum field, one at a time (_i 0..15) */
	F->in[10 + _i / 8] ^= (uint8_t)(1u << (_i % 8));
	run(F->in, n);
	expect_drop(DIR_4TO6, CTR_DROP_BAD_IPV4_CSUM);
}
END_TEST

/* IHL 0 .. 4, with a checksum that is right for the 20 bytes. */
START_TEST(ipv4_ihl_below_5)
{
	size_t n = udp4_pkt(F->in, SRV4, client4());

	F->in[0] = (uint8_t)(0x40 | _i);
	refix_ipv4_csum(F->in, 20);
	run(F->in, n);
	expect_drop(DIR_4TO6, CTR_DROP_BAD_IHL);
}
END_TEST

/* IHL larger than Total Length says the packet is (0: IHL 15, Total
 * Length 28, link padding to 64 bytes; 1: IHL 6, Total Length 22): the
 * length field disagrees. 2: IHL 15 in a 40-byte buffer: the header is
 * cut short. */
START_TEST(ipv4_ihl_beyond_total_length)
{
	size_t n = udp4_pkt(F->in, SRV4, client4());

	memset(F->in + n, 0, 64);
	switch (_i) {
	case 0:
		F->in[0] = 0x4f;
		put_be16_test(F->in + 2, 28);
		refix_ipv4_csum(F->in, 60);
		run(F->in, 64);
		expect_drop(DIR_4TO6, CTR_DROP_BAD_LENGTH);
		break;
	case 1:
		F->in[0] = 0x46;
		put_be16_test(F->in + 2, 22);
		refix_ipv4_csum(F->in, 24);
		run(F->in, n);
		expect_drop(DIR_4TO6, CTR_DROP_BAD_LENGTH);
		break;
	default:
		F->in[0] = 0x4f;
		refix_ipv4_csum(F->in, 60);
		run(F->in, 40);
		expect_drop(DIR_4TO6, CTR_DROP_TRUNCATED);
		break;
	}
}
END_TEST

/* ---- IPv6 extension headers ---- */

/* Chains that run off the end of the payload; all DROP_TRUNCATED:
 * 0 Hop-by-Hop claiming 56 bytes in 16; 1 a Fragment header cut to 4
 * bytes; 2 a Destination Options header promising a Routing header that
 * is not there; 3 a Routing header (Segments Left 0) claiming 24 bytes in
 * 8; 4 Destination Options cut to 6 bytes (less than its fixed 8). */
static const struct {
	uint8_t first;
	uint8_t ext[24];
	size_t len;
} chains_past_end[] = {
    {0, {17, 6, 1, 4}, 16},   {44, {17, 0, 0, 0}, 4}, {60, {43, 0, 1, 4}, 8},
    {43, {17, 2, 253, 0}, 8}, {60, {17, 0, 1, 4}, 6},
};

START_TEST(ext_chain_past_end)
{
	struct tp_ip6 h = {.src = client6(),
	                   .dst = SRV6,
	                   .nh = chains_past_end[_i].first,
	                   .hlim = 64,
	                   .keep_l4_csum = true};

	run(F->in, tp_ip6(F->in, &h, chains_past_end[_i].ext, chains_past_end[_i].len));
	expect_drop(DIR_6TO4, CTR_DROP_TRUNCATED);
}
END_TEST

/* n 8-byte Destination Options headers (PadN), the last one pointing at
 * last_nh. Returns the length. */
static size_t dstopts_chain(uint8_t *ext, size_t n, uint8_t last_nh)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t *e = ext + 8 * i;

		memset(e, 0, 8);
		e[0] = i + 1 < n ? 60 : last_nh;
		e[2] = 1; /* PadN */
		e[3] = 4;
	}
	return 8 * n;
}

/* 100 Destination Options headers: RFC 8200 §4.1 says it "should occur at
 * most twice", but gives no limit to a node that meets more; each header
 * is at least 8 bytes, so the walk is bounded by the payload length. The
 * translator skips them (RFC 7915 §5.1) and translates the datagram. */
START_TEST(sl_ext_100_dstopts_translated)
{
	size_t el = dstopts_chain(S->ext, 100, 17);
	struct tp_ip6 h = {.src = SL_C6,
	                   .dst = SRV6,
	                   .nh = 17,
	                   .hlim = 64,
	                   .tclass = 0xb8,
	                   .ext = S->ext,
	                   .ext_len = el,
	                   .ext_first = 60};
	struct tp_ip4 h4 = {.src = SL_C4, .dst = SRV4, .proto = 17, .ttl = 63, .tos = 0xb8};
	size_t n = tp_ip6(F->in, &h, F->l4, tp_udp(F->l4, 5353, 53, udp_payload, 15));
	size_t en = tp_ip4(F->exp, &h4, F->l4, tp_udp(F->l4, 5353, 53, udp_payload, 15));

	run(F->in, n);
	expect_translated(DIR_6TO4, F->exp, en, n);
	ck_assert(tp_csums_ok(F->out, F->out_len));
}
END_TEST

/* The longest chain a packet can hold: 8191 Destination Options headers
 * and 7 bytes of UDP in a 65535-byte payload. The walk ends (bounded) and
 * the cut UDP header is counted. */
START_TEST(ext_longest_chain)
{
	size_t el = dstopts_chain(S->ext, MAX_PAYLOAD6 / 8, 17);
	struct tp_ip6 h = {.src = client6(),
	                   .dst = SRV6,
	                   .nh = 17,
	                   .hlim = 64,
	                   .ext = S->ext,
	                   .ext_len = el,
	                   .ext_first = 60,
	                   .keep_l4_csum = true};
	size_t n;

	ck_assert_uint_eq(el, 65528);
	tp_udp(F->l4, 5353, 53, NULL, 0);
	n = tp_ip6(F->in, &h, F->l4, 7);
	ck_assert_uint_eq(n, 40 + MAX_PAYLOAD6);
	run(F->in, n);
	expect_drop(DIR_6TO4, CTR_DROP_TRUNCATED);

	/* and all headers, the last one cut to 7 bytes */
	el = dstopts_chain(S->ext, MAX_PAYLOAD6 / 8 + 1, 17);
	h.ext_len = MAX_PAYLOAD6;
	n = tp_ip6(F->in, &h, F->l4, 0);
	ck_assert_uint_eq(n, 40 + MAX_PAYLOAD6);
	run(F->in, n);
	expect_drop(DIR_6TO4, CTR_DROP_TRUNCATED);
}
END_TEST

/* RFC 7915 §5.1 after a long chain: 100 Destination Options headers and a
 * Routing header with Segments Left 1. Parameter Problem code 0 from own6,
 * pointer at Segments Left (40 + 800 + 3 = 843), quoting the packet. */
START_TEST(ext_long_chain_then_routing_answered)
{
	size_t el = dstopts_chain(S->ext, 100, 43);
	struct tp_ip6 h = {
	    .src = client6(), .dst = SRV6, .nh = 17, .hlim = 64, .ext = S->ext, .ext_first = 60};
	struct tp_ip6 he = {.src = own6_text(), .dst = client6(), .nh = 58, .hlim = 64};
	static const uint8_t rh[8] = {17, 0, 253, 1, 0, 0, 0, 0};
	size_t n, en;

	memcpy(S->ext + el, rh, sizeof(rh));
	h.ext_len = el + sizeof(rh);
	n = tp_ip6(F->in, &h, F->l4, tp_udp(F->l4, 5353, 53, udp_payload, 15));
	ck_assert_uint_eq(n, 40 + 808 + 23);
	en = tp_ip6(F->exp, &he, F->l4, tp_icmp(F->l4, 4, 0, 0, 843, F->in, n));
	run(F->in, n);
	expect_icmp_error(DIR_6TO4, CTR_DROP_EXT_HDR, F->exp, en);
}
END_TEST

/* ---- protocols the translator does not carry ---- */

/* IPv4 protocol / IPv6 next header values that are not TCP, UDP or the
 * family's own ICMP. ICMPv6 (58) inside IPv4 and ICMPv4 (1) inside IPv6
 * are on the list: neither is the family's ICMP, and translating them as
 * if they were (RFC 7915 §4.1/§5.1 only map 1 <-> 58) would put an ICMPv4
 * type into an ICMPv6 header. */
static const uint8_t other_proto4[] = {0, 2, 47, 50, 58, 132, 253, 255};
static const uint8_t other_proto6[] = {1, 2, 47, 50, 59, 132, 253, 255};

/* RFC 7915 §4.5: stateless forwards every transport protocol, payload
 * unchanged; stateful (RFC 6146) only TCP, UDP and ICMP. Never forwarded:
 * ICMP of the other family and numbers that are IPv6 extension headers;
 * No Next Header (59) is forwarded (§5.1 copies it into Protocol). */
static bool opaque_forwarded(uint8_t proto)
{
	return !stateful() && proto != 0 && proto != 1 && proto != 58 &&
	       proto != 253 && proto != 255;
}

/* Forwarded: the protocol number and the payload are as they came. */
static void expect_opaque(enum tun64_dir dir, uint8_t proto, const uint8_t *l4, size_t l4n)
{
	size_t hlen = dir == DIR_4TO6 ? 40 : 20;

	expect_translated_only(dir);
	ck_assert_uint_eq(F->out_len, hlen + l4n);
	ck_assert_uint_eq(F->out[dir == DIR_4TO6 ? 6 : 9], proto);
	ck_assert(memcmp(F->out + hlen, l4, l4n) == 0);
	ck_assert(tp_csums_ok(F->out, F->out_len));
}

START_TEST(unknown_proto_4to6)
{
	uint8_t proto = other_proto4[_i];
	struct tp_ip4 h = {
	    .src = SRV4, .dst = client4(), .proto = proto, .ttl = 64, .keep_l4_csum = true};
	uint8_t data[16];
	size_t l4n;

	tp_fill(data, sizeof(data), 0x5a);
	/* an ICMPv6 echo request, for protocol 58 */
	l4n = tp_icmp(F->l4, 128, 0, 0x4242, 1, data, sizeof(data));
	run(F->in, tp_ip4(F->in, &h, F->l4, l4n));
	if (opaque_forwarded(proto))
		expect_opaque(DIR_4TO6, proto, F->l4, l4n);
	else
		expect_drop(DIR_4TO6, CTR_DROP_UNSUPPORTED_PROTO);
}
END_TEST

START_TEST(unknown_proto_6to4)
{
	uint8_t nh = other_proto6[_i];
	struct tp_ip6 h = {
	    .src = client6(), .dst = SRV6, .nh = nh, .hlim = 64, .keep_l4_csum = true};
	uint8_t data[16];
	size_t l4n;

	tp_fill(data, sizeof(data), 0x5a);
	/* an ICMPv4 echo request with its checksum, for next header 1 */
	l4n = tp_icmp(F->l4, 8, 0, 0x4242, 1, data, sizeof(data));
	put_be16_test(F->l4 + 2, ref_csum(F->l4, l4n));
	run(F->in, tp_ip6(F->in, &h, F->l4, l4n));
	if (opaque_forwarded(nh))
		expect_opaque(DIR_6TO4, nh, F->l4, l4n);
	else
		expect_drop(DIR_6TO4, CTR_DROP_UNSUPPORTED_PROTO);
}
END_TEST

/* ---- ICMP errors with a bad quoted packet ---- */

/* An ICMPv4 / ICMPv6 error (type, code, rest 0) quoting q[0..qlen). */
static size_t icmp4_err(uint8_t *o, const char *src, const char *dst, uint8_t type, uint8_t code,
                        const uint8_t *q, size_t qlen)
{
	struct tp_ip4 h = {.src = src, .dst = dst, .proto = 1, .ttl = 64};

	return tp_ip4(o, &h, S->err_l4, tp_icmp(S->err_l4, type, code, 0, 0, q, qlen));
}

static size_t icmp6_err(uint8_t *o, const char *src, const char *dst, uint8_t type, uint8_t code,
                        const uint8_t *q, size_t qlen)
{
	struct tp_ip6 h = {.src = src, .dst = dst, .nh = 58, .hlim = 64};

	return tp_ip6(o, &h, S->err_l4, tp_icmp(S->err_l4, type, code, 0, 0, q, qlen));
}

/* What the IPv4 server sent to the client (4->6 errors quote it), and
 * what the server's IPv6 name sent to the client (6->4 errors). */
static size_t quoted4(uint8_t *q, uint8_t proto)
{
	struct tp_ip4 h = {.src = client4(), .dst = SRV4, .proto = proto, .ttl = 60, .frag = TP_DF};

	return tp_ip4(q, &h, F->l4, tp_udp(F->l4, 5353, 53, udp_payload, 15));
}

static size_t quoted6(uint8_t *q, uint8_t nh)
{
	struct tp_ip6 h = {.src = SRV6, .dst = client6(), .nh = nh, .hlim = 60};

	return tp_ip6(q, &h, F->l4, tp_udp(F->l4, 53, 5353, udp_payload, 15));
}

/* A translated ICMP error whose quoted packet carries protocol proto (the
 * byte at offset at of the output). */
static void expect_icmp_quoting(enum tun64_dir dir, size_t at, uint8_t proto)
{
	ck_assert_int_eq(F->verdict, XLAT_SEND);
	xf_expect_moved(F, dir, CTR_RX, CTR_TRANSLATED, CTR_MAX);
	ck_assert_uint_gt(F->out_len, at);
	ck_assert_uint_eq(F->out[at], proto);
	ck_assert(tp_csums_ok(F->out, F->out_len));
}

/* Port Unreachable quoting 0 .. 27 (IPv6: 47) bytes of a UDP datagram. A
 * quote without its whole IP header is dropped. From there RFC 7915 §4.3/
 * §5.3 translate the IP header and the transport header where present:
 * stateless translates (the protocol byte of the quoted header is checked);
 * stateful needs the ports to find the session (RFC 6146 §3.4): without
 * them drop-icmp-inner, with them the lookup fails here, as no packet of
 * this flow went out. (Changed from "all dropped": §4.3/§5.3.) */
static void expect_quote_cut(enum tun64_dir dir, size_t n, size_t ip_hdr, size_t at)
{
	if (n < ip_hdr)
		expect_drop(dir, CTR_DROP_ICMP_INNER);
	else if (F->cfg.mode == XLAT_STATELESS)
		expect_icmp_quoting(dir, at, 17);
	else if (n < ip_hdr + 4)
		expect_drop(dir, CTR_DROP_ICMP_INNER);
	else
		expect_drop(dir, CTR_DROP_NO_STATE);
}

START_TEST(icmp4_err_quote_truncated)
{
	quoted4(S->quote, 17);
	run(F->in, icmp4_err(F->in, ROUTER4, client4(), 3, 3, S->quote, (size_t)_i));
	/* IPv6 + ICMPv6 header, then the quoted Next Header */
	expect_quote_cut(DIR_4TO6, (size_t)_i, 20, 40 + 8 + 6);
}
END_TEST

START_TEST(icmp6_err_quote_truncated)
{
	quoted6(S->quote, 17);
	run(F->in, icmp6_err(F->in, client6(), SRV6, 1, 4, S->quote, (size_t)_i));
	/* IPv4 + ICMP header, then the quoted Protocol */
	expect_quote_cut(DIR_6TO4, (size_t)_i, 40, 20 + 8 + 9);
}
END_TEST

/* Quotes that are whole but not translatable, RFC 7915 §4.3/§5.3 and
 * RFC 6146 §3.4: 0 an ICMP error quoting an ICMP error; 1 an unknown
 * protocol (253); 2 GRE; 3 the other family's ICMP; 4 a wrong IP version
 * in the quote; 5 (IPv4) IHL 4 / (IPv6) an extension header that runs off
 * the quote. */
START_TEST(icmp4_err_quote_untranslatable)
{
	size_t qn = quoted4(S->quote, 17);
	uint8_t inner[256];
	size_t in_n;

	switch (_i) {
	case 0:
		in_n = icmp4_err(inner, client4(), SRV4, 3, 3, S->quote, qn);
		memcpy(S->quote, inner, in_n);
		qn = in_n;
		break;
	case 1:
	case 2:
		S->quote[9] = _i == 1 ? 253 : 47;
		refix_ipv4_csum(S->quote, 20);
		break;
	case 3:
		/* protocol 58 carrying what would pass for an ICMPv4 echo */
		S->quote[9] = 58;
		refix_ipv4_csum(S->quote, 20);
		tp_icmp(S->quote + 20, 8, 0, 0x4242, 1, NULL, 0);
		break;
	case 4:
		S->quote[0] = 0x65;
		break;
	default:
		S->quote[0] = 0x44;
		refix_ipv4_csum(S->quote, 20);
		break;
	}
	run(F->in, icmp4_err(F->in, ROUTER4, client4(), 3, 3, S->quote, qn));
	if (_i == 2 && !stateful()) /* GRE: stateless quotes any protocol as is */
		expect_icmp_quoting(DIR_4TO6, 40 + 8 + 6, 47);
	else
		expect_drop(DIR_4TO6, CTR_DROP_ICMP_INNER);
}
END_TEST

START_TEST(icmp6_err_quote_untranslatable)
{
	size_t qn = quoted6(S->quote, 17);
	uint8_t inner[256];
	size_t in_n;

	switch (_i) {
	case 0:
		in_n = icmp6_err(inner, SRV6, client6(), 1, 4, S->quote, qn);
		memcpy(S->quote, inner, in_n);
		qn = in_n;
		break;
	case 1:
	case 2:
		S->quote[6] = _i == 1 ? 253 : 47;
		break;
	case 3:
		/* next header 1 carrying what would pass for an ICMPv6 echo */
		S->quote[6] = 1;
		tp_icmp(S->quote + 40, 128, 0, 0x4242, 1, NULL, 0);
		break;
	case 4:
		S->quote[0] = 0x45;
		break;
	default:
		/* Hop-by-Hop claiming 64 bytes, in a quote of 63 */
		S->quote[6] = 0;
		S->quote[40] = 17;
		S->quote[41] = 7;
		break;
	}
	run(F->in, icmp6_err(F->in, client6(), SRV6, 1, 4, S->quote, qn));
	if (_i == 2 && !stateful())
		expect_icmp_quoting(DIR_6TO4, 20 + 8 + 9, 47);
	else
		expect_drop(DIR_6TO4, CTR_DROP_ICMP_INNER);
}
END_TEST

/* ---- addresses that never source or receive a translated packet ---- */

static const char *const special4[] = {"255.255.255.255", "224.0.0.1", "127.0.0.1", "0.0.0.0"};
/* The same, RFC 6052-embedded in the translation prefix. */
static const char *const special4_in_prefix[] = {"2001:db8:64::ffff:ffff", "2001:db8:64::e000:1",
                                                 "2001:db8:64::7f00:1", "2001:db8:64::"};
static const char *const special6[] = {"ff02::1", "::1", "::", "fe80::1"};

/* RFC 1812 §5.3.7: a router must not forward a packet from a broadcast,
 * multicast, loopback or "this network" (0/8) source. */
START_TEST(ipv4_special_source)
{
	run(F->in, udp4_pkt(F->in, special4[_i], client4()));
	expect_drop(DIR_4TO6, CTR_DROP_BAD_SRC);
}
END_TEST

/* RFC 4291 §2.7: multicast is never a source; §2.5.2/§2.5.3: neither the
 * unspecified nor the loopback address leaves a node; §2.5.6: routers must
 * not forward packets with a link-local source to other links. */
START_TEST(ipv6_special_source)
{
	run(F->in, udp6_pkt(F->in, special6[_i], SRV6));
	expect_drop(DIR_6TO4, CTR_DROP_BAD_SRC);
}
END_TEST

/* Outside the translation prefix: nothing to translate to. */
START_TEST(ipv6_special_destination)
{
	run(F->in, udp6_pkt(F->in, client6(), special6[_i]));
	expect_drop(DIR_6TO4, CTR_DROP_NOT_TRANSLATABLE_DST);
}
END_TEST

/* Inside the prefix, but the IPv4 address is limited broadcast, multicast,
 * loopback or 0.0.0.0: RFC 1812 §5.3.5.1 (limited broadcast is not
 * forwarded), §5.3.7 (nor 127/8 and 0/8 destinations); a NAT64 has no
 * multicast translation (RFC 6146 handles unicast only). */
START_TEST(ipv6_to_special4_in_prefix)
{
	run(F->in, udp6_pkt(F->in, client6(), special4_in_prefix[_i]));
	expect_drop(DIR_6TO4, CTR_DROP_NOT_TRANSLATABLE_DST);
}
END_TEST

/* The same four as IPv4 destinations (stateful: not pool4; stateless:
 * would become prefix::a.b.c.d, an IPv6 unicast that is a lie). */
START_TEST(ipv4_special_destination)
{
	run(F->in, udp4_pkt(F->in, SRV4, special4[_i]));
	expect_drop(DIR_4TO6, CTR_DROP_NOT_TRANSLATABLE_DST);
}
END_TEST

/* Stateless: a source inside the prefix that maps to one of the four is
 * as bad a source as the IPv4 address itself (RFC 1812 §5.3.7). */
START_TEST(sl_ipv6_source_maps_to_special4)
{
	run(F->in, udp6_pkt(F->in, special4_in_prefix[_i], SRV6));
	expect_drop(DIR_6TO4, CTR_DROP_BAD_SRC);
}
END_TEST

/* ---- loops (stateful) ---- */

/* An IPv6 source inside the translation prefix names an IPv4 host: a
 * packet from it came out of the translator (or pretends to). 0 a mapped
 * server, 1 own6, 2 the prefix itself. */
START_TEST(sf_loop_source_in_prefix)
{
	static const char *const src[] = {SRV6, OWN6_SF, "2001:db8:64::"};

	run(F->in, udp6_pkt(F->in, src[_i], SRV6));
	expect_drop(DIR_6TO4, CTR_DROP_BAD_SRC);
}
END_TEST

/* An IPv4 source in pool4 is the translator's own: 0 .0, 1 own4, 2 .15. */
START_TEST(sf_loop_source_in_pool4)
{
	static const char *const src[] = {POOL4, OWN4_SF, "198.51.100.15"};

	run(F->in, udp4_pkt(F->in, src[_i], SF_T4));
	expect_drop(DIR_4TO6, CTR_DROP_BAD_SRC);
}
END_TEST

/* ---- fragments ---- */

/* A first fragment (MF) holding 0 .. 19 bytes of a TCP header: the
 * tiny-fragment attack of RFC 1858 §3; its ports are not all there. */
START_TEST(tiny_first_fragment4_tcp)
{
	struct tp_ip4 h = {.src = SRV4,
	                   .dst = client4(),
	                   .proto = 6,
	                   .ttl = 64,
	                   .id = 7,
	                   .frag = TP_MF,
	                   .keep_l4_csum = true};

	tp_tcp(F->l4, 80, 40000, 1, 2, TP_SYN, NULL, 0);
	run(F->in, tp_ip4(F->in, &h, F->l4, (size_t)_i));
	expect_drop(DIR_4TO6, CTR_DROP_TRUNCATED);
}
END_TEST

START_TEST(tiny_first_fragment6_tcp)
{
	uint8_t fh[8] = {6, 0, 0, 1, 0, 0, 0, 7};
	struct tp_ip6 h = {.src = client6(),
	                   .dst = SRV6,
	                   .nh = 6,
	                   .hlim = 64,
	                   .ext = fh,
	                   .ext_len = 8,
	                   .ext_first = 44,
	                   .keep_l4_csum = true};

	tp_tcp(F->l4, 40000, 80, 1, 0, TP_SYN, NULL, 0);
	run(F->in, tp_ip6(F->in, &h, F->l4, (size_t)_i));
	expect_drop(DIR_6TO4, CTR_DROP_TRUNCATED);
}
END_TEST

/* RFC 7112 §5: a first fragment must hold the whole header chain; here a
 * Destination Options header claiming 16 bytes has 8 after the Fragment
 * header. */
START_TEST(first_fragment6_incomplete_chain)
{
	uint8_t ext[16] = {60, 0, 0, 1, 0, 0, 0, 7, 17, 1, 1, 4};
	struct tp_ip6 h = {.src = client6(),
	                   .dst = SRV6,
	                   .nh = 17,
	                   .hlim = 64,
	                   .ext = ext,
	                   .ext_len = sizeof(ext),
	                   .ext_first = 44,
	                   .keep_l4_csum = true};

	run(F->in, tp_ip6(F->in, &h, F->l4, 0));
	expect_drop(DIR_6TO4, CTR_DROP_TRUNCATED);
}
END_TEST

/* A 108-byte UDP datagram, checksummed over the given addresses. */
#define DGRAM_LEN 108

static void udp_dgram(uint8_t *l4, const char *src, const char *dst, bool v6)
{
	uint8_t data[DGRAM_LEN - 8], s[16], d[16];
	uint16_t c;

	tp_fill(data, sizeof(data), 0x41);
	tp_udp(l4, 5353, 53, data, sizeof(data));
	if (v6) {
		tp_addr6(src, s);
		tp_addr6(dst, d);
		c = ref_l4_csum6(s, d, 17, l4, DGRAM_LEN);
	} else {
		tp_addr4(src, s);
		tp_addr4(dst, d);
		c = ref_l4_csum4(s, d, 17, l4, DGRAM_LEN);
	}
	put_be16_test(l4 + 6, c);
}

/* IPv6 / IPv4 fragment: bytes dgram[off .. off+len) at byte offset
 * frag_off (a multiple of 8). */
static size_t frag6(uint8_t *o, const char *src, const char *dst, uint8_t hlim,
                    const uint8_t *bytes, size_t len, uint32_t frag_off, bool more, uint32_t id)
{
	uint8_t fh[8] = {17,
	                 0,
	                 (uint8_t)((frag_off / 8) >> 5),
	                 (uint8_t)((frag_off / 8) << 3 | more),
	                 (uint8_t)(id >> 24),
	                 (uint8_t)(id >> 16),
	                 (uint8_t)(id >> 8),
	                 (uint8_t)id};
	struct tp_ip6 h = {.src = src,
	                   .dst = dst,
	                   .nh = 17,
	                   .hlim = hlim,
	                   .ext = fh,
	                   .ext_len = sizeof(fh),
	                   .ext_first = 44,
	                   .keep_l4_csum = true};

	return tp_ip6(o, &h, bytes, len);
}

static size_t frag4(uint8_t *o, const char *src, const char *dst, uint8_t ttl, const uint8_t *bytes,
                    size_t len, uint32_t frag_off, bool more, uint16_t id)
{
	struct tp_ip4 h = {.src = src,
	                   .dst = dst,
	                   .proto = 17,
	                   .ttl = ttl,
	                   .id = id,
	                   .frag = (uint16_t)(frag_off / 8 | (more ? TP_MF : 0)),
	                   .keep_l4_csum = true};

	return tp_ip4(o, &h, bytes, len);
}

/* Overlapping fragments (bytes 0..47, then 40..107): the translator does
 * not reassemble (RFC 7915 §5.1.1 / §4.1 translate each fragment alone);
 * the receiver discards overlaps (RFC 5722 §3 for IPv6, RFC 1858 §4 for
 * TCP; TCP at offset 8 is refused, see test_xlat frag_refused). Both go
 * through, each as a fragment. */
START_TEST(sl_overlapping_fragments_6to4)
{
	static uint8_t d6[DGRAM_LEN], d4[DGRAM_LEN];
	size_t n, en;

	udp_dgram(d6, SL_C6, SRV6, true);
	udp_dgram(d4, SL_C4, SRV4, false);
	n = frag6(F->in, SL_C6, SRV6, 64, d6, 48, 0, true, 0x11223344);
	en = frag4(F->exp, SL_C4, SRV4, 63, d4, 48, 0, true, 0x3344);
	run(F->in, n);
	expect_translated(DIR_6TO4, F->exp, en, n);

	n = frag6(F->in, SL_C6, SRV6, 64, d6 + 40, DGRAM_LEN - 40, 40, false, 0x11223344);
	en = frag4(F->exp, SL_C4, SRV4, 63, d6 + 40, DGRAM_LEN - 40, 40, false, 0x3344);
	run(F->in, n);
	expect_translated(DIR_6TO4, F->exp, en, n);
}
END_TEST

START_TEST(sl_overlapping_fragments_4to6)
{
	static uint8_t d6[DGRAM_LEN], d4[DGRAM_LEN];
	size_t n, en;

	udp_dgram(d4, SRV4, SL_C4, false);
	udp_dgram(d6, SRV6, SL_C6, true);
	n = frag4(F->in, SRV4, SL_C4, 50, d4, 48, 0, true, 0xabcd);
	en = frag6(F->exp, SRV6, SL_C6, 49, d6, 48, 0, true, 0xabcd);
	run(F->in, n);
	expect_translated(DIR_4TO6, F->exp, en, n);

	n = frag4(F->in, SRV4, SL_C4, 50, d4 + 40, DGRAM_LEN - 40, 40, false, 0xabcd);
	en = frag6(F->exp, SRV6, SL_C6, 49, d4 + 40, DGRAM_LEN - 40, 40, false, 0xabcd);
	run(F->in, n);
	expect_translated(DIR_4TO6, F->exp, en, n);
}
END_TEST

/* A fragment whose offset + length passes 65535: no datagram can be
 * reassembled from it (RFC 791 §3.2: Total Length is 16 bits; RFC 8200
 * §4.5: the destination discards it with a Parameter Problem). Offset
 * 65512, 48 bytes: 65560. Expected: dropped as drop-fragment. */
#define OVERFLOW_OFF 65512
#define OVERFLOW_LEN 48

START_TEST(fragment_offset_overflow_4to6)
{
	uint8_t data[OVERFLOW_LEN];

	tp_fill(data, sizeof(data), 3);
	run(F->in, frag4(F->in, SRV4, client4(), 50, data, sizeof(data), OVERFLOW_OFF, false, 9));
	expect_drop(DIR_4TO6, CTR_DROP_FRAGMENT);
}
END_TEST

START_TEST(fragment_offset_overflow_6to4)
{
	static uint8_t d6[DGRAM_LEN];
	uint8_t data[OVERFLOW_LEN];

	/* stateful: the first fragment is seen first, so the table has it */
	udp_dgram(d6, client6(), SRV6, true);
	run(F->in, frag6(F->in, client6(), SRV6, 64, d6, 48, 0, true, 9));
	ck_assert_int_eq(F->verdict, XLAT_SEND);

	tp_fill(data, sizeof(data), 3);
	run(F->in, frag6(F->in, client6(), SRV6, 64, data, sizeof(data), OVERFLOW_OFF, false, 9));
	expect_drop(DIR_6TO4, CTR_DROP_FRAGMENT);
}
END_TEST

/* ---- TCP flags the translator does not judge ---- */

/* SYN+FIN is nonsense, but RFC 7915 translates headers and RFC 6146 §3.5.2
 * only tracks state: neither inspects flag combinations, so it passes
 * (stateful: it opens the session a SYN would). Policy belongs to a
 * firewall in front. */
START_TEST(tcp_syn_fin_passes)
{
	struct tp_ip6 h6 = {.src = client6(), .dst = SRV6, .nh = 6, .hlim = 64};
	struct tp_ip4 h4 = {.src = SL_C4, .dst = SRV4, .proto = 6, .ttl = 63};
	size_t n, en;

	n = tp_ip6(F->in, &h6, F->l4, tp_tcp(F->l4, 40000, 80, 1, 0, TP_SYN | TP_FIN, NULL, 0));
	run(F->in, n);
	expect_translated_only(DIR_6TO4);
	ck_assert(tp_csums_ok(F->out, F->out_len));
	if (stateful())
		return; /* the source is whatever pool4 address the BIB chose */
	en = tp_ip4(F->exp, &h4, F->l4, tp_tcp(F->l4, 40000, 80, 1, 0, TP_SYN | TP_FIN, NULL, 0));
	ck_assert(tp_same(F->out, F->out_len, F->exp, en));
}
END_TEST

/* ---- suite ---- */

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* Tests that hold in both modes. */
static void add_common(TCase *tc)
{
	tcase_add_loop_test(tc, trunc_ipv4_header, 0, 20);
	tcase_add_loop_test(tc, trunc_ipv6_header, 0, 40);
	tcase_add_loop_test(tc, cut_ipv4_inside_transport, 0, 20);
	tcase_add_loop_test(tc, cut_ipv6_inside_transport, 0, 20);
	tcase_add_loop_test(tc, trunc_tcp4, 0, 20);
	tcase_add_loop_test(tc, trunc_udp4, 0, 8);
	tcase_add_loop_test(tc, trunc_icmp4_echo, 0, 8);
	tcase_add_loop_test(tc, trunc_icmp4_error, 1, 8);
	tcase_add_loop_test(tc, trunc_tcp6, 0, 20);
	tcase_add_loop_test(tc, trunc_udp6, 0, 8);
	tcase_add_loop_test(tc, trunc_icmp6_echo, 0, 8);
	tcase_add_loop_test(tc, trunc_icmp6_error, 1, 8);
	tcase_add_loop_test(tc, ipv4_total_length_beyond_buffer, 0, 3);
	tcase_add_loop_test(tc, ipv4_total_length_below_header, 0, 20);
	tcase_add_loop_test(tc, ipv6_payload_length_beyond_buffer, 0, 3);
	tcase_add_loop_test(tc, udp_length_field, 0, 9);
	tcase_add_loop_test(tc, ipv4_bad_header_checksum, 0, 16);
	tcase_add_loop_test(tc, ipv4_ihl_below_5, 0, 5);
	tcase_add_loop_test(tc, ipv4_ihl_beyond_total_length, 0, 3);
	tcase_add_loop_test(tc, ext_chain_past_end, 0, N(chains_past_end));
	tcase_add_test(tc, ext_longest_chain);
	tcase_add_test(tc, ext_long_chain_then_routing_answered);
	tcase_add_loop_test(tc, unknown_proto_4to6, 0, N(other_proto4));
	tcase_add_loop_test(tc, unknown_proto_6to4, 0, N(other_proto6));
	tcase_add_loop_test(tc, icmp4_err_quote_truncated, 0, 28);
	tcase_add_loop_test(tc, icmp6_err_quote_truncated, 0, 48);
	tcase_add_loop_test(tc, icmp4_err_quote_untranslatable, 0, 6);
	tcase_add_loop_test(tc, icmp6_err_quote_untranslatable, 0, 6);
	tcase_add_loop_test(tc, ipv4_special_source, 0, N(special4));
	tcase_add_loop_test(tc, ipv6_special_source, 0, N(special6));
	tcase_add_loop_test(tc, ipv6_special_destination, 0, N(special6));
	tcase_add_loop_test(tc, ipv6_to_special4_in_prefix, 0, N(special4_in_prefix));
	tcase_add_loop_test(tc, ipv4_special_destination, 0, N(special4));
	tcase_add_loop_test(tc, tiny_first_fragment4_tcp, 0, 20);
	tcase_add_loop_test(tc, tiny_first_fragment6_tcp, 0, 20);
	tcase_add_test(tc, first_fragment6_incomplete_chain);
	tcase_add_test(tc, fragment_offset_overflow_6to4);
	tcase_add_test(tc, tcp_syn_fin_passes);
}

static Suite *malformed_suite(void)
{
	Suite *s = suite_create("malformed");
	TCase *tc;

	tc = tcase_create("stateless");
	tcase_add_checked_fixture(tc, stateless_setup, teardown);
	add_common(tc);
	tcase_add_test(tc, sl_ext_100_dstopts_translated);
	tcase_add_loop_test(tc, sl_ipv6_source_maps_to_special4, 0, N(special4_in_prefix));
	tcase_add_test(tc, sl_overlapping_fragments_6to4);
	tcase_add_test(tc, sl_overlapping_fragments_4to6);
	tcase_add_test(tc, fragment_offset_overflow_4to6);
	suite_add_tcase(s, tc);

	tc = tcase_create("stateful");
	tcase_add_checked_fixture(tc, stateful_setup, teardown);
	add_common(tc);
	tcase_add_loop_test(tc, sf_loop_source_in_prefix, 0, 3);
	tcase_add_loop_test(tc, sf_loop_source_in_pool4, 0, 3);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(malformed_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
