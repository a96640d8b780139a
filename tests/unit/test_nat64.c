/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests of the RFC 6146 state tables (translator/nat64/). */
#include <check.h>
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>

#include "nat64.h"
#include "tables.h" /* tcp_transition, timer_for */

#define SEC 1000ULL
#define T_UDP 300
#define T_EST 7440
#define T_TRANS 240
#define T_ICMP 60

static uint32_t v4(unsigned a, unsigned b, unsigned c, unsigned d)
{
	return (uint32_t)a << 24 | b << 16 | c << 8 | d;
}

/* 2001:db8:6::N (client LAN) */
static void client6(uint32_t n, uint8_t a[16])
{
	static const uint8_t base[16] = {0x20, 0x01, 0x0d, 0xb8, 0x00, 0x06};

	memcpy(a, base, 16);
	a[12] = (uint8_t)(n >> 24);
	a[13] = (uint8_t)(n >> 16);
	a[14] = (uint8_t)(n >> 8);
	a[15] = (uint8_t)n;
}

#define POOL_ADDR v4(198, 51, 100, 1)
#define SERVER1 v4(203, 0, 113, 1)
#define SERVER2 v4(203, 0, 113, 2)
#define SERVER3 v4(203, 0, 113, 3)

static struct pool4_range pool_one[1];

static struct nat64_config base_cfg(uint32_t addr, uint8_t len, uint16_t lo, uint16_t hi)
{
	struct nat64_config c;

	memset(&c, 0, sizeof(c));
	pool_one[0] = (struct pool4_range){.addr = addr, .len = len, .port_lo = lo, .port_hi = hi};
	c.pool4 = pool_one;
	c.n_pool4 = 1;
	c.timeout_udp = T_UDP;
	c.timeout_tcp_est = T_EST;
	c.timeout_tcp_trans = T_TRANS;
	c.timeout_icmp = T_ICMP;
	c.max_sessions = 100000;
	c.seed = 42;
	return c;
}

static struct nat64 *new_small(uint16_t lo, uint16_t hi)
{
	struct nat64_config c = base_cfg(POOL_ADDR, 32, lo, hi);
	struct nat64 *n = nat64_new(&c);

	ck_assert_ptr_nonnull(n);
	return n;
}

static struct nat64_flow6 flow6(uint8_t proto, uint32_t host, uint16_t x, uint32_t z4, uint16_t y)
{
	struct nat64_flow6 f;

	memset(&f, 0, sizeof(f));
	f.proto = proto;
	client6(host, f.src6);
	f.sport = x;
	f.dst4 = z4;
	f.dport = y;
	return f;
}

static struct nat64_flow4 flow4(uint8_t proto, uint32_t z4, uint16_t z, uint32_t t4, uint16_t t)
{
	struct nat64_flow4 f = {.proto = proto, .src4 = z4, .sport = z, .dst4 = t4, .dport = t};

	return f;
}

static enum nat64_result out(struct nat64 *n, uint8_t proto, uint32_t host, uint16_t x, uint32_t z4,
                             uint16_t y, uint8_t flags, uint64_t now, uint32_t *t4, uint16_t *t)
{
	struct nat64_flow6 f = flow6(proto, host, x, z4, y);

	return nat64_out(n, &f, flags, now, t4, t);
}

static enum nat64_result in(struct nat64 *n, uint8_t proto, uint32_t z4, uint16_t z, uint32_t t4,
                            uint16_t t, uint8_t flags, uint64_t now, uint8_t x6[16], uint16_t *x)
{
	struct nat64_flow4 f = flow4(proto, z4, z, t4, t);

	return nat64_in(n, &f, flags, now, x6, x);
}

/* nat64_in must return exactly client host:x */
static void assert_in_maps(struct nat64 *n, uint8_t proto, uint32_t z4, uint16_t z, uint32_t t4,
                           uint16_t t, uint8_t flags, uint64_t now, uint32_t host, uint16_t x)
{
	uint8_t got6[16], want6[16];
	uint16_t got;

	client6(host, want6);
	ck_assert_int_eq(in(n, proto, z4, z, t4, t, flags, now, got6, &got), NAT64_OK);
	ck_assert_mem_eq(got6, want6, 16);
	ck_assert_uint_eq(got, x);
}

static void stats(struct nat64 *n, int pi, uint64_t *bib, uint64_t *sess)
{
	struct nat64_stats st;

	nat64_get_stats(n, &st);
	*bib = st.bib[pi];
	*sess = st.sessions[pi];
}

#define ASSERT_COUNTS(n, pi, nb, ns)                                                               \
	do {                                                                                       \
		uint64_t b_, s_;                                                                   \
		stats(n, pi, &b_, &s_);                                                            \
		ck_assert_uint_eq(b_, nb);                                                         \
		ck_assert_uint_eq(s_, ns);                                                         \
	} while (0)

enum { PI_TCP = 0, PI_UDP = 1, PI_ICMP = 2 };

/* Find one session by its 6-side port and remote. */
struct find_arg {
	uint8_t proto;
	uint16_t port6;
	uint32_t remote4;
	uint16_t rport4;
	struct nat64_session_info found;
	int hits;
};

static int find_cb(const struct nat64_session_info *s, void *p)
{
	struct find_arg *a = p;

	if (s->proto == a->proto && s->port6 == a->port6 && s->remote4 == a->remote4 &&
	    s->rport4 == a->rport4) {
		a->found = *s;
		a->hits++;
	}
	return 0;
}

static struct nat64_session_info find_session(struct nat64 *n, uint8_t proto, uint16_t x,
                                              uint32_t z4, uint16_t z)
{
	struct find_arg a = {.proto = proto, .port6 = x, .remote4 = z4, .rport4 = z};

	nat64_foreach_session(n, find_cb, &a);
	ck_assert_int_eq(a.hits, 1);
	return a.found;
}

static void assert_tcp(struct nat64 *n, uint16_t x, uint32_t z4, uint16_t z,
                       enum nat64_tcp_state st, uint64_t expires)
{
	struct nat64_session_info s = find_session(n, IPPROTO_TCP, x, z4, z);

	ck_assert_str_eq(nat64_tcp_state_name(s.state), nat64_tcp_state_name(st));
	ck_assert_uint_eq(s.expires_ms, expires);
}

/* ---- BIB and session creation ---- */

START_TEST(test_eim_one_bib_two_sessions)
{
	struct nat64 *n = new_small(1024, 65535);
	uint32_t t4a, t4b, t4;
	uint16_t ta, tb, t;
	uint8_t a6[16], want6[16];
	uint16_t p6;

	ck_assert_int_eq(out(n, IPPROTO_UDP, 7, 40000, SERVER1, 53, 0, 0, &t4a, &ta), NAT64_OK);
	ck_assert_int_eq(out(n, IPPROTO_UDP, 7, 40000, SERVER2, 123, 0, 0, &t4b, &tb), NAT64_OK);
	/* RFC 6146 §3.5.1: endpoint-independent mapping */
	ck_assert_uint_eq(t4a, POOL_ADDR);
	ck_assert_uint_eq(t4b, t4a);
	ck_assert_uint_eq(tb, ta);
	ck_assert_uint_ge(ta, 1024);
	ASSERT_COUNTS(n, PI_UDP, 1, 2);
	ASSERT_COUNTS(n, PI_TCP, 0, 0);
	/* same session again: no new state */
	ck_assert_int_eq(out(n, IPPROTO_UDP, 7, 40000, SERVER1, 53, 0, 0, &t4, &t), NAT64_OK);
	ck_assert_uint_eq(t, ta);
	ASSERT_COUNTS(n, PI_UDP, 1, 2);
	/* replies from both servers reach X'#x */
	assert_in_maps(n, IPPROTO_UDP, SERVER1, 53, t4a, ta, 0, 0, 7, 40000);
	assert_in_maps(n, IPPROTO_UDP, SERVER2, 123, t4a, ta, 0, 0, 7, 40000);
	ASSERT_COUNTS(n, PI_UDP, 1, 2);
	/* read-only lookups both ways */
	client6(7, want6);
	ck_assert(nat64_bib_lookup4(n, IPPROTO_UDP, t4a, ta, a6, &p6));
	ck_assert_mem_eq(a6, want6, 16);
	ck_assert_uint_eq(p6, 40000);
	ck_assert(nat64_bib_lookup6(n, IPPROTO_UDP, want6, 40000, &t4, &t));
	ck_assert_uint_eq(t4, t4a);
	ck_assert_uint_eq(t, ta);
	ck_assert(!nat64_bib_lookup6(n, IPPROTO_TCP, want6, 40000, &t4, &t));
	ck_assert(!nat64_bib_lookup4(n, IPPROTO_TCP, t4a, ta, a6, &p6));
	nat64_free(n);
}
END_TEST

START_TEST(test_protocols_are_separate)
{
	struct nat64 *n = new_small(1024, 65535);
	uint32_t t4;
	uint16_t tu, tt;

	ck_assert_int_eq(out(n, IPPROTO_UDP, 1, 5000, SERVER1, 80, 0, 0, &t4, &tu), NAT64_OK);
	ck_assert_int_eq(out(n, IPPROTO_TCP, 1, 5000, SERVER1, 80, NAT64_TCP_SYN, 0, &t4, &tt),
	                 NAT64_OK);
	ASSERT_COUNTS(n, PI_UDP, 1, 1);
	ASSERT_COUNTS(n, PI_TCP, 1, 1);
	/* a UDP reply does not find the TCP entry and vice versa */
	assert_in_maps(n, IPPROTO_UDP, SERVER1, 80, t4, tu, 0, 0, 1, 5000);
	assert_in_maps(n, IPPROTO_TCP, SERVER1, 80, t4, tt, NAT64_TCP_ACK, 0, 1, 5000);
	nat64_free(n);
}
END_TEST

START_TEST(test_in_without_bib)
{
	struct nat64 *n = new_small(1024, 65535);
	uint8_t a6[16];
	uint16_t x;

	/* RFC 6146 §3.5: IPv4 packets never create BIB entries */
	ck_assert_int_eq(in(n, IPPROTO_UDP, SERVER1, 53, POOL_ADDR, 4000, 0, 0, a6, &x),
	                 NAT64_NO_STATE);
	ck_assert_int_eq(in(n, IPPROTO_TCP, SERVER1, 80, POOL_ADDR, 4000, NAT64_TCP_SYN, 0, a6, &x),
	                 NAT64_NO_STATE);
	ASSERT_COUNTS(n, PI_UDP, 0, 0);
	ASSERT_COUNTS(n, PI_TCP, 0, 0);
	nat64_free(n);
}
END_TEST

START_TEST(test_unknown_proto)
{
	struct nat64 *n = new_small(1024, 65535);
	uint32_t t4;
	uint16_t t;

	ck_assert_int_eq(out(n, 47 /* GRE */, 1, 0, SERVER1, 0, 0, 0, &t4, &t), NAT64_NO_STATE);
	nat64_free(n);
}
END_TEST

START_TEST(test_icmp_echo)
{
	struct nat64 *n = new_small(1024, 65535);
	uint32_t t4;
	uint16_t t, t2;
	uint8_t a6[16];
	uint16_t x;

	/* ICMP echo: y == x on the IPv6 side, z == t on the IPv4 side */
	ck_assert_int_eq(out(n, IPPROTO_ICMP, 3, 0x1234, SERVER1, 0x1234, 0, 0, &t4, &t), NAT64_OK);
	assert_in_maps(n, IPPROTO_ICMP, SERVER1, t, t4, t, 0, 10 * SEC, 3, 0x1234);
	ASSERT_COUNTS(n, PI_ICMP, 1, 1); /* the reply used the request's session */
	ck_assert_int_eq(out(n, IPPROTO_ICMP, 3, 0x1234, SERVER1, 0x1234, 0, 20 * SEC, &t4, &t2),
	                 NAT64_OK);
	ck_assert_uint_eq(t2, t);
	ASSERT_COUNTS(n, PI_ICMP, 1, 1);
	/* timeout_icmp from the last packet */
	ck_assert_uint_eq(nat64_expire(n, (20 + T_ICMP) * SEC - 1), 0);
	ck_assert_uint_eq(nat64_expire(n, (20 + T_ICMP) * SEC), 1);
	ASSERT_COUNTS(n, PI_ICMP, 0, 0);
	ck_assert_int_eq(in(n, IPPROTO_ICMP, SERVER1, t, t4, t, 0, 100 * SEC, a6, &x),
	                 NAT64_NO_STATE);
	nat64_free(n);
}
END_TEST

/* ---- expiry ---- */

START_TEST(test_udp_expiry_frees_port)
{
	/* one port only: the second source must wait for the first to expire */
	struct nat64 *n = new_small(2000, 2000);
	uint32_t t4;
	uint16_t t;
	uint8_t a6[16];
	uint16_t x;

	ck_assert_int_eq(out(n, IPPROTO_UDP, 1, 3000, SERVER1, 53, 0, 0, &t4, &t), NAT64_OK);
	ck_assert_uint_eq(t, 2000);
	ck_assert_int_eq(out(n, IPPROTO_UDP, 2, 3000, SERVER1, 53, 0, 0, &t4, &t),
	                 NAT64_POOL4_EXHAUSTED);
	ck_assert_uint_eq(nat64_expire(n, T_UDP * SEC - 1), 0);
	ASSERT_COUNTS(n, PI_UDP, 1, 1);
	ck_assert_uint_eq(nat64_expire(n, T_UDP * SEC), 1);
	ASSERT_COUNTS(n, PI_UDP, 0, 0);
	ck_assert_int_eq(in(n, IPPROTO_UDP, SERVER1, 53, POOL_ADDR, 2000, 0, T_UDP * SEC, a6, &x),
	                 NAT64_NO_STATE);
	ck_assert(!nat64_bib_lookup4(n, IPPROTO_UDP, POOL_ADDR, 2000, a6, &x));
	client6(1, a6);
	ck_assert(!nat64_bib_lookup6(n, IPPROTO_UDP, a6, 3000, &t4, &t));
	/* the port is free again */
	ck_assert_int_eq(out(n, IPPROTO_UDP, 2, 3000, SERVER1, 53, 0, T_UDP * SEC, &t4, &t),
	                 NAT64_OK);
	ck_assert_uint_eq(t, 2000);
	assert_in_maps(n, IPPROTO_UDP, SERVER1, 53, POOL_ADDR, 2000, 0, T_UDP * SEC, 2, 3000);
	nat64_free(n);
}
END_TEST

