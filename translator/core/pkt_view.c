/* SPDX-License-Identifier: BSD-2-Clause */
/* The outline of one IP packet (pkt_view.h). */
#include "pkt_view.h"

#include <string.h>

#include "checksum.h"
#include "wire.h"

/* The TCP header with its options (RFC 793 Data Offset), or UDP's 8 bytes. */
static size_t l4_header_len(uint8_t proto, const uint8_t *l4, size_t l4_len)
{
	size_t doff;

	if (proto == IPPROTO_UDP)
		return l4_len >= UDP_HDR_LEN ? UDP_HDR_LEN : 0;
	if (proto != IPPROTO_TCP || l4_len < TCP_HDR_LEN)
		return 0;
	doff = (size_t)(l4[TCP_DOFF_BYTE] >> 4) * 4;
	return doff >= TCP_HDR_LEN && doff <= l4_len ? doff : 0;
}

/* cut: accept a length field that claims more than len (a capture cut
 * short), taking len as the packet's length. */
static int parse(struct pkt_view *v, const uint8_t *p, size_t len, bool cut)
{
	uint16_t off;

	memset(v, 0, sizeof(*v));
	if (len < IPV4_HDR_LEN)
		return -1;
	if (ip_version(p) == 6) {
		if (len < IPV6_HDR_LEN)
			return -1;
		v->v6 = true;
		v->len = IPV6_HDR_LEN + get_be16(p + IP6_PLEN);
		v->l3_len = IPV6_HDR_LEN;
		v->proto = p[IP6_NXT];
	} else if (ip_version(p) == 4) {
		v->l3_len = ip4_hdr_len(p);
		v->len = get_be16(p + IP4_LEN);
		if (v->l3_len < IPV4_HDR_LEN || v->l3_len > len)
			return -1;
		v->proto = p[IP4_PROTO];
		off = get_be16(p + IP4_OFF);
		v->later_fragment = (off & IP_OFFMASK) != 0;
		v->more_fragments = (off & IP_MF) != 0;
	} else {
		return -1;
	}
	if (v->len > len || v->len < v->l3_len) {
		if (!cut)
			return -1;
		v->len = len;
	}
	v->l4 = p + v->l3_len;
	v->l4_len = v->len - v->l3_len;
	v->l4_hdr = l4_header_len(v->proto, v->l4, v->l4_len);
	return 0;
}

int pkt_view_parse(struct pkt_view *v, const uint8_t *p, size_t len)
{
	return parse(v, p, len, false);
}

int pkt_view_parse_cut(struct pkt_view *v, const uint8_t *p, size_t len)
{
	return parse(v, p, len, true);
}
