/* SPDX-License-Identifier: BSD-2-Clause */
/* Test packet builders and a reference checksum, independent of the code
 * under test: the checksum here is the textbook RFC 1071 loop over byte
 * pairs, with the pseudo-header laid out as bytes in a buffer. */
#include "pkt_helpers.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROTO_ICMP 1
#define PROTO_TCP 6
#define PROTO_UDP 17
#define PROTO_ICMPV6 58
#define PROTO_DCCP 33     /* checksum at byte 6, over the pseudo-header too */
#define PROTO_UDPLITE 136 /* the same, and 0 sent as 0xffff (RFC 3828 §3.1) */

uint16_t ref_sum16(const uint8_t *data, size_t len)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)data[i] << 8 | data[i + 1];
	if (i < len)
		sum += (uint32_t)data[i] << 8;
	while (sum > 0xffff)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

uint16_t ref_csum(const uint8_t *data, size_t len)
{
	return (uint16_t)~ref_sum16(data, len);
}

/* Pseudo-header and transport copied into one buffer, summed in one go. */
static uint16_t csum_with_pseudo(const uint8_t *pseudo, size_t plen, const uint8_t *l4,
				 size_t len)
{
	uint8_t *buf = malloc(plen + len);
	uint16_t c;

	if (!buf)
		abort();
	memcpy(buf, pseudo, plen);
	memcpy(buf + plen, l4, len);
	c = ref_csum(buf, plen + len);
	free(buf);
	return c;
}

uint16_t ref_l4_csum4(const uint8_t src[4], const uint8_t dst[4], uint8_t proto, const uint8_t *l4,
		      size_t len)
{
	uint8_t ph[12];

	memcpy(ph, src, 4);
	memcpy(ph + 4, dst, 4);
	ph[8] = 0;
	ph[9] = proto;
	ph[10] = (uint8_t)(len >> 8);
	ph[11] = (uint8_t)len;
	return csum_with_pseudo(ph, sizeof(ph), l4, len);
}

uint16_t ref_l4_csum6(const uint8_t src[16], const uint8_t dst[16], uint8_t nh, const uint8_t *l4,
		      size_t len)
{
	uint8_t ph[40];

	memcpy(ph, src, 16);
	memcpy(ph + 16, dst, 16);
	ph[32] = (uint8_t)(len >> 24);
	ph[33] = (uint8_t)(len >> 16);
	ph[34] = (uint8_t)(len >> 8);
	ph[35] = (uint8_t)len;
	ph[36] = ph[37] = ph[38] = 0;
	ph[39] = nh;
	return csum_with_pseudo(ph, sizeof(ph), l4, len);
}

void tp_addr4(const char *s, uint8_t out[4])
{
	if (inet_pton(AF_INET, s, out) != 1) {
		fprintf(stderr, "tp_addr4: bad address %s\n", s);
		abort();
	}
}

void tp_addr6(const char *s, uint8_t out[16])
{
	if (inet_pton(AF_INET6, s, out) != 1) {
		fprintf(stderr, "tp_addr6: bad address %s\n", s);
		abort();
	}
}

