/* SPDX-License-Identifier: BSD-2-Clause */
/* IPv4 -> IPv6, RFC 7915 §4.1: the IPv4 header read, the IPv6 header (and
 * a Fragment header) written over it and into the headroom, or the
 * datagram split into IPv6 fragments that fit lowest-ipv6-mtu. */
#include "rfc7915.h"

static enum tun64_counter ipv4_check_header(struct ip4_view *v, uint8_t *hdr, size_t len)
{
	size_t total;

	memset(v, 0, sizeof(*v));
	if (len < IPV4_HDR_LEN)
		return CTR_DROP_TRUNCATED;
	v->hlen = ip4_hdr_len(hdr);
	if (v->hlen < IPV4_HDR_LEN)
		return CTR_DROP_BAD_IHL;
	if (v->hlen > len)
		return CTR_DROP_TRUNCATED;
	total = get_be16(hdr + IP4_LEN);
	if (total < v->hlen || total > len)
		return CTR_DROP_BAD_LENGTH;
	if (csum_ipv4_header(hdr, v->hlen) != 0)
		return CTR_DROP_BAD_IPV4_CSUM;
	v->hdr = hdr;
	v->len = total; /* trailing bytes are not ours */
	v->src = get_be32(hdr + IP4_SRC);
	v->dst = get_be32(hdr + IP4_DST);
	v->l4 = hdr + v->hlen;
	v->l4_len = total - v->hlen;
	return CTR_NONE;
}

/* Never forwarded (addr4_never_forwarded: 0/8, 127/8, 169.254/16,
 * multicast, 240/4 and the limited broadcast); pool4 addresses are ours. */
static bool ipv4_src_is_bad(const struct xlat_config *cfg, uint32_t src)
{
	return addr4_never_forwarded(src) || in_pool4(cfg, src);
}

/* RFC 791: a source route is used up (expired) when its pointer is past
 * its length; then the destination field alone routes the packet. One too
 * short to hold a pointer counts as unexpired: it cannot be shown used up. */
static bool source_route_unexpired(const uint8_t *opt, size_t left)
{
	return left <= IPOPT_OFFSET || opt[IPOPT_OLEN] <= IPOPT_OFFSET ||
	       opt[IPOPT_OFFSET] <= opt[IPOPT_OLEN];
}

/* RFC 7915 §4.1: options are not translated, but a packet with an
 * unexpired source route must not be forwarded as if it had none
 * (v->source_route; refuse_source_route). A malformed option list ends
 * the scan: the options are dropped anyway. */
static void ipv4_check_options(struct ip4_view *v)
{
	const uint8_t *opt = v->hdr + IPV4_HDR_LEN;
	size_t left = v->hlen - IPV4_HDR_LEN;

	while (left > 0 && opt[IPOPT_OPTVAL] != IPOPT_END) {
		size_t olen;

		if (opt[IPOPT_OPTVAL] == IPOPT_NOP) {
			opt++;
			left--;
			continue;
		}
		if ((opt[IPOPT_OPTVAL] == IPOPT_LSRR || opt[IPOPT_OPTVAL] == IPOPT_SSRR) &&
		    source_route_unexpired(opt, left)) {
			v->source_route = true;
			return;
		}
		if (left <= IPOPT_OLEN || opt[IPOPT_OLEN] <= IPOPT_OLEN || opt[IPOPT_OLEN] > left)
			break;
		olen = opt[IPOPT_OLEN];
		opt += olen;
		left -= olen;
	}
}

/* RFC 7915 §4.1: a fragment is translated on its own and gets a Fragment
 * header. Fragmented ICMP is refused: the ICMPv6 checksum covers a
 * pseudo-header with the whole datagram's length, which the first fragment
 * does not know (the translator does not reassemble). */
static enum tun64_counter ipv4_check_fragment(struct ip4_view *v)
{
	uint16_t frag = get_be16(v->hdr + IP4_OFF);

	v->frag = frag & (IP_MF | IP_OFFMASK);
	v->frag_offset = frag & IP_OFFMASK;
	if (v->frag && v->hdr[IP4_PROTO] == IPPROTO_ICMP)
		return CTR_DROP_FRAGMENT;
	return CTR_NONE;
}

