/* The packet translator: RFC 7915 header translation, RFC 6146 stateful or
 * RFC 6052 stateless address mapping, over byte buffers, in place.
 *
 * Layout follows RFC 7915: §4 IPv4 -> IPv6 (xlat_4to6), §5 IPv6 -> IPv4
 * (xlat_6to4); ICMP translation (§4.2, §5.2) sits in icmp4_to_icmp6_type /
 * icmp6_to_icmp4_type, transport checksums (§4.5, §5.5) in l4_rewrite.
 *
 * Every function that can refuse a packet returns the counter to bump, or
 * XLAT_OK. The packet is only written once every check has passed. */
#include "xlat.h"

#include <netinet/in.h>
#include <string.h>

#include "checksum.h"

#define XLAT_OK CTR_MAX

#define IPV4_HDR_LEN 20
#define IPV6_HDR_LEN 40
#define ICMP_HDR_LEN 8
#define TCP_HDR_LEN 20
#define UDP_HDR_LEN 8
#define IPV4_DF 0x4000
#define IPV4_MF 0x2000
#define IPV4_FRAG_OFFSET 0x1fff
#define ICMP_ERROR_HOP_LIMIT 64
/* RFC 4443 §2.4(c): an ICMPv6 error must not exceed the minimum IPv6 MTU. */
#define ICMP6_ERROR_MAX 1280
/* RFC 1812 §4.3.2.3: an ICMPv4 error carries at most 576 bytes in all. */
#define ICMP4_ERROR_MAX 576

#define ICMP4_ECHO_REPLY 0
#define ICMP4_DEST_UNREACH 3
#define ICMP4_FRAG_NEEDED 4
#define ICMP4_ECHO_REQUEST 8
#define ICMP4_TIME_EXCEEDED 11
#define ICMP6_TIME_EXCEEDED 3
#define ICMP6_ECHO_REQUEST 128
#define ICMP6_ECHO_REPLY 129

#define IPOPT_END 0
#define IPOPT_NOP 1
#define IPOPT_LSRR 131
#define IPOPT_SSRR 137

#define EXT_HOP_BY_HOP 0
#define EXT_ROUTING 43
#define EXT_FRAGMENT 44
#define EXT_DEST_OPTS 60

/* The transport header of a packet being translated. proto is the IPv4
 * protocol number (ICMPv6 is recorded as IPPROTO_ICMP, as nat64 flows want). */
struct l4_view {
	uint8_t proto;
	uint8_t *hdr;
	size_t len;	/* transport header and payload */
	uint16_t sport; /* ICMP echo: identifier */
	uint16_t dport; /* ICMP echo: identifier */
	uint8_t tcp_flags;
	uint8_t icmp_type; /* ICMP: type and code after translation */
	uint8_t icmp_code;
};

/* Addresses and ports of the translated packet. */
struct xlat_addrs {
	uint32_t src4, dst4;
	uint8_t src6[16], dst6[16];
	uint16_t sport, dport;
};

static enum xlat_verdict drop(struct xlat_ctx *ctx, enum tun64_dir dir, enum tun64_counter why)
{
	ctx->ctr->v[dir][why]++;
	return XLAT_DROP;
}

static enum xlat_verdict send_translated(struct xlat_ctx *ctx, enum tun64_dir dir,
					 struct xlat_pkt *pkt, uint8_t *start, size_t len,
					 const uint8_t **out, size_t *out_len)
{
	pkt->off = (size_t)(start - pkt->buf);
	pkt->len = len;
	*out = start;
	*out_len = len;
	ctx->ctr->v[dir][CTR_TRANSLATED]++;
	return XLAT_SEND;
}

/* An ICMP error built in ctx->scratch in place of the dropped packet. */
static enum xlat_verdict send_icmp_error(struct xlat_ctx *ctx, enum tun64_dir dir,
					 enum tun64_counter why, size_t len, const uint8_t **out,
					 size_t *out_len)
{
	ctx->ctr->v[dir][why]++;
	ctx->ctr->v[dir][CTR_ICMP_ERROR_SENT]++;
	*out = ctx->scratch;
	*out_len = len;
	return XLAT_SEND;
}