START_TEST(test_udp_refresh_survives)
{
	struct nat64 *n = new_small(1024, 65535);
	uint32_t t4;
	uint16_t ta, tb, tc;

	ck_assert_int_eq(out(n, IPPROTO_UDP, 1, 3000, SERVER1, 53, 0, 0, &t4, &ta), NAT64_OK);
	ck_assert_int_eq(out(n, IPPROTO_UDP, 2, 3000, SERVER1, 53, 0, 0, &t4, &tb), NAT64_OK);
	ck_assert_int_eq(out(n, IPPROTO_UDP, 3, 3000, SERVER1, 53, 0, 0, &t4, &tc), NAT64_OK);
	/* a: refreshed outbound at 200 s; b: inbound at 250 s; c: never */
	ck_assert_int_eq(out(n, IPPROTO_UDP, 1, 3000, SERVER1, 53, 0, 200 * SEC, &t4, &ta),
	                 NAT64_OK);
	assert_in_maps(n, IPPROTO_UDP, SERVER1, 53, t4, tb, 0, 250 * SEC, 2, 3000);
	ck_assert_uint_eq(nat64_expire(n, T_UDP * SEC), 1); /* c */
	ASSERT_COUNTS(n, PI_UDP, 2, 2);
	assert_in_maps(n, IPPROTO_UDP, SERVER1, 53, t4, ta, 0, T_UDP * SEC, 1, 3000);
	/* a refreshed again at T_UDP s by that reply; b expires at 250 + T_UDP */
	ck_assert_uint_eq(nat64_expire(n, (250 + T_UDP) * SEC - 1), 0);
	ck_assert_uint_eq(nat64_expire(n, (250 + T_UDP) * SEC), 1);
	ck_assert_uint_eq(nat64_expire(n, 2 * T_UDP * SEC - 1), 0);
	ck_assert_uint_eq(nat64_expire(n, 2 * T_UDP * SEC), 1);
	ASSERT_COUNTS(n, PI_UDP, 0, 0);
	nat64_free(n);
}
END_TEST

START_TEST(test_bib_kept_while_one_session_lives)
{
	struct nat64 *n = new_small(1024, 65535);
	uint32_t t4;
	uint16_t t, t2;

	ck_assert_int_eq(out(n, IPPROTO_UDP, 1, 3000, SERVER1, 53, 0, 0, &t4, &t), NAT64_OK);
	ck_assert_int_eq(out(n, IPPROTO_UDP, 1, 3000, SERVER2, 53, 0, 100 * SEC, &t4, &t2),
	                 NAT64_OK);
	ck_assert_uint_eq(nat64_expire(n, T_UDP * SEC), 1);
	ASSERT_COUNTS(n, PI_UDP, 1, 1);
	/* the surviving session keeps the mapping: a new session reuses (T,t) */
	ck_assert_int_eq(out(n, IPPROTO_UDP, 1, 3000, SERVER3, 53, 0, T_UDP * SEC, &t4, &t2),
	                 NAT64_OK);
	ck_assert_uint_eq(t2, t);
	nat64_free(n);
}
END_TEST

/* ---- pool4 ---- */

START_TEST(test_pool_exhaustion)
{
	struct nat64 *n = new_small(2000, 2003);
	uint16_t t[4];
	uint32_t t4;
	uint16_t tt;
	unsigned seen = 0;

	for (uint32_t h = 0; h < 4; h++) {
		ck_assert_int_eq(out(n, IPPROTO_UDP, h + 1, 5000, SERVER1, 53, 0, 0, &t4, &t[h]),
		                 NAT64_OK);
		ck_assert_uint_eq(t4, POOL_ADDR);
		ck_assert(t[h] >= 2000 && t[h] <= 2003);
		ck_assert(!(seen & 1u << (t[h] - 2000))); /* no (T,t) twice */
		seen |= 1u << (t[h] - 2000);
	}
	ck_assert_int_eq(out(n, IPPROTO_UDP, 5, 5000, SERVER1, 53, 0, 0, &t4, &tt),
	                 NAT64_POOL4_EXHAUSTED);
	ASSERT_COUNTS(n, PI_UDP, 4, 4);
	/* other protocols have their own ports */
	ck_assert_int_eq(out(n, IPPROTO_TCP, 5, 5000, SERVER1, 80, NAT64_TCP_SYN, 0, &t4, &tt),
	                 NAT64_OK);
	for (uint32_t h = 0; h < 4; h++) {
		/* old flows: both directions, and new sessions of existing BIB entries */
		ck_assert_int_eq(out(n, IPPROTO_UDP, h + 1, 5000, SERVER1, 53, 0, 1, &t4, &tt),
		                 NAT64_OK);
		ck_assert_uint_eq(tt, t[h]);
		assert_in_maps(n, IPPROTO_UDP, SERVER1, 53, POOL_ADDR, t[h], 0, 1, h + 1, 5000);
		ck_assert_int_eq(out(n, IPPROTO_UDP, h + 1, 5000, SERVER2, 53, 0, 1, &t4, &tt),
		                 NAT64_OK);
		ck_assert_uint_eq(tt, t[h]);
	}
	ASSERT_COUNTS(n, PI_UDP, 4, 8);
	nat64_free(n);
}
END_TEST

START_TEST(test_well_known_split)
{
	uint32_t t4;
	uint16_t t;
	struct nat64 *n = new_small(2000, 2003);

	/* RFC 6146 §3.5.1.1: a source port below 1024 SHOULD map below 1024;
	 * this range has none, so it MAY (and does) get one from the rest */
	ck_assert_int_eq(out(n, IPPROTO_UDP, 1, 53, SERVER1, 53, 0, 0, &t4, &t), NAT64_OK);
	ck_assert(t >= 2000 && t <= 2003);
	ck_assert_int_eq(out(n, IPPROTO_UDP, 1, 1024, SERVER1, 53, 0, 0, &t4, &t), NAT64_OK);
	nat64_free(n);

	n = new_small(1000, 1030);
	for (uint16_t x = 100; x < 107; x++) { /* 7 ephemeral ports, 24 well-known */
		ck_assert_int_eq(out(n, IPPROTO_TCP, 1, x, SERVER1, 80, NAT64_TCP_SYN, 0, &t4, &t),
		                 NAT64_OK);
		ck_assert(t >= 1000 && t <= 1023);
		ck_assert_int_eq(out(n, IPPROTO_TCP, 1, (uint16_t)(x + 50000), SERVER1, 80,
		                     NAT64_TCP_SYN, 0, &t4, &t),
		                 NAT64_OK);
		ck_assert(t >= 1024 && t <= 1030);
	}
	/* The ephemeral part is full: the well-known part takes the overflow
	 * (17 left there), then the pool is exhausted. */
	for (uint16_t x = 0; x < 17; x++) {
		ck_assert_int_eq(out(n, IPPROTO_TCP, 2, (uint16_t)(60000 + x), SERVER1, 80,
		                     NAT64_TCP_SYN, 0, &t4, &t),
		                 NAT64_OK);
		ck_assert(t >= 1000 && t <= 1023);
	}
	ck_assert_int_eq(out(n, IPPROTO_TCP, 2, 61000, SERVER1, 80, NAT64_TCP_SYN, 0, &t4, &t),
	                 NAT64_POOL4_EXHAUSTED);
	ck_assert_int_eq(out(n, IPPROTO_TCP, 2, 22, SERVER1, 80, NAT64_TCP_SYN, 0, &t4, &t),
	                 NAT64_POOL4_EXHAUSTED);
	/* ICMP identifiers have no well-known part: all 31 identifiers */
	for (uint16_t id = 0; id < 31; id++) {
		ck_assert_int_eq(out(n, IPPROTO_ICMP, 3, id, SERVER1, id, 0, 0, &t4, &t), NAT64_OK);
		ck_assert(t >= 1000 && t <= 1030);
	}
	ck_assert_int_eq(out(n, IPPROTO_ICMP, 3, 31, SERVER1, 31, 0, 0, &t4, &t),
	                 NAT64_POOL4_EXHAUSTED);
	nat64_free(n);
}
END_TEST

START_TEST(test_ports_random)
{
	struct nat64 *n = new_small(1024, 65535);
	uint16_t t[200];
	uint32_t t4;
	int adjacent = 0, increasing = 0;

	for (int i = 0; i < 200; i++) {
		ck_assert_int_eq(
		    out(n, IPPROTO_UDP, 1, (uint16_t)(10000 + i), SERVER1, 53, 0, 0, &t4, &t[i]),
		    NAT64_OK);
		ck_assert_uint_ge(t[i], 1024);
		for (int j = 0; j < i; j++)
			ck_assert_uint_ne(t[i], t[j]);
		if (i > 0 && abs((int)t[i] - (int)t[i - 1]) <= 1)
			adjacent++;
		if (i > 0 && t[i] > t[i - 1])
			increasing++;
	}
	/* RFC 6056: not predictable from the previous port. Sequential would
	 * give 199 and 199; random about 0 and 100. */
	ck_assert_int_le(adjacent, 3);
	ck_assert_int_gt(increasing, 60);
	ck_assert_int_lt(increasing, 140);
	nat64_free(n);
}
END_TEST

START_TEST(test_ports_depend_on_seed)
{
	struct nat64_config c = base_cfg(POOL_ADDR, 32, 1024, 65535);
	uint16_t first[2];
	uint32_t t4;

	for (int k = 0; k < 2; k++) {
		struct nat64 *n;

		c.seed = 1000 + (uint64_t)k;
		n = nat64_new(&c);
		ck_assert_ptr_nonnull(n);
		ck_assert_int_eq(out(n, IPPROTO_UDP, 1, 10000, SERVER1, 53, 0, 0, &t4, &first[k]),
		                 NAT64_OK);
		nat64_free(n);
	}
	ck_assert_uint_ne(first[0], first[1]);
}
END_TEST

START_TEST(test_paired_address)
{
	/* 198.51.100.0/30, 4 addresses: a host keeps one address (RFC 4787
	 * REQ-2 "paired"), different hosts spread over the pool */
	struct nat64_config c = base_cfg(v4(198, 51, 100, 0), 30, 1024, 65535);
	struct nat64 *n = nat64_new(&c);
	unsigned used = 0;
	uint32_t t4, first;
	uint16_t t;

	ck_assert_ptr_nonnull(n);
	for (uint32_t h = 1; h <= 64; h++) {
		for (uint16_t x = 0; x < 4; x++) {
			ck_assert_int_eq(out(n, IPPROTO_UDP, h, (uint16_t)(2000 + x), SERVER1, 53,
			                     0, 0, &t4, &t),
			                 NAT64_OK);
			ck_assert_uint_eq(t4 & ~3u, v4(198, 51, 100, 0));
			if (x == 0)
				first = t4;
			ck_assert_uint_eq(t4, first);
		}
		used |= 1u << (t4 & 3);
	}
	ck_assert_uint_eq(used, 0xf);
	nat64_free(n);
}
END_TEST

START_TEST(test_pool_spill_to_next_address)
{
	/* two addresses, two ports each: all 4 (T,t) are handed out */
	struct nat64_config c = base_cfg(v4(198, 51, 100, 0), 31, 3000, 3001);
	struct nat64 *n = nat64_new(&c);
	unsigned seen = 0;
	uint32_t t4;
	uint16_t t;

	ck_assert_ptr_nonnull(n);
	for (uint16_t x = 0; x < 4; x++) {
		ck_assert_int_eq(
		    out(n, IPPROTO_UDP, 9, (uint16_t)(2000 + x), SERVER1, 53, 0, 0, &t4, &t),
		    NAT64_OK);
		seen |= 1u << ((t4 & 1) * 2 + (t - 3000));
	}
	ck_assert_uint_eq(seen, 0xf);
	ck_assert_int_eq(out(n, IPPROTO_UDP, 9, 2004, SERVER1, 53, 0, 0, &t4, &t),
	                 NAT64_POOL4_EXHAUSTED);
	nat64_free(n);
}
END_TEST

START_TEST(test_bad_config)
{
	struct pool4_range bad[2] = {
	    {.addr = v4(198, 51, 100, 0), .len = 24, .port_lo = 1000, .port_hi = 2000},
	    {.addr = v4(198, 51, 100, 7), .len = 32, .port_lo = 2000, .port_hi = 3000},
	};
	struct nat64_config c = base_cfg(v4(198, 51, 100, 1), 24, 1, 2); /* host bits */

	ck_assert_ptr_null(nat64_new(&c));
	c = base_cfg(POOL_ADDR, 32, 3000, 2000); /* lo > hi */
	ck_assert_ptr_null(nat64_new(&c));
	c = base_cfg(POOL_ADDR, 32, 1, 2);
	c.pool4 = bad; /* port 2000 of .7 in both lines */
	c.n_pool4 = 2;
	ck_assert_ptr_null(nat64_new(&c));
	bad[1].port_lo = 2001;
	ck_assert_ptr_nonnull(c.pool4);
	{
		struct nat64 *n = nat64_new(&c);

		ck_assert_ptr_nonnull(n);
		nat64_free(n);
	}
}
END_TEST

/* ---- max_sessions ---- */

START_TEST(test_max_sessions)
{
	struct nat64_config c = base_cfg(POOL_ADDR, 32, 1024, 65535);
	struct nat64 *n;
	uint32_t t4;
	uint16_t t[3], tt;
	uint8_t a6[16];
	uint16_t x;

	c.max_sessions = 3;
	n = nat64_new(&c);
	ck_assert_ptr_nonnull(n);
	for (uint32_t h = 0; h < 3; h++) {
		ck_assert_int_eq(out(n, IPPROTO_UDP, h + 1, 5000, SERVER1, 53, 0, 0, &t4, &t[h]),
		                 NAT64_OK);
		/* answered: confirmed, so early drop cannot take it */
		assert_in_maps(n, IPPROTO_UDP, SERVER1, 53, POOL_ADDR, t[h], 0, 0, h + 1, 5000);
	}
	/* new source, new session of an existing source, new inbound session */
	ck_assert_int_eq(out(n, IPPROTO_UDP, 4, 5000, SERVER1, 53, 0, 0, &t4, &tt),
	                 NAT64_SESSION_LIMIT);
	ck_assert_int_eq(out(n, IPPROTO_UDP, 1, 5000, SERVER2, 53, 0, 0, &t4, &tt),
	                 NAT64_SESSION_LIMIT);
	ck_assert_int_eq(in(n, IPPROTO_UDP, SERVER3, 99, POOL_ADDR, t[0], 0, 0, a6, &x),
	                 NAT64_SESSION_LIMIT);
	ck_assert_int_eq(out(n, IPPROTO_ICMP, 4, 1, SERVER1, 1, 0, 0, &t4, &tt),
	                 NAT64_SESSION_LIMIT);
	ASSERT_COUNTS(n, PI_UDP, 3, 3);
	ASSERT_COUNTS(n, PI_ICMP, 0, 0);
	/* existing flows keep working */
	for (uint32_t h = 0; h < 3; h++) {
		ck_assert_int_eq(out(n, IPPROTO_UDP, h + 1, 5000, SERVER1, 53, 0, 1, &t4, &tt),
		                 NAT64_OK);
		assert_in_maps(n, IPPROTO_UDP, SERVER1, 53, POOL_ADDR, t[h], 0, 1, h + 1, 5000);
	}
	/* a reload raises the cap */
	c.max_sessions = 4;
	ck_assert_int_eq(nat64_reconfigure(n, &c), 0);
	ck_assert_int_eq(out(n, IPPROTO_UDP, 4, 5000, SERVER1, 53, 0, 2, &t4, &tt), NAT64_OK);
	assert_in_maps(n, IPPROTO_UDP, SERVER1, 53, POOL_ADDR, tt, 0, 2, 4, 5000);
	ck_assert_int_eq(out(n, IPPROTO_UDP, 5, 5000, SERVER1, 53, 0, 2, &t4, &tt),
	                 NAT64_SESSION_LIMIT);
	/* expiry makes room */
	ck_assert_uint_eq(nat64_expire(n, 1 + T_UDP * SEC), 3);
	ck_assert_int_eq(out(n, IPPROTO_UDP, 5, 5000, SERVER1, 53, 0, 1 + T_UDP * SEC, &t4, &tt),
	                 NAT64_OK);
	nat64_free(n);
}
END_TEST

