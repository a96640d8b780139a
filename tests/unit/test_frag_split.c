/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for RFC 7915 §4.1 fragmentation in translator/core (xlat_4to6.c, dispatch.c): an IPv4
 * packet without DF whose translation exceeds lowest-ipv6-mtu leaves as
 * IPv6 fragments (XLAT_SEND_MANY). Expected fragments are cut by hand from
 * the expected unsplit translation, which pkt_helpers builds with its
 * reference checksum; each fragment is then built with tp_ip6 and a literal
 * Fragment header. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frag.h"
#include "nat64.h"
#include "pkt_helpers.h"
#include "xlat.h"
#include "xlat_fixture.h"

/* Stateless: both sides RFC 6052 mapped under 2001:db8:64::/96. */
#define SL_C6 "2001:db8:64::c000:221" /* 192.0.2.33 */
#define SL_C4 "192.0.2.33"
#define SRV6 "2001:db8:64::cb00:7105" /* 203.0.113.5 */
#define SRV4 "203.0.113.5"
/* Stateful: an IPv6-only client, pool4 198.51.100.0/28. */
#define SF_C6 "2001:db8:6::10"

#define FRAG_HDR 8
#define NH_FRAGMENT 44
#define PROTO_UDP 17
#define PROTO_ICMPV6 58
/* lowest-ipv6-mtu 1280: 1280 - 40 - 8 = 1232 payload bytes per fragment */
#define CHUNK 1232

static struct xlat_fixture *F;

/* The expected translation, unsplit (the fixture's exp holds the expected
 * fragments, back to back). */
static struct scratch {
	uint8_t whole[XF_BIG];
} *S;

static void setup(enum xlat_mode mode)
{
	F = xf_new(mode, "192.0.2.1", "2001:db8:64::c000:201");
	S = calloc(1, sizeof(*S));
	ck_assert_ptr_nonnull(S);
}

static void stateless_setup(void)
{
	setup(XLAT_STATELESS);
}

static void stateful_setup(void)
{
	setup(XLAT_STATEFUL);
	xf_add_nat(F, &xf_nat_default);
	xf_add_frags(F);
}

static void teardown(void)
{
	xf_free(F);
	F = NULL;
	free(S);
	S = NULL;
}

static enum xlat_verdict run_partial(const uint8_t *p, size_t len, bool csum_partial)
{
	return xf_run(F, p, len, csum_partial);
}

static enum xlat_verdict run(const uint8_t *p, size_t len)
{
	return xf_run(F, p, len, false);
}

/* ---- expected packets ---- */

/* One expected fragment: the unsplit translation's header fields (h), a
 * literal Fragment header, and data bytes of the transport. */
static size_t exp_fragment(uint8_t *o, const struct tp_ip6 *whole_hdr, uint8_t nh,
			   uint16_t offset_units, bool more, uint32_t id, const uint8_t *data,
			   size_t n)
{
	uint8_t fh[FRAG_HDR] = { nh,
				 0,
				 (uint8_t)(offset_units >> 5),
				 (uint8_t)(offset_units << 3 | (more ? 1 : 0)),
				 (uint8_t)(id >> 24),
				 (uint8_t)(id >> 16),
				 (uint8_t)(id >> 8),
				 (uint8_t)id };
	struct tp_ip6 h = *whole_hdr;

	h.ext = fh;
	h.ext_len = sizeof(fh);
	h.ext_first = NH_FRAGMENT;
	h.keep_l4_csum = true;
	return tp_ip6(o, &h, data, n);
}

/* Checks that the output is exactly the fragments in F->exp (exp_len bytes,
 * npieces of them) and that the counters say one datagram, translated and
 * fragmented. */
static void expect_split(const uint8_t *exp, size_t exp_len, unsigned npieces)
{
	const uint8_t *p = F->out;
	size_t left = F->out_len, n;
	unsigned pieces = 0;

	ck_assert_int_eq(F->verdict, XLAT_SEND_MANY);
	ck_assert_ptr_eq(F->out, F->ctx.split);
	ck_assert(tp_same(F->out, F->out_len, exp, exp_len));
	while ((n = xlat_many_next(p, left)) > 0) {
		ck_assert_uint_le(n, F->cfg.lowest_ipv6_mtu);
		p += n;
		left -= n;
		pieces++;
	}
	ck_assert_uint_eq(left, 0);
	ck_assert_uint_eq(pieces, npieces);
	xf_expect_only(F, DIR_4TO6, CTR_RX, CTR_TRANSLATED, CTR_FRAGMENTED, CTR_MAX);
}

