/* tun64d configuration: defaults, `key value` lines, long options, checks.
 *
 * Everything but config_load_file is pure: text in, struct out, errors as one
 * line "WHERE: KEY: reason" where WHERE is "FILE:LINE" or "--KEY".
 *
 * Decisions not fixed by DESIGN.md:
 * - pool4 ports default to 1024-65535: the well-known ports stay out of the
 *   dynamic pool so that a NAPT mapping never lands on a privileged port.
 * - A pool4 line covers /16 .. /32 (at most 65536 addresses); pool4 lines
 *   must not overlap each other.
 * - ipv4-addr defaults to the first usable address of the first pool4 prefix:
 *   the prefix address itself for /31 and /32 (RFC 3021), else prefix + 1.
 * - Timeouts accept any value from 1 s to 30 days. Values below the RFC 6146
 *   §4 minimums (UDP 120 s, TCP established 7440 s, from RFC 4787 REQ-5 and
 *   RFC 5382 REQ-5) are allowed, because labs and tests need short timers,
 *   but config_print marks them with a comment so `tun64d --check` shows it.
 * - The RFC 6052 §3.1 rule (no non-global IPv4 under 64:ff9b::/96) applies to
 *   the addresses in packets, so the translator enforces it per packet
 *   (allow_private_wkp lifts it); pool4, ipv4-addr and ipv6-addr are the
 *   translator's own addresses and are not embedded for peers, so no check here.
 * - `map` is only meaningful in stateless mode and `bib` only in stateful
 *   mode; config_finalize rejects them in the other mode instead of ignoring
 *   them silently. pool4 in stateless mode is ignored (it only provides the
 *   default ipv4-addr). */
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"

#define WHYLEN 256
#define MAX_TOKENS 8
#define LINE_MAX_LEN 4096
#define FILE_MAX_LEN (1024 * 1024)

#define POOL4_MIN_LEN 16
#define PORT_DYNAMIC_LO 1024
#define TIMEOUT_MAX (30u * 24 * 3600)
#define WORKERS_MAX 256  /* the kernel's limit of tun queues */
#define SUN_PATH_MAX 108 /* sizeof(sockaddr_un.sun_path) */

/* Originated ICMP errors per second and per worker, and the burst: enough
 * for traceroute and PMTUD, too few to make the translator an amplifier. */
#define ICMP_ERROR_RATE_DEFAULT 100
#define ICMP_ERROR_BURST_DEFAULT 50
/* state-file: a crash loses at most this many seconds of new sessions. */
#define STATE_SAVE_INTERVAL_DEFAULT 60
#define STATE_SAVE_INTERVAL_MAX 86400
#define ICMP_ERROR_RATE_MAX 1000000

/* RFC 6146 §4 minimums; see the comment at the top. */
#define UDP_MIN 120
#define TCP_EST_MIN 7440

static const uint8_t WKP_ADDR[16] = {0x00, 0x64, 0xff, 0x9b};

static int why(char *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Fill the reason buffer; always returns -1 so setters can `return why(...)`. */
static int why(char *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w, WHYLEN, fmt, ap);
	va_end(ap);
	return -1;
}

void config_defaults(struct tun64_config *c)
{
	memset(c, 0, sizeof(*c));
	strcpy(c->tun_device, "nat64");
	c->mode = XLAT_STATEFUL;
	memcpy(c->prefix.addr, WKP_ADDR, 16);
	c->prefix.len = 96;
	c->pool4[0] = (struct pool4_range){.addr = 0xc0a8ff00, /* 192.168.255.0/24 */
	                                   .len = 24,
	                                   .port_lo = PORT_DYNAMIC_LO,
	                                   .port_hi = 65535};
	c->n_pool4 = 1;
	c->pool4_default = true;
	c->mtu = 1500;
	c->lowest_ipv6_mtu = 1280;
	c->workers = 0;
	c->max_sessions = 0;
	c->timeout_udp = 300;
	c->timeout_tcp_est = 7440;
	c->timeout_tcp_trans = 240;
	c->timeout_icmp = 60;
	c->routes = true;
	c->persist = false;
	c->offload = true;
	c->udp_coalesce = true;
	c->state_save_interval = STATE_SAVE_INTERVAL_DEFAULT;
	c->allow_private_wkp = false;
	strcpy(c->control_socket, "/run/tun64/tun64.sock");
	c->log_level = LOG_LVL_INFO;
	c->icmp_error_rate = ICMP_ERROR_RATE_DEFAULT;
	c->icmp_error_burst = ICMP_ERROR_BURST_DEFAULT;
	c->icmp_unreachable = true;
}

/* --- small parsers --- */

static bool is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' || ch == '\v' || ch == '\f';
}

/* Split a copy of s (in buf) on white space. Returns the token count, or -1
 * if there are more than max. */
static int tokenize(const char *s, char *buf, size_t buflen, char **tok, int max)
{
	int n = 0;
	char *p;

	snprintf(buf, buflen, "%s", s);
	for (p = buf;;) {
		while (is_space(*p))
			p++;
		if (*p == '\0')
			return n;
		if (n == max)
			return -1;
		tok[n++] = p;
		while (*p && !is_space(*p))
			p++;
		if (*p)
			*p++ = '\0';
	}
}