uint32_t tp_addr4_host(const char *s)
{
	uint8_t b[4];

	tp_addr4(s, b);
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

size_t tp_udp(uint8_t *out, uint16_t sport, uint16_t dport, const void *payload, size_t plen)
{
	put16(out, sport);
	put16(out + 2, dport);
	put16(out + 4, (uint16_t)(8 + plen));
	put16(out + 6, 0);
	if (plen)
		memcpy(out + 8, payload, plen);
	return 8 + plen;
}

size_t tp_tcp(uint8_t *out, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
	      uint8_t flags, const void *payload, size_t plen)
{
	put16(out, sport);
	put16(out + 2, dport);
	put32(out + 4, seq);
	put32(out + 8, ack);
	out[12] = 5 << 4; /* data offset: 20 bytes */
	out[13] = flags;
	put16(out + 14, 65535); /* window */
	put16(out + 16, 0);
	put16(out + 18, 0);
	if (plen)
		memcpy(out + 20, payload, plen);
	return 20 + plen;
}

size_t tp_icmp(uint8_t *out, uint8_t type, uint8_t code, uint16_t id, uint16_t seq,
	       const void *payload, size_t plen)
{
	out[0] = type;
	out[1] = code;
	put16(out + 2, 0);
	put16(out + 4, id);
	put16(out + 6, seq);
	if (plen)
		memcpy(out + 8, payload, plen);
	return 8 + plen;
}

/* Offset of the checksum field in a transport header, or -1. */
static int l4_csum_offset(uint8_t proto)
{
	switch (proto) {
	case PROTO_TCP:
		return 16;
	case PROTO_UDP:
	case PROTO_DCCP:
	case PROTO_UDPLITE:
		return 6;
	case PROTO_ICMP:
	case PROTO_ICMPV6:
		return 2;
	default:
		return -1;
	}
}

static void set_l4_csum4(const uint8_t *ip, uint8_t proto, uint8_t *l4, size_t len)
{
	int off = l4_csum_offset(proto);
	uint16_t c;

	if (off < 0 || (size_t)off + 2 > len)
		return;
	put16(l4 + off, 0);
	if (proto == PROTO_ICMP)
		c = ref_csum(l4, len);
	else
		c = ref_l4_csum4(ip + 12, ip + 16, proto, l4, len);
	if ((proto == PROTO_UDP || proto == PROTO_UDPLITE) && c == 0)
		c = 0xffff;
	put16(l4 + off, c);
}

static void set_l4_csum6(const uint8_t *ip, uint8_t nh, uint8_t *l4, size_t len)
{
	int off = l4_csum_offset(nh);
	uint16_t c;

	if (off < 0 || nh == PROTO_ICMP || (size_t)off + 2 > len)
		return;
	put16(l4 + off, 0);
	c = ref_l4_csum6(ip + 8, ip + 24, nh, l4, len);
	if ((nh == PROTO_UDP || nh == PROTO_UDPLITE) && c == 0)
		c = 0xffff;
	put16(l4 + off, c);
}

size_t tp_ip4(uint8_t *out, const struct tp_ip4 *h, const uint8_t *l4, size_t l4len)
{
	size_t hlen = 20 + h->opts_len;

	out[0] = (uint8_t)(0x40 | hlen / 4);
	out[1] = h->tos;
	put16(out + 2, (uint16_t)(hlen + l4len));
	put16(out + 4, h->id);
	put16(out + 6, h->frag);
	out[8] = h->ttl;
	out[9] = h->proto;
	put16(out + 10, 0);
	tp_addr4(h->src, out + 12);
	tp_addr4(h->dst, out + 16);
	if (h->opts_len)
		memcpy(out + 20, h->opts, h->opts_len);
	put16(out + 10, ref_csum(out, hlen));
	memmove(out + hlen, l4, l4len);
	if (!h->keep_l4_csum)
		set_l4_csum4(out, h->proto, out + hlen, l4len);
	return hlen + l4len;
}

size_t tp_ip6(uint8_t *out, const struct tp_ip6 *h, const uint8_t *l4, size_t l4len)
{
	uint8_t *t;

	out[0] = (uint8_t)(0x60 | h->tclass >> 4);
	out[1] = (uint8_t)(h->tclass << 4 | (h->flow >> 16 & 0x0f));
	put16(out + 2, (uint16_t)h->flow);
	put16(out + 4, (uint16_t)(h->ext_len + l4len));
	out[6] = h->ext_len ? h->ext_first : h->nh;
	out[7] = h->hlim;
	tp_addr6(h->src, out + 8);
	tp_addr6(h->dst, out + 24);
	if (h->ext_len)
		memcpy(out + 40, h->ext, h->ext_len);
	t = out + 40 + h->ext_len;
	memmove(t, l4, l4len);
	if (!h->keep_l4_csum)
		set_l4_csum6(out, h->nh, t, l4len);
	return 40 + h->ext_len + l4len;
}

void tp_fill(uint8_t *out, size_t len, uint8_t seed)
{
	for (size_t i = 0; i < len; i++)
		out[i] = (uint8_t)(seed + i * 7);
}

static void hexdump(const char *what, const uint8_t *p, size_t len)
{
	fprintf(stderr, "%s (%zu bytes):", what, len);
	for (size_t i = 0; i < len; i++)
		fprintf(stderr, "%s%02x", i % 16 ? " " : "\n  ", p[i]);
	fprintf(stderr, "\n");
}

bool tp_same(const uint8_t *got, size_t got_len, const uint8_t *exp, size_t exp_len)
{
	size_t i, n = got_len < exp_len ? got_len : exp_len;

	if (got && got_len == exp_len && !memcmp(got, exp, exp_len))
		return true;
	for (i = 0; got && i < n && got[i] == exp[i]; i++)
		;
	fprintf(stderr, "packet mismatch at offset %zu\n", i);
	if (got)
		hexdump("got", got, got_len);
	hexdump("expected", exp, exp_len);
	return false;
}

/* Verifying a stored checksum: the sum over the covered bytes, checksum
 * included, folds to 0xffff (RFC 1071 §1). */
static bool l4_ok4(const uint8_t *ip, size_t hlen, size_t len)
{
	uint8_t proto = ip[9];
	const uint8_t *l4 = ip + hlen;
	size_t l4len = len - hlen;
	uint8_t *copy;
	uint16_t stored, c;
	int off = l4_csum_offset(proto);

	if (off < 0 || (size_t)off + 2 > l4len)
		return off < 0;
	copy = malloc(l4len);
	if (!copy)
		abort();
	memcpy(copy, l4, l4len);
	stored = (uint16_t)(copy[off] << 8 | copy[off + 1]);
	put16(copy + off, 0);
	if (proto == PROTO_ICMP)
		c = ref_csum(copy, l4len);
	else
		c = ref_l4_csum4(ip + 12, ip + 16, proto, copy, l4len);
	free(copy);
	if (proto == PROTO_UDP && stored == 0)
		return true; /* no checksum */
	if ((proto == PROTO_UDP || proto == PROTO_UDPLITE) && c == 0)
		c = 0xffff;
	return stored == c;
}

static bool l4_ok6(const uint8_t *ip, size_t len)
{
	uint8_t nh = ip[6];
	const uint8_t *l4 = ip + 40;
	size_t l4len = len - 40;
	uint8_t *copy;
	uint16_t stored, c;
	int off = l4_csum_offset(nh);

	if (off < 0 || nh == PROTO_ICMP || (size_t)off + 2 > l4len)
		return off < 0;
	copy = malloc(l4len);
	if (!copy)
		abort();
	memcpy(copy, l4, l4len);
	stored = (uint16_t)(copy[off] << 8 | copy[off + 1]);
	put16(copy + off, 0);
	c = ref_l4_csum6(ip + 8, ip + 24, nh, copy, l4len);
	free(copy);
	if ((nh == PROTO_UDP || nh == PROTO_UDPLITE) && c == 0)
		c = 0xffff;
	return stored == c;
}

bool tp_csums_ok(const uint8_t *pkt, size_t len)
{
	size_t hlen;

	if (len < 20)
		return false;
	if (pkt[0] >> 4 == 6)
		return len >= 40 && l4_ok6(pkt, len);
	if (pkt[0] >> 4 != 4)
		return false;
	hlen = (size_t)(pkt[0] & 0x0f) * 4;
	if (hlen < 20 || hlen > len || ref_sum16(pkt, hlen) != 0xffff)
		return false;
	return l4_ok4(pkt, hlen, len);
}
