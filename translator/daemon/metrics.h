/* SPDX-License-Identifier: BSD-2-Clause */
/* The Prometheus metrics of tun64d (the `metrics` key; docs/monitoring.md):
 * the text exposition format 0.0.4, written by a pure function from a
 * snapshot, and the HTTP endpoint around it (metrics_http.c). */
#ifndef TUN64_METRICS_H
#define TUN64_METRICS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "control.h" /* struct fastpath_view */
#include "counters.h"
#include "nat64.h"

/* A range with more addresses than this is shown whole, per range, not per
 * address: a /16 would otherwise make 589,824 series. */
#define METRICS_POOL4_PER_ADDRESS_MAX 256

struct metrics_view {
	const char *version;
	bool stateful;
	unsigned workers;
	uint64_t start_time_s;            /* wall clock, s since the epoch */
	struct tun64_counters counters;   /* summed over the workers (ctr_load) */
	struct nat64 *nat;                /* NULL in stateless mode */
	uint64_t max_sessions;            /* effective (0 = sized to memory, resolved) */
	uint64_t max_sessions_per_client; /* 0: none */
	uint64_t reloads_ok, reloads_failed;
	struct fastpath_view fastpath; /* n 0: no fast path */
};

/* Write every metric to f. Reads nat only through nat64_get_stats (shard
 * locks, one at a time, briefly) and nat64_foreach_pool4 (atomic loads):
 * never in the workers' way for long. Returns 0, or -1 if f failed. */
int metrics_format(const struct metrics_view *v, FILE *f);

/* The endpoint (metrics_http.c). */
struct daemon;
struct metrics_server;
/* Listen on d->cfg->metrics; NULL with a logged error if it cannot. */
struct metrics_server *metrics_start(struct daemon *d);
/* The fd that becomes readable when a client wants service (for poll). */
int metrics_fd(const struct metrics_server *m);
/* Serve whatever is ready, without blocking; also ends idle connections. */
void metrics_run(struct metrics_server *m);
void metrics_stop(struct metrics_server *m);

#endif
