/* SPDX-License-Identifier: BSD-2-Clause */
/* libFuzzer target for ICMP error translation (RFC 7915 §4.2/§4.3, §5.2/§5.3;
 * RFC 6146 §3.5 for the inner packet's state). The fuzzed bytes are the inner
 * (quoted) packet; the target wraps them in a valid outer IPv4 + ICMPv4 or
 * IPv6 + ICMPv6 error with right lengths and checksums, so every input gets
 * past the outer checks and reaches the inner-packet code.
 *
 * Before each input, three flows are set up from the IPv6 client to the IPv4
 * server (UDP, TCP SYN, ICMPv6 echo), so that in stateful mode the inner
 * packet can match a BIB entry.
 *
 * Input: [mode:1][kind:1][code:1][rest:4][inner...]
 *   mode bit 0: stateless translator (else stateful)
 *   mode bit 1: patch the inner addresses, ports / echo identifier to those
 *               of the primed flow of the inner protocol
 *   mode bit 2: outer TTL / hop limit 1 (the translator must not answer an
 *               ICMP error with an ICMP error)
 *   kind bit 0: 0 = ICMPv4 error arriving from the IPv4 side (4 -> 6),
 *               1 = ICMPv6 error arriving from the IPv6 side (6 -> 4);
 *   kind >> 1 indexes the error types below; code and rest (the 4 bytes
 *   after the checksum: MTU, pointer, unused) are taken as given.
 *
 * Every packet the translator sends must lie in the buffers, have length
 * fields that match, and (ICMP outputs) a checksum that is right by the
 * independent reference checksum. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "checksum.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define IP4_HLEN 20
#define IP6_HLEN 40
#define ICMP_HLEN 8
#define PROTO_ICMP 1
#define PROTO_TCP 6
#define PROTO_UDP 17
#define PROTO_ICMPV6 58
/* Inner bytes beyond this are cut: the outer packet stays below the MTU. */
#define INNER_MAX 1400
#define OUTER_MAX (IP6_HLEN + ICMP_HLEN + INNER_MAX)

#define SERVER4 0xcb007102u /* 203.0.113.2, the IPv4 server Z */
#define ROUTER4 0xcb007101u /* 203.0.113.1, an IPv4 router sending errors */
#define CLIENT4 0xc0000202u /* 192.0.2.2, the client's IPv4 (stateless) */

/* The IPv6 client X' and the IPv6 router that sends errors, per mode
 * (stateless: both embedded in the prefix, RFC 6052). */
static const uint8_t client6[2][16] = {
    {0x20, 0x01, 0x0d, 0xb8, 0, 0x06, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02},
    {0x20, 0x01, 0x0d, 0xb8, 0, 0x64, 0, 0, 0, 0, 0, 0, 0xc0, 0x00, 0x02, 0x02},
};
static const uint8_t router6[2][16] = {
    {0x20, 0x01, 0x0d, 0xb8, 0, 0x06, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01},
    {0x20, 0x01, 0x0d, 0xb8, 0, 0x64, 0, 0, 0, 0, 0, 0, 0xc0, 0x00, 0x02, 0x01},
};
/* Y': the server 203.0.113.2 in 2001:db8:64::/96. */
static const uint8_t server6[16] = {0x20, 0x01, 0x0d, 0xb8, 0,    0x64, 0,    0,
                                    0,    0,    0,    0,    0xcb, 0x00, 0x71, 0x02};

/* ICMP error types (and, for coverage of the refusal paths, a few that
 * RFC 7915 says to drop: Source Quench, Redirect, Router Advertisement). */
static const uint8_t icmp4_types[] = {3, 11, 12, 4, 5, 9};
static const uint8_t icmp6_types[] = {1, 2, 3, 4, 134, 100};

/* One primed flow, as the IPv4 side sees it: (T,t) -> (Z,z). */
struct flow {
	uint8_t proto;        /* IPv4 numbering */
	uint16_t client_port; /* x; ICMP: identifier */
	uint16_t server_port; /* z; ICMP: identifier */
	uint32_t t_addr;
	uint16_t t_port;
};

struct fuzz_run {
	struct xlat_ctx *ctx;
	bool stateless;
	struct flow flows[3];
};

static uint8_t buf[XLAT_HEADROOM + XLAT_MAX_PACKET];

/* Translate pkt (len bytes); abort on an output that breaks the rules. */
static enum xlat_verdict run_packet(struct xlat_ctx *ctx, const uint8_t *pkt, size_t len,
                                    const uint8_t **out, size_t *out_len)
{
	struct xlat_pkt p = {.buf = buf, .cap = sizeof(buf), .off = XLAT_HEADROOM, .len = len};
	enum xlat_verdict v;

	memcpy(buf + XLAT_HEADROOM, pkt, len);
	v = xlat_packet(ctx, &p, out, out_len);
	if (v != XLAT_SEND)
		return v;
	if (!fuzz_output_in_bounds(ctx, buf, sizeof(buf), *out, *out_len))
		abort();
	if (!fuzz_output_consistent(*out, *out_len))
		abort();
	return v;
}

