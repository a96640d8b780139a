/* SPDX-License-Identifier: BSD-2-Clause */
/* state-file format, version 1: text, one record a line, '\n' line ends,
 * single spaces between fields, nothing else (no comments, no blank lines):
 *
 *   tun64-state 1
 *   saved-at-ms WALL_MS
 *   session PROTO X' x T t Z z STATE REMAINING_MS static|dynamic P6 B6 P4 B4
 *   ...
 *   end COUNT CRC32
 *
 * WALL_MS: real-time clock at the save, ms since the epoch. PROTO: tcp, udp
 * or icmp. X' is the IPv6 client, x its port (ICMP: identifier); (T,t) its
 * pool4 binding; (Z,z) the IPv4 remote (ICMP: z == t). STATE is the RFC 6146
 * §3.5.2 TCP state name of nat64_tcp_state_name ("-" for UDP and ICMP).
 * REMAINING_MS is the session lifetime left at the save: monotonic clocks
 * differ between processes, so the reader subtracts the wall-clock time
 * since WALL_MS and the importer counts the rest from its own now. P6 B6 P4
 * B4: the session's packets and bytes 6to4 and 4to6 (struct
 * nat64_saved_session); a line without them (a file written before they
 * were) reads as counts of 0. COUNT is
 * the number of session lines; CRC32 (IEEE 802.3, 8 lower-case hex digits)
 * covers every byte before the "end" line. Numbers are decimal without sign
 * or leading '+'.
 *
 * A reader accepts a file only whole: the right magic and version, every
 * line well formed, the end line present with the right count and CRC, and
 * nothing after it. A save interrupted half way, a truncated or edited file
 * is refused as a whole and the daemon starts empty. Whether each session
 * still fits the new configuration (pool4, limits) is nat64_import's job. */
#include "state_file.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>

#include "addr.h"

#define MAGIC "tun64-state"
#define N_SESSION_FIELDS 15
#define N_SESSION_FIELDS_OLD 11 /* without the counts */

/* CRC-32 (IEEE 802.3, reflected, poly 0xedb88320), bitwise: the files are
 * small and written once per restart. crc starts at 0. */
static uint32_t crc32_update(uint32_t crc, const char *data, size_t len)
{
	crc = ~crc;
	for (size_t i = 0; i < len; i++) {
		crc ^= (uint8_t)data[i];
		for (int k = 0; k < 8; k++)
			crc = crc >> 1 ^ (0xedb88320u & (0u - (crc & 1)));
	}
	return ~crc;
}

static const char *proto_name(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_ICMP:
		return "icmp";
	}
	return NULL;
}

static int proto_parse(const char *s, uint8_t *proto)
{
	static const uint8_t protos[] = {IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP};

	for (size_t i = 0; i < sizeof(protos); i++) {
		if (strcmp(s, proto_name(protos[i])) == 0) {
			*proto = protos[i];
			return 0;
		}
	}
	return -1;
}

static int state_parse(const char *s, enum nat64_tcp_state *st)
{
	for (int i = NAT64_TCP_NONE; i <= NAT64_TCP_TRANS; i++) {
		if (strcmp(s, nat64_tcp_state_name((enum nat64_tcp_state)i)) == 0) {
			*st = (enum nat64_tcp_state)i;
			return 0;
		}
	}
	return -1;
}

/* Decimal, digits only, at most max. */
static int u64_parse(const char *s, uint64_t max, uint64_t *v)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*v = strtoull(s, &end, 10);
	if (errno || *end || *v > max)
		return -1;
	return 0;
}

