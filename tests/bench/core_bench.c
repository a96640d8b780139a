/* SPDX-License-Identifier: BSD-2-Clause */
/* core_bench: microbenchmark of the NAT64 state core (translator/nat64/)
 * and of the whole packet path (xlat_packet), without a tun or a network.
 *
 * For live tables of 10, 10^4 and 10^6 UDP sessions (distinct IPv6 sources
 * and ports to one IPv4 server) it measures:
 *   - new-session rate: nat64_out creating flows (flows/s);
 *   - lookup cost of existing flows, nat64_out (refresh) and nat64_in, in
 *     ns/op, in random order over the live set;
 *   - the same lookups from 2 threads at once (sharded locks);
 *   - memory: RSS delta per session after creating 10^6 sessions;
 *   - xlat_packet on a prebuilt UDP packet of an existing flow, both ways,
 *     for one hot flow and for a ring of random flows.
 * Every figure is the median of REPEAT runs.
 *
 * Random order is precomputed: the flows are stored already shuffled and
 * walked sequentially, so the loop measures the table, not a PRNG or a cache
 * miss on a flow array.
 *
 * Usage:
 *   core_bench                       full run, prints the tables
 *   core_bench --callgrind N OPS     build N sessions, then OPS lookups each
 *                                    way in lookup_out_loop / lookup_in_loop
 *                                    (for valgrind --tool=callgrind; see
 *                                    core_bench.sh, which prints Ir/lookup)
 * Documentation addresses only: clients 2001:db8:6::/64, prefix
 * 2001:db8:64::/96, pool4 198.51.100.0/24, server 203.0.113.5. */
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../unit/pkt_helpers.h"
#include "addr.h"
#include "counters.h"
#include "nat64.h"
#include "xlat.h"

#define POOL4_NET "198.51.100.0"
#define POOL4_LEN 24
#define POOL4_PORT_LO 1024
#define POOL4_PORT_HI 65535
#define PREFIX6 "2001:db8:64::/96"
#define SERVER4 "203.0.113.5"
#define SERVER6 "2001:db8:64::cb00:7105" /* SERVER4 under PREFIX6 (RFC 6052) */
#define SERVER_PORT 443
#define OWN4 "198.51.100.1"
#define OWN6 "2001:db8:64::c633:6401"
/* Client i is host 2001:db8:6::(i / FLOWS_PER_HOST + 1), port
 * CLIENT_PORT0 + i % FLOWS_PER_HOST. */
#define FLOWS_PER_HOST 64
#define CLIENT_PORT0 20000

#define MAX_SESSIONS 2000000
#define NOW_MS 1000
#define REPEAT 3
#define LOOKUP_OPS 2000000 /* per measurement, whatever the table size */
#define CREATE_NEW 1000    /* new flows timed per table */
#define CREATE_ROUNDS 10   /* tables per measurement (1 at 10^6 sessions) */
#define MEM_SESSIONS 1000000
#define NTHREADS 2
#define PAYLOAD_LEN 64
#define RING_MAX 65536 /* prebuilt packets of distinct flows */
#define PKT_STRIDE 128 /* room for one prebuilt packet */
#define PKT_OPS 1000000
#define SHUFFLE_SEED 0x9e3779b97f4a7c15ULL

static const size_t table_sizes[] = { 10, 10000, 1000000 };
static const size_t path_sizes[] = { 10, 1000000 };
#define N_TABLE_SIZES (sizeof(table_sizes) / sizeof(table_sizes[0]))
#define N_PATH_SIZES (sizeof(path_sizes) / sizeof(path_sizes[0]))

/* The flows of one table, in shuffled order; f4[i] is the IPv4 reply of
 * f6[i], filled in when the flow is created. */
struct flows {
	size_t n;
	struct nat64_flow6 *f6;
	struct nat64_flow4 *f4;
};

