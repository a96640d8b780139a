/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for the errors tun64 sends back for packets it discards
 * (icmp-unreachable): RFC 7915 §4.4 and §5.4, RFC 6146 §3.5. Whole packets
 * in, whole error packets out, compared byte for byte with packets built by
 * pkt_helpers (reference checksum). */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "pkt_helpers.h"
#include "xlat.h"
#include "xlat_fixture.h"

#define SF_C6 "2001:db8:6::10"
#define SRV6 "2001:db8:64::cb00:7105" /* 203.0.113.5 */
#define SRV4 "203.0.113.5"
#define OTHER4 "203.0.113.9"
#define T4 "198.51.100.5" /* in pool4, no BIB entry */
#define OWN4_SF "198.51.100.1"
#define OWN6_SF "2001:db8:64::c633:6401"
#define SL_C6 "2001:db8:64::c000:221" /* 192.0.2.33 */
#define SL_C4 "192.0.2.33"
#define OWN4_SL "192.0.2.1"
#define OWN6_SL "2001:db8:64::c000:201"

static struct xlat_fixture *F;

static void stateful_with(const struct xf_nat_params *p)
{
	F = xf_new(XLAT_STATEFUL, OWN4_SF, OWN6_SF);
	xf_add_nat(F, p);
	F->cfg.icmp_unreachable = true;
}

static void stateful_setup(void)
{
	stateful_with(&xf_nat_default);
}

static void adf_setup(void)
{
	struct xf_nat_params p = xf_nat_default;

	p.address_dependent_filtering = true;
	stateful_with(&p);
}

/* One pool4 address and port: the second flow finds none. */
static void tiny_pool_setup(void)
{
	struct xf_nat_params p = {
	    .pool4_len = 32, .port_lo = 2000, .port_hi = 2000, .max_sessions = 1000};

	stateful_with(&p);
}

static void stateless_setup(void)
{
	F = xf_new(XLAT_STATELESS, OWN4_SL, OWN6_SL);
	F->cfg.icmp_unreachable = true;
}

static void teardown(void)
{
	xf_free(F);
}

static size_t udp4(uint8_t *o, const char *src, const char *dst, uint16_t sport, uint16_t dport)
{
	struct tp_ip4 h = {.src = src, .dst = dst, .proto = 17, .ttl = 64, .id = 9};

	return tp_ip4(o, &h, F->l4, tp_udp(F->l4, sport, dport, "query", 5));
}

static size_t udp6(uint8_t *o, const char *src, const char *dst, uint16_t sport, uint16_t dport)
{
	struct tp_ip6 h = {.src = src, .dst = dst, .nh = 17, .hlim = 64};

	return tp_ip6(o, &h, F->l4, tp_udp(F->l4, sport, dport, "query", 5));
}

/* The ICMPv4 error own4 sends to the source of ip4[0..n). */
static size_t err4(const char *own4, uint8_t code, const uint8_t *ip4, size_t n)
{
	struct tp_ip4 h = {.src = own4, .proto = 1, .ttl = 64, .frag = TP_DF};
	static uint8_t icmp[700];
	static char to[16];

	snprintf(to, sizeof(to), "%u.%u.%u.%u", ip4[12], ip4[13], ip4[14], ip4[15]);
	h.dst = to;
	return tp_ip4(F->exp, &h, icmp, tp_icmp(icmp, 3, code, 0, 0, ip4, n));
}

/* The ICMPv6 error own6 sends to src6, the source of ip6[0..n). */
static size_t err6(const char *own6, const char *src6, uint8_t type, uint8_t code, uint32_t rest,
                   const uint8_t *ip6, size_t n)
{
	struct tp_ip6 h = {.src = own6, .dst = src6, .nh = 58, .hlim = 64};
	static uint8_t icmp[1400];

	return tp_ip6(F->exp, &h, icmp,
	              tp_icmp(icmp, type, code, (uint16_t)(rest >> 16), (uint16_t)rest, ip6, n));
}

