/* SPDX-License-Identifier: BSD-2-Clause */
/* Shared configuration and output checks of the fuzz targets. */
#include "fuzz_common.h"

#include <string.h>

#include "../unit/pkt_helpers.h"

#define IPV4_MF 0x2000
#define IPV4_OFFSET_MASK 0x1fff

static const struct pool4_range fuzz_pool4 = {
    .addr = FUZZ_POOL4, .len = 28, .port_lo = 1024, .port_hi = 1100};
static const struct prefix4 fuzz_pool4_prefix = {.addr = FUZZ_POOL4, .len = 28};

const struct nat64_config fuzz_nat64_config = {
    .pool4 = &fuzz_pool4,
    .n_pool4 = 1,
    .timeout_udp = 300,
    .timeout_tcp_est = 7440,
    .timeout_tcp_trans = 240,
    .timeout_icmp = 60,
    .max_sessions = 64,
    .seed = 1,
};

static void build_config(struct xlat_config *c, bool stateless)
{
	static const uint8_t prefix[16] = {0x20, 0x01, 0x0d, 0xb8, 0x00, 0x64};

	memset(c, 0, sizeof(*c));
	memcpy(c->pool6.addr, prefix, 16);
	c->pool6.len = 96;
	c->mode = stateless ? XLAT_STATELESS : XLAT_STATEFUL;
	c->pool4 = &fuzz_pool4_prefix;
	c->n_pool4 = stateless ? 0 : 1;
	c->own4 = FUZZ_OWN4;
	rfc6052_embed(&c->pool6, c->own4, c->own6);
	c->mtu = 1500;
	c->lowest_ipv6_mtu = 1280;
	c->icmp_unreachable = true; /* the default: discarded packets are answered */
}

const struct xlat_config *fuzz_xlat_config(bool stateless)
{
	static struct xlat_config cfg[2];
	static bool ready;

	if (!ready) {
		build_config(&cfg[0], false);
		build_config(&cfg[1], true);
		ready = true;
	}
	return &cfg[stateless];
}

static bool inside(const uint8_t *p, size_t len, const uint8_t *area, size_t area_len)
{
	return p >= area && len <= area_len && (size_t)(p - area) <= area_len - len;
}

bool fuzz_output_in_bounds(const struct xlat_ctx *ctx, const uint8_t *buf, size_t buf_size,
                           const uint8_t *out, size_t out_len)
{
	if (!inside(out, out_len, buf, buf_size) &&
	    !inside(out, out_len, ctx->scratch, XLAT_SCRATCH) &&
	    !inside(out, out_len, ctx->split, XLAT_SPLIT_MAX)) /* XLAT_SEND_MANY */
		return false;
	return out_len >= 20 && ((out[0] >> 4) == 4 || (out[0] >> 4) == 6);
}

static bool ipv4_consistent(const uint8_t *p, size_t len)
{
	uint16_t frag;

	if ((size_t)(p[2] << 8 | p[3]) != len)
		return false;
	frag = (uint16_t)(p[6] << 8 | p[7]);
	if (p[9] != 1 || (frag & (IPV4_MF | IPV4_OFFSET_MASK)))
		return ref_sum16(p, (size_t)(p[0] & 0x0f) * 4) == 0xffff;
	return tp_csums_ok(p, len);
}

static bool ipv6_consistent(const uint8_t *p, size_t len)
{
	if (len < 40 || (size_t)(p[4] << 8 | p[5]) + 40 != len)
		return false;
	if (p[6] != 58)
		return true; /* extension headers: not followed here */
	return tp_csums_ok(p, len);
}

bool fuzz_output_consistent(const uint8_t *out, size_t out_len)
{
	if ((out[0] >> 4) == 4)
		return out_len >= 20 && (out[0] & 0x0f) >= 5 &&
		       (size_t)(out[0] & 0x0f) * 4 <= out_len && ipv4_consistent(out, out_len);
	return ipv6_consistent(out, out_len);
}
