/* SPDX-License-Identifier: BSD-2-Clause */
/* The metrics endpoint: GET /metrics over HTTP/1.1 with libmicrohttpd (a
 * hand-written HTTP server is what we do not want: request parsing,
 * keep-alive and timeouts done by a library that has had them right for
 * years).
 *
 * It runs in the engine's MAIN thread, not in a thread of its own: MHD in
 * external epoll mode hands us one epoll fd, which the main loop polls next
 * to the control socket, and metrics_run() serves what is ready without
 * blocking. So a scrape reads d->cfg, d->workers and the tables exactly as
 * a tun64ctl request does, with no lock against reload or a re-created tun,
 * and the seccomp filter needs no thread calls for it. The workers are never
 * waited for: counters are relaxed atomic loads (ctr_load), the tables'
 * counts take each shard lock for a moment (nat64_get_stats), pool4 is read
 * with atomic loads. The socket is bound before confinement (engine.c), so a
 * port below 1024 works too. */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "daemon.h"
#include "log.h"
#include "metrics.h"

#ifndef TUN64_VERSION
#define TUN64_VERSION "unknown"
#endif

/* Connections at once, and how long an idle one may stay (s): a scraper
 * needs one; the limit bounds what a flood of connections can cost. */
#define METRICS_CONNECTIONS 16
#define METRICS_IDLE_S 10

struct metrics_server {
	struct MHD_Daemon *mhd;
	struct daemon *d;
	int epoll_fd;
};

static void metrics_view_fill(struct daemon *d, struct metrics_view *v)
{
	struct nat64_config ncfg;
	uint64_t up_ms = now_ms() - d->started_ms;

	memset(v, 0, sizeof(*v));
	v->version = TUN64_VERSION;
	v->stateful = d->cfg->mode == XLAT_STATEFUL;
	v->workers = d->nstarted;
	v->start_time_s = (wall_now_ms() - up_ms) / 1000;
	sum_counters(d, &v->counters);
	v->nat = d->nat;
	if (d->nat) {
		fill_nat64_config(d->cfg, &ncfg); /* max-sessions 0: sized to memory */
		v->max_sessions = ncfg.max_sessions;
		v->max_sessions_per_client = ncfg.max_sessions_per_client;
	}
	v->reloads_ok = d->reloads_ok;
	v->reloads_failed = d->reloads_failed;
	efp_counters(d, &v->fastpath);
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, char *body, size_t len,
                             const char *type)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
	    len, body, body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static char *text(const char *s, size_t *len)
{
	*len = strlen(s);
	return strdup(s);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **req_cls)
{
	struct metrics_server *m = cls;
	struct metrics_view v;
	char *body = NULL;
	size_t len = 0;
	FILE *f;

	(void)version;
	(void)upload_data;
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
		body = text("only GET and HEAD\n", &len);
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, body, len, "text/plain");
	}
	if (!*req_cls) { /* first call: headers only; answer on the second */
		*req_cls = m;
		return MHD_YES;
	}
	*upload_data_size = 0;
	if (strcmp(url, "/metrics") != 0) {
		body = text("tun64d: the metrics are at /metrics\n", &len);
		return reply(c, MHD_HTTP_NOT_FOUND, body, len, "text/plain");
	}
	metrics_view_fill(m->d, &v);
	f = open_memstream(&body, &len);
	if (!f)
		return MHD_NO;
	if (metrics_format(&v, f) < 0) {
		fclose(f);
		free(body);
		return MHD_NO;
	}
	fclose(f);
	return reply(c, MHD_HTTP_OK, body, len, "text/plain; version=0.0.4; charset=utf-8");
}

/* MHD's messages go to our log, at warning level. */
static void on_log(void *cls, const char *fmt, va_list ap)
{
	char line[256];

	(void)cls;
	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	log_warn("metrics: %s", line);
}

struct metrics_server *metrics_start(struct daemon *d)
{
	struct sockaddr_storage ss;
	struct metrics_server *m;
	const union MHD_DaemonInfo *info;
	char why[256];
	unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
	uint16_t port;

	if (config_metrics_addr(d->cfg->metrics, &ss, why) < 0) {
		log_err("metrics: %s", why);
		return NULL;
	}
	m = calloc(1, sizeof(*m));
	if (!m) {
		log_err("metrics: out of memory");
		return NULL;
	}
	m->d = d;
	/* MHD writes a Date header with gmtime_r, whose first call in glibc
	 * reads the time zone file (/etc/localtime): once here, before the
	 * seccomp filter, which has no openat. */
	tzset();
	if (ss.ss_family == AF_INET6) {
		flags |= MHD_USE_IPv6;
		port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	} else {
		port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	}
	/* the logger first: MHD reports on the options after it */
	m->mhd = MHD_start_daemon(flags, port, NULL, NULL, on_request, m,
	                          MHD_OPTION_EXTERNAL_LOGGER, on_log, NULL, MHD_OPTION_SOCK_ADDR,
	                          (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_LIMIT,
	                          (unsigned)METRICS_CONNECTIONS, MHD_OPTION_CONNECTION_TIMEOUT,
	                          (unsigned)METRICS_IDLE_S, MHD_OPTION_END);
	info = m->mhd ? MHD_get_daemon_info(m->mhd, MHD_DAEMON_INFO_EPOLL_FD) : NULL;
	if (!info) {
		log_err("metrics: cannot listen on %s (in use, or not an address here?)",
		        d->cfg->metrics);
		metrics_stop(m);
		return NULL;
	}
	m->epoll_fd = info->epoll_fd;
	log_info("metrics: http://%s/metrics", d->cfg->metrics);
	return m;
}

int metrics_fd(const struct metrics_server *m)
{
	return m ? m->epoll_fd : -1;
}

void metrics_run(struct metrics_server *m)
{
	if (m && MHD_run(m->mhd) != MHD_YES)
		log_debug("metrics: MHD_run failed");
}

void metrics_stop(struct metrics_server *m)
{
	if (!m)
		return;
	if (m->mhd)
		MHD_stop_daemon(m->mhd);
	free(m);
}
