/* SPDX-License-Identifier: BSD-2-Clause */
/* state-file: the NAT64 sessions saved at exit (and periodically) and
 * restored at start, so a restart keeps them (state_file.h). The parent
 * opens, writes and renames the file; the engine reads and writes its
 * contents (privsep.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"
#include "nat64.h"
#include "privsep.h"
#include "state_file.h"

static uint64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* state-file at start, in the parent (which may read what the engine's
 * user may not): a missing file is a first start, NULL. */
FILE *state_open(const char *path)
{
	FILE *f = fopen(path, "re");

	if (!f && errno != ENOENT)
		log_warn("state-file %s: %s; starting with no sessions", path, strerror(errno));
	return f;
}

/* ... and in the engine: an unreadable or corrupt file costs the sessions,
 * never the start. */
void state_restore(struct nat64 *nat, FILE *f, const char *path)
{
	struct nat64_import_stats st = {0};
	char err[256];

	if (state_file_restore(f, nat, now_ms(), wall_ms(), &st, err, sizeof(err)) < 0)
		log_warn("state-file %s: %s; starting with no sessions", path, err);
	else
		log_info("state-file %s: restored %llu sessions, %llu BIB entries; refused "
		         "%llu outside pool4, %llu taken, %llu over limits, %llu not allowed, "
		         "%llu expired, %llu duplicate, %llu invalid",
		         path, (unsigned long long)st.sessions, (unsigned long long)st.bib,
		         (unsigned long long)st.outside_pool4, (unsigned long long)st.taken,
		         (unsigned long long)st.limit, (unsigned long long)st.not_allowed,
		         (unsigned long long)st.expired, (unsigned long long)st.duplicate,
		         (unsigned long long)st.invalid);
}

/* The stream state_file_write writes to: PS_STATE_DATA messages to the
 * parent, PS_STATE_CHUNK bytes at most each. */
static ssize_t to_parent(void *cookie, const char *buf, size_t len)
{
	const struct daemon *d = cookie;

	for (size_t off = 0; off < len;) {
		size_t n = len - off < PS_STATE_CHUNK ? len - off : PS_STATE_CHUNK;

		if (ps_send(d->ps_fd, PS_STATE_DATA, buf + off, n, NULL, 0) < 0)
			return off ? (ssize_t)off : -1;
		off += n;
	}
	return (ssize_t)len;
}

/* state-file at exit and every state-save-interval seconds: the engine
 * serializes the sessions, the parent writes FILE.tmp, fsyncs and renames
 * it over FILE (parent.c), and logs the outcome. periodic: success at debug
 * level only. */
void state_save(struct daemon *d, bool periodic)
{
	cookie_io_functions_t io = {.write = to_parent};
	struct ps_state_begin b = {.periodic = periodic};
	struct ps_state_end e = {0};
	size_t n = 0;
	FILE *f;

	if (ps_send(d->ps_fd, PS_STATE_BEGIN, &b, sizeof(b), NULL, 0) < 0) {
		log_warn("state-file %s: to the parent: %s; sessions not saved", d->cfg->state_file,
		         strerror(errno));
		return;
	}
	f = fopencookie(d, "w", io);
	if (f) {
		e.ok = state_file_write(f, d->nat, now_ms(), wall_ms(), &n) == 0;
		if (fclose(f) != 0)
			e.ok = 0;
	}
	e.sessions = n;
	if (ps_send(d->ps_fd, PS_STATE_END, &e, sizeof(e), NULL, 0) < 0)
		log_warn("state-file %s: to the parent: %s; sessions not saved", d->cfg->state_file,
		         strerror(errno));
}
