/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for translator/offload/vnet.c and the offload fast path of xlat.c:
 * virtio-net headers mapped across translation, partial (offloaded)
 * transport checksums, and software segmentation of GSO packets. Expected
 * packets are built with pkt_helpers; partial checksums (the pseudo-header
 * sum the kernel leaves in the field) with the reference sum, ref_sum16. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checksum.h"
#include "nat64.h"
#include "pkt_helpers.h"
#include "vnet.h"
#include "xlat.h"
#include "xlat_fixture.h"

/* Stateless: both sides RFC 6052 mapped under 2001:db8:64::/96. */
#define C6 "2001:db8:64::c000:221" /* 192.0.2.33 */
#define C4 "192.0.2.33"
#define S6 "2001:db8:64::cb00:7105" /* 203.0.113.5 */
#define S4 "203.0.113.5"
/* Stateful: an IPv6-only client, pool4 198.51.100.0/28. */
#define SF_C6 "2001:db8:6::10"
#define POOL4 "198.51.100.0"

#define PROTO_TCP 6
#define PROTO_UDP 17
#define TCP_CWR 0x80

static struct xlat_fixture *F;

/* The tests' own state beside the fixture. */
static struct scratch {
	struct vnet_hdr vh;
	uint8_t seg[XF_BIG];
} * S;

static void setup(enum xlat_mode mode)
{
	F = xf_new(mode, "192.0.2.1", "2001:db8:64::c000:201");
	F->ctx.ipv4_id_next = 0x1234;
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
}

static void teardown(void)
{
	xf_free(F);
	F = NULL;
	free(S);
	S = NULL;
}

/* ---- reference partial checksums ---- */

static uint16_t ref_pseudo4(const char *src, const char *dst, uint8_t proto, size_t len)
{
	uint8_t p[12] = {0};

	tp_addr4(src, p);
	tp_addr4(dst, p + 4);
	p[9] = proto;
	p[10] = (uint8_t)(len >> 8);
	p[11] = (uint8_t)len;
	return ref_sum16(p, sizeof(p));
}

static uint16_t ref_pseudo6(const char *src, const char *dst, uint8_t nh, size_t len)
{
	uint8_t p[40] = {0};

	tp_addr6(src, p);
	tp_addr6(dst, p + 16);
	p[34] = (uint8_t)(len >> 8);
	p[35] = (uint8_t)len;
	p[39] = nh;
	return ref_sum16(p, sizeof(p));
}

static void set16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* What a receiver's stack does with a partial checksum: sum the transport
 * (field included) and store the complement. Reference sum only. */
static void ref_complete(uint8_t *pkt, size_t len, size_t l3_len, size_t field_off)
{
	set16(pkt + l3_len + field_off, (uint16_t)~ref_sum16(pkt + l3_len, len - l3_len));
}

/* A TCP segment of plen filler bytes whose checksum field holds the
 * partial sum for the given pseudo-header sum. Returns its length. */
static size_t tcp_partial(uint8_t *out, uint16_t sport, uint16_t dport, uint32_t seq, uint8_t flags,
                          size_t plen, uint8_t seed)
{
	static uint8_t payload[XF_BIG];
	size_t n;

	tp_fill(payload, plen, seed);
	n = tp_tcp(out, sport, dport, seq, 0x01020304, flags, payload, plen);
	return n;
}

static enum xlat_verdict run_fast(const uint8_t *p, size_t len, const struct vnet_hdr *vh)
{
	enum xlat_verdict v;

	memcpy(F->buf + XLAT_HEADROOM, p, len);
	F->pkt = (struct xlat_pkt){
	    .buf = F->buf, .cap = sizeof(F->buf), .off = XLAT_HEADROOM, .len = len};
	S->vh = *vh;
	ck_assert_int_eq(vnet_classify(&S->vh, F->buf + XLAT_HEADROOM, len, &F->cfg), VNET_FAST);
	F->pkt.csum_partial = true;
	F->pkt.gso = vh->gso_type != VNET_GSO_NONE;
	F->pkt.gso_size = vnet_gso_size(vh);
	v = xlat_packet(&F->ctx, &F->pkt, &F->out, &F->out_len);
	if (v == XLAT_SEND)
		vnet_after_xlat(&S->vh, F->out, F->out_len);
	return v;
}