static enum tun64_counter nat64_drop_reason(enum nat64_result r)
{
	switch (r) {
	case NAT64_OK:
		return XLAT_OK;
	case NAT64_NO_STATE:
		return CTR_DROP_NO_STATE;
	case NAT64_FILTERED:
		return CTR_DROP_FILTERED;
	case NAT64_POOL4_EXHAUSTED:
		return CTR_DROP_POOL4_EXHAUSTED;
	case NAT64_SESSION_LIMIT:
		return CTR_DROP_SESSION_LIMIT;
	case NAT64_NOMEM:
		return CTR_DROP_NOMEM;
	}
	return CTR_DROP_NOMEM;
}

static bool in_pool4(const struct xlat_config *cfg, uint32_t a)
{
	for (size_t i = 0; i < cfg->n_pool4; i++)
		if (prefix4_contains(&cfg->pool4[i], a))
			return true;
	return false;
}

/* RFC 6052 §3.1: the well-known prefix must not carry non-global IPv4. */
static bool wkp_refuses(const struct xlat_config *cfg, uint32_t a)
{
	return !cfg->wkp_allow_private && prefix6_is_wkp(&cfg->pool6) && !addr4_is_global(a);
}

/* ---- Transport headers (RFC 7915 §4.5, §5.5) ---------------------------- */

/* RFC 7915 §5.2: ICMPv6 -> ICMPv4 type and code. Only the informational
 * echo messages for now; the error table (Destination Unreachable, Packet
 * Too Big, Time Exceeded, Parameter Problem) slots in here. */
static bool icmp6_to_icmp4_type(uint8_t type, uint8_t code, uint8_t *type4, uint8_t *code4)
{
	switch (type) {
	case ICMP6_ECHO_REQUEST:
		*type4 = ICMP4_ECHO_REQUEST;
		break;
	case ICMP6_ECHO_REPLY:
		*type4 = ICMP4_ECHO_REPLY;
		break;
	default:
		return false;
	}
	*code4 = code;
	return true;
}

/* RFC 7915 §4.2: ICMPv4 -> ICMPv6 type and code; echo only for now. */
static bool icmp4_to_icmp6_type(uint8_t type, uint8_t code, uint8_t *type6, uint8_t *code6)
{
	switch (type) {
	case ICMP4_ECHO_REQUEST:
		*type6 = ICMP6_ECHO_REQUEST;
		break;
	case ICMP4_ECHO_REPLY:
		*type6 = ICMP6_ECHO_REPLY;
		break;
	default:
		return false;
	}
	*code6 = code;
	return true;
}

static enum tun64_counter tcp_parse(struct l4_view *v)
{
	if (v->len < TCP_HDR_LEN)
		return CTR_DROP_TRUNCATED;
	v->sport = get_be16(v->hdr);
	v->dport = get_be16(v->hdr + 2);
	v->tcp_flags = v->hdr[13];
	return XLAT_OK;
}

static enum tun64_counter udp_parse(struct l4_view *v)
{
	uint16_t udp_len;

	if (v->len < UDP_HDR_LEN)
		return CTR_DROP_TRUNCATED;
	udp_len = get_be16(v->hdr + 4);
	if (udp_len < UDP_HDR_LEN)
		return CTR_DROP_BAD_LENGTH;
	if (udp_len > v->len)
		return CTR_DROP_TRUNCATED;
	v->sport = get_be16(v->hdr);
	v->dport = get_be16(v->hdr + 2);
	return XLAT_OK;
}

/* Echo messages: the identifier plays the part of both ports (RFC 6146 §3.5). */
static enum tun64_counter icmp_parse(struct l4_view *v, bool from_v6)
{
	bool known;

	if (v->len < ICMP_HDR_LEN)
		return CTR_DROP_TRUNCATED;
	if (from_v6)
		known = icmp6_to_icmp4_type(v->hdr[0], v->hdr[1], &v->icmp_type, &v->icmp_code);
	else
		known = icmp4_to_icmp6_type(v->hdr[0], v->hdr[1], &v->icmp_type, &v->icmp_code);
	if (!known)
		return CTR_DROP_UNSUPPORTED_ICMP;
	v->proto = IPPROTO_ICMP;
	v->sport = get_be16(v->hdr + 4);
	v->dport = v->sport;
	return XLAT_OK;
}

/* proto is the IPv4 protocol or IPv6 next header of the transport. */
static enum tun64_counter l4_parse(struct l4_view *v, uint8_t proto, uint8_t *hdr, size_t len)
{
	memset(v, 0, sizeof(*v));
	v->proto = proto;
	v->hdr = hdr;
	v->len = len;
	switch (proto) {
	case IPPROTO_TCP:
		return tcp_parse(v);
	case IPPROTO_UDP:
		return udp_parse(v);
	case IPPROTO_ICMPV6:
		return icmp_parse(v, true);
	case IPPROTO_ICMP:
		return icmp_parse(v, false);
	default:
		return CTR_DROP_UNSUPPORTED_PROTO;
	}
}

