/* SPDX-License-Identifier: BSD-2-Clause */
/* libFuzzer target, differential (issue 13): one session and one packet of
 * it, derived from the input, go through both the C core (xlat_packet, the
 * reference) and the tc BPF program (BPF_PROG_TEST_RUN, fastpath.bpf.c)
 * with the same session in its map. Aborts when
 *   - the program translates a packet the core refuses or answers (an ICMP
 *     error from scratch), or translates it to other bytes;
 *   - the program leaves a packet to tun64d (TC_ACT_OK) changed, or drops
 *     one (a helper failed).
 *
 * Input: byte 0 flags (bit 0 stateless, 1 tos zero, 2 flow-label hash, 3
 * the packet goes 4to6, 4-5 protocol TCP/UDP/ICMP/UDP, 6 DF, 7 echo
 * reply), then client and server host bytes, the client's port, the
 * server's port, hop limit / TTL, traffic class / TOS, flow label (3),
 * IPv4 Identification (2), TCP flags, the core's next IPv4 Identification
 * (2), a count of byte edits (0..3, each offset (2) and value) made to the
 * built packet (checksums are not redone: malformed on purpose), the rest
 * the payload. Stateful: the session is made by an opening exchange
 * through the core (TCP: the handshake) and read back from its table as
 * tun64d's engine does; stateless: RFC 6052 both ways, ports unchanged.
 *
 * Needs root (BPF, a tun device in its own network namespace). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/pkt_cls.h>

#include "fp_harness.h"
#include "fuzz_common.h"
#include "pkt_helpers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define HDR_BYTES 20
#define PAYLOAD_MAX 1400 /* within FP_TEST_RUN_MAX with any header */

static struct fastpath *fp;
static int ifindex;
static uint8_t buf[XLAT_HEADROOM + XLAT_MAX_PACKET];
static uint8_t pkt[FP_PKT_MAX], l4buf[FP_PKT_MAX];
static struct fp_run run;

struct input {
	bool stateless, to6, df, reply;
	uint8_t proto;
	uint8_t client, server;
	uint16_t cport, sport;
	uint8_t hlim, tclass;
	uint32_t flow;
	uint16_t ip_id, id_next;
	uint8_t tcp_flags;
};

/* One packet through the core; verdict, and out/out_len when sent. */
static enum xlat_verdict core(struct xlat_ctx *ctx, const uint8_t *p, size_t len,
                              const uint8_t **out, size_t *out_len)
{
	struct xlat_pkt xp = {.buf = buf, .cap = sizeof(buf), .off = XLAT_HEADROOM, .len = len};

	memcpy(buf + XLAT_HEADROOM, p, len);
	return xlat_packet(ctx, &xp, out, out_len);
}

/* The transport part: proto, ports (ICMP: the identifier), flags. */
static size_t build_l4(const struct input *in, bool v6, uint16_t sp, uint16_t dp, uint8_t flags,
                       const uint8_t *pay, size_t plen)
{
	if (in->proto == IPPROTO_TCP)
		return tp_tcp(l4buf, sp, dp, 1000, 2000, flags, pay, plen);
	if (in->proto == IPPROTO_UDP)
		return tp_udp(l4buf, sp, dp, pay, plen);
	return tp_icmp(l4buf, (uint8_t)(v6 ? (in->reply ? 129 : 128) : (in->reply ? 0 : 8)), 0, sp,
	               1, pay, plen);
}

/* The addresses as text: the client (IPv6 and, stateless, IPv4), the
 * server (IPv4 and under the prefix). */
struct names {
	char c6[64], c4[32], s6[64], s4[32];
};

static void names_of(const struct input *in, struct names *n)
{
	if (in->stateless) {
		snprintf(n->c6, sizeof(n->c6), "2001:db8:64::c000:2%02x", in->client);
		snprintf(n->c4, sizeof(n->c4), "192.0.2.%u", in->client);
	} else {
		snprintf(n->c6, sizeof(n->c6), "2001:db8:6::%x", in->client + 1u);
	}
	snprintf(n->s6, sizeof(n->s6), "2001:db8:64::cb00:71%02x", in->server);
	snprintf(n->s4, sizeof(n->s4), "203.0.113.%u", in->server);
}

static size_t pkt6(const struct input *in, const struct names *n, uint16_t sp, uint16_t dp,
                   uint8_t flags, const uint8_t *pay, size_t plen)
{
	size_t l = build_l4(in, true, sp, dp, flags, pay, plen);
	struct tp_ip6 h = {.src = n->c6,
	                   .dst = n->s6,
	                   .nh = in->proto == IPPROTO_ICMP ? IPPROTO_ICMPV6 : in->proto,
	                   .hlim = in->hlim,
	                   .tclass = in->tclass,
	                   .flow = in->flow};

	return tp_ip6(pkt, &h, l4buf, l);
}

