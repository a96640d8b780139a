/* SPDX-License-Identifier: BSD-2-Clause */
/* The engine's end of session-log (sesslog.h): the event callback the
 * NAT64 tables call, and the main thread's drain that writes lines to the
 * file (an fd the parent opened, PS_LOGFD) or to syslog (/dev/log, opened
 * before the seccomp filter), and JSON lines to `tun64ctl sessions
 * --follow` readers. */
#ifndef TUN64_SESSLOG_OUT_H
#define TUN64_SESSLOG_OUT_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "nat64.h"

#define SESSLOG_RING_SLOTS (1u << 16) /* 64 Ki events between two drains */
#define SESSLOG_MAX_FOLLOWERS 8

struct sesslog_out;

/* NULL when out of memory. Opens /dev/log for session-log syslog (a
 * failure is logged; lines are then counted lost). */
struct sesslog_out *sesslog_out_new(const struct tun64_config *c);
void sesslog_out_free(struct sesslog_out *o);
/* nat64_config.event_cb with event_ctx = o: any thread, never blocks. */
void sesslog_out_event(void *o, const struct nat64_event *ev);
/* The file's fd from the parent (at start and after SIGHUP): swapped in,
 * the old one closed. */
void sesslog_out_take_fd(struct sesslog_out *o, int fd);
/* A `sessions follow` connection: -1 if there are too many already. */
int sesslog_out_follow(struct sesslog_out *o, int fd);
/* Main thread: write out what the ring holds. */
void sesslog_out_drain(struct sesslog_out *o);
/* Events and lines lost; events slow followers lost. */
uint64_t sesslog_out_lost(const struct sesslog_out *o);
uint64_t sesslog_out_follow_lost(const struct sesslog_out *o);

#endif