/* A UDP checksum of 0 means "none" (RFC 768), so a computed 0 goes out as
 * 0xffff (RFC 7915 §4.5). */
static void udp_store_csum(uint8_t *udp, uint16_t check)
{
	put_be16(udp + 6, check ? check : 0xffff);
}

/* Rewrite ports / identifier / ICMP type and update the checksum
 * incrementally (RFC 1624) from the old pseudo-header sum to the new one; the
 * payload is not read. ICMPv4 has no pseudo-header: its sum is 0.
 * A UDP datagram from IPv4 without checksum gets a full one, since IPv6
 * requires it (RFC 7915 §4.5). */
static void l4_rewrite(const struct l4_view *v, uint32_t old_pseudo, uint32_t new_pseudo,
		       uint16_t sport, uint16_t dport)
{
	uint8_t *h = v->hdr;
	uint32_t old_sum, new_sum;
	uint16_t check;

	switch (v->proto) {
	case IPPROTO_TCP:
		old_sum = old_pseudo + get_be16(h) + get_be16(h + 2);
		new_sum = new_pseudo + sport + dport;
		put_be16(h, sport);
		put_be16(h + 2, dport);
		put_be16(h + 16, csum_update(get_be16(h + 16), old_sum, new_sum));
		break;
	case IPPROTO_UDP:
		check = get_be16(h + 6);
		put_be16(h, sport);
		put_be16(h + 2, dport);
		if (check == 0) {
			uint16_t udp_len = get_be16(h + 4);

			put_be16(h + 6, 0);
			udp_store_csum(h, csum_finish(csum_add_bytes(new_pseudo, h, udp_len)));
			break;
		}
		old_sum = old_pseudo + v->sport + v->dport;
		new_sum = new_pseudo + sport + dport;
		udp_store_csum(h, csum_update(check, old_sum, new_sum));
		break;
	case IPPROTO_ICMP:
		old_sum = old_pseudo + get_be16(h) + get_be16(h + 4);
		new_sum = new_pseudo + (uint16_t)(v->icmp_type << 8 | v->icmp_code) + sport;
		h[0] = v->icmp_type;
		h[1] = v->icmp_code;
		put_be16(h + 4, sport);
		put_be16(h + 2, csum_update(get_be16(h + 2), old_sum, new_sum));
		break;
	}
}

/* ---- ICMP errors the translator originates ------------------------------ */

/* RFC 4443 §3.3 Time Exceeded from own6 to the sender of ip6, quoting as
 * much of it as fits in ICMP6_ERROR_MAX bytes. Returns the length. */
static size_t icmp6_build_time_exceeded(struct xlat_ctx *ctx, const uint8_t *ip6, size_t len)
{
	uint8_t *o = ctx->scratch;
	size_t quote = len;
	size_t payload;
	uint32_t sum;

	if (quote > ICMP6_ERROR_MAX - IPV6_HDR_LEN - ICMP_HDR_LEN)
		quote = ICMP6_ERROR_MAX - IPV6_HDR_LEN - ICMP_HDR_LEN;
	payload = ICMP_HDR_LEN + quote;
	memset(o, 0, IPV6_HDR_LEN + ICMP_HDR_LEN);
	o[0] = 0x60;
	put_be16(o + 4, (uint16_t)payload);
	o[6] = IPPROTO_ICMPV6;
	o[7] = ICMP_ERROR_HOP_LIMIT;
	memcpy(o + 8, ctx->cfg->own6, 16);
	memcpy(o + 24, ip6 + 8, 16);
	o[40] = ICMP6_TIME_EXCEEDED;
	o[41] = 0; /* hop limit exceeded in transit */
	memcpy(o + IPV6_HDR_LEN + ICMP_HDR_LEN, ip6, quote);
	sum = csum_pseudo6(o + 8, o + 24, IPPROTO_ICMPV6, (uint32_t)payload);
	put_be16(o + 42, csum_finish(csum_add_bytes(sum, o + IPV6_HDR_LEN, payload)));
	return IPV6_HDR_LEN + payload;
}

/* RFC 792 error (type, code, 4 bytes after the checksum) from own4 to the
 * sender of ip4, quoting its header and as much data as fits in
 * ICMP4_ERROR_MAX bytes. Returns the length. */