/* ---- TCP, RFC 6146 §3.5.2.2 ---- */

/* Open X'#x -> SERVER1:80 with a V6 SYN at t0 and a V4 SYN+ACK at t1. */
static uint16_t tcp_open(struct nat64 *n, uint32_t host, uint16_t x, uint64_t t0, uint64_t t1)
{
	uint32_t t4;
	uint16_t t;

	ck_assert_int_eq(out(n, IPPROTO_TCP, host, x, SERVER1, 80, NAT64_TCP_SYN, t0, &t4, &t),
	                 NAT64_OK);
	assert_tcp(n, x, SERVER1, 80, NAT64_TCP_V6_INIT, t0 + T_TRANS * SEC);
	assert_in_maps(n, IPPROTO_TCP, SERVER1, 80, t4, t, NAT64_TCP_SYN | NAT64_TCP_ACK, t1, host,
	               x);
	assert_tcp(n, x, SERVER1, 80, NAT64_TCP_ESTABLISHED, t1 + T_EST * SEC);
	return t;
}

static void tcp6(struct nat64 *n, uint32_t host, uint16_t x, uint8_t flags, uint64_t now)
{
	uint32_t t4;
	uint16_t t;

	ck_assert_int_eq(out(n, IPPROTO_TCP, host, x, SERVER1, 80, flags, now, &t4, &t), NAT64_OK);
}

static void tcp4(struct nat64 *n, uint16_t t, uint32_t host, uint16_t x, uint8_t flags,
                 uint64_t now)
{
	assert_in_maps(n, IPPROTO_TCP, SERVER1, 80, POOL_ADDR, t, flags, now, host, x);
}

START_TEST(test_tcp_v6_close_first)
{
	struct nat64 *n = new_small(1024, 65535);
	uint16_t t = tcp_open(n, 1, 4000, 0, 1 * SEC);

	tcp6(n, 1, 4000, NAT64_TCP_ACK, 2 * SEC);
	assert_tcp(n, 4000, SERVER1, 80, NAT64_TCP_ESTABLISHED, 2 * SEC + T_EST * SEC);
	tcp6(n, 1, 4000, NAT64_TCP_FIN | NAT64_TCP_ACK, 3 * SEC);
	assert_tcp(n, 4000, SERVER1, 80, NAT64_TCP_V6_FIN_RCV, 3 * SEC + T_EST * SEC);
	tcp4(n, t, 1, 4000, NAT64_TCP_ACK, 4 * SEC);
	assert_tcp(n, 4000, SERVER1, 80, NAT64_TCP_V6_FIN_RCV, 4 * SEC + T_EST * SEC);
	/* another V6 FIN does not close the other half */
	tcp6(n, 1, 4000, NAT64_TCP_FIN | NAT64_TCP_ACK, 4500);
	assert_tcp(n, 4000, SERVER1, 80, NAT64_TCP_V6_FIN_RCV, 4500 + T_EST * SEC);
	tcp4(n, t, 1, 4000, NAT64_TCP_FIN | NAT64_TCP_ACK, 5 * SEC);
	assert_tcp(n, 4000, SERVER1, 80, NAT64_TCP_V6_FIN_V4_FIN, 5 * SEC + T_TRANS * SEC);
	/* V6 FIN + V4 FIN: translated, lifetime not updated */
	tcp6(n, 1, 4000, NAT64_TCP_ACK, 6 * SEC);
	assert_tcp(n, 4000, SERVER1, 80, NAT64_TCP_V6_FIN_V4_FIN, 5 * SEC + T_TRANS * SEC);
	ck_assert_uint_eq(nat64_expire(n, 5 * SEC + T_TRANS * SEC - 1), 0);
	ck_assert_uint_eq(nat64_expire(n, 5 * SEC + T_TRANS * SEC), 1);
	ASSERT_COUNTS(n, PI_TCP, 0, 0);
	nat64_free(n);
}
END_TEST

START_TEST(test_tcp_v4_close_first)
{
	struct nat64 *n = new_small(1024, 65535);
	uint16_t t = tcp_open(n, 1, 4000, 0, 0);

	tcp4(n, t, 1, 4000, NAT64_TCP_FIN | NAT64_TCP_ACK, 1 * SEC);
	assert_tcp(n, 4000, SERVER1, 80, NAT64_TCP_V4_FIN_RCV, 1 * SEC + T_EST * SEC);
	tcp6(n, 1, 4000, NAT64_TCP_ACK, 2 * SEC);
	assert_tcp(n, 4000, SERVER1, 80, NAT64_TCP_V4_FIN_RCV, 2 * SEC + T_EST * SEC);
	tcp6(n, 1, 4000, NAT64_TCP_FIN | NAT64_TCP_ACK, 3 * SEC);
	assert_tcp(n, 4000, SERVER1, 80, NAT64_TCP_V6_FIN_V4_FIN, 3 * SEC + T_TRANS * SEC);
	nat64_free(n);
}
END_TEST

static int first_confirmed(const struct nat64_session_info *in, void *arg)
{
	*(int *)arg = in->confirmed;
	return 1;
}

/* One fast-path report of last-seen time only (no counts). */
static bool touch_at(struct nat64 *n, uint8_t proto, uint16_t t, uint16_t z, uint64_t ms)
{
	struct nat64_seen seen = {.last_seen_ms = ms};

	return nat64_session_touch(n, proto, POOL_ADDR, t, SERVER1, z, &seen);
}

/* The fast path's last-seen times (nat64_session_touch): forward only,
 * ESTABLISHED (and UDP/ICMP) only, and only sessions that exist. */
START_TEST(test_session_touch)
{
	struct nat64 *n = new_small(1024, 65535);
	uint16_t t = tcp_open(n, 1, 4000, 0, 1 * SEC);
	int confirmed = -1;

	nat64_foreach_session(n, first_confirmed, &confirmed);
	ck_assert_int_eq(confirmed, 1);
	ck_assert(touch_at(n, IPPROTO_TCP, t, 80, 100 * SEC));
	assert_tcp(n, 4000, SERVER1, 80, NAT64_TCP_ESTABLISHED, 100 * SEC + T_EST * SEC);
	/* an older time does not take the timer back */
	ck_assert(touch_at(n, IPPROTO_TCP, t, 80, 50 * SEC));
	assert_tcp(n, 4000, SERVER1, 80, NAT64_TCP_ESTABLISHED, 100 * SEC + T_EST * SEC);
	ck_assert(!touch_at(n, IPPROTO_TCP, t, 81, 100 * SEC));
	ck_assert(!touch_at(n, IPPROTO_UDP, t, 80, 100 * SEC));
	/* reset: the short timer stays */
	tcp4(n, t, 1, 4000, NAT64_TCP_RST, 110 * SEC);
	ck_assert(touch_at(n, IPPROTO_TCP, t, 80, 120 * SEC));
	assert_tcp(n, 4000, SERVER1, 80, NAT64_TCP_TRANS, 110 * SEC + T_TRANS * SEC);
	nat64_free(n);
}
END_TEST

/* Per-session counts: every packet through nat64_out / nat64_in counts
 * its IP bytes in its direction, the first (the one that made the
 * session) included; the fast path's reports add to them. */
START_TEST(test_session_counts)
{
	struct nat64 *n = new_small(1024, 65535);
	struct nat64_flow6 f6 = flow6(IPPROTO_UDP, 1, 5000, SERVER1, 53);
	struct nat64_flow4 f4;
	struct nat64_session_info s;
	struct nat64_seen seen = {.last_seen_ms = 3 * SEC, .dir = NAT64_DIR_4TO6};
	uint32_t t4;
	uint16_t t;
	uint8_t x6[16];
	uint16_t x;

	for (uint32_t i = 0; i < 3; i++) {
		f6.len = 100 + i;
		ck_assert_int_eq(nat64_out(n, &f6, 0, 1 * SEC, &t4, &t), NAT64_OK);
	}
	f4 = flow4(IPPROTO_UDP, SERVER1, 53, t4, t);
	f4.len = 1000;
	ck_assert_int_eq(nat64_in(n, &f4, 0, 2 * SEC, x6, &x), NAT64_OK);
	s = find_session(n, IPPROTO_UDP, 5000, SERVER1, 53);
	ck_assert_uint_eq(s.packets[NAT64_DIR_6TO4], 3);
	ck_assert_uint_eq(s.bytes[NAT64_DIR_6TO4], 303);
	ck_assert_uint_eq(s.packets[NAT64_DIR_4TO6], 1);
	ck_assert_uint_eq(s.bytes[NAT64_DIR_4TO6], 1000);
	/* the fast path's deltas */
	seen.packets = 10;
	seen.bytes = 14000;
	ck_assert(nat64_session_touch(n, IPPROTO_UDP, POOL_ADDR, t, SERVER1, 53, &seen));
	s = find_session(n, IPPROTO_UDP, 5000, SERVER1, 53);
	ck_assert_uint_eq(s.packets[NAT64_DIR_4TO6], 11);
	ck_assert_uint_eq(s.bytes[NAT64_DIR_4TO6], 15000);
	ck_assert_uint_eq(s.packets[NAT64_DIR_6TO4], 3);
	nat64_free(n);
}
END_TEST

START_TEST(test_tcp_rst_trans)
{
	struct nat64 *n = new_small(1024, 65535);
	uint16_t t = tcp_open(n, 1, 4000, 0, 0);

	tcp4(n, t, 1, 4000, NAT64_TCP_RST, 10 * SEC);
	assert_tcp(n, 4000, SERVER1, 80, NAT64_TCP_TRANS, 10 * SEC + T_TRANS * SEC);
	/* another RST: forwarded, nothing changes */
	tcp6(n, 1, 4000, NAT64_TCP_RST, 11 * SEC);
	assert_tcp(n, 4000, SERVER1, 80, NAT64_TCP_TRANS, 10 * SEC + T_TRANS * SEC);
	/* a packet other than RST: back to ESTABLISHED */
	tcp6(n, 1, 4000, NAT64_TCP_ACK, 20 * SEC);
	assert_tcp(n, 4000, SERVER1, 80, NAT64_TCP_ESTABLISHED, 20 * SEC + T_EST * SEC);
	tcp6(n, 1, 4000, NAT64_TCP_RST | NAT64_TCP_ACK, 30 * SEC);
	assert_tcp(n, 4000, SERVER1, 80, NAT64_TCP_TRANS, 30 * SEC + T_TRANS * SEC);
	ck_assert_uint_eq(nat64_expire(n, 30 * SEC + T_TRANS * SEC - 1), 0);
	ck_assert_uint_eq(nat64_expire(n, 30 * SEC + T_TRANS * SEC), 1);
	tcp_open(n, 1, 4000, 31 * SEC + T_TRANS * SEC, 32 * SEC + T_TRANS * SEC);
	nat64_free(n);
}
END_TEST

START_TEST(test_tcp_established_expiry)
{
	struct nat64 *n = new_small(1024, 65535);

	tcp_open(n, 1, 4000, 0, 1 * SEC);
	ck_assert_uint_eq(nat64_expire(n, T_TRANS * SEC + 1), 0); /* not the SYN timer */
	ck_assert_uint_eq(nat64_expire(n, 1 * SEC + T_EST * SEC - 1), 0);
	ck_assert_uint_eq(nat64_expire(n, 1 * SEC + T_EST * SEC), 1);
	ASSERT_COUNTS(n, PI_TCP, 0, 0);
	nat64_free(n);
}
END_TEST

START_TEST(test_tcp_v6_syn_unanswered)
{
	struct nat64 *n = new_small(1024, 65535);
	uint32_t t4;
	uint16_t t;

	ck_assert_int_eq(out(n, IPPROTO_TCP, 1, 4000, SERVER1, 80, NAT64_TCP_SYN, 0, &t4, &t),
	                 NAT64_OK);
	/* retransmitted SYN restarts the transitory timer */
	ck_assert_int_eq(out(n, IPPROTO_TCP, 1, 4000, SERVER1, 80, NAT64_TCP_SYN, 3 * SEC, &t4, &t),
	                 NAT64_OK);
	assert_tcp(n, 4000, SERVER1, 80, NAT64_TCP_V6_INIT, 3 * SEC + T_TRANS * SEC);
	/* a V4 non-SYN does not establish */
	tcp4(n, t, 1, 4000, NAT64_TCP_ACK, 4 * SEC);
	assert_tcp(n, 4000, SERVER1, 80, NAT64_TCP_V6_INIT, 3 * SEC + T_TRANS * SEC);
	ck_assert_uint_eq(nat64_expire(n, 3 * SEC + T_TRANS * SEC - 1), 0);
	ck_assert_uint_eq(nat64_expire(n, 3 * SEC + T_TRANS * SEC), 1);
	ASSERT_COUNTS(n, PI_TCP, 0, 0);
	nat64_free(n);
}
END_TEST

START_TEST(test_tcp_needs_syn)
{
	struct nat64 *n = new_small(1024, 65535);
	uint32_t t4;
	uint16_t t;
	uint8_t a6[16];
	uint16_t x;

	/* 6->4 non-SYN without state: nothing created */
	ck_assert_int_eq(out(n, IPPROTO_TCP, 1, 4000, SERVER1, 80, NAT64_TCP_ACK, 0, &t4, &t),
	                 NAT64_NO_STATE);
	ASSERT_COUNTS(n, PI_TCP, 0, 0);
	t = tcp_open(n, 1, 4000, 0, 0);
	/* existing BIB, new remote: non-SYN from either side has no state */
	ck_assert_int_eq(out(n, IPPROTO_TCP, 1, 4000, SERVER2, 80, NAT64_TCP_ACK, 0, &t4, &t),
	                 NAT64_NO_STATE);
	ck_assert_int_eq(in(n, IPPROTO_TCP, SERVER2, 80, POOL_ADDR, t, NAT64_TCP_ACK, 0, a6, &x),
	                 NAT64_NO_STATE);
	ASSERT_COUNTS(n, PI_TCP, 1, 1);
	nat64_free(n);
}
END_TEST

