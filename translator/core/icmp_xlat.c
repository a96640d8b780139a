/* SPDX-License-Identifier: BSD-2-Clause */
/* ICMP errors in transit, RFC 7915 §4.2-4.3 and §5.2-5.3: the outer
 * header, the type (icmp_map.c) and the quoted packet translated. */
#include "rfc7915.h"

#include "eam.h"

/* RFC 6791 §4: an ICMPv6 error whose source has no IPv4 mapping (an IPv6
 * router) leaves from an address of the RFC 6791 pool, picked by a hash of
 * that source so that one router always shows as one address; without a
 * pool, from own4. Prefixes of /30 and wider skip their first and last
 * address (subnet and broadcast). */
static uint32_t rfc6791_src4(const struct xlat_config *cfg, const uint8_t src6[16])
{
	const struct prefix4 *p = &cfg->rfc6791_pool4;
	uint64_t size, first = 0;

	if (!cfg->rfc6791_pool4_set)
		return cfg->own4;
	size = 1ull << (32 - p->len);
	if (size >= 4) {
		first = 1;
		size -= 2;
	}
	return p->addr + (uint32_t)(first + fnv1a(FNV1A_INIT, src6, 16) % size);
}

/* The same towards IPv6, for an ICMPv4 error whose source may not be
 * embedded (RFC 6052 §3.1): the low host bits of the rfc6791-pool6 prefix
 * (at most 32) come from a hash of the IPv4 source; without a pool, own6. */
static void rfc6791_src6(const struct xlat_config *cfg, uint32_t src4, uint8_t out[16])
{
	const struct prefix6 *p = &cfg->rfc6791_pool6;
	unsigned host_bits = 128u - p->len;
	uint8_t a[4];
	uint32_t h, mask;

	if (!cfg->rfc6791_pool6_set) {
		memcpy(out, cfg->own6, 16);
		return;
	}
	put_be32(a, src4);
	h = fnv1a(FNV1A_INIT, a, 4);
	mask = host_bits >= 32 ? 0xffffffffu : (1u << host_bits) - 1;
	memcpy(out, p->addr, 16);
	put_be32(out + 12, get_be32(out + 12) | (h & mask)); /* the address's low 32 bits */
}

/* ---- ICMP errors in transit, RFC 7915 §4.2-4.3 and §5.2-5.3 ------------- */

/* An ICMP error is translated into ctx->scratch, not in place: the quoted
 * packet changes size and the result is cut to ICMP6_ERROR_MAX /
 * ICMP4_ERROR_MAX. Stateful (RFC 6146 §3.4): the flow of an ICMP error is
 * the one of the packet it quotes, read in reverse; the BIB is only read
 * (nat64_bib_lookup4/6): an error creates and refreshes no state.
 *
 * RFC 4884 extensions (MPLS labels and interface information in traceroute
 * replies) are carried over. In: the structure after an original datagram
 * field of any length the attribute gives, or a legacy ICMPv4 one at offset
 * 128 (icmp_body_parse). Out: the translated original datagram padded to
 * the other family's unit (32-bit words for ICMPv4, 64-bit for ICMPv6) and
 * to at least 128 bytes (§4), the length attribute says so, and the
 * extension structure follows unchanged (its checksum covers only itself).
 * An extension goes out only where the translated type has a length
 * attribute (Destination Unreachable, Time Exceeded; ICMPv4 Parameter
 * Problem too) and the size limit leaves 128 bytes of quote; otherwise the
 * result is a plain RFC 792 / RFC 4443 error with the attribute 0. */

/* Type, code and the 32 bits after the checksum of an ICMP error. */
bool icmp6_is_error(const struct ip6_view *v)
{
	return v->proto == IPPROTO_ICMPV6 && v->l4_len > 0 &&
	       !(v->l4[ICMP_TYPE] & ICMP6_INFOMSG_MASK);
}

/* Everything but echo goes the error way; §4.2 drops the other
 * informational types there too. */
bool icmp4_is_error(const struct ip4_view *v)
{
	return v->hdr[IP4_PROTO] == IPPROTO_ICMP && v->l4_len > 0 &&
	       v->l4[ICMP_TYPE] != ICMP_ECHO && v->l4[ICMP_TYPE] != ICMP_ECHOREPLY;
}

/* An ICMPv4 error from 0.0.0.0 or 127/8 (a host or router answering from
 * "this host" or its loopback, RFC 1122 §3.2.1.3): not a source a packet
 * may have, but the packet it quotes is what the IPv6 sender needs (RFC
 * 7915 §4.2 translates every error of these types). Its source is mapped
 * like any other (§4.1: RFC 6052 under pool6, so prefix::7f00:1), or, where
 * RFC 6052 §3.1 refuses it (the well-known prefix: not global), the RFC
 * 6791 way (rfc6791_src6). The rest of ipv4_src_is_bad still holds:
 * multicast, broadcast and pool4 sources are dropped. */
