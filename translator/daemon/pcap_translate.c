/* SPDX-License-Identifier: BSD-2-Clause */
/* tun64d --translate IN OUT: a capture through the packet core, offline.
 *
 * Each frame of IN is stripped of its link header and handed to
 * xlat_packet exactly as a worker hands it a packet read from the tun, with
 * the daemon's xlat_config (daemon_config.c) and, in stateful mode, a fresh
 * NAT64 table. The clock is the capture's: each packet's timestamp is
 * ctx.now_ms, and nat64_expire runs whenever a second of capture time has
 * passed, as the daemon's one-second timer does. What the translator sends
 * is written to OUT (raw IP); which counters a packet moved decides its
 * verdict line. */
#include "pcap_translate.h"

#include <netinet/in.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "checksum.h"
#include "counters.h"
#include "daemon_config.h"
#include "frag.h"
#include "nat64.h"
#include "pkt_view.h"
#include "wire.h"
#include "xlat.h"

/* The daemon runs nat64_expire once a second. */
#define EXPIRE_INTERVAL_MS 1000
/* A fixed port-choice seed, so that the same capture and configuration
 * always give the same output (the daemon seeds from /dev/urandom). */
#define TRANSLATE_SEED 0x74756e3634ULL

#define ETH_HDR_LEN 14
#define VLAN_TAG_LEN 4
#define SLL_HDR_LEN 16
#define SLL2_HDR_LEN 20
#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd
#define ETHERTYPE_VLAN 0x8100
#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif

struct translate_run {
	pcap_t *in;
	int dlt;
	pcap_t *dead; /* gives the output file its link type */
	pcap_dumper_t *out;
	struct live *live;
	struct nat64 *nat;        /* NULL in stateless mode */
	struct frag_table *frags; /* stateful: fragments after the first */
	struct xlat_ctx ctx;
	struct tun64_counters ctr;
	uint64_t clock_ms;   /* capture time; never goes back */
	uint64_t expired_ms; /* capture time of the last nat64_expire */
	unsigned long n_packets, n_translated, n_icmp_errors, n_dropped, n_skipped;
	uint8_t buf[XLAT_HEADROOM + XLAT_MAX_PACKET];
};

/* A packet in words, tcpdump style. */
struct pkt_text {
	char ends[128]; /* "2001:db8:6::2.40000 > 2001:db8:64::cb00:7102.80" */
	char what[64];  /* "tcp", "icmp6 echo-request id 7" */
};

static bool link_supported(int dlt)
{
	switch (dlt) {
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
	case DLT_EN10MB:
	case DLT_LINUX_SLL:
	case DLT_LINUX_SLL2:
		return true;
	default:
		return false;
	}
}

/* Where the IP packet starts in a frame of link type dlt, or -1 for a frame
 * that carries neither IPv4 nor IPv6 (ARP, a cut-short link header ...). */
static long link_ip_offset(int dlt, const uint8_t *f, size_t caplen)
{
	size_t off;
	uint16_t type;

	switch (dlt) {
	case DLT_EN10MB:
		if (caplen < ETH_HDR_LEN)
			return -1;
		type = get_be16(f + 12);
		off = ETH_HDR_LEN;
		if (type == ETHERTYPE_VLAN && caplen >= off + VLAN_TAG_LEN) {
			type = get_be16(f + off + 2);
			off += VLAN_TAG_LEN;
		}
		break;
	case DLT_LINUX_SLL:
		if (caplen < SLL_HDR_LEN)
			return -1;
		type = get_be16(f + 14);
		off = SLL_HDR_LEN;
		break;
	case DLT_LINUX_SLL2:
		if (caplen < SLL2_HDR_LEN)
			return -1;
		type = get_be16(f);
		off = SLL2_HDR_LEN;
		break;
	default: /* raw IP */
		return 0;
	}
	return type == ETHERTYPE_IPV4 || type == ETHERTYPE_IPV6 ? (long)off : -1;
}

static const char *icmp_type_name(bool v6, uint8_t type)
{
	static const char *const v4_names[] = {[0] = "echo-reply",
	                                       [3] = "dest-unreachable",
	                                       [8] = "echo-request",
	                                       [11] = "time-exceeded",
	                                       [12] = "parameter-problem"};
	static const char *const v6_names[] = {
	    [1] = "dest-unreachable",  [2] = "packet-too-big", [3] = "time-exceeded",
	    [4] = "parameter-problem", [128] = "echo-request", [129] = "echo-reply"};

	if (v6)
		return type < sizeof(v6_names) / sizeof(v6_names[0]) ? v6_names[type] : NULL;
	return type < sizeof(v4_names) / sizeof(v4_names[0]) ? v4_names[type] : NULL;
}

