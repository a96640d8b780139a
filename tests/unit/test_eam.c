/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for translator/core/eam.c: the RFC 7757 EAM table (longest match,
 * suffix copy at any bit offset, host and block maps, misses, bad tables),
 * the SIIT address translation with its RFC 6052 fallback, and the RFC 7757
 * §4 hairpin test.
 * Expected addresses are written out as text and converted by inet_pton
 * (tests/unit/pkt_helpers.c), never computed by the code under test. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "eam.h"
#include "pkt_helpers.h"

#define ERRLEN 256

static struct eam_map map(const char *p4, unsigned len4, const char *p6, unsigned len6)
{
	struct eam_map m;

	memset(&m, 0, sizeof(m));
	m.p4.addr = tp_addr4_host(p4);
	m.p4.len = (uint8_t)len4;
	tp_addr6(p6, m.p6.addr);
	m.p6.len = (uint8_t)len6;
	return m;
}

static struct eam_table *table(const struct eam_map *maps, size_t n)
{
	char err[ERRLEN] = "";
	struct eam_table *t = eam_table_new(maps, n, err, sizeof(err));

	ck_assert_msg(t != NULL, "eam_table_new: %s", err);
	ck_assert_uint_eq(eam_table_size(t), n);
	return t;
}

/* v4 maps to want6 and want6 maps back to v4. */
static void assert_both_ways(const struct eam_table *t, const char *v4, const char *want6)
{
	uint8_t got6[16], exp6[16];
	uint32_t got4 = 0;

	tp_addr6(want6, exp6);
	memset(got6, 0xaa, sizeof(got6));
	ck_assert_msg(eam_4to6(t, tp_addr4_host(v4), got6), "%s: no EAM match", v4);
	ck_assert_msg(memcmp(got6, exp6, 16) == 0, "%s did not map to %s", v4, want6);
	ck_assert_msg(eam_6to4(t, exp6, &got4), "%s: no EAM match", want6);
	ck_assert_msg(got4 == tp_addr4_host(v4), "%s mapped to %08x, not %s", want6, got4, v4);
}

static void assert_miss4(const struct eam_table *t, const char *v4)
{
	uint8_t out[16], untouched[16];

	memset(out, 0x5a, sizeof(out));
	memset(untouched, 0x5a, sizeof(untouched));
	ck_assert_msg(!eam_4to6(t, tp_addr4_host(v4), out), "%s matched", v4);
	ck_assert_mem_eq(out, untouched, 16);
	ck_assert(!eam_has4(t, tp_addr4_host(v4)));
}

static void assert_miss6(const struct eam_table *t, const char *v6)
{
	uint8_t a[16];
	uint32_t v4 = 0x5a5a5a5a;

	tp_addr6(v6, a);
	ck_assert_msg(!eam_6to4(t, a, &v4), "%s matched", v6);
	ck_assert_uint_eq(v4, 0x5a5a5a5a);
}

/* ---- the table ---------------------------------------------------------- */

/* /32 <-> /128: the e2e identity of the IPv6-only client. */
START_TEST(host_map)
{
	const struct eam_map m[] = {map("192.0.2.6", 32, "2001:db8:6::2", 128)};
	struct eam_table *t = table(m, 1);
	static const uint8_t client6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0x06, 0, 0,
	                                    0,    0,    0,    0,    0, 0,    0, 0x02};
	uint8_t out[16];

	ck_assert(eam_4to6(t, 0xc0000206, out));
	ck_assert_mem_eq(out, client6, 16);
	assert_both_ways(t, "192.0.2.6", "2001:db8:6::2");
	ck_assert(eam_has4(t, tp_addr4_host("192.0.2.6")));
	assert_miss4(t, "192.0.2.5");
	assert_miss4(t, "192.0.2.7");
	assert_miss6(t, "2001:db8:6::3");
	assert_miss6(t, "2001:db8:6::2:0"); /* same low bits, other address */
	eam_table_free(t);
}
END_TEST

/* 192.0.2.0/24 <-> 2001:db8:aaaa::/120: the last 8 bits carry over (§3.3). */
START_TEST(block_map_suffix_copy)
{
	const struct eam_map m[] = {map("192.0.2.0", 24, "2001:db8:aaaa::", 120)};
	struct eam_table *t = table(m, 1);

	assert_both_ways(t, "192.0.2.0", "2001:db8:aaaa::");
	assert_both_ways(t, "192.0.2.9", "2001:db8:aaaa::9");
	assert_both_ways(t, "192.0.2.171", "2001:db8:aaaa::ab");
	assert_both_ways(t, "192.0.2.255", "2001:db8:aaaa::ff");
	assert_miss4(t, "192.0.1.255");
	assert_miss4(t, "192.0.3.0");
	assert_miss6(t, "2001:db8:aaaa::100");
	assert_miss6(t, "2001:db8:aaab::1");
	eam_table_free(t);
}
END_TEST

