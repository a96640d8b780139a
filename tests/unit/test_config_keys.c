/* SPDX-License-Identifier: BSD-2-Clause */
/* The key table (translator/conf/config_keys.c) against tun64.conf(5): every
 * key has an entry under KEYS, and the reload paragraph names exactly the
 * keys reload applies. Also the table's own rules, and that the man page
 * check fails when an entry is missing.
 *
 * Usage: test_config_keys PATH/tun64.conf.5 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_keys.h"

#define MAX_NAMES 128
#define NAME_LEN 64

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

/* The first word after a font macro (.B, .BI, .BR), roff escapes "\-"
 * undone: ".BI timeout\-udp " seconds"" gives "timeout-udp". */
static bool macro_word(const char *line, char *out, size_t outlen)
{
	size_t n = 0;
	const char *p;

	if (strncmp(line, ".B ", 3) == 0)
		p = line + 3;
	else if (strncmp(line, ".BI ", 4) == 0 || strncmp(line, ".BR ", 4) == 0)
		p = line + 4;
	else
		return false;
	if (*p == '"')
		p++;
	for (; *p && *p != ' ' && *p != '"' && *p != '\n' && n + 1 < outlen; p++) {
		if (p[0] == '\\' && p[1] == '-')
			p++;
		out[n++] = *p;
	}
	out[n] = '\0';
	return n > 0;
}

static void add_name(struct names *s, const char *name)
{
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

/* The tags of the .TP / .TQ entries in the KEYS section. */
static void man_keys(const char *text, struct names *out)
{
	bool in_keys = false, tag_next = false;
	const char *line = text;
	char word[NAME_LEN];

	out->n = 0;
	while (*line) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) + 1 : strlen(line);
		char buf[512];

		snprintf(buf, sizeof(buf), "%.*s", (int)len, line);
		if (strncmp(buf, ".SH", 3) == 0)
			in_keys = strncmp(buf, ".SH KEYS", 8) == 0;
		else if (in_keys && tag_next && macro_word(buf, word, sizeof(word)))
			add_name(out, word);
		tag_next = strncmp(buf, ".TP", 3) == 0 || strncmp(buf, ".TQ", 3) == 0;
		line += len;
	}
}

/* The keys named in the paragraph that starts with "Reload" and ends with
 * "without dropping sessions." */
static void man_reload_keys(const char *text, struct names *out)
{
	const char *start = strstr(text, "\nReload\n");
	const char *end = start ? strstr(start, "without dropping sessions.") : NULL;
	const char *line;
	char word[NAME_LEN];

	out->n = 0;
	ck_assert_msg(start && end, "no reload paragraph in %s", man_path);
	/* skip the lines up to "applies changes to" (SIGHUP, tun64ctl reload) */
	line = strstr(start, "applies changes to\n");
	ck_assert_ptr_nonnull(line);
	while (line < end) {
		const char *nl = strchr(line, '\n');
		char buf[512];

		snprintf(buf, sizeof(buf), "%.*s", (int)(nl - line), line);
		if (macro_word(buf, word, sizeof(word)))
			add_name(out, word);
		line = nl + 1;
	}
}

/* Keys of the table without an entry in text; their count. */
static size_t undocumented(const char *text, char *first, size_t firstlen)
{
	struct names *doc = malloc(sizeof(*doc));
	const char *name;
	size_t i, missing = 0;

	ck_assert_ptr_nonnull(doc);
	man_keys(text, doc);
	for (i = 0; (name = config_key_name(i)) != NULL; i++)
		if (!has_name(doc, name) && missing++ == 0)
			snprintf(first, firstlen, "%s", name);
	free(doc);
	return missing;
}

START_TEST(every_key_documented)
{
	char first[NAME_LEN] = "";
	size_t n = undocumented(man_text, first, sizeof(first));

	ck_assert_msg(n == 0, "%zu key(s) without an entry in %s, first: %s", n, man_path, first);
}
END_TEST

/* ... and nothing documented that is not a key. */
START_TEST(every_entry_is_a_key)
{
	static struct names doc;

	man_keys(man_text, &doc);
	ck_assert_uint_gt(doc.n, 0);
	for (size_t i = 0; i < doc.n; i++)
		ck_assert_msg(config_is_key(doc.name[i]), "%s documents '%s', not a key", man_path,
		              doc.name[i]);
}
END_TEST