static size_t icmp4_build_error(struct xlat_ctx *ctx, uint8_t type, uint8_t code, uint32_t rest,
				const uint8_t *ip4, size_t len)
{
	uint8_t *o = ctx->scratch;
	size_t quote = len;
	size_t total;

	if (quote > ICMP4_ERROR_MAX - IPV4_HDR_LEN - ICMP_HDR_LEN)
		quote = ICMP4_ERROR_MAX - IPV4_HDR_LEN - ICMP_HDR_LEN;
	total = IPV4_HDR_LEN + ICMP_HDR_LEN + quote;
	memset(o, 0, IPV4_HDR_LEN + ICMP_HDR_LEN);
	o[0] = 0x45;
	put_be16(o + 2, (uint16_t)total);
	/* Identification 0 with DF: an atomic datagram (RFC 6864 §4.1). */
	put_be16(o + 6, IPV4_DF);
	o[8] = ICMP_ERROR_HOP_LIMIT;
	o[9] = IPPROTO_ICMP;
	put_be32(o + 12, ctx->cfg->own4);
	memcpy(o + 16, ip4 + 12, 4);
	put_be16(o + 10, csum_ipv4_header(o, IPV4_HDR_LEN));
	o[20] = type;
	o[21] = code;
	put_be32(o + 24, rest);
	memcpy(o + IPV4_HDR_LEN + ICMP_HDR_LEN, ip4, quote);
	put_be16(o + 22, csum_finish(csum_add_bytes(0, o + IPV4_HDR_LEN, total - IPV4_HDR_LEN)));
	return total;
}

/* ---- IPv6 -> IPv4, RFC 7915 §5 ----------------------------------------- */

/* The parts of an IPv6 packet §5.1 needs, after the extension headers. */
struct ip6_view {
	uint8_t *hdr;
	size_t len;	/* trimmed to 40 + payload length */
	uint8_t proto;	/* upper-layer next header */
	uint8_t *l4;
	size_t l4_len;
};

static enum tun64_counter ipv6_check_length(struct ip6_view *v, uint8_t *hdr, size_t len)
{
	size_t payload;

	if (len < IPV6_HDR_LEN)
		return CTR_DROP_TRUNCATED;
	payload = get_be16(hdr + 4);
	if (IPV6_HDR_LEN + payload > len)
		return CTR_DROP_BAD_LENGTH;
	v->hdr = hdr;
	v->len = IPV6_HDR_LEN + payload; /* trailing bytes are not ours */
	return XLAT_OK;
}

/* Multicast, unspecified and loopback never source a routable packet; in
 * stateful mode the translation prefix names IPv4 hosts, never IPv6 ones. */
static bool ipv6_src_is_bad(const struct xlat_config *cfg, const uint8_t src[16])
{
	static const uint8_t unspecified[16];
	static const uint8_t loopback[16] = {[15] = 1};

	if (src[0] == 0xff)
		return true;
	if (!memcmp(src, unspecified, 16) || !memcmp(src, loopback, 16))
		return true;
	return cfg->mode == XLAT_STATEFUL && prefix6_contains(&cfg->pool6, src);
}

/* RFC 7915 §5.1: Hop-by-Hop, Destination Options and Routing headers with
 * Segments Left 0 are skipped (§5.1: "not translated"). Any other routing
 * header and fragments are refused for now. Each header is bounds-checked
 * before it is read, so a chain cannot run past the payload. */
static enum tun64_counter ipv6_skip_ext_headers(struct ip6_view *v)
{
	uint8_t nh = v->hdr[6];
	size_t off = IPV6_HDR_LEN;

	for (;;) {
		const uint8_t *e = v->hdr + off;
		size_t ext_len;

		if (nh != EXT_HOP_BY_HOP && nh != EXT_DEST_OPTS && nh != EXT_ROUTING &&
		    nh != EXT_FRAGMENT)
			break;
		if (off + 8 > v->len)
			return CTR_DROP_TRUNCATED;
		if (nh == EXT_FRAGMENT)
			return CTR_DROP_FRAGMENT;
		if (nh == EXT_ROUTING && e[3] != 0)
			return CTR_DROP_EXT_HDR; /* Segments Left */
		ext_len = ((size_t)e[1] + 1) * 8;
		if (off + ext_len > v->len)
			return CTR_DROP_TRUNCATED;
		nh = e[0];
		off += ext_len;
	}
	v->proto = nh;
	v->l4 = v->hdr + off;
	v->l4_len = v->len - off;
	return XLAT_OK;
}