static void assert_vnet(const struct vnet_hdr *got, const struct vnet_hdr *want)
{
	ck_assert_msg(memcmp(got, want, sizeof(*got)) == 0,
	              "vnet hdr flags %u gso_type %u hdr_len %u gso_size %u csum_start %u "
	              "csum_offset %u; want %u %u %u %u %u %u",
	              got->flags, got->gso_type, got->hdr_len, got->gso_size, got->csum_start,
	              got->csum_offset, want->flags, want->gso_type, want->hdr_len, want->gso_size,
	              want->csum_start, want->csum_offset);
}

/* ---- partial checksum arithmetic ---- */

/* The field after the update, completed by the receiver, is the full
 * checksum of the translated segment: for a spread of pseudo-headers. */
START_TEST(partial_update_completes_to_full_checksum)
{
	static const char *const src6[] = {C6, "2001:db8:6::ffff", "2001:db8:6::1"};
	static const char *const src4[] = {C4, "198.51.100.15", "192.0.2.255"};
	size_t plen = 1000 + (size_t)_i * 333;
	size_t l4len = tcp_partial(F->l4, 1234, 80, 7, TP_ACK, plen, (uint8_t)_i);
	uint32_t old_pseudo, new_pseudo;
	uint8_t s6[16], d6[16];
	uint16_t field;

	tp_addr6(src6[_i], s6);
	tp_addr6(S6, d6);
	set16(F->l4 + 16, ref_pseudo6(src6[_i], S6, PROTO_TCP, l4len));
	old_pseudo = csum_pseudo6(s6, d6, PROTO_TCP, (uint32_t)l4len);
	new_pseudo =
	    csum_pseudo4(tp_addr4_host(src4[_i]), tp_addr4_host(S4), PROTO_TCP, (uint16_t)l4len);
	field = csum_partial_update(get16(F->l4 + 16), old_pseudo, new_pseudo);
	ck_assert_uint_eq(field, ref_pseudo4(src4[_i], S4, PROTO_TCP, l4len));
	set16(F->l4 + 16, field);
	set16(F->l4 + 16, (uint16_t)~ref_sum16(F->l4, l4len));
	{
		uint8_t a[4], b[4];
		uint16_t got = get16(F->l4 + 16);

		tp_addr4(src4[_i], a);
		tp_addr4(S4, b);
		set16(F->l4 + 16, 0);
		ck_assert_uint_eq(got, ref_l4_csum4(a, b, PROTO_TCP, F->l4, l4len));
	}
}
END_TEST

/* ---- the fast path, whole packets ---- */

/* IPv6 -> IPv4, a 3000-byte TCP super-packet cut at 1400: one header
 * rewrite, partial checksum for the IPv4 pseudo-header, header mapped
 * (TCPV4, csum_start 20, hdr_len 40), three IDs taken. */
START_TEST(fast_6to4_tcp_gso)
{
	struct tp_ip6 h6 = {
	    .src = C6, .dst = S6, .nh = PROTO_TCP, .hlim = 64, .keep_l4_csum = true};
	struct tp_ip4 h4 = {.src = C4,
	                    .dst = S4,
	                    .proto = PROTO_TCP,
	                    .ttl = 63,
	                    .id = 0x1234,
	                    .frag = TP_DF,
	                    .keep_l4_csum = true};
	struct vnet_hdr in = {VNET_F_NEEDS_CSUM, VNET_GSO_TCPV6, 60, 1400, 40, 16};
	struct vnet_hdr want = {VNET_F_NEEDS_CSUM, VNET_GSO_TCPV4, 40, 1400, 20, 16};
	size_t l4len = tcp_partial(F->l4, 40000, 80, 1000, TP_ACK | TP_PSH, 3000, 1);
	size_t len, elen;

	set16(F->l4 + 16, ref_pseudo6(C6, S6, PROTO_TCP, l4len));
	len = tp_ip6(F->in, &h6, F->l4, l4len);
	set16(F->l4 + 16, ref_pseudo4(C4, S4, PROTO_TCP, l4len));
	elen = tp_ip4(F->exp, &h4, F->l4, l4len);

	ck_assert_int_eq(run_fast(F->in, len, &in), XLAT_SEND);
	ck_assert(tp_same(F->out, F->out_len, F->exp, elen));
	assert_vnet(&S->vh, &want);
	ck_assert_uint_eq(F->ctx.ipv4_id_next, 0x1234 + 3);
	memcpy(F->exp, F->out, F->out_len);
	ref_complete(F->exp, F->out_len, 20, 16);
	ck_assert(tp_csums_ok(F->exp, F->out_len));
}
END_TEST

