/* SPDX-License-Identifier: BSD-2-Clause */
/* Shared by the libFuzzer targets: one translator configuration per mode
 * (index 0 stateful, 1 stateless) with the documentation addresses the unit
 * and end-to-end tests use, and checks on what xlat_packet() sends. */
#ifndef TUN64_FUZZ_COMMON_H
#define TUN64_FUZZ_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nat64.h"
#include "xlat.h"

/* pool4 198.51.100.0/28 ports 1024-1100 (a small range, so that the fuzzer
 * can exhaust it); translation prefix 2001:db8:64::/96. */
#define FUZZ_POOL4 0xc6336400u /* 198.51.100.0 */
#define FUZZ_OWN4 0xc6336401u  /* 198.51.100.1 */

extern const struct nat64_config fuzz_nat64_config;

/* The two translator configurations, built on first use. */
const struct xlat_config *fuzz_xlat_config(bool stateless);

/* Is out/out_len, returned with XLAT_SEND, a plausible packet inside the
 * packet buffer or ctx->scratch? */
bool fuzz_output_in_bounds(const struct xlat_ctx *ctx, const uint8_t *buf, size_t buf_size,
                           const uint8_t *out, size_t out_len);

/* Do the IP length fields match out_len, and (for unfragmented ICMP and
 * ICMPv6, whose input checksums the fuzz target made valid) is the
 * checksum right by the reference checksum in tests/unit/pkt_helpers.c? */
bool fuzz_output_consistent(const uint8_t *out, size_t out_len);

#endif
