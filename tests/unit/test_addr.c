/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for translator/addr/addr.c: RFC 6052 embedding, parsing, text forms,
 * containment, the RFC 6052 §3.1 "global" check. Expected addresses are
 * written out as bytes from the RFC text, not computed by the code under test. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"

#define V4(a, b, c, d) (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (d))

struct rfc6052_example {
	struct prefix6 prefix;
	uint8_t addr[16];
	const char *text;
};

/* RFC 6052 §2.4, Table 1: 192.0.2.33 embedded under each prefix length. */
static const struct rfc6052_example examples[] = {
    {{{0x20, 0x01, 0x0d, 0xb8}, 32},
     {0x20, 0x01, 0x0d, 0xb8, 0xc0, 0x00, 0x02, 0x21},
     "2001:db8:c000:221::"},
    {{{0x20, 0x01, 0x0d, 0xb8, 0x01}, 40},
     {0x20, 0x01, 0x0d, 0xb8, 0x01, 0xc0, 0x00, 0x02, 0x00, 0x21},
     "2001:db8:1c0:2:21::"},
    {{{0x20, 0x01, 0x0d, 0xb8, 0x01, 0x22}, 48},
     {0x20, 0x01, 0x0d, 0xb8, 0x01, 0x22, 0xc0, 0x00, 0x00, 0x02, 0x21},
     "2001:db8:122:c000:2:2100::"},
    {{{0x20, 0x01, 0x0d, 0xb8, 0x01, 0x22, 0x03}, 56},
     {0x20, 0x01, 0x0d, 0xb8, 0x01, 0x22, 0x03, 0xc0, 0x00, 0x00, 0x02, 0x21},
     "2001:db8:122:3c0:0:221::"},
    {{{0x20, 0x01, 0x0d, 0xb8, 0x01, 0x22, 0x03, 0x44}, 64},
     {0x20, 0x01, 0x0d, 0xb8, 0x01, 0x22, 0x03, 0x44, 0x00, 0xc0, 0x00, 0x02, 0x21},
     "2001:db8:122:344:c0:2:2100:0"},
    {{{0x20, 0x01, 0x0d, 0xb8, 0x01, 0x22, 0x03, 0x44}, 96},
     {0x20, 0x01, 0x0d, 0xb8, 0x01, 0x22, 0x03, 0x44, 0, 0, 0, 0, 0xc0, 0x00, 0x02, 0x21},
     "2001:db8:122:344::c000:221"},
};

#define N_EXAMPLES (sizeof(examples) / sizeof(examples[0]))

START_TEST(embed_rfc6052_table)
{
	const struct rfc6052_example *ex = &examples[_i];
	uint8_t out[16];
	char buf[46];

	memset(out, 0xaa, sizeof(out));
	rfc6052_embed(&ex->prefix, V4(192, 0, 2, 33), out);
	ck_assert_mem_eq(out, ex->addr, 16);
	ck_assert_str_eq(addr6_str(out, buf, sizeof(buf)), ex->text);
}
END_TEST

START_TEST(extract_rfc6052_table)
{
	const struct rfc6052_example *ex = &examples[_i];
	uint32_t v4 = 0;

	ck_assert(rfc6052_extract(&ex->prefix, ex->addr, &v4));
	ck_assert_uint_eq(v4, V4(192, 0, 2, 33));
}
END_TEST

/* The same table read from text: prefix6_parse + addr6_parse agree with the bytes. */
START_TEST(parse_rfc6052_table)
{
	static const char *const prefixes[] = {
	    "2001:db8::/32",         "2001:db8:100::/40",     "2001:db8:122::/48",
	    "2001:db8:122:300::/56", "2001:db8:122:344::/64", "2001:db8:122:344::/96",
	};
	static const char *const mixed[] = {
	    "2001:db8:c000:221::",          "2001:db8:1c0:2:21::",
	    "2001:db8:122:c000:2:2100::",   "2001:db8:122:3c0:0:221::",
	    "2001:db8:122:344:c0:2:2100::", "2001:db8:122:344::192.0.2.33",
	};
	const struct rfc6052_example *ex = &examples[_i];
	struct prefix6 p;
	uint8_t a[16];

	ck_assert_int_eq(prefix6_parse(prefixes[_i], &p), 0);
	ck_assert_uint_eq(p.len, ex->prefix.len);
	ck_assert_mem_eq(p.addr, ex->prefix.addr, 16);
	ck_assert_int_eq(addr6_parse(mixed[_i], a), 0);
	ck_assert_mem_eq(a, ex->addr, 16);
}
END_TEST

