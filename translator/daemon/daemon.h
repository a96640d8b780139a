/* SPDX-License-Identifier: BSD-2-Clause */
/* tun64d's private state, shared by its files: main (tun64d.c), the option
 * parser (cli.c), the privileged parent (parent.c) and the unprivileged
 * engine (engine.c, privsep.h), the per-queue workers (worker.c), what is set
 * up around the tun (setup.c), the state file (state.c), reload (reload.c)
 * and the engine's loop (mainloop.c). Not a library interface. */
#ifndef TUN64_DAEMON_H
#define TUN64_DAEMON_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>

#include "coalesce.h"
#include "config.h"
#include "counters.h"
#include "daemon_config.h"
#include "nat64.h"
#include "privs.h"
#include "routes.h"
#include "tunif.h"
#include "xlat.h"

/* Workers pass the top of their loop at least this often (poll timeout). */
#define WORKER_POLL_MS 200

struct daemon;
struct fastpath;
struct fp_engine;
struct fastpath_view;

struct worker {
	pthread_t thread;
	struct daemon *d;
	int queue;
	atomic_uint seen_gen; /* generation of d->live this worker last loaded */
	struct tunif *tun;
	struct xlat_ctx ctx;
	struct tun64_counters ctr;
	uint8_t buf[XLAT_HEADROOM + XLAT_MAX_PACKET];
	uint8_t seg[XLAT_HEADROOM + XLAT_MAX_PACKET]; /* a GSO packet cut in software */
	bool can_coalesce;  /* the tun takes USO packets we write (coalesce.h) */
	bool coalesce_on;   /* ... and udp-coalesce is yes */
	struct coalesce co; /* UDP datagrams held until the read burst ends */
};

struct cli {
	const char *config_path;
	bool check;
	const char *translate_in, *translate_out; /* --translate IN OUT */
	int nopts;
	const char *key[256];
	const char *value[256];
};

struct daemon {
	struct cli cli;
	struct tun64_config *cfg; /* current; main thread only */
	_Atomic(struct live *) live;
	struct live *retired; /* the previous live, freed once every worker moved on */
	atomic_uint gen;
	struct nat64 *nat;
	struct frag_table *frags; /* stateful: non-first fragments (RFC 6146 §3.4) */
	struct synhold *synhold;  /* stateful: IPv4 SYNs held 6 s (RFC 6146 §3.5.2.2) */
	struct tunif tun;
	struct routes *routes;
	struct worker *workers;
	unsigned nworkers; /* configured */
	unsigned nstarted; /* threads running */
	int control_fd;
	struct privs privs; /* config user/group, resolved at start */
	uint64_t started_ms;
	atomic_bool stop;
	atomic_bool tun_lost; /* a worker saw the tun go away (ip link del) */
	/* privilege separation (privsep.h) */
	int ps_fd;        /* our end of the socketpair */
	pid_t engine;     /* parent: the engine's pid */
	pid_t parent_pid; /* engine: the parent's pid */
	bool parent_gone; /* engine: the parent died or broke the protocol */
	bool stop_asked;  /* engine: PS_STOP came while waiting for a reply */
	/* metrics (metrics.h): the endpoint, NULL when off; reloads (main thread) */
	struct metrics_server *metrics;
	uint64_t reloads_ok, reloads_failed;
	bool withdrawn; /* engine: tun64ctl withdraw, until restore */
	/* the tc fast path (parent_fastpath.c, engine_fastpath.c) */
	struct fastpath *fp;      /* parent: loaded and attached; NULL: not in use */
	uint64_t fp_since_ns;     /* parent: when the engine last polled */
	bool fp_avail;            /* engine: the parent attached it (ps_tun.fastpath) */
	bool fp_on;               /* engine: tun64ctl fast-path on|off */
	struct fp_engine *fpe;    /* engine: the sessions in it, its counters */
	struct sesslog_out *slog; /* engine, stateful: session-log (sesslog_out.h) */
};

static inline uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The wall clock (CLOCK_REALTIME) in ms since the Unix epoch. */
static inline uint64_t wall_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct ps_msg;

/* worker.c (the rest below) */
uint64_t random_seed(void);

/* parent.c: the privileged half; returns the exit status */
int parent_main(struct daemon *d, int sfd);

/* engine.c: the unprivileged half, in the forked child */
int engine_main(struct daemon *d, FILE *state_in);

/* engine_link.c: the engine's side of the socketpair */
int engine_wait(struct daemon *d, uint32_t want_a, uint32_t want_b, struct ps_msg **out);
int engine_request(struct daemon *d, uint32_t type, uint32_t want_a, uint32_t want_b,
                   struct ps_msg **reply);
int engine_read_parent(struct daemon *d);
/* A message that needs no reply (PS_ROUTES, PS_WITHDRAW, PS_RESTORE). */
int engine_tell(struct daemon *d, uint32_t type, const void *payload, size_t len);
void engine_take_tun(struct daemon *d, const struct ps_msg *m);
int fetch_config(struct daemon *d, struct tun64_config *nc, char *err, size_t errlen);

/* parent_fastpath.c: the maps, on the engine's behalf */
int pfp_open(struct daemon *d);
void pfp_reattach(struct daemon *d);
void pfp_close(struct daemon *d);
void pfp_message(struct daemon *d, const struct ps_msg *m);

/* engine_fastpath.c: which sessions go in, their timers, the counters */
void efp_tick(struct daemon *d);
void efp_message(struct daemon *d, const struct ps_msg *m);
void efp_configure(struct daemon *d);
int efp_switch(struct daemon *d, const char *arg, char *msg, size_t msglen);
void efp_counters(struct daemon *d, struct fastpath_view *v);
void efp_free(struct daemon *d);

/* cli.c */
int parse_cli(int argc, char **argv, struct cli *cli);
int load_config(struct tun64_config *c, const struct cli *cli, char *err, size_t errlen);

/* worker.c */
int start_workers(struct daemon *d);
void stop_workers(struct daemon *d);
void sum_counters(const struct daemon *d, struct tun64_counters *sum);
void log_counters(const struct daemon *d);

/* setup.c */
void sd_notify_ready(void);
struct routes *setup_routes(const struct daemon *d);
/* The IPv4 prefixes routed into the tun: pool4 (stateful) or `map`. */
size_t route_prefixes(const struct tun64_config *c, struct prefix4 out[ROUTES_MAX_PREFIX4]);
void update_routes(struct daemon *d, const struct prefix4 *p, size_t n);
int setup_masquerade(const struct daemon *d);
void remove_masquerade(const struct daemon *d);

/* state.c */
FILE *state_open(const char *path);
void state_restore(struct nat64 *nat, FILE *f, const char *path);
void state_save(struct daemon *d, bool periodic);

/* reload.c */
int reload(struct daemon *d, char *msg, size_t msglen);
void reload_and_log(struct daemon *d, const char *why);

/* mainloop.c */
int main_timer(void);
int main_loop(struct daemon *d, int sfd, int tfd);

#endif
