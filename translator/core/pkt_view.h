/* SPDX-License-Identifier: BSD-2-Clause */
/* The outline of one IP packet: family, header lengths and the transport
 * header, read once from the bytes. The offloads (vnet.c, coalesce.c) and
 * the capture describer (pcap_translate.c) share it; the translation core
 * parses further into its own views (rfc7915.h), because RFC 7915
 * needs every extension header and option. */
#ifndef TUN64_PKT_VIEW_H
#define TUN64_PKT_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pkt_view {
	bool v6;
	bool later_fragment; /* IPv4 only: a fragment offset other than 0 */
	bool more_fragments; /* IPv4 only: MF */
	uint8_t proto;       /* IPv4 Protocol, or IPv6 Next Header of the fixed header */
	size_t len;          /* by the IP length field; never more than the bytes read */
	size_t l3_len;       /* IPv4 header with options, or the fixed IPv6 header */
	size_t l4_len;       /* len - l3_len */
	size_t l4_hdr;       /* TCP (with options) or UDP header length; 0: none, or cut
	                      * short (read as a header even in a later IPv4 fragment) */
	const uint8_t *l4;   /* the bytes after the IP header */
};

/* Fill v from the len bytes at p. Returns 0, or -1 when p is no IPv4 or
 * IPv6 packet, its header is cut short, or its length field claims more
 * bytes than len. */
int pkt_view_parse(struct pkt_view *v, const uint8_t *p, size_t len);

/* The same for a packet that may be cut short (a capture's snap length):
 * only the IP header must be whole; the length field may claim more than
 * len (v->len is then len). For describing packets, never for rewriting. */
int pkt_view_parse_cut(struct pkt_view *v, const uint8_t *p, size_t len);

/* TCP or UDP with a whole transport header. */
static inline bool pkt_view_tcp_or_udp(const struct pkt_view *v)
{
	return v->l4_hdr > 0;
}

#endif
