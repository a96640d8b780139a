/* SPDX-License-Identifier: BSD-2-Clause */
/* The parent: tun64d's privileged half (privsep.h). It forks the engine
 * first, so the engine inherits nothing privileged but the control socket
 * and the state file open for reading; then it makes the tun, the routes and
 * the masquerade and hands the tun fds over. Running, it heals the routes,
 * serves the engine's requests (each checked first), forwards SIGHUP and
 * SIGUSR1, and on SIGTERM stops the engine and takes everything apart. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "control.h"
#include "daemon.h"
#include "log.h"
#include "pref64.h"
#include "pref64_ra.h"
#include "privsep.h"
#include "routes.h"
#include "tunif.h"

struct parent {
	struct daemon *d;
	struct ps_seq seq;
	int save_fd;    /* the state file's .tmp while a save streams in */
	int save_errno; /* why the save failed; 0 while it goes well */
	bool stopping;  /* PS_STOP sent: the engine's exit is expected */
	int status;
	struct pref64 ra; /* pref64-announce; ra.fd < 0 when off */
};

static struct ps_msg pmsg; /* from the engine; main thread only */

_Static_assert(PS_MAX_ROUTES == ROUTES_MAX_PREFIX4, "PS_ROUTES carries a routes_spec's prefixes");

/* PS_ROUTES: the reload's IPv4 prefixes (checked by ps_check_from_engine). */
static void new_routes(struct parent *p, const struct ps_routes *m)
{
	struct prefix4 pfx[ROUTES_MAX_PREFIX4];

	for (uint32_t i = 0; i < m->n; i++) {
		pfx[i].addr = m->p[i].addr;
		pfx[i].len = m->p[i].len;
	}
	update_routes(p->d, pfx, m->n);
}

/* PS_WITHDRAW / PS_RESTORE (tun64ctl): out of service and back. The
 * healer leaves a withdrawn box alone (routes_heal). */
static void set_service(struct parent *p, bool in)
{
	char err[512];

	if (!p->d->routes)
		return;
	if (!in) {
		if (routes_withdraw(p->d->routes, err, sizeof(err)) < 0)
			log_err("withdraw: %s", err);
		else
			log_info("withdrawn: %s down, its routes removed", p->d->tun.name);
	} else if (routes_restore(p->d->routes, err, sizeof(err)) < 0) {
		log_err("restore: %s", err);
	} else {
		log_info("restored: %s up, its routes back", p->d->tun.name);
	}
}

static int send_tun(struct daemon *d)
{
	struct ps_tun t = {0};

	snprintf(t.name, sizeof(t.name), "%s", d->tun.name);
	t.ifindex = d->tun.ifindex;
	t.nqueues = d->tun.nqueues;
	t.vnet_hdr_len = (uint32_t)d->tun.vnet_hdr_len;
	t.offloads = d->tun.offloads;
	t.existed = d->tun.existed;
	t.fastpath = d->fp != NULL;
	return ps_send(d->ps_fd, PS_TUN, &t, sizeof(t), d->tun.fd, d->tun.nqueues);
}

/* The tun, its link state and routes, the masquerade. Returns 0, or -1
 * with what was made taken apart again. */
static int setup(struct daemon *d)
{
	char err[512];

	if (tunif_open_offload(&d->tun, d->cfg->tun_device, (int)d->nworkers, d->cfg->offload, err,
	                       sizeof(err)) < 0) {
		log_err("%s", err);
		return -1;
	}
	if (d->cfg->persist && tunif_set_persist(&d->tun, true, err, sizeof(err)) < 0)
		log_warn("%s", err);
	d->routes = setup_routes(d);
	if (!d->routes)
		goto out_tun;
	if (setup_masquerade(d) < 0)
		goto out_routes;
	if (pfp_open(d) < 0)
		goto out_masq;
	return 0;
out_masq:
	remove_masquerade(d);
out_routes:
	routes_teardown(d->routes);
	d->routes = NULL;
out_tun:
	tunif_close(&d->tun);
	return -1;
}

/* session-log FILE: opened here, as root (the engine could not open a
 * file root owns, nor anything once confined), and handed over; again on
 * SIGHUP, so logrotate can move the file away. Returns -1 if it cannot be
 * opened. */
