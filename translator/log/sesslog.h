/* SPDX-License-Identifier: BSD-2-Clause */
/* session-log (RFC 6888 REQ-12, RFC 7422): the events of the NAT64 tables
 * (nat64.h, struct nat64_event) on their way to a file, syslog and
 * `tun64ctl sessions --follow`.
 *
 * Workers (and the expiry) push fixed-size records onto one bounded
 * multi-producer ring with atomics only (Vyukov's bounded queue: a sequence
 * number per slot); the engine's main thread is the single consumer. A push
 * never waits: a full ring counts the event as lost. No system call here. */
#ifndef TUN64_SESSLOG_H
#define TUN64_SESSLOG_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nat64.h"

struct sesslog_rec {
	uint64_t wall_ms; /* UTC, milliseconds since 1970 */
	struct nat64_event ev;
};

struct sesslog_slot {
	_Atomic uint64_t seq;
	struct sesslog_rec rec;
};

struct sesslog_ring {
	alignas(64) _Atomic uint64_t head; /* next slot to fill (producers) */
	alignas(64) uint64_t tail;         /* next slot to read (consumer) */
	alignas(64) _Atomic uint64_t lost; /* pushes a full ring refused */
	size_t mask;
	struct sesslog_slot *slots;
};

/* cap: slots, a power of two >= 2. Returns -1 when out of memory. */
int sesslog_ring_init(struct sesslog_ring *r, size_t cap);
void sesslog_ring_destroy(struct sesslog_ring *r);
/* Any thread. false (and lost + 1) when the ring is full. */
bool sesslog_push(struct sesslog_ring *r, const struct sesslog_rec *rec);
/* The consumer only. false when empty. */
bool sesslog_pop(struct sesslog_ring *r, struct sesslog_rec *rec);
uint64_t sesslog_lost(const struct sesslog_ring *r);

/* "2026-12-06T20:38:59.123Z" (RFC 3339, UTC); buf: 48 bytes (24 used). */
void sesslog_time(uint64_t wall_ms, char buf[48]);
const char *sesslog_kind_name(uint8_t kind);

/* Which events the file or syslog gets: with port blocks, the blocks; else
 * the BIB entries (mappings). With the destination, also (per-port: instead)
 * the sessions, which carry it. */
bool sesslog_line_wanted(uint8_t kind, bool blocks, bool with_dst);

/* One log line, no newline:
 *   TIME bib-add udp [2001:db8:6::2]:40000 198.51.100.1:2001
 *   TIME session-add tcp [2001:db8:6::2]:40000 198.51.100.1:2001 203.0.113.10:80
 *   TIME block-add udp 2001:db8:6::2 198.51.100.1:2048-2111
 * Returns the length (snprintf rules). */
int sesslog_format_line(const struct sesslog_rec *r, char *buf, size_t len);
/* The same as one JSON object, no newline. */
int sesslog_format_json(const struct sesslog_rec *r, char *buf, size_t len);

#endif
