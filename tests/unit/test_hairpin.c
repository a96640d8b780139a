/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for hairpinned ICMPv6 errors in translator/core (xlat_4to6.c, dispatch.c): an ICMPv6
 * error about a packet that was itself hairpinned is addressed, once
 * translated, to the translator's own IPv4 side (stateful: RFC 6146 §3.8,
 * an address of pool4; stateless: RFC 7757 §4 condition B, the quoted
 * source mapped by RFC 6052 into an EAM IPv4 prefix). It must come back out
 * as an ICMPv6 error to the other IPv6 node, at once, not as IPv4.
 *
 * Whole packets in, whole packets out, compared byte for byte with packets
 * built by pkt_helpers (reference checksum). Addresses under the fixture's
 * prefix 2001:db8:64::/96 are written out by hand (pool6_text), not by
 * addr.c. Errors that must not hairpin are checked to leave as ICMPv4. */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "eam.h"
#include "nat64.h"
#include "pkt_helpers.h"
#include "xlat.h"
#include "xlat_fixture.h"

/* Stateful: two IPv6-only clients, pool4 198.51.100.0/28. */
#define SF_A6 "2001:db8:6::a"
#define SF_B6 "2001:db8:6::b"
#define OWN4_SF "198.51.100.1"
#define OWN6_SF "2001:db8:64::c633:6401"
/* Stateless: EAM 192.0.2.16/28 <-> 2001:db8:6::/124. */
#define SL_A6 "2001:db8:6::1" /* EAM 192.0.2.17 */
#define SL_A4 "192.0.2.17"
#define SL_A6_6052 "2001:db8:64::c000:211" /* 192.0.2.17 by RFC 6052 */
#define SL_B6 "2001:db8:6::2"              /* EAM 192.0.2.18 */
#define SL_B6_6052 "2001:db8:64::c000:212" /* 192.0.2.18 by RFC 6052 */
#define SL_R6 "2001:db8:6::5"              /* a router with EAM 192.0.2.21 */
#define SL_R6_UNMAPPED "2001:db8:7::1"     /* a router without a mapping */
#define OWN4_SL "192.0.2.1"
#define OWN6_SL "2001:db8:64::c000:201"
/* An IPv4 server, on both sides. */
#define SRV4 "203.0.113.5"
#define SRV6 "2001:db8:64::cb00:7105"

#define BUF 4096

static struct xlat_fixture *F;

/* Buffers of these tests beside the fixture's. */
struct scratch {
	uint8_t q[BUF], qb[BUF], err_l4[BUF], l4[BUF], data[BUF];
};

static struct scratch *S;

/* ---- fixtures ---- */

static void scratch_new(void)
{
	S = calloc(1, sizeof(*S));
	ck_assert_ptr_nonnull(S);
}

static void stateful_setup(void)
{
	F = xf_new(XLAT_STATEFUL, OWN4_SF, OWN6_SF);
	xf_add_nat(F, &xf_nat_default);
	xf_add_frags(F);
	scratch_new();
}

static void eam_setup(void)
{
	struct eam_map m;
	char err[128];

	F = xf_new(XLAT_STATELESS, OWN4_SL, OWN6_SL);
	scratch_new();
	memset(&m, 0, sizeof(m));
	ck_assert_int_eq(prefix4_parse("192.0.2.16/28", &m.p4), 0);
	ck_assert_int_eq(prefix6_parse("2001:db8:6::/124", &m.p6), 0);
	F->cfg.eam = eam_table_new(&m, 1, err, sizeof(err));
	ck_assert_ptr_nonnull(F->cfg.eam);
}

static void teardown(void)
{
	xf_free(F);
	F = NULL;
	free(S);
	S = NULL;
}

/* ---- running and checking ---- */

static enum xlat_verdict run(const uint8_t *p, size_t len)
{
	return xf_run(F, p, len, false);
}

/* All counters of both directions are zero except the listed (dir,
 * counter) pairs, which are exactly 1; the list ends with DIR_MAX. */
