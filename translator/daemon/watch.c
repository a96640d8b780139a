/* SPDX-License-Identifier: BSD-2-Clause */
/* Threshold and exhaustion lines for pool4 and max-sessions (watch.h). */
#include "watch.h"

#include <stdio.h>

static const unsigned THRESHOLD_PCT[] = {0, 80, 95};
#define N_LEVELS (sizeof(THRESHOLD_PCT) / sizeof(THRESHOLD_PCT[0]))

/* used/total >= pct%, without overflow for any 64-bit figures */
static bool at_least(uint64_t used, uint64_t total, unsigned pct)
{
	return (__uint128_t)used * 100 >= (__uint128_t)total * pct;
}

size_t watch_step(struct watch *w, const char *what, uint64_t used, uint64_t total,
                  uint64_t refused, char lines[WATCH_MAX_LINES][WATCH_LINE])
{
	uint64_t new_refusals = w->primed && refused > w->refused ? refused - w->refused : 0;
	unsigned level = w->level;
	size_t n = 0;

	w->refused = refused;
	w->primed = true;
	if (total) {
		/* up to the highest threshold reached; down only once clearly
		 * below the current one */
		while (level + 1 < N_LEVELS && at_least(used, total, THRESHOLD_PCT[level + 1]))
			level++;
		while (level > 0 &&
		       !at_least(used, total, THRESHOLD_PCT[level] - WATCH_HYSTERESIS_PCT))
			level--;
		if (level > w->level)
			snprintf(lines[n++], WATCH_LINE, "%s %u%% used (%llu of %llu)", what,
			         THRESHOLD_PCT[level], (unsigned long long)used,
			         (unsigned long long)total);
		w->level = level;
	}
	if (!w->exhausted && new_refusals) {
		w->exhausted = true;
		w->refused0 = refused - new_refusals;
		snprintf(lines[n++], WATCH_LINE,
		         "%s exhausted: new flows refused (%llu of %llu used)", what,
		         (unsigned long long)used, (unsigned long long)total);
	} else if (w->exhausted && !new_refusals && (!total || used < total)) {
		w->exhausted = false;
		snprintf(lines[n++], WATCH_LINE,
		         "%s exhaustion over: %llu flow(s) refused meanwhile (%llu of %llu used)",
		         what, (unsigned long long)(refused - w->refused0),
		         (unsigned long long)used, (unsigned long long)total);
	}
	return n;
}