/* A length that is not a multiple of 8: /26 <-> /122, 6 suffix bits that
 * share the last byte with prefix bits. */
START_TEST(unaligned_block)
{
	const struct eam_map m[] = {map("192.0.2.64", 26, "2001:db8:cccc::40", 122)};
	struct eam_table *t = table(m, 1);

	assert_both_ways(t, "192.0.2.64", "2001:db8:cccc::40");
	assert_both_ways(t, "192.0.2.100", "2001:db8:cccc::64");
	assert_both_ways(t, "192.0.2.127", "2001:db8:cccc::7f");
	assert_miss4(t, "192.0.2.63");
	assert_miss4(t, "192.0.2.128");
	assert_miss6(t, "2001:db8:cccc::3f");
	assert_miss6(t, "2001:db8:cccc::80");
	eam_table_free(t);
}
END_TEST

/* The example EAMT of RFC 7757 and its example translations (Appendix B),
 * with the two entries whose IPv6 suffix is longer than the IPv4 one. A /LEN
 * left out in the config means a host prefix, as for the first one. Checked
 * by hand: 192.0.2.152 is suffix 24 = 011000 of the /26, placed at bits
 * 64-69: 0110 00.. = 0x60 in byte 8; 192.0.2.195 is suffix 3 = 011 of the
 * /29, placed at bits 62-64: bit 63 makes 8 -> 9 in the 4th group and bit 64
 * is the top bit of the 5th. */
START_TEST(rfc7757_examples)
{
	const struct eam_map m[] = {
	    map("192.0.2.1", 32, "2001:db8:aaaa::", 128),
	    map("192.0.2.2", 32, "2001:db8:bbbb::b", 128),
	    map("192.0.2.16", 28, "2001:db8:cccc::", 124),
	    map("192.0.2.128", 26, "2001:db8:dddd::", 64),
	    map("192.0.2.192", 29, "2001:db8:eeee:8::", 62),
	    map("192.0.2.224", 31, "64:ff9b::", 127),
	};
	struct eam_table *t = table(m, 6);

	assert_both_ways(t, "192.0.2.1", "2001:db8:aaaa::");
	assert_both_ways(t, "192.0.2.2", "2001:db8:bbbb::b");
	assert_both_ways(t, "192.0.2.16", "2001:db8:cccc::");
	assert_both_ways(t, "192.0.2.24", "2001:db8:cccc::8");
	assert_both_ways(t, "192.0.2.31", "2001:db8:cccc::f");
	assert_both_ways(t, "192.0.2.128", "2001:db8:dddd::");
	assert_both_ways(t, "192.0.2.152", "2001:db8:dddd:0:6000::");
	assert_both_ways(t, "192.0.2.183", "2001:db8:dddd:0:dc00::");
	assert_both_ways(t, "192.0.2.191", "2001:db8:dddd:0:fc00::");
	assert_both_ways(t, "192.0.2.195", "2001:db8:eeee:9:8000::");
	assert_both_ways(t, "192.0.2.225", "64:ff9b::1");
	assert_miss4(t, "192.0.2.3");
	assert_miss4(t, "192.0.2.32");
	assert_miss4(t, "192.0.2.200");
	assert_miss6(t, "2001:db8:aaaa::1");
	assert_miss6(t, "2001:db8:cccc::10");
	assert_miss6(t, "2001:db8:dddd:1::");
	assert_miss6(t, "2001:db8:eeee:c::");
	eam_table_free(t);
}
END_TEST

/* 192.0.2.0/24 <-> 2001:db8:aaaa::/64: the 8 IPv4 suffix bits go to bits
 * 64-71 (RFC 7757 §3.3), the 56 bits after them are zero towards IPv6 and
 * ignored towards IPv4, so the whole /72 behind a mapped address is that one
 * IPv4 address. */
