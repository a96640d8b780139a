/* SPDX-License-Identifier: BSD-2-Clause */
/* Privilege separation: the messages between tun64d's privileged parent and
 * its unprivileged engine (OpenBSD style, as relayd, ntpd, bgpd). The parent
 * keeps root for netlink (routes, link, sysctls), nftables, the tun device
 * and the state file's path; the engine has the tun fds, the tables, the
 * workers and the control socket, and no capability at all.
 *
 * One message is one SOCK_SEQPACKET record: a struct ps_hdr, then exactly
 * hdr.len bytes of payload (a fixed struct for every type but
 * PS_STATE_DATA), plus file descriptors for PS_TUN and PS_LOGFD only. The receiver checks
 * every message before it acts (ps_check_from_engine, ps_check_from_parent):
 * the parent trusts nothing the engine says. */
#ifndef TUN64_PRIVSEP_H
#define TUN64_PRIVSEP_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "tunif.h"

/* IPv4 prefixes in a PS_ROUTES (routes.h ROUTES_MAX_PREFIX4, asserted in
 * parent.c). */
#define PS_MAX_ROUTES 64

/* Bytes of state file per PS_STATE_DATA message. */
#define PS_STATE_CHUNK 16384

enum ps_type {
	/* engine -> parent */
	PS_READY = 1,   /* no payload: translating; the parent tells systemd */
	PS_TUN_LOST,    /* no payload: the tun went away; re-create it */
	PS_STATE_BEGIN, /* struct ps_state_begin: a state-file save starts */
	PS_STATE_DATA,  /* 1..PS_STATE_CHUNK bytes of the file */
	PS_STATE_END,   /* struct ps_state_end: write it out (or drop it) */
	PS_CONFIG_REQ,  /* no payload: read the configuration again (reload) */
	PS_ROUTES,      /* struct ps_routes: the IPv4 routes after a reload */
	PS_WITHDRAW,    /* no payload: out of service (routes gone, tun down) */
	PS_RESTORE,     /* no payload: back in service */
	PS_FP_CONFIG,   /* struct ps_fp_config: the fast path's settings */
	PS_FP_ADD,      /* struct ps_fp_batch: sessions into the fast path */
	PS_FP_DEL,      /* struct ps_fp_batch: sessions out of it */
	PS_FP_POLL,     /* no payload: send what moved (PS_FP_SEEN) and the counters */
	/* parent -> engine */
	PS_STOP = 64,   /* no payload: stop, save the state, exit */
	PS_TUN,         /* struct ps_tun and nqueues fds: the tun (again) */
	PS_TUN_FAIL,    /* no payload: the tun could not be re-created */
	PS_CONFIG,      /* struct tun64_config: the file read again */
	PS_CONFIG_ERR,  /* struct ps_error: why it was not */
	PS_FP_SEEN,     /* struct ps_fp_seen: fast-path sessions that carried packets */
	PS_FP_COUNTERS, /* struct ps_fp_counters: the program's counters, summed */
	PS_LOGFD,       /* struct ps_logfd and one fd: the session-log file (again) */
};

struct ps_hdr {
	uint32_t type; /* enum ps_type */
	uint32_t len;  /* payload bytes that follow */
};

struct ps_state_begin {
	uint32_t periodic; /* 0 or 1: log the save at debug level only */
};

struct ps_state_end {
	uint32_t ok; /* 0 or 1: the engine serialized the whole table */
	uint32_t pad;
	uint64_t sessions;
};

/* The IPv4 prefixes routed into the tun after a reload: pool4 (stateful)
 * or the `map` lines (stateless); the parent also gives them to the
 * masquerade rule. */
struct ps_routes {
	uint32_t n; /* 0 .. PS_MAX_ROUTES */
	uint32_t pad;
	struct ps_prefix4 {
		uint32_t addr; /* host order, host bits zero */
		uint8_t len;   /* 0..32 */
		uint8_t pad[3];
	} p[PS_MAX_ROUTES];
};

struct ps_tun {
	char name[IFNAMSIZ];
	int32_t ifindex;
	int32_t nqueues;
	uint32_t vnet_hdr_len;
	uint32_t offloads;
	uint32_t existed;
	uint32_t fastpath; /* 0 or 1: the tc fast path is attached to it */
};

/* The tc fast path (translator/fastpath/fastpath.h). The parent holds the
 * BPF maps: with kernel.unprivileged_bpf_disabled the engine cannot use a
 * map fd even if it had one. The engine decides which sessions go in (it
 * owns the tables) and batches them, at most once a second per kind, so the
 * message rate stays low. */
