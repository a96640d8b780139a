/* SPDX-License-Identifier: BSD-2-Clause */
/* tun64d configuration: `key value` lines, long options, reading the file,
 * and the checks of the whole. The keys themselves (defaults, value syntax,
 * printing, reload) are rows of the table in config_keys.c.
 *
 * Everything but config_load_file is pure: text in, struct out, errors as one
 * line "WHERE: KEY: reason" where WHERE is "FILE:LINE" or "--KEY".
 *
 * Decisions not fixed by DESIGN.md:
 * - pool4 ports default to 1024-65535: the well-known ports stay out of the
 *   dynamic pool so that a NAPT mapping never lands on a privileged port.
 * - A pool4 line covers /16 .. /32 (at most 65536 addresses); pool4 lines
 *   must not overlap each other.
 * - ipv4-addr defaults to the first usable address of the first pool4 prefix:
 *   the prefix address itself for /31 and /32 (RFC 3021), else prefix + 1.
 * - Timeouts accept any value from 1 s to 30 days. Values below the RFC 6146
 *   §4 minimums (UDP 120 s, TCP established 7440 s, from RFC 4787 REQ-5 and
 *   RFC 5382 REQ-5) are allowed, because labs and tests need short timers,
 *   but config_print marks them with a comment so `tun64d --check` shows it.
 * - The RFC 6052 §3.1 rule (no non-global IPv4 under 64:ff9b::/96) applies to
 *   the addresses in packets, so the translator enforces it per packet
 *   (allow_private_wkp lifts it); pool4, ipv4-addr and ipv6-addr are the
 *   translator's own addresses and are not embedded for peers, so no check here.
 * - `map` is only meaningful in stateless mode and `bib` only in stateful
 *   mode; config_finalize rejects them in the other mode instead of ignoring
 *   them silently. pool4 in stateless mode is ignored (it only provides the
 *   default ipv4-addr).
 * - `prefix none` (stateless only) needs an explicit ipv6-addr: see
 *   check_prefix_none. */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config_keys.h"

#define FILE_MAX_LEN (1024 * 1024)

/* value without leading and trailing white space, in buf */
static const char *trim(const char *s, char *buf, size_t buflen)
{
	size_t n;

	while (cfg_is_space(*s))
		s++;
	n = strlen(s);
	while (n > 0 && cfg_is_space(s[n - 1]))
		n--;
	if (n >= buflen)
		n = buflen - 1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return buf;
}

/* The first line of a key whose errors only finalize can find. */
static void remember_where(struct tun64_config *c, const char *key, const char *where)
{
	char *slot = strcmp(key, "map") == 0          ? c->where_map
	             : strcmp(key, "bib") == 0        ? c->where_bib
	             : strcmp(key, "masquerade") == 0 ? c->where_masquerade
	                                              : NULL;

	if (slot && !slot[0])
		snprintf(slot, sizeof(c->where_map), "%s", where);
}

int config_set(struct tun64_config *c, const char *key, const char *value, const char *where,
               char *err, size_t errlen)
{
	const struct config_key *k = config_key_find(key);
	char w[WHYLEN], v[LINE_MAX_LEN];

	if (!k) {
		snprintf(err, errlen, "%s: %s: unknown key", where, key);
		return -1;
	}
	if (strlen(value) >= sizeof(v)) {
		snprintf(err, errlen, "%s: %s: value too long", where, key);
		return -1;
	}
	trim(value, v, sizeof(v));
	if (v[0] == '\0') {
		snprintf(err, errlen, "%s: %s: needs a value", where, key);
		return -1;
	}
	if (config_key_set(k, c, v, w) < 0) {
		snprintf(err, errlen, "%s: %s: %s", where, key, w);
		return -1;
	}
	if (k->parse == cfg_set_prefix) /* config_finalize names it */
		snprintf(c->prefix_where, sizeof(c->prefix_where), "%s", where);
	remember_where(c, key, where);
	return 0;
}

/* A '#' at the start of a line or after white space starts a comment; a '#'
 * inside a word is data (bib uses ADDR#PORT). */
static void strip_comment(char *line)
{
	char *p;

	for (p = line; *p; p++) {
		if (*p == '#' && (p == line || cfg_is_space(p[-1]))) {
			*p = '\0';
			return;
		}
	}
}

/* One line: "key value...". Empty and comment lines are fine. */
static int parse_line(struct tun64_config *c, char *line, const char *where, char *err,
                      size_t errlen)
{
	char *key, *value;

	strip_comment(line);
	key = line;
	while (cfg_is_space(*key))
		key++;
	if (*key == '\0')
		return 0;
	value = key;
	while (*value && !cfg_is_space(*value))
		value++;
	if (*value)
		*value++ = '\0';
	return config_set(c, key, value, where, err, errlen);
}