START_TEST(shorter_ipv4_suffix)
{
	const struct eam_map m[] = {map("192.0.2.0", 24, "2001:db8:aaaa::", 64)};
	struct eam_table *t = table(m, 1);
	uint8_t a[16];
	uint32_t v4 = 0;

	assert_both_ways(t, "192.0.2.0", "2001:db8:aaaa::");
	assert_both_ways(t, "192.0.2.1", "2001:db8:aaaa:0:100::");
	assert_both_ways(t, "192.0.2.171", "2001:db8:aaaa:0:ab00::");
	assert_both_ways(t, "192.0.2.255", "2001:db8:aaaa:0:ff00::");
	tp_addr6("2001:db8:aaaa:0:1ff:ffff:ffff:ffff", a);
	ck_assert(eam_6to4(t, a, &v4));
	ck_assert_uint_eq(v4, tp_addr4_host("192.0.2.1"));
	tp_addr6("2001:db8:aaaa:0:1:2:3:4", a); /* bits 64-71 zero */
	ck_assert(eam_6to4(t, a, &v4));
	ck_assert_uint_eq(v4, tp_addr4_host("192.0.2.0"));
	assert_miss4(t, "192.0.3.0");
	assert_miss6(t, "2001:db8:aaaa:1::");
	eam_table_free(t);
}
END_TEST

/* /32 <-> /64: no suffix bits at all; the whole /64 is one IPv4 host, and
 * that host's IPv6 address is the /64's first. */
START_TEST(host_for_a_whole_64)
{
	const struct eam_map m[] = {map("192.0.2.6", 32, "2001:db8:6:7::", 64)};
	struct eam_table *t = table(m, 1);
	uint8_t a[16];
	uint32_t v4 = 0;

	assert_both_ways(t, "192.0.2.6", "2001:db8:6:7::");
	tp_addr6("2001:db8:6:7:dead:beef:1:2", a);
	ck_assert(eam_6to4(t, a, &v4));
	ck_assert_uint_eq(v4, tp_addr4_host("192.0.2.6"));
	tp_addr6("2001:db8:6:7:ffff:ffff:ffff:ffff", a);
	ck_assert(eam_6to4(t, a, &v4));
	ck_assert_uint_eq(v4, tp_addr4_host("192.0.2.6"));
	assert_miss4(t, "192.0.2.7");
	assert_miss6(t, "2001:db8:6:8::");
	assert_miss6(t, "2001:db8:6:6:ffff:ffff:ffff:ffff");
	eam_table_free(t);
}
END_TEST

/* The whole IPv4 space as a 32-bit suffix at bit 40 (0.0.0.0/0 <->
 * 2001:db8:ff00::/40, the overlapping-entries example of RFC 7757): bytes
 * 5-8, across three 16-bit groups, none of them whole. A /32 entry on top
 * wins towards IPv6 (longest IPv4
 * match), while its IPv4 address written under the /40 still maps back to
 * it (the /40 is the longest IPv6 match there): the two directions are
 * independent. */
START_TEST(full_suffix_and_overlap)
{
	const struct eam_map m[] = {
	    map("0.0.0.0", 0, "2001:db8:ff00::", 40),
	    map("198.51.100.64", 32, "2001:db8::abcd", 128),
	};
	struct eam_table *t = table(m, 2);
	uint8_t a[16], out[16], exp[16];
	uint32_t v4 = 0;

	assert_both_ways(t, "0.0.0.0", "2001:db8:ff00::");
	assert_both_ways(t, "255.255.255.255", "2001:db8:ffff:ffff:ff00::");
	assert_both_ways(t, "192.0.2.33", "2001:db8:ffc0:2:2100::");
	assert_both_ways(t, "198.51.100.65", "2001:db8:ffc6:3364:4100::");
	tp_addr6("2001:db8:ffc6:3364:40ff:ffff:ffff:ffff", a);
	ck_assert(eam_6to4(t, a, &v4));
	ck_assert_uint_eq(v4, tp_addr4_host("198.51.100.64"));
	tp_addr6("2001:db8::abcd", exp);
	ck_assert(eam_4to6(t, v4, out));
	ck_assert_mem_eq(out, exp, 16);
	assert_both_ways(t, "198.51.100.64", "2001:db8::abcd");
	assert_miss6(t, "2001:db8:fe00::1");
	eam_table_free(t);
}
END_TEST

/* /26 <-> /61: the 6 suffix bits start at bit 61, 3 in byte 7 and 3 in
 * byte 8, next to prefix bits in both. 2001:db8:1:8::/61 has bit 60 set. By
 * hand, suffix s = abcdef goes to the low 3 bits of the 4th group (abc) and
 * the top 3 bits of the 5th (def << 13). */
