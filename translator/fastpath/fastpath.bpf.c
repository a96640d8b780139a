/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* The tc fast path (issue 13): a SCHED_CLS program on the tun's egress.
 * A packet of a session tun64d has put in the session map is translated
 * here, RFC 7915 §4.1 / §5.1 as translator/core does (xlat_4to6.c,
 * xlat_6to4.c, l4.c: the reference), and redirected to the tun's own
 * ingress, as if tun64d had written it. Everything else goes on to the tun
 * (TC_ACT_OK) and tun64d, with the reason counted.
 *
 * The tun is an L3 device: the IP header starts at offset 0 (at ETH_HLEN
 * under BPF_PROG_TEST_RUN, which runs tc programs on Ethernet frames). */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <stddef.h>

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "fastpath_maps.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 262144);
	__type(key, struct fp_key);
	__type(value, struct fp_session);
} fp_sessions SEC(".maps");

/* Userspace's alone (struct fp_reported); allocated as used. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 262144);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct fp_key);
	__type(value, struct fp_reported);
} fp_reported SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fp_config);
} fp_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FP_COUNTER_MAX);
	__type(key, __u32);
	__type(value, __u64);
} fp_counters SEC(".maps");

#define IPV4_HDR_LEN 20
#define IPV6_HDR_LEN 40
#define IP_DF 0x4000
#define IP_MF 0x2000
#define IP_OFFMASK 0x1fff
/* RFC 7915 §5.1, as IPV4_DF_MAX_LEN in xlat.h */
#define IPV4_DF_MAX_LEN 1260
#define FNV1A_INIT 2166136261u
#define FNV1A_PRIME 16777619u
/* linux/icmp.h pulls in libc headers a BPF target has not: the echo
 * header (RFC 792, RFC 4443 §4.1, the same layout) and its types here. */
struct echohdr {
	__u8 type;
	__u8 code;
	__sum16 checksum;
	__be16 id;
	__be16 sequence;
};
#define ICMP_ECHOREPLY 0
#define ICMP_ECHO 8
#define ICMPV6_ECHO_REQUEST 128
#define ICMPV6_ECHO_REPLY 129
#define TCP_FLAG_BYTE 13 /* the byte of struct tcphdr that holds FIN..CWR */
#define TCP_FIN_SYN_RST 0x07

/* What the parse of one packet found. l4_len: transport header and payload;
 * pseudo: the pseudo-header as 32-bit words for bpf_csum_diff. */
struct pkt {
	struct fp_key key;
	__u32 l3;     /* where the IP header starts: 0, or ETH_HLEN under test */
	__u32 l3_len; /* the IP header: 20 or 40 */
	__u32 l4_len;
	__u8 ttl;    /* TTL or hop limit */
	__u8 tclass; /* TOS or Traffic Class */
	__u8 icmp_type, icmp_code;
	__u16 frag_off;  /* IPv4 flags and offset, host order */
	__u16 csum_off;  /* offset of the transport checksum from the IP header */
	__be16 old_word; /* ICMP: type and code as on the wire */
	__u8 tcp_doff;   /* TCP header length in bytes */
};

static __always_inline void count(__u32 c)
{
	__u64 *v = bpf_map_lookup_elem(&fp_counters, &c);

	if (v)
		*v += 1;
}

/* A packet translated: the session's last-seen time and counts (len: the
 * IP bytes as they came). */
static __always_inline void touch(struct fp_session *s, __u32 len)
{
	s->last_seen_ns = bpf_ktime_get_ns();
	__sync_fetch_and_add(&s->packets, 1);
	__sync_fetch_and_add(&s->bytes, len);
}

static __always_inline int punt(__u32 why)
{
	count(why);
	return TC_ACT_OK;
}

/* One's complement sum to the 16-bit checksum, as csum_finish(). */
static __always_inline __u16 csum_fold_finish(__u64 s)
{
	s = (s & 0xffffffff) + (s >> 32);
	s = (s & 0xffffffff) + (s >> 32);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (__u16)~s;
}

/* TCP, UDP (checksum present, length agreeing) or ICMP echo: the ports or
 * identifier into the key. proto: the protocol as the packet names it. */
