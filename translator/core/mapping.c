/* SPDX-License-Identifier: BSD-2-Clause */
/* Addresses and state for one packet: RFC 6052 and RFC 7757 (EAM) mapping,
 * the address checks, pool4 and the RFC 6146 lookups (BIB, sessions, the
 * first-fragment table, held SYNs). Each refusal names its counter and its
 * ICMP error together (struct refusal); the callers send or drop. */
#include "rfc7915.h"

#include "eam.h"
#include "frag.h"
#include "synhold.h"

/* RFC 7915 §5.4, RFC 6146 §3.5: an IPv6 packet that no state could be
 * made for gets Address Unreachable, one a policy refuses Administratively
 * Prohibited; a packet that found no state or was filtered, nothing. */
static struct refusal nat64_refusal_6to4(enum nat64_result r)
{
	switch (r) {
	case NAT64_OK:
		return NOT_REFUSED;
	case NAT64_NO_STATE:
		return refuse(CTR_DROP_NO_STATE);
	case NAT64_FILTERED:
		return refuse(CTR_DROP_FILTERED);
	case NAT64_POOL4_EXHAUSTED:
		return refuse_icmp(CTR_DROP_POOL4_EXHAUSTED, ICMP6_DST_UNREACH,
		                   ICMP6_DST_UNREACH_ADDR);
	case NAT64_SESSION_LIMIT:
		return refuse_icmp(CTR_DROP_SESSION_LIMIT, ICMP6_DST_UNREACH,
		                   ICMP6_DST_UNREACH_ADDR);
	case NAT64_NOMEM:
		break;
	case NAT64_NOT_ALLOWED:
		return refuse_icmp(CTR_DROP_NOT_ALLOWED, ICMP6_DST_UNREACH,
		                   ICMP6_DST_UNREACH_ADMIN);
	case NAT64_CLIENT_QUOTA:
		return refuse_icmp(CTR_DROP_CLIENT_QUOTA, ICMP6_DST_UNREACH,
		                   ICMP6_DST_UNREACH_ADMIN);
	}
	return refuse_icmp(CTR_DROP_NOMEM, ICMP6_DST_UNREACH, ICMP6_DST_UNREACH_ADDR);
}

/* RFC 7915 §4.4, RFC 6146 §3.5: an IPv4 packet for which no session leads
 * anywhere gets Host Unreachable (a TCP segment none, as from a firewall;
 * a bare SYN is held instead), a filtered one Administratively Prohibited
 * (or held, if a bare SYN). Running out of room on the way in: nothing.
 * UDP to a pool4 transport address with no mapping gets Port Unreachable:
 * RFC 6146 §3.5.1 discards it without naming a code, and to the IPv4 side
 * (T,t) is a port of this host with no listener, which RFC 1122 §4.1.3.1
 * (RFC 792) answers with Port Unreachable; that is what traceroute and
 * UDP applications wait for. */
static struct refusal nat64_refusal_4to6(enum nat64_result r, uint8_t proto)
{
	struct refusal no_state =
	    refuse_icmp(CTR_DROP_NO_STATE, ICMP_UNREACH,
	                proto == IPPROTO_UDP ? ICMP_UNREACH_PORT : ICMP_UNREACH_HOST);
	struct refusal filtered =
	    refuse_icmp(CTR_DROP_FILTERED, ICMP_UNREACH, ICMP_UNREACH_FILTER_PROHIB);

	switch (r) {
	case NAT64_OK:
		return NOT_REFUSED;
	case NAT64_NO_STATE:
		if (proto == IPPROTO_TCP)
			no_state = refuse(CTR_DROP_NO_STATE);
		no_state.syn_hold = true;
		return no_state;
	case NAT64_FILTERED:
		filtered.syn_hold = true;
		return filtered;
	case NAT64_POOL4_EXHAUSTED:
		return refuse(CTR_DROP_POOL4_EXHAUSTED);
	case NAT64_SESSION_LIMIT:
		return refuse(CTR_DROP_SESSION_LIMIT);
	case NAT64_NOMEM:
		break;
	case NAT64_NOT_ALLOWED:
		return refuse(CTR_DROP_NOT_ALLOWED);
	case NAT64_CLIENT_QUOTA:
		return refuse(CTR_DROP_CLIENT_QUOTA);
	}
	return refuse(CTR_DROP_NOMEM);
}

bool in_pool4(const struct xlat_config *cfg, uint32_t a)
{
	for (size_t i = 0; i < cfg->n_pool4; i++)
		if (prefix4_contains(&cfg->pool4[i], a))
			return true;
	return false;
}

