/* SPDX-License-Identifier: BSD-2-Clause */
/* Private to the translation core (the files of RFC 7915: xlat*.c, hdr.c,
 * mapping.c, own.c, l4.c, icmp_*.c): the views of a packet being translated
 * and the functions the sections share, file by file, lowest first.
 * Callers outside translator/core use xlat.h only. */
#ifndef TUN64_RFC7915_H
#define TUN64_RFC7915_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "checksum.h"
#include "wire.h"
#include "xlat.h"

/* No drop reason: the check passed (helpers that return enum tun64_counter). */
#define CTR_NONE CTR_MAX

/* RFC 4884: an original datagram of at least 128 bytes before an extension
 * structure, whose 4-byte header starts with version 2. */
#define ICMP_EXT_MIN_ORIG 128
#define ICMP_EXT_HDR_LEN 4
#define ICMP_EXT_VERSION 2
#define ICMP_ERROR_HOP_LIMIT 64
/* RFC 4443 §2.4(c): an ICMPv6 error must not exceed the minimum IPv6 MTU. */
#define ICMP6_ERROR_MAX 1280
/* RFC 1812 §4.3.2.3: an ICMPv4 error carries at most 576 bytes in all. */
#define ICMP4_ERROR_MAX 576
#define IPV6_MIN_MTU 1280

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

/* The FNV-1a offset basis, the first h of fnv1a(). */
#define FNV1A_INIT 2166136261u

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
	bool ext_after_frag;       /* refused: an extension header follows the Fragment header */
	uint32_t proto_at;         /* offset of the Next Header byte that names proto */
};

/* A fragment, and not the first of its datagram: no transport header. */
static inline bool ip6_later_fragment(const struct ip6_view *v)
{
	return v->frag && v->frag_offset != 0;
}

/* RFC 6946 §4: a Fragment header with offset 0 and M=0 (an "atomic
 * fragment") makes no fragment: the packet is processed in isolation, as a
 * whole one, with the Fragment header's fields for IPv4 (RFC 7915 §5.1.1). */
static inline bool ip6_atomic_fragment(const struct ip6_view *v)
{
	return v->frag && v->frag_offset == 0 && !v->frag_more;
}

/* Part of a larger datagram: a fragment that is not atomic. */
static inline bool ip6_fragmented(const struct ip6_view *v)
{
	return v->frag && !ip6_atomic_fragment(v);
}

struct ip4_view {
	uint8_t *hdr;
	size_t hlen;
	size_t len; /* trimmed to Total Length */
	uint32_t src, dst;
	uint8_t *l4; /* a later fragment: its payload */
	size_t l4_len;
	bool frag;            /* MF set or offset != 0 */
	uint16_t frag_offset; /* in 8-byte units */
	bool hairpin;         /* translated from IPv6 just before (XR_HAIRPIN) */
	bool source_route;    /* an unexpired LSRR/SSRR option (ipv4_check_options) */
};

static inline bool ip4_later_fragment(const struct ip4_view *v)
{
	return v->frag && v->frag_offset != 0;
}

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
	/* A quoted fragment (RFC 7915 §4.3, §5.3): its Identification (IPv6:
	 * 32 bits), offset in 8-byte units and M flag; later_frag: not the
	 * first, so no transport header. */
	bool frag, frag_more, later_frag;
	uint16_t frag_offset;
	uint32_t frag_id;
};

/* Why a packet is refused, named where it is refused: the counter it
 * bumps and the ICMP error of its own family it SHOULD get back under
 * icmp-unreachable (RFC 7915 §4.4, §5.4; RFC 6146 §3.5), or none. */
struct refusal {
	enum tun64_counter ctr; /* CTR_NONE: not refused */
	uint8_t icmp_type;      /* 0: dropped without an error */
	uint8_t icmp_code;
	bool syn_hold; /* 4to6: a bare SYN refused so is held instead (RFC 6146 §3.5.2.2) */
};

#define NOT_REFUSED ((struct refusal){.ctr = CTR_NONE})

static inline struct refusal refuse(enum tun64_counter ctr)
{
	return (struct refusal){.ctr = ctr};
}

