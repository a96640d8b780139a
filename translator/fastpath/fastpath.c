/* SPDX-License-Identifier: BSD-2-Clause */
/* The tc fast path, userspace side (fastpath.h): the BPF object comes
 * embedded in the binary through its bpftool skeleton, so nothing is
 * installed beside tun64d. */
#include "fastpath.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "fastpath.skel.h"

/* Our filter on the clsact egress hook: fixed, so that a restarted tun64d
 * replaces its predecessor's instead of stacking another. */
#define FASTPATH_TC_HANDLE 0x64
#define FASTPATH_TC_PRIORITY 1

struct fastpath {
	struct fastpath_bpf *skel;
	struct fp_config cfg;
	struct bpf_tc_hook hook;
	bool attached;
	bool hook_created; /* the clsact qdisc is ours: removed on close */
};

static int config_write(struct fastpath *fp)
{
	uint32_t zero = 0;

	if (bpf_map_update_elem(bpf_map__fd(fp->skel->maps.fp_config), &zero, &fp->cfg, BPF_ANY))
		return -errno;
	return 0;
}

int fastpath_open(struct fastpath **out)
{
	struct fastpath *fp = calloc(1, sizeof(*fp));
	int err;

	if (!fp)
		return -ENOMEM;
	fp->skel = fastpath_bpf__open_and_load();
	if (!fp->skel) {
		err = -errno;
		free(fp);
		return err ? err : -EINVAL;
	}
	err = config_write(fp);
	if (err) {
		fastpath_close(fp);
		return err;
	}
	*out = fp;
	return 0;
}

int fastpath_attach(struct fastpath *fp, int ifindex)
{
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = FASTPATH_TC_HANDLE,
	            .priority = FASTPATH_TC_PRIORITY, .flags = BPF_TC_F_REPLACE);
	int err;

	if (fp->attached)
		return -EBUSY;
	memset(&fp->hook, 0, sizeof(fp->hook));
	fp->hook.sz = sizeof(fp->hook);
	fp->hook.ifindex = ifindex;
	fp->hook.attach_point = BPF_TC_EGRESS;
	err = bpf_tc_hook_create(&fp->hook);
	if (err && err != -EEXIST)
		return err;
	fp->hook_created = err == 0;
	/* the redirect target first: the program may run as soon as attached */
	fp->cfg.ifindex = (uint32_t)ifindex;
	err = config_write(fp);
	if (err)
		return err;
	opts.prog_fd = bpf_program__fd(fp->skel->progs.tun64_fastpath);
	err = bpf_tc_attach(&fp->hook, &opts);
	if (err) {
		if (fp->hook_created)
			bpf_tc_hook_destroy(&fp->hook);
		fp->hook_created = false;
		return err;
	}
	fp->attached = true;
	return 0;
}

void fastpath_detach(struct fastpath *fp)
{
	if (fp->attached) {
		LIBBPF_OPTS(bpf_tc_opts, opts, .handle = FASTPATH_TC_HANDLE,
		            .priority = FASTPATH_TC_PRIORITY);

		/* ENODEV / ENOENT: the tun went away and took the hook */
		bpf_tc_detach(&fp->hook, &opts);
		if (fp->hook_created) {
			/* only the egress side: clsact as a whole would also
			 * take an ingress filter someone else put there */
			fp->hook.attach_point = BPF_TC_EGRESS;
			bpf_tc_hook_destroy(&fp->hook);
		}
	}
	fp->attached = false;
	fp->hook_created = false;
}

void fastpath_close(struct fastpath *fp)
{
	if (!fp)
		return;
	fastpath_detach(fp);
	fastpath_bpf__destroy(fp->skel);
	free(fp);
}

int fastpath_configure(struct fastpath *fp, const struct fastpath_settings *s)
{
	fp->cfg.enabled = s->enabled;
	fp->cfg.mtu = s->mtu;
	fp->cfg.lowest_ipv6_mtu = s->lowest_ipv6_mtu;
	fp->cfg.tos_zero = s->tos_zero;
	fp->cfg.flow_label_hash = s->flow_label_hash;
	return config_write(fp);
}