/* From the server to dst. */
static size_t pkt4(const struct input *in, const struct names *n, const char *dst, uint16_t sp,
                   uint16_t dp, uint8_t flags, const uint8_t *pay, size_t plen)
{
	size_t l = build_l4(in, false, sp, dp, flags, pay, plen);
	struct tp_ip4 h = {.src = n->s4,
	                   .dst = dst,
	                   .proto = in->proto,
	                   .ttl = in->hlim,
	                   .tos = in->tclass,
	                   .id = in->ip_id,
	                   .frag = in->df ? TP_DF : 0};

	return tp_ip4(pkt, &h, l4buf, l);
}

static void fail(const char *why)
{
	fprintf(stderr, "fuzz_fastpath: %s\n", why);
	abort();
}

static int first_session(const struct nat64_session_info *si, void *arg)
{
	*(struct nat64_session_info *)arg = *si;
	return 1;
}

/* Stateful: the opening exchange through the core, then the session as
 * tun64d's engine copies it into the map (engine_fastpath.c collect).
 * False if the core made none (pool4 full and such). */
static bool open_session(const struct input *in, const struct names *n, struct xlat_ctx *ctx,
                         struct fastpath_session *s)
{
	struct nat64_session_info si;
	const uint8_t *out;
	size_t len, out_len;
	char t4[INET_ADDRSTRLEN];
	struct in_addr a;
	struct input o = *in;

	o.reply = false;
	o.hlim = 64;
	len = pkt6(&o, n, in->cport, in->sport, TP_SYN, NULL, 0);
	if (core(ctx, pkt, len, &out, &out_len) != XLAT_SEND)
		return false;
	memset(&si, 0, sizeof(si));
	nat64_foreach_session(ctx->nat, first_session, &si);
	if (!si.proto)
		return false;
	a.s_addr = htonl(si.addr4);
	inet_ntop(AF_INET, &a, t4, sizeof(t4));
	/* the answer confirms the session (TCP: ESTABLISHED after the ACK) */
	o.reply = true;
	len = pkt4(&o, n, t4, in->sport, si.port4, TP_SYN | TP_ACK, NULL, 0);
	if (in->proto == IPPROTO_ICMP)
		len = pkt4(&o, n, t4, si.port4, si.port4, 0, NULL, 0);
	if (core(ctx, pkt, len, &out, &out_len) != XLAT_SEND)
		return false;
	if (in->proto == IPPROTO_TCP) {
		len = pkt6(&o, n, in->cport, in->sport, TP_ACK, NULL, 0);
		if (core(ctx, pkt, len, &out, &out_len) != XLAT_SEND)
			return false;
	}
	nat64_foreach_session(ctx->nat, first_session, &si);
	/* as collect() in engine_fastpath.c: echo requests to own4 are tun64d's */
	if (si.proto == IPPROTO_ICMP && si.addr4 == ctx->cfg->own4)
		return false;
	memset(s, 0, sizeof(*s));
	s->proto = si.proto;
	memcpy(s->src6, si.addr6, 16);
	inet_pton(AF_INET6, n->s6, s->dst6);
	s->sport6 = si.port6;
	s->src4 = si.addr4;
	s->sport4 = si.port4;
	s->dst4 = si.remote4;
	s->dport6 = si.proto == IPPROTO_ICMP ? si.port6 : si.rport4;
	s->dport4 = si.proto == IPPROTO_ICMP ? si.port4 : si.rport4;
	return true;
}

