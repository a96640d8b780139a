/* tun64d: the NAT64 daemon. main() wires the parts together and takes them
 * apart again: configuration (cli.c), the NAT64 tables and the state file
 * (state.c), the tun device (tunif/), routes, masquerade and the privilege
 * drop (setup.c), the control socket, then one worker thread per tun queue
 * (worker.c) while the main thread runs the loop of mainloop.c. */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "config.h"
#include "control.h"
#include "daemon.h"
#include "daemon_config.h"
#include "frag.h"
#include "log.h"
#include "nat64.h"
#include "pcap_translate.h"
#include "privs.h"
#include "routes.h"
#include "synhold.h"
#include "tunif.h"

static unsigned cpu_count(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (unsigned)n : 1;
}

uint64_t random_seed(void)
{
	uint64_t seed = 0;
	FILE *f = fopen("/dev/urandom", "rb");

	if (!f || fread(&seed, sizeof(seed), 1, f) != 1)
		seed = now_ms() ^ (uint64_t)getpid() << 32;
	if (f)
		fclose(f);
	return seed;
}

/* Signals go to the main thread's signalfd; workers inherit the mask. */
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

/* Stateful mode: the NAT64 tables, the fragment and SYN tables, and the
 * sessions of the state file. On failure the caller frees what was made. */
static int open_tables(struct daemon *d)
{
	struct nat64_config ncfg;

	fill_nat64_config(d->cfg, &ncfg);
	ncfg.seed = random_seed();
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
	if (d->cfg->state_file[0])
		state_restore(d->nat, d->cfg->state_file);
	return 0;
}

static void log_started(const struct daemon *d)
{
	char p6[INET6_ADDRSTRLEN + 4];

	addr6_str(d->cfg->prefix.addr, p6, sizeof(p6));
	log_info("%s mode on %s, prefix %s/%u, %zu pool4 range(s), %u worker(s)",
	         d->cfg->mode == XLAT_STATEFUL ? "stateful" : "stateless", d->tun.name, p6,
	         d->cfg->prefix.len, d->cfg->n_pool4, d->nworkers);
	log_info("ready");
}

/* Set up in order, run, and take apart in reverse order; an error part way
 * jumps to the label that undoes only what was made. ran: the daemon got to
 * its main loop, so the exit reports (counters, saved sessions) apply. */
int main(int argc, char **argv)
{
	static struct daemon d;
	char err[CONFIG_ERRLEN + 64];
	bool sock_dir_made, ran = false;
	int sfd, r, status = 1;

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
		status = 0;
		goto out_cfg;
	}
	if (d.cli.translate_in) {
		status = pcap_translate(d.cfg, d.cli.translate_in, d.cli.translate_out, stdout);
		goto out_cfg;
	}
	log_set_level(d.cfg->log_level);
	sfd = signals_open();
	if (sfd < 0)
		goto out_cfg;
	atomic_store(&d.live, live_new(d.cfg, err, sizeof(err)));
	if (!atomic_load(&d.live)) {
		log_err("%s", err);
		goto out_sfd;
	}
	if (d.cfg->mode == XLAT_STATEFUL && open_tables(&d) < 0)
		goto out_tables;

	d.nworkers = d.cfg->workers ? d.cfg->workers : cpu_count();
	if (d.nworkers > TUNIF_MAX_QUEUES)
		d.nworkers = TUNIF_MAX_QUEUES;
	if (tunif_open_offload(&d.tun, d.cfg->tun_device, (int)d.nworkers, d.cfg->offload, err,
	                       sizeof(err)) < 0) {
		log_err("%s", err);
		goto out_tables;
	}
	if (d.cfg->persist && tunif_set_persist(&d.tun, true, err, sizeof(err)) < 0)
		log_warn("%s", err);
	d.routes = setup_routes(&d);
	if (!d.routes)
		goto out_tun;
	if (setup_masquerade(&d) < 0)
		goto out_routes;
	sock_dir_made = !privs_socket_dir_exists(d.cfg->control_socket);
	d.control_fd = control_listen(d.cfg->control_socket, err, sizeof(err));
	if (d.control_fd < 0)
		log_warn("%s: tun64ctl will not reach this daemon", err);
	d.started_ms = now_ms();
	if (drop_privileges(&d, sock_dir_made) < 0 || start_workers(&d) < 0)
		goto out_workers;
	log_started(&d);
	sd_notify_ready();

	status = main_loop(&d, sfd);
	ran = true;

out_workers:
	stop_workers(&d);
	if (ran)
		log_counters(&d);
	free(d.workers);
	control_close(d.control_fd, d.cfg->control_socket);
	remove_masquerade(&d);
out_routes:
	routes_teardown(d.routes);
out_tun:
	if (ran && !d.cfg->persist && d.tun.existed)
		log_info("%s existed before tun64d started: left in place", d.tun.name);
	tunif_close(&d.tun);
out_tables:
	if (ran && d.nat && d.cfg->state_file[0])
		state_save(d.nat, d.cfg->state_file, false);
	nat64_free(d.nat);
	frag_table_free(d.frags);
	synhold_free(d.synhold);
	live_free(d.retired);
	live_free(atomic_load(&d.live));
out_sfd:
	close(sfd);
out_cfg:
	free(d.cfg);
	if (ran)
		log_info("stopped");
	return status;
}