/* The check above is not vacuous: drop one entry's tag line and it fails. */
START_TEST(missing_entry_is_caught)
{
	char *text = strdup(man_text);
	char first[NAME_LEN] = "";
	char *tag = strstr(text, ".TP\n.BR tos ");
	char *nl;

	ck_assert_ptr_nonnull(text);
	ck_assert_msg(tag != NULL, "no tos entry in %s", man_path);
	nl = strchr(tag + 4, '\n');
	memmove(tag + 4, nl + 1, strlen(nl + 1) + 1);
	ck_assert_uint_eq(undocumented(text, first, sizeof(first)), 1);
	ck_assert_str_eq(first, "tos");
	free(text);
}
END_TEST

START_TEST(reload_paragraph_matches_table)
{
	static struct names doc;
	const char *names[MAX_NAMES];
	size_t i, n = config_reloadable_keys(names, MAX_NAMES);

	ck_assert_uint_le(n, MAX_NAMES);
	man_reload_keys(man_text, &doc);
	for (i = 0; i < n; i++)
		ck_assert_msg(has_name(&doc, names[i]),
		              "%s: reload applies '%s' but the Reload paragraph does not say so",
		              man_path, names[i]);
	for (i = 0; i < doc.n; i++)
		ck_assert_msg(config_key_reloadable(doc.name[i]),
		              "%s: the Reload paragraph names '%s', which needs a restart",
		              man_path, doc.name[i]);
}
END_TEST

/* The rules the table's users rely on. */
START_TEST(table_rules)
{
	const struct config_key *k;
	const char *names[MAX_NAMES];
	size_t i, reloadable = 0;

	for (i = 0; (k = config_key_at(i)) != NULL; i++) {
		ck_assert_ptr_eq(config_key_find(k->name), k); /* names are unique */
		ck_assert_str_eq(config_key_name(i), k->name);
		/* a list has its own syntax and printer; restart-only ones compare */
		if (k->type == CT_LIST) {
			ck_assert_msg(k->parse && k->print, "%s: list without callbacks", k->name);
			ck_assert_msg((k->flags & KF_RELOAD) || k->same, "%s: no .same", k->name);
			ck_assert_msg(k->flags & KF_REPEAT, "%s: list not repeatable", k->name);
		} else {
			ck_assert_msg(k->size > 0, "%s: no field", k->name);
			ck_assert_msg(!(k->flags & KF_REPEAT), "%s: repeatable scalar", k->name);
		}
		if (k->type == CT_ENUM)
			ck_assert_ptr_nonnull(k->words);
		if (k->type == CT_UINT)
			ck_assert_uint_le(k->min, k->max);
		ck_assert_int_eq(config_key_reloadable(k->name), (k->flags & KF_RELOAD) != 0);
		ck_assert_int_eq(config_key_repeatable(k->name), (k->flags & KF_REPEAT) != 0);
		reloadable += (k->flags & KF_RELOAD) != 0;
	}
	ck_assert_ptr_null(config_key_name(i));
	ck_assert_uint_eq(config_reloadable_keys(names, MAX_NAMES), reloadable);
	ck_assert(!config_key_reloadable("no-such-key"));
	/* every default parses (config_defaults aborts otherwise) */
	{
		struct tun64_config *c = malloc(sizeof(*c));
		char w[WHYLEN];

		ck_assert_ptr_nonnull(c);
		config_defaults(c);
		for (i = 0; (k = config_key_at(i)) != NULL; i++)
			if (k->def)
				ck_assert_msg(config_key_set(k, c, k->def, w) == 0, "%s: %s",
				              k->name, w);
		free(c);
	}
}
END_TEST

int main(int argc, char **argv)
{
	Suite *s = suite_create("config_keys");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	if (argc != 2) {
		fprintf(stderr, "usage: %s tun64.conf.5\n", argv[0]);
		return EXIT_FAILURE;
	}
	man_path = argv[1];
	man_text = read_file(man_path);
	tcase_add_test(tc, every_key_documented);
	tcase_add_test(tc, every_entry_is_a_key);
	tcase_add_test(tc, missing_entry_is_caught);
	tcase_add_test(tc, reload_paragraph_matches_table);
	tcase_add_test(tc, table_rules);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	free(man_text);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
