/* SPDX-License-Identifier: BSD-2-Clause */
/* Address parsing, text forms and RFC 6052 IPv4-embedded IPv6 addresses.
 * Pure functions: no syscalls (inet_pton/inet_ntop are library code), no state. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"

/* RFC 6052 §2.2: the only prefix lengths with a defined address format. */
bool rfc6052_valid_len(unsigned len)
{
	switch (len) {
	case 32:
	case 40:
	case 48:
	case 56:
	case 64:
	case 96:
		return true;
	default:
		return false;
	}
}

/* RFC 6052 §2.2: bits 64..71 (byte 8, the "u" octet) are reserved and
 * never carry IPv4 bits. Byte index of the i-th IPv4 octet for prefix
 * length len: the octets follow the prefix, jumping over byte 8. */
static unsigned v4_octet_pos(unsigned len, unsigned i)
{
	unsigned pos = len / 8 + i;

	if (len <= 64 && pos >= 8)
		pos++;
	return pos;
}

void rfc6052_embed(const struct prefix6 *p, uint32_t v4, uint8_t out[16])
{
	unsigned plen = p->len / 8;
	unsigned i;

	memset(out, 0, 16); /* u-octet and suffix are zero (RFC 6052 §2.2) */
	memcpy(out, p->addr, plen > 16 ? 16 : plen);
	if (!rfc6052_valid_len(p->len))
		return; /* caller's bug; never write past out */
	for (i = 0; i < 4; i++)
		out[v4_octet_pos(p->len, i)] = (uint8_t)(v4 >> (24 - 8 * i));
}

/* The u-octet and suffix are not checked: RFC 6052 §2.2 requires senders to
 * zero them, and a translator only needs the embedded IPv4 bits. */
bool rfc6052_extract(const struct prefix6 *p, const uint8_t a[16], uint32_t *v4)
{
	uint32_t v = 0;
	unsigned i;

	if (!rfc6052_valid_len(p->len) || !prefix6_contains(p, a))
		return false;
	for (i = 0; i < 4; i++)
		v = (v << 8) | a[v4_octet_pos(p->len, i)];
	*v4 = v;
	return true;
}

bool prefix6_contains(const struct prefix6 *p, const uint8_t a[16])
{
	unsigned whole = p->len / 8;
	unsigned rest = p->len % 8;
	uint8_t mask;

	if (p->len > 128)
		return false;
	if (memcmp(p->addr, a, whole) != 0)
		return false;
	if (rest == 0)
		return true;
	mask = (uint8_t)(0xff << (8 - rest));
	return (p->addr[whole] & mask) == (a[whole] & mask);
}

static uint32_t mask4(unsigned len)
{
	return len == 0 ? 0 : 0xffffffffu << (32 - len);
}

bool prefix4_contains(const struct prefix4 *p, uint32_t a)
{
	if (p->len > 32)
		return false;
	return ((p->addr ^ a) & mask4(p->len)) == 0;
}

/* Decimal prefix length, digits only, at most max. */
static int parse_len(const char *s, unsigned max, uint8_t *len)
{
	unsigned v = 0;

	if (*s == '\0' || strlen(s) > 3)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (unsigned)(*s - '0');
	}
	if (v > max)
		return -1;
	*len = (uint8_t)v;
	return 0;
}

/* Split "ADDR/LEN" into an address copy and the length text (NULL if no '/'). */
static int split_prefix(const char *s, char *addr, size_t addrlen, const char **len)
{
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);

	if (n == 0 || n >= addrlen)
		return -1;
	memcpy(addr, s, n);
	addr[n] = '\0';
	*len = slash ? slash + 1 : NULL;
	return 0;
}

static bool host_bits6_zero(const struct prefix6 *p)
{
	struct prefix6 net = {.len = p->len};
	unsigned whole = p->len / 8;
	unsigned rest = p->len % 8;

	memcpy(net.addr, p->addr, whole);
	if (rest)
		net.addr[whole] = p->addr[whole] & (uint8_t)(0xff << (8 - rest));
	return memcmp(net.addr, p->addr, 16) == 0;
}

int prefix6_parse(const char *s, struct prefix6 *p)
{
	char addr[INET6_ADDRSTRLEN];
	const char *len;
	struct prefix6 r;

	if (split_prefix(s, addr, sizeof(addr), &len) < 0)
		return -1;
	if (addr6_parse(addr, r.addr) < 0)
		return -1;
	r.len = 128;
	if (len && parse_len(len, 128, &r.len) < 0)
		return -1;
	if (!host_bits6_zero(&r))
		return -1;
	*p = r;
	return 0;
}

