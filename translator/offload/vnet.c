/* tun offloads across translation (vnet.h). */
#include "vnet.h"

#include <netinet/in.h>
#include <string.h>

#include "checksum.h"

_Static_assert(sizeof(struct vnet_hdr) == VNET_HDR_LEN, "struct virtio_net_hdr is 10 bytes");

#define IPV4_HDR_LEN 20
#define IPV6_HDR_LEN 40
#define TCP_HDR_LEN 20
#define UDP_HDR_LEN 8
#define TCP_CSUM_OFFSET 16
#define UDP_CSUM_OFFSET 6
#define IPV4_DF 0x4000
#define IPV4_MF 0x2000
#define IPV4_FRAG_OFFSET 0x1fff
#define TCP_FIN 0x01
#define TCP_PSH 0x08
#define TCP_CWR 0x80

/* The IP and transport headers of a packet, as far as offloads care. */
struct l34 {
	bool v6;
	size_t len;    /* IP length (trailing bytes are not the packet's) */
	size_t l3_len; /* IP header; IPv6: the fixed header only */
	uint8_t proto; /* IPv4 protocol / IPv6 next header */
	size_t l4_len;
	size_t l4_hdr; /* TCP with options, or UDP; 0 for anything else */
};

static size_t l4_header_len(uint8_t proto, const uint8_t *l4, size_t l4_len)
{
	size_t doff;

	if (proto == IPPROTO_UDP)
		return l4_len >= UDP_HDR_LEN ? UDP_HDR_LEN : 0;
	if (proto != IPPROTO_TCP || l4_len < TCP_HDR_LEN)
		return 0;
	doff = (size_t)(l4[12] >> 4) * 4;
	return doff >= TCP_HDR_LEN && doff <= l4_len ? doff : 0;
}

static int l34_parse(struct l34 *o, const uint8_t *p, size_t len)
{
	memset(o, 0, sizeof(*o));
	if (len < IPV4_HDR_LEN)
		return -1;
	if (p[0] >> 4 == 6) {
		if (len < IPV6_HDR_LEN || IPV6_HDR_LEN + (size_t)get_be16(p + 4) > len)
			return -1;
		o->v6 = true;
		o->len = IPV6_HDR_LEN + get_be16(p + 4);
		o->l3_len = IPV6_HDR_LEN;
		o->proto = p[6];
	} else if (p[0] >> 4 == 4) {
		o->l3_len = (size_t)(p[0] & 0x0f) * 4;
		o->len = get_be16(p + 2);
		if (o->l3_len < IPV4_HDR_LEN || o->len < o->l3_len || o->len > len)
			return -1;
		o->proto = p[9];
	} else {
		return -1;
	}
	o->l4_len = o->len - o->l3_len;
	o->l4_hdr = l4_header_len(o->proto, p + o->l3_len, o->l4_len);
	return 0;
}

static bool is_tcp_or_udp(const struct l34 *l)
{
	return (l->proto == IPPROTO_TCP || l->proto == IPPROTO_UDP) && l->l4_hdr > 0;
}

static uint16_t csum_offset_of(uint8_t proto)
{
	return proto == IPPROTO_TCP ? TCP_CSUM_OFFSET : UDP_CSUM_OFFSET;
}

static uint8_t gso_type_of(const struct l34 *l)
{
	if (l->proto == IPPROTO_UDP)
		return VNET_GSO_UDP_L4;
	return l->v6 ? VNET_GSO_TCPV6 : VNET_GSO_TCPV4;
}

static bool is_gso(const struct vnet_hdr *h)
{
	return (h->gso_type & ~VNET_GSO_ECN) != VNET_GSO_NONE;
}

unsigned vnet_gso_segs(const struct vnet_hdr *h, size_t l4_len, size_t l4_hdr)
{
	size_t payload = l4_len > l4_hdr ? l4_len - l4_hdr : 0;

	if (!is_gso(h) || h->gso_size == 0 || payload == 0)
		return 1;
	return (unsigned)((payload + h->gso_size - 1) / h->gso_size);
}

/* The largest segment the kernel will cut, once translated to the other
 * family. */