static bool icmp_is_echo(bool v6, uint8_t type)
{
	return v6 ? type == ICMP6_ECHO_REQUEST || type == ICMP6_ECHO_REPLY
	          : type == ICMP_ECHOREPLY || type == ICMP_ECHO;
}

/* l4 is NULL for a fragment that does not hold the ICMP header. */
static void describe_icmp(struct pkt_text *t, bool v6, const uint8_t *l4, size_t len)
{
	const char *family = v6 ? "icmp6" : "icmp";
	const char *name;

	if (!l4 || len < 8) {
		snprintf(t->what, sizeof(t->what), "%s", family);
		return;
	}
	name = icmp_type_name(v6, l4[0]);
	if (name && icmp_is_echo(v6, l4[0]))
		snprintf(t->what, sizeof(t->what), "%s %s id %u", family, name,
		         get_be16(l4 + ICMP_ECHO_ID));
	else if (name)
		snprintf(t->what, sizeof(t->what), "%s %s code %u", family, name, l4[1]);
	else
		snprintf(t->what, sizeof(t->what), "%s type %u code %u", family, l4[0], l4[1]);
}

/* Endpoints and protocol of an IP packet whose addresses are src and dst. */
static void describe_transport(struct pkt_text *t, bool v6, uint8_t proto, const uint8_t *l4,
                               size_t len, const char *src, const char *dst)
{
	bool has_ports = l4 && len >= 4 && (proto == IPPROTO_TCP || proto == IPPROTO_UDP);

	if (has_ports)
		snprintf(t->ends, sizeof(t->ends), "%s.%u > %s.%u", src, get_be16(l4 + L4_SPORT),
		         dst, get_be16(l4 + L4_DPORT));
	else
		snprintf(t->ends, sizeof(t->ends), "%s > %s", src, dst);
	if (proto == IPPROTO_TCP)
		snprintf(t->what, sizeof(t->what), "tcp");
	else if (proto == IPPROTO_UDP)
		snprintf(t->what, sizeof(t->what), "udp");
	else if (proto == (v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP))
		describe_icmp(t, v6, l4, len);
	else
		snprintf(t->what, sizeof(t->what), "proto %u", proto);
	if (!l4)
		strncat(t->what, " fragment", sizeof(t->what) - strlen(t->what) - 1);
}

/* Reads only what len covers: a packet cut short is described as far as it
 * goes. IPv6 extension headers are not walked (shown as "proto N"). */
static void describe(const uint8_t *p, size_t len, struct pkt_text *t)
{
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	uint8_t version = len ? (uint8_t)ip_version(p) : 0;
	struct pkt_view v;

	if (pkt_view_parse_cut(&v, p, len) == 0) {
		if (v.v6) {
			addr6_str(p + IP6_SRC, src, sizeof(src));
			addr6_str(p + IP6_DST, dst, sizeof(dst));
		} else {
			addr4_str(get_be32(p + IP4_SRC), src, sizeof(src));
			addr4_str(get_be32(p + IP4_DST), dst, sizeof(dst));
		}
		describe_transport(t, v.v6, v.proto, v.later_fragment ? NULL : v.l4, v.l4_len, src,
		                   dst);
		return;
	}
	snprintf(t->ends, sizeof(t->ends), "%zu bytes", len);
	if (version == 4 || version == 6)
		snprintf(t->what, sizeof(t->what), "ipv%u header cut short", version);
	else
		snprintf(t->what, sizeof(t->what), "ip version %u", version);
}

/* The direction whose rx counter the packet moved. */
static enum tun64_dir moved_dir(const struct tun64_counters *before,
                                const struct tun64_counters *after)
{
	return after->v[DIR_4TO6][CTR_RX] != before->v[DIR_4TO6][CTR_RX] ? DIR_4TO6 : DIR_6TO4;
}

static bool moved(const struct tun64_counters *before, const struct tun64_counters *after,
                  enum tun64_dir dir, enum tun64_counter c)
{
	return after->v[dir][c] != before->v[dir][c];
}

/* Names of the drop counters the packet moved, comma-separated. */
static void moved_reasons(const struct tun64_counters *before, const struct tun64_counters *after,
                          enum tun64_dir dir, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int c = 0; c < CTR_MAX; c++) {
		int w;

		if (c == CTR_RX || c == CTR_TRANSLATED || c == CTR_ICMP_ERROR_SENT ||
		    !moved(before, after, dir, (enum tun64_counter)c))
			continue;
		w = snprintf(buf + used, len - used, "%s%s", used ? "," : "",
		             counter_name((enum tun64_counter)c));
		if (w < 0 || (size_t)w >= len - used)
			break;
		used += (size_t)w;
	}
	if (used == 0)
		snprintf(buf, len, "unknown");
}

