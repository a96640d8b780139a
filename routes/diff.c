/* SPDX-License-Identifier: BSD-2-Clause */
/* What a new route set changes (reload): pure, no netlink, so it is unit
 * tested (tests/unit/test_routes_diff.c). */
#include <string.h>

#include "routes_internal.h"

static bool same_route(const struct route_entry *a, const struct route_entry *b)
{
	return a->family == b->family && a->len == b->len && memcmp(a->dst, b->dst, 16) == 0;
}

size_t route_entries_diff(const struct route_entry *old, size_t n_old, struct route_entry *nw,
                          size_t n_new, struct route_entry *gone)
{
	size_t n_gone = 0;

	for (size_t j = 0; j < n_new; j++)
		nw[j].owned = false;
	for (size_t i = 0; i < n_old; i++) {
		bool kept = false;

		for (size_t j = 0; j < n_new && !kept; j++) {
			if (same_route(&old[i], &nw[j])) {
				/* ownership stays as it was: ours stay ours, and a
				 * route someone else made stays theirs */
				nw[j].owned = old[i].owned;
				kept = true;
			}
		}
		if (!kept && old[i].owned)
			gone[n_gone++] = old[i];
	}
	return n_gone;
}
