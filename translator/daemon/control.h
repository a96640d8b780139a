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
struct control_view {
	const struct tun64_config *cfg;
	struct nat64 *nat; /* NULL in stateless mode */
	struct tun64_counters counters;
	const char *tun_name;
	unsigned workers;
	const char *offloads; /* "csum tso4 tso6 ..." or "off (why)"; NULL: not shown */
	bool routes_installed;
	uint64_t uptime_s;
	/* the tc fast path's counters (stats), n_fastpath 0: not in use */
	const uint64_t *fastpath;
	const char *const *fastpath_names;
	size_t n_fastpath;
};

/* Create the listening socket (its directory too), mode 0660 so only root
 * and the socket's group can use it. Returns the fd, or -1 with err set. */
int control_listen(const char *path, char *err, size_t errlen);

/* Write the answer to one request line into f. Returns 0, or -1 if the
 * request was not understood (the answer then says why). "reload" is the
 * caller's: it is not handled here. Pure formatting, no I/O but f. */
int control_answer(const char *request, const struct control_view *v, FILE *f);

/* Remove the socket file. */
void control_close(int fd, const char *path);

#endif
