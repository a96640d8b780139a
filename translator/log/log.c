/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "sesslog.h"

static _Atomic int max_level = LOG_LVL_INFO; /* set by the main thread, read by all */

/* 0: not looked yet; 1: plain stderr; 2: journald's stream. */
enum { STDERR_UNKNOWN = 0, STDERR_PLAIN, STDERR_JOURNAL };
static _Atomic int stderr_kind = STDERR_UNKNOWN;
static _Atomic bool use_syslog;

void log_set_level(enum log_level lvl)
{
	max_level = (int)lvl;
}

/* systemd.exec(5): JOURNAL_STREAM is "DEVICE:INODE" of the stream it
 * connected stdout/stderr to; if fd 2 is still that stream, journald reads
 * it (sd_journal_stream_fd(3)), else stderr was redirected. */
void log_detect_stderr(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	int kind = STDERR_PLAIN;

	if (js && sscanf(js, "%llu:%llu", &dev, &ino) == 2 && fstat(STDERR_FILENO, &st) == 0 &&
	    (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino)
		kind = STDERR_JOURNAL;
	atomic_store(&stderr_kind, kind);
}

bool log_stderr_is_journal(void)
{
	if (atomic_load(&stderr_kind) == STDERR_UNKNOWN)
		log_detect_stderr();
	return atomic_load(&stderr_kind) == STDERR_JOURNAL;
}

void log_to_syslog(void)
{
	/* glibc's syslog() formats a local time: read the zone now, while
	 * /etc/localtime may still be opened (the engine's filter forbids it). */
	tzset();
	openlog("tun64d", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	atomic_store(&use_syslog, true);
}

static int clamp(int level)
{
	return level < LOG_LVL_ERROR   ? LOG_LVL_ERROR
	       : level > LOG_LVL_DEBUG ? LOG_LVL_DEBUG
	                               : level;
}

void log_msg(int level, const char *fmt, ...)
{
	static const char *const tag[] = {"error: ", "warning: ", "", "debug: "};
	/* sd-daemon(3) SD_ERR, SD_WARNING, SD_INFO, SD_DEBUG; syslog(3) the same */
	static const int prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
	char line[1024], when[48];
	struct timespec ts;
	va_list ap;

	if (level > max_level)
		return;
	level = clamp(level);
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (atomic_load_explicit(&use_syslog, memory_order_relaxed)) {
		syslog(prio[level], "%s%s", tag[level], line);
		return;
	}
	/* One write per line so lines from several threads do not interleave. */
	if (log_stderr_is_journal()) {
		fprintf(stderr, "<%d>tun64d: %s%s\n", prio[level], tag[level], line);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts); /* the vDSO: no system call */
	sesslog_time((uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000, when);
	fprintf(stderr, "%s tun64d: %s%s\n", when, tag[level], line);
}