START_TEST(test_tcp_v4_syn_simultaneous_open)
{
	struct nat64 *n = new_small(1024, 65535);
	uint16_t t = tcp_open(n, 1, 4000, 0, 0);
	uint32_t t4;
	uint16_t tt;

	/* §3.5.2.2: V4 SYN with a BIB entry and no session -> V4_INIT */
	assert_in_maps(n, IPPROTO_TCP, SERVER2, 5555, POOL_ADDR, t, NAT64_TCP_SYN, 1 * SEC, 1,
	               4000);
	assert_tcp(n, 4000, SERVER2, 5555, NAT64_TCP_V4_INIT, 1 * SEC + T_TRANS * SEC);
	ASSERT_COUNTS(n, PI_TCP, 1, 2);
	/* V6 non-SYN: forwarded, no change; V6 SYN: established */
	ck_assert_int_eq(
	    out(n, IPPROTO_TCP, 1, 4000, SERVER2, 5555, NAT64_TCP_ACK, 2 * SEC, &t4, &tt),
	    NAT64_OK);
	assert_tcp(n, 4000, SERVER2, 5555, NAT64_TCP_V4_INIT, 1 * SEC + T_TRANS * SEC);
	ck_assert_int_eq(
	    out(n, IPPROTO_TCP, 1, 4000, SERVER2, 5555, NAT64_TCP_SYN, 3 * SEC, &t4, &tt),
	    NAT64_OK);
	ck_assert_uint_eq(tt, t);
	assert_tcp(n, 4000, SERVER2, 5555, NAT64_TCP_ESTABLISHED, 3 * SEC + T_EST * SEC);
	nat64_free(n);
}
END_TEST

/* ---- filtering, RFC 6146 §3.5 ---- */

START_TEST(test_filtering_endpoint_independent)
{
	struct nat64 *n = new_small(1024, 65535);
	uint32_t t4;
	uint16_t t;

	ck_assert_int_eq(out(n, IPPROTO_UDP, 1, 5000, SERVER1, 53, 0, 0, &t4, &t), NAT64_OK);
	assert_in_maps(n, IPPROTO_UDP, SERVER2, 7777, t4, t, 0, 0, 1, 5000);
	ASSERT_COUNTS(n, PI_UDP, 1, 2);
	nat64_free(n);
}
END_TEST

START_TEST(test_filtering_address_dependent)
{
	struct nat64_config c = base_cfg(POOL_ADDR, 32, 1024, 65535);
	struct nat64 *n;
	uint32_t t4;
	uint16_t t, tt;
	uint8_t a6[16];
	uint16_t x;

	c.address_dependent_filtering = true;
	n = nat64_new(&c);
	ck_assert_ptr_nonnull(n);
	ck_assert_int_eq(out(n, IPPROTO_UDP, 1, 5000, SERVER1, 53, 0, 0, &t4, &t), NAT64_OK);
	/* same Z, other port: allowed; other Z: filtered */
	assert_in_maps(n, IPPROTO_UDP, SERVER1, 5353, t4, t, 0, 0, 1, 5000);
	ck_assert_int_eq(in(n, IPPROTO_UDP, SERVER2, 53, t4, t, 0, 0, a6, &x), NAT64_FILTERED);
	ASSERT_COUNTS(n, PI_UDP, 1, 2);
	/* TCP V4 SYN: the same rule */
	tt = tcp_open(n, 1, 4000, 0, 0);
	ck_assert_int_eq(in(n, IPPROTO_TCP, SERVER2, 80, t4, tt, NAT64_TCP_SYN, 0, a6, &x),
	                 NAT64_FILTERED);
	assert_in_maps(n, IPPROTO_TCP, SERVER1, 81, t4, tt, NAT64_TCP_SYN, 0, 1, 4000);
	/* once X' talks to SERVER2, SERVER2 gets in */
	ck_assert_int_eq(out(n, IPPROTO_UDP, 1, 5000, SERVER2, 1, 0, 0, &t4, &t), NAT64_OK);
	assert_in_maps(n, IPPROTO_UDP, SERVER2, 53, t4, t, 0, 0, 1, 5000);
	/* and a reload can turn filtering off */
	c.address_dependent_filtering = false;
	ck_assert_int_eq(nat64_reconfigure(n, &c), 0);
	assert_in_maps(n, IPPROTO_UDP, SERVER3, 53, t4, t, 0, 0, 1, 5000);
	nat64_free(n);
}
END_TEST

/* ---- static BIB ---- */

static struct nat64_static_bib dns_static(void)
{
	struct nat64_static_bib s = {
	    .proto = IPPROTO_UDP, .addr4 = POOL_ADDR, .port4 = 53, .port6 = 53};

	client6(0x53, s.addr6);
	return s;
}

START_TEST(test_static_bib)
{
	struct nat64_static_bib sb = dns_static();
	struct nat64_config c = base_cfg(POOL_ADDR, 32, 50, 60);
	struct nat64 *n;
	uint32_t t4;
	uint16_t t;

	c.bib = &sb;
	c.n_bib = 1;
	n = nat64_new(&c);
	ck_assert_ptr_nonnull(n);
	ASSERT_COUNTS(n, PI_UDP, 1, 0);
	/* reachable from IPv4 without any prior IPv6 packet */
	assert_in_maps(n, IPPROTO_UDP, SERVER1, 40000, POOL_ADDR, 53, 0, 0, 0x53, 53);
	ck_assert_uint_eq(nat64_expire(n, 10 * T_UDP * SEC), 1);
	ASSERT_COUNTS(n, PI_UDP, 1, 0); /* never expires */
	assert_in_maps(n, IPPROTO_UDP, SERVER2, 40000, POOL_ADDR, 53, 0, 10 * T_UDP * SEC, 0x53,
	               53);
	/* the static (T,t) is never handed out: 10 of 11 ports are left */
	for (uint16_t x = 0; x < 10; x++) {
		ck_assert_int_eq(
		    out(n, IPPROTO_UDP, 7, (uint16_t)(100 + x), SERVER1, 53, 0, 0, &t4, &t),
		    NAT64_OK);
		ck_assert(t >= 50 && t <= 60 && t != 53);
	}
	ck_assert_int_eq(out(n, IPPROTO_UDP, 7, 110, SERVER1, 53, 0, 0, &t4, &t),
	                 NAT64_POOL4_EXHAUSTED);
	/* the server's own outbound traffic uses its static binding */
	ck_assert_int_eq(out(n, IPPROTO_UDP, 0x53, 53, SERVER3, 53, 0, 0, &t4, &t), NAT64_OK);
	ck_assert_uint_eq(t4, POOL_ADDR);
	ck_assert_uint_eq(t, 53);
	nat64_free(n);
}
END_TEST

struct bib_seen {
	unsigned n, n_static;
	uint32_t sessions;
	uint16_t port4_of_7; /* the dynamic entry's t */
};

static int count_bib(const struct nat64_bib_info *b, void *arg)
{
	struct bib_seen *seen = arg;

	seen->n++;
	seen->sessions += b->n_sessions;
	if (b->is_static) {
		seen->n_static++;
		ck_assert_uint_eq(b->port4, 53);
		ck_assert_uint_eq(b->port6, 53);
	} else {
		seen->port4_of_7 = b->port4;
		ck_assert_uint_eq(b->port6, 100);
	}
	ck_assert_uint_eq(b->proto, IPPROTO_UDP);
	ck_assert_uint_eq(b->addr4, POOL_ADDR);
	return 0;
}

/* tun64ctl bib: every entry once, static ones marked, session counts. */
START_TEST(test_foreach_bib)
{
	struct nat64_static_bib sb = dns_static();
	struct nat64_config c = base_cfg(POOL_ADDR, 32, 50, 60);
	struct bib_seen seen = {0};
	struct nat64 *n;
	uint32_t t4;
	uint16_t t;

	c.bib = &sb;
	c.n_bib = 1;
	n = nat64_new(&c);
	ck_assert_ptr_nonnull(n);
	ck_assert_int_eq(out(n, IPPROTO_UDP, 7, 100, SERVER1, 53, 0, 0, &t4, &t), NAT64_OK);
	ck_assert_int_eq(out(n, IPPROTO_UDP, 7, 100, SERVER2, 53, 0, 0, &t4, &t), NAT64_OK);
	nat64_foreach_bib(n, count_bib, &seen);
	ck_assert_uint_eq(seen.n, 2);
	ck_assert_uint_eq(seen.n_static, 1);
	ck_assert_uint_eq(seen.sessions, 2);
	ck_assert_uint_eq(seen.port4_of_7, t);
	nat64_free(n);
}
END_TEST

START_TEST(test_static_bib_outside_pool_and_conflict)
{
	struct nat64_static_bib sb[2] = {dns_static(), dns_static()};
	struct nat64_config c = base_cfg(POOL_ADDR, 32, 1024, 2000);
	struct nat64 *n;

	sb[0].addr4 = v4(192, 0, 2, 1); /* not in pool4: allowed */
	c.bib = sb;
	c.n_bib = 1;
	n = nat64_new(&c);
	ck_assert_ptr_nonnull(n);
	assert_in_maps(n, IPPROTO_UDP, SERVER1, 1, v4(192, 0, 2, 1), 53, 0, 0, 0x53, 53);
	nat64_free(n);
	/* one (X',x) bound to two (T,t): refused */
	sb[1].port4 = 54;
	c.n_bib = 2;
	ck_assert_ptr_null(nat64_new(&c));
}
END_TEST

/* ---- reconfigure ---- */

/* n flows from hosts first.. at now, all OK; returns how many got addr4 */
static unsigned open_udp(struct nat64 *n, uint32_t first, unsigned count, uint64_t now,
                         uint32_t addr4)
{
	unsigned hits = 0;
	uint32_t t4;
	uint16_t t;

	for (uint32_t h = first; h < first + count; h++) {
		ck_assert_int_eq(out(n, IPPROTO_UDP, h, 5000, SERVER1, 53, 0, now, &t4, &t),
		                 NAT64_OK);
		hits += t4 == addr4;
	}
	return hits;
}

#define POOL_ADDR2 v4(198, 51, 100, 2)

START_TEST(test_reconfigure)
{
	struct nat64_config c = base_cfg(POOL_ADDR, 32, 2000, 2299);
	struct pool4_range two[2] = {
	    {.addr = POOL_ADDR, .len = 32, .port_lo = 2000, .port_hi = 2299},
	    {.addr = POOL_ADDR2, .len = 32, .port_lo = 3000, .port_hi = 3299},
	};
	struct nat64_static_bib sb = dns_static();
	struct nat64 *n = nat64_new(&c);
	uint32_t t4;
	uint16_t t, t1;
	uint8_t a6[16];
	uint16_t x;

	ck_assert_ptr_nonnull(n);
	ck_assert_int_eq(out(n, IPPROTO_UDP, 1, 5000, SERVER1, 53, 0, 0, &t4, &t1), NAT64_OK);
	ck_assert_uint_eq(open_udp(n, 2, 299, 0, POOL_ADDR), 299);
	ck_assert_int_eq(out(n, IPPROTO_UDP, 301, 5000, SERVER1, 53, 0, 0, &t4, &t),
	                 NAT64_POOL4_EXHAUSTED);
	/* pool4 addition and a shorter UDP timeout */
	c.pool4 = two;
	c.n_pool4 = 2;
	c.timeout_udp = 10;
	ck_assert_int_eq(nat64_reconfigure(n, &c), 0);
	ck_assert_uint_eq(open_udp(n, 301, 300, 1 * SEC, POOL_ADDR2), 300);
	/* the new flows (11 s) expire before the old ones (300 s), although
	 * older flows with a longer timeout sit before them in the lists */
	ck_assert_uint_eq(nat64_expire(n, 11 * SEC), 300);
	ASSERT_COUNTS(n, PI_UDP, 300, 300);
	assert_in_maps(n, IPPROTO_UDP, SERVER1, 53, POOL_ADDR, t1, 0, 12 * SEC, 1, 5000);
	/* static entry added by reload, then removed by the next */
	c.bib = &sb;
	c.n_bib = 1;
	ck_assert_int_eq(nat64_reconfigure(n, &c), 0);
	ck_assert(nat64_bib_lookup4(n, IPPROTO_UDP, POOL_ADDR, 53, a6, &x));
	ck_assert_int_eq(nat64_reconfigure(n, &c), 0); /* same again: no conflict */
	c.n_bib = 0;
	ck_assert_int_eq(nat64_reconfigure(n, &c), 0);
	ck_assert(!nat64_bib_lookup4(n, IPPROTO_UDP, POOL_ADDR, 53, a6, &x));
	/* removing a pool4 line keeps its flows but allocates no more from it */
	c.n_pool4 = 1;
	c.pool4 = &two[1];
	ck_assert_int_eq(nat64_reconfigure(n, &c), 0);
	assert_in_maps(n, IPPROTO_UDP, SERVER1, 53, POOL_ADDR, t1, 0, 13 * SEC, 1, 5000);
	ck_assert_uint_eq(nat64_expire(n, 23 * SEC), 1); /* a port of line 1 is free now */
	ck_assert_uint_eq(open_udp(n, 601, 300, 23 * SEC, POOL_ADDR2), 300);
	ck_assert_int_eq(out(n, IPPROTO_UDP, 901, 5000, SERVER1, 53, 0, 23 * SEC, &t4, &t),
	                 NAT64_POOL4_EXHAUSTED);
	/* and putting it back makes that port available again */
	c.n_pool4 = 2;
	c.pool4 = two;
	ck_assert_int_eq(nat64_reconfigure(n, &c), 0);
	ck_assert_int_eq(out(n, IPPROTO_UDP, 901, 5000, SERVER1, 53, 0, 23 * SEC, &t4, &t),
	                 NAT64_OK);
	ck_assert_uint_eq(t4, POOL_ADDR);
	ck_assert_uint_eq(t, t1);
	nat64_free(n);
}
END_TEST

/* ---- threads ---- */

#define MT_THREADS 4
#define MT_FLOWS 20000

struct mt_arg {
	struct nat64 *n;
	int id;
	bool shared;           /* all threads use the same sources */
	uint64_t tt[MT_FLOWS]; /* (T << 16 | t) per flow */
	int errors;
};

