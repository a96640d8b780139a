/* SPDX-License-Identifier: BSD-2-Clause */
/* Named packet counters. A refused packet increments one drop- counter, its
 * reason; one answered with an ICMP error also icmp-error-sent (or
 * drop-icmp-ratelimit), and a packet the tun does not take drop-write-failed
 * after translated. tun64ctl(8) COUNTERS documents each (test_man_pages).
 * Counters are kept per worker (no sharing on the per-packet path) and summed
 * by the daemon. Each counter exists once per direction (6to4, 4to6). */
#ifndef TUN64_COUNTERS_H
#define TUN64_COUNTERS_H

#include <stdint.h>

/* X(id, name, meaning) */
#define TUN64_COUNTERS(X)                                                                          \
	X(RX, "rx", "packets read from the tun")                                                   \
	X(TRANSLATED, "translated", "packets translated and written back to the tun")              \
	X(ICMP_ERROR_SENT, "icmp-error-sent", "ICMP errors originated by the translator")          \
	X(DROP_TRUNCATED, "drop-truncated", "packet shorter than its headers")                     \
	X(DROP_BAD_VERSION, "drop-bad-version", "IP version is neither 4 nor 6")                   \
	X(DROP_BAD_LENGTH, "drop-bad-length", "IP length field disagrees with the packet")         \
	X(DROP_BAD_IPV4_CSUM, "drop-bad-ipv4-checksum", "IPv4 header checksum is wrong")           \
	X(DROP_BAD_IHL, "drop-bad-ihl", "IPv4 header length below 5 words")                        \
	X(DROP_BAD_SRC, "drop-bad-source",                                                         \
	  "source is multicast, loopback, unspecified, link-local, martian IPv4 or inside the "    \
	  "translator's own ranges")                                                               \
	X(DROP_NOT_TRANSLATABLE_DST, "drop-dst-not-translatable",                                  \
	  "destination is outside the translation prefix / pool4")                                 \
	X(DROP_NOT_TRANSLATABLE_SRC, "drop-src-not-translatable",                                  \
	  "stateless: source has no IPv4 (or IPv6) mapping")                                       \
	X(DROP_UNSUPPORTED_PROTO, "drop-unsupported-protocol",                                     \
	  "transport protocol the translator does not carry")                                      \
	X(DROP_UNSUPPORTED_ICMP, "drop-unsupported-icmp",                                          \
	  "ICMP type with no translation (RFC 7915)")                                              \
	X(DROP_EXT_HDR, "drop-extension-header",                                                   \
	  "IPv6 extension header that cannot be translated")                                       \
	X(DROP_FRAGMENT, "drop-fragment",                                                          \
	  "fragmented ICMP, first UDP fragment without checksum, TCP fragment at offset 8, "       \
	  "two Fragment headers, or a later fragment whose first was not seen")                    \
	X(DROP_IPV4_OPTIONS, "drop-ipv4-source-route",                                             \
	  "IPv4 unexpired source route option; Source Route Failed sent (RFC 7915 §4.1)")          \
	X(DROP_BAD_L4_CSUM, "drop-bad-l4-checksum", "transport checksum is wrong")                 \
	X(DROP_TTL_EXPIRED, "drop-ttl-expired", "hop limit / TTL ran out (Time Exceeded sent)")    \
	X(DROP_TOO_BIG, "drop-too-big", "too big for the MTU: DF set (Fragmentation Needed sent)") \
	X(DROP_NO_STATE, "drop-no-state", "IPv4 packet matches no BIB entry or session")           \
	X(DROP_POOL4_EXHAUSTED, "drop-pool4-exhausted",                                            \
	  "no free pool4 address/port for a new flow")                                             \
	X(DROP_SESSION_LIMIT, "drop-session-limit", "max-sessions reached; new flow refused")      \
	X(DROP_FILTERED, "drop-filtered", "refused by filtering policy (RFC 6146 §3.5)")           \
	X(DROP_ICMP_RATELIMIT, "drop-icmp-ratelimit", "ICMP error not sent: rate limit")           \
	X(DROP_WRITE, "drop-write-failed", "write to the tun failed")                              \
	X(DROP_NOMEM, "drop-nomem", "state table could not allocate a new entry")                  \
	X(DROP_ICMP_INNER, "drop-icmp-inner",                                                      \
	  "ICMP error whose quoted packet is cut short, an ICMP error itself, or not "             \
	  "translatable")                                                                          \
	X(DROP_NOT_ALLOWED, "drop-src-not-allowed",                                                \
	  "IPv6 source outside allow6 may not create state")                                       \
	X(DROP_CLIENT_QUOTA, "drop-client-quota",                                                  \
	  "client /64 has max-sessions-per-client sessions; new flow refused")                     \
	X(DROP_UDP_ZERO_CSUM, "drop-udp-zero-checksum",                                            \
	  "IPv4 UDP without checksum, refused by udp-zero-checksum drop (RFC 7915 §4.5)")          \
	X(HAIRPINNED, "hairpinned",                                                                \
	  "packets from IPv6 to the translator's own IPv4 side, translated back to IPv6")          \
	X(DROP_BAD_VNET_HDR, "drop-bad-vnet-header",                                               \
	  "offloads: the virtio-net header does not describe the packet (checksum offsets, GSO)")  \
	X(GSO_SOFTWARE, "gso-software",                                                            \
	  "offloads: GSO packets cut into segments by tun64d (DF, MTU, TTL, options, fragments)")  \
	X(UDP_COALESCED, "udp-coalesced",                                                          \
	  "offloads: UDP datagrams written as part of a USO super-packet (udp-coalesce)")          \
	X(SYN_HELD, "syn-held",                                                                    \
	  "IPv4 SYNs with no state held 6 s for a simultaneous open, then answered with "          \
	  "Port Unreachable (RFC 6146 §3.5.2.2)")                                                  \
	X(SYN_HOLD_MATCHED, "syn-hold-matched",                                                    \
	  "held IPv4 SYNs dropped because an IPv6 SYN to their sender was translated")             \
	X(FRAGMENTED, "fragmented",                                                                \
	  "IPv4 datagrams without DF split into IPv6 fragments to fit lowest-ipv6-mtu "            \
	  "(RFC 7915 §4.1)")                                                                       \
	X(DROP_OWN_ADDRESS, "drop-own-address",                                                    \
	  "packet for ipv4-addr / ipv6-addr, not an echo request: not translated; TCP and UDP "    \
	  "get Port Unreachable, other protocols Protocol Unreachable or Parameter Problem")       \
	X(ECHO_REPLY_SENT, "echo-reply-sent",                                                      \
	  "echo requests to ipv4-addr / ipv6-addr answered by the translator")                     \
	X(EVICT_TCP, "evict-unconfirmed-tcp",                                                      \
	  "TCP sessions that never reached ESTABLISHED dropped, oldest first, to make room for "   \
	  "a new flow at max-sessions, max-sessions-per-client or max-sessions-per-address")       \
	X(EVICT_UDP, "evict-unconfirmed-udp",                                                      \
	  "UDP sessions never answered dropped, oldest first, for a new flow at a session limit")  \
	X(EVICT_ICMP, "evict-unconfirmed-icmp",                                                    \
	  "ICMP sessions never answered dropped, oldest first, for a new flow at a session limit")  \
	X(TRANSLATED_BYTES, "translated-bytes",                                                    \
	  "bytes of the translated packets written to the tun (whole IP packets; a GSO packet "   \
	  "whole, each IPv6 fragment of a split datagram); not ICMP errors the translator built") \
	X(ENDED_POOL4_REMOVED, "ended-pool4-removed",                                              \
	  "sessions ended: a reload removed their pool4 range (under 6to4)")                       \
	X(SESSIONS_DELETED, "sessions-deleted", "sessions ended by tun64ctl sessions delete (6to4)") \
	/* session-log (issue 14), counted under 6to4 */                                           \
	X(SESSLOG_LOST, "session-log-lost",                                                        \
	  "session-log events a full ring could not take, or lines the file or syslog refused")    \
	X(SESSLOG_FOLLOW_LOST, "session-follow-lost",                                              \
	  "events a slow `tun64ctl sessions --follow` reader could not take")

