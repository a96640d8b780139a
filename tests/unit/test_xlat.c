/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for translator/core/xlat.c: whole packets in, whole packets out,
 * compared byte for byte. The cases of one shape (one packet in, its exact
 * output and counters) are data in tests/vectors (test_vectors); what stays
 * here needs code: NAT64 state, the IPv4 ID generator, fragment tables,
 * several outputs, EAM tables. Expected packets are literal byte arrays (made with
 * scapy, see the comments) or built with pkt_helpers, whose checksum is an
 * independent reference implementation. Every drop asserts that exactly its
 * counter (and rx) moved. */
#include <check.h>
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

/* Stateless: hosts on both sides are RFC 6052 mapped under 2001:db8:64::/96. */
#define SL_C6 "2001:db8:64::c000:221" /* 192.0.2.33 */
#define SL_C4 "192.0.2.33"
#define SRV6 "2001:db8:64::cb00:7105" /* 203.0.113.5 */
#define SRV4 "203.0.113.5"
/* Stateful: an IPv6-only client, pool4 198.51.100.0/28. */
#define SF_C6 "2001:db8:6::10"
#define POOL4 "198.51.100.0"
#define OWN4_SF "198.51.100.1"
#define OWN6_SF "2001:db8:64::c633:6401"
#define OWN4_SL "192.0.2.1"
#define OWN6_SL "2001:db8:64::c000:201"

static struct xlat_fixture *F;

/* ---- fixtures ---- */

static void stateless_setup(void)
{
	F = xf_new(XLAT_STATELESS, OWN4_SL, OWN6_SL);
}

static void stateful_setup_with(uint8_t len, uint16_t lo, uint16_t hi, uint64_t max_sessions,
                                bool adf)
{
	const struct xf_nat_params nat = {.pool4_len = len,
	                                  .port_lo = lo,
	                                  .port_hi = hi,
	                                  .max_sessions = max_sessions,
	                                  .address_dependent_filtering = adf};

	F = xf_new(XLAT_STATEFUL, OWN4_SF, OWN6_SF);
	xf_add_nat(F, &nat);
	xf_add_frags(F);
}

static void stateful_setup(void)
{
	stateful_setup_with(28, 1024, 65535, 1000, false);
}

static void tiny_pool_setup(void)
{
	stateful_setup_with(32, 2000, 2000, 1000, false);
}

static void one_session_setup(void)
{
	stateful_setup_with(28, 1024, 65535, 1, false);
}

static void adf_setup(void)
{
	stateful_setup_with(28, 1024, 65535, 1000, true);
}

static void teardown(void)
{
	xf_free(F);
	F = NULL;
}

/* ---- running and checking ---- */

static enum xlat_verdict run(const uint8_t *p, size_t len)
{
	return xf_run(F, p, len, false);
}

static void expect_drop(enum tun64_dir dir, enum tun64_counter why)
{
	ck_assert_int_eq(F->verdict, XLAT_DROP);
	xf_expect_only(F, dir, CTR_RX, why, CTR_MAX);
}

/* Translated in place: the output sits in F->buf and ends where the input
 * did (after trimming), i.e. the payload was not moved. */
static void expect_translated(enum tun64_dir dir, const uint8_t *exp, size_t exp_len, size_t in_len)
{
	ck_assert_int_eq(F->verdict, XLAT_SEND);
	ck_assert(tp_same(F->out, F->out_len, exp, exp_len));
	ck_assert_ptr_eq(F->out + F->out_len, F->buf + XLAT_HEADROOM + in_len);
	ck_assert_ptr_eq(F->out, F->pkt.buf + F->pkt.off);
	ck_assert_uint_eq(F->out_len, F->pkt.len);
	ck_assert(tp_csums_ok(F->out, F->out_len));
	xf_expect_only(F, dir, CTR_RX, CTR_TRANSLATED, CTR_MAX);
}

static void expect_icmp_error(enum tun64_dir dir, enum tun64_counter why, const uint8_t *exp,
                              size_t exp_len)
{
	ck_assert_int_eq(F->verdict, XLAT_SEND);
	ck_assert_ptr_eq(F->out, F->ctx.scratch);
	ck_assert(tp_same(F->out, F->out_len, exp, exp_len));
	ck_assert(tp_csums_ok(F->out, F->out_len));
	xf_expect_only(F, dir, CTR_RX, why, CTR_ICMP_ERROR_SENT, CTR_MAX);
}

/* ---- the standard packets (match the scapy-made arrays below) ---- */

