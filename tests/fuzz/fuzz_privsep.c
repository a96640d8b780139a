/* SPDX-License-Identifier: BSD-2-Clause */
/* libFuzzer target for the parent's side of tun64d's privilege separation
 * (translator/daemon/privsep.h): what a compromised engine could send.
 *
 * Input: records [type:4 LE][len:4 LE][nfds:1][size:2 LE][size bytes], as
 * long as the input lasts (a short last record takes what is left). Each
 * record is
 * - sent as one raw SOCK_SEQPACKET record (header with type and len, then
 *   the bytes) and read back with ps_recv, which must accept it exactly when
 *   len matches the bytes that follow (else EPROTO, never a crash or a read
 *   past the buffer);
 * - checked with ps_check_from_engine (nfds as given, the bytes as payload)
 *   against a model of the rules: known engine type, exact length per type,
 *   fields in range, no fds, PS_STATE_DATA only inside a save, no request or
 *   second PS_STATE_BEGIN inside one. The model and the checker must agree
 *   on every record, and so must the state-save sequence they keep;
 * - checked with ps_check_from_parent too (no crash; a parent message is
 *   never accepted with a length other than its struct's). */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "privsep.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int sv[2] = {-1, -1};

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static bool zero_bytes(const uint8_t *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

/* PS_ROUTES: count 0..PS_MAX_ROUTES and a zero pad, then PS_MAX_ROUTES
 * prefixes of 8 bytes (address, length 0..32, three zero bytes): the
 * counted ones with their host bits zero, the rest all zero. */
static bool model_routes(const uint8_t *p, size_t n)
{
	uint32_t cnt;

	if (n != 8 + (size_t)PS_MAX_ROUTES * 8)
		return false;
	cnt = get32(p);
	if (cnt > PS_MAX_ROUTES || get32(p + 4) != 0)
		return false;
	for (uint32_t i = 0; i < PS_MAX_ROUTES; i++) {
		const uint8_t *e = p + 8 + (size_t)i * 8;
		uint32_t addr = get32(e);
		uint8_t len = e[4];

		if (e[5] || e[6] || e[7])
			return false;
		if (i >= cnt && (addr || len))
			return false;
		if (i < cnt && (len > 32 || (len < 32 && (addr & (0xffffffffu >> len)))))
			return false;
	}
	return true;
}

/* PS_FP_ADD / PS_FP_DEL: count 1..128, then 128 sessions of 56 bytes
 * (proto, 3 zero bytes, addresses, ports at 36/38 and 48/50, the
 * Identification, 2 zero bytes); unused entries all zero. */
static bool model_fp_batch(const uint8_t *p, size_t n)
{
	uint32_t cnt;

	if (n != 8 + 128 * 56 || get32(p + 4) != 0)
		return false;
	cnt = get32(p);
	if (cnt < 1 || cnt > 128)
		return false;
	for (uint32_t i = 0; i < cnt; i++) {
		const uint8_t *e = p + 8 + i * 56;

		if ((e[0] != 6 && e[0] != 17 && e[0] != 1) || !zero_bytes(e + 1, 3) ||
		    !zero_bytes(e + 54, 2))
			return false;
		if (e[0] == 1 && (get16(e + 36) != get16(e + 38) || get16(e + 48) != get16(e + 50)))
			return false;
	}
	return zero_bytes(p + 8 + cnt * 56, (128 - cnt) * 56);
}

/* The rules of privsep.h, written out again independently. */
static bool model_ok(uint32_t type, const uint8_t *p, size_t n, uint32_t len, int nfds,
                     bool *saving)
{
	if (len != n || nfds != 0)
		return false;
	switch (type) {
	case PS_READY:
	case PS_TUN_LOST:
	case PS_CONFIG_REQ:
	case PS_WITHDRAW:
	case PS_RESTORE:
	case PS_FP_POLL:
		return n == 0 && !*saving;
	case PS_ROUTES:
		return !*saving && model_routes(p, n);
	case PS_FP_CONFIG:
		return n == 12 && !*saving && get32(p) <= 1 && p[8] <= 1 && p[9] <= 1 &&
		       zero_bytes(p + 10, 2);
	case PS_FP_ADD:
	case PS_FP_DEL:
		return !*saving && model_fp_batch(p, n);
	case PS_STATE_BEGIN:
		if (n != 4 || get32(p) > 1 || *saving)
			return false;
		*saving = true;
		return true;
	case PS_STATE_DATA:
		return n >= 1 && n <= PS_STATE_CHUNK && *saving;
	case PS_STATE_END:
		if (n != 16 || get32(p) > 1 || get32(p + 4) != 0 || !*saving)
			return false;
		*saving = false;
		return true;
	}
	return false;
}

/* Raw record through a socketpair and ps_recv. */
static void roundtrip(uint32_t type, uint32_t len, const uint8_t *p, size_t n)
{
	static struct ps_msg m;
	static uint8_t rec[sizeof(struct ps_hdr) + PS_MAX_PAYLOAD + 64];
	struct ps_hdr h = {.type = type, .len = len};
	int r;

	if (n > PS_MAX_PAYLOAD + 64)
		return;
	memcpy(rec, &h, sizeof(h));
	memcpy(rec + sizeof(h), p, n);
	if (send(sv[0], rec, sizeof(h) + n, 0) != (ssize_t)(sizeof(h) + n))
		abort();
	r = ps_recv(sv[1], &m);
	if (n <= PS_MAX_PAYLOAD && len == n) {
		if (r != 1 || m.h.type != type || m.h.len != len || m.nfds != 0 ||
		    memcmp(&m.u, p, n) != 0)
			abort();
	} else if (r != -1 || errno != EPROTO) {
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ps_seq seq = {0};
	bool saving = false;

	if (sv[0] < 0 && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	if (sv[0] >= 0) {
		int big = 1 << 20;

		setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
		setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	}
	while (size >= 11) {
		uint32_t type = get32(data), len = get32(data + 4);
		int nfds = data[8] % 4 == 3 ? data[8] : 0; /* mostly none */
		size_t n = (size_t)data[9] | (size_t)data[10] << 8;
		struct ps_hdr h = {.type = type, .len = len};
		bool want, got;
		const char *why;

		data += 11;
		size -= 11;
		if (n > size)
			n = size;
		roundtrip(type, len, data, n);
		want = model_ok(type, data, n, len, nfds, &saving);
		why = ps_check_from_engine(&h, data, n, nfds, &seq);
		got = why == NULL;
		if (want != got || seq.saving != saving)
			abort();
		why = ps_check_from_parent(&h, data, n, nfds);
		if (!why &&
		    (type == PS_CONFIG ? n != sizeof(struct tun64_config)
		     : type == PS_TUN  ? n != sizeof(struct ps_tun)
		                       : type == PS_CONFIG_ERR && n != sizeof(struct ps_error)))
			abort();
		/* PS_LOGFD: exactly one fd and a reopen flag of 0 or 1 */
		if (!why && type == PS_LOGFD &&
		    (n != sizeof(struct ps_logfd) || nfds != 1 ||
		     ((const struct ps_logfd *)(const void *)data)->reopen > 1))
			abort();
		data += n;
		size -= n;
	}
	return 0;
}
