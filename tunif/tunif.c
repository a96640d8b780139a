/* SPDX-License-Identifier: BSD-2-Clause */
/* tun device I/O. The tun carries raw IP of both families (IFF_NO_PI), so
 * the link type is "none" and `tcpdump -i <tun>` decodes it as raw IP.
 *
 * If the link is deleted from outside while we hold it open, every queue fd
 * polls POLLERR and read/write fail with EBADFD. The daemon then has to
 * tunif_close() and tunif_open() again (which re-creates the link with a new
 * ifindex) and call routes_heal(), which looks the link up by name. */
#include "tunif.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

/* UDP segmentation offload, Linux 6.2; older headers lack the bits. */
#ifndef TUN_F_USO4
#define TUN_F_USO4 0x20
#endif
#ifndef TUN_F_USO6
#define TUN_F_USO6 0x40
#endif

static void tunif_reset(struct tunif *t)
{
	memset(t, 0, sizeof(*t));
	for (int q = 0; q < TUNIF_MAX_QUEUES; q++)
		t->fd[q] = -1;
}

/* Why TUNSETIFF failed, in words an operator can act on. */
static const char *tunsetiff_hint(int err, bool existed, int nqueues)
{
	if (!existed)
		return "";
	if (err == EBUSY)
		return " (the link exists and is in use by another process)";
	if (err == EINVAL)
		return nqueues > 1
		           ? " (the link exists but is not a multi-queue tun, or not a tun)"
		           : " (the link exists but is not a single-queue tun, or not a tun)";
	if (err == EPERM)
		return " (the link is owned by another user or group)";
	return "";
}

/* Attach one queue: open the clone device and bind it to the link. */
static int tunif_attach_queue(struct tunif *t, const char *name, int nqueues, bool vnet, char *err,
                              size_t errlen)
{
	struct ifreq ifr;
	int fd;

	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "tun %s: open /dev/net/tun: %s", name, strerror(errno));
		return -1;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	if (nqueues > 1)
		ifr.ifr_flags |= IFF_MULTI_QUEUE;
	if (vnet)
		ifr.ifr_flags |= IFF_VNET_HDR;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		int e = errno;

		snprintf(err, errlen, "tun %s: TUNSETIFF: %s%s", name, strerror(e),
		         tunsetiff_hint(e, t->existed, nqueues));
		close(fd);
		return -1;
	}
	/* The kernel may have completed a pattern such as "tun%d". */
	memcpy(t->name, ifr.ifr_name, IFNAMSIZ);
	t->name[IFNAMSIZ - 1] = '\0';
	t->fd[t->nqueues++] = fd;
	return 0;
}

/* The richest set of offloads the kernel takes; 0 if none. The flags are
 * the device's, so one queue's fd is enough. */
static unsigned tunif_set_offloads(int fd)
{
	static const unsigned tries[] = {
	    TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN | TUN_F_USO4 | TUN_F_USO6,
	    TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN,
	    TUN_F_CSUM,
	};

	for (size_t i = 0; i < sizeof(tries) / sizeof(tries[0]); i++)
		if (ioctl(fd, TUNSETOFFLOAD, tries[i]) == 0)
			return tries[i];
	return 0;
}

/* With the header: its size, then the offloads. Without: no offloads
 * either, since a persistent link keeps the ones an earlier run set and
 * would hand us GSO packets we could not tell apart. */
static int tunif_setup_offloads(struct tunif *t, bool offload, char *err, size_t errlen)
{
	int sz = TUNIF_VNET_HDR_LEN;

	if (!offload) {
		ioctl(t->fd[0], TUNSETOFFLOAD, 0U);
		return 0;
	}
	if (ioctl(t->fd[0], TUNSETVNETHDRSZ, &sz) < 0) {
		snprintf(err, errlen, "tun %s: TUNSETVNETHDRSZ %d: %s", t->name, sz,
		         strerror(errno));
		return -1;
	}
	t->vnet_hdr_len = TUNIF_VNET_HDR_LEN;
	t->offloads = tunif_set_offloads(t->fd[0]);
	return 0;
}

int tunif_open(struct tunif *t, const char *name, int nqueues, char *err, size_t errlen)
{
	return tunif_open_offload(t, name, nqueues, false, err, errlen);
}

