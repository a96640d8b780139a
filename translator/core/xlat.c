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
#include "eam.h"
#include "frag.h"
#include "synhold.h"

#include <netinet/in.h>
#include <string.h>

#include "checksum.h"

#define XLAT_OK CTR_MAX

#define IPV4_HDR_LEN 20
#define IPV6_HDR_LEN 40
#define ICMP_HDR_LEN 8
/* RFC 4884: an original datagram of at least 128 bytes before an extension
 * structure, whose 4-byte header starts with version 2. */
#define ICMP_EXT_MIN_ORIG 128
#define ICMP_EXT_HDR_LEN 4
#define ICMP_EXT_VERSION 2
#define TCP_HDR_LEN 20
#define UDP_HDR_LEN 8
#define IPV4_DF 0x4000
#define IPV4_MF 0x2000
#define IPV4_FRAG_OFFSET 0x1fff
#define IPV6_FRAG_HDR_LEN 8
#define IPV6_FRAG_M 0x0001
#define ICMP_ERROR_HOP_LIMIT 64
/* RFC 4443 §2.4(c): an ICMPv6 error must not exceed the minimum IPv6 MTU. */
#define ICMP6_ERROR_MAX 1280
/* RFC 1812 §4.3.2.3: an ICMPv4 error carries at most 576 bytes in all. */
#define ICMP4_ERROR_MAX 576

#define ICMP4_ECHO_REPLY 0
#define ICMP4_DEST_UNREACH 3
#define ICMP4_PORT_UNREACH 3 /* code */
#define ICMP4_FRAG_NEEDED 4
#define ICMP4_SOURCE_ROUTE_FAILED 5
#define ICMP4_HOST_UNREACH 1
#define ICMP4_PROTO_UNREACH 2
#define ICMP4_ADMIN_PROHIBITED 13
#define ICMP4_ECHO_REQUEST 8
#define ICMP4_TIME_EXCEEDED 11
#define ICMP4_PARAM_PROBLEM 12
#define ICMP6_DEST_UNREACH 1
#define ICMP6_ADMIN_PROHIBITED 1 /* code */
#define ICMP6_ADDR_UNREACH 3     /* code */
#define ICMP6_UNRECOGNIZED_NH 1  /* Parameter Problem code */
#define ICMP6_PACKET_TOO_BIG 2
#define ICMP6_TIME_EXCEEDED 3
#define ICMP6_PARAM_PROBLEM 4
#define ICMP6_INFO_MIN 128 /* RFC 4443 §2.1: types below are errors */
#define IPV6_MIN_MTU 1280
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
	size_t len;     /* transport header and payload */
	uint16_t sport; /* ICMP echo: identifier */
	uint16_t dport; /* ICMP echo: identifier */
	uint8_t tcp_flags;
	uint8_t icmp_type; /* ICMP: type and code after translation */
	uint8_t icmp_code;
	bool no_header;    /* a later fragment: payload only, nothing to rewrite */
	bool csum_partial; /* TCP/UDP checksum offloaded (xlat_pkt.csum_partial) */
};