static int send_logfd(struct daemon *d, bool reopen)
{
	const char *path = d->cfg->session_log;
	struct ps_logfd l = {.reopen = reopen};
	int fd, rc;

	if (d->cfg->mode != XLAT_STATEFUL || !path[0] || strcmp(path, "syslog") == 0)
		return 0;
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
	if (fd < 0) {
		log_err("session-log %s: %s", path, strerror(errno));
		return -1;
	}
	rc = ps_send(d->ps_fd, PS_LOGFD, &l, sizeof(l), &fd, 1);
	if (rc < 0)
		log_err("handing session-log %s to the engine: %s", path, strerror(errno));
	close(fd);
	return rc;
}

/* PS_TUN_LOST: the link was deleted from outside. Open it again (a new
 * link), put link state and routes back, hand the new fds over. */
static void recreate_tun(struct parent *p)
{
	struct daemon *d = p->d;
	char err[512];

	tunif_close(&d->tun);
	if (tunif_open_offload(&d->tun, d->cfg->tun_device, (int)d->nworkers, d->cfg->offload, err,
	                       sizeof(err)) < 0)
		goto fail;
	if (d->cfg->persist && tunif_set_persist(&d->tun, true, err, sizeof(err)) < 0)
		log_warn("%s", err);
	if (d->routes && routes_heal(d->routes, err, sizeof(err)) < 0)
		goto fail;
	pfp_reattach(d); /* the old hook went with the old link */
	if (send_tun(d) < 0)
		log_err("handing the tun to the engine: %s", strerror(errno));
	return;
fail:
	log_err("%s: cannot go on", err);
	p->status = 1;
	ps_send(d->ps_fd, PS_TUN_FAIL, NULL, 0, NULL, 0);
}

/* PS_CONFIG_REQ: read the file (and the options) again for a reload. */
static void send_config(struct parent *p)
{
	struct tun64_config *nc = malloc(sizeof(*nc));
	struct ps_error e = {{0}};
	int rc;

	if (!nc) {
		snprintf(e.msg, sizeof(e.msg), "reload: out of memory");
	} else if (load_config(nc, &p->d->cli, e.msg, sizeof(e.msg)) == 0) {
		rc = ps_send(p->d->ps_fd, PS_CONFIG, nc, sizeof(*nc), NULL, 0);
		free(nc);
		if (rc < 0)
			log_err("sending the configuration to the engine: %s", strerror(errno));
		return;
	}
	free(nc);
	ps_send(p->d->ps_fd, PS_CONFIG_ERR, &e, sizeof(e), NULL, 0);
}

/* PS_STATE_BEGIN .. PS_STATE_END: write FILE.tmp (mode 0600: it lists
 * clients), fsync, rename over FILE, so a crash half way leaves the previous
 * file whole. */
static void state_begin(struct parent *p)
{
	const char *path = p->d->cfg->state_file;
	char tmp[PATH_MAX + 8];

	p->save_errno = 0;
	p->save_fd = -1;
	if (!path[0] || snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		p->save_errno = ENAMETOOLONG;
		return;
	}
	p->save_fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (p->save_fd < 0)
		p->save_errno = errno;
}

static void state_data(struct parent *p, const void *buf, size_t n)
{
	const char *b = buf;

	while (!p->save_errno && n > 0) {
		ssize_t w = write(p->save_fd, b, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			p->save_errno = w < 0 ? errno : EIO;
			break;
		}
		b += w;
		n -= (size_t)w;
	}
}

static void state_end(struct parent *p, const struct ps_state_end *e, bool periodic)
{
	const char *path = p->d->cfg->state_file;
	char tmp[PATH_MAX + 8];
	int err = 0;

	if (!path[0])
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (!e->ok)
		err = EIO; /* the engine could not serialize the table */
	else if (p->save_errno)
		err = p->save_errno;
	else if (fsync(p->save_fd) < 0)
		err = errno;
	if (p->save_fd >= 0 && close(p->save_fd) < 0 && !err)
		err = errno;
	p->save_fd = -1;
	if (!err && rename(tmp, path) < 0)
		err = errno;
	if (err) {
		log_warn("state-file %s: %s; sessions not saved", path, strerror(err));
		unlink(tmp);
	} else if (periodic) {
		log_debug("state-file %s: saved %llu sessions", path,
		          (unsigned long long)e->sessions);
	} else {
		log_info("state-file %s: saved %llu sessions", path,
		         (unsigned long long)e->sessions);
	}
}

