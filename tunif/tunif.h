/* SPDX-License-Identifier: BSD-2-Clause */
/* tun device I/O: open or create a tun (IFF_TUN | IFF_NO_PI), read, write,
 * close. Nothing else: links, addresses and routes belong to routes/. */
#ifndef TUN64_TUNIF_H
#define TUN64_TUNIF_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define TUNIF_MAX_QUEUES 64

struct tunif {
	char name[IFNAMSIZ];
	int ifindex;
	bool existed; /* the link was there before we opened it (a persistent tun) */
	int nqueues;
	int fd[TUNIF_MAX_QUEUES];
	/* Offloads: every read and write starts with a virtio-net header of
	 * vnet_hdr_len bytes (0: none, plain IP); offloads holds the
	 * TUN_F_* bits the kernel accepted. */
	size_t vnet_hdr_len;
	unsigned offloads;
};

/* The virtio-net header the offloads use (struct virtio_net_hdr). */
#define TUNIF_VNET_HDR_LEN 10

/* Open nqueues queues of tun `name` (created if missing; IFF_MULTI_QUEUE when
 * nqueues > 1). Fds are non-blocking. Returns 0, or -1 with err set. */
int tunif_open(struct tunif *t, const char *name, int nqueues, char *err, size_t errlen);

/* tunif_open, and with offload: IFF_VNET_HDR on every queue, then the
 * offloads the kernel accepts of checksum, TSO4/6 (with ECN) and USO4/6
 * (tried, dropped if refused). t->offloads says what was accepted; a
 * kernel that refuses them all still gets the header, with nothing to put
 * in it. */
int tunif_open_offload(struct tunif *t, const char *name, int nqueues, bool offload, char *err,
                       size_t errlen);

/* The kernel takes UDP GSO (USO) packets we write: it accepted TUN_F_USO4
 * and TUN_F_USO6 (Linux 6.2 and later, which also parse VNET_GSO_UDP_L4 on
 * write). */
bool tunif_can_write_uso(const struct tunif *t);

/* "csum tso4 tso6 uso4 uso6" (what was accepted), or "off (...)" why not. */
const char *tunif_offload_str(const struct tunif *t, char *buf, size_t len);

/* Make the link outlive us (persist yes) or not. */
int tunif_set_persist(struct tunif *t, bool persist, char *err, size_t errlen);

/* Read one packet from queue q. Returns bytes, 0 if nothing to read
 * (EAGAIN), -1 on error (errno set). */
ssize_t tunif_read(struct tunif *t, int q, void *buf, size_t len);
/* Write one packet to queue q. Returns bytes or -1 (errno set). */
ssize_t tunif_write(struct tunif *t, int q, const void *buf, size_t len);

/* With offloads: read / write the virtio-net header (t->vnet_hdr_len bytes
 * at vhdr) and the packet in one call. Return packet bytes (header not
 * counted), 0 / -1 as tunif_read / tunif_write. */
ssize_t tunif_read_vnet(struct tunif *t, int q, void *vhdr, void *buf, size_t len);
ssize_t tunif_write_vnet(struct tunif *t, int q, const void *vhdr, const void *buf, size_t len);

/* Close every queue. A link we created and did not make persistent goes away
 * with its last fd. */
void tunif_close(struct tunif *t);

#endif
