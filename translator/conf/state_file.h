/* SPDX-License-Identifier: BSD-2-Clause */
/* state-file: the NAT64 sessions saved at exit and restored at start, so a
 * restart (upgrade, `systemctl restart`) keeps every (X',x) <-> (T,t)
 * binding and live connections survive the short gap. The format is
 * described at the top of state_file.c.
 *
 * Pure functions over a stdio stream (a file, or fmemopen in tests); the
 * caller opens, fsyncs and renames. Times are passed in: now_ms from the
 * monotonic clock the NAT64 tables use, wall_ms from the real-time clock (ms
 * since the epoch), which is the only clock two processes share. */
#ifndef TUN64_STATE_FILE_H
#define TUN64_STATE_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "nat64.h"

#define STATE_FILE_VERSION 1
/* Longest line the reader accepts (a session line is about 150 bytes). */
#define STATE_FILE_LINE_MAX 256
/* Most sessions one file may hold: bounds the reader's memory. */
#define STATE_FILE_MAX_SESSIONS (1u << 24)

/* Write every live session of nat to f. Returns 0, or -1 on a write error
 * (errno from stdio). *n_written: sessions written. */
int state_file_write(FILE *f, struct nat64 *nat, uint64_t now_ms, uint64_t wall_ms,
                     size_t *n_written);

/* Read and check a whole file: all or nothing. On success *out (free() it)
 * holds *n sessions whose remaining_ms already lost the wall-clock time
 * that passed since the save (never below 0), and 0 is returned. On a
 * truncated, corrupt or unknown file: -1, one line in err, *out NULL. */
int state_file_read(FILE *f, uint64_t wall_ms, struct nat64_saved_session **out, size_t *n,
                    char *err, size_t errlen);

/* state_file_read, then nat64_import at now_ms. Returns 0 (counts in *st),
 * or -1 with err set (nothing imported, or out of memory part way). */
int state_file_restore(FILE *f, struct nat64 *nat, uint64_t now_ms, uint64_t wall_ms,
                       struct nat64_import_stats *st, char *err, size_t errlen);

#endif
