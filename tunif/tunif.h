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
};

/* Open nqueues queues of tun `name` (created if missing; IFF_MULTI_QUEUE when
 * nqueues > 1). Fds are non-blocking. Returns 0, or -1 with err set. */
int tunif_open(struct tunif *t, const char *name, int nqueues, char *err, size_t errlen);

/* Make the link outlive us (persist yes) or not. */
int tunif_set_persist(struct tunif *t, bool persist, char *err, size_t errlen);

/* Read one packet from queue q. Returns bytes, 0 if nothing to read
 * (EAGAIN), -1 on error (errno set). */
ssize_t tunif_read(struct tunif *t, int q, void *buf, size_t len);
/* Write one packet to queue q. Returns bytes or -1 (errno set). */
ssize_t tunif_write(struct tunif *t, int q, const void *buf, size_t len);

/* Close every queue. A link we created and did not make persistent goes away
 * with its last fd. */
void tunif_close(struct tunif *t);

#endif
