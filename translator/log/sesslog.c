/* SPDX-License-Identifier: BSD-2-Clause */
/* session-log ring and formats (sesslog.h). */
#include "sesslog.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sesslog_ring_init(struct sesslog_ring *r, size_t cap)
{
	memset(r, 0, sizeof(*r));
	if (cap < 2 || (cap & (cap - 1)))
		return -1;
	r->slots = calloc(cap, sizeof(*r->slots));
	if (!r->slots)
		return -1;
	r->mask = cap - 1;
	for (size_t i = 0; i < cap; i++)
		atomic_init(&r->slots[i].seq, i);
	return 0;
}

void sesslog_ring_destroy(struct sesslog_ring *r)
{
	free(r->slots);
	r->slots = NULL;
}

/* A slot is free for position pos when its seq == pos, readable when
 * seq == pos + 1; the consumer frees it for pos + cap. */
bool sesslog_push(struct sesslog_ring *r, const struct sesslog_rec *rec)
{
	uint64_t pos = atomic_load_explicit(&r->head, memory_order_relaxed);
	struct sesslog_slot *s;

	for (;;) {
		int64_t dif;

		s = &r->slots[pos & r->mask];
		dif = (int64_t)(atomic_load_explicit(&s->seq, memory_order_acquire) - pos);
		if (dif == 0) {
			if (atomic_compare_exchange_weak_explicit(&r->head, &pos, pos + 1,
			                                          memory_order_relaxed,
			                                          memory_order_relaxed))
				break;
		} else if (dif < 0) {
			atomic_fetch_add_explicit(&r->lost, 1, memory_order_relaxed);
			return false; /* full: the consumer has not freed this slot */
		} else {
			pos = atomic_load_explicit(&r->head, memory_order_relaxed);
		}
	}
	s->rec = *rec;
	atomic_store_explicit(&s->seq, pos + 1, memory_order_release);
	return true;
}

bool sesslog_pop(struct sesslog_ring *r, struct sesslog_rec *rec)
{
	struct sesslog_slot *s = &r->slots[r->tail & r->mask];

	if (atomic_load_explicit(&s->seq, memory_order_acquire) != r->tail + 1)
		return false;
	*rec = s->rec;
	atomic_store_explicit(&s->seq, r->tail + r->mask + 1, memory_order_release);
	r->tail++;
	return true;
}

uint64_t sesslog_lost(const struct sesslog_ring *r)
{
	return atomic_load_explicit(&r->lost, memory_order_relaxed);
}

/* Days since 1970-01-01 to a civil date (H. Hinnant's days_from_civil,
 * inverted). Not gmtime_r: glibc's reads the time zone on first use, which
 * opens /etc/localtime, a system call the engine's filter kills. */
static void civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

void sesslog_time(uint64_t wall_ms, char buf[48])
{
	uint64_t s = wall_ms / 1000;
	unsigned mon, day, sod = (unsigned)(s % 86400);
	int year;

	civil_from_days((int64_t)(s / 86400), &year, &mon, &day);
	snprintf(buf, 48, "%04d-%02u-%02uT%02u:%02u:%02u.%03uZ", year, mon, day, sod / 3600,
	         sod / 60 % 60, sod % 60, (unsigned)(wall_ms % 1000));
}

const char *sesslog_kind_name(uint8_t kind)
{
	static const char *const names[NAT64_EV_KINDS] = {
	    [NAT64_EV_BIB_ADD] = "bib-add",         [NAT64_EV_BIB_DEL] = "bib-del",
	    [NAT64_EV_SESSION_ADD] = "session-add", [NAT64_EV_SESSION_DEL] = "session-del",
	    [NAT64_EV_BLOCK_ADD] = "block-add",     [NAT64_EV_BLOCK_DEL] = "block-del",
	};

	return kind < NAT64_EV_KINDS ? names[kind] : "?";
}

