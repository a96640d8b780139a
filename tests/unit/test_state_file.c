/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests of the state file (translator/conf/state_file.c) and of the NAT64
 * export/import it rests on (nat64_export, nat64_import in nat64/export.c). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>

#include "nat64.h"
#include "state_file.h"

#define SEC 1000ULL
#define T_UDP 300
#define T_EST 7440
#define T_TRANS 240
#define T_ICMP 60
#define NOW1 (1000 * SEC)
#define NOW2 (5 * SEC) /* the new process's monotonic clock starts elsewhere */
#define WALL 1700000000000ULL

static uint32_t v4(unsigned a, unsigned b, unsigned c, unsigned d)
{
	return (uint32_t)a << 24 | b << 16 | c << 8 | d;
}

#define POOL_ADDR v4(198, 51, 100, 1)
#define SERVER v4(203, 0, 113, 10)

/* 2001:db8:6::N */
static void client6(uint8_t n, uint8_t a[16])
{
	static const uint8_t base[16] = {0x20, 0x01, 0x0d, 0xb8, 0x00, 0x06};

	memcpy(a, base, 16);
	a[15] = n;
}

static struct pool4_range pool;
static struct nat64_static_bib statics[1];

static struct nat64_config cfg_with(uint32_t addr, uint16_t lo, uint16_t hi, uint64_t seed)
{
	struct nat64_config c;

	memset(&c, 0, sizeof(c));
	pool = (struct pool4_range){.addr = addr, .len = 32, .port_lo = lo, .port_hi = hi};
	c.pool4 = &pool;
	c.n_pool4 = 1;
	c.timeout_udp = T_UDP;
	c.timeout_tcp_est = T_EST;
	c.timeout_tcp_trans = T_TRANS;
	c.timeout_icmp = T_ICMP;
	c.max_sessions = 1000;
	c.seed = seed;
	return c;
}

static struct nat64 *new_nat(uint16_t lo, uint16_t hi, uint64_t seed)
{
	struct nat64_config c = cfg_with(POOL_ADDR, lo, hi, seed);
	struct nat64 *nat = nat64_new(&c);

	ck_assert_ptr_nonnull(nat);
	return nat;
}

/* UDP from 2001:db8:6::n port sport to SERVER:53; returns t. */
static uint16_t udp_out(struct nat64 *nat, uint8_t n, uint16_t sport, uint64_t now)
{
	struct nat64_flow6 f = {
	    .proto = IPPROTO_UDP, .sport = sport, .dst4 = SERVER, .dport = 53, .len = 100};
	uint32_t t4;
	uint16_t t;

	client6(n, f.src6);
	ck_assert_int_eq(nat64_out(nat, &f, 0, now, &t4, &t), NAT64_OK);
	ck_assert_uint_eq(t4, POOL_ADDR);
	return t;
}

/* An established TCP connection 2001:db8:6::n:sport <-> SERVER:80. */
static uint16_t tcp_established(struct nat64 *nat, uint8_t n, uint16_t sport, uint64_t now)
{
	struct nat64_flow6 f = {.proto = IPPROTO_TCP, .sport = sport, .dst4 = SERVER, .dport = 80};
	struct nat64_flow4 g = {.proto = IPPROTO_TCP, .src4 = SERVER, .sport = 80};
	uint8_t x6[16];
	uint16_t x;

	client6(n, f.src6);
	ck_assert_int_eq(nat64_out(nat, &f, NAT64_TCP_SYN, now, &g.dst4, &g.dport), NAT64_OK);
	ck_assert_int_eq(nat64_in(nat, &g, NAT64_TCP_SYN | NAT64_TCP_ACK, now, x6, &x), NAT64_OK);
	return g.dport;
}

/* A data segment (ACK only) from SERVER:80 to (T,t) gets through: only an
 * existing session lets a non-SYN in. */
static enum nat64_result tcp_ack_in(struct nat64 *nat, uint16_t t, uint64_t now, uint8_t x6[16],
                                    uint16_t *x)
{
	struct nat64_flow4 g = {
	    .proto = IPPROTO_TCP, .src4 = SERVER, .sport = 80, .dst4 = POOL_ADDR, .dport = t};

	return nat64_in(nat, &g, NAT64_TCP_ACK, now, x6, x);
}

/* Whole file in memory: text and length. */
struct memfile {
	char *buf;
	size_t len;
};

