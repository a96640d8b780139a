/* SPDX-License-Identifier: BSD-2-Clause */
/* Operator actions (issue 14 item 3): the threshold lines (watch.c), the
 * route diff of a reload (routes/diff.c), and on the NAT64 tables: sessions
 * deleted, sessions of a removed pool4 range ended, timers cut by a shorter
 * timeout, pool4 use. */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <string.h>

#include "nat64.h"
#include "routes_internal.h"
#include "watch.h"

START_TEST(watch_thresholds_once_with_hysteresis)
{
	struct watch w = {0};
	char l[WATCH_MAX_LINES][WATCH_LINE];

	ck_assert_uint_eq(watch_step(&w, "pool4", 7, 10, 0, l), 0);
	ck_assert_uint_eq(watch_step(&w, "pool4", 8, 10, 0, l), 1);
	ck_assert_str_eq(l[0], "pool4 80% used (8 of 10)");
	ck_assert_uint_eq(watch_step(&w, "pool4", 8, 10, 0, l), 0);   /* once */
	ck_assert_uint_eq(watch_step(&w, "pool4", 79, 100, 0, l), 0); /* hysteresis */
	ck_assert_uint_eq(watch_step(&w, "pool4", 80, 100, 0, l), 0);
	ck_assert_uint_eq(watch_step(&w, "pool4", 74, 100, 0, l), 0); /* below 75: reset */
	ck_assert_uint_eq(w.level, 0);
	ck_assert_uint_eq(watch_step(&w, "pool4", 96, 100, 0, l), 1); /* straight to 95 */
	ck_assert_str_eq(l[0], "pool4 95% used (96 of 100)");
	ck_assert_uint_eq(watch_step(&w, "pool4", 100, 100, 3, l), 1);
	ck_assert_str_eq(l[0], "pool4 exhausted: new flows refused (100 of 100 used)");
	ck_assert_uint_eq(watch_step(&w, "pool4", 100, 100, 9, l), 0);
	ck_assert_uint_eq(watch_step(&w, "pool4", 100, 100, 9, l), 0); /* still full */
	ck_assert_uint_eq(watch_step(&w, "pool4", 50, 100, 9, l), 1);
	ck_assert_str_eq(l[0],
	                 "pool4 exhaustion over: 9 flow(s) refused meanwhile (50 of 100 used)");
	ck_assert_uint_eq(watch_step(&w, "pool4", 0, 0, 9, l), 0); /* no total */
}
END_TEST

static struct route_entry r4(const char *a, uint8_t len, bool owned)
{
	struct route_entry e = {.family = AF_INET, .len = len, .owned = owned};

	inet_pton(AF_INET, a, e.dst);
	return e;
}

START_TEST(routes_diff_keeps_ownership)
{
	struct route_entry old[3] = {r4("192.0.2.6", 32, true), r4("198.51.100.0", 24, false),
	                             r4("203.0.113.0", 28, true)};
	struct route_entry nw[3] = {r4("192.0.2.7", 32, true), r4("198.51.100.0", 24, true),
	                            r4("203.0.113.0", 28, false)};
	struct route_entry gone[3];
	size_t n = route_entries_diff(old, 3, nw, 3, gone);

	ck_assert_uint_eq(n, 1); /* only our 192.0.2.6; 198.51.100.0/24 was not ours */
	ck_assert_int_eq(memcmp(gone[0].dst, old[0].dst, 4), 0);
	ck_assert(!nw[0].owned); /* new: routes_ensure adds it and owns it */
	ck_assert(!nw[1].owned); /* someone else's stays someone else's */
	ck_assert(nw[2].owned);  /* ours stays ours */
}
END_TEST

static const struct pool4_range POOL_A = {
    .addr = 0xc6336401, .len = 32, .port_lo = 2000, .port_hi = 2009}; /* 198.51.100.1 */
static const struct pool4_range POOL_B = {
    .addr = 0xc6336402, .len = 32, .port_lo = 2000, .port_hi = 2009}; /* 198.51.100.2 */

