/* SPDX-License-Identifier: BSD-2-Clause */
/* Packets for the translator's own addresses (ipv6-addr, ipv4-addr): an
 * echo request is answered from the address asked, anything else is refused
 * as a host would; nothing is translated to the translator itself, which
 * would loop through the tun until the hop limit ran out. */
#include "rfc7915.h"

/* ipv4-addr and ipv6-addr are routed into the tun; translated, a packet for
 * one would come back for the other until its hop limit ran out. The
 * translator answers them as a host does (RFC 1122 §3.2.2.6, RFC 4443
 * §4.2: echo requests with echo replies; RFC 1122 §4.1.3.1, §3.2.2.1,
 * RFC 4443 §3.1, RFC 8200 §4: closed ports and unknown protocols with
 * errors, which count against icmp-error-rate) and never translates them.
 * Fragments (no reassembly here) and other ICMP messages are dropped. */
static enum xlat_result echo_reply_sent(struct xlat_ctx *ctx, enum tun64_dir dir, size_t len,
                                        const uint8_t **out, size_t *out_len)
{
	ctr_add(ctx->ctr, dir, CTR_ECHO_REPLY_SENT, 1);
	*out = ctx->scratch;
	*out_len = len;
	return XR_ICMP_ERROR; /* built in ctx->scratch like the errors */
}

/* RFC 4443 §4.2: the reply carries the request's identifier, sequence
 * number and data; from own6, to the requester. */
static enum xlat_result own6_echo(struct xlat_ctx *ctx, const struct ip6_view *v,
                                  const uint8_t **out, size_t *out_len)
{
	uint8_t *o = ctx->scratch, *icmp = o + IPV6_HDR_LEN;
	uint32_t sum;

	if (v->l4_len < ICMP_HDR_LEN || IPV6_HDR_LEN + v->l4_len > sizeof(ctx->scratch))
		return drop(ctx, DIR_6TO4, CTR_DROP_OWN_ADDRESS);
	sum = csum_pseudo6(v->hdr + IP6_SRC, v->hdr + IP6_DST, IPPROTO_ICMPV6, (uint32_t)v->l4_len);
	if (csum_finish(csum_add_bytes(sum, v->l4, v->l4_len)) != 0)
		return drop(ctx, DIR_6TO4, CTR_DROP_BAD_L4_CSUM);
	memset(o, 0, IPV6_HDR_LEN);
	o[IP6_FLOW] = IP6_VERSION_BYTE;
	put_be16(o + IP6_PLEN, (uint16_t)v->l4_len);
	o[IP6_NXT] = IPPROTO_ICMPV6;
	o[IP6_HLIM] = ICMP_ERROR_HOP_LIMIT;
	memcpy(o + IP6_SRC, ctx->cfg->own6, 16);
	memcpy(o + IP6_DST, v->hdr + IP6_SRC, 16);
	memmove(icmp, v->l4, v->l4_len);
	icmp[ICMP_TYPE] = ICMP6_ECHO_REPLY;
	put_be16(icmp + ICMP_SUM, 0);
	sum = csum_pseudo6(o + IP6_SRC, o + IP6_DST, IPPROTO_ICMPV6, (uint32_t)v->l4_len);
	put_be16(icmp + ICMP_SUM, csum_finish(csum_add_bytes(sum, icmp, v->l4_len)));
	return echo_reply_sent(ctx, DIR_6TO4, IPV6_HDR_LEN + v->l4_len, out, out_len);
}

enum xlat_result xlat_own_6to4(struct xlat_ctx *ctx, const struct ip6_view *v, const uint8_t **out,
                               size_t *out_len)
{
	uint8_t type = ICMP6_DST_UNREACH, code = ICMP6_DST_UNREACH_NOPORT;
	uint32_t rest = 0;

	if (ip6_fragmented(v))
		return drop(ctx, DIR_6TO4, CTR_DROP_OWN_ADDRESS);
	if (v->proto == IPPROTO_ICMPV6) {
		if (v->l4_len > 0 && v->l4[ICMP_TYPE] == ICMP6_ECHO_REQUEST)
			return own6_echo(ctx, v, out, out_len);
		return drop(ctx, DIR_6TO4, CTR_DROP_OWN_ADDRESS);
	}
	if (v->proto != IPPROTO_TCP && v->proto != IPPROTO_UDP) {
		/* RFC 8200 §4: unrecognized Next Header, pointing at it */
		type = ICMP6_PARAM_PROB;
		code = ICMP6_PARAMPROB_NEXTHEADER;
		rest = v->proto_at;
	}
	return send_icmp_error(ctx, DIR_6TO4, CTR_DROP_OWN_ADDRESS,
	                       icmp6_build_error(ctx, type, code, rest, v->hdr, v->len), out,
	                       out_len);
}

