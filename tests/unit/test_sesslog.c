/* SPDX-License-Identifier: BSD-2-Clause */
/* session-log (translator/log/sesslog.c): the event ring, the exact line
 * and JSON text; and the events and port blocks of the NAT64 tables
 * (translator/nat64/pblock.c). */
#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>

#include "nat64.h"
#include "sesslog.h"

#define SEC 1000ULL
#define POOL_ADDR 0xc6336401u /* 198.51.100.1 */
#define SERVER 0xcb00710au    /* 203.0.113.10 */

static void client6(unsigned n, uint8_t a[16])
{
	static const uint8_t base[16] = {0x20, 0x01, 0x0d, 0xb8, 0x00, 0x06};

	memcpy(a, base, 16);
	a[15] = (uint8_t)n;
}

static struct sesslog_rec sample(uint8_t kind)
{
	struct sesslog_rec r = {.wall_ms = 1796589539123ULL}; /* 2026-12-06T20:38:59.123Z */

	r.ev.kind = kind;
	r.ev.proto = IPPROTO_UDP;
	client6(2, r.ev.addr6);
	r.ev.port6 = 40000;
	r.ev.addr4 = POOL_ADDR;
	r.ev.port4 = 2001;
	r.ev.port4_last = 2001;
	r.ev.remote4 = SERVER;
	r.ev.rport4 = 53;
	return r;
}

START_TEST(ring_full_counts_lost)
{
	struct sesslog_ring r;
	struct sesslog_rec in = sample(NAT64_EV_BIB_ADD), out;

	ck_assert_int_eq(sesslog_ring_init(&r, 8), 0);
	for (int i = 0; i < 8; i++) {
		in.ev.port6 = (uint16_t)i;
		ck_assert(sesslog_push(&r, &in));
	}
	ck_assert(!sesslog_push(&r, &in));
	ck_assert(!sesslog_push(&r, &in));
	ck_assert_uint_eq(sesslog_lost(&r), 2);
	for (int i = 0; i < 8; i++) {
		ck_assert(sesslog_pop(&r, &out));
		ck_assert_uint_eq(out.ev.port6, i); /* in order */
	}
	ck_assert(!sesslog_pop(&r, &out));
	/* room again after the drain, across the wrap */
	for (int i = 0; i < 5; i++)
		ck_assert(sesslog_push(&r, &in));
	for (int i = 0; i < 5; i++)
		ck_assert(sesslog_pop(&r, &out));
	ck_assert(!sesslog_pop(&r, &out));
	ck_assert_uint_eq(sesslog_lost(&r), 2);
	sesslog_ring_destroy(&r);
	ck_assert_int_eq(sesslog_ring_init(&r, 6), -1); /* not a power of two */
	sesslog_ring_destroy(&r);
}
END_TEST

struct producer {
	struct sesslog_ring *r;
	int id, n;
	atomic_int *done;
};

static void *produce(void *arg)
{
	struct producer *p = arg;
	struct sesslog_rec rec = sample(NAT64_EV_BIB_ADD);

	for (int i = 0; i < p->n; i++) {
		rec.ev.port6 = (uint16_t)i;
		rec.ev.port4 = (uint16_t)p->id;
		sesslog_push(p->r, &rec);
	}
	atomic_fetch_add(p->done, 1);
	return NULL;
}

/* Four producers, one consumer: every record pushed is popped whole or
 * counted lost, and each producer's records come out in its order. */
START_TEST(ring_many_producers)
{
	struct sesslog_ring r;
	struct producer p[4];
	pthread_t t[4];
	int next[4] = {0};
	uint64_t got = 0;
	struct sesslog_rec out;
	atomic_int done = 0;

	ck_assert_int_eq(sesslog_ring_init(&r, 1024), 0);
	for (int i = 0; i < 4; i++) {
		p[i] = (struct producer){&r, i, 20000, &done};
		pthread_create(&t[i], NULL, produce, &p[i]);
	}
	for (;;) {
		bool last = atomic_load(&done) == 4;

		while (sesslog_pop(&r, &out)) {
			ck_assert_int_ge(out.ev.port6, next[out.ev.port4]);
			next[out.ev.port4] = out.ev.port6 + 1;
			got++;
		}
		if (last)
			break;
	}
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	ck_assert_uint_eq(got + sesslog_lost(&r), 80000);
	sesslog_ring_destroy(&r);
}
END_TEST

