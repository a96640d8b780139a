/* SPDX-License-Identifier: BSD-2-Clause */
/* tun64ctl(8) against the code's tables, so the page cannot drift:
 * - every counter `tun64ctl stats` prints (the names are taken from what
 *   control_answer() writes for "stats explain": the X-macro of
 *   translator/core/counters.h and, in a fast-path build, the tc program's
 *   counters) has an entry under COUNTERS, and every entry there is one;
 * - every command of translator/ctl/commands.c has an entry under COMMANDS
 *   (with its sub-command word: "sessions delete", "map --zone"), and every
 *   entry there is a command;
 * - the checks fail when an entry is missing.
 * The configuration keys are test_config_keys' (tun64.conf(5)).
 *
 * Usage: test_man_pages PATH/tun64ctl.8 */
#include <check.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "control.h"
#include "counters.h"
#ifdef TUN64_FASTPATH
#include "fastpath.h"
#endif

#define MAX_NAMES 256
#define NAME_LEN 96

static const char *man_path;
static char *man_text;

struct names {
	char name[MAX_NAMES][NAME_LEN];
	size_t n;
};

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	int ch;

	if (!f || !m) {
		perror(path);
		exit(EXIT_FAILURE);
	}
	while ((ch = fgetc(f)) != EOF)
		fputc(ch, m);
	fclose(f);
	fclose(m);
	return buf;
}

static void add_name(struct names *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->name[i], name) == 0)
			return;
	ck_assert_uint_lt(s->n, MAX_NAMES);
	snprintf(s->name[s->n++], NAME_LEN, "%s", name);
}

static bool has_name(const struct names *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->name[i], name) == 0)
			return true;
	return false;
}

/* A tag line as text: the font macro, quotes and font escapes dropped,
 * "\-" made "-": `.BR "sessions delete" " \-\-client` gives
 * "sessions delete  --client". */
static void tag_text(const char *line, char *out, size_t outlen)
{
	size_t n = 0;
	const char *p = line;

	if (*p == '.') /* the macro */
		while (*p && *p != ' ')
			p++;
	for (; *p && *p != '\n' && n + 1 < outlen; p++) {
		if (*p == '"')
			continue;
		if (p[0] == '\\' && p[1] == 'f' && p[2]) {
			p += 2; /* \fB, \fR, \fI, \fP */
			continue;
		}
		if (p[0] == '\\' && p[1] == '-')
			p++;
		out[n++] = *p;
	}
	out[n] = '\0';
}

/* The first n_words words of a tag, joined by one space. */
static void tag_words(const char *text, int n_words, char *out, size_t outlen)
{
	size_t n = 0;

	for (int w = 0; w < n_words; w++) {
		while (*text == ' ')
			text++;
		if (!*text)
			break;
		if (w && n + 1 < outlen)
			out[n++] = ' ';
		while (*text && *text != ' ' && n + 1 < outlen)
			out[n++] = *text++;
	}
	out[n] = '\0';
}

/* The tag texts of the .TP / .TQ entries of section sh (".SH COUNTERS"). */
static void man_tags(const char *text, const char *sh, char tags[][NAME_LEN], size_t *n_tags)
{
	bool in = false, tag_next = false;
	const char *line = text;

	*n_tags = 0;
	while (*line) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) + 1 : strlen(line);
		char buf[512];

		snprintf(buf, sizeof(buf), "%.*s", (int)len, line);
		if (strncmp(buf, ".SH", 3) == 0)
			in = strncmp(buf, sh, strlen(sh)) == 0 &&
			     isspace((unsigned char)buf[strlen(sh)]);
		else if (in && tag_next) {
			ck_assert_uint_lt(*n_tags, MAX_NAMES);
			tag_text(buf, tags[(*n_tags)++], NAME_LEN);
		}
		tag_next = strncmp(buf, ".TP", 3) == 0 || strncmp(buf, ".TQ", 3) == 0;
		line += len;
	}
}

