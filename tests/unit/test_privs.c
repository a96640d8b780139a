/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for translator/daemon/privs.c: resolving user/group, handing the
 * control socket over, and the drop itself (in a child process with a
 * network namespace of its own, as root): afterwards the ids are nobody's,
 * no capability is left (the engine of privsep.h asks its parent for what
 * needs one), and what needs one fails, CAP_NET_ADMIN's work included. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "privs.h"

#define NOBODY 65534

static struct privs pv;
static char err[256];

START_TEST(resolve_names)
{
	ck_assert_int_eq(privs_resolve(&pv, "nobody", "nogroup", err, sizeof(err)), 0);
	ck_assert_uint_eq(pv.uid, NOBODY);
	ck_assert_uint_eq(pv.gid, NOBODY);
	ck_assert(pv.set_uid && pv.set_gid && pv.group_given);
	ck_assert(privs_wanted(&pv));
	ck_assert_str_eq(pv.user, "nobody");
	ck_assert_str_eq(pv.group, "nogroup");
}
END_TEST

/* Without `group`, the user's primary group from the passwd entry. */
START_TEST(resolve_user_only)
{
	ck_assert_int_eq(privs_resolve(&pv, "daemon", "", err, sizeof(err)), 0);
	ck_assert_uint_eq(pv.uid, 1); /* Debian: daemon:x:1:1 */
	ck_assert_uint_eq(pv.gid, 1);
	ck_assert(pv.set_uid && pv.set_gid && !pv.group_given);
}
END_TEST

START_TEST(resolve_group_only)
{
	ck_assert_int_eq(privs_resolve(&pv, "", "nogroup", err, sizeof(err)), 0);
	ck_assert(!pv.set_uid && pv.set_gid && pv.group_given);
	ck_assert_uint_eq(pv.gid, NOBODY);
}
END_TEST

/* Numeric ids need no passwd entry; a bare number user brings its group. */
START_TEST(resolve_numeric)
{
	ck_assert_ptr_null(getpwnam("54321"));
	ck_assert_int_eq(privs_resolve(&pv, "54321", "", err, sizeof(err)), 0);
	ck_assert_uint_eq(pv.uid, 54321);
	ck_assert_uint_eq(pv.gid, 54321);
	ck_assert_int_eq(privs_resolve(&pv, "54321", "4242", err, sizeof(err)), 0);
	ck_assert_uint_eq(pv.uid, 54321);
	ck_assert_uint_eq(pv.gid, 4242);
}
END_TEST

START_TEST(resolve_nothing)
{
	ck_assert_int_eq(privs_resolve(&pv, "", "", err, sizeof(err)), 0);
	ck_assert(!privs_wanted(&pv));
}
END_TEST

START_TEST(resolve_unknown)
{
	ck_assert_int_eq(privs_resolve(&pv, "tun64-no-such-user", "", err, sizeof(err)), -1);
	ck_assert_str_eq(err, "user tun64-no-such-user: no such user");
	ck_assert_int_eq(privs_resolve(&pv, "nobody", "tun64-no-such-group", err, sizeof(err)), -1);
	ck_assert_str_eq(err, "group tun64-no-such-group: no such group");
}
END_TEST

START_TEST(socket_dir_exists)
{
	ck_assert(privs_socket_dir_exists("/tmp/tun64.sock"));
	ck_assert(privs_socket_dir_exists("/tun64.sock"));
	ck_assert(privs_socket_dir_exists("tun64.sock"));
	ck_assert(!privs_socket_dir_exists("/tmp/tun64-test-no-such-dir/tun64.sock"));
}
END_TEST

/* The socket's group becomes `group`; a directory tun64d made becomes the
 * user's, so the socket can be removed after the drop. */