static void die(const char *what)
{
	fprintf(stderr, "core_bench: %s\n", what);
	exit(1);
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (!p)
		die("out of memory");
	return p;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Resident set size of this process (/proc/self/statm, second field). */
static uint64_t rss_bytes(void)
{
	unsigned long size = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (!f)
		die("cannot open /proc/self/statm");
	if (fscanf(f, "%lu %lu", &size, &resident) != 2)
		die("cannot parse /proc/self/statm");
	fclose(f);
	return (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double median3(double a, double b, double c)
{
	if ((a <= b && b <= c) || (c <= b && b <= a))
		return b;
	if ((b <= a && a <= c) || (c <= a && a <= b))
		return a;
	return c;
}

/* ---- the table ---- */

static struct nat64 *bench_nat_new(void)
{
	struct pool4_range r = { .addr = tp_addr4_host(POOL4_NET), .len = POOL4_LEN,
				 .port_lo = POOL4_PORT_LO, .port_hi = POOL4_PORT_HI };
	struct nat64_config nc = { 0 };
	struct nat64 *nat;

	nc.pool4 = &r;
	nc.n_pool4 = 1;
	nc.timeout_udp = 300;
	nc.timeout_tcp_est = 7440;
	nc.timeout_tcp_trans = 240;
	nc.timeout_icmp = 60;
	nc.max_sessions = MAX_SESSIONS;
	nc.seed = 42;
	nat = nat64_new(&nc);
	if (!nat)
		die("nat64_new failed");
	return nat;
}

static void flow6_of(size_t i, struct nat64_flow6 *f)
{
	uint32_t host = (uint32_t)(i / FLOWS_PER_HOST + 1);

	memset(f, 0, sizeof(*f));
	f->proto = IPPROTO_UDP;
	tp_addr6("2001:db8:6::", f->src6);
	f->src6[12] = (uint8_t)(host >> 24);
	f->src6[13] = (uint8_t)(host >> 16);
	f->src6[14] = (uint8_t)(host >> 8);
	f->src6[15] = (uint8_t)host;
	f->sport = (uint16_t)(CLIENT_PORT0 + i % FLOWS_PER_HOST);
	f->dst4 = tp_addr4_host(SERVER4);
	f->dport = SERVER_PORT;
}

/* n flows in a random order (Fisher-Yates over the flow numbers). */
static void flows_make(struct flows *fl, size_t n)
{
	uint64_t rng = SHUFFLE_SEED;
	uint32_t *perm = xcalloc(n, sizeof(*perm));

	for (size_t i = 0; i < n; i++)
		perm[i] = (uint32_t)i;
	for (size_t i = n - 1; i > 0; i--) {
		size_t j = splitmix64(&rng) % (i + 1);
		uint32_t t = perm[i];

		perm[i] = perm[j];
		perm[j] = t;
	}
	fl->n = n;
	fl->f6 = xcalloc(n, sizeof(*fl->f6));
	fl->f4 = xcalloc(n, sizeof(*fl->f4));
	for (size_t i = 0; i < n; i++)
		flow6_of(perm[i], &fl->f6[i]);
	free(perm);
}

static void flows_free(struct flows *fl)
{
	free(fl->f6);
	free(fl->f4);
}

/* Create every flow (first packet from the client); record its IPv4 reply.
 * Returns the nanoseconds spent in nat64_out. */
static __attribute__((noinline)) uint64_t create_loop(struct nat64 *nat, struct flows *fl)
{
	uint64_t t0 = now_ns();

	for (size_t i = 0; i < fl->n; i++) {
		const struct nat64_flow6 *f = &fl->f6[i];
		struct nat64_flow4 *r = &fl->f4[i];

		if (nat64_out(nat, f, 0, NOW_MS, &r->dst4, &r->dport) != NAT64_OK)
			die("nat64_out could not create a flow");
	}
	return now_ns() - t0;
}

static void replies_fill(struct flows *fl)
{
	for (size_t i = 0; i < fl->n; i++) {
		fl->f4[i].proto = IPPROTO_UDP;
		fl->f4[i].src4 = fl->f6[i].dst4;
		fl->f4[i].sport = fl->f6[i].dport;
	}
}

/* ops packets of existing flows 6->4, walking the shuffled set from start. */
static __attribute__((noinline)) void lookup_out_loop(struct nat64 *nat, const struct flows *fl,
						       size_t start, size_t ops)
{
	size_t j = start % fl->n;
	uint32_t a4;
	uint16_t p4;

	for (size_t k = 0; k < ops; k++) {
		if (nat64_out(nat, &fl->f6[j], 0, NOW_MS, &a4, &p4) != NAT64_OK)
			die("nat64_out lost a flow");
		if (++j == fl->n)
			j = 0;
	}
}

static __attribute__((noinline)) void lookup_in_loop(struct nat64 *nat, const struct flows *fl,
						      size_t start, size_t ops)
{
	size_t j = start % fl->n;
	uint8_t a6[16];
	uint16_t p6;

	for (size_t k = 0; k < ops; k++) {
		if (nat64_in(nat, &fl->f4[j], 0, NOW_MS, a6, &p6) != NAT64_OK)
			die("nat64_in lost a flow");
		if (++j == fl->n)
			j = 0;
	}
}

enum lookup_dir { LOOKUP_OUT, LOOKUP_IN };

static void lookup_loop(enum lookup_dir d, struct nat64 *nat, const struct flows *fl, size_t start,
			size_t ops)
{
	if (d == LOOKUP_OUT)
		lookup_out_loop(nat, fl, start, ops);
	else
		lookup_in_loop(nat, fl, start, ops);
}

/* A table holding every flow of fl (fl->f4 filled). */
static struct nat64 *table_build(struct flows *fl)
{
	struct nat64 *nat = bench_nat_new();

	create_loop(nat, fl);
	replies_fill(fl);
	return nat;
}

/* ---- measurements ---- */

/* New flows per second with n live sessions: CREATE_NEW more flows (flow
 * numbers n .. n+CREATE_NEW-1) timed into a fresh table holding the n flows
 * of live; CREATE_ROUNDS such tables (one at 10^6, whose build takes 1 s). */
static double measure_create(struct flows *live)
{
	size_t rounds = live->n >= 1000000 ? 1 : CREATE_ROUNDS;
	uint64_t ns = 0;
	struct flows fresh;

	flows_make(&fresh, CREATE_NEW);
	for (size_t i = 0; i < fresh.n; i++)
		flow6_of(live->n + i, &fresh.f6[i]);
	for (size_t r = 0; r < rounds; r++) {
		struct nat64 *nat = bench_nat_new();

		create_loop(nat, live);
		ns += create_loop(nat, &fresh);
		nat64_free(nat);
	}
	flows_free(&fresh);
	return (double)(rounds * CREATE_NEW) * 1e9 / (double)ns;
}

static double measure_lookup(enum lookup_dir d, struct nat64 *nat, const struct flows *fl)
{
	uint64_t t0;

	t0 = now_ns();
	lookup_loop(d, nat, fl, 0, LOOKUP_OPS);
	return (double)(now_ns() - t0) / LOOKUP_OPS;
}

struct worker {
	pthread_t tid;
	pthread_barrier_t *go;
	enum lookup_dir d;
	struct nat64 *nat;
	const struct flows *fl;
	size_t start;
	uint64_t ns;
};

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	uint64_t t0;

	pthread_barrier_wait(w->go);
	t0 = now_ns();
	lookup_loop(w->d, w->nat, w->fl, w->start, LOOKUP_OPS);
	w->ns = now_ns() - t0;
	return NULL;
}

/* NTHREADS threads, LOOKUP_OPS each, starting at evenly spaced places of the
 * shuffled set. Returns the aggregate lookups per second. */
static double measure_threads(enum lookup_dir d, struct nat64 *nat, const struct flows *fl)
{
	struct worker w[NTHREADS];
	pthread_barrier_t go;
	uint64_t slowest = 0;

	if (pthread_barrier_init(&go, NULL, NTHREADS))
		die("pthread_barrier_init failed");
	for (size_t i = 0; i < NTHREADS; i++) {
		w[i] = (struct worker){ .go = &go, .d = d, .nat = nat, .fl = fl,
					.start = i * fl->n / NTHREADS };
		if (pthread_create(&w[i].tid, NULL, worker_run, &w[i]))
			die("pthread_create failed");
	}
	for (size_t i = 0; i < NTHREADS; i++) {
		pthread_join(w[i].tid, NULL);
		if (w[i].ns > slowest)
			slowest = w[i].ns;
	}
	pthread_barrier_destroy(&go);
	return (double)NTHREADS * LOOKUP_OPS * 1e9 / (double)slowest;
}

/* The scaling the machine itself gives NTHREADS threads, with no memory and
 * no locks (a multiply loop): the ceiling of the threaded lookup columns, and
 * below NTHREADS when the cores are shared (a VM, other jobs). */
#define SPIN_ITERS 200000000u

static void *spin_run(void *arg)
{
	volatile uint64_t x = 1;

	for (uint32_t i = 0; i < SPIN_ITERS; i++)
		x = x * 6364136223846793005ULL + 1;
	(void)arg;
	return NULL;
}

static double measure_cpu_scaling(void)
{
	pthread_t tid[NTHREADS];
	uint64_t t0 = now_ns(), one, all;

	spin_run(NULL);
	one = now_ns() - t0;
	t0 = now_ns();
	for (size_t i = 0; i < NTHREADS; i++)
		if (pthread_create(&tid[i], NULL, spin_run, NULL))
			die("pthread_create failed");
	for (size_t i = 0; i < NTHREADS; i++)
		pthread_join(tid[i], NULL);
	all = now_ns() - t0;
	return (double)NTHREADS * (double)one / (double)all;
}

static void print_loadavg(void)
{
	char line[128] = "?";
	FILE *f = fopen("/proc/loadavg", "r");

	if (f) {
		if (!fgets(line, sizeof(line), f))
			strcpy(line, "?\n");
		fclose(f);
	}
	printf("load average before the run: %s", line);
}

struct table_result {
	double create_fps;
	double out_ns, in_ns;
	double out2_ops, in2_ops; /* NTHREADS threads, lookups/s in all */
};

static void measure_table(size_t n, struct table_result *res)
{
	double v[7][REPEAT];
	struct flows fl;
	struct nat64 *nat;

	flows_make(&fl, n);
	for (int r = 0; r < REPEAT; r++)
		v[0][r] = measure_create(&fl);
	nat = table_build(&fl); /* after: measure_create wrote other tables' (T,t) */
	lookup_loop(LOOKUP_OUT, nat, &fl, 0, fl.n); /* warm up */
	lookup_loop(LOOKUP_IN, nat, &fl, 0, fl.n);
	for (int r = 0; r < REPEAT; r++) {
		v[1][r] = measure_lookup(LOOKUP_OUT, nat, &fl);
		v[2][r] = measure_lookup(LOOKUP_IN, nat, &fl);
		v[3][r] = measure_threads(LOOKUP_OUT, nat, &fl);
		v[4][r] = measure_threads(LOOKUP_IN, nat, &fl);
	}
	res->create_fps = median3(v[0][0], v[0][1], v[0][2]);
	res->out_ns = median3(v[1][0], v[1][1], v[1][2]);
	res->in_ns = median3(v[2][0], v[2][1], v[2][2]);
	res->out2_ops = median3(v[3][0], v[3][1], v[3][2]);
	res->in2_ops = median3(v[4][0], v[4][1], v[4][2]);
	nat64_free(nat);
	flows_free(&fl);
}

/* RSS of MEM_SESSIONS sessions: the flow arrays are allocated and touched
 * before the baseline, so the delta is the table alone (nat64_new included). */
static void measure_memory(uint64_t *delta, uint64_t *total)
{
	struct flows fl;
	struct nat64 *nat;
	uint64_t before;

	flows_make(&fl, MEM_SESSIONS);
	replies_fill(&fl); /* touch fl.f4: its pages are not the table's */
	before = rss_bytes();
	nat = table_build(&fl);
	*total = rss_bytes();
	*delta = *total - before;
	nat64_free(nat);
	flows_free(&fl);
}

/* ---- full packet path ---- */

struct path_bench {
	struct xlat_config cfg;
	struct prefix4 pool4;
	struct tun64_counters ctr;
	struct xlat_ctx ctx;
	size_t nring;
	uint8_t *ring6, *ring4; /* nring packets each, PKT_STRIDE apart */
	size_t len6, len4;
	uint8_t work[XLAT_HEADROOM + PKT_STRIDE];
};

static void path_setup(struct path_bench *pb, struct nat64 *nat)
{
	memset(pb, 0, sizeof(*pb));
	pb->cfg.mode = XLAT_STATEFUL;
	if (prefix6_parse(PREFIX6, &pb->cfg.pool6))
		die("bad prefix");
	pb->pool4.addr = tp_addr4_host(POOL4_NET);
	pb->pool4.len = POOL4_LEN;
	pb->cfg.pool4 = &pb->pool4;
	pb->cfg.n_pool4 = 1;
	pb->cfg.own4 = tp_addr4_host(OWN4);
	tp_addr6(OWN6, pb->cfg.own6);
	pb->cfg.mtu = 1500;
	pb->cfg.lowest_ipv6_mtu = 1280;
	pb->ctx.cfg = &pb->cfg;
	pb->ctx.nat = nat;
	pb->ctx.ctr = &pb->ctr;
	pb->ctx.now_ms = NOW_MS;
}

static void addr4_text(uint32_t a, char *buf, size_t size)
{
	snprintf(buf, size, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
}

static void addr6_text(const uint8_t a[16], char *buf, size_t size)
{
	size_t off = 0;

	for (int i = 0; i < 16; i += 2)
		off += (size_t)snprintf(buf + off, size - off, "%s%x", i ? ":" : "",
					a[i] << 8 | a[i + 1]);
}

/* The client's packet of flow f6 and the server's reply f4, checksums from
 * the reference implementation of the unit tests. */
static void packets_build(const struct nat64_flow6 *f6, const struct nat64_flow4 *f4,
			  uint8_t *p6, size_t *len6, uint8_t *p4, size_t *len4)
{
	uint8_t payload[PAYLOAD_LEN], l4[8 + PAYLOAD_LEN];
	char src6[64], dst4[20];
	size_t l4len;

	tp_fill(payload, sizeof(payload), 7);
	addr6_text(f6->src6, src6, sizeof(src6));
	l4len = tp_udp(l4, f6->sport, f6->dport, payload, sizeof(payload));
	*len6 = tp_ip6(p6, &(struct tp_ip6){ .src = src6, .dst = SERVER6, .nh = IPPROTO_UDP,
					     .hlim = 64 }, l4, l4len);
	addr4_text(f4->dst4, dst4, sizeof(dst4));
	l4len = tp_udp(l4, f4->sport, f4->dport, payload, sizeof(payload));
	*len4 = tp_ip4(p4, &(struct tp_ip4){ .src = SERVER4, .dst = dst4, .proto = IPPROTO_UDP,
					     .ttl = 64, .frag = TP_DF }, l4, l4len);
	if (*len6 > PKT_STRIDE || *len4 > PKT_STRIDE)
		die("packet larger than PKT_STRIDE");
}

/* Packets of the first nring flows of the shuffled set (random flows). */
static void ring_build(struct path_bench *pb, const struct flows *fl, size_t nring)
{
	pb->nring = nring;
	pb->ring6 = xcalloc(nring, PKT_STRIDE);
	pb->ring4 = xcalloc(nring, PKT_STRIDE);
	for (size_t i = 0; i < nring; i++)
		packets_build(&fl->f6[i], &fl->f4[i], pb->ring6 + i * PKT_STRIDE, &pb->len6,
			      pb->ring4 + i * PKT_STRIDE, &pb->len4);
}

/* ns per packet: copy packet k of the ring (k < nring) into the work buffer,
 * as a read from the tun would, then translate it in place. */
static double measure_xlat(struct path_bench *pb, const uint8_t *ring, size_t len, size_t nring,
			   bool translate)
{
	const uint8_t *out;
	size_t out_len, k = 0;
	uint64_t t0 = now_ns();

	for (size_t i = 0; i < PKT_OPS; i++) {
		struct xlat_pkt pkt = { .buf = pb->work, .cap = sizeof(pb->work),
					.off = XLAT_HEADROOM, .len = len };

		memcpy(pb->work + XLAT_HEADROOM, ring + k * PKT_STRIDE, len);
		if (translate && xlat_packet(&pb->ctx, &pkt, &out, &out_len) != XLAT_SEND)
			die("xlat_packet dropped a packet of an existing flow");
		if (++k == nring)
			k = 0;
	}
	return (double)(now_ns() - t0) / PKT_OPS;
}

struct path_result {
	double hot6, hot4;   /* one flow, both ways */
	double ring6, ring4; /* a ring of random flows */
	double copy;         /* the memcpy alone, included in the above */
	size_t nring;
};

static double median_xlat(struct path_bench *pb, const uint8_t *ring, size_t len, size_t nring,
			  bool translate)
{
	double v[REPEAT];

	measure_xlat(pb, ring, len, nring, translate); /* warm up */
	for (int r = 0; r < REPEAT; r++)
		v[r] = measure_xlat(pb, ring, len, nring, translate);
	return median3(v[0], v[1], v[2]);
}

static void measure_path(size_t n, struct path_result *res)
{
	struct path_bench *pb = xcalloc(1, sizeof(*pb));
	struct flows fl;
	struct nat64 *nat;

	flows_make(&fl, n);
	nat = table_build(&fl);
	path_setup(pb, nat);
	ring_build(pb, &fl, n < RING_MAX ? n : RING_MAX);
	res->nring = pb->nring;
	res->hot6 = median_xlat(pb, pb->ring6, pb->len6, 1, true);
	res->hot4 = median_xlat(pb, pb->ring4, pb->len4, 1, true);
	res->ring6 = median_xlat(pb, pb->ring6, pb->len6, pb->nring, true);
	res->ring4 = median_xlat(pb, pb->ring4, pb->len4, pb->nring, true);
	res->copy = median_xlat(pb, pb->ring6, pb->len6, pb->nring, false);
	if (pb->ctr.v[DIR_6TO4][CTR_TRANSLATED] == 0 || pb->ctr.v[DIR_4TO6][CTR_TRANSLATED] == 0)
		die("xlat_packet translated nothing");
	free(pb->ring6);
	free(pb->ring4);
	free(pb);
	nat64_free(nat);
	flows_free(&fl);
}

/* ---- output ---- */

static void print_tables(const struct table_result *tr, const struct path_result *pr,
			 uint64_t mem_delta, uint64_t mem_total, double cpu_scaling)
{
	printf("tun64 core_bench: UDP flows to one server, pool4 %s/%d ports %d-%d, "
	       "median of %d runs, %d threads for the threaded columns\n\n",
	       POOL4_NET, POOL4_LEN, POOL4_PORT_LO, POOL4_PORT_HI, REPEAT, NTHREADS);
	printf("%10s %12s %10s %10s %14s %14s\n", "sessions", "create/s", "out ns/op",
	       "in ns/op", "2thr out Mop/s", "2thr in Mop/s");
	for (size_t i = 0; i < N_TABLE_SIZES; i++) {
		const struct table_result *t = &tr[i];

		printf("%10zu %12.0f %10.1f %10.1f %8.2f (x%.2f) %7.2f (x%.2f)\n", table_sizes[i],
		       t->create_fps, t->out_ns, t->in_ns, t->out2_ops / 1e6,
		       t->out2_ops * t->out_ns / 1e9, t->in2_ops / 1e6, t->in2_ops * t->in_ns / 1e9);
	}
	printf("(xN: aggregate throughput of %d threads over 1 thread; a multiply loop with\n"
	       " no memory and no locks scales x%.2f here now: the machine's own ceiling)\n\n",
	       NTHREADS, cpu_scaling);
	printf("memory: %d sessions: RSS delta %.1f MB = %.0f bytes/session; process RSS %.1f MB\n\n",
	       MEM_SESSIONS, (double)mem_delta / 1e6, (double)mem_delta / MEM_SESSIONS,
	       (double)mem_total / 1e6);
	printf("xlat_packet, UDP with %d bytes of payload, ns/packet (incl. a copy of the packet)\n",
	       PAYLOAD_LEN);
	printf("%10s %10s %10s %10s %10s %8s %8s\n", "sessions", "hot 6->4", "hot 4->6",
	       "rand 6->4", "rand 4->6", "flows", "copy");
	for (size_t i = 0; i < N_PATH_SIZES; i++) {
		const struct path_result *p = &pr[i];

		printf("%10zu %10.1f %10.1f %10.1f %10.1f %8zu %8.1f\n", path_sizes[i], p->hot6,
		       p->hot4, p->ring6, p->ring4, p->nring, p->copy);
	}
	printf("(hot: one flow; rand: a ring of <flows> random flows of the live set)\n");
}

static int run_all(void)
{
	struct table_result tr[N_TABLE_SIZES];
	struct path_result pr[N_PATH_SIZES];
	uint64_t mem_delta, mem_total;
	double cpu_scaling;

	print_loadavg();
	cpu_scaling = measure_cpu_scaling();
	/* first, while the heap holds nothing freed that a table could reuse */
	measure_memory(&mem_delta, &mem_total);
	for (size_t i = 0; i < N_TABLE_SIZES; i++)
		measure_table(table_sizes[i], &tr[i]);
	for (size_t i = 0; i < N_PATH_SIZES; i++)
		measure_path(path_sizes[i], &pr[i]);
	print_tables(tr, pr, mem_delta, mem_total, cpu_scaling);
	return 0;
}

/* Under valgrind: n sessions, then ops lookups each way. */
static int run_callgrind(size_t n, size_t ops)
{
	struct flows fl;
	struct nat64 *nat;

	flows_make(&fl, n);
	nat = table_build(&fl);
	lookup_out_loop(nat, &fl, 0, ops);
	lookup_in_loop(nat, &fl, 0, ops);
	nat64_free(nat);
	flows_free(&fl);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "--callgrind")) {
		size_t n = strtoul(argv[2], NULL, 10), ops = strtoul(argv[3], NULL, 10);

		if (n == 0 || n > MAX_SESSIONS || ops == 0)
			die("--callgrind N OPS: 0 < N <= 2000000, OPS > 0");
		return run_callgrind(n, ops);
	}
	if (argc != 1) {
		fprintf(stderr, "usage: core_bench [--callgrind N OPS]\n");
		return 2;
	}
	return run_all();
}
