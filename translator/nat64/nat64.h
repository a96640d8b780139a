/* SPDX-License-Identifier: BSD-2-Clause */
/* RFC 6146 stateful NAT64 state: pool4, BIB and session tables.
 *
 * Pure data structure: no syscalls, no global state, time is passed in by the
 * caller (now_ms, any monotonic millisecond clock) so tests can advance it.
 * Safe to call from several worker threads at once: the tables are sharded and
 * no single lock is taken on the per-packet path.
 *
 * Vocabulary of RFC 6146 §3: an IPv6 host X' with port x talks to Y' (= prefix
 * + IPv4 Z) port y. The BIB entry maps (X',x) <-> (T,t), T,t from pool4. A
 * session is (X',x),(Y',y) <-> (T,t),(Z,z). For ICMP echo the "port" is the
 * identifier and y == x, z == t. */
#ifndef TUN64_NAT64_H
#define TUN64_NAT64_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

/* allow6: at most this many IPv6 source prefixes (scanned linearly, only on
 * the first packet of a flow). */
#define NAT64_MAX_ALLOW6 64
/* max_sessions_per_client counts the sessions of one client /64: a host picks
 * its own interface identifiers (SLAAC, RFC 8981 temporary addresses) and so
 * can use any number of /128s inside its /64, but not outside it; a per-/128
 * quota would stop nobody. A /64 is also what an ISP or a mobile network
 * (RFC 7278) gives one subscriber. On a LAN where many hosts share one /64,
 * the quota is that LAN's share. */
#define NAT64_CLIENT_PREFIX_LEN 64

/* A transport address (RFC 6146 §2): an address and a port, or for ICMP
 * query messages the identifier in place of the port. */
struct taddr6 {
	uint8_t addr[16];
	uint16_t port;
};

struct taddr4 {
	uint32_t addr; /* host order */
	uint16_t port;
};

/* One pool4 line: addresses addr/len, ports port_lo..port_hi (inclusive). */
struct pool4_range {
	uint32_t addr; /* host order, host bits zero */
	uint8_t len;
	uint16_t port_lo, port_hi;
};

/* A static BIB entry (config key `bib`). */
struct nat64_static_bib {
	uint8_t proto; /* IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP */
	uint32_t addr4;
	uint16_t port4;
	uint8_t addr6[16];
	uint16_t port6;
};

/* What nat64_config.event_cb is told (session-log): a mapping, a session
 * or a port block was created or removed. */
enum nat64_event_kind {
	NAT64_EV_BIB_ADD = 0,
	NAT64_EV_BIB_DEL,
	NAT64_EV_SESSION_ADD,
	NAT64_EV_SESSION_DEL,
	NAT64_EV_BLOCK_ADD, /* port4..port4_last given to addr6 (block_size > 0) */
	NAT64_EV_BLOCK_DEL,
	NAT64_EV_KINDS,
};

struct nat64_event {
	uint8_t kind; /* enum nat64_event_kind */
	uint8_t proto;
	uint16_t port6;      /* x (0 for blocks) */
	uint8_t addr6[16];   /* X' */
	uint32_t addr4;      /* T */
	uint16_t port4;      /* t, or a block's first port */
	uint16_t port4_last; /* a block's last port; == port4 otherwise */
	uint32_t remote4;    /* Z (sessions only) */
	uint16_t rport4;     /* z (sessions only) */
};

/* Called under table locks, from any thread that changes the tables: must
 * not block nor call back into nat64 (the daemon pushes onto a lock-free
 * ring, sesslog.h). */
typedef void (*nat64_event_fn)(void *ctx, const struct nat64_event *ev);

/* pool4-block-size: at most this many ports per block. */
#define NAT64_MAX_BLOCK_SIZE 4096

