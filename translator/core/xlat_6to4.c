/* SPDX-License-Identifier: BSD-2-Clause */
/* IPv6 -> IPv4, RFC 7915 §5.1: the IPv6 header and its extension headers
 * read, the IPv4 header written over their tail. */
#include "rfc7915.h"

#include "eam.h"

static enum tun64_counter ipv6_check_length(struct ip6_view *v, uint8_t *hdr, size_t len)
{
	size_t payload;

	if (len < IPV6_HDR_LEN)
		return CTR_DROP_TRUNCATED;
	payload = get_be16(hdr + IP6_PLEN);
	if (IPV6_HDR_LEN + payload > len)
		return CTR_DROP_BAD_LENGTH;
	v->hdr = hdr;
	v->len = IPV6_HDR_LEN + payload; /* trailing bytes are not ours */
	return CTR_NONE;
}

/* Multicast, unspecified, loopback, link-local (RFC 4291 §2.5.6: never
 * forwarded to another link), or stateful: inside our own prefix (a loop). */
static bool ipv6_src_is_bad(const struct xlat_config *cfg, const uint8_t src[16])
{
	static const uint8_t unspecified[16];
	static const uint8_t loopback[16] = {[15] = 1};

	if (addr6_is_multicast(src) || addr6_is_link_local(src))
		return true;
	if (!memcmp(src, unspecified, 16) || !memcmp(src, loopback, 16))
		return true;
	return cfg->mode == XLAT_STATEFUL && prefix6_contains(&cfg->pool6, src);
}

/* Checks that need no state: translatable destination (and stateless
 * source), RFC 6052 §3.1 for the well-known prefix. */
static struct refusal check_addrs_6to4(const struct xlat_config *cfg, const struct ip6_view *v,
                                       struct xlat_addrs *a)
{
	enum siit_via via = siit_map_6to4(cfg->eam, &cfg->pool6, v->hdr + IP6_DST, &a->dst4);
	struct refusal not_dst =
	    refuse_icmp(CTR_DROP_NOT_TRANSLATABLE_DST, ICMP6_DST_UNREACH, ICMP6_DST_UNREACH_ADMIN);
	struct refusal not_src =
	    refuse_icmp(CTR_DROP_NOT_TRANSLATABLE_SRC, ICMP6_DST_UNREACH, ICMP6_DST_UNREACH_ADMIN);

	if (via == SIIT_VIA_NONE)
		return not_dst;
	if (wkp_refuses(cfg, a->dst4) || addr4_never_forwarded(a->dst4))
		return not_dst;
	/* Hairpinning: RFC 6146 §3.8 (a pool4 address), RFC 7757 §4 case A. */
	if (cfg->mode == XLAT_STATEFUL)
		a->hairpin = in_pool4(cfg, a->dst4);
	else
		a->hairpin = siit_hairpin(cfg->eam, via, a->dst4);
	if (cfg->mode == XLAT_STATEFUL)
		return NOT_REFUSED;
	if (!addr_6to4(cfg, v->hdr + IP6_SRC, &a->src4))
		return not_src;
	if (wkp_refuses(cfg, a->src4))
		return not_src;
	if (addr4_never_forwarded(a->src4))
		return refuse(CTR_DROP_BAD_SRC);
	return NOT_REFUSED;
}

/* Rewrite the transport, then lay the IPv4 header just in front of it, over
 * the tail of the IPv6 headers. */
