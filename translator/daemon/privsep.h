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
	/* parent -> engine */
	PS_STOP = 64,  /* no payload: stop, save the state, exit */
	PS_TUN,        /* struct ps_tun and nqueues fds: the tun (again) */
	PS_TUN_FAIL,   /* no payload: the tun could not be re-created */
	PS_CONFIG,     /* struct tun64_config: the file read again */
	PS_CONFIG_ERR, /* struct ps_error: why it was not */
	PS_LOGFD,      /* struct ps_logfd and one fd: the session-log file (again) */
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

struct ps_tun {
	char name[IFNAMSIZ];
	int32_t ifindex;
	int32_t nqueues;
	uint32_t vnet_hdr_len;
	uint32_t offloads;
	uint32_t existed;
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
		struct ps_logfd logfd;
		struct ps_error error;
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