START_TEST(line_text_exact)
{
	char buf[256];
	struct sesslog_rec r = sample(NAT64_EV_BIB_ADD);

	sesslog_format_line(&r, buf, sizeof(buf));
	ck_assert_str_eq(buf, "2026-12-06T20:38:59.123Z bib-add udp [2001:db8:6::2]:40000 "
	                      "198.51.100.1:2001");
	r = sample(NAT64_EV_SESSION_DEL);
	r.ev.proto = IPPROTO_TCP;
	sesslog_format_line(&r, buf, sizeof(buf));
	ck_assert_str_eq(buf, "2026-12-06T20:38:59.123Z session-del tcp [2001:db8:6::2]:40000 "
	                      "198.51.100.1:2001 203.0.113.10:53");
	r = sample(NAT64_EV_BLOCK_ADD);
	r.ev.port4 = 2048;
	r.ev.port4_last = 2111;
	sesslog_format_line(&r, buf, sizeof(buf));
	ck_assert_str_eq(buf, "2026-12-06T20:38:59.123Z block-add udp 2001:db8:6::2 "
	                      "198.51.100.1:2048-2111");
	r.wall_ms = 951782400000ULL + 86399999; /* a leap day, its last ms */
	sesslog_format_line(&r, buf, sizeof(buf));
	ck_assert_str_eq(buf, "2000-02-29T23:59:59.999Z block-add udp 2001:db8:6::2 "
	                      "198.51.100.1:2048-2111");
	r.wall_ms = 5; /* milliseconds keep three digits */
	sesslog_format_line(&r, buf, sizeof(buf));
	ck_assert_str_eq(buf, "1970-01-01T00:00:00.005Z block-add udp 2001:db8:6::2 "
	                      "198.51.100.1:2048-2111");
}
END_TEST

START_TEST(json_text_exact)
{
	char buf[512];
	struct sesslog_rec r = sample(NAT64_EV_SESSION_ADD);

	sesslog_format_json(&r, buf, sizeof(buf));
	ck_assert_str_eq(buf, "{\"time\":\"2026-12-06T20:38:59.123Z\",\"event\":\"session-add\","
	                      "\"proto\":\"udp\",\"ipv6\":\"2001:db8:6::2\",\"port6\":40000,"
	                      "\"ipv4\":\"198.51.100.1\",\"port4\":2001,\"dst4\":\"203.0.113.10\","
	                      "\"dport4\":53}");
	r = sample(NAT64_EV_BIB_DEL);
	r.ev.proto = IPPROTO_ICMP;
	sesslog_format_json(&r, buf, sizeof(buf));
	ck_assert_str_eq(buf, "{\"time\":\"2026-12-06T20:38:59.123Z\",\"event\":\"bib-del\","
	                      "\"proto\":\"icmp\",\"ipv6\":\"2001:db8:6::2\",\"port6\":40000,"
	                      "\"ipv4\":\"198.51.100.1\",\"port4\":2001}");
	r = sample(NAT64_EV_BLOCK_DEL);
	r.ev.port4_last = 2064;
	sesslog_format_json(&r, buf, sizeof(buf));
	ck_assert_str_eq(buf,
	                 "{\"time\":\"2026-12-06T20:38:59.123Z\",\"event\":\"block-del\","
	                 "\"proto\":\"udp\",\"ipv6\":\"2001:db8:6::2\",\"ipv4\":\"198.51.100.1\","
	                 "\"port4_first\":2001,\"port4_last\":2064}");
}
END_TEST