static uint8_t *xlat_write_6to4(struct xlat_ctx *ctx, const struct ip6_view *v, unsigned ids,
                                const struct l4_view *l4, const struct xlat_addrs *a)
{
	uint8_t hdr[IPV4_HDR_LEN];
	uint8_t *ip4 = v->l4 - IPV4_HDR_LEN;
	uint32_t old_pseudo, new_pseudo = 0;

	old_pseudo = csum_pseudo6(v->hdr + IP6_SRC, v->hdr + IP6_DST, v->proto, (uint32_t)l4->len);
	if (l4->proto != IPPROTO_ICMP)
		new_pseudo = csum_pseudo4(a->src4, a->dst4, l4->proto, (uint16_t)l4->len);
	ipv4_build_header(hdr, v, l4, a, ipv4_id_frag_6to4(ctx, v, IPV4_HDR_LEN + l4->len, ids),
	                  tos_6to4(ctx->cfg, v->hdr));
	l4_rewrite(l4, old_pseudo, new_pseudo, a->sport, a->dport);
	memcpy(ip4, hdr, IPV4_HDR_LEN);
	return ip4;
}

/* §5.1: a Routing header with Segments Left != 0 is not translated;
 * Parameter Problem code 0 points at its Segments Left. */
static enum xlat_result refuse_routing_header(struct xlat_ctx *ctx, const struct ip6_view *v,
                                              const uint8_t **out, size_t *out_len)
{
	size_t len =
	    icmp6_build_error(ctx, ICMP6_PARAM_PROB, 0, v->segments_left_at, v->hdr, v->len);

	return send_icmp_error(ctx, DIR_6TO4, CTR_DROP_EXT_HDR, len, out, out_len);
}

/* RFC 7915 §5.4, RFC 6146 §3.5: an IPv6 packet refused with an ICMPv6
 * error named (struct refusal) gets it back under icmp-unreachable. For a
 * Parameter Problem (RFC 4443 §3.4, unrecognized Next Header) the pointer
 * is the Next Header byte that names the protocol. RFC 4443 §2.4(e): none
 * about an ICMPv6 error (unfragmented ones were diverted before; a
 * fragmented one may reach here), a later fragment, or a packet to a
 * multicast address. */
static enum xlat_result refuse_6to4(struct xlat_ctx *ctx, const struct ip6_view *v,
                                    struct refusal why, const uint8_t **out, size_t *out_len)
{
	uint32_t rest = why.icmp_type == ICMP6_PARAM_PROB ? v->proto_at : 0;

	if (!why.icmp_type || !ctx->cfg->icmp_unreachable || ip6_later_fragment(v) ||
	    icmp6_is_error(v) || addr6_is_multicast(v->hdr + IP6_DST))
		return drop(ctx, DIR_6TO4, why.ctr);
	return send_icmp_error(
	    ctx, DIR_6TO4, why.ctr,
	    icmp6_build_error(ctx, why.icmp_type, why.icmp_code, rest, v->hdr, v->len), out,
	    out_len);
}

/* The transport of an IPv6 packet, or of a fragment of one. Fragmented
 * ICMPv6 is refused: its checksum covers a pseudo-header with the whole
 * datagram's length, which ICMPv4 has not (RFC 7915 §5.1.1 lets the
 * translator drop what it does not reassemble). An atomic fragment is
 * whole (RFC 6946 §4): its ICMPv6 is translated. */
static struct refusal l4_parse_6to4(struct l4_view *l4, const struct ip6_view *v, bool opaque)
{
	/* RFC 4443 §3.4: a protocol a NAT64 does not carry is an unrecognized
	 * Next Header. */
	struct refusal unsupported =
	    refuse_icmp(CTR_DROP_UNSUPPORTED_PROTO, ICMP6_PARAM_PROB, ICMP6_PARAMPROB_NEXTHEADER);

	/* RFC 7915 §5.1: only next header 58 is ICMP; a 1 over IPv6 is some
	 * other protocol, which we do not carry. */
	if (v->proto == IPPROTO_ICMP)
		return unsupported;
	if (fragment_overflows(v->frag, v->frag_offset, v->l4_len))
		return refuse(CTR_DROP_FRAGMENT);
	if (ip6_fragmented(v) && v->proto == IPPROTO_ICMPV6)
		return refuse(CTR_DROP_FRAGMENT);
	if (!l4_carried(v->proto, opaque))
		return unsupported;
	if (ip6_later_fragment(v))
		return refuse(l4_later_fragment(l4, v->proto, v->l4, v->l4_len, v->frag_offset));
	return refuse(l4_parse(l4, v->proto, v->l4, v->l4_len, ip6_fragmented(v)));
}