/* IPv4 -> IPv6 with DF: segments of 40 + 20 + 1400 fit the 1500 MTU. ECN
 * survives. */
START_TEST(fast_4to6_tcp_gso)
{
	struct tp_ip4 h4 = {.src = S4,
	                    .dst = C4,
	                    .proto = PROTO_TCP,
	                    .ttl = 64,
	                    .tos = 0x02,
	                    .id = 77,
	                    .frag = TP_DF,
	                    .keep_l4_csum = true};
	struct tp_ip6 h6 = {.src = S6,
	                    .dst = C6,
	                    .nh = PROTO_TCP,
	                    .hlim = 63,
	                    .tclass = 0x02,
	                    .keep_l4_csum = true};
	struct vnet_hdr in = {VNET_F_NEEDS_CSUM, VNET_GSO_TCPV4 | VNET_GSO_ECN, 40, 1400, 20, 16};
	struct vnet_hdr want = {VNET_F_NEEDS_CSUM, VNET_GSO_TCPV6 | VNET_GSO_ECN, 60, 1400, 40, 16};
	size_t l4len = tcp_partial(F->l4, 80, 40000, 5000, TP_ACK, 2800, 2);
	size_t len, elen;

	set16(F->l4 + 16, ref_pseudo4(S4, C4, PROTO_TCP, l4len));
	len = tp_ip4(F->in, &h4, F->l4, l4len);
	set16(F->l4 + 16, ref_pseudo6(S6, C6, PROTO_TCP, l4len));
	elen = tp_ip6(F->exp, &h6, F->l4, l4len);

	ck_assert_int_eq(run_fast(F->in, len, &in), XLAT_SEND);
	ck_assert(tp_same(F->out, F->out_len, F->exp, elen));
	assert_vnet(&S->vh, &want);
	ck_assert_uint_eq(F->ctx.ipv4_id_next, 0x1234); /* no IPv4 IDs taken */
	memcpy(F->exp, F->out, F->out_len);
	ref_complete(F->exp, F->out_len, 40, 16);
	ck_assert(tp_csums_ok(F->exp, F->out_len));
}
END_TEST

/* A partial checksum without GSO, UDP, IPv4 -> IPv6: csum_offset 6. */
START_TEST(fast_4to6_udp_csum_only)
{
	struct tp_ip4 h4 = {
	    .src = S4, .dst = C4, .proto = PROTO_UDP, .ttl = 64, .id = 5, .keep_l4_csum = true};
	struct tp_ip6 h6 = {
	    .src = S6, .dst = C6, .nh = PROTO_UDP, .hlim = 63, .keep_l4_csum = true};
	struct vnet_hdr in = {VNET_F_NEEDS_CSUM, VNET_GSO_NONE, 28, 0, 20, 6};
	struct vnet_hdr want = {VNET_F_NEEDS_CSUM, VNET_GSO_NONE, 48, 0, 40, 6};
	uint8_t payload[300];
	size_t l4len, len, elen;

	tp_fill(payload, sizeof(payload), 3);
	l4len = tp_udp(F->l4, 53, 5353, payload, sizeof(payload));
	set16(F->l4 + 6, ref_pseudo4(S4, C4, PROTO_UDP, l4len));
	len = tp_ip4(F->in, &h4, F->l4, l4len);
	set16(F->l4 + 6, ref_pseudo6(S6, C6, PROTO_UDP, l4len));
	elen = tp_ip6(F->exp, &h6, F->l4, l4len);

	ck_assert_int_eq(run_fast(F->in, len, &in), XLAT_SEND);
	ck_assert(tp_same(F->out, F->out_len, F->exp, elen));
	assert_vnet(&S->vh, &want);
}
END_TEST

/* Stateful: the source port changes, but a partial checksum does not
 * cover ports yet, so only the pseudo-header part moves. */
