/* SPDX-License-Identifier: BSD-2-Clause */
/* Transport headers (RFC 7915 §4.5, §5.5): parsing TCP, UDP, ICMP echo
 * and the protocols passed as payload, and the checksum rewrite for the new
 * pseudo-header. */
#include "rfc7915.h"

static enum tun64_counter tcp_parse(struct l4_view *v)
{
	if (v->len < TCP_HDR_LEN)
		return CTR_DROP_TRUNCATED;
	v->sport = get_be16(v->hdr + L4_SPORT);
	v->dport = get_be16(v->hdr + L4_DPORT);
	v->tcp_flags = v->hdr[TCP_FLAGS];
	return CTR_NONE;
}

/* fragmented: a first fragment, whose UDP length covers the whole
 * datagram, not just the bytes at hand. */
static enum tun64_counter udp_parse(struct l4_view *v, bool fragmented)
{
	uint16_t udp_len;

	if (v->len < UDP_HDR_LEN)
		return CTR_DROP_TRUNCATED;
	udp_len = get_be16(v->hdr + UDP_LEN);
	if (udp_len < UDP_HDR_LEN)
		return CTR_DROP_BAD_LENGTH;
	if (udp_len > v->len && !fragmented)
		return CTR_DROP_TRUNCATED;
	v->sport = get_be16(v->hdr + L4_SPORT);
	v->dport = get_be16(v->hdr + L4_DPORT);
	return CTR_NONE;
}

/* Echo messages: the identifier plays the part of both ports (RFC 6146 §3.5). */
enum tun64_counter icmp_parse(struct l4_view *v, bool from_v6)
{
	bool known;

	if (v->len < ICMP_HDR_LEN)
		return CTR_DROP_TRUNCATED;
	if (from_v6)
		known = icmp6_to_icmp4_type(v->hdr[ICMP_TYPE], v->hdr[ICMP_CODE], &v->icmp_type,
		                            &v->icmp_code);
	else
		known = icmp4_to_icmp6_type(v->hdr[ICMP_TYPE], v->hdr[ICMP_CODE], &v->icmp_type,
		                            &v->icmp_code);
	if (!known)
		return CTR_DROP_UNSUPPORTED_ICMP;
	v->proto = IPPROTO_ICMP;
	v->sport = get_be16(v->hdr + ICMP_ECHO_ID);
	v->dport = v->sport;
	return CTR_NONE;
}

/* RFC 7915 §4.5, §5.5: "translators MUST forward all transport protocols",
 * header translated, payload unchanged (but see l4_pseudo_csum). Stateless
 * mode only: an RFC 6146 NAT64 keeps state for TCP, UDP and ICMP alone. Not
 * forwarded: numbers that are IPv6 extension headers (RFC 8200 §4, IANA; the IPv6
 * side would parse the payload as one) other than ESP and AH, the reserved
 * 255, and ICMP of the other family (dropped before). No Next Header (59)
 * is carried: §5.1 copies it into Protocol, and RFC 8200 §4.7 passes any
 * bytes after it on unchanged. */
bool l4_opaque_ok(uint8_t proto)
{
	switch (proto) {
	case 0:   /* Hop-by-Hop Options */
	case 43:  /* Routing */
	case 44:  /* Fragment */
	case 60:  /* Destination Options */
	case 135: /* Mobility */
	case 139: /* HIP */
	case 140: /* Shim6 */
	case 253: /* experimentation, also as extension headers */
	case 254:
	case 255: /* reserved */
		return false;
	default:
		return true;
	}
}

/* TCP, UDP and ICMP of either family (the caller refuses the other
 * family's ICMP first), and with opaque (stateless) any protocol
 * l4_opaque_ok lets through. */
bool l4_carried(uint8_t proto, bool opaque)
{
	switch (proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		return true;
	default:
		return opaque && l4_opaque_ok(proto);
	}
}

/* Other transports whose checksum covers the pseudo-header, at byte 6 as in
 * UDP: DCCP (RFC 4340 §9.1) and UDP-Lite (RFC 3828 §3.1). RFC 7915 §4.5
 * calls DCCP support OPTIONAL; forwarded unchanged, every packet would reach
 * its receiver with a wrong checksum, so the pseudo-header change is applied
 * to it as to UDP. */
