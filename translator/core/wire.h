/* SPDX-License-Identifier: BSD-2-Clause */
/* Header fields of the translation core by name: offsets into the wire
 * formats taken from the netinet/ structs with offsetof (RFC 791, 8200, 793,
 * 768, 792, 4443), and what netinet/ lacks or gives in host byte order only.
 * The core reads and writes them with get_be16/put_be16 & co (checksum.h). */
#ifndef TUN64_WIRE_H
#define TUN64_WIRE_H

#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/ip_icmp.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IPV4_HDR_LEN sizeof(struct ip) /* without options */
#define IPV6_HDR_LEN sizeof(struct ip6_hdr)
#define IPV6_FRAG_HDR_LEN sizeof(struct ip6_frag)
#define TCP_HDR_LEN sizeof(struct tcphdr) /* without options */
#define UDP_HDR_LEN sizeof(struct udphdr)
#define ICMP_HDR_LEN sizeof(struct icmp6_hdr) /* ICMPv4 too: type, code, sum, 4 bytes */

/* IPv4 (struct ip; byte 0 is version and IHL, bit fields there). */
#define IP4_VHL 0
#define IP4_TOS offsetof(struct ip, ip_tos)
#define IP4_LEN offsetof(struct ip, ip_len)
#define IP4_ID offsetof(struct ip, ip_id)
#define IP4_OFF offsetof(struct ip, ip_off) /* flags (IP_DF, IP_MF) and IP_OFFMASK */
#define IP4_TTL offsetof(struct ip, ip_ttl)
#define IP4_PROTO offsetof(struct ip, ip_p)
#define IP4_SUM offsetof(struct ip, ip_sum)
#define IP4_SRC offsetof(struct ip, ip_src)
#define IP4_DST offsetof(struct ip, ip_dst)
#define IP4_VHL_NO_OPTIONS 0x45 /* version 4, IHL 5 words */

/* IPv6 (struct ip6_hdr). ip6_flow: version, Traffic Class, Flow Label. */
#define IP6_FLOW offsetof(struct ip6_hdr, ip6_flow)
#define IP6_PLEN offsetof(struct ip6_hdr, ip6_plen)
#define IP6_NXT offsetof(struct ip6_hdr, ip6_nxt)
#define IP6_HLIM offsetof(struct ip6_hdr, ip6_hlim)
#define IP6_SRC offsetof(struct ip6_hdr, ip6_src)
#define IP6_DST offsetof(struct ip6_hdr, ip6_dst)
#define IP6_VERSION_BYTE 0x60 /* version 6, Traffic Class high bits 0 */

/* IPv6 extension headers (struct ip6_ext, ip6_rthdr, ip6_frag). */
#define EXT6_NXT offsetof(struct ip6_ext, ip6e_nxt)
#define EXT6_LEN offsetof(struct ip6_ext, ip6e_len) /* in 8-byte units, not counting the first */
#define EXT6_MIN_LEN 8
#define RTHDR_SEGLEFT offsetof(struct ip6_rthdr, ip6r_segleft)
#define FRAG6_NXT offsetof(struct ip6_frag, ip6f_nxt)
#define FRAG6_RESERVED offsetof(struct ip6_frag, ip6f_reserved)
#define FRAG6_OFFLG offsetof(struct ip6_frag, ip6f_offlg)
#define FRAG6_IDENT offsetof(struct ip6_frag, ip6f_ident)
/* The M flag of ip6f_offlg read with get_be16 (IP6F_MORE_FRAG is in
 * network byte order); the offset is the 13 bits above the 3 low ones. */
#define IPV6_FRAG_M 0x0001
#define IPV6_FRAG_OFFSET_SHIFT 3

/* TCP and UDP: the ports sit at the same place, and in DCCP (RFC 4340) and
 * UDP-Lite (RFC 3828), whose checksum is where UDP's is. */
#define L4_SPORT offsetof(struct tcphdr, th_sport)
#define L4_DPORT offsetof(struct tcphdr, th_dport)
#define TCP_DOFF_BYTE (offsetof(struct tcphdr, th_ack) + 4) /* th_off: high 4 bits */
#define TCP_FLAGS offsetof(struct tcphdr, th_flags)
#define TCP_CWR 0x80 /* RFC 3168 §6.1: netinet/tcp.h names TH_FIN..TH_URG only */
#define TCP_SUM offsetof(struct tcphdr, th_sum)
#define UDP_LEN offsetof(struct udphdr, uh_ulen)
#define UDP_SUM offsetof(struct udphdr, uh_sum)

/* ICMPv4 and ICMPv6 share the first 8 bytes' layout (struct icmp6_hdr):
 * type, code, checksum and 32 bits whose meaning depends on the type. */
#define ICMP_TYPE offsetof(struct icmp6_hdr, icmp6_type)
#define ICMP_CODE offsetof(struct icmp6_hdr, icmp6_code)
#define ICMP_SUM offsetof(struct icmp6_hdr, icmp6_cksum)
#define ICMP_REST offsetof(struct icmp6_hdr, icmp6_dataun) /* MTU, pointer (v6) */
#define ICMP_ECHO_ID ICMP_REST                             /* echo identifier */
#define ICMP4_PPTR offsetof(struct icmp, icmp_pptr)        /* Parameter Problem pointer */
#define ICMP4_NEXTMTU offsetof(struct icmp, icmp_nextmtu)  /* RFC 1191 next-hop MTU */
/* RFC 4884 length attribute of the original datagram: ICMPv4 byte 5 in
 * 32-bit words, ICMPv6 byte 4 in 64-bit words. */
#define ICMP4_LEN_ATTR 5
#define ICMP6_LEN_ATTR 4
/* The same as a shift into those 32 bits read with get_be32. */
#define ICMP4_LEN_ATTR_SHIFT (8 * (3 - (ICMP4_LEN_ATTR - ICMP_REST)))
#define ICMP6_LEN_ATTR_SHIFT (8 * (3 - (ICMP6_LEN_ATTR - ICMP_REST)))
/* ICMPv4 Parameter Problem codes netinet/ip_icmp.h has no name for
 * (RFC 792; RFC 1812 §5.2.7.4). */
#define ICMP4_PARAMPROB_POINTER 0
#define ICMP4_PARAMPROB_LENGTH 2

/* The IP version, in the high 4 bits of the first byte of either header. */
static inline unsigned ip_version(const uint8_t *ip)
{
	return ip[0] >> 4;
}

/* The IPv4 header length from its IHL (32-bit words), options included. */
static inline size_t ip4_hdr_len(const uint8_t *ip4)
{
	return (size_t)(ip4[IP4_VHL] & 0x0f) * 4;
}

/* RFC 4291 §2.7: multicast is ff00::/8. */
static inline bool addr6_is_multicast(const uint8_t a[16])
{
	return a[0] == 0xff;
}

/* RFC 4291 §2.5.6: link-local unicast is fe80::/10. */
static inline bool addr6_is_link_local(const uint8_t a[16])
{
	return a[0] == 0xfe && (a[1] & 0xc0) == 0x80;
}

#endif