static struct memfile save(struct nat64 *nat, uint64_t now, uint64_t wall, size_t *n)
{
	struct memfile m = {NULL, 0};
	FILE *f = open_memstream(&m.buf, &m.len);

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(state_file_write(f, nat, now, wall, n), 0);
	fclose(f);
	return m;
}

static FILE *reader_of(const char *buf, size_t len)
{
	FILE *f = fmemopen((void *)buf, len, "r");

	ck_assert_ptr_nonnull(f);
	return f;
}

static int restore_buf(const char *buf, size_t len, struct nat64 *nat, uint64_t now, uint64_t wall,
                       struct nat64_import_stats *st, char *err, size_t errlen)
{
	FILE *f = reader_of(buf, len);
	int rc;

	memset(st, 0, sizeof(*st));
	rc = state_file_restore(f, nat, now, wall, st, err, errlen);
	fclose(f);
	return rc;
}

static int read_buf(const char *buf, size_t len, char *err, size_t errlen)
{
	struct nat64_saved_session *v;
	size_t n;
	FILE *f = reader_of(buf, len);
	int rc = state_file_read(f, WALL, &v, &n, err, errlen);

	fclose(f);
	if (rc == 0)
		free(v);
	else
		ck_assert_ptr_null(v);
	return rc;
}

/* CRC-32 (IEEE) by table, independent of the bitwise one in state_file.c:
 * builds valid end lines for hand-written files. */
static uint32_t ref_crc32(const char *s, size_t len)
{
	static uint32_t table[256];
	uint32_t c = 0xffffffffu;

	if (!table[1]) {
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t r = i;

			for (int k = 0; k < 8; k++)
				r = r & 1 ? 0xedb88320u ^ r >> 1 : r >> 1;
			table[i] = r;
		}
	}
	for (size_t i = 0; i < len; i++)
		c = table[(c ^ (uint8_t)s[i]) & 0xff] ^ c >> 8;
	return ~c;
}

/* body + a correct end line for n session lines, into out. */
static void with_end(const char *body, unsigned n, char *out, size_t outlen)
{
	snprintf(out, outlen, "%send %u %08x\n", body, n, ref_crc32(body, strlen(body)));
}

/* ---- format ---- */

START_TEST(test_write_exact_bytes)
{
	struct nat64 *nat = new_nat(40000, 40000, 1); /* one port: t is 40000 */
	static const char want[] =
	    "tun64-state 1\n"
	    "saved-at-ms 1700000000000\n"
	    "session udp 2001:db8:6::10 5353 198.51.100.1 40000 203.0.113.10 53 - 299000 dynamic "
	    "1 100 0 0\n"
	    "end 1 6cc54fe2\n"; /* CRC from Python's zlib.crc32 of the lines above */
	struct memfile m;
	size_t n;

	ck_assert_uint_eq(udp_out(nat, 0x10, 5353, NOW1), 40000);
	m = save(nat, NOW1 + 1 * SEC, WALL, &n);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(m.len, strlen(want));
	ck_assert_str_eq(m.buf, want);
	free(m.buf);
	nat64_free(nat);
}
END_TEST

static int first_counts(const struct nat64_session_info *in, void *arg)
{
	*(struct nat64_session_info *)arg = *in;
	return 1;
}

/* The counts go through the file; a line without them (version 1 as
 * first written) still reads, with counts of 0. */