START_TEST(unaligned_offset)
{
	const struct eam_map m[] = {map("192.0.2.64", 26, "2001:db8:1:8::", 61)};
	struct eam_table *t = table(m, 1);
	uint8_t a[16];
	uint32_t v4 = 0;

	assert_both_ways(t, "192.0.2.64", "2001:db8:1:8::");       /* 000 000 */
	assert_both_ways(t, "192.0.2.65", "2001:db8:1:8:2000::");  /* 000 001 */
	assert_both_ways(t, "192.0.2.72", "2001:db8:1:9::");       /* 001 000 */
	assert_both_ways(t, "192.0.2.109", "2001:db8:1:d:a000::"); /* 101 101 */
	assert_both_ways(t, "192.0.2.127", "2001:db8:1:f:e000::"); /* 111 111 */
	tp_addr6("2001:db8:1:d:bfff:ffff:ffff:ffff", a);           /* bits 67- ignored */
	ck_assert(eam_6to4(t, a, &v4));
	ck_assert_uint_eq(v4, tp_addr4_host("192.0.2.109"));
	assert_miss4(t, "192.0.2.63");
	assert_miss4(t, "192.0.2.128");
	assert_miss6(t, "2001:db8:1:7:ffff::");
	assert_miss6(t, "2001:db8:1:10::");
	eam_table_free(t);
}
END_TEST

/* The suffix ends exactly at bit 128 (len6 + 32 - len4 == 128) and starts
 * mid-byte next to a set prefix bit: 10.0.0.0/9 <-> 2001:db8::80:0/105,
 * 23 bits at bit 105. Nothing is written past the last byte or over bit 104. */
START_TEST(suffix_ends_at_last_bit)
{
	const struct eam_map m[] = {map("10.0.0.0", 9, "2001:db8::80:0", 105)};
	struct eam_table *t = table(m, 1);

	assert_both_ways(t, "10.0.0.0", "2001:db8::80:0");
	assert_both_ways(t, "10.0.0.1", "2001:db8::80:1");
	assert_both_ways(t, "10.64.1.2", "2001:db8::c0:102");
	assert_both_ways(t, "10.127.255.255", "2001:db8::ff:ffff");
	assert_miss4(t, "10.128.0.0");
	assert_miss6(t, "2001:db8::7f:ffff");
	assert_miss6(t, "2001:db8::100:0");
	eam_table_free(t);
}
END_TEST

/* Overlapping entries: the longest match wins (§3.2), in both directions
 * independently, which is not symmetric. */
START_TEST(longest_match)
{
	const struct eam_map m[] = {
	    map("192.0.2.0", 24, "2001:db8:aaaa::", 120),
	    map("192.0.2.8", 29, "2001:db8:bbbb::", 125),
	    map("192.0.2.9", 32, "2001:db8:9::9", 128),
	};
	struct eam_table *t = table(m, 3);
	uint8_t out[16], exp[16];
	uint32_t v4 = 0;

	assert_both_ways(t, "192.0.2.9", "2001:db8:9::9");     /* /32 beats /29, /24 */
	assert_both_ways(t, "192.0.2.10", "2001:db8:bbbb::2"); /* /29 beats /24 */
	assert_both_ways(t, "192.0.2.15", "2001:db8:bbbb::7");
	assert_both_ways(t, "192.0.2.7", "2001:db8:aaaa::7"); /* only the /24 */
	assert_both_ways(t, "192.0.2.16", "2001:db8:aaaa::10");
	/* The /24's IPv6 side still maps its whole block back ... */
	tp_addr6("2001:db8:aaaa::a", exp);
	ck_assert(eam_6to4(t, exp, &v4));
	ck_assert_uint_eq(v4, tp_addr4_host("192.0.2.10"));
	/* ... but 192.0.2.10 goes out through the longer /29. */
	tp_addr6("2001:db8:bbbb::2", exp);
	ck_assert(eam_4to6(t, v4, out));
	ck_assert_mem_eq(out, exp, 16);
	eam_table_free(t);
}
END_TEST

/* Longest match across entries whose suffixes differ in length on the two
 * sides: 192.0.2.0/24 <-> /56 and 192.0.2.128/25 <-> /64. */
START_TEST(longest_match_unequal)
{
	const struct eam_map m[] = {
	    map("192.0.2.0", 24, "2001:db8:1::", 56),
	    map("192.0.2.128", 25, "2001:db8:2::", 64),
	    map("192.0.2.200", 32, "2001:db8:3::", 64),
	};
	struct eam_table *t = table(m, 3);
	uint8_t a[16], out[16], exp[16];
	uint32_t v4 = 0;

	assert_both_ways(t, "192.0.2.33", "2001:db8:1:21::");     /* /24: 8 bits at 56 */
	assert_both_ways(t, "192.0.2.129", "2001:db8:2:0:200::"); /* /25: 7 bits at 64 */
	assert_both_ways(t, "192.0.2.255", "2001:db8:2:0:fe00::");
	assert_both_ways(t, "192.0.2.200", "2001:db8:3::"); /* /32 beats /25, /24 */
	/* The /24's IPv6 side still maps its whole block back ... */
	tp_addr6("2001:db8:1:c8:1::", a);
	ck_assert(eam_6to4(t, a, &v4));
	ck_assert_uint_eq(v4, tp_addr4_host("192.0.2.200"));
	/* ... but 192.0.2.200 goes out through the longer /32. */
	tp_addr6("2001:db8:3::", exp);
	ck_assert(eam_4to6(t, v4, out));
	ck_assert_mem_eq(out, exp, 16);
	/* And the /25's block through the /25: 200 - 128 = 72 = 1001000. */
	tp_addr6("2001:db8:2:0:9000::", a);
	ck_assert(eam_6to4(t, a, &v4));
	ck_assert_uint_eq(v4, tp_addr4_host("192.0.2.200"));
	eam_table_free(t);
}
END_TEST

