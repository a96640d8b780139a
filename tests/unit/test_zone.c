/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for translator/ctl/zone.c: A records of a master file to AAAA
 * records, exact output text and exact error messages. Expected addresses are
 * worked out by hand: 203.0.113.10 = cb00:710a, 203.0.113.11 = cb00:710b,
 * 192.0.2.1 = c000:201, 198.51.100.7 = c633:6407, under 2001:db8:64::/96. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "zone.h"

static char err[256];
static char *out;
static int calls;

/* RFC 6052 with 2001:db8:64::/96; counts its calls. */
static bool map96(uint32_t v4, uint8_t v6[16], void *arg)
{
	const struct prefix6 *p = arg;

	calls++;
	rfc6052_embed(p, v4, v6);
	return true;
}

/* Convert text as file "db.example"; out holds what was written. */
static int convert(const char *text)
{
	static struct prefix6 prefix;
	size_t len = 0;
	FILE *f;
	int rc;

	ck_assert_int_eq(prefix6_parse("2001:db8:64::/96", &prefix), 0);
	free(out);
	out = NULL;
	err[0] = '\0';
	calls = 0;
	f = open_memstream(&out, &len);
	ck_assert_ptr_nonnull(f);
	rc = zone_a_to_aaaa(text, "db.example", map96, &prefix, f, err, sizeof(err));
	fclose(f);
	return rc;
}

static void assert_converts(const char *text, int n, const char *want)
{
	ck_assert_int_eq(convert(text), n);
	ck_assert_str_eq(err, "");
	ck_assert_str_eq(out, want);
	ck_assert_int_eq(calls, n);
}

static void assert_error(const char *text, const char *msg)
{
	ck_assert_int_eq(convert(text), -1);
	ck_assert_str_eq(err, msg);
}

/* A zone as BIND writes it: SOA over several lines, comments, every kind of
 * owner, records of other types in between. */
START_TEST(bind_zone)
{
	static const char zone[] = "$ORIGIN example.com.\n"
	                           "$TTL 3600\n"
	                           "@\tIN\tSOA\tns1.example.com. hostmaster.example.com. (\n"
	                           "\t\t2024010101 ; serial\n"
	                           "\t\t7200       ; refresh\n"
	                           "\t\t3600 1209600 300 )\n"
	                           "\t\tNS\tns1\n"
	                           "\t\tA\t192.0.2.1 ; the apex\n"
	                           "; a comment line\n"
	                           "\n"
	                           "ns1\t\tA\t198.51.100.7\n"
	                           "www  300 IN A 203.0.113.10\n"
	                           "     IN  A  203.0.113.11\n"
	                           "     IN  AAAA 2001:db8::1\n"
	                           "mail.example.com. A 203.0.113.10\n"
	                           "txt IN TXT \"v=spf1 ; not a comment ( nor a paren\" \"x\"\n"
	                           "alias CNAME www\n"
	                           "@ MX 10 mail\n";

	assert_converts(zone, 5,
	                "$ORIGIN example.com.\n"
	                "@ 3600 IN AAAA 2001:db8:64::c000:201\n"
	                "ns1 3600 IN AAAA 2001:db8:64::c633:6407\n"
	                "www 300 IN AAAA 2001:db8:64::cb00:710a\n"
	                "www 3600 IN AAAA 2001:db8:64::cb00:710b\n"
	                "mail.example.com. 3600 IN AAAA 2001:db8:64::cb00:710a\n");
}
END_TEST

/* TTL before or after the class, BIND units; without $TTL the last TTL
 * written on a record (RFC 1035 §5.1); with none at all, no TTL. */
START_TEST(ttls)
{
	assert_converts("a A 203.0.113.10\n"
	                "b IN 1h30m A 203.0.113.10\n"
	                "c A 203.0.113.10\n"
	                "d 1W2d IN A 203.0.113.10\n"
	                "e 0 A 203.0.113.10\n",
	                5,
	                "a IN AAAA 2001:db8:64::cb00:710a\n"
	                "b 5400 IN AAAA 2001:db8:64::cb00:710a\n"
	                "c 5400 IN AAAA 2001:db8:64::cb00:710a\n"
	                "d 777600 IN AAAA 2001:db8:64::cb00:710a\n"
	                "e 0 IN AAAA 2001:db8:64::cb00:710a\n");
	/* a TTL on a record of another type counts too */
	assert_converts("x 60 TXT \"t\"\ny A 192.0.2.1\n", 1,
	                "y 60 IN AAAA 2001:db8:64::c000:201\n");
	/* $TTL wins over the last explicit TTL */
	assert_converts("x 60 TXT \"t\"\n$TTL 86400\ny A 192.0.2.1\n", 1,
	                "y 86400 IN AAAA 2001:db8:64::c000:201\n");
	assert_converts("a 2147483647 A 192.0.2.1\n", 1,
	                "a 2147483647 IN AAAA 2001:db8:64::c000:201\n");
}
END_TEST

/* Relative owners keep their meaning: the output repeats $ORIGIN, also for
 * a blank owner read under an earlier origin. */
