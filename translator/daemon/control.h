/* SPDX-License-Identifier: BSD-2-Clause */
/* The daemon's control socket (tun64ctl talks to it). A client connects,
 * sends one request line "COMMAND [json]" and reads the answer until EOF. An
 * answer starting with "error: " is a failure. */
#ifndef TUN64_CONTROL_H
#define TUN64_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "counters.h"
#include "nat64.h"

/* What the daemon shows of itself; filled in just before each request. */
/* The tc fast path's counters as the engine last heard them from the parent
 * (enum fp_counter order), with their names ("fastpath.punted.gso") and
 * meanings; n 0: the fast path is not in use. */
struct fastpath_view {
	const uint64_t *values;
	const char *const *names;
	const char *const *meanings;
	size_t n;
};

struct control_view {
	const struct tun64_config *cfg;
	struct nat64 *nat; /* NULL in stateless mode */
	struct tun64_counters counters;
	const char *tun_name;
	unsigned workers;
	const char *offloads; /* "csum tso4 tso6 ..." or "off (why)"; NULL: not shown */
	bool routes_installed;
	bool withdrawn;        /* tun64ctl withdraw: out of service */
	uint64_t max_sessions; /* effective (max-sessions 0: sized to memory) */
	uint64_t uptime_s;
	uint64_t now_ms;               /* the sessions' clock (CLOCK_MONOTONIC) now */
	uint64_t now_wall_ms;          /* the wall clock (CLOCK_REALTIME) at the same moment */
	struct fastpath_view fastpath; /* its counters (stats); n 0: not in use */
};

/* ms since the Unix epoch as ISO 8601 UTC with milliseconds
 * ("2024-05-01T12:34:56.789Z"); buf holds at least 25 bytes. Pure: no
 * gmtime_r, whose first call may read the time zone file, which the engine's
 * seccomp filter forbids. */
void iso8601_utc(uint64_t ms, char *buf, size_t len);

/* Create the listening socket (its directory too), mode 0660 so only root
 * and the socket's group can use it. Returns the fd, or -1 with err set. */
int control_listen(const char *path, char *err, size_t errlen);

/* Write the answer to one request line into f. Returns 0, or -1 if the
 * request was not understood (the answer then says why). "reload" is the
 * caller's: it is not handled here. Pure formatting, no I/O but f. */
int control_answer(const char *request, const struct control_view *v, FILE *f);

/* pool4 in use, all active ranges and protocols together: the largest
 * share of any protocol, in per mille, with its used and total ports.
 * False without ranges. (status and the threshold log, watch.c) */
bool control_pool4_fill(struct nat64 *nat, uint64_t *used, uint64_t *total);

/* Remove the socket file. */
void control_close(int fd, const char *path);

#endif