/* §5.1 addresses: the destination is an IPv4 address inside pool6; the
 * source comes from the state table (stateful) or pool6 (stateless). */
static enum tun64_counter map_addrs_6to4(struct xlat_ctx *ctx, const struct ip6_view *v,
					 const struct l4_view *l4, struct xlat_addrs *a)
{
	const struct xlat_config *cfg = ctx->cfg;
	const uint8_t *src6 = v->hdr + 8;
	struct nat64_flow6 flow;
	enum nat64_result r;

	a->sport = l4->sport;
	a->dport = l4->dport;
	if (cfg->mode == XLAT_STATELESS)
		return XLAT_OK; /* mapped already by check_addrs_6to4 */
	flow.proto = l4->proto;
	memcpy(flow.src6, src6, 16);
	flow.sport = l4->sport;
	flow.dst4 = a->dst4;
	flow.dport = l4->dport;
	r = nat64_out(ctx->nat, &flow, l4->tcp_flags, ctx->now_ms, &a->src4, &a->sport);
	if (l4->proto == IPPROTO_ICMP)
		a->dport = a->sport; /* the identifier is both "ports" */
	return nat64_drop_reason(r);
}

/* Checks that need no state: translatable destination (and stateless
 * source), RFC 6052 §3.1 for the well-known prefix. */
static enum tun64_counter check_addrs_6to4(const struct xlat_config *cfg, const struct ip6_view *v,
					   struct xlat_addrs *a)
{
	if (!rfc6052_extract(&cfg->pool6, v->hdr + 24, &a->dst4))
		return CTR_DROP_NOT_TRANSLATABLE_DST;
	if (wkp_refuses(cfg, a->dst4))
		return CTR_DROP_NOT_TRANSLATABLE_DST;
	if (cfg->mode == XLAT_STATEFUL)
		return XLAT_OK;
	if (!rfc6052_extract(&cfg->pool6, v->hdr + 8, &a->src4))
		return CTR_DROP_NOT_TRANSLATABLE_SRC;
	if (wkp_refuses(cfg, a->src4))
		return CTR_DROP_NOT_TRANSLATABLE_SRC;
	return XLAT_OK;
}

/* RFC 8200 §8.1: a zero UDP checksum is invalid over IPv6; only IPv4
 * input gets one computed (§4.5). */
static bool udp6_lacks_checksum(const struct l4_view *l4)
{
	return l4->proto == IPPROTO_UDP && get_be16(l4->hdr + 6) == 0;
}

/* §5.1 header fields. */
static void ipv4_build_header(uint8_t o[IPV4_HDR_LEN], const struct ip6_view *v,
			      const struct l4_view *l4, const struct xlat_addrs *a)
{
	const uint8_t *h = v->hdr;

	o[0] = 0x45;
	o[1] = (uint8_t)((h[0] & 0x0f) << 4 | h[1] >> 4); /* traffic class */
	put_be16(o + 2, (uint16_t)(IPV4_HDR_LEN + l4->len));
	/* Identification 0, DF=1, MF=0, offset 0: an atomic datagram, whose ID
	 * has no meaning (RFC 6864 §4.1). Fragments and the §5.1 "DF=0 up to
	 * 1260 bytes" rule come with fragmentation support. */
	put_be16(o + 4, 0);
	put_be16(o + 6, IPV4_DF);
	o[8] = (uint8_t)(h[7] - 1);
	o[9] = l4->proto; /* ICMPv6 (58) already became ICMP (1) */
	put_be16(o + 10, 0);
	put_be32(o + 12, a->src4);
	put_be32(o + 16, a->dst4);
	put_be16(o + 10, csum_ipv4_header(o, IPV4_HDR_LEN));
}

/* Rewrite the transport, then lay the IPv4 header just in front of it, over
 * the tail of the IPv6 headers. */
static uint8_t *xlat_write_6to4(const struct ip6_view *v, const struct l4_view *l4,
				const struct xlat_addrs *a)
{
	uint8_t hdr[IPV4_HDR_LEN];
	uint8_t *ip4 = v->l4 - IPV4_HDR_LEN;
	uint32_t old_pseudo, new_pseudo = 0;

	old_pseudo = csum_pseudo6(v->hdr + 8, v->hdr + 24, v->proto, (uint32_t)l4->len);
	if (l4->proto != IPPROTO_ICMP)
		new_pseudo = csum_pseudo4(a->src4, a->dst4, l4->proto, (uint16_t)l4->len);
	ipv4_build_header(hdr, v, l4, a);
	l4_rewrite(l4, old_pseudo, new_pseudo, a->sport, a->dport);
	memcpy(ip4, hdr, IPV4_HDR_LEN);
	return ip4;
}