struct nat64_config {
	const struct pool4_range *pool4;
	size_t n_pool4;
	const struct nat64_static_bib *bib;
	size_t n_bib;
	uint32_t timeout_udp; /* seconds, RFC 6146 §4 */
	uint32_t timeout_tcp_est;
	uint32_t timeout_tcp_trans;
	uint32_t timeout_icmp;
	uint64_t max_sessions; /* hard cap on live sessions (all protocols); 0: none */
	uint64_t seed;         /* random seed for port choice (RFC 6056) */
	/* RFC 6146 §3.5: false (default) = endpoint-independent filtering: any
	 * (Z,z) may reach an existing BIB entry. true = address-dependent: only
	 * a Z that X' already has a session with. */
	bool address_dependent_filtering;
	/* allow6: IPv6 source prefixes that may create state (new BIB entries
	 * and new sessions of dynamic ones); n_allow6 == 0: any source. At most
	 * NAT64_MAX_ALLOW6. Static BIB entries and live state keep working. */
	const struct prefix6 *allow6;
	size_t n_allow6;
	/* Live sessions (all protocols, both directions of creation) of one
	 * client /64 (NAT64_CLIENT_PREFIX_LEN); 0: no limit. Counting sessions
	 * also bounds the client's dynamic BIB entries, hence its pool4 ports:
	 * each has at least one session. */
	uint64_t max_sessions_per_client;
	/* Share of max_sessions_per_client one IPv6 address may hold, in
	 * percent (1..100; 0: the default, NAT64_DEFAULT_ADDRESS_SHARE). */
	uint32_t max_sessions_per_address_pct;
	/* session-log: told of every mapping, session and block created and
	 * removed; NULL: nobody. Fixed at nat64_new (reconfigure keeps it). */
	nat64_event_fn event_cb;
	void *event_ctx;
	/* pool4-block-size (RFC 7422): each IPv6 address gets blocks of this
	 * many consecutive ports on one pool4 address (0: per-port allocation).
	 * Fixed at nat64_new. */
	uint32_t block_size;
};
/* Room for a household: four hosts busy at once fill the /64's quota. */
#define NAT64_DEFAULT_ADDRESS_SHARE 25

enum nat64_result {
	NAT64_OK = 0,
	NAT64_NO_STATE,        /* 4->6: no BIB entry / session for this packet */
	NAT64_FILTERED,        /* 4->6: BIB exists but policy refuses a new session */
	NAT64_POOL4_EXHAUSTED, /* 6->4: no free (T,t) for a new BIB entry */
	NAT64_SESSION_LIMIT,   /* max-sessions reached */
	NAT64_NOMEM,
	NAT64_NOT_ALLOWED,  /* 6->4: source outside allow6 may not create state */
	NAT64_CLIENT_QUOTA, /* the client /64 has max_sessions_per_client sessions */
};

/* The IPv6-side view of a packet, destination already extracted from Y'. */
struct nat64_flow6 {
	uint8_t proto; /* IPPROTO_TCP / IPPROTO_UDP / IPPROTO_ICMP (for ICMPv6 echo) */
	uint8_t src6[16];
	uint16_t sport; /* x (ICMP: identifier) */
	uint32_t dst4;  /* Z */
	uint16_t dport; /* y (ICMP: identifier again) */
	/* A new BIB entry takes (want4, want_port) when it is free: the (T,t)
	 * an IPv4 SYN from (Z,z) was held for, so that a simultaneous open
	 * meets (RFC 6146 §3.5.2.2). want4 == 0: any (T,t). */
	uint32_t want4;
	uint16_t want_port;
	uint32_t len; /* IP bytes of the packet as it came, for the session's counts */
};

/* The IPv4-side view of a packet arriving from (Z,z) to (T,t). */
struct nat64_flow4 {
	uint8_t proto;
	uint32_t src4;  /* Z */
	uint16_t sport; /* z (ICMP: identifier) */
	uint32_t dst4;  /* T */
	uint16_t dport; /* t (ICMP: identifier) */
	uint32_t len;   /* IP bytes of the packet as it came, for the session's counts */
};