static __always_inline __u32 parse_l4(struct __sk_buff *skb, struct pkt *p, __u8 proto)
{
	__u32 off = p->l3 + p->l3_len;

	p->key.proto = proto;
	if (proto == IPPROTO_TCP) {
		struct tcphdr th;

		if (p->l4_len < sizeof(th) || bpf_skb_load_bytes(skb, off, &th, sizeof(th)))
			return FP_PUNT_MALFORMED;
		if (((__u8 *)&th)[TCP_FLAG_BYTE] & TCP_FIN_SYN_RST)
			return FP_PUNT_TCP_FLAGS;
		p->key.sport = th.source;
		p->key.dport = th.dest;
		p->tcp_doff = th.doff * 4;
		p->csum_off = off + offsetof(struct tcphdr, check);
		return FP_COUNTER_MAX;
	}
	if (proto == IPPROTO_UDP) {
		struct udphdr uh;

		if (p->l4_len < sizeof(uh) || bpf_skb_load_bytes(skb, off, &uh, sizeof(uh)))
			return FP_PUNT_MALFORMED;
		if (bpf_ntohs(uh.len) != p->l4_len)
			return FP_PUNT_MALFORMED;
		if (uh.check == 0)
			return FP_PUNT_UDP_NO_CSUM;
		p->key.sport = uh.source;
		p->key.dport = uh.dest;
		p->csum_off = off + offsetof(struct udphdr, check);
		return FP_COUNTER_MAX;
	}
	if (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6) {
		struct echohdr ih;

		if (p->l4_len < sizeof(ih) || bpf_skb_load_bytes(skb, off, &ih, sizeof(ih)))
			return FP_PUNT_MALFORMED;
		/* RFC 7915 §4.2, §5.2: echo request and reply, code copied */
		if (proto == IPPROTO_ICMPV6 && ih.type == ICMPV6_ECHO_REQUEST)
			p->icmp_type = ICMP_ECHO;
		else if (proto == IPPROTO_ICMPV6 && ih.type == ICMPV6_ECHO_REPLY)
			p->icmp_type = ICMP_ECHOREPLY;
		else if (proto == IPPROTO_ICMP && ih.type == ICMP_ECHO)
			p->icmp_type = ICMPV6_ECHO_REQUEST;
		else if (proto == IPPROTO_ICMP && ih.type == ICMP_ECHOREPLY)
			p->icmp_type = ICMPV6_ECHO_REPLY;
		else
			return FP_PUNT_ICMP;
		p->icmp_code = ih.code;
		p->old_word = *(__be16 *)&ih;
		p->key.sport = ih.id;
		p->key.dport = ih.id;
		p->csum_off = off + offsetof(struct echohdr, checksum);
		return FP_COUNTER_MAX;
	}
	return FP_PUNT_PROTO;
}

/* An IPv6 packet with no extension header, whole (Payload Length = skb). */
static __always_inline __u32 parse_ipv6(struct __sk_buff *skb, struct pkt *p, struct ipv6hdr *h)
{
	if (bpf_skb_load_bytes(skb, p->l3, h, sizeof(*h)) || h->version != 6)
		return FP_PUNT_MALFORMED;
	if (p->l3 + IPV6_HDR_LEN + bpf_ntohs(h->payload_len) != skb->len)
		return FP_PUNT_MALFORMED;
	if (h->nexthdr == IPPROTO_FRAGMENT)
		return FP_PUNT_FRAGMENT;
	if (h->nexthdr == IPPROTO_HOPOPTS || h->nexthdr == IPPROTO_ROUTING ||
	    h->nexthdr == IPPROTO_DSTOPTS)
		return FP_PUNT_EXT_HDR;
	if (h->nexthdr != IPPROTO_TCP && h->nexthdr != IPPROTO_UDP && h->nexthdr != IPPROTO_ICMPV6)
		return FP_PUNT_PROTO;
	p->key.family = FP_FAMILY_6;
	__builtin_memcpy(p->key.src, &h->saddr, 16);
	__builtin_memcpy(p->key.dst, &h->daddr, 16);
	p->l3_len = IPV6_HDR_LEN;
	p->l4_len = bpf_ntohs(h->payload_len);
	p->ttl = h->hop_limit;
	p->tclass = h->priority << 4 | h->flow_lbl[0] >> 4;
	return parse_l4(skb, p, h->nexthdr);
}

/* An IPv4 packet with no options, not a fragment, a valid header checksum
 * (xlat_4to6.c drops a bad one) and Total Length = skb. */
