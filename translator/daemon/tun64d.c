/* SPDX-License-Identifier: BSD-2-Clause */
/* tun64d: the NAT64 daemon. main() reads the configuration (cli.c) and
 * answers --check and --translate itself, in one process. Otherwise tun64d
 * runs as two (privsep.h): a privileged parent (parent.c) that owns the tun
 * device, routes, masquerade and the state file's path, and an engine
 * (engine.c) forked from it that runs unprivileged and confined by seccomp:
 * the tables, the workers (worker.c), the control socket and the main loop
 * (mainloop.c). */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "config.h"
#include "daemon.h"
#include "log.h"
#include "pcap_translate.h"
#include "privs.h"
#include "tunif.h"

static unsigned cpu_count(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (unsigned)n : 1;
}

/* Signals go to the parent's signalfd; the engine inherits the mask and
 * makes its own signalfd (engine.c). */
static int signals_open(void)
{
	sigset_t mask;
	int sfd;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGUSR1);
	sigaddset(&mask, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sfd < 0)
		log_err("signalfd: %s", strerror(errno));
	return sfd;
}

int main(int argc, char **argv)
{
	static struct daemon d;
	char err[CONFIG_ERRLEN + 64];
	int sfd, r, status = 1;

	log_detect_stderr(); /* once, before the engine's filter */
	r = parse_cli(argc, argv, &d.cli);
	if (r != 0)
		return r > 0 ? 0 : 1;
	d.cfg = malloc(sizeof(*d.cfg));
	if (!d.cfg) {
		fprintf(stderr, "tun64d: out of memory\n");
		return 1;
	}
	if (load_config(d.cfg, &d.cli, err, sizeof(err)) < 0 ||
	    privs_resolve(&d.privs, d.cfg->user, d.cfg->group, err, sizeof(err)) < 0) {
		fprintf(stderr, "tun64d: %s\n", err);
		goto out_cfg;
	}
	if (d.cli.check) {
		config_print(d.cfg, stdout);
		if (d.cfg->mode == XLAT_STATEFUL && !d.cfg->max_sessions) {
			struct nat64_config n;

			fill_nat64_config(d.cfg, &n);
			printf("# max-sessions 0: %llu here (one per 16 KiB of memory)\n",
			       (unsigned long long)n.max_sessions);
		}
		status = 0;
		goto out_cfg;
	}
	if (d.cli.translate_in) {
		status = pcap_translate(d.cfg, d.cli.translate_in, d.cli.translate_out, stdout);
		goto out_cfg;
	}
	log_set_level(d.cfg->log_level);
	/* before the engine forks and confines itself: it shares the socket */
	if (d.cfg->log_target == LOG_TO_SYSLOG)
		log_to_syslog();
	privs_default(&d.privs);
	sfd = signals_open();
	if (sfd < 0)
		goto out_cfg;
	d.control_fd = -1;
	d.ps_fd = -1;
	d.nworkers = d.cfg->workers ? d.cfg->workers : cpu_count();
	if (d.nworkers > TUNIF_MAX_QUEUES)
		d.nworkers = TUNIF_MAX_QUEUES;
	status = parent_main(&d, sfd);
	close(sfd);
out_cfg:
	free(d.cfg);
	return status;
}