enum tun64_counter {
#define X(id, name, meaning) CTR_##id,
	TUN64_COUNTERS(X)
#undef X
	    CTR_MAX
};

enum tun64_dir { DIR_6TO4 = 0, DIR_4TO6 = 1, DIR_MAX };

struct tun64_counters {
	uint64_t v[DIR_MAX][CTR_MAX];
};

/* A worker's counters are written by that worker only and read, while it
 * runs, by the control thread: relaxed atomic accesses, which need no
 * ordering and no locked instruction. With one writer the increment is a
 * load and a store, not an atomic read-modify-write: on x86-64 it compiles to
 * the same add as a plain ++ (clang: addq $1,(mem); gcc: mov, add, mov), and
 * ThreadSanitizer sees it. */
static inline void ctr_add(struct tun64_counters *c, enum tun64_dir d, enum tun64_counter k,
                           uint64_t n)
{
	uint64_t *p = &c->v[d][k];

	__atomic_store_n(p, __atomic_load_n(p, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
}

static inline uint64_t ctr_load(const struct tun64_counters *c, enum tun64_dir d,
                                enum tun64_counter k)
{
	return __atomic_load_n(&c->v[d][k], __ATOMIC_RELAXED);
}

const char *counter_name(enum tun64_counter c);
const char *counter_meaning(enum tun64_counter c);
const char *dir_name(enum tun64_dir d);

#endif
