/* SPDX-License-Identifier: BSD-2-Clause */
/* pool4 port allocator: atomic bitmaps, random start, bounded scan.
 *
 * Layout: each range holds, for every address and protocol, a bitmap of
 * port_hi - port_lo + 1 bits (bit i = port port_lo + i) and two counters of
 * ports in use, one per part of the range (RFC 6146 §3.5.1.1: the
 * well-known ports 1-1023 and the rest 1024-65535; ICMP identifiers have one
 * part, the whole range). The counters only let a full address be skipped
 * quickly; the bitmaps are the truth.
 *
 * Port choice (RFC 6056 §3.3.1-like): a random start inside the part, then a
 * scan upward a 64-bit word at a time, wrapping once. The scan is bounded by
 * the size of the part (at most 1024 words) and finds the last free port. */
#include "pool4.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>

enum { PROTO_TCP = 0, PROTO_UDP = 1, PROTO_ICMP = 2, N_PROTO = 3 };
enum { PART_WELL_KNOWN = 0, PART_EPHEMERAL = 1, N_PART = 2 };

struct p4range {
	struct pool4_range cfg;
	uint32_t naddr;
	uint32_t nwords;        /* bitmap words per (address, protocol) */
	_Atomic uint64_t *bits; /* [naddr][N_PROTO][nwords] */
	_Atomic uint32_t *used; /* [naddr][N_PROTO][N_PART] */
	atomic_bool active;
};

struct pool4 {
	struct p4range r[POOL4_MAX_RANGES];
	_Atomic size_t n; /* ranges r[0..n) are initialised */
};

int nat64_proto_index(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return PROTO_TCP;
	case IPPROTO_UDP:
		return PROTO_UDP;
	case IPPROTO_ICMP:
		return PROTO_ICMP;
	default:
		return -1;
	}
}

uint64_t pool4_rand(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545F4914F6CDD1DULL;
}

struct pool4 *pool4_new(void)
{
	return calloc(1, sizeof(struct pool4));
}

void pool4_free(struct pool4 *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < atomic_load(&p->n); i++) {
		free(p->r[i].bits);
		free(p->r[i].used);
	}
	free(p);
}

static uint32_t prefix_mask(uint8_t len)
{
	return len == 0 ? 0 : ~0U << (32 - len);
}

static bool range_well_formed(const struct pool4_range *r)
{
	if (r->len > 32 || r->len < POOL4_MIN_LEN)
		return false;
	if (r->addr & ~prefix_mask(r->len))
		return false;
	return r->port_lo <= r->port_hi;
}

static bool range_same(const struct pool4_range *a, const struct pool4_range *b)
{
	return a->addr == b->addr && a->len == b->len && a->port_lo == b->port_lo &&
	       a->port_hi == b->port_hi;
}

/* Do two lines share a (T,t)? Then two bitmaps would own the same port. */
static bool range_overlap(const struct pool4_range *a, const struct pool4_range *b)
{
	uint8_t len = a->len < b->len ? a->len : b->len;

	if ((a->addr & prefix_mask(len)) != (b->addr & prefix_mask(len)))
		return false;
	return a->port_lo <= b->port_hi && b->port_lo <= a->port_hi;
}

static bool range_conflicts(const struct pool4_range *a, const struct pool4_range *b)
{
	return !range_same(a, b) && range_overlap(a, b);
}

bool pool4_valid(const struct pool4 *p, const struct pool4_range *r, size_t n)
{
	size_t have = atomic_load(&p->n);

	for (size_t i = 0; i < n; i++) {
		if (!range_well_formed(&r[i]))
			return false;
		for (size_t j = 0; j < have; j++)
			if (range_conflicts(&r[i], &p->r[j].cfg))
				return false;
		for (size_t j = 0; j < i; j++)
			if (range_conflicts(&r[i], &r[j]))
				return false;
	}
	return true;
}