START_TEST(fast_6to4_stateful_port_rewrite)
{
	struct tp_ip6 h6 = {.src = SF_C6, .dst = S6, .nh = PROTO_TCP, .hlim = 64};
	struct vnet_hdr in = {VNET_F_NEEDS_CSUM, VNET_GSO_TCPV6, 60, 1400, 40, 16};
	uint8_t syn[80];
	size_t l4len, len;
	uint16_t port4;
	char src4[16];
	uint32_t a4;

	/* The SYN that creates the session, on the ordinary path. */
	l4len = tp_tcp(F->l4, 40001, 80, 999, 0, TP_SYN, NULL, 0);
	len = tp_ip6(syn, &h6, F->l4, l4len);
	memcpy(F->buf + XLAT_HEADROOM, syn, len);
	F->pkt = (struct xlat_pkt){
	    .buf = F->buf, .cap = sizeof(F->buf), .off = XLAT_HEADROOM, .len = len};
	ck_assert_int_eq(xlat_packet(&F->ctx, &F->pkt, &F->out, &F->out_len), XLAT_SEND);
	a4 = (uint32_t)F->out[12] << 24 | (uint32_t)F->out[13] << 16 | F->out[14] << 8 | F->out[15];
	snprintf(src4, sizeof(src4), "%u.%u.%u.%u", a4 >> 24, (a4 >> 16) & 0xff, (a4 >> 8) & 0xff,
	         a4 & 0xff);
	port4 = get16(F->out + 20);
	ck_assert_uint_ne(port4, 40001);

	h6.keep_l4_csum = true;
	l4len = tcp_partial(F->l4, 40001, 80, 1000, TP_ACK, 4000, 4);
	set16(F->l4 + 16, ref_pseudo6(SF_C6, S6, PROTO_TCP, l4len));
	len = tp_ip6(F->in, &h6, F->l4, l4len);
	ck_assert_int_eq(run_fast(F->in, len, &in), XLAT_SEND);
	ck_assert_uint_eq(get16(F->out + 20), port4);
	ck_assert_uint_eq(get16(F->out + 20 + 16), ref_pseudo4(src4, S4, PROTO_TCP, l4len));
	memcpy(F->exp, F->out, F->out_len);
	ref_complete(F->exp, F->out_len, 20, 16);
	ck_assert(tp_csums_ok(F->exp, F->out_len));
}
END_TEST

/* ---- classification ---- */

static size_t build6_tcp(uint8_t hlim, size_t plen)
{
	struct tp_ip6 h6 = {.src = C6, .dst = S6, .nh = PROTO_TCP, .hlim = hlim};
	size_t l4len = tcp_partial(F->l4, 40000, 80, 1, TP_ACK, plen, 5);

	return tp_ip6(F->in, &h6, F->l4, l4len);
}

static size_t build4_tcp(uint16_t frag, const uint8_t *opts, size_t opts_len, size_t plen)
{
	struct tp_ip4 h4 = {.src = S4,
	                    .dst = C4,
	                    .proto = PROTO_TCP,
	                    .ttl = 64,
	                    .frag = frag,
	                    .opts = opts,
	                    .opts_len = opts_len};
	size_t l4len = tcp_partial(F->l4, 80, 40000, 1, TP_ACK, plen, 6);

	return tp_ip4(F->in, &h4, F->l4, l4len);
}