/* Stateless: RFC 6052 both ways, the ports as they are. */
static void stateless_session(const struct input *in, const struct names *n,
                              struct fastpath_session *s)
{
	memset(s, 0, sizeof(*s));
	s->proto = in->proto;
	inet_pton(AF_INET6, n->c6, s->src6);
	inet_pton(AF_INET6, n->s6, s->dst6);
	s->src4 = 0xc0000200u | in->client;
	s->dst4 = 0xcb007100u | in->server;
	s->sport6 = s->sport4 = in->cport;
	s->dport6 = s->dport4 = in->proto == IPPROTO_ICMP ? in->cport : in->sport;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void parse(const uint8_t *d, struct input *in)
{
	static const uint8_t protos[4] = {IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP, IPPROTO_UDP};

	in->stateless = d[0] & 1;
	in->to6 = d[0] & 8;
	in->proto = protos[(d[0] >> 4) & 3];
	in->df = d[0] & 0x40;
	in->reply = d[0] & 0x80;
	in->client = d[1];
	in->server = d[2];
	in->cport = get16(d + 3);
	in->sport = get16(d + 5);
	in->hlim = d[7];
	in->tclass = d[8];
	in->flow = ((uint32_t)d[9] << 16 | (uint32_t)d[10] << 8 | d[11]) & 0xfffff;
	in->ip_id = get16(d + 12);
	in->tcp_flags = d[14];
	in->id_next = get16(d + 15);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct xlat_ctx ctx;
	struct xlat_config cfg;
	struct tun64_counters ctr;
	struct fastpath_settings fs;
	struct fastpath_session s;
	struct input in;
	struct names n;
	const uint8_t *out = NULL;
	size_t len, out_len = 0, nedit, plen;
	enum xlat_verdict v;
	uint16_t id;
	int err;

	if (size < HDR_BYTES)
		return 0;
	if (!fp && (err = fp_harness_open(&fp, &ifindex)) != 0) {
		fprintf(stderr, "fuzz_fastpath: load/attach: %s (needs root)\n", strerror(-err));
		exit(1);
	}
	parse(data, &in);
	cfg = *fuzz_xlat_config(in.stateless);
	cfg.tos_zero = data[0] & 2;
	cfg.flow_label_hash = data[0] & 4;
	memset(&ctx, 0, sizeof(ctx));
	memset(&ctr, 0, sizeof(ctr));
	ctx.cfg = &cfg;
	ctx.ctr = &ctr;
	ctx.now_ms = 1000;
	ctx.nat = in.stateless ? NULL : nat64_new(&fuzz_nat64_config);
	if (!in.stateless && !ctx.nat)
		abort();
	names_of(&in, &n);
	nedit = data[17] & 3;
	data += HDR_BYTES;
	size -= HDR_BYTES;
	if (size < 3 * nedit)
		nedit = 0;
	plen = size - 3 * nedit > PAYLOAD_MAX ? PAYLOAD_MAX : size - 3 * nedit;

	if (in.stateless)
		stateless_session(&in, &n, &s);
	else if (!open_session(&in, &n, &ctx, &s))
		goto done;

	/* the packet of the session */
	if (!in.to6) {
		len = pkt6(&in, &n, s.sport6, s.dport6, in.tcp_flags, data + 3 * nedit, plen);
	} else {
		char d4[INET_ADDRSTRLEN];
		struct in_addr a = {.s_addr = htonl(s.src4)};

		inet_ntop(AF_INET, &a, d4, sizeof(d4));
		len = pkt4(&in, &n, d4, s.dport4, s.sport4, in.tcp_flags, data + 3 * nedit, plen);
	}
	for (size_t i = 0; i < nedit; i++)
		pkt[get16(data + 3 * i) % len] = data[3 * i + 2];

	/* BPF_PROG_TEST_RUN refuses (EINVAL) a frame shorter than the fixed
	 * header its EtherType (from the version, fp_harness.c) promises */
	if (len < ((pkt[0] >> 4) == 6 ? 40u : 20u))
		goto done;
	ctx.ipv4_id_next = in.id_next;
	id = ctx.ipv4_id_next;
	v = core(&ctx, pkt, len, &out, &out_len);
	fp_harness_settings(&cfg, &fs);
	if (fastpath_configure(fp, &fs) || fastpath_session_add(fp, &s, id))
		fail("configuring the program or adding the session");
	err = fp_harness_run(fp, ifindex, pkt, len, 0, &run);
	if (err) {
		fprintf(stderr, "fuzz_fastpath: BPF_PROG_TEST_RUN: %s\n", strerror(-err));
		abort();
	}
	if (fastpath_session_del(fp, &s, NULL, NULL))
		fail("the session was gone from the map");
	if (run.retval == TC_ACT_REDIRECT) {
		if (v != XLAT_SEND || out == ctx.scratch) {
			fprintf(stderr,
			        "fuzz_fastpath: the program translated what the core did not "
			        "(verdict %d):",
			        (int)v);
			for (size_t i = 0; i < len; i++)
				fprintf(stderr, " %02x", pkt[i]);
			fputc('\n', stderr);
			for (int d = 0; d < DIR_MAX; d++)
				for (int c = 0; c < CTR_MAX; c++)
					if (ctr_load(&ctr, (enum tun64_dir)d,
					             (enum tun64_counter)c))
						fprintf(stderr, "  core %s %s: %llu\n",
						        dir_name((enum tun64_dir)d),
						        counter_name((enum tun64_counter)c),
						        (unsigned long long)ctr_load(
						            &ctr, (enum tun64_dir)d,
						            (enum tun64_counter)c));
			abort();
		}
		if (!tp_same(run.pkt, run.len, out, out_len))
			fail("the program's bytes differ from the core's");
	} else if (run.retval != TC_ACT_OK || run.len != len || memcmp(run.pkt, pkt, len) != 0) {
		fprintf(stderr, "fuzz_fastpath: retval %u, or a punted packet changed\n",
		        run.retval);
		abort();
	}
done:
	nat64_free(ctx.nat);
	return 0;
}