bool l4_pseudo_csum(uint8_t proto)
{
	return proto == IPPROTO_DCCP || proto == IPPROTO_UDPLITE;
}

#define PSEUDO_CSUM_HDR_LEN 8 /* ports and checksum; both headers are longer */

/* proto is the IPv4 protocol or IPv6 next header of the transport;
 * fragmented: hdr starts a first fragment (fragmented ICMP never gets here).
 * the caller checked l4_carried(proto). */
enum tun64_counter l4_parse(struct l4_view *v, uint8_t proto, uint8_t *hdr, size_t len,
                            bool fragmented)
{
	memset(v, 0, sizeof(*v));
	v->proto = proto;
	v->hdr = hdr;
	v->len = len;
	switch (proto) {
	case IPPROTO_TCP:
		return tcp_parse(v);
	case IPPROTO_UDP:
		return udp_parse(v, fragmented);
	case IPPROTO_ICMPV6:
		return icmp_parse(v, true);
	case IPPROTO_ICMP:
		return icmp_parse(v, false);
	default:
		if (!l4_pseudo_csum(proto)) {
			v->no_header = true;
			return CTR_NONE;
		}
		if (len < PSEUDO_CSUM_HDR_LEN)
			return CTR_DROP_TRUNCATED;
		v->sport = get_be16(hdr + L4_SPORT);
		v->dport = get_be16(hdr + L4_DPORT);
		return CTR_NONE;
	}
}

/* A fragment after the first: its bytes are payload only, nothing is read
 * or rewritten. Fragmented ICMP is refused before (its checksum needs the
 * whole datagram), so only TCP and UDP come here. RFC 1858 §4: a TCP
 * fragment at offset 8 bytes could overwrite the first fragment's flags. */
enum tun64_counter l4_later_fragment(struct l4_view *v, uint8_t proto, uint8_t *data, size_t len,
                                     uint16_t offset_units)
{
	memset(v, 0, sizeof(*v));
	v->proto = proto;
	v->hdr = data;
	v->len = len;
	v->no_header = true;
	if (proto == IPPROTO_TCP && offset_units == 1)
		return CTR_DROP_FRAGMENT;
	return CTR_NONE;
}

/* Where the checksum of a TCP or UDP header is. */
static size_t l4_csum_offset(uint8_t proto)
{
	return proto == IPPROTO_TCP ? TCP_SUM : UDP_SUM;
}

/* A UDP checksum of 0 means "none" (RFC 768), so a computed 0 goes out as
 * 0xffff (RFC 7915 §4.5). */
static void udp_store_csum(uint8_t *udp, uint16_t check)
{
	put_be16(udp + UDP_SUM, check ? check : 0xffff);
}

/* Rewrite ports / identifier / ICMP type and update the checksum
 * incrementally (RFC 1624) from the old pseudo-header sum to the new one; the
 * payload is not read. ICMPv4 has no pseudo-header: its sum is 0.
 * A UDP datagram from IPv4 without checksum gets a full one, since IPv6
 * requires it (RFC 7915 §4.5). */
static void l4_rewrite_partial(const struct l4_view *v, uint32_t old_pseudo, uint32_t new_pseudo,
                               uint16_t sport, uint16_t dport);