static void ip6_header(uint8_t *o, const uint8_t src[16], const uint8_t dst[16], uint8_t nh,
                       size_t plen, uint8_t hlim)
{
	memset(o, 0, IP6_HLEN);
	o[0] = 0x60;
	put_be16(o + 4, (uint16_t)plen);
	o[6] = nh;
	o[7] = hlim;
	memcpy(o + 8, src, 16);
	memcpy(o + 24, dst, 16);
}

static void ip4_header(uint8_t *o, uint32_t src, uint32_t dst, uint8_t proto, size_t total,
                       uint8_t ttl)
{
	memset(o, 0, IP4_HLEN);
	o[0] = 0x45;
	put_be16(o + 2, (uint16_t)total);
	o[8] = ttl;
	o[9] = proto;
	put_be32(o + 12, src);
	put_be32(o + 16, dst);
	put_be16(o + 10, csum_ipv4_header(o, IP4_HLEN));
}

/* Checksum field of the transport at l4 (len bytes) over IPv6. */
static void l4_checksum6(uint8_t *ip6, uint8_t *l4, size_t len, size_t csum_off)
{
	put_be16(l4 + csum_off, 0);
	put_be16(l4 + csum_off,
	         csum_finish(csum_add_bytes(csum_pseudo6(ip6 + 8, ip6 + 24, ip6[6], (uint32_t)len),
	                                    l4, len)));
}

/* Send the client's first packet of flow f and record (T,t) from the
 * translated IPv4 packet. */
static void prime_flow(struct fuzz_run *r, struct flow *f)
{
	uint8_t p[IP6_HLEN + 20] = {0};
	uint8_t *l4 = p + IP6_HLEN;
	size_t l4len = f->proto == PROTO_TCP ? 20 : 8;
	const uint8_t *out;
	size_t out_len;

	ip6_header(p, client6[r->stateless], server6,
	           f->proto == PROTO_ICMP ? PROTO_ICMPV6 : f->proto, l4len, 64);
	if (f->proto == PROTO_ICMP) {
		l4[0] = 128; /* echo request */
		put_be16(l4 + 4, f->client_port);
		put_be16(l4 + 6, 1);
		l4_checksum6(p, l4, l4len, 2);
	} else {
		put_be16(l4, f->client_port);
		put_be16(l4 + 2, f->server_port);
		if (f->proto == PROTO_UDP) {
			put_be16(l4 + 4, 8);
			l4_checksum6(p, l4, l4len, 6);
		} else {
			put_be32(l4 + 4, 1000); /* seq */
			l4[12] = 5 << 4;
			l4[13] = 0x02; /* SYN */
			put_be16(l4 + 14, 65535);
			l4_checksum6(p, l4, l4len, 16);
		}
	}
	f->t_addr = CLIENT4;
	f->t_port = f->client_port;
	if (run_packet(r->ctx, p, IP6_HLEN + l4len, &out, &out_len) != XLAT_SEND ||
	    (out[0] >> 4) != 4 || out_len < IP4_HLEN + 8)
		return; /* no state; the fuzzer still gets to try */
	f->t_addr = get_be32(out + 12);
	f->t_port = get_be16(out + IP4_HLEN + (f->proto == PROTO_ICMP ? 4 : 0));
}

static void prime(struct fuzz_run *r)
{
	static const struct flow init[3] = {
	    {.proto = PROTO_UDP, .client_port = 4000, .server_port = 53},
	    {.proto = PROTO_TCP, .client_port = 4001, .server_port = 80},
	    {.proto = PROTO_ICMP, .client_port = 0x1234, .server_port = 0x1234},
	};

	memcpy(r->flows, init, sizeof(init));
	for (int i = 0; i < 3; i++)
		prime_flow(r, &r->flows[i]);
}

static const struct flow *flow_of(const struct fuzz_run *r, uint8_t proto)
{
	for (int i = 0; i < 3; i++)
		if (r->flows[i].proto == proto)
			return &r->flows[i];
	return &r->flows[0];
}

/* Inner IPv4 packet as sent from (T,t) to (Z,z). */
static void patch_inner4(const struct fuzz_run *r, uint8_t *in, size_t len)
{
	const struct flow *f = flow_of(r, in[9]);
	size_t hlen = (size_t)(in[0] & 0x0f) * 4;

	put_be32(in + 12, f->t_addr);
	put_be32(in + 16, SERVER4);
	if (hlen >= IP4_HLEN && hlen + 8 <= len) {
		if (in[9] == PROTO_ICMP) {
			put_be16(in + hlen + 4, f->t_port);
		} else {
			put_be16(in + hlen, f->t_port);
			put_be16(in + hlen + 2, f->server_port);
		}
	}
	if (hlen >= IP4_HLEN && hlen <= len) {
		put_be16(in + 10, 0);
		put_be16(in + 10, csum_ipv4_header(in, hlen));
	}
}