int pool4_add(struct pool4 *p, const struct pool4_range *cfg)
{
	size_t n = atomic_load(&p->n);
	struct p4range *r;

	for (size_t i = 0; i < n; i++)
		if (range_same(&p->r[i].cfg, cfg))
			return (int)i;
	if (n == POOL4_MAX_RANGES || !range_well_formed(cfg))
		return -1;
	r = &p->r[n];
	r->cfg = *cfg;
	r->naddr = (uint32_t)(1ULL << (32 - cfg->len));
	r->nwords = ((uint32_t)cfg->port_hi - cfg->port_lo + 1 + 63) / 64;
	r->bits = calloc((size_t)r->naddr * N_PROTO * r->nwords, sizeof(*r->bits));
	r->used = calloc((size_t)r->naddr * N_PROTO * N_PART, sizeof(*r->used));
	if (!r->bits || !r->used) {
		free(r->bits);
		free(r->used);
		memset(r, 0, sizeof(*r));
		return -1;
	}
	atomic_init(&r->active, false);
	/* publish: readers load n with acquire and then see the range whole */
	atomic_store_explicit(&p->n, n + 1, memory_order_release);
	return (int)n;
}

void pool4_set_active(struct pool4 *p, int idx, bool active)
{
	atomic_store(&p->r[idx].active, active);
}

size_t pool4_n_ranges(const struct pool4 *p)
{
	return atomic_load(&p->n);
}

/* Bit indexes [*first, *last] of one part of a range, false if empty.
 * Port 0 is never handed out for TCP/UDP. */
static bool part_bits(const struct p4range *r, int pi, int part, uint32_t *first, uint32_t *last)
{
	uint32_t lo = r->cfg.port_lo, hi = r->cfg.port_hi;
	uint32_t plo, phi;

	if (pi == PROTO_ICMP) {
		if (part != PART_EPHEMERAL)
			return false;
		plo = lo;
		phi = hi;
	} else if (part == PART_WELL_KNOWN) {
		plo = lo < 1 ? 1 : lo;
		phi = hi > 1023 ? 1023 : hi;
	} else {
		plo = lo < 1024 ? 1024 : lo;
		phi = hi;
	}
	if (plo > phi)
		return false;
	*first = plo - lo;
	*last = phi - lo;
	return true;
}

/* RFC 6146 §3.5.1.1: sources below 1024 map into 1-1023, others above. */
static int port_part(int pi, uint16_t port)
{
	return pi == PROTO_ICMP || port >= 1024 ? PART_EPHEMERAL : PART_WELL_KNOWN;
}

static _Atomic uint64_t *addr_bits(const struct p4range *r, uint32_t ai, int pi)
{
	return &r->bits[((size_t)ai * N_PROTO + (size_t)pi) * r->nwords];
}

static _Atomic uint32_t *addr_used(const struct p4range *r, uint32_t ai, int pi, int part)
{
	return &r->used[((size_t)ai * N_PROTO + (size_t)pi) * N_PART + (size_t)part];
}

static uint64_t bits_mask(uint32_t word, uint32_t lo, uint32_t hi)
{
	uint64_t m = ~0ULL;

	if (word == lo / 64)
		m &= ~0ULL << (lo % 64);
	if (word == hi / 64 && hi % 64 != 63)
		m &= (1ULL << (hi % 64 + 1)) - 1;
	return m;
}

/* Set the first clear bit in [lo, hi]; its index, or -1 if none. */
static int64_t claim_first(_Atomic uint64_t *w, uint32_t lo, uint32_t hi)
{
	for (uint32_t wi = lo / 64; wi <= hi / 64; wi++) {
		uint64_t mask = bits_mask(wi, lo, hi);
		uint64_t cur = atomic_load_explicit(&w[wi], memory_order_relaxed);

		while (~cur & mask) {
			int bit = __builtin_ctzll(~cur & mask);

			if (atomic_compare_exchange_weak(&w[wi], &cur, cur | (1ULL << bit)))
				return (int64_t)wi * 64 + bit;
		}
	}
	return -1;
}

