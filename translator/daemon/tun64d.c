/* tun64d: the NAT64 daemon. Wires the parts together: configuration, the tun
 * device (tunif/), the netlink helper (routes/) and the packet core
 * (translator/). One worker thread per tun queue translates packets; the main
 * thread handles signals, the netlink monitor and session expiry. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/time.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "coalesce.h"
#include "control.h"
#include "daemon_config.h"
#include "eam.h"
#include "frag.h"
#include "counters.h"
#include "log.h"
#include "masq.h"
#include "pcap_translate.h"
#include "privs.h"
#include "nat64.h"
#include "routes.h"
#include "state_file.h"
#include "synhold.h"
#include "tunif.h"
#include "vnet.h"
#include "xlat.h"

#define WORKER_POLL_MS 200

struct daemon;

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
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: tun64d [-c FILE] [--check] [--KEY VALUE ...]\n"
	           "  -c, --config FILE   configuration file (default " CONFIG_DEFAULT_PATH
	           " if it exists)\n"
	           "  --check             validate, print the effective configuration, exit\n"
	           "  --translate IN OUT  translate the capture IN offline, write OUT, exit\n"
	           "  --KEY VALUE         any configuration key (see tun64.conf(5)); overrides the "
	           "file\n"
	           "  -h, --help          this text\n");
}

/* Repeatable keys given as options replace the file's list rather than add to it. */
static void config_clear_list(struct tun64_config *c, const char *key)
{
	if (strcmp(key, "pool4") == 0)
		c->pool4_default = true; /* the next pool4 replaces what is there */
	else if (strcmp(key, "map") == 0)
		c->n_map = 0;
	else if (strcmp(key, "bib") == 0)
		c->n_bib = 0;
	else if (strcmp(key, "allow6") == 0)
		c->n_allow6 = 0;
}

/* Returns 0, 1 (exit 0: help), or -1 (usage error, message printed). */
static int parse_cli(int argc, char **argv, struct cli *cli)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			return 1;
		}
		if (strcmp(a, "--check") == 0) {
			cli->check = true;
			continue;
		}
		if (strcmp(a, "--translate") == 0) {
			if (i + 2 >= argc) {
				fprintf(stderr, "tun64d: --translate needs IN.pcap and OUT.pcap\n");
				return -1;
			}
			cli->translate_in = argv[++i];
			cli->translate_out = argv[++i];
			continue;
		}
		if (strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr, "tun64d: %s needs a file name\n", a);
				return -1;
			}
			cli->config_path = argv[++i];
			continue;
		}
		if (strncmp(a, "--", 2) != 0) {
			fprintf(stderr, "tun64d: unexpected argument '%s'\n", a);
			usage(stderr);
			return -1;
		}
		if (cli->nopts == 256) {
			fprintf(stderr, "tun64d: too many options\n");
			return -1;
		}
		/* --key value or --key=value */
		static char keybuf[256][64];
		const char *eq = strchr(a + 2, '=');
		const char *val;
		size_t klen = eq ? (size_t)(eq - a - 2) : strlen(a + 2);

		if (klen == 0 || klen >= sizeof(keybuf[0])) {
			fprintf(stderr, "tun64d: bad option '%s'\n", a);
			return -1;
		}
		memcpy(keybuf[cli->nopts], a + 2, klen);
		keybuf[cli->nopts][klen] = '\0';
		if (!config_is_key(keybuf[cli->nopts])) {
			fprintf(stderr, "tun64d: --%s: unknown option\n", keybuf[cli->nopts]);
			return -1;
		}
		if (eq) {
			val = eq + 1;
		} else {
			if (i + 1 >= argc) {
				fprintf(stderr, "tun64d: --%s: needs a value\n",
				        keybuf[cli->nopts]);
				return -1;
			}
			val = argv[++i];
		}
		cli->key[cli->nopts] = keybuf[cli->nopts];
		cli->value[cli->nopts] = val;
		cli->nopts++;
	}
	return 0;
}

