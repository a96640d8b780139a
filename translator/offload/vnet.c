/* SPDX-License-Identifier: BSD-2-Clause */
/* tun offloads across translation (vnet.h). */
#include "vnet.h"

#include <netinet/in.h>
#include <string.h>

#include "checksum.h"
#include "pkt_view.h"
#include "wire.h"

_Static_assert(sizeof(struct vnet_hdr) == VNET_HDR_LEN, "struct virtio_net_hdr is 10 bytes");

static uint16_t csum_offset_of(uint8_t proto)
{
	return proto == IPPROTO_TCP ? TCP_SUM : UDP_SUM;
}

static uint8_t gso_type_of(const struct pkt_view *l)
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
static size_t largest_segment_out(const struct vnet_hdr *h, const struct pkt_view *l)
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
static bool gso_fits(const struct vnet_hdr *h, const struct pkt_view *l, const uint8_t *pkt,
                     const struct xlat_config *cfg)
{
	size_t seg = largest_segment_out(h, l);

	if (h->gso_size == 0 || (h->gso_type & ~VNET_GSO_ECN) != gso_type_of(l))
		return false;
	if (l->v6)
		return vnet_gso_segs(h, l->l4_len, l->l4_hdr) == 1 || seg > IPV4_DF_MAX_LEN;
	if (!(get_be16(pkt + IP4_OFF) & IP_DF))
		return false;
	return cfg->mtu == 0 || seg <= cfg->mtu;
}

/* One header rewrite is enough: plain TCP/UDP right after a plain IP
 * header, the checksum partial where the header says, no fragment, no
 * TTL expiry (ICMP errors quote the packet: the ordinary path builds them). */
static bool fast_ok(const struct vnet_hdr *h, const struct pkt_view *l, const uint8_t *pkt,
                    const struct xlat_config *cfg)
{
	if (!(h->flags & VNET_F_NEEDS_CSUM) || !pkt_view_tcp_or_udp(l))
		return false;
	if (h->csum_start != l->l3_len || h->csum_offset != csum_offset_of(l->proto))
		return false;
	if (l->v6) {
		if (pkt[IP6_HLIM] <= 1)
			return false;
	} else {
		if (l->l3_len != IPV4_HDR_LEN || pkt[IP4_TTL] <= 1 || l->later_fragment ||
		    l->more_fragments)
			return false;
	}
	return !is_gso(h) || gso_fits(h, l, pkt, cfg);
}

enum vnet_path vnet_classify(const struct vnet_hdr *h, const uint8_t *pkt, size_t len,
                             const struct xlat_config *cfg)
{
	struct pkt_view l;
	bool parsed;

	if (!(h->flags & VNET_F_NEEDS_CSUM) && !is_gso(h))
		return VNET_PLAIN;
	parsed = pkt_view_parse(&l, pkt, len) == 0;
	if (h->flags & VNET_F_NEEDS_CSUM) {
		if ((size_t)h->csum_start + h->csum_offset + 2 > (parsed ? l.len : len))
			return VNET_BAD;
	}
	if (parsed && fast_ok(h, &l, pkt, cfg))
		return VNET_FAST;
	if (!is_gso(h))
		return VNET_COMPLETE;
	if (!parsed || !pkt_view_tcp_or_udp(&l) || h->gso_size == 0)
		return VNET_BAD;
	return VNET_SEGMENT;
}

int vnet_csum_complete(const struct vnet_hdr *h, uint8_t *pkt, size_t len)
{
	struct pkt_view l;
	size_t start = h->csum_start, field = start + h->csum_offset;
	uint16_t check;

	if (pkt_view_parse(&l, pkt, len) == 0)
		len = l.len;
	if (field + 2 > len)
		return -1;
	check = csum_finish(csum_add_bytes(0, pkt + start, len - start));
	if (check == 0 && l.proto == IPPROTO_UDP && h->csum_offset == UDP_SUM)
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
	struct pkt_view l;

	if (pkt_view_parse(&l, out, out_len) < 0 || !pkt_view_tcp_or_udp(&l))
		return;
	h->csum_start = (uint16_t)l.l3_len;
	h->hdr_len = (uint16_t)(l.l3_len + l.l4_hdr);
	if (!is_gso(h))
		return;
	h->gso_type = (uint8_t)(gso_type_of(&l) | (h->gso_type & VNET_GSO_ECN));
}

int vnet_segment_start(struct vnet_seg *s, const struct vnet_hdr *h, const uint8_t *pkt, size_t len)
{
	struct pkt_view l;

	memset(s, 0, sizeof(*s));
	if (pkt_view_parse(&l, pkt, len) < 0 || !pkt_view_tcp_or_udp(&l) || h->gso_size == 0)
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
		put_be16(out + IP6_PLEN, (uint16_t)(seg_len - IPV6_HDR_LEN));
		return;
	}
	put_be16(out + IP4_LEN, (uint16_t)seg_len);
	put_be16(out + IP4_ID, (uint16_t)(get_be16(s->pkt + IP4_ID) + s->index));
	put_be16(out + IP4_SUM, 0);
	put_be16(out + IP4_SUM, csum_ipv4_header(out, s->l3_len));
}

static uint32_t segment_pseudo(const struct vnet_seg *s, const uint8_t *out, size_t l4_len)
{
	if (s->v6)
		return csum_pseudo6(out + IP6_SRC, out + IP6_DST, s->proto, (uint32_t)l4_len);
	return csum_pseudo4(get_be32(out + IP4_SRC), get_be32(out + IP4_DST), s->proto,
	                    (uint16_t)l4_len);
}

/* RFC 793 fields of one TCP segment: sequence number of its first byte,
 * FIN/PSH only on the last, CWR (RFC 3168 §6.1.2) only on the first. */
static void segment_tcp_header(const struct vnet_seg *s, uint8_t *tcp, bool last)
{
	uint8_t flags = tcp[TCP_FLAGS];
	size_t seq = offsetof(struct tcphdr, th_seq);

	put_be32(tcp + seq, get_be32(s->pkt + s->l3_len + seq) + (uint32_t)(s->next - s->hdr_len));
	if (!last)
		flags &= (uint8_t) ~(TH_FIN | TH_PUSH);
	if (s->index > 0)
		flags &= (uint8_t)~TCP_CWR;
	tcp[TCP_FLAGS] = flags;
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
		put_be16(l4 + UDP_LEN, (uint16_t)l4_len);
	put_be16(l4 + csum_offset_of(s->proto), 0);
	check = csum_finish(csum_add_bytes(segment_pseudo(s, out, l4_len), l4, l4_len));
	if (check == 0 && s->proto == IPPROTO_UDP)
		check = 0xffff;
	put_be16(l4 + csum_offset_of(s->proto), check);
	s->next += chunk;
	s->index++;
	return seg_len;
}