int config_parse_text(struct tun64_config *c, const char *name, const char *text, char *err,
                      size_t errlen)
{
	char line[LINE_MAX_LEN], where[PATH_MAX + 32];
	unsigned lineno = 0;
	const char *p = text;
	int rc = 0;

	snprintf(c->source, sizeof(c->source), "%s", name);
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);

		lineno++;
		c->cur_line = lineno;
		snprintf(where, sizeof(where), "%s:%u", name, lineno);
		if (n >= sizeof(line)) {
			snprintf(err, errlen, "%s: line too long (at most %d characters)", where,
			         LINE_MAX_LEN - 1);
			rc = -1;
			break;
		}
		memcpy(line, p, n);
		line[n] = '\0';
		if (parse_line(c, line, where, err, errlen) < 0) {
			rc = -1;
			break;
		}
		p += n;
		if (*p == '\n')
			p++;
	}
	c->cur_line = 0; /* what comes next is an option */
	return rc;
}

/* "FILE: " for errors of the whole (a key missing, or one whose line is not
 * kept): the file read, "" when only options were given. */
static const char *in_file(const struct tun64_config *c, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s", c->source, c->source[0] ? ": " : "");
	return buf;
}

/* The one place outside tun64d.c with I/O: reading the file. */
/* The file tells a root daemon which paths to write (state-file,
 * control-socket) and whom to trust: anyone who may write it is root in
 * effect. Refuse a file others may write, or a group other than root's. */
static int check_file_writers(FILE *f, const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (fstat(fileno(f), &st) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	/* Only a regular file can be rewritten behind our back; /dev/null or
	 * a pipe (-c /dev/stdin) carry no lasting configuration. */
	if (!S_ISREG(st.st_mode))
		return 0;
	if (st.st_mode & S_IWOTH) {
		snprintf(err, errlen, "%s: writable by everyone; refusing it (chmod o-w %s)", path,
		         path);
		return -1;
	}
	if ((st.st_mode & S_IWGRP) && st.st_gid != 0) {
		snprintf(err, errlen,
		         "%s: writable by group %u, not root's; refusing it (chmod g-w %s)", path,
		         (unsigned)st.st_gid, path);
		return -1;
	}
	return 0;
}

int config_load_file(struct tun64_config *c, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char *text;
	size_t n;
	int rc;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (check_file_writers(f, path, err, errlen) < 0) {
		fclose(f);
		return -1;
	}
	text = malloc(FILE_MAX_LEN + 1);
	if (!text) {
		fclose(f);
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	n = fread(text, 1, FILE_MAX_LEN + 1, f);
	if (ferror(f) || n > FILE_MAX_LEN) {
		snprintf(err, errlen, "%s: %s", path,
		         ferror(f) ? "read error" : "file too large (at most 1 MiB)");
		fclose(f);
		free(text);
		return -1;
	}
	fclose(f);
	text[n] = '\0';
	if (strlen(text) != n) {
		snprintf(err, errlen, "%s: contains a NUL byte", path);
		free(text);
		return -1;
	}
	rc = config_parse_text(c, path, text, err, errlen);
	free(text);
	return rc;
}

/* --- the whole --- */

/* First usable address of the first pool4 prefix; see the top comment. */
static uint32_t first_pool4_addr(const struct pool4_range *r)
{
	return r->len >= 31 ? r->addr : r->addr + 1;
}

static int check_pool4(const struct tun64_config *c, char *err, size_t errlen)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN], f[PATH_MAX + 2];
	size_t i, j;

	if (c->mode == XLAT_STATEFUL && c->n_pool4 == 0) {
		snprintf(err, errlen, "%spool4: stateful mode needs at least one pool4 prefix",
		         in_file(c, f, sizeof(f)));
		return -1;
	}
	for (i = 0; i < c->n_pool4; i++)
		for (j = i + 1; j < c->n_pool4; j++)
			if (cfg_pool4_overlap(&c->pool4[i], &c->pool4[j])) {
				snprintf(err, errlen, "%spool4: %s/%u overlaps %s/%u",
				         in_file(c, f, sizeof(f)),
				         addr4_str(c->pool4[j].addr, a, sizeof(a)), c->pool4[j].len,
				         addr4_str(c->pool4[i].addr, b, sizeof(b)),
				         c->pool4[i].len);
				return -1;
			}
	return 0;
}

static bool in_pool4(const struct tun64_config *c, uint32_t a)
{
	size_t i;

	for (i = 0; i < c->n_pool4; i++) {
		struct prefix4 p = {c->pool4[i].addr, c->pool4[i].len};

		if (prefix4_contains(&p, a))
			return true;
	}
	return false;
}

