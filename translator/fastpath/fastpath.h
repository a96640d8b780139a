/* SPDX-License-Identifier: BSD-2-Clause */
/* The tc fast path (issue 13), userspace side: loads the BPF program that
 * is built into the binary, attaches it to the tun's egress, and keeps its
 * session map. tun64d stays the authority: it puts a session in when the
 * session is confirmed (both directions seen) and takes it out when it
 * expires, closes, is evicted, or a reload changes the policy for it.
 *
 * Errors are returned as negative errno values. */
#ifndef TUN64_FASTPATH_H
#define TUN64_FASTPATH_H

#include <stdbool.h>
#include <stdint.h>

#include "fastpath_maps.h"

struct fastpath;

/* What the program needs of the configuration (struct xlat_config). */
struct fastpath_settings {
	bool enabled;
	uint16_t mtu;             /* tun MTU, 0: no limit */
	uint16_t lowest_ipv6_mtu; /* RFC 7915 §4, 0: no limit */
	bool tos_zero;            /* "tos zero" */
	bool flow_label_hash;     /* "flow-label hash" */
};

/* One session, both directions, as the IPv6 client's packets see it and as
 * they leave on the IPv4 side. Addresses of 4 bytes and ports are in host
 * order (as struct nat64_session_info); ICMP echo: proto IPPROTO_ICMP and
 * the identifiers as ports (sport6 = dport6, sport4 = dport4). Stateful:
 * src6 X', sport6 x, dst6 the server Z under pool6, dport6 z; src4 T,
 * sport4 t, dst4 Z, dport4 z. Stateless: the RFC 6052 / EAM mapping of
 * each address, ports unchanged. */
struct fastpath_session {
	uint8_t proto; /* IPPROTO_TCP, IPPROTO_UDP or IPPROTO_ICMP */
	uint8_t src6[16], dst6[16];
	uint16_t sport6, dport6;
	uint32_t src4, dst4;
	uint16_t sport4, dport4;
};

/* What the program saw of a session: per direction (0: 6to4, 1: 4to6). */
struct fastpath_session_stats {
	uint64_t last_seen_ms; /* CLOCK_MONOTONIC ms, the later direction; 0: none yet */
	uint64_t packets[2];
	uint64_t bytes[2];
};

/* Load the program and its maps (needs CAP_BPF / CAP_NET_ADMIN), not
 * attached, disabled. */
int fastpath_open(struct fastpath **out);
/* Attach to the egress of the tun ifindex (clsact; made if missing) and
 * make it the redirect target. */
int fastpath_attach(struct fastpath *fp, int ifindex);
/* Forget the hook (the tun went away and took it) so that
 * fastpath_attach() can attach to its successor; the maps stay. */
void fastpath_detach(struct fastpath *fp);
/* Detach (if attached) and free. The kernel removes the hook itself when
 * the device goes away. */
void fastpath_close(struct fastpath *fp);
int fastpath_configure(struct fastpath *fp, const struct fastpath_settings *s);

/* Insert (or replace) both directions of s. ipv4_id: the first IPv4
 * Identification the program gives this flow's 6to4 packets; the caller
 * draws it at random (RFC 7739 §5.1). */
int fastpath_session_add(struct fastpath *fp, const struct fastpath_session *s, uint16_t ipv4_id);
/* Remove both directions; -ENOENT if neither was there. last (may be
 * NULL): called, as by fastpath_foreach_seen, for each direction with
 * packets not reported yet, so that none are lost with the entry. */
int fastpath_session_del(struct fastpath *fp, const struct fastpath_session *s,
                         int (*last)(const struct fp_key *, const struct fp_session *, void *),
                         void *arg);
int fastpath_session_stats(struct fastpath *fp, const struct fastpath_session *s,
                           struct fastpath_session_stats *st);

/* Calls cb for each map entry (one direction of a session) whose last
 * packet went by after since_ns (CLOCK_MONOTONIC ns): key, value, whose
 * packets and bytes are those not reported by an earlier call (or by
 * fastpath_session_del's last): deltas, to add up. Stops early when cb
 * returns non-zero. Returns 0 or a negative errno. */
int fastpath_foreach_seen(struct fastpath *fp, uint64_t since_ns,
                          int (*cb)(const struct fp_key *, const struct fp_session *, void *),
                          void *arg);

/* The per-CPU counters summed (index enum fp_counter), and their names for
 * tun64ctl stats ("fastpath.translated-6to4", "fastpath.punted.no-session"). */
int fastpath_counters(struct fastpath *fp, uint64_t out[FP_COUNTER_MAX]);
const char *fastpath_counter_name(enum fp_counter c);
/* What it counts, for tun64ctl stats --explain. */
const char *fastpath_counter_meaning(enum fp_counter c);

/* The program's fd, for BPF_PROG_TEST_RUN in the unit tests; with
 * eth_frames set, the program expects the Ethernet frames that
 * BPF_PROG_TEST_RUN hands a tc program instead of the tun's bare IP. */
int fastpath_prog_fd(const struct fastpath *fp);
int fastpath_test_frames(struct fastpath *fp, bool eth_frames);

/* The two map keys of s and their rewrites (6to4 first): what
 * fastpath_session_add() inserts. */
void fastpath_session_entries(const struct fastpath_session *s, struct fp_key key[2],
                              struct fp_rewrite rw[2]);

#endif