static inline struct refusal refuse_icmp(enum tun64_counter ctr, uint8_t type, uint8_t code)
{
	return (struct refusal){.ctr = ctr, .icmp_type = type, .icmp_code = code};
}

static inline bool refused(struct refusal r)
{
	return r.ctr != CTR_NONE;
}

/* What one pass over a packet decided; xlat_packet() makes it the
 * enum xlat_verdict its caller sees (xlat_verdict_of). */
enum xlat_result {
	XR_TRANSLATED,      /* *out: translated in place, or an ICMP error into ctx->scratch */
	XR_TRANSLATED_MANY, /* *out: IPv6 fragments back to back in ctx->split */
	XR_ICMP_ERROR,      /* *out: an error the translator built, in ctx->scratch */
	XR_DROPPED,         /* counted */
	XR_HELD,            /* 4to6: a SYN kept by synhold, counted */
	XR_HAIRPIN,         /* 6to4 only: *hp is an IPv4 packet for §4, to go through once */
};

/* Results every file of the translation returns. */
static inline enum xlat_result drop(struct xlat_ctx *ctx, enum tun64_dir dir,
                                    enum tun64_counter why)
{
	ctr_add(ctx->ctr, dir, why, 1);
	return XR_DROPPED;
}

static inline enum xlat_result send_translated(struct xlat_ctx *ctx, enum tun64_dir dir,
                                               struct xlat_pkt *pkt, uint8_t *start, size_t len,
                                               const uint8_t **out, size_t *out_len)
{
	pkt->off = (size_t)(start - pkt->buf);
	pkt->len = len;
	*out = start;
	*out_len = len;
	ctr_add(ctx->ctr, dir, CTR_TRANSLATED, 1);
	return XR_TRANSLATED;
}

static inline enum xlat_verdict xlat_verdict_of(enum xlat_result r)
{
	switch (r) {
	case XR_TRANSLATED:
	case XR_ICMP_ERROR:
		return XLAT_SEND;
	case XR_TRANSLATED_MANY:
		return XLAT_SEND_MANY;
	case XR_DROPPED:
	case XR_HELD:
	case XR_HAIRPIN:
		break;
	}
	return XLAT_DROP;
}

/* mapping.c */
bool in_pool4(const struct xlat_config *cfg, uint32_t a);
uint32_t fnv1a(uint32_t h, const uint8_t *p, size_t len);
bool wkp_refuses(const struct xlat_config *cfg, uint32_t a);
bool addr4_untranslatable(const struct xlat_config *cfg, uint32_t a);
bool addr_4to6(const struct xlat_config *cfg, uint32_t a, uint8_t out[16]);
bool addr_6to4(const struct xlat_config *cfg, const uint8_t a[16], uint32_t *out);
struct refusal map_addrs_6to4_fragment(struct xlat_ctx *ctx, const struct ip6_view *v,
                                       const struct l4_view *l4, struct xlat_addrs *a);
struct refusal map_addrs_4to6_fragment(struct xlat_ctx *ctx, const struct ip4_view *v,
                                       const struct l4_view *l4, struct xlat_addrs *a);
bool hold_syn(struct xlat_ctx *ctx, const struct ip4_view *v, const struct l4_view *l4);

/* own.c */
enum xlat_result xlat_own_6to4(struct xlat_ctx *ctx, const struct ip6_view *v, const uint8_t **out,
                               size_t *out_len);
bool xlat_is_own4(const struct xlat_config *cfg, const struct ip4_view *v);
enum xlat_result xlat_own_4to6(struct xlat_ctx *ctx, const struct ip4_view *v, const uint8_t **out,
                               size_t *out_len);

/* icmp_err.c */
enum xlat_result send_icmp_error(struct xlat_ctx *ctx, enum tun64_dir dir, enum tun64_counter why,
                                 size_t len, const uint8_t **out, size_t *out_len);
size_t icmp6_build_error(struct xlat_ctx *ctx, uint8_t type, uint8_t code, uint32_t rest,
                         const uint8_t *ip6, size_t len);
size_t icmp4_build_error(struct xlat_ctx *ctx, uint8_t type, uint8_t code, uint32_t rest,
                         const uint8_t *ip4, size_t len);