START_TEST(test_counts_round_trip_and_old_lines)
{
	struct nat64 *old = new_nat(40000, 40000, 1), *nat = new_nat(40000, 40000, 2);
	struct nat64 *nat2 = new_nat(40000, 40000, 3);
	static const char old_body[] =
	    "tun64-state 1\n"
	    "saved-at-ms 1700000000000\n"
	    "session udp 2001:db8:6::10 5353 198.51.100.1 40000 203.0.113.10 53 - 299000 dynamic\n";
	struct nat64_flow4 g = {.proto = IPPROTO_UDP, .src4 = SERVER, .sport = 53, .len = 700};
	struct nat64_import_stats st;
	struct nat64_session_info in;
	struct memfile m;
	char err[128], buf[512];
	uint8_t x6[16];
	uint16_t x;
	size_t n;

	g.dport = udp_out(old, 0x10, 5353, NOW1);
	udp_out(old, 0x10, 5353, NOW1);
	g.dst4 = POOL_ADDR;
	ck_assert_int_eq(nat64_in(old, &g, 0, NOW1, x6, &x), NAT64_OK);
	m = save(old, NOW1, WALL, &n);
	ck_assert_int_eq(restore_buf(m.buf, m.len, nat, NOW2, WALL, &st, err, sizeof(err)), 0);
	ck_assert_uint_eq(st.sessions, 1);
	nat64_foreach_session(nat, first_counts, &in);
	ck_assert_uint_eq(in.packets[NAT64_DIR_6TO4], 2);
	ck_assert_uint_eq(in.bytes[NAT64_DIR_6TO4], 200);
	ck_assert_uint_eq(in.packets[NAT64_DIR_4TO6], 1);
	ck_assert_uint_eq(in.bytes[NAT64_DIR_4TO6], 700);
	free(m.buf);

	with_end(old_body, 1, buf, sizeof(buf));
	ck_assert_int_eq(restore_buf(buf, strlen(buf), nat2, NOW2, WALL, &st, err, sizeof(err)), 0);
	ck_assert_uint_eq(st.sessions, 1);
	nat64_foreach_session(nat2, first_counts, &in);
	ck_assert_uint_eq(in.packets[NAT64_DIR_6TO4] + in.packets[NAT64_DIR_4TO6], 0);
	ck_assert_uint_eq(in.bytes[NAT64_DIR_6TO4] + in.bytes[NAT64_DIR_4TO6], 0);
	/* 12 or 13 fields: neither form */
	with_end("tun64-state 1\nsaved-at-ms 1700000000000\n"
	         "session udp 2001:db8:6::10 5353 198.51.100.1 40000 203.0.113.10 53 - 299000 "
	         "dynamic 1\n",
	         1, buf, sizeof(buf));
	ck_assert_int_ne(read_buf(buf, strlen(buf), err, sizeof(err)), 0);
	nat64_free(old);
	nat64_free(nat);
	nat64_free(nat2);
}
END_TEST

START_TEST(test_write_empty_table)
{
	struct nat64 *nat = new_nat(1024, 65535, 1);
	struct memfile m;
	size_t n = 99;

	m = save(nat, NOW1, 0, &n);
	ck_assert_uint_eq(n, 0);
	ck_assert_str_eq(m.buf, "tun64-state 1\nsaved-at-ms 0\nend 0 d8d4f957\n");
	free(m.buf);
	nat64_free(nat);
}
END_TEST

static int keep_session(const struct nat64_saved_session *e, void *arg)
{
	*(struct nat64_saved_session *)arg = *e;
	return 7;
}

START_TEST(test_export_fields)
{
	struct nat64 *nat = new_nat(40000, 40000, 1);
	struct nat64_saved_session got;
	uint8_t x6[16];

	tcp_established(nat, 7, 33000, NOW1);
	client6(7, x6);
	/* one session: the callback's non-zero return stops and comes back */
	ck_assert_int_eq(nat64_export(nat, NOW1 + 40 * SEC, keep_session, &got), 7);
	ck_assert_uint_eq(got.proto, IPPROTO_TCP);
	ck_assert_mem_eq(got.v6.addr, x6, 16);
	ck_assert_uint_eq(got.v6.port, 33000);
	ck_assert_uint_eq(got.v4.addr, POOL_ADDR);
	ck_assert_uint_eq(got.v4.port, 40000);
	ck_assert_uint_eq(got.remote.addr, SERVER);
	ck_assert_uint_eq(got.remote.port, 80);
	ck_assert_int_eq(got.state, NAT64_TCP_ESTABLISHED);
	ck_assert_uint_eq(got.remaining_ms, (T_EST - 40) * SEC);
	ck_assert(!got.is_static);
	/* an expired session that nat64_expire has not removed yet is not saved */
	ck_assert_int_eq(nat64_export(nat, NOW1 + T_EST * SEC, keep_session, &got), 0);
	nat64_free(nat);
}
END_TEST

/* ---- restore ---- */

