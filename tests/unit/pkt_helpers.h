/* SPDX-License-Identifier: BSD-2-Clause */
/* Test helpers: builders for IPv4 / IPv6 packets carrying TCP, UDP or ICMP,
 * and a reference Internet checksum written independently of
 * translator/core/checksum.c (so tests never check the code with itself).
 *
 * Builders write into caller buffers and return the number of bytes written.
 * Addresses are given as text ("2001:db8:6::10", "203.0.113.5"). */
#ifndef TUN64_TEST_PKT_HELPERS_H
#define TUN64_TEST_PKT_HELPERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TP_DF 0x4000 /* IPv4 flags/offset field: Don't Fragment */
#define TP_MF 0x2000

#define TP_FIN 0x01
#define TP_SYN 0x02
#define TP_RST 0x04
#define TP_PSH 0x08
#define TP_ACK 0x10

/* ---- reference checksum (RFC 1071, the plain byte-pair loop) ---- */

/* One's-complement sum of data as big-endian 16-bit words, folded, not
 * inverted. Odd length: the last byte is padded with zero. */
uint16_t ref_sum16(const uint8_t *data, size_t len);
/* ~ref_sum16: the value of a checksum field. */
uint16_t ref_csum(const uint8_t *data, size_t len);
/* Transport checksum over an IPv4 / IPv6 pseudo-header plus l4 (whose own
 * checksum field must be zero). */
uint16_t ref_l4_csum4(const uint8_t src[4], const uint8_t dst[4], uint8_t proto, const uint8_t *l4,
		      size_t len);
uint16_t ref_l4_csum6(const uint8_t src[16], const uint8_t dst[16], uint8_t nh, const uint8_t *l4,
		      size_t len);

/* ---- address text ---- */
void tp_addr4(const char *s, uint8_t out[4]); /* aborts on bad text */
void tp_addr6(const char *s, uint8_t out[16]);
uint32_t tp_addr4_host(const char *s); /* host byte order */

/* ---- transport headers (checksum left zero; the IP builders fill it) ---- */
size_t tp_udp(uint8_t *out, uint16_t sport, uint16_t dport, const void *payload, size_t plen);
size_t tp_tcp(uint8_t *out, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
	      uint8_t flags, const void *payload, size_t plen);
/* ICMP / ICMPv6 in echo layout: type, code, checksum, id, seq, payload. For
 * errors pass the 4 "rest of header" bytes as id and seq. */
size_t tp_icmp(uint8_t *out, uint8_t type, uint8_t code, uint16_t id, uint16_t seq,
	       const void *payload, size_t plen);

/* ---- IP packets ---- */
struct tp_ip4 {
	const char *src, *dst;
	uint8_t proto;
	uint8_t ttl;
	uint8_t tos;
	uint16_t id;
	uint16_t frag;	/* flags and fragment offset, e.g. TP_DF */
	const uint8_t *opts; /* IPv4 options, a multiple of 4 bytes */
	size_t opts_len;
	bool keep_l4_csum; /* do not compute the transport checksum */
};

struct tp_ip6 {
	const char *src, *dst;
	uint8_t nh; /* upper-layer protocol */
	uint8_t hlim;
	uint8_t tclass;
	uint32_t flow;
	/* Extension headers between the IPv6 header and the transport, built
	 * by the caller (their last next-header byte must be nh); the IPv6
	 * header's next header is then ext_first. */
	const uint8_t *ext;
	size_t ext_len;
	uint8_t ext_first;
	bool keep_l4_csum;
};

/* Header + l4 into out, IPv4 header checksum and (unless keep_l4_csum) the
 * TCP / UDP / ICMP checksum filled in by the reference checksum. */
size_t tp_ip4(uint8_t *out, const struct tp_ip4 *h, const uint8_t *l4, size_t l4len);
size_t tp_ip6(uint8_t *out, const struct tp_ip6 *h, const uint8_t *l4, size_t l4len);

/* Deterministic filler bytes. */
void tp_fill(uint8_t *out, size_t len, uint8_t seed);

/* ---- checks ---- */

/* Equal bytes? On a mismatch prints both packets (hex) and the first
 * differing offset to stderr. */
bool tp_same(const uint8_t *got, size_t got_len, const uint8_t *exp, size_t exp_len);
/* Checksums of a whole packet verified with the reference checksum: IPv4
 * header checksum (IPv4) and the TCP / UDP / ICMP / ICMPv6 checksum. */
bool tp_csums_ok(const uint8_t *pkt, size_t len);

#endif
