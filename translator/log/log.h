/* SPDX-License-Identifier: BSD-2-Clause */
/* Daemon logging, filtered by level, one write per line:
 * - stderr read by journald (JOURNAL_STREAM names our stderr): "<6>tun64d: ..."
 *   with the sd-daemon(3) priority prefix, no time (the journal adds it);
 * - any other stderr: "2026-12-06T21:19:24.782Z tun64d: ..." (UTC);
 * - `log syslog`: syslog(3), facility daemon, tag tun64d[PID]. */
#ifndef TUN64_LOG_H
#define TUN64_LOG_H

#include <stdbool.h>

enum log_level { LOG_LVL_ERROR = 0, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

/* Where lines go (`log stderr|syslog`); the order is the config word's. */
enum log_target { LOG_TO_STDERR = 0, LOG_TO_SYSLOG };

void log_set_level(enum log_level lvl);
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Look again whether stderr is the journal's stream (JOURNAL_STREAM against
 * fstat of fd 2). log_msg does it once by itself; tests and a process that
 * moved its stderr call this. */
void log_detect_stderr(void);
bool log_stderr_is_journal(void);

/* `log syslog`: openlog(LOG_PID | LOG_NDELAY, LOG_DAEMON) now, so the
 * socket exists before a seccomp filter, and every later line goes there.
 * Call before fork(): the engine shares the socket. */
void log_to_syslog(void);

#define log_err(...) log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

#endif
