/* What tun64d sets up around the tun: routes and link state (routes/),
 * masquerade, the privilege drop, and the systemd readiness message. */
#include <errno.h>
#include <limits.h>
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
#include "privs.h"
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

struct routes *setup_routes(const struct daemon *d)
{
	struct routes_spec spec = {0};
	char err[512];
	struct routes *r;

	spec.ifname = d->tun.name;
	spec.mtu = d->cfg->mtu;
	spec.install_routes = d->cfg->routes;
	spec.prefix6 = d->cfg->prefix;
	if (d->cfg->mode == XLAT_STATEFUL) {
		for (size_t i = 0; i < d->cfg->n_pool4 && i < ROUTES_MAX_PREFIX4; i++) {
			spec.prefix4[i].addr = d->cfg->pool4[i].addr;
			spec.prefix4[i].len = d->cfg->pool4[i].len;
		}
		spec.n_prefix4 = d->cfg->n_pool4;
	} else {
		/* Stateless: IPv4 addresses that stand for IPv6 hosts (EAM) route into us. */
		for (size_t i = 0; i < d->cfg->n_map && i < ROUTES_MAX_PREFIX4; i++)
			spec.prefix4[spec.n_prefix4++] = d->cfg->map[i].p4;
	}
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

void remove_masquerade(const struct daemon *d)
{
	char err[512];

	if (d->cfg->masquerade[0] && masq_remove(err, sizeof(err)) < 0)
		log_warn("%s; remove it with: nft delete table ip " MASQ_TABLE, err);
}

/* What stops working once root is gone, said once at start rather than
 * found out at the first reload or at exit. */
static void warn_after_drop(const struct daemon *d)
{
	const char *conf = d->cli.config_path;
	char dir[PATH_MAX];
	char *slash;

	if (!conf && access(CONFIG_DEFAULT_PATH, F_OK) == 0)
		conf = CONFIG_DEFAULT_PATH;
	if (conf && access(conf, R_OK) < 0)
		log_warn("%s: %s for the dropped user; reload will fail", conf, strerror(errno));
	if (d->cfg->state_file[0]) {
		snprintf(dir, sizeof(dir), "%s", d->cfg->state_file);
		slash = strrchr(dir, '/');
		if (slash)
			*(slash == dir ? slash + 1 : slash) = '\0';
		else
			snprintf(dir, sizeof(dir), ".");
		if (access(dir, W_OK | X_OK) < 0)
			log_warn("state-file %s: directory %s: %s for the dropped user; sessions "
			         "will not be saved at exit",
			         d->cfg->state_file, dir, strerror(errno));
	}
	/* udev makes it 0666; some containers leave it 0600. */
	if (access("/dev/net/tun", R_OK | W_OK) < 0)
		log_warn("/dev/net/tun: %s for the dropped user; if %s is deleted, tun64d "
		         "cannot re-create it and exits",
		         strerror(errno), d->tun.name);
}

/* config user/group: the tun, routes, sysctls, control socket and restored
 * state are in place, so keep CAP_NET_ADMIN only: it covers putting back
 * routes, link and tun, the net.* forwarding sysctls (the kernel lets
 * CAP_NET_ADMIN write those) and the removal at exit. Runs before the
 * workers start: capset changes the calling thread only, and new threads
 * inherit it. */
int drop_privileges(struct daemon *d, bool sock_dir_made)
{
	char err[512];

	if (!privs_wanted(&d->privs))
		return 0;
	if (d->control_fd >= 0 && privs_hand_over_socket(&d->privs, d->cfg->control_socket,
	                                                 sock_dir_made, err, sizeof(err)) < 0)
		log_warn("%s", err);
	if (privs_drop(&d->privs, err, sizeof(err)) < 0) {
		log_err("dropping privileges: %s", err);
		return -1;
	}
	log_info("privileges dropped: uid %u gid %u, capabilities: net_admin", (unsigned)getuid(),
	         (unsigned)getgid());
	warn_after_drop(d);
	return 0;
}
