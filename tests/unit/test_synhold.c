/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for held IPv4 SYNs (translator/nat64/synhold.c and its use in
 * xlat.c): RFC 6146 §3.5.2.2 and RFC 5382 REQ-4. An IPv4 SYN with no state
 * is not answered for 6 s; an IPv6 SYN to its sender cancels it silently;
 * else the sender gets an ICMP Port Unreachable quoting it. */
#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "pkt_helpers.h"
#include "synhold.h"
#include "xlat.h"
#include "xlat_fixture.h"

#define SF_C6 "2001:db8:6::10"
#define SRV6 "2001:db8:64::cb00:7105" /* 203.0.113.5 */
#define SRV4 "203.0.113.5"
#define OTHER4 "203.0.113.9"
#define T4 "198.51.100.5" /* in pool4, no BIB entry */
#define OWN4 "198.51.100.1"
#define OWN6 "2001:db8:64::c633:6401"

static struct xlat_fixture *F;

static void setup_with(bool adf, unsigned slots)
{
	struct xf_nat_params p = xf_nat_default;

	p.address_dependent_filtering = adf;
	F = xf_new(XLAT_STATEFUL, OWN4, OWN6);
	F->cfg.icmp_unreachable = true; /* the default of the config */
	xf_add_nat(F, &p);
	F->ctx.synhold = synhold_new(slots);
	ck_assert_ptr_nonnull(F->ctx.synhold);
}

static void setup(void)
{
	setup_with(false, 0);
}

static void setup_two_slots(void)
{
	setup_with(false, 2);
}

static void setup_adf(void)
{
	setup_with(true, 0);
}

static void teardown(void)
{
	synhold_free(F->ctx.synhold);
	xf_free(F);
}

/* An IPv4 TCP segment from (src, sport) to (dst, dport) into F->in. */
static size_t tcp4(const char *src, uint16_t sport, const char *dst, uint16_t dport, uint8_t flags)
{
	struct tp_ip4 h = {.src = src, .dst = dst, .proto = 6, .ttl = 64, .id = 77};
	size_t n = tp_tcp(F->l4, sport, dport, 5000, flags & TP_ACK ? 1 : 0, flags, NULL, 0);

	return tp_ip4(F->in, &h, F->l4, n);
}

static size_t tcp6(const char *src, uint16_t sport, const char *dst, uint16_t dport, uint8_t flags)
{
	struct tp_ip6 h = {.src = src, .dst = dst, .nh = 6, .hlim = 64};
	size_t n = tp_tcp(F->l4, sport, dport, 9000, 0, flags, NULL, 0);

	return tp_ip6(F->in, &h, F->l4, n);
}

/* The error tun64d owes the sender of the IPv4 SYN syn[0..n): own4 to
 * its source, Destination Unreachable / Port Unreachable quoting it. */
static size_t port_unreach(uint8_t *out, const uint8_t *syn, size_t n)
{
	struct tp_ip4 h = {.dst = NULL, .src = OWN4, .proto = 1, .ttl = 64, .frag = TP_DF};
	static uint8_t icmp[600];
	static char dst[16];
	size_t in;

	snprintf(dst, sizeof(dst), "%u.%u.%u.%u", syn[12], syn[13], syn[14], syn[15]);
	h.dst = dst;
	in = tp_icmp(icmp, 3, 3, 0, 0, syn, n);
	return tp_ip4(out, &h, icmp, in);
}

static enum xlat_verdict expire_at(uint64_t now_ms)
{
	F->ctx.now_ms = now_ms;
	return xlat_syn_expire(&F->ctx, &F->out, &F->out_len);
}

