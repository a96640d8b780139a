/* SPDX-License-Identifier: BSD-2-Clause */
/* pref64-announce IFACE: the parent's Router Advertisements that carry only
 * the PREF64 option (RFC 8781; bytes in translator/core/pref64_ra.h), on
 * the RFC 4861 §6.2.4 schedule and in answer to Router Solicitations
 * (§6.2.6), with a final one of lifetime 0 when tun64d stops. A raw ICMPv6
 * socket needs CAP_NET_RAW, so it lives in the root parent (parent.c polls
 * pref64_fd and sleeps at most pref64_timeout_ms). */
#ifndef TUN64_PREF64_H
#define TUN64_PREF64_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "addr.h"

struct pref64 {
	int fd;
	char ifname[IFNAMSIZ];
	unsigned ifindex; /* 0 while the link is missing */
	struct prefix6 prefix;
	unsigned initial_sent; /* RFC 4861 §6.2.4: the first few come fast */
	uint64_t next_ms;      /* the next unsolicited RA */
	uint64_t reply_ms;     /* an answer to solicitations; 0 = none due */
	uint64_t last_mcast_ms;
	bool sent_any; /* a final RA withdraws what was announced */
	bool warned;   /* about the missing link or address, once */
};

/* Open the socket for ifname (which may not exist yet: it is looked for
 * again on every tick). Returns 0, or -1 with err. */
int pref64_open(struct pref64 *p, const char *ifname, const struct prefix6 *prefix, uint64_t now,
                char *err, size_t errlen);

int pref64_fd(const struct pref64 *p);

/* Milliseconds until pref64_tick has work, for poll. */
int pref64_timeout_ms(const struct pref64 *p, uint64_t now);

/* The socket is readable: take the solicitations. */
void pref64_read(struct pref64 *p, uint64_t now);

/* Send what is due. */
void pref64_tick(struct pref64 *p, uint64_t now);

/* RFC 4861 §6.2.5, RFC 8781 §4: one last RA with PREF64 lifetime 0, so
 * hosts stop using the prefix at once; then close. */
void pref64_stop(struct pref64 *p);

#endif