static __always_inline __u32 parse_ipv4(struct __sk_buff *skb, struct pkt *p, struct iphdr *h)
{
	if (bpf_skb_load_bytes(skb, p->l3, h, sizeof(*h)) || h->version != 4)
		return FP_PUNT_MALFORMED;
	if (h->ihl != 5)
		return h->ihl < 5 ? FP_PUNT_MALFORMED : FP_PUNT_OPTIONS;
	if (p->l3 + bpf_ntohs(h->tot_len) != skb->len)
		return FP_PUNT_MALFORMED;
	if (csum_fold_finish(bpf_csum_diff(0, 0, (__be32 *)h, sizeof(*h), 0)) != 0)
		return FP_PUNT_MALFORMED;
	p->frag_off = bpf_ntohs(h->frag_off);
	if (p->frag_off & (IP_MF | IP_OFFMASK))
		return FP_PUNT_FRAGMENT;
	if (h->protocol != IPPROTO_TCP && h->protocol != IPPROTO_UDP && h->protocol != IPPROTO_ICMP)
		return FP_PUNT_PROTO;
	p->key.family = FP_FAMILY_4;
	__builtin_memcpy(p->key.src, &h->saddr, 4);
	__builtin_memcpy(p->key.dst, &h->daddr, 4);
	p->l3_len = IPV4_HDR_LEN;
	p->l4_len = bpf_ntohs(h->tot_len) - IPV4_HDR_LEN;
	p->ttl = h->ttl;
	p->tclass = h->tos;
	return parse_l4(skb, p, h->protocol);
}

/* Segments a GSO TCP packet leaves as (l4_gso_segs in core/l4.c), 1 if not
 * GSO; 0: a GSO packet this program does not take. */
static __always_inline __u32 gso_segs(struct __sk_buff *skb, const struct pkt *p)
{
	__u32 payload;

	if (!skb->gso_size)
		return 1;
	if (p->key.proto != IPPROTO_TCP)
		return 0;
	payload = p->l4_len > p->tcp_doff ? p->l4_len - p->tcp_doff : 0;
	if (payload == 0)
		return 1;
	return (payload + skb->gso_size - 1) / skb->gso_size;
}

/* The transport rewrite, at the transport's offset after
 * bpf_skb_change_proto (new_l3). Ports (not in the pseudo-header) and the
 * pseudo-header change go in separate updates so that a CHECKSUM_PARTIAL
 * skb, whose field holds the pseudo-header sum only, gets the second alone
 * (BPF_F_PSEUDO_HDR), as l4_rewrite_partial() does. ICMP: one update, the
 * pseudo-header being data to ICMPv4's checksum. UDP: a result of 0 is sent
 * as 0xffff (BPF_F_MARK_MANGLED_0, RFC 7915 §4.5). */
static __always_inline int rewrite_l4(struct __sk_buff *skb, const struct pkt *p,
                                      const struct fp_rewrite *rw, __u32 new_l3, __s64 pseudo)
{
	__u32 csum = p->csum_off - p->l3_len + new_l3;
	__u32 l4 = p->l3 + new_l3;
	__u64 mangled = p->key.proto == IPPROTO_UDP ? BPF_F_MARK_MANGLED_0 : 0;

	if (p->key.proto == IPPROTO_ICMP || p->key.proto == IPPROTO_ICMPV6) {
		__be16 new_word = bpf_htons((__u16)p->icmp_type << 8 | p->icmp_code);
		__be32 old_w[2] = {p->old_word, p->key.sport};
		__be32 new_w[2] = {new_word, rw->sport};
		__s64 diff = bpf_csum_diff(old_w, sizeof(old_w), new_w, sizeof(new_w), pseudo);

		if (diff < 0 || bpf_l4_csum_replace(skb, csum, 0, diff, 0))
			return -1;
		if (bpf_skb_store_bytes(skb, l4, &new_word, 2, 0) ||
		    bpf_skb_store_bytes(skb, l4 + offsetof(struct echohdr, id), &rw->sport, 2, 0))
			return -1;
		return 0;
	}
	{
		__be32 old_ports = (__u32)p->key.sport | (__u32)p->key.dport << 16;
		__be32 new_ports = (__u32)rw->sport | (__u32)rw->dport << 16;

		if (bpf_l4_csum_replace(skb, csum, old_ports, new_ports, mangled | 4))
			return -1;
		if (bpf_l4_csum_replace(skb, csum, 0, pseudo, mangled | BPF_F_PSEUDO_HDR))
			return -1;
		if (bpf_skb_store_bytes(skb, l4, &new_ports, 4, 0))
			return -1;
	}
	return 0;
}

/* RFC 7915 §5.1: IPv6 -> IPv4. The Identification comes from the
 * session's own counter (one per segment of a GSO packet); DF above 1260
 * bytes (ipv4_id_frag_6to4). */
