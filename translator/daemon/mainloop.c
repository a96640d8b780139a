/* SPDX-License-Identifier: BSD-2-Clause */
/* The engine's main thread once the workers run: signals, the expiry and
 * state-save timer, the parent's messages, tun64ctl requests, and taking
 * over a tun the parent re-created after it was deleted from outside. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "control.h"
#include "daemon.h"
#include "log.h"
#include "metrics.h"
#include "nat64.h"
#include "privsep.h"
#include "sandbox.h"
#include "sesslog_out.h"
#include "tunif.h"
#include "watch.h"

/* tun64ctl withdraw / restore: the parent owns the routes and the link. */
static void set_service(struct daemon *d, bool in, FILE *f)
{
	if (engine_tell(d, in ? PS_RESTORE : PS_WITHDRAW, NULL, 0) < 0) {
		fprintf(f, "error: the parent did not take the request\n");
		return;
	}
	d->withdrawn = !in;
	log_info("tun64ctl %s", in ? "restore" : "withdraw");
	fprintf(f, "%s\n",
	        in ? "restored: tun up, routes back"
	           : "withdrawn: tun down, routes removed (tun64ctl restore puts them back)");
}

/* One control request: read a line, answer, close. The client gets a second
 * to send its line; the answer is built in memory first so a slow reader
 * holds no lock (nat64_foreach_session takes shard locks). */
