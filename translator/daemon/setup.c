/* SPDX-License-Identifier: BSD-2-Clause */
/* What tun64d's parent sets up around the tun: routes and link state
 * (routes/), masquerade, and the systemd readiness message. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"
#include "masq.h"
#include "routes.h"

/* systemd Type=notify without libsystemd: one datagram to $NOTIFY_SOCKET. */
void sd_notify_ready(void)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	static const char msg[] = "READY=1";
	size_t len;
	int fd;

	if (!path || (path[0] != '/' && path[0] != '@'))
		return;
	len = strlen(path);
	if (len >= sizeof(sun.sun_path))
		return;
	memcpy(sun.sun_path, path, len);
	if (path[0] == '@')
		sun.sun_path[0] = '\0'; /* abstract namespace */
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (sendto(fd, msg, sizeof(msg) - 1, 0, (struct sockaddr *)&sun,
	           (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)) < 0)
		log_warn("notifying systemd: %s", strerror(errno));
	close(fd);
}

static void routes_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void routes_log(int level, const char *fmt, ...)
{
	char line[900];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_msg(level, "%s", line);
}

size_t route_prefixes(const struct tun64_config *c, struct prefix4 out[ROUTES_MAX_PREFIX4])
{
	size_t n = 0;

	if (c->mode == XLAT_STATEFUL) {
		for (size_t i = 0; i < c->n_pool4 && n < ROUTES_MAX_PREFIX4; i++) {
			out[n].addr = c->pool4[i].addr;
			out[n++].len = c->pool4[i].len;
		}
	} else if (!config_prefix_none(c)) {
		/* Stateless: IPv4 addresses that stand for IPv6 hosts (EAM) route
		 * into us. With `prefix none` the IPv4 hosts are map lines too, and
		 * which side of a line stands for hosts across the tun only the
		 * operator knows (a route for an IPv4 host's own address would
		 * loop): no map routes then, tun64.conf(5). */
		for (size_t i = 0; i < c->n_map && n < ROUTES_MAX_PREFIX4; i++)
			out[n++] = c->map[i].p4;
	}
	return n;
}

struct routes *setup_routes(const struct daemon *d)
{
	struct routes_spec spec = {0};
	char err[512];
	struct routes *r;

	spec.ifname = d->tun.name;
	spec.mtu = d->cfg->mtu;
	spec.install_routes = d->cfg->routes;
	spec.prefix6 = d->cfg->prefix;
	spec.n_prefix4 = route_prefixes(d->cfg, spec.prefix4);
	r = routes_setup(&spec, routes_log, err, sizeof(err));
	if (!r)
		log_err("%s", err);
	return r;
}

/* masquerade IFNAME: pool4 leaving IFNAME takes IFNAME's address, through a
 * table of our own in nftables (routes/masq.c). Restart-only, so d->cfg at
 * exit still says whether it was installed. */
int setup_masquerade(const struct daemon *d)
{
	struct prefix4 p[CONFIG_MAX_POOL4];
	char err[512];

	if (!d->cfg->masquerade[0])
		return 0;
	for (size_t i = 0; i < d->cfg->n_pool4; i++) {
		p[i].addr = d->cfg->pool4[i].addr;
		p[i].len = d->cfg->pool4[i].len;
	}
	if (masq_install(d->cfg->masquerade, p, d->cfg->n_pool4, err, sizeof(err)) < 0) {
		log_err("%s", err);
		return -1;
	}
	log_info("masquerade: pool4 leaving %s", d->cfg->masquerade);
	return 0;
}

/* PS_ROUTES (a reload changed pool4 or `map`): routes, and the masquerade
 * rule, which names pool4, replaced in one nftables transaction. */
void update_routes(struct daemon *d, const struct prefix4 *p, size_t n)
{
	struct routes_spec spec = {0};
	char err[512];

	if (!d->routes)
		return;
	memcpy(spec.prefix4, p, n * sizeof(*p));
	spec.n_prefix4 = n;
	if (routes_update(d->routes, &spec, err, sizeof(err)) < 0)
		log_err("%s", err);
	if (d->cfg->masquerade[0] && d->cfg->mode == XLAT_STATEFUL) {
		if (masq_install(d->cfg->masquerade, p, n, err, sizeof(err)) < 0)
			log_err("%s", err);
		else
			log_info("masquerade: pool4 of the reload leaving %s", d->cfg->masquerade);
	}
}

void remove_masquerade(const struct daemon *d)
{
	char err[512];

	if (d->cfg->masquerade[0] && masq_remove(err, sizeof(err)) < 0)
		log_warn("%s; remove it with: nft delete table ip " MASQ_TABLE, err);
}
