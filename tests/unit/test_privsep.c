/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for tun64d's privilege separation: the parent/engine messages
 * (translator/daemon/privsep_msg.c: a round trip with fds, the checks of
 * either side) and the engine's seccomp filter (sandbox.c, in a child: the
 * allow-list works, anything else kills with SIGSYS: socket(), and openat
 * outside sanitizer builds). */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "privsep.h"
#include "sandbox.h"

static struct ps_msg m;

/* sandbox.c lets the sanitizer runtime open files in ASan builds. */
#if defined(__SANITIZE_ADDRESS__)
#define SANITIZER_BUILD 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZER_BUILD 1
#endif
#endif

START_TEST(roundtrip_with_fds)
{
	struct ps_tun t = {.ifindex = 7, .nqueues = 2, .vnet_hdr_len = 10};
	int sv[2], fds[2];
	struct stat a, b;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	snprintf(t.name, sizeof(t.name), "nat64");
	fds[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	fds[1] = open("/dev/zero", O_RDONLY | O_CLOEXEC);
	ck_assert_int_eq(ps_send(sv[0], PS_TUN, &t, sizeof(t), fds, 2), 0);
	ck_assert_int_eq(ps_recv(sv[1], &m), 1);
	ck_assert_uint_eq(m.h.type, PS_TUN);
	ck_assert_int_eq(m.nfds, 2);
	ck_assert_ptr_null(ps_check_from_parent(&m.h, &m.u, m.h.len, m.nfds));
	ck_assert_str_eq(m.u.tun.name, "nat64");
	/* the same files, through new descriptors */
	ck_assert_int_eq(fstat(fds[1], &a), 0);
	ck_assert_int_eq(fstat(m.fds[1], &b), 0);
	ck_assert(a.st_rdev == b.st_rdev);
	ps_close_fds(&m);
	/* an fd from the engine is refused by the parent */
	ck_assert_int_eq(ps_send(sv[1], PS_READY, NULL, 0, fds, 1), 0);
	ck_assert_int_eq(ps_recv(sv[0], &m), 1);
	struct ps_seq seq = {0};
	ck_assert_ptr_nonnull(ps_check_from_engine(&m.h, &m.u, m.h.len, m.nfds, &seq));
	ps_close_fds(&m);
	/* a header that lies about its length */
	struct ps_hdr h = {.type = PS_READY, .len = 4};
	ck_assert_int_eq(send(sv[1], &h, sizeof(h), 0), (ssize_t)sizeof(h));
	ck_assert_int_eq(ps_recv(sv[0], &m), -1);
	ck_assert_int_eq(errno, EPROTO);
	/* the other side gone: end of file */
	close(sv[1]);
	ck_assert_int_eq(ps_recv(sv[0], &m), 0);
	close(sv[0]);
	close(fds[0]);
	close(fds[1]);
}
END_TEST

/* PS_LOGFD: the session-log file, one fd, checked by the engine. */
START_TEST(logfd_checked)
{
	struct ps_logfd l = {.reopen = 1};
	struct ps_hdr h = {PS_LOGFD, sizeof(l)};
	int sv[2], fd;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	ck_assert_int_eq(ps_send(sv[0], PS_LOGFD, &l, sizeof(l), &fd, 1), 0);
	ck_assert_int_eq(ps_recv(sv[1], &m), 1);
	ck_assert_uint_eq(m.h.type, PS_LOGFD);
	ck_assert_int_eq(m.nfds, 1);
	ck_assert_ptr_null(ps_check_from_parent(&m.h, &m.u, m.h.len, m.nfds));
	ck_assert_uint_eq(m.u.logfd.reopen, 1);
	ps_close_fds(&m);
	ck_assert_str_eq(ps_check_from_parent(&h, &l, sizeof(l), 0), "PS_LOGFD: one fd");
	ck_assert_str_eq(ps_check_from_parent(&h, &l, sizeof(l), 2), "PS_LOGFD: one fd");
	l.reopen = 2;
	ck_assert_str_eq(ps_check_from_parent(&h, &l, sizeof(l), 1), "PS_LOGFD: reopen not 0 or 1");
	h.len = 2;
	ck_assert_str_eq(ps_check_from_parent(&h, &l, 2, 1), "PS_LOGFD: wrong length");
	/* never from the engine */
	struct ps_seq seq = {0};
	h.len = sizeof(l);
	ck_assert_ptr_nonnull(ps_check_from_engine(&h, &l, sizeof(l), 0, &seq));
	/* other parent messages still carry no fd */
	h = (struct ps_hdr){PS_STOP, 0};
	ck_assert_str_eq(ps_check_from_parent(&h, NULL, 0, 1), "unexpected file descriptors");
	close(fd);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

START_TEST(engine_messages_checked)
{
	struct ps_seq seq = {0};
	struct ps_state_begin b = {.periodic = 1};
	struct ps_state_end e = {.ok = 1, .sessions = 3};
	struct ps_hdr h;
	char data[PS_STATE_CHUNK + 1] = {0};

	h = (struct ps_hdr){PS_STATE_DATA, 4};
	ck_assert_ptr_nonnull(ps_check_from_engine(&h, data, 4, 0, &seq)); /* no BEGIN */
	h = (struct ps_hdr){PS_STATE_BEGIN, sizeof(b)};
	ck_assert_ptr_null(ps_check_from_engine(&h, &b, sizeof(b), 0, &seq));
	ck_assert_ptr_nonnull(ps_check_from_engine(&h, &b, sizeof(b), 0, &seq)); /* twice */
	h = (struct ps_hdr){PS_READY, 0};
	ck_assert_ptr_nonnull(ps_check_from_engine(&h, NULL, 0, 0, &seq)); /* inside a save */
	h = (struct ps_hdr){PS_STATE_DATA, PS_STATE_CHUNK};
	ck_assert_ptr_null(ps_check_from_engine(&h, data, PS_STATE_CHUNK, 0, &seq));
	h = (struct ps_hdr){PS_STATE_DATA, PS_STATE_CHUNK + 1};
	ck_assert_ptr_nonnull(ps_check_from_engine(&h, data, PS_STATE_CHUNK + 1, 0, &seq));
	h = (struct ps_hdr){PS_STATE_END, sizeof(e)};
	ck_assert_ptr_null(ps_check_from_engine(&h, &e, sizeof(e), 0, &seq));
	ck_assert(!seq.saving);
	h = (struct ps_hdr){PS_STATE_BEGIN, sizeof(b)};
	b.periodic = 2;
	ck_assert_ptr_nonnull(ps_check_from_engine(&h, &b, sizeof(b), 0, &seq));
	h = (struct ps_hdr){PS_STOP, 0}; /* a parent's type */
	ck_assert_ptr_nonnull(ps_check_from_engine(&h, NULL, 0, 0, &seq));
	h = (struct ps_hdr){PS_CONFIG_REQ, 1};
	ck_assert_ptr_nonnull(ps_check_from_engine(&h, data, 1, 0, &seq));
	h = (struct ps_hdr){PS_CONFIG_REQ, 0};
	ck_assert_ptr_null(ps_check_from_engine(&h, NULL, 0, 0, &seq));
}
END_TEST

/* PS_ROUTES (reload) and PS_WITHDRAW / PS_RESTORE (tun64ctl withdraw). */
START_TEST(routes_messages_checked)
{
	struct ps_seq seq = {0};
	struct ps_routes r = {0};
	struct ps_hdr h = {PS_ROUTES, sizeof(r)};

	r.n = 2;
	r.p[0] = (struct ps_prefix4){.addr = 0xc6336400, .len = 24}; /* 198.51.100.0/24 */
	r.p[1] = (struct ps_prefix4){.addr = 0xcb007107, .len = 32}; /* 203.0.113.7/32 */
	ck_assert_ptr_null(ps_check_from_engine(&h, &r, sizeof(r), 0, &seq));
	r.n = 0;
	ck_assert_ptr_nonnull(ps_check_from_engine(&h, &r, sizeof(r), 0, &seq)); /* past n */
	r.n = 2;
	r.p[0].addr |= 1; /* host bits */
	ck_assert_ptr_nonnull(ps_check_from_engine(&h, &r, sizeof(r), 0, &seq));
	r.p[0].addr &= ~1U;
	r.p[1].len = 33;
	ck_assert_ptr_nonnull(ps_check_from_engine(&h, &r, sizeof(r), 0, &seq));
	r.p[1].len = 32;
	r.p[1].pad[1] = 1;
	ck_assert_ptr_nonnull(ps_check_from_engine(&h, &r, sizeof(r), 0, &seq));
	r.p[1].pad[1] = 0;
	r.n = PS_MAX_ROUTES + 1;
	ck_assert_ptr_nonnull(ps_check_from_engine(&h, &r, sizeof(r), 0, &seq));
	r.n = 2;
	h.len = sizeof(r) - 1;
	ck_assert_ptr_nonnull(ps_check_from_engine(&h, &r, sizeof(r) - 1, 0, &seq));
	h = (struct ps_hdr){PS_WITHDRAW, 0};
	ck_assert_ptr_null(ps_check_from_engine(&h, NULL, 0, 0, &seq));
	h = (struct ps_hdr){PS_RESTORE, 1};
	ck_assert_ptr_nonnull(ps_check_from_engine(&h, &r, 1, 0, &seq));
	h = (struct ps_hdr){PS_RESTORE, 0};
	ck_assert_ptr_null(ps_check_from_engine(&h, NULL, 0, 0, &seq));
}
END_TEST

/* The fast-path messages (issue 13): the engine's requests and batches, the
 * parent's updates. */
START_TEST(fastpath_messages_checked)
{
	static struct ps_fp_batch b;
	static struct ps_fp_seen v;
	struct ps_fp_config c = {.enabled = 1, .mtu = 1500, .lowest_ipv6_mtu = 1280, .tos_zero = 1};
	struct ps_fp_counters n = {{0}};
	struct ps_seq seq = {0};
	struct ps_state_begin sb = {0};
	struct ps_hdr h = {PS_FP_CONFIG, sizeof(c)};

	ck_assert_ptr_null(ps_check_from_engine(&h, &c, sizeof(c), 0, &seq));
	c.enabled = 2;
	ck_assert_ptr_nonnull(ps_check_from_engine(&h, &c, sizeof(c), 0, &seq));
	c.enabled = 1;
	c.flow_label_hash = 2;
	ck_assert_ptr_nonnull(ps_check_from_engine(&h, &c, sizeof(c), 0, &seq));
	c.flow_label_hash = 0;
	c.pad = 1;
	ck_assert_ptr_nonnull(ps_check_from_engine(&h, &c, sizeof(c), 0, &seq));
	h.len = sizeof(c) - 1;
	ck_assert_ptr_nonnull(ps_check_from_engine(&h, &c, sizeof(c) - 1, 0, &seq));

	h = (struct ps_hdr){PS_FP_POLL, 0};
	ck_assert_ptr_null(ps_check_from_engine(&h, NULL, 0, 0, &seq));
	ck_assert_ptr_nonnull(ps_check_from_engine(&h, NULL, 0, 1, &seq)); /* an fd */

	memset(&b, 0, sizeof(b));
	b.n = 2;
	b.s[0].proto = 6;
	b.s[0].sport6 = 40000;
	b.s[0].dport6 = 80;
	b.s[1].proto = 1; /* ICMP echo: one identifier each side */
	b.s[1].sport6 = b.s[1].dport6 = 7;
	b.s[1].sport4 = b.s[1].dport4 = 9;
	h = (struct ps_hdr){PS_FP_ADD, sizeof(b)};
	ck_assert_ptr_null(ps_check_from_engine(&h, &b, sizeof(b), 0, &seq));
	h.type = PS_FP_DEL;
	ck_assert_ptr_null(ps_check_from_engine(&h, &b, sizeof(b), 0, &seq));
	b.s[1].dport4 = 10;
	ck_assert_ptr_nonnull(ps_check_from_engine(&h, &b, sizeof(b), 0, &seq));
	b.s[1].dport4 = 9;
	b.s[0].proto = 47; /* GRE */
	ck_assert_ptr_nonnull(ps_check_from_engine(&h, &b, sizeof(b), 0, &seq));
	b.s[0].proto = 17;
	b.s[0].pad[1] = 1;
	ck_assert_ptr_nonnull(ps_check_from_engine(&h, &b, sizeof(b), 0, &seq));
	b.s[0].pad[1] = 0;
	b.s[2].proto = 6; /* after the n-th */
	ck_assert_ptr_nonnull(ps_check_from_engine(&h, &b, sizeof(b), 0, &seq));
	b.s[2].proto = 0;
	b.n = 0;
	ck_assert_ptr_nonnull(ps_check_from_engine(&h, &b, sizeof(b), 0, &seq));
	b.n = PS_FP_BATCH + 1;
	ck_assert_ptr_nonnull(ps_check_from_engine(&h, &b, sizeof(b), 0, &seq));
	b.n = 2;
	h.len = sizeof(b) - 1;
	ck_assert_ptr_nonnull(ps_check_from_engine(&h, &b, sizeof(b) - 1, 0, &seq));

	/* not inside a state save */
	h = (struct ps_hdr){PS_STATE_BEGIN, sizeof(sb)};
	ck_assert_ptr_null(ps_check_from_engine(&h, &sb, sizeof(sb), 0, &seq));
	h = (struct ps_hdr){PS_FP_ADD, sizeof(b)};
	ck_assert_ptr_nonnull(ps_check_from_engine(&h, &b, sizeof(b), 0, &seq));
	h = (struct ps_hdr){PS_FP_POLL, 0};
	ck_assert_ptr_nonnull(ps_check_from_engine(&h, NULL, 0, 0, &seq));

	/* the parent's updates, as the engine checks them */
	h = (struct ps_hdr){PS_FP_COUNTERS, sizeof(n)};
	ck_assert_ptr_null(ps_check_from_parent(&h, &n, sizeof(n), 0));
	h.len = sizeof(n) - 8;
	ck_assert_ptr_nonnull(ps_check_from_parent(&h, &n, sizeof(n) - 8, 0));
	memset(&v, 0, sizeof(v));
	v.n = 1;
	v.t[0].proto = 6;
	v.t[0].dir = 1;
	v.t[0].packets = 2;
	v.t[0].bytes = 40;
	h = (struct ps_hdr){PS_FP_SEEN, sizeof(v)};
	ck_assert_ptr_null(ps_check_from_parent(&h, &v, sizeof(v), 0));
	v.t[0].dir = 2;
	ck_assert_ptr_nonnull(ps_check_from_parent(&h, &v, sizeof(v), 0));
	v.t[0].dir = 0;
	v.t[0].pad = 1;
	ck_assert_ptr_nonnull(ps_check_from_parent(&h, &v, sizeof(v), 0));
	v.t[0].pad = 0;
	/* counts: deltas of at least one packet of at least 20 bytes */
	v.t[0].bytes = 39;
	ck_assert_ptr_nonnull(ps_check_from_parent(&h, &v, sizeof(v), 0));
	v.t[0].packets = 0;
	v.t[0].bytes = 0;
	ck_assert_ptr_nonnull(ps_check_from_parent(&h, &v, sizeof(v), 0));
	v.t[0].packets = UINT64_MAX; /* no overflow in the check */
	v.t[0].bytes = UINT64_MAX;
	ck_assert_ptr_nonnull(ps_check_from_parent(&h, &v, sizeof(v), 0));
	v.t[0].packets = 1;
	v.t[0].bytes = 1500;
	ck_assert_ptr_null(ps_check_from_parent(&h, &v, sizeof(v), 0));
	v.n = PS_FP_BATCH + 1;
	ck_assert_ptr_nonnull(ps_check_from_parent(&h, &v, sizeof(v), 0));
	/* an engine type from the parent, a parent type from the engine */
	h = (struct ps_hdr){PS_FP_POLL, 0};
	ck_assert_ptr_nonnull(ps_check_from_parent(&h, NULL, 0, 0));
	h = (struct ps_hdr){PS_FP_COUNTERS, sizeof(n)};
	ck_assert_ptr_nonnull(ps_check_from_engine(&h, &n, sizeof(n), 0, &(struct ps_seq){0}));
}
END_TEST

/* In a child: confine, use the allow-list, then open a file. */
static int confined_child(bool forbidden)
{
	char err[256];
	char buf[8];
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return 10;
	if (sandbox_apply(err, sizeof(err)) < 0)
		return 11;
	if (write(sv[0], "x", 1) != 1 || read(sv[1], buf, sizeof(buf)) != 1)
		return 12;
	/* `log syslog`: glibc's syslog(3) makes a new AF_UNIX socket after a
	 * failed send; that domain alone is allowed (AF_INET below is not) */
	int u = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (u < 0)
		return 13;
	close(u);
	if (forbidden)
		socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0); /* not on the list */
	return 0;
}

static int run_confined(bool forbidden)
{
	int status;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(confined_child(forbidden));
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return status;
}

START_TEST(sandbox_allows_and_kills)
{
	int st = run_confined(false);

	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "allowed calls: status %d", st);
	st = run_confined(true);
	ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS, "forbidden call: status %d", st);
#ifndef SANITIZER_BUILD
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		char err[256];

		if (sandbox_apply(err, sizeof(err)) < 0)
			_exit(11);
		open("/etc/passwd", O_RDONLY | O_CLOEXEC); /* openat: no files */
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS, "openat: status %d", st);
#endif
}
END_TEST

START_TEST(sandbox_list_has_no_file_opening)
{
	size_t n;
	const char *const *names = sandbox_names(&n);

	ck_assert_uint_gt(n, 20);
	for (size_t i = 0; i < n; i++) {
		ck_assert_str_ne(names[i], "open");
		ck_assert_str_ne(names[i], "execve");
		/* socket: only AF_UNIX (syslog), sandbox_allows_and_kills */
		ck_assert_str_ne(names[i], "ptrace");
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("privsep");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, roundtrip_with_fds);
	tcase_add_test(tc, engine_messages_checked);
	tcase_add_test(tc, routes_messages_checked);
	tcase_add_test(tc, fastpath_messages_checked);
	tcase_add_test(tc, logfd_checked);
	tcase_add_test(tc, sandbox_allows_and_kills);
	tcase_add_test(tc, sandbox_list_has_no_file_opening);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