static size_t largest_segment_out(const struct vnet_hdr *h, const struct l34 *l)
{
	size_t payload = l->l4_len - l->l4_hdr;
	size_t chunk = payload < h->gso_size ? payload : h->gso_size;

	return (l->v6 ? IPV4_HDR_LEN : IPV6_HDR_LEN) + l->l4_hdr + chunk;
}

/* The segments must leave as the ordinary path would send each of them.
 * IPv6 -> IPv4: RFC 7915 §5.1 gives DF=1 above 1260 bytes, and the kernel
 * copies one DF to every segment: fine only if the full-sized ones are
 * above 1260 (the last, shorter one then keeps DF=1 as well).
 * IPv4 -> IPv6: DF set and every segment within the tun MTU (RFC 7915 §4:
 * otherwise Fragmentation Needed, or lowest-ipv6-mtu without DF), which the
 * ordinary path decides per segment. */
static bool gso_fits(const struct vnet_hdr *h, const struct l34 *l, const uint8_t *pkt,
                     const struct xlat_config *cfg)
{
	size_t seg = largest_segment_out(h, l);

	if (h->gso_size == 0 || (h->gso_type & ~VNET_GSO_ECN) != gso_type_of(l))
		return false;
	if (l->v6)
		return vnet_gso_segs(h, l->l4_len, l->l4_hdr) == 1 || seg > IPV4_DF_MAX_LEN;
	if (!(get_be16(pkt + 6) & IPV4_DF))
		return false;
	return cfg->mtu == 0 || seg <= cfg->mtu;
}

/* One header rewrite is enough: plain TCP/UDP right after a plain IP
 * header, the checksum partial where the header says, no fragment, no
 * TTL expiry (ICMP errors quote the packet: the ordinary path builds them). */
static bool fast_ok(const struct vnet_hdr *h, const struct l34 *l, const uint8_t *pkt,
                    const struct xlat_config *cfg)
{
	if (!(h->flags & VNET_F_NEEDS_CSUM) || !is_tcp_or_udp(l))
		return false;
	if (h->csum_start != l->l3_len || h->csum_offset != csum_offset_of(l->proto))
		return false;
	if (l->v6) {
		if (pkt[7] <= 1)
			return false;
	} else {
		if (l->l3_len != IPV4_HDR_LEN || pkt[8] <= 1 ||
		    (get_be16(pkt + 6) & (IPV4_MF | IPV4_FRAG_OFFSET)))
			return false;
	}
	return !is_gso(h) || gso_fits(h, l, pkt, cfg);
}

enum vnet_path vnet_classify(const struct vnet_hdr *h, const uint8_t *pkt, size_t len,
                             const struct xlat_config *cfg)
{
	struct l34 l;
	bool parsed;

	if (!(h->flags & VNET_F_NEEDS_CSUM) && !is_gso(h))
		return VNET_PLAIN;
	parsed = l34_parse(&l, pkt, len) == 0;
	if (h->flags & VNET_F_NEEDS_CSUM) {
		if ((size_t)h->csum_start + h->csum_offset + 2 > (parsed ? l.len : len))
			return VNET_BAD;
	}
	if (parsed && fast_ok(h, &l, pkt, cfg))
		return VNET_FAST;
	if (!is_gso(h))
		return VNET_COMPLETE;
	if (!parsed || !is_tcp_or_udp(&l) || h->gso_size == 0)
		return VNET_BAD;
	return VNET_SEGMENT;
}

int vnet_csum_complete(const struct vnet_hdr *h, uint8_t *pkt, size_t len)
{
	struct l34 l;
	size_t start = h->csum_start, field = start + h->csum_offset;
	uint16_t check;

	if (l34_parse(&l, pkt, len) == 0)
		len = l.len;
	if (field + 2 > len)
		return -1;
	check = csum_finish(csum_add_bytes(0, pkt + start, len - start));
	if (check == 0 && l.proto == IPPROTO_UDP && h->csum_offset == UDP_CSUM_OFFSET)
		check = 0xffff; /* RFC 768: 0 means "no checksum" */
	put_be16(pkt + field, check);
	return 0;
}