/* The same on the IPv6 side: a /128 inside a /120. */
START_TEST(longest_match6)
{
	const struct eam_map m[] = {
	    map("192.0.2.0", 24, "2001:db8:aaaa::", 120),
	    map("198.51.100.7", 32, "2001:db8:aaaa::7", 128),
	};
	struct eam_table *t = table(m, 2);

	assert_both_ways(t, "198.51.100.7", "2001:db8:aaaa::7");
	assert_both_ways(t, "192.0.2.8", "2001:db8:aaaa::8");
	assert_both_ways(t, "192.0.2.6", "2001:db8:aaaa::6");
	eam_table_free(t);
}
END_TEST

/* /31 <-> /127: one suffix bit, and a prefix that ends one bit short of a
 * byte on both sides. */
START_TEST(odd_lengths)
{
	const struct eam_map m[] = {map("192.0.2.6", 31, "2001:db8:6::6", 127)};
	struct eam_table *t = table(m, 1);

	assert_both_ways(t, "192.0.2.6", "2001:db8:6::6");
	assert_both_ways(t, "192.0.2.7", "2001:db8:6::7");
	assert_miss4(t, "192.0.2.5");
	assert_miss4(t, "192.0.2.8");
	assert_miss6(t, "2001:db8:6::5");
	assert_miss6(t, "2001:db8:6::8");
	eam_table_free(t);
}
END_TEST

/* Whole IPv4 space in one /0 <-> /96 entry, with a host entry on top. */
START_TEST(whole_space)
{
	const struct eam_map m[] = {
	    map("0.0.0.0", 0, "2001:db8:ffff::", 96),
	    map("203.0.113.2", 32, "2001:db8:5::2", 128),
	};
	struct eam_table *t = table(m, 2);

	assert_both_ways(t, "0.0.0.0", "2001:db8:ffff::");
	assert_both_ways(t, "255.255.255.255", "2001:db8:ffff::ffff:ffff");
	assert_both_ways(t, "203.0.113.1", "2001:db8:ffff::cb00:7101");
	assert_both_ways(t, "203.0.113.2", "2001:db8:5::2");
	assert_miss6(t, "2001:db8:fffe::1");
	eam_table_free(t);
}
END_TEST

/* Many host entries in scrambled order at several lengths: every one is
 * found (the sort and binary search hold), and none that is not. */
START_TEST(many_entries)
{
	enum { N = 300 };
	struct eam_map *m = calloc(N + 2, sizeof(*m));
	struct eam_table *t;
	char v4[16], v6[48];
	size_t i, k = 0;

	ck_assert_ptr_nonnull(m);
	for (i = 0; i < N; i++) {
		unsigned x = (unsigned)((i * 7919) % N); /* 7919 is prime: a permutation */

		snprintf(v4, sizeof(v4), "198.51.%u.%u", 100 + x / 256, x % 256);
		snprintf(v6, sizeof(v6), "2001:db8:6::%x", 0x1000 + x);
		m[k++] = map(v4, 32, v6, 128);
	}
	m[k++] = map("198.51.100.0", 24, "2001:db8:7::", 120);
	m[k++] = map("198.51.0.0", 16, "2001:db8:8::", 112);
	t = table(m, k);
	for (i = 0; i < N; i++) {
		snprintf(v4, sizeof(v4), "198.51.%zu.%zu", 100 + i / 256, i % 256);
		snprintf(v6, sizeof(v6), "2001:db8:6::%zx", 0x1000 + i);
		assert_both_ways(t, v4, v6);
	}
	assert_both_ways(t, "198.51.101.44", "2001:db8:8::652c"); /* N = 300: .101.44 is free */
	assert_both_ways(t, "198.51.0.1", "2001:db8:8::1");
	assert_miss4(t, "198.52.0.0");
	assert_miss6(t, "2001:db8:6::fff");
	assert_miss6(t, "2001:db8:6::112c");
	eam_table_free(t);
	free(m);
}
END_TEST