int tunif_open_offload(struct tunif *t, const char *name, int nqueues, bool offload, char *err,
                       size_t errlen)
{
	tunif_reset(t);
	if (name == NULL || name[0] == '\0' || strlen(name) >= IFNAMSIZ) {
		snprintf(err, errlen, "tun name \"%s\": must be 1..%d characters", name ? name : "",
		         IFNAMSIZ - 1);
		return -1;
	}
	if (nqueues < 1 || nqueues > TUNIF_MAX_QUEUES) {
		snprintf(err, errlen, "tun %s: %d queues: must be 1..%d", name, nqueues,
		         TUNIF_MAX_QUEUES);
		return -1;
	}
	/* Checked before opening: afterwards the link exists either way. */
	t->existed = if_nametoindex(name) != 0;

	for (int q = 0; q < nqueues; q++) {
		if (tunif_attach_queue(t, name, nqueues, offload, err, errlen) < 0) {
			tunif_close(t);
			return -1;
		}
	}
	t->ifindex = (int)if_nametoindex(t->name);
	if (t->ifindex == 0) {
		snprintf(err, errlen, "tun %s: if_nametoindex: %s", t->name, strerror(errno));
		tunif_close(t);
		return -1;
	}
	if (tunif_setup_offloads(t, offload, err, errlen) < 0) {
		tunif_close(t);
		return -1;
	}
	return 0;
}

bool tunif_can_write_uso(const struct tunif *t)
{
	unsigned uso = TUN_F_USO4 | TUN_F_USO6;

	return t->vnet_hdr_len > 0 && (t->offloads & uso) == uso;
}

const char *tunif_offload_str(const struct tunif *t, char *buf, size_t len)
{
	static const struct {
		unsigned bit;
		const char *name;
	} names[] = {{TUN_F_CSUM, "csum"},
	             {TUN_F_TSO4, "tso4"},
	             {TUN_F_TSO6, "tso6"},
	             {TUN_F_USO4, "uso4"},
	             {TUN_F_USO6, "uso6"}};
	size_t used = 0;

	if (len == 0)
		return buf;
	buf[0] = '\0';
	if (t->vnet_hdr_len == 0) {
		snprintf(buf, len, "off (offload no)");
		return buf;
	}
	if (t->offloads == 0) {
		snprintf(buf, len, "off (refused by the kernel)");
		return buf;
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		int n;

		if (!(t->offloads & names[i].bit) || used >= len)
			continue;
		n = snprintf(buf + used, len - used, "%s%s", used ? " " : "", names[i].name);
		if (n > 0)
			used += (size_t)n;
	}
	return buf;
}

int tunif_set_persist(struct tunif *t, bool persist, char *err, size_t errlen)
{
	if (t->nqueues < 1) {
		snprintf(err, errlen, "tun %s: not open", t->name);
		return -1;
	}
	if (ioctl(t->fd[0], TUNSETPERSIST, persist ? 1UL : 0UL) < 0) {
		snprintf(err, errlen, "tun %s: TUNSETPERSIST %d: %s", t->name, persist ? 1 : 0,
		         strerror(errno));
		return -1;
	}
	return 0;
}

static bool tunif_queue_valid(const struct tunif *t, int q)
{
	return q >= 0 && q < t->nqueues && t->fd[q] >= 0;
}

ssize_t tunif_read(struct tunif *t, int q, void *buf, size_t len)
{
	ssize_t n;

	if (!tunif_queue_valid(t, q)) {
		errno = EBADF;
		return -1;
	}
	n = read(t->fd[q], buf, len);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return 0;
	return n;
}

ssize_t tunif_write(struct tunif *t, int q, const void *buf, size_t len)
{
	if (!tunif_queue_valid(t, q)) {
		errno = EBADF;
		return -1;
	}
	return write(t->fd[q], buf, len);
}

ssize_t tunif_read_vnet(struct tunif *t, int q, void *vhdr, void *buf, size_t len)
{
	struct iovec iov[2] = {{vhdr, t->vnet_hdr_len}, {buf, len}};
	ssize_t n;

	if (!tunif_queue_valid(t, q)) {
		errno = EBADF;
		return -1;
	}
	n = readv(t->fd[q], iov, 2);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return 0;
	if (n >= 0 && (size_t)n < t->vnet_hdr_len) {
		errno = EINVAL; /* the kernel always writes the whole header */
		return -1;
	}
	return n < 0 ? n : n - (ssize_t)t->vnet_hdr_len;
}

ssize_t tunif_write_vnet(struct tunif *t, int q, const void *vhdr, const void *buf, size_t len)
{
	struct iovec iov[2] = {{(void *)vhdr, t->vnet_hdr_len}, {(void *)buf, len}};
	ssize_t n;

	if (!tunif_queue_valid(t, q)) {
		errno = EBADF;
		return -1;
	}
	n = writev(t->fd[q], iov, 2);
	return n < 0 ? n : n - (ssize_t)t->vnet_hdr_len;
}

void tunif_close(struct tunif *t)
{
	/* Only the first nqueues slots are ours: a zeroed struct must not
	 * close fd 0. */
	for (int q = 0; q < t->nqueues && q < TUNIF_MAX_QUEUES; q++) {
		if (t->fd[q] >= 0)
			close(t->fd[q]);
		t->fd[q] = -1;
	}
	t->nqueues = 0;
}
