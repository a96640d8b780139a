/* SPDX-License-Identifier: BSD-2-Clause */
/* The keys with their own syntax, named by their rows in config_keys.c:
 * prefix (RFC 6052 lengths) and the repeatable pool4, map, bib and allow6. */
#include <netinet/in.h>
#include <string.h>

#include "config_keys.h"

#define POOL4_MIN_LEN 16
#define PORT_DYNAMIC_LO 1024

/* `none` (stored as ::/0): no RFC 6052 prefix, only `map` lines translate
 * (RFC 7757 allows an EAM-only SIIT); config_finalize allows it only in
 * stateless mode. */
int cfg_set_prefix(struct tun64_config *c, const char *v, char *w)
{
	struct prefix6 p;

	if (strcmp(v, "none") == 0) {
		memset(&c->prefix, 0, sizeof(c->prefix));
		return 0;
	}
	if (cfg_parse_prefix6(v, &p, w) < 0)
		return -1;
	if (!rfc6052_valid_len(p.len))
		return cfg_why(w, "length %u is not allowed (RFC 6052: 32, 40, 48, 56, 64, 96)",
		               p.len);
	c->prefix = p;
	return 0;
}

const char *config_prefix_str(const struct tun64_config *c, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (config_prefix_none(c))
		snprintf(buf, len, "none");
	else
		snprintf(buf, len, "%s/%u", addr6_str(c->prefix.addr, a, sizeof(a)), c->prefix.len);
	return buf;
}

void cfg_print_prefix(const struct tun64_config *c, FILE *f)
{
	char p[INET6_ADDRSTRLEN + 4];

	fprintf(f, "prefix %s\n", config_prefix_str(c, p, sizeof(p)));
}

bool cfg_pool4_overlap(const struct pool4_range *a, const struct pool4_range *b)
{
	struct prefix4 pa = {a->addr, a->len}, pb = {b->addr, b->len};

	return prefix4_contains(&pa, b->addr) || prefix4_contains(&pb, a->addr);
}

/* ADDR/LEN [ports A-B]. The ports default to 1024-65535: the well-known
 * ports stay out of the dynamic pool so that a NAPT mapping never lands on
 * a privileged port. One line covers /16 .. /32 (at most 65536 addresses). */
int cfg_set_pool4(struct tun64_config *c, const char *v, char *w)
{
	char buf[LINE_MAX_LEN], a[INET_ADDRSTRLEN];
	char *tok[MAX_TOKENS];
	struct pool4_range r;
	struct prefix4 p;
	size_t i;
	int n = cfg_tokenize(v, buf, sizeof(buf), tok, MAX_TOKENS);

	memset(&r, 0, sizeof(r)); /* no stray padding bytes in the config */
	r.port_lo = PORT_DYNAMIC_LO;
	r.port_hi = 65535;

	if (n != 1 && !(n == 3 && strcmp(tok[1], "ports") == 0))
		return cfg_why(w, "'%s': expected ADDR/LEN [ports A-B]", v);
	if (cfg_parse_prefix4(tok[0], &p, w) < 0)
		return -1;
	if (p.len < POOL4_MIN_LEN)
		return cfg_why(w, "%s is too large (at most /%d, 65536 addresses, per line)",
		               tok[0], POOL4_MIN_LEN);
	r.addr = p.addr;
	r.len = p.len;
	if (n == 3 && cfg_parse_port_range(tok[2], &r.port_lo, &r.port_hi, w) < 0)
		return -1;
	if (c->pool4_default) {
		c->n_pool4 = 0; /* the first pool4 given replaces the built-in one */
		c->pool4_default = false;
	}
	for (i = 0; i < c->n_pool4; i++)
		if (cfg_pool4_overlap(&c->pool4[i], &r))
			return cfg_why(w, "%s overlaps %s/%u given before", tok[0],
			               addr4_str(c->pool4[i].addr, a, sizeof(a)), c->pool4[i].len);
	if (c->n_pool4 == CONFIG_MAX_POOL4)
		return cfg_why(w, "too many entries (at most %d)", CONFIG_MAX_POOL4);
	c->pool4[c->n_pool4++] = r;
	return 0;
}