static __always_inline int xlat_6to4(struct __sk_buff *skb, const struct fp_config *cfg,
                                     struct pkt *p, const struct ipv6hdr *h6, struct fp_session *s)
{
	struct {
		__be32 src[4], dst[4];
		__be32 len, nh;
	} old_ph = {};
	struct {
		__be32 src, dst;
		__u8 zero, proto;
		__be16 len;
	} new_ph = {};
	struct iphdr ip4 = {};
	__u8 proto = p->key.proto == IPPROTO_ICMPV6 ? IPPROTO_ICMP : p->key.proto;
	__u32 segs = gso_segs(skb, p), total = IPV4_HDR_LEN + p->l4_len, id;
	__s64 pseudo;

	if (segs == 0)
		return punt(FP_PUNT_GSO);
	__builtin_memcpy(old_ph.src, &h6->saddr, 16);
	__builtin_memcpy(old_ph.dst, &h6->daddr, 16);
	old_ph.len = bpf_htonl(p->l4_len);
	old_ph.nh = bpf_htonl(p->key.proto);
	__builtin_memcpy(&new_ph.src, s->rw.src, 4);
	__builtin_memcpy(&new_ph.dst, s->rw.dst, 4);
	new_ph.proto = proto;
	new_ph.len = bpf_htons(p->l4_len);
	/* ICMPv4 has no pseudo-header: the ICMPv6 one is only taken out */
	pseudo = bpf_csum_diff((__be32 *)&old_ph, sizeof(old_ph), (__be32 *)&new_ph,
	                       proto == IPPROTO_ICMP ? 0 : sizeof(new_ph), 0);
	if (pseudo < 0)
		return punt(FP_PUNT_MALFORMED);

	id = __sync_fetch_and_add(&s->ipv4_id, segs);
	ip4.version = 4;
	ip4.ihl = 5;
	ip4.tos = cfg->tos_zero ? 0 : p->tclass; /* RFC 7915 §5.1 Type of Service */
	ip4.tot_len = bpf_htons(total);
	ip4.id = bpf_htons((__u16)id);
	ip4.frag_off = bpf_htons(total > IPV4_DF_MAX_LEN ? IP_DF : 0);
	ip4.ttl = p->ttl - 1;
	ip4.protocol = proto;
	ip4.saddr = new_ph.src;
	ip4.daddr = new_ph.dst;
	ip4.check = csum_fold_finish(bpf_csum_diff(0, 0, (__be32 *)&ip4, sizeof(ip4), 0));

	if (bpf_skb_change_proto(skb, bpf_htons(ETH_P_IP), 0))
		return punt(FP_PUNT_MALFORMED); /* nothing changed yet */
	if (rewrite_l4(skb, p, &s->rw, IPV4_HDR_LEN, pseudo) ||
	    bpf_skb_store_bytes(skb, p->l3, &ip4, sizeof(ip4), 0)) {
		count(FP_ERROR);
		return TC_ACT_SHOT;
	}
	touch(s, total - IPV4_HDR_LEN + IPV6_HDR_LEN);
	count(FP_TRANSLATED_6TO4);
	return bpf_redirect(cfg->ifindex, BPF_F_INGRESS);
}

/* RFC 7915 §4.1 Flow Label with "flow-label hash": FNV-1a over the
 * translated addresses, protocol (ICMP as 1) and ports, as flow_label_4to6(). */
static __always_inline __u32 flow_label(const struct fp_config *cfg, const struct fp_rewrite *rw,
                                        __u8 proto)
{
	__u8 rest[5] = {proto};
	__u32 h = FNV1A_INIT;

	if (!cfg->flow_label_hash)
		return 0;
	__builtin_memcpy(rest + 1, &rw->sport, 2);
	__builtin_memcpy(rest + 3, &rw->dport, 2);
#pragma unroll
	for (int i = 0; i < 16; i++)
		h = (h ^ rw->src[i]) * FNV1A_PRIME;
#pragma unroll
	for (int i = 0; i < 16; i++)
		h = (h ^ rw->dst[i]) * FNV1A_PRIME;
#pragma unroll
	for (int i = 0; i < 5; i++)
		h = (h ^ rest[i]) * FNV1A_PRIME;
	return h & 0xfffff;
}

/* RFC 7915 §4.1: IPv4 -> IPv6. Sizes that need Fragmentation Needed (DF)
 * or splitting into fragments (no DF) go to tun64d (ipv4_check_size); so
 * does a GSO packet whose segments would not fit. */
