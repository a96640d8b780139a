/* SPDX-License-Identifier: BSD-2-Clause */
/* The translator test fixture shared by the xlat_packet unit tests: a
 * configuration under 2001:db8:64::/96, optional NAT64 state and fragment
 * table, counters, a packet buffer with headroom, and checks on which
 * counters moved. Each test owns one struct xlat_fixture from xf_new() to
 * xf_free(). */
#ifndef TUN64_TEST_XLAT_FIXTURE_H
#define TUN64_TEST_XLAT_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nat64.h"
#include "xlat.h"

/* Room for the largest IPv6 packet (40 + 65535) and then some. */
#define XF_BIG 70000

struct xlat_fixture {
	struct xlat_config cfg;
	struct prefix4 pool4;
	struct pool4_range range;
	struct tun64_counters ctr;
	struct tun64_counters before; /* snapshot taken by xf_run() */
	struct xlat_ctx ctx;
	struct xlat_pkt pkt;
	const uint8_t *out;
	size_t out_len;
	enum xlat_verdict verdict;
	uint8_t buf[XLAT_HEADROOM + XF_BIG];
	uint8_t in[XF_BIG];  /* the packet a test builds */
	uint8_t l4[XF_BIG];  /* its transport part, while building */
	uint8_t exp[XF_BIG]; /* the packet a test expects */
};

/* pool4 198.51.100.0/len and the NAT64 table over it (ports lo..hi). */
struct xf_nat_params {
	uint8_t pool4_len;
	uint16_t port_lo, port_hi;
	uint64_t max_sessions;
	bool address_dependent_filtering;
};

/* pool4 198.51.100.0/28, all ports above 1023, 1000 sessions, no ADF. */
extern const struct xf_nat_params xf_nat_default;

/* A zeroed fixture in mode with the prefix 2001:db8:64::/96, own4 and own6
 * (text), mtu 1500, lowest-ipv6-mtu 1280, now 1000 ms. Asserts on failure. */
struct xlat_fixture *xf_new(enum xlat_mode mode, const char *own4, const char *own6);
/* Stateful mode: pool4 in cfg and a NAT64 table in ctx. */
void xf_add_nat(struct xlat_fixture *f, const struct xf_nat_params *p);
/* A fragment table in ctx. */
void xf_add_frags(struct xlat_fixture *f);
/* Frees the NAT64 table, fragment table, EAM table (cfg.eam) and f. */
void xf_free(struct xlat_fixture *f);

/* Copies p into f->buf after the headroom, snapshots the counters into
 * f->before, and runs xlat_packet; the result is in verdict, out, out_len. */
enum xlat_verdict xf_run(struct xlat_fixture *f, const uint8_t *p, size_t len, bool csum_partial);

/* Every counter of both directions equals want[dir][counter] plus its value
 * in base (NULL: zero). One failure message lists all that differ. */
void xf_expect_counters(const struct xlat_fixture *f, const struct tun64_counters *base,
                        const uint64_t want[DIR_MAX][CTR_MAX]);
/* All counters are zero except the listed ones of dir (ended by CTR_MAX),
 * which are exactly 1. */
void xf_expect_only(const struct xlat_fixture *f, enum tun64_dir dir, ...);
/* Since the last xf_run() the listed counters of dir (ended by CTR_MAX)
 * moved by exactly 1 and no other counter moved. */
void xf_expect_moved(const struct xlat_fixture *f, enum tun64_dir dir, ...);

#endif