START_TEST(test_round_trip_keeps_bindings)
{
	struct nat64 *old = new_nat(1024, 65535, 1), *nat = new_nat(1024, 65535, 2);
	struct nat64_import_stats st;
	struct nat64_stats ns;
	struct memfile m;
	char err[128];
	uint8_t x6[16], want6[16];
	uint16_t t_tcp, t_udp, x;
	uint32_t t4;
	size_t n;

	t_tcp = tcp_established(old, 1, 40001, NOW1);
	t_udp = udp_out(old, 2, 40002, NOW1);
	m = save(old, NOW1, WALL, &n);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(restore_buf(m.buf, m.len, nat, NOW2, WALL, &st, err, sizeof(err)), 0);
	ck_assert_uint_eq(st.sessions, 2);
	ck_assert_uint_eq(st.bib, 2);
	ck_assert_uint_eq(st.taken + st.outside_pool4 + st.limit + st.invalid + st.expired, 0);
	nat64_get_stats(nat, &ns);
	ck_assert_uint_eq(ns.bib[0], 1);
	ck_assert_uint_eq(ns.sessions[0], 1);
	ck_assert_uint_eq(ns.bib[1], 1);
	ck_assert_uint_eq(ns.sessions[1], 1);
	ck_assert_uint_eq(ns.clients, 1);
	/* the same (T,t), although the new table's random ports differ */
	client6(1, want6);
	ck_assert(nat64_bib_lookup6(nat, IPPROTO_TCP, want6, 40001, &t4, &x));
	ck_assert_uint_eq(t4, POOL_ADDR);
	ck_assert_uint_eq(x, t_tcp);
	/* the TCP session is ESTABLISHED: a plain ACK from the server passes */
	ck_assert_int_eq(tcp_ack_in(nat, t_tcp, NOW2, x6, &x), NAT64_OK);
	ck_assert_mem_eq(x6, want6, 16);
	ck_assert_uint_eq(x, 40001);
	/* the UDP client keeps its port towards the server too */
	ck_assert_uint_eq(udp_out(nat, 2, 40002, NOW2), t_udp);
	free(m.buf);
	nat64_free(old);
	nat64_free(nat);
}
END_TEST

START_TEST(test_restore_claims_ports)
{
	struct nat64 *old = new_nat(40000, 40000, 1), *nat = new_nat(40000, 40000, 2);
	struct nat64_flow6 f = {.proto = IPPROTO_UDP, .sport = 999, .dst4 = SERVER, .dport = 53};
	struct nat64_import_stats st;
	struct memfile m;
	char err[128];
	uint32_t t4;
	uint16_t t;
	size_t n;

	udp_out(old, 1, 5000, NOW1);
	m = save(old, NOW1, WALL, &n);
	ck_assert_int_eq(restore_buf(m.buf, m.len, nat, NOW2, WALL, &st, err, sizeof(err)), 0);
	ck_assert_uint_eq(st.sessions, 1);
	/* the only port is the restored flow's: a new flow finds pool4 full */
	client6(9, f.src6);
	ck_assert_int_eq(nat64_out(nat, &f, 0, NOW2, &t4, &t), NAT64_POOL4_EXHAUSTED);
	free(m.buf);
	nat64_free(old);
	nat64_free(nat);
}
END_TEST

START_TEST(test_restore_expiry_relative_to_new_clock)
{
	struct nat64 *old = new_nat(1024, 65535, 1), *nat = new_nat(1024, 65535, 2);
	struct nat64_import_stats st;
	struct memfile m;
	char err[128];
	uint8_t x6[16];
	uint16_t t, x;
	size_t n;

	t = tcp_established(old, 1, 40001, NOW1);
	/* saved 100 s into its timer; restored 3 s later by the wall clock */
	m = save(old, NOW1 + 100 * SEC, WALL, &n);
	ck_assert_int_eq(
	    restore_buf(m.buf, m.len, nat, NOW2, WALL + 3 * SEC, &st, err, sizeof(err)), 0);
	ck_assert_uint_eq(st.sessions, 1);
	ck_assert_uint_eq(nat64_expire(nat, NOW2 + (T_EST - 103) * SEC - 1), 0);
	ck_assert_uint_eq(nat64_expire(nat, NOW2 + (T_EST - 103) * SEC), 1);
	ck_assert_int_eq(tcp_ack_in(nat, t, NOW2 + T_EST * SEC, x6, &x), NAT64_NO_STATE);
	free(m.buf);
	nat64_free(old);
	nat64_free(nat);
}
END_TEST