static void *mt_worker(void *p)
{
	struct mt_arg *a = p;
	int base = a->shared ? 0 : a->id * MT_FLOWS;

	for (int i = 0; i < MT_FLOWS; i++) {
		int k = a->shared ? (i * 7 + a->id * 1231) % MT_FLOWS : i;
		uint32_t host = (uint32_t)(base + k) / 16 + 1;
		uint16_t x = (uint16_t)(20000 + (base + k) % 16);
		uint32_t t4;
		uint16_t t;

		if (out(a->n, IPPROTO_UDP, host, x, SERVER1, 53, 0, 0, &t4, &t) != NAT64_OK) {
			a->errors++;
			continue;
		}
		a->tt[k] = (uint64_t)t4 << 16 | t;
	}
	for (int k = 0; k < MT_FLOWS; k++) {
		uint32_t host = (uint32_t)(base + k) / 16 + 1;
		uint16_t x = (uint16_t)(20000 + (base + k) % 16);
		uint8_t got6[16], want6[16];
		uint16_t gx;
		struct nat64_flow4 f =
		    flow4(IPPROTO_UDP, SERVER2, 53, (uint32_t)(a->tt[k] >> 16), (uint16_t)a->tt[k]);

		client6(host, want6);
		if (nat64_in(a->n, &f, 0, 0, got6, &gx) != NAT64_OK || gx != x ||
		    memcmp(got6, want6, 16))
			a->errors++;
	}
	return NULL;
}