START_TEST(held_then_port_unreachable)
{
	uint8_t syn[100];
	size_t n = tcp4(SRV4, 5555, T4, 4000, TP_SYN), en;

	memcpy(syn, F->in, n);
	xf_run(F, F->in, n, false);
	ck_assert_int_eq(F->verdict, XLAT_DROP);
	xf_expect_only(F, DIR_4TO6, CTR_RX, CTR_SYN_HELD, CTR_MAX);
	ck_assert_uint_eq(synhold_count(F->ctx.synhold), 1);
	/* not answered before its 6 s (RFC 5382 REQ-4: "at least 6 seconds") */
	ck_assert_int_eq(expire_at(1000 + SYNHOLD_MS - 1), XLAT_DROP);
	ck_assert_int_eq(expire_at(1000 + SYNHOLD_MS), XLAT_SEND);
	en = port_unreach(F->exp, syn, n);
	ck_assert(tp_same(F->out, F->out_len, F->exp, en));
	ck_assert(tp_csums_ok(F->out, F->out_len));
	ck_assert_uint_eq(F->ctr.v[DIR_4TO6][CTR_ICMP_ERROR_SENT], 1);
	ck_assert_int_eq(expire_at(1000 + 2 * SYNHOLD_MS), XLAT_DROP); /* once */
	ck_assert_uint_eq(synhold_count(F->ctx.synhold), 0);
}
END_TEST

/* Simultaneous open: the IPv6 host's SYN to (Z,z) gets a new mapping, and
 * it is the (T,t) the IPv4 SYN was sent to, so the two SYNs cross and the
 * connection opens; the held IPv4 SYN is dropped without an answer. */
START_TEST(ipv6_syn_cancels)
{
	static const uint8_t t4[4] = {198, 51, 100, 5};

	xf_run(F, F->in, tcp4(SRV4, 5555, T4, 4000, TP_SYN), false);
	ck_assert_uint_eq(F->ctr.v[DIR_4TO6][CTR_SYN_HELD], 1);
	F->ctx.now_ms += 2000;
	xf_run(F, F->in, tcp6(SF_C6, 4000, SRV6, 5555, TP_SYN), false);
	ck_assert_int_eq(F->verdict, XLAT_SEND);
	xf_expect_moved(F, DIR_6TO4, CTR_RX, CTR_TRANSLATED, CTR_SYN_HOLD_MATCHED, CTR_MAX);
	ck_assert_mem_eq(F->out + 12, t4, 4);                  /* T */
	ck_assert_uint_eq(F->out[20] << 8 | F->out[21], 4000); /* t */
	ck_assert_int_eq(expire_at(1000 + 2 * SYNHOLD_MS), XLAT_DROP);
	ck_assert_uint_eq(F->ctr.v[DIR_4TO6][CTR_ICMP_ERROR_SENT], 0);
}
END_TEST

/* A client whose mapping exists already opens to (Z,z) from another (T,t):
 * not the held connection, which still gets its Port Unreachable. */
START_TEST(existing_mapping_keeps_hold)
{
	xf_run(F, F->in, tcp6(SF_C6, 4000, SRV6, 80, TP_SYN), false); /* the mapping */
	ck_assert_int_eq(F->verdict, XLAT_SEND);
	ck_assert(
	    !(F->out[12] == 198 && F->out[15] == 5 && F->out[20] == 0x0f && F->out[21] == 0xa0));
	xf_run(F, F->in, tcp4(SRV4, 5555, T4, 4000, TP_SYN), false);
	ck_assert_uint_eq(F->ctr.v[DIR_4TO6][CTR_SYN_HELD], 1);
	xf_run(F, F->in, tcp6(SF_C6, 4000, SRV6, 5555, TP_SYN), false);
	ck_assert_int_eq(F->verdict, XLAT_SEND);
	ck_assert_uint_eq(F->ctr.v[DIR_6TO4][CTR_SYN_HOLD_MATCHED], 0);
	ck_assert_int_eq(expire_at(1000 + SYNHOLD_MS), XLAT_SEND);
}
END_TEST