START_TEST(wkp_example)
{
	static const uint8_t want[16] = {0x00, 0x64, 0xff, 0x9b, 0,   0, 0, 0,
	                                 0,    0,    0,    0,    192, 0, 2, 33};
	struct prefix6 wkp;
	uint8_t out[16];
	uint32_t v4;
	char buf[46];

	ck_assert_int_eq(prefix6_parse("64:ff9b::/96", &wkp), 0);
	ck_assert(prefix6_is_wkp(&wkp));
	rfc6052_embed(&wkp, V4(192, 0, 2, 33), out);
	ck_assert_mem_eq(out, want, 16);
	/* inet_ntop prints this one in hex; both spellings parse to the same bytes */
	ck_assert_str_eq(addr6_str(out, buf, sizeof(buf)), "64:ff9b::c000:221");
	ck_assert_int_eq(addr6_parse("64:ff9b::192.0.2.33", out), 0);
	ck_assert_mem_eq(out, want, 16);
	ck_assert(rfc6052_extract(&wkp, want, &v4));
	ck_assert_uint_eq(v4, V4(192, 0, 2, 33));
}
END_TEST

START_TEST(wkp_only_exact)
{
	struct prefix6 p;

	ck_assert_int_eq(prefix6_parse("64:ff9b::/64", &p), 0);
	ck_assert(!prefix6_is_wkp(&p));
	ck_assert_int_eq(prefix6_parse("64:ff9b:1::/96", &p), 0);
	ck_assert(!prefix6_is_wkp(&p));
	ck_assert_int_eq(prefix6_parse("2001:db8:64::/96", &p), 0);
	ck_assert(!prefix6_is_wkp(&p));
}
END_TEST

/* The u-octet stays zero and the suffix is zero even for an all-ones address. */
START_TEST(embed_u_octet_zero)
{
	static const uint8_t want64[16] = {0x20, 0x01, 0x0d, 0xb8, 0,    0x64, 0, 0,
	                                   0,    0xff, 0xff, 0xff, 0xff, 0,    0, 0};
	static const uint8_t want40[16] = {0x20, 0x01, 0x0d, 0xb8, 0x64, 0xff, 0xff, 0xff,
	                                   0,    0xff, 0,    0,    0,    0,    0,    0};
	struct prefix6 p;
	uint8_t out[16];

	ck_assert_int_eq(prefix6_parse("2001:db8:64::/64", &p), 0);
	rfc6052_embed(&p, 0xffffffffu, out);
	ck_assert_mem_eq(out, want64, 16);
	ck_assert_int_eq(prefix6_parse("2001:db8:6400::/40", &p), 0);
	rfc6052_embed(&p, 0xffffffffu, out);
	ck_assert_mem_eq(out, want40, 16);
}
END_TEST

START_TEST(extract_outside_prefix)
{
	struct prefix6 p;
	uint8_t a[16];
	uint32_t v4 = 7;

	ck_assert_int_eq(prefix6_parse("2001:db8:64::/96", &p), 0);
	ck_assert_int_eq(addr6_parse("2001:db8:65::c000:221", a), 0);
	ck_assert(!rfc6052_extract(&p, a, &v4));
	ck_assert_uint_eq(v4, 7);
	ck_assert_int_eq(addr6_parse("2001:db8:64::c000:221", a), 0);
	ck_assert(rfc6052_extract(&p, a, &v4));
	ck_assert_uint_eq(v4, V4(192, 0, 2, 33));
}
END_TEST

START_TEST(valid_lengths)
{
	unsigned len, n = 0;

	for (len = 0; len <= 129; len++)
		if (rfc6052_valid_len(len))
			n++;
	ck_assert_uint_eq(n, 6);
	ck_assert(rfc6052_valid_len(32) && rfc6052_valid_len(40) && rfc6052_valid_len(48));
	ck_assert(rfc6052_valid_len(56) && rfc6052_valid_len(64) && rfc6052_valid_len(96));
	ck_assert(!rfc6052_valid_len(80) && !rfc6052_valid_len(128) && !rfc6052_valid_len(0));
}
END_TEST

START_TEST(parse_prefix4)
{
	struct prefix4 p;

	ck_assert_int_eq(prefix4_parse("198.51.100.0/24", &p), 0);
	ck_assert_uint_eq(p.addr, V4(198, 51, 100, 0));
	ck_assert_uint_eq(p.len, 24);
	ck_assert_int_eq(prefix4_parse("203.0.113.7", &p), 0);
	ck_assert_uint_eq(p.addr, V4(203, 0, 113, 7));
	ck_assert_uint_eq(p.len, 32);
	ck_assert_int_eq(prefix4_parse("0.0.0.0/0", &p), 0);
	ck_assert_uint_eq(p.len, 0);
}
END_TEST

