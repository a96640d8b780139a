/* SPDX-License-Identifier: BSD-2-Clause */
/* RFC 7757 Explicit Address Mapping Table and SIIT address translation.
 *
 * Layout, and why: each direction keeps its own copy of the entries, sorted by
 * prefix length (longest first), then by prefix. Entries of one length form a
 * "level". A lookup visits the levels from the longest length down, masks the
 * address to that length and binary-searches the level, so the first hit is
 * the longest match (RFC 7757 §3.2). Real tables hold few distinct lengths
 * (host maps /32 <-> /128 and a handful of blocks), so a lookup costs a few
 * binary searches over a flat array that stays in cache: cheaper than a bit
 * trie's 32 or 128 dependent pointer loads, and no per-lookup allocation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eam.h"

struct eam_entry {
	uint32_t p4; /* host bits zero */
	uint8_t len4;
	uint8_t len6;
	uint8_t p6[16]; /* host bits zero */
};

struct eam_level {
	uint8_t len;
	size_t first, count; /* a run of the sorted array */
};

struct eam_table {
	size_t n;
	struct eam_entry *by4; /* len4 descending, then p4 ascending */
	struct eam_entry *by6; /* len6 descending, then p6 ascending */
	struct eam_level lv4[33];
	size_t n_lv4;
	struct eam_level lv6[129];
	size_t n_lv6;
};

static uint32_t mask4(unsigned len)
{
	return len == 0 ? 0 : 0xffffffffu << (32 - len);
}

/* a with every bit after the first len cleared. */
static void mask6(const uint8_t a[16], unsigned len, uint8_t out[16])
{
	for (unsigned i = 0; i < 16; i++) {
		unsigned bits = len > 8 * i ? len - 8 * i : 0;

		out[i] = bits >= 8 ? a[i] : a[i] & (uint8_t)(0xff << (8 - bits));
	}
}

/* ---- building ------------------------------------------------------------ */

static int cmp_by4(const void *pa, const void *pb)
{
	const struct eam_entry *a = pa, *b = pb;

	if (a->len4 != b->len4)
		return a->len4 > b->len4 ? -1 : 1;
	if (a->p4 != b->p4)
		return a->p4 < b->p4 ? -1 : 1;
	return 0;
}

static int cmp_by6(const void *pa, const void *pb)
{
	const struct eam_entry *a = pa, *b = pb;

	if (a->len6 != b->len6)
		return a->len6 > b->len6 ? -1 : 1;
	return memcmp(a->p6, b->p6, 16);
}

static void entry_names(const struct eam_entry *e, char *s4, size_t n4, char *s6, size_t n6)
{
	char a4[16], a6[46];

	snprintf(s4, n4, "%s/%u", addr4_str(e->p4, a4, sizeof(a4)), e->len4);
	snprintf(s6, n6, "%s/%u", addr6_str(e->p6, a6, sizeof(a6)), e->len6);
}

/* RFC 7757 §3.2 needs what config.c checks; checked again here because the
 * table may be built from other sources (tests, tun64ctl). */
static int entry_from_map(const struct eam_map *m, struct eam_entry *e, char *err, size_t errlen)
{
	uint8_t net6[16];
	char s4[24], s6[56];

	memset(e, 0, sizeof(*e));
	e->p4 = m->p4.addr;
	e->len4 = m->p4.len;
	e->len6 = m->p6.len;
	memcpy(e->p6, m->p6.addr, 16);
	entry_names(e, s4, sizeof(s4), s6, sizeof(s6));
	if (m->p4.len > 32 || m->p6.len > 128) {
		snprintf(err, errlen, "map: bad prefix length in %s %s", s4, s6);
		return -1;
	}
	/* RFC 7757 §3.2: the IPv4 suffix goes right after the IPv6 prefix, so it
	 * must fit in the IPv6 suffix; a shorter one leaves zero bits after it. */
	if (32 - m->p4.len > 128 - m->p6.len) {
		snprintf(err, errlen,
		         "map: %s has %u suffix bits but %s has only %u: the IPv4 suffix must "
		         "not be longer than the IPv6 one (RFC 7757)",
		         s4, 32u - m->p4.len, s6, 128u - m->p6.len);
		return -1;
	}
	mask6(m->p6.addr, m->p6.len, net6);
	if ((m->p4.addr & ~mask4(m->p4.len)) != 0 || memcmp(net6, m->p6.addr, 16) != 0) {
		snprintf(err, errlen, "map: %s %s has host bits set", s4, s6);
		return -1;
	}
	return 0;
}