void cfg_print_pool4(const struct tun64_config *c, FILE *f)
{
	for (size_t i = 0; i < c->n_pool4; i++) {
		fprintf(f, "pool4 ");
		cfg_print_prefix4(f, c->pool4[i].addr, c->pool4[i].len);
		fprintf(f, " ports %u-%u\n", c->pool4[i].port_lo, c->pool4[i].port_hi);
	}
}

bool cfg_same_pool4(const struct tun64_config *a, const struct tun64_config *b)
{
	if (a->n_pool4 != b->n_pool4)
		return false;
	for (size_t i = 0; i < a->n_pool4; i++)
		if (a->pool4[i].addr != b->pool4[i].addr || a->pool4[i].len != b->pool4[i].len ||
		    a->pool4[i].port_lo != b->pool4[i].port_lo ||
		    a->pool4[i].port_hi != b->pool4[i].port_hi)
			return false;
	return true;
}

/* RFC 7757 §3.2: an EAM entry maps a block of IPv4 addresses to a block of
 * IPv6 addresses. The IPv4 suffix bits go right after the IPv6 prefix
 * (§3.3), so the IPv6 suffix must have room for them: it may be longer (its
 * extra bits are zero towards IPv6 and ignored towards IPv4), not shorter. */
int cfg_set_map(struct tun64_config *c, const char *v, char *w)
{
	char buf[LINE_MAX_LEN];
	char *tok[MAX_TOKENS];
	struct eam_map m;
	int n = cfg_tokenize(v, buf, sizeof(buf), tok, MAX_TOKENS);

	memset(&m, 0, sizeof(m)); /* no stray padding bytes in the config */

	if (n != 2)
		return cfg_why(w, "'%s': expected IPV4[/LEN] IPV6[/LEN]", v);
	if (cfg_parse_prefix4(tok[0], &m.p4, w) < 0 || cfg_parse_prefix6(tok[1], &m.p6, w) < 0)
		return -1;
	if (32 - m.p4.len > 128 - m.p6.len)
		return cfg_why(w,
		               "%s has %u suffix bits but %s has only %u: the IPv4 suffix must not "
		               "be longer than the IPv6 one (RFC 7757)",
		               tok[0], 32 - m.p4.len, tok[1], 128 - m.p6.len);
	/* RFC 7757 §3.2: one prefix in two entries makes the mapping
	 * ambiguous (eam_table_new refuses it too, but only at start) */
	for (size_t i = 0; i < c->n_map; i++)
		if ((c->map[i].p4.addr == m.p4.addr && c->map[i].p4.len == m.p4.len) ||
		    (c->map[i].p6.len == m.p6.len && memcmp(c->map[i].p6.addr, m.p6.addr, 16) == 0))
			return cfg_why(w, "%s %s: its %s prefix is in a map given before", tok[0],
			               tok[1],
			               c->map[i].p6.len == m.p6.len &&
			                       memcmp(c->map[i].p6.addr, m.p6.addr, 16) == 0
			                   ? "IPv6"
			                   : "IPv4");
	if (c->n_map == CONFIG_MAX_MAP)
		return cfg_why(w, "too many entries (at most %d)", CONFIG_MAX_MAP);
	c->map[c->n_map++] = m;
	return 0;
}

void cfg_print_map(const struct tun64_config *c, FILE *f)
{
	for (size_t i = 0; i < c->n_map; i++) {
		fprintf(f, "map ");
		cfg_print_prefix4(f, c->map[i].p4.addr, c->map[i].p4.len);
		fputc(' ', f);
		cfg_print_prefix6(f, &c->map[i].p6);
		fputc('\n', f);
	}
}

/* "ADDR#PORT" split at the last '#'. */
static int split_addr_port(const char *s, char *addr, size_t addrlen, unsigned long long *port)
{
	const char *hash = strrchr(s, '#');
	size_t n;

	if (!hash)
		return -1;
	n = (size_t)(hash - s);
	if (n == 0 || n >= addrlen)
		return -1;
	memcpy(addr, s, n);
	addr[n] = '\0';
	if (cfg_parse_ull(hash + 1, port) < 0 || *port > 65535)
		return -1;
	return 0;
}

static int parse_bib_proto(const char *s, uint8_t *proto)
{
	if (strcmp(s, "tcp") == 0)
		*proto = IPPROTO_TCP;
	else if (strcmp(s, "udp") == 0)
		*proto = IPPROTO_UDP;
	else if (strcmp(s, "icmp") == 0)
		*proto = IPPROTO_ICMP;
	else
		return -1;
	return 0;
}

