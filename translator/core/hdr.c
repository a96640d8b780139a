/* SPDX-License-Identifier: BSD-2-Clause */
/* The IP header fields of RFC 7915 §4.1 and §5.1, for translated packets and
 * for the packets ICMP errors quote (§4.3, §5.3 apply the same rules): the
 * IPv6 extension header walk, traffic class and TOS, flow label, the IPv4
 * Identification and DF, the Fragment header. */
#include "rfc7915.h"

/* RFC 7915 §5.1.1: the Fragment header's fields go to the IPv4 header.
 * After it, a later fragment holds payload only. RFC 8200 §4.1: one
 * Fragment header per packet. */
static enum tun64_counter ipv6_read_fragment_header(struct ip6_view *v, const uint8_t *e)
{
	uint16_t off_m = get_be16(e + FRAG6_OFFLG);

	if (v->frag)
		return CTR_DROP_FRAGMENT;
	v->frag = true;
	v->frag_offset = off_m >> IPV6_FRAG_OFFSET_SHIFT;
	v->frag_more = off_m & IPV6_FRAG_M;
	v->frag_id = get_be32(e + FRAG6_IDENT);
	return CTR_NONE;
}

/* The IPv6 extension headers (RFC 8200 §4, IANA "IPv6 Extension Header
 * Types") but ESP, whose payload is opaque: RFC 7915 §5.1 (Total Length)
 * drops a packet in which one follows the Fragment header. (A second
 * Fragment header is refused as such, by ipv6_read_fragment_header.) */
static bool ipv6_is_ext_header(uint8_t nh)
{
	switch (nh) {
	case IPPROTO_HOPOPTS:
	case IPPROTO_ROUTING:
	case IPPROTO_FRAGMENT:
	case IPPROTO_AH:
	case IPPROTO_DSTOPTS:
	case IPPROTO_MH:
	case 139: /* HIP */
	case 140: /* Shim6 */
	case 253: /* experimentation */
	case 254:
		return true;
	default:
		return false;
	}
}

/* RFC 7915 §5.1: Hop-by-Hop, Destination Options and Routing headers with
 * Segments Left 0 are skipped (§5.1: "not translated"); a Routing header
 * with Segments Left != 0 is refused with CTR_DROP_EXT_HDR and
 * v->segments_left_at set; so is an extension header after the Fragment
 * header, a Routing header included, in any fragment, with
 * v->ext_after_frag set (§5.1.1: SHOULD be dropped), once the chain has
 * been read whole. Each header is bounds-checked before it is read, so a
 * chain cannot run past the payload. */
enum tun64_counter ipv6_skip_ext_headers(struct ip6_view *v)
{
	uint8_t nh = v->hdr[IP6_NXT];
	size_t off = IPV6_HDR_LEN;

	v->proto_at = IP6_NXT;
	v->ext_after_frag = false;
	v->frag = false;
	v->frag_more = false;
	v->frag_offset = 0;
	v->frag_id = 0;
	for (;;) {
		const uint8_t *e = v->hdr + off;
		size_t ext_len;

		if (nh != IPPROTO_HOPOPTS && nh != IPPROTO_DSTOPTS && nh != IPPROTO_ROUTING &&
		    nh != IPPROTO_FRAGMENT)
			break;
		if (off + EXT6_MIN_LEN > v->len)
			return CTR_DROP_TRUNCATED;
		if (nh == IPPROTO_FRAGMENT) {
			enum tun64_counter why = ipv6_read_fragment_header(v, e);

			if (why != CTR_NONE)
				return why;
			nh = e[FRAG6_NXT];
			v->proto_at = (uint32_t)(off + FRAG6_NXT);
			off += IPV6_FRAG_HDR_LEN;
			if (ip6_later_fragment(v))
				break;
			continue;
		}
		/* After a Fragment header any extension header is refused
		 * (below), a Routing header too: headers are refused in order. */
		if (nh == IPPROTO_ROUTING && e[RTHDR_SEGLEFT] != 0 && !v->frag) {
			v->segments_left_at = (uint32_t)(off + RTHDR_SEGLEFT);
			return CTR_DROP_EXT_HDR;
		}
		ext_len = ((size_t)e[EXT6_LEN] + 1) * EXT6_MIN_LEN;
		if (off + ext_len > v->len)
			return CTR_DROP_TRUNCATED;
		v->ext_after_frag |= v->frag;
		nh = e[EXT6_NXT];
		v->proto_at = (uint32_t)(off + EXT6_NXT);
		off += ext_len;
	}
	v->proto = nh;
	v->l4 = v->hdr + off;
	v->l4_len = v->len - off;
	if (v->frag && ipv6_is_ext_header(nh))
		v->ext_after_frag = true;
	return v->ext_after_frag ? CTR_DROP_EXT_HDR : CTR_NONE;
}

/* The IPv6 Traffic Class. */
uint8_t ipv6_tclass(const uint8_t *ip6)
{
	return (uint8_t)(get_be32(ip6 + IP6_FLOW) >> 20);
}

/* RFC 7915 §5.1 Type of Service: copied from the Traffic Class, or 0 when
 * the operator says so ("tos zero"). */
uint8_t tos_6to4(const struct xlat_config *cfg, const uint8_t *ip6)
{
	return cfg->tos_zero ? 0 : ipv6_tclass(ip6);
}