/* Inner IPv6 packet as sent from Y' (z) to X' (x). */
static void patch_inner6(const struct fuzz_run *r, uint8_t *in, size_t len)
{
	uint8_t nh = in[6] == PROTO_ICMPV6 ? PROTO_ICMP : in[6];
	const struct flow *f = flow_of(r, nh);

	memcpy(in + 8, server6, 16);
	memcpy(in + 24, client6[r->stateless], 16);
	if (IP6_HLEN + 8 > len)
		return;
	if (in[6] == PROTO_ICMPV6) {
		put_be16(in + IP6_HLEN + 4, f->client_port);
	} else if (in[6] == PROTO_TCP || in[6] == PROTO_UDP) {
		put_be16(in + IP6_HLEN, f->server_port);
		put_be16(in + IP6_HLEN + 2, f->client_port);
	}
}

/* ICMPv4 error from an IPv4 router to the client's IPv4 identity. */
static size_t build_error4(const struct fuzz_run *r, uint8_t *o, const uint8_t *hdr,
                           const uint8_t *inner, size_t inner_len, bool patch, uint8_t ttl)
{
	uint8_t *icmp = o + IP4_HLEN;
	size_t total = IP4_HLEN + ICMP_HLEN + inner_len;

	memcpy(icmp + ICMP_HLEN, inner, inner_len);
	if (patch && inner_len >= IP4_HLEN)
		patch_inner4(r, icmp + ICMP_HLEN, inner_len);
	icmp[0] = icmp4_types[(hdr[1] >> 1) % sizeof(icmp4_types)];
	icmp[1] = hdr[2];
	put_be16(icmp + 2, 0);
	memcpy(icmp + 4, hdr + 3, 4);
	put_be16(icmp + 2, csum_finish(csum_add_bytes(0, icmp, ICMP_HLEN + inner_len)));
	ip4_header(o, ROUTER4, r->flows[0].t_addr, PROTO_ICMP, total, ttl);
	return total;
}

/* ICMPv6 error from an IPv6 router to the server's mapped address Y'. */
static size_t build_error6(const struct fuzz_run *r, uint8_t *o, const uint8_t *hdr,
                           const uint8_t *inner, size_t inner_len, bool patch, uint8_t hlim)
{
	uint8_t *icmp = o + IP6_HLEN;

	memcpy(icmp + ICMP_HLEN, inner, inner_len);
	if (patch && inner_len >= IP6_HLEN)
		patch_inner6(r, icmp + ICMP_HLEN, inner_len);
	ip6_header(o, router6[r->stateless], server6, PROTO_ICMPV6, ICMP_HLEN + inner_len, hlim);
	icmp[0] = icmp6_types[(hdr[1] >> 1) % sizeof(icmp6_types)];
	icmp[1] = hdr[2];
	memcpy(icmp + 4, hdr + 3, 4);
	l4_checksum6(o, icmp, ICMP_HLEN + inner_len, 2);
	return IP6_HLEN + ICMP_HLEN + inner_len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t outer[OUTER_MAX];
	struct tun64_counters ctr;
	struct fuzz_run r;
	struct nat64 *nat;
	const uint8_t *out;
	size_t out_len, len;
	bool patch;
	uint8_t ttl;

	if (size < 7)
		return 0;
	memset(&r, 0, sizeof(r));
	memset(&ctr, 0, sizeof(ctr));
	r.stateless = data[0] & 1;
	patch = data[0] & 2;
	ttl = (data[0] & 4) ? 1 : 64;
	nat = nat64_new(&fuzz_nat64_config);
	r.ctx = calloc(1, sizeof(*r.ctx));
	if (!nat || !r.ctx)
		abort();
	r.ctx->cfg = fuzz_xlat_config(r.stateless);
	r.ctx->nat = r.stateless ? NULL : nat;
	r.ctx->ctr = &ctr;
	r.ctx->now_ms = 1000;
	prime(&r);

	len = size - 7;
	if (len > INNER_MAX)
		len = INNER_MAX;
	if (data[1] & 1)
		len = build_error6(&r, outer, data, data + 7, len, patch, ttl);
	else
		len = build_error4(&r, outer, data, data + 7, len, patch, ttl);
	run_packet(r.ctx, outer, len, &out, &out_len);

	free(r.ctx);
	nat64_free(nat);
	return 0;
}
