/* SPDX-License-Identifier: BSD-2-Clause */
/* System test of tunif/ and routes/: real tun devices, real netlink, inside
 * a fresh network namespace per test (unshare(CLONE_NEWNET) in the forked
 * test process), so the host's links, routes and sysctls are never touched.
 * Needs root; without it the test fails loudly instead of skipping.
 *
 * The kernel state is read back with iproute2 (`ip`), an oracle independent
 * of the libnl/libmnl code under test.
 *
 * Sysctls in a namespace: net.ipv4.ip_forward and
 * net.ipv6.conf.all.forwarding are per network namespace. A new namespace
 * starts with IPv6 forwarding 0 (IPv6 devconf is reset to defaults) and with
 * IPv4 forwarding copied from the initial namespace (IPv4 devconf is
 * inherited while net.core.devconf_inherit_init_net is 0, the default), so
 * on a host that forwards, ip_forward is already 1 in the namespace. Writing
 * either inside the namespace never changes the host's value. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "routes.h"
#include "tunif.h"

#define TUN "t64test"
#define MTU 1400

/* ---- helpers ------------------------------------------------------------ */

static void enter_fresh_netns(void)
{
	ck_assert_msg(unshare(CLONE_NEWNET) == 0, "unshare(CLONE_NEWNET): %s", strerror(errno));
}

/* Run a shell command, return its stdout (static buffer). */
static const char *cmd_out(const char *fmt, ...)
{
	static char out[8192];
	char cmd[512];
	size_t n = 0, got;
	va_list ap;
	FILE *p;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	p = popen(cmd, "r");
	ck_assert_msg(p != NULL, "popen %s: %s", cmd, strerror(errno));
	while ((got = fread(out + n, 1, sizeof(out) - 1 - n, p)) > 0)
		n += got;
	out[n] = '\0';
	pclose(p);
	return out;
}

static void cmd_ok(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	ck_assert_msg(rc == 0, "command failed (%d): %s", rc, cmd);
}

/* Does `ip` show a route to exactly prefix out of dev in the main table? */
static int route_shown(const char *prefix, const char *dev)
{
	const char *out = cmd_out("ip -o %s route show table main exact %s dev %s",
	                          strchr(prefix, ':') ? "-6" : "-4", prefix, dev);
	return strncmp(out, prefix, strlen(prefix)) == 0;
}

static const char *link_line(const char *dev)
{
	return cmd_out("ip -o link show dev %s 2>&1", dev);
}

static int link_is_up(const char *dev)
{
	return strstr(link_line(dev), ",UP") != NULL || strstr(link_line(dev), "<UP") != NULL;
}

static int link_has_mtu(const char *dev, unsigned mtu)
{
	char want[32];

	snprintf(want, sizeof(want), " mtu %u ", mtu);
	return strstr(link_line(dev), want) != NULL;
}

static int sysctl_value(const char *path)
{
	char buf[8] = "";
	FILE *f = fopen(path, "r");

	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	ck_assert(fgets(buf, sizeof(buf), f) != NULL);
	fclose(f);
	return atoi(buf);
}

static char log_text[16384];

static void test_log(int level, const char *fmt, ...)
{
	size_t n = strlen(log_text);
	va_list ap;

	snprintf(log_text + n, sizeof(log_text) - n, "%d ", level);
	n = strlen(log_text);
	va_start(ap, fmt);
	vsnprintf(log_text + n, sizeof(log_text) - n, fmt, ap);
	va_end(ap);
	n = strlen(log_text);
	snprintf(log_text + n, sizeof(log_text) - n, "\n");
	if (getenv("TEST_VERBOSE") != NULL) {
		fprintf(stderr, "log %d: ", level);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fprintf(stderr, "\n");
	}
}

static void spec_init(struct routes_spec *s, const char *dev, bool install)
{
	uint32_t a;

	memset(s, 0, sizeof(*s));
	s->ifname = dev;
	s->mtu = MTU;
	s->install_routes = install;
	ck_assert(inet_pton(AF_INET6, "2001:db8:64::", s->prefix6.addr) == 1);
	s->prefix6.len = 96;
	ck_assert(inet_pton(AF_INET, "198.51.100.0", &a) == 1);
	s->prefix4[0].addr = ntohl(a);
	s->prefix4[0].len = 28;
	ck_assert(inet_pton(AF_INET, "192.0.2.0", &a) == 1);
	s->prefix4[1].addr = ntohl(a);
	s->prefix4[1].len = 28;
	s->n_prefix4 = 2;
}

