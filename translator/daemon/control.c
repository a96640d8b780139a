/* SPDX-License-Identifier: BSD-2-Clause */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "control.h"

/* Ten times 100 ms: how long a dying daemon may keep the socket. */
#define CONTROL_LISTEN_TRIES 10

int control_listen(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	char dir[sizeof(sun.sun_path)];
	char *slash;
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "control-socket: path too long: %s", path);
		return -1;
	}
	strcpy(sun.sun_path, path);
	strcpy(dir, path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0750) < 0 && errno != EEXIST) {
			snprintf(err, errlen, "control-socket: mkdir %s: %s", dir, strerror(errno));
			return -1;
		}
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		snprintf(err, errlen, "control-socket: %s", strerror(errno));
		return -1;
	}
	/* A socket file left by a daemon that died: nobody listens on it. One
	 * that is dying may still listen for a moment (an engine whose parent
	 * was killed goes with it, PR_SET_PDEATHSIG): ask again for up to 1 s
	 * before calling it another tun64d. */
	for (int tries = 0; connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0; tries++) {
		close(fd);
		if (tries == CONTROL_LISTEN_TRIES) {
			snprintf(err, errlen, "control-socket: %s: another tun64d is running",
			         path);
			return -1;
		}
		nanosleep(&(struct timespec){.tv_nsec = 100 * 1000 * 1000}, NULL);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0) {
			snprintf(err, errlen, "control-socket: %s", strerror(errno));
			return -1;
		}
	}
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 || chmod(path, 0660) < 0 ||
	    listen(fd, 8) < 0) {
		snprintf(err, errlen, "control-socket: %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

void control_close(int fd, const char *path)
{
	if (fd >= 0) {
		close(fd);
		unlink(path);
	}
}

static const char *proto_name(uint8_t p)
{
	return p == IPPROTO_TCP ? "tcp" : p == IPPROTO_UDP ? "udp" : "icmp";
}

#define USE_MAX 64 /* POOL4_MAX_RANGES */

static const char *const PROTO_NAMES[3] = {"tcp", "udp", "icmp"};

/* Stateful only: stateless mode has no pool4 to show. */
static void print_pool4_use(struct nat64 *nat, FILE *f)
{
	struct nat64_range_use u[USE_MAX];
	size_t n = nat64_pool4_ranges(nat, u, USE_MAX);
	uint64_t used[3] = {0}, total[3] = {0};
	char a4[INET_ADDRSTRLEN];

	for (size_t i = 0; i < n; i++) {
		fprintf(f, "pool4     %s/%u ports %u-%u  used",
		        addr4_str(u[i].range.addr, a4, sizeof(a4)), u[i].range.len,
		        u[i].range.port_lo, u[i].range.port_hi);
		for (int p = 0; p < 3; p++) {
			fprintf(f, " %s %llu/%llu", PROTO_NAMES[p],
			        (unsigned long long)u[i].used[p],
			        (unsigned long long)u[i].total[p]);
			used[p] += u[i].used[p];
			total[p] += u[i].total[p];
		}
		fputc('\n', f);
	}
	fprintf(f, "pool4 use");
	for (int p = 0; p < 3; p++)
		fprintf(f, " %s %llu/%llu", PROTO_NAMES[p], (unsigned long long)used[p],
		        (unsigned long long)total[p]);
	fputc('\n', f);
}

static void json_pool4_use(struct nat64 *nat, FILE *f)
{
	struct nat64_range_use u[USE_MAX];
	size_t n = nat64_pool4_ranges(nat, u, USE_MAX);
	char a4[INET_ADDRSTRLEN];

	for (size_t i = 0; i < n; i++) {
		fprintf(f, "%s{\"prefix\":\"%s/%u\",\"ports\":\"%u-%u\"", i ? "," : "",
		        addr4_str(u[i].range.addr, a4, sizeof(a4)), u[i].range.len,
		        u[i].range.port_lo, u[i].range.port_hi);
		for (int p = 0; p < 3; p++)
			fprintf(f, ",\"%s_used\":%llu,\"%s_total\":%llu", PROTO_NAMES[p],
			        (unsigned long long)u[i].used[p], PROTO_NAMES[p],
			        (unsigned long long)u[i].total[p]);
		fputc('}', f);
	}
}

bool control_pool4_fill(struct nat64 *nat, uint64_t *used, uint64_t *total)
{
	struct nat64_range_use u[USE_MAX];
	size_t n = nat64_pool4_ranges(nat, u, USE_MAX);
	uint64_t su[3] = {0}, st[3] = {0};
	int worst = -1;

	for (size_t i = 0; i < n; i++)
		for (int p = 0; p < 3; p++) {
			su[p] += u[i].used[p];
			st[p] += u[i].total[p];
		}
	for (int p = 0; p < 3; p++)
		if (st[p] && (worst < 0 || su[p] * st[worst] > su[worst] * st[p]))
			worst = p;
	if (worst < 0)
		return false;
	*used = su[worst];
	*total = st[worst];
	return true;
}

/* sessions delete client ADDR6[/LEN] | pool4 ADDR4 | all */
static int answer_delete(const struct control_view *v, const char *request, FILE *f)
{
	struct nat64_delete_filter flt = {.by = NAT64_DEL_ALL};
	char what[16] = "", arg[INET6_ADDRSTRLEN + 8] = "";
	size_t n;

	if (!v->nat) {
		fprintf(f, "error: stateless mode has no sessions\n");
		return -1;
	}
	sscanf(request, "%*s %*s %15s %49s", what, arg);
	if (strcmp(what, "client") == 0) {
		flt.by = NAT64_DEL_CLIENT;
		if (prefix6_parse(arg, &flt.client) < 0) {
			fprintf(f,
			        "error: sessions delete: '%s' is not an IPv6 address or prefix\n",
			        arg);
			return -1;
		}
	} else if (strcmp(what, "pool4") == 0) {
		flt.by = NAT64_DEL_POOL4;
		if (addr4_parse(arg, &flt.addr4) < 0) {
			fprintf(f, "error: sessions delete: '%s' is not an IPv4 address\n", arg);
			return -1;
		}
	} else if (strcmp(what, "all") != 0) {
		fprintf(f, "error: sessions delete: give --client ADDR6, --pool4 ADDR4 or --all\n");
		return -1;
	}
	n = nat64_delete(v->nat, &flt);
	fprintf(f, "%zu session(s) deleted\n", n);
	return 0;
}

static void answer_status(const struct control_view *v, bool json, FILE *f)
{
	const struct tun64_config *c = v->cfg;
	char p6[INET6_ADDRSTRLEN + 4];
	const char *mode = c->mode == XLAT_STATEFUL ? "stateful" : "stateless";

	config_prefix_str(c, p6, sizeof(p6)); /* "ADDR/LEN" or "none" */
	if (json) {
		fprintf(f,
		        "{\"mode\":\"%s\",\"prefix\":\"%s\",\"tun\":\"%s\",\"workers\":%u,"
		        "\"routes\":%s,\"uptime\":%llu,\"pool4\":[",
		        mode, p6, v->tun_name, v->workers, v->routes_installed ? "true" : "false",
		        (unsigned long long)v->uptime_s);
		if (v->nat)
			json_pool4_use(v->nat, f);
		fputc(']', f);
		fprintf(f, ",\"withdrawn\":%s", v->withdrawn ? "true" : "false");
		if (v->nat)
			fprintf(f, ",\"max_sessions\":%llu", (unsigned long long)v->max_sessions);
		if (v->offloads)
			fprintf(f, ",\"offloads\":\"%s\"", v->offloads);
		if (v->nat) {
			struct nat64_stats st;

			nat64_get_stats(v->nat, &st);
			fprintf(f,
			        ",\"bib\":{\"tcp\":%llu,\"udp\":%llu,\"icmp\":%llu},"
			        "\"sessions\":{\"tcp\":%llu,\"udp\":%llu,\"icmp\":%llu},"
			        "\"clients\":%llu",
			        (unsigned long long)st.bib[0], (unsigned long long)st.bib[1],
			        (unsigned long long)st.bib[2], (unsigned long long)st.sessions[0],
			        (unsigned long long)st.sessions[1],
			        (unsigned long long)st.sessions[2], (unsigned long long)st.clients);
			if (c->pool4_block_size)
				fprintf(f,
				        ",\"blocks\":{\"tcp\":%llu,\"udp\":%llu,\"icmp\":%llu,"
				        "\"size\":%u}",
				        (unsigned long long)st.blocks[0],
				        (unsigned long long)st.blocks[1],
				        (unsigned long long)st.blocks[2], c->pool4_block_size);
		}
		fprintf(f, "}\n");
		return;
	}
	fprintf(f, "mode      %s\nprefix    %s\ntun       %s\nworkers   %u\n", mode, p6,
	        v->tun_name, v->workers);
	if (v->offloads)
		fprintf(f, "offloads  %s\n", v->offloads);
	fprintf(f, "routes    %s\nuptime    %llus\n", v->routes_installed ? "installed" : "no",
	        (unsigned long long)v->uptime_s);
	if (v->withdrawn)
		fprintf(f, "service   withdrawn (tun64ctl restore puts it back)\n");
	if (v->nat)
		print_pool4_use(v->nat, f);
	if (v->nat) {
		struct nat64_stats st;

		nat64_get_stats(v->nat, &st);
		fprintf(f, "max-sessions %llu, in use %llu\n", (unsigned long long)v->max_sessions,
		        (unsigned long long)(st.sessions[0] + st.sessions[1] + st.sessions[2]));
		fprintf(f, "bib       tcp %llu udp %llu icmp %llu\n", (unsigned long long)st.bib[0],
		        (unsigned long long)st.bib[1], (unsigned long long)st.bib[2]);
		fprintf(f, "sessions  tcp %llu udp %llu icmp %llu\n",
		        (unsigned long long)st.sessions[0], (unsigned long long)st.sessions[1],
		        (unsigned long long)st.sessions[2]);
		fprintf(f, "clients   %llu (IPv6 /64s with sessions)\n",
		        (unsigned long long)st.clients);
		if (c->pool4_block_size)
			fprintf(f, "blocks    tcp %llu udp %llu icmp %llu (%u ports each)\n",
			        (unsigned long long)st.blocks[0], (unsigned long long)st.blocks[1],
			        (unsigned long long)st.blocks[2], c->pool4_block_size);
	}
}

/* The early-drop counts (evict-unconfirmed-*), by the new flow's direction,
 * and the sessions ended by a reload or on request. */
static void add_evictions(struct nat64 *nat, struct tun64_counters *c)
{
	static const enum tun64_counter ctr[3] = {CTR_EVICT_TCP, CTR_EVICT_UDP, CTR_EVICT_ICMP};
	static const enum tun64_dir dir[2] = {DIR_6TO4, DIR_4TO6};
	struct nat64_stats st;

	nat64_get_stats(nat, &st);
	for (int d = 0; d < 2; d++)
		for (int p = 0; p < 3; p++)
			c->v[dir[d]][ctr[p]] += st.evicted_by_dir[d][p];
	c->v[DIR_6TO4][CTR_ENDED_POOL4_REMOVED] += st.ended_pool4_removed;
	c->v[DIR_6TO4][CTR_SESSIONS_DELETED] += st.deleted;
}

/* The tc fast path's counters (as fastpath_counter_name() names them),
 * with fastpath.translated, both directions, first. */
static void answer_fastpath(const struct fastpath_view *fp, bool json, bool explain, FILE *f)
{
	unsigned long long total = 0;

	if (fp->n < 2)
		return;
	total = (unsigned long long)(fp->values[0] + fp->values[1]);
	for (size_t i = 0; i <= fp->n; i++) {
		const char *name = i ? fp->names[i - 1] : "fastpath.translated";
		unsigned long long n = i ? (unsigned long long)fp->values[i - 1] : total;

		if (json)
			fprintf(f, ",\"%s\":%llu", name, n);
		else if (explain)
			fprintf(f, "%-4s %-28s %12llu  %s\n", "bpf", name, n,
			        i ? fp->meanings[i - 1]
			          : "packets the tc fast path translated, both directions");
		else
			fprintf(f, "%-4s %-28s %12llu\n", "bpf", name, n);
	}
}

/* Every counter, zero or not, so scripts can rely on the names. */
static void answer_stats(const struct control_view *v, bool json, bool explain, FILE *f)
{
	struct tun64_counters all = v->counters;

	if (v->nat) /* early drop is counted by the table, not the workers */
		add_evictions(v->nat, &all);
	if (json)
		fputc('{', f);
	for (int d = 0; d < DIR_MAX; d++) {
		for (int c = 0; c < CTR_MAX; c++) {
			const char *name = counter_name((enum tun64_counter)c);
			unsigned long long n = (unsigned long long)all.v[d][c];

			if (json)
				fprintf(f, "%s\"%s.%s\":%llu", d || c ? "," : "",
				        dir_name((enum tun64_dir)d), name, n);
			else if (explain)
				fprintf(f, "%-4s %-28s %12llu  %s\n", dir_name((enum tun64_dir)d),
				        name, n, counter_meaning((enum tun64_counter)c));
			else
				fprintf(f, "%-4s %-28s %12llu\n", dir_name((enum tun64_dir)d), name,
				        n);
		}
	}
	answer_fastpath(&v->fastpath, json, explain, f);
	if (json)
		fputs("}\n", f);
}

struct session_print {
	FILE *f;
	bool json;
	bool first;
	uint64_t now_ms, now_wall_ms; /* control_view's */
};

/* Days since 1970-01-01 to a civil date (proleptic Gregorian), after
 * Howard Hinnant's days_from_civil inverse; valid for any day >= 0. */
static void civil_from_days(uint64_t z, unsigned *y, unsigned *m, unsigned *d)
{
	uint64_t era, doe, yoe, doy, mp;

	z += 719468; /* days from 0000-03-01 to 1970-01-01 */
	era = z / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = (unsigned)(yoe + era * 400 + (*m <= 2));
}

void iso8601_utc(uint64_t ms, char *buf, size_t len)
{
	uint64_t s = ms / 1000, sod = s % 86400;
	unsigned y, m, d;

	civil_from_days(s / 86400, &y, &m, &d);
	snprintf(buf, len, "%04u-%02u-%02uT%02u:%02u:%02u.%03uZ", y, m, d, (unsigned)(sod / 3600),
	         (unsigned)(sod / 60 % 60), (unsigned)(sod % 60), (unsigned)(ms % 1000));
}

/* A monotonic time as wall-clock ms, through the view's pair of clocks. */
static uint64_t wall_ms(const struct session_print *p, uint64_t mono_ms)
{
	int64_t delta = (int64_t)(mono_ms - p->now_ms);

	return (uint64_t)((int64_t)p->now_wall_ms + delta);
}

static int print_session(const struct nat64_session_info *s, void *arg)
{
	struct session_print *p = arg;
	char a6[INET6_ADDRSTRLEN], a4[INET_ADDRSTRLEN], r4[INET_ADDRSTRLEN];
	char created[32], expires[32];
	/* Whole seconds: the age rounded down, the time left up (a session
	 * with 0.2 s left is not gone yet). */
	unsigned long long age =
	    s->created_ms <= p->now_ms ? (p->now_ms - s->created_ms) / 1000 : 0;
	unsigned long long left =
	    s->expires_ms > p->now_ms ? (s->expires_ms - p->now_ms + 999) / 1000 : 0;

	addr6_str(s->addr6, a6, sizeof(a6));
	addr4_str(s->addr4, a4, sizeof(a4));
	addr4_str(s->remote4, r4, sizeof(r4));
	if (p->json) {
		iso8601_utc(wall_ms(p, s->created_ms), created, sizeof(created));
		iso8601_utc(wall_ms(p, s->expires_ms), expires, sizeof(expires));
		fprintf(p->f,
		        "%s{\"proto\":\"%s\",\"ipv6\":\"%s\",\"ipv6_port\":%u,\"ipv4\":\"%s\","
		        "\"ipv4_port\":%u,\"remote\":\"%s\",\"remote_port\":%u,\"state\":\"%s\","
		        "\"expires_ms\":%llu,\"age_s\":%llu,\"expires_in_s\":%llu,"
		        "\"created\":\"%s\",\"expires\":\"%s\",\"packets_6to4\":%llu,"
		        "\"bytes_6to4\":%llu,\"packets_4to6\":%llu,\"bytes_4to6\":%llu}",
		        p->first ? "" : ",", proto_name(s->proto), a6, s->port6, a4, s->port4, r4,
		        s->rport4, nat64_tcp_state_name(s->state),
		        (unsigned long long)s->expires_ms, age, left, created, expires,
		        (unsigned long long)s->packets[NAT64_DIR_6TO4],
		        (unsigned long long)s->bytes[NAT64_DIR_6TO4],
		        (unsigned long long)s->packets[NAT64_DIR_4TO6],
		        (unsigned long long)s->bytes[NAT64_DIR_4TO6]);
	} else {
		fprintf(p->f, "%-4s %s#%u  %s#%u  %s#%u  %s  %llus  %llus  %llu/%llu  %llu/%llu\n",
		        proto_name(s->proto), a6, s->port6, a4, s->port4, r4, s->rport4,
		        nat64_tcp_state_name(s->state), age, left,
		        (unsigned long long)s->packets[NAT64_DIR_6TO4],
		        (unsigned long long)s->packets[NAT64_DIR_4TO6],
		        (unsigned long long)s->bytes[NAT64_DIR_6TO4],
		        (unsigned long long)s->bytes[NAT64_DIR_4TO6]);
	}
	p->first = false;
	return 0;
}

static void answer_sessions(const struct control_view *v, bool json, FILE *f)
{
	struct session_print p = {.f = f,
	                          .json = json,
	                          .first = true,
	                          .now_ms = v->now_ms,
	                          .now_wall_ms = v->now_wall_ms};

	if (json)
		fputc('[', f);
	else
		fprintf(f, "%-4s %s  %s  %s  %s  %s  %s  %s  %s\n", "prot", "ipv6#port",
		        "pool4#port", "remote#port", "state", "age", "expires-in",
		        "packets-6to4/4to6", "bytes-6to4/4to6");
	if (v->nat)
		nat64_foreach_session(v->nat, print_session, &p);
	if (json)
		fputs("]\n", f);
}

static int print_bib(const struct nat64_bib_info *b, void *arg)
{
	struct session_print *p = arg;
	char a6[INET6_ADDRSTRLEN], a4[INET_ADDRSTRLEN];

	addr6_str(b->addr6, a6, sizeof(a6));
	addr4_str(b->addr4, a4, sizeof(a4));
	if (p->json)
		fprintf(p->f,
		        "%s{\"proto\":\"%s\",\"ipv6\":\"%s\",\"ipv6_port\":%u,\"ipv4\":\"%s\","
		        "\"ipv4_port\":%u,\"sessions\":%u,\"static\":%s}",
		        p->first ? "" : ",", proto_name(b->proto), a6, b->port6, a4, b->port4,
		        b->n_sessions, b->is_static ? "true" : "false");
	else
		fprintf(p->f, "%-4s %s#%u  %s#%u  %u%s\n", proto_name(b->proto), a6, b->port6, a4,
		        b->port4, b->n_sessions, b->is_static ? "  static" : "");
	p->first = false;
	return 0;
}

static void answer_bib(const struct control_view *v, bool json, FILE *f)
{
	struct session_print p = {.f = f, .json = json, .first = true};

	if (json)
		fputc('[', f);
	else
		fprintf(f, "%-4s %s  %s  %s\n", "prot", "ipv6#port", "pool4#port", "sessions");
	if (v->nat)
		nat64_foreach_bib(v->nat, print_bib, &p);
	if (json)
		fputs("]\n", f);
}

static int print_block(const struct nat64_block_info *b, void *arg)
{
	struct session_print *p = arg;
	char a6[INET6_ADDRSTRLEN], a4[INET_ADDRSTRLEN];

	addr6_str(b->addr6, a6, sizeof(a6));
	addr4_str(b->addr4, a4, sizeof(a4));
	if (p->json)
		fprintf(p->f,
		        "%s{\"proto\":\"%s\",\"ipv6\":\"%s\",\"ipv4\":\"%s\",\"port_first\":%u,"
		        "\"port_last\":%u,\"used\":%u}",
		        p->first ? "" : ",", proto_name(b->proto), a6, a4, b->first, b->last,
		        b->used);
	else
		fprintf(p->f, "%-4s %s  %s#%u-%u  %u\n", proto_name(b->proto), a6, a4, b->first,
		        b->last, b->used);
	p->first = false;
	return 0;
}

/* pool4-block-size: the port blocks each IPv6 address holds. */
static void answer_blocks(const struct control_view *v, bool json, FILE *f)
{
	struct session_print p = {.f = f, .json = json, .first = true};

	if (json)
		fputc('[', f);
	else
		fprintf(f, "%-4s %s  %s  %s\n", "prot", "ipv6", "pool4#ports", "used");
	if (v->nat)
		nat64_foreach_block(v->nat, print_block, &p);
	if (json)
		fputs("]\n", f);
}

int control_answer(const char *request, const struct control_view *v, FILE *f)
{
	char cmd[32] = "";
	bool json = strstr(request, " json") != NULL;
	bool explain = strstr(request, " explain") != NULL;

	sscanf(request, "%31s", cmd);
	if (strcmp(cmd, "status") == 0)
		answer_status(v, json, f);
	else if (strcmp(cmd, "stats") == 0)
		answer_stats(v, json, explain, f);
	else if (strcmp(cmd, "sessions") == 0 && strncmp(request, "sessions delete", 15) == 0)
		return answer_delete(v, request, f);
	else if (strcmp(cmd, "sessions") == 0)
		answer_sessions(v, json, f);
	else if (strcmp(cmd, "bib") == 0)
		answer_bib(v, json, f);
	else if (strcmp(cmd, "blocks") == 0)
		answer_blocks(v, json, f);
	else {
		fprintf(f, "error: unknown request '%s'\n", cmd);
		return -1;
	}
	return 0;
}
