/* SPDX-License-Identifier: BSD-2-Clause */
/* Daemon log lines (translator/log/log.c): a UTC timestamp on a plain
 * stderr; the sd-daemon(3) priority and no time when JOURNAL_STREAM names
 * stderr (journald); a JOURNAL_STREAM of another stream is not the journal. */
#include <check.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

static char path[] = "/tmp/test_log.XXXXXX";
static int saved_stderr = -1;

/* stderr to a fresh file */
static void capture(void)
{
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	fflush(stderr);
	saved_stderr = dup(STDERR_FILENO);
	ck_assert_int_eq(dup2(fd, STDERR_FILENO), STDERR_FILENO);
	close(fd);
}

/* back to the old stderr; what was written, in buf */
static void release(char *buf, size_t len)
{
	FILE *f;
	size_t n;

	fflush(stderr);
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
	unlink(path);
	strcpy(path, "/tmp/test_log.XXXXXX");
}

static void journal_is_stderr(void)
{
	struct stat st;
	char v[64];

	ck_assert_int_eq(fstat(STDERR_FILENO, &st), 0);
	snprintf(v, sizeof(v), "%llu:%llu", (unsigned long long)st.st_dev,
	         (unsigned long long)st.st_ino);
	setenv("JOURNAL_STREAM", v, 1);
}

static void assert_match(const char *text, const char *re)
{
	regex_t rx;

	ck_assert_int_eq(regcomp(&rx, re, REG_EXTENDED | REG_NOSUB), 0);
	ck_assert_msg(regexec(&rx, text, 0, NULL, 0) == 0, "'%s' does not match %s", text, re);
	regfree(&rx);
}

#define TS "[0-9]{4}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9]\\.[0-9]{3}Z"

START_TEST(timestamp_without_journal)
{
	char buf[512];

	unsetenv("JOURNAL_STREAM");
	capture();
	log_detect_stderr();
	ck_assert(!log_stderr_is_journal());
	log_info("ready %d", 1);
	log_warn("careful");
	release(buf, sizeof(buf));
	assert_match(buf, "^" TS " tun64d: ready 1\n" TS " tun64d: warning: careful\n$");
}
END_TEST

START_TEST(priority_for_journal)
{
	char buf[512];

	capture();
	journal_is_stderr();
	log_detect_stderr();
	ck_assert(log_stderr_is_journal());
	log_set_level(LOG_LVL_DEBUG);
	log_err("bad");
	log_warn("careful");
	log_info("ready");
	log_debug("detail");
	log_set_level(LOG_LVL_INFO);
	release(buf, sizeof(buf));
	unsetenv("JOURNAL_STREAM");
	ck_assert_str_eq(buf, "<3>tun64d: error: bad\n"
	                      "<4>tun64d: warning: careful\n"
	                      "<6>tun64d: ready\n"
	                      "<7>tun64d: debug: detail\n");
}
END_TEST

/* systemd set it, then stderr was redirected: not the journal */
START_TEST(other_stream_is_not_journal)
{
	char buf[512];

	journal_is_stderr(); /* the test's own stderr, not the file below */
	capture();
	log_detect_stderr();
	ck_assert(!log_stderr_is_journal());
	log_info("ready");
	setenv("JOURNAL_STREAM", "garbage", 1);
	log_detect_stderr();
	ck_assert(!log_stderr_is_journal());
	log_info("again");
	release(buf, sizeof(buf));
	unsetenv("JOURNAL_STREAM");
	assert_match(buf, "^" TS " tun64d: ready\n" TS " tun64d: again\n$");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, timestamp_without_journal);
	tcase_add_test(tc, priority_for_journal);
	tcase_add_test(tc, other_stream_is_not_journal);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