static bool try_address(const struct p4range *r, uint32_t ai, int pi, int part, uint64_t *rng,
                        uint16_t *port)
{
	_Atomic uint32_t *used = addr_used(r, ai, pi, part);
	_Atomic uint64_t *w = addr_bits(r, ai, pi);
	uint32_t first, last, start;
	int64_t bit;

	if (!part_bits(r, pi, part, &first, &last))
		return false;
	if (atomic_load_explicit(used, memory_order_relaxed) > last - first)
		return false;
	start = first + (uint32_t)(pool4_rand(rng) % (last - first + 1));
	bit = claim_first(w, start, last);
	if (bit < 0 && start > first)
		bit = claim_first(w, first, start - 1);
	if (bit < 0)
		return false;
	atomic_fetch_add_explicit(used, 1, memory_order_relaxed);
	*port = (uint16_t)(r->cfg.port_lo + bit);
	return true;
}

static bool range_usable(const struct p4range *r, int pi, int part)
{
	uint32_t first, last;

	return atomic_load_explicit(&r->active, memory_order_relaxed) &&
	       part_bits(r, pi, part, &first, &last);
}

/* Next usable range after i, wrapping, i itself last; -1 if none. */
static int next_range(const struct pool4 *p, size_t n, size_t i, int pi, int part)
{
	for (size_t k = 1; k <= n; k++) {
		size_t j = (i + k) % n;

		if (range_usable(&p->r[j], pi, part))
			return (int)j;
	}
	return -1;
}

static bool alloc_in_part(struct pool4 *p, int pi, int part, uint32_t addr_hint, uint64_t *rng,
                          uint32_t *addr, uint16_t *port)
{
	size_t n = atomic_load_explicit(&p->n, memory_order_acquire);
	uint64_t total = 0, k;
	int ri;

	for (size_t i = 0; i < n; i++)
		if (range_usable(&p->r[i], pi, part))
			total += p->r[i].naddr;
	if (total == 0)
		return false; /* e.g. no port below 1024 in any range */
	k = addr_hint % total;
	ri = next_range(p, n, n - 1, pi, part);
	while (ri >= 0 && k >= p->r[ri].naddr) {
		k -= p->r[ri].naddr;
		ri = next_range(p, n, (size_t)ri, pi, part);
	}
	for (uint64_t step = 0; step < total && ri >= 0; step++) {
		const struct p4range *r = &p->r[ri];

		if (try_address(r, (uint32_t)k, pi, part, rng, port)) {
			*addr = r->cfg.addr + (uint32_t)k;
			return true;
		}
		if (++k == r->naddr) {
			k = 0;
			ri = next_range(p, n, (size_t)ri, pi, part);
		}
	}
	return false;
}

/* RFC 6146 §3.5.1.1: a port from the same part of the range as the source's
 * (well-known or not) SHOULD be chosen; when that part has none free the NAT64
 * MAY take one from the other part, which we do: a client using source port
 * 123 still gets through a pool with ports 1024-65535. */
bool pool4_alloc(struct pool4 *p, uint8_t proto, uint32_t addr_hint, uint16_t sport, uint64_t *rng,
                 uint32_t *addr, uint16_t *port)
{
	int pi = nat64_proto_index(proto);
	int part;

	if (pi < 0)
		return false;
	part = port_part(pi, sport);
	if (alloc_in_part(p, pi, part, addr_hint, rng, addr, port))
		return true;
	return pi != PROTO_ICMP &&
	       alloc_in_part(p, pi, part == PART_WELL_KNOWN ? PART_EPHEMERAL : PART_WELL_KNOWN,
	                     addr_hint, rng, addr, port);
}

/* The range holding (addr, port), or NULL. */
static const struct p4range *find_range(const struct pool4 *p, uint32_t addr, uint16_t port)
{
	size_t n = atomic_load_explicit(&p->n, memory_order_acquire);

	for (size_t i = 0; i < n; i++) {
		const struct p4range *r = &p->r[i];

		if ((addr & prefix_mask(r->cfg.len)) == r->cfg.addr && port >= r->cfg.port_lo &&
		    port <= r->cfg.port_hi)
			return r;
	}
	return NULL;
}