static enum xlat_verdict xlat_6to4(struct xlat_ctx *ctx, struct xlat_pkt *pkt,
				   const uint8_t **out, size_t *out_len)
{
	const struct xlat_config *cfg = ctx->cfg;
	struct ip6_view v;
	struct l4_view l4;
	struct xlat_addrs a;
	enum tun64_counter why;
	uint8_t *ip4;

	why = ipv6_check_length(&v, pkt->buf + pkt->off, pkt->len);
	if (why == XLAT_OK && ipv6_src_is_bad(cfg, v.hdr + 8))
		why = CTR_DROP_BAD_SRC;
	if (why == XLAT_OK)
		why = ipv6_skip_ext_headers(&v);
	if (why == XLAT_OK)
		why = check_addrs_6to4(cfg, &v, &a);
	if (why == XLAT_OK)
		why = l4_parse(&l4, v.proto, v.l4, v.l4_len);
	if (why == XLAT_OK && udp6_lacks_checksum(&l4))
		why = CTR_DROP_BAD_L4_CSUM;
	if (why != XLAT_OK)
		return drop(ctx, DIR_6TO4, why);

	/* §5.1 Hop Limit; checked before any state is created. */
	if (v.hdr[7] <= 1)
		return send_icmp_error(ctx, DIR_6TO4, CTR_DROP_TTL_EXPIRED,
				       icmp6_build_time_exceeded(ctx, v.hdr, v.len), out, out_len);

	why = map_addrs_6to4(ctx, &v, &l4, &a);
	if (why != XLAT_OK)
		return drop(ctx, DIR_6TO4, why);
	ip4 = xlat_write_6to4(&v, &l4, &a);
	return send_translated(ctx, DIR_6TO4, pkt, ip4, IPV4_HDR_LEN + l4.len, out, out_len);
}

/* ---- IPv4 -> IPv6, RFC 7915 §4 ----------------------------------------- */

struct ip4_view {
	uint8_t *hdr;
	size_t hlen;
	size_t len; /* trimmed to Total Length */
	uint32_t src, dst;
	uint8_t *l4;
	size_t l4_len;
};

static enum tun64_counter ipv4_check_header(struct ip4_view *v, uint8_t *hdr, size_t len)
{
	size_t total;

	if (len < IPV4_HDR_LEN)
		return CTR_DROP_TRUNCATED;
	v->hlen = (size_t)(hdr[0] & 0x0f) * 4;
	if (v->hlen < IPV4_HDR_LEN)
		return CTR_DROP_BAD_IHL;
	if (v->hlen > len)
		return CTR_DROP_TRUNCATED;
	total = get_be16(hdr + 2);
	if (total < v->hlen || total > len)
		return CTR_DROP_BAD_LENGTH;
	if (csum_ipv4_header(hdr, v->hlen) != 0)
		return CTR_DROP_BAD_IPV4_CSUM;
	v->hdr = hdr;
	v->len = total; /* trailing bytes are not ours */
	v->src = get_be32(hdr + 12);
	v->dst = get_be32(hdr + 16);
	v->l4 = hdr + v->hlen;
	v->l4_len = total - v->hlen;
	return XLAT_OK;
}

/* 0/8 "this network", 127/8 loopback, multicast and limited broadcast never
 * source a routable packet; pool4 addresses are ours. */
static bool ipv4_src_is_bad(const struct xlat_config *cfg, uint32_t src)
{
	if ((src >> 24) == 0 || (src >> 24) == 127)
		return true;
	if ((src >> 28) == 0xe || src == 0xffffffff)
		return true;
	return in_pool4(cfg, src);
}

/* RFC 7915 §4.1: options are not translated, but a packet with an
 * unexpired source route must not be forwarded as if it had none. A
 * malformed option list ends the scan: the options are dropped anyway. */
static enum tun64_counter ipv4_check_options(const struct ip4_view *v)
{
	const uint8_t *opt = v->hdr + IPV4_HDR_LEN;
	size_t left = v->hlen - IPV4_HDR_LEN;

