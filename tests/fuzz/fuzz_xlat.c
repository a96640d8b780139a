/* libFuzzer target: runs a sequence of packets through xlat_packet() with one
 * stateful and one stateless translator, so that state built by one packet
 * (BIB, sessions) is exercised by the next.
 *
 * Input: [flags:1] then records [len_hi:1][len_lo:1][bytes:len]...
 * flags bit 0 selects stateless mode; bits 1..3 advance the clock between
 * packets (expiry paths). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nat64.h"
#include "xlat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct pool4_range pool4 = {.addr = 0xc6336400, .len = 28, .port_lo = 1024, .port_hi = 1100};
static struct prefix4 pool4_prefix = {.addr = 0xc6336400, .len = 28};
static struct xlat_config xcfg[2];
static struct nat64_config ncfg = {
	.pool4 = &pool4,
	.n_pool4 = 1,
	.timeout_udp = 300,
	.timeout_tcp_est = 7440,
	.timeout_tcp_trans = 240,
	.timeout_icmp = 60,
	.max_sessions = 64,
	.seed = 1,
};
static uint8_t buf[XLAT_HEADROOM + XLAT_MAX_PACKET];

static void setup(void)
{
	static const uint8_t prefix[16] = {0x20, 0x01, 0x0d, 0xb8, 0x00, 0x64};

	for (int i = 0; i < 2; i++) {
		memcpy(xcfg[i].pool6.addr, prefix, 16);
		xcfg[i].pool6.len = 96;
		xcfg[i].mode = i ? XLAT_STATELESS : XLAT_STATEFUL;
		xcfg[i].pool4 = &pool4_prefix;
		xcfg[i].n_pool4 = i ? 0 : 1;
		xcfg[i].own4 = 0xc6336401;
		rfc6052_embed(&xcfg[i].pool6, xcfg[i].own4, xcfg[i].own6);
		xcfg[i].mtu = 1500;
		xcfg[i].lowest_ipv6_mtu = 1280;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct tun64_counters ctr;
	struct xlat_ctx *ctx;
	struct nat64 *nat;
	uint8_t flags;

	if (!ready) {
		setup();
		ready = 1;
	}
	if (size < 1)
		return 0;
	flags = data[0];
	data++;
	size--;
	nat = nat64_new(&ncfg);
	ctx = calloc(1, sizeof(*ctx));
	if (!nat || !ctx)
		abort();
	memset(&ctr, 0, sizeof(ctr));
	ctx->cfg = &xcfg[flags & 1];
	ctx->nat = (flags & 1) ? NULL : nat;
	ctx->ctr = &ctr;
	ctx->now_ms = 1000;
	while (size >= 2) {
		size_t len = (size_t)data[0] << 8 | data[1];
		struct xlat_pkt pkt = {.buf = buf, .cap = sizeof(buf), .off = XLAT_HEADROOM};
		const uint8_t *out;
		size_t out_len;

		data += 2;
		size -= 2;
		if (len > size)
			len = size;
		memcpy(buf + XLAT_HEADROOM, data, len);
		pkt.len = len;
		if (xlat_packet(ctx, &pkt, &out, &out_len) == XLAT_SEND) {
			/* The output must lie inside buf or the scratch area. */
			if (!((out >= buf && out + out_len <= buf + sizeof(buf)) ||
			      (out >= ctx->scratch && out + out_len <= ctx->scratch + XLAT_SCRATCH)))
				abort();
			if (out_len < 20 || ((out[0] >> 4) != 4 && (out[0] >> 4) != 6))
				abort();
		}
		data += len;
		size -= len;
		ctx->now_ms += (uint64_t)((flags >> 1) & 7) * 60000;
		nat64_expire(nat, ctx->now_ms);
	}
	free(ctx);
	nat64_free(nat);
	return 0;
}
