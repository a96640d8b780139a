/* SPDX-License-Identifier: BSD-2-Clause */
/* libFuzzer target: runs a sequence of packets through xlat_packet() with one
 * stateful and one stateless translator, so that state built by one packet
 * (BIB, sessions) is exercised by the next.
 *
 * Input: [flags:1] then records [len_hi:1][len_lo:1][bytes:len]...
 * flags bit 0 selects stateless mode; bits 1..3 advance the clock between
 * packets (expiry paths). A last record shorter than its length is cut.
 *
 * Every translated packet also goes through the UDP coalescer (coalesce.h)
 * as the daemon does it; each super-packet it makes is cut with the
 * software segmenter, which must give back the datagrams that went in,
 * byte for byte.
 * tests/fuzz/make-corpus.py writes seeds in this format. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "coalesce.h"
#include "fuzz_common.h"
#include "synhold.h"
#include "vnet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t buf[XLAT_HEADROOM + XLAT_MAX_PACKET];

/* The coalescer and copies of the datagrams it holds, for the oracle. */
static struct coalesce co;
static uint8_t held[COALESCE_MAX_SEGS][XLAT_MAX_PACKET];
static size_t held_len[COALESCE_MAX_SEGS];
static uint8_t seg[XLAT_MAX_PACKET];

static void flush_and_check(void)
{
	struct vnet_hdr vh;
	struct vnet_seg s;
	const uint8_t *p;
	size_t len, n;
	unsigned segs = coalesce_flush(&co, &vh, &p, &len), i = 0;

	if (segs == 0)
		return;
	if (segs == 1) {
		if (len != held_len[0] || memcmp(p, held[0], len) != 0)
			abort();
		return;
	}
	if (vh.gso_type != VNET_GSO_UDP_L4 || vnet_segment_start(&s, &vh, p, len) < 0)
		abort();
	while ((n = vnet_segment_next(&s, seg, sizeof(seg))) > 0) {
		if (i >= segs || n != held_len[i] || memcmp(seg, held[i], n) != 0)
			abort();
		i++;
	}
	if (i != segs)
		abort();
}

/* As worker_write() in tun64d.c: join the batch, or flush and start anew. */
static void coalesce_one(const uint8_t *out, size_t out_len)
{
	if (out_len > XLAT_MAX_PACKET)
		return;
	if (!coalesce_add(&co, NULL, out, out_len)) {
		flush_and_check();
		if (!coalesce_add(&co, NULL, out, out_len))
			return;
	}
	memcpy(held[co.segs - 1], out, out_len);
	held_len[co.segs - 1] = out_len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tun64_counters ctr;
	struct xlat_ctx *ctx;
	struct nat64 *nat;
	uint8_t flags;

	if (size < 1)
		return 0;
	flags = data[0];
	data++;
	size--;
	nat = nat64_new(&fuzz_nat64_config);
	ctx = calloc(1, sizeof(*ctx));
	if (!nat || !ctx)
		abort();
	memset(&ctr, 0, sizeof(ctr));
	ctx->cfg = fuzz_xlat_config(flags & 1);
	ctx->nat = (flags & 1) ? NULL : nat;
	ctx->synhold = (flags & 1) ? NULL : synhold_new(4); /* held IPv4 SYNs */
	ctx->ctr = &ctr;
	ctx->now_ms = 1000;
	coalesce_init(&co);
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
		enum xlat_verdict v = xlat_packet(ctx, &pkt, &out, &out_len);

		if (v != XLAT_DROP && !fuzz_output_in_bounds(ctx, buf, sizeof(buf), out, out_len))
			abort();
		if (v == XLAT_SEND)
			coalesce_one(out, out_len);
		/* XLAT_SEND_MANY: back-to-back IPv6 fragments that must tile out. */
		while (v == XLAT_SEND_MANY && out_len > 0) {
			size_t n = xlat_many_next(out, out_len);

			if (n == 0)
				abort();
			out += n;
			out_len -= n;
		}
		data += len;
		size -= len;
		/* The clock only moves when flags ask; expiry has nothing to do
		 * otherwise, and walking every shard after each packet was most
		 * of an execution's time. */
		if ((flags >> 1) & 7) {
			ctx->now_ms += (uint64_t)((flags >> 1) & 7) * 60000;
			nat64_expire(nat, ctx->now_ms);
		}
		while (xlat_syn_expire(ctx, &out, &out_len) == XLAT_SEND)
			if (!fuzz_output_in_bounds(ctx, buf, sizeof(buf), out, out_len) ||
			    out_len < 28 || out[0] != 0x45 || out[20] != 3 || out[21] != 3)
				abort(); /* a Port Unreachable, inside scratch */
	}
	flush_and_check();
	synhold_free(ctx->synhold);
	free(ctx);
	nat64_free(nat);
	return 0;
}
