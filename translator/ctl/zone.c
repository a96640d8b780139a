/* SPDX-License-Identifier: BSD-2-Clause */
/* DNS master file reader for `tun64ctl map --zone` (see zone.h).
 *
 * RFC 1035 §5.1 master format, as BIND writes it: $ORIGIN, $TTL (RFC 2308
 * §4), owner names relative, absolute, "@" or left blank (the previous
 * owner), optional TTL and class in either order, ';' comments, '(' ')'
 * joining lines, quoted strings and backslash escapes.
 *
 * Decisions:
 * - Tokens are slices of the input text; nothing is copied but the names
 *   that must outlive their entry (origin, previous owner).
 * - Owner names are printed as written. To keep relative names meaning the
 *   same thing, the output repeats the $ORIGIN they were read under.
 * - A record without a TTL gets the one the zone gives it: $TTL if set, else
 *   the last TTL written on a record (RFC 1035 §5.1); with neither, the
 *   output has no TTL either and the loading server decides.
 * - TTLs accept BIND's units (1h30m, 2d, 1w) and must be at most 2^31 - 1
 *   (RFC 2181 §8).
 * - $INCLUDE and $GENERATE would hide A records from us: they are errors,
 *   not silently skipped. Run the tool on the included file separately. */
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "zone.h"

#define ZONE_MAX_TOKENS 8        /* an A record needs at most 5; the rest are only counted */
#define ZONE_NAME_MAX 1024       /* text form of a name, escapes included */
#define ZONE_TTL_MAX 2147483647L /* RFC 2181 §8 */

struct slice {
	const char *p;
	size_t n;
};

/* One entry: a line, or several joined by parentheses. */
struct entry {
	struct slice tok[ZONE_MAX_TOKENS];
	size_t ntok;      /* all tokens, also those past ZONE_MAX_TOKENS */
	bool blank_owner; /* began with white space: the previous owner */
	unsigned line;    /* where it began */
};

struct reader {
	const char *p; /* next character */
	unsigned line; /* line of *p */
};

struct zone_state {
	const char *name; /* file name for errors */
	char *err;
	size_t errlen;
	char origin[ZONE_NAME_MAX]; /* "" until the first $ORIGIN */
	char owner[ZONE_NAME_MAX];  /* previous owner, as written */
	char owner_origin[ZONE_NAME_MAX];
	bool have_owner;
	char written_origin[ZONE_NAME_MAX]; /* last $ORIGIN written to out */
	long default_ttl;                   /* $TTL, or -1 */
	long last_ttl;                      /* last TTL written on a record, or -1 */
	bool last_class_in;                 /* a record with no class has the previous one */
	zone_map4_fn map;
	void *map_arg;
	FILE *out;
	int written;
};