/* The first word of each tag in section sh. */
static void man_tag_names(const char *text, const char *sh, struct names *out)
{
	static char tags[MAX_NAMES][NAME_LEN];
	size_t n;
	char w[NAME_LEN];

	man_tags(text, sh, tags, &n);
	out->n = 0;
	for (size_t i = 0; i < n; i++) {
		tag_words(tags[i], 1, w, sizeof(w));
		add_name(out, w);
	}
}

/* The counter names in the order `tun64ctl stats --explain` prints them:
 * the second column of control_answer()'s lines. */
static void stats_names(struct names *out)
{
	struct control_view v = {0};
	char *buf = NULL, *line, *save = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
#ifdef TUN64_FASTPATH
	static uint64_t fp_val[FP_COUNTER_MAX];
	static const char *fp_names[FP_COUNTER_MAX], *fp_meanings[FP_COUNTER_MAX];

	for (int c = 0; c < FP_COUNTER_MAX; c++) {
		fp_names[c] = fastpath_counter_name((enum fp_counter)c);
		fp_meanings[c] = fastpath_counter_meaning((enum fp_counter)c);
	}
	v.fastpath = (struct fastpath_view){fp_val, fp_names, fp_meanings, FP_COUNTER_MAX};
#endif
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(control_answer("stats explain", &v, f), 0);
	fclose(f);
	out->n = 0;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char dir[16], name[NAME_LEN];

		ck_assert_int_eq(sscanf(line, "%15s %95s", dir, name), 2);
		add_name(out, name);
	}
	free(buf);
}

/* Counters stats prints without an entry in text; their count. */
static size_t undocumented_counters(const char *text, char *first, size_t firstlen)
{
	static struct names printed, doc;
	size_t missing = 0;

	stats_names(&printed);
	man_tag_names(text, ".SH COUNTERS", &doc);
	ck_assert_uint_ge(printed.n, CTR_MAX);
	for (size_t i = 0; i < printed.n; i++)
		if (!has_name(&doc, printed.name[i]) && missing++ == 0)
			snprintf(first, firstlen, "%s", printed.name[i]);
	return missing;
}

/* The words a command form's entry must start with: the name, and the
 * sub-command or option word that tells the form apart ("delete",
 * "--zone", "--follow"); not a placeholder (ADDR), an optional part
 * ([--explain]) or alternatives (on|off). */
static void form_words(const struct ctl_command *c, char *out, size_t outlen)
{
	char first[NAME_LEN / 2];

	tag_words(c->args, 1, first, sizeof(first));
	if (first[0] && first[0] != '[' && !isupper((unsigned char)first[0]) && !strchr(first, '|'))
		snprintf(out, outlen, "%s %s", c->name, first);
	else
		snprintf(out, outlen, "%s", c->name);
}

/* Command forms without an entry in text; their count. */
static size_t undocumented_commands(const char *text, char *first, size_t firstlen)
{
	static char tags[MAX_NAMES][NAME_LEN];
	const struct ctl_command *c;
	size_t n_tags, missing = 0;

	man_tags(text, ".SH COMMANDS", tags, &n_tags);
	for (size_t i = 0; (c = ctl_command_at(i)) != NULL; i++) {
		char want[NAME_LEN], have[NAME_LEN];
		bool found = false;
		int words;

		form_words(c, want, sizeof(want));
		words = strchr(want, ' ') ? 2 : 1;
		for (size_t t = 0; t < n_tags && !found; t++) {
			tag_words(tags[t], words, have, sizeof(have));
			found = strcmp(have, want) == 0;
		}
		if (!found && missing++ == 0)
			snprintf(first, firstlen, "%s", want);
	}
	return missing;
}

START_TEST(every_counter_documented)
{
	char first[NAME_LEN] = "";
	size_t n = undocumented_counters(man_text, first, sizeof(first));

	ck_assert_msg(n == 0,
	              "%zu counter(s) of tun64ctl stats without an entry under COUNTERS in "
	              "%s, first: %s",
	              n, man_path, first);
}
END_TEST