static const char *bib_proto_name(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	default:
		return "icmp";
	}
}

int cfg_set_bib(struct tun64_config *c, const char *v, char *w)
{
	char buf[LINE_MAX_LEN], a4[INET_ADDRSTRLEN], a6[INET6_ADDRSTRLEN];
	char *tok[MAX_TOKENS];
	struct nat64_static_bib b;
	unsigned long long p4, p6;
	unsigned long long min_port;
	int n = cfg_tokenize(v, buf, sizeof(buf), tok, MAX_TOKENS);

	memset(&b, 0, sizeof(b)); /* no stray padding bytes in the config */

	if (n != 3)
		return cfg_why(w, "'%s': expected tcp|udp|icmp IPV4#PORT IPV6#PORT", v);
	if (parse_bib_proto(tok[0], &b.proto) < 0)
		return cfg_why(w, "'%s': expected tcp, udp or icmp", tok[0]);
	if (split_addr_port(tok[1], a4, sizeof(a4), &p4) < 0 || addr4_parse(a4, &b.addr4) < 0)
		return cfg_why(w, "'%s' is not IPV4#PORT", tok[1]);
	if (split_addr_port(tok[2], a6, sizeof(a6), &p6) < 0 || addr6_parse(a6, b.addr6) < 0)
		return cfg_why(w, "'%s' is not IPV6#PORT", tok[2]);
	/* TCP and UDP port 0 is reserved; the ICMP "port" is the echo identifier */
	min_port = b.proto == IPPROTO_ICMP ? 0 : 1;
	if (p4 < min_port || p6 < min_port)
		return cfg_why(w, "port 0 is not allowed for %s", tok[0]);
	if (b.proto == IPPROTO_ICMP && p4 != p6)
		return cfg_why(w, "icmp identifiers must be equal on both sides");
	b.port4 = (uint16_t)p4;
	b.port6 = (uint16_t)p6;
	if (c->n_bib == CONFIG_MAX_BIB)
		return cfg_why(w, "too many entries (at most %d)", CONFIG_MAX_BIB);
	c->bib_line[c->n_bib] = c->cur_line;
	c->bib[c->n_bib++] = b;
	return 0;
}

void cfg_print_bib(const struct tun64_config *c, FILE *f)
{
	char a4[INET_ADDRSTRLEN], a6[INET6_ADDRSTRLEN];

	for (size_t i = 0; i < c->n_bib; i++) {
		const struct nat64_static_bib *b = &c->bib[i];

		fprintf(f, "bib %s %s#%u %s#%u\n", bib_proto_name(b->proto),
		        addr4_str(b->addr4, a4, sizeof(a4)), b->port4,
		        addr6_str(b->addr6, a6, sizeof(a6)), b->port6);
	}
}

/* `allow6 any` empties the list (= any source); otherwise one or more
 * prefixes are appended. */
int cfg_set_allow6(struct tun64_config *c, const char *v, char *w)
{
	char buf[LINE_MAX_LEN];
	char *tok[MAX_TOKENS];
	struct prefix6 p[MAX_TOKENS];
	int i, n = cfg_tokenize(v, buf, sizeof(buf), tok, MAX_TOKENS);

	if (n == 1 && strcmp(tok[0], "any") == 0) {
		c->n_allow6 = 0;
		return 0;
	}
	if (n < 0)
		return cfg_why(w, "too many prefixes on one line (at most %d)", MAX_TOKENS);
	for (i = 0; i < n; i++)
		if (cfg_parse_prefix6(tok[i], &p[i], w) < 0)
			return -1;
	if (c->n_allow6 + (size_t)n > CONFIG_MAX_ALLOW6)
		return cfg_why(w, "too many entries (at most %d)", CONFIG_MAX_ALLOW6);
	for (i = 0; i < n; i++)
		c->allow6[c->n_allow6++] = p[i];
	return 0;
}

void cfg_print_allow6(const struct tun64_config *c, FILE *f)
{
	if (c->n_allow6 == 0)
		fprintf(f, "allow6 any\n");
	for (size_t i = 0; i < c->n_allow6; i++) {
		fprintf(f, "allow6 ");
		cfg_print_prefix6(f, &c->allow6[i]);
		fputc('\n', f);
	}
}
