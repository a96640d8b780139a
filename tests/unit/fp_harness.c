/* SPDX-License-Identifier: BSD-2-Clause */
/* See fp_harness.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* unshare */
#endif
#include "fp_harness.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static int make_tun(void)
{
	struct ifreq ifr = {0};
	int fd;

	if (unshare(CLONE_NEWNET) != 0)
		return -errno;
	fd = open("/dev/net/tun", O_RDWR);
	if (fd < 0)
		return -errno;
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "fp0");
	if (ioctl(fd, TUNSETIFF, &ifr) != 0)
		return -errno;
	/* fd stays open: the tun lives as long as the process */
	return (int)if_nametoindex("fp0");
}

int fp_harness_open(struct fastpath **fp, int *ifindex)
{
	int err;

	*ifindex = make_tun();
	if (*ifindex <= 0)
		return *ifindex < 0 ? *ifindex : -ENODEV;
	err = fastpath_open(fp);
	if (err == 0)
		err = fastpath_attach(*fp, *ifindex);
	if (err == 0)
		err = fastpath_test_frames(*fp, true);
	return err;
}

int fp_harness_run(struct fastpath *fp, int ifindex, const uint8_t *in, size_t len,
                   uint16_t gso_size, struct fp_run *o)
{
	static uint8_t frame[FP_ETH_LEN + FP_PKT_MAX];
	struct __sk_buff ctx = {.ifindex = (uint32_t)ifindex, .gso_size = gso_size};
	uint64_t before[FP_COUNTER_MAX], after[FP_COUNTER_MAX];
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame,
	            .data_size_in = (uint32_t)(FP_ETH_LEN + len), .data_out = o->pkt,
	            .data_size_out = sizeof(o->pkt), .ctx_in = &ctx, .ctx_size_in = sizeof(ctx),
	            .repeat = 1);
	int err;

	if (len < 1 || FP_ETH_LEN + len > FP_TEST_RUN_MAX)
		return -EMSGSIZE;
	memset(frame, 0, FP_ETH_LEN);
	frame[12] = (in[0] >> 4) == 6 ? 0x86 : 0x08; /* EtherType IPv6 / IPv4 */
	frame[13] = (in[0] >> 4) == 6 ? 0xdd : 0x00;
	memcpy(frame + FP_ETH_LEN, in, len);
	if ((err = fastpath_counters(fp, before)) != 0)
		return err;
	if (bpf_prog_test_run_opts(fastpath_prog_fd(fp), &opts) != 0)
		return -errno;
	if ((err = fastpath_counters(fp, after)) != 0)
		return err;
	for (int c = 0; c < FP_COUNTER_MAX; c++)
		o->moved[c] = after[c] - before[c];
	o->retval = opts.retval;
	if (opts.data_size_out < FP_ETH_LEN)
		return -EPROTO;
	o->len = opts.data_size_out - FP_ETH_LEN;
	memmove(o->pkt, o->pkt + FP_ETH_LEN, o->len);
	return 0;
}

static size_t l4_off(const uint8_t *p)
{
	return (p[0] >> 4) == 6 ? 40 : (size_t)(p[0] & 0xf) * 4;
}

static uint8_t l4_proto(const uint8_t *p)
{
	uint8_t proto = (p[0] >> 4) == 6 ? p[6] : p[9];

	return proto == IPPROTO_ICMPV6 ? IPPROTO_ICMP : proto;
}

static uint16_t be16_at(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32_at(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Source and destination port (ICMP: the identifier twice). */
static void ports_of(const uint8_t *p, uint16_t *sport, uint16_t *dport)
{
	const uint8_t *l4 = p + l4_off(p);

	if (l4_proto(p) == IPPROTO_ICMP) {
		*sport = *dport = be16_at(l4 + 4);
		return;
	}
	*sport = be16_at(l4);
	*dport = be16_at(l4 + 2);
}

void fp_harness_session_of(const uint8_t *in, const uint8_t *out, struct fastpath_session *s)
{
	const uint8_t *v6 = (in[0] >> 4) == 6 ? in : out;
	const uint8_t *v4 = v6 == in ? out : in;
	uint16_t p6s, p6d, p4s, p4d;

	memset(s, 0, sizeof(*s));
	s->proto = l4_proto(in);
	ports_of(v6, &p6s, &p6d);
	ports_of(v4, &p4s, &p4d);
	if (v6 == in) { /* 6to4: the IPv6 packet is the client's */
		memcpy(s->src6, v6 + 8, 16);
		memcpy(s->dst6, v6 + 24, 16);
		s->sport6 = p6s;
		s->dport6 = p6d;
		s->src4 = be32_at(v4 + 12);
		s->dst4 = be32_at(v4 + 16);
		s->sport4 = p4s;
		s->dport4 = p4d;
	} else { /* 4to6: both are the server's reply */
		memcpy(s->src6, v6 + 24, 16);
		memcpy(s->dst6, v6 + 8, 16);
		s->sport6 = p6d;
		s->dport6 = p6s;
		s->src4 = be32_at(v4 + 16);
		s->dst4 = be32_at(v4 + 12);
		s->sport4 = p4d;
		s->dport4 = p4s;
	}
}

void fp_harness_settings(const struct xlat_config *cfg, struct fastpath_settings *s)
{
	*s = (struct fastpath_settings){
	    .enabled = true,
	    .mtu = (uint16_t)cfg->mtu,
	    .lowest_ipv6_mtu = (uint16_t)cfg->lowest_ipv6_mtu,
	    .tos_zero = cfg->tos_zero,
	    .flow_label_hash = cfg->flow_label_hash,
	};
}