static void advance_clock(struct translate_run *r, const struct timeval *ts)
{
	uint64_t t = (uint64_t)ts->tv_sec * 1000 + (uint64_t)ts->tv_usec / 1000;

	if (t > r->clock_ms)
		r->clock_ms = t;
	if (r->nat && r->clock_ms - r->expired_ms >= EXPIRE_INTERVAL_MS) {
		nat64_expire(r->nat, r->clock_ms);
		r->expired_ms = r->clock_ms;
	}
	r->ctx.now_ms = r->clock_ms;
}

static void write_packet(struct translate_run *r, const struct timeval *ts, const uint8_t *p,
                         size_t len)
{
	struct pcap_pkthdr h = {.ts = *ts, .caplen = (bpf_u_int32)len, .len = (bpf_u_int32)len};

	pcap_dump((u_char *)r->out, &h, p);
}

/* One verdict line; the trailing words describe the packet written, or the
 * input packet when nothing was written. */
static void print_verdict(struct translate_run *r, FILE *v, enum xlat_verdict xv,
                          const struct tun64_counters *before, const struct pkt_text *in,
                          const struct pkt_text *out)
{
	enum tun64_dir dir = moved_dir(before, &r->ctr);
	char why[256];

	moved_reasons(before, &r->ctr, dir, why, sizeof(why));
	if (xv == XLAT_SEND_MANY) {
		r->n_translated++;
		fprintf(v, "%lu  %s  translated fragmented  %s -> %s %s\n", r->n_packets,
		        dir_name(dir), in->ends, out->ends, out->what);
	} else if (xv == XLAT_SEND && moved(before, &r->ctr, dir, CTR_ICMP_ERROR_SENT)) {
		r->n_icmp_errors++;
		fprintf(v, "%lu  %s  icmp-error %s  %s %s -> %s %s\n", r->n_packets, dir_name(dir),
		        why, in->ends, in->what, out->ends, out->what);
	} else if (xv == XLAT_SEND) {
		r->n_translated++;
		fprintf(v, "%lu  %s  translated  %s -> %s %s\n", r->n_packets, dir_name(dir),
		        in->ends, out->ends, out->what);
	} else {
		r->n_dropped++;
		fprintf(v, "%lu  %s  dropped %s  %s %s\n", r->n_packets, dir_name(dir), why,
		        in->ends, in->what);
	}
}

static void translate_one(struct translate_run *r, const struct pcap_pkthdr *h,
                          const uint8_t *frame, FILE *v)
{
	long ip_off = link_ip_offset(r->dlt, frame, h->caplen);
	struct tun64_counters before = r->ctr;
	struct pkt_text in_text, out_text = {.ends = "", .what = ""};
	struct xlat_pkt pkt = {.buf = r->buf, .cap = sizeof(r->buf), .off = XLAT_HEADROOM};
	const uint8_t *out = NULL;
	size_t out_len = 0;
	enum xlat_verdict xv;

	r->n_packets++;
	if (ip_off < 0 || h->caplen - (size_t)ip_off > XLAT_MAX_PACKET) {
		r->n_skipped++;
		fprintf(v, "%lu  -  skipped %s  %u bytes\n", r->n_packets,
		        ip_off < 0 ? "not-ip" : "too-large", h->caplen);
		return;
	}
	pkt.len = h->caplen - (size_t)ip_off;
	memcpy(r->buf + XLAT_HEADROOM, frame + ip_off, pkt.len);
	describe(r->buf + XLAT_HEADROOM, pkt.len, &in_text);
	advance_clock(r, &h->ts);
	xv = xlat_packet(&r->ctx, &pkt, &out, &out_len);
	if (xv == XLAT_SEND) {
		write_packet(r, &h->ts, out, out_len);
		describe(out, out_len, &out_text);
	} else if (xv == XLAT_SEND_MANY) {
		/* A datagram split into IPv6 fragments: each goes to the capture. */
		describe(out, xlat_many_next(out, out_len), &out_text);
		for (size_t n; (n = xlat_many_next(out, out_len)) > 0; out += n, out_len -= n)
			write_packet(r, &h->ts, out, n);
	}
	print_verdict(r, v, xv, &before, &in_text, &out_text);
}