static bool bit_in_part(const struct p4range *r, int pi, int part, uint32_t bit)
{
	uint32_t first, last;

	return part_bits(r, pi, part, &first, &last) && bit >= first && bit <= last;
}

enum pool4_claim pool4_claim(struct pool4 *p, uint8_t proto, uint32_t addr, uint16_t port)
{
	int pi = nat64_proto_index(proto);
	const struct p4range *r = pi < 0 ? NULL : find_range(p, addr, port);
	uint32_t ai, bit;
	uint64_t m, old;
	int part;

	if (!r)
		return POOL4_OUTSIDE;
	ai = addr - r->cfg.addr;
	bit = (uint32_t)port - r->cfg.port_lo;
	m = 1ULL << (bit % 64);
	old = atomic_fetch_or(&addr_bits(r, ai, pi)[bit / 64], m);
	if (old & m)
		return POOL4_BUSY;
	part = port_part(pi, port);
	if (bit_in_part(r, pi, part, bit))
		atomic_fetch_add_explicit(addr_used(r, ai, pi, part), 1, memory_order_relaxed);
	return POOL4_CLAIMED;
}

void pool4_release(struct pool4 *p, uint8_t proto, uint32_t addr, uint16_t port)
{
	int pi = nat64_proto_index(proto);
	const struct p4range *r = pi < 0 ? NULL : find_range(p, addr, port);
	uint32_t ai, bit;
	uint64_t m, old;
	int part;

	if (!r)
		return;
	ai = addr - r->cfg.addr;
	bit = (uint32_t)port - r->cfg.port_lo;
	m = 1ULL << (bit % 64);
	old = atomic_fetch_and(&addr_bits(r, ai, pi)[bit / 64], ~m);
	part = port_part(pi, port);
	if ((old & m) && bit_in_part(r, pi, part, bit))
		atomic_fetch_sub_explicit(addr_used(r, ai, pi, part), 1, memory_order_relaxed);
}

/* ---- port blocks (pool4.h) ---- */

/* Set bits [lo, lo + n) all at once or none: on a bit already set, the bits
 * set so far are cleared again. */
static bool claim_run(_Atomic uint64_t *w, uint32_t lo, uint32_t n)
{
	uint32_t hi = lo + n - 1;

	for (uint32_t wi = lo / 64; wi <= hi / 64; wi++) {
		uint64_t mask = bits_mask(wi, lo, hi);
		uint64_t old = atomic_fetch_or(&w[wi], mask);

		if (old & mask) {
			/* ours are the bits of mask that were clear */
			atomic_fetch_and(&w[wi], ~(mask & ~old));
			for (uint32_t wj = lo / 64; wj < wi; wj++)
				atomic_fetch_and(&w[wj], ~bits_mask(wj, lo, hi));
			return false;
		}
	}
	return true;
}

static void release_run(_Atomic uint64_t *w, uint32_t lo, uint32_t n)
{
	uint32_t hi = lo + n - 1;

	for (uint32_t wi = lo / 64; wi <= hi / 64; wi++)
		atomic_fetch_and(&w[wi], ~bits_mask(wi, lo, hi));
}

/* A free block of n on address ai: random start slot, then every slot. */
static bool try_block(const struct p4range *r, uint32_t ai, int pi, int part, uint32_t n,
                      uint64_t *rng, uint16_t *first_port)
{
	_Atomic uint32_t *used = addr_used(r, ai, pi, part);
	uint32_t first, last, nslots, start;

	if (!part_bits(r, pi, part, &first, &last) || last - first + 1 < n)
		return false;
	if (atomic_load_explicit(used, memory_order_relaxed) + n > last - first + 1)
		return false;
	nslots = (last - first + 1) / n;
	start = (uint32_t)(pool4_rand(rng) % nslots);
	for (uint32_t k = 0; k < nslots; k++) {
		uint32_t bit = first + ((start + k) % nslots) * n;

		if (claim_run(addr_bits(r, ai, pi), bit, n)) {
			atomic_fetch_add_explicit(used, n, memory_order_relaxed);
			*first_port = (uint16_t)(r->cfg.port_lo + bit);
			return true;
		}
	}
	return false;
}