START_TEST(empty_and_null)
{
	char err[ERRLEN];
	struct eam_table *t = eam_table_new(NULL, 0, err, sizeof(err));

	ck_assert_ptr_nonnull(t);
	ck_assert_uint_eq(eam_table_size(t), 0);
	assert_miss4(t, "192.0.2.6");
	assert_miss6(t, "2001:db8:6::2");
	eam_table_free(t);
	ck_assert_uint_eq(eam_table_size(NULL), 0);
	assert_miss4(NULL, "192.0.2.6");
	assert_miss6(NULL, "2001:db8:6::2");
	eam_table_free(NULL);
}
END_TEST

static void assert_refused(const struct eam_map *m, size_t n, const char *why)
{
	char err[ERRLEN] = "";

	ck_assert_ptr_null(eam_table_new(m, n, err, sizeof(err)));
	ck_assert_msg(strstr(err, why) != NULL, "error '%s' does not say '%s'", err, why);
	ck_assert_msg(strncmp(err, "map: ", 5) == 0, "error '%s' does not name the key", err);
}

START_TEST(bad_tables)
{
	const struct eam_map same4[] = {
	    map("192.0.2.6", 32, "2001:db8:6::2", 128),
	    map("192.0.2.6", 32, "2001:db8:6::3", 128),
	};
	const struct eam_map same6[] = {
	    map("192.0.2.0", 24, "2001:db8:aaaa::", 120),
	    map("192.0.2.7", 32, "2001:db8:6::3", 128),
	    map("198.51.100.0", 24, "2001:db8:aaaa::", 120),
	};
	/* RFC 7757 §3.2: an IPv4 suffix that does not fit in the IPv6 one. */
	const struct eam_map suffix[] = {map("192.0.2.0", 24, "2001:db8:aaaa::", 121)};
	const struct eam_map suffix32[] = {map("0.0.0.0", 0, "2001:db8::", 97)};
	const struct eam_map suffix_host6[] = {map("192.0.2.0", 31, "2001:db8::1", 128)};
	const struct eam_map host4[] = {map("192.0.2.1", 24, "2001:db8:aaaa::", 120)};
	const struct eam_map host6[] = {map("192.0.2.0", 24, "2001:db8:aaaa::1", 120)};
	const struct eam_map host6_unequal[] = {map("192.0.2.0", 24, "2001:db8:aaaa::1", 64)};

	assert_refused(same4, 2, "IPv4 prefix appears twice: 192.0.2.6/32 ");
	assert_refused(same6, 3, "IPv6 prefix appears twice");
	assert_refused(
	    suffix, 1,
	    "map: 192.0.2.0/24 has 8 suffix bits but 2001:db8:aaaa::/121 has only 7: the "
	    "IPv4 suffix must not be longer than the IPv6 one (RFC 7757)");
	assert_refused(suffix32, 1, "0.0.0.0/0 has 32 suffix bits but 2001:db8::/97 has only 31");
	assert_refused(suffix_host6, 1,
	               "192.0.2.0/31 has 1 suffix bits but 2001:db8::1/128 has only 0");
	assert_refused(host4, 1, "host bits set");
	assert_refused(host6, 1, "host bits set");
	assert_refused(host6_unequal, 1, "host bits set");
}
END_TEST

/* ---- SIIT address translation ------------------------------------------ */

static const struct prefix6 pool6 = {{0x20, 0x01, 0x0d, 0xb8, 0x00, 0x64},
                                     96}; /* 2001:db8:64::/96 */

static const struct eam_map two_hosts[] = {
    {{0xc0000206, 32}, {{0x20, 0x01, 0x0d, 0xb8, 0, 0x06, [15] = 0x02}, 128}}, /* 192.0.2.6 */
    {{0xc0000207, 32}, {{0x20, 0x01, 0x0d, 0xb8, 0, 0x06, [15] = 0x03}, 128}}, /* 192.0.2.7 */
};

static enum siit_via to6(const struct eam_table *t, const struct prefix6 *p6, const char *v4,
                         const char *want6)
{
	uint8_t out[16], exp[16];
	enum siit_via via = siit_map_4to6(t, p6, tp_addr4_host(v4), out);

	tp_addr6(want6, exp);
	ck_assert_msg(via != SIIT_VIA_NONE, "%s: not translated", v4);
	ck_assert_msg(memcmp(out, exp, 16) == 0, "%s did not become %s", v4, want6);
	ck_assert(siit_addr_4to6(t, p6, tp_addr4_host(v4), out));
	ck_assert_mem_eq(out, exp, 16);
	return via;
}

