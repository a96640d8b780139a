/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for translator/daemon/metrics.c (the Prometheus text format
 * from a snapshot) and iso8601_utc (control.c). */
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"
#include "metrics.h"
#include "nat64.h"

static char *format(const struct metrics_view *v)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(metrics_format(v, f), 0);
	fclose(f);
	return buf;
}

static void has(const char *text, const char *line)
{
	char want[512];

	snprintf(want, sizeof(want), "\n%s\n", line);
	ck_assert_msg(strstr(text, want), "missing line: %s", line);
}

/* Every sample line is NAME{labels} VALUE or NAME VALUE, and every family
 * has its HELP and TYPE before its first sample. */
static void well_formed(const char *text)
{
	const char *p = text;
	char fam[128] = "";

	while (*p) {
		const char *nl = strchr(p, '\n');
		char line[512];

		ck_assert_ptr_nonnull(nl);
		ck_assert_uint_lt((size_t)(nl - p), sizeof(line));
		memcpy(line, p, (size_t)(nl - p));
		line[nl - p] = '\0';
		if (strncmp(line, "# HELP ", 7) == 0) {
			sscanf(line + 7, "%127s", fam);
		} else if (strncmp(line, "# TYPE ", 7) == 0) {
			ck_assert_msg(strncmp(line + 7, fam, strlen(fam)) == 0,
			              "TYPE without HELP: %s", line);
		} else {
			ck_assert_msg(strncmp(line, fam, strlen(fam)) == 0 &&
			                  (line[strlen(fam)] == '{' || line[strlen(fam)] == ' '),
			              "sample outside its family %s: %s", fam, line);
			ck_assert_ptr_nonnull(strrchr(line, ' '));
		}
		p = nl + 1;
	}
}

START_TEST(stateless_counters)
{
	struct metrics_view v = {.version = "1.2.3", .workers = 2, .reloads_ok = 3};
	char *t;

	ctr_add(&v.counters, DIR_6TO4, CTR_TRANSLATED, 7);
	ctr_add(&v.counters, DIR_4TO6, CTR_DROP_NO_STATE, 5);
	ctr_add(&v.counters, DIR_6TO4, CTR_TRANSLATED_BYTES, 700);
	t = format(&v);
	well_formed(t);
	has(t, "tun64_build_info{version=\"1.2.3\",mode=\"stateless\"} 1");
	has(t, "tun64_packets_total{direction=\"6to4\",counter=\"translated\"} 7");
	has(t, "tun64_packets_total{direction=\"4to6\",counter=\"drop-no-state\"} 5");
	has(t, "tun64_packets_total{direction=\"4to6\",counter=\"rx\"} 0");
	has(t, "tun64_translated_bytes_total{direction=\"6to4\"} 700");
	has(t, "tun64_reloads_total{result=\"ok\"} 3");
	has(t, "tun64_workers 2");
	/* bytes and evictions have families of their own, not packets_total */
	ck_assert_ptr_null(strstr(t, "counter=\"translated-bytes\""));
	ck_assert_ptr_null(strstr(t, "counter=\"evict-unconfirmed"));
	ck_assert_ptr_null(strstr(t, "tun64_sessions")); /* stateless: no tables */
	free(t);
}
END_TEST

START_TEST(stateful_tables_and_pool4)
{
	/* one /30 (per address) and one /20 (over 256 addresses: per line) */
	struct pool4_range pool[2] = {
	    {.addr = 0xc0000200, .len = 30, .port_lo = 1, .port_hi = 65535},
	    {.addr = 0xc6336000, .len = 20, .port_lo = 2000, .port_hi = 2999}};
	struct nat64_config cfg = {.pool4 = pool,
	                           .n_pool4 = 2,
	                           .timeout_udp = 300,
	                           .timeout_tcp_est = 7440,
	                           .timeout_tcp_trans = 240,
	                           .timeout_icmp = 60,
	                           .max_sessions = 1000,
	                           .seed = 1};
	struct nat64_flow6 f = {
	    .proto = IPPROTO_UDP, .sport = 5000, .dst4 = 0xcb007102, .dport = 53};
	struct metrics_view v = {.version = "x", .stateful = true, .max_sessions = 1000};
	uint32_t a4;
	uint16_t p4;
	char *t;

	v.nat = nat64_new(&cfg);
	ck_assert_ptr_nonnull(v.nat);
	f.src6[0] = 0x20;
	f.src6[15] = 1;
	for (int i = 0; i < 4; i++) {
		f.sport = (uint16_t)(5000 + i);
		ck_assert_int_eq(nat64_out(v.nat, &f, 0, 1000, &a4, &p4), NAT64_OK);
	}
	t = format(&v);
	well_formed(t);
	has(t, "tun64_sessions{protocol=\"udp\"} 4");
	has(t, "tun64_bib_entries{protocol=\"udp\"} 4");
	has(t, "tun64_clients 1");
	has(t, "tun64_sessions_max 1000");
	has(t, "tun64_session_table_use_ratio 0.004000");
	has(t, "tun64_pool4_ports{address=\"192.0.2.0\",protocol=\"tcp\"} 65535");
	has(t, "tun64_pool4_ports{address=\"192.0.2.3\",protocol=\"icmp\"} 65535");
	has(t, "tun64_pool4_ports{address=\"198.51.96.0/20\",protocol=\"udp\"} 4096000");
	ck_assert_ptr_null(strstr(t, "address=\"198.51.96.1\""));
	/* the four UDP ports, wherever they went */
	{
		unsigned long long used = 0, n;
		const char *p = t;

		while ((p = strstr(p, "tun64_pool4_ports_used{")) != NULL) {
			const char *sp = strchr(p, ' ');

			if (strstr(p, "protocol=\"udp\"") && strstr(p, "protocol=\"udp\"") < sp &&
			    sscanf(sp, " %llu", &n) == 1)
				used += n;
			p = sp;
		}
		ck_assert_uint_eq(used, 4);
	}
	nat64_free(v.nat);
	free(t);
}
END_TEST

START_TEST(iso_dates)
{
	char b[32];

	iso8601_utc(0, b, sizeof(b));
	ck_assert_str_eq(b, "1970-01-01T00:00:00.000Z");
	iso8601_utc(951782400123ULL, b, sizeof(b)); /* a leap day */
	ck_assert_str_eq(b, "2000-02-29T00:00:00.123Z");
	iso8601_utc(1709251199999ULL, b, sizeof(b));
	ck_assert_str_eq(b, "2024-02-29T23:59:59.999Z");
	iso8601_utc(4102444800000ULL, b, sizeof(b));
	ck_assert_str_eq(b, "2100-01-01T00:00:00.000Z");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("format");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, stateless_counters);
	tcase_add_test(tc, stateful_tables_and_pool4);
	tcase_add_test(tc, iso_dates);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