/* An IPv6 SYN to another peer, or to another port of it, cancels nothing. */
START_TEST(other_ipv6_syn_keeps_hold)
{
	xf_run(F, F->in, tcp4(SRV4, 5555, T4, 4000, TP_SYN), false);
	xf_run(F, F->in, tcp6(SF_C6, 4000, SRV6, 5556, TP_SYN), false);
	ck_assert_int_eq(F->verdict, XLAT_SEND);
	ck_assert_uint_eq(F->ctr.v[DIR_6TO4][CTR_SYN_HOLD_MATCHED], 0);
	ck_assert_int_eq(expire_at(1000 + SYNHOLD_MS), XLAT_SEND);
}
END_TEST

/* A retransmitted SYN is held once and keeps the first deadline; when the
 * slots are full a further SYN is dropped as before (drop-no-state). */
START_TEST(retransmission_and_full_table)
{
	xf_run(F, F->in, tcp4(SRV4, 5555, T4, 4000, TP_SYN), false);
	F->ctx.now_ms = 4000;
	xf_run(F, F->in, tcp4(SRV4, 5555, T4, 4000, TP_SYN), false);
	ck_assert_uint_eq(synhold_count(F->ctx.synhold), 1);
	xf_run(F, F->in, tcp4(SRV4, 5556, T4, 4000, TP_SYN), false);
	xf_run(F, F->in, tcp4(SRV4, 5557, T4, 4000, TP_SYN), false);
	ck_assert_int_eq(F->verdict, XLAT_DROP);
	xf_expect_moved(F, DIR_4TO6, CTR_RX, CTR_DROP_NO_STATE, CTR_MAX);
	ck_assert_uint_eq(synhold_count(F->ctx.synhold), 2);
	ck_assert_int_eq(expire_at(1000 + SYNHOLD_MS), XLAT_SEND); /* the first deadline */
	ck_assert_int_eq(expire_at(1000 + SYNHOLD_MS), XLAT_DROP); /* 5556 came at 4000 */
	ck_assert_int_eq(expire_at(4000 + SYNHOLD_MS), XLAT_SEND);
	ck_assert_int_eq(expire_at(4000 + SYNHOLD_MS), XLAT_DROP);
}
END_TEST

/* Only a bare SYN may open a connection: SYN+ACK, ACK, RST with no state
 * are dropped at once, as before, and UDP is not held. */
static const uint8_t not_held_flags[] = {TP_SYN | TP_ACK, TP_ACK, TP_RST, TP_SYN | TP_RST};

START_TEST(only_bare_syn_held)
{
	struct tp_ip4 h = {.src = SRV4, .dst = T4, .proto = 17, .ttl = 64};

	xf_run(F, F->in, tcp4(SRV4, 5555, T4, 4000, not_held_flags[_i]), false);
	xf_expect_only(F, DIR_4TO6, CTR_RX, CTR_DROP_NO_STATE, CTR_MAX);
	xf_run(F, F->in, tp_ip4(F->in, &h, F->l4, tp_udp(F->l4, 5555, 4000, "x", 1)), false);
	/* UDP gets Host Unreachable at once (test_unreach), not a hold */
	xf_expect_moved(F, DIR_4TO6, CTR_RX, CTR_DROP_NO_STATE, CTR_ICMP_ERROR_SENT, CTR_MAX);
	ck_assert_uint_eq(synhold_count(F->ctx.synhold), 0);
}
END_TEST

/* Address-dependent filtering: the BIB entry exists but (Z,z) has no
 * session with it; the SYN is held too, and the client's SYN to (Z,z)
 * through the same mapping then completes the simultaneous open. */