static void *mt_expirer(void *p)
{
	struct nat64 *n = p;
	struct nat64_stats st;

	for (int i = 0; i < 200; i++) {
		nat64_expire(n, 1);
		nat64_get_stats(n, &st);
	}
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static struct nat64 *mt_table(void)
{
	/* 198.51.100.0/28: 16 addresses x 64512 ports */
	struct nat64_config c = base_cfg(v4(198, 51, 100, 0), 28, 1024, 65535);
	struct nat64 *n;

	c.max_sessions = 1000000;
	n = nat64_new(&c);
	ck_assert_ptr_nonnull(n);
	return n;
}

static void mt_run(struct nat64 *n, struct mt_arg *args, bool shared)
{
	pthread_t th[MT_THREADS], ex;

	for (int i = 0; i < MT_THREADS; i++) {
		args[i].n = n;
		args[i].id = i;
		args[i].shared = shared;
		ck_assert_int_eq(pthread_create(&th[i], NULL, mt_worker, &args[i]), 0);
	}
	ck_assert_int_eq(pthread_create(&ex, NULL, mt_expirer, n), 0);
	for (int i = 0; i < MT_THREADS; i++)
		pthread_join(th[i], NULL);
	pthread_join(ex, NULL);
	for (int i = 0; i < MT_THREADS; i++)
		ck_assert_int_eq(args[i].errors, 0);
}

START_TEST(test_threads_distinct_flows)
{
	struct nat64 *n = mt_table();
	struct mt_arg *args = calloc(MT_THREADS, sizeof(*args));
	uint64_t *all = malloc(sizeof(uint64_t) * MT_THREADS * MT_FLOWS);
	size_t k = 0;

	mt_run(n, args, false);
	for (int i = 0; i < MT_THREADS; i++)
		for (int j = 0; j < MT_FLOWS; j++)
			all[k++] = args[i].tt[j];
	qsort(all, k, sizeof(*all), cmp_u64);
	for (size_t i = 1; i < k; i++)
		ck_assert_uint_ne(all[i], all[i - 1]); /* no (T,t) twice */
	ASSERT_COUNTS(n, PI_UDP, MT_THREADS * MT_FLOWS, 2 * MT_THREADS * MT_FLOWS);
	ck_assert_uint_eq(nat64_expire(n, T_UDP * SEC), 2 * MT_THREADS * MT_FLOWS);
	ASSERT_COUNTS(n, PI_UDP, 0, 0);
	free(all);
	free(args);
	nat64_free(n);
}
END_TEST

START_TEST(test_threads_same_sources)
{
	struct nat64 *n = mt_table();
	struct mt_arg *args = calloc(MT_THREADS, sizeof(*args));

	/* every thread races to open the same flows: one BIB entry each, and
	 * all threads see the same (T,t) (endpoint-independent mapping) */
	mt_run(n, args, true);
	for (int i = 1; i < MT_THREADS; i++)
		ck_assert_mem_eq(args[i].tt, args[0].tt, sizeof(args[0].tt));
	ASSERT_COUNTS(n, PI_UDP, MT_FLOWS, 2 * MT_FLOWS);
	free(args);
	nat64_free(n);
}
END_TEST

/* ---- scale ---- */

START_TEST(test_many_flows)
{
	struct nat64 *n = mt_table();
	const uint32_t flows = 200000;
	uint32_t t4;
	uint16_t t;

	for (uint32_t i = 0; i < flows; i++)
		ck_assert_int_eq(out(n, IPPROTO_UDP, i / 8 + 1, (uint16_t)(30000 + i % 8), SERVER1,
		                     53, 0, i / 10, &t4, &t),
		                 NAT64_OK);
	ASSERT_COUNTS(n, PI_UDP, flows, flows);
	/* half refreshed later; the other half expires alone */
	for (uint32_t i = 0; i < flows; i += 2)
		ck_assert_int_eq(out(n, IPPROTO_UDP, i / 8 + 1, (uint16_t)(30000 + i % 8), SERVER1,
		                     53, 0, 100 * SEC, &t4, &t),
		                 NAT64_OK);
	ck_assert_uint_eq(nat64_expire(n, T_UDP * SEC + flows / 10), flows / 2);
	ASSERT_COUNTS(n, PI_UDP, flows / 2, flows / 2);
	ck_assert_uint_eq(nat64_expire(n, (100 + T_UDP) * SEC), flows / 2);
	ASSERT_COUNTS(n, PI_UDP, 0, 0);
	nat64_free(n);
}
END_TEST

/* ---- hostile input: allow6, per-client quota, SYN flood, unsolicited IPv4 ---- */

/* 2001:db8:6:NET::N: client N of /64 number NET (NET 0 is client6()'s /64) */
static void client6_net(uint16_t net, uint32_t n, uint8_t a[16])
{
	client6(n, a);
	a[6] = (uint8_t)(net >> 8);
	a[7] = (uint8_t)net;
}

static enum nat64_result out_net(struct nat64 *n, uint8_t proto, uint16_t net, uint32_t host,
                                 uint16_t x, uint32_t z4, uint16_t y, uint8_t flags, uint64_t now,
                                 uint16_t *t)
{
	struct nat64_flow6 f = flow6(proto, host, x, z4, y);
	uint32_t t4;

	client6_net(net, host, f.src6);
	return nat64_out(n, &f, flags, now, &t4, t);
}

static uint64_t evicted(struct nat64 *n, int pi)
{
	struct nat64_stats st;

	nat64_get_stats(n, &st);
	return st.evicted[pi];
}

static uint64_t n_clients(struct nat64 *n)
{
	struct nat64_stats st;

	nat64_get_stats(n, &st);
	return st.clients;
}

static uint64_t client_sessions(struct nat64 *n, uint16_t net)
{
	uint8_t a[16];

	client6_net(net, 1, a);
	return nat64_client_sessions(n, a);
}

/* allow6 2001:db8:6::/120: hosts 0..255 of client6() */
static struct prefix6 allow_low[1] = {
    {.addr = {0x20, 0x01, 0x0d, 0xb8, 0x00, 0x06}, .len = 120},
};

START_TEST(test_allow6_refuses_new_state)
{
	struct nat64_config c = base_cfg(POOL_ADDR, 32, 1024, 65535);
	struct nat64 *n;
	uint32_t t4;
	uint16_t t, tt;

	c.allow6 = allow_low;
	c.n_allow6 = 1;
	n = nat64_new(&c);
	ck_assert_ptr_nonnull(n);
	ck_assert_int_eq(out(n, IPPROTO_UDP, 0xff, 5000, SERVER1, 53, 0, 0, &t4, &t), NAT64_OK);
	/* 2001:db8:6::100 is just outside: nothing of any protocol */
	ck_assert_int_eq(out(n, IPPROTO_UDP, 0x100, 5000, SERVER1, 53, 0, 0, &t4, &tt),
	                 NAT64_NOT_ALLOWED);
	ck_assert_int_eq(out(n, IPPROTO_TCP, 0x100, 5000, SERVER1, 80, NAT64_TCP_SYN, 0, &t4, &tt),
	                 NAT64_NOT_ALLOWED);
	ck_assert_int_eq(out(n, IPPROTO_ICMP, 0x100, 7, SERVER1, 7, 0, 0, &t4, &tt),
	                 NAT64_NOT_ALLOWED);
	ck_assert_int_eq(out_net(n, IPPROTO_UDP, 1, 1, 5000, SERVER1, 53, 0, 0, &tt),
	                 NAT64_NOT_ALLOWED);
	ASSERT_COUNTS(n, PI_UDP, 1, 1);
	ASSERT_COUNTS(n, PI_TCP, 0, 0);
	ASSERT_COUNTS(n, PI_ICMP, 0, 0);
	ck_assert_uint_eq(n_clients(n), 1);
	/* the allowed flow works both ways */
	assert_in_maps(n, IPPROTO_UDP, SERVER1, 53, POOL_ADDR, t, 0, 1, 0xff, 5000);
	/* allow6 any again */
	c.n_allow6 = 0;
	ck_assert_int_eq(nat64_reconfigure(n, &c), 0);
	ck_assert_int_eq(out(n, IPPROTO_UDP, 0x100, 5000, SERVER1, 53, 0, 2, &t4, &tt), NAT64_OK);
	ASSERT_COUNTS(n, PI_UDP, 2, 2);
	nat64_free(n);
}
END_TEST

START_TEST(test_allow6_keeps_existing_and_static)
{
	struct nat64_static_bib sb = dns_static(); /* 2001:db8:6::53, outside the list below */
	struct prefix6 only_other = {.addr = {0x20, 0x01, 0x0d, 0xb8, 0x00, 0x07}, .len = 64};
	struct nat64_config c = base_cfg(POOL_ADDR, 32, 1024, 65535);
	struct nat64 *n;
	uint32_t t4;
	uint16_t t, tt;

	c.bib = &sb;
	c.n_bib = 1;
	n = nat64_new(&c);
	ck_assert_ptr_nonnull(n);
	ck_assert_int_eq(out(n, IPPROTO_UDP, 1, 5000, SERVER1, 53, 0, 0, &t4, &t), NAT64_OK);
	/* a reload narrows allow6 to a /64 the clients are not in */
	c.allow6 = &only_other;
	c.n_allow6 = 1;
	ck_assert_int_eq(nat64_reconfigure(n, &c), 0);
	/* the live session goes on in both directions */
	ck_assert_int_eq(out(n, IPPROTO_UDP, 1, 5000, SERVER1, 53, 0, SEC, &t4, &tt), NAT64_OK);
	ck_assert_uint_eq(tt, t);
	assert_in_maps(n, IPPROTO_UDP, SERVER1, 53, POOL_ADDR, t, 0, SEC, 1, 5000);
	/* but its dynamic BIB entry opens no new session, and no new entry */
	ck_assert_int_eq(out(n, IPPROTO_UDP, 1, 5000, SERVER2, 53, 0, SEC, &t4, &tt),
	                 NAT64_NOT_ALLOWED);
	ck_assert_int_eq(out(n, IPPROTO_UDP, 1, 5001, SERVER1, 53, 0, SEC, &t4, &tt),
	                 NAT64_NOT_ALLOWED);
	/* the static entry (operator's choice) still opens sessions both ways */
	ck_assert_int_eq(out(n, IPPROTO_UDP, 0x53, 53, SERVER2, 53, 0, SEC, &t4, &tt), NAT64_OK);
	ck_assert_uint_eq(tt, 53);
	assert_in_maps(n, IPPROTO_UDP, SERVER3, 999, POOL_ADDR, 53, 0, SEC, 0x53, 53);
	ASSERT_COUNTS(n, PI_UDP, 2, 3);
	/* the session expires; the host then has no state and gets none */
	ck_assert_uint_eq(nat64_expire(n, SEC + T_UDP * SEC), 3);
	ASSERT_COUNTS(n, PI_UDP, 1, 0);
	ck_assert_int_eq(out(n, IPPROTO_UDP, 1, 5000, SERVER1, 53, 0, SEC + T_UDP * SEC, &t4, &tt),
	                 NAT64_NOT_ALLOWED);
	ASSERT_COUNTS(n, PI_UDP, 1, 0);
	nat64_free(n);
}
END_TEST

START_TEST(test_allow6_bad_config)
{
	struct prefix6 many[NAT64_MAX_ALLOW6 + 1];
	struct nat64_config c = base_cfg(POOL_ADDR, 32, 1024, 65535);
	struct nat64 *n;

	memset(many, 0, sizeof(many));
	for (size_t i = 0; i <= NAT64_MAX_ALLOW6; i++) {
		client6_net((uint16_t)i, 0, many[i].addr);
		many[i].len = 64;
	}
	c.allow6 = many;
	c.n_allow6 = NAT64_MAX_ALLOW6 + 1;
	ck_assert_ptr_null(nat64_new(&c));
	c.n_allow6 = NAT64_MAX_ALLOW6;
	n = nat64_new(&c);
	ck_assert_ptr_nonnull(n);
	/* the last prefix of a full list is matched */
	{
		uint16_t t;

		ck_assert_int_eq(
		    out_net(n, IPPROTO_UDP, NAT64_MAX_ALLOW6 - 1, 9, 5000, SERVER1, 53, 0, 0, &t),
		    NAT64_OK);
		ck_assert_int_eq(
		    out_net(n, IPPROTO_UDP, NAT64_MAX_ALLOW6, 9, 5000, SERVER1, 53, 0, 0, &t),
		    NAT64_NOT_ALLOWED);
	}
	/* a refused reload changes nothing */
	c.n_allow6 = NAT64_MAX_ALLOW6 + 1;
	ck_assert_int_eq(nat64_reconfigure(n, &c), -1);
	many[0].len = 129;
	c.n_allow6 = 1;
	ck_assert_int_eq(nat64_reconfigure(n, &c), -1);
	{
		uint16_t t;

		ck_assert_int_eq(
		    out_net(n, IPPROTO_UDP, NAT64_MAX_ALLOW6, 9, 5000, SERVER1, 53, 0, 0, &t),
		    NAT64_NOT_ALLOWED);
	}
	nat64_free(n);
}
END_TEST

START_TEST(test_client_quota)
{
	struct nat64_config c = base_cfg(POOL_ADDR, 32, 1024, 65535);
	struct nat64 *n;
	uint8_t a6[16];
	uint16_t t[4], tt, x;
	uint32_t t4;

	c.max_sessions_per_client = 4;
	c.max_sessions_per_address_pct = 100; /* the /64 alone here */
	n = nat64_new(&c);
	ck_assert_ptr_nonnull(n);
	/* four sessions of /64 number 0, from two /128s and two protocols, all
	 * answered (confirmed: early drop may not take them) */
	ck_assert_int_eq(out(n, IPPROTO_UDP, 1, 5000, SERVER1, 53, 0, 0, &t4, &t[0]), NAT64_OK);
	ck_assert_int_eq(out(n, IPPROTO_UDP, 1, 5000, SERVER2, 53, 0, 0, &t4, &t[1]), NAT64_OK);
	ck_assert_int_eq(out(n, IPPROTO_UDP, 2, 5000, SERVER1, 53, 0, 0, &t4, &t[2]), NAT64_OK);
	ck_assert_int_eq(out(n, IPPROTO_TCP, 2, 6000, SERVER1, 80, NAT64_TCP_SYN, 0, &t4, &t[3]),
	                 NAT64_OK);
	assert_in_maps(n, IPPROTO_UDP, SERVER1, 53, POOL_ADDR, t[0], 0, 0, 1, 5000);
	assert_in_maps(n, IPPROTO_UDP, SERVER2, 53, POOL_ADDR, t[1], 0, 0, 1, 5000);
	assert_in_maps(n, IPPROTO_UDP, SERVER1, 53, POOL_ADDR, t[2], 0, 0, 2, 5000);
	assert_in_maps(n, IPPROTO_TCP, SERVER1, 80, POOL_ADDR, t[3], NAT64_TCP_SYN | NAT64_TCP_ACK,
	               0, 2, 6000);
	ck_assert_uint_eq(client_sessions(n, 0), 4);
	/* the fifth: a new /128 of the same /64, a new session of a live BIB
	 * entry, and a session opened from IPv4 (endpoint-independent filtering) */
	ck_assert_int_eq(out(n, IPPROTO_UDP, 0xabcd, 5000, SERVER1, 53, 0, 0, &t4, &tt),
	                 NAT64_CLIENT_QUOTA);
	ck_assert_int_eq(out(n, IPPROTO_UDP, 1, 5000, SERVER3, 53, 0, 0, &t4, &tt),
	                 NAT64_CLIENT_QUOTA);
	ck_assert_int_eq(out(n, IPPROTO_ICMP, 1, 9, SERVER1, 9, 0, 0, &t4, &tt),
	                 NAT64_CLIENT_QUOTA);
	ck_assert_int_eq(in(n, IPPROTO_UDP, SERVER3, 99, POOL_ADDR, t[0], 0, 0, a6, &x),
	                 NAT64_CLIENT_QUOTA);
	ASSERT_COUNTS(n, PI_UDP, 2, 3);
	ASSERT_COUNTS(n, PI_TCP, 1, 1);
	ASSERT_COUNTS(n, PI_ICMP, 0, 0);
	ck_assert_uint_eq(client_sessions(n, 0), 4);
	/* another /64 is not affected */
	ck_assert_int_eq(out_net(n, IPPROTO_UDP, 1, 1, 5000, SERVER1, 53, 0, 0, &tt), NAT64_OK);
	ck_assert_uint_eq(client_sessions(n, 1), 1);
	ck_assert_uint_eq(n_clients(n), 2);
	/* the client's own flows keep working both ways */
	ck_assert_int_eq(out(n, IPPROTO_UDP, 1, 5000, SERVER2, 53, 0, SEC, &t4, &tt), NAT64_OK);
	ck_assert_uint_eq(tt, t[1]);
	assert_in_maps(n, IPPROTO_UDP, SERVER1, 53, POOL_ADDR, t[2], 0, SEC, 2, 5000);
	assert_in_maps(n, IPPROTO_TCP, SERVER1, 80, POOL_ADDR, t[3], NAT64_TCP_SYN | NAT64_TCP_ACK,
	               SEC, 2, 6000);
	ck_assert_uint_eq(client_sessions(n, 0), 4);
	/* expiry gives the quota back: the UDP sessions go, TCP (established) stays */
	ck_assert_uint_eq(nat64_expire(n, SEC + T_UDP * SEC), 4);
	ck_assert_uint_eq(client_sessions(n, 0), 1);
	ck_assert_uint_eq(client_sessions(n, 1), 0);
	ck_assert_uint_eq(n_clients(n), 1); /* empty client entries are freed */
	ck_assert_int_eq(
	    out(n, IPPROTO_UDP, 0xabcd, 5000, SERVER1, 53, 0, SEC + T_UDP * SEC, &t4, &tt),
	    NAT64_OK);
	ck_assert_uint_eq(client_sessions(n, 0), 2);
	assert_in_maps(n, IPPROTO_UDP, SERVER1, 53, POOL_ADDR, tt, 0, SEC + T_UDP * SEC, 0xabcd,
	               5000);
	/* a reload lowers the quota under the live count: nothing new, old kept */
	c.max_sessions_per_client = 1;
	ck_assert_int_eq(nat64_reconfigure(n, &c), 0);
	ck_assert_int_eq(out(n, IPPROTO_UDP, 3, 5000, SERVER1, 53, 0, SEC + T_UDP * SEC, &t4, &tt),
	                 NAT64_CLIENT_QUOTA);
	ck_assert_int_eq(
	    out(n, IPPROTO_UDP, 0xabcd, 5000, SERVER1, 53, 0, SEC + T_UDP * SEC, &t4, &tt),
	    NAT64_OK);
	nat64_free(n);
}
END_TEST

/* One client cannot take pool4: 20 ports, a quota of 8 per /64. */
START_TEST(test_client_quota_protects_pool4)
{
	struct nat64_config c = base_cfg(POOL_ADDR, 32, 2000, 2019);
	struct nat64 *n;
	uint16_t t;

	c.max_sessions_per_client = 8;
	c.max_sessions_per_address_pct = 100; /* the /64 alone here */
	n = nat64_new(&c);
	ck_assert_ptr_nonnull(n);
	for (uint16_t x = 0; x < 100; x++) {
		uint8_t a6[16];
		uint16_t p6;

		ck_assert_int_eq(out_net(n, IPPROTO_UDP, 5, x, 1000 + x, SERVER1, 53, 0, 0, &t),
		                 x < 8 ? NAT64_OK : NAT64_CLIENT_QUOTA);
		/* answered, so the quota holds (no early drop of confirmed flows) */
		if (x < 8)
			ck_assert_int_eq(
			    in(n, IPPROTO_UDP, SERVER1, 53, POOL_ADDR, t, 0, 0, a6, &p6), NAT64_OK);
	}
	ASSERT_COUNTS(n, PI_UDP, 8, 8);
	/* two other /64s still get their share; the pool runs out only after */
	for (uint16_t x = 0; x < 8; x++) {
		ck_assert_int_eq(out_net(n, IPPROTO_UDP, 6, 1, 1000 + x, SERVER1, 53, 0, 0, &t),
		                 NAT64_OK);
		ck_assert(t >= 2000 && t <= 2019);
	}
	for (uint16_t x = 0; x < 4; x++)
		ck_assert_int_eq(out_net(n, IPPROTO_UDP, 7, 1, 1000 + x, SERVER1, 53, 0, 0, &t),
		                 NAT64_OK);
	ck_assert_int_eq(out_net(n, IPPROTO_UDP, 7, 1, 1004, SERVER1, 53, 0, 0, &t),
	                 NAT64_POOL4_EXHAUSTED);
	ASSERT_COUNTS(n, PI_UDP, 20, 20);
	ck_assert_uint_eq(client_sessions(n, 7), 4); /* the refused flow was given back */
	nat64_free(n);
}
END_TEST

/* Half-open TCP: SYNs that are never answered (V6_INIT) and SYNs from IPv4
 * hosts to a live BIB entry (V4_INIT) count like any other flow, and give
 * way to new flows at the quota (early drop). */
START_TEST(test_syn_flood_quota)
{
	struct nat64_config c = base_cfg(POOL_ADDR, 32, 1024, 65535);
	struct nat64 *n;
	uint8_t a6[16];
	uint16_t t, victim, x;
	unsigned ok = 0, refused = 0;

	c.max_sessions_per_client = 8;
	c.max_sessions_per_address_pct = 100; /* the /64 alone here */
	n = nat64_new(&c);
	ck_assert_ptr_nonnull(n);
	victim = tcp_open(n, 1, 4000, 0, 0); /* /64 number 0, established */
	/* /64 number 1 floods SYNs from 1000 source ports */
	for (uint16_t p = 0; p < 1000; p++) {
		enum nat64_result r = out_net(n, IPPROTO_TCP, 1, p % 50, (uint16_t)(10000 + p),
		                              SERVER1, 80, NAT64_TCP_SYN, SEC, &t);

		ck_assert(r == NAT64_OK || r == NAT64_CLIENT_QUOTA);
		ok += r == NAT64_OK;
		refused += r == NAT64_CLIENT_QUOTA;
	}
	/* early drop: every SYN takes the place of the oldest unanswered one,
	 * the /64 holds exactly its quota */
	ck_assert_uint_eq(ok, 1000);
	ck_assert_uint_eq(refused, 0);
	ck_assert_uint_eq(evicted(n, PI_TCP), 992);
	ck_assert_uint_eq(client_sessions(n, 1), 8);
	/* IPv4 hosts flood SYNs at the victim's (T,t): 7 more fit its quota,
	 * the others replace them; the established session stays */
	ok = refused = 0;
	for (uint16_t z = 0; z < 100; z++) {
		enum nat64_result r = in(n, IPPROTO_TCP, SERVER2, (uint16_t)(20000 + z), POOL_ADDR,
		                         victim, NAT64_TCP_SYN, SEC, a6, &x);

		ck_assert(r == NAT64_OK || r == NAT64_CLIENT_QUOTA);
		ok += r == NAT64_OK;
		refused += r == NAT64_CLIENT_QUOTA;
	}
	ck_assert_uint_eq(ok, 100);
	ck_assert_uint_eq(refused, 0);
	ck_assert_uint_eq(evicted(n, PI_TCP), 992 + 93);
	ASSERT_COUNTS(n, PI_TCP, 9, 16);
	/* the established flow keeps working both ways, and closes normally */
	tcp6(n, 1, 4000, NAT64_TCP_ACK, 2 * SEC);
	tcp4(n, victim, 1, 4000, NAT64_TCP_ACK, 2 * SEC);
	tcp6(n, 1, 4000, NAT64_TCP_FIN | NAT64_TCP_ACK, 3 * SEC);
	tcp4(n, victim, 1, 4000, NAT64_TCP_FIN | NAT64_TCP_ACK, 3 * SEC);
	assert_tcp(n, 4000, SERVER1, 80, NAT64_TCP_V6_FIN_V4_FIN, 3 * SEC + T_TRANS * SEC);
	/* half-open sessions live only the transitory timeout (RFC 6146 §3.5.2.2) */
	ck_assert_uint_eq(nat64_expire(n, SEC + T_TRANS * SEC - 1), 0);
	ck_assert_uint_eq(nat64_expire(n, SEC + T_TRANS * SEC), 15);
	ck_assert_uint_eq(client_sessions(n, 1), 0);
	ck_assert_uint_eq(client_sessions(n, 0), 1);
	ck_assert_int_eq(out_net(n, IPPROTO_TCP, 1, 1, 10000, SERVER1, 80, NAT64_TCP_SYN,
	                         SEC + T_TRANS * SEC, &t),
	                 NAT64_OK);
	nat64_free(n);
}
END_TEST

/* Without a quota, half-open sessions stop at max_sessions (the oldest
 * gives way) and the established flow is untouched. */
START_TEST(test_syn_flood_max_sessions)
{
	struct nat64_config c = base_cfg(POOL_ADDR, 32, 1024, 65535);
	struct nat64 *n;
	uint16_t t, victim;
	unsigned ok = 0, refused = 0;

	c.max_sessions = 10;
	n = nat64_new(&c);
	ck_assert_ptr_nonnull(n);
	victim = tcp_open(n, 1, 4000, 0, 0);
	for (uint16_t p = 0; p < 500; p++) {
		enum nat64_result r =
		    out_net(n, IPPROTO_TCP, (uint16_t)(1 + p % 7), 1, (uint16_t)(10000 + p),
		            SERVER1, 80, NAT64_TCP_SYN, SEC, &t);

		ck_assert(r == NAT64_OK || r == NAT64_SESSION_LIMIT);
		ok += r == NAT64_OK;
		refused += r == NAT64_SESSION_LIMIT;
	}
	/* early drop of max-sessions: the oldest half-open session goes */
	ck_assert_uint_eq(ok, 500);
	ck_assert_uint_eq(refused, 0);
	ck_assert_uint_eq(evicted(n, PI_TCP), 491);
	ASSERT_COUNTS(n, PI_TCP, 10, 10);
	tcp6(n, 1, 4000, NAT64_TCP_ACK, 2 * SEC);
	tcp4(n, victim, 1, 4000, NAT64_TCP_ACK, 2 * SEC);
	assert_tcp(n, 4000, SERVER1, 80, NAT64_TCP_ESTABLISHED, 2 * SEC + T_EST * SEC);
	ck_assert_uint_eq(nat64_expire(n, SEC + T_TRANS * SEC), 9);
	ASSERT_COUNTS(n, PI_TCP, 1, 1);
	ck_assert_int_eq(out_net(n, IPPROTO_TCP, 1, 1, 10000, SERVER1, 80, NAT64_TCP_SYN,
	                         SEC + T_TRANS * SEC, &t),
	                 NAT64_OK);
	nat64_free(n);
}
END_TEST

static uint32_t test_rand(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(*s >> 33);
}

/* Random IPv4 packets to pool4 (and around it) with no BIB entry: refused,
 * and not one byte of heap is taken. */
START_TEST(test_unsolicited_ipv4_creates_nothing)
{
	static const uint8_t protos[3] = {IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP};
	struct nat64_config c = base_cfg(v4(198, 51, 100, 0), 28, 1024, 65535);
	struct nat64 *n;
	struct mallinfo2 before, after;
	uint64_t rng = 7;
	uint32_t t4;
	uint16_t live;

	n = nat64_new(&c);
	ck_assert_ptr_nonnull(n);
	/* one live flow, so the tables are not trivially empty */
	ck_assert_int_eq(out(n, IPPROTO_UDP, 1, 5000, SERVER1, 53, 0, 0, &t4, &live), NAT64_OK);
	before = mallinfo2();
	for (int i = 0; i < 20000; i++) {
		uint8_t proto = protos[test_rand(&rng) % 3];
		uint32_t dst = v4(198, 51, 100, test_rand(&rng) % 20); /* 4 outside pool4 */
		uint16_t dport = (uint16_t)test_rand(&rng);
		uint8_t a6[16];
		uint16_t x;

		if (proto == IPPROTO_UDP && dst == t4 && dport == live)
			continue; /* the live BIB entry: EIF lets this in */
		ck_assert_int_eq(in(n, proto, test_rand(&rng), (uint16_t)test_rand(&rng), dst,
		                    dport, (uint8_t)test_rand(&rng), 0, a6, &x),
		                 NAT64_NO_STATE);
	}
	after = mallinfo2();
	ck_assert_uint_eq(after.uordblks, before.uordblks);
	ASSERT_COUNTS(n, PI_UDP, 1, 1);
	ASSERT_COUNTS(n, PI_TCP, 0, 0);
	ASSERT_COUNTS(n, PI_ICMP, 0, 0);
	ck_assert_uint_eq(n_clients(n), 1);
	nat64_free(n);
}
END_TEST

/* Workers racing on one client /64: exactly the quota is held. */
struct quota_race {
	struct nat64 *n;
	int id;
	unsigned ok, refused, other;
};

static void *quota_racer(void *p)
{
	struct quota_race *a = p;

	for (uint16_t i = 0; i < 1000; i++) {
		uint16_t t;
		enum nat64_result r = out_net(a->n, IPPROTO_UDP, 5, (uint32_t)a->id + 1, 1000 + i,
		                              SERVER1, 53, 0, 0, &t);

		a->ok += r == NAT64_OK;
		a->refused += r == NAT64_CLIENT_QUOTA;
		a->other += r != NAT64_OK && r != NAT64_CLIENT_QUOTA;
	}
	return NULL;
}

START_TEST(test_client_quota_threads)
{
	struct nat64_config c = base_cfg(v4(198, 51, 100, 0), 28, 1024, 65535);
	struct quota_race a[MT_THREADS];
	pthread_t th[MT_THREADS];
	unsigned ok = 0, refused = 0;
	struct nat64 *n;

	c.max_sessions_per_client = 1500;
	n = nat64_new(&c);
	ck_assert_ptr_nonnull(n);
	memset(a, 0, sizeof(a));
	for (int i = 0; i < MT_THREADS; i++) {
		a[i].n = n;
		a[i].id = i;
	}
	for (int i = 0; i < MT_THREADS; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, quota_racer, &a[i]), 0);
	for (int i = 0; i < MT_THREADS; i++) {
		pthread_join(th[i], NULL);
		ok += a[i].ok;
		refused += a[i].refused;
		ck_assert_uint_eq(a[i].other, 0);
	}
	/* nothing answered: each flow past the quota replaced an older one */
	ck_assert_uint_eq(ok, MT_THREADS * 1000);
	ck_assert_uint_eq(refused, 0);
	ck_assert_uint_eq(evicted(n, PI_UDP), MT_THREADS * 1000 - 1500);
	ck_assert_uint_eq(client_sessions(n, 5), 1500);
	ASSERT_COUNTS(n, PI_UDP, 1500, 1500);
	ck_assert_uint_eq(nat64_expire(n, T_UDP * SEC), 1500);
	ck_assert_uint_eq(n_clients(n), 0);
	nat64_free(n);
}
END_TEST