START_TEST(test_restore_caps_lifetime_and_ages)
{
	struct nat64 *nat = new_nat(1024, 65535, 2);
	struct nat64_import_stats st;
	char buf[1024], err[128];

	/* a lifetime longer than the UDP timeout is cut to it; a session whose
	 * time ran out while the daemon was down is not restored */
	with_end(
	    "tun64-state 1\n"
	    "saved-at-ms 1000000\n"
	    "session udp 2001:db8:6::1 5000 198.51.100.1 5000 203.0.113.10 53 - 999999999 dynamic\n"
	    "session udp 2001:db8:6::2 5000 198.51.100.1 5001 203.0.113.10 53 - 60000 dynamic\n",
	    2, buf, sizeof(buf));
	ck_assert_int_eq(
	    restore_buf(buf, strlen(buf), nat, NOW2, 1000000 + 60000, &st, err, sizeof(err)), 0);
	ck_assert_uint_eq(st.sessions, 1);
	ck_assert_uint_eq(st.expired, 1);
	ck_assert_uint_eq(nat64_expire(nat, NOW2 + T_UDP * SEC - 1), 0);
	ck_assert_uint_eq(nat64_expire(nat, NOW2 + T_UDP * SEC), 1);
	nat64_free(nat);
}
END_TEST

START_TEST(test_restore_outside_pool4)
{
	struct nat64 *nat = new_nat(1024, 65535, 2);
	struct nat64_import_stats st;
	struct nat64_stats ns;
	char buf[1024], err[128];

	/* pool4 changed across the restart: 198.51.100.2 and port 80 of .1 are
	 * in no range any more */
	with_end(
	    "tun64-state 1\n"
	    "saved-at-ms 0\n"
	    "session udp 2001:db8:6::1 5000 198.51.100.2 5000 203.0.113.10 53 - 60000 dynamic\n"
	    "session udp 2001:db8:6::1 5001 198.51.100.1 80 203.0.113.10 53 - 60000 dynamic\n",
	    2, buf, sizeof(buf));
	ck_assert_int_eq(restore_buf(buf, strlen(buf), nat, NOW2, 0, &st, err, sizeof(err)), 0);
	ck_assert_uint_eq(st.outside_pool4, 2);
	ck_assert_uint_eq(st.sessions, 0);
	nat64_get_stats(nat, &ns);
	ck_assert_uint_eq(ns.bib[1], 0);
	ck_assert_uint_eq(ns.sessions[1], 0);
	nat64_free(nat);
}
END_TEST

START_TEST(test_restore_taken)
{
	struct nat64_config c = cfg_with(POOL_ADDR, 1024, 65535, 2);
	struct nat64_import_stats st;
	char buf[1024], err[128];
	struct nat64 *nat;

	/* the configuration now binds udp 198.51.100.1#5000 statically to ::9,
	 * and ::2#6000 to another port */
	statics[0] = (struct nat64_static_bib){
	    .proto = IPPROTO_UDP, .addr4 = POOL_ADDR, .port4 = 5000, .port6 = 5000};
	client6(9, statics[0].addr6);
	c.bib = statics;
	c.n_bib = 1;
	nat = nat64_new(&c);
	ck_assert_ptr_nonnull(nat);
	with_end(
	    "tun64-state 1\n"
	    "saved-at-ms 0\n"
	    "session udp 2001:db8:6::1 5000 198.51.100.1 5000 203.0.113.10 53 - 60000 dynamic\n"
	    "session udp 2001:db8:6::9 5000 198.51.100.1 5002 203.0.113.10 53 - 60000 dynamic\n"
	    "session udp 2001:db8:6::9 5000 198.51.100.1 5000 203.0.113.10 53 - 60000 static\n"
	    "session udp 2001:db8:6::9 5000 198.51.100.1 5000 203.0.113.10 53 - 50000 static\n",
	    4, buf, sizeof(buf));
	ck_assert_int_eq(restore_buf(buf, strlen(buf), nat, NOW2, 0, &st, err, sizeof(err)), 0);
	ck_assert_uint_eq(st.taken, 2);
	/* the static entry takes its session back, once */
	ck_assert_uint_eq(st.sessions, 1);
	ck_assert_uint_eq(st.bib, 0);
	ck_assert_uint_eq(st.duplicate, 1);
	nat64_free(nat);
}
END_TEST