START_TEST(which_lines)
{
	/* per-port: mappings, or sessions with the destination */
	ck_assert(sesslog_line_wanted(NAT64_EV_BIB_ADD, false, false));
	ck_assert(!sesslog_line_wanted(NAT64_EV_SESSION_ADD, false, false));
	ck_assert(!sesslog_line_wanted(NAT64_EV_BIB_ADD, false, true));
	ck_assert(sesslog_line_wanted(NAT64_EV_SESSION_DEL, false, true));
	/* blocks: the blocks, plus sessions with the destination */
	ck_assert(sesslog_line_wanted(NAT64_EV_BLOCK_ADD, true, false));
	ck_assert(!sesslog_line_wanted(NAT64_EV_BIB_ADD, true, false));
	ck_assert(!sesslog_line_wanted(NAT64_EV_SESSION_ADD, true, false));
	ck_assert(sesslog_line_wanted(NAT64_EV_SESSION_ADD, true, true));
	ck_assert(!sesslog_line_wanted(NAT64_EV_BLOCK_DEL, false, true));
}
END_TEST

/* ---- the tables' events and blocks ---- */

#define MAXEV 4096
struct evlog {
	struct nat64_event ev[MAXEV];
	size_t n;
};

static void record(void *ctx, const struct nat64_event *e)
{
	struct evlog *l = ctx;

	if (l->n < MAXEV)
		l->ev[l->n++] = *e;
}

static size_t count_kind(const struct evlog *l, uint8_t kind)
{
	size_t n = 0;

	for (size_t i = 0; i < l->n; i++)
		n += l->ev[i].kind == kind;
	return n;
}

static struct pool4_range pool[1];

static struct nat64 *table(struct evlog *l, uint32_t block, uint64_t seed, uint8_t len)
{
	struct nat64_config c = {0};

	pool[0] = (struct pool4_range){.addr = POOL_ADDR & ~((1u << (32 - len)) - 1),
	                               .len = len,
	                               .port_lo = 1024,
	                               .port_hi = 65535};
	c.pool4 = pool;
	c.n_pool4 = 1;
	c.timeout_udp = 300;
	c.timeout_tcp_est = 7440;
	c.timeout_tcp_trans = 240;
	c.timeout_icmp = 60;
	c.seed = seed;
	c.event_cb = record;
	c.event_ctx = l;
	c.block_size = block;
	return nat64_new(&c);
}

static struct nat64_flow6 udp_flow(unsigned host, uint16_t sport)
{
	struct nat64_flow6 f = {.proto = IPPROTO_UDP, .sport = sport, .dst4 = SERVER, .dport = 53};

	client6(host, f.src6);
	return f;
}

START_TEST(events_per_port)
{
	static struct evlog l;
	struct nat64 *nat;
	struct nat64_flow6 f = udp_flow(2, 40000);
	uint32_t a4;
	uint16_t p4;

	l.n = 0;
	nat = table(&l, 0, 1, 32);
	ck_assert_int_eq(nat64_out(nat, &f, 0, 1 * SEC, &a4, &p4), NAT64_OK);
	ck_assert_uint_eq(l.n, 2);
	ck_assert_uint_eq(l.ev[0].kind, NAT64_EV_BIB_ADD);
	ck_assert_uint_eq(l.ev[1].kind, NAT64_EV_SESSION_ADD);
	ck_assert_uint_eq(l.ev[1].port4, p4);
	ck_assert_uint_eq(l.ev[1].remote4, SERVER);
	ck_assert_uint_eq(l.ev[1].rport4, 53);
	ck_assert_uint_eq(l.ev[0].port6, 40000);
	nat64_expire(nat, 400 * SEC);
	ck_assert_uint_eq(count_kind(&l, NAT64_EV_SESSION_DEL), 1);
	ck_assert_uint_eq(count_kind(&l, NAT64_EV_BIB_DEL), 1);
	ck_assert_uint_eq(count_kind(&l, NAT64_EV_BLOCK_ADD), 0);
	nat64_free(nat);
}
END_TEST