/* Defaults, then the file, then the options. err gets one line on failure. */
static int load_config(struct tun64_config *c, const struct cli *cli, char *err, size_t errlen)
{
	const char *path = cli->config_path;

	config_defaults(c);
	if (!path && access(CONFIG_DEFAULT_PATH, F_OK) == 0)
		path = CONFIG_DEFAULT_PATH;
	if (path && config_load_file(c, path, err, errlen) < 0)
		return -1;
	for (int i = 0; i < cli->nopts; i++) {
		bool first = true;

		for (int j = 0; j < i; j++)
			if (strcmp(cli->key[j], cli->key[i]) == 0)
				first = false;
		if (first)
			config_clear_list(c, cli->key[i]);
		char where[80];

		snprintf(where, sizeof(where), "--%s", cli->key[i]);
		if (config_set(c, cli->key[i], cli->value[i], where, err, errlen) < 0)
			return -1;
	}
	return config_finalize(c, err, errlen);
}

static unsigned cpu_count(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (unsigned)n : 1;
}

static uint64_t random_seed(void)
{
	uint64_t seed = 0;
	FILE *f = fopen("/dev/urandom", "rb");

	if (!f || fread(&seed, sizeof(seed), 1, f) != 1)
		seed = now_ms() ^ (uint64_t)getpid() << 32;
	if (f)
		fclose(f);
	return seed;
}

/* Write one packet (or one USO super-packet of n datagrams) to the tun;
 * vh: its offload header, NULL for none. */
static void worker_write_now(struct worker *w, const struct vnet_hdr *vh, const uint8_t *out,
                             size_t out_len, unsigned n)
{
	static const struct vnet_hdr no_offload;
	ssize_t r;

	if (w->tun->vnet_hdr_len)
		r = tunif_write_vnet(w->tun, w->queue, vh ? vh : &no_offload, out, out_len);
	else
		r = tunif_write(w->tun, w->queue, out, out_len);
	if (r < 0) {
		enum tun64_dir dir = (out[0] >> 4) == 4 ? DIR_6TO4 : DIR_4TO6;

		w->ctr.v[dir][CTR_DROP_WRITE] += n;
		log_debug("writing tun: %s", strerror(errno));
	}
}

/* Write the UDP datagrams the coalescer holds: at the end of a read burst,
 * and before any packet that does not join them, so the order stays. */
static void worker_flush(struct worker *w)
{
	struct vnet_hdr vh;
	const uint8_t *out;
	size_t out_len;
	unsigned n = coalesce_flush(&w->co, &vh, &out, &out_len);

	if (n == 0)
		return;
	if (n > 1)
		w->ctr.v[(out[0] >> 4) == 4 ? DIR_6TO4 : DIR_4TO6][CTR_UDP_COALESCED] += n;
	worker_write_now(w, &vh, out, out_len, n);
}

/* Write one packet back; vh: its offload header, NULL for none. A UDP
 * datagram may wait in the coalescer until the burst ends (coalesce.h). */
static void worker_write(struct worker *w, const struct vnet_hdr *vh, const uint8_t *out,
                         size_t out_len)
{
	if (w->coalesce_on) {
		if (coalesce_add(&w->co, vh, out, out_len))
			return;
		worker_flush(w);
		if (coalesce_add(&w->co, vh, out, out_len))
			return;
	}
	worker_write_now(w, vh, out, out_len, 1);
}

/* The IPv6 fragments of one split IPv4 datagram (XLAT_SEND_MANY), in
 * order, each with no offload: their checksum is complete and none is GSO.
 * Bounded: every packet is at least an IPv6 header long. */
static void worker_write_many(struct worker *w, const uint8_t *out, size_t out_len)
{
	size_t n;

	while ((n = xlat_many_next(out, out_len)) > 0) {
		worker_write(w, NULL, out, n);
		out += n;
		out_len -= n;
	}
}