static void expect_error(enum tun64_dir dir, enum tun64_counter why, size_t en)
{
	ck_assert_int_eq(F->verdict, XLAT_SEND);
	ck_assert(tp_same(F->out, F->out_len, F->exp, en));
	ck_assert(tp_csums_ok(F->out, F->out_len));
	xf_expect_moved(F, dir, CTR_RX, why, CTR_ICMP_ERROR_SENT, CTR_MAX);
}

static void expect_silent(enum tun64_dir dir, enum tun64_counter why)
{
	ck_assert_int_eq(F->verdict, XLAT_DROP);
	xf_expect_moved(F, dir, CTR_RX, why, CTR_MAX);
}

/* ---- IPv4 -> IPv6 (§4.4, RFC 6146 §3.5.1, §3.5.3) ---- */

/* A UDP datagram that no session leads anywhere: Port Unreachable, as a
 * host with that port closed answers (RFC 1122 §4.1.3.1). */
START_TEST(udp_no_state_port_unreachable)
{
	size_t n = udp4(F->in, SRV4, T4, 53, 4000);
	size_t en = err4(OWN4_SF, 3, F->in, n);

	xf_run(F, F->in, n, false);
	expect_error(DIR_4TO6, CTR_DROP_NO_STATE, en);
}
END_TEST

START_TEST(echo_no_state_host_unreachable)
{
	struct tp_ip4 h = {.src = SRV4, .dst = T4, .proto = 1, .ttl = 64};
	size_t n = tp_ip4(F->in, &h, F->l4, tp_icmp(F->l4, 8, 0, 77, 1, "ping", 4));
	size_t en = err4(OWN4_SF, 1, F->in, n);

	xf_run(F, F->in, n, false);
	expect_error(DIR_4TO6, CTR_DROP_NO_STATE, en);
}
END_TEST

/* A TCP segment other than a SYN with no state: silence, as a firewall. */
START_TEST(tcp_no_state_silent)
{
	struct tp_ip4 h = {.src = SRV4, .dst = T4, .proto = 6, .ttl = 64};
	size_t n = tp_ip4(F->in, &h, F->l4, tp_tcp(F->l4, 80, 4000, 1, 1, TP_ACK, NULL, 0));

	xf_run(F, F->in, n, false);
	expect_silent(DIR_4TO6, CTR_DROP_NO_STATE);
}
END_TEST

/* icmp-unreachable no: every one of these is dropped silently. */
START_TEST(disabled_silent)
{
	F->cfg.icmp_unreachable = false;
	xf_run(F, F->in, udp4(F->in, SRV4, T4, 53, 4000), false);
	expect_silent(DIR_4TO6, CTR_DROP_NO_STATE);
	xf_run(F, F->in, udp6(F->in, SF_C6, "2001:db8:64::7f00:1", 4000, 53), false);
	expect_silent(DIR_6TO4, CTR_DROP_NOT_TRANSLATABLE_DST);
}
END_TEST

/* A NAT64 carries TCP, UDP and ICMP: GRE gets Protocol Unreachable. */
START_TEST(unsupported_proto_4to6)
{
	struct tp_ip4 h = {.src = SRV4, .dst = T4, .proto = 47, .ttl = 64};
	uint8_t gre[12] = {0, 0, 0x08, 0};
	size_t n = tp_ip4(F->in, &h, gre, sizeof(gre));
	size_t en = err4(OWN4_SF, 2, F->in, n);

	xf_run(F, F->in, n, false);
	expect_error(DIR_4TO6, CTR_DROP_UNSUPPORTED_PROTO, en);
}
END_TEST

/* Routed into the tun but not a pool4 address: Administratively
 * Prohibited (the §4.4 default). */
START_TEST(not_pool4_admin_prohibited)
{
	size_t n = udp4(F->in, SRV4, "203.0.113.77", 53, 4000);
	size_t en = err4(OWN4_SF, 13, F->in, n);

	xf_run(F, F->in, n, false);
	expect_error(DIR_4TO6, CTR_DROP_NOT_TRANSLATABLE_DST, en);
}
END_TEST