uint16_t vnet_gso_size(const struct vnet_hdr *h)
{
	return is_gso(h) ? h->gso_size : 0;
}

void vnet_after_xlat(struct vnet_hdr *h, const uint8_t *out, size_t out_len)
{
	struct l34 l;

	if (l34_parse(&l, out, out_len) < 0 || !is_tcp_or_udp(&l))
		return;
	h->csum_start = (uint16_t)l.l3_len;
	h->hdr_len = (uint16_t)(l.l3_len + l.l4_hdr);
	if (!is_gso(h))
		return;
	h->gso_type = (uint8_t)(gso_type_of(&l) | (h->gso_type & VNET_GSO_ECN));
}

int vnet_segment_start(struct vnet_seg *s, const struct vnet_hdr *h, const uint8_t *pkt, size_t len)
{
	struct l34 l;

	memset(s, 0, sizeof(*s));
	if (l34_parse(&l, pkt, len) < 0 || !is_tcp_or_udp(&l) || h->gso_size == 0)
		return -1;
	s->pkt = pkt;
	s->len = l.len;
	s->l3_len = l.l3_len;
	s->hdr_len = l.l3_len + l.l4_hdr;
	s->mss = h->gso_size;
	s->next = s->hdr_len;
	s->proto = l.proto;
	s->v6 = l.v6;
	return 0;
}

static void segment_ip_header(const struct vnet_seg *s, uint8_t *out, size_t seg_len)
{
	if (s->v6) {
		put_be16(out + 4, (uint16_t)(seg_len - IPV6_HDR_LEN));
		return;
	}
	put_be16(out + 2, (uint16_t)seg_len);
	put_be16(out + 4, (uint16_t)(get_be16(s->pkt + 4) + s->index));
	put_be16(out + 10, 0);
	put_be16(out + 10, csum_ipv4_header(out, s->l3_len));
}

static uint32_t segment_pseudo(const struct vnet_seg *s, const uint8_t *out, size_t l4_len)
{
	if (s->v6)
		return csum_pseudo6(out + 8, out + 24, s->proto, (uint32_t)l4_len);
	return csum_pseudo4(get_be32(out + 12), get_be32(out + 16), s->proto, (uint16_t)l4_len);
}

/* RFC 793 fields of one TCP segment: sequence number of its first byte,
 * FIN/PSH only on the last, CWR (RFC 3168 §6.1.2) only on the first. */
static void segment_tcp_header(const struct vnet_seg *s, uint8_t *tcp, bool last)
{
	uint8_t flags = tcp[13];

	put_be32(tcp + 4, get_be32(s->pkt + s->l3_len + 4) + (uint32_t)(s->next - s->hdr_len));
	if (!last)
		flags &= (uint8_t) ~(TCP_FIN | TCP_PSH);
	if (s->index > 0)
		flags &= (uint8_t)~TCP_CWR;
	tcp[13] = flags;
}

size_t vnet_segment_next(struct vnet_seg *s, uint8_t *out, size_t cap)
{
	size_t left = s->len - s->next;
	size_t chunk = left < s->mss ? left : s->mss;
	size_t seg_len = s->hdr_len + chunk, l4_len = seg_len - s->l3_len;
	uint8_t *l4 = out + s->l3_len;
	uint16_t check;

	if ((left == 0 && s->index > 0) || seg_len > cap)
		return 0;
	memcpy(out, s->pkt, s->hdr_len);
	memcpy(out + s->hdr_len, s->pkt + s->next, chunk);
	segment_ip_header(s, out, seg_len);
	if (s->proto == IPPROTO_TCP)
		segment_tcp_header(s, l4, chunk == left);
	else
		put_be16(l4 + 4, (uint16_t)l4_len);
	put_be16(l4 + csum_offset_of(s->proto), 0);
	check = csum_finish(csum_add_bytes(segment_pseudo(s, out, l4_len), l4, l4_len));
	if (check == 0 && s->proto == IPPROTO_UDP)
		check = 0xffff;
	put_be16(l4 + csum_offset_of(s->proto), check);
	s->next += chunk;
	s->index++;
	return seg_len;
}