/* Translate and write. vh: the fast path's offload header, mapped to the
 * output when the packet was translated in place (an ICMP error the
 * translator built instead goes out with no offload). */
static void worker_translate(struct worker *w, struct xlat_pkt *pkt, struct vnet_hdr *vh)
{
	const uint8_t *out;
	size_t out_len;
	enum xlat_verdict v = xlat_packet(&w->ctx, pkt, &out, &out_len);

	if (v == XLAT_SEND_MANY) {
		worker_write_many(w, out, out_len);
		return;
	}
	if (v != XLAT_SEND)
		return;
	if (vh && out == pkt->buf + pkt->off)
		vnet_after_xlat(vh, out, out_len);
	else
		vh = NULL;
	worker_write(w, vh, out, out_len);
}

/* A GSO packet the fast path cannot take: cut in software, each segment
 * translated as an ordinary packet (at most 64 KB / gso_size of them). */
static void worker_segment(struct worker *w, const struct vnet_hdr *vh, const uint8_t *pkt,
                           size_t len, enum tun64_dir dir)
{
	struct vnet_seg s;
	size_t n;

	w->ctr.v[dir][CTR_GSO_SOFTWARE]++;
	if (vnet_segment_start(&s, vh, pkt, len) < 0) {
		w->ctr.v[dir][CTR_DROP_BAD_VNET_HDR]++;
		return;
	}
	while ((n = vnet_segment_next(&s, w->seg + XLAT_HEADROOM, sizeof(w->seg) - XLAT_HEADROOM)) >
	       0) {
		struct xlat_pkt seg = {
		    .buf = w->seg, .cap = sizeof(w->seg), .off = XLAT_HEADROOM, .len = n};

		worker_translate(w, &seg, NULL);
	}
}

/* One packet of len bytes at w->buf + XLAT_HEADROOM, read with header vh
 * (when the tun has offloads). */
static void worker_packet(struct worker *w, struct vnet_hdr *vh, size_t len)
{
	struct xlat_pkt pkt = {
	    .buf = w->buf, .cap = sizeof(w->buf), .off = XLAT_HEADROOM, .len = len};
	uint8_t *ip = w->buf + XLAT_HEADROOM;
	enum tun64_dir dir = (ip[0] >> 4) == 4 ? DIR_4TO6 : DIR_6TO4;

	if (!w->tun->vnet_hdr_len) {
		worker_translate(w, &pkt, NULL);
		return;
	}
	switch (vnet_classify(vh, ip, len, w->ctx.cfg)) {
	case VNET_PLAIN:
		worker_translate(w, &pkt, NULL);
		break;
	case VNET_FAST:
		pkt.csum_partial = vh->flags & VNET_F_NEEDS_CSUM;
		pkt.gso = vh->gso_type != VNET_GSO_NONE;
		pkt.gso_size = vnet_gso_size(vh);
		vh->flags &= VNET_F_NEEDS_CSUM;
		worker_translate(w, &pkt, vh);
		break;
	case VNET_COMPLETE:
		vnet_csum_complete(vh, ip, len); /* offsets checked by vnet_classify */
		worker_translate(w, &pkt, NULL);
		break;
	case VNET_SEGMENT:
		worker_segment(w, vh, ip, len, dir);
		break;
	case VNET_BAD:
		w->ctr.v[dir][CTR_RX]++;
		w->ctr.v[dir][CTR_DROP_BAD_VNET_HDR]++;
		break;
	}
}

/* The Port Unreachable errors for IPv4 SYNs held 6 s in vain (synhold.h).
 * One worker does it, at least every WORKER_POLL_MS: a held SYN is answered
 * 6 to 6.2 s after it came. */
static void worker_expire_syns(struct worker *w)
{
	const uint8_t *out;
	size_t out_len;

	while (xlat_syn_expire(&w->ctx, &out, &out_len) == XLAT_SEND)
		worker_write_now(w, NULL, out, out_len, 1);
}

