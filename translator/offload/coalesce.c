/* SPDX-License-Identifier: BSD-2-Clause */
/* UDP coalescing into USO super-packets (coalesce.h). */
#include "coalesce.h"

#include <netinet/in.h>
#include <string.h>

#include "checksum.h"
#include "pkt_view.h"
#include "wire.h"

#define L4_MAX 65535 /* IPv4 total length, IPv6 payload length, UDP length */

/* The parts of one translated datagram that coalescing looks at. */
struct dgram {
	size_t l3_len;
	size_t payload; /* UDP payload bytes */
};

static bool flags_ok(const struct vnet_hdr *vh, size_t l3_len)
{
	if (!vh)
		return true;
	if ((vh->gso_type & ~VNET_GSO_ECN) != VNET_GSO_NONE)
		return false;
	if (!(vh->flags & VNET_F_NEEDS_CSUM))
		return true;
	return vh->csum_start == l3_len && vh->csum_offset == UDP_SUM;
}

/* The datagram's own checksum is right, so that a super-packet, whose
 * checksums the kernel computes afresh, carries the same bytes. A partial
 * checksum (NEEDS_CSUM) is computed later anyway. A field of 0 would not
 * stay 0 (IPv4: no checksum; IPv6: invalid, RFC 8200 §8.1) and is refused. */
static bool checksum_ok(const struct vnet_hdr *vh, const uint8_t *p, const struct dgram *d)
{
	const uint8_t *udp = p + d->l3_len;
	uint16_t udp_len = (uint16_t)(UDP_HDR_LEN + d->payload);
	uint32_t sum;

	if (vh && (vh->flags & VNET_F_NEEDS_CSUM))
		return true;
	if (get_be16(udp + UDP_SUM) == 0)
		return false;
	if (d->l3_len == IPV4_HDR_LEN) {
		sum = csum_pseudo4(get_be32(p + IP4_SRC), get_be32(p + IP4_DST), IPPROTO_UDP,
		                   udp_len);
	} else {
		sum = csum_pseudo6(p + IP6_SRC, p + IP6_DST, IPPROTO_UDP, udp_len);
	}
	return csum_fold(csum_add_bytes(sum, udp, udp_len)) == 0xffff;
}

/* A UDP datagram with no IPv4 options, no IPv6 extension header, not a
 * fragment, lengths exact, payload not empty (gso_size 0 is not GSO). */
static bool parse(struct dgram *d, const struct vnet_hdr *vh, const uint8_t *p, size_t len)
{
	struct pkt_view v;

	if (pkt_view_parse(&v, p, len) < 0 || v.len != len || v.proto != IPPROTO_UDP ||
	    v.l3_len != (v.v6 ? IPV6_HDR_LEN : IPV4_HDR_LEN) || v.later_fragment ||
	    v.more_fragments || !pkt_view_tcp_or_udp(&v))
		return false;
	if (get_be16(v.l4 + UDP_LEN) != v.l4_len || v.l4_len == UDP_HDR_LEN)
		return false;
	d->l3_len = v.l3_len;
	d->payload = v.l4_len - UDP_HDR_LEN;
	return flags_ok(vh, d->l3_len) && checksum_ok(vh, p, d);
}

/* Same flow and same header fields as the first datagram, except what the
 * kernel rewrites per segment: lengths, IPv4 Identification (which must be
 * the next one) and header checksum, UDP checksum. */
