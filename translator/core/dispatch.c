/* SPDX-License-Identifier: BSD-2-Clause */
/* The packet translator: RFC 7915 header translation, RFC 6146 stateful or
 * RFC 6052 stateless address mapping, over byte buffers, in place.
 *
 * Layout follows RFC 7915, one file per part, each calling only the ones
 * below it: this dispatcher (direction, the hairpin step, the verdict);
 * xlat_6to4.c (§5.1) and xlat_4to6.c (§4.1, the fragment split); own.c
 * (packets for the translator's own addresses); icmp_xlat.c (ICMP errors in
 * transit, §4.2-4.3, §5.2-5.3); icmp_err.c (the errors the translator
 * originates, §4.4, §5.4); hdr.c (the IP header fields of §4.1 and §5.1);
 * icmp_map.c (the ICMP type, code and pointer tables of §4.2 and §5.2); l4.c
 * (transport headers and checksums, §4.5, §5.5); mapping.c (addresses and
 * the RFC 6146 lookups).
 *
 * A check that can refuse a packet returns a struct refusal (the counter and
 * the ICMP error it gets, named together where it is refused) or, when the
 * refusal is a plain drop, the counter alone (CTR_NONE: passed). The
 * packet is only written once every check has passed. */
#include "rfc7915.h"

/* ---- Entry point --------------------------------------------------------- */

/* Hairpinning (RFC 6146 §3.8, RFC 7757 §4): an IPv6 packet addressed to one
 * of the translator's own IPv4 addresses, just translated to the IPv4
 * packet *hp (in pkt->buf, or an ICMP error in ctx->split), would be routed
 * straight back into the tun. It goes through §4 at once instead, as if it
 * had come back in. The translator stays one hop: the TTL that the first
 * pass took is given back before the second pass takes it again. The
 * second pass never hairpins again: §4 only leads to IPv6. */
static enum xlat_result hairpin(struct xlat_ctx *ctx, struct xlat_pkt *pkt, struct xlat_pkt *hp,
                                const uint8_t **out, size_t *out_len)
{
	uint8_t *ip4 = hp->buf + hp->off;
	enum xlat_result r;

	ctr_add(ctx->ctr, DIR_6TO4, CTR_HAIRPINNED, 1);
	ip4[IP4_TTL]++;
	put_be16(ip4 + IP4_SUM, 0);
	put_be16(ip4 + IP4_SUM, csum_ipv4_header(ip4, IPV4_HDR_LEN));
	r = xlat_4to6(ctx, hp, true, out, out_len);
	if (hp->buf == pkt->buf) { /* translated in place: the output is in pkt */
		pkt->off = hp->off;
		pkt->len = hp->len;
	}
	return r;
}

/* A packet that is neither IPv4 nor IPv6 has no direction; it is counted
 * under 6to4. */
enum xlat_verdict xlat_packet(struct xlat_ctx *ctx, struct xlat_pkt *pkt, const uint8_t **out,
                              size_t *out_len)
{
	uint8_t version = pkt->len ? ip_version(pkt->buf + pkt->off) : 0;
	struct xlat_pkt hp;
	enum xlat_result r;

	if (version == 4) {
		ctr_add(ctx->ctr, DIR_4TO6, CTR_RX, 1);
		return xlat_verdict_of(xlat_4to6(ctx, pkt, false, out, out_len));
	}
	ctr_add(ctx->ctr, DIR_6TO4, CTR_RX, 1);
	if (version != 6)
		return xlat_verdict_of(
		    drop(ctx, DIR_6TO4, pkt->len ? CTR_DROP_BAD_VERSION : CTR_DROP_TRUNCATED));
	r = xlat_6to4(ctx, pkt, &hp, out, out_len);
	if (r == XR_HAIRPIN)
		r = hairpin(ctx, pkt, &hp, out, out_len);
	return xlat_verdict_of(r);
}