	while (left > 0 && opt[0] != IPOPT_END) {
		size_t olen;

		if (opt[0] == IPOPT_NOP) {
			opt++;
			left--;
			continue;
		}
		if (opt[0] == IPOPT_LSRR || opt[0] == IPOPT_SSRR)
			return CTR_DROP_IPV4_OPTIONS;
		if (left < 2 || opt[1] < 2 || opt[1] > left)
			break;
		olen = opt[1];
		opt += olen;
		left -= olen;
	}
	return XLAT_OK;
}

static enum tun64_counter ipv4_check_fragment(const struct ip4_view *v)
{
	uint16_t frag = get_be16(v->hdr + 6);

	if (frag & (IPV4_MF | IPV4_FRAG_OFFSET))
		return CTR_DROP_FRAGMENT;
	return XLAT_OK;
}

/* Stateful: only pool4 is ours. Stateless: any address maps, but RFC 6052
 * §3.1 still holds for the well-known prefix. */
static enum tun64_counter check_addrs_4to6(const struct xlat_config *cfg, const struct ip4_view *v)
{
	if (cfg->mode == XLAT_STATEFUL) {
		if (!in_pool4(cfg, v->dst))
			return CTR_DROP_NOT_TRANSLATABLE_DST;
	} else if (wkp_refuses(cfg, v->dst)) {
		return CTR_DROP_NOT_TRANSLATABLE_DST;
	}
	if (wkp_refuses(cfg, v->src))
		return CTR_DROP_NOT_TRANSLATABLE_SRC;
	return XLAT_OK;
}

/* RFC 7915 §4 / RFC 1191: a DF packet that will not fit gets Fragmentation
 * Needed; without DF it would be fragmented, which comes later. A zero MTU
 * in the config means no limit. */
static enum tun64_counter ipv4_check_size(const struct xlat_config *cfg, const struct ip4_view *v,
					  bool *frag_needed)
{
	size_t out_len = IPV6_HDR_LEN + v->l4_len;
	bool df = get_be16(v->hdr + 6) & IPV4_DF;

	*frag_needed = false;
	if (df && cfg->mtu && out_len > cfg->mtu) {
		*frag_needed = true;
		return CTR_DROP_TOO_BIG;
	}
	if (!df && cfg->lowest_ipv6_mtu && out_len > cfg->lowest_ipv6_mtu)
		return CTR_DROP_TOO_BIG;
	return XLAT_OK;
}

/* §4.1 addresses: source Z embedded in pool6; destination from the state
 * (stateful: (X',x) = nat64_in) or embedded too (stateless). */
static enum tun64_counter map_addrs_4to6(struct xlat_ctx *ctx, const struct ip4_view *v,
					 const struct l4_view *l4, struct xlat_addrs *a)
{
	const struct xlat_config *cfg = ctx->cfg;
	struct nat64_flow4 flow;
	enum nat64_result r;

	rfc6052_embed(&cfg->pool6, v->src, a->src6);
	a->sport = l4->sport;
	a->dport = l4->dport;
	if (cfg->mode == XLAT_STATELESS) {
		rfc6052_embed(&cfg->pool6, v->dst, a->dst6);
		return XLAT_OK;
	}
	flow.proto = l4->proto;
	flow.src4 = v->src;
	flow.sport = l4->sport;
	flow.dst4 = v->dst;
	flow.dport = l4->dport;
	r = nat64_in(ctx->nat, &flow, l4->tcp_flags, ctx->now_ms, a->dst6, &a->dport);
	if (l4->proto == IPPROTO_ICMP)
		a->sport = a->dport; /* the identifier is both "ports" */
	return nat64_drop_reason(r);
}

/* §4.1 header fields. */
static void ipv6_build_header(uint8_t o[IPV6_HDR_LEN], const struct ip4_view *v,
			      const struct l4_view *l4, const struct xlat_addrs *a)
{
	uint8_t tos = v->hdr[1];

	o[0] = (uint8_t)(0x60 | tos >> 4);
	o[1] = (uint8_t)(tos << 4); /* flow label 0 */
	o[2] = 0;
	o[3] = 0;
	put_be16(o + 4, (uint16_t)l4->len);
	o[6] = l4->proto == IPPROTO_ICMP ? IPPROTO_ICMPV6 : l4->proto;
	o[7] = (uint8_t)(v->hdr[8] - 1);
	memcpy(o + 8, a->src6, 16);
	memcpy(o + 24, a->dst6, 16);
}

/* Rewrite the transport, then lay the IPv6 header just in front of it, over
 * the IPv4 header and into the headroom. */
