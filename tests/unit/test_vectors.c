/* SPDX-License-Identifier: BSD-2-Clause */
/* Byte-exact packet cases as data: every .vec file under tests/vectors (format
 * in tests/vectors/README.md) run through xlat_packet with the test fixture.
 * Each case asserts the verdict, the exact output bytes, the reference
 * checksums of the output, where the output sits (in place or in the scratch
 * buffer) and that exactly the listed counters moved.
 *
 * Usage: test_vectors DIR (the tests/vectors folder). */
#define _XOPEN_SOURCE 700 /* nftw */
#include <check.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "counters.h"
#include "eam.h"
#include "pkt_helpers.h"
#include "xlat.h"
#include "xlat_fixture.h"

/* The fixture's addresses, the same in tests/vectors/run_translate.py. */
#define OWN4_SF "198.51.100.1"
#define OWN6_SF "2001:db8:64::c633:6401"
#define OWN4_SL "192.0.2.1"
#define OWN6_SL "2001:db8:64::c000:201"

#define MAX_OUT 4
#define MAX_SET 8
#define MAX_CASES 1024

enum vec_at { AT_ANY, AT_INPLACE, AT_SCRATCH };

struct vec_bytes {
	uint8_t *p;
	size_t len;
};

struct vec_case {
	char where[320]; /* file:line of "case" */
	char name[96];
	enum xlat_mode mode;
	char set[MAX_SET][96]; /* "key value" */
	int n_set;
	struct vec_bytes in;
	struct vec_bytes out[MAX_OUT];
	int n_out;
	enum vec_at at;
	bool have_counters;
	enum tun64_dir dir;
	uint64_t want[DIR_MAX][CTR_MAX];
};

static struct vec_case *cases;
static int n_cases;
static int parse_errors;

static void parse_error(const char *file, int line, const char *what)
{
	fprintf(stderr, "%s:%d: %s\n", file, line, what);
	parse_errors++;
}

static int hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Appends the hex digits of s (blanks allowed between bytes) to b. */
static int append_hex(struct vec_bytes *b, const char *s)
{
	size_t n = strlen(s);
	uint8_t *p = realloc(b->p, b->len + n / 2 + 1);

	if (!p)
		return -1;
	b->p = p;
	while (*s) {
		int hi, lo;

		if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') {
			s++;
			continue;
		}
		hi = hex_val(s[0]);
		lo = hi < 0 ? -1 : hex_val(s[1]);
		if (lo < 0)
			return -1;
		b->p[b->len++] = (uint8_t)(hi << 4 | lo);
		s += 2;
	}
	return 0;
}

static int counter_by_name(const char *s)
{
	for (int c = 0; c < CTR_MAX; c++)
		if (strcmp(counter_name((enum tun64_counter)c), s) == 0)
			return c;
	return -1;
}

static int parse_counters(struct vec_case *c, char *rest)
{
	char *save = NULL;
	char *tok = strtok_r(rest, " \t\n", &save);

	if (!tok)
		return -1;
	if (strcmp(tok, "6to4") == 0)
		c->dir = DIR_6TO4;
	else if (strcmp(tok, "4to6") == 0)
		c->dir = DIR_4TO6;
	else
		return -1;
	while ((tok = strtok_r(NULL, " \t\n", &save))) {
		int k = counter_by_name(tok);

		if (k < 0)
			return -1;
		c->want[c->dir][k]++;
	}
	c->have_counters = true;
	return 0;
}

/* One line of a case; cont: the bytes a continuation line appends to. */
static int parse_line(struct vec_case *c, char *key, char *rest, struct vec_bytes **cont)
{
	*cont = NULL;
	/* only-unit: a setting tun64.conf cannot express (run_translate.py) */
	if (strcmp(key, "why") == 0 || strcmp(key, "only-unit") == 0)
		return 0;
	if (strcmp(key, "mode") == 0) {
		if (strncmp(rest, "stateless", 9) == 0)
			c->mode = XLAT_STATELESS;
		else if (strncmp(rest, "stateful", 8) == 0)
			c->mode = XLAT_STATEFUL;
		else
			return -1;
		return 0;
	}
	if (strcmp(key, "set") == 0) {
		if (c->n_set == MAX_SET)
			return -1;
		snprintf(c->set[c->n_set++], sizeof(c->set[0]), "%s", rest);
		c->set[c->n_set - 1][strcspn(c->set[c->n_set - 1], "\n")] = '\0';
		return 0;
	}
	if (strcmp(key, "in") == 0) {
		*cont = &c->in;
		return append_hex(&c->in, rest);
	}
	if (strcmp(key, "out") == 0) {
		if (c->n_out == MAX_OUT)
			return -1;
		*cont = &c->out[c->n_out++];
		return append_hex(*cont, rest);
	}
	if (strcmp(key, "at") == 0) {
		if (strncmp(rest, "inplace", 7) == 0)
			c->at = AT_INPLACE;
		else if (strncmp(rest, "scratch", 7) == 0)
			c->at = AT_SCRATCH;
		else
			return -1;
		return 0;
	}
	if (strcmp(key, "counters") == 0)
		return parse_counters(c, rest);
	return -1;
}

