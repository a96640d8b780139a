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
 * the rest went on to tun64d. One table: the enum, the names tun64ctl stats
 * and the metrics print ("fastpath." NAME), and stats --explain's meanings.
 * X(ID, NAME, MEANING) */
#define FP_COUNTERS(X)                                                                             \
	X(TRANSLATED_6TO4, "translated-6to4", "IPv6 packets the fast path translated to IPv4")     \
	X(TRANSLATED_4TO6, "translated-4to6", "IPv4 packets the fast path translated to IPv6")     \
	X(PUNT_DISABLED, "punted.disabled", "to tun64d: the fast path is switched off")            \
	X(PUNT_NOT_IP, "punted.not-ip", "to tun64d: neither IPv4 nor IPv6")                        \
	X(PUNT_MALFORMED, "punted.malformed",                                                      \
	  "to tun64d: truncated, lengths disagree or a bad IPv4 header checksum")                  \
	X(PUNT_EXT_HDR, "punted.ext-header", "to tun64d: an IPv6 extension header")                \
	X(PUNT_OPTIONS, "punted.ipv4-options", "to tun64d: IPv4 options")                          \
	X(PUNT_FRAGMENT, "punted.fragment", "to tun64d: a fragment (IPv6 or IPv4)")                \
	X(PUNT_PROTO, "punted.protocol", "to tun64d: not TCP, UDP or ICMP")                        \
	X(PUNT_ICMP, "punted.icmp", "to tun64d: ICMP other than echo (errors included)")           \
	X(PUNT_TCP_FLAGS, "punted.tcp-syn-fin-rst",                                                \
	  "to tun64d: SYN, FIN or RST (TCP state changes go through tun64d)")                      \
	X(PUNT_HOP_LIMIT, "punted.hop-limit",                                                      \
	  "to tun64d: TTL or hop limit <= 1 (tun64d sends Time Exceeded)")                         \
	X(PUNT_NO_SESSION, "punted.no-session", "to tun64d: no session in the fast path's map")    \
	X(PUNT_TOO_BIG, "punted.too-big",                                                          \
	  "to tun64d: needs Packet Too Big / Fragmentation Needed or splitting")                   \
	X(PUNT_GSO, "punted.gso", "to tun64d: a GSO packet other than TCP")                        \
	X(PUNT_UDP_NO_CSUM, "punted.udp-no-checksum",                                              \
	  "to tun64d: UDP checksum 0 (tun64d computes it or drops)")                               \
	X(ERROR, "dropped.helper-error", "dropped: a kernel helper failed after the packet changed")

enum fp_counter {
#define FP_COUNTER_ENUM(id, name, meaning) FP_##id,
	FP_COUNTERS(FP_COUNTER_ENUM)
#undef FP_COUNTER_ENUM
	    FP_COUNTER_MAX,
};

#endif
