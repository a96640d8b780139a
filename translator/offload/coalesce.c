/* UDP coalescing into USO super-packets (coalesce.h). */
#include "coalesce.h"

#include <netinet/in.h>
#include <string.h>

#include "checksum.h"

#define IPV4_HDR_LEN 20
#define IPV6_HDR_LEN 40
#define UDP_HDR_LEN 8
#define UDP_CSUM_OFFSET 6
#define IPV4_MF_OFFSET_MASK 0x3fff /* MF and the fragment offset */
#define L4_MAX 65535               /* IPv4 total length, IPv6 payload length, UDP length */

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
	return vh->csum_start == l3_len && vh->csum_offset == UDP_CSUM_OFFSET;
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
	if (get_be16(udp + UDP_CSUM_OFFSET) == 0)
		return false;
	if (d->l3_len == IPV4_HDR_LEN) {
		sum = csum_pseudo4(get_be32(p + 12), get_be32(p + 16), IPPROTO_UDP, udp_len);
	} else {
		sum = csum_pseudo6(p + 8, p + 24, IPPROTO_UDP, udp_len);
	}
	return csum_fold(csum_add_bytes(sum, udp, udp_len)) == 0xffff;
}

/* A UDP datagram with no IPv4 options, no IPv6 extension header, not a
 * fragment, lengths exact, payload not empty (gso_size 0 is not GSO). */
static bool parse(struct dgram *d, const struct vnet_hdr *vh, const uint8_t *p, size_t len)
{
	size_t l4_len;

	if (len < IPV4_HDR_LEN + UDP_HDR_LEN)
		return false;
	if (p[0] == 0x45) {
		if (get_be16(p + 2) != len || p[9] != IPPROTO_UDP ||
		    (get_be16(p + 6) & IPV4_MF_OFFSET_MASK) != 0)
			return false;
		d->l3_len = IPV4_HDR_LEN;
	} else if (p[0] >> 4 == 6) {
		if (len < IPV6_HDR_LEN + UDP_HDR_LEN ||
		    IPV6_HDR_LEN + (size_t)get_be16(p + 4) != len || p[6] != IPPROTO_UDP)
			return false;
		d->l3_len = IPV6_HDR_LEN;
	} else {
		return false;
	}
	l4_len = len - d->l3_len;
	if (get_be16(p + d->l3_len + 4) != l4_len || l4_len == UDP_HDR_LEN)
		return false;
	d->payload = l4_len - UDP_HDR_LEN;
	return flags_ok(vh, d->l3_len) && checksum_ok(vh, p, d);
}

/* Same flow and same header fields as the first datagram, except what the
 * kernel rewrites per segment: lengths, IPv4 Identification (which must be
 * the next one) and header checksum, UDP checksum. */
static bool same_headers(const struct coalesce *c, const uint8_t *p)
{
	const uint8_t *q = c->buf;

	if (c->l3_len == IPV4_HDR_LEN) {
		if (memcmp(p, q, 2) != 0 || memcmp(p + 6, q + 6, 4) != 0 ||
		    memcmp(p + 12, q + 12, 8) != 0)
			return false;
		if (get_be16(p + 4) != (uint16_t)(get_be16(q + 4) + c->segs))
			return false;
	} else if (memcmp(p, q, 4) != 0 || memcmp(p + 6, q + 6, IPV6_HDR_LEN - 6) != 0) {
		return false;
	}
	return memcmp(p + c->l3_len, q + c->l3_len, 4) == 0; /* ports */
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
		put_be16(p + 2, (uint16_t)c->len);
		put_be16(p + 10, 0);
		put_be16(p + 10, csum_ipv4_header(p, IPV4_HDR_LEN));
		pseudo = csum_pseudo4(get_be32(p + 12), get_be32(p + 16), IPPROTO_UDP, udp_len);
	} else {
		put_be16(p + 4, udp_len);
		pseudo = csum_pseudo6(p + 8, p + 24, IPPROTO_UDP, udp_len);
	}
	put_be16(udp + 4, udp_len);
	put_be16(udp + UDP_CSUM_OFFSET, csum_fold(pseudo));
	*vh = (struct vnet_hdr){
	    .flags = VNET_F_NEEDS_CSUM,
	    .gso_type = VNET_GSO_UDP_L4,
	    .hdr_len = (uint16_t)(c->l3_len + UDP_HDR_LEN),
	    .gso_size = (uint16_t)c->gso_size,
	    .csum_start = (uint16_t)c->l3_len,
	    .csum_offset = UDP_CSUM_OFFSET,
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