static struct nat64_config config(const struct pool4_range *p, size_t n, uint32_t udp)
{
	struct nat64_config c = {.pool4 = p,
	                         .n_pool4 = n,
	                         .timeout_udp = udp,
	                         .timeout_tcp_est = 7440,
	                         .timeout_tcp_trans = 240,
	                         .timeout_icmp = 60,
	                         .seed = 1};
	return c;
}

static enum nat64_result flow(struct nat64 *n, uint8_t host, uint16_t sport, uint64_t now,
                              uint32_t *t4)
{
	struct nat64_flow6 f = {
	    .proto = IPPROTO_UDP, .sport = sport, .dst4 = 0xcb007101, .dport = 53};
	uint16_t t;

	inet_pton(AF_INET6, "2001:db8:1::", f.src6);
	f.src6[15] = host;
	return nat64_out(n, &f, 0, now, t4, &t);
}

START_TEST(sessions_deleted_ended_and_clamped)
{
	struct pool4_range both[2] = {POOL_A, POOL_B};
	struct nat64_config c = config(both, 2, 300);
	struct nat64 *n = nat64_new(&c);
	struct nat64_delete_filter f = {.by = NAT64_DEL_CLIENT};
	struct nat64_range_use u[4];
	struct nat64_stats st;
	uint64_t used = 0;
	uint32_t t4;
	size_t on_b = 0;

	ck_assert_ptr_nonnull(n);
	for (uint16_t i = 0; i < 8; i++) {
		ck_assert_int_eq(flow(n, 1, (uint16_t)(40000 + i), 1000, &t4), NAT64_OK);
		on_b += t4 == POOL_B.addr;
	}
	ck_assert_uint_eq(nat64_pool4_ranges(n, u, 4), 2);
	used = u[0].used[1] + u[1].used[1];
	ck_assert_uint_eq(used, 8);
	ck_assert_uint_eq(u[0].total[1], 10);
	/* pool4 shrinks to A: the sessions on B end, A's stay */
	c = config(&POOL_A, 1, 300);
	ck_assert_int_eq(nat64_reconfigure(n, &c), 0);
	f.by = NAT64_DEL_OUTSIDE_POOL4;
	ck_assert_uint_eq(nat64_delete(n, &f), on_b);
	nat64_get_stats(n, &st);
	ck_assert_uint_eq(st.sessions[1], 8 - on_b);
	ck_assert_uint_eq(st.ended_pool4_removed, on_b);
	/* a shorter timeout cuts the running timers */
	c = config(&POOL_A, 1, 5);
	ck_assert_int_eq(nat64_reconfigure(n, &c), 0);
	ck_assert_uint_eq(nat64_clamp_timers(n, 2000), 8 - on_b);
	ck_assert_uint_eq(nat64_expire(n, 6000), 0);
	ck_assert_uint_eq(nat64_expire(n, 7000 + 1000), 8 - on_b);
	/* delete by client and by pool4 address */
	for (uint16_t i = 0; i < 3; i++)
		ck_assert_int_eq(flow(n, (uint8_t)(2 + i), 40000, 9000, &t4), NAT64_OK);
	f.by = NAT64_DEL_CLIENT;
	inet_pton(AF_INET6, "2001:db8:1::2", f.client.addr);
	f.client.len = 128;
	ck_assert_uint_eq(nat64_delete(n, &f), 1);
	f.by = NAT64_DEL_POOL4;
	f.addr4 = POOL_A.addr;
	ck_assert_uint_eq(nat64_delete(n, &f), 2);
	nat64_get_stats(n, &st);
	ck_assert_uint_eq(st.deleted, 3);
	ck_assert_uint_eq(st.sessions[1], 0);
	ck_assert_uint_eq(nat64_pool4_ranges(n, u, 4), 1);
	ck_assert_uint_eq(u[0].used[1], 0); /* the ports went back */
	nat64_free(n);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ops");
	TCase *tc = tcase_create("ops");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, watch_thresholds_once_with_hysteresis);
	tcase_add_test(tc, routes_diff_keeps_ownership);
	tcase_add_test(tc, sessions_deleted_ended_and_clamped);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