/* icmp_map.c */
bool icmp6_to_icmp4_type(uint8_t type, uint8_t code, uint8_t *type4, uint8_t *code4);
bool icmp4_to_icmp6_type(uint8_t type, uint8_t code, uint8_t *type6, uint8_t *code6);
enum tun64_counter icmp4_err_to_icmp6(const uint8_t *icmp, struct icmp_err *e);
enum tun64_counter icmp6_err_to_icmp4(const uint8_t *icmp, struct icmp_err *e);
uint32_t icmp_ptb_mtu_4to6(const struct xlat_config *cfg, uint16_t mtu4, uint16_t quoted_total_len);
uint32_t icmp_ptb_mtu_6to4(const struct xlat_config *cfg, uint32_t mtu6, bool quoted_frag);

/* l4.c */
enum tun64_counter icmp_parse(struct l4_view *v, bool from_v6);
bool l4_opaque_ok(uint8_t proto);
bool l4_carried(uint8_t proto, bool opaque);
bool l4_pseudo_csum(uint8_t proto);
enum tun64_counter l4_parse(struct l4_view *v, uint8_t proto, uint8_t *hdr, size_t len,
                            bool fragmented);
enum tun64_counter l4_later_fragment(struct l4_view *v, uint8_t proto, uint8_t *data, size_t len,
                                     uint16_t offset_units);
void l4_rewrite(const struct l4_view *v, uint32_t old_pseudo, uint32_t new_pseudo, uint16_t sport,
                uint16_t dport);
void l4_finish_partial(const struct l4_view *l4);
bool udp_lacks_checksum(const struct l4_view *l4);
unsigned l4_gso_segs(const struct l4_view *l4, uint16_t gso_size);
bool fragment_overflows(bool frag, uint16_t offset_units, size_t len);

/* hdr.c */
enum tun64_counter ipv6_skip_ext_headers(struct ip6_view *v);
uint8_t ipv6_tclass(const uint8_t *ip6);
uint8_t tos_6to4(const struct xlat_config *cfg, const uint8_t *ip6);
void ipv4_build_header(uint8_t o[IPV4_HDR_LEN], const struct ip6_view *v, const struct l4_view *l4,
                       const struct xlat_addrs *a, uint32_t id_frag, uint8_t tos);
uint32_t ipv4_id_frag_6to4(struct xlat_ctx *ctx, const struct ip6_view *v, size_t total,
                           unsigned ids);
uint8_t tclass_4to6(const struct xlat_config *cfg, const uint8_t *ip4);
uint32_t flow_label_4to6(const struct xlat_config *cfg, const struct ip4_view *v,
                         const struct l4_view *l4, const struct xlat_addrs *a);
void ipv6_build_header(uint8_t o[IPV6_HDR_LEN], const struct ip4_view *v, const struct l4_view *l4,
                       const struct xlat_addrs *a, uint8_t tclass, uint32_t flow_label);
void ipv6_build_fragment_header(uint8_t fh[IPV6_FRAG_HDR_LEN], uint8_t ip6_hdr[IPV6_HDR_LEN],
                                const struct ip4_view *v);

/* xlat_6to4.c, xlat_4to6.c: one direction each */
enum xlat_result xlat_6to4(struct xlat_ctx *ctx, struct xlat_pkt *pkt, struct xlat_pkt *hp,
                           const uint8_t **out, size_t *out_len);
enum xlat_result xlat_4to6(struct xlat_ctx *ctx, struct xlat_pkt *pkt, bool hairpin,
                           const uint8_t **out, size_t *out_len);

/* icmp_xlat.c */
bool icmp6_is_error(const struct ip6_view *v);
bool icmp4_is_error(const struct ip4_view *v);
enum xlat_result xlat_icmp6_error(struct xlat_ctx *ctx, const struct ip6_view *v,
                                  struct xlat_pkt *hp, const uint8_t **out, size_t *out_len);
enum xlat_result xlat_icmp4_error(struct xlat_ctx *ctx, const struct ip4_view *v,
                                  const uint8_t **out, size_t *out_len);
bool icmp4_err_src_allowed(const struct xlat_config *cfg, const struct ip4_view *v);

#endif