bool icmp4_err_src_allowed(const struct xlat_config *cfg, const struct ip4_view *v)
{
	uint8_t net = (uint8_t)(v->src >> 24);

	return (net == 0 || net == 127) && !in_pool4(cfg, v->src) && icmp4_is_error(v);
}

/* An ICMP error's body (after the 8-byte header) as RFC 4884 reads it:
 * the "original datagram" field and the extension structure after it. */
struct icmp_body {
	size_t orig;        /* bytes of the original datagram field */
	const uint8_t *ext; /* RFC 4884 extension structure, or NULL */
	size_t ext_len;
};

/* RFC 4884 §7: an extension structure starts with version 2. */
static bool icmp_ext_header_ok(const uint8_t *ext, size_t len)
{
	return len >= ICMP_EXT_HDR_LEN && ext[0] >> 4 == ICMP_EXT_VERSION;
}

/* RFC 4884 §5: with a length attribute (len_attr units) the original
 * datagram field is that long and an extension structure may follow. The
 * 128-byte minimum of §4 binds the sender, who pads to it: a receiver
 * takes the attribute as given (a shorter field still delimits the
 * structure), and the translation pads to 128 on output. Without one
 * (0): §5.4, an ICMPv4 message from an MPLS-aware router that predates RFC
 * 4884 may carry a structure at the fixed offset 128, recognised by its
 * version and a valid checksum (§7). Otherwise the whole body is the
 * original datagram (RFC 792, RFC 4443). */
static struct icmp_body icmp_body_parse(const uint8_t *body, size_t len, uint8_t len_attr,
                                        size_t unit, bool legacy_ok)
{
	struct icmp_body b = {.orig = len};
	size_t orig = (size_t)len_attr * unit;

	if (orig == 0 && legacy_ok && len > ICMP_EXT_MIN_ORIG &&
	    icmp_ext_header_ok(body + ICMP_EXT_MIN_ORIG, len - ICMP_EXT_MIN_ORIG) &&
	    csum_finish(csum_add_bytes(0, body + ICMP_EXT_MIN_ORIG, len - ICMP_EXT_MIN_ORIG)) == 0)
		orig = ICMP_EXT_MIN_ORIG;
	if (orig == 0 || orig >= len)
		return b;
	b.orig = orig;
	if (icmp_ext_header_ok(body + orig, len - orig)) {
		b.ext = body + orig;
		b.ext_len = len - orig;
	}
	return b;
}

/* Room for the quoted packet, its IP header included, in max_body bytes
 * after the ICMP header. With an extension to carry (*ext_len > 0) the room
 * is what the extension leaves, in whole units; if that is under 128 bytes
 * the extension is dropped (*ext_len = 0). */
static size_t icmp_quote_room(size_t max_body, size_t *ext_len, size_t unit)
{
	if (*ext_len > 0 && max_body >= *ext_len + ICMP_EXT_MIN_ORIG) {
		size_t room = max_body - *ext_len;

		return room - room % unit;
	}
	*ext_len = 0;
	return max_body;
}

/* The "original datagram" field for quote bytes followed by an extension:
 * zero-padded to whole units and to at least 128 bytes (RFC 4884 §4.1). */
static size_t icmp_ext_orig_len(size_t quote, size_t unit)
{
	size_t orig = (quote + unit - 1) / unit * unit;

	return orig < ICMP_EXT_MIN_ORIG ? ICMP_EXT_MIN_ORIG : orig;
}

/* The transport header of the quoted packet (RFC 7915 §4.3, §5.3: the
 * inner IP header is translated, the transport header where it is there):
 * TCP or UDP with their ports, an echo message, or (stateless) any protocol
 * §4.5/§5.5 forward. Stateless translates a quote with no transport header
 * (nothing after the IP header, a later fragment) or part of one: it
 * changes no port, and a checksum outside the quote stays as it is.
 * Stateful needs the ports or the echo identifier to find the session
 * (RFC 6146 §3.4): without them the error is dropped. An ICMP error quoted
 * in turn is not translated (§4.3, §5.3). */