/* FNV-1a: a cheap, stable hash for address selection and flow labels
 * (not for anything an attacker could aim at: no table is indexed by it). */
uint32_t fnv1a(uint32_t h, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

/* RFC 6052 §3.1: the well-known prefix must not carry non-global IPv4. An
 * address with an explicit mapping (RFC 7757) is not carried by it. */
bool wkp_refuses(const struct xlat_config *cfg, uint32_t a)
{
	return !cfg->wkp_allow_private && prefix6_is_wkp(&cfg->pool6) && !addr4_is_global(a) &&
	       !eam_has4(cfg->eam, a);
}

/* The one IPv4 address check of both directions, for the packet and for
 * the packet an ICMP error quotes alike: never forwarded (addr.h), or a
 * non-global address the well-known prefix may not carry (RFC 6052 §3.1).
 * The outer checks call its two halves apart only to count them apart. */
bool addr4_untranslatable(const struct xlat_config *cfg, uint32_t a)
{
	return addr4_never_forwarded(a) || wkp_refuses(cfg, a);
}

/* §5.1 addresses: the destination is an IPv4 address inside pool6; the
 * source comes from the state table (stateful) or pool6 (stateless). */
static struct refusal map_addrs_6to4(struct xlat_ctx *ctx, const struct ip6_view *v,
                                     const struct l4_view *l4, struct xlat_addrs *a)
{
	const struct xlat_config *cfg = ctx->cfg;
	const uint8_t *src6 = v->hdr + IP6_SRC;
	struct nat64_flow6 flow;
	enum nat64_result r;
	bool syn;

	a->sport = l4->sport;
	a->dport = l4->dport;
	if (cfg->mode == XLAT_STATELESS)
		return NOT_REFUSED; /* mapped already by check_addrs_6to4 */
	flow.proto = l4->proto;
	memcpy(flow.src6, src6, 16);
	flow.sport = l4->sport;
	flow.dst4 = a->dst4;
	flow.dport = l4->dport;
	flow.want4 = 0;
	flow.want_port = 0;
	flow.len = (uint32_t)v->len;
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
		ctr_add(ctx->ctr, DIR_6TO4, CTR_SYN_HOLD_MATCHED,
		        synhold_cancel(ctx->synhold, a->dst4, a->dport, a->src4, a->sport));
	return nat64_refusal_6to4(r);
}

/* The one address mapping of both directions: RFC 7757 EAM entries first
 * (stateless mode has them; cfg->eam is NULL in stateful mode), else
 * RFC 6052 with pool6. 4->6 always succeeds; 6->4 fails outside both. */
bool addr_4to6(const struct xlat_config *cfg, uint32_t a, uint8_t out[16])
{
	return siit_addr_4to6(cfg->eam, &cfg->pool6, a, out);
}

bool addr_6to4(const struct xlat_config *cfg, const uint8_t a[16], uint32_t *out)
{
	return siit_addr_6to4(cfg->eam, &cfg->pool6, a, out);
}

/* The key of an IPv6 datagram in the fragment table: (source, IPv4
 * destination, Identification, protocol). */
static void frag_key_6to4(struct frag_key *k, const struct ip6_view *v, uint32_t dst4)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->src, v->hdr + IP6_SRC, 16);
	put_be32(k->dst, dst4);
	k->id = v->frag_id;
	k->proto = v->proto;
	k->from_v6 = 1;
}

/* Stateful fragments (RFC 6146 §3.4): a first fragment is translated like
 * a whole packet and leaves its source address T for the later ones, which
 * take it from the table (their ports are not theirs to change). */
struct refusal map_addrs_6to4_fragment(struct xlat_ctx *ctx, const struct ip6_view *v,
                                       const struct l4_view *l4, struct xlat_addrs *a)
{
	struct frag_key k;
	uint8_t t[16] = {0};
	struct refusal why;

	if (ctx->cfg->mode == XLAT_STATELESS)
		return map_addrs_6to4(ctx, v, l4, a);
	frag_key_6to4(&k, v, a->dst4);
	if (ip6_later_fragment(v)) {
		if (!ctx->frags || !frag_lookup(ctx->frags, &k, t, ctx->now_ms))
			return refuse(CTR_DROP_FRAGMENT); /* first fragment not seen (yet) */
		a->src4 = get_be32(t);
		return NOT_REFUSED;
	}
	why = map_addrs_6to4(ctx, v, l4, a);
	if (!refused(why) && v->frag_more && ctx->frags) {
		put_be32(t, a->src4);
		frag_remember(ctx->frags, &k, t, ctx->now_ms);
	}
	return why;
}

