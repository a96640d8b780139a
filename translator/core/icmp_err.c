/* SPDX-License-Identifier: BSD-2-Clause */
/* ICMP errors the translator originates (RFC 7915 §4.4, §5.4; RFC 6146
 * §3.5), rate limited per worker, and the Port Unreachable of a held SYN
 * (RFC 6146 §3.5.2.2). */
#include "rfc7915.h"

#include "synhold.h"

/* RFC 4443 §2.4(f), RFC 1812 §4.3.2.8: the errors a router originates are
 * rate limited. A token bucket per worker, in thousandths of an error so
 * that low rates refill smoothly; it starts full. */
static bool icmp_error_allowed(struct xlat_ctx *ctx)
{
	const struct xlat_config *cfg = ctx->cfg;
	uint64_t cap = (uint64_t)(cfg->icmp_error_burst ? cfg->icmp_error_burst : 1) * 1000;

	if (cfg->icmp_error_rate == 0)
		return true;
	if (!ctx->icmp_tokens_primed) {
		ctx->icmp_tokens_primed = true;
		ctx->icmp_tokens_milli = cap;
	} else if (ctx->now_ms > ctx->icmp_tokens_ms) {
		/* rate per second = rate thousandths per millisecond */
		uint64_t elapsed = ctx->now_ms - ctx->icmp_tokens_ms;

		if (elapsed > cap) /* no overflow below; the bucket is full anyway */
			elapsed = cap;
		ctx->icmp_tokens_milli += elapsed * cfg->icmp_error_rate;
	}
	ctx->icmp_tokens_ms = ctx->now_ms;
	if (ctx->icmp_tokens_milli > cap) /* also after a reload with a smaller burst */
		ctx->icmp_tokens_milli = cap;
	if (ctx->icmp_tokens_milli < 1000)
		return false;
	ctx->icmp_tokens_milli -= 1000;
	return true;
}

/* An ICMP error of len bytes built in ctx->scratch goes out, unless the rate
 * limit holds it back. */
static enum xlat_result emit_icmp_error(struct xlat_ctx *ctx, enum tun64_dir dir, size_t len,
                                        const uint8_t **out, size_t *out_len)
{
	if (!icmp_error_allowed(ctx)) {
		ctr_add(ctx->ctr, dir, CTR_DROP_ICMP_RATELIMIT, 1);
		return XR_DROPPED;
	}
	ctr_add(ctx->ctr, dir, CTR_ICMP_ERROR_SENT, 1);
	*out = ctx->scratch;
	*out_len = len;
	return XR_ICMP_ERROR;
}

/* The same in place of a packet dropped for why. */
enum xlat_result send_icmp_error(struct xlat_ctx *ctx, enum tun64_dir dir, enum tun64_counter why,
                                 size_t len, const uint8_t **out, size_t *out_len)
{
	ctr_add(ctx->ctr, dir, why, 1);
	return emit_icmp_error(ctx, dir, len, out, out_len);
}

/* ---- ICMP errors the translator originates ------------------------------ */

/* RFC 4443 error (type, code, 4 bytes after the checksum) from own6 to the
 * sender of ip6, quoting as much of it as fits in ICMP6_ERROR_MAX bytes.
 * Returns the length. */