#define PS_FP_BATCH 128
#define PS_FP_NCOUNTERS 17 /* FP_COUNTER_MAX, checked where both are known */

struct ps_fp_config {
	uint32_t enabled; /* 0 or 1 */
	uint16_t mtu, lowest_ipv6_mtu;
	uint8_t tos_zero, flow_label_hash; /* 0 or 1 */
	uint16_t pad;
};

/* One session as struct fastpath_session (host order), plus the first IPv4
 * Identification of its 6to4 packets (RFC 7739 §5.1, drawn by the engine). */
struct ps_fp_sess {
	uint8_t proto; /* IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP */
	uint8_t pad[3];
	uint8_t src6[16], dst6[16];
	uint16_t sport6, dport6;
	uint32_t src4, dst4;
	uint16_t sport4, dport4;
	uint16_t ipv4_id;
	uint16_t pad2;
};

struct ps_fp_batch {
	uint32_t n; /* 1..PS_FP_BATCH; the entries after n are zero */
	uint32_t pad;
	struct ps_fp_sess s[PS_FP_BATCH];
};

/* One direction of a fast-path session that carried packets since the last
 * poll, named by its IPv4 side: (T,t) the pool4 address, (Z,z) the server. */
struct ps_fp_touch {
	uint8_t proto; /* IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP */
	uint8_t dir;   /* 0: 6to4, 1: 4to6 */
	uint16_t port4, rport4;
	uint16_t pad;
	uint32_t addr4, remote4;
	uint64_t last_seen_ms;   /* CLOCK_MONOTONIC, as now_ms() */
	uint64_t packets, bytes; /* since the last report: >= 1, >= 20 bytes each */
};

struct ps_fp_seen {
	uint32_t n; /* 1..PS_FP_BATCH */
	uint32_t pad;
	struct ps_fp_touch t[PS_FP_BATCH];
};

struct ps_fp_counters {
	uint64_t c[PS_FP_NCOUNTERS]; /* enum fp_counter order */
};

/* session-log FILE: the parent opens it (root may own /var/log), at start
 * and again on SIGHUP for logrotate; the engine writes to the fd. */
struct ps_logfd {
	uint32_t reopen; /* 0 at start, 1 after SIGHUP */
};

struct ps_error {
	char msg[CONFIG_ERRLEN + 64];
};

/* The largest payload either side sends. */
#define PS_MAX_PAYLOAD sizeof(struct tun64_config)

/* One received message. */
struct ps_msg {
	struct ps_hdr h;
	union {
		struct ps_state_begin begin;
		struct ps_state_end end;
		struct ps_tun tun;
		struct ps_routes routes;
		struct ps_logfd logfd;
		struct ps_error error;
		struct ps_fp_config fpc;
		struct ps_fp_batch fpb;
		struct ps_fp_seen fps;
		struct ps_fp_counters fpn;
		struct tun64_config cfg;
		uint8_t raw[PS_MAX_PAYLOAD];
	} u;
	int fds[TUNIF_MAX_QUEUES];
	int nfds;
};

/* Where a state save stands, for the parent: PS_STATE_DATA only between a
 * PS_STATE_BEGIN and its PS_STATE_END, no BEGIN inside another. */
struct ps_seq {
	bool saving;
};

/* Send one message (fds may be NULL when nfds is 0). Returns 0 or -1
 * (errno set). */
int ps_send(int fd, uint32_t type, const void *payload, size_t len, const int *fds, int nfds);

/* Receive one message into m. Returns 1, 0 at end of file (the other side
 * is gone), -1 on error (errno set; EPROTO: truncated, or more than
 * TUNIF_MAX_QUEUES fds, which are closed). Unchecked: call ps_check_*. */
int ps_recv(int fd, struct ps_msg *m);

/* Close the fds a message carried. */
void ps_close_fds(struct ps_msg *m);

/* The parent's check of a message from the engine: known type, exact
 * length, field values in range, no fds, and the state-save sequence
 * (seq updated). Returns NULL if valid, else why not. */
const char *ps_check_from_engine(const struct ps_hdr *h, const void *payload, size_t n, int nfds,
                                 struct ps_seq *seq);

/* The engine's check of a message from the parent (known type, exact
 * length, strings terminated, one fd per queue, one fd with PS_LOGFD).
 * NULL if valid. */
const char *ps_check_from_parent(const struct ps_hdr *h, const void *payload, size_t n, int nfds);

#endif