/* Sorted neighbours with the same prefix would make the mapping ambiguous. */
static int check_unique(const struct eam_entry *sorted, size_t n,
                        int (*cmp)(const void *, const void *), const char *family, char *err,
                        size_t errlen)
{
	char a4[24], a6[56], b4[24], b6[56];

	for (size_t i = 1; i < n; i++) {
		if (cmp(&sorted[i - 1], &sorted[i]) != 0)
			continue;
		entry_names(&sorted[i - 1], a4, sizeof(a4), a6, sizeof(a6));
		entry_names(&sorted[i], b4, sizeof(b4), b6, sizeof(b6));
		snprintf(err, errlen, "map: %s prefix appears twice: %s %s and %s %s", family, a4,
		         a6, b4, b6);
		return -1;
	}
	return 0;
}

/* Cut a sorted array into runs of one prefix length. */
static size_t make_levels(const struct eam_entry *sorted, size_t n, bool v6, struct eam_level *lv)
{
	size_t nlv = 0;

	for (size_t i = 0; i < n; i++) {
		uint8_t len = v6 ? sorted[i].len6 : sorted[i].len4;

		if (nlv == 0 || lv[nlv - 1].len != len) {
			lv[nlv].len = len;
			lv[nlv].first = i;
			lv[nlv].count = 0;
			nlv++;
		}
		lv[nlv - 1].count++;
	}
	return nlv;
}

static int fill_table(struct eam_table *t, const struct eam_map *maps, size_t n, char *err,
                      size_t errlen)
{
	if (n == 0)
		return 0; /* empty table: memcpy/qsort of NULL is undefined */
	for (size_t i = 0; i < n; i++)
		if (entry_from_map(&maps[i], &t->by4[i], err, errlen) < 0)
			return -1;
	memcpy(t->by6, t->by4, n * sizeof(*t->by4));
	qsort(t->by4, n, sizeof(*t->by4), cmp_by4);
	qsort(t->by6, n, sizeof(*t->by6), cmp_by6);
	if (check_unique(t->by4, n, cmp_by4, "IPv4", err, errlen) < 0 ||
	    check_unique(t->by6, n, cmp_by6, "IPv6", err, errlen) < 0)
		return -1;
	t->n_lv4 = make_levels(t->by4, n, false, t->lv4);
	t->n_lv6 = make_levels(t->by6, n, true, t->lv6);
	return 0;
}

struct eam_table *eam_table_new(const struct eam_map *maps, size_t n, char *err, size_t errlen)
{
	struct eam_table *t = calloc(1, sizeof(*t));

	if (t && n > 0) {
		t->by4 = calloc(n, sizeof(*t->by4));
		t->by6 = calloc(n, sizeof(*t->by6));
	}
	if (!t || (n > 0 && (!t->by4 || !t->by6))) {
		snprintf(err, errlen, "map: out of memory for %zu entries", n);
		eam_table_free(t);
		return NULL;
	}
	t->n = n;
	if (fill_table(t, maps, n, err, errlen) < 0) {
		eam_table_free(t);
		return NULL;
	}
	return t;
}

void eam_table_free(struct eam_table *t)
{
	if (!t)
		return;
	free(t->by4);
	free(t->by6);
	free(t);
}

size_t eam_table_size(const struct eam_table *t)
{
	return t ? t->n : 0;
}

/* ---- lookups (per packet) ------------------------------------------------ */

