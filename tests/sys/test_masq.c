/* SPDX-License-Identifier: BSD-2-Clause */
/* System test of routes/masq.c: the nftables masquerade table, installed and
 * removed through real nfnetlink inside a fresh network namespace per test
 * (unshare(CLONE_NEWNET) in the forked test process; nftables state is per
 * namespace), so the host's ruleset is never touched. Needs root; without it
 * the test fails loudly instead of skipping.
 *
 * The kernel state is read back with nft(8) (`nft list ...`), an oracle
 * independent of the libnftnl code under test. */
#include <check.h>
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "masq.h"

/* What `nft list table ip tun64` prints for one prefix and eth9. */
#define LISTING_ONE                                                                                \
	"table ip tun64 {\n"                                                                       \
	"\tchain postrouting {\n"                                                                  \
	"\t\ttype nat hook postrouting priority srcnat; policy accept;\n"                          \
	"\t\tip saddr 198.51.100.0/28 oifname \"eth9\" masquerade\n"                               \
	"\t}\n"                                                                                    \
	"}\n"

/* ---- helpers ------------------------------------------------------------ */

static void enter_fresh_netns(void)
{
	ck_assert_msg(unshare(CLONE_NEWNET) == 0, "unshare(CLONE_NEWNET): %s", strerror(errno));
}

/* Run a shell command; return its stdout (static buffer) and exit status. */
static const char *cmd_out(int *status, const char *fmt, ...)
{
	static char out[8192];
	char cmd[512];
	size_t n = 0, got;
	va_list ap;
	FILE *p;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	p = popen(cmd, "r");
	ck_assert_msg(p != NULL, "popen %s: %s", cmd, strerror(errno));
	while ((got = fread(out + n, 1, sizeof(out) - 1 - n, p)) > 0)
		n += got;
	out[n] = '\0';
	rc = pclose(p);
	if (status)
		*status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
	return out;
}

static void cmd_ok(const char *cmd)
{
	int rc = system(cmd);

	ck_assert_msg(rc == 0, "command failed (%d): %s", rc, cmd);
}

static const char *list_masq_table(int *status)
{
	return cmd_out(status, "nft list table ip " MASQ_TABLE " 2>/dev/null");
}

static void assert_no_masq_table(void)
{
	int status = 0;

	list_masq_table(&status);
	ck_assert_msg(status != 0, "table ip tun64 still there");
	ck_assert_ptr_null(strstr(cmd_out(NULL, "nft list tables"), "tun64"));
}

static struct prefix4 p4(const char *s)
{
	struct prefix4 p;

	ck_assert_msg(prefix4_parse(s, &p) == 0, "bad prefix %s", s);
	return p;
}

static void install_ok(const char *ifname, const struct prefix4 *p, size_t n)
{
	char err[512] = "";

	ck_assert_msg(masq_install(ifname, p, n, err, sizeof(err)) == 0, "masq_install: %s", err);
}

/* ---- tests -------------------------------------------------------------- */

START_TEST(test_install_lists_exact_rule_and_remove_deletes)
{
	struct prefix4 pool = p4("198.51.100.0/28");
	char err[512] = "";
	int status = -1;

	enter_fresh_netns();
	install_ok("eth9", &pool, 1);
	ck_assert_str_eq(list_masq_table(&status), LISTING_ONE);
	ck_assert_int_eq(status, 0);
	ck_assert_int_eq(masq_remove(err, sizeof(err)), 0);
	assert_no_masq_table();
}
END_TEST

/* One rule per prefix, in order; a /32 is a plain address for nft. */
START_TEST(test_several_prefixes_one_rule_each)
{
	struct prefix4 pool[] = {p4("198.51.100.0/28"), p4("192.0.2.7/32"),
	                         p4("198.51.100.128/25")};
	const char *want = "table ip tun64 {\n"
	                   "\tchain postrouting {\n"
	                   "\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
	                   "\t\tip saddr 198.51.100.0/28 oifname \"ppp0\" masquerade\n"
	                   "\t\tip saddr 192.0.2.7 oifname \"ppp0\" masquerade\n"
	                   "\t\tip saddr 198.51.100.128/25 oifname \"ppp0\" masquerade\n"
	                   "\t}\n"
	                   "}\n";

	enter_fresh_netns();
	install_ok("ppp0", pool, 3);
	ck_assert_str_eq(list_masq_table(NULL), want);
}
END_TEST

/* The longest interface name (IFNAMSIZ - 1) fills the compared bytes. */
START_TEST(test_longest_ifname)
{
	struct prefix4 pool = p4("198.51.100.0/28");

	enter_fresh_netns();
	install_ok("abcdefghijklmno", &pool, 1);
	ck_assert_ptr_nonnull(
	    strstr(list_masq_table(NULL), "oifname \"abcdefghijklmno\" masquerade\n"));
}
END_TEST

/* Installing again replaces: still exactly one rule. */
START_TEST(test_install_twice_replaces)
{
	struct prefix4 pool = p4("198.51.100.0/28"), other = p4("192.0.2.0/24");

	enter_fresh_netns();
	install_ok("eth7", &other, 1);
	install_ok("eth9", &pool, 1);
	ck_assert_str_eq(list_masq_table(NULL), LISTING_ONE);
}
END_TEST

