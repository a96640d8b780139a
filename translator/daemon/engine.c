/* SPDX-License-Identifier: BSD-2-Clause */
/* The engine: tun64d's unprivileged child (privsep.h). It builds the
 * tables, takes the tun fds from the parent, drops to `user`/`group` (or
 * nobody) with no capability, confines itself with seccomp (sandbox.c), then
 * runs the workers and the main loop (mainloop.c). What it may no longer do
 * it asks the parent for: a re-created tun, the configuration read again,
 * the state file written. */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon.h"
#include "frag.h"
#include "log.h"
#include "metrics.h"
#include "nat64.h"
#include "privsep.h"
#include "sandbox.h"
#include "sesslog_out.h"
#include "synhold.h"

/* The engine's signals: reload, counters, the tun lost (from a worker).
 * SIGTERM and SIGINT stay blocked and unread: stopping is the parent's word
 * (PS_STOP), so a signal to the whole group (Ctrl-C, systemd) stops the
 * daemon once, in order. */
static int engine_signals(void)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGUSR1);
	sigaddset(&mask, SIGUSR2);
	return signalfd(-1, &mask, SFD_CLOEXEC);
}

/* Stateful mode: the NAT64 tables, the fragment and SYN tables, and the
 * sessions of the state file the parent opened. */
static int open_tables(struct daemon *d, FILE *state_in)
{
	struct nat64_config ncfg;

	fill_nat64_config(d->cfg, &ncfg);
	ncfg.seed = random_seed();
	/* before nat64_new: restored sessions are logged too */
	d->slog = sesslog_out_new(d->cfg);
	if (!d->slog) {
		log_err("session-log: out of memory");
		return -1;
	}
	ncfg.event_cb = sesslog_out_event;
	ncfg.event_ctx = d->slog;
	d->nat = nat64_new(&ncfg);
	if (!d->nat) {
		log_err("cannot create the NAT64 tables (max-sessions %llu)",
		        (unsigned long long)ncfg.max_sessions);
		return -1;
	}
	d->frags = frag_table_new(random_seed());
	d->synhold = synhold_new(0);
	if (!d->frags || !d->synhold) {
		log_err("cannot create the fragment and SYN tables: out of memory");
		return -1;
	}
	if (state_in)
		state_restore(d->nat, state_in, d->cfg->state_file);
	return 0;
}

static void log_started(const struct daemon *d)
{
	char p6[INET6_ADDRSTRLEN + 4];

	log_info("%s mode on %s, prefix %s, %zu pool4 range(s), %u worker(s)",
	         d->cfg->mode == XLAT_STATEFUL ? "stateful" : "stateless", d->tun.name,
	         config_prefix_str(d->cfg, p6, sizeof(p6)), d->cfg->n_pool4, d->nworkers);
	log_info("ready");
}

/* Stateless ICMPv4 errors come from ipv4-addr (ICMPv6 ones from
 * ipv6-addr): from a private or documentation address, bogon filters drop
 * them, Fragmentation Needed among them, and PMTUD breaks for everyone
 * behind the translator. */
static void warn_own_addresses(const struct tun64_config *c)
{
	char a[INET6_ADDRSTRLEN];

	if (c->mode != XLAT_STATELESS)
		return;
	if (!addr4_is_global(c->ipv4_addr))
		log_warn("ipv4-addr %s is not a global address: ICMPv4 errors from it (PMTUD's "
		         "Fragmentation Needed too) may be dropped on the Internet",
		         addr4_str(c->ipv4_addr, a, sizeof(a)));
	/* ULA fc00::/7, link-local fe80::/10, documentation 2001:db8::/32,
	 * and ::/8 (unspecified, loopback, IPv4-compatible) */
	if ((c->ipv6_addr[0] & 0xfe) == 0xfc ||
	    (c->ipv6_addr[0] == 0xfe && (c->ipv6_addr[1] & 0xc0) == 0x80) ||
	    (c->ipv6_addr[0] == 0x20 && c->ipv6_addr[1] == 0x01 && c->ipv6_addr[2] == 0x0d &&
	     c->ipv6_addr[3] == 0xb8) ||
	    c->ipv6_addr[0] == 0)
		log_warn("ipv6-addr %s is not a global address: ICMPv6 errors from it may be "
		         "dropped on the Internet",
		         addr6_str(c->ipv6_addr, a, sizeof(a)));
}