static enum siit_via to4(const struct eam_table *t, const struct prefix6 *p6, const char *v6,
                         const char *want4)
{
	uint8_t a[16];
	uint32_t v4 = 0;
	enum siit_via via;

	tp_addr6(v6, a);
	via = siit_map_6to4(t, p6, a, &v4);
	ck_assert_msg(via != SIIT_VIA_NONE, "%s: not translated", v6);
	ck_assert_msg(v4 == tp_addr4_host(want4), "%s became %08x, not %s", v6, v4, want4);
	v4 = 0;
	ck_assert(siit_addr_6to4(t, p6, a, &v4));
	ck_assert_uint_eq(v4, tp_addr4_host(want4));
	return via;
}

/* EAM first, RFC 6052 for the rest (§3.2). */
START_TEST(siit_eam_then_rfc6052)
{
	struct eam_table *t = table(two_hosts, 2);

	ck_assert_int_eq(to6(t, &pool6, "192.0.2.6", "2001:db8:6::2"), SIIT_VIA_EAM);
	ck_assert_int_eq(to6(t, &pool6, "203.0.113.2", "2001:db8:64::cb00:7102"), SIIT_VIA_RFC6052);
	ck_assert_int_eq(to4(t, &pool6, "2001:db8:6::3", "192.0.2.7"), SIIT_VIA_EAM);
	ck_assert_int_eq(to4(t, &pool6, "2001:db8:64::cb00:7102", "203.0.113.2"), SIIT_VIA_RFC6052);
	/* The pool6 form of an EAM IPv4 address still extracts (that is what
	 * makes hairpinning possible). */
	ck_assert_int_eq(to4(t, &pool6, "2001:db8:64::c000:206", "192.0.2.6"), SIIT_VIA_RFC6052);
	eam_table_free(t);
}
END_TEST

/* An EAM IPv6 prefix inside pool6 still wins over RFC 6052. */
START_TEST(siit_eam_inside_pool6)
{
	const struct eam_map m[] = {map("192.0.2.50", 32, "2001:db8:64::cb00:7102", 128)};
	struct eam_table *t = table(m, 1);

	ck_assert_int_eq(to4(t, &pool6, "2001:db8:64::cb00:7102", "192.0.2.50"), SIIT_VIA_EAM);
	ck_assert_int_eq(to4(t, &pool6, "2001:db8:64::cb00:7103", "203.0.113.3"), SIIT_VIA_RFC6052);
	ck_assert_int_eq(to6(t, &pool6, "192.0.2.50", "2001:db8:64::cb00:7102"), SIIT_VIA_EAM);
	eam_table_free(t);
}
END_TEST

START_TEST(siit_misses)
{
	struct eam_table *t = table(two_hosts, 2);
	const struct prefix6 no_pool6 = {{0}, 0};
	uint8_t a[16], out[16];
	uint32_t v4 = 0;

	/* Neither an EAM IPv6 address nor inside pool6. */
	tp_addr6("2001:db8:6::4", a);
	ck_assert_int_eq(siit_map_6to4(t, &pool6, a, &v4), SIIT_VIA_NONE);
	ck_assert(!siit_addr_6to4(t, &pool6, a, &v4));
	tp_addr6("2001:db8:65::cb00:7102", a);
	ck_assert(!siit_addr_6to4(t, &pool6, a, &v4));
	/* EAM only (no usable pool6): what the EAMT lacks is untranslatable. */
	ck_assert_int_eq(siit_map_4to6(t, NULL, tp_addr4_host("203.0.113.2"), out), SIIT_VIA_NONE);
	ck_assert(!siit_addr_4to6(t, &no_pool6, tp_addr4_host("203.0.113.2"), out));
	tp_addr6("2001:db8:64::cb00:7102", a);
	ck_assert(!siit_addr_6to4(t, NULL, a, &v4));
	ck_assert_int_eq(to6(t, NULL, "192.0.2.7", "2001:db8:6::3"), SIIT_VIA_EAM);
	/* No table at all: plain RFC 6052 SIIT. */
	ck_assert_int_eq(to6(NULL, &pool6, "192.0.2.6", "2001:db8:64::c000:206"), SIIT_VIA_RFC6052);
	ck_assert_int_eq(to4(NULL, &pool6, "2001:db8:64::c000:206", "192.0.2.6"), SIIT_VIA_RFC6052);
	eam_table_free(t);
}
END_TEST

/* ---- RFC 7757 §4 hairpinning ------------------------------------------- */