START_TEST(every_counter_entry_is_a_counter)
{
	static struct names printed, doc;

	stats_names(&printed);
	man_tag_names(man_text, ".SH COUNTERS", &doc);
	ck_assert_uint_gt(doc.n, 0);
	for (size_t i = 0; i < doc.n; i++) {
#ifndef TUN64_FASTPATH
		if (strncmp(doc.name[i], "fastpath.", 9) == 0)
			continue; /* this build has no fast path to ask */
#endif
		ck_assert_msg(has_name(&printed, doc.name[i]),
		              "%s documents counter '%s', which tun64ctl stats does not print",
		              man_path, doc.name[i]);
	}
}
END_TEST

START_TEST(every_command_documented)
{
	char first[NAME_LEN] = "";
	size_t n = undocumented_commands(man_text, first, sizeof(first));

	ck_assert_msg(n == 0,
	              "%zu tun64ctl command(s) without an entry under COMMANDS in %s, "
	              "first: %s",
	              n, man_path, first);
}
END_TEST

START_TEST(every_command_entry_is_a_command)
{
	static struct names doc;

	man_tag_names(man_text, ".SH COMMANDS", &doc);
	ck_assert_uint_gt(doc.n, 0);
	for (size_t i = 0; i < doc.n; i++)
		ck_assert_msg(ctl_command_find(doc.name[i]) != NULL,
		              "%s documents command '%s', which tun64ctl does not have", man_path,
		              doc.name[i]);
}
END_TEST

/* Remove the line after the first occurrence of tag (a .TP line and its
 * tag line) from a copy of the page. */
static char *without_tag_line(const char *tag)
{
	char *text = strdup(man_text);
	char *at = text ? strstr(text, tag) : NULL;
	char *nl;

	ck_assert_msg(at != NULL, "no '%s' in %s", tag, man_path);
	at += 4; /* keep ".TP\n" */
	nl = strchr(at, '\n');
	memmove(at, nl + 1, strlen(nl + 1) + 1);
	return text;
}

/* The checks above are not vacuous. */
START_TEST(missing_entries_are_caught)
{
	char first[NAME_LEN] = "";
	char *text = without_tag_line(".TP\n.B drop\\-nomem\n");

	ck_assert_uint_eq(undocumented_counters(text, first, sizeof(first)), 1);
	ck_assert_str_eq(first, "drop-nomem");
	free(text);
	text = without_tag_line(".TP\n.B blocks\n");
	ck_assert_uint_eq(undocumented_commands(text, first, sizeof(first)), 1);
	ck_assert_str_eq(first, "blocks");
	free(text);
	text = without_tag_line(".TP\n.BR \"sessions delete\"");
	ck_assert_uint_eq(undocumented_commands(text, first, sizeof(first)), 1);
	ck_assert_str_eq(first, "sessions delete");
	free(text);
#ifdef TUN64_FASTPATH
	text = without_tag_line(".TP\n.B fastpath.punted.gso\n");
	ck_assert_uint_eq(undocumented_counters(text, first, sizeof(first)), 1);
	ck_assert_str_eq(first, "fastpath.punted.gso");
	free(text);
#endif
}
END_TEST

int main(int argc, char **argv)
{
	Suite *s = suite_create("man_pages");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	if (argc != 2) {
		fprintf(stderr, "usage: %s tun64ctl.8\n", argv[0]);
		return EXIT_FAILURE;
	}
	man_path = argv[1];
	man_text = read_file(man_path);
	tcase_add_test(tc, every_counter_documented);
	tcase_add_test(tc, every_counter_entry_is_a_counter);
	tcase_add_test(tc, every_command_documented);
	tcase_add_test(tc, every_command_entry_is_a_command);
	tcase_add_test(tc, missing_entries_are_caught);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	free(man_text);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