/* Root goes, then every capability, then the system calls the engine does
 * not need. Before any thread starts: the threads inherit all three. */
static int confine(struct daemon *d)
{
	char err[512];

	if (privs_drop(&d->privs, err, sizeof(err)) < 0) {
		log_err("dropping privileges: %s", err);
		return -1;
	}
	log_info("privileges dropped: uid %u gid %u, capabilities: none", (unsigned)getuid(),
	         (unsigned)getgid());
	/* Set after the drop: changing credentials clears it. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid() != d->parent_pid) {
		log_err("the parent went away: exiting");
		return -1;
	}
	if (sandbox_apply(err, sizeof(err)) < 0) {
		log_err("%s", err);
		return -1;
	}
	return 0;
}

/* Take apart what run made. ran: the main loop ran, so the exit reports
 * apply (and the sessions are saved, through the parent). */
static void engine_teardown(struct daemon *d, bool ran)
{
	stop_workers(d);
	metrics_stop(d->metrics);
	d->metrics = NULL;
	if (ran)
		log_counters(d);
	free(d->workers);
	if (d->control_fd >= 0)
		close(d->control_fd); /* the parent removes the socket file */
	tunif_close(&d->tun);
	if (ran && d->nat && d->cfg->state_file[0] && !d->parent_gone)
		state_save(d, false);
	nat64_free(d->nat);
	sesslog_out_free(d->slog); /* writes out the last events */
	frag_table_free(d->frags);
	synhold_free(d->synhold);
	efp_free(d);
	live_free(d->retired);
	live_free(atomic_load(&d->live));
}

int engine_main(struct daemon *d, FILE *state_in)
{
	char err[CONFIG_ERRLEN + 64];
	struct ps_msg *m;
	bool ran = false;
	int sfd, tfd, status = 1;

	prctl(PR_SET_NAME, "tun64d-engine", 0, 0, 0);
	sfd = engine_signals();
	if (sfd < 0) {
		log_err("signalfd: %s", strerror(errno));
		return 1;
	}
	tfd = main_timer();
	if (tfd < 0) {
		close(sfd);
		return 1;
	}
	atomic_store(&d->live, live_new(d->cfg, err, sizeof(err)));
	if (!atomic_load(&d->live)) {
		log_err("%s", err);
		goto out;
	}
	if (d->cfg->mode == XLAT_STATEFUL && open_tables(d, state_in) < 0)
		goto out;
	if (state_in)
		fclose(state_in);
	state_in = NULL;
	/* The tun, once the parent has it and the routes in place. */
	if (engine_wait(d, PS_TUN, PS_STOP, &m) < 0 || m->h.type == PS_STOP) {
		status = d->parent_gone ? 1 : 0;
		goto out;
	}
	engine_take_tun(d, m);
	/* Bound while still root (a port below 1024 works), served from the
	 * main loop once confined (metrics_http.c). */
	if (d->cfg->metrics[0] && !(d->metrics = metrics_start(d)))
		goto out;
	if (confine(d) < 0)
		goto out;
	d->started_ms = now_ms();
	if (start_workers(d) < 0)
		goto out;
	log_started(d);
	warn_own_addresses(d->cfg);
	d->fp_on = true;
	efp_configure(d);
	if (ps_send(d->ps_fd, PS_READY, NULL, 0, NULL, 0) < 0)
		log_warn("telling the parent we are ready: %s", strerror(errno));
	status = main_loop(d, sfd, tfd);
	ran = true;
out:
	if (state_in)
		fclose(state_in);
	engine_teardown(d, ran);
	close(tfd);
	close(sfd);
	return status;
}
