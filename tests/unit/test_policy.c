/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for the policies of translator/core/xlat.c: the rate limit of the
 * ICMP errors the translator originates, RFC 6791 sources for ICMP errors
 * from unmappable addresses, the RFC 7915 options (udp-zero-checksum, tos,
 * flow-label) and hairpinning (RFC 6146 §3.8, RFC 7757 §4).
 *
 * Whole packets in, whole packets out, compared byte for byte with packets
 * built by pkt_helpers (reference checksum). Hash-chosen values (RFC 6791
 * address, flow label) were computed apart from the C code, with a few lines
 * of Python implementing FNV-1a 32 over the same bytes (see each test). */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "eam.h"
#include "frag.h"
#include "nat64.h"
#include "pkt_helpers.h"
#include "xlat.h"
#include "xlat_fixture.h"

/* Stateless: RFC 6052 hosts under the prefix. */
#define SL_C6 "2001:db8:64::c000:221" /* 192.0.2.33 */
#define SL_C4 "192.0.2.33"
#define SRV6 "2001:db8:64::cb00:7105" /* 203.0.113.5 */
#define SRV4 "203.0.113.5"
#define OWN4_SL "192.0.2.1"
#define OWN6_SL "2001:db8:64::c000:201"
/* Stateful: IPv6-only clients, pool4 198.51.100.0/28. */
#define SF_A6 "2001:db8:6::10"
#define SF_B6 "2001:db8:6::20"
#define OWN4_SF "198.51.100.1"
#define OWN6_SF "2001:db8:64::c633:6401"
#define ROUTER6 "2001:db8:6::1"
#define ROUTER6_B "2001:db8:6::2"
/* RFC 6791 pool: a /26, so 62 usable addresses from .65. */
#define POOL6791 "192.0.2.64/26"

#define BUF 4096

static struct xlat_fixture *F;

/* Buffers of these tests beside the fixture's. */
static struct scratch {
	uint8_t q4[BUF], q6[BUF], err_l4[BUF];
} * S;

/* ---- fixtures ---- */

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

/* ---- running and checking ---- */

static enum xlat_verdict run(const uint8_t *p, size_t len)
{
	return xf_run(F, p, len, false);
}