START_TEST(filtered_syn_held)
{
	char t4[16];
	uint16_t t;

	xf_run(F, F->in, tcp6(SF_C6, 4000, SRV6, 80, TP_SYN), false);
	ck_assert_int_eq(F->verdict, XLAT_SEND);
	snprintf(t4, sizeof(t4), "%u.%u.%u.%u", F->out[12], F->out[13], F->out[14], F->out[15]);
	t = (uint16_t)(F->out[20] << 8 | F->out[21]);
	xf_run(F, F->in, tcp4(OTHER4, 7777, t4, t, TP_SYN), false);
	xf_expect_moved(F, DIR_4TO6, CTR_RX, CTR_SYN_HELD, CTR_MAX);
	xf_run(F, F->in, tcp6(SF_C6, 4000, "2001:db8:64::cb00:7109", 7777, TP_SYN), false);
	ck_assert_int_eq(F->verdict, XLAT_SEND);
	ck_assert_uint_eq(F->ctr.v[DIR_6TO4][CTR_SYN_HOLD_MATCHED], 1);
	ck_assert_int_eq(expire_at(1000 + SYNHOLD_MS), XLAT_DROP);
}
END_TEST

/* icmp-unreachable no: the SYN is still held for a simultaneous open, then
 * dropped without a word. */
START_TEST(held_then_silent_when_disabled)
{
	F->cfg.icmp_unreachable = false;
	xf_run(F, F->in, tcp4(SRV4, 5555, T4, 4000, TP_SYN), false);
	xf_run(F, F->in, tcp4(SRV4, 5556, T4, 4000, TP_SYN), false);
	ck_assert_uint_eq(synhold_count(F->ctx.synhold), 2);
	ck_assert_int_eq(expire_at(1000 + SYNHOLD_MS), XLAT_DROP);
	ck_assert_uint_eq(synhold_count(F->ctx.synhold), 0);
	ck_assert_uint_eq(F->ctr.v[DIR_4TO6][CTR_ICMP_ERROR_SENT], 0);
}
END_TEST

/* Without a table (tun64d --translate, the fuzzers) nothing is held. */
START_TEST(no_table_drops)
{
	synhold_free(F->ctx.synhold);
	F->ctx.synhold = NULL;
	xf_run(F, F->in, tcp4(SRV4, 5555, T4, 4000, TP_SYN), false);
	xf_expect_only(F, DIR_4TO6, CTR_RX, CTR_DROP_NO_STATE, CTR_MAX);
	ck_assert_int_eq(expire_at(1000 + SYNHOLD_MS), XLAT_DROP);
}
END_TEST

/* The table on its own: the quote is cut to what an ICMPv4 error holds. */
START_TEST(long_syn_cut_to_quote)
{
	struct synhold *h = synhold_new(1);
	static uint8_t pkt[1500], out[1500];

	tp_fill(pkt, sizeof(pkt), 5);
	ck_assert(synhold_add(h, pkt, sizeof(pkt), 1, 2, 3, 4, 0));
	ck_assert(!synhold_add(h, pkt, sizeof(pkt), 1, 2, 3, 5, 0));
	ck_assert_uint_eq(synhold_expire(h, SYNHOLD_MS, out, sizeof(out)), SYNHOLD_QUOTE_MAX);
	ck_assert_mem_eq(out, pkt, SYNHOLD_QUOTE_MAX);
	ck_assert_uint_eq(synhold_cancel(h, 1, 2, 3, 4), 0);
	synhold_free(h);
}
END_TEST

/* The table's bound holds whatever shards the senders hash to. */
START_TEST(bound_over_shards)
{
	struct synhold *h = synhold_new(0);
	static uint8_t pkt[60], out[60];
	unsigned held = 0, n = 0;

	for (uint32_t z = 0; z < 1000; z++)
		held +=
		    synhold_add(h, pkt, sizeof(pkt), 0xcb007100 + z, (uint16_t)(1000 + z), 3, 4, 0);
	ck_assert_uint_eq(held, SYNHOLD_SLOTS);
	ck_assert_uint_eq(synhold_count(h), SYNHOLD_SLOTS);
	while (synhold_expire(h, SYNHOLD_MS, out, sizeof(out)))
		n++;
	ck_assert_uint_eq(n, SYNHOLD_SLOTS);
	ck_assert_uint_eq(synhold_count(h), 0);
	synhold_free(h);
}
END_TEST

/* Workers holding, finding and cancelling SYNs while another expires them
 * (run under TSAN by tests/sanitize.sh): every SYN held leaves exactly once. */