/* A table left behind by a crashed daemon, with things we never add, is
 * replaced whole; tables of others are left alone by install and remove. */
START_TEST(test_stale_table_replaced_others_untouched)
{
	struct prefix4 pool = p4("198.51.100.0/28");
	char err[512] = "";
	int status = -1;

	enter_fresh_netns();
	cmd_ok("nft add table ip tun64 && nft add chain ip tun64 stale && "
	       "nft add rule ip tun64 stale ip daddr 203.0.113.1 drop && "
	       "nft add table ip other && nft add chain ip other keep");
	install_ok("eth9", &pool, 1);
	ck_assert_str_eq(list_masq_table(NULL), LISTING_ONE);
	ck_assert_int_eq(masq_remove(err, sizeof(err)), 0);
	assert_no_masq_table();
	cmd_out(&status, "nft list chain ip other keep >/dev/null 2>&1");
	ck_assert_int_eq(status, 0);
}
END_TEST

START_TEST(test_remove_without_table_is_fine)
{
	char err[512] = "";

	enter_fresh_netns();
	ck_assert_msg(masq_remove(err, sizeof(err)) == 0, "masq_remove: %s", err);
	ck_assert_msg(masq_remove(err, sizeof(err)) == 0, "masq_remove again: %s", err);
	assert_no_masq_table();
}
END_TEST

/* Bad arguments are refused before anything is sent: the table installed
 * before stays as it was. */
START_TEST(test_bad_arguments_change_nothing)
{
	struct prefix4 pool = p4("198.51.100.0/28");
	char err[512] = "";

	enter_fresh_netns();
	install_ok("eth9", &pool, 1);
	ck_assert_int_eq(masq_install("abcdefghijklmnop", &pool, 1, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "masquerade: 'abcdefghijklmnop' is not an interface name");
	ck_assert_int_eq(masq_install("", &pool, 1, err, sizeof(err)), -1);
	ck_assert_int_eq(masq_install("eth9", &pool, 0, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "masquerade: 0 prefixes (need 1..64)");
	ck_assert_str_eq(list_masq_table(NULL), LISTING_ONE);
}
END_TEST

/* A kernel refusal comes back with the failing object named, and the batch
 * is one transaction: an owned table (NFT_TABLE_F_OWNER, held by a
 * process that is not us) cannot be replaced, and nothing changes. */
START_TEST(test_kernel_error_is_reported_and_atomic)
{
	struct prefix4 pool = p4("198.51.100.0/28");
	char err[512] = "";
	FILE *holder;

	enter_fresh_netns();
	/* nft -i keeps its netlink socket open while it reads stdin */
	holder = popen("nft -i >/dev/null 2>&1", "w");
	ck_assert_ptr_nonnull(holder);
	fprintf(holder, "add table ip tun64 { flags owner; }\n");
	fflush(holder);
	for (int i = 0; i < 50 && strstr(cmd_out(NULL, "nft list tables"), "tun64") == NULL; i++)
		usleep(20000);
	ck_assert_ptr_nonnull(strstr(cmd_out(NULL, "nft list table ip tun64"), "flags owner"));
	ck_assert_int_eq(masq_install("eth9", &pool, 1, err, sizeof(err)), -1);
	ck_assert_msg(strncmp(err, "masquerade: nftables ", 21) == 0 &&
	                  strstr(err, "table ip tun64: Operation not permitted") != NULL,
	              "err: %s", err);
	ck_assert_ptr_null(strstr(cmd_out(NULL, "nft list table ip tun64"), "postrouting"));
	ck_assert_int_eq(masq_remove(err, sizeof(err)), -1);
	pclose(holder);
}
END_TEST

static Suite *masq_suite(void)
{
	Suite *s = suite_create("sys");
	TCase *tc = tcase_create("masq");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_install_lists_exact_rule_and_remove_deletes);
	tcase_add_test(tc, test_several_prefixes_one_rule_each);
	tcase_add_test(tc, test_longest_ifname);
	tcase_add_test(tc, test_install_twice_replaces);
	tcase_add_test(tc, test_stale_table_replaced_others_untouched);
	tcase_add_test(tc, test_remove_without_table_is_fine);
	tcase_add_test(tc, test_bad_arguments_change_nothing);
	tcase_add_test(tc, test_kernel_error_is_reported_and_atomic);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr;
	int failed;

	if (geteuid() != 0) {
		fprintf(stderr, "test_masq: FAIL: must run as root (it creates network namespaces "
		                "and nftables tables); not skipping\n");
		return 1;
	}
	/* Each test must run in its own forked process: that is where it
	 * enters its own network namespace. */
	if (getenv("CK_FORK") != NULL && strcmp(getenv("CK_FORK"), "no") == 0) {
		fprintf(stderr, "test_masq: FAIL: CK_FORK=no is not supported\n");
		return 1;
	}
	sr = srunner_create(masq_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