START_TEST(hairpin_condition)
{
	struct eam_table *t = table(two_hosts, 2);
	uint8_t dst6[16];
	uint32_t dst4;
	enum siit_via via;

	/* 2001:db8:6::2 -> 2001:db8:64::c000:207: 192.0.2.7 is an EAM address. */
	tp_addr6("2001:db8:64::c000:207", dst6);
	via = siit_map_6to4(t, &pool6, dst6, &dst4);
	ck_assert(siit_hairpin(t, via, dst4));
	/* To the IPv4 server: leaves as IPv4. */
	tp_addr6("2001:db8:64::cb00:7102", dst6);
	via = siit_map_6to4(t, &pool6, dst6, &dst4);
	ck_assert(!siit_hairpin(t, via, dst4));
	/* To the other node's own IPv6 address (EAM, not RFC 6052): no. */
	tp_addr6("2001:db8:6::3", dst6);
	via = siit_map_6to4(t, &pool6, dst6, &dst4);
	ck_assert_int_eq(via, SIIT_VIA_EAM);
	ck_assert(!siit_hairpin(t, via, dst4));
	/* Untranslatable, or no table. */
	ck_assert(!siit_hairpin(t, SIIT_VIA_NONE, tp_addr4_host("192.0.2.7")));
	ck_assert(!siit_hairpin(NULL, SIIT_VIA_RFC6052, tp_addr4_host("192.0.2.7")));
	eam_table_free(t);
}
END_TEST

/* One pass through a hairpinning translator, following the rule in eam.h:
 * 6to4 both addresses; if it hairpins, 4to6 with the source by RFC 6052 only. */
static bool hairpin_pass(const struct eam_table *t, const char *src6, const char *dst6,
                         uint8_t out_src[16], uint8_t out_dst[16])
{
	uint8_t s[16], d[16];
	uint32_t s4, d4;
	enum siit_via dvia;

	tp_addr6(src6, s);
	tp_addr6(dst6, d);
	ck_assert(siit_addr_6to4(t, &pool6, s, &s4));
	dvia = siit_map_6to4(t, &pool6, d, &d4);
	ck_assert_int_ne(dvia, SIIT_VIA_NONE);
	if (!siit_hairpin(t, dvia, d4))
		return false;
	rfc6052_embed(&pool6, s4, out_src);
	ck_assert(siit_addr_4to6(t, &pool6, d4, out_dst));
	return true;
}

/* A talks to B by B's IPv4 address; the reply reaches A from the address A
 * sent to, and both legs go through the translator. */
START_TEST(hairpin_round_trip)
{
	struct eam_table *t = table(two_hosts, 2);
	uint8_t src[16], dst[16], exp[16];
	char s[46], d[46];

	ck_assert(hairpin_pass(t, "2001:db8:6::2", "2001:db8:64::c000:207", src, dst));
	tp_addr6("2001:db8:64::c000:206", exp); /* B sees A in pool6 ... */
	ck_assert_mem_eq(src, exp, 16);
	tp_addr6("2001:db8:6::3", exp); /* ... at its own address */
	ck_assert_mem_eq(dst, exp, 16);

	ck_assert(
	    hairpin_pass(t, addr6_str(dst, d, sizeof(d)), addr6_str(src, s, sizeof(s)), src, dst));
	tp_addr6("2001:db8:64::c000:207", exp); /* A hears from where it sent */
	ck_assert_mem_eq(src, exp, 16);
	tp_addr6("2001:db8:6::2", exp);
	ck_assert_mem_eq(dst, exp, 16);
	eam_table_free(t);
}
END_TEST

static Suite *eam_suite(void)
{
	Suite *s = suite_create("eam");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, host_map);
	tcase_add_test(tc, block_map_suffix_copy);
	tcase_add_test(tc, unaligned_block);
	tcase_add_test(tc, rfc7757_examples);
	tcase_add_test(tc, shorter_ipv4_suffix);
	tcase_add_test(tc, host_for_a_whole_64);
	tcase_add_test(tc, full_suffix_and_overlap);
	tcase_add_test(tc, unaligned_offset);
	tcase_add_test(tc, suffix_ends_at_last_bit);
	tcase_add_test(tc, longest_match);
	tcase_add_test(tc, longest_match_unequal);
	tcase_add_test(tc, longest_match6);
	tcase_add_test(tc, odd_lengths);
	tcase_add_test(tc, whole_space);
	tcase_add_test(tc, many_entries);
	tcase_add_test(tc, empty_and_null);
	tcase_add_test(tc, bad_tables);
	tcase_add_test(tc, siit_eam_then_rfc6052);
	tcase_add_test(tc, siit_eam_inside_pool6);
	tcase_add_test(tc, siit_misses);
	tcase_add_test(tc, hairpin_condition);
	tcase_add_test(tc, hairpin_round_trip);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(eam_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