static __always_inline int xlat_4to6(struct __sk_buff *skb, const struct fp_config *cfg,
                                     struct pkt *p, const struct iphdr *h4, struct fp_session *s)
{
	struct {
		__be32 src, dst;
		__u8 zero, proto;
		__be16 len;
	} old_ph = {};
	struct {
		__be32 src[4], dst[4];
		__be32 len, nh;
	} new_ph = {};
	struct ipv6hdr ip6 = {};
	__u8 nh = p->key.proto == IPPROTO_ICMP ? IPPROTO_ICMPV6 : p->key.proto;
	__u32 out_len = IPV6_HDR_LEN + p->l4_len, limit, flow;
	int df = p->frag_off & IP_DF;
	__s64 pseudo;

	if (gso_segs(skb, p) == 0)
		return punt(FP_PUNT_GSO);
	if (skb->gso_size)
		out_len = IPV6_HDR_LEN + p->tcp_doff + skb->gso_size;
	limit = df ? cfg->mtu : cfg->lowest_ipv6_mtu;
	if (limit && out_len > limit)
		return punt(FP_PUNT_TOO_BIG);

	old_ph.src = h4->saddr;
	old_ph.dst = h4->daddr;
	old_ph.proto = p->key.proto;
	old_ph.len = bpf_htons(p->l4_len);
	__builtin_memcpy(new_ph.src, s->rw.src, 16);
	__builtin_memcpy(new_ph.dst, s->rw.dst, 16);
	new_ph.len = bpf_htonl(p->l4_len);
	new_ph.nh = bpf_htonl(nh);
	pseudo = bpf_csum_diff((__be32 *)&old_ph, p->key.proto == IPPROTO_ICMP ? 0 : sizeof(old_ph),
	                       (__be32 *)&new_ph, sizeof(new_ph), 0);
	if (pseudo < 0)
		return punt(FP_PUNT_MALFORMED);

	flow = flow_label(cfg, &s->rw, p->key.proto);
	ip6.version = 6;
	ip6.priority = (cfg->tos_zero ? 0 : p->tclass) >> 4; /* §4.1 Traffic Class */
	ip6.flow_lbl[0] = (__u8)((cfg->tos_zero ? 0 : p->tclass) << 4 | flow >> 16);
	ip6.flow_lbl[1] = (__u8)(flow >> 8);
	ip6.flow_lbl[2] = (__u8)flow;
	ip6.payload_len = bpf_htons(p->l4_len);
	ip6.nexthdr = nh;
	ip6.hop_limit = p->ttl - 1;
	__builtin_memcpy(&ip6.saddr, s->rw.src, 16);
	__builtin_memcpy(&ip6.daddr, s->rw.dst, 16);

	if (bpf_skb_change_proto(skb, bpf_htons(ETH_P_IPV6), 0))
		return punt(FP_PUNT_MALFORMED); /* nothing changed yet */
	if (rewrite_l4(skb, p, &s->rw, IPV6_HDR_LEN, pseudo) ||
	    bpf_skb_store_bytes(skb, p->l3, &ip6, sizeof(ip6), 0)) {
		count(FP_ERROR);
		return TC_ACT_SHOT;
	}
	touch(s, IPV4_HDR_LEN + p->l4_len);
	count(FP_TRANSLATED_4TO6);
	return bpf_redirect(cfg->ifindex, BPF_F_INGRESS);
}

SEC("tc")
int tun64_fastpath(struct __sk_buff *skb)
{
	__u32 zero = 0, why;
	struct fp_config *cfg = bpf_map_lookup_elem(&fp_config, &zero);
	struct fp_session *s;
	struct pkt p = {};
	union {
		struct ipv6hdr v6;
		struct iphdr v4;
	} h;

	if (!cfg || !cfg->enabled)
		return punt(FP_PUNT_DISABLED);
	p.l3 = cfg->eth_test ? ETH_HLEN : 0;
	if (skb->protocol == bpf_htons(ETH_P_IPV6))
		why = parse_ipv6(skb, &p, &h.v6);
	else if (skb->protocol == bpf_htons(ETH_P_IP))
		why = parse_ipv4(skb, &p, &h.v4);
	else
		why = FP_PUNT_NOT_IP;
	if (why != FP_COUNTER_MAX)
		return punt(why);
	/* §4.1 TTL, §5.1 Hop Limit: Time Exceeded comes from tun64d */
	if (p.ttl <= 1)
		return punt(FP_PUNT_HOP_LIMIT);
	s = bpf_map_lookup_elem(&fp_sessions, &p.key);
	if (!s)
		return punt(FP_PUNT_NO_SESSION);
	if (p.key.family == FP_FAMILY_6)
		return xlat_6to4(skb, cfg, &p, &h.v6, s);
	return xlat_4to6(skb, cfg, &p, &h.v4, s);
}
