/* SPDX-License-Identifier: BSD-2-Clause */
/* session-log output in the engine (sesslog_out.h). Workers only push onto
 * the ring (sesslog.h); everything that can block or fail is here, on the
 * main thread, once a second. */
#include "sesslog_out.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "sesslog.h"

#define SYSLOG_PATH "/dev/log"
#define SYSLOG_PRI 30 /* LOG_DAEMON | LOG_INFO, RFC 5424 §6.2.1 */
#define FILE_BUF 65536

struct sesslog_out {
	struct sesslog_ring ring;
	atomic_bool on; /* anybody to tell: a log or a follower */
	bool logging;   /* session-log is set */
	bool syslog;
	bool redialed; /* this drain already tried to reconnect to /dev/log */
	bool blocks, with_dst;
	int fd; /* the file (from the parent) or the /dev/log socket; -1 */
	pid_t pid;
	uint64_t write_lost;
	int follower[SESSLOG_MAX_FOLLOWERS];
	int nfollow;
	uint64_t follow_lost;
	char buf[FILE_BUF];
	size_t used;
	size_t buf_lines;
};

/* Not syslog(3): its send blocks when the syslog daemon is slow, and the
 * drain must not (lines it cannot hand over now are counted as lost). */
static int open_syslog(bool quiet)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	strcpy(sun.sun_path, SYSLOG_PATH);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		if (!quiet)
			log_warn("session-log syslog: %s: %s; lines will be counted as lost",
			         SYSLOG_PATH, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

struct sesslog_out *sesslog_out_new(const struct tun64_config *c)
{
	/* The ring's indexes are cache-line aligned: calloc promises only 16. */
	struct sesslog_out *o = aligned_alloc(64, (sizeof(struct sesslog_out) + 63) & ~(size_t)63);

	if (!o)
		return NULL;
	memset(o, 0, sizeof(*o));
	if (sesslog_ring_init(&o->ring, SESSLOG_RING_SLOTS) < 0) {
		free(o);
		return NULL;
	}
	o->fd = -1;
	o->pid = getpid();
	o->logging = c->session_log[0] != '\0';
	o->syslog = strcmp(c->session_log, "syslog") == 0;
	o->blocks = c->pool4_block_size > 0;
	o->with_dst = c->session_log_dst;
	if (o->syslog)
		o->fd = open_syslog(false);
	atomic_init(&o->on, o->logging);
	return o;
}

void sesslog_out_free(struct sesslog_out *o)
{
	if (!o)
		return;
	sesslog_out_drain(o);
	if (o->fd >= 0)
		close(o->fd);
	for (int i = 0; i < o->nfollow; i++)
		close(o->follower[i]);
	sesslog_ring_destroy(&o->ring);
	free(o);
}

void sesslog_out_event(void *ctx, const struct nat64_event *ev)
{
	struct sesslog_out *o = ctx;
	struct sesslog_rec r;
	struct timespec ts;

	if (!atomic_load_explicit(&o->on, memory_order_relaxed))
		return;
	clock_gettime(CLOCK_REALTIME, &ts); /* the vDSO: no system call */
	r.wall_ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	r.ev = *ev;
	sesslog_push(&o->ring, &r);
}

void sesslog_out_take_fd(struct sesslog_out *o, int fd)
{
	if (o->syslog || !o->logging) {
		close(fd); /* not ours to write to */
		return;
	}
	sesslog_out_drain(o); /* what came before goes to the old file */
	if (o->fd >= 0)
		close(o->fd);
	o->fd = fd;
}

int sesslog_out_follow(struct sesslog_out *o, int fd)
{
	if (o->nfollow == SESSLOG_MAX_FOLLOWERS)
		return -1;
	o->follower[o->nfollow++] = fd;
	atomic_store(&o->on, true);
	return 0;
}

static void drop_follower(struct sesslog_out *o, int i)
{
	close(o->follower[i]);
	o->follower[i] = o->follower[--o->nfollow];
	if (o->nfollow == 0 && !o->logging)
		atomic_store(&o->on, false);
}

/* One JSON line to every follower; a full socket loses it (counted), a
 * closed one or a torn line ends that follower. */
static void to_followers(struct sesslog_out *o, const struct sesslog_rec *r)
{
	char line[512];
	int n = sesslog_format_json(r, line, sizeof(line) - 1);

	if (n < 0 || n >= (int)sizeof(line) - 1)
		return;
	line[n++] = '\n';
	for (int i = 0; i < o->nfollow;) {
		ssize_t w = send(o->follower[i], line, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (w == n) {
			i++;
		} else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			o->follow_lost++;
			i++;
		} else {
			drop_follower(o, i); /* gone, or half a line sent */
		}
	}
}

static void flush_file(struct sesslog_out *o)
{
	size_t off = 0;

	while (off < o->used) {
		ssize_t w = o->fd >= 0 ? write(o->fd, o->buf + off, o->used - off) : -1;

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			o->write_lost += o->buf_lines; /* a full disk loses the batch */
			break;
		}
		off += (size_t)w;
	}
	o->used = 0;
	o->buf_lines = 0;
}

/* A syslog daemon that restarted left our socket connected to nothing: dial
 * again, once per drain, before a line is given up as lost. */
static void send_syslog(struct sesslog_out *o, const char *line, size_t n)
{
	if (o->fd >= 0 && send(o->fd, line, n, MSG_DONTWAIT | MSG_NOSIGNAL) == (ssize_t)n)
		return;
	if ((o->fd < 0 || errno != EAGAIN) && !o->redialed) {
		o->redialed = true;
		if (o->fd >= 0)
			close(o->fd);
		o->fd = open_syslog(true);
		if (o->fd >= 0 && send(o->fd, line, n, MSG_DONTWAIT | MSG_NOSIGNAL) == (ssize_t)n)
			return;
	}
	o->write_lost++;
}

static void to_log(struct sesslog_out *o, const struct sesslog_rec *r)
{
	char line[512];
	int n, h = 0;

	if (o->syslog)
		h = snprintf(line, sizeof(line), "<%d>tun64d[%d]: ", SYSLOG_PRI, (int)o->pid);
	n = sesslog_format_line(r, line + h, sizeof(line) - (size_t)h - 1);
	if (n < 0 || h + n >= (int)sizeof(line) - 1)
		return;
	n += h;
	if (o->syslog) {
		send_syslog(o, line, (size_t)n);
		return;
	}
	line[n++] = '\n';
	if (o->used + (size_t)n > sizeof(o->buf))
		flush_file(o);
	memcpy(o->buf + o->used, line, (size_t)n);
	o->used += (size_t)n;
	o->buf_lines++;
}

void sesslog_out_drain(struct sesslog_out *o)
{
	struct sesslog_rec r;

	o->redialed = false;
	while (sesslog_pop(&o->ring, &r)) {
		if (o->logging && sesslog_line_wanted(r.ev.kind, o->blocks, o->with_dst))
			to_log(o, &r);
		if (o->nfollow)
			to_followers(o, &r);
	}
	if (o->used)
		flush_file(o);
}

uint64_t sesslog_out_lost(const struct sesslog_out *o)
{
	return sesslog_lost(&o->ring) + o->write_lost;
}

uint64_t sesslog_out_follow_lost(const struct sesslog_out *o)
{
	return o->follow_lost;
}