/* TCP flag bits as in the TCP header byte 13. */
#define NAT64_TCP_FIN 0x01
#define NAT64_TCP_SYN 0x02
#define NAT64_TCP_RST 0x04
#define NAT64_TCP_ACK 0x10

struct nat64;

/* Returns NULL on bad config or out of memory. */
struct nat64 *nat64_new(const struct nat64_config *cfg);
void nat64_free(struct nat64 *nat);

/* Change timeouts, max_sessions, the per-client quota, allow6 and static BIB
 * entries of a live table (reload); pool4 additions are allowed, and a
 * removed range allocates no more (its entries stay until
 * nat64_delete(NAT64_DEL_OUTSIDE_POOL4) ends them). Running timers are
 * untouched (nat64_clamp_timers cuts them). */
int nat64_reconfigure(struct nat64 *nat, const struct nat64_config *cfg);

/* Which sessions nat64_delete ends. */
enum nat64_delete_by {
	NAT64_DEL_ALL,
	NAT64_DEL_CLIENT,        /* X' inside client */
	NAT64_DEL_POOL4,         /* T == addr4 */
	NAT64_DEL_OUTSIDE_POOL4, /* dynamic (T,t) in no active pool4 range */
};
struct nat64_delete_filter {
	enum nat64_delete_by by;
	struct prefix6 client;
	uint32_t addr4; /* host order */
};

/* End the matching sessions now (their dynamic BIB entries go with their
 * last session, and the ports back to pool4). Returns how many; counted in
 * nat64_stats (ended_pool4_removed for NAT64_DEL_OUTSIDE_POOL4, else
 * deleted). */
size_t nat64_delete(struct nat64 *nat, const struct nat64_delete_filter *f);

/* After a reload shortened a timeout: no session expires later than now_ms
 * plus the timeout of its timer now. Returns the number of timers cut. */
size_t nat64_clamp_timers(struct nat64 *nat, uint64_t now_ms);

/* pool4 use of one active range: ports in use and ports there are, per
 * protocol (0 TCP, 1 UDP, 2 ICMP), all its addresses together. */
struct nat64_range_use {
	struct pool4_range range;
	bool active;
	uint64_t used[3], total[3];
};
/* Fills out[] with the active ranges (at most max); returns how many. */
size_t nat64_pool4_ranges(struct nat64 *nat, struct nat64_range_use *out, size_t max);

/* IPv6 -> IPv4 (RFC 6146 §3.5). Finds or creates the BIB entry and session,
 * updates the TCP state machine with tcp_flags (0 for UDP/ICMP), refreshes
 * the timer, and returns the IPv4 source (T,t) to write into the packet. */
enum nat64_result nat64_out(struct nat64 *nat, const struct nat64_flow6 *f, uint8_t tcp_flags,
                            uint64_t now_ms, uint32_t *src4, uint16_t *sport4);

/* IPv4 -> IPv6 (RFC 6146 §3.5). Finds the session (or, where policy allows,
 * creates one from an existing BIB entry), updates state, returns (X',x). */
enum nat64_result nat64_in(struct nat64 *nat, const struct nat64_flow4 *f, uint8_t tcp_flags,
                           uint64_t now_ms, uint8_t dst6[16], uint16_t *dport6);

/* Read-only lookup of the BIB entry for (proto, T, t) -> (X', x), no state
 * change. Used to translate the inner packet of ICMP errors. */
bool nat64_bib_lookup4(struct nat64 *nat, uint8_t proto, uint32_t addr4, uint16_t port4,
                       uint8_t addr6[16], uint16_t *port6);
/* Read-only lookup (proto, X', x) -> (T, t). */
bool nat64_bib_lookup6(struct nat64 *nat, uint8_t proto, const uint8_t addr6[16], uint16_t port6,
                       uint32_t *addr4, uint16_t *port4);

/* Remove sessions whose timer ran out and dynamic BIB entries left without
 * sessions. Returns the number of sessions removed. Call about once a second. */
size_t nat64_expire(struct nat64 *nat, uint64_t now_ms);