static void expect_only(int dir, ...)
{
	uint64_t want[DIR_MAX][CTR_MAX] = {{0}};
	va_list ap;

	va_start(ap, dir);
	while (dir != DIR_MAX) {
		want[dir][va_arg(ap, int)] = 1;
		dir = va_arg(ap, int);
	}
	va_end(ap);
	xf_expect_counters(F, NULL, want);
}

static void expect_packet(const uint8_t *exp, size_t exp_len)
{
	ck_assert_int_eq(F->verdict, XLAT_SEND);
	ck_assert(tp_same(F->out, F->out_len, exp, exp_len));
	ck_assert(tp_csums_ok(F->out, F->out_len));
}

/* An ICMP error built by the translator: in ctx->scratch, and IPv6. */
static void expect_icmp6_error(const uint8_t *exp, size_t exp_len)
{
	expect_packet(exp, exp_len);
	ck_assert_ptr_eq(F->out, F->ctx.scratch);
	ck_assert_uint_eq(F->out[0] >> 4, 6);
}

/* The UDP checksum of the datagram an ICMPv6 error quotes whole (no
 * extension headers), checked with the reference checksum over the quoted
 * addresses. */
static void expect_quoted_udp6_ok(void)
{
	const uint8_t *ip6 = F->out + 48;
	size_t len = 40 + ((size_t)ip6[4] << 8 | ip6[5]);
	uint8_t udp[BUF];

	ck_assert_uint_eq(F->out_len, 48 + len);
	ck_assert_uint_eq(ip6[6], 17);
	memcpy(udp, ip6 + 40, len - 40);
	udp[6] = udp[7] = 0;
	ck_assert_uint_eq(ref_l4_csum6(ip6 + 8, ip6 + 24, 17, udp, len - 40),
	                  (uint16_t)(ip6[46] << 8 | ip6[47]));
}

/* ---- packets ---- */