int fastpath_test_frames(struct fastpath *fp, bool eth_frames)
{
	fp->cfg.eth_test = eth_frames;
	return config_write(fp);
}

int fastpath_prog_fd(const struct fastpath *fp)
{
	return bpf_program__fd(fp->skel->progs.tun64_fastpath);
}

static void put4(uint8_t *p, uint32_t a)
{
	uint32_t be = htonl(a);

	memcpy(p, &be, 4);
}

void fastpath_session_entries(const struct fastpath_session *s, struct fp_key key[2],
                              struct fp_rewrite rw[2])
{
	memset(key, 0, 2 * sizeof(*key));
	memset(rw, 0, 2 * sizeof(*rw));
	/* 6to4: (X',x) -> (Y',y) leaves as (T,t) -> (Z,z) */
	key[0].family = FP_FAMILY_6;
	key[0].proto = s->proto == IPPROTO_ICMP ? IPPROTO_ICMPV6 : s->proto;
	key[0].sport = htons(s->sport6);
	key[0].dport = htons(s->dport6);
	memcpy(key[0].src, s->src6, 16);
	memcpy(key[0].dst, s->dst6, 16);
	put4(rw[0].src, s->src4);
	put4(rw[0].dst, s->dst4);
	rw[0].sport = htons(s->sport4);
	rw[0].dport = htons(s->dport4);
	/* 4to6: (Z,z) -> (T,t) leaves as (Y',y) -> (X',x) */
	key[1].family = FP_FAMILY_4;
	key[1].proto = s->proto;
	key[1].sport = htons(s->dport4);
	key[1].dport = htons(s->sport4);
	put4(key[1].src, s->dst4);
	put4(key[1].dst, s->src4);
	memcpy(rw[1].src, s->dst6, 16);
	memcpy(rw[1].dst, s->src6, 16);
	rw[1].sport = htons(s->dport6);
	rw[1].dport = htons(s->sport6);
}

int fastpath_session_add(struct fastpath *fp, const struct fastpath_session *s, uint16_t ipv4_id)
{
	int fd = bpf_map__fd(fp->skel->maps.fp_sessions);
	struct fp_key key[2];
	struct fp_rewrite rw[2];

	fastpath_session_entries(s, key, rw);
	for (int d = 0; d < 2; d++) {
		struct fp_session v = {.rw = rw[d], .ipv4_id = ipv4_id};

		/* a new entry counts from 0: so does what was reported of it */
		bpf_map_delete_elem(bpf_map__fd(fp->skel->maps.fp_reported), &key[d]);
		if (bpf_map_update_elem(fd, &key[d], &v, BPF_ANY)) {
			int err = -errno;

			if (d == 1)
				bpf_map_delete_elem(fd, &key[0]);
			return err;
		}
	}
	return 0;
}

/* v (of key) with packets and bytes turned into what was not reported
 * yet, which counts as reported from now on. The program may add a packet
 * between the lookup of v and the next one: it is reported then. */
static void take_unreported(struct fastpath *fp, const struct fp_key *key, struct fp_session *v)
{
	int fd = bpf_map__fd(fp->skel->maps.fp_reported);
	struct fp_reported r = {0, 0};
	struct fp_reported now = {v->packets, v->bytes};

	if (bpf_map_lookup_elem(fd, key, &r) || r.packets > v->packets || r.bytes > v->bytes)
		r = (struct fp_reported){0, 0}; /* none, or an older entry's */
	v->packets -= r.packets;
	v->bytes -= r.bytes;
	bpf_map_update_elem(fd, key, &now, BPF_ANY);
}