static int zone_error(struct zone_state *z, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* "NAME:LINE: reason"; always returns -1. */
static int zone_error(struct zone_state *z, unsigned line, const char *fmt, ...)
{
	size_t n;
	va_list ap;

	snprintf(z->err, z->errlen, "%s:%u: ", z->name, line);
	n = strlen(z->err);
	va_start(ap, fmt);
	vsnprintf(z->err + n, z->errlen - n, fmt, ap);
	va_end(ap);
	return -1;
}

static bool slice_is(struct slice s, const char *word)
{
	return s.n == strlen(word) && strncasecmp(s.p, word, s.n) == 0;
}

/* Copy a slice into a NUL-terminated buffer; false if it does not fit. */
static bool slice_copy(struct slice s, char *buf, size_t len)
{
	if (s.n >= len)
		return false;
	memcpy(buf, s.p, s.n);
	buf[s.n] = '\0';
	return true;
}

/* --- reading entries --- */

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* A character that ends an unquoted token. */
static bool ends_token(char c)
{
	return c == '\0' || c == '\n' || is_blank(c) || c == ';' || c == '(' || c == ')' ||
	       c == '"';
}

/* Past a quoted string starting at r->p ('"'). Returns -1 if it never ends. */
static int skip_quoted(struct reader *r)
{
	for (r->p++; *r->p != '"'; r->p++) {
		if (*r->p == '\0')
			return -1;
		if (*r->p == '\\' && r->p[1] != '\0')
			r->p++;
		if (*r->p == '\n')
			r->line++;
	}
	r->p++;
	return 0;
}

/* Past an unquoted token; a backslash escapes the next character. */
static void skip_word(struct reader *r)
{
	while (!ends_token(*r->p)) {
		if (*r->p == '\\' && r->p[1] != '\0' && r->p[1] != '\n')
			r->p++;
		r->p++;
	}
}

static void entry_start(struct entry *e, const struct reader *r)
{
	e->ntok = 0;
	e->line = r->line;
	e->blank_owner = is_blank(*r->p);
}

static void entry_add(struct entry *e, const char *start, const char *end)
{
	if (e->ntok < ZONE_MAX_TOKENS)
		e->tok[e->ntok] = (struct slice){start, (size_t)(end - start)};
	e->ntok++;
}

/* The next entry with at least one token. Returns 1, 0 at the end of the
 * text, or -1 (error set). */
static int read_entry(struct zone_state *z, struct reader *r, struct entry *e)
{
	unsigned depth = 0, open_line = 0;

	entry_start(e, r);
	for (;;) {
		const char *start = r->p;

		switch (*r->p) {
		case '\0':
			if (depth > 0)
				return zone_error(z, open_line, "'(' is never closed");
			return e->ntok > 0;
		case '\n':
			r->p++;
			r->line++;
			if (depth > 0)
				break;
			if (e->ntok > 0)
				return 1;
			entry_start(e, r);
			break;
		case ';':
			r->p += strcspn(r->p, "\n");
			break;
		case '(':
			if (depth++ == 0)
				open_line = r->line;
			r->p++;
			break;
		case ')':
			if (depth == 0)
				return zone_error(z, r->line, "')' without '('");
			depth--;
			r->p++;
			break;
		case '"':
			if (skip_quoted(r) < 0)
				return zone_error(z, e->line, "quoted string is never closed");
			entry_add(e, start, r->p);
			break;
		default:
			if (is_blank(*r->p)) {
				r->p++;
				break;
			}
			skip_word(r);
			entry_add(e, start, r->p);
			break;
		}
	}
}

/* --- names and numbers --- */

/* Ends in a '.' that is not escaped (an odd number of backslashes before it
 * would escape it). */
static bool name_is_absolute(const char *s)
{
	size_t n = strlen(s), bs = 0;

	if (n == 0 || s[n - 1] != '.')
		return false;
	while (bs + 1 < n && s[n - 2 - bs] == '\\')
		bs++;
	return bs % 2 == 0;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static long ttl_unit(char c)
{
	switch (c) {
	case 's':
	case 'S':
		return 1;
	case 'm':
	case 'M':
		return 60;
	case 'h':
	case 'H':
		return 3600;
	case 'd':
	case 'D':
		return 86400;
	case 'w':
	case 'W':
		return 604800;
	default:
		return 0;
	}
}

/* "3600", or BIND's "1h30m". Returns the seconds, or -1. */
static long parse_ttl(struct slice s)
{
	long total = 0;
	size_t i = 0;

	while (i < s.n) {
		long v = 0, unit = 1;

		if (!is_digit(s.p[i]))
			return -1;
		for (; i < s.n && is_digit(s.p[i]); i++) {
			v = v * 10 + (s.p[i] - '0');
			if (v > ZONE_TTL_MAX)
				return -1;
		}
		if (i < s.n) {
			unit = ttl_unit(s.p[i++]);
			if (unit == 0)
				return -1;
		} else if (total > 0) {
			return -1; /* "1h30": a bare number after a unit */
		}
		if (v > (ZONE_TTL_MAX - total) / unit)
			return -1;
		total += v * unit;
	}
	return total;
}

/* RFC 1035 §3.2.4 classes, and RFC 3597 CLASSnnn. */
static bool is_class(struct slice s)
{
	size_t i;

	if (slice_is(s, "IN") || slice_is(s, "CH") || slice_is(s, "HS") || slice_is(s, "CS"))
		return true;
	if (s.n <= 5 || strncasecmp(s.p, "CLASS", 5) != 0)
		return false;
	for (i = 5; i < s.n; i++)
		if (!is_digit(s.p[i]))
			return false;
	return true;
}

/* --- directives --- */

static int set_origin(struct zone_state *z, const struct entry *e)
{
	char name[ZONE_NAME_MAX], full[ZONE_NAME_MAX];

	if (e->ntok != 2)
		return zone_error(z, e->line, "$ORIGIN needs one domain name");
	if (!slice_copy(e->tok[1], name, sizeof(name)))
		return zone_error(z, e->line, "$ORIGIN: name too long");
	if (name_is_absolute(name)) {
		strcpy(z->origin, name);
		return 0;
	}
	/* RFC 1035 §5.1: a relative name is relative to the current origin */
	if (z->origin[0] == '\0')
		return zone_error(z, e->line, "$ORIGIN %s: relative, and no origin before it",
		                  name);
	if ((size_t)snprintf(full, sizeof(full), "%s.%s", name, z->origin) >= sizeof(full))
		return zone_error(z, e->line, "$ORIGIN: name too long");
	strcpy(z->origin, full);
	return 0;
}

static int set_default_ttl(struct zone_state *z, const struct entry *e)
{
	long ttl = e->ntok == 2 ? parse_ttl(e->tok[1]) : -1;

	if (ttl < 0)
		return zone_error(z, e->line, "$TTL needs one TTL (0..%ld, units s m h d w)",
		                  ZONE_TTL_MAX);
	z->default_ttl = ttl;
	return 0;
}

static int directive(struct zone_state *z, const struct entry *e)
{
	struct slice d = e->tok[0];

	if (slice_is(d, "$ORIGIN"))
		return set_origin(z, e);
	if (slice_is(d, "$TTL"))
		return set_default_ttl(z, e);
	if (slice_is(d, "$INCLUDE"))
		return zone_error(z, e->line,
		                  "$INCLUDE is not followed: convert the included file on its own");
	return zone_error(z, e->line, "%.*s is not supported", (int)d.n, d.p);
}

/* --- records --- */

/* The owner of entry e: its first token, or the previous owner. Sets *next
 * to the index of the token after the owner. */
static int take_owner(struct zone_state *z, const struct entry *e, size_t *next)
{
	if (e->blank_owner) {
		if (!z->have_owner)
			return zone_error(z, e->line, "no owner name, and no record before");
		*next = 0;
		return 0;
	}
	if (!slice_copy(e->tok[0], z->owner, sizeof(z->owner)))
		return zone_error(z, e->line, "owner name too long");
	strcpy(z->owner_origin, z->origin);
	z->have_owner = true;
	*next = 1;
	return 0;
}

/* The A record's line, with a $ORIGIN before it when its owner needs one. */
static void write_aaaa(struct zone_state *z, long ttl, const uint8_t v6[16])
{
	char a6[INET6_ADDRSTRLEN];

	if (!name_is_absolute(z->owner) && z->owner_origin[0] != '\0' &&
	    strcmp(z->owner_origin, z->written_origin) != 0) {
		fprintf(z->out, "$ORIGIN %s\n", z->owner_origin);
		strcpy(z->written_origin, z->owner_origin);
	}
	addr6_str(v6, a6, sizeof(a6));
	if (ttl >= 0)
		fprintf(z->out, "%s %ld IN AAAA %s\n", z->owner, ttl, a6);
	else
		fprintf(z->out, "%s IN AAAA %s\n", z->owner, a6);
	z->written++;
}

static int a_record(struct zone_state *z, const struct entry *e, size_t i, long ttl)
{
	char text[INET_ADDRSTRLEN];
	uint8_t v6[16];
	uint32_t v4;

	if (e->ntok != i + 1)
		return zone_error(z, e->line, "A record needs exactly one IPv4 address");
	if (!slice_copy(e->tok[i], text, sizeof(text)) || addr4_parse(text, &v4) < 0)
		return zone_error(z, e->line, "A record: '%.*s' is not an IPv4 address",
		                  (int)e->tok[i].n, e->tok[i].p);
	if (ttl < 0)
		ttl = z->default_ttl >= 0 ? z->default_ttl : z->last_ttl;
	if (z->map(v4, v6, z->map_arg))
		write_aaaa(z, ttl, v6);
	return 0;
}

/* OWNER [TTL] [CLASS] TYPE RDATA, TTL and class in either order. */
static int record(struct zone_state *z, const struct entry *e)
{
	long ttl = -1;
	size_t i = 0, k;

	if (take_owner(z, e, &i) < 0)
		return -1;
	for (k = 0; k < 2 && i < e->ntok && i < ZONE_MAX_TOKENS; k++) {
		struct slice t = e->tok[i];

		if (is_digit(t.p[0]) && ttl < 0) {
			ttl = parse_ttl(t);
			if (ttl < 0)
				return zone_error(z, e->line, "'%.*s' is not a TTL", (int)t.n, t.p);
			z->last_ttl = ttl;
		} else if (is_class(t)) {
			z->last_class_in = slice_is(t, "IN");
		} else {
			break;
		}
		i++;
	}
	if (i >= e->ntok)
		return zone_error(z, e->line, "no record type");
	if (i >= ZONE_MAX_TOKENS || !slice_is(e->tok[i], "A") || !z->last_class_in)
		return 0; /* not an A record of class IN: ignored */
	return a_record(z, e, i + 1, ttl);
}

int zone_a_to_aaaa(const char *text, const char *name, zone_map4_fn map, void *arg, FILE *out,
                   char *err, size_t errlen)
{
	struct zone_state z;
	struct reader r = {.p = text, .line = 1};
	struct entry e;
	int rc;

	memset(&z, 0, sizeof(z));
	z.name = name;
	z.err = err;
	z.errlen = errlen;
	z.default_ttl = -1;
	z.last_ttl = -1;
	z.last_class_in = true;
	z.map = map;
	z.map_arg = arg;
	z.out = out;
	while ((rc = read_entry(&z, &r, &e)) > 0) {
		if (!e.blank_owner && e.tok[0].p[0] == '$')
			rc = directive(&z, &e);
		else
			rc = record(&z, &e);
		if (rc < 0)
			return -1;
	}
	return rc < 0 ? -1 : z.written;
}