/* §5.1 header fields; id_frag: Identification << 16 | flags and offset. */
void ipv4_build_header(uint8_t o[IPV4_HDR_LEN], const struct ip6_view *v, const struct l4_view *l4,
                       const struct xlat_addrs *a, uint32_t id_frag, uint8_t tos)
{
	const uint8_t *h = v->hdr;

	o[IP4_VHL] = IP4_VHL_NO_OPTIONS;
	o[IP4_TOS] = tos;
	put_be16(o + IP4_LEN, (uint16_t)(IPV4_HDR_LEN + l4->len));
	put_be16(o + IP4_ID, (uint16_t)(id_frag >> 16));
	put_be16(o + IP4_OFF, (uint16_t)id_frag);
	o[IP4_TTL] = (uint8_t)(h[IP6_HLIM] - 1);
	o[IP4_PROTO] = l4->proto; /* ICMPv6 (58) already became ICMP (1) */
	put_be16(o + IP4_SUM, 0);
	put_be32(o + IP4_SRC, a->src4);
	put_be32(o + IP4_DST, a->dst4);
	put_be16(o + IP4_SUM, csum_ipv4_header(o, IPV4_HDR_LEN));
}

/* RFC 7915 §5.1: Identification, flags and offset of the IPv4 header.
 * With a Fragment header (§5.1.1): the low 16 bits of its Identification,
 * MF = M, DF = 0, offset copied. Without: an ID from the generator, and DF
 * only above 1260 bytes, so that IPv4 routers may fragment what an IPv6
 * sender sized for the 1280-byte minimum MTU. */
uint32_t ipv4_id_frag_6to4(struct xlat_ctx *ctx, const struct ip6_view *v, size_t total,
                           unsigned ids)
{
	uint16_t flags, id;

	if (v->frag) {
		flags = (uint16_t)((v->frag_offset & IP_OFFMASK) | (v->frag_more ? IP_MF : 0));
		return (uint32_t)(uint16_t)v->frag_id << 16 | flags;
	}
	flags = total > IPV4_DF_MAX_LEN ? IP_DF : 0;
	id = ctx->ipv4_id_next;
	ctx->ipv4_id_next = (uint16_t)(id + ids);
	return (uint32_t)id << 16 | flags;
}

/* RFC 7915 §4.1 Traffic Class: copied from the Type of Service, or 0 when
 * the operator says so ("tos zero"). */
uint8_t tclass_4to6(const struct xlat_config *cfg, const uint8_t *ip4)
{
	return cfg->tos_zero ? 0 : ip4[IP4_TOS];
}

/* RFC 7915 §4.1 Flow Label: 0, or with "flow-label hash" a hash of the
 * translated addresses, protocol and ports (RFC 6437 §3), the same for
 * every packet of a flow. A fragmented datagram hashes without ports so
 * that all its fragments share the label. */
uint32_t flow_label_4to6(const struct xlat_config *cfg, const struct ip4_view *v,
                         const struct l4_view *l4, const struct xlat_addrs *a)
{
	uint8_t rest[5];
	uint32_t h;

	if (!cfg->flow_label_hash)
		return 0;
	rest[0] = l4->proto;
	put_be16(rest + 1, v->frag ? 0 : a->sport);
	put_be16(rest + 3, v->frag ? 0 : a->dport);
	h = fnv1a(fnv1a(fnv1a(FNV1A_INIT, a->src6, 16), a->dst6, 16), rest, sizeof(rest));
	return h & 0xfffff;
}

/* §4.1 header fields. */
void ipv6_build_header(uint8_t o[IPV6_HDR_LEN], const struct ip4_view *v, const struct l4_view *l4,
                       const struct xlat_addrs *a, uint8_t tclass, uint32_t flow_label)
{
	put_be32(o + IP6_FLOW, (uint32_t)6 << 28 | (uint32_t)tclass << 20 | (flow_label & 0xfffff));
	put_be16(o + IP6_PLEN, (uint16_t)l4->len);
	o[IP6_NXT] = l4->proto == IPPROTO_ICMP ? IPPROTO_ICMPV6 : l4->proto;
	o[IP6_HLIM] = (uint8_t)(v->hdr[IP4_TTL] - 1);
	memcpy(o + IP6_SRC, a->src6, 16);
	memcpy(o + IP6_DST, a->dst6, 16);
}

/* RFC 7915 §4.1: an IPv4 fragment leaves with a Fragment header: next
 * header the translated protocol, offset and M copied, the Identification
 * zero-extended to 32 bits. Built aside: the IPv4 header it reads from is
 * overwritten by the IPv6 one. */
void ipv6_build_fragment_header(uint8_t fh[IPV6_FRAG_HDR_LEN], uint8_t ip6_hdr[IPV6_HDR_LEN],
                                const struct ip4_view *v)
{
	uint16_t frag = get_be16(v->hdr + IP4_OFF);

	fh[FRAG6_NXT] = ip6_hdr[IP6_NXT];
	fh[FRAG6_RESERVED] = 0;
	put_be16(fh + FRAG6_OFFLG, (uint16_t)((frag & IP_OFFMASK) << IPV6_FRAG_OFFSET_SHIFT |
	                                      ((frag & IP_MF) ? IPV6_FRAG_M : 0)));
	put_be32(fh + FRAG6_IDENT, get_be16(v->hdr + IP4_ID));
	ip6_hdr[IP6_NXT] = IPPROTO_FRAGMENT;
	put_be16(ip6_hdr + IP6_PLEN, (uint16_t)(get_be16(ip6_hdr + IP6_PLEN) + IPV6_FRAG_HDR_LEN));
}