START_TEST(parse_prefix6)
{
	static const uint8_t want[16] = {0x20, 0x01, 0x0d, 0xb8, 0x00, 0x06};
	struct prefix6 p;

	ck_assert_int_eq(prefix6_parse("2001:db8:6::/64", &p), 0);
	ck_assert_mem_eq(p.addr, want, 16);
	ck_assert_uint_eq(p.len, 64);
	ck_assert_int_eq(prefix6_parse("2001:db8:6::1", &p), 0);
	ck_assert_uint_eq(p.len, 128);
	ck_assert_uint_eq(p.addr[15], 1);
	ck_assert_int_eq(prefix6_parse("2001:db8:6::/63", &p), 0);
	ck_assert_uint_eq(p.len, 63);
}
END_TEST

START_TEST(parse_errors)
{
	static const char *const bad6[] = {
	    "",
	    "/96",
	    "2001:db8::/",
	    "2001:db8::/129",
	    "2001:db8::/-1",
	    "2001:db8::/ 96",
	    "2001:db8::/96x",
	    "2001:db8::/0096",
	    "2001:db8::1/96",
	    "2001:db8:6::/32",
	    "2001:db8:7::/47",
	    "192.0.2.1/24",
	    "2001:db8::g/96",
	    " 2001:db8::/96",
	    "2001:db8::/96 ",
	    "2001:db8::/+96",
	    "2001:db8::1/127",
	    "2001:db8:64::1/96",
	};
	static const char *const bad4[] = {
	    "",
	    "/24",
	    "192.0.2.0/",
	    "192.0.2.0/33",
	    "192.0.2.1/24",
	    "192.0.2/24",
	    "192.0.2.256",
	    "2001:db8::1",
	    "192.0.2.0/2a",
	    "192.0.2.0 /24",
	    "11.0.0.0/7",
	    "192.0.2.128/24",
	    "1.2.3.4.5",
	};
	struct prefix6 p6 = {.len = 77};
	struct prefix4 p4 = {.len = 77};
	uint8_t a6[16];
	uint32_t a4;
	size_t i;

	for (i = 0; i < sizeof(bad6) / sizeof(bad6[0]); i++)
		ck_assert_msg(prefix6_parse(bad6[i], &p6) == -1, "accepted \"%s\"", bad6[i]);
	ck_assert_uint_eq(p6.len, 77); /* untouched on error */
	for (i = 0; i < sizeof(bad4) / sizeof(bad4[0]); i++)
		ck_assert_msg(prefix4_parse(bad4[i], &p4) == -1, "accepted \"%s\"", bad4[i]);
	ck_assert_uint_eq(p4.len, 77);
	ck_assert_int_eq(addr6_parse("2001:db8::/128", a6), -1);
	ck_assert_int_eq(addr6_parse("192.0.2.1", a6), -1);
	ck_assert_int_eq(addr4_parse("192.0.2.1/32", &a4), -1);
	ck_assert_int_eq(addr4_parse("192.0.2", &a4), -1);
	ck_assert_int_eq(addr4_parse("0x7f.0.0.1", &a4), -1);
	ck_assert_int_eq(addr4_parse("::1", &a4), -1);
}
END_TEST

START_TEST(text_forms)
{
	char buf[46];
	uint8_t a[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0x06, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01};

	ck_assert_str_eq(addr4_str(V4(203, 0, 113, 254), buf, sizeof(buf)), "203.0.113.254");
	ck_assert_str_eq(addr4_str(0, buf, 16), "0.0.0.0");
	ck_assert_str_eq(addr4_str(0xffffffffu, buf, 16), "255.255.255.255");
	ck_assert_str_eq(addr6_str(a, buf, sizeof(buf)), "2001:db8:6::1");
	/* too small a buffer gives an empty string, not an overflow */
	ck_assert_str_eq(addr4_str(V4(203, 0, 113, 254), buf, 8), "");
}
END_TEST

START_TEST(containment4)
{
	struct prefix4 p;

	ck_assert_int_eq(prefix4_parse("198.51.100.0/24", &p), 0);
	ck_assert(prefix4_contains(&p, V4(198, 51, 100, 0)));
	ck_assert(prefix4_contains(&p, V4(198, 51, 100, 255)));
	ck_assert(!prefix4_contains(&p, V4(198, 51, 101, 0)));
	ck_assert(!prefix4_contains(&p, V4(198, 51, 99, 255)));
	ck_assert_int_eq(prefix4_parse("198.51.100.7", &p), 0);
	ck_assert(prefix4_contains(&p, V4(198, 51, 100, 7)));
	ck_assert(!prefix4_contains(&p, V4(198, 51, 100, 6)));
	ck_assert_int_eq(prefix4_parse("0.0.0.0/0", &p), 0);
	ck_assert(prefix4_contains(&p, V4(203, 0, 113, 1)));
	ck_assert(prefix4_contains(&p, 0xffffffffu));
}
END_TEST