/* Read one packet (with its offload header when the tun has them). */
static ssize_t worker_read(struct worker *w, struct vnet_hdr *vh)
{
	uint8_t *buf = w->buf + XLAT_HEADROOM;
	size_t cap = sizeof(w->buf) - XLAT_HEADROOM;

	if (w->tun->vnet_hdr_len)
		return tunif_read_vnet(w->tun, w->queue, vh, buf, cap);
	return tunif_read(w->tun, w->queue, buf, cap);
}

/* The per-packet loop: read, translate, write. No allocation, no syscall
 * besides the tun read and write. */
static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct daemon *d = w->d;
	struct pollfd pfd = {.fd = w->tun->fd[w->queue], .events = POLLIN};

	while (!atomic_load_explicit(&d->stop, memory_order_relaxed)) {
		/* gen before live: a worker that reports gen g has loaded a live
		 * at least as new as generation g (see reload). */
		unsigned gen = atomic_load(&d->gen);

		struct live *live = atomic_load(&d->live);

		w->ctx.cfg = &live->x;
		w->coalesce_on = w->can_coalesce && live->udp_coalesce;
		atomic_store(&w->seen_gen, gen);

		int n = poll(&pfd, 1, WORKER_POLL_MS);

		w->ctx.now_ms = now_ms();
		if (w->queue == 0)
			worker_expire_syns(w);
		if (n <= 0)
			continue;
		for (int burst = 0; burst < 64; burst++) {
			struct vnet_hdr vh;
			ssize_t r = worker_read(w, &vh);

			if (r == 0)
				break;
			if (r < 0) {
				if (errno == EINTR)
					continue;
				/* EBADFD: the link was deleted under us. The main
				 * thread re-creates it (SIGUSR2); sessions live on. */
				log_warn("reading tun queue %d: %s", w->queue, strerror(errno));
				atomic_store(&d->tun_lost, true);
				kill(getpid(), SIGUSR2);
				worker_flush(w); /* fails and counts: the tun is gone */
				return NULL;
			}
			worker_packet(w, &vh, (size_t)r);
		}
		worker_flush(w);
	}
	return NULL;
}

static int start_workers(struct daemon *d)
{
	char offloads[64];

	log_info("offloads: %s", tunif_offload_str(&d->tun, offloads, sizeof(offloads)));
	if (!d->workers)
		d->workers = calloc(d->nworkers, sizeof(*d->workers));
	if (!d->workers) {
		log_err("out of memory");
		return -1;
	}
	for (unsigned i = 0; i < d->nworkers; i++) {
		struct worker *w = &d->workers[i];

		w->d = d;
		w->queue = (int)i;
		w->tun = &d->tun;
		w->ctx.cfg = &atomic_load(&d->live)->x;
		w->ctx.nat = d->nat;
		w->ctx.frags = d->frags;
		w->ctx.synhold = d->synhold;
		w->ctx.ipv4_id_next = (uint16_t)random_seed(); /* RFC 7915 §5.1, RFC 7739 */
		w->ctx.ctr = &w->ctr;
		w->can_coalesce = tunif_can_write_uso(&d->tun);
		coalesce_init(&w->co);
		int e = pthread_create(&w->thread, NULL, worker_main, w);

		if (e) {
			log_err("starting worker %u: %s", i, strerror(e));
			return -1;
		}
		d->nstarted++;
	}
	return 0;
}

static void stop_workers(struct daemon *d)
{
	atomic_store(&d->stop, true);
	for (unsigned i = 0; i < d->nstarted; i++)
		pthread_join(d->workers[i].thread, NULL);
	d->nstarted = 0;
}

/* Counters are written by workers without atomics; a read here may see a
 * value one packet old, which is fine for reporting. */