/* The usable range holding address addr, or -1. */
static int range_of_addr(const struct pool4 *p, size_t n, uint32_t addr, int pi, int part)
{
	for (size_t i = 0; i < n; i++)
		if (range_usable(&p->r[i], pi, part) &&
		    (addr & prefix_mask(p->r[i].cfg.len)) == p->r[i].cfg.addr)
			return (int)i;
	return -1;
}

static bool block_in_part(struct pool4 *p, int pi, int part, uint32_t addr_pref, uint32_t addr_hint,
                          uint32_t n, uint64_t *rng, uint32_t *addr, uint16_t *first)
{
	size_t nr = atomic_load_explicit(&p->n, memory_order_acquire);
	uint64_t total = 0, k;
	int ri;

	/* RFC 4787 REQ-2: the address the client already has, if it can */
	ri = addr_pref ? range_of_addr(p, nr, addr_pref, pi, part) : -1;
	if (ri >= 0 &&
	    try_block(&p->r[ri], addr_pref - p->r[ri].cfg.addr, pi, part, n, rng, first)) {
		*addr = addr_pref;
		return true;
	}
	for (size_t i = 0; i < nr; i++)
		if (range_usable(&p->r[i], pi, part))
			total += p->r[i].naddr;
	if (total == 0)
		return false;
	k = addr_hint % total;
	ri = next_range(p, nr, nr - 1, pi, part);
	while (ri >= 0 && k >= p->r[ri].naddr) {
		k -= p->r[ri].naddr;
		ri = next_range(p, nr, (size_t)ri, pi, part);
	}
	for (uint64_t step = 0; step < total && ri >= 0; step++) {
		const struct p4range *r = &p->r[ri];

		if (try_block(r, (uint32_t)k, pi, part, n, rng, first)) {
			*addr = r->cfg.addr + (uint32_t)k;
			return true;
		}
		if (++k == r->naddr) {
			k = 0;
			ri = next_range(p, nr, (size_t)ri, pi, part);
		}
	}
	return false;
}

bool pool4_alloc_block(struct pool4 *p, uint8_t proto, uint32_t addr_pref, uint32_t addr_hint,
                       uint16_t sport, uint32_t n, uint64_t *rng, uint32_t *addr, uint16_t *first)
{
	int pi = nat64_proto_index(proto);
	int part;

	if (pi < 0 || n == 0)
		return false;
	part = port_part(pi, sport);
	if (block_in_part(p, pi, part, addr_pref, addr_hint, n, rng, addr, first))
		return true;
	return pi != PROTO_ICMP &&
	       block_in_part(p, pi, part == PART_WELL_KNOWN ? PART_EPHEMERAL : PART_WELL_KNOWN,
	                     addr_pref, addr_hint, n, rng, addr, first);
}

/* The slot of n bits in r's part that holds bit; false if none. */
static bool block_slot(const struct p4range *r, int pi, int part, uint32_t bit, uint32_t n,
                       uint32_t *lo)
{
	uint32_t first, last;

	if (!part_bits(r, pi, part, &first, &last) || bit < first || bit > last)
		return false;
	*lo = first + (bit - first) / n * n;
	return *lo + n - 1 <= last;
}