static int open_capture(struct translate_run *r, const char *in_path, const char *out_path)
{
	char errbuf[PCAP_ERRBUF_SIZE] = "";
	const char *dlt_name;

	r->in = pcap_open_offline(in_path, errbuf);
	if (!r->in) {
		fprintf(stderr, "tun64d: --translate: %s\n", errbuf);
		return -1;
	}
	r->dlt = pcap_datalink(r->in);
	if (!link_supported(r->dlt)) {
		dlt_name = pcap_datalink_val_to_name(r->dlt);
		fprintf(stderr,
		        "tun64d: %s: link type %s (%d) is not supported: raw IP, Ethernet or "
		        "Linux cooked captures only\n",
		        in_path, dlt_name ? dlt_name : "?", r->dlt);
		return -1;
	}
	r->dead = pcap_open_dead(DLT_RAW, XLAT_MAX_PACKET);
	if (!r->dead) {
		fprintf(stderr, "tun64d: out of memory\n");
		return -1;
	}
	r->out = pcap_dump_open(r->dead, out_path);
	if (!r->out) {
		fprintf(stderr, "tun64d: --translate: %s\n", pcap_geterr(r->dead));
		return -1;
	}
	return 0;
}

/* The same translator settings and NAT64 table settings as the daemon. */
static int setup_core(struct translate_run *r, const struct tun64_config *cfg)
{
	char err[CONFIG_ERRLEN];
	struct nat64_config ncfg;

	r->live = live_new(cfg, err, sizeof(err));
	if (!r->live) {
		fprintf(stderr, "tun64d: %s\n", err);
		return -1;
	}
	if (cfg->mode == XLAT_STATEFUL) {
		fill_nat64_config(cfg, &ncfg);
		ncfg.seed = TRANSLATE_SEED;
		r->nat = nat64_new(&ncfg);
		if (!r->nat) {
			fprintf(stderr,
			        "tun64d: cannot create the NAT64 tables (max-sessions %llu)\n",
			        (unsigned long long)ncfg.max_sessions);
			return -1;
		}
		/* As the daemon: the fragments after a first one take its
		 * mapping (RFC 6146 §3.4), by the capture's clock. */
		r->frags = frag_table_new(TRANSLATE_SEED);
		if (!r->frags) {
			fprintf(stderr, "tun64d: cannot create the fragment table\n");
			return -1;
		}
	}
	/* The rest of ctx stays zeroed (calloc): the IPv4 Identification
	 * generator starts at 0, so replays are reproducible. */
	r->ctx.cfg = &r->live->x;
	r->ctx.nat = r->nat;
	r->ctx.frags = r->frags;
	r->ctx.ctr = &r->ctr;
	return 0;
}

static int translate_all(struct translate_run *r, const char *in_path, FILE *v)
{
	for (;;) {
		struct pcap_pkthdr *h;
		const u_char *frame;
		int rc = pcap_next_ex(r->in, &h, &frame);

		if (rc == PCAP_ERROR_BREAK) /* end of the file */
			return 0;
		if (rc < 0) {
			fprintf(stderr, "tun64d: %s: %s\n", in_path, pcap_geterr(r->in));
			return -1;
		}
		translate_one(r, h, frame, v);
	}
}

/* Flushes the output; returns -1 if any of it could not be written. */
static int close_run(struct translate_run *r, const char *out_path)
{
	int rc = 0;

	if (r->out) {
		if (pcap_dump_flush(r->out) < 0 || ferror(pcap_dump_file(r->out))) {
			fprintf(stderr, "tun64d: %s: write failed\n", out_path);
			rc = -1;
		}
		pcap_dump_close(r->out);
	}
	if (r->dead)
		pcap_close(r->dead);
	if (r->in)
		pcap_close(r->in);
	frag_table_free(r->frags);
	nat64_free(r->nat);
	live_free(r->live);
	return rc;
}

int pcap_translate(const struct tun64_config *cfg, const char *in_path, const char *out_path,
                   FILE *verdicts)
{
	struct translate_run *r = calloc(1, sizeof(*r));
	int rc;

	if (!r) {
		fprintf(stderr, "tun64d: out of memory\n");
		return 1;
	}
	/* OUT "-" is stdout: the verdicts move out of its way. */
	if (strcmp(out_path, "-") == 0)
		verdicts = stderr;
	rc = setup_core(r, cfg);
	if (rc == 0)
		rc = open_capture(r, in_path, out_path);
	if (rc == 0)
		rc = translate_all(r, in_path, verdicts);
	if (fflush(verdicts) != 0)
		rc = -1;
	if (close_run(r, out_path) < 0)
		rc = -1;
	if (rc == 0)
		fprintf(stderr,
		        "tun64d: %s: %lu packets: %lu translated, %lu icmp-error, %lu dropped, "
		        "%lu skipped\n",
		        in_path, r->n_packets, r->n_translated, r->n_icmp_errors, r->n_dropped,
		        r->n_skipped);
	free(r);
	return rc == 0 ? 0 : 1;
}