struct nat64_stats {
	uint64_t bib[3]; /* index: 0 TCP, 1 UDP, 2 ICMP */
	uint64_t sessions[3];
	uint64_t clients;    /* client /64s with at least one session */
	uint64_t evicted[3]; /* unconfirmed sessions dropped for a new flow */
	/* The same by the new flow's direction: [0] from IPv6, [1] from IPv4. */
	uint64_t evicted_by_dir[2][3];
	uint64_t ended_pool4_removed; /* sessions ended: their pool4 range left */
	uint64_t deleted;             /* sessions ended by nat64_delete on request */
	uint64_t blocks[3];           /* port blocks held (pool4-block-size) */
};
void nat64_get_stats(struct nat64 *nat, struct nat64_stats *st);

/* pool4 use of one (address, protocol): for status and the metrics. */
struct nat64_pool4_use {
	uint32_t addr;       /* T, host order */
	uint8_t proto;       /* IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP */
	uint32_t ports;      /* (T,t) the range can hand out (TCP and UDP: not port 0) */
	uint32_t used;       /* of them, held by a BIB entry */
	bool active;         /* false: the range left the configuration (ports drain) */
	uint32_t range_addr; /* its pool4 line's prefix */
	uint8_t range_len;
};
/* Calls cb for every address of every pool4 range and each protocol, in
 * range order; stops early if cb returns non-zero. Reads atomic counters
 * only: no lock, never in the way of the workers. */
void nat64_foreach_pool4(struct nat64 *nat, int (*cb)(const struct nat64_pool4_use *, void *),
                         void *arg);

/* Live sessions of the client /64 that holds addr6. */
uint64_t nat64_client_sessions(struct nat64 *nat, const uint8_t addr6[16]);
/* Live sessions of the address addr6 itself. */
uint64_t nat64_address_sessions(struct nat64 *nat, const uint8_t addr6[16]);

/* TCP states of RFC 6146 §3.5.2 (UDP and ICMP sessions report NAT64_TCP_NONE). */
enum nat64_tcp_state {
	NAT64_TCP_NONE = 0,
	NAT64_TCP_CLOSED,
	NAT64_TCP_V6_INIT,
	NAT64_TCP_V4_INIT,
	NAT64_TCP_ESTABLISHED,
	NAT64_TCP_V6_FIN_RCV,
	NAT64_TCP_V4_FIN_RCV,
	NAT64_TCP_V6_FIN_V4_FIN,
	NAT64_TCP_TRANS,
};
const char *nat64_tcp_state_name(enum nat64_tcp_state s);

struct nat64_session_info {
	uint8_t proto;
	uint8_t addr6[16]; /* X' */
	uint16_t port6;    /* x */
	uint32_t addr4;    /* T */
	uint16_t port4;    /* t */
	uint32_t remote4;  /* Z */
	uint16_t rport4;   /* z */
	enum nat64_tcp_state state;
	uint64_t expires_ms;
	uint64_t created_ms; /* same clock; a session restored from the state file: restore time */
	bool confirmed;      /* packets seen both ways (never evicted) */
	/* Packets and IP bytes as they came, index enum nat64_dir: the
	 * slow path's and, folded in by nat64_session_touch, the fast path's. */
	uint64_t packets[2], bytes[2];
};

/* The directions of a session's counts. */
enum nat64_dir { NAT64_DIR_6TO4 = 0, NAT64_DIR_4TO6 = 1 };

/* What the fast path carried of one direction of a session since it last
 * said: the last packet's time and the packets and IP bytes (deltas). */
struct nat64_seen {
	uint64_t last_seen_ms;
	enum nat64_dir dir;
	uint64_t packets, bytes;
};

/* Packets of session (proto, T, t, Z, z) went by without passing nat64_in
 * / nat64_out (tun64d's kernel fast path, which takes only packets that
 * change no TCP state): adds their counts, and refreshes the timer as such
 * a packet would, never backwards: UDP, ICMP and TCP ESTABLISHED sessions
 * only, so a closing or reset session keeps its short timer. For ICMP echo,
 * rport4 is the identifier t. Returns false if there is no such session. */
