/* SPDX-License-Identifier: BSD-2-Clause */
/* Internet checksum, RFC 1071, and incremental update, RFC 1624. */
#include "checksum.h"

uint16_t csum_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static uint32_t fold64(uint64_t acc)
{
	/* Two folds leave at most 0xffffffff. */
	acc = (acc & 0xffffffff) + (acc >> 32);
	acc = (acc & 0xffffffff) + (acc >> 32);
	return csum_fold((uint32_t)acc);
}

/* Big-endian 32-bit words summed into 64 bits: since 2^16 == 1 modulo
 * 0xffff, this folds to the same value as the 16-bit word sum (RFC 1071 §2(B)),
 * with half the additions. data must start at an even offset of the stream. */
uint32_t csum_add_bytes(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t acc = sum;

	while (len >= 4) {
		acc += get_be32(p);
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		acc += get_be16(p);
		p += 2;
		len -= 2;
	}
	if (len)
		acc += (uint32_t)p[0] << 8;
	return fold64(acc);
}

uint16_t csum_update(uint16_t check, uint32_t old_sum, uint32_t new_sum)
{
	uint32_t sum = (uint16_t)~check;

	sum += (uint16_t)~csum_fold(old_sum);
	sum += csum_fold(new_sum);
	return csum_finish(sum);
}

uint32_t csum_pseudo4(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len)
{
	uint32_t sum = 0;

	sum = csum_add32(sum, src);
	sum = csum_add32(sum, dst);
	sum = csum_add16(sum, proto);
	return csum_add16(sum, len);
}

uint32_t csum_pseudo6(const uint8_t src[16], const uint8_t dst[16], uint8_t next_header,
                      uint32_t len)
{
	uint32_t sum = 0;

	sum = csum_add_bytes(sum, src, 16);
	sum = csum_add_bytes(sum, dst, 16);
	sum = csum_add32(sum, len);
	return csum_add16(sum, next_header);
}

uint16_t csum_ipv4_header(const uint8_t *hdr, size_t hlen)
{
	return csum_finish(csum_add_bytes(0, hdr, hlen));
}

uint16_t csum_partial_update(uint16_t field, uint32_t old_pseudo, uint32_t new_pseudo)
{
	/* The field is a sum, not its complement: csum_update() works on
	 * complements (RFC 1624 eqn. 3), so complement in and out. */
	return (uint16_t)~csum_update((uint16_t)~field, old_pseudo, new_pseudo);
}