static uint64_t ctr(enum tun64_dir dir, enum tun64_counter c)
{
	return F->ctr.v[dir][c];
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

/* ---- packets ---- */

static const uint8_t payload[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

static size_t udp6(uint8_t *o, const char *src, const char *dst, uint16_t sp, uint16_t dp,
                   uint8_t hlim, uint8_t tclass, uint32_t flow)
{
	struct tp_ip6 h = {
	    .src = src, .dst = dst, .nh = 17, .hlim = hlim, .tclass = tclass, .flow = flow};

	return tp_ip6(o, &h, F->l4, tp_udp(F->l4, sp, dp, payload, sizeof(payload)));
}

static size_t udp4(uint8_t *o, const char *src, const char *dst, uint16_t sp, uint16_t dp,
                   uint8_t ttl, uint8_t tos, uint16_t id, uint16_t frag)
{
	struct tp_ip4 h = {
	    .src = src, .dst = dst, .proto = 17, .ttl = ttl, .tos = tos, .id = id, .frag = frag};

	return tp_ip4(o, &h, F->l4, tp_udp(F->l4, sp, dp, payload, sizeof(payload)));
}

/* ICMP errors in echo layout: rest = the 32 bits after the checksum. */
static size_t icmp6_err(uint8_t *o, const char *src, const char *dst, uint8_t hlim, uint8_t type,
                        uint8_t code, uint32_t rest, const uint8_t *q, size_t qlen)
{
	struct tp_ip6 h = {.src = src, .dst = dst, .nh = 58, .hlim = hlim};

	return tp_ip6(
	    o, &h, S->err_l4,
	    tp_icmp(S->err_l4, type, code, (uint16_t)(rest >> 16), (uint16_t)rest, q, qlen));
}

static size_t icmp4_err(uint8_t *o, const char *src, const char *dst, uint8_t ttl, uint16_t id,
                        uint16_t frag, uint8_t type, uint8_t code, const uint8_t *q, size_t qlen)
{
	struct tp_ip4 h = {.src = src, .dst = dst, .proto = 1, .ttl = ttl, .id = id, .frag = frag};

	return tp_ip4(o, &h, S->err_l4, tp_icmp(S->err_l4, type, code, 0, 0, q, qlen));
}

static void addr4_text(uint32_t a, char *buf, size_t len)
{
	snprintf(buf, len, "%u.%u.%u.%u", a >> 24, a >> 16 & 0xff, a >> 8 & 0xff, a & 0xff);
}

/* ---- 1. rate limit of originated ICMP errors ---- */

/* Hop limit 1: Time Exceeded from own6 quoting the whole packet. */
static size_t hlim1_and_error(size_t *en)
{
	size_t n = udp6(F->in, SL_C6, SRV6, 4000, 53, 1, 0, 0);

	*en = icmp6_err(F->exp, OWN6_SL, SL_C6, 64, 3, 0, 0, F->in, n);
	return n;
}

START_TEST(ratelimit_burst_then_refill)
{
	size_t en, n = hlim1_and_error(&en);

	F->cfg.icmp_error_rate = 1;
	F->cfg.icmp_error_burst = 2;
	for (int i = 0; i < 2; i++) {
		run(F->in, n);
		expect_packet(F->exp, en);
	}
	run(F->in, n);
	ck_assert_int_eq(F->verdict, XLAT_DROP);
	ck_assert_uint_eq(ctr(DIR_6TO4, CTR_DROP_ICMP_RATELIMIT), 1);
	/* One error per second: 999 ms bring 0.999 of one. */
	F->ctx.now_ms += 999;
	run(F->in, n);
	ck_assert_int_eq(F->verdict, XLAT_DROP);
	F->ctx.now_ms += 1;
	run(F->in, n);
	expect_packet(F->exp, en);
	ck_assert_uint_eq(ctr(DIR_6TO4, CTR_RX), 5);
	ck_assert_uint_eq(ctr(DIR_6TO4, CTR_DROP_TTL_EXPIRED), 5);
	ck_assert_uint_eq(ctr(DIR_6TO4, CTR_ICMP_ERROR_SENT), 3);
	ck_assert_uint_eq(ctr(DIR_6TO4, CTR_DROP_ICMP_RATELIMIT), 2);
	ck_assert_uint_eq(ctr(DIR_6TO4, CTR_TRANSLATED), 0);
}
END_TEST

/* A long pause fills the bucket to the burst, not beyond. */
START_TEST(ratelimit_refill_capped_at_burst)
{
	size_t en, n = hlim1_and_error(&en);
	int sent = 0;

	F->cfg.icmp_error_rate = 10;
	F->cfg.icmp_error_burst = 3;
	run(F->in, n);
	F->ctx.now_ms += 3600 * 1000;
	for (int i = 0; i < 10; i++)
		sent += run(F->in, n) == XLAT_SEND;
	ck_assert_int_eq(sent, 3);
	ck_assert_uint_eq(ctr(DIR_6TO4, CTR_ICMP_ERROR_SENT), 4);
	ck_assert_uint_eq(ctr(DIR_6TO4, CTR_DROP_ICMP_RATELIMIT), 7);
}
END_TEST

START_TEST(ratelimit_zero_is_unlimited)
{
	size_t en, n = hlim1_and_error(&en);

	F->cfg.icmp_error_rate = 0;
	F->cfg.icmp_error_burst = 1;
	for (int i = 0; i < 50; i++) {
		run(F->in, n);
		expect_packet(F->exp, en);
	}
	ck_assert_uint_eq(ctr(DIR_6TO4, CTR_ICMP_ERROR_SENT), 50);
	ck_assert_uint_eq(ctr(DIR_6TO4, CTR_DROP_ICMP_RATELIMIT), 0);
}
END_TEST

/* The IPv4 side shares the worker's bucket: TTL 1 gets Time Exceeded from
 * own4 once, then nothing. */
START_TEST(ratelimit_4to6_shares_bucket)
{
	size_t n = udp4(F->in, SRV4, SL_C4, 53, 4000, 1, 0, 7, TP_DF);
	size_t en = icmp4_err(F->exp, OWN4_SL, SRV4, 64, 0, TP_DF, 11, 0, F->in, n);

	F->cfg.icmp_error_rate = 5;
	F->cfg.icmp_error_burst = 1;
	run(F->in, n);
	expect_packet(F->exp, en);
	expect_only(DIR_4TO6, CTR_RX, DIR_4TO6, CTR_DROP_TTL_EXPIRED, DIR_4TO6, CTR_ICMP_ERROR_SENT,
	            DIR_MAX);
	memset(&F->ctr, 0, sizeof(F->ctr));
	run(F->in, n);
	ck_assert_int_eq(F->verdict, XLAT_DROP);
	expect_only(DIR_4TO6, CTR_RX, DIR_4TO6, CTR_DROP_TTL_EXPIRED, DIR_4TO6,
	            CTR_DROP_ICMP_RATELIMIT, DIR_MAX);
	/* 200 ms at 5/s is one error again */
	F->ctx.now_ms += 200;
	run(F->in, n);
	expect_packet(F->exp, en);
}
END_TEST

/* ---- 2. RFC 6791 ---- */

static void set_pool6791(void)
{
	ck_assert_int_eq(prefix4_parse(POOL6791, &F->cfg.rfc6791_pool4), 0);
	F->cfg.rfc6791_pool4_set = true;
}

/* A reply from the server to the client, as the server sent it (q4) and as
 * it reached the client with hop limit 50 (q6); an IPv6 router (src)
 * reports it with Time Exceeded. The ICMPv4 error goes out from src4. */
static void sl_router_error(const char *router, const char *src4)
{
	size_t n6 = udp6(S->q6, SRV6, SL_C6, 53, 5353, 50, 0, 0);
	size_t n4 = udp4(S->q4, SRV4, SL_C4, 53, 5353, 50, 0, 0, 0); /* §5.3: DF=0 */
	size_t n = icmp6_err(F->in, router, SRV6, 64, 3, 0, 0, S->q6, n6);
	size_t en = icmp4_err(F->exp, src4, SRV4, 63, 0, 0, 11, 0, S->q4, n4);

	memset(&F->ctr, 0, sizeof(F->ctr));
	F->ctx.ipv4_id_next = 0;
	run(F->in, n);
	expect_packet(F->exp, en);
	expect_only(DIR_6TO4, CTR_RX, DIR_6TO4, CTR_TRANSLATED, DIR_MAX);
}

/* FNV-1a 32 of the router's 16 address bytes, mod 62, + .65:
 * 2001:db8:6::1 -> 192.0.2.73, 2001:db8:6::2 -> 192.0.2.88. */
START_TEST(rfc6791_stateless_router_from_pool)
{
	set_pool6791();
	sl_router_error(ROUTER6, "192.0.2.73");
	sl_router_error(ROUTER6_B, "192.0.2.88");
	sl_router_error(ROUTER6, "192.0.2.73"); /* stable */
}
END_TEST

START_TEST(rfc6791_stateless_without_pool_own4)
{
	sl_router_error(ROUTER6, OWN4_SL);
}
END_TEST

/* A /32 pool is that one address. */
START_TEST(rfc6791_stateless_single_address)
{
	ck_assert_int_eq(prefix4_parse("192.0.2.99/32", &F->cfg.rfc6791_pool4), 0);
	F->cfg.rfc6791_pool4_set = true;
	sl_router_error(ROUTER6, "192.0.2.99");
	sl_router_error(ROUTER6_B, "192.0.2.99");
}
END_TEST

/* Stateful: the client's session (T,t); the server's reply as the client
 * got it (q6) and as the server sent it (q4, TTL 50 in the quote). */
static uint16_t sf_session(char *t_text, size_t len, size_t *n6, size_t *n4)
{
	uint8_t a6[16];
	uint32_t t;
	uint16_t tport;

	tp_addr6(SF_A6, a6);
	run(F->in, udp6(F->in, SF_A6, SRV6, 5353, 53, 64, 0, 0));
	ck_assert_int_eq(F->verdict, XLAT_SEND);
	ck_assert(nat64_bib_lookup6(F->ctx.nat, 17, a6, 5353, &t, &tport));
	addr4_text(t, t_text, len);
	*n4 = udp4(S->q4, SRV4, t_text, 53, tport, 50, 0, 0, 0); /* §5.3: DF=0 */
	*n6 = udp6(S->q6, SRV6, SF_A6, 53, 5353, 50, 0, 0);
	return tport;
}

static void sf_error_from(const char *reporter, const char *want_src4)
{
	char t_text[16];
	size_t n6, n4, n, en;

	sf_session(t_text, sizeof(t_text), &n6, &n4);
	n = icmp6_err(F->in, reporter, SRV6, 64, 1, 4, 0, S->q6, n6);
	en = icmp4_err(F->exp, want_src4 ? want_src4 : t_text, SRV4, 63, 1, 0, 3, 3, S->q4, n4);
	memset(&F->ctr, 0, sizeof(F->ctr));
	run(F->in, n);
	expect_packet(F->exp, en);
	expect_only(DIR_6TO4, CTR_RX, DIR_6TO4, CTR_TRANSLATED, DIR_MAX);
}

START_TEST(rfc6791_stateful_router_from_pool)
{
	set_pool6791();
	sf_error_from(ROUTER6, "192.0.2.73");
}
END_TEST

/* The host X' itself is known to the server as T. */
START_TEST(rfc6791_stateful_host_keeps_t)
{
	set_pool6791();
	sf_error_from(SF_A6, NULL);
}
END_TEST

START_TEST(rfc6791_stateful_without_pool_t)
{
	sf_error_from(ROUTER6, NULL);
}
END_TEST

/* ---- 3. RFC 7915 options ---- */

START_TEST(udp_zero_checksum_drop)
{
	struct tp_ip4 h = {.src = SRV4, .dst = SL_C4, .proto = 17, .ttl = 64, .keep_l4_csum = true};
	size_t n = tp_ip4(F->in, &h, F->l4, tp_udp(F->l4, 53, 5353, payload, sizeof(payload)));

	F->cfg.udp_zero_csum_drop = true;
	run(F->in, n);
	ck_assert_int_eq(F->verdict, XLAT_DROP);
	expect_only(DIR_4TO6, CTR_RX, DIR_4TO6, CTR_DROP_UDP_ZERO_CSUM, DIR_MAX);
	/* with a checksum it passes */
	memset(&F->ctr, 0, sizeof(F->ctr));
	run(F->in, udp4(F->in, SRV4, SL_C4, 53, 5353, 64, 0, 0, 0));
	ck_assert_int_eq(F->verdict, XLAT_SEND);
	expect_only(DIR_4TO6, CTR_RX, DIR_4TO6, CTR_TRANSLATED, DIR_MAX);
}
END_TEST

START_TEST(udp_zero_checksum_compute_default)
{
	struct tp_ip4 h = {.src = SRV4, .dst = SL_C4, .proto = 17, .ttl = 64, .keep_l4_csum = true};
	size_t n = tp_ip4(F->in, &h, F->l4, tp_udp(F->l4, 53, 5353, payload, sizeof(payload)));
	size_t en = udp6(F->exp, SRV6, SL_C6, 53, 5353, 63, 0, 0);

	run(F->in, n);
	expect_packet(F->exp, en);
}
END_TEST

START_TEST(tos_zero_6to4)
{
	size_t n = udp6(F->in, SL_C6, SRV6, 5353, 53, 64, 0x28, 0x12345);
	size_t en = udp4(F->exp, SL_C4, SRV4, 5353, 53, 63, 0, 0, 0);

	F->cfg.tos_zero = true;
	run(F->in, n);
	expect_packet(F->exp, en);
	/* copy (the default) keeps it */
	F->cfg.tos_zero = false;
	F->ctx.ipv4_id_next = 0;
	en = udp4(F->exp, SL_C4, SRV4, 5353, 53, 63, 0x28, 0, 0);
	run(F->in, n);
	expect_packet(F->exp, en);
}
END_TEST

START_TEST(tos_zero_4to6)
{
	size_t n = udp4(F->in, SRV4, SL_C4, 53, 5353, 64, 0x28, 0x1234, TP_DF);
	size_t en = udp6(F->exp, SRV6, SL_C6, 53, 5353, 63, 0, 0);

	F->cfg.tos_zero = true;
	run(F->in, n);
	expect_packet(F->exp, en);
	F->cfg.tos_zero = false;
	en = udp6(F->exp, SRV6, SL_C6, 53, 5353, 63, 0x28, 0);
	run(F->in, n);
	expect_packet(F->exp, en);
}
END_TEST

/* FNV-1a 32 over source, destination, protocol 17, ports, low 20 bits:
 * 53 -> 5353 gives 0xbfb28, 54 -> 5353 0x684e1. */
START_TEST(flow_label_hash_4to6)
{
	size_t n = udp4(F->in, SRV4, SL_C4, 53, 5353, 64, 0x28, 0x1234, TP_DF);
	size_t en = udp6(F->exp, SRV6, SL_C6, 53, 5353, 63, 0x28, 0xbfb28);

	F->cfg.flow_label_hash = true;
	run(F->in, n);
	expect_packet(F->exp, en);
	n = udp4(F->in, SRV4, SL_C4, 54, 5353, 64, 0x28, 0x1234, TP_DF);
	en = udp6(F->exp, SRV6, SL_C6, 54, 5353, 63, 0x28, 0x684e1);
	run(F->in, n);
	expect_packet(F->exp, en);
}
END_TEST

/* ---- 4. hairpinning ---- */

/* Stateful (RFC 6146 §3.8): B talks to a server first, so it has (T_B,t_B);
 * A sends to T_B embedded in the prefix. B gets the packet from T_A (A's
 * binding) embedded in the prefix, and its reply reaches A from T_B. The
 * translator is one hop: the hop limit drops by one. */
START_TEST(hairpin_stateful_udp)
{
	struct prefix6 pool6 = F->cfg.pool6;
	uint8_t a6[16], b6[16], tb6[16], ta6[16];
	char tb6_text[64], ta6_text[64];
	uint32_t ta, tb;
	uint16_t tpa, tpb;
	size_t n, en;

	tp_addr6(SF_A6, a6);
	tp_addr6(SF_B6, b6);
	run(F->in, udp6(F->in, SF_B6, SRV6, 7000, 53, 64, 0, 0));
	ck_assert_int_eq(F->verdict, XLAT_SEND);
	ck_assert(nat64_bib_lookup6(F->ctx.nat, 17, b6, 7000, &tb, &tpb));
	rfc6052_embed(&pool6, tb, tb6);
	ck_assert(addr6_str(tb6, tb6_text, sizeof(tb6_text)));
	memset(&F->ctr, 0, sizeof(F->ctr));

	/* A -> T_B:t_B */
	n = udp6(F->in, SF_A6, tb6_text, 5000, tpb, 64, 0x28, 0);
	run(F->in, n);
	ck_assert_int_eq(F->verdict, XLAT_SEND);
	ck_assert(nat64_bib_lookup6(F->ctx.nat, 17, a6, 5000, &ta, &tpa));
	rfc6052_embed(&pool6, ta, ta6);
	ck_assert(addr6_str(ta6, ta6_text, sizeof(ta6_text)));
	en = udp6(F->exp, ta6_text, SF_B6, tpa, 7000, 63, 0x28, 0);
	expect_packet(F->exp, en);
	ck_assert_ptr_eq(F->out, F->pkt.buf + F->pkt.off);
	ck_assert_uint_eq(F->out_len, F->pkt.len);
	expect_only(DIR_6TO4, CTR_RX, DIR_6TO4, CTR_HAIRPINNED, DIR_4TO6, CTR_TRANSLATED, DIR_MAX);

	/* B's reply to T_A:t_A reaches A from T_B:t_B */
	memset(&F->ctr, 0, sizeof(F->ctr));
	run(F->in, udp6(F->in, SF_B6, ta6_text, 7000, tpa, 64, 0, 0));
	en = udp6(F->exp, tb6_text, SF_A6, tpb, 5000, 63, 0, 0);
	expect_packet(F->exp, en);
	expect_only(DIR_6TO4, CTR_RX, DIR_6TO4, CTR_HAIRPINNED, DIR_4TO6, CTR_TRANSLATED, DIR_MAX);
}
END_TEST

/* Nothing bound at T:port: the second pass finds no state. */
START_TEST(hairpin_stateful_no_state)
{
	run(F->in, udp6(F->in, SF_A6, "2001:db8:64::c633:6405", 5000, 9999, 64, 0, 0));
	ck_assert_int_eq(F->verdict, XLAT_DROP);
	expect_only(DIR_6TO4, CTR_RX, DIR_6TO4, CTR_HAIRPINNED, DIR_4TO6, CTR_DROP_NO_STATE,
	            DIR_MAX);
}
END_TEST

/* Hop limit 2 arrives with 1: the translator is one hop, not two. */
START_TEST(hairpin_stateful_hop_limit_2)
{
	struct prefix6 pool6 = F->cfg.pool6;
	uint8_t b6[16], tb6[16];
	char tb6_text[64];
	uint32_t tb;
	uint16_t tpb;

	tp_addr6(SF_B6, b6);
	run(F->in, udp6(F->in, SF_B6, SRV6, 7000, 53, 64, 0, 0));
	ck_assert(nat64_bib_lookup6(F->ctx.nat, 17, b6, 7000, &tb, &tpb));
	rfc6052_embed(&pool6, tb, tb6);
	ck_assert(addr6_str(tb6, tb6_text, sizeof(tb6_text)));
	run(F->in, udp6(F->in, SF_A6, tb6_text, 5000, tpb, 2, 0, 0));
	ck_assert_int_eq(F->verdict, XLAT_SEND);
	ck_assert_uint_eq(F->out[7], 1);
	ck_assert(tp_csums_ok(F->out, F->out_len));
}
END_TEST

/* Stateless (RFC 7757 §4 case A): A and B have EAM entries
 * 192.0.2.16/28 <-> 2001:db8:6::/124. A sends to B's IPv4 address in the
 * prefix; B gets it from A's IPv4 address in the prefix (RFC 6052 only),
 * not from A's own address. */
static void eam_setup(void)
{
	struct eam_map m;
	char err[128];

	stateless_setup();
	memset(&m, 0, sizeof(m));
	ck_assert_int_eq(prefix4_parse("192.0.2.16/28", &m.p4), 0);
	ck_assert_int_eq(prefix6_parse("2001:db8:6::/124", &m.p6), 0);
	F->cfg.eam = eam_table_new(&m, 1, err, sizeof(err));
	ck_assert_ptr_nonnull(F->cfg.eam);
}

START_TEST(hairpin_stateless_eam)
{
	/* A = 2001:db8:6::1 (192.0.2.17), B = 2001:db8:6::2 (192.0.2.18) */
	size_t n = udp6(F->in, "2001:db8:6::1", "2001:db8:64::c000:212", 5000, 6000, 64, 0, 0);
	size_t en = udp6(F->exp, "2001:db8:64::c000:211", "2001:db8:6::2", 5000, 6000, 63, 0, 0);

	run(F->in, n);
	expect_packet(F->exp, en);
	expect_only(DIR_6TO4, CTR_RX, DIR_6TO4, CTR_HAIRPINNED, DIR_4TO6, CTR_TRANSLATED, DIR_MAX);
	/* and back */
	memset(&F->ctr, 0, sizeof(F->ctr));
	n = udp6(F->in, "2001:db8:6::2", "2001:db8:64::c000:211", 6000, 5000, 64, 0, 0);
	en = udp6(F->exp, "2001:db8:64::c000:212", "2001:db8:6::1", 6000, 5000, 63, 0, 0);
	run(F->in, n);
	expect_packet(F->exp, en);
}
END_TEST

/* A destination outside the EAM IPv4 prefixes leaves as IPv4. */
START_TEST(hairpin_stateless_not_for_other_hosts)
{
	size_t n = udp6(F->in, "2001:db8:6::1", SRV6, 5000, 53, 64, 0, 0);
	size_t en = udp4(F->exp, "192.0.2.17", SRV4, 5000, 53, 63, 0, 0, 0);

	run(F->in, n);
	expect_packet(F->exp, en);
	expect_only(DIR_6TO4, CTR_RX, DIR_6TO4, CTR_TRANSLATED, DIR_MAX);
}
END_TEST

static Suite *policy_suite(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = tcase_create("ratelimit");

	tcase_add_checked_fixture(tc, stateless_setup, teardown);
	tcase_add_test(tc, ratelimit_burst_then_refill);
	tcase_add_test(tc, ratelimit_refill_capped_at_burst);
	tcase_add_test(tc, ratelimit_zero_is_unlimited);
	tcase_add_test(tc, ratelimit_4to6_shares_bucket);
	suite_add_tcase(s, tc);

	tc = tcase_create("rfc6791_stateless");
	tcase_add_checked_fixture(tc, stateless_setup, teardown);
	tcase_add_test(tc, rfc6791_stateless_router_from_pool);
	tcase_add_test(tc, rfc6791_stateless_without_pool_own4);
	tcase_add_test(tc, rfc6791_stateless_single_address);
	suite_add_tcase(s, tc);

	tc = tcase_create("rfc6791_stateful");
	tcase_add_checked_fixture(tc, stateful_setup, teardown);
	tcase_add_test(tc, rfc6791_stateful_router_from_pool);
	tcase_add_test(tc, rfc6791_stateful_host_keeps_t);
	tcase_add_test(tc, rfc6791_stateful_without_pool_t);
	suite_add_tcase(s, tc);

	tc = tcase_create("options");
	tcase_add_checked_fixture(tc, stateless_setup, teardown);
	tcase_add_test(tc, udp_zero_checksum_drop);
	tcase_add_test(tc, udp_zero_checksum_compute_default);
	tcase_add_test(tc, tos_zero_6to4);
	tcase_add_test(tc, tos_zero_4to6);
	tcase_add_test(tc, flow_label_hash_4to6);
	suite_add_tcase(s, tc);

	tc = tcase_create("hairpin_stateful");
	tcase_add_checked_fixture(tc, stateful_setup, teardown);
	tcase_add_test(tc, hairpin_stateful_udp);
	tcase_add_test(tc, hairpin_stateful_no_state);
	tcase_add_test(tc, hairpin_stateful_hop_limit_2);
	suite_add_tcase(s, tc);

	tc = tcase_create("hairpin_stateless");
	tcase_add_checked_fixture(tc, eam_setup, teardown);
	tcase_add_test(tc, hairpin_stateless_eam);
	tcase_add_test(tc, hairpin_stateless_not_for_other_hosts);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(policy_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