/* The transport of an IPv4 packet, or of a fragment of one. A first
 * fragment of UDP without checksum is refused: the checksum IPv6 needs
 * covers the whole datagram (RFC 7915 §4.5 allows the drop; §4.4 gives
 * it Communication Administratively Prohibited back). */
static struct refusal l4_parse_4to6(struct l4_view *l4, const struct ip4_view *v, bool opaque)
{
	/* RFC 7915 §4.4: a protocol a NAT64 does not carry: Protocol
	 * Unreachable. */
	struct refusal unsupported =
	    refuse_icmp(CTR_DROP_UNSUPPORTED_PROTO, ICMP_UNREACH, ICMP_UNREACH_PROTOCOL);
	enum tun64_counter why;

	if (v->hdr[IP4_PROTO] == IPPROTO_ICMPV6) /* RFC 7915 §4.1: only protocol 1 is ICMP */
		return unsupported;
	if (fragment_overflows(v->frag, v->frag_offset, v->l4_len))
		return refuse(CTR_DROP_FRAGMENT);
	if (!l4_carried(v->hdr[IP4_PROTO], opaque))
		return unsupported;
	if (ip4_later_fragment(v))
		return refuse(
		    l4_later_fragment(l4, v->hdr[IP4_PROTO], v->l4, v->l4_len, v->frag_offset));
	why = l4_parse(l4, v->hdr[IP4_PROTO], v->l4, v->l4_len, v->frag);
	if (why == CTR_NONE && v->frag && udp_lacks_checksum(l4))
		return refuse_icmp(CTR_DROP_FRAGMENT, ICMP_UNREACH, ICMP_UNREACH_FILTER_PROHIB);
	return refuse(why);
}

static size_t frag_hdr_len_4to6(const struct ip4_view *v)
{
	return v->frag ? IPV6_FRAG_HDR_LEN : 0;
}

/* Stateful: only pool4 is ours. Stateless: any address maps, but RFC 6052
 * §3.1 still holds for the well-known prefix. */
static struct refusal check_addrs_4to6(const struct xlat_config *cfg, const struct ip4_view *v)
{
	struct refusal not_dst =
	    refuse_icmp(CTR_DROP_NOT_TRANSLATABLE_DST, ICMP_UNREACH, ICMP_UNREACH_FILTER_PROHIB);

	if (cfg->mode == XLAT_STATEFUL) {
		if (!in_pool4(cfg, v->dst))
			return not_dst;
	} else if (wkp_refuses(cfg, v->dst) || addr4_never_forwarded(v->dst)) {
		return not_dst;
	}
	if (wkp_refuses(cfg, v->src))
		return refuse_icmp(CTR_DROP_NOT_TRANSLATABLE_SRC, ICMP_UNREACH,
		                   ICMP_UNREACH_FILTER_PROHIB);
	return NOT_REFUSED;
}

/* RFC 7915 §4 / RFC 1191: a DF packet that will not fit gets Fragmentation
 * Needed; without DF, one whose translation exceeds lowest-ipv6-mtu is
 * split into IPv6 fragments (§4.1, split_4to6). A zero MTU in the config
 * means no limit. */
static enum tun64_counter ipv4_check_size(const struct xlat_config *cfg, const struct ip4_view *v,
                                          bool *frag_needed, bool *split)
{
	size_t out_len = IPV6_HDR_LEN + frag_hdr_len_4to6(v) + v->l4_len;
	bool df = get_be16(v->hdr + IP4_OFF) & IP_DF;

	*frag_needed = false;
	*split = false;
	if (df && cfg->mtu && out_len > cfg->mtu) {
		*frag_needed = true;
		return CTR_DROP_TOO_BIG;
	}
	if (!df && cfg->lowest_ipv6_mtu && out_len > cfg->lowest_ipv6_mtu)
		*split = true;
	return CTR_NONE;
}

/* What the IPv6 fragments of a split datagram take from its IPv4 header,
 * read before the IPv6 header is written over it. */
struct split_plan {
	uint32_t id;     /* RFC 7915 §4.1: the IPv4 Identification, high bits 0 */
	uint16_t offset; /* the IPv4 fragment offset, in 8-byte units */
	bool more;       /* the IPv4 MF: the last piece keeps it */
};