bool nat64_session_touch(struct nat64 *nat, uint8_t proto, uint32_t addr4, uint16_t port4,
                         uint32_t remote4, uint16_t rport4, const struct nat64_seen *seen);

struct nat64_bib_info {
	uint8_t proto;
	uint8_t addr6[16]; /* X' */
	uint16_t port6;    /* x */
	uint32_t addr4;    /* T */
	uint16_t port4;    /* t */
	uint32_t n_sessions;
	bool is_static;
};

/* A port block held by an IPv6 address (pool4-block-size). */
struct nat64_block_info {
	uint8_t proto;
	uint8_t addr6[16];
	uint32_t addr4;
	uint16_t first, last; /* ports */
	uint32_t used;        /* BIB entries on it */
};

/* Calls cb for each port block; stops early if cb returns non-zero. Takes
 * block-table locks one at a time: cb must not call back into nat. */
void nat64_foreach_block(struct nat64 *nat, int (*cb)(const struct nat64_block_info *, void *),
                         void *arg);

/* Calls cb for each BIB entry (static ones too); same rules as below. */
void nat64_foreach_bib(struct nat64 *nat, int (*cb)(const struct nat64_bib_info *, void *),
                       void *arg);

/* Calls cb for each live session; stops early if cb returns non-zero.
 * Takes shard locks one at a time: cb must not call back into nat. */
void nat64_foreach_session(struct nat64 *nat, int (*cb)(const struct nat64_session_info *, void *),
                           void *arg);

/* Restart without breaking connections (state-file): one session as saved.
 * Dynamic BIB entries exist only through their sessions, so sessions are
 * all there is to save; static entries come back from the configuration. */
struct nat64_saved_session {
	uint8_t proto;
	struct taddr6 v6;     /* (X',x) */
	struct taddr4 v4;     /* (T,t) */
	struct taddr4 remote; /* (Z,z) */
	enum nat64_tcp_state state;
	uint64_t remaining_ms; /* lifetime left, relative: clocks differ between processes */
	bool is_static;        /* its BIB entry was static (informative on import) */
	uint64_t packets[2], bytes[2]; /* as struct nat64_session_info; restored */
};

/* Calls cb for each live, unexpired session with its lifetime left at
 * now_ms; stops early if cb returns non-zero (and returns that value).
 * Takes shard locks one at a time: cb must not call back into nat. */
int nat64_export(struct nat64 *nat, uint64_t now_ms,
                 int (*cb)(const struct nat64_saved_session *, void *), void *arg);

/* What nat64_import did with each saved session. */
struct nat64_import_stats {
	uint64_t sessions;      /* restored */
	uint64_t bib;           /* dynamic BIB entries re-created with their (T,t) */
	uint64_t outside_pool4; /* refused: (T,t) in no configured pool4 range */
	uint64_t taken;         /* refused: (T,t) or (X',x) bound otherwise now */
	uint64_t limit;         /* refused: max-sessions or the per-client quota */
	uint64_t not_allowed;   /* refused: X' outside allow6 (dynamic entries) */
	uint64_t expired;       /* refused: no lifetime left */
	uint64_t duplicate;     /* refused: the same session twice */
	uint64_t invalid;       /* refused: bad protocol, state or port */
};

/* Re-create saved sessions, each expiring remaining_ms after now_ms (capped
 * at the configured timeout of its state), and their dynamic BIB entries with
 * the SAME (T,t), which is claimed in pool4 (with block_size, the client's
 * port block holding t is derived again and claimed whole). Sorts s[] by remaining_ms first
 * so the timer lists stay in order. Adds to *st; returns NAT64_NOMEM if
 * memory ran out (the rest is then skipped), NAT64_OK otherwise. */
enum nat64_result nat64_import(struct nat64 *nat, struct nat64_saved_session *s, size_t n,
                               uint64_t now_ms, struct nat64_import_stats *st);

#endif