static void finish_case(const char *file, int line, struct vec_case *c)
{
	if (c && !c->have_counters)
		parse_error(file, line, "case without a counters line");
}

static int load_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char buf[8192];
	int line = 0;
	struct vec_case *c = NULL;
	struct vec_bytes *cont = NULL;

	if (!f) {
		perror(path);
		return -1;
	}
	while (fgets(buf, sizeof(buf), f)) {
		char *s = buf + strspn(buf, " \t");
		char *key, *rest;
		bool indented = s != buf;

		line++;
		if (*s == '#' || *s == '\n' || *s == '\0') {
			cont = NULL;
			continue;
		}
		/* an indented line of hex digits only continues in / out */
		if (indented && cont &&
		    strspn(s, "0123456789abcdefABCDEF") == strcspn(s, " \t\n")) {
			if (append_hex(cont, s) < 0)
				parse_error(path, line, "bad hex");
			continue;
		}
		key = s;
		rest = s + strcspn(s, " \t\n");
		if (*rest)
			*rest++ = '\0';
		rest += strspn(rest, " \t");
		if (strcmp(key, "case") == 0) {
			finish_case(path, line, c);
			if (n_cases == MAX_CASES) {
				parse_error(path, line, "too many cases");
				break;
			}
			c = &cases[n_cases++];
			snprintf(c->where, sizeof(c->where), "%s:%d", path, line);
			snprintf(c->name, sizeof(c->name), "%.*s", (int)strcspn(rest, " \t\n"),
			         rest);
			c->mode = XLAT_STATELESS;
			continue;
		}
		if (!c || parse_line(c, key, rest, &cont) < 0)
			parse_error(path, line, "bad line");
	}
	finish_case(path, line, c);
	fclose(f);
	return 0;
}

static int visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	size_t n = strlen(path);

	(void)st;
	(void)ftw;
	if (type == FTW_F && n > 4 && strcmp(path + n - 4, ".vec") == 0)
		load_file(path);
	return 0;
}

/* `map P4 P6` lines of the case so far: the fixture's EAM table is rebuilt
 * from them at each one (xf_free frees it). */
static void add_map(struct xlat_fixture *f, const struct vec_case *c, const char *kv)
{
	static struct eam_map maps[8];
	static size_t n;
	char p4[48], p6[64], err[128];
	struct eam_table *t;

	if (!f->cfg.eam)
		n = 0; /* a new case */
	ck_assert_msg(n < 8 && sscanf(kv, "map %47s %63s", p4, p6) == 2, "%s: bad set '%s'",
	              c->where, kv);
	ck_assert_int_eq(prefix4_parse(p4, &maps[n].p4), 0);
	ck_assert_int_eq(prefix6_parse(p6, &maps[n].p6), 0);
	t = eam_table_new(maps, ++n, err, sizeof(err));
	ck_assert_msg(t != NULL, "%s: %s", c->where, err);
	eam_table_free((struct eam_table *)f->cfg.eam);
	f->cfg.eam = t;
}

/* "key value" onto the fixture, as the same line in tun64.conf would. */
static void apply_set(struct xlat_fixture *f, const struct vec_case *c, const char *kv)
{
	char key[48], val[64];

	ck_assert_msg(sscanf(kv, "%47s %63s", key, val) == 2, "%s: bad set '%s'", c->where, kv);
	if (strcmp(key, "prefix") == 0 && strcmp(val, "none") == 0)
		memset(&f->cfg.pool6, 0, sizeof(f->cfg.pool6)); /* RFC 7757: EAM only */
	else if (strcmp(key, "prefix") == 0)
		ck_assert_int_eq(prefix6_parse(val, &f->cfg.pool6), 0);
	else if (strcmp(key, "map") == 0)
		add_map(f, c, kv);
	else if (strcmp(key, "ipv6-addr") == 0)
		tp_addr6(val, f->cfg.own6);
	else if (strcmp(key, "rfc6791-pool6") == 0) {
		ck_assert_int_eq(prefix6_parse(val, &f->cfg.rfc6791_pool6), 0);
		f->cfg.rfc6791_pool6_set = true;
	} else if (strcmp(key, "rfc6791-pool4") == 0) {
		ck_assert_int_eq(prefix4_parse(val, &f->cfg.rfc6791_pool4), 0);
		f->cfg.rfc6791_pool4_set = true;
	} else if (strcmp(key, "wkp-allow-private") == 0)
		f->cfg.wkp_allow_private = strcmp(val, "yes") == 0;
	else if (strcmp(key, "mtu") == 0)
		f->cfg.mtu = (uint16_t)atoi(val);
	else if (strcmp(key, "lowest-ipv6-mtu") == 0)
		f->cfg.lowest_ipv6_mtu = (uint16_t)atoi(val);
	else if (strcmp(key, "tos") == 0)
		f->cfg.tos_zero = strcmp(val, "zero") == 0;
	else if (strcmp(key, "flow-label") == 0)
		f->cfg.flow_label_hash = strcmp(val, "hash") == 0;
	else if (strcmp(key, "udp-zero-checksum") == 0)
		f->cfg.udp_zero_csum_drop = strcmp(val, "drop") == 0;
	else if (strcmp(key, "icmp-unreachable") == 0)
		f->cfg.icmp_unreachable = strcmp(val, "yes") == 0;
	else
		ck_abort_msg("%s: set %s: not a key the vector runner knows", c->where, key);
}