int fastpath_session_del(struct fastpath *fp, const struct fastpath_session *s,
                         int (*last)(const struct fp_key *, const struct fp_session *, void *),
                         void *arg)
{
	int fd = bpf_map__fd(fp->skel->maps.fp_sessions);
	struct fp_key key[2];
	struct fp_rewrite rw[2];
	int found = 0;

	fastpath_session_entries(s, key, rw);
	for (int d = 0; d < 2; d++) {
		struct fp_session v;

		if (last && bpf_map_lookup_elem(fd, &key[d], &v) == 0) {
			take_unreported(fp, &key[d], &v);
			if (v.packets)
				last(&key[d], &v, arg);
		}
		found += bpf_map_delete_elem(fd, &key[d]) == 0;
		bpf_map_delete_elem(bpf_map__fd(fp->skel->maps.fp_reported), &key[d]);
	}
	return found ? 0 : -ENOENT;
}

int fastpath_session_stats(struct fastpath *fp, const struct fastpath_session *s,
                           struct fastpath_session_stats *st)
{
	int fd = bpf_map__fd(fp->skel->maps.fp_sessions);
	struct fp_key key[2];
	struct fp_rewrite rw[2];

	memset(st, 0, sizeof(*st));
	fastpath_session_entries(s, key, rw);
	for (int d = 0; d < 2; d++) {
		struct fp_session v;

		if (bpf_map_lookup_elem(fd, &key[d], &v))
			return -errno;
		st->packets[d] = v.packets;
		st->bytes[d] = v.bytes;
		/* bpf_ktime_get_ns() is CLOCK_MONOTONIC, as the daemon's now_ms */
		if (v.last_seen_ns / 1000000 > st->last_seen_ms)
			st->last_seen_ms = v.last_seen_ns / 1000000;
	}
	return 0;
}

int fastpath_foreach_seen(struct fastpath *fp, uint64_t since_ns,
                          int (*cb)(const struct fp_key *, const struct fp_session *, void *),
                          void *arg)
{
	int fd = bpf_map__fd(fp->skel->maps.fp_sessions);
	struct fp_key key, next;
	struct fp_session v;
	bool first = true;

	/* A key deleted under us makes get_next_key start over from the first
	 * key: some entries may then be reported twice, which is harmless. */
	while (bpf_map_get_next_key(fd, first ? NULL : &key, &next) == 0) {
		first = false;
		key = next;
		if (bpf_map_lookup_elem(fd, &key, &v))
			continue; /* deleted meanwhile */
		if (v.last_seen_ns <= since_ns)
			continue;
		take_unreported(fp, &key, &v);
		if (cb(&key, &v, arg))
			break;
	}
	return 0; /* ENOENT: the end of the map */
}

int fastpath_counters(struct fastpath *fp, uint64_t out[FP_COUNTER_MAX])
{
	int fd = bpf_map__fd(fp->skel->maps.fp_counters);
	int ncpu = libbpf_num_possible_cpus();
	uint64_t *v;

	if (ncpu <= 0)
		return ncpu < 0 ? ncpu : -EINVAL;
	v = calloc((size_t)ncpu, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (uint32_t c = 0; c < FP_COUNTER_MAX; c++) {
		out[c] = 0;
		if (bpf_map_lookup_elem(fd, &c, v)) {
			int err = -errno;

			free(v);
			return err;
		}
		for (int i = 0; i < ncpu; i++)
			out[c] += v[i];
	}
	free(v);
	return 0;
}

const char *fastpath_counter_name(enum fp_counter c)
{
	static const char *const names[FP_COUNTER_MAX] = {
#define FP_COUNTER_NAME(id, name, meaning) [FP_##id] = "fastpath." name,
	    FP_COUNTERS(FP_COUNTER_NAME)
#undef FP_COUNTER_NAME
	};

	return (unsigned)c < FP_COUNTER_MAX ? names[c] : "fastpath.unknown";
}

const char *fastpath_counter_meaning(enum fp_counter c)
{
	static const char *const meanings[FP_COUNTER_MAX] = {
#define FP_COUNTER_MEANING(id, name, meaning) [FP_##id] = meaning,
	    FP_COUNTERS(FP_COUNTER_MEANING)
#undef FP_COUNTER_MEANING
	};

	return (unsigned)c < FP_COUNTER_MAX ? meanings[c] : "";
}