START_TEST(containment6)
{
	struct prefix6 p;
	uint8_t a[16];

	ck_assert_int_eq(prefix6_parse("2001:db8:6::/64", &p), 0);
	ck_assert_int_eq(addr6_parse("2001:db8:6::ffff", a), 0);
	ck_assert(prefix6_contains(&p, a));
	ck_assert_int_eq(addr6_parse("2001:db8:6:0:ffff:ffff:ffff:ffff", a), 0);
	ck_assert(prefix6_contains(&p, a));
	ck_assert_int_eq(addr6_parse("2001:db8:6:1::", a), 0);
	ck_assert(!prefix6_contains(&p, a));
	/* a length that is not a multiple of 8 */
	ck_assert_int_eq(prefix6_parse("2001:db8:6::/61", &p), 0);
	ck_assert_int_eq(addr6_parse("2001:db8:6:7::1", a), 0);
	ck_assert(prefix6_contains(&p, a));
	ck_assert_int_eq(addr6_parse("2001:db8:6:8::1", a), 0);
	ck_assert(!prefix6_contains(&p, a));
	ck_assert_int_eq(prefix6_parse("::/0", &p), 0);
	ck_assert(prefix6_contains(&p, a));
}
END_TEST

START_TEST(is_global)
{
	static const uint32_t non_global[] = {
	    V4(0, 1, 2, 3),         V4(10, 0, 0, 1),   V4(10, 255, 255, 255),  V4(100, 64, 0, 1),
	    V4(100, 127, 255, 254), V4(127, 0, 0, 1),  V4(169, 254, 1, 1),     V4(172, 16, 0, 1),
	    V4(172, 31, 255, 255),  V4(192, 0, 0, 8),  V4(192, 0, 2, 33),      V4(192, 88, 99, 1),
	    V4(192, 168, 255, 1),   V4(198, 18, 0, 1), V4(198, 19, 255, 255),  V4(198, 51, 100, 1),
	    V4(203, 0, 113, 1),     V4(224, 0, 0, 1),  V4(239, 255, 255, 250), V4(240, 0, 0, 1),
	    V4(255, 255, 255, 255),
	};
	static const uint32_t global[] = {
	    V4(1, 1, 1, 1),        V4(8, 8, 8, 8),         V4(11, 0, 0, 1),
	    V4(100, 63, 255, 255), V4(100, 128, 0, 0),     V4(126, 255, 255, 255),
	    V4(128, 0, 0, 1),      V4(169, 253, 0, 1),     V4(172, 15, 255, 255),
	    V4(172, 32, 0, 0),     V4(192, 0, 1, 1),       V4(192, 0, 3, 0),
	    V4(192, 88, 98, 1),    V4(192, 167, 0, 1),     V4(192, 169, 0, 1),
	    V4(198, 17, 255, 255), V4(198, 20, 0, 0),      V4(198, 51, 101, 1),
	    V4(203, 0, 112, 255),  V4(223, 255, 255, 255),
	};
	size_t i;

	for (i = 0; i < sizeof(non_global) / sizeof(non_global[0]); i++)
		ck_assert_msg(!addr4_is_global(non_global[i]), "%08x called global", non_global[i]);
	for (i = 0; i < sizeof(global) / sizeof(global[0]); i++)
		ck_assert_msg(addr4_is_global(global[i]), "%08x called non-global", global[i]);
}
END_TEST

static Suite *addr_suite(void)
{
	Suite *s = suite_create("addr");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, embed_rfc6052_table, 0, N_EXAMPLES);
	tcase_add_loop_test(tc, extract_rfc6052_table, 0, N_EXAMPLES);
	tcase_add_loop_test(tc, parse_rfc6052_table, 0, N_EXAMPLES);
	tcase_add_test(tc, wkp_example);
	tcase_add_test(tc, wkp_only_exact);
	tcase_add_test(tc, embed_u_octet_zero);
	tcase_add_test(tc, extract_outside_prefix);
	tcase_add_test(tc, valid_lengths);
	tcase_add_test(tc, parse_prefix4);
	tcase_add_test(tc, parse_prefix6);
	tcase_add_test(tc, parse_errors);
	tcase_add_test(tc, text_forms);
	tcase_add_test(tc, containment4);
	tcase_add_test(tc, containment6);
	tcase_add_test(tc, is_global);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(addr_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