static uint8_t *xlat_write_4to6(const struct ip4_view *v, const struct l4_view *l4,
				const struct xlat_addrs *a)
{
	uint8_t hdr[IPV6_HDR_LEN];
	uint8_t *ip6 = v->l4 - IPV6_HDR_LEN;
	uint32_t old_pseudo = 0, new_pseudo;
	uint8_t nh;

	ipv6_build_header(hdr, v, l4, a);
	nh = hdr[6];
	if (l4->proto != IPPROTO_ICMP)
		old_pseudo = csum_pseudo4(v->src, v->dst, l4->proto, (uint16_t)l4->len);
	new_pseudo = csum_pseudo6(a->src6, a->dst6, nh, (uint32_t)l4->len);
	l4_rewrite(l4, old_pseudo, new_pseudo, a->sport, a->dport);
	memcpy(ip6, hdr, IPV6_HDR_LEN);
	return ip6;
}

static enum xlat_verdict xlat_4to6(struct xlat_ctx *ctx, struct xlat_pkt *pkt,
				   const uint8_t **out, size_t *out_len)
{
	const struct xlat_config *cfg = ctx->cfg;
	struct ip4_view v;
	struct l4_view l4;
	struct xlat_addrs a;
	enum tun64_counter why;
	bool frag_needed;
	size_t len;

	why = ipv4_check_header(&v, pkt->buf + pkt->off, pkt->len);
	if (why == XLAT_OK && ipv4_src_is_bad(cfg, v.src))
		why = CTR_DROP_BAD_SRC;
	if (why == XLAT_OK)
		why = ipv4_check_options(&v);
	if (why == XLAT_OK)
		why = ipv4_check_fragment(&v);
	if (why == XLAT_OK)
		why = check_addrs_4to6(cfg, &v);
	if (why == XLAT_OK)
		why = l4_parse(&l4, v.hdr[9], v.l4, v.l4_len);
	if (why != XLAT_OK)
		return drop(ctx, DIR_4TO6, why);

	/* §4.1 TTL; checked before any state is touched. */
	if (v.hdr[8] <= 1) {
		len = icmp4_build_error(ctx, ICMP4_TIME_EXCEEDED, 0, 0, v.hdr, v.len);
		return send_icmp_error(ctx, DIR_4TO6, CTR_DROP_TTL_EXPIRED, len, out, out_len);
	}
	why = ipv4_check_size(cfg, &v, &frag_needed);
	if (frag_needed) {
		/* RFC 1191 §4: next-hop MTU as the IPv4 side sees it. */
		len = icmp4_build_error(ctx, ICMP4_DEST_UNREACH, ICMP4_FRAG_NEEDED,
					(uint32_t)(cfg->mtu - (IPV6_HDR_LEN - IPV4_HDR_LEN)),
					v.hdr, v.len);
		return send_icmp_error(ctx, DIR_4TO6, why, len, out, out_len);
	}
	/* The IPv6 header is longer than an option-less IPv4 one: it reaches
	 * into the headroom the caller must leave (XLAT_HEADROOM). */
	if (why == XLAT_OK && (size_t)(v.l4 - pkt->buf) < IPV6_HDR_LEN)
		why = CTR_DROP_BAD_LENGTH;
	if (why == XLAT_OK)
		why = map_addrs_4to6(ctx, &v, &l4, &a);
	if (why != XLAT_OK)
		return drop(ctx, DIR_4TO6, why);
	return send_translated(ctx, DIR_4TO6, pkt, xlat_write_4to6(&v, &l4, &a),
			       IPV6_HDR_LEN + l4.len, out, out_len);
}

/* ---- Entry point --------------------------------------------------------- */

/* A packet that is neither IPv4 nor IPv6 has no direction; it is counted
 * under 6to4. */
enum xlat_verdict xlat_packet(struct xlat_ctx *ctx, struct xlat_pkt *pkt, const uint8_t **out,
			      size_t *out_len)
{
	uint8_t version = pkt->len ? pkt->buf[pkt->off] >> 4 : 0;

	if (version == 6) {
		ctx->ctr->v[DIR_6TO4][CTR_RX]++;
		return xlat_6to4(ctx, pkt, out, out_len);
	}
	if (version == 4) {
		ctx->ctr->v[DIR_4TO6][CTR_RX]++;
		return xlat_4to6(ctx, pkt, out, out_len);
	}
	ctx->ctr->v[DIR_6TO4][CTR_RX]++;
	return drop(ctx, DIR_6TO4, pkt->len ? CTR_DROP_BAD_VERSION : CTR_DROP_TRUNCATED);
}
