/* SPDX-License-Identifier: BSD-2-Clause */
/* The workers: one thread per tun queue reads a burst of packets, translates
 * each (with the virtio-net offloads when the tun has them) and writes the
 * result back, UDP datagrams coalesced until the burst ends. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sys/random.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "coalesce.h"
#include "counters.h"
#include "daemon.h"
#include "log.h"
#include "tunif.h"
#include "vnet.h"
#include "xlat.h"

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

		ctr_add(&w->ctr, dir, CTR_DROP_WRITE, n);
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
		ctr_add(&w->ctr, (out[0] >> 4) == 4 ? DIR_6TO4 : DIR_4TO6, CTR_UDP_COALESCED, n);
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
		ctr_add(&w->ctr, DIR_4TO6, CTR_TRANSLATED_BYTES, n);
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
	if (out == pkt->buf + pkt->off) {
		/* Translated in place (not an ICMP error built in scratch): its
		 * bytes, by the output's version (hairpinned: IPv6, 4to6). */
		ctr_add(&w->ctr, (out[0] >> 4) == 4 ? DIR_6TO4 : DIR_4TO6, CTR_TRANSLATED_BYTES,
		        out_len);
		if (vh)
			vnet_after_xlat(vh, out, out_len);
	} else {
		vh = NULL;
	}
	worker_write(w, vh, out, out_len);
}

/* A GSO packet the fast path cannot take: cut in software, each segment
 * translated as an ordinary packet (at most 64 KB / gso_size of them). */
static void worker_segment(struct worker *w, const struct vnet_hdr *vh, const uint8_t *pkt,
                           size_t len, enum tun64_dir dir)
{
	struct vnet_seg s;
	size_t n;

	ctr_add(&w->ctr, dir, CTR_GSO_SOFTWARE, 1);
	if (vnet_segment_start(&s, vh, pkt, len) < 0) {
		ctr_add(&w->ctr, dir, CTR_DROP_BAD_VNET_HDR, 1);
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
		ctr_add(&w->ctr, dir, CTR_RX, 1);
		ctr_add(&w->ctr, dir, CTR_DROP_BAD_VNET_HDR, 1);
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

int start_workers(struct daemon *d)
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

void stop_workers(struct daemon *d)
{
	atomic_store(&d->stop, true);
	for (unsigned i = 0; i < d->nstarted; i++)
		pthread_join(d->workers[i].thread, NULL);
	d->nstarted = 0;
}

/* Counters are written by workers without atomics; a read here may see a
 * value one packet old, which is fine for reporting. */
void sum_counters(const struct daemon *d, struct tun64_counters *sum)
{
	memset(sum, 0, sizeof(*sum));
	for (unsigned i = 0; d->workers && i < d->nworkers; i++)
		for (int dir = 0; dir < DIR_MAX; dir++)
			for (int c = 0; c < CTR_MAX; c++)
				sum->v[dir][c] += ctr_load(&d->workers[i].ctr, dir, c);
}

void log_counters(const struct daemon *d)
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

/* getrandom, not /dev/urandom: the engine's seccomp filter opens no files. */
uint64_t random_seed(void)
{
	uint64_t seed = 0;

	if (getrandom(&seed, sizeof(seed), 0) != (ssize_t)sizeof(seed))
		seed = now_ms() ^ (uint64_t)getpid() << 32;
	return seed;
}
