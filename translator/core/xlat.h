/* SPDX-License-Identifier: BSD-2-Clause */
/* The packet translator: RFC 7915 header translation plus RFC 6146 (stateful)
 * or RFC 6052 (stateless) address mapping, over byte buffers.
 *
 * No syscalls, no global state: everything comes in through xlat_ctx. One
 * xlat_ctx per worker thread; the xlat_config and the nat64 table are shared. */
#ifndef TUN64_XLAT_H
#define TUN64_XLAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "counters.h"
#include "nat64.h"

/* RFC 7915 §5.1: a translated IPv4 packet up to this size leaves with DF=0
 * (an IPv6 sender sized it for the 1280-byte minimum MTU, so IPv4 routers
 * may fragment it). The offloads size GSO segments by the same rule. */
#define IPV4_DF_MAX_LEN 1260

struct eam_table;
struct frag_table;

enum xlat_mode {
	XLAT_STATEFUL = 0, /* RFC 6146 */
	XLAT_STATELESS,    /* RFC 7915 SIIT with RFC 6052 */
};

struct xlat_config {
	enum xlat_mode mode;
	struct prefix6 pool6;        /* translation prefix */
	const struct prefix4 *pool4; /* stateful: addresses routed to us (for "is this for us") */
	size_t n_pool4;
	uint32_t own4;            /* source of ICMPv4 errors we originate */
	uint8_t own6[16];         /* source of ICMPv6 errors we originate */
	uint16_t mtu;             /* tun MTU */
	uint16_t lowest_ipv6_mtu; /* RFC 7915 §4 */
	/* RFC 6052 §3.1: with the well-known prefix 64:ff9b::/96, non-global
	 * IPv4 addresses are refused unless the operator allows them. */
	bool wkp_allow_private;
	const struct eam_table *eam; /* stateless: RFC 7757 EAMT (eam.h); NULL = none */
	/* ICMP errors the translator originates: a token bucket per worker,
	 * icmp_error_rate per second up to icmp_error_burst; rate 0 = no limit. */
	uint32_t icmp_error_rate;
	uint32_t icmp_error_burst;
	/* RFC 7915 §4.4, §5.4, RFC 6146 §3.5: a packet discarded for want of
	 * state, mapping, permission or protocol support gets a Destination
	 * Unreachable (or Parameter Problem) back, within the same limit. */
	bool icmp_unreachable;
	/* RFC 6791 §4: sources for translated ICMP errors whose own source has
	 * no mapping, when set (else own4 / own6). */
	struct prefix4 rfc6791_pool4;
	struct prefix6 rfc6791_pool6;
	bool rfc6791_pool4_set, rfc6791_pool6_set;
	/* RFC 7915 §4.5 / RFC 6146 §3.4: an IPv4 UDP datagram without a
	 * checksum is dropped instead of getting one computed. */
	bool udp_zero_csum_drop;
	/* RFC 7915 §4.1, §5.1: Traffic Class / Type of Service set to 0
	 * instead of copied. */
	bool tos_zero;
	/* RFC 7915 §4.1: Flow Label from a hash of the translated flow
	 * (RFC 6437 §3) instead of 0. */
	bool flow_label_hash;
};

/* Room the caller leaves in front of the packet, so that IPv4 -> IPv6 can grow
 * the header in place. */
#define XLAT_HEADROOM 64
/* Largest packet the translator accepts or emits. */
#define XLAT_MAX_PACKET 65535
/* Scratch space for packets the translator builds itself (ICMP errors). */
#define XLAT_SCRATCH 1600
/* Room for the IPv6 fragments of one IPv4 datagram split to fit
 * lowest-ipv6-mtu (RFC 7915 §4.1): the largest datagram in pieces of 1232
 * payload bytes (1280 - 40 - 8), each with its own 48 bytes of headers. */
#define XLAT_SPLIT_HDRS 48
#define XLAT_SPLIT_MAX (XLAT_MAX_PACKET + (XLAT_MAX_PACKET / 1232 + 1) * XLAT_SPLIT_HDRS)