static void sum_counters(const struct daemon *d, struct tun64_counters *sum)
{
	memset(sum, 0, sizeof(*sum));
	for (unsigned i = 0; d->workers && i < d->nworkers; i++)
		for (int dir = 0; dir < DIR_MAX; dir++)
			for (int c = 0; c < CTR_MAX; c++)
				sum->v[dir][c] += d->workers[i].ctr.v[dir][c];
}

static void log_counters(const struct daemon *d)
{
	struct tun64_counters sum;
	struct nat64_stats st = {0};

	sum_counters(d, &sum);
	for (int dir = 0; dir < DIR_MAX; dir++)
		for (int c = 0; c < CTR_MAX; c++)
			if (sum.v[dir][c])
				log_info("counter %s %s %llu", dir_name((enum tun64_dir)dir),
				         counter_name((enum tun64_counter)c),
				         (unsigned long long)sum.v[dir][c]);
	if (d->nat) {
		nat64_get_stats(d->nat, &st);
		log_info("state: bib tcp %llu udp %llu icmp %llu, sessions tcp %llu udp %llu "
		         "icmp %llu",
		         (unsigned long long)st.bib[0], (unsigned long long)st.bib[1],
		         (unsigned long long)st.bib[2], (unsigned long long)st.sessions[0],
		         (unsigned long long)st.sessions[1], (unsigned long long)st.sessions[2]);
	}
}

/* systemd Type=notify without libsystemd: one datagram to $NOTIFY_SOCKET. */
static void sd_notify_ready(void)
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

static struct routes *setup_routes(const struct daemon *d)
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
static int setup_masquerade(const struct daemon *d)
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

static void remove_masquerade(const struct daemon *d)
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
static int drop_privileges(struct daemon *d, bool sock_dir_made)
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

static uint64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* state-file at start: a missing file is a first start; an unreadable or
 * corrupt one costs the sessions, never the start. */
static void state_restore(struct nat64 *nat, const char *path)
{
	struct nat64_import_stats st = {0};
	char err[256];
	FILE *f = fopen(path, "re");

	if (!f) {
		if (errno != ENOENT)
			log_warn("state-file %s: %s; starting with no sessions", path,
			         strerror(errno));
		return;
	}
	if (state_file_restore(f, nat, now_ms(), wall_ms(), &st, err, sizeof(err)) < 0)
		log_warn("state-file %s: %s; starting with no sessions", path, err);
	else
		log_info("state-file %s: restored %llu sessions, %llu BIB entries; refused "
		         "%llu outside pool4, %llu taken, %llu over limits, %llu not allowed, "
		         "%llu expired, %llu duplicate, %llu invalid",
		         path, (unsigned long long)st.sessions, (unsigned long long)st.bib,
		         (unsigned long long)st.outside_pool4, (unsigned long long)st.taken,
		         (unsigned long long)st.limit, (unsigned long long)st.not_allowed,
		         (unsigned long long)st.expired, (unsigned long long)st.duplicate,
		         (unsigned long long)st.invalid);
	fclose(f);
}

/* state-file at exit and every state-save-interval seconds: write FILE.tmp
 * (mode 0600: it lists clients), fsync, rename over FILE, so a crash half
 * way leaves the previous file whole. periodic: log success at debug level
 * only. */
static void state_save(struct nat64 *nat, const char *path, bool periodic)
{
	char tmp[PATH_MAX + 8];
	size_t n = 0;
	FILE *f = NULL;
	int rc = -1, fd;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		log_warn("state-file %s: name too long; sessions not saved", path);
		return;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd >= 0)
		f = fdopen(fd, "w");
	if (f) {
		rc = state_file_write(f, nat, now_ms(), wall_ms(), &n);
		if (rc == 0 && fsync(fd) < 0)
			rc = -1;
		if (fclose(f) != 0)
			rc = -1;
	} else if (fd >= 0) {
		close(fd);
	}
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -1;
	if (rc < 0) {
		log_warn("state-file %s: %s; sessions not saved", path, strerror(errno));
		unlink(tmp);
		return;
	}
	if (periodic)
		log_debug("state-file %s: saved %zu sessions", path, n);
	else
		log_info("state-file %s: saved %zu sessions", path, n);
}