START_TEST(hand_over_socket)
{
	char dir[] = "/tmp/test_privs_XXXXXX";
	char sock[64];
	struct stat st;
	int fd;

	if (geteuid() != 0)
		return; /* chown to another user needs root */
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(sock, sizeof(sock), "%s/tun64.sock", dir);
	fd = open(sock, O_CREAT | O_WRONLY, 0660);
	ck_assert_int_ge(fd, 0);
	close(fd);

	ck_assert_int_eq(privs_resolve(&pv, "nobody", "", err, sizeof(err)), 0);
	ck_assert_int_eq(privs_hand_over_socket(&pv, sock, false, err, sizeof(err)), 0);
	ck_assert_int_eq(stat(sock, &st), 0);
	ck_assert_uint_eq(st.st_gid, 0); /* no `group`: the socket stays root's */
	ck_assert_int_eq(stat(dir, &st), 0);
	ck_assert_uint_eq(st.st_uid, 0); /* not made by us: left alone */

	ck_assert_int_eq(privs_resolve(&pv, "nobody", "nogroup", err, sizeof(err)), 0);
	ck_assert_int_eq(privs_hand_over_socket(&pv, sock, true, err, sizeof(err)), 0);
	ck_assert_int_eq(stat(sock, &st), 0);
	ck_assert_uint_eq(st.st_uid, 0);
	ck_assert_uint_eq(st.st_gid, NOBODY);
	ck_assert_int_eq(stat(dir, &st), 0);
	ck_assert_uint_eq(st.st_uid, NOBODY);
	ck_assert_uint_eq(st.st_gid, NOBODY);
	unlink(sock);
	rmdir(dir);
}
END_TEST

/* ---- the drop, in a child: failures come back as one line on a pipe ---- */

static int report_fd = -1;

static int child_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int child_fail(const char *fmt, ...)
{
	char line[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (write(report_fd, line, strlen(line)) < 0)
		return 2;
	return 1;
}

/* The value of "Key:" in /proc/self/status, tabs and all. */
static int status_field(const char *key, char *val, size_t vallen)
{
	char line[256];
	size_t klen = strlen(key);
	FILE *f = fopen("/proc/self/status", "re");
	int found = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
			snprintf(val, vallen, "%s", line + klen + 2);
			val[strcspn(val, "\n")] = '\0';
			found = 0;
			break;
		}
	fclose(f);
	return found;
}

static int expect_status(const char *key, const char *want)
{
	char got[128];

	if (status_field(key, got, sizeof(got)) < 0)
		return child_fail("%s: not in /proc/self/status", key);
	if (strcmp(got, want) != 0)
		return child_fail("%s: got '%s', want '%s'", key, got, want);
	return 0;
}

/* SIOCSIFFLAGS on lo needs CAP_NET_ADMIN, which the engine gave up. */
static int lo_up(void)
{
	struct ifreq ifr = {0};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int rc;

	if (fd < 0)
		return -1;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	rc = ioctl(fd, SIOCGIFFLAGS, &ifr);
	ifr.ifr_flags |= IFF_UP;
	if (rc == 0)
		rc = ioctl(fd, SIOCSIFFLAGS, &ifr);
	close(fd);
	return rc;
}