/* Ports of one client's entries: in its block, consecutive blocks of 64
 * on one address, one block event per block. */
START_TEST(blocks_consecutive_same_address)
{
	static struct evlog l;
	struct nat64 *nat;
	struct nat64_stats st;
	uint32_t a4, first_addr = 0;
	uint16_t p4;

	l.n = 0;
	/* a /30: four addresses to choose from, the client must stay on one */
	nat = table(&l, 64, 7, 30);
	for (unsigned i = 0; i < 200; i++) {
		struct nat64_flow6 f = udp_flow(2, (uint16_t)(20000 + i));

		ck_assert_int_eq(nat64_out(nat, &f, 0, 1 * SEC, &a4, &p4), NAT64_OK);
		if (i == 0)
			first_addr = a4;
		ck_assert_uint_eq(a4, first_addr); /* RFC 4787 REQ-2 */
	}
	ck_assert_uint_eq(count_kind(&l, NAT64_EV_BLOCK_ADD), 4); /* ceil(200 / 64) */
	for (size_t i = 0; i < l.n; i++) {
		const struct nat64_event *e = &l.ev[i];

		if (e->kind != NAT64_EV_BLOCK_ADD)
			continue;
		ck_assert_uint_eq(e->port4_last - e->port4, 63);
		ck_assert_uint_eq((e->port4 - 1024) % 64, 0); /* aligned: blocks never overlap */
		ck_assert_uint_eq(e->addr4, first_addr);
	}
	/* every BIB entry's port lies in one of the blocks */
	for (size_t i = 0; i < l.n; i++) {
		bool in = false;

		if (l.ev[i].kind != NAT64_EV_BIB_ADD)
			continue;
		for (size_t j = 0; j < l.n; j++)
			if (l.ev[j].kind == NAT64_EV_BLOCK_ADD && l.ev[i].port4 >= l.ev[j].port4 &&
			    l.ev[i].port4 <= l.ev[j].port4_last)
				in = true;
		ck_assert(in);
	}
	nat64_get_stats(nat, &st);
	ck_assert_uint_eq(st.blocks[1], 4);
	/* another client gets its own blocks */
	{
		struct nat64_flow6 f = udp_flow(3, 20000);

		ck_assert_int_eq(nat64_out(nat, &f, 0, 1 * SEC, &a4, &p4), NAT64_OK);
		ck_assert_uint_eq(count_kind(&l, NAT64_EV_BLOCK_ADD), 5);
	}
	nat64_free(nat);
}
END_TEST

/* RFC 6056: the first block of the same client differs between tables
 * with different seeds. */
START_TEST(blocks_unpredictable)
{
	static struct evlog l;
	uint16_t firsts[8];
	int distinct = 0;

	for (int s = 0; s < 8; s++) {
		struct nat64 *nat;
		struct nat64_flow6 f = udp_flow(2, 20000);
		uint32_t a4;
		uint16_t p4;

		l.n = 0;
		nat = table(&l, 64, 1000 + (uint64_t)s * 7919, 32);
		ck_assert_int_eq(nat64_out(nat, &f, 0, 1 * SEC, &a4, &p4), NAT64_OK);
		ck_assert_uint_eq(l.ev[0].kind, NAT64_EV_BLOCK_ADD);
		firsts[s] = l.ev[0].port4;
		nat64_free(nat);
	}
	for (int i = 0; i < 8; i++) {
		bool seen = false;

		for (int j = 0; j < i; j++)
			seen |= firsts[j] == firsts[i];
		distinct += !seen;
	}
	ck_assert_int_ge(distinct, 6); /* 1008 slots: a collision or two at most */
}
END_TEST