/* An IPv4 UDP datagram of total bytes (20 + 8 + payload), from src:53 to
 * dst:dport, with flags/offset frag and Identification id. */
static size_t udp4_dgram(uint8_t *o, const char *src, const char *dst, uint16_t dport,
			 size_t total, uint16_t frag, uint16_t id)
{
	struct tp_ip4 h = { .src = src, .dst = dst, .proto = PROTO_UDP, .ttl = 64, .tos = 0x28,
			    .id = id, .frag = frag };
	static uint8_t data[2000];

	tp_fill(data, total - 28, 9);
	return tp_ip4(o, &h, F->l4, tp_udp(F->l4, 53, dport, data, total - 28));
}

/* The unsplit IPv6 translation of udp4_dgram into S->whole; h: its header
 * fields for the fragments. Returns the transport length. */
static size_t udp6_whole(struct tp_ip6 *h, const char *src6, const char *dst6, uint16_t dport,
			 size_t total)
{
	static uint8_t data[2000];
	size_t l4len;

	*h = (struct tp_ip6){ .src = src6, .dst = dst6, .nh = PROTO_UDP, .hlim = 63,
			      .tclass = 0x28 };
	tp_fill(data, total - 28, 9);
	l4len = tp_udp(F->l4, 53, dport, data, total - 28);
	tp_ip6(S->whole, h, F->l4, l4len);
	return l4len;
}

/* ---- RFC 7915 §4.1: whole datagrams ---- */

/* 1400 bytes without DF: 1420 once translated, over 1280. Two fragments,
 * 1232 + 148 transport bytes, ID = the IPv4 ID, M on the first only; the
 * first carries the UDP checksum of the whole datagram. */
START_TEST(sl_udp_1400_no_df_split)
{
	struct tp_ip6 h;
	size_t l4len, en;
	const uint8_t *t = S->whole + 40;

	run(F->in, udp4_dgram(F->in, SRV4, SL_C4, 5353, 1400, 0, 0xabcd));
	l4len = udp6_whole(&h, SRV6, SL_C6, 5353, 1400);
	ck_assert_uint_eq(l4len, 1380);
	en = exp_fragment(F->exp, &h, PROTO_UDP, 0, true, 0xabcd, t, CHUNK);
	en += exp_fragment(F->exp + en, &h, PROTO_UDP, CHUNK / 8, false, 0xabcd, t + CHUNK,
			   l4len - CHUNK);
	ck_assert_uint_eq(en, 1280 + 40 + 8 + 148);
	expect_split(F->exp, en, 2);
	/* The checksum in the first fragment is the unsplit translation's. */
	ck_assert_mem_eq(F->out + 48 + 6, S->whole + 40 + 6, 2);
}
END_TEST

/* One byte more than fits: 1261 bytes of IPv4 give 1281 of IPv6. */
START_TEST(sl_one_byte_over_split)
{
	struct tp_ip6 h;
	size_t l4len, en;
	const uint8_t *t = S->whole + 40;

	run(F->in, udp4_dgram(F->in, SRV4, SL_C4, 5353, 1261, 0, 7));
	l4len = udp6_whole(&h, SRV6, SL_C6, 5353, 1261);
	en = exp_fragment(F->exp, &h, PROTO_UDP, 0, true, 7, t, CHUNK);
	en += exp_fragment(F->exp + en, &h, PROTO_UDP, CHUNK / 8, false, 7, t + CHUNK,
			   l4len - CHUNK);
	expect_split(F->exp, en, 2);
}
END_TEST

/* The largest datagram: 65535 bytes of IPv4 in 54 pieces, which is what
 * XLAT_SPLIT_MAX is sized for. */
