/* SPDX-License-Identifier: BSD-2-Clause */
/* Internet checksum (RFC 1071) and its incremental update (RFC 1624).
 *
 * Sums are kept as 32-bit accumulators of big-endian 16-bit words, i.e. the
 * numeric value of the checksum field as read with the high byte first.
 * Accumulate with csum_add*(), then csum_fold() or csum_finish(). */
#ifndef TUN64_CHECKSUM_H
#define TUN64_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

/* Add len bytes at data (odd length: last byte padded with zero). */
uint32_t csum_add_bytes(uint32_t sum, const void *data, size_t len);

/* Add one 16-bit value. */
static inline uint32_t csum_add16(uint32_t sum, uint16_t v)
{
	return sum + v;
}

/* Add a 32-bit value as two 16-bit words (IPv4 addresses in host order). */
static inline uint32_t csum_add32(uint32_t sum, uint32_t v)
{
	return sum + (v >> 16) + (v & 0xffff);
}

/* Fold carries into 16 bits; not inverted. */
uint16_t csum_fold(uint32_t sum);

/* Folded and inverted: the value to store in a checksum field. */
static inline uint16_t csum_finish(uint32_t sum)
{
	return (uint16_t)~csum_fold(sum);
}

/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), where m is the sum of the old
 * covered fields and m' the sum of the new ones. */
uint16_t csum_update(uint16_t check, uint32_t old_sum, uint32_t new_sum);

/* Sum of the IPv4 pseudo-header (RFC 768 / RFC 793), not folded. */
uint32_t csum_pseudo4(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len);

/* Sum of the IPv6 pseudo-header (RFC 8200 §8.1), not folded. */
uint32_t csum_pseudo6(const uint8_t src[16], const uint8_t dst[16], uint8_t next_header,
                      uint32_t len);

/* Checksum of an IPv4 header of hlen bytes whose checksum field is zero or
 * already set: returns 0 when a header with its checksum filled in is valid. */
uint16_t csum_ipv4_header(const uint8_t *hdr, size_t hlen);

/* Read/write a big-endian 16-bit field. */
static inline uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* A partial checksum field (an offloaded checksum that holds the
 * pseudo-header sum only) after the pseudo-header changed: take old_pseudo
 * out and put new_pseudo in. Ports and identifiers need no update: the field
 * does not cover them yet. */
uint16_t csum_partial_update(uint16_t field, uint32_t old_pseudo, uint32_t new_pseudo);

#endif