/* Wait (bounded) until every worker has loaded the current live config, so
 * the retired one is no longer read and can be freed. Workers pass the top of
 * their loop at least every WORKER_POLL_MS. */
static bool workers_caught_up(struct daemon *d)
{
	unsigned gen = atomic_load(&d->gen);

	for (int tries = 0; tries < 50; tries++) {
		bool all = true;

		for (unsigned i = 0; i < d->nstarted; i++)
			if (atomic_load(&d->workers[i].seen_gen) != gen)
				all = false;
		if (all)
			return true;
		usleep(20000);
	}
	return false;
}

/* SIGHUP / tun64ctl reload: read the configuration again and apply it
 * without dropping sessions. A file with an error, or a change that needs a
 * restart, is refused whole and the running configuration stays. */
static int reload(struct daemon *d, char *msg, size_t msglen)
{
	struct tun64_config *nc = malloc(sizeof(*nc));
	struct nat64_config ncfg;
	struct live *nl;
	const char *key;

	if (!nc) {
		snprintf(msg, msglen, "reload: out of memory");
		return -1;
	}
	if (load_config(nc, &d->cli, msg, msglen) < 0)
		goto refuse;
	key = config_needs_restart(d->cfg, nc);
	if (key) {
		snprintf(msg, msglen, "%s: changing it needs a restart; configuration not reloaded",
		         key);
		goto refuse;
	}
	if (!workers_caught_up(d)) {
		snprintf(msg, msglen, "reload: workers busy, try again");
		goto refuse;
	}
	live_free(d->retired);
	d->retired = NULL;
	nl = live_new(nc, msg, msglen);
	if (!nl)
		goto refuse;
	if (d->nat) {
		fill_nat64_config(nc, &ncfg);
		if (nat64_reconfigure(d->nat, &ncfg) < 0) {
			snprintf(msg, msglen, "reload: the NAT64 tables refused the new settings");
			live_free(nl);
			goto refuse;
		}
	}
	d->retired = atomic_exchange(&d->live, nl);
	atomic_fetch_add(&d->gen, 1);
	free(d->cfg);
	d->cfg = nc;
	log_set_level(nc->log_level);
	snprintf(msg, msglen, "configuration reloaded");
	return 0;
refuse:
	free(nc);
	return -1;
}