START_TEST(test_restore_max_sessions)
{
	struct nat64_config c = cfg_with(POOL_ADDR, 1024, 65535, 2);
	struct nat64_import_stats st;
	struct nat64_stats ns;
	char buf[1024], err[128];
	struct nat64 *nat;
	uint8_t x6[16];
	uint16_t x;

	c.max_sessions = 2;
	nat = nat64_new(&c);
	ck_assert_ptr_nonnull(nat);
	with_end(
	    "tun64-state 1\n"
	    "saved-at-ms 0\n"
	    "session udp 2001:db8:6::1 5000 198.51.100.1 5000 203.0.113.10 53 - 60000 dynamic\n"
	    "session udp 2001:db8:6::2 5000 198.51.100.1 5001 203.0.113.10 53 - 60001 dynamic\n"
	    "session udp 2001:db8:6::1 5000 198.51.100.1 5000 203.0.113.11 53 - 60002 dynamic\n"
	    "session udp 2001:db8:6::3 5000 198.51.100.1 5003 203.0.113.10 53 - 60003 dynamic\n",
	    4, buf, sizeof(buf));
	ck_assert_int_eq(restore_buf(buf, strlen(buf), nat, NOW2, 0, &st, err, sizeof(err)), 0);
	/* imported shortest lifetime first: the two longest are refused, one
	 * on an existing BIB entry, one that would have needed a new one */
	ck_assert_uint_eq(st.sessions, 2);
	ck_assert_uint_eq(st.bib, 2);
	ck_assert_uint_eq(st.limit, 2);
	nat64_get_stats(nat, &ns);
	ck_assert_uint_eq(ns.sessions[1], 2);
	ck_assert_uint_eq(ns.bib[1], 2);
	/* the refused new entry left nothing behind */
	ck_assert(!nat64_bib_lookup4(nat, IPPROTO_UDP, POOL_ADDR, 5003, x6, &x));
	nat64_free(nat);
}
END_TEST

START_TEST(test_restore_refused_gives_port_back)
{
	struct nat64_config c = cfg_with(POOL_ADDR, 5000, 5001, 2); /* two ports */
	struct nat64_import_stats st;
	char buf[1024], err[128];
	struct nat64 *nat;

	c.max_sessions = 1;
	nat = nat64_new(&c);
	ck_assert_ptr_nonnull(nat);
	with_end(
	    "tun64-state 1\n"
	    "saved-at-ms 0\n"
	    "session udp 2001:db8:6::1 5000 198.51.100.1 5000 203.0.113.10 53 - 60000 dynamic\n"
	    "session udp 2001:db8:6::2 5000 198.51.100.1 5001 203.0.113.10 53 - 60001 dynamic\n",
	    2, buf, sizeof(buf));
	ck_assert_int_eq(restore_buf(buf, strlen(buf), nat, NOW2, 0, &st, err, sizeof(err)), 0);
	ck_assert_uint_eq(st.sessions, 1);
	ck_assert_uint_eq(st.limit, 1);
	/* with room again, a new flow gets the port the refused session had */
	c.max_sessions = 10;
	ck_assert_int_eq(nat64_reconfigure(nat, &c), 0);
	ck_assert_uint_eq(udp_out(nat, 3, 7000, NOW2), 5001);
	nat64_free(nat);
}
END_TEST

START_TEST(test_restore_allow6)
{
	struct nat64_config c = cfg_with(POOL_ADDR, 1024, 65535, 2);
	struct prefix6 allow = {.len = 64};
	struct nat64_import_stats st;
	char buf[1024], err[128];
	struct nat64 *nat;

	client6(0, allow.addr); /* 2001:db8:6::/64 only */
	c.allow6 = &allow;
	c.n_allow6 = 1;
	nat = nat64_new(&c);
	ck_assert_ptr_nonnull(nat);
	with_end(
	    "tun64-state 1\n"
	    "saved-at-ms 0\n"
	    "session udp 2001:db8:6::1 5000 198.51.100.1 5000 203.0.113.10 53 - 60000 dynamic\n"
	    "session udp 2001:db8:7::1 5000 198.51.100.1 5001 203.0.113.10 53 - 60000 dynamic\n",
	    2, buf, sizeof(buf));
	ck_assert_int_eq(restore_buf(buf, strlen(buf), nat, NOW2, 0, &st, err, sizeof(err)), 0);
	ck_assert_uint_eq(st.sessions, 1);
	ck_assert_uint_eq(st.not_allowed, 1);
	nat64_free(nat);
}
END_TEST