START_TEST(sl_largest_datagram_split)
{
	struct tp_ip4 h4 = { .src = SRV4, .dst = SL_C4, .proto = PROTO_UDP, .ttl = 64, .id = 9 };
	struct tp_ip6 h = { .src = SRV6, .dst = SL_C6, .nh = PROTO_UDP, .hlim = 63 };
	static uint8_t data[65535];
	size_t l4len = 65535 - 20, en = 0, done = 0;
	unsigned pieces = 0;

	tp_fill(data, l4len - 8, 3);
	run(F->in, tp_ip4(F->in, &h4, F->l4, tp_udp(F->l4, 53, 5353, data, l4len - 8)));
	tp_ip6(S->whole, &h, F->l4, tp_udp(F->l4, 53, 5353, data, l4len - 8));
	while (done < l4len) {
		size_t n = l4len - done < CHUNK ? l4len - done : CHUNK;

		en += exp_fragment(F->exp + en, &h, PROTO_UDP, (uint16_t)(done / 8),
				   done + n < l4len, 9, S->whole + 40 + done, n);
		done += n;
		pieces++;
	}
	ck_assert_uint_eq(pieces, 54);
	ck_assert_uint_le(en, XLAT_SPLIT_MAX);
	expect_split(F->exp, en, pieces);
}
END_TEST

/* ICMP echo without DF (ping -M dont -s 1400 from the IPv4 side): the
 * ICMPv6 checksum covers the whole message, pseudo-header included. */
START_TEST(sl_icmp_echo_split)
{
	struct tp_ip4 h4 = { .src = SRV4, .dst = SL_C4, .proto = 1, .ttl = 64, .id = 0x0101 };
	struct tp_ip6 h = { .src = SRV6, .dst = SL_C6, .nh = PROTO_ICMPV6, .hlim = 63 };
	static uint8_t data[1400];
	size_t l4len, en;
	const uint8_t *t = S->whole + 40;

	tp_fill(data, sizeof(data), 0x55);
	run(F->in, tp_ip4(F->in, &h4, F->l4, tp_icmp(F->l4, 8, 0, 0x4242, 1, data, 1400)));
	l4len = tp_icmp(F->l4, 128, 0, 0x4242, 1, data, 1400);
	tp_ip6(S->whole, &h, F->l4, l4len);
	en = exp_fragment(F->exp, &h, PROTO_ICMPV6, 0, true, 0x0101, t, CHUNK);
	en += exp_fragment(F->exp + en, &h, PROTO_ICMPV6, CHUNK / 8, false, 0x0101, t + CHUNK,
			   l4len - CHUNK);
	expect_split(F->exp, en, 2);
}
END_TEST

/* Offloads: a checksum left partial (VNET_F_NEEDS_CSUM, the field holding
 * the IPv4 pseudo-header sum) is finished before the split, since nobody
 * can finish it over the pieces. */
START_TEST(sl_partial_checksum_finished)
{
	struct tp_ip4 h4 = { .src = SRV4, .dst = SL_C4, .proto = PROTO_UDP, .ttl = 64,
			     .id = 0xabcd, .tos = 0x28, .keep_l4_csum = true };
	struct tp_ip6 h;
	static uint8_t data[2000];
	uint8_t pseudo[12] = { 0 };
	size_t n, l4len, en;
	uint16_t psum;
	const uint8_t *t = S->whole + 40;

	tp_fill(data, 1400 - 28, 9);
	l4len = tp_udp(F->l4, 53, 5353, data, 1400 - 28);
	tp_addr4(SRV4, pseudo);
	tp_addr4(SL_C4, pseudo + 4);
	pseudo[9] = PROTO_UDP;
	pseudo[10] = (uint8_t)(l4len >> 8);
	pseudo[11] = (uint8_t)l4len;
	psum = ref_sum16(pseudo, sizeof(pseudo));
	F->l4[6] = (uint8_t)(psum >> 8);
	F->l4[7] = (uint8_t)psum;
	n = tp_ip4(F->in, &h4, F->l4, l4len);
	run_partial(F->in, n, true);
	udp6_whole(&h, SRV6, SL_C6, 5353, 1400);
	en = exp_fragment(F->exp, &h, PROTO_UDP, 0, true, 0xabcd, t, CHUNK);
	en += exp_fragment(F->exp + en, &h, PROTO_UDP, CHUNK / 8, false, 0xabcd, t + CHUNK,
			   l4len - CHUNK);
	expect_split(F->exp, en, 2);
}
END_TEST

