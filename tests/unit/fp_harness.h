/* SPDX-License-Identifier: BSD-2-Clause */
/* Running the tc fast path against the C core, shared by test_fastpath and
 * the differential fuzz target fuzz_fastpath: the program loaded and
 * attached to a tun in a network namespace of its own, one packet through
 * it by BPF_PROG_TEST_RUN, the session a core translation implies, and the
 * program's settings from the core's configuration. No check.h: errors
 * come back as return values. Needs root (BPF, a tun device). */
#ifndef TUN64_TEST_FP_HARNESS_H
#define TUN64_TEST_FP_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#include "fastpath.h"
#include "xlat.h"

#define FP_ETH_LEN 14 /* BPF_PROG_TEST_RUN runs tc programs on Ethernet frames */
#define FP_PKT_MAX 9100
/* The largest frame BPF_PROG_TEST_RUN takes for a tc program: a page less
 * the skb's headroom and shared info. */
#define FP_TEST_RUN_MAX 3700

struct fp_run {
	uint32_t retval;
	uint8_t pkt[FP_ETH_LEN + FP_PKT_MAX];
	size_t len;                     /* the IP packet, moved to pkt[0] */
	uint64_t moved[FP_COUNTER_MAX]; /* counters moved by this run */
};

/* A new network namespace with a tun "fp0", the program loaded, attached
 * to it and set for test frames. 0 or a negative errno. */
int fp_harness_open(struct fastpath **fp, int *ifindex);

/* in (an IP packet of len <= FP_TEST_RUN_MAX - FP_ETH_LEN) through the
 * program as a frame from ifindex (gso_size: as a GSO packet). 0 or a
 * negative errno. */
int fp_harness_run(struct fastpath *fp, int ifindex, const uint8_t *in, size_t len,
                   uint16_t gso_size, struct fp_run *o);

/* The session that made in/out, one packet translated by the core (either
 * direction): what tun64d would copy into the map from its own table. */
void fp_harness_session_of(const uint8_t *in, const uint8_t *out, struct fastpath_session *s);

/* The program's settings from a core configuration. */
void fp_harness_settings(const struct xlat_config *cfg, struct fastpath_settings *s);

#endif
