/* SPDX-License-Identifier: BSD-2-Clause */
/* Value parsers shared by the rows of the key table: numbers, yes/no, port
 * ranges, prefixes, bounded strings. Pure; errors go to a WHYLEN buffer. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "config_keys.h"

/* Fill the reason buffer; always returns -1 so setters can `return cfg_why(...)`. */
int cfg_why(char *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w, WHYLEN, fmt, ap);
	va_end(ap);
	return -1;
}

bool cfg_is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' || ch == '\v' || ch == '\f';
}

/* Split a copy of s (in buf) on white space. Returns the token count, or -1
 * if there are more than max. */
int cfg_tokenize(const char *s, char *buf, size_t buflen, char **tok, int max)
{
	int n = 0;
	char *p;

	snprintf(buf, buflen, "%s", s);
	for (p = buf;;) {
		while (cfg_is_space(*p))
			p++;
		if (*p == '\0')
			return n;
		if (n == max)
			return -1;
		tok[n++] = p;
		while (*p && !cfg_is_space(*p))
			p++;
		if (*p)
			*p++ = '\0';
	}
}

/* Decimal digits only: no sign, no spaces, no hex. */
int cfg_parse_ull(const char *s, unsigned long long *out)
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

int cfg_parse_number(const char *s, unsigned long long min, unsigned long long max,
                     unsigned long long *out, char *w)
{
	unsigned long long v = 0;

	if (cfg_parse_ull(s, &v) < 0)
		return cfg_why(w, "'%s' is not a number", s);
	if (v < min || v > max)
		return cfg_why(w, "%s is out of range (%llu..%llu)", s, min, max);
	*out = v;
	return 0;
}

int cfg_parse_bool(const char *s, bool *out, char *w)
{
	if (strcmp(s, "yes") == 0)
		*out = true;
	else if (strcmp(s, "no") == 0)
		*out = false;
	else
		return cfg_why(w, "'%s': expected yes or no", s);
	return 0;
}

/* "A-B", 1 <= A <= B <= 65535. */
int cfg_parse_port_range(const char *s, uint16_t *lo, uint16_t *hi, char *w)
{
	char buf[16];
	char *dash;
	unsigned long long a, b;

	snprintf(buf, sizeof(buf), "%s", s);
	dash = strchr(buf, '-');
	if (strlen(s) >= sizeof(buf) || !dash)
		return cfg_why(w, "ports: '%s' is not a range A-B", s);
	*dash = '\0';
	if (cfg_parse_ull(buf, &a) < 0 || cfg_parse_ull(dash + 1, &b) < 0)
		return cfg_why(w, "ports: '%s' is not a range A-B", s);
	if (a < 1 || b > 65535 || a > b)
		return cfg_why(w, "ports: %s is not a range within 1-65535 with A <= B", s);
	*lo = (uint16_t)a;
	*hi = (uint16_t)b;
	return 0;
}

int cfg_parse_prefix6(const char *s, struct prefix6 *p, char *w)
{
	if (prefix6_parse(s, p) < 0)
		return cfg_why(w, "'%s' is not an IPv6 prefix (ADDR/LEN with zero host bits)", s);
	return 0;
}

int cfg_parse_prefix4(const char *s, struct prefix4 *p, char *w)
{
	if (prefix4_parse(s, p) < 0)
		return cfg_why(w, "'%s' is not an IPv4 prefix (ADDR/LEN with zero host bits)", s);
	return 0;
}

/* A copy into a fixed buffer; too long is an error, not a truncation. */
int cfg_copy_string(char *dst, size_t dstlen, const char *s, char *w)
{
	if (strlen(s) >= dstlen)
		return cfg_why(w, "too long (at most %zu characters)", dstlen - 1);
	strcpy(dst, s);
	return 0;
}

void cfg_print_prefix6(FILE *f, const struct prefix6 *p)
{
	char a[INET6_ADDRSTRLEN];

	fprintf(f, "%s/%u", addr6_str(p->addr, a, sizeof(a)), p->len);
}

void cfg_print_prefix4(FILE *f, uint32_t addr, unsigned len)
{
	char a[INET_ADDRSTRLEN];

	fprintf(f, "%s/%u", addr4_str(addr, a, sizeof(a)), len);
}

/* metrics ADDR:PORT (config.h): an IPv4 address, or an IPv6 one in
 * brackets (RFC 3986 §3.2.2), then a port. */
int config_metrics_addr(const char *v, struct sockaddr_storage *ss, char *w)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon = strrchr(v, ':');
	unsigned long long port;
	size_t hl;

	memset(ss, 0, sizeof(*ss));
	if (!colon || colon == v)
		return cfg_why(w, "'%s' is not ADDR:PORT (IPv6 as [ADDR]:PORT)", v);
	hl = (size_t)(colon - v);
	if (hl >= sizeof(host))
		return cfg_why(w, "'%s': the address is too long", v);
	memcpy(host, v, hl);
	host[hl] = '\0';
	if (cfg_parse_number(colon + 1, 1, 65535, &port, w) < 0)
		return -1;
	if (host[0] == '[' && host[hl - 1] == ']') {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		host[hl - 1] = '\0';
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, host + 1, &s6->sin6_addr) != 1)
			return cfg_why(w, "'%s' is not an IPv6 address", host + 1);
		return 0;
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

	s4->sin_family = AF_INET;
	s4->sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
		return cfg_why(w, "'%s' is not an IPv4 address (IPv6 as [ADDR]:PORT)", host);
	return 0;
}