START_TEST(classify_paths)
{
	static const uint8_t nops[4] = {1, 1, 1, 0};
	struct vnet_hdr none = {0};
	struct vnet_hdr csum6 = {VNET_F_NEEDS_CSUM, VNET_GSO_NONE, 60, 0, 40, 16};
	struct vnet_hdr gso6 = {VNET_F_NEEDS_CSUM, VNET_GSO_TCPV6, 60, 1400, 40, 16};
	struct vnet_hdr gso6_small = {VNET_F_NEEDS_CSUM, VNET_GSO_TCPV6, 60, 1000, 40, 16};
	struct vnet_hdr gso4 = {VNET_F_NEEDS_CSUM, VNET_GSO_TCPV4, 40, 1441, 20, 16};
	struct vnet_hdr gso4_fits = {VNET_F_NEEDS_CSUM, VNET_GSO_TCPV4, 40, 1440, 20, 16};
	struct vnet_hdr gso4_opts = {VNET_F_NEEDS_CSUM, VNET_GSO_TCPV4, 44, 1400, 24, 16};
	struct vnet_hdr wrong_type = {VNET_F_NEEDS_CSUM, VNET_GSO_TCPV4, 60, 1400, 40, 16};
	struct vnet_hdr bad_off = {VNET_F_NEEDS_CSUM, VNET_GSO_NONE, 60, 0, 40, 60000};
	struct vnet_hdr udp_type = {VNET_F_NEEDS_CSUM, VNET_GSO_UDP, 60, 1400, 40, 16};
	size_t len;

	len = build6_tcp(64, 3000);
	ck_assert_int_eq(vnet_classify(&none, F->in, len, &F->cfg), VNET_PLAIN);
	ck_assert_int_eq(vnet_classify(&csum6, F->in, len, &F->cfg), VNET_FAST);
	ck_assert_int_eq(vnet_classify(&gso6, F->in, len, &F->cfg), VNET_FAST);
	/* 20 + 20 + 1000 <= 1260: those segments would leave with DF=0 */
	ck_assert_int_eq(vnet_classify(&gso6_small, F->in, len, &F->cfg), VNET_SEGMENT);
	ck_assert_int_eq(vnet_classify(&wrong_type, F->in, len, &F->cfg), VNET_SEGMENT);
	ck_assert_int_eq(vnet_classify(&bad_off, F->in, len, &F->cfg), VNET_BAD);
	ck_assert_int_eq(vnet_classify(&udp_type, F->in, len, &F->cfg), VNET_SEGMENT);
	len = build6_tcp(1, 3000); /* Time Exceeded quotes the packet */
	ck_assert_int_eq(vnet_classify(&gso6, F->in, len, &F->cfg), VNET_SEGMENT);
	ck_assert_int_eq(vnet_classify(&csum6, F->in, len, &F->cfg), VNET_COMPLETE);

	len = build4_tcp(TP_DF, NULL, 0, 3000);
	/* 40 + 20 + 1441 > 1500: Fragmentation Needed per segment */
	ck_assert_int_eq(vnet_classify(&gso4, F->in, len, &F->cfg), VNET_SEGMENT);
	ck_assert_int_eq(vnet_classify(&gso4_fits, F->in, len, &F->cfg), VNET_FAST);
	F->cfg.mtu = 1499;
	ck_assert_int_eq(vnet_classify(&gso4_fits, F->in, len, &F->cfg), VNET_SEGMENT);
	F->cfg.mtu = 1500;
	len = build4_tcp(0, NULL, 0, 3000); /* no DF: lowest-ipv6-mtu, per segment */
	ck_assert_int_eq(vnet_classify(&gso4_fits, F->in, len, &F->cfg), VNET_SEGMENT);
	len = build4_tcp(TP_DF, nops, sizeof(nops), 3000); /* options are dropped */
	ck_assert_int_eq(vnet_classify(&gso4_opts, F->in, len, &F->cfg), VNET_SEGMENT);
	gso4_opts.gso_type = VNET_GSO_NONE;
	ck_assert_int_eq(vnet_classify(&gso4_opts, F->in, len, &F->cfg), VNET_COMPLETE);
}
END_TEST

/* ---- software paths ---- */

START_TEST(csum_complete_gives_full_checksum)
{
	struct tp_ip6 h6 = {.src = C6, .dst = S6, .nh = PROTO_TCP, .hlim = 64};
	struct vnet_hdr vh = {VNET_F_NEEDS_CSUM, VNET_GSO_NONE, 60, 0, 40, 16};
	size_t l4len = tcp_partial(F->l4, 40000, 80, 1, TP_ACK, 777, 7);
	size_t len = tp_ip6(F->exp, &h6, F->l4, l4len);

	memcpy(F->in, F->exp, len);
	set16(F->in + 40 + 16, ref_pseudo6(C6, S6, PROTO_TCP, l4len));
	ck_assert_int_eq(vnet_csum_complete(&vh, F->in, len), 0);
	ck_assert(tp_same(F->in, len, F->exp, len));
	vh.csum_offset = 60000;
	ck_assert_int_eq(vnet_csum_complete(&vh, F->in, len), -1);
}
END_TEST

/* IPv4 TCP, 3000 bytes at 1400: IDs 77, 78, 79; sequence numbers + 0,
 * 1400, 2800; CWR on the first only, PSH and FIN on the last only; full
 * checksums. */