static enum tun64_counter inner_l4_parse(struct inner_view *in, uint8_t proto, uint8_t *l4,
                                         size_t len, size_t avail, bool from_v6, bool stateless)
{
	struct l4_view *v = &in->l4;
	bool icmp = proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6;

	memset(v, 0, sizeof(*v));
	v->proto = icmp ? IPPROTO_ICMP : proto; /* as l4_view wants it */
	v->hdr = l4;
	v->len = len;
	in->l4_avail = avail;
	if (icmp && from_v6 != (proto == IPPROTO_ICMPV6))
		return CTR_DROP_ICMP_INNER;
	if (!icmp && proto != IPPROTO_TCP && proto != IPPROTO_UDP &&
	    (!stateless || !l4_opaque_ok(proto)))
		return CTR_DROP_ICMP_INNER;
	if (in->later_frag || avail == 0) {
		v->no_header = true;
		return stateless ? CTR_NONE : CTR_DROP_ICMP_INNER;
	}
	if (icmp && avail < ICMP_HDR_LEN) {
		/* stateless: the type (and code) as far as quoted; stateful
		 * would need the identifier */
		uint8_t code = avail > ICMP_CODE ? l4[ICMP_CODE] : 0;
		bool known =
		    from_v6
		        ? icmp6_to_icmp4_type(l4[ICMP_TYPE], code, &v->icmp_type, &v->icmp_code)
		        : icmp4_to_icmp6_type(l4[ICMP_TYPE], code, &v->icmp_type, &v->icmp_code);

		return stateless && known ? CTR_NONE : CTR_DROP_ICMP_INNER;
	}
	if (icmp)
		return icmp_parse(v, from_v6) == CTR_NONE ? CTR_NONE : CTR_DROP_ICMP_INNER;
	if (avail < L4_DPORT + sizeof(uint16_t) ||
	    (proto != IPPROTO_TCP && proto != IPPROTO_UDP && !l4_pseudo_csum(proto))) {
		v->no_header = true; /* nothing this translation changes */
		return stateless ? CTR_NONE : CTR_DROP_ICMP_INNER;
	}
	v->sport = get_be16(l4 + L4_SPORT);
	v->dport = get_be16(l4 + L4_DPORT);
	return CTR_NONE;
}

/* The IPv4 packet quoted by an ICMPv4 error. A fragment is translated as
 * §4.1 translates one: its Fragment Header follows the IPv6 header. */
static enum tun64_counter inner4_parse(struct inner_view *in, uint8_t *p, size_t avail,
                                       bool stateless)
{
	size_t hlen, total;
	uint16_t off;

	if (avail < IPV4_HDR_LEN || ip_version(p) != 4)
		return CTR_DROP_ICMP_INNER;
	hlen = ip4_hdr_len(p);
	total = get_be16(p + IP4_LEN);
	if (hlen < IPV4_HDR_LEN || hlen > avail || total < hlen)
		return CTR_DROP_ICMP_INNER;
	off = get_be16(p + IP4_OFF);
	in->frag = (off & (IP_MF | IP_OFFMASK)) != 0;
	in->frag_more = (off & IP_MF) != 0;
	in->frag_offset = off & IP_OFFMASK;
	in->later_frag = in->frag_offset != 0;
	in->frag_id = get_be16(p + IP4_ID);
	if (avail > total)
		avail = total;
	in->hdr = p;
	in->avail = avail;
	return inner_l4_parse(in, p[IP4_PROTO], p + hlen, total - hlen, avail - hlen, false,
	                      stateless);
}

/* The IPv6 packet quoted by an ICMPv6 error, extension headers skipped as
 * in §5.1 (they must lie inside the quote); a Fragment header becomes the
 * IPv4 fragment fields (§5.1.1). */
static enum tun64_counter inner6_parse(struct inner_view *in, uint8_t *p, size_t avail,
                                       bool stateless)
{
	struct ip6_view iv;
	size_t ip_len, hlen;

	if (avail < IPV6_HDR_LEN || ip_version(p) != 6)
		return CTR_DROP_ICMP_INNER;
	ip_len = IPV6_HDR_LEN + get_be16(p + IP6_PLEN);
	if (avail > ip_len)
		avail = ip_len;
	iv.hdr = p;
	iv.len = avail;
	if (ipv6_skip_ext_headers(&iv) != CTR_NONE)
		return CTR_DROP_ICMP_INNER;
	in->frag = iv.frag;
	in->frag_more = iv.frag_more;
	in->frag_offset = iv.frag_offset;
	in->later_frag = ip6_later_fragment(&iv);
	in->frag_id = iv.frag_id;
	hlen = (size_t)(iv.l4 - p);
	in->hdr = p;
	in->avail = avail;
	return inner_l4_parse(in, iv.proto, iv.l4, ip_len - hlen, avail - hlen, true, stateless);
}

/* A quoted echo message cut inside its 8-byte header (stateless: the
 * identifier stays): the type and code as far as quoted, the checksum
 * updated for them and the pseudo-header when it is quoted. */
static void inner_icmp_rewrite_cut(const struct l4_view *v, size_t avail, uint32_t old_pseudo,
                                   uint32_t new_pseudo)
{
	uint8_t *h = v->hdr;

	if (avail >= ICMP_SUM + sizeof(uint16_t))
		put_be16(h + ICMP_SUM,
		         csum_update(get_be16(h + ICMP_SUM), old_pseudo + get_be16(h + ICMP_TYPE),
		                     new_pseudo + (uint16_t)(v->icmp_type << 8 | v->icmp_code)));
	h[ICMP_TYPE] = v->icmp_type;
	if (avail > ICMP_CODE)
		h[ICMP_CODE] = v->icmp_code;
}