static int port_parse(const char *s, uint16_t *port)
{
	uint64_t v;

	if (u64_parse(s, UINT16_MAX, &v) < 0)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

/* ---- writing ---- */

struct writer {
	FILE *f;
	uint32_t crc;
	size_t n;
};

static int put_line(struct writer *w, const char *line, int len)
{
	if (len < 0 || len >= STATE_FILE_LINE_MAX)
		return -1;
	w->crc = crc32_update(w->crc, line, (size_t)len);
	return fwrite(line, 1, (size_t)len, w->f) == (size_t)len ? 0 : -1;
}

static int format_session(const struct nat64_saved_session *e, char *buf, size_t len)
{
	char x6[INET6_ADDRSTRLEN], t4[16], z4[16];
	const char *proto = proto_name(e->proto);

	if (!proto)
		return -1;
	addr6_str(e->v6.addr, x6, sizeof(x6));
	addr4_str(e->v4.addr, t4, sizeof(t4));
	addr4_str(e->remote.addr, z4, sizeof(z4));
	return snprintf(buf, len,
	                "session %s %s %u %s %u %s %u %s %" PRIu64 " %s %" PRIu64 " %" PRIu64
	                " %" PRIu64 " %" PRIu64 "\n",
	                proto, x6, e->v6.port, t4, e->v4.port, z4, e->remote.port,
	                nat64_tcp_state_name(e->state), e->remaining_ms,
	                e->is_static ? "static" : "dynamic", e->packets[NAT64_DIR_6TO4],
	                e->bytes[NAT64_DIR_6TO4], e->packets[NAT64_DIR_4TO6],
	                e->bytes[NAT64_DIR_4TO6]);
}

static int write_session(const struct nat64_saved_session *e, void *arg)
{
	struct writer *w = arg;
	char line[STATE_FILE_LINE_MAX];

	if (put_line(w, line, format_session(e, line, sizeof(line))) < 0)
		return -1;
	w->n++;
	return 0;
}

int state_file_write(FILE *f, struct nat64 *nat, uint64_t now_ms, uint64_t wall_ms,
                     size_t *n_written)
{
	struct writer w = {f, 0, 0};
	char line[STATE_FILE_LINE_MAX];

	*n_written = 0;
	if (put_line(&w, line, snprintf(line, sizeof(line), MAGIC " %d\n", STATE_FILE_VERSION)) ||
	    put_line(&w, line, snprintf(line, sizeof(line), "saved-at-ms %" PRIu64 "\n", wall_ms)))
		return -1;
	if (nat64_export(nat, now_ms, write_session, &w))
		return -1;
	if (fprintf(f, "end %zu %08" PRIx32 "\n", w.n, w.crc) < 0 || fflush(f))
		return -1;
	*n_written = w.n;
	return 0;
}

/* ---- reading ---- */

struct reader {
	FILE *f;
	uint32_t crc;
	unsigned lineno;
	char line[STATE_FILE_LINE_MAX];
	char *err;
	size_t errlen;
};

static int read_fail(struct reader *r, const char *what)
{
	snprintf(r->err, r->errlen, "line %u: %s", r->lineno, what);
	return -1;
}

/* Next whole line into r->line without its '\n'; the CRC covers it unless
 * it is the end line. 0, or -1 at EOF, on a line without '\n' or too long. */
static int next_line(struct reader *r)
{
	size_t len;

	r->lineno++;
	if (!fgets(r->line, sizeof(r->line), r->f))
		return read_fail(r, ferror(r->f) ? "read error" : "truncated (no end line)");
	len = strlen(r->line);
	if (len == 0 || r->line[len - 1] != '\n')
		return read_fail(r, feof(r->f) ? "truncated line" : "line too long");
	if (strncmp(r->line, "end ", 4) != 0)
		r->crc = crc32_update(r->crc, r->line, len);
	r->line[len - 1] = '\0';
	return 0;
}

/* Split line in place at single spaces into at most max fields; returns
 * the count, or -1 on an empty field (double, leading, trailing space). */
static int split_fields(char *line, char **field, int max)
{
	int n = 0;

	for (char *p = line;; p++) {
		if (n == max)
			return -1;
		field[n++] = p;
		p = strchr(p, ' ');
		if (!p)
			break;
		*p = '\0';
	}
	for (int i = 0; i < n; i++)
		if (!*field[i])
			return -1;
	return n;
}

static int parse_header(struct reader *r, uint64_t *saved_at)
{
	char version[16];

	snprintf(version, sizeof(version), "%d", STATE_FILE_VERSION);
	if (next_line(r) < 0)
		return -1;
	if (strncmp(r->line, MAGIC " ", sizeof(MAGIC)) != 0)
		return read_fail(r, "not a tun64 state file");
	if (strcmp(r->line + sizeof(MAGIC), version) != 0)
		return read_fail(r, "unsupported version");
	if (next_line(r) < 0)
		return -1;
	if (strncmp(r->line, "saved-at-ms ", 12) != 0 ||
	    u64_parse(r->line + 12, UINT64_MAX, saved_at) < 0)
		return read_fail(r, "bad saved-at-ms line");
	return 0;
}

/* The fields after "session" (nf of them, with or without the counts);
 * 0 or -1. */
static int parse_session(char **fl, int nf, struct nat64_saved_session *e)
{
	memset(e, 0, sizeof(*e));
	if (proto_parse(fl[0], &e->proto) || addr6_parse(fl[1], e->v6.addr) ||
	    port_parse(fl[2], &e->v6.port) || addr4_parse(fl[3], &e->v4.addr) ||
	    port_parse(fl[4], &e->v4.port) || addr4_parse(fl[5], &e->remote.addr) ||
	    port_parse(fl[6], &e->remote.port) || state_parse(fl[7], &e->state) ||
	    u64_parse(fl[8], UINT64_MAX, &e->remaining_ms))
		return -1;
	if (strcmp(fl[9], "static") == 0)
		e->is_static = true;
	else if (strcmp(fl[9], "dynamic") != 0)
		return -1;
	if (nf == N_SESSION_FIELDS - 1 &&
	    (u64_parse(fl[10], UINT64_MAX, &e->packets[NAT64_DIR_6TO4]) ||
	     u64_parse(fl[11], UINT64_MAX, &e->bytes[NAT64_DIR_6TO4]) ||
	     u64_parse(fl[12], UINT64_MAX, &e->packets[NAT64_DIR_4TO6]) ||
	     u64_parse(fl[13], UINT64_MAX, &e->bytes[NAT64_DIR_4TO6])))
		return -1;
	return 0;
}

/* The end line (in r->line): count and CRC must match, then EOF. */
static int check_end(struct reader *r, size_t n)
{
	char *fl[4];
	uint64_t count;
	char crc[9];

	if (split_fields(r->line, fl, 4) != 3 || u64_parse(fl[1], SIZE_MAX, &count) < 0)
		return read_fail(r, "bad end line");
	if (count != n)
		return read_fail(r, "session count does not match the end line");
	snprintf(crc, sizeof(crc), "%08" PRIx32, r->crc);
	if (strcmp(fl[2], crc) != 0)
		return read_fail(r, "checksum mismatch");
	if (fgetc(r->f) != EOF)
		return read_fail(r, "data after the end line");
	return 0;
}

static int grow(struct nat64_saved_session **v, size_t *cap)
{
	size_t ncap = *cap ? *cap * 2 : 64;
	struct nat64_saved_session *nv = realloc(*v, ncap * sizeof(**v));

	if (!nv)
		return -1;
	*v = nv;
	*cap = ncap;
	return 0;
}

/* Session lines up to and including the end line. */
static int parse_sessions(struct reader *r, struct nat64_saved_session **v, size_t *n)
{
	size_t cap = 0;

	for (;;) {
		char *fl[N_SESSION_FIELDS + 1];
		int nf;

		if (next_line(r) < 0)
			return -1;
		if (strncmp(r->line, "end ", 4) == 0)
			return check_end(r, *n);
		if (*n == STATE_FILE_MAX_SESSIONS)
			return read_fail(r, "too many sessions");
		if (*n == cap && grow(v, &cap) < 0)
			return read_fail(r, "out of memory");
		nf = split_fields(r->line, fl, N_SESSION_FIELDS + 1);
		if ((nf != N_SESSION_FIELDS && nf != N_SESSION_FIELDS_OLD) ||
		    strcmp(fl[0], "session") != 0 || parse_session(fl + 1, nf - 1, &(*v)[*n]) < 0)
			return read_fail(r, "bad session line");
		(*n)++;
	}
}

/* Wall-clock time since the save comes off every lifetime; a clock set
 * back counts as no time passed. */
static void age_sessions(struct nat64_saved_session *v, size_t n, uint64_t saved_at,
                         uint64_t wall_ms)
{
	uint64_t elapsed = wall_ms > saved_at ? wall_ms - saved_at : 0;

	for (size_t i = 0; i < n; i++)
		v[i].remaining_ms = v[i].remaining_ms > elapsed ? v[i].remaining_ms - elapsed : 0;
}

int state_file_read(FILE *f, uint64_t wall_ms, struct nat64_saved_session **out, size_t *n,
                    char *err, size_t errlen)
{
	struct reader r = {.f = f, .err = err, .errlen = errlen};
	struct nat64_saved_session *v = NULL;
	uint64_t saved_at;
	size_t count = 0;

	*out = NULL;
	*n = 0;
	if (parse_header(&r, &saved_at) < 0 || parse_sessions(&r, &v, &count) < 0) {
		free(v);
		return -1;
	}
	age_sessions(v, count, saved_at, wall_ms);
	*out = v;
	*n = count;
	return 0;
}

int state_file_restore(FILE *f, struct nat64 *nat, uint64_t now_ms, uint64_t wall_ms,
                       struct nat64_import_stats *st, char *err, size_t errlen)
{
	struct nat64_saved_session *v;
	size_t n;
	int rc = 0;

	if (state_file_read(f, wall_ms, &v, &n, err, errlen) < 0)
		return -1;
	if (nat64_import(nat, v, n, now_ms, st) != NAT64_OK) {
		snprintf(err, errlen, "out of memory restoring sessions");
		rc = -1;
	}
	free(v);
	return rc;
}