/* RFC 1812 §4.3.2.7: no error about an ICMP error (it has its own path and
 * drops there) or to a multicast or broadcast destination. */
START_TEST(no_error_about_error_or_multicast)
{
	struct tp_ip4 h = {.src = SRV4, .dst = T4, .proto = 1, .ttl = 64};
	uint8_t quote[28] = {0x45};
	size_t n = tp_ip4(F->in, &h, F->l4, tp_icmp(F->l4, 3, 3, 0, 0, quote, sizeof(quote)));

	xf_run(F, F->in, n, false);
	ck_assert_int_eq(F->verdict, XLAT_DROP);
	ck_assert_uint_eq(F->ctr.v[DIR_4TO6][CTR_ICMP_ERROR_SENT], 0);
	F->cfg.mode = XLAT_STATELESS; /* a multicast destination reaches the check */
	xf_run(F, F->in, udp4(F->in, SRV4, "224.0.0.9", 520, 520), false);
	expect_silent(DIR_4TO6, CTR_DROP_NOT_TRANSLATABLE_DST);
	F->cfg.mode = XLAT_STATEFUL;
}
END_TEST

/* Address-dependent filtering refuses a host the client never talked to:
 * Administratively Prohibited (RFC 6146 §3.5.1). */
START_TEST(filtered_admin_prohibited)
{
	char t4[16];
	uint16_t t;
	size_t n, en;

	xf_run(F, F->in, udp6(F->in, SF_C6, SRV6, 4000, 53), false);
	ck_assert_int_eq(F->verdict, XLAT_SEND);
	snprintf(t4, sizeof(t4), "%u.%u.%u.%u", F->out[12], F->out[13], F->out[14], F->out[15]);
	t = (uint16_t)(F->out[20] << 8 | F->out[21]);
	n = udp4(F->in, OTHER4, t4, 53, t);
	en = err4(OWN4_SF, 13, F->in, n);
	xf_run(F, F->in, n, false);
	expect_error(DIR_4TO6, CTR_DROP_FILTERED, en);
}
END_TEST

/* ---- IPv6 -> IPv4 (§5.4, RFC 6146 §3.5.1.1) ---- */

/* No pool4 address and port left for a new flow: Address Unreachable. */
START_TEST(pool4_exhausted_addr_unreachable)
{
	size_t n, en;

	xf_run(F, F->in, udp6(F->in, SF_C6, SRV6, 4000, 53), false);
	ck_assert_int_eq(F->verdict, XLAT_SEND);
	n = udp6(F->in, "2001:db8:6::11", SRV6, 4000, 53);
	en = err6(OWN6_SF, "2001:db8:6::11", 1, 3, 0, F->in, n);
	xf_run(F, F->in, n, false);
	expect_error(DIR_6TO4, CTR_DROP_POOL4_EXHAUSTED, en);
}
END_TEST

/* A protocol a NAT64 does not carry: Parameter Problem, unrecognized Next
 * Header, pointing at the byte that names it (RFC 4443 §3.4): byte 6 of the
 * IPv6 header, or (_i == 1) the first byte of a Destination Options header. */
START_TEST(unsupported_proto_6to4)
{
	uint8_t ext[8] = {132, 0, 1, 4};
	struct tp_ip6 h = {.src = SF_C6, .dst = SRV6, .nh = 132, .hlim = 64};
	uint8_t sctp[16] = {0x0f, 0xa0, 0x00, 0x35};
	size_t n, en;

	if (_i == 1) {
		h.ext = ext;
		h.ext_len = sizeof(ext);
		h.ext_first = 60;
	}
	n = tp_ip6(F->in, &h, sctp, sizeof(sctp));
	en = err6(OWN6_SF, SF_C6, 4, 1, _i ? 40 : 6, F->in, n);
	xf_run(F, F->in, n, false);
	expect_error(DIR_6TO4, CTR_DROP_UNSUPPORTED_PROTO, en);
}
END_TEST

/* RFC 4443 §2.4(e): no error about a packet to a multicast address (the
 * router's own multicast may be routed into the tun), nor about an ICMPv6
 * error, even one in a (here atomic) fragment that escaped the error path. */