/* Addresses and ports of the translated packet. */
struct xlat_addrs {
	uint32_t src4, dst4;
	uint8_t src6[16], dst6[16];
	uint16_t sport, dport;
	bool hairpin; /* 6to4: the IPv4 destination is the translator itself */
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
static enum xlat_verdict emit_icmp_error(struct xlat_ctx *ctx, enum tun64_dir dir, size_t len,
                                         const uint8_t **out, size_t *out_len)
{
	if (!icmp_error_allowed(ctx)) {
		ctx->ctr->v[dir][CTR_DROP_ICMP_RATELIMIT]++;
		return XLAT_DROP;
	}
	ctx->ctr->v[dir][CTR_ICMP_ERROR_SENT]++;
	*out = ctx->scratch;
	*out_len = len;
	return XLAT_SEND;
}

/* The same in place of a packet dropped for why. */
static enum xlat_verdict send_icmp_error(struct xlat_ctx *ctx, enum tun64_dir dir,
                                         enum tun64_counter why, size_t len, const uint8_t **out,
                                         size_t *out_len)
{
	ctx->ctr->v[dir][why]++;
	return emit_icmp_error(ctx, dir, len, out, out_len);
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
	case NAT64_NOT_ALLOWED:
		return CTR_DROP_NOT_ALLOWED;
	case NAT64_CLIENT_QUOTA:
		return CTR_DROP_CLIENT_QUOTA;
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

/* FNV-1a: a cheap, stable hash for address selection and flow labels
 * (not for anything an attacker could aim at: no table is indexed by it). */
static uint32_t fnv1a(uint32_t h, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

#define FNV1A_INIT 2166136261u

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
	put_be32(out + 12, get_be32(out + 12) | (h & mask));
}

/* RFC 6052 §3.1: the well-known prefix must not carry non-global IPv4. An
 * address with an explicit mapping (RFC 7757) is not carried by it. */
static bool wkp_refuses(const struct xlat_config *cfg, uint32_t a)
{
	return !cfg->wkp_allow_private && prefix6_is_wkp(&cfg->pool6) && !addr4_is_global(a) &&
	       !eam_has4(cfg->eam, a);
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

/* fragmented: a first fragment, whose UDP length covers the whole
 * datagram, not just the bytes at hand. */
static enum tun64_counter udp_parse(struct l4_view *v, bool fragmented)
{
	uint16_t udp_len;

	if (v->len < UDP_HDR_LEN)
		return CTR_DROP_TRUNCATED;
	udp_len = get_be16(v->hdr + 4);
	if (udp_len < UDP_HDR_LEN)
		return CTR_DROP_BAD_LENGTH;
	if (udp_len > v->len && !fragmented)
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

/* RFC 7915 §4.5, §5.5: "translators MUST forward all transport protocols",
 * header translated, payload unchanged (but see l4_pseudo_csum). Stateless
 * mode only: an RFC 6146 NAT64 keeps state for TCP, UDP and ICMP alone. Not
 * forwarded: numbers that are IPv6 extension headers (RFC 8200 §4, IANA; the IPv6
 * side would parse the payload as one) other than ESP and AH, No Next
 * Header, the reserved 255, and ICMP of the other family (dropped before). */
static bool l4_opaque_ok(uint8_t proto)
{
	switch (proto) {
	case 0:   /* Hop-by-Hop Options */
	case 43:  /* Routing */
	case 44:  /* Fragment */
	case 59:  /* No Next Header */
	case 60:  /* Destination Options */
	case 135: /* Mobility */
	case 139: /* HIP */
	case 140: /* Shim6 */
	case 253: /* experimentation, also as extension headers */
	case 254:
	case 255: /* reserved */
		return false;
	default:
		return true;
	}
}

/* Other transports whose checksum covers the pseudo-header, at byte 6 as in
 * UDP: DCCP (RFC 4340 §9.1) and UDP-Lite (RFC 3828 §3.1). RFC 7915 §4.5
 * calls DCCP support OPTIONAL; forwarded unchanged, every packet would reach
 * its receiver with a wrong checksum, so the pseudo-header change is applied
 * to it as to UDP. */
static bool l4_pseudo_csum(uint8_t proto)
{
	return proto == IPPROTO_DCCP || proto == IPPROTO_UDPLITE;
}

#define PSEUDO_CSUM_HDR_LEN 8 /* ports and checksum; both headers are longer */

/* proto is the IPv4 protocol or IPv6 next header of the transport;
 * fragmented: hdr starts a first fragment (fragmented ICMP never gets here).
 * opaque: other protocols pass as payload (stateless, l4_opaque_ok). */
static enum tun64_counter l4_parse(struct l4_view *v, uint8_t proto, uint8_t *hdr, size_t len,
                                   bool fragmented, bool opaque)
{
	memset(v, 0, sizeof(*v));
	v->proto = proto;
	v->hdr = hdr;
	v->len = len;
	switch (proto) {
	case IPPROTO_TCP:
		return tcp_parse(v);
	case IPPROTO_UDP:
		return udp_parse(v, fragmented);
	case IPPROTO_ICMPV6:
		return icmp_parse(v, true);
	case IPPROTO_ICMP:
		return icmp_parse(v, false);
	default:
		if (!opaque || !l4_opaque_ok(proto))
			return CTR_DROP_UNSUPPORTED_PROTO;
		if (!l4_pseudo_csum(proto)) {
			v->no_header = true;
			return XLAT_OK;
		}
		if (len < PSEUDO_CSUM_HDR_LEN)
			return CTR_DROP_TRUNCATED;
		v->sport = get_be16(hdr);
		v->dport = get_be16(hdr + 2);
		return XLAT_OK;
	}
}

/* A fragment after the first: its bytes are payload only, nothing is read
 * or rewritten. Fragmented ICMP is refused before (its checksum needs the
 * whole datagram), so only TCP and UDP come here. RFC 1858 §4: a TCP
 * fragment at offset 8 bytes could overwrite the first fragment's flags. */
static enum tun64_counter l4_later_fragment(struct l4_view *v, uint8_t proto, uint8_t *data,
                                            size_t len, uint16_t offset_units, bool opaque)
{
	memset(v, 0, sizeof(*v));
	v->proto = proto;
	v->hdr = data;
	v->len = len;
	v->no_header = true;
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP && (!opaque || !l4_opaque_ok(proto)))
		return CTR_DROP_UNSUPPORTED_PROTO;
	if (proto == IPPROTO_TCP && offset_units == 1)
		return CTR_DROP_FRAGMENT;
	return XLAT_OK;
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
static void l4_rewrite_partial(const struct l4_view *v, uint32_t old_pseudo, uint32_t new_pseudo,
                               uint16_t sport, uint16_t dport);

static void l4_rewrite(const struct l4_view *v, uint32_t old_pseudo, uint32_t new_pseudo,
                       uint16_t sport, uint16_t dport)
{
	uint8_t *h = v->hdr;
	uint32_t old_sum, new_sum;
	uint16_t check;

	if (v->no_header)
		return;
	if (v->csum_partial) {
		l4_rewrite_partial(v, old_pseudo, new_pseudo, sport, dport);
		return;
	}
	switch (v->proto) {
	case IPPROTO_TCP:
		old_sum = old_pseudo + get_be16(h) + get_be16(h + 2);
		new_sum = new_pseudo + sport + dport;
		put_be16(h, sport);
		put_be16(h + 2, dport);
		put_be16(h + 16, csum_update(get_be16(h + 16), old_sum, new_sum));
		break;
	case IPPROTO_DCCP: /* stateless only: the ports stay */
		put_be16(h + 6, csum_update(get_be16(h + 6), old_pseudo, new_pseudo));
		break;
	case IPPROTO_UDPLITE: /* 0 is not a valid UDP-Lite checksum either */
		udp_store_csum(h, csum_update(get_be16(h + 6), old_pseudo, new_pseudo));
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

/* An offloaded TCP/UDP checksum (VNET_F_NEEDS_CSUM) holds the pseudo-header
 * sum only; whoever sends the packet on sums the transport into it, ports
 * included. So only the pseudo-header part changes, for GSO packets too:
 * the kernel's pseudo-header length is the whole super-packet's, as here. */
static void l4_rewrite_partial(const struct l4_view *v, uint32_t old_pseudo, uint32_t new_pseudo,
                               uint16_t sport, uint16_t dport)
{
	uint8_t *field = v->hdr + (v->proto == IPPROTO_TCP ? 16 : 6);

	put_be16(v->hdr, sport);
	put_be16(v->hdr + 2, dport);
	put_be16(field, csum_partial_update(get_be16(field), old_pseudo, new_pseudo));
}

/* ---- ICMP errors the translator originates ------------------------------ */

/* RFC 4443 error (type, code, 4 bytes after the checksum) from own6 to the
 * sender of ip6, quoting as much of it as fits in ICMP6_ERROR_MAX bytes.
 * Returns the length. */
static size_t icmp6_build_error(struct xlat_ctx *ctx, uint8_t type, uint8_t code, uint32_t rest,
                                const uint8_t *ip6, size_t len)
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
	o[40] = type;
	o[41] = code;
	put_be32(o + 44, rest);
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

struct ip6_view;
struct ip4_view;
/* ICMP errors passing through (RFC 7915 §4.2-4.3, §5.2-5.3), further down. */
static bool icmp6_is_error(const struct ip6_view *v);
static enum xlat_verdict xlat_icmp6_error(struct xlat_ctx *ctx, const struct ip6_view *v,
                                          const uint8_t **out, size_t *out_len);
static bool icmp4_is_error(const struct ip4_view *v);
static enum xlat_verdict xlat_icmp4_error(struct xlat_ctx *ctx, const struct ip4_view *v,
                                          const uint8_t **out, size_t *out_len);

/* The parts of an IPv6 packet §5.1 needs, after the extension headers. */
struct ip6_view {
	uint8_t *hdr;
	size_t len;    /* trimmed to 40 + payload length */
	uint8_t proto; /* upper-layer next header */
	uint8_t *l4;   /* a later fragment: its payload */
	size_t l4_len;
	bool frag;            /* a Fragment header was found */
	bool frag_more;       /* its M flag */
	uint16_t frag_offset; /* in 8-byte units */
	uint32_t frag_id;
	uint32_t segments_left_at; /* refused Routing header: offset of Segments Left */
	uint32_t proto_at;         /* offset of the Next Header byte that names proto */
};

/* A fragment, and not the first of its datagram: no transport header. */
static bool ip6_later_fragment(const struct ip6_view *v)
{
	return v->frag && v->frag_offset != 0;
}

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
/* RFC 1812 §5.3.7: addresses a router never forwards to or from: "this
 * network" 0/8, loopback 127/8, multicast 224/4, reserved 240/4 (with the
 * limited broadcast 255.255.255.255). */
static bool addr4_is_martian(uint32_t a)
{
	return (a >> 24) == 0 || (a >> 24) == 127 || (a >> 28) >= 0xe;
}

/* Multicast, unspecified, loopback, link-local (RFC 4291 §2.5.6: never
 * forwarded to another link), or stateful: inside our own prefix (a loop). */
static bool ipv6_src_is_bad(const struct xlat_config *cfg, const uint8_t src[16])
{
	static const uint8_t unspecified[16];
	static const uint8_t loopback[16] = {[15] = 1};

	if (src[0] == 0xff || (src[0] == 0xfe && (src[1] & 0xc0) == 0x80))
		return true;
	if (!memcmp(src, unspecified, 16) || !memcmp(src, loopback, 16))
		return true;
	return cfg->mode == XLAT_STATEFUL && prefix6_contains(&cfg->pool6, src);
}

/* RFC 7915 §5.1.1: the Fragment header's fields go to the IPv4 header.
 * After it, a later fragment holds payload only. RFC 8200 §4.1: one
 * Fragment header per packet. */
static enum tun64_counter ipv6_read_fragment_header(struct ip6_view *v, const uint8_t *e)
{
	uint16_t off_m = get_be16(e + 2);

	if (v->frag)
		return CTR_DROP_FRAGMENT;
	v->frag = true;
	v->frag_offset = off_m >> 3;
	v->frag_more = off_m & IPV6_FRAG_M;
	v->frag_id = get_be32(e + 4);
	return XLAT_OK;
}

/* RFC 7915 §5.1: Hop-by-Hop, Destination Options and Routing headers with
 * Segments Left 0 are skipped (§5.1: "not translated"); a Routing header
 * with Segments Left != 0 is refused with CTR_DROP_EXT_HDR and
 * v->segments_left_at set. Each header is bounds-checked before it is read,
 * so a chain cannot run past the payload. */
static enum tun64_counter ipv6_skip_ext_headers(struct ip6_view *v)
{
	uint8_t nh = v->hdr[6];
	size_t off = IPV6_HDR_LEN;

	v->proto_at = 6;
	v->frag = false;
	v->frag_more = false;
	v->frag_offset = 0;
	v->frag_id = 0;
	for (;;) {
		const uint8_t *e = v->hdr + off;
		size_t ext_len;

		if (nh != EXT_HOP_BY_HOP && nh != EXT_DEST_OPTS && nh != EXT_ROUTING &&
		    nh != EXT_FRAGMENT)
			break;
		if (off + 8 > v->len)
			return CTR_DROP_TRUNCATED;
		if (nh == EXT_FRAGMENT) {
			enum tun64_counter why = ipv6_read_fragment_header(v, e);

			if (why != XLAT_OK)
				return why;
			nh = e[0];
			v->proto_at = (uint32_t)off;
			off += IPV6_FRAG_HDR_LEN;
			if (ip6_later_fragment(v))
				break;
			continue;
		}
		if (nh == EXT_ROUTING && e[3] != 0) {
			v->segments_left_at = (uint32_t)off + 3;
			return CTR_DROP_EXT_HDR;
		}
		ext_len = ((size_t)e[1] + 1) * 8;
		if (off + ext_len > v->len)
			return CTR_DROP_TRUNCATED;
		nh = e[0];
		v->proto_at = (uint32_t)off;
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
	bool syn;

	a->sport = l4->sport;
	a->dport = l4->dport;
	if (cfg->mode == XLAT_STATELESS)
		return XLAT_OK; /* mapped already by check_addrs_6to4 */
	flow.proto = l4->proto;
	memcpy(flow.src6, src6, 16);
	flow.sport = l4->sport;
	flow.dst4 = a->dst4;
	flow.dport = l4->dport;
	flow.want4 = 0;
	flow.want_port = 0;
	syn = l4->proto == IPPROTO_TCP && (l4->tcp_flags & NAT64_TCP_SYN) && ctx->synhold;
	/* RFC 6146 §3.5.2.2: an IPv4 SYN from (Z,z) held for (T,t) is half of a
	 * simultaneous open; a new mapping for this SYN to (Z,z) takes (T,t). */
	if (syn)
		synhold_find(ctx->synhold, a->dst4, l4->dport, &flow.want4, &flow.want_port);
	r = nat64_out(ctx->nat, &flow, l4->tcp_flags, ctx->now_ms, &a->src4, &a->sport);
	if (l4->proto == IPPROTO_ICMP)
		a->dport = a->sport; /* the identifier is both "ports" */
	/* RFC 5382 REQ-4: an outbound SYN for the connection ends the hold of
	 * the IPv4 SYN from (Z,z) to (T,t), silently. */
	if (r == NAT64_OK && syn)
		ctx->ctr->v[DIR_6TO4][CTR_SYN_HOLD_MATCHED] +=
		    synhold_cancel(ctx->synhold, a->dst4, a->dport, a->src4, a->sport);
	return nat64_drop_reason(r);
}

/* The one address mapping of both directions: RFC 7757 EAM entries first
 * (stateless mode has them; cfg->eam is NULL in stateful mode), else
 * RFC 6052 with pool6. 4->6 always succeeds; 6->4 fails outside both. */
static bool addr_4to6(const struct xlat_config *cfg, uint32_t a, uint8_t out[16])
{
	return siit_addr_4to6(cfg->eam, &cfg->pool6, a, out);
}

static bool addr_6to4(const struct xlat_config *cfg, const uint8_t a[16], uint32_t *out)
{
	return siit_addr_6to4(cfg->eam, &cfg->pool6, a, out);
}

/* Checks that need no state: translatable destination (and stateless
 * source), RFC 6052 §3.1 for the well-known prefix. */
static enum tun64_counter check_addrs_6to4(const struct xlat_config *cfg, const struct ip6_view *v,
                                           struct xlat_addrs *a)
{
	enum siit_via via = siit_map_6to4(cfg->eam, &cfg->pool6, v->hdr + 24, &a->dst4);

	if (via == SIIT_VIA_NONE)
		return CTR_DROP_NOT_TRANSLATABLE_DST;
	if (wkp_refuses(cfg, a->dst4) || addr4_is_martian(a->dst4))
		return CTR_DROP_NOT_TRANSLATABLE_DST;
	/* Hairpinning: RFC 6146 §3.8 (a pool4 address), RFC 7757 §4 case A. */
	if (cfg->mode == XLAT_STATEFUL)
		a->hairpin = in_pool4(cfg, a->dst4);
	else
		a->hairpin = siit_hairpin(cfg->eam, via, a->dst4);
	if (cfg->mode == XLAT_STATEFUL)
		return XLAT_OK;
	if (!addr_6to4(cfg, v->hdr + 8, &a->src4))
		return CTR_DROP_NOT_TRANSLATABLE_SRC;
	if (wkp_refuses(cfg, a->src4))
		return CTR_DROP_NOT_TRANSLATABLE_SRC;
	if (addr4_is_martian(a->src4))
		return CTR_DROP_BAD_SRC;
	return XLAT_OK;
}

/* RFC 8200 §8.1: a zero UDP checksum is invalid over IPv6; IPv4 input gets
 * one computed (§4.5) unless "udp-zero-checksum drop". */
static bool udp_lacks_checksum(const struct l4_view *l4)
{
	return l4->proto == IPPROTO_UDP && get_be16(l4->hdr + 6) == 0;
}

/* The IPv6 Traffic Class. */
static uint8_t ipv6_tclass(const uint8_t *ip6)
{
	return (uint8_t)((ip6[0] & 0x0f) << 4 | ip6[1] >> 4);
}

/* RFC 7915 §5.1 Type of Service: copied from the Traffic Class, or 0 when
 * the operator says so ("tos zero"). */
static uint8_t tos_6to4(const struct xlat_config *cfg, const uint8_t *ip6)
{
	return cfg->tos_zero ? 0 : ipv6_tclass(ip6);
}

/* §5.1 header fields; id_frag: Identification << 16 | flags and offset. */
static void ipv4_build_header(uint8_t o[IPV4_HDR_LEN], const struct ip6_view *v,
                              const struct l4_view *l4, const struct xlat_addrs *a,
                              uint32_t id_frag, uint8_t tos)
{
	const uint8_t *h = v->hdr;

	o[0] = 0x45;
	o[1] = tos;
	put_be16(o + 2, (uint16_t)(IPV4_HDR_LEN + l4->len));
	put_be16(o + 4, (uint16_t)(id_frag >> 16));
	put_be16(o + 6, (uint16_t)id_frag);
	o[8] = (uint8_t)(h[7] - 1);
	o[9] = l4->proto; /* ICMPv6 (58) already became ICMP (1) */
	put_be16(o + 10, 0);
	put_be32(o + 12, a->src4);
	put_be32(o + 16, a->dst4);
	put_be16(o + 10, csum_ipv4_header(o, IPV4_HDR_LEN));
}

/* RFC 7915 §5.1: Identification, flags and offset of the IPv4 header.
 * With a Fragment header (§5.1.1): the low 16 bits of its Identification,
 * MF = M, DF = 0, offset copied. Without: an ID from the generator, and DF
 * only above 1260 bytes, so that IPv4 routers may fragment what an IPv6
 * sender sized for the 1280-byte minimum MTU. */
static uint32_t ipv4_id_frag_6to4(struct xlat_ctx *ctx, const struct ip6_view *v, size_t total)
{
	uint16_t flags;

	if (v->frag) {
		flags =
		    (uint16_t)((v->frag_offset & IPV4_FRAG_OFFSET) | (v->frag_more ? IPV4_MF : 0));
		return (uint32_t)(uint16_t)v->frag_id << 16 | flags;
	}
	flags = total > IPV4_DF_MAX_LEN ? IPV4_DF : 0;
	return (uint32_t)ctx->ipv4_id_next++ << 16 | flags;
}

/* Rewrite the transport, then lay the IPv4 header just in front of it, over
 * the tail of the IPv6 headers. */
static uint8_t *xlat_write_6to4(struct xlat_ctx *ctx, const struct ip6_view *v,
                                const struct l4_view *l4, const struct xlat_addrs *a)
{
	uint8_t hdr[IPV4_HDR_LEN];
	uint8_t *ip4 = v->l4 - IPV4_HDR_LEN;
	uint32_t old_pseudo, new_pseudo = 0;

	old_pseudo = csum_pseudo6(v->hdr + 8, v->hdr + 24, v->proto, (uint32_t)l4->len);
	if (l4->proto != IPPROTO_ICMP)
		new_pseudo = csum_pseudo4(a->src4, a->dst4, l4->proto, (uint16_t)l4->len);
	ipv4_build_header(hdr, v, l4, a, ipv4_id_frag_6to4(ctx, v, IPV4_HDR_LEN + l4->len),
	                  tos_6to4(ctx->cfg, v->hdr));
	l4_rewrite(l4, old_pseudo, new_pseudo, a->sport, a->dport);
	memcpy(ip4, hdr, IPV4_HDR_LEN);
	return ip4;
}

/* The key of an IPv6 datagram in the fragment table: (source, IPv4
 * destination, Identification, protocol). */
static void frag_key_6to4(struct frag_key *k, const struct ip6_view *v, uint32_t dst4)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->src, v->hdr + 8, 16);
	put_be32(k->dst, dst4);
	k->id = v->frag_id;
	k->proto = v->proto;
	k->from_v6 = 1;
}

/* Stateful fragments (RFC 6146 §3.4): a first fragment is translated like
 * a whole packet and leaves its source address T for the later ones, which
 * take it from the table (their ports are not theirs to change). */
static enum tun64_counter map_addrs_6to4_fragment(struct xlat_ctx *ctx, const struct ip6_view *v,
                                                  const struct l4_view *l4, struct xlat_addrs *a)
{
	struct frag_key k;
	uint8_t t[16] = {0};
	enum tun64_counter why;

	if (ctx->cfg->mode == XLAT_STATELESS)
		return map_addrs_6to4(ctx, v, l4, a);
	frag_key_6to4(&k, v, a->dst4);
	if (ip6_later_fragment(v)) {
		if (!ctx->frags || !frag_lookup(ctx->frags, &k, t, ctx->now_ms))
			return CTR_DROP_FRAGMENT; /* first fragment not seen (yet) */
		a->src4 = get_be32(t);
		return XLAT_OK;
	}
	why = map_addrs_6to4(ctx, v, l4, a);
	if (why == XLAT_OK && v->frag_more && ctx->frags) {
		put_be32(t, a->src4);
		frag_remember(ctx->frags, &k, t, ctx->now_ms);
	}
	return why;
}

/* §5.1: a Routing header with Segments Left != 0 is not translated;
 * Parameter Problem code 0 points at its Segments Left. */
static enum xlat_verdict refuse_routing_header(struct xlat_ctx *ctx, const struct ip6_view *v,
                                               const uint8_t **out, size_t *out_len)
{
	size_t len =
	    icmp6_build_error(ctx, ICMP6_PARAM_PROBLEM, 0, v->segments_left_at, v->hdr, v->len);

	return send_icmp_error(ctx, DIR_6TO4, CTR_DROP_EXT_HDR, len, out, out_len);
}

/* RFC 7915 §5.4, RFC 6146 §3.5: an IPv6 packet discarded for one of these
 * reasons SHOULD get an error back (icmp-unreachable): Address Unreachable
 * when no state could be made for it, Administratively Prohibited when a
 * policy or the address plan refuses it, Parameter Problem "unrecognized
 * Next Header" when a NAT64 does not carry its protocol (RFC 4443 §3.4).
 * RFC 4443 §2.4(e): none about an ICMPv6 error (unfragmented ones were
 * diverted before; a fragmented one may reach here), a later fragment, or a
 * packet to a multicast address. Others: dropped. */
static enum xlat_verdict refuse_6to4(struct xlat_ctx *ctx, const struct ip6_view *v,
                                     enum tun64_counter why, const uint8_t **out, size_t *out_len)
{
	uint8_t type = ICMP6_DEST_UNREACH, code;
	uint32_t rest = 0;

	switch (why) { /* all found after the headers were read */
	case CTR_DROP_POOL4_EXHAUSTED:
	case CTR_DROP_SESSION_LIMIT:
	case CTR_DROP_NOMEM:
		code = ICMP6_ADDR_UNREACH;
		break;
	case CTR_DROP_NOT_ALLOWED:
	case CTR_DROP_CLIENT_QUOTA:
	case CTR_DROP_NOT_TRANSLATABLE_DST:
	case CTR_DROP_NOT_TRANSLATABLE_SRC:
		code = ICMP6_ADMIN_PROHIBITED;
		break;
	case CTR_DROP_UNSUPPORTED_PROTO:
		type = ICMP6_PARAM_PROBLEM;
		code = ICMP6_UNRECOGNIZED_NH;
		rest = v->proto_at;
		break;
	default:
		return drop(ctx, DIR_6TO4, why);
	}
	if (!ctx->cfg->icmp_unreachable || ip6_later_fragment(v) || icmp6_is_error(v) ||
	    v->hdr[24] == 0xff)
		return drop(ctx, DIR_6TO4, why);
	return send_icmp_error(ctx, DIR_6TO4, why,
	                       icmp6_build_error(ctx, type, code, rest, v->hdr, v->len), out,
	                       out_len);
}

/* The transport of an IPv6 packet, or of a fragment of one. Fragmented
 * ICMPv6 is refused: its checksum covers a pseudo-header with the whole
 * datagram's length, which ICMPv4 has not (RFC 7915 §5.1.1 lets the
 * translator drop what it does not reassemble). */
/* RFC 8200 §4.5: a fragment that would make the datagram longer than 65535
 * bytes is discarded (RFC 791 caps IPv4 the same way). */
static bool fragment_overflows(bool frag, uint16_t offset_units, size_t len)
{
	return frag && (size_t)offset_units * 8 + len > 65535;
}

static enum tun64_counter l4_parse_6to4(struct l4_view *l4, const struct ip6_view *v, bool opaque)
{
	/* RFC 7915 §5.1: only next header 58 is ICMP; a 1 over IPv6 is some
	 * other protocol, which we do not carry. */
	if (v->proto == IPPROTO_ICMP)
		return CTR_DROP_UNSUPPORTED_PROTO;
	if (fragment_overflows(v->frag, v->frag_offset, v->l4_len))
		return CTR_DROP_FRAGMENT;
	if (v->frag && v->proto == IPPROTO_ICMPV6)
		return CTR_DROP_FRAGMENT;
	if (ip6_later_fragment(v))
		return l4_later_fragment(l4, v->proto, v->l4, v->l4_len, v->frag_offset, opaque);
	return l4_parse(l4, v->proto, v->l4, v->l4_len, v->frag, opaque);
}

static enum xlat_verdict xlat_4to6(struct xlat_ctx *ctx, struct xlat_pkt *pkt, bool hairpin,
                                   const uint8_t **out, size_t *out_len);

/* Hairpinning (RFC 6146 §3.8, RFC 7757 §4): an IPv6 packet addressed to one
 * of the translator's own IPv4 addresses, just translated to the IPv4
 * packet ip4 (len bytes inside pkt->buf), would be routed straight back
 * into the tun. It goes through §4 at once instead, as if it had come back
 * in. The translator stays one hop: the TTL that the first pass took is
 * given back before the second pass takes it again. */
static enum xlat_verdict hairpin_4to6(struct xlat_ctx *ctx, struct xlat_pkt *pkt, uint8_t *ip4,
                                      size_t len, const uint8_t **out, size_t *out_len)
{
	ctx->ctr->v[DIR_6TO4][CTR_HAIRPINNED]++;
	pkt->off = (size_t)(ip4 - pkt->buf);
	pkt->len = len;
	ip4[8]++;
	put_be16(ip4 + 10, 0);
	put_be16(ip4 + 10, csum_ipv4_header(ip4, IPV4_HDR_LEN));
	return xlat_4to6(ctx, pkt, true, out, out_len);
}

static enum xlat_verdict xlat_6to4(struct xlat_ctx *ctx, struct xlat_pkt *pkt, const uint8_t **out,
                                   size_t *out_len)
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
	if (why == XLAT_OK) {
		why = ipv6_skip_ext_headers(&v);
		if (why == CTR_DROP_EXT_HDR)
			return refuse_routing_header(ctx, &v, out, out_len);
	}
	if (why == XLAT_OK && icmp6_is_error(&v) && !v.frag)
		return xlat_icmp6_error(ctx, &v, out, out_len);
	if (why == XLAT_OK)
		why = check_addrs_6to4(cfg, &v, &a);
	if (why == XLAT_OK)
		why = l4_parse_6to4(&l4, &v, cfg->mode == XLAT_STATELESS);
	l4.csum_partial = pkt->csum_partial;
	if (why == XLAT_OK && !l4.no_header && udp_lacks_checksum(&l4))
		why = CTR_DROP_BAD_L4_CSUM;
	if (why != XLAT_OK)
		return refuse_6to4(ctx, &v, why, out, out_len);

	/* §5.1 Hop Limit; checked before any state is created. */
	if (v.hdr[7] <= 1)
		return send_icmp_error(
		    ctx, DIR_6TO4, CTR_DROP_TTL_EXPIRED,
		    icmp6_build_error(ctx, ICMP6_TIME_EXCEEDED, 0, 0, v.hdr, v.len), out, out_len);

	why = map_addrs_6to4_fragment(ctx, &v, &l4, &a);
	if (why != XLAT_OK)
		return refuse_6to4(ctx, &v, why, out, out_len);
	ip4 = xlat_write_6to4(ctx, &v, &l4, &a);
	if (a.hairpin)
		return hairpin_4to6(ctx, pkt, ip4, IPV4_HDR_LEN + l4.len, out, out_len);
	return send_translated(ctx, DIR_6TO4, pkt, ip4, IPV4_HDR_LEN + l4.len, out, out_len);
}

/* ---- IPv4 -> IPv6, RFC 7915 §4 ----------------------------------------- */

struct ip4_view {
	uint8_t *hdr;
	size_t hlen;
	size_t len; /* trimmed to Total Length */
	uint32_t src, dst;
	uint8_t *l4; /* a later fragment: its payload */
	size_t l4_len;
	bool frag;            /* MF set or offset != 0 */
	uint16_t frag_offset; /* in 8-byte units */
	bool hairpin;         /* translated from IPv6 just before (hairpin_4to6) */
	bool source_route;    /* an unexpired LSRR/SSRR option (ipv4_check_options) */
};

static bool ip4_later_fragment(const struct ip4_view *v)
{
	return v->frag && v->frag_offset != 0;
}

static enum tun64_counter ipv4_check_header(struct ip4_view *v, uint8_t *hdr, size_t len)
{
	size_t total;

	memset(v, 0, sizeof(*v));
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
	return addr4_is_martian(src) || in_pool4(cfg, src);
}

/* RFC 791: a source route is used up (expired) when its pointer is past
 * its length; then the destination field alone routes the packet. One too
 * short to hold a pointer counts as unexpired: it cannot be shown used up. */
static bool source_route_unexpired(const uint8_t *opt, size_t left)
{
	return left < 3 || opt[1] < 3 || opt[2] <= opt[1];
}

/* RFC 7915 §4.1: options are not translated, but a packet with an
 * unexpired source route must not be forwarded as if it had none
 * (v->source_route; refuse_source_route). A malformed option list ends
 * the scan: the options are dropped anyway. */
static enum tun64_counter ipv4_check_options(struct ip4_view *v)
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
		if ((opt[0] == IPOPT_LSRR || opt[0] == IPOPT_SSRR) &&
		    source_route_unexpired(opt, left)) {
			v->source_route = true;
			return XLAT_OK;
		}
		if (left < 2 || opt[1] < 2 || opt[1] > left)
			break;
		olen = opt[1];
		opt += olen;
		left -= olen;
	}
	return XLAT_OK;
}

/* RFC 7915 §4.1: a fragment is translated on its own and gets a Fragment
 * header. Fragmented ICMP is refused: the ICMPv6 checksum covers a
 * pseudo-header with the whole datagram's length, which the first fragment
 * does not know (the translator does not reassemble). */
static enum tun64_counter ipv4_check_fragment(struct ip4_view *v)
{
	uint16_t frag = get_be16(v->hdr + 6);

	v->frag = frag & (IPV4_MF | IPV4_FRAG_OFFSET);
	v->frag_offset = frag & IPV4_FRAG_OFFSET;
	if (v->frag && v->hdr[9] == IPPROTO_ICMP)
		return CTR_DROP_FRAGMENT;
	return XLAT_OK;
}

/* The transport of an IPv4 packet, or of a fragment of one. A first
 * fragment of UDP without checksum is refused: the checksum IPv6 needs
 * covers the whole datagram (RFC 7915 §4.5 allows the drop). */
static enum tun64_counter l4_parse_4to6(struct l4_view *l4, const struct ip4_view *v, bool opaque)
{
	enum tun64_counter why;

	if (v->hdr[9] == IPPROTO_ICMPV6) /* RFC 7915 §4.1: only protocol 1 is ICMP */
		return CTR_DROP_UNSUPPORTED_PROTO;
	if (fragment_overflows(v->frag, v->frag_offset, v->l4_len))
		return CTR_DROP_FRAGMENT;
	if (ip4_later_fragment(v))
		return l4_later_fragment(l4, v->hdr[9], v->l4, v->l4_len, v->frag_offset, opaque);
	why = l4_parse(l4, v->hdr[9], v->l4, v->l4_len, v->frag, opaque);
	if (why == XLAT_OK && v->frag && l4->proto == IPPROTO_UDP && get_be16(l4->hdr + 6) == 0)
		return CTR_DROP_FRAGMENT;
	return why;
}

static size_t frag_hdr_len_4to6(const struct ip4_view *v)
{
	return v->frag ? IPV6_FRAG_HDR_LEN : 0;
}

/* Stateful: only pool4 is ours. Stateless: any address maps, but RFC 6052
 * §3.1 still holds for the well-known prefix. */
static enum tun64_counter check_addrs_4to6(const struct xlat_config *cfg, const struct ip4_view *v)
{
	if (cfg->mode == XLAT_STATEFUL) {
		if (!in_pool4(cfg, v->dst))
			return CTR_DROP_NOT_TRANSLATABLE_DST;
	} else if (wkp_refuses(cfg, v->dst) || addr4_is_martian(v->dst)) {
		return CTR_DROP_NOT_TRANSLATABLE_DST;
	}
	if (wkp_refuses(cfg, v->src))
		return CTR_DROP_NOT_TRANSLATABLE_SRC;
	return XLAT_OK;
}

/* RFC 7915 §4 / RFC 1191: a DF packet that will not fit gets Fragmentation
 * Needed; without DF, one whose translation exceeds lowest-ipv6-mtu is
 * split into IPv6 fragments (§4.1, split_4to6). A zero MTU in the config
 * means no limit. */
static enum tun64_counter ipv4_check_size(const struct xlat_config *cfg, const struct ip4_view *v,
                                          bool *frag_needed, bool *split)
{
	size_t out_len = IPV6_HDR_LEN + frag_hdr_len_4to6(v) + v->l4_len;
	bool df = get_be16(v->hdr + 6) & IPV4_DF;

	*frag_needed = false;
	*split = false;
	if (df && cfg->mtu && out_len > cfg->mtu) {
		*frag_needed = true;
		return CTR_DROP_TOO_BIG;
	}
	if (!df && cfg->lowest_ipv6_mtu && out_len > cfg->lowest_ipv6_mtu)
		*split = true;
	return XLAT_OK;
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
	uint16_t frag = get_be16(v->hdr + 6);

	p->id = get_be16(v->hdr + 4);
	p->offset = frag & IPV4_FRAG_OFFSET;
	p->more = frag & IPV4_MF;
}

/* Payload bytes per fragment: each piece (IPv6 + Fragment header + data)
 * fits lowest-ipv6-mtu, in whole 8-byte units (RFC 8200 §4.5). An MTU
 * below the IPv6 minimum is taken as 1280, which XLAT_SPLIT_MAX assumes. */
static size_t split_chunk_len(const struct xlat_config *cfg)
{
	size_t mtu = cfg->lowest_ipv6_mtu < IPV6_MIN_MTU ? IPV6_MIN_MTU : cfg->lowest_ipv6_mtu;

	return (mtu - IPV6_HDR_LEN - IPV6_FRAG_HDR_LEN) & ~(size_t)7;
}

/* A checksum left to the offload (VNET_F_NEEDS_CSUM) cannot be finished by
 * anyone once the datagram is in pieces: finish it here, over the whole
 * transport (the field holds the new pseudo-header sum). */
static void l4_finish_partial(const struct l4_view *l4)
{
	uint8_t *field = l4->hdr + (l4->proto == IPPROTO_TCP ? 16 : 6);
	uint16_t check = csum_finish(csum_add_bytes(0, l4->hdr, l4->len));

	if (l4->proto == IPPROTO_UDP)
		udp_store_csum(l4->hdr, check);
	else
		put_be16(field, check);
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
	put_be16(o + 4, (uint16_t)(IPV6_FRAG_HDR_LEN + n));
	o[6] = EXT_FRAGMENT;
	fh[0] = nh;
	fh[1] = 0;
	put_be16(fh + 2, (uint16_t)(offset << 3 | (more ? IPV6_FRAG_M : 0)));
	put_be32(fh + 4, p->id);
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

static enum xlat_verdict send_split(struct xlat_ctx *ctx, const struct split_plan *p,
                                    const uint8_t *ip6, const struct l4_view *l4,
                                    const uint8_t **out, size_t *out_len)
{
	size_t len = split_4to6(ctx, p, ip6, l4);

	if (len == 0)
		return drop(ctx, DIR_4TO6, CTR_DROP_TOO_BIG);
	ctx->ctr->v[DIR_4TO6][CTR_TRANSLATED]++;
	ctx->ctr->v[DIR_4TO6][CTR_FRAGMENTED]++;
	*out = ctx->split;
	*out_len = len;
	return XLAT_SEND_MANY;
}

size_t xlat_many_next(const uint8_t *out, size_t left)
{
	size_t len;

	if (left < IPV6_HDR_LEN || out[0] >> 4 != 6)
		return 0;
	len = IPV6_HDR_LEN + get_be16(out + 4);
	return len <= left ? len : 0;
}

/* §4.1 addresses: source Z embedded in pool6; destination from the state
 * (stateful: (X',x) = nat64_in) or embedded too (stateless). */
static enum tun64_counter map_addrs_4to6(struct xlat_ctx *ctx, const struct ip4_view *v,
                                         const struct l4_view *l4, struct xlat_addrs *a)
{
	const struct xlat_config *cfg = ctx->cfg;
	struct nat64_flow4 flow;
	enum nat64_result r;

	/* RFC 7757 §4: a hairpinned sender is named by RFC 6052 only (eam.h). */
	if (v->hairpin && cfg->mode == XLAT_STATELESS)
		rfc6052_embed(&cfg->pool6, v->src, a->src6);
	else if (!addr_4to6(cfg, v->src, a->src6))
		return CTR_DROP_NOT_TRANSLATABLE_SRC;
	a->sport = l4->sport;
	a->dport = l4->dport;
	if (cfg->mode == XLAT_STATELESS)
		return addr_4to6(cfg, v->dst, a->dst6) ? XLAT_OK : CTR_DROP_NOT_TRANSLATABLE_DST;
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

/* RFC 6146 §3.5.2.2: an IPv4 SYN (no ACK) that found no BIB entry, or one
 * whose filter refused (Z,z), is held for 6 s, not answered (synhold.h).
 * Returns why it is not translated now: CTR_SYN_HELD, or the first reason
 * when it cannot be held (a full table, a fragment, not a bare SYN). */
static enum tun64_counter hold_syn(struct xlat_ctx *ctx, const struct ip4_view *v,
                                   const struct l4_view *l4, enum tun64_counter why)
{
	if (!ctx->synhold || l4->proto != IPPROTO_TCP || v->frag || v->hairpin)
		return why;
	if ((l4->tcp_flags & (NAT64_TCP_SYN | NAT64_TCP_ACK | NAT64_TCP_RST)) != NAT64_TCP_SYN)
		return why;
	if (!synhold_add(ctx->synhold, v->hdr, v->len, v->src, l4->sport, v->dst, l4->dport,
	                 ctx->now_ms))
		return why;
	return CTR_SYN_HELD;
}

/* The key of an IPv4 datagram in the fragment table. */
static void frag_key_4to6(struct frag_key *k, const struct ip4_view *v)
{
	memset(k, 0, sizeof(*k));
	put_be32(k->src, v->src);
	put_be32(k->dst, v->dst);
	k->id = get_be16(v->hdr + 4);
	k->proto = v->hdr[9];
	k->from_v6 = 0;
}

/* Stateful fragments (RFC 6146 §3.4): the first fragment finds (X',x) in
 * the session table and leaves X' for the later ones. */
static enum tun64_counter map_addrs_4to6_fragment(struct xlat_ctx *ctx, const struct ip4_view *v,
                                                  const struct l4_view *l4, struct xlat_addrs *a)
{
	struct frag_key k;
	enum tun64_counter why;
	bool more = get_be16(v->hdr + 6) & IPV4_MF;

	if (ctx->cfg->mode == XLAT_STATELESS || !v->frag)
		return map_addrs_4to6(ctx, v, l4, a);
	frag_key_4to6(&k, v);
	if (ip4_later_fragment(v)) {
		if (!addr_4to6(ctx->cfg, v->src, a->src6))
			return CTR_DROP_NOT_TRANSLATABLE_SRC;
		if (!ctx->frags || !frag_lookup(ctx->frags, &k, a->dst6, ctx->now_ms))
			return CTR_DROP_FRAGMENT; /* first fragment not seen (yet) */
		return XLAT_OK;
	}
	why = map_addrs_4to6(ctx, v, l4, a);
	if (why == XLAT_OK && more && ctx->frags)
		frag_remember(ctx->frags, &k, a->dst6, ctx->now_ms);
	return why;
}

/* RFC 7915 §4.1 Traffic Class: copied from the Type of Service, or 0 when
 * the operator says so ("tos zero"). */
static uint8_t tclass_4to6(const struct xlat_config *cfg, const uint8_t *ip4)
{
	return cfg->tos_zero ? 0 : ip4[1];
}

/* RFC 7915 §4.1 Flow Label: 0, or with "flow-label hash" a hash of the
 * translated addresses, protocol and ports (RFC 6437 §3), the same for
 * every packet of a flow. A fragmented datagram hashes without ports so
 * that all its fragments share the label. */
static uint32_t flow_label_4to6(const struct xlat_config *cfg, const struct ip4_view *v,
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
static void ipv6_build_header(uint8_t o[IPV6_HDR_LEN], const struct ip4_view *v,
                              const struct l4_view *l4, const struct xlat_addrs *a, uint8_t tclass,
                              uint32_t flow_label)
{
	o[0] = (uint8_t)(0x60 | tclass >> 4);
	o[1] = (uint8_t)(tclass << 4 | (flow_label >> 16 & 0x0f));
	o[2] = (uint8_t)(flow_label >> 8);
	o[3] = (uint8_t)flow_label;
	put_be16(o + 4, (uint16_t)l4->len);
	o[6] = l4->proto == IPPROTO_ICMP ? IPPROTO_ICMPV6 : l4->proto;
	o[7] = (uint8_t)(v->hdr[8] - 1);
	memcpy(o + 8, a->src6, 16);
	memcpy(o + 24, a->dst6, 16);
}

/* RFC 7915 §4.1: an IPv4 fragment leaves with a Fragment header: next
 * header the translated protocol, offset and M copied, the Identification
 * zero-extended to 32 bits. Built aside: the IPv4 header it reads from is
 * overwritten by the IPv6 one. */
static void ipv6_build_fragment_header(uint8_t fh[IPV6_FRAG_HDR_LEN], uint8_t ip6_hdr[IPV6_HDR_LEN],
                                       const struct ip4_view *v)
{
	uint16_t frag = get_be16(v->hdr + 6);

	fh[0] = ip6_hdr[6];
	fh[1] = 0;
	put_be16(fh + 2,
	         (uint16_t)((frag & IPV4_FRAG_OFFSET) << 3 | ((frag & IPV4_MF) ? IPV6_FRAG_M : 0)));
	put_be32(fh + 4, get_be16(v->hdr + 4));
	ip6_hdr[6] = EXT_FRAGMENT;
	put_be16(ip6_hdr + 4, (uint16_t)(get_be16(ip6_hdr + 4) + IPV6_FRAG_HDR_LEN));
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
	nh = hdr[6];
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
static enum xlat_verdict refuse_source_route(struct xlat_ctx *ctx, const struct ip4_view *v,
                                             const uint8_t **out, size_t *out_len)
{
	size_t len;

	if (icmp4_is_error(v) || ip4_later_fragment(v))
		return drop(ctx, DIR_4TO6, CTR_DROP_IPV4_OPTIONS);
	len = icmp4_build_error(ctx, ICMP4_DEST_UNREACH, ICMP4_SOURCE_ROUTE_FAILED, 0, v->hdr,
	                        v->len);
	return send_icmp_error(ctx, DIR_4TO6, CTR_DROP_IPV4_OPTIONS, len, out, out_len);
}

/* RFC 7915 §4.4, RFC 6146 §3.5: an IPv4 packet discarded for one of these
 * reasons SHOULD get an error back (icmp-unreachable): Host Unreachable
 * when no session leads anywhere (a TCP segment other than a SYN gets
 * none, as from a firewall; a SYN was held, synhold.h), Administratively
 * Prohibited when filtering or the address plan refuses it, Protocol
 * Unreachable for a protocol a NAT64 does not carry. RFC 1812 §4.3.2.7:
 * none about an ICMP error, a later fragment, or a packet to a multicast or
 * broadcast address (v->src was checked before). Others: dropped. */
static enum xlat_verdict refuse_4to6(struct xlat_ctx *ctx, const struct ip4_view *v,
                                     enum tun64_counter why, const uint8_t **out, size_t *out_len)
{
	uint8_t code;

	switch (why) { /* all found after the header was read */
	case CTR_DROP_NO_STATE:
		if (v->hdr[9] == IPPROTO_TCP)
			return drop(ctx, DIR_4TO6, why);
		code = ICMP4_HOST_UNREACH;
		break;
	case CTR_DROP_FILTERED:
	case CTR_DROP_NOT_TRANSLATABLE_DST:
	case CTR_DROP_NOT_TRANSLATABLE_SRC:
		code = ICMP4_ADMIN_PROHIBITED;
		break;
	case CTR_DROP_UNSUPPORTED_PROTO:
		code = ICMP4_PROTO_UNREACH;
		break;
	default:
		return drop(ctx, DIR_4TO6, why);
	}
	if (!ctx->cfg->icmp_unreachable || v->hairpin || icmp4_is_error(v) ||
	    ip4_later_fragment(v) || addr4_is_martian(v->dst))
		return drop(ctx, DIR_4TO6, why);
	return send_icmp_error(ctx, DIR_4TO6, why,
	                       icmp4_build_error(ctx, ICMP4_DEST_UNREACH, code, 0, v->hdr, v->len),
	                       out, out_len);
}

/* hairpin: pkt is an IPv4 packet translated from IPv6 just now, whose
 * source may be the translator's own (hairpin_4to6). */
static enum xlat_verdict xlat_4to6(struct xlat_ctx *ctx, struct xlat_pkt *pkt, bool hairpin,
                                   const uint8_t **out, size_t *out_len)
{
	const struct xlat_config *cfg = ctx->cfg;
	struct ip4_view v;
	struct l4_view l4;
	struct xlat_addrs a;
	enum tun64_counter why;
	struct split_plan plan;
	bool frag_needed, split;
	uint8_t *ip6;
	size_t len;

	why = ipv4_check_header(&v, pkt->buf + pkt->off, pkt->len);
	v.hairpin = hairpin;
	if (why == XLAT_OK && !hairpin && ipv4_src_is_bad(cfg, v.src))
		why = CTR_DROP_BAD_SRC;
	if (why == XLAT_OK)
		why = ipv4_check_options(&v);
	if (why == XLAT_OK)
		why = ipv4_check_fragment(&v);
	if (why == XLAT_OK)
		why = check_addrs_4to6(cfg, &v);
	if (why == XLAT_OK && v.source_route)
		return refuse_source_route(ctx, &v, out, out_len);
	if (why == XLAT_OK && icmp4_is_error(&v))
		return xlat_icmp4_error(ctx, &v, out, out_len);
	if (why == XLAT_OK)
		why = l4_parse_4to6(&l4, &v, cfg->mode == XLAT_STATELESS);
	l4.csum_partial = pkt->csum_partial;
	/* RFC 7915 §4.5 lets a stateless translator, RFC 6146 §3.4 a NAT64,
	 * refuse these instead of computing the checksum. */
	if (why == XLAT_OK && cfg->udp_zero_csum_drop && !l4.no_header && udp_lacks_checksum(&l4))
		why = CTR_DROP_UDP_ZERO_CSUM;
	if (why != XLAT_OK)
		return refuse_4to6(ctx, &v, why, out, out_len);

	/* §4.1 TTL; checked before any state is touched. */
	if (v.hdr[8] <= 1) {
		len = icmp4_build_error(ctx, ICMP4_TIME_EXCEEDED, 0, 0, v.hdr, v.len);
		return send_icmp_error(ctx, DIR_4TO6, CTR_DROP_TTL_EXPIRED, len, out, out_len);
	}
	/* A GSO packet's segments were sized by vnet_classify(). */
	frag_needed = false;
	split = false;
	if (!pkt->gso)
		why = ipv4_check_size(cfg, &v, &frag_needed, &split);
	if (frag_needed) {
		/* RFC 1191 §4: next-hop MTU as the IPv4 side sees it. */
		len = icmp4_build_error(ctx, ICMP4_DEST_UNREACH, ICMP4_FRAG_NEEDED,
		                        (uint32_t)(cfg->mtu - (IPV6_HDR_LEN - IPV4_HDR_LEN)), v.hdr,
		                        v.len);
		return send_icmp_error(ctx, DIR_4TO6, why, len, out, out_len);
	}
	/* The IPv6 header is longer than an option-less IPv4 one: it reaches
	 * into the headroom the caller must leave (XLAT_HEADROOM). */
	if (why == XLAT_OK && (size_t)(v.l4 - pkt->buf) < IPV6_HDR_LEN + frag_hdr_len_4to6(&v))
		why = CTR_DROP_BAD_LENGTH;
	if (why == XLAT_OK)
		why = map_addrs_4to6_fragment(ctx, &v, &l4, &a);
	if (why == CTR_DROP_NO_STATE || why == CTR_DROP_FILTERED)
		why = hold_syn(ctx, &v, &l4, why);
	if (why != XLAT_OK)
		return refuse_4to6(ctx, &v, why, out, out_len);
	split_plan_4to6(&plan, &v); /* the IPv4 header is overwritten next */
	ip6 = xlat_write_4to6(cfg, &v, &l4, &a);
	if (split)
		return send_split(ctx, &plan, ip6, &l4, out, out_len);
	return send_translated(ctx, DIR_4TO6, pkt, ip6,
	                       IPV6_HDR_LEN + frag_hdr_len_4to6(&v) + l4.len, out, out_len);
}

/* ---- ICMP errors in transit, RFC 7915 §4.2-4.3 and §5.2-5.3 ------------- */

/* An ICMP error is translated into ctx->scratch, not in place: the quoted
 * packet changes size and the result is cut to ICMP6_ERROR_MAX /
 * ICMP4_ERROR_MAX. Stateful (RFC 6146 §3.4): the flow of an ICMP error is
 * the one of the packet it quotes, read in reverse; the BIB is only read
 * (nat64_bib_lookup4/6): an error creates and refreshes no state.
 *
 * RFC 4884 extensions (MPLS labels and interface information in traceroute
 * replies) are carried over: the translated original datagram is padded to
 * the other family's unit (32-bit words for ICMPv4, 64-bit for ICMPv6) and
 * at least 128 bytes, the length attribute says so, and the extension
 * structure follows unchanged (its checksum covers only itself). An
 * extension goes out only where the translated type has a length attribute
 * (Destination Unreachable, Time Exceeded; ICMPv4 Parameter Problem too) and
 * the size limit leaves 128 bytes of quote; otherwise the result is a plain
 * RFC 792 / RFC 4443 error with the attribute 0. */

/* Type, code and the 32 bits after the checksum of an ICMP error. */
struct icmp_err {
	uint8_t type, code;
	uint32_t rest;
};

/* The packet an ICMP error quotes. */
struct inner_view {
	uint8_t *hdr;       /* its IP header */
	size_t avail;       /* bytes quoted from hdr on (at most its IP length) */
	struct l4_view l4;  /* len: transport length as its IP header says */
	size_t l4_avail;    /* transport bytes actually quoted */
	const uint8_t *ext; /* RFC 4884 extension structure, or NULL */
	size_t ext_len;
};

static bool icmp6_is_error(const struct ip6_view *v)
{
	return v->proto == IPPROTO_ICMPV6 && v->l4_len > 0 && v->l4[0] < ICMP6_INFO_MIN;
}

/* Everything but echo goes the error way; §4.2 drops the other
 * informational types there too. */
static bool icmp4_is_error(const struct ip4_view *v)
{
	return v->hdr[9] == IPPROTO_ICMP && v->l4_len > 0 && v->l4[0] != ICMP4_ECHO_REQUEST &&
	       v->l4[0] != ICMP4_ECHO_REPLY;
}

/* RFC 7915 §4.2 Figure 3: IPv4 header offset -> IPv6 header offset, -1 n/a. */
static enum tun64_counter icmp_pointer_4to6(uint8_t ptr4, uint32_t *ptr6)
{
	static const int8_t map[IPV4_HDR_LEN] = {0,  1,  4, 4, -1, -1, -1, -1, 7,  6,
	                                         -1, -1, 8, 8, 8,  8,  24, 24, 24, 24};

	if (ptr4 >= IPV4_HDR_LEN || map[ptr4] < 0)
		return CTR_DROP_UNSUPPORTED_ICMP;
	*ptr6 = (uint32_t)map[ptr4];
	return XLAT_OK;
}

/* RFC 7915 §5.2 Figure 6: IPv6 header offset -> IPv4 header offset. */
static enum tun64_counter icmp_pointer_6to4(uint32_t ptr6, uint32_t *ptr4)
{
	static const int8_t map[8] = {0, 1, -1, -1, 2, 2, 9, 8};

	if (ptr6 < 8 && map[ptr6] >= 0)
		*ptr4 = (uint32_t)map[ptr6];
	else if (ptr6 >= 8 && ptr6 < 24)
		*ptr4 = 12; /* Source Address */
	else if (ptr6 >= 24 && ptr6 < IPV6_HDR_LEN)
		*ptr4 = 16; /* Destination Address */
	else
		return CTR_DROP_UNSUPPORTED_ICMP;
	*ptr4 <<= 24; /* the pointer is the first byte after the checksum */
	return XLAT_OK;
}

/* RFC 7915 §4.2 Destination Unreachable codes. The MTU of code 4 is filled
 * in by icmp_ptb_mtu_4to6 once the quoted packet is known. */
static enum tun64_counter icmp4_unreach_to_icmp6(uint8_t code, struct icmp_err *e)
{
	e->type = ICMP6_DEST_UNREACH;
	e->rest = 0;
	switch (code) {
	case 0:
	case 1:
	case 5:
	case 6:
	case 7:
	case 8:
	case 11:
	case 12:
		e->code = 0; /* no route to destination */
		return XLAT_OK;
	case 2: /* protocol unreachable: Parameter Problem at Next Header */
		e->type = ICMP6_PARAM_PROBLEM;
		e->code = 1;
		e->rest = 6;
		return XLAT_OK;
	case 3:
		e->code = 4; /* port unreachable */
		return XLAT_OK;
	case ICMP4_FRAG_NEEDED:
		e->type = ICMP6_PACKET_TOO_BIG;
		e->code = 0;
		return XLAT_OK;
	case 9:
	case 10:
	case 13:
	case 15:
		e->code = 1; /* administratively prohibited */
		return XLAT_OK;
	default: /* 14 (host precedence violation) and unknown codes */
		return CTR_DROP_UNSUPPORTED_ICMP;
	}
}

/* RFC 7915 §4.2: ICMPv4 error -> ICMPv6 error type, code and pointer. */
static enum tun64_counter icmp4_err_to_icmp6(const uint8_t *icmp, struct icmp_err *e)
{
	switch (icmp[0]) {
	case ICMP4_DEST_UNREACH:
		return icmp4_unreach_to_icmp6(icmp[1], e);
	case ICMP4_TIME_EXCEEDED:
		e->type = ICMP6_TIME_EXCEEDED;
		e->code = icmp[1];
		e->rest = 0;
		return XLAT_OK;
	case ICMP4_PARAM_PROBLEM:
		if (icmp[1] != 0 && icmp[1] != 2)
			return CTR_DROP_UNSUPPORTED_ICMP; /* 1: missing a required option */
		e->type = ICMP6_PARAM_PROBLEM;
		e->code = 0;
		return icmp_pointer_4to6(icmp[4], &e->rest);
	default: /* source quench, redirect, information messages ... */
		return CTR_DROP_UNSUPPORTED_ICMP;
	}
}

/* RFC 7915 §5.2: ICMPv6 error -> ICMPv4 error type, code and pointer. The
 * MTU of Packet Too Big is filled in by icmp_ptb_mtu_6to4. */
static enum tun64_counter icmp6_err_to_icmp4(const uint8_t *icmp, struct icmp_err *e)
{
	static const int8_t unreach[5] = {1, 10, 1, 1, 3};

	e->rest = 0;
	switch (icmp[0]) {
	case ICMP6_DEST_UNREACH:
		if (icmp[1] >= sizeof(unreach))
			return CTR_DROP_UNSUPPORTED_ICMP;
		e->type = ICMP4_DEST_UNREACH;
		e->code = (uint8_t)unreach[icmp[1]];
		return XLAT_OK;
	case ICMP6_PACKET_TOO_BIG:
		e->type = ICMP4_DEST_UNREACH;
		e->code = ICMP4_FRAG_NEEDED;
		return XLAT_OK;
	case ICMP6_TIME_EXCEEDED:
		e->type = ICMP4_TIME_EXCEEDED;
		e->code = icmp[1];
		return XLAT_OK;
	case ICMP6_PARAM_PROBLEM:
		if (icmp[1] == 1) { /* unrecognized next header */
			e->type = ICMP4_DEST_UNREACH;
			e->code = 2; /* protocol unreachable */
			return XLAT_OK;
		}
		if (icmp[1] != 0)
			return CTR_DROP_UNSUPPORTED_ICMP; /* 2: unrecognized option */
		e->type = ICMP4_PARAM_PROBLEM;
		e->code = 0;
		return icmp_pointer_6to4(get_be32(icmp + 4), &e->rest);
	default:
		return CTR_DROP_UNSUPPORTED_ICMP;
	}
}

/* RFC 1191 §7: the greatest plateau below the quoted packet's length. */
static uint32_t rfc1191_plateau_below(uint32_t total_len)
{
	static const uint16_t plateaus[] = {65535, 32000, 17914, 8166, 4352, 2002,
	                                    1492,  1006,  508,   296,  68};

	for (size_t i = 0; i < sizeof(plateaus) / sizeof(plateaus[0]); i++)
		if (plateaus[i] < total_len)
			return plateaus[i];
	return 0;
}

/* RFC 7915 §4.2: max(1280, min(MTU + 20, MTU of the IPv6 next hop, MTU of
 * the IPv4 next hop + 20)); both next hops are the tun here. An MTU of 0
 * (router without RFC 1191) is replaced by the plateau below the quoted
 * packet's Total Length. */
static uint32_t icmp_ptb_mtu_4to6(const struct xlat_config *cfg, uint16_t mtu4,
                                  uint16_t quoted_total_len)
{
	uint32_t mtu = mtu4 ? mtu4 : rfc1191_plateau_below(quoted_total_len);

	mtu += IPV6_HDR_LEN - IPV4_HDR_LEN;
	if (cfg->mtu && mtu > cfg->mtu)
		mtu = cfg->mtu;
	return mtu < IPV6_MIN_MTU ? IPV6_MIN_MTU : mtu;
}

/* RFC 7915 §5.2: min(MTU - 20, MTU of the IPv4 next hop, MTU of the IPv6
 * next hop - 20), in the 16 bits RFC 1191 gives it. */
static uint32_t icmp_ptb_mtu_6to4(const struct xlat_config *cfg, uint32_t mtu6)
{
	const uint32_t delta = IPV6_HDR_LEN - IPV4_HDR_LEN;
	uint32_t mtu = mtu6 > delta ? mtu6 - delta : 0;

	if (cfg->mtu > delta && mtu > cfg->mtu - delta)
		mtu = cfg->mtu - delta;
	return mtu > 0xffff ? 0xffff : mtu;
}

/* RFC 4884 §4: with extensions the length attribute counts the "original
 * datagram" in units; only that part is quoted. */
static size_t icmp_quoted_len(size_t avail, uint8_t len_attr, size_t unit)
{
	size_t orig = (size_t)len_attr * unit;

	return orig && orig < avail ? orig : avail;
}

/* RFC 4884 §4, §7: the extension structure after an original datagram of
 * len_attr units, which is at least 128 bytes when there is one; version
 * 2 in its header. Anything else carries no extension. Call after
 * inner4/6_parse, which clears in. */
static void icmp_ext_find(struct inner_view *in, const uint8_t *body, size_t body_len,
                          uint8_t len_attr, size_t unit)
{
	size_t orig = (size_t)len_attr * unit;

	in->ext = NULL;
	in->ext_len = 0;
	if (orig < ICMP_EXT_MIN_ORIG || orig + ICMP_EXT_HDR_LEN > body_len ||
	    body[orig] >> 4 != ICMP_EXT_VERSION)
		return;
	in->ext = body + orig;
	in->ext_len = body_len - orig;
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

/* The transport header of the quoted packet: TCP or UDP with their ports
 * (8 bytes are all RFC 792 promises), or an echo message. Anything else,
 * an ICMP error above all (RFC 7915 §4.3, §5.3), is not translated. */
static enum tun64_counter inner_l4_parse(struct inner_view *in, uint8_t proto, uint8_t *l4,
                                         size_t len, size_t avail, bool from_v6, bool opaque)
{
	struct l4_view *v = &in->l4;

	memset(v, 0, sizeof(*v));
	v->proto = proto;
	v->hdr = l4;
	v->len = len;
	in->l4_avail = avail;
	if (avail < ICMP_HDR_LEN || len < ICMP_HDR_LEN)
		return CTR_DROP_ICMP_INNER;
	switch (proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
		v->sport = get_be16(l4);
		v->dport = get_be16(l4 + 2);
		return XLAT_OK;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		if (from_v6 != (proto == IPPROTO_ICMPV6))
			return CTR_DROP_ICMP_INNER;
		return icmp_parse(v, from_v6) == XLAT_OK ? XLAT_OK : CTR_DROP_ICMP_INNER;
	default:
		/* stateless: a packet of any other protocol (§4.5, §5.5), as is
		 * but for a pseudo-header checksum (8 bytes are quoted here) */
		if (!opaque || !l4_opaque_ok(proto))
			return CTR_DROP_ICMP_INNER;
		if (!l4_pseudo_csum(proto)) {
			v->no_header = true;
			return XLAT_OK;
		}
		v->sport = get_be16(l4);
		v->dport = get_be16(l4 + 2);
		return XLAT_OK;
	}
}

/* The IPv4 packet quoted by an ICMPv4 error. Fragments are refused: a
 * later fragment has no ports, and a first one would need a Fragment
 * Header in the translation. */
static enum tun64_counter inner4_parse(struct inner_view *in, uint8_t *p, size_t avail, bool opaque)
{
	size_t hlen, total;

	if (avail < IPV4_HDR_LEN || p[0] >> 4 != 4)
		return CTR_DROP_ICMP_INNER;
	hlen = (size_t)(p[0] & 0x0f) * 4;
	total = get_be16(p + 2);
	if (hlen < IPV4_HDR_LEN || hlen > avail || total < hlen)
		return CTR_DROP_ICMP_INNER;
	if (get_be16(p + 6) & (IPV4_MF | IPV4_FRAG_OFFSET))
		return CTR_DROP_ICMP_INNER;
	if (avail > total)
		avail = total;
	in->hdr = p;
	in->avail = avail;
	return inner_l4_parse(in, p[9], p + hlen, total - hlen, avail - hlen, false, opaque);
}

/* The IPv6 packet quoted by an ICMPv6 error, extension headers skipped as
 * in §5.1 (they must lie inside the quote). */
static enum tun64_counter inner6_parse(struct inner_view *in, uint8_t *p, size_t avail, bool opaque)
{
	struct ip6_view iv;
	size_t ip_len, hlen;

	if (avail < IPV6_HDR_LEN || p[0] >> 4 != 6)
		return CTR_DROP_ICMP_INNER;
	ip_len = IPV6_HDR_LEN + get_be16(p + 4);
	if (avail > ip_len)
		avail = ip_len;
	iv.hdr = p;
	iv.len = avail;
	if (ipv6_skip_ext_headers(&iv) != XLAT_OK || iv.frag)
		return CTR_DROP_ICMP_INNER;
	hlen = (size_t)(iv.l4 - p);
	in->hdr = p;
	in->avail = avail;
	return inner_l4_parse(in, iv.proto, iv.l4, ip_len - hlen, avail - hlen, true, opaque);
}

/* l4_rewrite for a quoted transport header that may be cut short: the
 * checksum is adjusted incrementally (RFC 7915 §4.3/§5.3 expect it) when
 * the quote holds it. A zero UDP checksum stays zero: the payload it would
 * cover may not be there. */
static void inner_l4_rewrite(const struct l4_view *v, size_t avail, uint32_t old_pseudo,
                             uint32_t new_pseudo, uint16_t sport, uint16_t dport)
{
	bool csum_quoted = v->proto != IPPROTO_TCP || avail >= 18;
	bool udp_no_csum = v->proto == IPPROTO_UDP && get_be16(v->hdr + 6) == 0;

	if (csum_quoted && !udp_no_csum) {
		l4_rewrite(v, old_pseudo, new_pseudo, sport, dport);
		return;
	}
	put_be16(v->hdr, sport);
	put_be16(v->hdr + 2, dport);
}

static enum xlat_verdict send_icmp_translated(struct xlat_ctx *ctx, enum tun64_dir dir, size_t len,
                                              const uint8_t **out, size_t *out_len)
{
	ctx->ctr->v[dir][CTR_TRANSLATED]++;
	*out = ctx->scratch;
	*out_len = len;
	return XLAT_SEND;
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
	uint32_t in_src = get_be32(in->hdr + 12), in_dst = get_be32(in->hdr + 16);
	bool by_6052 = v->hairpin && cfg->mode == XLAT_STATELESS;

	if (wkp_refuses(cfg, in_dst) || wkp_refuses(cfg, in_src))
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
		           ? XLAT_OK
		           : CTR_DROP_ICMP_INNER;
	if (in_src != v->dst)
		return CTR_DROP_ICMP_INNER; /* an error goes back to the quoted source */
	if (!nat64_bib_lookup4(ctx->nat, in->l4.proto, in_src, in->l4.sport, inner->src6,
	                       &inner->sport))
		return CTR_DROP_NO_STATE;
	if (in->l4.proto == IPPROTO_ICMP)
		inner->dport = inner->sport; /* the identifier */
	memcpy(outer->dst6, inner->src6, 16);
	return XLAT_OK;
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
	uint8_t *il4 = ih + IPV6_HDR_LEN;
	/* RFC 4443 §3.1, §3.3: the length attribute, in 64-bit words, is in
	 * Destination Unreachable and Time Exceeded only. */
	size_t ext_len =
	    e->type == ICMP6_DEST_UNREACH || e->type == ICMP6_TIME_EXCEEDED ? in->ext_len : 0;
	size_t room = icmp_quote_room(ICMP6_ERROR_MAX - IPV6_HDR_LEN - ICMP_HDR_LEN, &ext_len, 8) -
	              IPV6_HDR_LEN;
	size_t copy = in->l4_avail < room ? in->l4_avail : room;
	size_t quote = IPV6_HDR_LEN + copy;
	size_t orig = ext_len ? icmp_ext_orig_len(quote, 8) : quote;
	size_t payload = ICMP_HDR_LEN + orig + ext_len;
	uint32_t rest = ext_len ? e->rest | (uint32_t)(orig / 8) << 24 : e->rest;
	struct ip4_view iv = {.hdr = in->hdr};
	struct l4_view l4 = in->l4, outer_l4 = {.proto = IPPROTO_ICMP, .len = payload};
	uint32_t old_pseudo = 0, new_pseudo;
	uint32_t in_src = get_be32(in->hdr + 12), in_dst = get_be32(in->hdr + 16);

	/* §4.3: the quoted header is translated like an outer one, except
	 * that its TTL is kept. */
	ipv6_build_header(ih, &iv, &l4, inner, in->hdr[1], 0);
	ih[7] = in->hdr[8];
	memcpy(il4, in->l4.hdr, copy);
	l4.hdr = il4;
	if (l4.proto != IPPROTO_ICMP)
		old_pseudo = csum_pseudo4(in_src, in_dst, l4.proto, (uint16_t)l4.len);
	new_pseudo = csum_pseudo6(inner->src6, inner->dst6, ih[6], (uint32_t)l4.len);
	inner_l4_rewrite(&l4, copy, old_pseudo, new_pseudo, inner->sport, inner->dport);
	memset(ih + quote, 0, orig - quote);
	if (ext_len)
		memcpy(ih + orig, in->ext, ext_len);

	ipv6_build_header(o, v, &outer_l4, outer, tclass_4to6(ctx->cfg, v->hdr), 0);
	icmp[0] = e->type;
	icmp[1] = e->code;
	put_be16(icmp + 2, 0);
	put_be32(icmp + 4, rest);
	put_be16(icmp + 2,
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
	return XLAT_OK;
}

static enum xlat_verdict xlat_icmp4_error(struct xlat_ctx *ctx, const struct ip4_view *v,
                                          const uint8_t **out, size_t *out_len)
{
	uint8_t *icmp = v->l4;
	struct icmp_err e;
	struct inner_view in;
	struct xlat_addrs outer, inner;
	enum tun64_counter why;
	size_t quoted;

	why = icmp4_err_check(v);
	if (why == XLAT_OK)
		why = icmp4_err_to_icmp6(icmp, &e);
	if (why == XLAT_OK) {
		/* RFC 4884 length attribute: byte 5, in 32-bit words. */
		quoted = icmp_quoted_len(v->l4_len - ICMP_HDR_LEN, icmp[5], 4);
		why = inner4_parse(&in, icmp + ICMP_HDR_LEN, quoted,
		                   ctx->cfg->mode == XLAT_STATELESS);
		icmp_ext_find(&in, icmp + ICMP_HDR_LEN, v->l4_len - ICMP_HDR_LEN, icmp[5], 4);
	}
	/* No Time Exceeded about an error (RFC 1812 §4.3.2.7). */
	if (why == XLAT_OK && v->hdr[8] <= 1)
		why = CTR_DROP_TTL_EXPIRED;
	if (why == XLAT_OK)
		why = map_err_addrs_4to6(ctx, v, &in, &outer, &inner);
	if (why != XLAT_OK)
		return drop(ctx, DIR_4TO6, why);
	if (e.type == ICMP6_PACKET_TOO_BIG)
		e.rest = icmp_ptb_mtu_4to6(ctx->cfg, get_be16(icmp + 6), get_be16(in.hdr + 2));
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
	const uint8_t *in_dst6 = in->hdr + 24;
	enum siit_via in_src_via;

	outer->hairpin = false;
	if (!addr_6to4(cfg, v->hdr + 24, &outer->dst4) || wkp_refuses(cfg, outer->dst4))
		return CTR_DROP_NOT_TRANSLATABLE_DST;
	in_src_via = siit_map_6to4(cfg->eam, &cfg->pool6, in->hdr + 8, &inner->src4);
	if (in_src_via == SIIT_VIA_NONE || wkp_refuses(cfg, inner->src4))
		return CTR_DROP_ICMP_INNER;
	inner->sport = in->l4.sport;
	inner->dport = in->l4.dport;
	if (cfg->mode == XLAT_STATEFUL)
		outer->hairpin = in_pool4(cfg, outer->dst4);
	else
		outer->hairpin = siit_hairpin(cfg->eam, in_src_via, inner->src4) &&
		                 outer->dst4 == inner->src4; /* the error goes where it came from */
	if (cfg->mode == XLAT_STATELESS) {
		if (!addr_6to4(cfg, in_dst6, &inner->dst4) || wkp_refuses(cfg, inner->dst4))
			return CTR_DROP_ICMP_INNER;
		if (!addr_6to4(cfg, v->hdr + 8, &outer->src4) || wkp_refuses(cfg, outer->src4))
			outer->src4 = rfc6791_src4(cfg, v->hdr + 8);
		return XLAT_OK;
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
	if (cfg->rfc6791_pool4_set && memcmp(v->hdr + 8, in_dst6, 16) != 0)
		outer->src4 = rfc6791_src4(cfg, v->hdr + 8);
	return XLAT_OK;
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
	/* RFC 4884 §4.1: byte 5 of Destination Unreachable, Time Exceeded and
	 * Parameter Problem, in 32-bit words. */
	size_t ext_len = e->type == ICMP4_DEST_UNREACH || e->type == ICMP4_TIME_EXCEEDED ||
	                         e->type == ICMP4_PARAM_PROBLEM
	                     ? in->ext_len
	                     : 0;
	size_t room = icmp_quote_room(ICMP4_ERROR_MAX - IPV4_HDR_LEN - ICMP_HDR_LEN, &ext_len, 4) -
	              IPV4_HDR_LEN;
	size_t copy = in->l4_avail < room ? in->l4_avail : room;
	size_t quote = IPV4_HDR_LEN + copy;
	size_t orig = ext_len ? icmp_ext_orig_len(quote, 4) : quote;
	size_t payload = ICMP_HDR_LEN + orig + ext_len;
	uint32_t rest = ext_len ? e->rest | (uint32_t)(orig / 4) << 16 : e->rest;
	struct ip6_view iv = {.hdr = in->hdr};
	struct l4_view l4 = in->l4, outer_l4 = {.proto = IPPROTO_ICMP, .len = payload};
	uint32_t old_pseudo, new_pseudo = 0;

	/* §5.3: translated like an outer header, Hop Limit kept as TTL. */
	/* The quoted packet's own ID is not known here: 0 with DF, an
	 * atomic datagram (RFC 6864 §4.1). */
	ipv4_build_header(ih, &iv, &l4, inner, IPV4_DF, ipv6_tclass(in->hdr));
	ih[8] = in->hdr[7];
	put_be16(ih + 10, 0);
	put_be16(ih + 10, csum_ipv4_header(ih, IPV4_HDR_LEN));
	memcpy(il4, in->l4.hdr, copy);
	l4.hdr = il4;
	old_pseudo =
	    csum_pseudo6(in->hdr + 8, in->hdr + 24,
	                 l4.proto == IPPROTO_ICMP ? IPPROTO_ICMPV6 : l4.proto, (uint32_t)l4.len);
	if (l4.proto != IPPROTO_ICMP)
		new_pseudo = csum_pseudo4(inner->src4, inner->dst4, l4.proto, (uint16_t)l4.len);
	inner_l4_rewrite(&l4, copy, old_pseudo, new_pseudo, inner->sport, inner->dport);
	memset(ih + quote, 0, orig - quote);
	if (ext_len)
		memcpy(ih + orig, in->ext, ext_len);

	ipv4_build_header(o, v, &outer_l4, outer, ipv4_id_frag_6to4(ctx, v, IPV4_HDR_LEN + payload),
	                  tos_6to4(ctx->cfg, v->hdr));
	icmp[0] = e->type;
	icmp[1] = e->code;
	put_be16(icmp + 2, 0);
	put_be32(icmp + 4, rest);
	put_be16(icmp + 2, csum_finish(csum_add_bytes(0, icmp, payload)));
	return IPV4_HDR_LEN + payload;
}

static enum tun64_counter icmp6_err_check(const struct ip6_view *v)
{
	uint32_t sum;

	if (v->l4_len < ICMP_HDR_LEN)
		return CTR_DROP_TRUNCATED;
	sum = csum_pseudo6(v->hdr + 8, v->hdr + 24, IPPROTO_ICMPV6, (uint32_t)v->l4_len);
	if (csum_finish(csum_add_bytes(sum, v->l4, v->l4_len)) != 0)
		return CTR_DROP_BAD_L4_CSUM;
	return XLAT_OK;
}

/* Hairpinning of an ICMPv6 error (RFC 6146 §3.8; RFC 7757 §4, condition B
 * of eam.h): the ICMPv4 error it becomes is addressed to the translator's
 * own IPv4 side and would be routed straight back into the tun, so it goes
 * through §4.2-4.3 at once (hairpin_4to6: counted, one hop). That pass
 * reads the IPv4 error while it writes the ICMPv6 one into ctx->scratch,
 * so the IPv4 error is built in ctx->split instead, with headroom as a
 * packet read from the tun has: no XLAT_SEND_MANY output lives there
 * during an xlat_packet call, and an ICMP error is never split. */
_Static_assert(XLAT_HEADROOM + ICMP4_ERROR_MAX <= XLAT_SPLIT_MAX, "ctx->split holds the error");

static enum xlat_verdict hairpin_icmp_error(struct xlat_ctx *ctx, const struct ip6_view *v,
                                            const struct icmp_err *e, const struct inner_view *in,
                                            const struct xlat_addrs *outer,
                                            const struct xlat_addrs *inner, const uint8_t **out,
                                            size_t *out_len)
{
	struct xlat_pkt pkt = {.buf = ctx->split, .cap = sizeof(ctx->split), .off = XLAT_HEADROOM};
	uint8_t *ip4 = pkt.buf + pkt.off;

	pkt.len = icmp4_err_write(ctx, ip4, v, e, in, outer, inner);
	return hairpin_4to6(ctx, &pkt, ip4, pkt.len, out, out_len);
}

static enum xlat_verdict xlat_icmp6_error(struct xlat_ctx *ctx, const struct ip6_view *v,
                                          const uint8_t **out, size_t *out_len)
{
	uint8_t *icmp = v->l4;
	struct icmp_err e;
	struct inner_view in;
	struct xlat_addrs outer, inner;
	enum tun64_counter why;
	size_t quoted;
	uint8_t len_attr;

	why = icmp6_err_check(v);
	if (why == XLAT_OK)
		why = icmp6_err_to_icmp4(icmp, &e);
	if (why == XLAT_OK) {
		/* RFC 4884 length attribute: byte 4 of Destination
		 * Unreachable and Time Exceeded, in 64-bit words. */
		len_attr =
		    icmp[0] == ICMP6_DEST_UNREACH || icmp[0] == ICMP6_TIME_EXCEEDED ? icmp[4] : 0;
		quoted = icmp_quoted_len(v->l4_len - ICMP_HDR_LEN, len_attr, 8);
		why = inner6_parse(&in, icmp + ICMP_HDR_LEN, quoted,
		                   ctx->cfg->mode == XLAT_STATELESS);
		icmp_ext_find(&in, icmp + ICMP_HDR_LEN, v->l4_len - ICMP_HDR_LEN, len_attr, 8);
	}
	/* No Time Exceeded about an error (RFC 4443 §2.4(e)). */
	if (why == XLAT_OK && v->hdr[7] <= 1)
		why = CTR_DROP_TTL_EXPIRED;
	if (why == XLAT_OK)
		why = map_err_addrs_6to4(ctx, v, &in, &outer, &inner);
	if (why != XLAT_OK)
		return drop(ctx, DIR_6TO4, why);
	if (icmp[0] == ICMP6_PACKET_TOO_BIG)
		e.rest = icmp_ptb_mtu_6to4(ctx->cfg, get_be32(icmp + 4));
	if (outer.hairpin)
		return hairpin_icmp_error(ctx, v, &e, &in, &outer, &inner, out, out_len);
	return send_icmp_translated(ctx, DIR_6TO4,
	                            icmp4_err_write(ctx, ctx->scratch, v, &e, &in, &outer, &inner),
	                            out, out_len);
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
	return emit_icmp_error(
	    ctx, DIR_4TO6,
	    icmp4_build_error(ctx, ICMP4_DEST_UNREACH, ICMP4_PORT_UNREACH, 0, ctx->split, len), out,
	    out_len);
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
		return xlat_4to6(ctx, pkt, false, out, out_len);
	}
	ctx->ctr->v[DIR_6TO4][CTR_RX]++;
	return drop(ctx, DIR_6TO4, pkt->len ? CTR_DROP_BAD_VERSION : CTR_DROP_TRUNCATED);
}