START_TEST(origins)
{
	assert_converts("$ORIGIN example.com.\n"
	                "www A 203.0.113.10\n"
	                "$ORIGIN lab\n"
	                "host A 192.0.2.1\n"
	                "abs.example.net. A 192.0.2.1\n"
	                "$ORIGIN example.org.\n"
	                "@ A 198.51.100.7\n"
	                "$ORIGIN example.com.\n"
	                "w2 A 203.0.113.11\n"
	                "$ORIGIN example.net.\n"
	                " A 203.0.113.10\n",
	                6,
	                "$ORIGIN example.com.\n"
	                "www IN AAAA 2001:db8:64::cb00:710a\n"
	                "$ORIGIN lab.example.com.\n"
	                "host IN AAAA 2001:db8:64::c000:201\n"
	                "abs.example.net. IN AAAA 2001:db8:64::c000:201\n"
	                "$ORIGIN example.org.\n"
	                "@ IN AAAA 2001:db8:64::c633:6407\n"
	                "$ORIGIN example.com.\n"
	                "w2 IN AAAA 2001:db8:64::cb00:710b\n"
	                "w2 IN AAAA 2001:db8:64::cb00:710a\n");
	/* no $ORIGIN at all: names stay relative to where the output goes */
	assert_converts("www A 203.0.113.10\n", 1, "www IN AAAA 2001:db8:64::cb00:710a\n");
}
END_TEST

/* Case, CRLF line ends, a multi-line A record, other classes, escapes. */
START_TEST(syntax)
{
	assert_converts("www in a 203.0.113.10\r\n\r\n  a 192.0.2.1\r\n", 2,
	                "www IN AAAA 2001:db8:64::cb00:710a\n"
	                "www IN AAAA 2001:db8:64::c000:201\n");
	assert_converts("www IN A (\n 203.0.113.10 ; address\n )\n", 1,
	                "www IN AAAA 2001:db8:64::cb00:710a\n");
	/* CH A is a Chaosnet address; a record with no class has the last one */
	assert_converts("c CH A 203.0.113.10\nd A 203.0.113.10\ne IN A 192.0.2.1\n", 1,
	                "e IN AAAA 2001:db8:64::c000:201\n");
	assert_converts("a\\.b\\; IN A 192.0.2.1\n", 1, "a\\.b\\; IN AAAA 2001:db8:64::c000:201\n");
	/* a name that ends in an escaped dot is relative */
	assert_converts("$ORIGIN example.com.\nx\\. A 192.0.2.1\n", 1,
	                "$ORIGIN example.com.\nx\\. IN AAAA 2001:db8:64::c000:201\n");
	assert_converts("", 0, "");
	assert_converts("; only a comment\n\n   \n", 0, "");
	/* no newline at the end */
	assert_converts("www A 203.0.113.10", 1, "www IN AAAA 2001:db8:64::cb00:710a\n");
}
END_TEST

START_TEST(errors)
{
	assert_error("www A 203.0.113\n",
	             "db.example:1: A record: '203.0.113' is not an IPv4 address");
	assert_error("\nwww A 192.0.2.1 192.0.2.2\n",
	             "db.example:2: A record needs exactly one IPv4 address");
	assert_error("www A\n", "db.example:1: A record needs exactly one IPv4 address");
	assert_error("@ SOA a b (1 2\n3 4 5\n", "db.example:1: '(' is never closed");
	assert_error("www A 192.0.2.1 )\n", "db.example:1: ')' without '('");
	assert_error("x TXT \"abc\n", "db.example:1: quoted string is never closed");
	assert_error("  A 192.0.2.1\n", "db.example:1: no owner name, and no record before");
	assert_error("www 1x A 192.0.2.1\n", "db.example:1: '1x' is not a TTL");
	assert_error("www 1h30 A 192.0.2.1\n", "db.example:1: '1h30' is not a TTL");
	assert_error("www 2147483648 A 192.0.2.1\n", "db.example:1: '2147483648' is not a TTL");
	assert_error("www IN\n", "db.example:1: no record type");
	assert_error("$TTL\n", "db.example:1: $TTL needs one TTL (0..2147483647, units s m h d w)");
	assert_error("$ORIGIN sub\n",
	             "db.example:1: $ORIGIN sub: relative, and no origin before it");
	assert_error("$ORIGIN\n", "db.example:1: $ORIGIN needs one domain name");
	assert_error(
	    "$INCLUDE db.other\n",
	    "db.example:1: $INCLUDE is not followed: convert the included file on its own");
	assert_error("$GENERATE 1-9 h$ A 192.0.2.$\n", "db.example:1: $GENERATE is not supported");
}
END_TEST

/* Nothing is written after the error; what came before is. */
START_TEST(error_stops_output)
{
	ck_assert_int_eq(convert("a A 192.0.2.1\nb A bogus\nc A 192.0.2.1\n"), -1);
	ck_assert_str_eq(err, "db.example:2: A record: 'bogus' is not an IPv4 address");
	ck_assert_str_eq(out, "a IN AAAA 2001:db8:64::c000:201\n");
	ck_assert_int_eq(calls, 1);
}
END_TEST

static Suite *zone_suite(void)
{
	Suite *s = suite_create("zone");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, bind_zone);
	tcase_add_test(tc, ttls);
	tcase_add_test(tc, origins);
	tcase_add_test(tc, syntax);
	tcase_add_test(tc, errors);
	tcase_add_test(tc, error_stops_output);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(zone_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	free(out);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