static void tun_open(struct tunif *t, const char *dev)
{
	char err[256];

	ck_assert_msg(tunif_open(t, dev, 1, err, sizeof(err)) == 0, "tunif_open: %s", err);
}

static struct routes *setup_ok(const char *dev, bool install)
{
	struct routes_spec s;
	struct routes *r;
	char err[512];

	spec_init(&s, dev, install);
	r = routes_setup(&s, test_log, err, sizeof(err));
	ck_assert_msg(r != NULL, "routes_setup: %s", err);
	return r;
}

/* Wait up to timeout_ms for monitor events, then drain them. */
static int monitor_result(struct routes *r, int timeout_ms)
{
	struct pollfd p = {.fd = routes_monitor_fd(r), .events = POLLIN};

	ck_assert_int_ge(p.fd, 0);
	poll(&p, 1, timeout_ms);
	return routes_monitor_read(r);
}

static int all_routes_shown(const char *dev)
{
	return route_shown("2001:db8:64::/96", dev) && route_shown("198.51.100.0/28", dev) &&
	       route_shown("192.0.2.0/28", dev);
}

/* ---- tunif -------------------------------------------------------------- */

START_TEST(test_tunif_open_creates_and_close_removes)
{
	struct tunif t;
	char buf[2048];

	enter_fresh_netns();
	ck_assert_uint_eq(if_nametoindex(TUN), 0);
	tun_open(&t, TUN);
	ck_assert_str_eq(t.name, TUN);
	ck_assert(!t.existed);
	ck_assert_int_eq(t.nqueues, 1);
	ck_assert_int_eq(t.ifindex, (int)if_nametoindex(TUN));
	ck_assert_int_gt(t.ifindex, 0);
	ck_assert(fcntl(t.fd[0], F_GETFL) & O_NONBLOCK);
	/* A raw-IP link: no packet info header, link type none. */
	ck_assert_ptr_nonnull(strstr(link_line(TUN), "link/none"));
	ck_assert_int_eq(tunif_read(&t, 0, buf, sizeof(buf)), 0);
	errno = 0;
	ck_assert_int_eq(tunif_read(&t, 1, buf, sizeof(buf)), -1);
	ck_assert_int_eq(errno, EBADF);
	tunif_close(&t);
	ck_assert_uint_eq(if_nametoindex(TUN), 0);
}
END_TEST

START_TEST(test_tunif_persist_and_existed)
{
	struct tunif t;
	char err[256];

	enter_fresh_netns();
	tun_open(&t, TUN);
	ck_assert_msg(tunif_set_persist(&t, true, err, sizeof(err)) == 0, "%s", err);
	tunif_close(&t);
	ck_assert_uint_ne(if_nametoindex(TUN), 0);

	tun_open(&t, TUN);
	ck_assert(t.existed);
	ck_assert_msg(tunif_set_persist(&t, false, err, sizeof(err)) == 0, "%s", err);
	tunif_close(&t);
	ck_assert_uint_eq(if_nametoindex(TUN), 0);
}
END_TEST

START_TEST(test_tunif_errors)
{
	struct tunif t, t2;
	char err[256];

	enter_fresh_netns();
	ck_assert_int_eq(tunif_open(&t, "this-name-is-too-long", 1, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "this-name-is-too-long"));
	ck_assert_int_eq(tunif_open(&t, TUN, 0, err, sizeof(err)), -1);
	ck_assert_int_eq(tunif_open(&t, TUN, TUNIF_MAX_QUEUES + 1, err, sizeof(err)), -1);

	/* A single-queue tun takes one fd only. */
	tun_open(&t, TUN);
	ck_assert_int_eq(tunif_open(&t2, TUN, 1, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, TUN ": TUNSETIFF: Device or resource busy") != NULL, "%s", err);
	/* ... and is not a multi-queue one. */
	ck_assert_int_eq(tunif_open(&t2, TUN, 2, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "TUNSETIFF: Invalid argument") != NULL, "%s", err);
	tunif_close(&t);

	/* An ethernet-type link of the same name is not a tun. */
	cmd_ok("ip link add %s type dummy 2>/dev/null || ip tuntap add dev %s mode tap", TUN, TUN);
	ck_assert_int_eq(tunif_open(&t2, TUN, 1, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "not a ") != NULL, "%s", err);
}
END_TEST