/* Decimal digits only: no sign, no spaces, no hex. */
static int parse_ull(const char *s, unsigned long long *out)
{
	unsigned long long v = 0;

	if (*s == '\0')
		return -1;
	for (; *s; s++) {
		unsigned d = (unsigned)(*s - '0');

		if (*s < '0' || *s > '9')
			return -1;
		if (v > (~0ULL - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

static int parse_number(const char *s, unsigned long long min, unsigned long long max,
                        unsigned long long *out, char *w)
{
	unsigned long long v = 0;

	if (parse_ull(s, &v) < 0)
		return why(w, "'%s' is not a number", s);
	if (v < min || v > max)
		return why(w, "%s is out of range (%llu..%llu)", s, min, max);
	*out = v;
	return 0;
}

static int parse_unsigned(const char *s, unsigned min, unsigned max, unsigned *out, char *w)
{
	unsigned long long v = 0;

	if (parse_number(s, min, max, &v, w) < 0)
		return -1;
	*out = (unsigned)v;
	return 0;
}

static int parse_bool(const char *s, bool *out, char *w)
{
	if (strcmp(s, "yes") == 0)
		*out = true;
	else if (strcmp(s, "no") == 0)
		*out = false;
	else
		return why(w, "'%s': expected yes or no", s);
	return 0;
}

/* "A-B", 1 <= A <= B <= 65535. */
static int parse_port_range(const char *s, uint16_t *lo, uint16_t *hi, char *w)
{
	char buf[16];
	char *dash;
	unsigned long long a, b;

	snprintf(buf, sizeof(buf), "%s", s);
	dash = strchr(buf, '-');
	if (strlen(s) >= sizeof(buf) || !dash)
		return why(w, "ports: '%s' is not a range A-B", s);
	*dash = '\0';
	if (parse_ull(buf, &a) < 0 || parse_ull(dash + 1, &b) < 0)
		return why(w, "ports: '%s' is not a range A-B", s);
	if (a < 1 || b > 65535 || a > b)
		return why(w, "ports: %s is not a range within 1-65535 with A <= B", s);
	*lo = (uint16_t)a;
	*hi = (uint16_t)b;
	return 0;
}

static int parse_prefix6_value(const char *s, struct prefix6 *p, char *w)
{
	if (prefix6_parse(s, p) < 0)
		return why(w, "'%s' is not an IPv6 prefix (ADDR/LEN with zero host bits)", s);
	return 0;
}

static int parse_prefix4_value(const char *s, struct prefix4 *p, char *w)
{
	if (prefix4_parse(s, p) < 0)
		return why(w, "'%s' is not an IPv4 prefix (ADDR/LEN with zero host bits)", s);
	return 0;
}

/* A copy into a fixed buffer; too long is an error, not a truncation. */
static int copy_string(char *dst, size_t dstlen, const char *s, char *w)
{
	if (strlen(s) >= dstlen)
		return why(w, "too long (at most %zu characters)", dstlen - 1);
	strcpy(dst, s);
	return 0;
}

/* --- one setter per key: value is trimmed and non-empty --- */

/* the kernel's dev_valid_name() rules */
static int check_ifname(const char *v, char *w)
{
	const char *p;

	if (strlen(v) >= IFNAMSIZ)
		return why(w, "'%s' is too long (at most %d characters)", v, IFNAMSIZ - 1);
	if (strcmp(v, ".") == 0 || strcmp(v, "..") == 0)
		return why(w, "'%s' is not a valid interface name", v);
	for (p = v; *p; p++)
		if (*p == '/' || *p == ':' || is_space(*p))
			return why(w, "'%s' is not a valid interface name", v);
	return 0;
}

static int set_tun_device(struct tun64_config *c, const char *v, char *w)
{
	if (check_ifname(v, w) < 0)
		return -1;
	strcpy(c->tun_device, v);
	return 0;
}

/* The link need not exist yet (a PPPoE link comes and goes): nftables
 * matches it by name when packets leave. */
static int set_masquerade(struct tun64_config *c, const char *v, char *w)
{
	if (check_ifname(v, w) < 0)
		return -1;
	strcpy(c->masquerade, v);
	return 0;
}

static int set_mode(struct tun64_config *c, const char *v, char *w)
{
	if (strcmp(v, "stateful") == 0)
		c->mode = XLAT_STATEFUL;
	else if (strcmp(v, "stateless") == 0)
		c->mode = XLAT_STATELESS;
	else
		return why(w, "'%s': expected stateful or stateless", v);
	return 0;
}

static int set_prefix(struct tun64_config *c, const char *v, char *w)
{
	struct prefix6 p;

	if (parse_prefix6_value(v, &p, w) < 0)
		return -1;
	if (!rfc6052_valid_len(p.len))
		return why(w, "length %u is not allowed (RFC 6052: 32, 40, 48, 56, 64, 96)", p.len);
	c->prefix = p;
	return 0;
}

static bool pool4_overlap(const struct pool4_range *a, const struct pool4_range *b)
{
	struct prefix4 pa = {a->addr, a->len}, pb = {b->addr, b->len};

	return prefix4_contains(&pa, b->addr) || prefix4_contains(&pb, a->addr);
}

static int set_pool4(struct tun64_config *c, const char *v, char *w)
{
	char buf[LINE_MAX_LEN], a[INET_ADDRSTRLEN];
	char *tok[MAX_TOKENS];
	struct pool4_range r;
	struct prefix4 p;
	size_t i;
	int n = tokenize(v, buf, sizeof(buf), tok, MAX_TOKENS);

	memset(&r, 0, sizeof(r)); /* no stray padding bytes in the config */
	r.port_lo = PORT_DYNAMIC_LO;
	r.port_hi = 65535;

	if (n != 1 && !(n == 3 && strcmp(tok[1], "ports") == 0))
		return why(w, "'%s': expected ADDR/LEN [ports A-B]", v);
	if (parse_prefix4_value(tok[0], &p, w) < 0)
		return -1;
	if (p.len < POOL4_MIN_LEN)
		return why(w, "%s is too large (at most /%d, 65536 addresses, per line)", tok[0],
		           POOL4_MIN_LEN);
	r.addr = p.addr;
	r.len = p.len;
	if (n == 3 && parse_port_range(tok[2], &r.port_lo, &r.port_hi, w) < 0)
		return -1;
	if (c->pool4_default) {
		c->n_pool4 = 0; /* the first pool4 given replaces the built-in one */
		c->pool4_default = false;
	}
	for (i = 0; i < c->n_pool4; i++)
		if (pool4_overlap(&c->pool4[i], &r))
			return why(w, "%s overlaps %s/%u given before", tok[0],
			           addr4_str(c->pool4[i].addr, a, sizeof(a)), c->pool4[i].len);
	if (c->n_pool4 == CONFIG_MAX_POOL4)
		return why(w, "too many entries (at most %d)", CONFIG_MAX_POOL4);
	c->pool4[c->n_pool4++] = r;
	return 0;
}

static int set_ipv4_addr(struct tun64_config *c, const char *v, char *w)
{
	if (addr4_parse(v, &c->ipv4_addr) < 0)
		return why(w, "'%s' is not an IPv4 address", v);
	c->ipv4_addr_set = true;
	return 0;
}

static int set_ipv6_addr(struct tun64_config *c, const char *v, char *w)
{
	if (addr6_parse(v, c->ipv6_addr) < 0)
		return why(w, "'%s' is not an IPv6 address", v);
	c->ipv6_addr_set = true;
	return 0;
}

/* RFC 7757 §3.2: an EAM entry maps a block of IPv4 addresses to a block of
 * IPv6 addresses. The IPv4 suffix bits go right after the IPv6 prefix
 * (§3.3), so the IPv6 suffix must have room for them: it may be longer (its
 * extra bits are zero towards IPv6 and ignored towards IPv4), not shorter. */
static int set_map(struct tun64_config *c, const char *v, char *w)
{
	char buf[LINE_MAX_LEN];
	char *tok[MAX_TOKENS];
	struct eam_map m;
	int n = tokenize(v, buf, sizeof(buf), tok, MAX_TOKENS);

	memset(&m, 0, sizeof(m)); /* no stray padding bytes in the config */

	if (n != 2)
		return why(w, "'%s': expected IPV4[/LEN] IPV6[/LEN]", v);
	if (parse_prefix4_value(tok[0], &m.p4, w) < 0 || parse_prefix6_value(tok[1], &m.p6, w) < 0)
		return -1;
	if (32 - m.p4.len > 128 - m.p6.len)
		return why(w,
		           "%s has %u suffix bits but %s has only %u: the IPv4 suffix must not be "
		           "longer than the IPv6 one (RFC 7757)",
		           tok[0], 32 - m.p4.len, tok[1], 128 - m.p6.len);
	if (c->n_map == CONFIG_MAX_MAP)
		return why(w, "too many entries (at most %d)", CONFIG_MAX_MAP);
	c->map[c->n_map++] = m;
	return 0;
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
	if (parse_ull(hash + 1, port) < 0 || *port > 65535)
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

static int set_bib(struct tun64_config *c, const char *v, char *w)
{
	char buf[LINE_MAX_LEN], a4[INET_ADDRSTRLEN], a6[INET6_ADDRSTRLEN];
	char *tok[MAX_TOKENS];
	struct nat64_static_bib b;
	unsigned long long p4, p6;
	unsigned long long min_port;
	int n = tokenize(v, buf, sizeof(buf), tok, MAX_TOKENS);

	memset(&b, 0, sizeof(b)); /* no stray padding bytes in the config */

	if (n != 3)
		return why(w, "'%s': expected tcp|udp|icmp IPV4#PORT IPV6#PORT", v);
	if (parse_bib_proto(tok[0], &b.proto) < 0)
		return why(w, "'%s': expected tcp, udp or icmp", tok[0]);
	if (split_addr_port(tok[1], a4, sizeof(a4), &p4) < 0 || addr4_parse(a4, &b.addr4) < 0)
		return why(w, "'%s' is not IPV4#PORT", tok[1]);
	if (split_addr_port(tok[2], a6, sizeof(a6), &p6) < 0 || addr6_parse(a6, b.addr6) < 0)
		return why(w, "'%s' is not IPV6#PORT", tok[2]);
	/* TCP and UDP port 0 is reserved; the ICMP "port" is the echo identifier */
	min_port = b.proto == IPPROTO_ICMP ? 0 : 1;
	if (p4 < min_port || p6 < min_port)
		return why(w, "port 0 is not allowed for %s", tok[0]);
	if (b.proto == IPPROTO_ICMP && p4 != p6)
		return why(w, "icmp identifiers must be equal on both sides");
	b.port4 = (uint16_t)p4;
	b.port6 = (uint16_t)p6;
	if (c->n_bib == CONFIG_MAX_BIB)
		return why(w, "too many entries (at most %d)", CONFIG_MAX_BIB);
	c->bib[c->n_bib++] = b;
	return 0;
}

/* `allow6 any` empties the list (= any source); otherwise one or more
 * prefixes are appended. */
static int set_allow6(struct tun64_config *c, const char *v, char *w)
{
	char buf[LINE_MAX_LEN];
	char *tok[MAX_TOKENS];
	struct prefix6 p[MAX_TOKENS];
	int i, n = tokenize(v, buf, sizeof(buf), tok, MAX_TOKENS);

	if (n == 1 && strcmp(tok[0], "any") == 0) {
		c->n_allow6 = 0;
		return 0;
	}
	if (n < 0)
		return why(w, "too many prefixes on one line (at most %d)", MAX_TOKENS);
	for (i = 0; i < n; i++)
		if (parse_prefix6_value(tok[i], &p[i], w) < 0)
			return -1;
	if (c->n_allow6 + (size_t)n > CONFIG_MAX_ALLOW6)
		return why(w, "too many entries (at most %d)", CONFIG_MAX_ALLOW6);
	for (i = 0; i < n; i++)
		c->allow6[c->n_allow6++] = p[i];
	return 0;
}

static int set_mtu(struct tun64_config *c, const char *v, char *w)
{
	return parse_unsigned(v, 1280, 65535, &c->mtu, w);
}

/* RFC 7915 §4: the IPv6 minimum link MTU (RFC 8200 §5) is the floor. */
static int set_lowest_ipv6_mtu(struct tun64_config *c, const char *v, char *w)
{
	return parse_unsigned(v, 1280, 65535, &c->lowest_ipv6_mtu, w);
}

static int set_workers(struct tun64_config *c, const char *v, char *w)
{
	return parse_unsigned(v, 0, WORKERS_MAX, &c->workers, w);
}

static int set_max_sessions(struct tun64_config *c, const char *v, char *w)
{
	return parse_number(v, 0, 0xffffffffULL, &c->max_sessions, w);
}

/* 0: a quarter of max-sessions (see tun64d); counted per IPv6 /64. */
static int set_max_sessions_per_client(struct tun64_config *c, const char *v, char *w)
{
	return parse_number(v, 0, 0xffffffffULL, &c->max_sessions_per_client, w);
}

static int set_timeout_udp(struct tun64_config *c, const char *v, char *w)
{
	return parse_unsigned(v, 1, TIMEOUT_MAX, &c->timeout_udp, w);
}

static int set_timeout_tcp_est(struct tun64_config *c, const char *v, char *w)
{
	return parse_unsigned(v, 1, TIMEOUT_MAX, &c->timeout_tcp_est, w);
}

static int set_timeout_tcp_trans(struct tun64_config *c, const char *v, char *w)
{
	return parse_unsigned(v, 1, TIMEOUT_MAX, &c->timeout_tcp_trans, w);
}

static int set_timeout_icmp(struct tun64_config *c, const char *v, char *w)
{
	return parse_unsigned(v, 1, TIMEOUT_MAX, &c->timeout_icmp, w);
}

static int set_routes(struct tun64_config *c, const char *v, char *w)
{
	return parse_bool(v, &c->routes, w);
}

static int set_persist(struct tun64_config *c, const char *v, char *w)
{
	return parse_bool(v, &c->persist, w);
}

static int set_offload(struct tun64_config *c, const char *v, char *w)
{
	return parse_bool(v, &c->offload, w);
}

static int set_udp_coalesce(struct tun64_config *c, const char *v, char *w)
{
	return parse_bool(v, &c->udp_coalesce, w);
}

static int set_wkp_allow_private(struct tun64_config *c, const char *v, char *w)
{
	return parse_bool(v, &c->allow_private_wkp, w);
}

static int set_state_file(struct tun64_config *c, const char *v, char *w)
{
	return copy_string(c->state_file, sizeof(c->state_file), v, w);
}

static int set_state_save_interval(struct tun64_config *c, const char *v, char *w)
{
	return parse_unsigned(v, 0, STATE_SAVE_INTERVAL_MAX, &c->state_save_interval, w);
}

static int set_control_socket(struct tun64_config *c, const char *v, char *w)
{
	if (strlen(v) >= SUN_PATH_MAX)
		return why(w, "too long for a unix socket (at most %d characters)",
		           SUN_PATH_MAX - 1);
	return copy_string(c->control_socket, sizeof(c->control_socket), v, w);
}

/* POSIX portable user names, plus numeric ids. */
static int check_account_name(const char *v, char *w)
{
	const char *p;

	for (p = v; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '.' || *p == '-'))
			return why(w, "'%s' is not a valid name", v);
	if (v[0] == '-')
		return why(w, "'%s' is not a valid name", v);
	return 0;
}

static int set_user(struct tun64_config *c, const char *v, char *w)
{
	if (check_account_name(v, w) < 0)
		return -1;
	return copy_string(c->user, sizeof(c->user), v, w);
}

static int set_group(struct tun64_config *c, const char *v, char *w)
{
	if (check_account_name(v, w) < 0)
		return -1;
	return copy_string(c->group, sizeof(c->group), v, w);
}

static const char *const LOG_LEVEL_NAMES[] = {"error", "warn", "info", "debug"};

static int set_log_level(struct tun64_config *c, const char *v, char *w)
{
	unsigned i;

	for (i = 0; i < sizeof(LOG_LEVEL_NAMES) / sizeof(LOG_LEVEL_NAMES[0]); i++) {
		if (strcmp(v, LOG_LEVEL_NAMES[i]) == 0) {
			c->log_level = (enum log_level)i;
			return 0;
		}
	}
	return why(w, "'%s': expected error, warn, info or debug", v);
}

static int set_icmp_error_rate(struct tun64_config *c, const char *v, char *w)
{
	return parse_unsigned(v, 0, ICMP_ERROR_RATE_MAX, &c->icmp_error_rate, w);
}

static int set_icmp_error_burst(struct tun64_config *c, const char *v, char *w)
{
	return parse_unsigned(v, 1, ICMP_ERROR_RATE_MAX, &c->icmp_error_burst, w);
}

static int set_icmp_unreachable(struct tun64_config *c, const char *v, char *w)
{
	return parse_bool(v, &c->icmp_unreachable, w);
}

static int set_rfc6791_pool4(struct tun64_config *c, const char *v, char *w)
{
	if (parse_prefix4_value(v, &c->rfc6791_pool4, w) < 0)
		return -1;
	c->rfc6791_pool4_set = true;
	return 0;
}

static int set_rfc6791_pool6(struct tun64_config *c, const char *v, char *w)
{
	if (parse_prefix6_value(v, &c->rfc6791_pool6, w) < 0)
		return -1;
	c->rfc6791_pool6_set = true;
	return 0;
}

/* A key with two words: the first means false, the second true. */
static int parse_choice(const char *v, const char *no, const char *yes, bool *out, char *w)
{
	if (strcmp(v, no) == 0)
		*out = false;
	else if (strcmp(v, yes) == 0)
		*out = true;
	else
		return why(w, "'%s': expected %s or %s", v, no, yes);
	return 0;
}

static int set_udp_zero_checksum(struct tun64_config *c, const char *v, char *w)
{
	return parse_choice(v, "compute", "drop", &c->udp_zero_csum_drop, w);
}

static int set_tos(struct tun64_config *c, const char *v, char *w)
{
	return parse_choice(v, "copy", "zero", &c->tos_zero, w);
}

static int set_flow_label(struct tun64_config *c, const char *v, char *w)
{
	return parse_choice(v, "zero", "hash", &c->flow_label_hash, w);
}

/* RFC 6146 §3.5 / RFC 4787: may any IPv4 host reach a mapping (endpoint-
 * independent, the default), or only hosts the client already talks to? */
static int set_filtering(struct tun64_config *c, const char *v, char *w)
{
	return parse_choice(v, "endpoint-independent", "address-dependent", &c->filtering_adf, w);
}

struct config_key {
	const char *name;
	int (*set)(struct tun64_config *c, const char *value, char *why);
};

static const struct config_key KEYS[] = {
    {"tun-device", set_tun_device},
    {"mode", set_mode},
    {"prefix", set_prefix},
    {"pool4", set_pool4},
    {"ipv4-addr", set_ipv4_addr},
    {"ipv6-addr", set_ipv6_addr},
    {"map", set_map},
    {"bib", set_bib},
    {"allow6", set_allow6},
    {"mtu", set_mtu},
    {"lowest-ipv6-mtu", set_lowest_ipv6_mtu},
    {"workers", set_workers},
    {"max-sessions", set_max_sessions},
    {"max-sessions-per-client", set_max_sessions_per_client},
    {"timeout-udp", set_timeout_udp},
    {"timeout-tcp-est", set_timeout_tcp_est},
    {"timeout-tcp-trans", set_timeout_tcp_trans},
    {"timeout-icmp", set_timeout_icmp},
    {"routes", set_routes},
    {"masquerade", set_masquerade},
    {"persist", set_persist},
    {"offload", set_offload},
    {"udp-coalesce", set_udp_coalesce},
    {"wkp-allow-private", set_wkp_allow_private},
    {"state-file", set_state_file},
    {"state-save-interval", set_state_save_interval},
    {"control-socket", set_control_socket},
    {"user", set_user},
    {"group", set_group},
    {"log-level", set_log_level},
    {"icmp-error-rate", set_icmp_error_rate},
    {"icmp-error-burst", set_icmp_error_burst},
    {"icmp-unreachable", set_icmp_unreachable},
    {"rfc6791-pool4", set_rfc6791_pool4},
    {"rfc6791-pool6", set_rfc6791_pool6},
    {"udp-zero-checksum", set_udp_zero_checksum},
    {"tos", set_tos},
    {"flow-label", set_flow_label},
    {"filtering", set_filtering},
};

static const struct config_key *find_key(const char *key)
{
	size_t i;

	for (i = 0; i < sizeof(KEYS) / sizeof(KEYS[0]); i++)
		if (strcmp(KEYS[i].name, key) == 0)
			return &KEYS[i];
	return NULL;
}

bool config_is_key(const char *key)
{
	return find_key(key) != NULL;
}

/* value without leading and trailing white space, in buf */
static const char *trim(const char *s, char *buf, size_t buflen)
{
	size_t n;

	while (is_space(*s))
		s++;
	n = strlen(s);
	while (n > 0 && is_space(s[n - 1]))
		n--;
	if (n >= buflen)
		n = buflen - 1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return buf;
}

int config_set(struct tun64_config *c, const char *key, const char *value, const char *where,
               char *err, size_t errlen)
{
	const struct config_key *k = find_key(key);
	char w[WHYLEN], v[LINE_MAX_LEN];

	if (!k) {
		snprintf(err, errlen, "%s: %s: unknown key", where, key);
		return -1;
	}
	if (strlen(value) >= sizeof(v)) {
		snprintf(err, errlen, "%s: %s: value too long", where, key);
		return -1;
	}
	trim(value, v, sizeof(v));
	if (v[0] == '\0') {
		snprintf(err, errlen, "%s: %s: needs a value", where, key);
		return -1;
	}
	if (k->set(c, v, w) < 0) {
		snprintf(err, errlen, "%s: %s: %s", where, key, w);
		return -1;
	}
	return 0;
}

/* A '#' at the start of a line or after white space starts a comment; a '#'
 * inside a word is data (bib uses ADDR#PORT). */
static void strip_comment(char *line)
{
	char *p;

	for (p = line; *p; p++) {
		if (*p == '#' && (p == line || is_space(p[-1]))) {
			*p = '\0';
			return;
		}
	}
}

/* One line: "key value...". Empty and comment lines are fine. */
static int parse_line(struct tun64_config *c, char *line, const char *where, char *err,
                      size_t errlen)
{
	char *key, *value;

	strip_comment(line);
	key = line;
	while (is_space(*key))
		key++;
	if (*key == '\0')
		return 0;
	value = key;
	while (*value && !is_space(*value))
		value++;
	if (*value)
		*value++ = '\0';
	return config_set(c, key, value, where, err, errlen);
}

int config_parse_text(struct tun64_config *c, const char *name, const char *text, char *err,
                      size_t errlen)
{
	char line[LINE_MAX_LEN], where[PATH_MAX + 32];
	unsigned lineno = 0;
	const char *p = text;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);

		lineno++;
		snprintf(where, sizeof(where), "%s:%u", name, lineno);
		if (n >= sizeof(line)) {
			snprintf(err, errlen, "%s: line too long (at most %d characters)", where,
			         LINE_MAX_LEN - 1);
			return -1;
		}
		memcpy(line, p, n);
		line[n] = '\0';
		if (parse_line(c, line, where, err, errlen) < 0)
			return -1;
		p += n;
		if (*p == '\n')
			p++;
	}
	return 0;
}

/* The one place outside tun64d.c with I/O: reading the file. */
/* The file tells a root daemon which paths to write (state-file,
 * control-socket) and whom to trust: anyone who may write it is root in
 * effect. Refuse a file others may write, or a group other than root's. */
static int check_file_writers(FILE *f, const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (fstat(fileno(f), &st) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	/* Only a regular file can be rewritten behind our back; /dev/null or
	 * a pipe (-c /dev/stdin) carry no lasting configuration. */
	if (!S_ISREG(st.st_mode))
		return 0;
	if (st.st_mode & S_IWOTH) {
		snprintf(err, errlen, "%s: writable by everyone; refusing it (chmod o-w %s)", path,
		         path);
		return -1;
	}
	if ((st.st_mode & S_IWGRP) && st.st_gid != 0) {
		snprintf(err, errlen,
		         "%s: writable by group %u, not root's; refusing it (chmod g-w %s)", path,
		         (unsigned)st.st_gid, path);
		return -1;
	}
	return 0;
}

int config_load_file(struct tun64_config *c, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char *text;
	size_t n;
	int rc;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (check_file_writers(f, path, err, errlen) < 0) {
		fclose(f);
		return -1;
	}
	text = malloc(FILE_MAX_LEN + 1);
	if (!text) {
		fclose(f);
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	n = fread(text, 1, FILE_MAX_LEN + 1, f);
	if (ferror(f) || n > FILE_MAX_LEN) {
		snprintf(err, errlen, "%s: %s", path,
		         ferror(f) ? "read error" : "file too large (at most 1 MiB)");
		fclose(f);
		free(text);
		return -1;
	}
	fclose(f);
	text[n] = '\0';
	if (strlen(text) != n) {
		snprintf(err, errlen, "%s: contains a NUL byte", path);
		free(text);
		return -1;
	}
	rc = config_parse_text(c, path, text, err, errlen);
	free(text);
	return rc;
}

/* --- the whole --- */

/* First usable address of the first pool4 prefix; see the top comment. */
static uint32_t first_pool4_addr(const struct pool4_range *r)
{
	return r->len >= 31 ? r->addr : r->addr + 1;
}

static int check_pool4(const struct tun64_config *c, char *err, size_t errlen)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
	size_t i, j;

	if (c->mode == XLAT_STATEFUL && c->n_pool4 == 0) {
		snprintf(err, errlen, "pool4: stateful mode needs at least one pool4 prefix");
		return -1;
	}
	for (i = 0; i < c->n_pool4; i++)
		for (j = i + 1; j < c->n_pool4; j++)
			if (pool4_overlap(&c->pool4[i], &c->pool4[j])) {
				snprintf(err, errlen, "pool4: %s/%u overlaps %s/%u",
				         addr4_str(c->pool4[j].addr, a, sizeof(a)), c->pool4[j].len,
				         addr4_str(c->pool4[i].addr, b, sizeof(b)),
				         c->pool4[i].len);
				return -1;
			}
	return 0;
}

static bool in_pool4(const struct tun64_config *c, uint32_t a)
{
	size_t i;

	for (i = 0; i < c->n_pool4; i++) {
		struct prefix4 p = {c->pool4[i].addr, c->pool4[i].len};

		if (prefix4_contains(&p, a))
			return true;
	}
	return false;
}

static int check_mode_lists(const struct tun64_config *c, char *err, size_t errlen)
{
	char a[INET_ADDRSTRLEN];
	size_t i;

	if (c->mode == XLAT_STATEFUL && c->n_map > 0) {
		snprintf(err, errlen, "map: explicit address mappings need mode stateless");
		return -1;
	}
	if (c->mode == XLAT_STATELESS && c->n_bib > 0) {
		snprintf(err, errlen, "bib: static bindings need mode stateful");
		return -1;
	}
	/* what it masquerades is pool4, which stateless mode does not use */
	if (c->mode == XLAT_STATELESS && c->masquerade[0]) {
		snprintf(err, errlen, "masquerade: needs mode stateful (it masquerades pool4)");
		return -1;
	}
	/* RFC 6146 §3.5: T is always a pool4 address */
	for (i = 0; i < c->n_bib; i++)
		if (!in_pool4(c, c->bib[i].addr4)) {
			snprintf(err, errlen, "bib: %s is not inside any pool4 prefix",
			         addr4_str(c->bib[i].addr4, a, sizeof(a)));
			return -1;
		}
	return 0;
}

int config_finalize(struct tun64_config *c, char *err, size_t errlen)
{
	if (!rfc6052_valid_len(c->prefix.len)) {
		snprintf(err, errlen,
		         "prefix: length %u is not allowed (RFC 6052: 32, 40, 48, 56, 64, 96)",
		         c->prefix.len);
		return -1;
	}
	if (check_pool4(c, err, errlen) < 0 || check_mode_lists(c, err, errlen) < 0)
		return -1;
	if (!c->ipv4_addr_set) {
		if (c->n_pool4 == 0) {
			snprintf(err, errlen,
			         "ipv4-addr: not set and there is no pool4 to take "
			         "it from");
			return -1;
		}
		c->ipv4_addr = first_pool4_addr(&c->pool4[0]);
	}
	if (!c->ipv6_addr_set)
		rfc6052_embed(&c->prefix, c->ipv4_addr, c->ipv6_addr);
	return 0;
}

/* --- printing --- */

static const char *yes_no(bool b)
{
	return b ? "yes" : "no";
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

static void print_prefix6(FILE *f, const struct prefix6 *p)
{
	char a[INET6_ADDRSTRLEN];

	fprintf(f, "%s/%u", addr6_str(p->addr, a, sizeof(a)), p->len);
}

static void print_prefix4(FILE *f, uint32_t addr, unsigned len)
{
	char a[INET_ADDRSTRLEN];

	fprintf(f, "%s/%u", addr4_str(addr, a, sizeof(a)), len);
}

static void print_addresses(const struct tun64_config *c, FILE *f)
{
	char a[INET6_ADDRSTRLEN];
	size_t i;

	fprintf(f, "prefix ");
	print_prefix6(f, &c->prefix);
	fputc('\n', f);
	for (i = 0; i < c->n_pool4; i++) {
		fprintf(f, "pool4 ");
		print_prefix4(f, c->pool4[i].addr, c->pool4[i].len);
		fprintf(f, " ports %u-%u\n", c->pool4[i].port_lo, c->pool4[i].port_hi);
	}
	fprintf(f, "ipv4-addr %s\n", addr4_str(c->ipv4_addr, a, sizeof(a)));
	fprintf(f, "ipv6-addr %s\n", addr6_str(c->ipv6_addr, a, sizeof(a)));
}

static void print_lists(const struct tun64_config *c, FILE *f)
{
	char a4[INET_ADDRSTRLEN], a6[INET6_ADDRSTRLEN];
	size_t i;

	for (i = 0; i < c->n_map; i++) {
		fprintf(f, "map ");
		print_prefix4(f, c->map[i].p4.addr, c->map[i].p4.len);
		fputc(' ', f);
		print_prefix6(f, &c->map[i].p6);
		fputc('\n', f);
	}
	for (i = 0; i < c->n_bib; i++) {
		const struct nat64_static_bib *b = &c->bib[i];

		fprintf(f, "bib %s %s#%u %s#%u\n", bib_proto_name(b->proto),
		        addr4_str(b->addr4, a4, sizeof(a4)), b->port4,
		        addr6_str(b->addr6, a6, sizeof(a6)), b->port6);
	}
	if (c->n_allow6 == 0)
		fprintf(f, "allow6 any\n");
	for (i = 0; i < c->n_allow6; i++) {
		fprintf(f, "allow6 ");
		print_prefix6(f, &c->allow6[i]);
		fputc('\n', f);
	}
}

static void print_timeouts(const struct tun64_config *c, FILE *f)
{
	fprintf(f, "timeout-udp %u\n", c->timeout_udp);
	if (c->timeout_udp < UDP_MIN)
		fprintf(f, "# note: timeout-udp is below the RFC 6146 §4 minimum of %u s\n",
		        UDP_MIN);
	fprintf(f, "timeout-tcp-est %u\n", c->timeout_tcp_est);
	if (c->timeout_tcp_est < TCP_EST_MIN)
		fprintf(f, "# note: timeout-tcp-est is below the RFC 6146 §4 minimum of %u s\n",
		        TCP_EST_MIN);
	fprintf(f, "timeout-tcp-trans %u\n", c->timeout_tcp_trans);
	fprintf(f, "timeout-icmp %u\n", c->timeout_icmp);
}

/* RFC 7915 options and the ICMP error settings. */
static void print_policies(const struct tun64_config *c, FILE *f)
{
	fprintf(f, "icmp-error-rate %u\n", c->icmp_error_rate);
	fprintf(f, "icmp-error-burst %u\n", c->icmp_error_burst);
	fprintf(f, "icmp-unreachable %s\n", yes_no(c->icmp_unreachable));
	if (c->rfc6791_pool4_set) {
		fprintf(f, "rfc6791-pool4 ");
		print_prefix4(f, c->rfc6791_pool4.addr, c->rfc6791_pool4.len);
		fputc('\n', f);
	}
	if (c->rfc6791_pool6_set) {
		fprintf(f, "rfc6791-pool6 ");
		print_prefix6(f, &c->rfc6791_pool6);
		fputc('\n', f);
	}
	fprintf(f, "udp-zero-checksum %s\n", c->udp_zero_csum_drop ? "drop" : "compute");
	fprintf(f, "tos %s\n", c->tos_zero ? "zero" : "copy");
	fprintf(f, "flow-label %s\n", c->flow_label_hash ? "hash" : "zero");
	fprintf(f, "filtering %s\n",
	        c->filtering_adf ? "address-dependent" : "endpoint-independent");
}

void config_print(const struct tun64_config *c, FILE *f)
{
	fprintf(f, "tun-device %s\n", c->tun_device);
	fprintf(f, "mode %s\n", c->mode == XLAT_STATEFUL ? "stateful" : "stateless");
	print_addresses(c, f);
	print_lists(c, f);
	fprintf(f, "mtu %u\n", c->mtu);
	fprintf(f, "lowest-ipv6-mtu %u\n", c->lowest_ipv6_mtu);
	fprintf(f, "workers %u\n", c->workers);
	fprintf(f, "max-sessions %llu\n", c->max_sessions);
	fprintf(f, "max-sessions-per-client %llu\n", c->max_sessions_per_client);
	print_timeouts(c, f);
	fprintf(f, "routes %s\n", yes_no(c->routes));
	if (c->masquerade[0])
		fprintf(f, "masquerade %s\n", c->masquerade);
	fprintf(f, "persist %s\n", yes_no(c->persist));
	fprintf(f, "offload %s\n", yes_no(c->offload));
	fprintf(f, "udp-coalesce %s\n", yes_no(c->udp_coalesce));
	fprintf(f, "wkp-allow-private %s\n", yes_no(c->allow_private_wkp));
	if (c->state_file[0]) {
		fprintf(f, "state-file %s\n", c->state_file);
		fprintf(f, "state-save-interval %u\n", c->state_save_interval);
	}
	fprintf(f, "control-socket %s\n", c->control_socket);
	if (c->user[0])
		fprintf(f, "user %s\n", c->user);
	if (c->group[0])
		fprintf(f, "group %s\n", c->group);
	fprintf(f, "log-level %s\n", LOG_LEVEL_NAMES[c->log_level]);
	print_policies(c, f);
}

static bool same_pool4(const struct tun64_config *a, const struct tun64_config *b)
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

/* Keys a running daemon cannot change: they shape the tun, its routes, the
 * address plan live sessions depend on, or the process itself. Everything
 * else (timeouts, max-sessions, bib, map, allow6, lowest-ipv6-mtu,
 * wkp-allow-private, log-level, the ICMP error rate, the RFC 6791 pools and
 * the RFC 7915 options) applies on reload. */
const char *config_needs_restart(const struct tun64_config *old, const struct tun64_config *new)
{
	if (strcmp(old->tun_device, new->tun_device) != 0)
		return "tun-device";
	if (old->mode != new->mode)
		return "mode";
	if (memcmp(old->prefix.addr, new->prefix.addr, 16) != 0 ||
	    old->prefix.len != new->prefix.len)
		return "prefix";
	if (!same_pool4(old, new))
		return "pool4";
	if (old->ipv4_addr != new->ipv4_addr)
		return "ipv4-addr";
	if (memcmp(old->ipv6_addr, new->ipv6_addr, 16) != 0)
		return "ipv6-addr";
	if (old->mtu != new->mtu)
		return "mtu";
	if (old->workers != new->workers)
		return "workers";
	if (old->routes != new->routes)
		return "routes";
	if (strcmp(old->masquerade, new->masquerade) != 0)
		return "masquerade";
	if (old->persist != new->persist)
		return "persist";
	if (old->offload != new->offload)
		return "offload";
	if (strcmp(old->state_file, new->state_file) != 0)
		return "state-file";
	if (strcmp(old->control_socket, new->control_socket) != 0)
		return "control-socket";
	if (strcmp(old->user, new->user) != 0)
		return "user";
	if (strcmp(old->group, new->group) != 0)
		return "group";
	return NULL;
}