static const uint8_t payload[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

/* 2001:db8:64::/96 + v4 (RFC 6052 §2.2, /96: the last 32 bits). */
static void pool6_text(uint32_t v4, char *buf, size_t len)
{
	snprintf(buf, len, "2001:db8:64::%x:%x", v4 >> 16, v4 & 0xffff);
}

static size_t udp6(uint8_t *o, const char *src, const char *dst, uint16_t sp, uint16_t dp,
                   uint8_t hlim, uint8_t tclass)
{
	struct tp_ip6 h = {.src = src, .dst = dst, .nh = 17, .hlim = hlim, .tclass = tclass};

	return tp_ip6(o, &h, S->l4, tp_udp(S->l4, sp, dp, payload, sizeof(payload)));
}

/* A UDP datagram of total IPv6 length total, deterministic payload. */
static size_t udp6_sized(uint8_t *o, const char *src, const char *dst, uint16_t sp, uint16_t dp,
                         uint8_t hlim, size_t total)
{
	struct tp_ip6 h = {.src = src, .dst = dst, .nh = 17, .hlim = hlim};

	tp_fill(S->data, total - 48, 7);
	return tp_ip6(o, &h, S->l4, tp_udp(S->l4, sp, dp, S->data, total - 48));
}

/* An ICMPv6 / ICMPv4 error quoting q[0..qlen); rest: the 32 bits after
 * the checksum. */
static size_t icmp6_err(uint8_t *o, const char *src, const char *dst, uint8_t hlim, uint8_t type,
                        uint8_t code, uint32_t rest, const uint8_t *q, size_t qlen)
{
	struct tp_ip6 h = {.src = src, .dst = dst, .nh = 58, .hlim = hlim};

	return tp_ip6(
	    o, &h, S->err_l4,
	    tp_icmp(S->err_l4, type, code, (uint16_t)(rest >> 16), (uint16_t)rest, q, qlen));
}

static size_t icmp4_err(uint8_t *o, const char *src, const char *dst, uint8_t ttl, uint16_t id,
                        uint8_t type, uint8_t code, const uint8_t *q, size_t qlen)
{
	struct tp_ip4 h = {.src = src, .dst = dst, .proto = 1, .ttl = ttl, .id = id};

	return tp_ip4(o, &h, S->err_l4, tp_icmp(S->err_l4, type, code, 0, 0, q, qlen));
}

/* ---- stateful (RFC 6146 §3.8) ---- */

/* The addresses of a stateful hairpin: A has (T_A,t_A) from a flow to a
 * server; B sends to T_A:t_A written in the prefix and so gets (T_B,t_B). */
struct sf_pair {
	uint32_t ta, tb;
	uint16_t tpa, tpb;
	char ta6[64], tb6[64];
};

/* A:5000 -> server (A's binding), then B:7000 -> T_A:t_A, hairpinned: A
 * gets it from T_B:t_B, hop limit 63 (one hop). That datagram, as A got
 * it, is left in S->q (*qlen); B's own, as B sent it but with the hop
 * limit A saw, in S->qb (*qblen). Counters are zeroed at the end. */
static void sf_hairpin_flow(struct sf_pair *p, size_t *qlen, size_t *qblen)
{
	uint8_t a6[16], b6[16];
	size_t n;

	tp_addr6(SF_A6, a6);
	tp_addr6(SF_B6, b6);
	run(F->in, udp6(F->in, SF_A6, SRV6, 5000, 53, 64, 0));
	ck_assert_int_eq(F->verdict, XLAT_SEND);
	ck_assert(nat64_bib_lookup6(F->ctx.nat, 17, a6, 5000, &p->ta, &p->tpa));
	pool6_text(p->ta, p->ta6, sizeof(p->ta6));

	n = udp6(F->in, SF_B6, p->ta6, 7000, p->tpa, 64, 0x28);
	run(F->in, n);
	ck_assert(nat64_bib_lookup6(F->ctx.nat, 17, b6, 7000, &p->tb, &p->tpb));
	pool6_text(p->tb, p->tb6, sizeof(p->tb6));
	*qlen = udp6(S->q, p->tb6, SF_A6, p->tpb, 5000, 63, 0x28);
	expect_packet(S->q, *qlen);
	ck_assert_uint_eq(F->ctr.v[DIR_6TO4][CTR_HAIRPINNED], 1);
	*qblen = udp6(S->qb, SF_B6, p->ta6, 7000, p->tpa, 63, 0x28);
	memset(&F->ctr, 0, sizeof(F->ctr));
}

/* A's host answers B's datagram with Port Unreachable. Translated, that
 * error goes to T_B, in pool4: it comes straight back as an ICMPv6 Port
 * Unreachable to B, from T_A in the prefix (the address B sent to),
 * quoting B's datagram with B's own addresses and ports. */
START_TEST(sf_port_unreachable_hairpinned)
{
	struct sf_pair p;
	size_t qn, qbn, n, en;

	sf_hairpin_flow(&p, &qn, &qbn);
	n = icmp6_err(F->in, SF_A6, p.tb6, 64, 1, 4, 0, S->q, qn);
	en = icmp6_err(F->exp, p.ta6, SF_B6, 63, 1, 4, 0, S->qb, qbn);
	run(F->in, n);
	expect_icmp6_error(F->exp, en);
	expect_quoted_udp6_ok();
	expect_only(DIR_6TO4, CTR_RX, DIR_6TO4, CTR_HAIRPINNED, DIR_4TO6, CTR_TRANSLATED, DIR_MAX);
}
END_TEST

/* Hop limit 2 arrives as 1: the translator is one hop for the error too. */
START_TEST(sf_hairpinned_error_one_hop)
{
	struct sf_pair p;
	size_t qn, qbn, n, en;

	sf_hairpin_flow(&p, &qn, &qbn);
	n = icmp6_err(F->in, SF_A6, p.tb6, 2, 1, 4, 0, S->q, qn);
	en = icmp6_err(F->exp, p.ta6, SF_B6, 1, 1, 4, 0, S->qb, qbn);
	run(F->in, n);
	expect_icmp6_error(F->exp, en);
	expect_only(DIR_6TO4, CTR_RX, DIR_6TO4, CTR_HAIRPINNED, DIR_4TO6, CTR_TRANSLATED, DIR_MAX);
}
END_TEST

/* Quoted source T:t in pool4 with nothing bound there: the second pass
 * finds no state and drops the error; nothing leaves as IPv4. */
START_TEST(sf_hairpinned_error_no_state)
{
	struct sf_pair p;
	size_t qn, qbn, n;
	char t6[64];

	sf_hairpin_flow(&p, &qn, &qbn);
	pool6_text(tp_addr4_host("198.51.100.9"), t6, sizeof(t6));
	qn = udp6(S->q, t6, SF_A6, 4444, 5000, 63, 0);
	n = icmp6_err(F->in, SF_A6, t6, 64, 1, 4, 0, S->q, qn);
	run(F->in, n);
	ck_assert_int_eq(F->verdict, XLAT_DROP);
	expect_only(DIR_6TO4, CTR_RX, DIR_6TO4, CTR_HAIRPINNED, DIR_4TO6, CTR_DROP_NO_STATE,
	            DIR_MAX);
}
END_TEST

/* Not hairpinned: an error about the server's reply goes to the server,
 * outside pool4, as ICMPv4 from T_A (RFC 7915 §5.2, RFC 6146 §3.4). */
START_TEST(sf_error_to_ipv4_server_not_hairpinned)
{
	struct tp_ip4 r4 = {.src = SRV4, .proto = 17, .ttl = 49, .tos = 0x28};
	struct sf_pair p;
	size_t qn, qbn, n, en, n4;
	char ta4[16];

	sf_hairpin_flow(&p, &qn, &qbn);
	/* the server's reply to T_A:t_A, as A gets it */
	qn = udp6(S->q, SRV6, SF_A6, 53, 5000, 49, 0x28);
	n = icmp6_err(F->in, SF_A6, SRV6, 64, 1, 4, 0, S->q, qn);
	/* its IPv4 original, as the ICMPv4 error quotes it: ID 0, DF=0 as
	 * RFC 7915 §5.1 gives a packet under 1260 bytes (§5.3), TTL = the
	 * quoted hop limit */
	snprintf(ta4, sizeof(ta4), "%u.%u.%u.%u", p.ta >> 24, p.ta >> 16 & 0xff, p.ta >> 8 & 0xff,
	         p.ta & 0xff);
	r4.dst = ta4;
	n4 = tp_ip4(S->qb, &r4, S->l4, tp_udp(S->l4, 53, p.tpa, payload, sizeof(payload)));
	/* ID: the generator gave 0 to A's datagram and 1 to B's */
	en = icmp4_err(F->exp, ta4, SRV4, 63, 2, 3, 3, S->qb, n4);
	run(F->in, n);
	expect_packet(F->exp, en);
	ck_assert_ptr_eq(F->out, F->ctx.scratch);
	expect_only(DIR_6TO4, CTR_RX, DIR_6TO4, CTR_TRANSLATED, DIR_MAX);
}
END_TEST

/* ---- stateless (RFC 7757 §4, condition B) ---- */

/* B sends to A's IPv4 address in the prefix (condition A); A gets it from
 * B's IPv4 address in the prefix. Left in S->q as A got it, and in S->qb as
 * B sent it with the hop limit A saw. */
static void sl_hairpin_flow(size_t *qlen, size_t *qblen)
{
	run(F->in, udp6(F->in, SL_B6, SL_A6_6052, 6000, 5000, 64, 0x28));
	*qlen = udp6(S->q, SL_B6_6052, SL_A6, 6000, 5000, 63, 0x28);
	expect_packet(S->q, *qlen);
	*qblen = udp6(S->qb, SL_B6, SL_A6_6052, 6000, 5000, 63, 0x28);
	memset(&F->ctr, 0, sizeof(F->ctr));
}

/* A answers with Port Unreachable. The quoted source, B's address in the
 * prefix, maps by RFC 6052 into the EAM prefix: the error hairpins. B gets
 * it from A named by RFC 6052 (the address B sent to, not A's own), and
 * the quote is B's datagram as B sent it. */
START_TEST(sl_port_unreachable_hairpinned)
{
	size_t qn, qbn, n, en;

	sl_hairpin_flow(&qn, &qbn);
	n = icmp6_err(F->in, SL_A6, SL_B6_6052, 64, 1, 4, 0, S->q, qn);
	en = icmp6_err(F->exp, SL_A6_6052, SL_B6, 63, 1, 4, 0, S->qb, qbn);
	run(F->in, n);
	expect_icmp6_error(F->exp, en);
	expect_quoted_udp6_ok();
	expect_only(DIR_6TO4, CTR_RX, DIR_6TO4, CTR_HAIRPINNED, DIR_4TO6, CTR_TRANSLATED, DIR_MAX);
}
END_TEST

/* An error quoting B's packet but sent to someone else (here the IPv4
 * server) is not B's to have: it leaves as ICMPv4 towards its destination,
 * not round the hairpin. */
START_TEST(sl_error_to_other_dst_not_hairpinned)
{
	static const uint8_t srv4[4] = {203, 0, 113, 5};
	size_t qn, qbn, n;

	sl_hairpin_flow(&qn, &qbn);
	n = icmp6_err(F->in, SL_A6, SRV6, 64, 1, 4, 0, S->q, qn);
	run(F->in, n);
	ck_assert_int_eq(F->verdict, XLAT_SEND);
	ck_assert_uint_eq(F->out[0] >> 4, 4);
	ck_assert_mem_eq(F->out + 16, srv4, 4);
	ck_assert_uint_eq(F->ctr.v[DIR_6TO4][CTR_HAIRPINNED], 0);
}
END_TEST

/* A router on A's side with an EAM entry of its own sends Time Exceeded:
 * the error hairpins too, and the router keeps its usual (EAM) name; only
 * A, in the quote, is named by RFC 6052. */
START_TEST(sl_router_error_hairpinned)
{
	size_t qn, qbn, n, en;

	sl_hairpin_flow(&qn, &qbn);
	n = icmp6_err(F->in, SL_R6, SL_B6_6052, 64, 3, 0, 0, S->q, qn);
	en = icmp6_err(F->exp, SL_R6, SL_B6, 63, 3, 0, 0, S->qb, qbn);
	run(F->in, n);
	expect_icmp6_error(F->exp, en);
	expect_only(DIR_6TO4, CTR_RX, DIR_6TO4, CTR_HAIRPINNED, DIR_4TO6, CTR_TRANSLATED, DIR_MAX);
}
END_TEST

/* Packet Too Big from a router without any mapping, about a 1348-byte
 * datagram of B: it crosses as Fragmentation Needed from own4 (RFC 6791
 * §4) and comes back from own4 in the prefix. The MTU survives both ways
 * (§5.2: 1300 - 20, §4.2: + 20), the quote is what an ICMPv4 error holds
 * (576 bytes: 548 of the quoted packet, 568 in IPv6). */
START_TEST(sl_ptb_hairpinned)
{
	size_t qn, qbn, n, en;

	run(F->in, udp6_sized(F->in, SL_B6, SL_A6_6052, 6000, 5000, 64, 1348));
	qn = udp6_sized(S->q, SL_B6_6052, SL_A6, 6000, 5000, 63, 1348);
	expect_packet(S->q, qn);
	qbn = udp6_sized(S->qb, SL_B6, SL_A6_6052, 6000, 5000, 63, 1348);
	ck_assert_uint_eq(qbn, 1348);
	memset(&F->ctr, 0, sizeof(F->ctr));

	/* the router quotes what fits in 1280 bytes (RFC 4443 §2.4(c)) */
	n = icmp6_err(F->in, SL_R6_UNMAPPED, SL_B6_6052, 64, 2, 0, 1300, S->q, 1280 - 48);
	en = icmp6_err(F->exp, OWN6_SL, SL_B6, 63, 2, 0, 1300, S->qb, 548 + 20);
	run(F->in, n);
	expect_icmp6_error(F->exp, en);
	expect_only(DIR_6TO4, CTR_RX, DIR_6TO4, CTR_HAIRPINNED, DIR_4TO6, CTR_TRANSLATED, DIR_MAX);
}
END_TEST

/* Not hairpinned: A answers an IPv4 server, whose address in the prefix
 * maps by RFC 6052 outside every EAM prefix. The error leaves as ICMPv4
 * from A's EAM address to the server. */
START_TEST(sl_error_to_ipv4_server_not_hairpinned)
{
	struct tp_ip4 r4 = {.src = SRV4, .dst = SL_A4, .proto = 17, .ttl = 49}; /* §5.3: DF=0 */
	size_t qn, n, en, n4;

	qn = udp6(S->q, SRV6, SL_A6, 53, 5000, 49, 0);
	n = icmp6_err(F->in, SL_A6, SRV6, 64, 1, 4, 0, S->q, qn);
	n4 = tp_ip4(S->qb, &r4, S->l4, tp_udp(S->l4, 53, 5000, payload, sizeof(payload)));
	en = icmp4_err(F->exp, SL_A4, SRV4, 63, 0, 3, 3, S->qb, n4);
	run(F->in, n);
	expect_packet(F->exp, en);
	ck_assert_ptr_eq(F->out, F->ctx.scratch);
	expect_only(DIR_6TO4, CTR_RX, DIR_6TO4, CTR_TRANSLATED, DIR_MAX);
}
END_TEST

/* Not hairpinned: the quoted source is in the prefix but maps by RFC 6052
 * to an address outside the EAM prefix (though near it), even though the
 * error's sender has an EAM entry. */
START_TEST(sl_error_quoting_non_eam_source_not_hairpinned)
{
	struct tp_ip4 r4 = {
	    .src = "192.0.2.40", .dst = SL_A4, .proto = 17, .ttl = 49}; /* §5.3: DF=0 */
	size_t qn, n, en, n4;

	qn = udp6(S->q, "2001:db8:64::c000:228", SL_A6, 53, 5000, 49, 0);
	n = icmp6_err(F->in, SL_A6, "2001:db8:64::c000:228", 64, 1, 4, 0, S->q, qn);
	n4 = tp_ip4(S->qb, &r4, S->l4, tp_udp(S->l4, 53, 5000, payload, sizeof(payload)));
	en = icmp4_err(F->exp, SL_A4, "192.0.2.40", 63, 0, 3, 3, S->qb, n4);
	run(F->in, n);
	expect_packet(F->exp, en);
	expect_only(DIR_6TO4, CTR_RX, DIR_6TO4, CTR_TRANSLATED, DIR_MAX);
}
END_TEST

static Suite *hairpin_suite(void)
{
	Suite *s = suite_create("hairpin");
	TCase *tc = tcase_create("stateful");

	tcase_add_checked_fixture(tc, stateful_setup, teardown);
	tcase_add_test(tc, sf_port_unreachable_hairpinned);
	tcase_add_test(tc, sf_hairpinned_error_one_hop);
	tcase_add_test(tc, sf_hairpinned_error_no_state);
	tcase_add_test(tc, sf_error_to_ipv4_server_not_hairpinned);
	suite_add_tcase(s, tc);

	tc = tcase_create("stateless");
	tcase_add_checked_fixture(tc, eam_setup, teardown);
	tcase_add_test(tc, sl_port_unreachable_hairpinned);
	tcase_add_test(tc, sl_error_to_other_dst_not_hairpinned);
	tcase_add_test(tc, sl_router_error_hairpinned);
	tcase_add_test(tc, sl_ptb_hairpinned);
	tcase_add_test(tc, sl_error_to_ipv4_server_not_hairpinned);
	tcase_add_test(tc, sl_error_quoting_non_eam_source_not_hairpinned);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(hairpin_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