START_TEST(test_tunif_multiqueue)
{
	struct tunif t;
	char err[256];

	enter_fresh_netns();
	ck_assert_msg(tunif_open(&t, TUN, 4, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(t.nqueues, 4);
	for (int q = 0; q < 4; q++) {
		ck_assert_int_ge(t.fd[q], 0);
		for (int o = 0; o < q; o++)
			ck_assert_int_ne(t.fd[q], t.fd[o]);
	}
	ck_assert_int_eq(t.ifindex, (int)if_nametoindex(TUN));
	tunif_close(&t);
	ck_assert_uint_eq(if_nametoindex(TUN), 0);
}
END_TEST

/* Reference checksum, written separately from the translator's. */
static uint16_t ref_csum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

START_TEST(test_tunif_read_write_ipv4)
{
	/* 198.51.100.2:4000 -> 192.0.2.1:5000 UDP "hi", UDP checksum 0 (none). */
	/* clang-format off */
	uint8_t pkt[30] = {
		0x45, 0x00, 0x00, 30,	/* v4, ihl 5, total length 30 */
		0x00, 0x00, 0x40, 0x00, /* id 0, DF */
		64, 17, 0x00, 0x00,	/* ttl, UDP, checksum filled below */
		198, 51, 100, 2,	/* source */
		192, 0, 2, 1,		/* destination */
		0x0f, 0xa0, 0x13, 0x88, /* ports 4000 -> 5000 */
		0x00, 10, 0x00, 0x00,	/* UDP length 10, checksum none */
		'h', 'i'};
	/* clang-format on */
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(7)};
	struct sockaddr_in me = {.sin_family = AF_INET, .sin_port = htons(5000)};
	struct tunif t;
	struct routes *r;
	uint8_t buf[2048];
	ssize_t n = 0;
	uint16_t c;
	int s;

	enter_fresh_netns();
	tun_open(&t, TUN);
	r = setup_ok(TUN, true);
	cmd_ok("ip addr add 192.0.2.1/32 dev %s", TUN);

	/* Kernel -> tun: a datagram to pool4 is routed into the tun. */
	s = socket(AF_INET, SOCK_DGRAM, 0);
	ck_assert_int_ge(s, 0);
	inet_pton(AF_INET, "198.51.100.1", &to.sin_addr);
	ck_assert_int_eq(sendto(s, "ping", 4, 0, (struct sockaddr *)&to, sizeof(to)), 4);
	/* Skip what IPv6 sends on its own (router solicitations, MLD). */
	for (int i = 0; i < 100 && (n <= 0 || buf[0] >> 4 != 4); i++) {
		n = tunif_read(&t, 0, buf, sizeof(buf));
		if (n == 0)
			usleep(10000);
	}
	close(s);
	ck_assert_int_eq(n, 20 + 8 + 4);
	ck_assert_int_eq(buf[0], 0x45); /* raw IPv4, no packet info header */
	ck_assert_int_eq(buf[9], 17);
	ck_assert_mem_eq(buf + 16, ((uint8_t[]){198, 51, 100, 1}), 4);
	ck_assert_mem_eq(buf + 28, "ping", 4);

	/* tun -> kernel: delivered to a local socket. */
	c = ref_csum(pkt, 20);
	pkt[10] = c >> 8;
	pkt[11] = c & 0xff;
	ck_assert_int_eq(pkt[10], 0x4e); /* worked by hand: 0x4e98 */
	ck_assert_int_eq(pkt[11], 0x98);
	s = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	inet_pton(AF_INET, "192.0.2.1", &me.sin_addr);
	ck_assert_msg(bind(s, (struct sockaddr *)&me, sizeof(me)) == 0, "bind: %s",
	              strerror(errno));
	ck_assert_int_eq(tunif_write(&t, 0, pkt, sizeof(pkt)), sizeof(pkt));
	n = -1;
	for (int i = 0; i < 100 && n < 0; i++) {
		n = recv(s, buf, sizeof(buf), 0);
		if (n < 0)
			usleep(10000);
	}
	close(s);
	ck_assert_int_eq(n, 2);
	ck_assert_mem_eq(buf, "hi", 2);
	routes_teardown(r);
	tunif_close(&t);
}
END_TEST

/* ---- routes ------------------------------------------------------------- */

START_TEST(test_setup_installs_and_teardown_removes)
{
	struct tunif t;
	struct routes *r;

	enter_fresh_netns();
	tun_open(&t, TUN);
	ck_assert(!link_is_up(TUN));
	log_text[0] = '\0';
	r = setup_ok(TUN, true);
	ck_assert_msg(link_is_up(TUN), "%s", link_line(TUN));
	ck_assert_msg(link_has_mtu(TUN, MTU), "%s", link_line(TUN));
	ck_assert(all_routes_shown(TUN));
	/* Tagged with our protocol number. */
	ck_assert_ptr_nonnull(
	    strstr(cmd_out("ip -o -6 route show dev %s proto 64", TUN), "2001:db8:64::/96"));
	ck_assert_ptr_nonnull(strstr(cmd_out("ip -o -4 route show dev %s proto 64", TUN),
	                             "198.51.100.0/28 scope link"));
	ck_assert_ptr_nonnull(strstr(log_text, "2 added route 2001:db8:64::/96 dev " TUN "\n"));
	ck_assert_ptr_nonnull(strstr(log_text, "2 added route 192.0.2.0/28 dev " TUN "\n"));

	routes_teardown(r);
	ck_assert(!route_shown("2001:db8:64::/96", TUN));
	ck_assert(!route_shown("198.51.100.0/28", TUN));
	ck_assert(!route_shown("192.0.2.0/28", TUN));
	ck_assert_uint_ne(if_nametoindex(TUN), 0); /* the link is tunif's */
	tunif_close(&t);
}
END_TEST

START_TEST(test_sysctls_set_and_left)
{
	struct tunif t;
	struct routes *r;

	enter_fresh_netns();
	/* Make both 0 so the test does not depend on what the host has. */
	cmd_ok("echo 0 > /proc/sys/net/ipv4/ip_forward");
	cmd_ok("echo 0 > /proc/sys/net/ipv6/conf/all/forwarding");
	tun_open(&t, TUN);
	log_text[0] = '\0';
	r = setup_ok(TUN, true);
	ck_assert_int_eq(sysctl_value("/proc/sys/net/ipv6/conf/all/forwarding"), 1);
	ck_assert_int_eq(sysctl_value("/proc/sys/net/ipv4/ip_forward"), 1);
	ck_assert_ptr_nonnull(strstr(log_text, "2 set net.ipv6.conf.all.forwarding=1\n"));
	ck_assert_ptr_nonnull(strstr(log_text, "2 set net.ipv4.ip_forward=1\n"));
	routes_teardown(r);
	/* Teardown leaves forwarding on (other things depend on it). */
	ck_assert_int_eq(sysctl_value("/proc/sys/net/ipv6/conf/all/forwarding"), 1);
	ck_assert_int_eq(sysctl_value("/proc/sys/net/ipv4/ip_forward"), 1);

	/* Already 1: nothing written, nothing logged. */
	log_text[0] = '\0';
	r = setup_ok(TUN, true);
	ck_assert_ptr_null(strstr(log_text, "forward"));
	routes_teardown(r);
	tunif_close(&t);
}
END_TEST

START_TEST(test_no_routes_only_link)
{
	struct tunif t;
	struct routes *r;

	enter_fresh_netns();
	cmd_ok("echo 0 > /proc/sys/net/ipv4/ip_forward");
	tun_open(&t, TUN);
	r = setup_ok(TUN, false);
	ck_assert(link_is_up(TUN));
	ck_assert(link_has_mtu(TUN, MTU));
	ck_assert_str_eq(
	    cmd_out("ip -o route show dev %s; ip -o -6 route show dev %s proto 64", TUN, TUN), "");
	ck_assert_int_eq(sysctl_value("/proc/sys/net/ipv4/ip_forward"), 0);
	routes_teardown(r);
	tunif_close(&t);
}
END_TEST

START_TEST(test_preexisting_route_is_left_alone)
{
	struct tunif t;
	struct routes *r, *r2;
	char err[512];

	enter_fresh_netns();
	tun_open(&t, TUN);
	/* (IPv6 refuses a route through a link that is down.) */
	cmd_ok("ip link set %s up && ip -6 route add 2001:db8:64::/96 dev %s", TUN, TUN);
	r = setup_ok(TUN, true);
	ck_assert(all_routes_shown(TUN));
	/* The pre-existing route was not replaced by ours. */
	ck_assert_str_eq(cmd_out("ip -o -6 route show dev %s proto 64", TUN), "");

	/* Idempotent: a second setup adds nothing and so removes nothing. */
	r2 = setup_ok(TUN, true);
	routes_teardown(r2);
	ck_assert(all_routes_shown(TUN));

	routes_teardown(r);
	ck_assert(route_shown("2001:db8:64::/96", TUN));
	ck_assert(!route_shown("198.51.100.0/28", TUN));
	ck_assert(!route_shown("192.0.2.0/28", TUN));

	/* A pre-existing route that vanishes is put back by heal and from
	 * then on is ours: teardown removes it. */
	r = setup_ok(TUN, true);
	ck_assert_int_eq(monitor_result(r, 100), 0);
	cmd_ok("ip -6 route del 2001:db8:64::/96 dev %s", TUN);
	ck_assert_int_eq(monitor_result(r, 1000), 1);
	ck_assert_int_eq(routes_heal(r, err, sizeof(err)), 1);
	ck_assert_str_ne(cmd_out("ip -o -6 route show dev %s proto 64", TUN), "");
	routes_teardown(r);
	ck_assert(!route_shown("2001:db8:64::/96", TUN));
	tunif_close(&t);
}
END_TEST

START_TEST(test_duplicate_prefixes_one_route)
{
	struct routes_spec s;
	struct tunif t;
	struct routes *r;
	char err[512];

	enter_fresh_netns();
	tun_open(&t, TUN);
	spec_init(&s, TUN, true);
	s.prefix4[2] = s.prefix4[0]; /* e.g. two port ranges of one pool4 */
	s.n_prefix4 = 3;
	r = routes_setup(&s, test_log, err, sizeof(err));
	ck_assert_msg(r != NULL, "routes_setup: %s", err);
	ck_assert(all_routes_shown(TUN));
	routes_teardown(r);
	ck_assert(!route_shown("198.51.100.0/28", TUN));
	tunif_close(&t);
}
END_TEST

START_TEST(test_setup_error_has_kernel_message_and_rolls_back)
{
	struct tunif t, other;
	struct routes_spec s;
	char err[512];

	enter_fresh_netns();
	tun_open(&t, TUN);
	tun_open(&other, "t64other");
	cmd_ok("ip link set t64other up");
	/* Same prefix and metric on another link: the kernel refuses ours. */
	cmd_ok("ip route add 192.0.2.0/28 dev t64other");
	spec_init(&s, TUN, true);
	ck_assert_ptr_null(routes_setup(&s, test_log, err, sizeof(err)));
	ck_assert_msg(strcmp(err, "adding route 192.0.2.0/28 dev " TUN ": File exists") == 0, "%s",
	              err);
	/* The routes added before the failure were taken away again. */
	ck_assert(!route_shown("2001:db8:64::/96", TUN));
	ck_assert(!route_shown("198.51.100.0/28", TUN));
	ck_assert(route_shown("192.0.2.0/28", "t64other"));

	/* Host bits set: the kernel's extended ack text is passed on. */
#define EINVAL_MSG "adding route 198.51.100.1/28 dev " TUN ": Invalid argument ("

	spec_init(&s, TUN, true);
	s.prefix4[0].addr |= 1;
	ck_assert_ptr_null(routes_setup(&s, test_log, err, sizeof(err)));
	ck_assert_msg(strncmp(err, EINVAL_MSG, strlen(EINVAL_MSG)) == 0 &&
	                  err[strlen(err) - 1] == ')',
	              "%s", err);

	/* No such link. */
	spec_init(&s, "t64missing", true);
	ck_assert_ptr_null(routes_setup(&s, test_log, err, sizeof(err)));
	ck_assert_msg(strstr(err, "t64missing: No such device") != NULL, "%s", err);
	tunif_close(&other);
	tunif_close(&t);
}
END_TEST

START_TEST(test_monitor_quiet_after_setup_and_on_unrelated)
{
	struct tunif t, other;
	struct routes *r;

	enter_fresh_netns();
	tun_open(&t, TUN);
	tun_open(&other, "t64other");
	r = setup_ok(TUN, true);
	ck_assert_int_eq(monitor_result(r, 100), 0); /* our own changes */
	cmd_ok("ip route add 203.0.113.0/24 dev %s && ip route del 203.0.113.0/24 dev %s", TUN,
	       TUN);
	cmd_ok("ip link set t64other up && ip link set t64other down");
	cmd_ok("ip link set t64other up && ip route add 198.51.100.0/28 dev t64other metric 5");
	cmd_ok("ip route del 198.51.100.0/28 dev t64other metric 5");
	ck_assert_int_eq(monitor_result(r, 100), 0);
	routes_teardown(r);
	tunif_close(&other);
	tunif_close(&t);
}
END_TEST

START_TEST(test_monitor_route_deleted_heal_restores)
{
	struct tunif t;
	struct routes *r;
	char err[512];

	enter_fresh_netns();
	tun_open(&t, TUN);
	r = setup_ok(TUN, true);
	ck_assert_int_eq(monitor_result(r, 100), 0);
	cmd_ok("ip route del 198.51.100.0/28 dev %s", TUN);
	ck_assert(!route_shown("198.51.100.0/28", TUN));
	ck_assert_int_eq(monitor_result(r, 1000), 1);
	log_text[0] = '\0';
	ck_assert_int_eq(routes_heal(r, err, sizeof(err)), 1);
	ck_assert(all_routes_shown(TUN));
	ck_assert_ptr_nonnull(strstr(log_text, "restored route 198.51.100.0/28 dev " TUN));
	ck_assert_int_eq(monitor_result(r, 100), 0); /* heal's own add */
	ck_assert_int_eq(routes_heal(r, err, sizeof(err)), 0);

	/* The IPv6 one too. */
	cmd_ok("ip -6 route del 2001:db8:64::/96 dev %s", TUN);
	ck_assert_int_eq(monitor_result(r, 1000), 1);
	ck_assert_int_eq(routes_heal(r, err, sizeof(err)), 1);
	ck_assert(route_shown("2001:db8:64::/96", TUN));

	routes_teardown(r);
	ck_assert(!route_shown("2001:db8:64::/96", TUN));
	ck_assert(!route_shown("198.51.100.0/28", TUN));
	tunif_close(&t);
}
END_TEST

START_TEST(test_monitor_link_down_heal_restores)
{
	struct tunif t;
	struct routes *r;
	char err[512];
	int n;

	enter_fresh_netns();
	tun_open(&t, TUN);
	r = setup_ok(TUN, true);
	ck_assert_int_eq(monitor_result(r, 100), 0);
	cmd_ok("ip link set %s down", TUN);
	/* Setting a link down takes its routes with it, both families. */
	ck_assert(!route_shown("198.51.100.0/28", TUN));
	ck_assert_int_eq(monitor_result(r, 1000), 1);
	n = routes_heal(r, err, sizeof(err));
	ck_assert_msg(n == 4, "heal restored %d (want link + 3 routes): %s", n, err);
	ck_assert(link_is_up(TUN));
	ck_assert(all_routes_shown(TUN));
	ck_assert_int_eq(monitor_result(r, 100), 0);

	/* Down and up again from outside before we look: still a change. */
	cmd_ok("ip link set %s down && ip link set %s up", TUN, TUN);
	ck_assert_int_eq(monitor_result(r, 1000), 1);
	ck_assert_int_eq(routes_heal(r, err, sizeof(err)), 3);
	ck_assert(all_routes_shown(TUN));

	/* Someone else's MTU. */
	cmd_ok("ip link set %s mtu 1300", TUN);
	ck_assert_int_eq(monitor_result(r, 1000), 1);
	ck_assert_int_eq(routes_heal(r, err, sizeof(err)), 1);
	ck_assert(link_has_mtu(TUN, MTU));
	ck_assert_int_eq(monitor_result(r, 100), 0);

	/* Seen down, then up again from outside before any heal: the up
	 * event alone must still ask for a heal (the routes are gone). */
	cmd_ok("ip link set %s down", TUN);
	ck_assert_int_eq(monitor_result(r, 1000), 1);
	cmd_ok("ip link set %s up", TUN);
	ck_assert_int_eq(monitor_result(r, 1000), 1);
	ck_assert_int_eq(routes_heal(r, err, sizeof(err)), 3);
	ck_assert(all_routes_shown(TUN));
	routes_teardown(r);
	tunif_close(&t);
}
END_TEST

START_TEST(test_link_deleted_then_reopened)
{
	struct tunif t;
	struct routes *r;
	char err[512], buf[64];
	int old, n;

	enter_fresh_netns();
	tun_open(&t, TUN);
	old = t.ifindex;
	r = setup_ok(TUN, true);
	ck_assert_int_eq(monitor_result(r, 100), 0);
	cmd_ok("ip link del %s", TUN);
	ck_assert_int_eq(monitor_result(r, 1000), 1);
	/* The fd is dead: reads fail with EBADFD. */
	errno = 0;
	ck_assert_int_eq(tunif_read(&t, 0, buf, sizeof(buf)), -1);
	ck_assert_int_eq(errno, EBADFD);
	/* heal cannot create a tun: it says so. */
	ck_assert_int_eq(routes_heal(r, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, TUN ": No such device") != NULL, "%s", err);
	/* What the daemon does: re-open the tun, then heal. */
	tunif_close(&t);
	tun_open(&t, TUN);
	ck_assert_int_ne(t.ifindex, old);
	n = routes_heal(r, err, sizeof(err));
	ck_assert_msg(n == 4, "heal restored %d: %s", n, err);
	ck_assert(link_is_up(TUN));
	ck_assert(all_routes_shown(TUN));
	routes_teardown(r);
	ck_assert(!route_shown("2001:db8:64::/96", TUN));
	tunif_close(&t);
}
END_TEST

static Suite *routes_suite(void)
{
	Suite *s = suite_create("sys");
	TCase *tc = tcase_create("tunif+routes");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_tunif_open_creates_and_close_removes);
	tcase_add_test(tc, test_tunif_persist_and_existed);
	tcase_add_test(tc, test_tunif_errors);
	tcase_add_test(tc, test_tunif_multiqueue);
	tcase_add_test(tc, test_tunif_read_write_ipv4);
	tcase_add_test(tc, test_setup_installs_and_teardown_removes);
	tcase_add_test(tc, test_sysctls_set_and_left);
	tcase_add_test(tc, test_no_routes_only_link);
	tcase_add_test(tc, test_preexisting_route_is_left_alone);
	tcase_add_test(tc, test_duplicate_prefixes_one_route);
	tcase_add_test(tc, test_setup_error_has_kernel_message_and_rolls_back);
	tcase_add_test(tc, test_monitor_quiet_after_setup_and_on_unrelated);
	tcase_add_test(tc, test_monitor_route_deleted_heal_restores);
	tcase_add_test(tc, test_monitor_link_down_heal_restores);
	tcase_add_test(tc, test_link_deleted_then_reopened);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr;
	int failed;

	if (geteuid() != 0) {
		fprintf(stderr, "test_routes: FAIL: must run as root (it creates tun devices and "
		                "network namespaces); not skipping\n");
		return 1;
	}
	if (access("/dev/net/tun", R_OK | W_OK) != 0) {
		fprintf(stderr, "test_routes: FAIL: /dev/net/tun: %s\n", strerror(errno));
		return 1;
	}
	/* Each test must run in its own forked process: that is where it
	 * enters its own network namespace. */
	if (getenv("CK_FORK") != NULL && strcmp(getenv("CK_FORK"), "no") == 0) {
		fprintf(stderr, "test_routes: FAIL: CK_FORK=no is not supported\n");
		return 1;
	}
	sr = srunner_create(routes_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