/* A block goes back when the last session on its ports ends, not before. */
START_TEST(blocks_released_with_last_session)
{
	static struct evlog l;
	struct nat64 *nat;
	struct nat64_stats st;
	uint32_t a4;
	uint16_t p4;
	struct nat64_flow6 f1 = udp_flow(2, 20000), f2 = udp_flow(2, 20001);

	l.n = 0;
	nat = table(&l, 64, 3, 32);
	ck_assert_int_eq(nat64_out(nat, &f1, 0, 1 * SEC, &a4, &p4), NAT64_OK);
	ck_assert_int_eq(nat64_out(nat, &f2, 0, 200 * SEC, &a4, &p4), NAT64_OK);
	ck_assert_uint_eq(count_kind(&l, NAT64_EV_BLOCK_ADD), 1);
	nat64_expire(nat, 350 * SEC); /* f1 ends, f2 lives */
	ck_assert_uint_eq(count_kind(&l, NAT64_EV_BIB_DEL), 1);
	ck_assert_uint_eq(count_kind(&l, NAT64_EV_BLOCK_DEL), 0);
	nat64_expire(nat, 600 * SEC);
	ck_assert_uint_eq(count_kind(&l, NAT64_EV_BLOCK_DEL), 1);
	ck_assert_uint_eq(l.ev[l.n - 1].kind, NAT64_EV_BLOCK_DEL);
	nat64_get_stats(nat, &st);
	ck_assert_uint_eq(st.blocks[1], 0);
	/* the ports went back: the whole pool can be taken in blocks again */
	for (unsigned i = 0; i < 64 * 1008; i++) {
		struct nat64_flow6 f = udp_flow(4 + i / 64, (uint16_t)(1024 + i % 64));

		ck_assert_int_eq(nat64_out(nat, &f, 0, 700 * SEC, &a4, &p4), NAT64_OK);
	}
	nat64_free(nat);
}
END_TEST

/* Blocks are re-derived on import: a saved (T,t) lands in the block that
 * holds it. */
static int save_one(const struct nat64_saved_session *s, void *arg)
{
	struct nat64_saved_session *out = arg;

	*out = *s;
	return 1;
}

START_TEST(blocks_rederived_on_import)
{
	static struct evlog l;
	struct nat64 *a, *b;
	struct nat64_saved_session s;
	struct nat64_import_stats is = {0};
	struct nat64_flow6 f = udp_flow(2, 20000), g = udp_flow(2, 20001);
	uint32_t a4, b4;
	uint16_t p4, q4;

	l.n = 0;
	a = table(&l, 64, 5, 32);
	ck_assert_int_eq(nat64_out(a, &f, 0, 1 * SEC, &a4, &p4), NAT64_OK);
	ck_assert_int_eq(nat64_export(a, 1 * SEC, save_one, &s), 1);
	nat64_free(a);
	l.n = 0;
	b = table(&l, 64, 99, 32);
	ck_assert_int_eq(nat64_import(b, &s, 1, 1 * SEC, &is), NAT64_OK);
	ck_assert_uint_eq(is.bib, 1);
	ck_assert_uint_eq(count_kind(&l, NAT64_EV_BLOCK_ADD), 1);
	ck_assert_uint_le(l.ev[0].port4, p4);
	ck_assert_uint_ge(l.ev[0].port4_last, p4);
	/* the next flow of the client takes its port from that block */
	ck_assert_int_eq(nat64_out(b, &g, 0, 2 * SEC, &b4, &q4), NAT64_OK);
	ck_assert_uint_eq(b4, a4);
	ck_assert_uint_ge(q4, l.ev[0].port4);
	ck_assert_uint_le(q4, l.ev[0].port4_last);
	ck_assert_uint_eq(count_kind(&l, NAT64_EV_BLOCK_ADD), 1);
	nat64_free(b);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sesslog");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, ring_full_counts_lost);
	tcase_add_test(tc, ring_many_producers);
	tcase_add_test(tc, line_text_exact);
	tcase_add_test(tc, json_text_exact);
	tcase_add_test(tc, which_lines);
	tcase_add_test(tc, events_per_port);
	tcase_add_test(tc, blocks_consecutive_same_address);
	tcase_add_test(tc, blocks_unpredictable);
	tcase_add_test(tc, blocks_released_with_last_session);
	tcase_add_test(tc, blocks_rederived_on_import);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