int prefix4_parse(const char *s, struct prefix4 *p)
{
	char addr[INET_ADDRSTRLEN];
	const char *len;
	struct prefix4 r;

	if (split_prefix(s, addr, sizeof(addr), &len) < 0)
		return -1;
	if (addr4_parse(addr, &r.addr) < 0)
		return -1;
	r.len = 32;
	if (len && parse_len(len, 32, &r.len) < 0)
		return -1;
	if ((r.addr & ~mask4(r.len)) != 0)
		return -1;
	*p = r;
	return 0;
}

int addr6_parse(const char *s, uint8_t out[16])
{
	struct in6_addr a;

	if (inet_pton(AF_INET6, s, &a) != 1)
		return -1;
	memcpy(out, a.s6_addr, 16);
	return 0;
}

int addr4_parse(const char *s, uint32_t *out)
{
	struct in_addr a;

	/* inet_pton accepts only dotted quads: no "1.2.3", no octal. */
	if (inet_pton(AF_INET, s, &a) != 1)
		return -1;
	*out = ntohl(a.s_addr);
	return 0;
}

char *addr6_str(const uint8_t a[16], char *buf, size_t len)
{
	if (!inet_ntop(AF_INET6, a, buf, (socklen_t)len) && len > 0)
		buf[0] = '\0';
	return buf;
}

char *addr4_str(uint32_t a, char *buf, size_t len)
{
	struct in_addr in = {.s_addr = htonl(a)};

	if (!inet_ntop(AF_INET, &in, buf, (socklen_t)len) && len > 0)
		buf[0] = '\0';
	return buf;
}

/* IPv4 blocks that are not globally reachable: the entries of the IANA IPv4
 * Special-Purpose Address Registry (RFC 6890 §2.2.2, as updated) whose
 * "Global" column is False, plus multicast and 192.88.99.0/24 (6to4 relay
 * anycast, deprecated by RFC 7526). RFC 6052 §3.1 forbids using these with
 * the Well-Known Prefix. */
static const struct prefix4 non_global4[] = {
    {0x00000000, 8},  /* 0.0.0.0/8 "this network" */
    {0x0a000000, 8},  /* 10.0.0.0/8 RFC 1918 */
    {0x64400000, 10}, /* 100.64.0.0/10 shared address space, RFC 6598 */
    {0x7f000000, 8},  /* 127.0.0.0/8 loopback */
    {0xa9fe0000, 16}, /* 169.254.0.0/16 link local */
    {0xac100000, 12}, /* 172.16.0.0/12 RFC 1918 */
    {0xc0000000, 24}, /* 192.0.0.0/24 IETF protocol assignments */
    {0xc0000200, 24}, /* 192.0.2.0/24 TEST-NET-1 */
    {0xc0586300, 24}, /* 192.88.99.0/24 6to4 relay anycast, RFC 7526 */
    {0xc0a80000, 16}, /* 192.168.0.0/16 RFC 1918 */
    {0xc6120000, 15}, /* 198.18.0.0/15 benchmarking */
    {0xc6336400, 24}, /* 198.51.100.0/24 TEST-NET-2 */
    {0xcb007100, 24}, /* 203.0.113.0/24 TEST-NET-3 */
    {0xe0000000, 4},  /* 224.0.0.0/4 multicast */
    {0xf0000000, 4},  /* 240.0.0.0/4 reserved, includes broadcast */
};

/* IPv4 addresses no router forwards a packet to or from, so neither does
 * the translator, outside or inside an ICMP error's quote: "this network"
 * 0/8 and loopback 127/8 (RFC 1812 §5.3.7, §4.2.2.11), link-local
 * 169.254/16 (RFC 3927 §7), multicast 224/4 and reserved 240/4 with the
 * limited broadcast (RFC 1812 §5.3.7). */
static const struct prefix4 never_forwarded4[] = {
    {0x00000000, 8},  /* 0.0.0.0/8 */
    {0x7f000000, 8},  /* 127.0.0.0/8 */
    {0xa9fe0000, 16}, /* 169.254.0.0/16 */
    {0xe0000000, 4},  /* 224.0.0.0/4 */
    {0xf0000000, 4},  /* 240.0.0.0/4 */
};

bool addr4_never_forwarded(uint32_t a)
{
	size_t i;

	for (i = 0; i < sizeof(never_forwarded4) / sizeof(never_forwarded4[0]); i++)
		if (prefix4_contains(&never_forwarded4[i], a))
			return true;
	return false;
}

bool addr4_is_global(uint32_t a)
{
	size_t i;

	for (i = 0; i < sizeof(non_global4) / sizeof(non_global4[0]); i++)
		if (prefix4_contains(&non_global4[i], a))
			return false;
	return true;
}

/* RFC 6052 §2.1: the Well-Known Prefix 64:ff9b::/96. */
bool prefix6_is_wkp(const struct prefix6 *p)
{
	static const uint8_t wkp[16] = {0x00, 0x64, 0xff, 0x9b};

	return p->len == 96 && memcmp(p->addr, wkp, 16) == 0;
}
