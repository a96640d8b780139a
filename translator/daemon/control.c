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

static void answer_status(const struct control_view *v, bool json, FILE *f)
{
	const struct tun64_config *c = v->cfg;
	char p6[INET6_ADDRSTRLEN], a4[INET_ADDRSTRLEN];
	const char *mode = c->mode == XLAT_STATEFUL ? "stateful" : "stateless";

	addr6_str(c->prefix.addr, p6, sizeof(p6));
	if (json) {
		fprintf(f,
		        "{\"mode\":\"%s\",\"prefix\":\"%s/%u\",\"tun\":\"%s\",\"workers\":%u,"
		        "\"routes\":%s,\"uptime\":%llu,\"pool4\":[",
		        mode, p6, c->prefix.len, v->tun_name, v->workers,
		        v->routes_installed ? "true" : "false", (unsigned long long)v->uptime_s);
		for (size_t i = 0; i < c->n_pool4; i++)
			fprintf(f, "%s{\"prefix\":\"%s/%u\",\"ports\":\"%u-%u\"}", i ? "," : "",
			        addr4_str(c->pool4[i].addr, a4, sizeof(a4)), c->pool4[i].len,
			        c->pool4[i].port_lo, c->pool4[i].port_hi);
		fputc(']', f);
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
	fprintf(f, "mode      %s\nprefix    %s/%u\ntun       %s\nworkers   %u\n", mode, p6,
	        c->prefix.len, v->tun_name, v->workers);
	if (v->offloads)
		fprintf(f, "offloads  %s\n", v->offloads);
	fprintf(f, "routes    %s\nuptime    %llus\n", v->routes_installed ? "installed" : "no",
	        (unsigned long long)v->uptime_s);
	for (size_t i = 0; i < c->n_pool4; i++)
		fprintf(f, "pool4     %s/%u ports %u-%u\n",
		        addr4_str(c->pool4[i].addr, a4, sizeof(a4)), c->pool4[i].len,
		        c->pool4[i].port_lo, c->pool4[i].port_hi);
	if (v->nat) {
		struct nat64_stats st;

		nat64_get_stats(v->nat, &st);
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

/* The early-drop counts (evict-unconfirmed-*), by the new flow's direction. */
static void add_evictions(struct nat64 *nat, struct tun64_counters *c)
{
	static const enum tun64_counter ctr[3] = {CTR_EVICT_TCP, CTR_EVICT_UDP, CTR_EVICT_ICMP};
	static const enum tun64_dir dir[2] = {DIR_6TO4, DIR_4TO6};
	struct nat64_stats st;

	nat64_get_stats(nat, &st);
	for (int d = 0; d < 2; d++)
		for (int p = 0; p < 3; p++)
			c->v[dir[d]][ctr[p]] += st.evicted_by_dir[d][p];
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
	if (json)
		fputs("}\n", f);
}

struct session_print {
	FILE *f;
	bool json;
	bool first;
};

static int print_session(const struct nat64_session_info *s, void *arg)
{
	struct session_print *p = arg;
	char a6[INET6_ADDRSTRLEN], a4[INET_ADDRSTRLEN], r4[INET_ADDRSTRLEN];

	addr6_str(s->addr6, a6, sizeof(a6));
	addr4_str(s->addr4, a4, sizeof(a4));
	addr4_str(s->remote4, r4, sizeof(r4));
	if (p->json)
		fprintf(p->f,
		        "%s{\"proto\":\"%s\",\"ipv6\":\"%s\",\"ipv6_port\":%u,\"ipv4\":\"%s\","
		        "\"ipv4_port\":%u,\"remote\":\"%s\",\"remote_port\":%u,\"state\":\"%s\","
		        "\"expires_ms\":%llu}",
		        p->first ? "" : ",", proto_name(s->proto), a6, s->port6, a4, s->port4, r4,
		        s->rport4, nat64_tcp_state_name(s->state),
		        (unsigned long long)s->expires_ms);
	else
		fprintf(p->f, "%-4s %s#%u  %s#%u  %s#%u  %s\n", proto_name(s->proto), a6, s->port6,
		        a4, s->port4, r4, s->rport4, nat64_tcp_state_name(s->state));
	p->first = false;
	return 0;
}

static void answer_sessions(const struct control_view *v, bool json, FILE *f)
{
	struct session_print p = {.f = f, .json = json, .first = true};

	if (json)
		fputc('[', f);
	else
		fprintf(f, "%-4s %s  %s  %s  %s\n", "prot", "ipv6#port", "pool4#port",
		        "remote#port", "state");
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
