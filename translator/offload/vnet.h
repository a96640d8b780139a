/* SPDX-License-Identifier: BSD-2-Clause */
/* tun offloads: the virtio-net header (IFF_VNET_HDR) in front of each packet,
 * across translation. Pure functions: no syscalls, no global state.
 *
 * With TUN_F_CSUM the kernel hands us packets whose transport checksum is
 * only "partial" (VNET_F_NEEDS_CSUM): the field holds the folded,
 * non-inverted sum of the pseudo-header, and whoever sends the packet on
 * completes it from csum_start. With TUN_F_TSO4/6 and TUN_F_USO4/6 a packet
 * may also be a GSO "super-packet" of up to 64 KB that the kernel splits into
 * gso_size payload bytes per segment after we wrote it back.
 *
 * The fast path translates such a packet once (xlat_pkt.csum_partial, .gso)
 * and maps its header (vnet_after_xlat). Whatever the fast path cannot take
 * is split here in software (vnet_segment_*) or has its checksum completed
 * (vnet_csum_complete), and then goes through the ordinary path. */
#ifndef TUN64_VNET_H
#define TUN64_VNET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xlat.h"

/* struct virtio_net_hdr (linux/virtio_net.h), legacy layout: the tun
 * default, native byte order. */
struct vnet_hdr {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;     /* IP + transport header bytes */
	uint16_t gso_size;    /* payload bytes per segment */
	uint16_t csum_start;  /* checksum coverage starts here (the transport) */
	uint16_t csum_offset; /* the checksum field, from csum_start */
};

#define VNET_HDR_LEN 10

#define VNET_F_NEEDS_CSUM 1
#define VNET_F_DATA_VALID 2

#define VNET_GSO_NONE 0
#define VNET_GSO_TCPV4 1
#define VNET_GSO_UDP 3 /* UFO: never offered to the kernel */
#define VNET_GSO_TCPV6 4
#define VNET_GSO_UDP_L4 5
#define VNET_GSO_ECN 0x80

/* What to do with a packet read with a vnet header. */
enum vnet_path {
	VNET_PLAIN,    /* nothing offloaded: the ordinary path */
	VNET_FAST,     /* translate once (csum_partial, gso), then vnet_after_xlat() */
	VNET_COMPLETE, /* partial checksum only: vnet_csum_complete(), then ordinary */
	VNET_SEGMENT,  /* GSO the fast path cannot take: vnet_segment_*() */
	VNET_BAD,      /* header and packet disagree: drop (drop-bad-vnet-header) */
};

/* Decide the path of pkt[0..len) read with header h, for translation under
 * cfg. Checks that the header describes the packet (csum_start at the
 * transport, csum_offset at its checksum field, gso_type matching the
 * packet) and that every segment the kernel will cut after translation
 * passes the same size and DF rules as an ordinary packet. */
enum vnet_path vnet_classify(const struct vnet_hdr *h, const uint8_t *pkt, size_t len,
                             const struct xlat_config *cfg);

/* Finish a partial checksum in place: sum from csum_start to the end of the
 * packet, store the complement at csum_start + csum_offset (a UDP 0 goes out
 * as 0xffff). Returns 0, or -1 if the offsets lie outside the packet. */
int vnet_csum_complete(const struct vnet_hdr *h, uint8_t *pkt, size_t len);

/* The segment size of a GSO packet, for xlat_pkt.gso_size (the translator
 * reserves one IPv4 Identification per segment); 0 if h is not GSO. */
uint16_t vnet_gso_size(const struct vnet_hdr *h);

/* After a VNET_FAST packet went through xlat_packet() and came out as
 * out[0..out_len): rewrite h for it (gso_type for the new family,
 * csum_start and hdr_len for the new IP header). */
void vnet_after_xlat(struct vnet_hdr *h, const uint8_t *out, size_t out_len);

/* Number of segments a GSO packet of l4_len transport bytes with a
 * transport header of l4_hdr bytes is cut into. */
unsigned vnet_gso_segs(const struct vnet_hdr *h, size_t l4_len, size_t l4_hdr);

/* Software segmentation of a TCP or UDP GSO packet (RFC 793 / RFC 768
 * fields): each segment carries the IP and transport headers, gso_size
 * payload bytes (the last one the rest), its own lengths, IPv4 ID + n,
 * TCP sequence number + payload offset, FIN and PSH on the last segment
 * only, CWR on the first only, and full checksums. */
struct vnet_seg {
	const uint8_t *pkt;
	size_t len;
	size_t l3_len;  /* IP header(s) */
	size_t hdr_len; /* IP + transport header */
	size_t mss;
	size_t next; /* offset of the next payload byte */
	unsigned index;
	uint8_t proto;
	bool v6;
};

/* Returns 0, or -1 if pkt is not a TCP/UDP packet with gso_size > 0. */
int vnet_segment_start(struct vnet_seg *s, const struct vnet_hdr *h, const uint8_t *pkt,
                       size_t len);
/* Writes the next segment into out (cap bytes); returns its length, or 0
 * when every segment has been written (or out is too small). */
size_t vnet_segment_next(struct vnet_seg *s, uint8_t *out, size_t cap);

#endif
