/* libFuzzer target: runs a sequence of packets through xlat_packet() with one
 * stateful and one stateless translator, so that state built by one packet
 * (BIB, sessions) is exercised by the next.
 *
 * Input: [flags:1] then records [len_hi:1][len_lo:1][bytes:len]...
 * flags bit 0 selects stateless mode; bits 1..3 advance the clock between
 * packets (expiry paths). A last record shorter than its length is cut.
 * tests/fuzz/make-corpus.py writes seeds in this format. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t buf[XLAT_HEADROOM + XLAT_MAX_PACKET];

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
		enum xlat_verdict v = xlat_packet(ctx, &pkt, &out, &out_len);

		if (v != XLAT_DROP && !fuzz_output_in_bounds(ctx, buf, sizeof(buf), out, out_len))
			abort();
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
		ctx->now_ms += (uint64_t)((flags >> 1) & 7) * 60000;
		nat64_expire(nat, ctx->now_ms);
	}
	free(ctx);
	nat64_free(nat);
	return 0;
}
