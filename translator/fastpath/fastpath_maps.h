/* SPDX-License-Identifier: BSD-2-Clause */
/* The maps the tc fast path shares with userspace (fastpath.bpf.c and
 * fastpath.c): plain structs of fixed-size fields, the same layout on both
 * sides. Addresses and ports are in network byte order, as on the wire. */
#ifndef TUN64_FASTPATH_MAPS_H
#define TUN64_FASTPATH_MAPS_H

#include <linux/types.h>

/* A flow as one side sees it: an IPv6 packet leaving for IPv4, or an IPv4
 * packet leaving for IPv6. IPv4 addresses sit in the first 4 bytes of src /
 * dst, the rest zero. ICMP echo: sport = dport = the identifier. */
struct fp_key {
	__u8 family; /* FP_FAMILY_6 (the key of a 6to4 flow) or FP_FAMILY_4 */
	__u8 proto;  /* IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMPV6 (6) / IPPROTO_ICMP (4) */
	__u16 pad;   /* zero */
	__be16 sport;
	__be16 dport;
	__u8 src[16];
	__u8 dst[16];
};

#define FP_FAMILY_4 4
#define FP_FAMILY_6 6

/* What the packet becomes: the other family's addresses (IPv4 in the first 4
 * bytes) and ports or echo identifier (sport = dport for ICMP). */
struct fp_rewrite {
	__u8 src[16];
	__u8 dst[16];
	__be16 sport;
	__be16 dport;
	__u32 pad;
};

/* One map value per direction of a session. ipv4_id: the next IPv4
 * Identification of this flow (6to4 values only), seeded by userspace
 * (RFC 7739 §5.1: per-flow counters from a random start); the program
 * takes one per packet (per segment of a GSO packet). The rest is written
 * by the program: last_seen_ns (bpf_ktime_get_ns: CLOCK_MONOTONIC, as the
 * daemon's now_ms), packets and bytes (IP bytes before translation). */
struct fp_session {
	struct fp_rewrite rw;
	__u32 ipv4_id;
	__u32 pad;
	__u64 last_seen_ns;
	__u64 packets;
	__u64 bytes;
};

/* What userspace has reported of a session direction's packets and bytes
 * (fp_reported, same key as fp_sessions): the program never touches it, so
 * userspace reports deltas without writing the counts the program adds to. */
struct fp_reported {
	__u64 packets;
	__u64 bytes;
};

/* The settings the program follows (one entry, index 0). enabled 0: every
 * packet goes to tun64d. ifindex: the tun, whose ingress takes the
 * translated packets. mtu, lowest_ipv6_mtu, tos_zero, flow_label_hash: as in
 * struct xlat_config (0 MTU: no limit). */
struct fp_config {
	__u32 enabled;
	__u32 ifindex;
	__u16 mtu;
	__u16 lowest_ipv6_mtu;
	__u8 tos_zero;
	__u8 flow_label_hash;
	__u8 eth_test; /* the unit tests: frames with an Ethernet header (test run) */
	__u8 pad;
};

/* Per-CPU counters (one array slot each): what was translated, and why
 * the rest went on to tun64d. */
enum fp_counter {
	FP_TRANSLATED_6TO4 = 0,
	FP_TRANSLATED_4TO6,
	FP_PUNT_DISABLED,    /* the config says off */
	FP_PUNT_NOT_IP,      /* neither IPv4 nor IPv6 */
	FP_PUNT_MALFORMED,   /* truncated, lengths disagree, bad IPv4 header checksum */
	FP_PUNT_EXT_HDR,     /* IPv6 extension header (any next header not TCP/UDP/ICMPv6) */
	FP_PUNT_OPTIONS,     /* IPv4 options */
	FP_PUNT_FRAGMENT,    /* a fragment (IPv6 Fragment header or IPv4 MF/offset) */
	FP_PUNT_PROTO,       /* not TCP, UDP, ICMP */
	FP_PUNT_ICMP,        /* ICMP other than echo (errors included) */
	FP_PUNT_TCP_FLAGS,   /* SYN, FIN or RST: state changes go through tun64d */
	FP_PUNT_HOP_LIMIT,   /* TTL / hop limit <= 1: Time Exceeded is built by tun64d */
	FP_PUNT_NO_SESSION,  /* no entry in the session map */
	FP_PUNT_TOO_BIG,     /* needs Fragmentation Needed or splitting into fragments */
	FP_PUNT_GSO,         /* a GSO packet other than TCP */
	FP_PUNT_UDP_NO_CSUM, /* UDP checksum 0: tun64d computes it or drops */
	FP_ERROR,            /* a helper failed after the packet was changed: dropped */
	FP_COUNTER_MAX,
};

#endif