static int check_mode_lists(const struct tun64_config *c, char *err, size_t errlen)
{
	char a[INET_ADDRSTRLEN], f[PATH_MAX + 16];
	size_t i;

	if (c->mode == XLAT_STATEFUL && c->n_map > 0) {
		snprintf(err, errlen, "%s%smap: explicit address mappings need mode stateless",
		         c->where_map, c->where_map[0] ? ": " : "");
		return -1;
	}
	if (c->mode == XLAT_STATELESS && c->n_bib > 0) {
		snprintf(err, errlen, "%s%sbib: static bindings need mode stateful", c->where_bib,
		         c->where_bib[0] ? ": " : "");
		return -1;
	}
	/* what it masquerades is pool4, which stateless mode does not use */
	if (c->mode == XLAT_STATELESS && c->masquerade[0]) {
		snprintf(err, errlen, "%s%smasquerade: needs mode stateful (it masquerades pool4)",
		         c->where_masquerade, c->where_masquerade[0] ? ": " : "");
		return -1;
	}
	/* RFC 6146 §3.5: T is always a pool4 address */
	for (i = 0; i < c->n_bib; i++)
		if (!in_pool4(c, c->bib[i].addr4)) {
			if (c->bib_line[i])
				snprintf(f, sizeof(f), "%s:%u: ", c->source, c->bib_line[i]);
			else /* an option */
				snprintf(f, sizeof(f), "--bib: ");
			snprintf(err, errlen, "%sbib: %s is not inside any pool4 prefix", f,
			         addr4_str(c->bib[i].addr4, a, sizeof(a)));
			return -1;
		}
	return 0;
}

/* `prefix none` (RFC 7757 EAM only): stateless only, since stateful
 * translation names every IPv4 host by the prefix; and no ipv6-addr can be
 * derived, so it must be given. Not taken from rfc6791-pool6: those
 * addresses are handed out by hash to IPv4 routers, and one of them would
 * then also be the translator's own. */
static int check_prefix_none(const struct tun64_config *c, char *err, size_t errlen)
{
	const char *where = c->prefix_where[0] ? c->prefix_where : "prefix";

	if (c->mode == XLAT_STATEFUL) {
		snprintf(err, errlen,
		         "%s: prefix: none needs mode stateless (stateful NAT64 names IPv4 hosts "
		         "by the prefix)",
		         where);
		return -1;
	}
	if (!c->ipv6_addr_set) {
		snprintf(err, errlen,
		         "%s: prefix: none gives no default ipv6-addr; set ipv6-addr (the "
		         "translator's own IPv6 address)",
		         where);
		return -1;
	}
	return 0;
}

int config_finalize(struct tun64_config *c, char *err, size_t errlen)
{
	char f[sizeof(c->prefix_where) + 2];

	if (config_prefix_none(c)) {
		if (check_prefix_none(c, err, errlen) < 0)
			return -1;
	} else if (!rfc6052_valid_len(c->prefix.len)) {
		if (c->prefix_where[0])
			snprintf(f, sizeof(f), "%s: ", c->prefix_where);
		else
			in_file(c, f, sizeof(f));
		snprintf(err, errlen,
		         "%sprefix: length %u is not allowed (RFC 6052: 32, 40, 48, 56, 64, 96)", f,
		         c->prefix.len);
		return -1;
	}
	if (check_pool4(c, err, errlen) < 0 || check_mode_lists(c, err, errlen) < 0)
		return -1;
	/* Stateless ICMPv4 errors (Fragmentation Needed among them, PMTUD)
	 * come from ipv4-addr: the built-in pool4 is RFC 1918, which bogon
	 * filters drop, so it is no default there (issue 14). */
	if (!c->ipv4_addr_set && c->mode == XLAT_STATELESS && c->rfc6791_pool4_set) {
		struct pool4_range r = {.addr = c->rfc6791_pool4.addr, .len = c->rfc6791_pool4.len};

		c->ipv4_addr = first_pool4_addr(&r);
	} else if (!c->ipv4_addr_set && c->mode == XLAT_STATELESS && c->pool4_default) {
		snprintf(err, errlen,
		         "%sipv4-addr: stateless mode needs it (the source of ICMPv4 errors: a "
		         "global address), or rfc6791-pool4 or pool4 to take it from",
		         in_file(c, f, sizeof(f)));
		return -1;
	} else if (!c->ipv4_addr_set) {
		if (c->n_pool4 == 0) {
			snprintf(err, errlen,
			         "%sipv4-addr: not set and there is no pool4 to take "
			         "it from",
			         in_file(c, f, sizeof(f)));
			return -1;
		}
		c->ipv4_addr = first_pool4_addr(&c->pool4[0]);
	}
	if (!c->ipv6_addr_set)
		rfc6052_embed(&c->prefix, c->ipv4_addr, c->ipv6_addr);
	return 0;
}
