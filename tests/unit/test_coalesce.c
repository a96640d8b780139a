/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for translator/offload/coalesce.c: translated UDP datagrams of one flow
 * merged into a USO super-packet. Each super-packet is checked byte for
 * byte (headers with the lengths of the whole, the partial checksum the
 * kernel expects in a GSO packet, the virtio-net header), and then cut with
 * the software segmenter (vnet_segment_*, which numbers IPv4 IDs and fills
 * checksums as the kernel's GSO does): the segments must be the datagrams
 * that went in. Expected checksums come from the reference sum of
 * pkt_helpers. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "coalesce.h"
#include "pkt_helpers.h"
#include "vnet.h"

#define PROTO_UDP 17
#define PROTO_TCP 6
#define SRC4 "198.51.100.7"
#define DST4 "203.0.113.5"
#define SRC6 "2001:db8:64::c633:6407"
#define DST6 "2001:db8:6::10"
#define MAXD 70

static struct coalesce *C;

/* The datagrams a test feeds in, and what came out. */
static struct bufs {
	uint8_t pkt[MAXD][2048];
	size_t len[MAXD];
	uint8_t seg[2048];
	uint8_t exp[COALESCE_BUF];
} * B;

static void setup(void)
{
	C = malloc(sizeof(*C));
	B = calloc(1, sizeof(*B));
	ck_assert(C && B);
	coalesce_init(C);
}

static void teardown(void)
{
	free(C);
	free(B);
}

/* IPv4 UDP datagram i of a flow: ID id0 + i, plen payload bytes, full
 * checksums. */
static size_t dgram4(unsigned i, uint16_t id0, uint16_t sport, size_t plen)
{
	uint8_t l4[2048], payload[2048];
	struct tp_ip4 h = {.src = SRC4,
	                   .dst = DST4,
	                   .proto = PROTO_UDP,
	                   .ttl = 63,
	                   .tos = 0x10,
	                   .id = (uint16_t)(id0 + i)};
	size_t n;

	tp_fill(payload, plen, (uint8_t)(i + 1));
	n = tp_udp(l4, sport, 53, payload, plen);
	B->len[i] = tp_ip4(B->pkt[i], &h, l4, n);
	return B->len[i];
}

static size_t dgram6(unsigned i, size_t plen)
{
	uint8_t l4[2048], payload[2048];
	struct tp_ip6 h = {
	    .src = SRC6, .dst = DST6, .nh = PROTO_UDP, .hlim = 63, .tclass = 0x10, .flow = 0x12345};
	size_t n;

	tp_fill(payload, plen, (uint8_t)(i + 1));
	n = tp_udp(l4, 5201, 40000, payload, plen);
	B->len[i] = tp_ip6(B->pkt[i], &h, l4, n);
	return B->len[i];
}

static void add_all(unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		ck_assert_msg(coalesce_add(C, NULL, B->pkt[i], B->len[i]), "datagram %u refused",
		              i);
}

/* The super-packet cut by the software segmenter gives back datagrams
 * 0..n-1 exactly. */
static void assert_segments_are_inputs(const struct vnet_hdr *vh, const uint8_t *sp, size_t len,
                                       unsigned n)
{
	struct vnet_seg s;
	size_t got;
	unsigned i = 0;

	ck_assert_int_eq(vnet_segment_start(&s, vh, sp, len), 0);
	while ((got = vnet_segment_next(&s, B->seg, sizeof(B->seg))) > 0) {
		ck_assert_uint_lt(i, n);
		ck_assert_msg(tp_same(B->seg, got, B->pkt[i], B->len[i]), "segment %u differs", i);
		i++;
	}
	ck_assert_uint_eq(i, n);
}

/* Expected super-packet: datagram 0's headers, lengths of the whole, the
 * payloads in order, the IPv4 header checksum, and in the UDP checksum
 * field the pseudo-header sum (folded, not inverted) for the whole length. */
static size_t expected_super(unsigned n, size_t l3_len)
{
	size_t len = B->len[0], l4_len;
	uint8_t pseudo[40];
	uint16_t sum;

	memcpy(B->exp, B->pkt[0], len);
	for (unsigned i = 1; i < n; i++) {
		size_t plen = B->len[i] - l3_len - 8;

		memcpy(B->exp + len, B->pkt[i] + l3_len + 8, plen);
		len += plen;
	}
	l4_len = len - l3_len;
	if (l3_len == 20) {
		B->exp[2] = (uint8_t)(len >> 8);
		B->exp[3] = (uint8_t)len;
		B->exp[10] = B->exp[11] = 0;
		sum = ref_csum(B->exp, 20);
		B->exp[10] = (uint8_t)(sum >> 8);
		B->exp[11] = (uint8_t)sum;
		memcpy(pseudo, B->exp + 12, 8);
		pseudo[8] = 0;
		pseudo[9] = PROTO_UDP;
		pseudo[10] = (uint8_t)(l4_len >> 8);
		pseudo[11] = (uint8_t)l4_len;
		sum = ref_sum16(pseudo, 12);
	} else {
		B->exp[4] = (uint8_t)(l4_len >> 8);
		B->exp[5] = (uint8_t)l4_len;
		memcpy(pseudo, B->exp + 8, 32);
		memset(pseudo + 32, 0, 8);
		pseudo[34] = (uint8_t)(l4_len >> 8);
		pseudo[35] = (uint8_t)l4_len;
		pseudo[39] = PROTO_UDP;
		sum = ref_sum16(pseudo, 40);
	}
	B->exp[l3_len + 4] = (uint8_t)(l4_len >> 8);
	B->exp[l3_len + 5] = (uint8_t)l4_len;
	B->exp[l3_len + 6] = (uint8_t)(sum >> 8);
	B->exp[l3_len + 7] = (uint8_t)sum;
	return len;
}

START_TEST(ipv4_three_datagrams_one_uso_packet)
{
	struct vnet_hdr vh;
	const uint8_t *sp;
	size_t len, exp_len;

	for (unsigned i = 0; i < 3; i++)
		dgram4(i, 0xfffe, 40000, 64); /* IDs 0xfffe, 0xffff, 0x0000 */
	add_all(3);
	ck_assert_uint_eq(coalesce_flush(C, &vh, &sp, &len), 3);
	exp_len = expected_super(3, 20);
	ck_assert_uint_eq(len, 20 + 8 + 3 * 64);
	ck_assert(tp_same(sp, len, B->exp, exp_len));
	ck_assert_uint_eq(vh.flags, VNET_F_NEEDS_CSUM);
	ck_assert_uint_eq(vh.gso_type, VNET_GSO_UDP_L4);
	ck_assert_uint_eq(vh.hdr_len, 28);
	ck_assert_uint_eq(vh.gso_size, 64);
	ck_assert_uint_eq(vh.csum_start, 20);
	ck_assert_uint_eq(vh.csum_offset, 6);
	assert_segments_are_inputs(&vh, sp, len, 3);
	/* flushed: nothing pending */
	ck_assert_uint_eq(coalesce_flush(C, &vh, &sp, &len), 0);
}
END_TEST

START_TEST(ipv6_short_last_datagram_ends_the_batch)
{
	struct vnet_hdr vh;
	const uint8_t *sp;
	size_t len, exp_len;

	dgram6(0, 1000);
	dgram6(1, 1000);
	dgram6(2, 300);
	dgram6(3, 1000);
	add_all(3);
	/* after a shorter one nothing may follow (GSO cuts gso_size pieces) */
	ck_assert(!coalesce_add(C, NULL, B->pkt[3], B->len[3]));
	ck_assert_uint_eq(coalesce_flush(C, &vh, &sp, &len), 3);
	exp_len = expected_super(3, 40);
	ck_assert_uint_eq(len, 40 + 8 + 2300);
	ck_assert(tp_same(sp, len, B->exp, exp_len));
	ck_assert_uint_eq(vh.hdr_len, 48);
	ck_assert_uint_eq(vh.gso_size, 1000);
	ck_assert_uint_eq(vh.csum_start, 40);
	assert_segments_are_inputs(&vh, sp, len, 3);
}
END_TEST

START_TEST(single_datagram_leaves_unchanged)
{
	struct vnet_hdr vh, in = {.flags = VNET_F_NEEDS_CSUM, .csum_start = 20, .csum_offset = 6};
	const uint8_t *sp;
	size_t len;

	dgram4(0, 7, 40000, 64);
	ck_assert(coalesce_add(C, &in, B->pkt[0], B->len[0]));
	ck_assert_uint_eq(coalesce_flush(C, &vh, &sp, &len), 1);
	ck_assert(tp_same(sp, len, B->pkt[0], B->len[0]));
	ck_assert(memcmp(&vh, &in, sizeof(vh)) == 0);
}
END_TEST

START_TEST(larger_datagram_ipv4_id_gap_other_flow_are_refused)
{
	dgram4(0, 100, 40000, 64);
	dgram4(1, 100, 40000, 65); /* bigger than gso_size */
	add_all(1);
	ck_assert(!coalesce_add(C, NULL, B->pkt[1], B->len[1]));
	dgram4(2, 100, 40000, 64); /* ID 102: 101 missing */
	ck_assert(!coalesce_add(C, NULL, B->pkt[2], B->len[2]));
	dgram4(1, 100, 40001, 64); /* other source port */
	ck_assert(!coalesce_add(C, NULL, B->pkt[1], B->len[1]));
	dgram4(1, 100, 40000, 64);
	B->pkt[1][8]--; /* other TTL; IPv4 checksum left alone: not looked at */
	ck_assert(!coalesce_add(C, NULL, B->pkt[1], B->len[1]));
	dgram4(1, 100, 40000, 64);
	ck_assert(coalesce_add(C, NULL, B->pkt[1], B->len[1]));
}
END_TEST

START_TEST(at_most_64_segments)
{
	struct vnet_hdr vh;
	const uint8_t *sp;
	size_t len;

	for (unsigned i = 0; i <= COALESCE_MAX_SEGS; i++)
		dgram4(i, 1, 40000, 16);
	add_all(COALESCE_MAX_SEGS);
	ck_assert(!coalesce_add(C, NULL, B->pkt[COALESCE_MAX_SEGS], B->len[COALESCE_MAX_SEGS]));
	ck_assert_uint_eq(coalesce_flush(C, &vh, &sp, &len), COALESCE_MAX_SEGS);
	assert_segments_are_inputs(&vh, sp, len, COALESCE_MAX_SEGS);
}
END_TEST

START_TEST(at_most_65535_bytes)
{
	/* 1400-byte payloads: 46 fit in an IPv4 total length of 65535. */
	unsigned fit = (65535 - 28) / 1400;

	for (unsigned i = 0; i <= fit; i++)
		dgram4(i, 1, 40000, 1400);
	add_all(fit);
	ck_assert(!coalesce_add(C, NULL, B->pkt[fit], B->len[fit]));
}
END_TEST

/* What never joins a batch, not even as its first datagram. */
START_TEST(not_coalescable)
{
	uint8_t l4[64], payload[32] = {0};
	struct tp_ip4 frag = {
	    .src = SRC4, .dst = DST4, .proto = PROTO_UDP, .ttl = 63, .frag = TP_MF};
	struct tp_ip4 opts = {.src = SRC4,
	                      .dst = DST4,
	                      .proto = PROTO_UDP,
	                      .ttl = 63,
	                      .opts = (const uint8_t *)"\x01\x01\x01\x00",
	                      .opts_len = 4};
	struct tp_ip4 tcp = {.src = SRC4, .dst = DST4, .proto = PROTO_TCP, .ttl = 63};
	struct vnet_hdr gso = {.flags = VNET_F_NEEDS_CSUM,
	                       .gso_type = VNET_GSO_UDP_L4,
	                       .gso_size = 16,
	                       .csum_start = 20,
	                       .csum_offset = 6};
	struct vnet_hdr bad_start = {
	    .flags = VNET_F_NEEDS_CSUM, .csum_start = 24, .csum_offset = 6};
	size_t n = tp_udp(l4, 1, 2, payload, sizeof(payload)), len;
	uint8_t p[128];

	len = tp_ip4(p, &frag, l4, n); /* a fragment */
	ck_assert(!coalesce_add(C, NULL, p, len));
	len = tp_ip4(p, &opts, l4, n); /* IPv4 options */
	ck_assert(!coalesce_add(C, NULL, p, len));
	len = tp_ip4(p, &tcp, l4, tp_tcp(l4, 1, 2, 0, 0, TP_ACK, payload, 8));
	ck_assert(!coalesce_add(C, NULL, p, len));

	len = dgram4(0, 1, 40000, 32);
	ck_assert(!coalesce_add(C, &gso, B->pkt[0], len));       /* already GSO */
	ck_assert(!coalesce_add(C, &bad_start, B->pkt[0], len)); /* offsets off */
	ck_assert(!coalesce_add(C, NULL, B->pkt[0], len - 1));   /* lengths disagree */
	B->pkt[0][len - 1] ^= 1; /* a corrupted payload: merging would repair it */
	ck_assert(!coalesce_add(C, NULL, B->pkt[0], len));
	B->pkt[0][len - 1] ^= 1;
	B->pkt[0][26] = B->pkt[0][27] = 0; /* IPv4 UDP without checksum */
	ck_assert(!coalesce_add(C, NULL, B->pkt[0], len));

	len = dgram4(0, 1, 40000, 0); /* no payload: gso_size 0 is not GSO */
	ck_assert(!coalesce_add(C, NULL, B->pkt[0], len));
	ck_assert_uint_eq(C->segs, 0);
}
END_TEST

/* A partial checksum (NEEDS_CSUM, as read from the tun) is not verified:
 * the kernel computes it from the data anyway. */
START_TEST(partial_checksums_join)
{
	struct vnet_hdr part = {.flags = VNET_F_NEEDS_CSUM, .csum_start = 20, .csum_offset = 6};
	struct vnet_hdr vh;
	const uint8_t *sp;
	size_t len;

	dgram4(0, 9, 40000, 64);
	dgram4(1, 9, 40000, 64);
	B->pkt[1][26] ^= 0x55; /* field holds something else than the full sum */
	ck_assert(coalesce_add(C, &part, B->pkt[0], B->len[0]));
	ck_assert(coalesce_add(C, &part, B->pkt[1], B->len[1]));
	B->pkt[1][26] ^= 0x55;
	ck_assert_uint_eq(coalesce_flush(C, &vh, &sp, &len), 2);
	assert_segments_are_inputs(&vh, sp, len, 2);
}
END_TEST

static Suite *coalesce_suite(void)
{
	Suite *s = suite_create("coalesce");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, ipv4_three_datagrams_one_uso_packet);
	tcase_add_test(tc, ipv6_short_last_datagram_ends_the_batch);
	tcase_add_test(tc, single_datagram_leaves_unchanged);
	tcase_add_test(tc, larger_datagram_ipv4_id_gap_other_flow_are_refused);
	tcase_add_test(tc, at_most_64_segments);
	tcase_add_test(tc, at_most_65535_bytes);
	tcase_add_test(tc, not_coalescable);
	tcase_add_test(tc, partial_checksums_join);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(coalesce_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