START_TEST(test_restore_invalid_entries)
{
	struct nat64 *nat = new_nat(1024, 65535, 2);
	struct nat64_import_stats st;
	char buf[1024], err[128];

	/* well formed, but no table holds them: UDP with a TCP state, TCP in
	 * CLOSED, ICMP whose z is not t */
	with_end("tun64-state 1\n"
	         "saved-at-ms 0\n"
	         "session udp 2001:db8:6::1 5000 198.51.100.1 5000 203.0.113.10 53 ESTABLISHED "
	         "60000 dynamic\n"
	         "session tcp 2001:db8:6::1 5000 198.51.100.1 5000 203.0.113.10 80 CLOSED 60000 "
	         "dynamic\n"
	         "session icmp 2001:db8:6::1 7 198.51.100.1 5000 203.0.113.10 7 - 60000 dynamic\n",
	         3, buf, sizeof(buf));
	ck_assert_int_eq(restore_buf(buf, strlen(buf), nat, NOW2, 0, &st, err, sizeof(err)), 0);
	ck_assert_uint_eq(st.invalid, 3);
	ck_assert_uint_eq(st.sessions, 0);
	nat64_free(nat);
}
END_TEST

/* ---- robustness of the reader ---- */

static struct memfile sample_file(void)
{
	struct nat64 *nat = new_nat(1024, 65535, 1);
	struct memfile m;
	size_t n;

	tcp_established(nat, 1, 40001, NOW1);
	udp_out(nat, 2, 40002, NOW1);
	udp_out(nat, 3, 40003, NOW1);
	m = save(nat, NOW1, WALL, &n);
	ck_assert_uint_eq(n, 3);
	nat64_free(nat);
	return m;
}

START_TEST(test_read_every_truncation_refused)
{
	struct memfile m = sample_file();
	char err[128];

	ck_assert_int_eq(read_buf(m.buf, m.len, err, sizeof(err)), 0);
	for (size_t len = 1; len < m.len; len++) {
		err[0] = '\0';
		ck_assert_msg(read_buf(m.buf, len, err, sizeof(err)) < 0,
		              "accepted %zu of %zu bytes", len, m.len);
		ck_assert(err[0] != '\0');
	}
	free(m.buf);
}
END_TEST

START_TEST(test_read_every_bit_flip_refused)
{
	struct memfile m = sample_file();
	char err[128];

	for (size_t i = 0; i < m.len; i++) {
		for (int bit = 0; bit < 8; bit++) {
			m.buf[i] ^= (char)(1 << bit);
			ck_assert_msg(read_buf(m.buf, m.len, err, sizeof(err)) < 0,
			              "accepted a flip of bit %d of byte %zu", bit, i);
			m.buf[i] ^= (char)(1 << bit);
		}
	}
	free(m.buf);
}
END_TEST

START_TEST(test_read_corrupt_restores_nothing)
{
	struct memfile m = sample_file();
	struct nat64 *nat = new_nat(1024, 65535, 2);
	struct nat64_import_stats st;
	struct nat64_stats ns;
	char err[128];

	m.buf[m.len / 2] ^= 0x20;
	ck_assert_int_eq(restore_buf(m.buf, m.len, nat, NOW2, WALL, &st, err, sizeof(err)), -1);
	ck_assert_uint_eq(st.sessions, 0);
	nat64_get_stats(nat, &ns);
	ck_assert_uint_eq(ns.sessions[0] + ns.sessions[1] + ns.bib[0] + ns.bib[1], 0);
	free(m.buf);
	nat64_free(nat);
}
END_TEST

static void expect_refused(const char *text, const char *why)
{
	char err[128] = "";

	ck_assert_int_eq(read_buf(text, strlen(text), err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, why) != NULL, "error '%s', want '%s'", err, why);
}

