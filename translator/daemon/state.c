/* state-file: the NAT64 sessions saved at exit (and periodically) and
 * restored at start, so a restart keeps them (state_file.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"
#include "nat64.h"
#include "state_file.h"

static uint64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* state-file at start: a missing file is a first start; an unreadable or
 * corrupt one costs the sessions, never the start. */
void state_restore(struct nat64 *nat, const char *path)
{
	struct nat64_import_stats st = {0};
	char err[256];
	FILE *f = fopen(path, "re");

	if (!f) {
		if (errno != ENOENT)
			log_warn("state-file %s: %s; starting with no sessions", path,
			         strerror(errno));
		return;
	}
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
	fclose(f);
}

/* state-file at exit and every state-save-interval seconds: write FILE.tmp
 * (mode 0600: it lists clients), fsync, rename over FILE, so a crash half
 * way leaves the previous file whole. periodic: log success at debug level
 * only. */
void state_save(struct nat64 *nat, const char *path, bool periodic)
{
	char tmp[PATH_MAX + 8];
	size_t n = 0;
	FILE *f = NULL;
	int rc = -1, fd;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		log_warn("state-file %s: name too long; sessions not saved", path);
		return;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd >= 0)
		f = fdopen(fd, "w");
	if (f) {
		rc = state_file_write(f, nat, now_ms(), wall_ms(), &n);
		if (rc == 0 && fsync(fd) < 0)
			rc = -1;
		if (fclose(f) != 0)
			rc = -1;
	} else if (fd >= 0) {
		close(fd);
	}
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -1;
	if (rc < 0) {
		log_warn("state-file %s: %s; sessions not saved", path, strerror(errno));
		unlink(tmp);
		return;
	}
	if (periodic)
		log_debug("state-file %s: saved %zu sessions", path, n);
	else
		log_info("state-file %s: saved %zu sessions", path, n);
}