/* ---- early drop (like conntrack's early_drop) and the per-address share ---- */

/* Does host:x of /64 net still have its (only) session, i.e. its BIB entry? */
static bool alive(struct nat64 *n, uint8_t proto, uint16_t net, uint32_t host, uint16_t x)
{
	uint8_t a6[16];
	uint32_t t4;
	uint16_t t;

	client6_net(net, host, a6);
	return nat64_bib_lookup6(n, proto, a6, x, &t4, &t);
}

static void answer_udp(struct nat64 *n, uint16_t t, uint64_t now)
{
	uint8_t a6[16];
	uint16_t x;

	ck_assert_int_eq(in(n, IPPROTO_UDP, SERVER1, 53, POOL_ADDR, t, 0, now, a6, &x), NAT64_OK);
}

static uint64_t address_sessions(struct nat64 *n, uint16_t net, uint32_t host)
{
	uint8_t a[16];

	client6_net(net, host, a);
	return nat64_address_sessions(n, a);
}

/* At the /64's quota the oldest unconfirmed session goes, one per new flow,
 * in creation order; an answered one never. */
START_TEST(test_evict_order)
{
	struct nat64_config c = base_cfg(POOL_ADDR, 32, 1024, 65535);
	struct nat64 *n;
	uint16_t t[4], tt;

	c.max_sessions_per_client = 4;
	c.max_sessions_per_address_pct = 100;
	n = nat64_new(&c);
	ck_assert_ptr_nonnull(n);
	for (uint16_t i = 0; i < 4; i++)
		ck_assert_int_eq(out_net(n, IPPROTO_UDP, 1, i + 1, 5000, SERVER1, 53, 0, i, &t[i]),
		                 NAT64_OK);
	answer_udp(n, t[1], 10); /* host 2 is confirmed */
	/* a reply-less refresh from the IPv6 side confirms nothing */
	ck_assert_int_eq(out_net(n, IPPROTO_UDP, 1, 1, 5000, SERVER1, 53, 0, 11, &tt), NAT64_OK);
	ck_assert_int_eq(out_net(n, IPPROTO_UDP, 1, 10, 5000, SERVER1, 53, 0, 20, &tt), NAT64_OK);
	ck_assert(!alive(n, IPPROTO_UDP, 1, 1, 5000));
	ck_assert(alive(n, IPPROTO_UDP, 1, 3, 5000));
	ck_assert_int_eq(out_net(n, IPPROTO_UDP, 1, 11, 5000, SERVER1, 53, 0, 21, &tt), NAT64_OK);
	ck_assert(!alive(n, IPPROTO_UDP, 1, 3, 5000));
	ck_assert(alive(n, IPPROTO_UDP, 1, 4, 5000));
	ck_assert_int_eq(out_net(n, IPPROTO_UDP, 1, 12, 5000, SERVER1, 53, 0, 22, &tt), NAT64_OK);
	ck_assert(!alive(n, IPPROTO_UDP, 1, 4, 5000));
	/* now the new ones are the oldest; host 2 stays throughout */
	ck_assert_int_eq(out_net(n, IPPROTO_UDP, 1, 13, 5000, SERVER1, 53, 0, 23, &tt), NAT64_OK);
	ck_assert(!alive(n, IPPROTO_UDP, 1, 10, 5000));
	ck_assert(alive(n, IPPROTO_UDP, 1, 2, 5000));
	ck_assert_uint_eq(evicted(n, PI_UDP), 4);
	ck_assert_uint_eq(client_sessions(n, 1), 4);
	ASSERT_COUNTS(n, PI_UDP, 4, 4);
	nat64_free(n);
}
END_TEST

/* The quota's victim comes from the same /64 only; max-sessions' victim is
 * the oldest unconfirmed session of the whole table. */
START_TEST(test_evict_scope)
{
	struct nat64_config c = base_cfg(POOL_ADDR, 32, 1024, 65535);
	struct nat64 *n;
	uint16_t t;

	c.max_sessions = 6;
	c.max_sessions_per_client = 3;
	c.max_sessions_per_address_pct = 100;
	n = nat64_new(&c);
	ck_assert_ptr_nonnull(n);
	/* /64 2 first (oldest), then /64 1 fills its quota */
	ck_assert_int_eq(out_net(n, IPPROTO_UDP, 2, 1, 5000, SERVER1, 53, 0, 0, &t), NAT64_OK);
	ck_assert_int_eq(out_net(n, IPPROTO_UDP, 2, 2, 5000, SERVER1, 53, 0, 1, &t), NAT64_OK);
	for (uint16_t i = 0; i < 3; i++)
		ck_assert_int_eq(out_net(n, IPPROTO_UDP, 1, i + 1, 5000, SERVER1, 53, 0, 2 + i, &t),
		                 NAT64_OK);
	/* /64 1 at its quota: its own oldest goes, /64 2 keeps both */
	ck_assert_int_eq(out_net(n, IPPROTO_UDP, 1, 9, 5000, SERVER1, 53, 0, 10, &t), NAT64_OK);
	ck_assert(!alive(n, IPPROTO_UDP, 1, 1, 5000));
	ck_assert(alive(n, IPPROTO_UDP, 2, 1, 5000));
	ck_assert_uint_eq(client_sessions(n, 2), 2);
	/* /64 3: one fits max-sessions, the next takes the table's oldest,
	 * which is /64 2's */
	ck_assert_int_eq(out_net(n, IPPROTO_UDP, 3, 1, 5000, SERVER1, 53, 0, 11, &t), NAT64_OK);
	ck_assert_int_eq(out_net(n, IPPROTO_UDP, 3, 2, 5000, SERVER1, 53, 0, 12, &t), NAT64_OK);
	ck_assert(!alive(n, IPPROTO_UDP, 2, 1, 5000));
	ck_assert(alive(n, IPPROTO_UDP, 2, 2, 5000));
	ck_assert_uint_eq(client_sessions(n, 2), 1);
	ck_assert_uint_eq(client_sessions(n, 3), 2);
	ck_assert_uint_eq(evicted(n, PI_UDP), 2);
	ASSERT_COUNTS(n, PI_UDP, 6, 6);
	nat64_free(n);
}
END_TEST

/* TCP is confirmed by ESTABLISHED only; once every session is confirmed a
 * new flow is refused as before, and nothing established is lost. */
START_TEST(test_evict_never_confirmed)
{
	struct nat64_config c = base_cfg(POOL_ADDR, 32, 1024, 65535);
	struct nat64 *n;
	uint8_t a6[16];
	uint16_t t, est, x;
	uint32_t t4;

	c.max_sessions_per_client = 2;
	c.max_sessions_per_address_pct = 100;
	n = nat64_new(&c);
	ck_assert_ptr_nonnull(n);
	est = tcp_open(n, 1, 4000, 0, 0);
	/* a V6 SYN retransmitted is still half-open: the next flow takes it */
	ck_assert_int_eq(out(n, IPPROTO_TCP, 1, 4001, SERVER1, 80, NAT64_TCP_SYN, 1, &t4, &x),
	                 NAT64_OK);
	ck_assert_int_eq(out(n, IPPROTO_TCP, 1, 4001, SERVER1, 80, NAT64_TCP_SYN, 2, &t4, &x),
	                 NAT64_OK);
	ck_assert_int_eq(out(n, IPPROTO_TCP, 1, 4002, SERVER1, 80, NAT64_TCP_SYN, 3, &t4, &x),
	                 NAT64_OK);
	ck_assert(!alive(n, IPPROTO_TCP, 0, 1, 4001));
	ck_assert_uint_eq(evicted(n, PI_TCP), 1);
	/* an IPv4 SYN (V4_INIT) to the established entry takes 4002's place */
	ck_assert_int_eq(in(n, IPPROTO_TCP, SERVER2, 999, POOL_ADDR, est, NAT64_TCP_SYN, 4, a6, &x),
	                 NAT64_OK);
	ck_assert(!alive(n, IPPROTO_TCP, 0, 1, 4002));
	/* the IPv6 SYN back confirms it (simultaneous open, §3.5.2.2) */
	ck_assert_int_eq(out(n, IPPROTO_TCP, 1, 4000, SERVER2, 999, NAT64_TCP_SYN, 5, &t4, &t),
	                 NAT64_OK);
	/* both confirmed: refused, and counted as the quota */
	ck_assert_int_eq(out(n, IPPROTO_TCP, 1, 4003, SERVER1, 80, NAT64_TCP_SYN, 6, &t4, &x),
	                 NAT64_CLIENT_QUOTA);
	ck_assert_int_eq(out(n, IPPROTO_UDP, 1, 4003, SERVER1, 53, 0, 6, &t4, &x),
	                 NAT64_CLIENT_QUOTA);
	ck_assert_uint_eq(evicted(n, PI_TCP), 2);
	assert_tcp(n, 4000, SERVER1, 80, NAT64_TCP_ESTABLISHED, T_EST * SEC);
	ck_assert_uint_eq(client_sessions(n, 0), 2);
	nat64_free(n);
}
END_TEST

/* A UDP session opened from IPv4 is confirmed by the IPv6 side's answer;
 * expiry and confirmation take sessions off the lists (nothing stale is
 * popped later). */
START_TEST(test_evict_lists_follow_state)
{
	struct nat64_config c = base_cfg(POOL_ADDR, 32, 1024, 65535);
	struct nat64 *n;
	uint8_t a6[16];
	uint16_t t, tt, x;
	uint32_t t4;

	c.max_sessions_per_client = 3;
	c.max_sessions_per_address_pct = 100;
	n = nat64_new(&c);
	ck_assert_ptr_nonnull(n);
	ck_assert_int_eq(out(n, IPPROTO_UDP, 1, 5000, SERVER1, 53, 0, 0, &t4, &t), NAT64_OK);
	answer_udp(n, t, 0);
	/* SERVER2 reaches the entry (endpoint-independent filtering) */
	ck_assert_int_eq(in(n, IPPROTO_UDP, SERVER2, 53, POOL_ADDR, t, 0, 1, a6, &x), NAT64_OK);
	/* more answers from SERVER2 confirm nothing; the client's do */
	ck_assert_int_eq(in(n, IPPROTO_UDP, SERVER2, 53, POOL_ADDR, t, 0, 2, a6, &x), NAT64_OK);
	ck_assert_int_eq(out(n, IPPROTO_UDP, 1, 5000, SERVER2, 53, 0, 3, &t4, &tt), NAT64_OK);
	/* a third, unconfirmed, expires: the quota has two confirmed and room */
	ck_assert_int_eq(out(n, IPPROTO_UDP, 2, 5000, SERVER1, 53, 0, 4, &t4, &tt), NAT64_OK);
	ck_assert_uint_eq(nat64_expire(n, 4 + T_UDP * SEC), 3);
	for (uint16_t i = 0; i < 3; i++)
		ck_assert_int_eq(
		    out(n, IPPROTO_ICMP, 3 + i, 7, SERVER1, 7, 0, 5 + T_UDP * SEC, &t4, &tt),
		    NAT64_OK);
	ck_assert_uint_eq(evicted(n, PI_UDP), 0);
	ck_assert_uint_eq(evicted(n, PI_ICMP), 0);
	ck_assert_int_eq(out(n, IPPROTO_ICMP, 9, 7, SERVER1, 7, 0, 6 + T_UDP * SEC, &t4, &tt),
	                 NAT64_OK);
	ck_assert_uint_eq(evicted(n, PI_ICMP), 1);
	ck_assert(!alive(n, IPPROTO_ICMP, 0, 3, 7));
	ck_assert_uint_eq(client_sessions(n, 0), 3);
	nat64_free(n);
}
END_TEST

/* Within one /64 an address holds at most its share of the quota (25% by
 * default); at its share it gives up its own oldest unconfirmed session,
 * not a neighbour's. */