START_TEST(no_error_about_multicast_or_error6)
{
	uint8_t ext[8] = {58, 0, 0, 0, 0, 0, 0, 7};
	struct tp_ip6 h = {.src = SF_C6,
	                   .dst = "2001:db8:64::7f00:1",
	                   .nh = 58,
	                   .hlim = 64,
	                   .ext = ext,
	                   .ext_len = sizeof(ext),
	                   .ext_first = 44};
	uint8_t quote[48] = {0x60};

	xf_run(F, F->in, udp6(F->in, SF_C6, "ff05::c", 1900, 1900), false);
	expect_silent(DIR_6TO4, CTR_DROP_NOT_TRANSLATABLE_DST);
	xf_run(F, F->in, tp_ip6(F->in, &h, F->l4, tp_icmp(F->l4, 1, 4, 0, 0, quote, sizeof(quote))),
	       false);
	ck_assert_int_eq(F->verdict, XLAT_DROP);
	ck_assert_uint_eq(F->ctr.v[DIR_6TO4][CTR_ICMP_ERROR_SENT], 0);
}
END_TEST

/* Stateless: a destination inside the prefix that stands for no routable
 * IPv4 address (127.0.0.1): Administratively Prohibited (§5.4). */
START_TEST(stateless_martian_admin_prohibited)
{
	size_t n = udp6(F->in, SL_C6, "2001:db8:64::7f00:1", 4000, 53);
	size_t en = err6(OWN6_SL, SL_C6, 1, 1, 0, F->in, n);

	xf_run(F, F->in, n, false);
	expect_error(DIR_6TO4, CTR_DROP_NOT_TRANSLATABLE_DST, en);
}
END_TEST

/* Errors go through the same rate limit as the others. */
START_TEST(rate_limited)
{
	F->cfg.icmp_error_rate = 1;
	F->cfg.icmp_error_burst = 1;
	xf_run(F, F->in, udp4(F->in, SRV4, T4, 53, 4000), false);
	ck_assert_int_eq(F->verdict, XLAT_SEND);
	xf_run(F, F->in, udp4(F->in, SRV4, T4, 53, 4000), false);
	ck_assert_int_eq(F->verdict, XLAT_DROP);
	xf_expect_moved(F, DIR_4TO6, CTR_RX, CTR_DROP_NO_STATE, CTR_DROP_ICMP_RATELIMIT, CTR_MAX);
}
END_TEST

static Suite *unreach_suite(void)
{
	Suite *s = suite_create("unreach");
	TCase *sf = tcase_create("stateful");
	TCase *adf = tcase_create("adf");
	TCase *tiny = tcase_create("tiny-pool");
	TCase *sl = tcase_create("stateless");

	tcase_add_checked_fixture(sf, stateful_setup, teardown);
	tcase_add_test(sf, udp_no_state_port_unreachable);
	tcase_add_test(sf, echo_no_state_host_unreachable);
	tcase_add_test(sf, tcp_no_state_silent);
	tcase_add_test(sf, disabled_silent);
	tcase_add_test(sf, unsupported_proto_4to6);
	tcase_add_test(sf, not_pool4_admin_prohibited);
	tcase_add_test(sf, no_error_about_error_or_multicast);
	tcase_add_loop_test(sf, unsupported_proto_6to4, 0, 2);
	tcase_add_test(sf, rate_limited);
	tcase_add_test(sf, no_error_about_multicast_or_error6);
	suite_add_tcase(s, sf);
	tcase_add_checked_fixture(adf, adf_setup, teardown);
	tcase_add_test(adf, filtered_admin_prohibited);
	suite_add_tcase(s, adf);
	tcase_add_checked_fixture(tiny, tiny_pool_setup, teardown);
	tcase_add_test(tiny, pool4_exhausted_addr_unreachable);
	suite_add_tcase(s, tiny);
	tcase_add_checked_fixture(sl, stateless_setup, teardown);
	tcase_add_test(sl, stateless_martian_admin_prohibited);
	suite_add_tcase(s, sl);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(unreach_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