START_TEST(segment_tcp4)
{
	static const size_t chunk[3] = {1400, 1400, 200};
	static const uint8_t flags[3] = {TP_ACK | TCP_CWR, TP_ACK, TP_ACK | TP_PSH | TP_FIN};
	struct tp_ip4 h4 = {
	    .src = S4, .dst = C4, .proto = PROTO_TCP, .ttl = 64, .id = 77, .frag = TP_DF};
	struct vnet_hdr vh = {VNET_F_NEEDS_CSUM, VNET_GSO_TCPV4, 40, 1400, 20, 16};
	uint8_t payload[3000];
	struct vnet_seg s;
	size_t len, n, off = 0;

	tp_fill(payload, sizeof(payload), 8);
	len = tp_tcp(F->l4, 80, 40000, 0xfffffc00, 9, TP_ACK | TP_PSH | TP_FIN | TCP_CWR, payload,
	             sizeof(payload));
	set16(F->l4 + 16, ref_pseudo4(S4, C4, PROTO_TCP, len));
	h4.keep_l4_csum = true;
	len = tp_ip4(F->in, &h4, F->l4, len);
	ck_assert_int_eq(vnet_segment_start(&s, &vh, F->in, len), 0);
	for (int i = 0; i < 3; i++) {
		struct tp_ip4 e = {.src = S4,
		                   .dst = C4,
		                   .proto = PROTO_TCP,
		                   .ttl = 64,
		                   .id = (uint16_t)(77 + i),
		                   .frag = TP_DF};
		size_t l4len = tp_tcp(F->l4, 80, 40000, 0xfffffc00 + (uint32_t)off, 9, flags[i],
		                      payload + off, chunk[i]);
		size_t elen = tp_ip4(F->exp, &e, F->l4, l4len);

		n = vnet_segment_next(&s, S->seg, sizeof(S->seg));
		ck_assert_msg(tp_same(S->seg, n, F->exp, elen), "segment %d", i);
		off += chunk[i];
	}
	ck_assert_uint_eq(vnet_segment_next(&s, S->seg, sizeof(S->seg)), 0);
}
END_TEST

/* IPv6 UDP (USO), 2500 bytes at 1200: UDP lengths 1208, 1208, 108. */
START_TEST(segment_udp6)
{
	static const size_t chunk[3] = {1200, 1200, 100};
	struct tp_ip6 h6 = {
	    .src = C6, .dst = S6, .nh = PROTO_UDP, .hlim = 64, .keep_l4_csum = true};
	struct vnet_hdr vh = {VNET_F_NEEDS_CSUM, VNET_GSO_UDP_L4, 48, 1200, 40, 6};
	uint8_t payload[2500];
	struct vnet_seg s;
	size_t len, n, off = 0;

	tp_fill(payload, sizeof(payload), 9);
	len = tp_udp(F->l4, 4433, 443, payload, sizeof(payload));
	set16(F->l4 + 6, ref_pseudo6(C6, S6, PROTO_UDP, len));
	len = tp_ip6(F->in, &h6, F->l4, len);
	ck_assert_int_eq(vnet_segment_start(&s, &vh, F->in, len), 0);
	for (int i = 0; i < 3; i++) {
		struct tp_ip6 e = {.src = C6, .dst = S6, .nh = PROTO_UDP, .hlim = 64};
		size_t l4len = tp_udp(F->l4, 4433, 443, payload + off, chunk[i]);
		size_t elen = tp_ip6(F->exp, &e, F->l4, l4len);

		n = vnet_segment_next(&s, S->seg, sizeof(S->seg));
		ck_assert_msg(tp_same(S->seg, n, F->exp, elen), "segment %d", i);
		off += chunk[i];
	}
	ck_assert_uint_eq(vnet_segment_next(&s, S->seg, sizeof(S->seg)), 0);
	/* too small an output buffer: nothing written */
	ck_assert_int_eq(vnet_segment_start(&s, &vh, F->in, len), 0);
	ck_assert_uint_eq(vnet_segment_next(&s, S->seg, 100), 0);
}
END_TEST

static Suite *vnet_suite(void)
{
	Suite *s = suite_create("vnet");
	TCase *tc = tcase_create("stateless");
	TCase *sf = tcase_create("stateful");

	tcase_add_checked_fixture(tc, stateless_setup, teardown);
	tcase_add_loop_test(tc, partial_update_completes_to_full_checksum, 0, 3);
	tcase_add_test(tc, fast_6to4_tcp_gso);
	tcase_add_test(tc, fast_4to6_tcp_gso);
	tcase_add_test(tc, fast_4to6_udp_csum_only);
	tcase_add_test(tc, classify_paths);
	tcase_add_test(tc, csum_complete_gives_full_checksum);
	tcase_add_test(tc, segment_tcp4);
	tcase_add_test(tc, segment_udp6);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(sf, stateful_setup, teardown);
	tcase_add_test(sf, fast_6to4_stateful_port_rewrite);
	suite_add_tcase(s, sf);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(vnet_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