size_t icmp6_build_error(struct xlat_ctx *ctx, uint8_t type, uint8_t code, uint32_t rest,
                         const uint8_t *ip6, size_t len)
{
	uint8_t *o = ctx->scratch;
	uint8_t *icmp = o + IPV6_HDR_LEN;
	size_t quote = len;
	size_t payload;
	uint32_t sum;

	if (quote > ICMP6_ERROR_MAX - IPV6_HDR_LEN - ICMP_HDR_LEN)
		quote = ICMP6_ERROR_MAX - IPV6_HDR_LEN - ICMP_HDR_LEN;
	payload = ICMP_HDR_LEN + quote;
	memset(o, 0, IPV6_HDR_LEN + ICMP_HDR_LEN);
	o[IP6_FLOW] = IP6_VERSION_BYTE;
	put_be16(o + IP6_PLEN, (uint16_t)payload);
	o[IP6_NXT] = IPPROTO_ICMPV6;
	o[IP6_HLIM] = ICMP_ERROR_HOP_LIMIT;
	memcpy(o + IP6_SRC, ctx->cfg->own6, 16);
	memcpy(o + IP6_DST, ip6 + IP6_SRC, 16);
	icmp[ICMP_TYPE] = type;
	icmp[ICMP_CODE] = code;
	put_be32(icmp + ICMP_REST, rest);
	memcpy(icmp + ICMP_HDR_LEN, ip6, quote);
	sum = csum_pseudo6(o + IP6_SRC, o + IP6_DST, IPPROTO_ICMPV6, (uint32_t)payload);
	put_be16(icmp + ICMP_SUM, csum_finish(csum_add_bytes(sum, icmp, payload)));
	return IPV6_HDR_LEN + payload;
}

/* RFC 792 error (type, code, 4 bytes after the checksum) from own4 to the
 * sender of ip4, quoting its header and as much data as fits in
 * ICMP4_ERROR_MAX bytes. Returns the length. */
size_t icmp4_build_error(struct xlat_ctx *ctx, uint8_t type, uint8_t code, uint32_t rest,
                         const uint8_t *ip4, size_t len)
{
	uint8_t *o = ctx->scratch;
	uint8_t *icmp = o + IPV4_HDR_LEN;
	size_t quote = len;
	size_t total;

	if (quote > ICMP4_ERROR_MAX - IPV4_HDR_LEN - ICMP_HDR_LEN)
		quote = ICMP4_ERROR_MAX - IPV4_HDR_LEN - ICMP_HDR_LEN;
	total = IPV4_HDR_LEN + ICMP_HDR_LEN + quote;
	memset(o, 0, IPV4_HDR_LEN + ICMP_HDR_LEN);
	o[IP4_VHL] = IP4_VHL_NO_OPTIONS;
	put_be16(o + IP4_LEN, (uint16_t)total);
	/* Identification 0 with DF: an atomic datagram (RFC 6864 §4.1). */
	put_be16(o + IP4_OFF, IP_DF);
	o[IP4_TTL] = ICMP_ERROR_HOP_LIMIT;
	o[IP4_PROTO] = IPPROTO_ICMP;
	put_be32(o + IP4_SRC, ctx->cfg->own4);
	memcpy(o + IP4_DST, ip4 + IP4_SRC, 4);
	put_be16(o + IP4_SUM, csum_ipv4_header(o, IPV4_HDR_LEN));
	icmp[ICMP_TYPE] = type;
	icmp[ICMP_CODE] = code;
	put_be32(icmp + ICMP_REST, rest);
	memcpy(icmp + ICMP_HDR_LEN, ip4, quote);
	put_be16(icmp + ICMP_SUM, csum_finish(csum_add_bytes(0, icmp, total - IPV4_HDR_LEN)));
	return total;
}

/* ---- Held SYNs ----------------------------------------------------------- */

/* RFC 6146 §3.5.2.2, RFC 5382 REQ-4: a SYN held 6 s with no IPv6 SYN to
 * match gets an ICMP Port Unreachable. The held copy is read into
 * ctx->split (free between packets) and quoted into ctx->scratch. */
enum xlat_verdict xlat_syn_expire(struct xlat_ctx *ctx, const uint8_t **out, size_t *out_len)
{
	size_t len;

	if (!ctx->synhold)
		return XLAT_DROP;
	do /* icmp-unreachable no: held in case of a simultaneous open, then dropped */
		len = synhold_expire(ctx->synhold, ctx->now_ms, ctx->split, sizeof(ctx->split));
	while (len > 0 && !ctx->cfg->icmp_unreachable);
	if (len == 0)
		return XLAT_DROP;
	/* the SYN was counted (syn-held) when it came */
	return xlat_verdict_of(emit_icmp_error(
	    ctx, DIR_4TO6,
	    icmp4_build_error(ctx, ICMP_UNREACH, ICMP_UNREACH_PORT, 0, ctx->split, len), out,
	    out_len));
}