/* l4_rewrite for a quoted transport header that may be cut short: the
 * checksum is adjusted incrementally (RFC 7915 §4.3/§5.3 expect it) when
 * the quote holds it. A zero UDP checksum stays zero: the payload it would
 * cover may not be there. */
static void inner_l4_rewrite(const struct l4_view *v, size_t avail, uint32_t old_pseudo,
                             uint32_t new_pseudo, uint16_t sport, uint16_t dport)
{
	size_t sum_at = v->proto == IPPROTO_TCP    ? TCP_SUM
	                : v->proto == IPPROTO_ICMP ? ICMP_SUM
	                                           : UDP_SUM;
	bool csum_quoted = avail >= sum_at + sizeof(uint16_t);

	if (v->no_header)
		return;
	if (v->proto == IPPROTO_ICMP && avail < ICMP_HDR_LEN) {
		inner_icmp_rewrite_cut(v, avail, old_pseudo, new_pseudo);
		return;
	}
	if (csum_quoted && !(v->proto == IPPROTO_UDP && get_be16(v->hdr + UDP_SUM) == 0)) {
		l4_rewrite(v, old_pseudo, new_pseudo, sport, dport);
		return;
	}
	put_be16(v->hdr + L4_SPORT, sport);
	put_be16(v->hdr + L4_DPORT, dport);
}

static enum xlat_result send_icmp_translated(struct xlat_ctx *ctx, enum tun64_dir dir, size_t len,
                                             const uint8_t **out, size_t *out_len)
{
	ctr_add(ctx->ctr, dir, CTR_TRANSLATED, 1);
	*out = ctx->scratch;
	*out_len = len;
	return XR_TRANSLATED;
}

/* ---- ICMPv4 error -> ICMPv6 error (§4.2, §4.3) ---- */

/* Outer and inner addresses. The outer source (the server or any IPv4
 * router on the way) is embedded in pool6, so traceroute shows the hop as
 * prefix::a.b.c.d. Stateful: the quoted packet left us from (T,t); the BIB
 * gives back (X',x), which is also the error's destination.
 *
 * The second pass of a hairpinned ICMPv6 error (v->hairpin), stateless:
 * RFC 7757 §4 (eam.h) names the node the error speaks for by RFC 6052
 * only, ignoring its EAM entry, as the other node addressed it: always in
 * the quoted destination, and in the outer source when that is the same
 * address (the node answered itself; a router on the way keeps its usual
 * name). The other node then finds its own packet quoted as it sent it.
 * Stateful needs nothing more: pool4 addresses are always embedded. */
static enum tun64_counter map_err_addrs_4to6(struct xlat_ctx *ctx, const struct ip4_view *v,
                                             const struct inner_view *in, struct xlat_addrs *outer,
                                             struct xlat_addrs *inner)
{
	const struct xlat_config *cfg = ctx->cfg;
	uint32_t in_src = get_be32(in->hdr + IP4_SRC), in_dst = get_be32(in->hdr + IP4_DST);
	bool by_6052 = v->hairpin && cfg->mode == XLAT_STATELESS;

	if (addr4_untranslatable(cfg, in_dst) || addr4_untranslatable(cfg, in_src))
		return CTR_DROP_ICMP_INNER;
	if (by_6052)
		rfc6052_embed(&cfg->pool6, in_dst, inner->dst6);
	else if (!addr_4to6(cfg, in_dst, inner->dst6))
		return CTR_DROP_ICMP_INNER;
	/* Unless that node answered itself (hairpin, above): a router with a
	 * non-global address under the well-known prefix: RFC 6052 §3.1
	 * forbids embedding it, RFC 6791 gives the way out. */
	if (by_6052 && v->src == in_dst)
		memcpy(outer->src6, inner->dst6, 16);
	else if (wkp_refuses(cfg, v->src) || !addr_4to6(cfg, v->src, outer->src6))
		rfc6791_src6(cfg, v->src, outer->src6);
	inner->sport = in->l4.sport;
	inner->dport = in->l4.dport;
	if (cfg->mode == XLAT_STATELESS)
		return addr_4to6(cfg, v->dst, outer->dst6) && addr_4to6(cfg, in_src, inner->src6)
		           ? CTR_NONE
		           : CTR_DROP_ICMP_INNER;
	if (in_src != v->dst)
		return CTR_DROP_ICMP_INNER; /* an error goes back to the quoted source */
	if (!nat64_bib_lookup4(ctx->nat, in->l4.proto, in_src, in->l4.sport, inner->src6,
	                       &inner->sport))
		return CTR_DROP_NO_STATE;
	if (in->l4.proto == IPPROTO_ICMP)
		inner->dport = inner->sport; /* the identifier */
	memcpy(outer->dst6, inner->src6, 16);
	return CTR_NONE;
}

