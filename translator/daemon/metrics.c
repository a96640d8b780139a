/* SPDX-License-Identifier: BSD-2-Clause */
/* The metrics in the Prometheus text exposition format 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/): one
 * "# HELP" and one "# TYPE" line per family, then its samples. Names follow
 * the Prometheus conventions: tun64_ prefix, base units, _total on counters.
 * Every counter of `tun64ctl stats` appears once: packet counts in
 * tun64_packets_total, translated-bytes in tun64_translated_bytes_total and
 * evict-unconfirmed-* in tun64_sessions_evicted_total. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "addr.h"
#include "metrics.h"

static const char *const PROTO[3] = {"tcp", "udp", "icmp"};

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static bool is_eviction(enum tun64_counter c)
{
	return c == CTR_EVICT_TCP || c == CTR_EVICT_UDP || c == CTR_EVICT_ICMP;
}

static void counters(const struct metrics_view *v, FILE *f)
{
	family(f, "tun64_packets_total", "counter",
	       "Packets by direction and tun64ctl stats counter (names as in tun64ctl stats).");
	for (int d = 0; d < DIR_MAX; d++)
		for (int c = 0; c < CTR_MAX; c++) {
			if (c == CTR_TRANSLATED_BYTES || is_eviction((enum tun64_counter)c))
				continue;
			fprintf(f, "tun64_packets_total{direction=\"%s\",counter=\"%s\"} %llu\n",
			        dir_name((enum tun64_dir)d), counter_name((enum tun64_counter)c),
			        (unsigned long long)ctr_load(&v->counters, (enum tun64_dir)d,
			                                     (enum tun64_counter)c));
		}
	family(f, "tun64_translated_bytes_total", "counter",
	       "Bytes of translated packets written to the tun, by direction.");
	for (int d = 0; d < DIR_MAX; d++)
		fprintf(f, "tun64_translated_bytes_total{direction=\"%s\"} %llu\n",
		        dir_name((enum tun64_dir)d),
		        (unsigned long long)ctr_load(&v->counters, (enum tun64_dir)d,
		                                     CTR_TRANSLATED_BYTES));
}

/* The tc fast path's counters, named as in tun64ctl stats without the
 * "fastpath." in front: translated-6to4, punted.no-session, ... */
static void fastpath(const struct fastpath_view *fp, FILE *f)
{
	if (fp->n == 0)
		return;
	family(f, "tun64_fastpath_packets_total", "counter",
	       "Packets the tc fast path translated, punted to tun64d (and why) or dropped "
	       "(names as in tun64ctl stats, without fastpath.).");
	for (size_t i = 0; i < fp->n; i++)
		fprintf(f, "tun64_fastpath_packets_total{counter=\"%s\"} %llu\n",
		        fp->names[i] + strlen("fastpath."), (unsigned long long)fp->values[i]);
}

static void tables(const struct metrics_view *v, FILE *f)
{
	struct nat64_stats st;
	uint64_t total = 0;

	nat64_get_stats(v->nat, &st);
	family(f, "tun64_sessions", "gauge", "Live NAT64 sessions by protocol.");
	for (int p = 0; p < 3; p++) {
		fprintf(f, "tun64_sessions{protocol=\"%s\"} %llu\n", PROTO[p],
		        (unsigned long long)st.sessions[p]);
		total += st.sessions[p];
	}
	family(f, "tun64_bib_entries", "gauge",
	       "NAT64 BIB entries (static and dynamic) by protocol.");
	for (int p = 0; p < 3; p++)
		fprintf(f, "tun64_bib_entries{protocol=\"%s\"} %llu\n", PROTO[p],
		        (unsigned long long)st.bib[p]);
	family(f, "tun64_clients", "gauge", "Client IPv6 /64s with at least one session.");
	fprintf(f, "tun64_clients %llu\n", (unsigned long long)st.clients);
	family(f, "tun64_sessions_max", "gauge",
	       "Effective max-sessions (all protocols); 0: no limit.");
	fprintf(f, "tun64_sessions_max %llu\n", (unsigned long long)v->max_sessions);
	family(f, "tun64_sessions_per_client_max", "gauge",
	       "Effective max-sessions-per-client (per IPv6 /64); 0: no limit.");
	fprintf(f, "tun64_sessions_per_client_max %llu\n",
	        (unsigned long long)v->max_sessions_per_client);
	family(f, "tun64_session_table_use_ratio", "gauge",
	       "Live sessions / max-sessions (0 without a limit).");
	fprintf(f, "tun64_session_table_use_ratio %.6f\n",
	        v->max_sessions ? (double)total / (double)v->max_sessions : 0.0);
	family(f, "tun64_sessions_evicted_total", "counter",
	       "Unconfirmed sessions dropped for a new flow at a session limit "
	       "(evict-unconfirmed-*), by the new flow's direction and protocol.");
	for (int d = 0; d < DIR_MAX; d++)
		for (int p = 0; p < 3; p++)
			fprintf(
			    f,
			    "tun64_sessions_evicted_total{direction=\"%s\",protocol=\"%s\"} %llu\n",
			    dir_name((enum tun64_dir)d), PROTO[p],
			    (unsigned long long)st.evicted_by_dir[d][p]);
}

