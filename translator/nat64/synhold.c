/* Unsolicited IPv4 SYNs held for 6 s: see synhold.h. */
#include "synhold.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

struct held_syn {
	bool used;
	uint32_t src4, dst4;
	uint16_t sport, dport;
	uint64_t deadline_ms;
	size_t len;
	uint8_t pkt[SYNHOLD_QUOTE_MAX];
};

struct synhold {
	pthread_mutex_t lock;
	atomic_uint count; /* read without the lock by synhold_cancel */
	unsigned slots;
	struct held_syn held[];
};

struct synhold *synhold_new(unsigned slots)
{
	struct synhold *h;

	if (slots == 0)
		slots = SYNHOLD_SLOTS;
	h = calloc(1, sizeof(*h) + slots * sizeof(h->held[0]));
	if (!h)
		return NULL;
	if (pthread_mutex_init(&h->lock, NULL) != 0) {
		free(h);
		return NULL;
	}
	atomic_init(&h->count, 0);
	h->slots = slots;
	return h;
}

void synhold_free(struct synhold *h)
{
	if (!h)
		return;
	pthread_mutex_destroy(&h->lock);
	free(h);
}

static bool same_flow(const struct held_syn *s, uint32_t src4, uint16_t sport, uint32_t dst4,
                      uint16_t dport)
{
	return s->used && s->src4 == src4 && s->sport == sport && s->dst4 == dst4 &&
	       s->dport == dport;
}

bool synhold_add(struct synhold *h, const uint8_t *ip4, size_t len, uint32_t src4, uint16_t sport,
                 uint32_t dst4, uint16_t dport, uint64_t now_ms)
{
	struct held_syn *free_slot = NULL;
	bool held = true;

	pthread_mutex_lock(&h->lock);
	for (unsigned i = 0; i < h->slots; i++) {
		struct held_syn *s = &h->held[i];

		if (same_flow(s, src4, sport, dst4, dport))
			goto out; /* a retransmission: the first copy keeps its deadline */
		if (!s->used && !free_slot)
			free_slot = s;
	}
	if (!free_slot) {
		held = false;
		goto out;
	}
	free_slot->used = true;
	free_slot->src4 = src4;
	free_slot->sport = sport;
	free_slot->dst4 = dst4;
	free_slot->dport = dport;
	free_slot->deadline_ms = now_ms + SYNHOLD_MS;
	free_slot->len = len < SYNHOLD_QUOTE_MAX ? len : SYNHOLD_QUOTE_MAX;
	memcpy(free_slot->pkt, ip4, free_slot->len);
	atomic_fetch_add(&h->count, 1);
out:
	pthread_mutex_unlock(&h->lock);
	return held;
}

bool synhold_find(struct synhold *h, uint32_t peer4, uint16_t peer_port, uint32_t *t4,
                  uint16_t *tport)
{
	bool found = false;

	if (atomic_load_explicit(&h->count, memory_order_relaxed) == 0)
		return false; /* the common case: no lock */
	pthread_mutex_lock(&h->lock);
	for (unsigned i = 0; i < h->slots && !found; i++) {
		const struct held_syn *s = &h->held[i];

		if (s->used && s->src4 == peer4 && s->sport == peer_port) {
			*t4 = s->dst4;
			*tport = s->dport;
			found = true;
		}
	}
	pthread_mutex_unlock(&h->lock);
	return found;
}

unsigned synhold_cancel(struct synhold *h, uint32_t peer4, uint16_t peer_port, uint32_t t4,
                        uint16_t tport)
{
	unsigned n = 0;

	if (atomic_load_explicit(&h->count, memory_order_relaxed) == 0)
		return 0; /* the common case: no lock */
	pthread_mutex_lock(&h->lock);
	for (unsigned i = 0; i < h->slots; i++) {
		struct held_syn *s = &h->held[i];

		if (same_flow(s, peer4, peer_port, t4, tport)) {
			s->used = false;
			atomic_fetch_sub(&h->count, 1);
			n++;
		}
	}
	pthread_mutex_unlock(&h->lock);
	return n;
}

size_t synhold_expire(struct synhold *h, uint64_t now_ms, uint8_t *out, size_t cap)
{
	size_t len = 0;

	if (atomic_load_explicit(&h->count, memory_order_relaxed) == 0)
		return 0;
	pthread_mutex_lock(&h->lock);
	for (unsigned i = 0; i < h->slots; i++) {
		struct held_syn *s = &h->held[i];

		if (!s->used || now_ms < s->deadline_ms)
			continue;
		len = s->len < cap ? s->len : cap;
		memcpy(out, s->pkt, len);
		s->used = false;
		atomic_fetch_sub(&h->count, 1);
		break;
	}
	pthread_mutex_unlock(&h->lock);
	return len;
}

unsigned synhold_count(const struct synhold *h)
{
	return atomic_load(&((struct synhold *)h)->count);
}