/* Port 80 needs CAP_NET_BIND_SERVICE, which must be gone. */
static int bind_port_80(void)
{
	struct sockaddr_in sin = {.sin_family = AF_INET,
	                          .sin_port = htons(80),
	                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int rc;

	if (fd < 0)
		return -1;
	rc = bind(fd, (struct sockaddr *)&sin, sizeof(sin));
	close(fd);
	return rc;
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

static int drop_and_check(void)
{
	int rc = 0;

	if (unshare(CLONE_NEWNET) < 0)
		return child_fail("unshare(CLONE_NEWNET): %s", strerror(errno));
	if (privs_resolve(&pv, "nobody", "nogroup", err, sizeof(err)) < 0)
		return child_fail("resolve: %s", err);
	if (privs_drop(&pv, err, sizeof(err)) < 0)
		return child_fail("drop: %s", err);
	rc |= expect_status("Uid", "65534\t65534\t65534\t65534");
	rc |= expect_status("Gid", "65534\t65534\t65534\t65534");
	rc |= expect_status("Groups", "65534 ");
	rc |= expect_status("CapInh", "0000000000000000");
	rc |= expect_status("CapPrm", "0000000000000000");
	rc |= expect_status("CapEff", "0000000000000000");
	rc |= expect_status("CapBnd", "0000000000000000");
	rc |= expect_status("CapAmb", "0000000000000000");
	rc |= expect_status("NoNewPrivs", "1");
	if (rc)
		return rc;
	if (setuid(0) == 0)
		return child_fail("setuid(0) worked after the drop");
	if (lo_up() == 0 || errno != EPERM)
		return child_fail("SIOCSIFFLAGS lo: want EPERM, got %s", strerror(errno));
	if (bind_port_80() == 0 || errno != EACCES)
		return child_fail("bind to port 80: want EACCES, got %s", strerror(errno));
	/* Not even the net.* sysctls, which CAP_NET_ADMIN could write
	 * (net_ctl_permissions): the parent heals them. */
	if (write_file("/proc/sys/net/ipv4/ip_forward", "1\n") == 0 || errno != EACCES)
		return child_fail("writing net.ipv4.ip_forward: want EACCES, got %s",
		                  strerror(errno));
	if (write_file("/proc/sys/kernel/hostname", "tun64\n") == 0 || errno != EACCES)
		return child_fail("writing kernel.hostname: want EACCES, got %s", strerror(errno));
	return 0;
}

/* Started as nobody already (systemd User=, Group=, AmbientCapabilities=):
 * no CAP_SETUID/CAP_SETGID to switch with, and no need; the capabilities are
 * still all dropped. */
static int already_nobody_and_check(void)
{
	gid_t g = 65534;
	int rc = 0;

	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 || setgroups(1, &g) < 0 ||
	    setresgid(g, g, g) < 0 || setresuid(NOBODY, NOBODY, NOBODY) < 0)
		return child_fail("becoming nobody: %s", strerror(errno));
	if (privs_resolve(&pv, "nobody", "nogroup", err, sizeof(err)) < 0)
		return child_fail("resolve: %s", err);
	if (privs_drop(&pv, err, sizeof(err)) < 0)
		return child_fail("drop: %s", err);
	rc |= expect_status("Uid", "65534\t65534\t65534\t65534");
	rc |= expect_status("CapPrm", "0000000000000000");
	rc |= expect_status("CapEff", "0000000000000000");
	return rc;
}

/* Run fn in a child; its failure line becomes the test's message. */
static void run_in_child(int (*fn)(void))
{
	char msg[256] = "";
	int pipefd[2], status;
	ssize_t n;
	pid_t pid;

	ck_assert_msg(geteuid() == 0, "test_privs needs root for the drop");
	ck_assert_int_eq(pipe2(pipefd, O_CLOEXEC), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(pipefd[0]);
		report_fd = pipefd[1];
		_exit(fn());
	}
	close(pipefd[1]);
	n = read(pipefd[0], msg, sizeof(msg) - 1);
	msg[n > 0 ? n : 0] = '\0';
	close(pipefd[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child: %s", msg);
}

START_TEST(drop_as_root)
{
	run_in_child(drop_and_check);
}
END_TEST

START_TEST(drop_when_already_user)
{
	run_in_child(already_nobody_and_check);
}
END_TEST

static Suite *privs_suite(void)
{
	Suite *s = suite_create("privs");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, resolve_names);
	tcase_add_test(tc, resolve_user_only);
	tcase_add_test(tc, resolve_group_only);
	tcase_add_test(tc, resolve_numeric);
	tcase_add_test(tc, resolve_nothing);
	tcase_add_test(tc, resolve_unknown);
	tcase_add_test(tc, socket_dir_exists);
	tcase_add_test(tc, hand_over_socket);
	tcase_add_test(tc, drop_as_root);
	tcase_add_test(tc, drop_when_already_user);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(privs_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
