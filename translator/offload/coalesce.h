/* SPDX-License-Identifier: BSD-2-Clause */
/* UDP coalescing on the way out: consecutive translated datagrams of one
 * flow, of one payload size, leave as a single USO super-packet
 * (VNET_GSO_UDP_L4) that the kernel cuts back into the same datagrams. One
 * write and one trip through the kernel's forwarding path then carry up to
 * COALESCE_MAX_SEGS datagrams instead of one. Pure functions over byte
 * buffers: no syscalls, no global state.
 *
 * Only what is already waiting is merged: the caller adds the packets of
 * one read burst and flushes when the tun queue is empty, before any other
 * write, and when coalesce_add() refuses a packet, so no packet is delayed
 * and the order of packets on the tun is unchanged.
 *
 * The segments the kernel cuts are the datagrams the ordinary path would
 * have written, byte for byte: same IP header (IPv4 Identification numbered
 * ID, ID+1, ... as the per-worker generator would have), same UDP header,
 * checksum recomputed over the same bytes. A datagram whose checksum is not
 * right is never merged (that would repair it); it goes out on its own. */
#ifndef TUN64_COALESCE_H
#define TUN64_COALESCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vnet.h"

/* 64 segments a super-packet, as the kernel's own UDP GSO allowed before
 * Linux 6.9 (UDP_MAX_SEGMENTS). */
#define COALESCE_MAX_SEGS 64
/* IPv6 header + UDP header + 65535 - 8 payload bytes at most. */
#define COALESCE_BUF (40 + 65535)

struct coalesce {
	unsigned segs;            /* datagrams held; 0: nothing pending */
	size_t l3_len;            /* 20 (IPv4) or 40 (IPv6) */
	size_t gso_size;          /* payload bytes of the first datagram */
	size_t len;               /* bytes in buf: headers + payloads */
	bool last_short;          /* the last datagram was shorter: nothing may follow */
	struct vnet_hdr first_vh; /* the first datagram's own header */
	uint8_t buf[COALESCE_BUF];
};

void coalesce_init(struct coalesce *c);

/* Hold pkt[0..len) (a translated packet about to be written with header vh,
 * NULL for none): appended to the pending datagrams if it continues them,
 * or started as the first of a new batch if nothing is pending. Returns
 * false, holding nothing of it, if it is not a coalescable UDP datagram or
 * does not continue the pending batch: the caller then flushes and, if
 * coalesce_add() refuses it again, writes it as it is. */
bool coalesce_add(struct coalesce *c, const struct vnet_hdr *vh, const uint8_t *pkt, size_t len);

/* The pending batch as one packet to write: *vh and *pkt, *len. One
 * datagram goes out unchanged with its own header; two or more as a USO
 * super-packet. Returns the number of datagrams it carries (0: nothing
 * pending) and empties c; *pkt points into c->buf until the next add. */
unsigned coalesce_flush(struct coalesce *c, struct vnet_hdr *vh, const uint8_t **pkt, size_t *len);

#endif