/* Writes outer IPv6 + ICMPv6 + translated quote into ctx->scratch, cut to
 * ICMP6_ERROR_MAX. Returns the length. */
static size_t icmp6_err_write(struct xlat_ctx *ctx, const struct ip4_view *v,
                              const struct icmp_err *e, const struct inner_view *in,
                              const struct xlat_addrs *outer, const struct xlat_addrs *inner)
{
	uint8_t *o = ctx->scratch;
	uint8_t *icmp = o + IPV6_HDR_LEN;
	uint8_t *ih = icmp + ICMP_HDR_LEN;
	size_t ih_len = IPV6_HDR_LEN + (in->frag ? IPV6_FRAG_HDR_LEN : 0);
	uint8_t *il4 = ih + ih_len;
	/* RFC 4443 §3.1, §3.3: the length attribute, in 64-bit words, is in
	 * Destination Unreachable and Time Exceeded only. */
	size_t ext_len =
	    e->type == ICMP6_DST_UNREACH || e->type == ICMP6_TIME_EXCEEDED ? in->ext_len : 0;
	size_t room =
	    icmp_quote_room(ICMP6_ERROR_MAX - IPV6_HDR_LEN - ICMP_HDR_LEN, &ext_len, 8) - ih_len;
	size_t copy = in->l4_avail < room ? in->l4_avail : room;
	size_t quote = ih_len + copy;
	size_t orig = ext_len ? icmp_ext_orig_len(quote, 8) : quote;
	size_t payload = ICMP_HDR_LEN + orig + ext_len;
	uint32_t rest = ext_len ? e->rest | (uint32_t)(orig / 8) << ICMP6_LEN_ATTR_SHIFT : e->rest;
	struct ip4_view iv = {.hdr = in->hdr};
	struct l4_view l4 = in->l4, outer_l4 = {.proto = IPPROTO_ICMP, .len = payload};
	uint32_t old_pseudo = 0, new_pseudo;
	uint32_t in_src = get_be32(in->hdr + IP4_SRC), in_dst = get_be32(in->hdr + IP4_DST);

	/* §4.3: the quoted header is translated like an outer one, except
	 * that its TTL is kept. */
	ipv6_build_header(ih, &iv, &l4, inner, in->hdr[IP4_TOS], 0);
	ih[IP6_HLIM] = in->hdr[IP4_TTL];
	memcpy(il4, in->l4.hdr, copy);
	l4.hdr = il4;
	if (l4.proto != IPPROTO_ICMP)
		old_pseudo = csum_pseudo4(in_src, in_dst, l4.proto, (uint16_t)l4.len);
	new_pseudo = csum_pseudo6(inner->src6, inner->dst6, ih[IP6_NXT], (uint32_t)l4.len);
	inner_l4_rewrite(&l4, copy, old_pseudo, new_pseudo, inner->sport, inner->dport);
	if (in->frag) /* §4.1, as for an outer fragment */
		ipv6_build_fragment_header(ih + IPV6_HDR_LEN, ih, &iv);
	memset(ih + quote, 0, orig - quote);
	if (ext_len)
		memcpy(ih + orig, in->ext, ext_len);

	ipv6_build_header(o, v, &outer_l4, outer, tclass_4to6(ctx->cfg, v->hdr), 0);
	icmp[ICMP_TYPE] = e->type;
	icmp[ICMP_CODE] = e->code;
	put_be16(icmp + ICMP_SUM, 0);
	put_be32(icmp + ICMP_REST, rest);
	put_be16(icmp + ICMP_SUM,
	         csum_finish(csum_add_bytes(
	             csum_pseudo6(outer->src6, outer->dst6, IPPROTO_ICMPV6, (uint32_t)payload),
	             icmp, payload)));
	return IPV6_HDR_LEN + payload;
}

static enum tun64_counter icmp4_err_check(const struct ip4_view *v)
{
	if (v->l4_len < ICMP_HDR_LEN)
		return CTR_DROP_TRUNCATED;
	if (csum_finish(csum_add_bytes(0, v->l4, v->l4_len)) != 0)
		return CTR_DROP_BAD_L4_CSUM;
	return CTR_NONE;
}