enum xlat_result xlat_6to4(struct xlat_ctx *ctx, struct xlat_pkt *pkt, struct xlat_pkt *hp,
                           const uint8_t **out, size_t *out_len)
{
	const struct xlat_config *cfg = ctx->cfg;
	struct ip6_view v;
	struct l4_view l4;
	struct xlat_addrs a;
	enum tun64_counter why;
	struct refusal r;
	uint8_t *ip4;
	unsigned ids;

	why = ipv6_check_length(&v, pkt->buf + pkt->off, pkt->len);
	if (why != CTR_NONE)
		return drop(ctx, DIR_6TO4, why);
	if (ipv6_src_is_bad(cfg, v.hdr + IP6_SRC))
		return drop(ctx, DIR_6TO4, CTR_DROP_BAD_SRC);
	why = ipv6_skip_ext_headers(&v);
	/* RFC 7915 §5.1 (Total Length): an extension header after the Fragment
	 * header SHOULD be dropped; §5.4: Administratively Prohibited back. */
	if (why == CTR_DROP_EXT_HDR && v.ext_after_frag)
		return refuse_6to4(
		    ctx, &v,
		    refuse_icmp(CTR_DROP_EXT_HDR, ICMP6_DST_UNREACH, ICMP6_DST_UNREACH_ADMIN), out,
		    out_len);
	if (why == CTR_DROP_EXT_HDR)
		return refuse_routing_header(ctx, &v, out, out_len);
	if (why != CTR_NONE)
		return drop(ctx, DIR_6TO4, why);
	/* ipv6-addr: answered or refused, never translated to ipv4-addr */
	if (!memcmp(v.hdr + IP6_DST, cfg->own6, 16))
		return xlat_own_6to4(ctx, &v, out, out_len);
	if (icmp6_is_error(&v) && !ip6_fragmented(&v))
		return xlat_icmp6_error(ctx, &v, hp, out, out_len);
	r = check_addrs_6to4(cfg, &v, &a);
	if (refused(r))
		return refuse_6to4(ctx, &v, r, out, out_len);
	r = l4_parse_6to4(&l4, &v, cfg->mode == XLAT_STATELESS);
	if (refused(r))
		return refuse_6to4(ctx, &v, r, out, out_len);
	l4.csum_partial = pkt->csum_partial;
	if (!l4.no_header && udp_lacks_checksum(&l4))
		return drop(ctx, DIR_6TO4, CTR_DROP_BAD_L4_CSUM);

	/* §5.1 Hop Limit; checked before any state is created. */
	if (v.hdr[IP6_HLIM] <= 1)
		return send_icmp_error(
		    ctx, DIR_6TO4, CTR_DROP_TTL_EXPIRED,
		    icmp6_build_error(ctx, ICMP6_TIME_EXCEEDED, 0, 0, v.hdr, v.len), out, out_len);

	r = map_addrs_6to4_fragment(ctx, &v, &l4, &a);
	if (refused(r))
		return refuse_6to4(ctx, &v, r, out, out_len);
	/* A GSO packet leaves as segments, one Identification each; a
	 * hairpinned one leaves as IPv6. */
	ids = pkt->gso && !a.hairpin ? l4_gso_segs(&l4, pkt->gso_size) : 1;
	ip4 = xlat_write_6to4(ctx, &v, ids, &l4, &a);
	if (a.hairpin) {
		*hp = *pkt;
		hp->off = (size_t)(ip4 - pkt->buf);
		hp->len = IPV4_HDR_LEN + l4.len;
		return XR_HAIRPIN;
	}
	return send_translated(ctx, DIR_6TO4, pkt, ip4, IPV4_HDR_LEN + l4.len, out, out_len);
}