/* pool4: one sample set per address, or per range for big ranges. The walk
 * is range, address, protocol; a big range's addresses are summed. */
struct pool4_walk {
	FILE *f;
	int pass; /* 0 ports, 1 used, 2 free: one family at a time */
	uint32_t range_addr;
	uint8_t range_len;
	bool open; /* sums[] holds a big range not yet written */
	uint64_t ports[3], used[3];
};

static void pool4_sample(struct pool4_walk *w, const char *label, int p, uint64_t ports,
                         uint64_t used)
{
	static const char *const NAME[3] = {"tun64_pool4_ports", "tun64_pool4_ports_used",
	                                    "tun64_pool4_ports_free"};
	uint64_t val = w->pass == 0 ? ports : w->pass == 1 ? used : ports - used;

	fprintf(w->f, "%s{address=\"%s\",protocol=\"%s\"} %llu\n", NAME[w->pass], label, PROTO[p],
	        (unsigned long long)val);
}

static void pool4_flush(struct pool4_walk *w)
{
	char a4[INET_ADDRSTRLEN], label[INET_ADDRSTRLEN + 4];

	if (!w->open)
		return;
	snprintf(label, sizeof(label), "%s/%u", addr4_str(w->range_addr, a4, sizeof(a4)),
	         w->range_len);
	for (int p = 0; p < 3; p++)
		pool4_sample(w, label, p, w->ports[p], w->used[p]);
	w->open = false;
}

static int pool4_one(const struct nat64_pool4_use *u, void *arg)
{
	struct pool4_walk *w = arg;
	int p = u->proto == IPPROTO_TCP ? 0 : u->proto == IPPROTO_UDP ? 1 : 2;
	char a4[INET_ADDRSTRLEN];

	if (u->range_len >= 32 - 8) { /* at most 256 addresses */
		pool4_flush(w);
		pool4_sample(w, addr4_str(u->addr, a4, sizeof(a4)), p, u->ports, u->used);
		return 0;
	}
	if (w->open && (w->range_addr != u->range_addr || w->range_len != u->range_len))
		pool4_flush(w);
	if (!w->open) {
		memset(w->ports, 0, sizeof(w->ports));
		memset(w->used, 0, sizeof(w->used));
		w->range_addr = u->range_addr;
		w->range_len = u->range_len;
		w->open = true;
	}
	w->ports[p] += u->ports;
	w->used[p] += u->used;
	return 0;
}

static void pool4(const struct metrics_view *v, FILE *f)
{
	static const char *const HELP[3][2] = {
	    {"tun64_pool4_ports", "pool4 (T,t) a pool4 address (or a range over 256 "
	                          "addresses, as PREFIX/LEN) can hand out, by protocol."},
	    {"tun64_pool4_ports_used", "pool4 ports held by a BIB entry."},
	    {"tun64_pool4_ports_free", "pool4 ports free (ports - used)."},
	};
	_Static_assert(METRICS_POOL4_PER_ADDRESS_MAX == 1 << 8, "per-address limit is a /24");

	for (int pass = 0; pass < 3; pass++) {
		struct pool4_walk w = {.f = f, .pass = pass};

		family(f, HELP[pass][0], "gauge", HELP[pass][1]);
		nat64_foreach_pool4(v->nat, pool4_one, &w);
		pool4_flush(&w);
	}
}

int metrics_format(const struct metrics_view *v, FILE *f)
{
	family(f, "tun64_build_info", "gauge", "Always 1; the labels say which tun64d runs.");
	fprintf(f, "tun64_build_info{version=\"%s\",mode=\"%s\"} 1\n", v->version,
	        v->stateful ? "stateful" : "stateless");
	family(f, "tun64_start_time_seconds", "gauge",
	       "When the translator started, in seconds since the Unix epoch.");
	fprintf(f, "tun64_start_time_seconds %llu\n", (unsigned long long)v->start_time_s);
	family(f, "tun64_workers", "gauge", "Worker threads translating (one per tun queue).");
	fprintf(f, "tun64_workers %u\n", v->workers);
	family(f, "tun64_reloads_total", "counter",
	       "Configuration reloads (SIGHUP, tun64ctl reload) by result.");
	fprintf(f, "tun64_reloads_total{result=\"ok\"} %llu\n", (unsigned long long)v->reloads_ok);
	fprintf(f, "tun64_reloads_total{result=\"error\"} %llu\n",
	        (unsigned long long)v->reloads_failed);
	counters(v, f);
	fastpath(&v->fastpath, f);
	if (v->nat) {
		tables(v, f);
		pool4(v, f);
	}
	return ferror(f) ? -1 : 0;
}