static void split_plan_4to6(struct split_plan *p, const struct ip4_view *v)
{
	uint16_t frag = get_be16(v->hdr + IP4_OFF);

	p->id = get_be16(v->hdr + IP4_ID);
	p->offset = frag & IP_OFFMASK;
	p->more = frag & IP_MF;
}

/* Payload bytes per fragment: each piece (IPv6 + Fragment header + data)
 * fits lowest-ipv6-mtu, in whole 8-byte units (RFC 8200 §4.5). An MTU
 * below the IPv6 minimum is taken as 1280, which XLAT_SPLIT_MAX assumes. */
static size_t split_chunk_len(const struct xlat_config *cfg)
{
	size_t mtu = cfg->lowest_ipv6_mtu < IPV6_MIN_MTU ? IPV6_MIN_MTU : cfg->lowest_ipv6_mtu;

	return (mtu - IPV6_HDR_LEN - IPV6_FRAG_HDR_LEN) & ~(size_t)7;
}

/* One fragment at o: a copy of the translated header ip6 with its own
 * Payload Length and a Fragment header (next header nh). Returns its length. */
static size_t split_write_piece(uint8_t *o, const uint8_t *ip6, uint8_t nh,
                                const struct split_plan *p, size_t done, const uint8_t *data,
                                size_t n, bool more)
{
	uint8_t *fh = o + IPV6_HDR_LEN;
	uint16_t offset = (uint16_t)(p->offset + done / 8);

	memcpy(o, ip6, IPV6_HDR_LEN);
	put_be16(o + IP6_PLEN, (uint16_t)(IPV6_FRAG_HDR_LEN + n));
	o[IP6_NXT] = IPPROTO_FRAGMENT;
	fh[FRAG6_NXT] = nh;
	fh[FRAG6_RESERVED] = 0;
	put_be16(fh + FRAG6_OFFLG,
	         (uint16_t)(offset << IPV6_FRAG_OFFSET_SHIFT | (more ? IPV6_FRAG_M : 0)));
	put_be32(fh + FRAG6_IDENT, p->id);
	memcpy(fh + IPV6_FRAG_HDR_LEN, data, n);
	return IPV6_HDR_LEN + IPV6_FRAG_HDR_LEN + n;
}

/* RFC 7915 §4.1: an IPv4 packet without DF whose translation exceeds
 * lowest-ipv6-mtu "MUST be fragmented": the translated packet ip6 (in
 * place, transport already rewritten) is cut after its headers into pieces
 * that fit, each with a Fragment header, also when the IPv4 packet was
 * whole. Offsets continue from the IPv4 packet's own; M is set on every
 * piece but the last, which carries the IPv4 MF. Written back to back into
 * ctx->split; returns the total length, or 0 if it would not fit there. */
static size_t split_4to6(struct xlat_ctx *ctx, const struct split_plan *p, const uint8_t *ip6,
                         const struct l4_view *l4)
{
	size_t chunk = split_chunk_len(ctx->cfg);
	size_t pieces = (l4->len + chunk - 1) / chunk;
	uint8_t nh = l4->proto == IPPROTO_ICMP ? IPPROTO_ICMPV6 : l4->proto;
	size_t done = 0, w = 0;

	if (l4->len + pieces * (IPV6_HDR_LEN + IPV6_FRAG_HDR_LEN) > sizeof(ctx->split))
		return 0;
	if (l4->csum_partial)
		l4_finish_partial(l4);
	while (done < l4->len) {
		size_t n = l4->len - done < chunk ? l4->len - done : chunk;
		bool last = done + n == l4->len;

		w += split_write_piece(ctx->split + w, ip6, nh, p, done, l4->hdr + done, n,
		                       !last || p->more);
		done += n;
	}
	return w;
}

static enum xlat_result send_split(struct xlat_ctx *ctx, const struct split_plan *p,
                                   const uint8_t *ip6, const struct l4_view *l4,
                                   const uint8_t **out, size_t *out_len)
{
	size_t len = split_4to6(ctx, p, ip6, l4);

	if (len == 0)
		return drop(ctx, DIR_4TO6, CTR_DROP_TOO_BIG);
	ctr_add(ctx->ctr, DIR_4TO6, CTR_TRANSLATED, 1);
	ctr_add(ctx->ctr, DIR_4TO6, CTR_FRAGMENTED, 1);
	*out = ctx->split;
	*out_len = len;
	return XR_TRANSLATED_MANY;
}