/* One message from the engine, checked before anything is done. A bad one
 * means the engine is not ours any more: it is killed. */
static void from_engine(struct parent *p)
{
	static bool periodic;
	struct daemon *d = p->d;
	const char *why;

	why = ps_check_from_engine(&pmsg.h, &pmsg.u, pmsg.h.len, pmsg.nfds, &p->seq);
	if (why) {
		log_err("engine: bad message (type %u, %u bytes): %s; stopping it", pmsg.h.type,
		        pmsg.h.len, why);
		ps_close_fds(&pmsg);
		kill(d->engine, SIGKILL);
		p->status = 1;
		return;
	}
	switch (pmsg.h.type) {
	case PS_READY:
		sd_notify_ready();
		break;
	case PS_TUN_LOST:
		recreate_tun(p);
		break;
	case PS_CONFIG_REQ:
		send_config(p);
		break;
	case PS_ROUTES:
		new_routes(p, &pmsg.u.routes);
		break;
	case PS_WITHDRAW:
	case PS_RESTORE:
		set_service(p, pmsg.h.type == PS_RESTORE);
		break;
	case PS_STATE_BEGIN:
		periodic = pmsg.u.begin.periodic;
		state_begin(p);
		break;
	case PS_STATE_DATA:
		state_data(p, pmsg.u.raw, pmsg.h.len);
		break;
	case PS_STATE_END:
		state_end(p, &pmsg.u.end, periodic);
		break;
	case PS_FP_CONFIG:
	case PS_FP_ADD:
	case PS_FP_DEL:
	case PS_FP_POLL:
		pfp_message(d, &pmsg);
		break;
	}
}

static void on_signal(struct parent *p, int sfd)
{
	struct signalfd_siginfo si;

	if (read(sfd, &si, sizeof(si)) != (ssize_t)sizeof(si))
		return;
	switch (si.ssi_signo) {
	case SIGTERM:
	case SIGINT:
		if (p->stopping)
			break;
		log_info("signal %s: stopping", si.ssi_signo == SIGTERM ? "TERM" : "INT");
		p->stopping = true;
		if (ps_send(p->d->ps_fd, PS_STOP, NULL, 0, NULL, 0) < 0)
			kill(p->d->engine, SIGKILL);
		break;
	case SIGHUP:
		send_logfd(p->d, true); /* on failure the engine keeps the old file */
		                        /* fall through */
	case SIGUSR1:
		kill(p->d->engine, (int)si.ssi_signo); /* reload, counters: the engine's */
		break;
	}
}

/* How the engine ended, said once; any end the parent did not ask for is
 * a failure of the daemon. */
static void reap(struct parent *p)
{
	int ws;

	while (waitpid(p->d->engine, &ws, 0) < 0)
		if (errno != EINTR)
			return;
	if (WIFSIGNALED(ws)) {
		int sig = WTERMSIG(ws);

		log_err("engine (pid %d) killed by signal %d (%s)%s", (int)p->d->engine, sig,
		        strsignal(sig),
		        sig == SIGSYS ? ": a system call outside its seccomp allow-list" : "");
		p->status = 1;
	} else if (WIFEXITED(ws) && (WEXITSTATUS(ws) != 0 || !p->stopping)) {
		log_err("engine (pid %d) exited with status %d%s", (int)p->d->engine,
		        WEXITSTATUS(ws), p->stopping ? "" : " unasked");
		p->status = 1;
	}
}

/* Until the engine is gone: signals, the netlink monitor, its messages. */
static void parent_loop(struct parent *p, int sfd)
{
	struct daemon *d = p->d;

	for (;;) {
		struct pollfd pfd[4] = {
		    {.fd = sfd, .events = POLLIN},
		    {.fd = d->routes ? routes_monitor_fd(d->routes) : -1, .events = POLLIN},
		    {.fd = d->ps_fd, .events = POLLIN},
		    {.fd = pref64_fd(&p->ra), .events = POLLIN},
		};
		int timeout = p->ra.fd >= 0 ? pref64_timeout_ms(&p->ra, now_ms()) : -1;

		if (poll(pfd, 4, timeout) < 0) {
			if (errno == EINTR)
				continue;
			log_err("poll: %s", strerror(errno));
			kill(d->engine, SIGKILL);
			p->status = 1;
			return;
		}
		if (pfd[0].revents & POLLIN)
			on_signal(p, sfd);
		if ((pfd[1].revents & POLLIN) && routes_monitor_read(d->routes) > 0) {
			char err[512];

			if (routes_heal(d->routes, err, sizeof(err)) < 0)
				log_err("%s", err);
		}
		if (pfd[2].revents & (POLLIN | POLLHUP | POLLERR)) {
			int r = ps_recv(d->ps_fd, &pmsg);

			if (r == 0)
				return; /* the engine is gone */
			if (r < 0) {
				log_err("engine: %s; stopping it", strerror(errno));
				kill(d->engine, SIGKILL);
				p->status = 1;
				continue; /* until the end of file */
			}
			from_engine(p);
		}
		if (p->ra.fd >= 0) {
			if (pfd[3].revents & POLLIN)
				pref64_read(&p->ra, now_ms());
			pref64_tick(&p->ra, now_ms());
		}
	}
}