static const uint8_t udp6_payload[] = "tun64 udp test!"; /* 15 bytes, odd */
static const uint8_t udp4_payload[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

static size_t udp6_pkt(uint8_t *o, const char *src, const char *dst, uint8_t hlim)
{
	struct tp_ip6 h = {
	    .src = src, .dst = dst, .nh = 17, .hlim = hlim, .tclass = 0xb8, .flow = 0x12345};
	size_t n = tp_udp(F->l4, 5353, 53, udp6_payload, 15);

	return tp_ip6(o, &h, F->l4, n);
}

static size_t udp4_pkt(uint8_t *o, const char *src, const char *dst, uint8_t ttl)
{
	struct tp_ip4 h = {.src = src,
	                   .dst = dst,
	                   .proto = 17,
	                   .ttl = ttl,
	                   .tos = 0x28,
	                   .id = 0x1234,
	                   .frag = TP_DF};
	size_t n = tp_udp(F->l4, 53, 5353, udp4_payload, 16);

	return tp_ip4(o, &h, F->l4, n);
}

static size_t tcp6_pkt(uint8_t *o, const char *src, const char *dst)
{
	struct tp_ip6 h = {.src = src, .dst = dst, .nh = 6, .hlim = 64};
	size_t n = tp_tcp(F->l4, 40000, 80, 0x01020304, 0, TP_SYN, NULL, 0);

	return tp_ip6(o, &h, F->l4, n);
}

static size_t tcp4_pkt(uint8_t *o, const char *src, const char *dst, uint16_t dport)
{
	struct tp_ip4 h = {.src = src, .dst = dst, .proto = 6, .ttl = 64, .frag = TP_DF};
	size_t n = tp_tcp(F->l4, 80, dport, 0xa0b0c0d0, 0x01020305, TP_SYN | TP_ACK, NULL, 0);

	return tp_ip4(o, &h, F->l4, n);
}

static size_t icmp6_echo_pkt(uint8_t *o, const char *src, const char *dst)
{
	struct tp_ip6 h = {.src = src, .dst = dst, .nh = 58, .hlim = 64};
	uint8_t data[32];

	tp_fill(data, sizeof(data), 0x30);
	return tp_ip6(o, &h, F->l4, tp_icmp(F->l4, 128, 0, 0x4242, 1, data, sizeof(data)));
}

static size_t icmp4_echo_pkt(uint8_t *o, const char *src, const char *dst, uint16_t id)
{
	struct tp_ip4 h = {.src = src, .dst = dst, .proto = 1, .ttl = 64};
	uint8_t data[32];

	tp_fill(data, sizeof(data), 0x30);
	return tp_ip4(o, &h, F->l4, tp_icmp(F->l4, 0, 0, id, 1, data, sizeof(data)));
}

/* Expected outputs, from scapy 2.5 (/usr/bin/python3), e.g.
 * raw(IP(src="192.0.2.33", dst="203.0.113.5", tos=0xb8, ttl=63, id=0,
 *        flags=0)/UDP(sport=5353, dport=53)/Raw(b"tun64 udp test!"))
 * IPv6 -> IPv4 outputs up to 1260 bytes have DF=0 and the generator's ID
 * (RFC 7915 §5.1), which the fixture starts at 0. */
static const uint8_t exp_udp_6to4[43] = {
    0x45, 0xb8, 0x00, 0x2b, 0x00, 0x00, 0x00, 0x00, 0x3f, 0x11, 0x7c, 0xe3, 0xc0, 0x00, 0x02,
    0x21, 0xcb, 0x00, 0x71, 0x05, 0x14, 0xe9, 0x00, 0x35, 0x00, 0x17, 0xe7, 0x4f, 0x74, 0x75,
    0x6e, 0x36, 0x34, 0x20, 0x75, 0x64, 0x70, 0x20, 0x74, 0x65, 0x73, 0x74, 0x21,
};

/* ---- the builders against scapy ---- */

/* The packets of tests/vectors come from these builders and literals. */
START_TEST(helpers_agree_with_scapy)
{
	struct tp_ip4 h = {.src = SL_C4, .dst = SRV4, .proto = 17, .ttl = 63, .tos = 0xb8};
	size_t en = tp_ip4(F->exp, &h, F->l4, tp_udp(F->l4, 5353, 53, udp6_payload, 15));

	ck_assert(tp_same(F->exp, en, exp_udp_6to4, sizeof(exp_udp_6to4)));
}
END_TEST

/* Fix the IPv4 header checksum after editing a header field. */
static void refix_ipv4_csum(uint8_t *p, size_t hlen)
{
	p[10] = p[11] = 0;
	uint16_t c = ref_csum(p, hlen);
	p[10] = (uint8_t)(c >> 8);
	p[11] = (uint8_t)c;
}

/* ---- source and destination checks ---- */

/* RFC 6052 §3.1 is about addresses the well-known prefix carries: private
 * (here documentation) IPv4 addresses with explicit mappings (RFC 7757) are
 * not carried by it, and cross both ways under 64:ff9b::/96. */
START_TEST(wkp_eam_private_allowed)
{
	static const uint8_t client4[4] = {10, 0, 0, 5};
	struct eam_map m[2];
	uint8_t client6[16];
	char err[128];

	memset(m, 0, sizeof(m));
	ck_assert_int_eq(prefix4_parse("10.0.0.5/32", &m[0].p4), 0);
	ck_assert_int_eq(prefix6_parse("2001:db8:5::5/128", &m[0].p6), 0);
	ck_assert_int_eq(prefix4_parse("203.0.113.5/32", &m[1].p4), 0);
	ck_assert_int_eq(prefix6_parse("2001:db8:7::5/128", &m[1].p6), 0);
	F->cfg.eam = eam_table_new(m, 2, err, sizeof(err));
	ck_assert_ptr_nonnull(F->cfg.eam);
	ck_assert_int_eq(prefix6_parse("64:ff9b::/96", &F->cfg.pool6), 0);
	run(F->in, udp6_pkt(F->in, "2001:db8:5::5", "2001:db8:7::5", 64));
	ck_assert_int_eq(F->verdict, XLAT_SEND);
	ck_assert_mem_eq(F->out + 12, client4, 4);
	run(F->in, udp4_pkt(F->in, SRV4, "10.0.0.5", 50));
	ck_assert_int_eq(F->verdict, XLAT_SEND);
	tp_addr6("2001:db8:5::5", client6);
	ck_assert_mem_eq(F->out + 24, client6, 16);
}
END_TEST

/* ---- hop limit / TTL (RFC 7915 §5.1, §4.1) ---- */

/* ICMPv6 Time Exceeded from own6 quoting the packet (up to 1280 bytes). */
static size_t exp_time_exceeded6(const char *own6, const char *to, const uint8_t *orig, size_t len)
{
	struct tp_ip6 h = {.src = own6, .dst = to, .nh = 58, .hlim = 64};

	if (len > 1280 - 48)
		len = 1280 - 48;
	return tp_ip6(F->exp, &h, F->l4, tp_icmp(F->l4, 3, 0, 0, 0, orig, len));
}

/* ---- size (RFC 7915 §4, RFC 1191) ---- */

static size_t udp4_sized(uint8_t *o, size_t total, uint16_t frag)
{
	struct tp_ip4 h = {.src = SRV4, .dst = SL_C4, .proto = 17, .ttl = 64, .frag = frag};
	static uint8_t data[2000];

	tp_fill(data, total - 28, 9);
	return tp_ip4(o, &h, F->l4, tp_udp(F->l4, 53, 5353, data, total - 28));
}

START_TEST(sl_df_fits_exactly)
{
	size_t n = udp4_sized(F->in, 1480, TP_DF);

	run(F->in, n);
	ck_assert_int_eq(F->verdict, XLAT_SEND);
	ck_assert_uint_eq(F->out_len, 1500);
	ck_assert(tp_csums_ok(F->out, F->out_len));
	xf_expect_only(F, DIR_4TO6, CTR_RX, CTR_TRANSLATED, CTR_MAX);
}
END_TEST

/* RFC 7915 §4.1: split into IPv6 fragments (byte for byte in
 * test_frag_split.c). */
START_TEST(sl_no_df_above_lowest_ipv6_mtu_split)
{
	run(F->in, udp4_sized(F->in, 1261, 0));
	ck_assert_int_eq(F->verdict, XLAT_SEND_MANY);
	ck_assert_uint_eq(F->out_len, 2 * 48 + 1241);
	xf_expect_only(F, DIR_4TO6, CTR_RX, CTR_TRANSLATED, CTR_FRAGMENTED, CTR_MAX);

	memset(&F->ctr, 0, sizeof(F->ctr));
	run(F->in, udp4_sized(F->in, 1260, 0));
	ck_assert_int_eq(F->verdict, XLAT_SEND);
	ck_assert_uint_eq(F->out_len, 1280);
	xf_expect_only(F, DIR_4TO6, CTR_RX, CTR_TRANSLATED, CTR_MAX);
}
END_TEST

/* ---- stateful (RFC 6146) ---- */

static uint32_t out_src4(void)
{
	const uint8_t *p = F->out + 12;

	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint16_t out_be16(size_t off)
{
	return (uint16_t)(F->out[off] << 8 | F->out[off + 1]);
}

static void addr4_text(uint32_t a, char *buf, size_t len)
{
	snprintf(buf, len, "%u.%u.%u.%u", a >> 24, a >> 16 & 0xff, a >> 8 & 0xff, a & 0xff);
}

/* The (T,t) nat64 chose: inside pool4 and the port range, and in the BIB. */
static void check_binding(uint8_t proto, uint16_t port6, uint32_t t, uint16_t tport)
{
	uint8_t c6[16], a6[16];
	uint32_t b4;
	uint16_t p4, p6;

	ck_assert_uint_eq(t >> 4, tp_addr4_host(POOL4) >> 4);
	ck_assert_uint_ge(tport, 1024);
	tp_addr6(SF_C6, c6);
	ck_assert(nat64_bib_lookup6(F->ctx.nat, proto, c6, port6, &b4, &p4));
	ck_assert_uint_eq(b4, t);
	ck_assert_uint_eq(p4, tport);
	ck_assert(nat64_bib_lookup4(F->ctx.nat, proto, t, tport, a6, &p6));
	ck_assert_mem_eq(a6, c6, 16);
	ck_assert_uint_eq(p6, port6);
}

START_TEST(sf_udp_round_trip)
{
	struct tp_ip4 h4 = {.proto = 17, .ttl = 63, .tos = 0xb8, .dst = SRV4};
	char t_text[16];
	size_t n, en;
	uint32_t t;
	uint16_t tport;

	n = udp6_pkt(F->in, SF_C6, SRV6, 64);
	run(F->in, n);
	ck_assert_int_eq(F->verdict, XLAT_SEND);
	t = out_src4();
	tport = out_be16(20);
	check_binding(17, 5353, t, tport);
	addr4_text(t, t_text, sizeof(t_text));
	h4.src = t_text;
	en = tp_ip4(F->exp, &h4, F->l4, tp_udp(F->l4, tport, 53, udp6_payload, 15));
	expect_translated(DIR_6TO4, F->exp, en, n);

	/* the reply finds the session */
	memset(&F->ctr, 0, sizeof(F->ctr));
	struct tp_ip4 r4 = {
	    .src = SRV4, .dst = t_text, .proto = 17, .ttl = 50, .tos = 0x28, .frag = TP_DF};
	struct tp_ip6 r6 = {.src = SRV6, .dst = SF_C6, .nh = 17, .hlim = 49, .tclass = 0x28};
	n = tp_ip4(F->in, &r4, F->l4, tp_udp(F->l4, 53, tport, udp4_payload, 16));
	en = tp_ip6(F->exp, &r6, F->l4, tp_udp(F->l4, 53, 5353, udp4_payload, 16));
	run(F->in, n);
	expect_translated(DIR_4TO6, F->exp, en, n);
}
END_TEST

/* A reply without UDP checksum: ports rewritten, then the full checksum. */
START_TEST(sf_udp_zero_checksum_reply)
{
	struct tp_ip6 r6 = {.src = SRV6, .dst = SF_C6, .nh = 17, .hlim = 63};
	char t_text[16];
	uint8_t data[99];
	size_t n, en;
	uint16_t tport;

	run(F->in, udp6_pkt(F->in, SF_C6, SRV6, 64));
	ck_assert_int_eq(F->verdict, XLAT_SEND);
	addr4_text(out_src4(), t_text, sizeof(t_text));
	tport = out_be16(20);

	memset(&F->ctr, 0, sizeof(F->ctr));
	struct tp_ip4 r4 = {
	    .src = SRV4, .dst = t_text, .proto = 17, .ttl = 64, .keep_l4_csum = true};
	tp_fill(data, sizeof(data), 0x77);
	n = tp_ip4(F->in, &r4, F->l4, tp_udp(F->l4, 53, tport, data, sizeof(data)));
	en = tp_ip6(F->exp, &r6, F->l4, tp_udp(F->l4, 53, 5353, data, sizeof(data)));
	run(F->in, n);
	expect_translated(DIR_4TO6, F->exp, en, n);
}
END_TEST

START_TEST(sf_tcp_round_trip)
{
	struct tp_ip4 h4 = {.dst = SRV4, .proto = 6, .ttl = 63};
	struct tp_ip6 r6 = {.src = SRV6, .dst = SF_C6, .nh = 6, .hlim = 63};
	char t_text[16];
	size_t n, en;
	uint32_t t;
	uint16_t tport;

	n = tcp6_pkt(F->in, SF_C6, SRV6);
	run(F->in, n);
	ck_assert_int_eq(F->verdict, XLAT_SEND);
	t = out_src4();
	tport = out_be16(20);
	check_binding(6, 40000, t, tport);
	addr4_text(t, t_text, sizeof(t_text));
	h4.src = t_text;
	en = tp_ip4(F->exp, &h4, F->l4, tp_tcp(F->l4, tport, 80, 0x01020304, 0, TP_SYN, NULL, 0));
	expect_translated(DIR_6TO4, F->exp, en, n);

	memset(&F->ctr, 0, sizeof(F->ctr));
	n = tcp4_pkt(F->in, SRV4, t_text, tport);
	en = tp_ip6(F->exp, &r6, F->l4,
	            tp_tcp(F->l4, 80, 40000, 0xa0b0c0d0, 0x01020305, TP_SYN | TP_ACK, NULL, 0));
	run(F->in, n);
	expect_translated(DIR_4TO6, F->exp, en, n);
}
END_TEST

START_TEST(sf_icmp_echo_round_trip)
{
	struct tp_ip4 h4 = {.dst = SRV4, .proto = 1, .ttl = 63};
	struct tp_ip6 r6 = {.src = SRV6, .dst = SF_C6, .nh = 58, .hlim = 63};
	uint8_t data[32];
	char t_text[16];
	size_t n, en;
	uint32_t t;
	uint16_t id4;

	tp_fill(data, sizeof(data), 0x30);
	n = icmp6_echo_pkt(F->in, SF_C6, SRV6);
	run(F->in, n);
	ck_assert_int_eq(F->verdict, XLAT_SEND);
	t = out_src4();
	id4 = out_be16(24);
	check_binding(1, 0x4242, t, id4);
	addr4_text(t, t_text, sizeof(t_text));
	h4.src = t_text;
	en = tp_ip4(F->exp, &h4, F->l4, tp_icmp(F->l4, 8, 0, id4, 1, data, sizeof(data)));
	expect_translated(DIR_6TO4, F->exp, en, n);

	memset(&F->ctr, 0, sizeof(F->ctr));
	n = icmp4_echo_pkt(F->in, SRV4, t_text, id4);
	en = tp_ip6(F->exp, &r6, F->l4, tp_icmp(F->l4, 129, 0, 0x4242, 1, data, sizeof(data)));
	run(F->in, n);
	expect_translated(DIR_4TO6, F->exp, en, n);
}
END_TEST

/* Expiry is answered before any state is made. */
START_TEST(sf_hop_limit_expired_creates_no_state)
{
	size_t n = udp6_pkt(F->in, SF_C6, SRV6, 1);
	size_t en = exp_time_exceeded6(OWN6_SF, SF_C6, F->in, n);
	uint8_t c6[16];
	uint32_t a4;
	uint16_t p4;

	run(F->in, n);
	expect_icmp_error(DIR_6TO4, CTR_DROP_TTL_EXPIRED, F->exp, en);
	tp_addr6(SF_C6, c6);
	ck_assert(!nat64_bib_lookup6(F->ctx.nat, 17, c6, 5353, &a4, &p4));
}
END_TEST

/* Pool of one address and one port: the second flow finds nothing free. */
START_TEST(sf_drop_pool4_exhausted)
{
	struct tp_ip6 h = {.src = SF_C6, .dst = SRV6, .nh = 17, .hlim = 64};

	run(F->in, tp_ip6(F->in, &h, F->l4, tp_udp(F->l4, 1111, 53, "a", 1)));
	ck_assert_int_eq(F->verdict, XLAT_SEND);
	ck_assert_uint_eq(out_be16(20), 2000);
	memset(&F->ctr, 0, sizeof(F->ctr));
	run(F->in, tp_ip6(F->in, &h, F->l4, tp_udp(F->l4, 2222, 53, "a", 1)));
	expect_drop(DIR_6TO4, CTR_DROP_POOL4_EXHAUSTED);
}
END_TEST

START_TEST(sf_drop_session_limit)
{
	struct tp_ip6 h = {.src = SF_C6, .dst = SRV6, .nh = 17, .hlim = 64};
	char t_text[16];
	uint16_t tport;

	run(F->in, tp_ip6(F->in, &h, F->l4, tp_udp(F->l4, 1111, 53, "a", 1)));
	ck_assert_int_eq(F->verdict, XLAT_SEND);
	/* the answer confirms the session: early drop may not take it */
	addr4_text(out_src4(), t_text, sizeof(t_text));
	tport = out_be16(20);
	struct tp_ip4 r = {.src = SRV4, .dst = t_text, .proto = 17, .ttl = 64};
	run(F->in, tp_ip4(F->in, &r, F->l4, tp_udp(F->l4, 53, tport, "x", 1)));
	ck_assert_int_eq(F->verdict, XLAT_SEND);
	memset(&F->ctr, 0, sizeof(F->ctr));
	h.dst = "2001:db8:64::cb00:7106";
	run(F->in, tp_ip6(F->in, &h, F->l4, tp_udp(F->l4, 1111, 53, "a", 1)));
	expect_drop(DIR_6TO4, CTR_DROP_SESSION_LIMIT);
}
END_TEST

/* Address-dependent filtering (RFC 6146 §3.5.1): a new remote address may
 * not use the BIB entry; another port of the known one may. */
START_TEST(sf_drop_filtered)
{
	char t_text[16];
	uint16_t tport;

	run(F->in, udp6_pkt(F->in, SF_C6, SRV6, 64));
	ck_assert_int_eq(F->verdict, XLAT_SEND);
	addr4_text(out_src4(), t_text, sizeof(t_text));
	tport = out_be16(20);

	memset(&F->ctr, 0, sizeof(F->ctr));
	struct tp_ip4 h = {.src = "203.0.113.6", .dst = t_text, .proto = 17, .ttl = 64};
	run(F->in, tp_ip4(F->in, &h, F->l4, tp_udp(F->l4, 53, tport, "x", 1)));
	expect_drop(DIR_4TO6, CTR_DROP_FILTERED);

	memset(&F->ctr, 0, sizeof(F->ctr));
	h.src = SRV4;
	run(F->in, tp_ip4(F->in, &h, F->l4, tp_udp(F->l4, 54, tport, "x", 1)));
	ck_assert_int_eq(F->verdict, XLAT_SEND);
	xf_expect_only(F, DIR_4TO6, CTR_RX, CTR_TRANSLATED, CTR_MAX);
}
END_TEST

/* ---- ICMP errors in transit (RFC 7915 §4.2-4.3, §5.2-5.3) ---- */

#define ROUTER4 "203.0.113.254"
#define ROUTER4_6 "2001:db8:64::cb00:71fe" /* ROUTER4 in the prefix */
#define ROUTER6 "2001:db8:6::1"

static uint8_t q4[XF_BIG], q6[XF_BIG], err_l4[XF_BIG];

/* An ICMPv4 / ICMPv6 error quoting q[0..qlen); rest: the 32 bits after the
 * checksum. */
static size_t icmp4_err(uint8_t *o, const char *src, const char *dst, uint8_t ttl, uint8_t type,
                        uint8_t code, uint32_t rest, const uint8_t *q, size_t qlen)
{
	struct tp_ip4 h = {.src = src, .dst = dst, .proto = 1, .ttl = ttl};

	return tp_ip4(o, &h, err_l4,
	              tp_icmp(err_l4, type, code, (uint16_t)(rest >> 16), (uint16_t)rest, q, qlen));
}

static size_t icmp6_err(uint8_t *o, const char *src, const char *dst, uint8_t hlim, uint8_t type,
                        uint8_t code, uint32_t rest, const uint8_t *q, size_t qlen)
{
	struct tp_ip6 h = {.src = src, .dst = dst, .nh = 58, .hlim = hlim};

	return tp_ip6(o, &h, err_l4,
	              tp_icmp(err_l4, type, code, (uint16_t)(rest >> 16), (uint16_t)rest, q, qlen));
}

/* ---- quoted packets: size, transports, what is refused ---- */

/* A quote with only the 8 transport bytes RFC 792 promises: TCP ports are
 * translated, the checksum is not in the quote. */
START_TEST(sl_err_4to6_tcp_8_bytes)
{
	struct tp_ip4 h4 = {.src = SL_C4, .dst = SRV4, .proto = 6, .ttl = 60, .frag = TP_DF};
	struct tp_ip6 h6 = {.src = SL_C6, .dst = SRV6, .nh = 6, .hlim = 60};
	uint8_t l4[64];
	size_t n4, n6, n, en;

	n4 = tp_ip4(q4, &h4, l4, tp_tcp(l4, 40000, 80, 1, 0, TP_SYN, NULL, 0));
	n6 = tp_ip6(q6, &h6, l4, tp_tcp(l4, 40000, 80, 1, 0, TP_SYN, NULL, 0));
	ck_assert_uint_eq(n6, 60);
	ck_assert_uint_eq(n4, 40);
	n = icmp4_err(F->in, SRV4, SL_C4, 64, 3, 3, 0, q4, 28);
	en = icmp6_err(F->exp, SRV6, SL_C6, 63, 1, 4, 0, q6, 48);
	memset(F->ctx.scratch, 0xaa, sizeof(F->ctx.scratch));
	run(F->in, n);
	ck_assert_int_eq(F->verdict, XLAT_SEND);
	ck_assert(tp_same(F->out, F->out_len, F->exp, en));
	/* nothing written past the quote (where the checksum would be) */
	for (size_t i = en; i < en + 16; i++)
		ck_assert_uint_eq(F->ctx.scratch[i], 0xaa);
	xf_expect_only(F, DIR_4TO6, CTR_RX, CTR_TRANSLATED, CTR_MAX);
}
END_TEST

/* RFC 4884 extensions. The client's 200-byte UDP datagram quoted as 128
 * bytes of original datagram, then an extension structure of ext_len bytes
 * (version 2, filler). */
static const uint8_t ext_hdr[4] = {0x20, 0x00, 0x12, 0x34};

/* reply: the server's datagram to the client (what an IPv6-side error
 * quotes), else the client's to the server. */
static size_t ext_quotes(size_t *n6, uint8_t *ext, size_t ext_len, bool reply)
{
	struct tp_ip4 h4 = {.src = SL_C4, .dst = SRV4, .proto = 17, .ttl = 63, .frag = TP_DF};
	struct tp_ip6 h6 = {.src = SL_C6, .dst = SRV6, .nh = 17, .hlim = 63};
	static uint8_t data[200], l4[300];

	if (reply) {
		h4.src = SRV4;
		h4.dst = SL_C4;
		h6.src = SRV6;
		h6.dst = SL_C6;
	}
	tp_fill(data, sizeof(data), 2);
	tp_fill(ext, ext_len, 9);
	memcpy(ext, ext_hdr, sizeof(ext_hdr));
	*n6 = tp_ip6(q6, &h6, l4, tp_udp(l4, 5353, 53, data, sizeof(data)));
	return tp_ip4(q4, &h4, l4, tp_udp(l4, 5353, 53, data, sizeof(data)));
}

/* What is not carried: an extension that leaves under 128 bytes of quote
 * in 1280, one of another version, one after a type with no length
 * attribute (Parameter Problem in ICMPv6). The result is the plain error
 * with the original datagram only and the attribute 0. */
START_TEST(sl_err_4to6_rfc4884_extension_dropped)
{
	static uint8_t ext[1200], quote[1400];
	size_t n6, n, en;
	uint32_t rest_in[] = {32u << 16, 32u << 16, (32u << 16) | (9u << 24)};
	uint8_t type_in[] = {11, 11, 12}, type_out[] = {3, 3, 4};
	uint32_t rest_out[] = {0, 0, 6};
	size_t ext_len[] = {1200, 16, 16};

	for (int i = 0; i < 3; i++) {
		ext_quotes(&n6, ext, ext_len[i], false);
		if (i == 1)
			ext[0] = 0x10; /* version 1 */
		memcpy(quote, q4, 128);
		memcpy(quote + 128, ext, ext_len[i]);
		n = icmp4_err(F->in, ROUTER4, SL_C4, 64, type_in[i], 0, rest_in[i], quote,
		              128 + ext_len[i]);
		en = icmp6_err(F->exp, ROUTER4_6, SL_C6, 63, type_out[i], 0, rest_out[i], q6, 148);
		run(F->in, n);
		ck_assert_int_eq(F->verdict, XLAT_SEND);
		ck_assert_msg(tp_same(F->out, F->out_len, F->exp, en), "case %d", i);
		ck_assert(tp_csums_ok(F->out, F->out_len));
	}
}
END_TEST

/* ---- stateful: the quoted packet is looked up in the BIB ---- */

/* Client UDP out (creates (T,t)); a router on the IPv4 side answers
 * Time Exceeded to T quoting the translated packet; the client gets an
 * ICMPv6 Time Exceeded from ROUTER4_6 quoting its own packet. */
START_TEST(sf_err_4to6_time_exceeded_udp)
{
	struct tp_ip6 h6 = {.src = SF_C6, .dst = SRV6, .nh = 17, .hlim = 1, .tclass = 0xb8};
	uint8_t l4[64];
	char t_text[16];
	size_t n, en, qn, n6;

	n = udp6_pkt(F->in, SF_C6, SRV6, 2);
	run(F->in, n);
	ck_assert_int_eq(F->verdict, XLAT_SEND);
	addr4_text(out_src4(), t_text, sizeof(t_text));
	qn = F->out_len;
	memcpy(q4, F->out, qn); /* what the router got, TTL 1 */
	memset(&F->ctr, 0, sizeof(F->ctr));

	n = icmp4_err(F->in, ROUTER4, t_text, 64, 11, 0, 0, q4, qn);
	n6 = tp_ip6(q6, &h6, l4, tp_udp(l4, 5353, 53, udp6_payload, 15));
	en = icmp6_err(F->exp, ROUTER4_6, SF_C6, 63, 3, 0, 0, q6, n6);
	run(F->in, n);
	ck_assert_int_eq(F->verdict, XLAT_SEND);
	ck_assert(tp_same(F->out, F->out_len, F->exp, en));
	ck_assert(tp_csums_ok(F->out, F->out_len));
	xf_expect_only(F, DIR_4TO6, CTR_RX, CTR_TRANSLATED, CTR_MAX);
}
END_TEST

/* TCP and echo quotes find their BIB entries too (port / identifier). */
START_TEST(sf_err_4to6_tcp_and_echo)
{
	struct tp_ip6 t6 = {.src = SF_C6, .dst = SRV6, .nh = 6, .hlim = 63};
	struct tp_ip6 e6 = {.src = SF_C6, .dst = SRV6, .nh = 58, .hlim = 63};
	uint8_t l4[64], data[32];
	char t_text[16];
	size_t n, en, qn, n6;

	run(F->in, tcp6_pkt(F->in, SF_C6, SRV6));
	ck_assert_int_eq(F->verdict, XLAT_SEND);
	addr4_text(out_src4(), t_text, sizeof(t_text));
	qn = F->out_len;
	memcpy(q4, F->out, qn);
	memset(&F->ctr, 0, sizeof(F->ctr));
	n = icmp4_err(F->in, SRV4, t_text, 64, 3, 3, 0, q4, qn);
	n6 = tp_ip6(q6, &t6, l4, tp_tcp(l4, 40000, 80, 0x01020304, 0, TP_SYN, NULL, 0));
	en = icmp6_err(F->exp, SRV6, SF_C6, 63, 1, 4, 0, q6, n6);
	run(F->in, n);
	ck_assert_int_eq(F->verdict, XLAT_SEND);
	ck_assert(tp_same(F->out, F->out_len, F->exp, en));
	ck_assert(tp_csums_ok(F->out, F->out_len));
	xf_expect_only(F, DIR_4TO6, CTR_RX, CTR_TRANSLATED, CTR_MAX);

	memset(&F->ctr, 0, sizeof(F->ctr));
	run(F->in, icmp6_echo_pkt(F->in, SF_C6, SRV6));
	ck_assert_int_eq(F->verdict, XLAT_SEND);
	qn = F->out_len;
	memcpy(q4, F->out, qn);
	memset(&F->ctr, 0, sizeof(F->ctr));
	n = icmp4_err(F->in, ROUTER4, t_text, 64, 3, 1, 0, q4, qn);
	tp_fill(data, sizeof(data), 0x30);
	n6 = tp_ip6(q6, &e6, l4, tp_icmp(l4, 128, 0, 0x4242, 1, data, sizeof(data)));
	en = icmp6_err(F->exp, ROUTER4_6, SF_C6, 63, 1, 0, 0, q6, n6);
	run(F->in, n);
	ck_assert_int_eq(F->verdict, XLAT_SEND);
	ck_assert(tp_same(F->out, F->out_len, F->exp, en));
	xf_expect_only(F, DIR_4TO6, CTR_RX, CTR_TRANSLATED, CTR_MAX);
}
END_TEST

/* No BIB entry for the quoted (T,t): dropped, and no state is made. */
START_TEST(sf_err_4to6_no_state)
{
	struct tp_ip4 h4 = {.src = "198.51.100.5", .dst = SRV4, .proto = 17, .ttl = 1};
	uint8_t l4[64], a6[16];
	uint16_t p6;
	size_t qn = tp_ip4(q4, &h4, l4, tp_udp(l4, 3000, 53, "x", 1));

	run(F->in, icmp4_err(F->in, ROUTER4, "198.51.100.5", 64, 11, 0, 0, q4, qn));
	expect_drop(DIR_4TO6, CTR_DROP_NO_STATE);
	ck_assert(!nat64_bib_lookup4(F->ctx.nat, 17, tp_addr4_host("198.51.100.5"), 3000, a6, &p6));
}
END_TEST

/* The client's router sends Packet Too Big about the server's reply: the
 * server gets Fragmentation Needed from T about the packet it sent to T. */
START_TEST(sf_err_6to4_ptb_from_ipv6_router)
{
	struct tp_ip4 r4 = {.src = SRV4, .proto = 17, .ttl = 50, .frag = TP_DF};
	uint8_t l4[64];
	char t_text[16];
	size_t n, en, qn, n4;
	uint16_t tport;

	run(F->in, udp6_pkt(F->in, SF_C6, SRV6, 64));
	ck_assert_int_eq(F->verdict, XLAT_SEND);
	addr4_text(out_src4(), t_text, sizeof(t_text));
	tport = out_be16(20);
	r4.dst = t_text;
	n = tp_ip4(F->in, &r4, F->l4, tp_udp(F->l4, 53, tport, udp4_payload, 16));
	run(F->in, n);
	ck_assert_int_eq(F->verdict, XLAT_SEND);
	qn = F->out_len;
	memcpy(q6, F->out, qn); /* the reply as the client's router saw it */
	memset(&F->ctr, 0, sizeof(F->ctr));

	n = icmp6_err(F->in, ROUTER6, SRV6, 64, 2, 0, 1400, q6, qn);
	r4.ttl = 49; /* the quote's hop limit */
	r4.frag = 0; /* RFC 7915 §5.3 -> §5.1: 44 bytes, under 1260: DF=0 */
	n4 = tp_ip4(q4, &r4, l4, tp_udp(l4, 53, tport, udp4_payload, 16));
	en = icmp4_err(F->exp, t_text, SRV4, 63, 3, 4, 1380, q4, n4);
	/* RFC 7915 §5.1: DF=0, the generator's second ID (the UDP got 0) */
	F->exp[5] = 1;
	refix_ipv4_csum(F->exp, 20);
	run(F->in, n);
	ck_assert_int_eq(F->verdict, XLAT_SEND);
	ck_assert(tp_same(F->out, F->out_len, F->exp, en));
	ck_assert(tp_csums_ok(F->out, F->out_len));
	xf_expect_only(F, DIR_6TO4, CTR_RX, CTR_TRANSLATED, CTR_MAX);
}
END_TEST

/* ---- suite ---- */

static TCase *stateless_case(const char *name)
{
	TCase *tc = tcase_create(name);

	tcase_add_checked_fixture(tc, stateless_setup, teardown);
	return tc;
}

/* ---- RFC 7915 §5.1 DF and Identification, fragments (§4.1, §5.1.1) ---- */

/* A translated IPv4 packet up to 1260 bytes leaves with DF=0, above with
 * DF=1; either way the ID comes from the per-worker generator, which counts
 * up from the seed the caller gave it and wraps. */
static size_t udp6_sized(uint8_t *o, const char *src, size_t total4, const uint8_t *data)
{
	struct tp_ip6 h = {.src = src, .dst = SRV6, .nh = 17, .hlim = 64};

	return tp_ip6(o, &h, F->l4, tp_udp(F->l4, 5353, 53, data, total4 - 28));
}

START_TEST(sl_df_rule_1260)
{
	static const struct {
		size_t total;
		uint16_t id, frag;
	} c[] = {{1260, 0xfffe, 0}, {1261, 0xffff, TP_DF}, {29, 0x0000, 0}};
	static uint8_t data[1300];

	tp_fill(data, sizeof(data), 9);
	F->ctx.ipv4_id_next = 0xfffe;
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct tp_ip4 h4 = {.src = SL_C4,
		                    .dst = SRV4,
		                    .proto = 17,
		                    .ttl = 63,
		                    .id = c[i].id,
		                    .frag = c[i].frag};
		size_t n = udp6_sized(F->in, SL_C6, c[i].total, data);
		size_t en =
		    tp_ip4(F->exp, &h4, F->l4, tp_udp(F->l4, 5353, 53, data, c[i].total - 28));

		memset(&F->ctr, 0, sizeof(F->ctr));
		ck_assert_uint_eq(en, c[i].total);
		run(F->in, n);
		expect_translated(DIR_6TO4, F->exp, en, n);
	}
}
END_TEST

/* Translated in place, for a fragment whose transport checksum covers
 * bytes that are not in it: only the IPv4 header checksum is verified
 * here; the transport checksum is in the expected bytes. */
static void expect_fragment(enum tun64_dir dir, const uint8_t *exp, size_t exp_len, size_t in_len)
{
	ck_assert_int_eq(F->verdict, XLAT_SEND);
	ck_assert(tp_same(F->out, F->out_len, exp, exp_len));
	ck_assert_ptr_eq(F->out + F->out_len, F->buf + XLAT_HEADROOM + in_len);
	ck_assert_ptr_eq(F->out, F->pkt.buf + F->pkt.off);
	ck_assert_uint_eq(F->out_len, F->pkt.len);
	if (dir == DIR_6TO4)
		ck_assert_uint_eq(ref_csum(F->out, 20), 0);
	xf_expect_only(F, dir, CTR_RX, CTR_TRANSLATED, CTR_MAX);
}

/* A 108-byte UDP datagram (5353 -> 53, or 53 -> 5353 for replies) cut into
 * a 48-byte first fragment and a 60-byte last one at offset 6 (48 bytes).
 * Each builder checksums the whole datagram with the reference checksum of
 * its own family, then keeps the fragment's bytes. */
#define DGRAM_LEN 108
#define FIRST_LEN 48

static uint8_t dgram_data[DGRAM_LEN - 8];

static void udp_dgram4(uint8_t *l4, const char *src, const char *dst, uint16_t sp, uint16_t dp)
{
	uint8_t s4[4], d4[4];
	uint16_t c;

	tp_fill(dgram_data, sizeof(dgram_data), 0x41);
	tp_udp(l4, sp, dp, dgram_data, sizeof(dgram_data));
	tp_addr4(src, s4);
	tp_addr4(dst, d4);
	c = ref_l4_csum4(s4, d4, 17, l4, DGRAM_LEN);
	l4[6] = (uint8_t)(c >> 8);
	l4[7] = (uint8_t)c;
}

static void udp_dgram6(uint8_t *l4, const char *src, const char *dst, uint16_t sp, uint16_t dp)
{
	uint8_t s6[16], d6[16];
	uint16_t c;

	tp_fill(dgram_data, sizeof(dgram_data), 0x41);
	tp_udp(l4, sp, dp, dgram_data, sizeof(dgram_data));
	tp_addr6(src, s6);
	tp_addr6(dst, d6);
	c = ref_l4_csum6(s6, d6, 17, l4, DGRAM_LEN);
	l4[6] = (uint8_t)(c >> 8);
	l4[7] = (uint8_t)c;
}

/* IPv6 fragment of dgram: Fragment header (nh, offset, M, id) + bytes. */
static size_t frag6(uint8_t *o, const char *src, const char *dst, uint8_t hlim, uint8_t nh,
                    const uint8_t *dgram, size_t off, size_t len, bool more, uint32_t id)
{
	uint8_t fh[8] = {nh,
	                 0,
	                 (uint8_t)((off / 8) >> 5),
	                 (uint8_t)((off / 8) << 3 | more),
	                 (uint8_t)(id >> 24),
	                 (uint8_t)(id >> 16),
	                 (uint8_t)(id >> 8),
	                 (uint8_t)id};
	struct tp_ip6 h = {.src = src,
	                   .dst = dst,
	                   .nh = nh,
	                   .hlim = hlim,
	                   .ext = fh,
	                   .ext_len = sizeof(fh),
	                   .ext_first = 44,
	                   .keep_l4_csum = true};

	return tp_ip6(o, &h, dgram + off, len);
}

static size_t frag4(uint8_t *o, const char *src, const char *dst, uint8_t ttl, uint8_t proto,
                    const uint8_t *dgram, size_t off, size_t len, bool more, uint16_t id)
{
	struct tp_ip4 h = {.src = src,
	                   .dst = dst,
	                   .proto = proto,
	                   .ttl = ttl,
	                   .id = id,
	                   .frag = (uint16_t)(off / 8 | (more ? TP_MF : 0)),
	                   .keep_l4_csum = true};

	return tp_ip4(o, &h, dgram + off, len);
}

/* RFC 7915 §5.1.1: ID = low 16 bits of the Fragment header's, MF = M,
 * DF = 0, offset copied; the first fragment's UDP checksum (of the whole
 * datagram) updated for the new pseudo-header; the later one untouched.
 * The generator is not used. */
START_TEST(sl_frag_6to4)
{
	static uint8_t d6[DGRAM_LEN], d4[DGRAM_LEN];
	size_t n, en;

	F->ctx.ipv4_id_next = 0x0777;
	udp_dgram6(d6, SL_C6, SRV6, 5353, 53);
	udp_dgram4(d4, SL_C4, SRV4, 5353, 53);
	n = frag6(F->in, SL_C6, SRV6, 64, 17, d6, 0, FIRST_LEN, true, 0x11223344);
	en = frag4(F->exp, SL_C4, SRV4, 63, 17, d4, 0, FIRST_LEN, true, 0x3344);
	run(F->in, n);
	expect_fragment(DIR_6TO4, F->exp, en, n);

	memset(&F->ctr, 0, sizeof(F->ctr));
	n = frag6(F->in, SL_C6, SRV6, 64, 17, d6, FIRST_LEN, DGRAM_LEN - FIRST_LEN, false,
	          0x11223344);
	en =
	    frag4(F->exp, SL_C4, SRV4, 63, 17, d4, FIRST_LEN, DGRAM_LEN - FIRST_LEN, false, 0x3344);
	run(F->in, n);
	expect_fragment(DIR_6TO4, F->exp, en, n);
	ck_assert_uint_eq(F->ctx.ipv4_id_next, 0x0777);
}
END_TEST

/* RFC 7915 §4.1: Fragment header with next header 17, offset and M
 * copied, ID zero-extended; Payload Length counts the Fragment header. */
START_TEST(sl_frag_4to6)
{
	static uint8_t d6[DGRAM_LEN], d4[DGRAM_LEN];
	size_t n, en;

	udp_dgram4(d4, SRV4, SL_C4, 53, 5353);
	udp_dgram6(d6, SRV6, SL_C6, 53, 5353);
	n = frag4(F->in, SRV4, SL_C4, 50, 17, d4, 0, FIRST_LEN, true, 0xabcd);
	en = frag6(F->exp, SRV6, SL_C6, 49, 17, d6, 0, FIRST_LEN, true, 0xabcd);
	run(F->in, n);
	expect_fragment(DIR_4TO6, F->exp, en, n);

	memset(&F->ctr, 0, sizeof(F->ctr));
	n = frag4(F->in, SRV4, SL_C4, 50, 17, d4, FIRST_LEN, DGRAM_LEN - FIRST_LEN, false, 0xabcd);
	en =
	    frag6(F->exp, SRV6, SL_C6, 49, 17, d6, FIRST_LEN, DGRAM_LEN - FIRST_LEN, false, 0xabcd);
	run(F->in, n);
	expect_fragment(DIR_4TO6, F->exp, en, n);
}
END_TEST

/* A later IPv4 fragment that would not fit lowest-ipv6-mtu is cut again
 * (RFC 7915 §4.1; byte for byte in test_frag_split.c). */
START_TEST(sl_frag_4to6_too_big)
{
	static uint8_t d[1300];
	struct tp_ip4 h = {.src = SRV4,
	                   .dst = SL_C4,
	                   .proto = 17,
	                   .ttl = 64,
	                   .id = 3,
	                   .frag = 100,
	                   .keep_l4_csum = true};

	run(F->in, tp_ip4(F->in, &h, d, 1280 - 48 + 1));
	ck_assert_int_eq(F->verdict, XLAT_SEND_MANY);
	ck_assert_uint_eq(F->out_len, 2 * 48 + 1280 - 48 + 1);
	xf_expect_only(F, DIR_4TO6, CTR_RX, CTR_TRANSLATED, CTR_FRAGMENTED, CTR_MAX);
	memset(&F->ctr, 0, sizeof(F->ctr));
	run(F->in, tp_ip4(F->in, &h, d, 1280 - 48));
	ck_assert_int_eq(F->verdict, XLAT_SEND);
	ck_assert_uint_eq(F->out_len, 1280);
}
END_TEST

/* RFC 6146 §3.4/§3.5, stateful: the first fragment creates the session
 * and the table gives the later fragment the same T; the reply's later
 * fragment reaches the client the first one went to. */
START_TEST(sf_frag_round_trip)
{
	static uint8_t d6[DGRAM_LEN], d4[DGRAM_LEN];
	char t_text[16];
	size_t n, en;
	uint32_t t;
	uint16_t tport;

	udp_dgram6(d6, SF_C6, SRV6, 5353, 53);
	run(F->in, frag6(F->in, SF_C6, SRV6, 64, 17, d6, 0, FIRST_LEN, true, 0x55667788));
	ck_assert_int_eq(F->verdict, XLAT_SEND);
	t = out_src4();
	tport = out_be16(20);
	check_binding(17, 5353, t, tport);
	addr4_text(t, t_text, sizeof(t_text));
	ck_assert_uint_eq(ref_csum(F->out, 20), 0);
	udp_dgram4(d4, t_text, SRV4, tport, 53);
	en = frag4(F->exp, t_text, SRV4, 63, 17, d4, 0, FIRST_LEN, true, 0x7788);
	ck_assert(tp_same(F->out, F->out_len, F->exp, en));

	memset(&F->ctr, 0, sizeof(F->ctr));
	n = frag6(F->in, SF_C6, SRV6, 64, 17, d6, FIRST_LEN, DGRAM_LEN - FIRST_LEN, false,
	          0x55667788);
	en = frag4(F->exp, t_text, SRV4, 63, 17, d4, FIRST_LEN, DGRAM_LEN - FIRST_LEN, false,
	           0x7788);
	run(F->in, n);
	expect_fragment(DIR_6TO4, F->exp, en, n);

	/* the reply, in two fragments */
	memset(&F->ctr, 0, sizeof(F->ctr));
	udp_dgram4(d4, SRV4, t_text, 53, tport);
	udp_dgram6(d6, SRV6, SF_C6, 53, 5353);
	n = frag4(F->in, SRV4, t_text, 50, 17, d4, 0, FIRST_LEN, true, 0x0909);
	en = frag6(F->exp, SRV6, SF_C6, 49, 17, d6, 0, FIRST_LEN, true, 0x0909);
	run(F->in, n);
	expect_fragment(DIR_4TO6, F->exp, en, n);

	memset(&F->ctr, 0, sizeof(F->ctr));
	n = frag4(F->in, SRV4, t_text, 50, 17, d4, FIRST_LEN, DGRAM_LEN - FIRST_LEN, false, 0x0909);
	en =
	    frag6(F->exp, SRV6, SF_C6, 49, 17, d6, FIRST_LEN, DGRAM_LEN - FIRST_LEN, false, 0x0909);
	run(F->in, n);
	expect_fragment(DIR_4TO6, F->exp, en, n);
}
END_TEST

/* A later fragment with no first fragment before it, under another ID,
 * after FRAG_TIMEOUT_MS, or with no table at all: dropped, not held. */
START_TEST(sf_frag_later_without_first)
{
	static uint8_t d6[DGRAM_LEN];
	size_t later;

	udp_dgram6(d6, SF_C6, SRV6, 5353, 53);
	later = frag6(F->in, SF_C6, SRV6, 64, 17, d6, FIRST_LEN, 16, false, 42);
	run(F->in, later);
	expect_drop(DIR_6TO4, CTR_DROP_FRAGMENT);

	run(F->in, frag6(F->in, SF_C6, SRV6, 64, 17, d6, 0, FIRST_LEN, true, 42));
	ck_assert_int_eq(F->verdict, XLAT_SEND);
	memset(&F->ctr, 0, sizeof(F->ctr));
	run(F->in, frag6(F->in, SF_C6, SRV6, 64, 17, d6, FIRST_LEN, 16, false, 43));
	expect_drop(DIR_6TO4, CTR_DROP_FRAGMENT);

	memset(&F->ctr, 0, sizeof(F->ctr));
	F->ctx.now_ms += FRAG_TIMEOUT_MS - 1;
	run(F->in, frag6(F->in, SF_C6, SRV6, 64, 17, d6, FIRST_LEN, 16, false, 42));
	ck_assert_int_eq(F->verdict, XLAT_SEND);

	memset(&F->ctr, 0, sizeof(F->ctr));
	F->ctx.now_ms += 1;
	run(F->in, frag6(F->in, SF_C6, SRV6, 64, 17, d6, FIRST_LEN, 16, false, 42));
	expect_drop(DIR_6TO4, CTR_DROP_FRAGMENT);

	memset(&F->ctr, 0, sizeof(F->ctr));
	frag_table_free(F->ctx.frags);
	F->ctx.frags = NULL;
	F->ctx.now_ms = 1000;
	run(F->in, frag6(F->in, SF_C6, SRV6, 64, 17, d6, FIRST_LEN, 16, false, 42));
	expect_drop(DIR_6TO4, CTR_DROP_FRAGMENT);
}
END_TEST

/* The table itself: bounded sets, the oldest entry goes when a set is
 * full (none expires here: 3 * 4096 entries in 1536 ms), keys differ in
 * every field. */
START_TEST(frag_table_bounded)
{
	const uint32_t n = 3 * FRAG_TABLE_ENTRIES;
	const uint64_t end = 1000 + n / 8;
	struct frag_table *t = frag_table_new(1);
	struct frag_key k = {.id = 1, .proto = 17, .from_v6 = 1};
	uint8_t a[16] = {0}, got[16];
	struct frag_key other;

	ck_assert_ptr_nonnull(t);
	for (uint32_t i = 0; i < n; i++) {
		k.id = i;
		a[0] = (uint8_t)i;
		frag_remember(t, &k, a, 1000 + i / 8);
	}
	/* the newest entries are all there; the first ones were pushed out */
	for (uint32_t i = n - 256; i < n; i++) {
		k.id = i;
		ck_assert_msg(frag_lookup(t, &k, got, end), "entry %u lost", i);
		ck_assert_uint_eq(got[0], (uint8_t)i);
	}
	k.id = 0;
	ck_assert(!frag_lookup(t, &k, got, end));
	k.id = n - 1;
	other = k;
	other.from_v6 = 0;
	ck_assert(!frag_lookup(t, &other, got, end));
	other = k;
	other.proto = 6;
	ck_assert(!frag_lookup(t, &other, got, end));
	other = k;
	other.src[15] = 1;
	ck_assert(!frag_lookup(t, &other, got, end));
	other = k;
	other.dst[0] = 1;
	ck_assert(!frag_lookup(t, &other, got, end));
	frag_table_free(t);
}
END_TEST

static TCase *stateful_case(const char *name, void (*setup)(void))
{
	TCase *tc = tcase_create(name);

	tcase_add_checked_fixture(tc, setup, teardown);
	return tc;
}

static Suite *xlat_suite(void)
{
	Suite *s = suite_create("xlat");
	TCase *tc;

	tc = stateless_case("stateless");
	tcase_add_test(tc, helpers_agree_with_scapy);
	tcase_add_test(tc, wkp_eam_private_allowed);
	suite_add_tcase(s, tc);

	tc = stateless_case("fragments");
	tcase_add_test(tc, sl_df_rule_1260);
	tcase_add_test(tc, sl_frag_6to4);
	tcase_add_test(tc, sl_frag_4to6);
	tcase_add_test(tc, sl_frag_4to6_too_big);
	tcase_add_test(tc, frag_table_bounded);
	suite_add_tcase(s, tc);

	tc = stateful_case("stateful-fragments", stateful_setup);
	tcase_add_test(tc, sf_frag_round_trip);
	tcase_add_test(tc, sf_frag_later_without_first);
	suite_add_tcase(s, tc);

	tc = stateless_case("headers");
	suite_add_tcase(s, tc);

	tc = stateless_case("malformed");
	suite_add_tcase(s, tc);

	tc = stateless_case("errors");
	tcase_add_test(tc, sl_df_fits_exactly);
	tcase_add_test(tc, sl_no_df_above_lowest_ipv6_mtu_split);
	suite_add_tcase(s, tc);

	tc = stateless_case("icmp-errors");
	tcase_add_test(tc, sl_err_4to6_tcp_8_bytes);
	tcase_add_test(tc, sl_err_4to6_rfc4884_extension_dropped);
	suite_add_tcase(s, tc);

	tc = stateful_case("stateful", stateful_setup);
	tcase_add_test(tc, sf_udp_round_trip);
	tcase_add_test(tc, sf_udp_zero_checksum_reply);
	tcase_add_test(tc, sf_tcp_round_trip);
	tcase_add_test(tc, sf_icmp_echo_round_trip);
	tcase_add_test(tc, sf_hop_limit_expired_creates_no_state);
	tcase_add_test(tc, sf_err_4to6_time_exceeded_udp);
	tcase_add_test(tc, sf_err_4to6_tcp_and_echo);
	tcase_add_test(tc, sf_err_4to6_no_state);
	tcase_add_test(tc, sf_err_6to4_ptb_from_ipv6_router);
	suite_add_tcase(s, tc);

	tc = stateful_case("pool4-exhausted", tiny_pool_setup);
	tcase_add_test(tc, sf_drop_pool4_exhausted);
	suite_add_tcase(s, tc);

	tc = stateful_case("filtering", adf_setup);
	tcase_add_test(tc, sf_drop_filtered);
	suite_add_tcase(s, tc);

	tc = stateful_case("session-limit", one_session_setup);
	tcase_add_test(tc, sf_drop_session_limit);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(xlat_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