size_t xlat_many_next(const uint8_t *out, size_t left)
{
	size_t len;

	if (left < IPV6_HDR_LEN || ip_version(out) != 6)
		return 0;
	len = IPV6_HDR_LEN + get_be16(out + IP6_PLEN);
	return len <= left ? len : 0;
}

/* Rewrite the transport, then lay the IPv6 header (and Fragment header)
 * just in front of it, over the IPv4 header and into the headroom. */
static uint8_t *xlat_write_4to6(const struct xlat_config *cfg, const struct ip4_view *v,
                                const struct l4_view *l4, const struct xlat_addrs *a)
{
	uint8_t hdr[IPV6_HDR_LEN], fh[IPV6_FRAG_HDR_LEN];
	uint8_t *ip6 = v->l4 - IPV6_HDR_LEN - frag_hdr_len_4to6(v);
	uint32_t old_pseudo = 0, new_pseudo;
	uint8_t nh;

	ipv6_build_header(hdr, v, l4, a, tclass_4to6(cfg, v->hdr), flow_label_4to6(cfg, v, l4, a));
	nh = hdr[IP6_NXT];
	if (l4->proto != IPPROTO_ICMP)
		old_pseudo = csum_pseudo4(v->src, v->dst, l4->proto, (uint16_t)l4->len);
	new_pseudo = csum_pseudo6(a->src6, a->dst6, nh, (uint32_t)l4->len);
	l4_rewrite(l4, old_pseudo, new_pseudo, a->sport, a->dport);
	if (v->frag) {
		ipv6_build_fragment_header(fh, hdr, v);
		memcpy(ip6 + IPV6_HDR_LEN, fh, IPV6_FRAG_HDR_LEN);
	}
	memcpy(ip6, hdr, IPV6_HDR_LEN);
	return ip6;
}

/* §4.1: an unexpired source route: dropped, and the sender SHOULD get
 * Destination Unreachable, Source Route Failed, unless the packet is an
 * ICMP error or a later fragment (RFC 1812 §4.3.2.7: no error about those). */
static enum xlat_result refuse_source_route(struct xlat_ctx *ctx, const struct ip4_view *v,
                                            const uint8_t **out, size_t *out_len)
{
	size_t len;

	if (icmp4_is_error(v) || ip4_later_fragment(v))
		return drop(ctx, DIR_4TO6, CTR_DROP_IPV4_OPTIONS);
	len = icmp4_build_error(ctx, ICMP_UNREACH, ICMP_UNREACH_SRCFAIL, 0, v->hdr, v->len);
	return send_icmp_error(ctx, DIR_4TO6, CTR_DROP_IPV4_OPTIONS, len, out, out_len);
}

/* RFC 7915 §4.4, RFC 6146 §3.5: an IPv4 packet refused with an ICMPv4
 * error named (struct refusal) gets it back under icmp-unreachable.
 * RFC 1812 §4.3.2.7: none about an ICMP error, a later fragment, or a
 * packet to a multicast or broadcast address (v->src was checked before),
 * nor to the translator itself (hairpinned). */
static enum xlat_result refuse_4to6(struct xlat_ctx *ctx, const struct ip4_view *v,
                                    struct refusal why, const uint8_t **out, size_t *out_len)
{
	if (!why.icmp_type || !ctx->cfg->icmp_unreachable || v->hairpin || icmp4_is_error(v) ||
	    ip4_later_fragment(v) || addr4_never_forwarded(v->dst))
		return drop(ctx, DIR_4TO6, why.ctr);
	return send_icmp_error(
	    ctx, DIR_4TO6, why.ctr,
	    icmp4_build_error(ctx, why.icmp_type, why.icmp_code, 0, v->hdr, v->len), out, out_len);
}

/* hairpin: pkt is an IPv4 packet translated from IPv6 just now, whose
 * source may be the translator's own (XR_HAIRPIN). */
