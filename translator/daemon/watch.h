/* SPDX-License-Identifier: BSD-2-Clause */
/* One log line when a resource (pool4, max-sessions) crosses 80% and 95%,
 * and when its exhaustion begins and ends: checked from the engine's 1 s
 * timer with cheap figures. Pure: the caller logs the lines. */
#ifndef TUN64_WATCH_H
#define TUN64_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WATCH_LINE 160
#define WATCH_MAX_LINES 2
/* A level is left only this many percent below its threshold, so a figure
 * that hovers around 80% logs once, not every second. */
#define WATCH_HYSTERESIS_PCT 5

struct watch {
	unsigned level;    /* 0: below 80%, 1: 80%, 2: 95% */
	bool exhausted;    /* new flows are being refused */
	uint64_t refused;  /* the refusal counter at the last step */
	uint64_t refused0; /* ... when the exhaustion began */
	bool primed;       /* refused holds a real reading */
};

/* One step: used of total (total 0: not checked), refused the running
 * count of flows refused for want of the resource. Fills lines[] with what
 * to log (warnings) and returns how many. */
size_t watch_step(struct watch *w, const char *what, uint64_t used, uint64_t total,
                  uint64_t refused, char lines[WATCH_MAX_LINES][WATCH_LINE]);

#endif