static const struct eam_entry *search4(const struct eam_entry *e, size_t count, uint32_t key)
{
	size_t lo = 0, hi = count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (e[mid].p4 == key)
			return &e[mid];
		if (e[mid].p4 < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static const struct eam_entry *search6(const struct eam_entry *e, size_t count,
                                       const uint8_t key[16])
{
	size_t lo = 0, hi = count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = memcmp(e[mid].p6, key, 16);

		if (c == 0)
			return &e[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* RFC 7757 §3.2: longest IPv4 prefix match. */
static const struct eam_entry *find4(const struct eam_table *t, uint32_t v4)
{
	if (!t)
		return NULL;
	for (size_t i = 0; i < t->n_lv4; i++) {
		const struct eam_level *l = &t->lv4[i];
		const struct eam_entry *e =
		    search4(t->by4 + l->first, l->count, v4 & mask4(l->len));

		if (e)
			return e;
	}
	return NULL;
}

/* RFC 7757 §3.2: longest IPv6 prefix match. */
static const struct eam_entry *find6(const struct eam_table *t, const uint8_t a6[16])
{
	uint8_t key[16];

	if (!t)
		return NULL;
	for (size_t i = 0; i < t->n_lv6; i++) {
		const struct eam_level *l = &t->lv6[i];
		const struct eam_entry *e;

		mask6(a6, l->len, key);
		e = search6(t->by6 + l->first, l->count, key);
		if (e)
			return e;
	}
	return NULL;
}

/* The IPv4 suffix (n = 32 - len4 bits, 0..32) sits in the IPv6 address at bit
 * offset len6 (bit 0 is the top bit of byte 0), with len6 + n <= 128 (checked
 * when the entry is made). Starting anywhere inside a byte, those n bits span
 * at most 5 bytes: a 64-bit window over just those bytes moves them in one
 * shift, per packet, instead of bit by bit. */
struct bit_window {
	unsigned first;  /* first byte */
	unsigned nbytes; /* 0..5 */
	unsigned shift;  /* bits of the window after the field */
};

static struct bit_window window_of(unsigned off, unsigned n)
{
	struct bit_window w = {off / 8, 0, 0};

	if (n == 0)
		return w;
	w.nbytes = (off % 8 + n + 7) / 8;
	w.shift = 8 * w.nbytes - off % 8 - n;
	return w;
}

static uint64_t window_load(const uint8_t a[16], struct bit_window w)
{
	uint64_t x = 0;

	for (unsigned i = 0; i < w.nbytes; i++)
		x = x << 8 | a[w.first + i];
	return x;
}

/* The n bits of a at bit offset off, as the low bits of the result. */
static uint32_t bits_get(const uint8_t a[16], unsigned off, unsigned n)
{
	struct bit_window w = window_of(off, n);

	if (n == 0)
		return 0;
	return (uint32_t)((window_load(a, w) >> w.shift) & ((UINT64_C(1) << n) - 1));
}

/* Overwrite the n bits of a at bit offset off with the low n bits of v; the
 * bits around them stay. */
static void bits_put(uint8_t a[16], unsigned off, unsigned n, uint32_t v)
{
	struct bit_window w = window_of(off, n);
	uint64_t mask, x;

	if (n == 0)
		return;
	mask = ((UINT64_C(1) << n) - 1) << w.shift;
	x = (window_load(a, w) & ~mask) | (((uint64_t)v << w.shift) & mask);
	for (unsigned i = w.nbytes; i-- > 0; x >>= 8)
		a[w.first + i] = (uint8_t)x;
}

/* RFC 7757 §3.3: the IPv4 suffix bits are copied right after the IPv6 prefix;
 * any IPv6 bits after them stay as in the prefix, zero. With equal suffix
 * lengths that is the last 32 - len4 bits of the address. */
bool eam_4to6(const struct eam_table *t, uint32_t v4, uint8_t out6[16])
{
	const struct eam_entry *e = find4(t, v4);

	if (!e)
		return false;
	memcpy(out6, e->p6, 16);
	bits_put(out6, e->len6, 32u - e->len4, v4);
	return true;
}

/* RFC 7757 §3.3: the IPv4 suffix is the 32 - len4 bits right after the IPv6
 * prefix; IPv6 bits after those are ignored, so a whole block of IPv6
 * addresses may share one IPv4 address. */
bool eam_6to4(const struct eam_table *t, const uint8_t a6[16], uint32_t *v4)
{
	const struct eam_entry *e = find6(t, a6);

	if (!e)
		return false;
	*v4 = e->p4 | bits_get(a6, e->len6, 32u - e->len4);
	return true;
}

bool eam_has4(const struct eam_table *t, uint32_t v4)
{
	return find4(t, v4) != NULL;
}

/* ---- SIIT address translation ------------------------------------------- */

static bool pool6_usable(const struct prefix6 *pool6)
{
	return pool6 && rfc6052_valid_len(pool6->len);
}

/* RFC 7757 §3.2: EAM first, then RFC 6052. */
enum siit_via siit_map_4to6(const struct eam_table *t, const struct prefix6 *pool6, uint32_t v4,
                            uint8_t out[16])
{
	if (eam_4to6(t, v4, out))
		return SIIT_VIA_EAM;
	if (!pool6_usable(pool6))
		return SIIT_VIA_NONE;
	rfc6052_embed(pool6, v4, out);
	return SIIT_VIA_RFC6052;
}

enum siit_via siit_map_6to4(const struct eam_table *t, const struct prefix6 *pool6,
                            const uint8_t a[16], uint32_t *v4)
{
	if (eam_6to4(t, a, v4))
		return SIIT_VIA_EAM;
	if (pool6 && rfc6052_extract(pool6, a, v4)) /* checks the length itself */
		return SIIT_VIA_RFC6052;
	return SIIT_VIA_NONE;
}

bool siit_addr_4to6(const struct eam_table *t, const struct prefix6 *pool6, uint32_t v4,
                    uint8_t out[16])
{
	return siit_map_4to6(t, pool6, v4, out) != SIIT_VIA_NONE;
}

bool siit_addr_6to4(const struct eam_table *t, const struct prefix6 *pool6, const uint8_t a[16],
                    uint32_t *v4)
{
	return siit_map_6to4(t, pool6, a, v4) != SIIT_VIA_NONE;
}

/* RFC 7757 §4: condition sets A and B (see eam.h) reduce to "this address was
 * found by RFC 6052 and is an EAM IPv4 address"; the caller picks the address
 * (outer destination, or the inner source of an ICMPv6 error). */
bool siit_hairpin(const struct eam_table *t, enum siit_via via, uint32_t v4)
{
	return via == SIIT_VIA_RFC6052 && eam_has4(t, v4);
}
