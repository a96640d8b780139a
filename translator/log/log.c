/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>

#include "log.h"

static _Atomic int max_level = LOG_LVL_INFO; /* set by the main thread, read by all */

void log_set_level(enum log_level lvl)
{
	max_level = (int)lvl;
}

void log_msg(int level, const char *fmt, ...)
{
	static const char *const tag[] = {"error: ", "warning: ", "", "debug: "};
	char line[1024];
	va_list ap;

	if (level > max_level)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* One write per line so lines from several threads do not interleave. */
	fprintf(stderr, "tun64d: %s%s\n", tag[level < 0 ? 0 : level > 3 ? 3 : level], line);
}