static void serve_control(struct daemon *d)
{
	struct timeval tv = {.tv_sec = 1};
	struct control_view v = {0};
	char offloads[64];
	char req[256];
	char *ans = NULL;
	size_t ans_len = 0;
	ssize_t n;
	FILE *f;
	int fd = accept4(d->control_fd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	n = recv(fd, req, sizeof(req) - 1, 0);
	if (n <= 0) {
		close(fd);
		return;
	}
	req[n] = '\0';
	req[strcspn(req, "\r\n")] = '\0';
	/* `sessions --follow`: the connection stays open and gets the events
	 * as JSON lines from the drain (sesslog_out.c) */
	if (strncmp(req, "sessions follow", 15) == 0) {
		const char *why = !d->slog ? "error: stateless mode: no sessions to follow\n"
		                           : "error: too many followers\n";

		if (d->slog && sesslog_out_follow(d->slog, fd) == 0)
			return;
		send(fd, why, strlen(why), MSG_NOSIGNAL);
		close(fd);
		return;
	}
	v.cfg = d->cfg;
	v.nat = d->nat;
	sum_counters(d, &v.counters);
	if (d->slog) {
		v.counters.v[DIR_6TO4][CTR_SESSLOG_LOST] += sesslog_out_lost(d->slog);
		v.counters.v[DIR_6TO4][CTR_SESSLOG_FOLLOW_LOST] += sesslog_out_follow_lost(d->slog);
	}
	v.tun_name = d->tun.name;
	v.workers = d->nstarted;
	v.routes_installed = d->cfg->routes;
	v.withdrawn = d->withdrawn;
	if (d->nat) {
		struct nat64_config ncfg;

		fill_nat64_config(d->cfg, &ncfg);
		v.max_sessions = ncfg.max_sessions;
	}
	v.offloads = tunif_offload_str(&d->tun, offloads, sizeof(offloads));
	v.now_ms = now_ms();
	v.now_wall_ms = wall_now_ms();
	v.uptime_s = (v.now_ms - d->started_ms) / 1000;
	efp_counters(d, &v.fastpath);
	f = open_memstream(&ans, &ans_len);
	if (f) {
		char msg[CONFIG_ERRLEN + 64];

#ifdef TUN64_TEST_HOOKS
		if (strcmp(req, "test-forbidden-syscall") == 0)
			sandbox_test_forbidden_syscall();
#endif
		if (strncmp(req, "reload", 6) == 0) {
			int rc = reload(d, msg, sizeof(msg));

			fprintf(f, "%s%s\n", rc < 0 ? "error: " : "", msg);
			log_msg(rc < 0 ? LOG_LVL_ERROR : LOG_LVL_INFO, "tun64ctl reload: %s", msg);
		} else if (strcmp(req, "withdraw") == 0 || strcmp(req, "restore") == 0) {
			set_service(d, req[0] == 'r', f);
		} else if (strncmp(req, "fast-path ", 10) == 0) {
			int rc = efp_switch(d, req + 10, msg, sizeof(msg));

			fprintf(f, "%s%s\n", rc < 0 ? "error: " : "", msg);
			if (rc == 0)
				log_info("tun64ctl %s", msg);
		} else {
			control_answer(req, &v, f);
		}
		fclose(f);
		for (size_t off = 0; off < ans_len;) {
			ssize_t w = send(fd, ans + off, ans_len - off, MSG_NOSIGNAL);

			if (w <= 0)
				break;
			off += (size_t)w;
		}
		free(ans);
	}
	close(fd);
}

/* The tun was deleted from outside: stop the workers, have the parent open
 * it again (a new link) and put link state and routes back, take the new
 * fds, start the workers. The NAT64 tables are untouched, so live sessions
 * carry on once packets flow again. */
static int recreate_tun(struct daemon *d)
{
	struct ps_msg *m;

	log_warn("%s went away: re-creating it", d->tun.name);
	stop_workers(d);
	tunif_close(&d->tun);
	atomic_store(&d->tun_lost, false);
	atomic_store(&d->stop, false);
	/* The parent logs why it failed. */
	if (engine_request(d, PS_TUN_LOST, PS_TUN, PS_TUN_FAIL, &m) < 0 || m->h.type == PS_TUN_FAIL)
		return -1;
	engine_take_tun(d, m);
	if (start_workers(d) < 0)
		return -1;
	log_info("%s re-created; translating again", d->tun.name);
	return 0;
}

/* Once a second: pool4 and max-sessions against their thresholds (watch.h),
 * from figures that cost no more than a status. */
static void watch_limits(struct daemon *d)
{
	static struct watch pool_w, sess_w;
	char lines[WATCH_MAX_LINES][WATCH_LINE];
	struct tun64_counters c;
	struct nat64_config ncfg;
	struct nat64_stats st;
	uint64_t used = 0, total = 0;
	size_t n;

	sum_counters(d, &c);
	if (!control_pool4_fill(d->nat, &used, &total))
		used = total = 0;
	n = watch_step(&pool_w, "pool4", used, total,
	               c.v[DIR_6TO4][CTR_DROP_POOL4_EXHAUSTED] +
	                   c.v[DIR_4TO6][CTR_DROP_POOL4_EXHAUSTED],
	               lines);
	for (size_t i = 0; i < n; i++)
		log_warn("%s", lines[i]);
	nat64_get_stats(d->nat, &st);
	fill_nat64_config(d->cfg, &ncfg);
	n = watch_step(
	    &sess_w, "max-sessions", st.sessions[0] + st.sessions[1] + st.sessions[2],
	    ncfg.max_sessions,
	    c.v[DIR_6TO4][CTR_DROP_SESSION_LIMIT] + c.v[DIR_4TO6][CTR_DROP_SESSION_LIMIT], lines);
	for (size_t i = 0; i < n; i++)
		log_warn("%s", lines[i]);
}

/* The main loop's one-second timer, made before the seccomp filter (which
 * has no timerfd_create). Returns the fd or -1. */
int main_timer(void)
{
	int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	struct itimerspec its = {.it_interval = {1, 0}, .it_value = {1, 0}};

	if (tfd < 0 || timerfd_settime(tfd, 0, &its, NULL) < 0) {
		log_err("timerfd: %s", strerror(errno));
		if (tfd >= 0)
			close(tfd);
		return -1;
	}
	return tfd;
}

/* Is a message from the parent still waiting? The signal handled before
 * may have been a reload whose wait (engine_wait) read it already, e.g. the
 * PS_LOGFD the parent sends with SIGHUP: a blocking read would then hang. */
static bool parent_pending(const struct daemon *d)
{
	struct pollfd p = {.fd = d->ps_fd, .events = POLLIN};

	return poll(&p, 1, 0) > 0;
}

/* Main thread: signals, the expiry timer tfd, the parent. Returns exit
 * status. */
int main_loop(struct daemon *d, int sfd, int tfd)
{
	uint64_t saved_ms = now_ms();
	int status = 0;

	for (;;) {
		struct pollfd pfd[5] = {
		    {.fd = sfd, .events = POLLIN},
		    {.fd = tfd, .events = POLLIN},
		    {.fd = d->ps_fd, .events = POLLIN},
		    {.fd = d->control_fd, .events = POLLIN},
		    {.fd = metrics_fd(d->metrics), .events = POLLIN}, /* -1 when off: ignored */
		};

		if (poll(pfd, 5, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_err("poll: %s", strerror(errno));
			status = 1;
			break;
		}
		if (pfd[0].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
				if (si.ssi_signo == SIGUSR2 && atomic_load(&d->tun_lost) &&
				    recreate_tun(d) < 0) {
					status = 1;
					break;
				}
				if (si.ssi_signo == SIGUSR1)
					log_counters(d);
				if (si.ssi_signo == SIGHUP)
					reload_and_log(d, "SIGHUP");
			}
		}
		if (pfd[1].revents & POLLIN) {
			uint64_t ticks;

			if (read(tfd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
				log_debug("timerfd: %s", strerror(errno));
			if (d->nat) {
				nat64_expire(d->nat, now_ms());
				watch_limits(d);
			}
			efp_tick(d);
			if (d->slog)
				sesslog_out_drain(d->slog);
			if (d->nat && d->cfg->state_file[0] && d->cfg->state_save_interval &&
			    now_ms() - saved_ms >= (uint64_t)d->cfg->state_save_interval * 1000) {
				state_save(d, true);
				saved_ms = now_ms();
			}
		}
		/* PS_STOP (SIGTERM to the parent), or the parent is gone. */
		if ((pfd[2].revents & (POLLIN | POLLHUP | POLLERR)) && parent_pending(d) &&
		    engine_read_parent(d) < 0) {
			status = 1;
			break;
		}
		if (pfd[3].revents & POLLIN)
			serve_control(d);
		/* a scrape ready, or (each second) idle connections to end */
		if ((pfd[4].revents & POLLIN) || (pfd[1].revents & POLLIN))
			metrics_run(d->metrics);
		if (d->parent_gone) {
			status = 1;
			break;
		}
		if (d->stop_asked)
			break;
	}
	return status;
}