/* pref64-announce: a failure to open the socket stops nothing else. */
static void start_pref64(struct parent *p)
{
	const struct tun64_config *c = p->d->cfg;
	char err[512];

	if (!c->pref64_announce[0])
		return;
	if (pref64_open(&p->ra, c->pref64_announce, &c->prefix, now_ms(), err, sizeof(err)) < 0)
		log_err("%s", err);
	else
		log_info("pref64-announce %s: PREF64 in Router Advertisements, lifetime %u s",
		         c->pref64_announce, PREF64_LIFETIME_S);
}

/* Fork the engine: it gets one end of the socketpair, the control socket
 * and the state file; the parent keeps the other end. */
static int fork_engine(struct daemon *d, FILE *state_in)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		log_err("socketpair: %s", strerror(errno));
		return -1;
	}
	d->parent_pid = getpid();
	d->engine = fork();
	if (d->engine < 0) {
		log_err("fork: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (d->engine == 0) {
		close(sv[0]);
		d->ps_fd = sv[1];
		exit(engine_main(d, state_in));
	}
	close(sv[1]);
	d->ps_fd = sv[0];
	return 0;
}

int parent_main(struct daemon *d, int sfd)
{
	struct parent p = {.d = d, .save_fd = -1, .ra = {.fd = -1}};
	FILE *state_in = NULL;
	bool sock_dir_made, ran = false;
	char err[512];

	sock_dir_made = !privs_socket_dir_exists(d->cfg->control_socket);
	d->control_fd = control_listen(d->cfg->control_socket, err, sizeof(err));
	if (d->control_fd < 0)
		log_warn("%s: tun64ctl will not reach this daemon", err);
	else if (privs_wanted(&d->privs) &&
	         privs_hand_over_socket(&d->privs, d->cfg->control_socket, sock_dir_made, err,
	                                sizeof(err)) < 0)
		log_warn("%s", err);
	if (d->cfg->mode == XLAT_STATEFUL && d->cfg->state_file[0])
		state_in = state_open(d->cfg->state_file);
	if (fork_engine(d, state_in) < 0) {
		control_close(d->control_fd, d->cfg->control_socket);
		return 1;
	}
	if (state_in)
		fclose(state_in);
	if (setup(d) < 0) {
		ps_send(d->ps_fd, PS_STOP, NULL, 0, NULL, 0);
		p.stopping = true;
		p.status = 1;
	} else if (send_logfd(d, false) < 0) {
		ps_send(d->ps_fd, PS_STOP, NULL, 0, NULL, 0);
		p.stopping = true;
		p.status = 1;
		remove_masquerade(d);
		routes_teardown(d->routes);
		tunif_close(&d->tun);
	} else if (send_tun(d) < 0) {
		log_err("handing the tun to the engine: %s", strerror(errno));
		kill(d->engine, SIGKILL);
		p.status = 1;
	} else {
		ran = true;
		start_pref64(&p);
	}
	parent_loop(&p, sfd);
	reap(&p);
	if (p.save_fd >= 0)
		close(p.save_fd);
	control_close(d->control_fd, d->cfg->control_socket);
	if (ran) {
		pref64_stop(&p.ra); /* first: clients stop using the prefix */
		pfp_close(d);
		remove_masquerade(d);
		routes_teardown(d->routes);
		if (!d->cfg->persist && d->tun.existed)
			log_info("%s existed before tun64d started: left in place", d->tun.name);
		tunif_close(&d->tun);
		log_info("stopped");
	}
	return p.status;
}