struct xlat_ctx {
	const struct xlat_config *cfg;
	struct nat64 *nat; /* NULL in stateless mode */
	struct tun64_counters *ctr;
	uint64_t now_ms; /* set by the caller before each batch */
	/* RFC 7915 §5.1 Identification generator: a per-worker counter the
	 * caller seeds with random bits (RFC 7739 §5.1), so IDs do not start
	 * at 0 on every run and workers do not walk the same sequence. */
	uint16_t ipv4_id_next;
	/* Stateful: the first fragment's translated address, for the later
	 * fragments that carry no ports (RFC 6146 §3.4, §3.5). Shared by the
	 * workers (frag.h); NULL: stateful non-first fragments are dropped. */
	struct frag_table *frags;
	/* Stateful: IPv4 SYNs with no state held 6 s for a simultaneous open
	 * (synhold.h), shared by the workers; NULL: such SYNs are dropped. */
	struct synhold *synhold;
	/* Token bucket for originated ICMP errors (cfg->icmp_error_rate), in
	 * thousandths of an error; starts full on the first error. */
	uint64_t icmp_tokens_milli;
	uint64_t icmp_tokens_ms; /* now_ms of the last refill */
	bool icmp_tokens_primed;
	uint8_t scratch[XLAT_SCRATCH];
	/* XLAT_SEND_MANY output; during one call, also the ICMPv4 form of a
	 * hairpinned ICMPv6 error; between calls, a held SYN (synhold.h). */
	uint8_t split[XLAT_SPLIT_MAX];
};

/* A packet in a caller-owned buffer: bytes buf[off .. off+len). On input
 * off >= XLAT_HEADROOM. */
struct xlat_pkt {
	uint8_t *buf;
	size_t cap;
	size_t off;
	size_t len;
	/* tun offloads (vnet.h), only for packets vnet_classify() sent down
	 * the fast path. csum_partial: the TCP/UDP checksum field holds the
	 * pseudo-header sum only (VNET_F_NEEDS_CSUM); it is updated for the
	 * new pseudo-header and nothing else. gso: a super-packet the kernel
	 * cuts after us; vnet_classify() has checked its segments' sizes, so
	 * the MTU checks here do not apply to the packet as a whole. */
	bool csum_partial;
	bool gso;
	/* gso: the transport payload bytes per segment (the offload header's
	 * gso_size), 0 if not GSO. IPv6 -> IPv4 takes one Identification per
	 * segment: the kernel numbers them ID, ID+1, ... (RFC 7915 §5.1). */
	uint16_t gso_size;
};

enum xlat_verdict {
	XLAT_DROP = 0, /* counted in ctx->ctr */
	XLAT_SEND = 1, /* *out, *out_len: the packet to write to the tun */
	/* *out, *out_len: several IPv6 packets back to back in ctx->split,
	 * to be written in order, each with no offloads (xlat_many_next). */
	XLAT_SEND_MANY = 2,
};

/* Translate one packet read from the tun (IPv6 or IPv4, no packet-info
 * header). On XLAT_SEND the output is either the translated packet (rewritten
 * in place inside pkt->buf) or an ICMP error built in ctx->scratch, addressed
 * back to the sender. Counts rx, translated and every drop reason.
 * A packet translated in place also gets pkt->off and pkt->len set to the
 * output (which may start before the input's pkt->off). */
enum xlat_verdict xlat_packet(struct xlat_ctx *ctx, struct xlat_pkt *pkt, const uint8_t **out,
                              size_t *out_len);

/* Stateful: the ICMP Port Unreachable for one held IPv4 SYN whose 6 s ran
 * out by ctx->now_ms (RFC 6146 §3.5.2.2), in ctx->scratch: XLAT_SEND. Call
 * until it returns XLAT_DROP (nothing due, or the error was rate limited). */
enum xlat_verdict xlat_syn_expire(struct xlat_ctx *ctx, const uint8_t **out, size_t *out_len);

/* The length of the first packet of an XLAT_SEND_MANY output out[0..left)
 * (an IPv6 header and its Payload Length), or 0 when no whole packet is
 * left. */
size_t xlat_many_next(const uint8_t *out, size_t left);

#endif
