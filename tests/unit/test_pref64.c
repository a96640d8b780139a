/* SPDX-License-Identifier: BSD-2-Clause */
/* The PREF64-only Router Advertisement (translator/core/pref64_ra.h): exact
 * bytes for every prefix length RFC 8781 §4 can carry, the Scaled Lifetime
 * rounding and cap, and what it refuses. */
#include <check.h>
#include <netinet/icmp6.h>
#include <stdlib.h>
#include <string.h>

#include "pref64_ra.h"

static struct prefix6 pfx(const char *s)
{
	struct prefix6 p;

	ck_assert_int_eq(prefix6_parse(s, &p), 0);
	return p;
}

/* RFC 4861 §4.2 header of a non-default router, all else unspecified. */
static const uint8_t RA_HEAD[16] = {ND_ROUTER_ADVERT,
                                    0,
                                    0,
                                    0, /* type, code, checksum */
                                    0,
                                    0,
                                    0,
                                    0, /* hop limit, flags, lifetime */
                                    0,
                                    0,
                                    0,
                                    0, /* reachable time */
                                    0,
                                    0,
                                    0,
                                    0}; /* retrans timer */

static const struct {
	const char *prefix;
	uint8_t plc;
	uint8_t bits[12]; /* the highest 96 bits */
} CASES[] = {
    {"64:ff9b::/96", 0, {0x00, 0x64, 0xff, 0x9b}},
    {"2001:db8:1:2::/64", 1, {0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x02}},
    {"2001:db8:1:200::/56", 2, {0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x02, 0x00}},
    {"2001:db8:1::/48", 3, {0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01}},
    {"2001:db8:100::/40", 4, {0x20, 0x01, 0x0d, 0xb8, 0x01}},
    {"2001:db8::/32", 5, {0x20, 0x01, 0x0d, 0xb8}},
    {"2001:db8:64::/96", 0, {0x20, 0x01, 0x0d, 0xb8, 0x00, 0x64}},
};

START_TEST(test_every_length)
{
	struct prefix6 p = pfx(CASES[_i].prefix);
	uint8_t ra[64], want[PREF64_RA_LEN];

	memset(ra, 0xee, sizeof(ra));
	memcpy(want, RA_HEAD, sizeof(RA_HEAD));
	want[16] = 38; /* RFC 8781 §4 type */
	want[17] = 2;  /* length in 8-byte units */
	/* 1800 s = 225 x 8 s; 225 << 3 | PLC */
	want[18] = (uint8_t)((225 << 3 | CASES[_i].plc) >> 8);
	want[19] = (uint8_t)((225 << 3 | CASES[_i].plc) & 0xff);
	memcpy(want + 20, CASES[_i].bits, 12);
	ck_assert_uint_eq(pref64_ra_build(&p, 1800, ra, sizeof(ra)), PREF64_RA_LEN);
	ck_assert_mem_eq(ra, want, PREF64_RA_LEN);
	ck_assert_uint_eq(ra[PREF64_RA_LEN], 0xee); /* nothing written past it */
	ck_assert_int_eq(pref64_plc(p.len), CASES[_i].plc);
}
END_TEST

/* The final RA: lifetime 0, the PLC still there. */
START_TEST(test_withdraw)
{
	struct prefix6 p = pfx("2001:db8::/32");
	uint8_t ra[PREF64_RA_LEN];

	ck_assert_uint_eq(pref64_ra_build(&p, 0, ra, sizeof(ra)), PREF64_RA_LEN);
	ck_assert_mem_eq(ra, RA_HEAD, sizeof(RA_HEAD));
	ck_assert_uint_eq(ra[18], 0x00);
	ck_assert_uint_eq(ra[19], 0x05);
}
END_TEST

/* RFC 8781 §4.1: round up to 8 s, at most 8191 units (65528 s). */
START_TEST(test_scaled_lifetime)
{
	ck_assert_uint_eq(pref64_scaled_lifetime(0), 0);
	ck_assert_uint_eq(pref64_scaled_lifetime(1), 1);
	ck_assert_uint_eq(pref64_scaled_lifetime(8), 1);
	ck_assert_uint_eq(pref64_scaled_lifetime(9), 2);
	ck_assert_uint_eq(pref64_scaled_lifetime(PREF64_LIFETIME_S), 225);
	ck_assert_uint_eq(pref64_scaled_lifetime(65528), 8191);
	ck_assert_uint_eq(pref64_scaled_lifetime(65529), 8191);
	ck_assert_uint_eq(pref64_scaled_lifetime(1000000), 8191);
	/* the cap fills all 13 bits and leaves the PLC alone */
	{
		struct prefix6 p = pfx("2001:db8:1::/48");
		uint8_t ra[PREF64_RA_LEN];

		pref64_ra_build(&p, 1000000, ra, sizeof(ra));
		ck_assert_uint_eq(ra[18], 0xff);
		ck_assert_uint_eq(ra[19], 0xfb);
	}
	/* RFC 8781 §4.1: at least 3 x MaxRtrAdvInterval */
	ck_assert_uint_ge(PREF64_LIFETIME_S * 1000u, 3 * PREF64_MAX_RTR_ADV_INTERVAL_MS);
}
END_TEST

START_TEST(test_refused)
{
	struct prefix6 p = pfx("2001:db8::/32");
	uint8_t ra[PREF64_RA_LEN];

	ck_assert_uint_eq(pref64_ra_build(&p, 1800, ra, sizeof(ra) - 1), 0);
	p.len = 80;
	ck_assert_uint_eq(pref64_ra_build(&p, 1800, ra, sizeof(ra)), 0);
	ck_assert_int_eq(pref64_plc(0), -1);
	ck_assert_int_eq(pref64_plc(128), -1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pref64");
	TCase *tc = tcase_create("ra");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_every_length, 0, (int)(sizeof(CASES) / sizeof(CASES[0])));
	tcase_add_test(tc, test_withdraw);
	tcase_add_test(tc, test_scaled_lifetime);
	tcase_add_test(tc, test_refused);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
