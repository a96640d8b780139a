/* SPDX-License-Identifier: BSD-2-Clause */
/* Address types, prefix parsing and RFC 6052 IPv4-embedded IPv6 addresses.
 * IPv4 addresses are uint32_t in host byte order everywhere inside tun64;
 * IPv6 addresses are 16-byte arrays in network order. */
#ifndef TUN64_ADDR_H
#define TUN64_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct prefix6 {
	uint8_t addr[16];
	uint8_t len; /* 0..128 */
};

struct prefix4 {
	uint32_t addr; /* host order */
	uint8_t len;   /* 0..32 */
};

/* RFC 6052 §2.2: 32, 40, 48, 56, 64 or 96. */
bool rfc6052_valid_len(unsigned len);

/* RFC 6052 §2.2: put v4 into prefix p (bits 64..71, the u-octet, stay zero;
 * the suffix is zero). p->len must be valid. */
void rfc6052_embed(const struct prefix6 *p, uint32_t v4, uint8_t out[16]);

/* Inverse of rfc6052_embed. Returns false if a is not inside p. */
bool rfc6052_extract(const struct prefix6 *p, const uint8_t a[16], uint32_t *v4);

bool prefix6_contains(const struct prefix6 *p, const uint8_t a[16]);
bool prefix4_contains(const struct prefix4 *p, uint32_t a);

/* "2001:db8::/96", "192.0.2.0/24". A missing /LEN means a host prefix.
 * Host bits must be zero. Return 0, or -1 on a malformed string. */
int prefix6_parse(const char *s, struct prefix6 *p);
int prefix4_parse(const char *s, struct prefix4 *p);
int addr6_parse(const char *s, uint8_t out[16]);
int addr4_parse(const char *s, uint32_t *out);

/* Text forms; buf needs 46 (INET6_ADDRSTRLEN) / 16 bytes. Return buf. */
char *addr6_str(const uint8_t a[16], char *buf, size_t len);
char *addr4_str(uint32_t a, char *buf, size_t len);

/* RFC 6052 §3.1: may this IPv4 address be used with the well-known prefix?
 * (false for RFC 1918, loopback, link-local, multicast, documentation ...) */
bool addr4_is_global(uint32_t a);

/* 0/8, 127/8, 169.254/16 (RFC 3927 §7), 224/4, 240/4: never forwarded
 * (RFC 1812 §5.3.7), so never translated. */
bool addr4_never_forwarded(uint32_t a);

/* 64:ff9b::/96 */
bool prefix6_is_wkp(const struct prefix6 *p);

#endif