enum pool4_claim pool4_claim_block(struct pool4 *p, uint8_t proto, uint32_t addr, uint16_t port,
                                   uint32_t n, uint16_t *first)
{
	int pi = nat64_proto_index(proto);
	const struct p4range *r = pi < 0 || n == 0 ? NULL : find_range(p, addr, port);
	uint32_t ai, lo;
	int part;

	if (!r)
		return POOL4_OUTSIDE;
	ai = addr - r->cfg.addr;
	part = port_part(pi, port);
	if (!block_slot(r, pi, part, (uint32_t)port - r->cfg.port_lo, n, &lo))
		return POOL4_OUTSIDE;
	if (!claim_run(addr_bits(r, ai, pi), lo, n))
		return POOL4_BUSY;
	atomic_fetch_add_explicit(addr_used(r, ai, pi, part), n, memory_order_relaxed);
	*first = (uint16_t)(r->cfg.port_lo + lo);
	return POOL4_CLAIMED;
}

void pool4_release_block(struct pool4 *p, uint8_t proto, uint32_t addr, uint16_t first, uint32_t n)
{
	int pi = nat64_proto_index(proto);
	const struct p4range *r = pi < 0 || n == 0 ? NULL : find_range(p, addr, first);
	uint32_t ai;

	if (!r)
		return;
	ai = addr - r->cfg.addr;
	release_run(addr_bits(r, ai, pi), (uint32_t)first - r->cfg.port_lo, n);
	atomic_fetch_sub_explicit(addr_used(r, ai, pi, port_part(pi, first)), n,
	                          memory_order_relaxed);
}

void pool4_foreach_use(const struct pool4 *p, int (*cb)(const struct nat64_pool4_use *, void *),
                       void *arg)
{
	static const uint8_t proto[N_PROTO] = {IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP};
	size_t n = atomic_load_explicit(&p->n, memory_order_acquire);

	for (size_t i = 0; i < n; i++) {
		const struct p4range *r = &p->r[i];

		for (uint32_t a = 0; a < r->naddr; a++) {
			for (int pi = 0; pi < N_PROTO; pi++) {
				struct nat64_pool4_use u = {.addr = r->cfg.addr + a,
				                            .proto = proto[pi],
				                            .active = atomic_load(&r->active),
				                            .range_addr = r->cfg.addr,
				                            .range_len = r->cfg.len};

				for (int part = 0; part < N_PART; part++) {
					uint32_t first, last;

					if (part_bits(r, pi, part, &first, &last))
						u.ports += last - first + 1;
					u.used += atomic_load_explicit(
					    &r->used[((size_t)a * N_PROTO + pi) * N_PART + part],
					    memory_order_relaxed);
				}
				if (cb(&u, arg))
					return;
			}
		}
	}
}

bool pool4_active_at(const struct pool4 *p, uint32_t addr, uint16_t port)
{
	size_t n = atomic_load_explicit(&p->n, memory_order_acquire);

	for (size_t i = 0; i < n; i++) {
		const struct p4range *r = &p->r[i];

		if ((addr & prefix_mask(r->cfg.len)) == r->cfg.addr && port >= r->cfg.port_lo &&
		    port <= r->cfg.port_hi)
			return atomic_load_explicit(&r->active, memory_order_relaxed);
	}
	return false;
}

bool pool4_range_use(const struct pool4 *p, size_t idx, struct pool4_range *cfg, bool *active,
                     uint64_t used[3], uint64_t total[3])
{
	const struct p4range *r;

	if (idx >= atomic_load_explicit(&p->n, memory_order_acquire))
		return false;
	r = &p->r[idx];
	*cfg = r->cfg;
	*active = atomic_load_explicit(&r->active, memory_order_relaxed);
	for (int pi = 0; pi < N_PROTO; pi++) {
		used[pi] = total[pi] = 0;
		for (int part = 0; part < N_PART; part++) {
			uint32_t first, last;

			if (!part_bits(r, pi, part, &first, &last))
				continue;
			total[pi] += (uint64_t)r->naddr * (last - first + 1);
			for (uint32_t ai = 0; ai < r->naddr; ai++)
				used[pi] += atomic_load_explicit(addr_used(r, ai, pi, part),
				                                 memory_order_relaxed);
		}
	}
	return true;
}