START_TEST(test_read_refuses_malformed)
{
	char buf[1024], err[128];

	expect_refused("hello\n", "not a tun64 state file");
	expect_refused("tun64-state 2\nsaved-at-ms 0\nend 0 00000000\n", "unsupported version");
	expect_refused("tun64-state 1\nsaved-at-ms -1\n", "bad saved-at-ms");
	expect_refused("tun64-state 1\nsaved-at-ms 0\n", "truncated (no end line)");
	expect_refused("tun64-state 1\nsaved-at-ms 0\nend 0 d8d4f957", "truncated line");
	expect_refused("tun64-state 1\nsaved-at-ms 0\nend 1 d8d4f957\n", "session count");
	expect_refused("tun64-state 1\nsaved-at-ms 0\nend 0 d8d4f958\n", "checksum");
	expect_refused("tun64-state 1\nsaved-at-ms 0\nend 0 d8d4f957\nx\n", "after the end");
	/* well-formed CRC, bad contents: each field in turn */
	static const char *bad[] = {
	    "session sctp 2001:db8:6::1 5000 198.51.100.1 5000 203.0.113.10 53 - 1 dynamic\n",
	    "session udp 198.51.100.9 5000 198.51.100.1 5000 203.0.113.10 53 - 1 dynamic\n",
	    "session udp 2001:db8:6::1 65536 198.51.100.1 5000 203.0.113.10 53 - 1 dynamic\n",
	    "session udp 2001:db8:6::1 5000 198.51.100 5000 203.0.113.10 53 - 1 dynamic\n",
	    "session udp 2001:db8:6::1 5000 198.51.100.1 +5000 203.0.113.10 53 - 1 dynamic\n",
	    "session udp 2001:db8:6::1 5000 198.51.100.1 5000 203.0.113.10 53 OPEN 1 dynamic\n",
	    "session udp 2001:db8:6::1 5000 198.51.100.1 5000 203.0.113.10 53 - 1x dynamic\n",
	    "session udp 2001:db8:6::1 5000 198.51.100.1 5000 203.0.113.10 53 - 1 maybe\n",
	    "session udp 2001:db8:6::1 5000 198.51.100.1 5000 203.0.113.10 53 - 1\n",
	    "session udp 2001:db8:6::1 5000 198.51.100.1 5000 203.0.113.10 53 - 1 dynamic x\n",
	    "session udp 2001:db8:6::1  5000 198.51.100.1 5000 203.0.113.10 53 - 1 dynamic\n",
	    "sessions udp 2001:db8:6::1 5000 198.51.100.1 5000 203.0.113.10 53 - 1 dynamic\n",
	    "\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char body[512];

		snprintf(body, sizeof(body), "tun64-state 1\nsaved-at-ms 0\n%s", bad[i]);
		with_end(body, 1, buf, sizeof(buf));
		expect_refused(buf, "bad session line");
	}
	/* and the same frame with a good line is accepted */
	with_end("tun64-state 1\nsaved-at-ms 0\n"
	         "session udp 2001:db8:6::1 5000 198.51.100.1 5000 203.0.113.10 53 - 1 dynamic\n",
	         1, buf, sizeof(buf));
	ck_assert_int_eq(read_buf(buf, strlen(buf), err, sizeof(err)), 0);
}
END_TEST

START_TEST(test_read_refuses_long_line)
{
	char body[STATE_FILE_LINE_MAX * 2], buf[STATE_FILE_LINE_MAX * 3];
	int len = snprintf(body, sizeof(body), "tun64-state 1\nsaved-at-ms 0\nsession ");

	memset(body + len, 'a', STATE_FILE_LINE_MAX);
	strcpy(body + len + STATE_FILE_LINE_MAX, "\n");
	with_end(body, 1, buf, sizeof(buf));
	expect_refused(buf, "line too long");
}
END_TEST

static Suite *state_file_suite(void)
{
	Suite *s = suite_create("state_file");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_write_exact_bytes);
	tcase_add_test(tc, test_write_empty_table);
	tcase_add_test(tc, test_counts_round_trip_and_old_lines);
	tcase_add_test(tc, test_export_fields);
	tcase_add_test(tc, test_round_trip_keeps_bindings);
	tcase_add_test(tc, test_restore_claims_ports);
	tcase_add_test(tc, test_restore_expiry_relative_to_new_clock);
	tcase_add_test(tc, test_restore_caps_lifetime_and_ages);
	tcase_add_test(tc, test_restore_outside_pool4);
	tcase_add_test(tc, test_restore_taken);
	tcase_add_test(tc, test_restore_max_sessions);
	tcase_add_test(tc, test_restore_refused_gives_port_back);
	tcase_add_test(tc, test_restore_allow6);
	tcase_add_test(tc, test_restore_invalid_entries);
	tcase_add_test(tc, test_read_every_truncation_refused);
	tcase_add_test(tc, test_read_every_bit_flip_refused);
	tcase_add_test(tc, test_read_corrupt_restores_nothing);
	tcase_add_test(tc, test_read_refuses_malformed);
	tcase_add_test(tc, test_read_refuses_long_line);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(state_file_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