enum xlat_result xlat_icmp4_error(struct xlat_ctx *ctx, const struct ip4_view *v,
                                  const uint8_t **out, size_t *out_len)
{
	uint8_t *icmp = v->l4;
	struct icmp_err e;
	struct inner_view in;
	struct xlat_addrs outer, inner;
	enum tun64_counter why;
	struct icmp_body body;

	why = icmp4_err_check(v);
	if (why != CTR_NONE)
		return drop(ctx, DIR_4TO6, why);
	why = icmp4_err_to_icmp6(icmp, &e);
	if (why != CTR_NONE)
		return drop(ctx, DIR_4TO6, why);
	/* RFC 4884 §4.1-4.3: the length attribute, in 32-bit words; legacy
	 * extensions (§5.4) are an ICMPv4 matter. */
	body = icmp_body_parse(icmp + ICMP_HDR_LEN, v->l4_len - ICMP_HDR_LEN, icmp[ICMP4_LEN_ATTR],
	                       4, true);
	why = inner4_parse(&in, icmp + ICMP_HDR_LEN, body.orig, ctx->cfg->mode == XLAT_STATELESS);
	if (why != CTR_NONE)
		return drop(ctx, DIR_4TO6, why);
	in.ext = body.ext;
	in.ext_len = body.ext_len;
	/* No Time Exceeded about an error (RFC 1812 §4.3.2.7). */
	if (v->hdr[IP4_TTL] <= 1)
		return drop(ctx, DIR_4TO6, CTR_DROP_TTL_EXPIRED);
	why = map_err_addrs_4to6(ctx, v, &in, &outer, &inner);
	if (why != CTR_NONE)
		return drop(ctx, DIR_4TO6, why);
	if (e.type == ICMP6_PACKET_TOO_BIG)
		e.rest = icmp_ptb_mtu_4to6(ctx->cfg, get_be16(icmp + ICMP4_NEXTMTU),
		                           get_be16(in.hdr + IP4_LEN));
	return send_icmp_translated(ctx, DIR_4TO6, icmp6_err_write(ctx, v, &e, &in, &outer, &inner),
	                            out, out_len);
}

/* ---- ICMPv6 error -> ICMPv4 error (§5.2, §5.3) ---- */

/* Stateful: the quoted packet went from Y' (= Z) to (X',x); the BIB gives
 * (T,t). The error comes from an IPv6 router or from X' itself, neither of
 * which has an IPv4 address: it goes out from T, the address the server
 * knows X' by (an IPv6 router takes an rfc6791-pool4 address when there
 * is a pool). Stateless: an
 * outer source outside pool6 takes an rfc6791-pool4 address, else own4
 * (RFC 6791 §4).
 *
 * outer->hairpin: the error is for the translator's own IPv4 side, so it
 * must go straight back to IPv6. Stateful (RFC 6146 §3.8): its destination
 * (= the quoted source) is in pool4. Stateless (RFC 7757 §4, condition B of
 * eam.h): the quoted source was mapped by RFC 6052, not by the EAMT, to an
 * address inside an EAM IPv4 prefix. */
static enum tun64_counter map_err_addrs_6to4(struct xlat_ctx *ctx, const struct ip6_view *v,
                                             const struct inner_view *in, struct xlat_addrs *outer,
                                             struct xlat_addrs *inner)
{
	const struct xlat_config *cfg = ctx->cfg;
	const uint8_t *in_dst6 = in->hdr + IP6_DST;
	enum siit_via in_src_via;

	outer->hairpin = false;
	if (!addr_6to4(cfg, v->hdr + IP6_DST, &outer->dst4) || wkp_refuses(cfg, outer->dst4))
		return CTR_DROP_NOT_TRANSLATABLE_DST;
	in_src_via = siit_map_6to4(cfg->eam, &cfg->pool6, in->hdr + IP6_SRC, &inner->src4);
	if (in_src_via == SIIT_VIA_NONE || addr4_untranslatable(cfg, inner->src4))
		return CTR_DROP_ICMP_INNER;
	inner->sport = in->l4.sport;
	inner->dport = in->l4.dport;
	if (cfg->mode == XLAT_STATEFUL)
		outer->hairpin = in_pool4(cfg, outer->dst4);
	else
		outer->hairpin = siit_hairpin(cfg->eam, in_src_via, inner->src4) &&
		                 outer->dst4 == inner->src4; /* the error goes where it came from */
	if (cfg->mode == XLAT_STATELESS) {
		if (!addr_6to4(cfg, in_dst6, &inner->dst4) ||
		    addr4_untranslatable(cfg, inner->dst4))
			return CTR_DROP_ICMP_INNER;
		if (!addr_6to4(cfg, v->hdr + IP6_SRC, &outer->src4) ||
		    wkp_refuses(cfg, outer->src4))
			outer->src4 = rfc6791_src4(cfg, v->hdr + IP6_SRC);
		return CTR_NONE;
	}
	if (inner->src4 != outer->dst4)
		return CTR_DROP_ICMP_INNER;
	if (!nat64_bib_lookup6(ctx->nat, in->l4.proto, in_dst6, in->l4.dport, &inner->dst4,
	                       &inner->dport))
		return CTR_DROP_NO_STATE;
	if (in->l4.proto == IPPROTO_ICMP)
		inner->sport = inner->dport; /* the identifier */
	outer->src4 = inner->dst4;
	/* An IPv6 router on the way has no IPv4 address of its own: with an
	 * RFC 6791 pool it shows as one of those, not as the host X'. */
	if (cfg->rfc6791_pool4_set && memcmp(v->hdr + IP6_SRC, in_dst6, 16) != 0)
		outer->src4 = rfc6791_src4(cfg, v->hdr + IP6_SRC);
	return CTR_NONE;
}