static void reload_and_log(struct daemon *d, const char *why)
{
	char msg[CONFIG_ERRLEN + 64];

	if (reload(d, msg, sizeof(msg)) < 0)
		log_err("%s: %s", why, msg);
	else
		log_info("%s: %s", why, msg);
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
	v.cfg = d->cfg;
	v.nat = d->nat;
	sum_counters(d, &v.counters);
	v.tun_name = d->tun.name;
	v.workers = d->nstarted;
	v.routes_installed = d->cfg->routes;
	v.offloads = tunif_offload_str(&d->tun, offloads, sizeof(offloads));
	v.uptime_s = (now_ms() - d->started_ms) / 1000;
	f = open_memstream(&ans, &ans_len);
	if (f) {
		char msg[CONFIG_ERRLEN + 64];

		if (strncmp(req, "reload", 6) == 0) {
			int rc = reload(d, msg, sizeof(msg));

			fprintf(f, "%s%s\n", rc < 0 ? "error: " : "", msg);
			log_msg(rc < 0 ? LOG_LVL_ERROR : LOG_LVL_INFO, "tun64ctl reload: %s", msg);
		} else

			control_answer(req, &v, f);
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

/* The tun was deleted from outside: stop the workers, open it again (a new
 * link), put link state and routes back, start the workers. The NAT64 tables
 * are untouched, so live sessions carry on once packets flow again. */
static int recreate_tun(struct daemon *d)
{
	char err[512];

	log_warn("%s went away: re-creating it", d->tun.name);
	stop_workers(d);
	tunif_close(&d->tun);
	atomic_store(&d->tun_lost, false);
	atomic_store(&d->stop, false);
	if (tunif_open_offload(&d->tun, d->cfg->tun_device, (int)d->nworkers, d->cfg->offload, err,
	                       sizeof(err)) < 0) {
		log_err("%s: cannot go on", err);
		return -1;
	}
	if (d->cfg->persist && tunif_set_persist(&d->tun, true, err, sizeof(err)) < 0)
		log_warn("%s", err);
	if (d->routes && routes_heal(d->routes, err, sizeof(err)) < 0) {
		log_err("%s: cannot go on", err);
		return -1;
	}
	if (start_workers(d) < 0)
		return -1;
	log_info("%s re-created; translating again", d->tun.name);
	return 0;
}

/* Main thread: signals, netlink monitor, expiry timer. Returns exit status. */
static int main_loop(struct daemon *d, int sfd)
{
	int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	struct itimerspec its = {.it_interval = {1, 0}, .it_value = {1, 0}};
	uint64_t saved_ms = now_ms();
	int status = 0;

	if (tfd < 0 || timerfd_settime(tfd, 0, &its, NULL) < 0) {
		log_err("timerfd: %s", strerror(errno));
		return 1;
	}
	for (;;) {
		struct pollfd pfd[4] = {
		    {.fd = sfd, .events = POLLIN},
		    {.fd = tfd, .events = POLLIN},
		    {.fd = d->routes ? routes_monitor_fd(d->routes) : -1, .events = POLLIN},
		    {.fd = d->control_fd, .events = POLLIN},
		};

		if (poll(pfd, 4, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_err("poll: %s", strerror(errno));
			status = 1;
			break;
		}
		if (pfd[0].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
				if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
					log_info("signal %s: stopping",
					         si.ssi_signo == SIGTERM ? "TERM" : "INT");
					break;
				}
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
			if (d->nat)
				nat64_expire(d->nat, now_ms());
			if (d->nat && d->cfg->state_file[0] && d->cfg->state_save_interval &&
			    now_ms() - saved_ms >= (uint64_t)d->cfg->state_save_interval * 1000) {
				state_save(d->nat, d->cfg->state_file, true);
				saved_ms = now_ms();
			}
		}
		if (pfd[2].revents & POLLIN) {
			int changed = routes_monitor_read(d->routes);

			if (changed > 0) {
				char err[512];

				if (routes_heal(d->routes, err, sizeof(err)) < 0)
					log_err("%s", err);
			}
		}
		if (pfd[3].revents & POLLIN)
			serve_control(d);
	}
	close(tfd);
	return status;
}

int main(int argc, char **argv)
{
	static struct daemon d;
	struct nat64_config ncfg;
	char err[CONFIG_ERRLEN + 64];
	sigset_t mask;
	bool sock_dir_made;
	int sfd, r, status;

	r = parse_cli(argc, argv, &d.cli);
	if (r != 0)
		return r > 0 ? 0 : 1;
	d.cfg = malloc(sizeof(*d.cfg));
	if (!d.cfg) {
		fprintf(stderr, "tun64d: out of memory\n");
		return 1;
	}
	if (load_config(d.cfg, &d.cli, err, sizeof(err)) < 0) {
		fprintf(stderr, "tun64d: %s\n", err);
		return 1;
	}
	if (privs_resolve(&d.privs, d.cfg->user, d.cfg->group, err, sizeof(err)) < 0) {
		fprintf(stderr, "tun64d: %s\n", err);
		return 1;
	}
	if (d.cli.check) {
		config_print(d.cfg, stdout);
		return 0;
	}
	if (d.cli.translate_in)
		return pcap_translate(d.cfg, d.cli.translate_in, d.cli.translate_out, stdout);
	log_set_level(d.cfg->log_level);

	/* Signals go to the main thread's signalfd; workers inherit the mask. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGUSR1);
	sigaddset(&mask, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sfd < 0) {
		log_err("signalfd: %s", strerror(errno));
		return 1;
	}

	atomic_store(&d.live, live_new(d.cfg, err, sizeof(err)));
	if (!atomic_load(&d.live)) {
		log_err("%s", err);
		return 1;
	}
	if (d.cfg->mode == XLAT_STATEFUL) {
		fill_nat64_config(d.cfg, &ncfg);
		ncfg.seed = random_seed();
		d.nat = nat64_new(&ncfg);
		if (!d.nat) {
			log_err("cannot create the NAT64 tables (max-sessions %llu)",
			        (unsigned long long)ncfg.max_sessions);
			return 1;
		}
		d.frags = frag_table_new(random_seed());
		d.synhold = synhold_new(0);
		if (!d.frags || !d.synhold) {
			log_err("cannot create the fragment and SYN tables: out of memory");
			return 1;
		}
		if (d.cfg->state_file[0])
			state_restore(d.nat, d.cfg->state_file);
	}

	d.nworkers = d.cfg->workers ? d.cfg->workers : cpu_count();
	if (d.nworkers > TUNIF_MAX_QUEUES)
		d.nworkers = TUNIF_MAX_QUEUES;

	if (tunif_open_offload(&d.tun, d.cfg->tun_device, (int)d.nworkers, d.cfg->offload, err,
	                       sizeof(err)) < 0) {
		log_err("%s", err);
		nat64_free(d.nat);
		return 1;
	}
	if (d.cfg->persist && tunif_set_persist(&d.tun, true, err, sizeof(err)) < 0)
		log_warn("%s", err);
	d.routes = setup_routes(&d);
	if (!d.routes) {
		tunif_close(&d.tun);
		nat64_free(d.nat);
		return 1;
	}
	if (setup_masquerade(&d) < 0) {
		routes_teardown(d.routes);
		tunif_close(&d.tun);
		nat64_free(d.nat);
		return 1;
	}
	sock_dir_made = !privs_socket_dir_exists(d.cfg->control_socket);
	d.control_fd = control_listen(d.cfg->control_socket, err, sizeof(err));
	if (d.control_fd < 0)
		log_warn("%s: tun64ctl will not reach this daemon", err);
	d.started_ms = now_ms();
	if (drop_privileges(&d, sock_dir_made) < 0 || start_workers(&d) < 0) {
		stop_workers(&d);
		control_close(d.control_fd, d.cfg->control_socket);
		remove_masquerade(&d);
		routes_teardown(d.routes);
		tunif_close(&d.tun);
		nat64_free(d.nat);
		return 1;
	}
	{
		char p6[INET6_ADDRSTRLEN + 4];

		addr6_str(d.cfg->prefix.addr, p6, sizeof(p6));
		log_info("%s mode on %s, prefix %s/%u, %zu pool4 range(s), %u worker(s)",
		         d.cfg->mode == XLAT_STATEFUL ? "stateful" : "stateless", d.tun.name, p6,
		         d.cfg->prefix.len, d.cfg->n_pool4, d.nworkers);
	}
	log_info("ready");
	sd_notify_ready();

	status = main_loop(&d, sfd);

	stop_workers(&d);
	log_counters(&d);
	control_close(d.control_fd, d.cfg->control_socket);
	remove_masquerade(&d);
	routes_teardown(d.routes);
	if (!d.cfg->persist && d.tun.existed)
		log_info("%s existed before tun64d started: left in place", d.tun.name);
	tunif_close(&d.tun);
	if (d.nat && d.cfg->state_file[0])
		state_save(d.nat, d.cfg->state_file, false);
	nat64_free(d.nat);
	frag_table_free(d.frags);
	synhold_free(d.synhold);
	free(d.workers);
	live_free(d.retired);
	live_free(atomic_load(&d.live));
	free(d.cfg);
	close(sfd);
	log_info("stopped");
	return status;
}