#define HOLD_THREADS 4
#define HOLD_PER_THREAD 3000

struct hold_race {
	struct synhold *h;
	uint32_t id;
	unsigned held, cancelled;
};

static atomic_uint expired_total;
static atomic_bool racers_done;

static void *hold_racer(void *p)
{
	struct hold_race *a = p;
	static const uint8_t pkt[40];

	for (uint32_t i = 0; i < HOLD_PER_THREAD; i++) {
		uint32_t z4 = 0xc6336400 + (a->id << 16) + i;
		uint32_t t4;
		uint16_t t;

		a->held += synhold_add(a->h, pkt, sizeof(pkt), z4, 80, 7, (uint16_t)i, i);
		if (synhold_find(a->h, z4, 80, &t4, &t))
			ck_assert_uint_eq(t4, 7);
		if (i % 2)
			a->cancelled += synhold_cancel(a->h, z4, 80, 7, (uint16_t)i);
	}
	return NULL;
}

static void *hold_expirer(void *p)
{
	struct synhold *h = p;
	uint8_t out[64];

	while (!atomic_load(&racers_done))
		while (synhold_expire(h, UINT64_MAX, out, sizeof(out)))
			atomic_fetch_add(&expired_total, 1);
	return NULL;
}

START_TEST(threads_hold_cancel_expire)
{
	struct synhold *h = synhold_new(0);
	struct hold_race a[HOLD_THREADS];
	pthread_t th[HOLD_THREADS], ex;
	unsigned held = 0, cancelled = 0;
	uint8_t out[64];

	atomic_store(&expired_total, 0);
	atomic_store(&racers_done, false);
	ck_assert_int_eq(pthread_create(&ex, NULL, hold_expirer, h), 0);
	for (uint32_t i = 0; i < HOLD_THREADS; i++) {
		a[i] = (struct hold_race){.h = h, .id = i};
		ck_assert_int_eq(pthread_create(&th[i], NULL, hold_racer, &a[i]), 0);
	}
	for (int i = 0; i < HOLD_THREADS; i++) {
		pthread_join(th[i], NULL);
		held += a[i].held;
		cancelled += a[i].cancelled;
	}
	atomic_store(&racers_done, true);
	pthread_join(ex, NULL);
	while (synhold_expire(h, UINT64_MAX, out, sizeof(out)))
		atomic_fetch_add(&expired_total, 1);
	ck_assert_uint_gt(held, 0);
	ck_assert_uint_eq(held, cancelled + atomic_load(&expired_total));
	ck_assert_uint_eq(synhold_count(h), 0);
	synhold_free(h);
}
END_TEST

static Suite *synhold_suite(void)
{
	Suite *s = suite_create("synhold");
	TCase *tc = tcase_create("held");
	TCase *small = tcase_create("two-slots");
	TCase *adf = tcase_create("adf");
	TCase *table = tcase_create("table");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, held_then_port_unreachable);
	tcase_add_test(tc, ipv6_syn_cancels);
	tcase_add_test(tc, other_ipv6_syn_keeps_hold);
	tcase_add_test(tc, existing_mapping_keeps_hold);
	tcase_add_loop_test(tc, only_bare_syn_held, 0, (int)sizeof(not_held_flags));
	tcase_add_test(tc, no_table_drops);
	tcase_add_test(tc, held_then_silent_when_disabled);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(small, setup_two_slots, teardown);
	tcase_add_test(small, retransmission_and_full_table);
	suite_add_tcase(s, small);
	tcase_add_checked_fixture(adf, setup_adf, teardown);
	tcase_add_test(adf, filtered_syn_held);
	suite_add_tcase(s, adf);
	tcase_add_test(table, long_syn_cut_to_quote);
	tcase_add_test(table, bound_over_shards);
	tcase_add_test(table, threads_hold_cancel_expire);
	suite_add_tcase(s, table);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(synhold_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