/* §5.3 translates the quoted header as §5.1 does an outer one: DF only
 * when the translated packet exceeds 1260 bytes. That is the packet the
 * IPv6 node sent, whose size its Payload Length gives (l4->len), not the
 * quote cut from it. The ID it got from us is not known here: 0. A quoted
 * fragment (§5.1.1): the low 16 bits of its Identification, MF, offset. */
static uint32_t inner_id_frag_6to4(const struct inner_view *in, const struct l4_view *l4)
{
	if (in->frag)
		return (uint32_t)(uint16_t)in->frag_id << 16 | (in->frag_offset & IP_OFFMASK) |
		       (in->frag_more ? IP_MF : 0);
	return IPV4_HDR_LEN + l4->len > IPV4_DF_MAX_LEN ? IP_DF : 0;
}

/* Writes outer IPv4 + ICMPv4 + translated quote into o (ctx->scratch, or
 * ctx->split for a hairpinned error), cut to ICMP4_ERROR_MAX. Returns the
 * length. */
static size_t icmp4_err_write(struct xlat_ctx *ctx, uint8_t *o, const struct ip6_view *v,
                              const struct icmp_err *e, const struct inner_view *in,
                              const struct xlat_addrs *outer, const struct xlat_addrs *inner)
{
	uint8_t *icmp = o + IPV4_HDR_LEN;
	uint8_t *ih = icmp + ICMP_HDR_LEN;
	uint8_t *il4 = ih + IPV4_HDR_LEN;
	/* RFC 4884 §4.1: ICMP4_LEN_ATTR of Destination Unreachable, Time Exceeded and
	 * Parameter Problem, in 32-bit words. */
	size_t ext_len =
	    e->type == ICMP_UNREACH || e->type == ICMP_TIMXCEED || e->type == ICMP_PARAMPROB
	        ? in->ext_len
	        : 0;
	size_t room = icmp_quote_room(ICMP4_ERROR_MAX - IPV4_HDR_LEN - ICMP_HDR_LEN, &ext_len, 4) -
	              IPV4_HDR_LEN;
	size_t copy = in->l4_avail < room ? in->l4_avail : room;
	size_t quote = IPV4_HDR_LEN + copy;
	size_t orig = ext_len ? icmp_ext_orig_len(quote, 4) : quote;
	size_t payload = ICMP_HDR_LEN + orig + ext_len;
	uint32_t rest = ext_len ? e->rest | (uint32_t)(orig / 4) << ICMP4_LEN_ATTR_SHIFT : e->rest;
	struct ip6_view iv = {.hdr = in->hdr};
	struct l4_view l4 = in->l4, outer_l4 = {.proto = IPPROTO_ICMP, .len = payload};
	uint32_t old_pseudo, new_pseudo = 0;

	/* §5.3: translated like an outer header, Hop Limit kept as TTL. */
	ipv4_build_header(ih, &iv, &l4, inner, inner_id_frag_6to4(in, &l4), ipv6_tclass(in->hdr));
	ih[IP4_TTL] = in->hdr[IP6_HLIM];
	put_be16(ih + IP4_SUM, 0);
	put_be16(ih + IP4_SUM, csum_ipv4_header(ih, IPV4_HDR_LEN));
	memcpy(il4, in->l4.hdr, copy);
	l4.hdr = il4;
	old_pseudo =
	    csum_pseudo6(in->hdr + IP6_SRC, in->hdr + IP6_DST,
	                 l4.proto == IPPROTO_ICMP ? IPPROTO_ICMPV6 : l4.proto, (uint32_t)l4.len);
	if (l4.proto != IPPROTO_ICMP)
		new_pseudo = csum_pseudo4(inner->src4, inner->dst4, l4.proto, (uint16_t)l4.len);
	inner_l4_rewrite(&l4, copy, old_pseudo, new_pseudo, inner->sport, inner->dport);
	memset(ih + quote, 0, orig - quote);
	if (ext_len)
		memcpy(ih + orig, in->ext, ext_len);

	ipv4_build_header(o, v, &outer_l4, outer,
	                  ipv4_id_frag_6to4(ctx, v, IPV4_HDR_LEN + payload, 1),
	                  tos_6to4(ctx->cfg, v->hdr));
	icmp[ICMP_TYPE] = e->type;
	icmp[ICMP_CODE] = e->code;
	put_be16(icmp + ICMP_SUM, 0);
	put_be32(icmp + ICMP_REST, rest);
	put_be16(icmp + ICMP_SUM, csum_finish(csum_add_bytes(0, icmp, payload)));
	return IPV4_HDR_LEN + payload;
}