/* RFC 792, RFC 1122 §3.2.2.6: the reply carries the request's identifier,
 * sequence number and data; from own4, to the requester, Identification 0
 * with DF like the errors (RFC 6864 §4.1). */
static enum xlat_result own4_echo(struct xlat_ctx *ctx, const struct ip4_view *v,
                                  const uint8_t **out, size_t *out_len)
{
	uint8_t *o = ctx->scratch, *icmp = o + IPV4_HDR_LEN;

	if (v->l4_len < ICMP_HDR_LEN || IPV4_HDR_LEN + v->l4_len > sizeof(ctx->scratch))
		return drop(ctx, DIR_4TO6, CTR_DROP_OWN_ADDRESS);
	if (csum_finish(csum_add_bytes(0, v->l4, v->l4_len)) != 0)
		return drop(ctx, DIR_4TO6, CTR_DROP_BAD_L4_CSUM);
	memset(o, 0, IPV4_HDR_LEN);
	o[IP4_VHL] = IP4_VHL_NO_OPTIONS;
	put_be16(o + IP4_LEN, (uint16_t)(IPV4_HDR_LEN + v->l4_len));
	put_be16(o + IP4_OFF, IP_DF);
	o[IP4_TTL] = ICMP_ERROR_HOP_LIMIT;
	o[IP4_PROTO] = IPPROTO_ICMP;
	put_be32(o + IP4_SRC, ctx->cfg->own4);
	put_be32(o + IP4_DST, v->src);
	put_be16(o + IP4_SUM, csum_ipv4_header(o, IPV4_HDR_LEN));
	memmove(icmp, v->l4, v->l4_len);
	icmp[ICMP_TYPE] = ICMP_ECHOREPLY;
	put_be16(icmp + ICMP_SUM, 0);
	put_be16(icmp + ICMP_SUM, csum_finish(csum_add_bytes(0, icmp, v->l4_len)));
	return echo_reply_sent(ctx, DIR_4TO6, IPV4_HDR_LEN + v->l4_len, out, out_len);
}

/* Stateless: everything for own4. Stateful: own4 is a pool4 address whose
 * ports carry sessions, so only echo requests are the translator's. */
bool xlat_is_own4(const struct xlat_config *cfg, const struct ip4_view *v)
{
	if (v->dst != cfg->own4 || v->hairpin)
		return false;
	return cfg->mode == XLAT_STATELESS || (v->hdr[IP4_PROTO] == IPPROTO_ICMP && v->l4_len > 0 &&
	                                       v->l4[ICMP_TYPE] == ICMP_ECHO);
}

enum xlat_result xlat_own_4to6(struct xlat_ctx *ctx, const struct ip4_view *v, const uint8_t **out,
                               size_t *out_len)
{
	uint8_t proto = v->hdr[IP4_PROTO];
	uint8_t code = ICMP_UNREACH_PORT;

	if (v->frag)
		return drop(ctx, DIR_4TO6, CTR_DROP_OWN_ADDRESS);
	if (proto == IPPROTO_ICMP) {
		if (v->l4_len > 0 && v->l4[ICMP_TYPE] == ICMP_ECHO)
			return own4_echo(ctx, v, out, out_len);
		return drop(ctx, DIR_4TO6, CTR_DROP_OWN_ADDRESS);
	}
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		code = ICMP_UNREACH_PROTOCOL; /* RFC 1122 §3.2.2.1 */
	return send_icmp_error(ctx, DIR_4TO6, CTR_DROP_OWN_ADDRESS,
	                       icmp4_build_error(ctx, ICMP_UNREACH, code, 0, v->hdr, v->len), out,
	                       out_len);
}