/* Where a packet of len bytes ends by its own IP length field. */
static size_t ip_length(const uint8_t *p, size_t len)
{
	if (len >= 20 && p[0] >> 4 == 4)
		return (size_t)(p[2] << 8 | p[3]);
	if (len >= 40 && p[0] >> 4 == 6)
		return 40 + (size_t)(p[4] << 8 | p[5]);
	return len;
}

START_TEST(vector_case)
{
	const struct vec_case *c = &cases[_i];
	struct xlat_fixture *f = c->mode == XLAT_STATELESS
	                             ? xf_new(XLAT_STATELESS, OWN4_SL, OWN6_SL)
	                             : xf_new(XLAT_STATEFUL, OWN4_SF, OWN6_SF);
	const uint8_t *out;
	size_t out_len;
	int k = 0;

	if (c->mode == XLAT_STATEFUL) {
		xf_add_nat(f, &xf_nat_default);
		xf_add_frags(f);
	}
	for (int i = 0; i < c->n_set; i++)
		apply_set(f, c, c->set[i]);
	xf_run(f, c->in.p, c->in.len, false);
	out = f->out;
	out_len = f->out_len;
	if (c->n_out == 0)
		ck_assert_msg(f->verdict == XLAT_DROP, "%s %s: verdict %d, want a drop", c->where,
		              c->name, f->verdict);
	else if (c->n_out == 1)
		ck_assert_msg(f->verdict == XLAT_SEND, "%s %s: verdict %d, want one packet",
		              c->where, c->name, f->verdict);
	else
		ck_assert_msg(f->verdict == XLAT_SEND_MANY, "%s %s: verdict %d, want %d packets",
		              c->where, c->name, f->verdict, c->n_out);
	for (k = 0; k < c->n_out; k++) {
		size_t n = f->verdict == XLAT_SEND_MANY ? xlat_many_next(out, out_len) : out_len;

		ck_assert_msg(n > 0, "%s %s: output %d missing", c->where, c->name, k);
		ck_assert_msg(tp_same(out, n, c->out[k].p, c->out[k].len),
		              "%s %s: output %d differs", c->where, c->name, k);
		ck_assert_msg(tp_csums_ok(out, n), "%s %s: checksums of output %d", c->where,
		              c->name, k);
		out += n;
		out_len -= n;
	}
	if (f->verdict == XLAT_SEND_MANY)
		ck_assert_msg(out_len == 0, "%s %s: more packets than expected", c->where, c->name);
	if (c->at == AT_SCRATCH)
		ck_assert_msg(f->out == f->ctx.scratch, "%s %s: not in scratch", c->where, c->name);
	if (c->at == AT_INPLACE) {
		/* translated in place: the payload was not moved, the output
		 * ends where the input did (without bytes past its IP length) */
		ck_assert_ptr_eq(f->out, f->pkt.buf + f->pkt.off);
		ck_assert_uint_eq(f->out_len, f->pkt.len);
		ck_assert_ptr_eq(f->out + f->out_len,
		                 f->buf + XLAT_HEADROOM + ip_length(c->in.p, c->in.len));
	}
	xf_expect_counters(f, NULL, c->want);
	xf_free(f);
}
END_TEST

int main(int argc, char **argv)
{
	Suite *s;
	TCase *tc;
	SRunner *sr;
	int failed;

	if (argc != 2) {
		fprintf(stderr, "usage: %s VECTOR-DIR\n", argv[0]);
		return EXIT_FAILURE;
	}
	cases = calloc(MAX_CASES, sizeof(*cases));
	if (!cases || nftw(argv[1], visit, 16, FTW_PHYS) != 0 || parse_errors || n_cases == 0) {
		fprintf(stderr, "%s: %d cases, %d parse errors\n", argv[1], n_cases, parse_errors);
		return EXIT_FAILURE;
	}
	s = suite_create("vectors");
	tc = tcase_create("vectors");
	tcase_add_loop_test(tc, vector_case, 0, n_cases);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	for (int i = 0; i < n_cases; i++) {
		free(cases[i].in.p);
		for (int k = 0; k < cases[i].n_out; k++)
			free(cases[i].out[k].p);
	}
	free(cases);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