static enum tun64_counter icmp6_err_check(const struct ip6_view *v)
{
	uint32_t sum;

	if (v->l4_len < ICMP_HDR_LEN)
		return CTR_DROP_TRUNCATED;
	sum = csum_pseudo6(v->hdr + IP6_SRC, v->hdr + IP6_DST, IPPROTO_ICMPV6, (uint32_t)v->l4_len);
	if (csum_finish(csum_add_bytes(sum, v->l4, v->l4_len)) != 0)
		return CTR_DROP_BAD_L4_CSUM;
	return CTR_NONE;
}

/* Hairpinning of an ICMPv6 error (RFC 6146 §3.8; RFC 7757 §4, condition B
 * of eam.h): the ICMPv4 error it becomes is addressed to the translator's
 * own IPv4 side and would be routed straight back into the tun, so it goes
 * through §4.2-4.3 at once (XR_HAIRPIN: counted, one hop). That pass
 * reads the IPv4 error while it writes the ICMPv6 one into ctx->scratch,
 * so the IPv4 error is built in ctx->split instead, with headroom as a
 * packet read from the tun has: no XLAT_SEND_MANY output lives there
 * during an xlat_packet call, and an ICMP error is never split. */
_Static_assert(XLAT_HEADROOM + ICMP4_ERROR_MAX <= XLAT_SPLIT_MAX, "ctx->split holds the error");

static enum xlat_result hairpin_icmp_error(struct xlat_ctx *ctx, const struct ip6_view *v,
                                           const struct icmp_err *e, const struct inner_view *in,
                                           const struct xlat_addrs *outer,
                                           const struct xlat_addrs *inner, struct xlat_pkt *hp)
{
	*hp = (struct xlat_pkt){.buf = ctx->split, .cap = sizeof(ctx->split), .off = XLAT_HEADROOM};
	hp->len = icmp4_err_write(ctx, hp->buf + hp->off, v, e, in, outer, inner);
	return XR_HAIRPIN;
}

enum xlat_result xlat_icmp6_error(struct xlat_ctx *ctx, const struct ip6_view *v,
                                  struct xlat_pkt *hp, const uint8_t **out, size_t *out_len)
{
	uint8_t *icmp = v->l4;
	struct icmp_err e;
	struct inner_view in;
	struct xlat_addrs outer, inner;
	enum tun64_counter why;
	struct icmp_body body;
	uint8_t len_attr;

	why = icmp6_err_check(v);
	if (why != CTR_NONE)
		return drop(ctx, DIR_6TO4, why);
	why = icmp6_err_to_icmp4(icmp, &e);
	if (why != CTR_NONE)
		return drop(ctx, DIR_6TO4, why);
	/* RFC 4884 length attribute: ICMP6_LEN_ATTR of Destination Unreachable and
	 * Time Exceeded, in 64-bit words. */
	len_attr = icmp[ICMP_TYPE] == ICMP6_DST_UNREACH || icmp[ICMP_TYPE] == ICMP6_TIME_EXCEEDED
	               ? icmp[ICMP6_LEN_ATTR]
	               : 0;
	body = icmp_body_parse(icmp + ICMP_HDR_LEN, v->l4_len - ICMP_HDR_LEN, len_attr, 8, false);
	why = inner6_parse(&in, icmp + ICMP_HDR_LEN, body.orig, ctx->cfg->mode == XLAT_STATELESS);
	if (why != CTR_NONE)
		return drop(ctx, DIR_6TO4, why);
	in.ext = body.ext;
	in.ext_len = body.ext_len;
	/* No Time Exceeded about an error (RFC 4443 §2.4(e)). */
	if (v->hdr[IP6_HLIM] <= 1)
		return drop(ctx, DIR_6TO4, CTR_DROP_TTL_EXPIRED);
	why = map_err_addrs_6to4(ctx, v, &in, &outer, &inner);
	if (why != CTR_NONE)
		return drop(ctx, DIR_6TO4, why);
	if (icmp[ICMP_TYPE] == ICMP6_PACKET_TOO_BIG)
		e.rest = icmp_ptb_mtu_6to4(ctx->cfg, get_be32(icmp + ICMP_REST), in.frag);
	if (outer.hairpin)
		return hairpin_icmp_error(ctx, v, &e, &in, &outer, &inner, hp);
	return send_icmp_translated(ctx, DIR_6TO4,
	                            icmp4_err_write(ctx, ctx->scratch, v, &e, &in, &outer, &inner),
	                            out, out_len);
}