START_TEST(test_address_share)
{
	struct nat64_config c = base_cfg(POOL_ADDR, 32, 1024, 65535);
	struct nat64 *n;
	uint16_t t;

	c.max_sessions_per_client = 8; /* share: 2 */
	n = nat64_new(&c);
	ck_assert_ptr_nonnull(n);
	/* host 1's neighbour opened first (older) */
	ck_assert_int_eq(out_net(n, IPPROTO_UDP, 1, 2, 5000, SERVER1, 53, 0, 0, &t), NAT64_OK);
	ck_assert_int_eq(out_net(n, IPPROTO_UDP, 1, 1, 5000, SERVER1, 53, 0, 1, &t), NAT64_OK);
	answer_udp(n, t, 1);
	ck_assert_int_eq(out_net(n, IPPROTO_UDP, 1, 1, 5001, SERVER1, 53, 0, 2, &t), NAT64_OK);
	ck_assert_uint_eq(address_sessions(n, 1, 1), 2);
	/* the third of host 1 takes host 1's unconfirmed 5001 */
	ck_assert_int_eq(out_net(n, IPPROTO_UDP, 1, 1, 5002, SERVER1, 53, 0, 3, &t), NAT64_OK);
	ck_assert(!alive(n, IPPROTO_UDP, 1, 1, 5001));
	ck_assert(alive(n, IPPROTO_UDP, 1, 2, 5000));
	ck_assert_uint_eq(address_sessions(n, 1, 1), 2);
	answer_udp(n, t, 3);
	/* both confirmed: host 1 is refused though the /64 has room */
	ck_assert_int_eq(out_net(n, IPPROTO_UDP, 1, 1, 5003, SERVER1, 53, 0, 4, &t),
	                 NAT64_CLIENT_QUOTA);
	ck_assert_uint_eq(client_sessions(n, 1), 3);
	ck_assert_int_eq(out_net(n, IPPROTO_UDP, 1, 3, 5000, SERVER1, 53, 0, 4, &t), NAT64_OK);
	/* a reload to 50% makes room for two more */
	c.max_sessions_per_address_pct = 50;
	ck_assert_int_eq(nat64_reconfigure(n, &c), 0);
	ck_assert_int_eq(out_net(n, IPPROTO_UDP, 1, 1, 5003, SERVER1, 53, 0, 5, &t), NAT64_OK);
	ck_assert_int_eq(out_net(n, IPPROTO_UDP, 1, 1, 5004, SERVER1, 53, 0, 5, &t), NAT64_OK);
	ck_assert_uint_eq(address_sessions(n, 1, 1), 4);
	ck_assert_uint_eq(evicted(n, PI_UDP), 1);
	/* a quota of 1 still allows one session per address */
	c.max_sessions_per_client = 1;
	c.max_sessions_per_address_pct = 25;
	ck_assert_int_eq(nat64_reconfigure(n, &c), 0);
	ck_assert_int_eq(out_net(n, IPPROTO_UDP, 9, 1, 5000, SERVER1, 53, 0, 6, &t), NAT64_OK);
	nat64_free(n);
}
END_TEST

/* A flood from many addresses of one /64 (the e2e scenario in small): the
 * legitimate address's established flow stays, a new one of a third
 * address gets in, and the /64 never holds more than its quota. */
START_TEST(test_evict_flood_same_64)
{
	struct nat64_config c = base_cfg(v4(198, 51, 100, 0), 28, 1024, 65535);
	struct nat64 *n;
	uint16_t t;

	c.max_sessions = 1000;
	c.max_sessions_per_client = 100;
	n = nat64_new(&c);
	ck_assert_ptr_nonnull(n);
	ck_assert_int_eq(out_net(n, IPPROTO_TCP, 1, 1, 4000, SERVER1, 80, NAT64_TCP_SYN, 0, &t),
	                 NAT64_OK);
	for (uint32_t i = 0; i < 20000; i++)
		ck_assert_int_eq(out_net(n, IPPROTO_TCP, 1, 100 + i % 5000,
		                         (uint16_t)(1024 + i / 5000), SERVER2, 80, NAT64_TCP_SYN, 1,
		                         &t),
		                 NAT64_OK);
	ck_assert_uint_eq(client_sessions(n, 1), 100);
	ck_assert_uint_eq(evicted(n, PI_TCP), 20000 + 1 - 100);
	ck_assert_int_eq(out_net(n, IPPROTO_UDP, 1, 3, 5000, SERVER1, 53, 0, 2, &t), NAT64_OK);
	ck_assert_uint_eq(client_sessions(n, 1), 100);
	nat64_free(n);
}
END_TEST

/* Workers opening flows from many /64s past max-sessions while some are
 * answered and the table is expired meanwhile (run under TSAN by
 * tests/sanitize.sh): every flow let in is either live or was evicted. */
struct evict_race {
	struct nat64 *n;
	int id;
	unsigned ok, refused, other;
};

static atomic_bool evict_racers_done;

static void *evict_racer(void *p)
{
	struct evict_race *a = p;

	for (uint16_t i = 0; i < 2000; i++) {
		uint16_t t, x;
		uint8_t a6[16];
		enum nat64_result r =
		    out_net(a->n, IPPROTO_UDP, (uint16_t)(a->id * 100 + i % 37), 1 + i % 5,
		            (uint16_t)(1000 + i), SERVER1, 53, 0, 0, &t);

		a->ok += r == NAT64_OK;
		a->refused += r == NAT64_SESSION_LIMIT || r == NAT64_CLIENT_QUOTA;
		a->other += r != NAT64_OK && r != NAT64_SESSION_LIMIT && r != NAT64_CLIENT_QUOTA;
		/* one in three answered: confirmed, never evicted after */
		if (r == NAT64_OK && i % 3 == 0)
			in(a->n, IPPROTO_UDP, SERVER1, 53, POOL_ADDR, t, 0, 0, a6, &x);
	}
	return NULL;
}

static void *evict_expirer(void *p)
{
	while (!atomic_load(&evict_racers_done))
		nat64_expire(p, 0); /* nothing is due: walks and locks only */
	return NULL;
}

START_TEST(test_evict_threads)
{
	struct nat64_config c = base_cfg(POOL_ADDR, 32, 1024, 65535);
	struct evict_race a[MT_THREADS];
	pthread_t th[MT_THREADS], ex;
	unsigned ok = 0, refused = 0;
	uint64_t live = 0;
	struct nat64_stats st;
	struct nat64 *n;

	c.max_sessions = 3000;
	c.max_sessions_per_client = 100;
	n = nat64_new(&c);
	ck_assert_ptr_nonnull(n);
	atomic_store(&evict_racers_done, false);
	ck_assert_int_eq(pthread_create(&ex, NULL, evict_expirer, n), 0);
	for (int i = 0; i < MT_THREADS; i++) {
		a[i] = (struct evict_race){.n = n, .id = i};
		ck_assert_int_eq(pthread_create(&th[i], NULL, evict_racer, &a[i]), 0);
	}
	for (int i = 0; i < MT_THREADS; i++) {
		pthread_join(th[i], NULL);
		ok += a[i].ok;
		refused += a[i].refused;
		ck_assert_uint_eq(a[i].other, 0);
	}
	atomic_store(&evict_racers_done, true);
	pthread_join(ex, NULL);
	nat64_get_stats(n, &st);
	for (int p = 0; p < 3; p++)
		live += st.sessions[p];
	ck_assert_uint_le(live, 3000);
	ck_assert_uint_eq(ok + refused, MT_THREADS * 2000);
	ck_assert_uint_eq(ok, live + st.evicted[PI_UDP]);
	ck_assert_uint_gt(st.evicted[PI_UDP], 0);
	ck_assert_uint_eq(nat64_expire(n, T_UDP * SEC), live);
	ck_assert_uint_eq(n_clients(n), 0);
	nat64_free(n);
}
END_TEST

/* tcp_transition alone: every state of RFC 6146 §3.5.2.2 against SYN, FIN,
 * RST and a bare ACK from each side. */
START_TEST(test_tcp_transition_table)
{
	enum { S = NAT64_TCP_SYN, F = NAT64_TCP_FIN, R = NAT64_TCP_RST, A = NAT64_TCP_ACK };
	static const struct {
		enum nat64_tcp_state cur;
		bool from6;
		uint8_t flags;
		bool refresh;
		enum nat64_tcp_state next;
	} t[] = {
	    {NAT64_TCP_V6_INIT, false, S | A, true, NAT64_TCP_ESTABLISHED},
	    {NAT64_TCP_V6_INIT, true, S, true, NAT64_TCP_V6_INIT}, /* retransmit */
	    {NAT64_TCP_V6_INIT, false, A, false, NAT64_TCP_V6_INIT},
	    {NAT64_TCP_V6_INIT, true, R, false, NAT64_TCP_V6_INIT},
	    {NAT64_TCP_V4_INIT, true, S, true, NAT64_TCP_ESTABLISHED},
	    {NAT64_TCP_V4_INIT, false, S, false, NAT64_TCP_V4_INIT},
	    {NAT64_TCP_V4_INIT, true, A, false, NAT64_TCP_V4_INIT},
	    {NAT64_TCP_ESTABLISHED, true, A, true, NAT64_TCP_ESTABLISHED},
	    {NAT64_TCP_ESTABLISHED, false, A, true, NAT64_TCP_ESTABLISHED},
	    {NAT64_TCP_ESTABLISHED, true, F | A, true, NAT64_TCP_V6_FIN_RCV},
	    {NAT64_TCP_ESTABLISHED, false, F | A, true, NAT64_TCP_V4_FIN_RCV},
	    {NAT64_TCP_ESTABLISHED, true, R | F, true, NAT64_TCP_TRANS},
	    {NAT64_TCP_ESTABLISHED, false, R, true, NAT64_TCP_TRANS},
	    {NAT64_TCP_V6_FIN_RCV, true, F, true, NAT64_TCP_V6_FIN_RCV},
	    {NAT64_TCP_V6_FIN_RCV, false, A, true, NAT64_TCP_V6_FIN_RCV},
	    {NAT64_TCP_V6_FIN_RCV, false, F, true, NAT64_TCP_V6_FIN_V4_FIN},
	    {NAT64_TCP_V4_FIN_RCV, false, F, true, NAT64_TCP_V4_FIN_RCV},
	    {NAT64_TCP_V4_FIN_RCV, true, A, true, NAT64_TCP_V4_FIN_RCV},
	    {NAT64_TCP_V4_FIN_RCV, true, F, true, NAT64_TCP_V6_FIN_V4_FIN},
	    {NAT64_TCP_V6_FIN_V4_FIN, true, A, false, NAT64_TCP_V6_FIN_V4_FIN},
	    {NAT64_TCP_V6_FIN_V4_FIN, false, S, false, NAT64_TCP_V6_FIN_V4_FIN},
	    {NAT64_TCP_TRANS, true, A, true, NAT64_TCP_ESTABLISHED},
	    {NAT64_TCP_TRANS, false, S, true, NAT64_TCP_ESTABLISHED},
	    {NAT64_TCP_TRANS, false, R, false, NAT64_TCP_TRANS},
	    {NAT64_TCP_NONE, true, S, false, NAT64_TCP_NONE},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		enum nat64_tcp_state next = NAT64_TCP_CLOSED;

		ck_assert_msg(tcp_transition(t[i].cur, t[i].from6, t[i].flags, &next) ==
		                  t[i].refresh,
		              "row %zu", i);
		ck_assert_msg(next == t[i].next, "row %zu: %s", i, nat64_tcp_state_name(next));
	}
	ck_assert_int_eq(timer_for(IPPROTO_TCP, NAT64_TCP_ESTABLISHED), TIMER_TCP_EST);
	ck_assert_int_eq(timer_for(IPPROTO_TCP, NAT64_TCP_V6_FIN_RCV), TIMER_TCP_EST);
	ck_assert_int_eq(timer_for(IPPROTO_TCP, NAT64_TCP_V4_FIN_RCV), TIMER_TCP_EST);
	ck_assert_int_eq(timer_for(IPPROTO_TCP, NAT64_TCP_V4_INIT), TIMER_TCP_TRANS);
	ck_assert_int_eq(timer_for(IPPROTO_TCP, NAT64_TCP_V6_FIN_V4_FIN), TIMER_TCP_TRANS);
	ck_assert_int_eq(timer_for(IPPROTO_UDP, NAT64_TCP_NONE), TIMER_UDP);
	ck_assert_int_eq(timer_for(IPPROTO_ICMP, NAT64_TCP_NONE), TIMER_ICMP);
}
END_TEST

static Suite *nat64_suite(void)
{
	Suite *s = suite_create("nat64");
	TCase *tc = tcase_create("tables");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_eim_one_bib_two_sessions);
	tcase_add_test(tc, test_protocols_are_separate);
	tcase_add_test(tc, test_in_without_bib);
	tcase_add_test(tc, test_unknown_proto);
	tcase_add_test(tc, test_icmp_echo);
	tcase_add_test(tc, test_udp_expiry_frees_port);
	tcase_add_test(tc, test_udp_refresh_survives);
	tcase_add_test(tc, test_bib_kept_while_one_session_lives);
	tcase_add_test(tc, test_pool_exhaustion);
	tcase_add_test(tc, test_well_known_split);
	tcase_add_test(tc, test_ports_random);
	tcase_add_test(tc, test_ports_depend_on_seed);
	tcase_add_test(tc, test_paired_address);
	tcase_add_test(tc, test_pool_spill_to_next_address);
	tcase_add_test(tc, test_bad_config);
	tcase_add_test(tc, test_max_sessions);
	tcase_add_test(tc, test_tcp_v6_close_first);
	tcase_add_test(tc, test_tcp_v4_close_first);
	tcase_add_test(tc, test_tcp_rst_trans);
	tcase_add_test(tc, test_session_touch);
	tcase_add_test(tc, test_session_counts);
	tcase_add_test(tc, test_tcp_established_expiry);
	tcase_add_test(tc, test_tcp_v6_syn_unanswered);
	tcase_add_test(tc, test_tcp_needs_syn);
	tcase_add_test(tc, test_tcp_transition_table);
	tcase_add_test(tc, test_tcp_v4_syn_simultaneous_open);
	tcase_add_test(tc, test_filtering_endpoint_independent);
	tcase_add_test(tc, test_filtering_address_dependent);
	tcase_add_test(tc, test_static_bib);
	tcase_add_test(tc, test_foreach_bib);
	tcase_add_test(tc, test_static_bib_outside_pool_and_conflict);
	tcase_add_test(tc, test_reconfigure);
	tcase_add_test(tc, test_allow6_refuses_new_state);
	tcase_add_test(tc, test_allow6_keeps_existing_and_static);
	tcase_add_test(tc, test_allow6_bad_config);
	tcase_add_test(tc, test_client_quota);
	tcase_add_test(tc, test_client_quota_protects_pool4);
	tcase_add_test(tc, test_syn_flood_quota);
	tcase_add_test(tc, test_syn_flood_max_sessions);
	tcase_add_test(tc, test_unsolicited_ipv4_creates_nothing);
	tcase_add_test(tc, test_client_quota_threads);
	tcase_add_test(tc, test_evict_order);
	tcase_add_test(tc, test_evict_scope);
	tcase_add_test(tc, test_evict_never_confirmed);
	tcase_add_test(tc, test_evict_lists_follow_state);
	tcase_add_test(tc, test_address_share);
	tcase_add_test(tc, test_evict_flood_same_64);
	tcase_add_test(tc, test_evict_threads);
	tcase_add_test(tc, test_threads_distinct_flows);
	tcase_add_test(tc, test_threads_same_sources);
	tcase_add_test(tc, test_many_flows);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(nat64_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
