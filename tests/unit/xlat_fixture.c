/* SPDX-License-Identifier: BSD-2-Clause */
/* The translator test fixture; see xlat_fixture.h. */
#include "xlat_fixture.h"

#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eam.h"
#include "frag.h"
#include "pkt_helpers.h"

#define XF_PREFIX "2001:db8:64::/96"
#define XF_POOL4 "198.51.100.0"

const struct xf_nat_params xf_nat_default = {
    .pool4_len = 28,
    .port_lo = 1024,
    .port_hi = 65535,
    .max_sessions = 1000,
    .address_dependent_filtering = false,
};

struct xlat_fixture *xf_new(enum xlat_mode mode, const char *own4, const char *own6)
{
	struct xlat_fixture *f = calloc(1, sizeof(*f));

	ck_assert_ptr_nonnull(f);
	f->cfg.mode = mode;
	ck_assert_int_eq(prefix6_parse(XF_PREFIX, &f->cfg.pool6), 0);
	f->cfg.own4 = tp_addr4_host(own4);
	tp_addr6(own6, f->cfg.own6);
	f->cfg.mtu = 1500;
	f->cfg.lowest_ipv6_mtu = 1280;
	f->ctx.cfg = &f->cfg;
	f->ctx.ctr = &f->ctr;
	f->ctx.now_ms = 1000;
	return f;
}

void xf_add_nat(struct xlat_fixture *f, const struct xf_nat_params *p)
{
	struct nat64_config nc = {0};

	f->pool4.addr = tp_addr4_host(XF_POOL4);
	f->pool4.len = p->pool4_len;
	f->cfg.pool4 = &f->pool4;
	f->cfg.n_pool4 = 1;
	f->range.addr = f->pool4.addr;
	f->range.len = p->pool4_len;
	f->range.port_lo = p->port_lo;
	f->range.port_hi = p->port_hi;
	nc.pool4 = &f->range;
	nc.n_pool4 = 1;
	nc.timeout_udp = 300;
	nc.timeout_tcp_est = 7440;
	nc.timeout_tcp_trans = 240;
	nc.timeout_icmp = 60;
	nc.max_sessions = p->max_sessions;
	nc.seed = 42;
	nc.address_dependent_filtering = p->address_dependent_filtering;
	f->ctx.nat = nat64_new(&nc);
	ck_assert_ptr_nonnull(f->ctx.nat);
}

void xf_add_frags(struct xlat_fixture *f)
{
	f->ctx.frags = frag_table_new(7);
	ck_assert_ptr_nonnull(f->ctx.frags);
}

void xf_free(struct xlat_fixture *f)
{
	if (f->ctx.nat)
		nat64_free(f->ctx.nat);
	frag_table_free(f->ctx.frags);
	/* cfg.eam is const for the translator; the tests that set it own it */
	eam_table_free((struct eam_table *)f->cfg.eam);
	free(f);
}

enum xlat_verdict xf_run(struct xlat_fixture *f, const uint8_t *p, size_t len, bool csum_partial)
{
	ck_assert_uint_le(len, XF_BIG);
	memcpy(f->buf + XLAT_HEADROOM, p, len);
	f->pkt = (struct xlat_pkt){.buf = f->buf,
	                           .cap = sizeof(f->buf),
	                           .off = XLAT_HEADROOM,
	                           .len = len,
	                           .csum_partial = csum_partial};
	f->out = NULL;
	f->out_len = 0;
	f->before = f->ctr;
	f->verdict = xlat_packet(&f->ctx, &f->pkt, &f->out, &f->out_len);
	return f->verdict;
}

void xf_expect_counters(const struct xlat_fixture *f, const struct tun64_counters *base,
                        const uint64_t want[DIR_MAX][CTR_MAX])
{
	char msg[1024] = "";
	size_t used = 0;

	for (int d = 0; d < DIR_MAX; d++)
		for (int i = 0; i < CTR_MAX; i++) {
			uint64_t moved = f->ctr.v[d][i] - (base ? base->v[d][i] : 0);

			if (moved != want[d][i] && used < sizeof(msg))
				used += (size_t)snprintf(msg + used, sizeof(msg) - used,
				                         " %s/%s moved by %llu, want %llu;",
				                         dir_name(d), counter_name(i),
				                         (unsigned long long)moved,
				                         (unsigned long long)want[d][i]);
		}
	ck_assert_msg(used == 0, "counters:%s", msg);
}

/* want[dir][c] = 1 for each c of the list, ended by CTR_MAX. */
static void want_listed(uint64_t want[DIR_MAX][CTR_MAX], enum tun64_dir dir, va_list ap)
{
	int c;

	while ((c = va_arg(ap, int)) != CTR_MAX)
		want[dir][c] = 1;
}

void xf_expect_only(const struct xlat_fixture *f, enum tun64_dir dir, ...)
{
	uint64_t want[DIR_MAX][CTR_MAX] = {{0}};
	va_list ap;

	va_start(ap, dir);
	want_listed(want, dir, ap);
	va_end(ap);
	xf_expect_counters(f, NULL, want);
}

void xf_expect_moved(const struct xlat_fixture *f, enum tun64_dir dir, ...)
{
	uint64_t want[DIR_MAX][CTR_MAX] = {{0}};
	va_list ap;

	va_start(ap, dir);
	want_listed(want, dir, ap);
	va_end(ap);
	xf_expect_counters(f, &f->before, want);
}