enum xlat_result xlat_4to6(struct xlat_ctx *ctx, struct xlat_pkt *pkt, bool hairpin,
                           const uint8_t **out, size_t *out_len)
{
	const struct xlat_config *cfg = ctx->cfg;
	struct ip4_view v;
	struct l4_view l4;
	struct xlat_addrs a;
	enum tun64_counter why;
	struct refusal r;
	struct split_plan plan;
	bool frag_needed = false, split = false;
	uint8_t *ip6;
	size_t len;

	why = ipv4_check_header(&v, pkt->buf + pkt->off, pkt->len);
	if (why != CTR_NONE)
		return drop(ctx, DIR_4TO6, why);
	v.hairpin = hairpin;
	if (!hairpin && ipv4_src_is_bad(cfg, v.src) && !icmp4_err_src_allowed(cfg, &v))
		return drop(ctx, DIR_4TO6, CTR_DROP_BAD_SRC);
	ipv4_check_options(&v);
	/* ipv4-addr: answered or refused, never translated to ipv6-addr */
	if (xlat_is_own4(cfg, &v))
		return xlat_own_4to6(ctx, &v, out, out_len);
	why = ipv4_check_fragment(&v);
	if (why != CTR_NONE)
		return drop(ctx, DIR_4TO6, why);
	r = check_addrs_4to6(cfg, &v);
	if (refused(r))
		return refuse_4to6(ctx, &v, r, out, out_len);
	if (v.source_route)
		return refuse_source_route(ctx, &v, out, out_len);
	if (icmp4_is_error(&v))
		return xlat_icmp4_error(ctx, &v, out, out_len);
	r = l4_parse_4to6(&l4, &v, cfg->mode == XLAT_STATELESS);
	if (refused(r))
		return refuse_4to6(ctx, &v, r, out, out_len);
	l4.csum_partial = pkt->csum_partial;
	/* RFC 7915 §4.5 lets a stateless translator, RFC 6146 §3.4 a NAT64,
	 * refuse these instead of computing the checksum; §4.4: a discarded
	 * IPv4 packet gets Communication Administratively Prohibited. */
	if (cfg->udp_zero_csum_drop && !l4.no_header && udp_lacks_checksum(&l4))
		return refuse_4to6(
		    ctx, &v,
		    refuse_icmp(CTR_DROP_UDP_ZERO_CSUM, ICMP_UNREACH, ICMP_UNREACH_FILTER_PROHIB),
		    out, out_len);

	/* §4.1 TTL; checked before any state is touched. */
	if (v.hdr[IP4_TTL] <= 1) {
		len = icmp4_build_error(ctx, ICMP_TIMXCEED, 0, 0, v.hdr, v.len);
		return send_icmp_error(ctx, DIR_4TO6, CTR_DROP_TTL_EXPIRED, len, out, out_len);
	}
	/* A GSO packet's segments were sized by vnet_classify(). */
	if (!pkt->gso)
		why = ipv4_check_size(cfg, &v, &frag_needed, &split);
	if (frag_needed) {
		/* RFC 1191 §4: next-hop MTU as the IPv4 side sees it. */
		len = icmp4_build_error(ctx, ICMP_UNREACH, ICMP_UNREACH_NEEDFRAG,
		                        (uint32_t)(cfg->mtu - (IPV6_HDR_LEN - IPV4_HDR_LEN)), v.hdr,
		                        v.len);
		return send_icmp_error(ctx, DIR_4TO6, why, len, out, out_len);
	}
	/* The IPv6 header is longer than an option-less IPv4 one: it reaches
	 * into the headroom the caller must leave (XLAT_HEADROOM). */
	if ((size_t)(v.l4 - pkt->buf) < IPV6_HDR_LEN + frag_hdr_len_4to6(&v))
		return drop(ctx, DIR_4TO6, CTR_DROP_BAD_LENGTH);
	r = map_addrs_4to6_fragment(ctx, &v, &l4, &a);
	if (r.syn_hold && hold_syn(ctx, &v, &l4)) {
		ctr_add(ctx->ctr, DIR_4TO6, CTR_SYN_HELD, 1);
		return XR_HELD;
	}
	if (refused(r))
		return refuse_4to6(ctx, &v, r, out, out_len);
	split_plan_4to6(&plan, &v); /* the IPv4 header is overwritten next */
	ip6 = xlat_write_4to6(cfg, &v, &l4, &a);
	if (split)
		return send_split(ctx, &plan, ip6, &l4, out, out_len);
	return send_translated(ctx, DIR_4TO6, pkt, ip6,
	                       IPV6_HDR_LEN + frag_hdr_len_4to6(&v) + l4.len, out, out_len);
}