void l4_rewrite(const struct l4_view *v, uint32_t old_pseudo, uint32_t new_pseudo, uint16_t sport,
                uint16_t dport)
{
	uint8_t *h = v->hdr;
	uint32_t old_sum, new_sum;
	uint16_t check;

	if (v->no_header)
		return;
	if (v->csum_partial) {
		l4_rewrite_partial(v, old_pseudo, new_pseudo, sport, dport);
		return;
	}
	switch (v->proto) {
	case IPPROTO_TCP:
		old_sum = old_pseudo + get_be16(h + L4_SPORT) + get_be16(h + L4_DPORT);
		new_sum = new_pseudo + sport + dport;
		put_be16(h + L4_SPORT, sport);
		put_be16(h + L4_DPORT, dport);
		put_be16(h + TCP_SUM, csum_update(get_be16(h + TCP_SUM), old_sum, new_sum));
		break;
	case IPPROTO_DCCP: /* stateless only: the ports stay */
		put_be16(h + UDP_SUM, csum_update(get_be16(h + UDP_SUM), old_pseudo, new_pseudo));
		break;
	case IPPROTO_UDPLITE: /* 0 is not a valid UDP-Lite checksum either */
		udp_store_csum(h, csum_update(get_be16(h + UDP_SUM), old_pseudo, new_pseudo));
		break;
	case IPPROTO_UDP:
		check = get_be16(h + UDP_SUM);
		put_be16(h + L4_SPORT, sport);
		put_be16(h + L4_DPORT, dport);
		if (check == 0) {
			uint16_t udp_len = get_be16(h + UDP_LEN);

			put_be16(h + UDP_SUM, 0);
			udp_store_csum(h, csum_finish(csum_add_bytes(new_pseudo, h, udp_len)));
			break;
		}
		old_sum = old_pseudo + v->sport + v->dport;
		new_sum = new_pseudo + sport + dport;
		udp_store_csum(h, csum_update(check, old_sum, new_sum));
		break;
	case IPPROTO_ICMP:
		old_sum = old_pseudo + get_be16(h + ICMP_TYPE) + get_be16(h + ICMP_ECHO_ID);
		new_sum = new_pseudo + (uint16_t)(v->icmp_type << 8 | v->icmp_code) + sport;
		h[ICMP_TYPE] = v->icmp_type;
		h[ICMP_CODE] = v->icmp_code;
		put_be16(h + ICMP_ECHO_ID, sport);
		put_be16(h + ICMP_SUM, csum_update(get_be16(h + ICMP_SUM), old_sum, new_sum));
		break;
	}
}

/* An offloaded TCP/UDP checksum (VNET_F_NEEDS_CSUM) holds the pseudo-header
 * sum only; whoever sends the packet on sums the transport into it, ports
 * included. So only the pseudo-header part changes, for GSO packets too:
 * the kernel's pseudo-header length is the whole super-packet's, as here. */
static void l4_rewrite_partial(const struct l4_view *v, uint32_t old_pseudo, uint32_t new_pseudo,
                               uint16_t sport, uint16_t dport)
{
	uint8_t *field = v->hdr + l4_csum_offset(v->proto);

	put_be16(v->hdr + L4_SPORT, sport);
	put_be16(v->hdr + L4_DPORT, dport);
	put_be16(field, csum_partial_update(get_be16(field), old_pseudo, new_pseudo));
}

/* RFC 8200 §8.1: a zero UDP checksum is invalid over IPv6; IPv4 input gets
 * one computed (§4.5) unless "udp-zero-checksum drop". */
bool udp_lacks_checksum(const struct l4_view *l4)
{
	return l4->proto == IPPROTO_UDP && get_be16(l4->hdr + UDP_SUM) == 0;
}

/* RFC 8200 §4.5: a fragment that would make the datagram longer than 65535
 * bytes is discarded (RFC 791 caps IPv4 the same way). */
bool fragment_overflows(bool frag, uint16_t offset_units, size_t len)
{
	return frag && (size_t)offset_units * 8 + len > 65535;
}

/* A checksum left to the offload (VNET_F_NEEDS_CSUM) cannot be finished by
 * anyone once the datagram is in pieces: finish it here, over the whole
 * transport (the field holds the new pseudo-header sum). */
void l4_finish_partial(const struct l4_view *l4)
{
	uint8_t *field = l4->hdr + l4_csum_offset(l4->proto);
	uint16_t check = csum_finish(csum_add_bytes(0, l4->hdr, l4->len));

	if (l4->proto == IPPROTO_UDP)
		udp_store_csum(l4->hdr, check);
	else
		put_be16(field, check);
}

/* The segments the kernel cuts a TCP or UDP GSO packet into: its transport
 * payload (after the TCP header with its options, or the UDP header) in
 * pieces of gso_size; at least one. */
unsigned l4_gso_segs(const struct l4_view *l4, uint16_t gso_size)
{
	size_t hdr =
	    l4->proto == IPPROTO_TCP ? (size_t)(l4->hdr[TCP_DOFF_BYTE] >> 4) * 4 : UDP_HDR_LEN;
	size_t payload = l4->len > hdr ? l4->len - hdr : 0;

	if (gso_size == 0 || payload == 0)
		return 1;
	return (unsigned)((payload + gso_size - 1) / gso_size);
}