/* §4.1 addresses: source Z embedded in pool6; destination from the state
 * (stateful: (X',x) = nat64_in) or embedded too (stateless). */
static struct refusal map_addrs_4to6(struct xlat_ctx *ctx, const struct ip4_view *v,
                                     const struct l4_view *l4, struct xlat_addrs *a)
{
	const struct xlat_config *cfg = ctx->cfg;
	struct refusal not_dst =
	    refuse_icmp(CTR_DROP_NOT_TRANSLATABLE_DST, ICMP_UNREACH, ICMP_UNREACH_FILTER_PROHIB);
	struct nat64_flow4 flow;
	enum nat64_result r;

	/* RFC 7757 §4: a hairpinned sender is named by RFC 6052 only (eam.h). */
	if (v->hairpin && cfg->mode == XLAT_STATELESS)
		rfc6052_embed(&cfg->pool6, v->src, a->src6);
	else if (!addr_4to6(cfg, v->src, a->src6))
		return refuse_icmp(CTR_DROP_NOT_TRANSLATABLE_SRC, ICMP_UNREACH,
		                   ICMP_UNREACH_FILTER_PROHIB);
	a->sport = l4->sport;
	a->dport = l4->dport;
	if (cfg->mode == XLAT_STATELESS)
		return addr_4to6(cfg, v->dst, a->dst6) ? NOT_REFUSED : not_dst;
	flow.proto = l4->proto;
	flow.src4 = v->src;
	flow.sport = l4->sport;
	flow.dst4 = v->dst;
	flow.dport = l4->dport;
	flow.len = (uint32_t)v->len;
	r = nat64_in(ctx->nat, &flow, l4->tcp_flags, ctx->now_ms, a->dst6, &a->dport);
	if (l4->proto == IPPROTO_ICMP)
		a->sport = a->dport; /* the identifier is both "ports" */
	return nat64_refusal_4to6(r, v->hdr[IP4_PROTO]);
}

/* RFC 6146 §3.5.2.2: an IPv4 SYN (no ACK) that found no BIB entry, or one
 * whose filter refused (Z,z), is held for 6 s, not answered (synhold.h).
 * False when it cannot be held (no table or a full one, a fragment, a
 * hairpinned packet, not a bare SYN). */
bool hold_syn(struct xlat_ctx *ctx, const struct ip4_view *v, const struct l4_view *l4)
{
	if (!ctx->synhold || l4->proto != IPPROTO_TCP || v->frag || v->hairpin)
		return false;
	if ((l4->tcp_flags & (NAT64_TCP_SYN | NAT64_TCP_ACK | NAT64_TCP_RST)) != NAT64_TCP_SYN)
		return false;
	return synhold_add(ctx->synhold, v->hdr, v->len, v->src, l4->sport, v->dst, l4->dport,
	                   ctx->now_ms);
}

/* The key of an IPv4 datagram in the fragment table. */
static void frag_key_4to6(struct frag_key *k, const struct ip4_view *v)
{
	memset(k, 0, sizeof(*k));
	put_be32(k->src, v->src);
	put_be32(k->dst, v->dst);
	k->id = get_be16(v->hdr + IP4_ID);
	k->proto = v->hdr[IP4_PROTO];
	k->from_v6 = 0;
}

/* Stateful fragments (RFC 6146 §3.4): the first fragment finds (X',x) in
 * the session table and leaves X' for the later ones. */
struct refusal map_addrs_4to6_fragment(struct xlat_ctx *ctx, const struct ip4_view *v,
                                       const struct l4_view *l4, struct xlat_addrs *a)
{
	struct frag_key k;
	struct refusal why;
	bool more = get_be16(v->hdr + IP4_OFF) & IP_MF;

	if (ctx->cfg->mode == XLAT_STATELESS || !v->frag)
		return map_addrs_4to6(ctx, v, l4, a);
	frag_key_4to6(&k, v);
	if (ip4_later_fragment(v)) {
		if (!addr_4to6(ctx->cfg, v->src, a->src6))
			return refuse_icmp(CTR_DROP_NOT_TRANSLATABLE_SRC, ICMP_UNREACH,
			                   ICMP_UNREACH_FILTER_PROHIB);
		if (!ctx->frags || !frag_lookup(ctx->frags, &k, a->dst6, ctx->now_ms))
			return refuse(CTR_DROP_FRAGMENT); /* first fragment not seen (yet) */
		return NOT_REFUSED;
	}
	why = map_addrs_4to6(ctx, v, l4, a);
	if (!refused(why) && more && ctx->frags)
		frag_remember(ctx->frags, &k, a->dst6, ctx->now_ms);
	return why;
}