bool sesslog_line_wanted(uint8_t kind, bool blocks, bool with_dst)
{
	switch (kind) {
	case NAT64_EV_BLOCK_ADD:
	case NAT64_EV_BLOCK_DEL:
		return blocks;
	case NAT64_EV_BIB_ADD:
	case NAT64_EV_BIB_DEL:
		return !blocks && !with_dst;
	case NAT64_EV_SESSION_ADD:
	case NAT64_EV_SESSION_DEL:
		return with_dst;
	default:
		return false;
	}
}

static const char *proto_str(uint8_t p)
{
	return p == IPPROTO_TCP ? "tcp" : p == IPPROTO_UDP ? "udp" : "icmp";
}

static bool is_block(uint8_t kind)
{
	return kind == NAT64_EV_BLOCK_ADD || kind == NAT64_EV_BLOCK_DEL;
}

static bool is_session(uint8_t kind)
{
	return kind == NAT64_EV_SESSION_ADD || kind == NAT64_EV_SESSION_DEL;
}

/* Text forms of the addresses of one record. */
struct rec_text {
	char time[48];
	char a6[INET6_ADDRSTRLEN];
	char a4[INET_ADDRSTRLEN];
	char r4[INET_ADDRSTRLEN];
};

static void rec_text(const struct sesslog_rec *r, struct rec_text *t)
{
	struct in_addr a = {htonl(r->ev.addr4)}, z = {htonl(r->ev.remote4)};

	sesslog_time(r->wall_ms, t->time);
	inet_ntop(AF_INET6, r->ev.addr6, t->a6, sizeof(t->a6));
	inet_ntop(AF_INET, &a, t->a4, sizeof(t->a4));
	inet_ntop(AF_INET, &z, t->r4, sizeof(t->r4));
}

int sesslog_format_line(const struct sesslog_rec *r, char *buf, size_t len)
{
	const struct nat64_event *e = &r->ev;
	struct rec_text t;

	rec_text(r, &t);
	if (is_block(e->kind))
		return snprintf(buf, len, "%s %s %s %s %s:%u-%u", t.time,
		                sesslog_kind_name(e->kind), proto_str(e->proto), t.a6, t.a4,
		                e->port4, e->port4_last);
	if (is_session(e->kind))
		return snprintf(buf, len, "%s %s %s [%s]:%u %s:%u %s:%u", t.time,
		                sesslog_kind_name(e->kind), proto_str(e->proto), t.a6, e->port6,
		                t.a4, e->port4, t.r4, e->rport4);
	return snprintf(buf, len, "%s %s %s [%s]:%u %s:%u", t.time, sesslog_kind_name(e->kind),
	                proto_str(e->proto), t.a6, e->port6, t.a4, e->port4);
}

int sesslog_format_json(const struct sesslog_rec *r, char *buf, size_t len)
{
	const struct nat64_event *e = &r->ev;
	struct rec_text t;

	rec_text(r, &t);
	if (is_block(e->kind))
		return snprintf(
		    buf, len,
		    "{\"time\":\"%s\",\"event\":\"%s\",\"proto\":\"%s\",\"ipv6\":\"%s\","
		    "\"ipv4\":\"%s\",\"port4_first\":%u,\"port4_last\":%u}",
		    t.time, sesslog_kind_name(e->kind), proto_str(e->proto), t.a6, t.a4, e->port4,
		    e->port4_last);
	if (is_session(e->kind))
		return snprintf(
		    buf, len,
		    "{\"time\":\"%s\",\"event\":\"%s\",\"proto\":\"%s\",\"ipv6\":\"%s\","
		    "\"port6\":%u,\"ipv4\":\"%s\",\"port4\":%u,\"dst4\":\"%s\","
		    "\"dport4\":%u}",
		    t.time, sesslog_kind_name(e->kind), proto_str(e->proto), t.a6, e->port6, t.a4,
		    e->port4, t.r4, e->rport4);
	return snprintf(buf, len,
	                "{\"time\":\"%s\",\"event\":\"%s\",\"proto\":\"%s\",\"ipv6\":\"%s\","
	                "\"port6\":%u,\"ipv4\":\"%s\",\"port4\":%u}",
	                t.time, sesslog_kind_name(e->kind), proto_str(e->proto), t.a6, e->port6,
	                t.a4, e->port4);
}