static bool same_headers(const struct coalesce *c, const uint8_t *p)
{
	const uint8_t *q = c->buf;

	if (c->l3_len == IPV4_HDR_LEN) {
		/* version, IHL and TOS; flags, offset, TTL and protocol; addresses */
		if (memcmp(p, q, IP4_LEN) != 0 ||
		    memcmp(p + IP4_OFF, q + IP4_OFF, IP4_SUM - IP4_OFF) != 0 ||
		    memcmp(p + IP4_SRC, q + IP4_SRC, IPV4_HDR_LEN - IP4_SRC) != 0)
			return false;
		if (get_be16(p + IP4_ID) != (uint16_t)(get_be16(q + IP4_ID) + c->segs))
			return false;
	} else if (memcmp(p, q, IP6_PLEN) != 0 ||
	           memcmp(p + IP6_NXT, q + IP6_NXT, IPV6_HDR_LEN - IP6_NXT) != 0) {
		return false; /* all but the payload length */
	}
	return memcmp(p + c->l3_len, q + c->l3_len, UDP_LEN) == 0; /* ports */
}

void coalesce_init(struct coalesce *c)
{
	c->segs = 0;
	c->len = 0;
}

bool coalesce_add(struct coalesce *c, const struct vnet_hdr *vh, const uint8_t *pkt, size_t len)
{
	struct dgram d;

	if (!parse(&d, vh, pkt, len))
		return false;
	if (c->segs == 0) {
		static const struct vnet_hdr none;

		memcpy(c->buf, pkt, len);
		c->len = len;
		c->l3_len = d.l3_len;
		c->gso_size = d.payload;
		c->last_short = false;
		c->first_vh = vh ? *vh : none;
		c->segs = 1;
		return true;
	}
	if (d.l3_len != c->l3_len || c->last_short || c->segs >= COALESCE_MAX_SEGS ||
	    d.payload > c->gso_size || c->len - c->l3_len + d.payload > L4_MAX ||
	    (c->l3_len == IPV4_HDR_LEN && c->len + d.payload > L4_MAX) || !same_headers(c, pkt))
		return false;
	memcpy(c->buf + c->len, pkt + len - d.payload, d.payload);
	c->len += d.payload;
	c->last_short = d.payload < c->gso_size;
	c->segs++;
	return true;
}

/* Turn the pending datagrams into one USO packet: the first datagram's
 * headers with the lengths of the whole, the UDP checksum field holding the
 * partial (pseudo-header) sum for that length, as a GSO packet from the
 * kernel would (vnet.h). */
static void make_super(struct coalesce *c, struct vnet_hdr *vh)
{
	uint8_t *p = c->buf, *udp = p + c->l3_len;
	uint16_t udp_len = (uint16_t)(c->len - c->l3_len);
	uint32_t pseudo;

	if (c->l3_len == IPV4_HDR_LEN) {
		put_be16(p + IP4_LEN, (uint16_t)c->len);
		put_be16(p + IP4_SUM, 0);
		put_be16(p + IP4_SUM, csum_ipv4_header(p, IPV4_HDR_LEN));
		pseudo = csum_pseudo4(get_be32(p + IP4_SRC), get_be32(p + IP4_DST), IPPROTO_UDP,
		                      udp_len);
	} else {
		put_be16(p + IP6_PLEN, udp_len);
		pseudo = csum_pseudo6(p + IP6_SRC, p + IP6_DST, IPPROTO_UDP, udp_len);
	}
	put_be16(udp + UDP_LEN, udp_len);
	put_be16(udp + UDP_SUM, csum_fold(pseudo));
	*vh = (struct vnet_hdr){
	    .flags = VNET_F_NEEDS_CSUM,
	    .gso_type = VNET_GSO_UDP_L4,
	    .hdr_len = (uint16_t)(c->l3_len + UDP_HDR_LEN),
	    .gso_size = (uint16_t)c->gso_size,
	    .csum_start = (uint16_t)c->l3_len,
	    .csum_offset = UDP_SUM,
	};
}

unsigned coalesce_flush(struct coalesce *c, struct vnet_hdr *vh, const uint8_t **pkt, size_t *len)
{
	unsigned segs = c->segs;

	if (segs == 0)
		return 0;
	if (segs == 1)
		*vh = c->first_vh;
	else
		make_super(c, vh);
	*pkt = c->buf;
	*len = c->len;
	c->segs = 0;
	return segs;
}