/* ---- RFC 7915 §4.1: datagrams that are IPv4 fragments already ---- */

/* A middle fragment (offset 100 units, MF) of 1300 payload bytes: 1348
 * bytes with its Fragment header. The pieces go on from offset 100, and
 * both keep M, since more of the datagram follows. Then the same as the
 * last fragment (MF clear): the last piece has M clear. */
START_TEST(sl_ipv4_fragment_split)
{
	struct tp_ip4 h4 = { .src = SRV4, .dst = SL_C4, .proto = PROTO_UDP, .ttl = 64,
			     .id = 0x0777, .frag = TP_MF | 100, .keep_l4_csum = true };
	struct tp_ip6 h = { .src = SRV6, .dst = SL_C6, .nh = PROTO_UDP, .hlim = 63 };
	static uint8_t d[1300];
	size_t en;

	tp_fill(d, sizeof(d), 0x21);
	for (int last = 0; last <= 1; last++) {
		memset(&F->ctr, 0, sizeof(F->ctr));
		h4.frag = (uint16_t)(last ? 100 : TP_MF | 100);
		run(F->in, tp_ip4(F->in, &h4, d, sizeof(d)));
		en = exp_fragment(F->exp, &h, PROTO_UDP, 100, true, 0x0777, d, CHUNK);
		en += exp_fragment(F->exp + en, &h, PROTO_UDP, 100 + CHUNK / 8, !last, 0x0777,
				   d + CHUNK, sizeof(d) - CHUNK);
		expect_split(F->exp, en, 2);
	}
}
END_TEST

/* A first fragment (offset 0, MF) too big: every piece keeps M. Its UDP
 * checksum (over the whole 2000-byte datagram) is rewritten for the IPv6
 * pseudo-header: the reference sums the whole datagram both ways. */
START_TEST(sl_ipv4_first_fragment_split)
{
	struct tp_ip4 h4 = { .src = SRV4, .dst = SL_C4, .proto = PROTO_UDP, .ttl = 64,
			     .id = 0x0778, .frag = TP_MF, .keep_l4_csum = true };
	struct tp_ip6 h = { .src = SRV6, .dst = SL_C6, .nh = PROTO_UDP, .hlim = 63 };
	static uint8_t data[2000 - 8], d4[2000], d6[2000];
	uint8_t s4[4], c4[4], s6[16], c6[16];
	uint16_t c;
	size_t en;

	tp_addr4(SRV4, s4);
	tp_addr4(SL_C4, c4);
	tp_addr6(SRV6, s6);
	tp_addr6(SL_C6, c6);
	tp_fill(data, sizeof(data), 0x31);
	tp_udp(d4, 53, 5353, data, sizeof(data));
	memcpy(d6, d4, sizeof(d6));
	c = ref_l4_csum4(s4, c4, PROTO_UDP, d4, sizeof(d4));
	d4[6] = (uint8_t)(c >> 8);
	d4[7] = (uint8_t)c;
	c = ref_l4_csum6(s6, c6, PROTO_UDP, d6, sizeof(d6));
	d6[6] = (uint8_t)(c >> 8);
	d6[7] = (uint8_t)c;

	run(F->in, tp_ip4(F->in, &h4, d4, 1400)); /* the first 1400 bytes */
	en = exp_fragment(F->exp, &h, PROTO_UDP, 0, true, 0x0778, d6, CHUNK);
	en += exp_fragment(F->exp + en, &h, PROTO_UDP, CHUNK / 8, true, 0x0778, d6 + CHUNK,
			   1400 - CHUNK);
	expect_split(F->exp, en, 2);
}
END_TEST

/* ---- what is not split ---- */

/* With DF the answer is still Fragmentation Needed (RFC 1191), and a
 * packet that fits goes out whole. */
START_TEST(sl_df_not_split)
{
	const uint8_t *icmp;

	F->cfg.mtu = 1300;
	run(F->in, udp4_dgram(F->in, SRV4, SL_C4, 5353, 1400, TP_DF, 1));
	ck_assert_int_eq(F->verdict, XLAT_SEND);
	ck_assert_ptr_eq(F->out, F->ctx.scratch);
	icmp = F->out + 20;
	ck_assert_uint_eq(icmp[0], 3);
	ck_assert_uint_eq(icmp[1], 4);
	ck_assert_uint_eq((unsigned)(icmp[6] << 8 | icmp[7]), 1300 - 20);
	xf_expect_only(F, DIR_4TO6, CTR_RX, CTR_DROP_TOO_BIG, CTR_ICMP_ERROR_SENT, CTR_MAX);

	memset(&F->ctr, 0, sizeof(F->ctr));
	run(F->in, udp4_dgram(F->in, SRV4, SL_C4, 5353, 1260, 0, 1));
	ck_assert_int_eq(F->verdict, XLAT_SEND);
	ck_assert_uint_eq(F->out_len, 1280);
	xf_expect_only(F, DIR_4TO6, CTR_RX, CTR_TRANSLATED, CTR_MAX);
}
END_TEST

START_TEST(many_next_bounds)
{
	uint8_t p[48] = { 0x60, 0, 0, 0, 0, 8 };

	ck_assert_uint_eq(xlat_many_next(p, 48), 48);
	ck_assert_uint_eq(xlat_many_next(p, 47), 0);
	ck_assert_uint_eq(xlat_many_next(p, 39), 0);
	p[0] = 0x45;
	ck_assert_uint_eq(xlat_many_next(p, 48), 0);
}
END_TEST

/* ---- stateful (RFC 6146) ---- */

/* The client opens a UDP flow; the server's 1400-byte reply without DF
 * reaches the client as two fragments, addressed to (X', x). */
START_TEST(sf_reply_split)
{
	struct tp_ip6 h6 = { .src = SF_C6, .dst = SRV6, .nh = PROTO_UDP, .hlim = 64 };
	struct tp_ip6 h;
	char t4[16];
	uint16_t tport;
	size_t l4len, en;
	const uint8_t *t = S->whole + 40;

	run(F->in, tp_ip6(F->in, &h6, F->l4, tp_udp(F->l4, 5353, 53, "hi", 2)));
	ck_assert_int_eq(F->verdict, XLAT_SEND);
	snprintf(t4, sizeof(t4), "%u.%u.%u.%u", F->out[12], F->out[13], F->out[14], F->out[15]);
	tport = (uint16_t)(F->out[20] << 8 | F->out[21]);
	memset(&F->ctr, 0, sizeof(F->ctr));

	run(F->in, udp4_dgram(F->in, SRV4, t4, tport, 1400, 0, 0x4321));
	l4len = udp6_whole(&h, SRV6, SF_C6, 5353, 1400);
	en = exp_fragment(F->exp, &h, PROTO_UDP, 0, true, 0x4321, t, CHUNK);
	en += exp_fragment(F->exp + en, &h, PROTO_UDP, CHUNK / 8, false, 0x4321, t + CHUNK,
			   l4len - CHUNK);
	expect_split(F->exp, en, 2);
}
END_TEST

static Suite *frag_split_suite(void)
{
	Suite *s = suite_create("frag_split");
	TCase *tc = tcase_create("stateless");
	TCase *sf = tcase_create("stateful");

	tcase_add_checked_fixture(tc, stateless_setup, teardown);
	tcase_add_test(tc, sl_udp_1400_no_df_split);
	tcase_add_test(tc, sl_one_byte_over_split);
	tcase_add_test(tc, sl_largest_datagram_split);
	tcase_add_test(tc, sl_icmp_echo_split);
	tcase_add_test(tc, sl_partial_checksum_finished);
	tcase_add_test(tc, sl_ipv4_fragment_split);
	tcase_add_test(tc, sl_ipv4_first_fragment_split);
	tcase_add_test(tc, sl_df_not_split);
	tcase_add_test(tc, many_next_bounds);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(sf, stateful_setup, teardown);
	tcase_add_test(sf, sf_reply_split);
	suite_add_tcase(s, sf);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(frag_split_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
