/* SPDX-License-Identifier: BSD-2-Clause */
/* tun64d configuration: defaults, the `key value` file format, long options,
 * validation. Parsing is pure (text in, struct out); config_load_file only
 * adds reading the file. Errors are one line naming file, line and key. */
#ifndef TUN64_CONFIG_H
#define TUN64_CONFIG_H

#include <net/if.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>

#include "addr.h"
#include "nat64.h"
#include "eam.h"
#include "log.h"
#include "xlat.h"

#define CONFIG_MAX_POOL4 64
#define CONFIG_MAX_MAP 1024
#define CONFIG_MAX_BIB 1024
#define CONFIG_MAX_ALLOW6 64
#define CONFIG_ERRLEN 512

struct tun64_config {
	char tun_device[IFNAMSIZ];
	enum xlat_mode mode;
	struct prefix6 prefix; /* length 0: `prefix none` (config_prefix_none) */
	struct pool4_range pool4[CONFIG_MAX_POOL4];
	size_t n_pool4;
	uint32_t ipv4_addr;
	bool ipv4_addr_set;
	uint8_t ipv6_addr[16];
	bool ipv6_addr_set;
	struct eam_map map[CONFIG_MAX_MAP];
	size_t n_map;
	struct nat64_static_bib bib[CONFIG_MAX_BIB];
	size_t n_bib;
	struct prefix6 allow6[CONFIG_MAX_ALLOW6]; /* none = any */
	size_t n_allow6;
	unsigned mtu;
	unsigned lowest_ipv6_mtu;
	unsigned workers;                           /* 0 = one per CPU */
	unsigned long long max_sessions;            /* 0 = sized to memory */
	unsigned long long max_sessions_per_client; /* per IPv6 /64; 0 = max_sessions / 4 */
	unsigned max_sessions_per_address;          /* percent of the /64's quota per /128 */
	unsigned timeout_udp, timeout_tcp_est, timeout_tcp_trans, timeout_icmp;
	bool routes;
	bool persist;
	bool offload;           /* tun offloads: vnet header, checksum, TSO/USO (restart only) */
	bool udp_coalesce;      /* UDP datagrams of one flow written as one USO packet */
	unsigned fast_path;     /* enum fast_path_mode: the tc BPF fast path (restart only) */
	bool allow_private_wkp; /* RFC 6052 §3.1 override */
	char state_file[PATH_MAX];
	/* s between saves of state-file while running; 0: exit only */
	unsigned state_save_interval;
	char control_socket[PATH_MAX];
	char user[64];
	char group[64];
	enum log_level log_level;
	enum log_target log_target; /* log stderr|syslog (restart only) */
	char masquerade[IFNAMSIZ];  /* pool4 leaving this link is masqueraded; "" = off */
	/* ICMP errors the translator originates, per worker (0 = no limit) */
	unsigned icmp_error_rate, icmp_error_burst;
	/* RFC 7915 §4.4, §5.4: discarded packets get a Destination Unreachable */
	bool icmp_unreachable;
	/* RFC 6791 source pools for ICMP errors from unmappable sources */
	struct prefix4 rfc6791_pool4;
	struct prefix6 rfc6791_pool6;
	bool rfc6791_pool4_set, rfc6791_pool6_set;
	bool udp_zero_csum_drop; /* udp-zero-checksum drop (default compute) */
	bool tos_zero;           /* tos zero (default copy) */
	bool filtering_adf;      /* filtering address-dependent (default endpoint-independent) */
	bool flow_label_hash;    /* flow-label hash (default zero) */
	/* metrics (issue 14): "ADDR:PORT" of the Prometheus endpoint; "" = off */
	char metrics[64];
	/* pref64-announce: RAs with the RFC 8781 PREF64 option on this link; "" = off */
	char pref64_announce[IFNAMSIZ];
	/* session-log (issue 14): "" off, "syslog", or a file path */
	char session_log[PATH_MAX];
	bool session_log_dst;      /* session-log-destination */
	unsigned pool4_block_size; /* ports per block; 0: per-port */
	/* internal: pool4 lines as given (prefix only), for routes */
	bool pool4_default;               /* true while pool4 is the built-in default */
	char prefix_where[PATH_MAX + 32]; /* "FILE:LINE" of the prefix line, for errors */
	/* internal (issue 14 item 5): where the first map, bib and masquerade
	 * lines were ("FILE:LINE" or "--KEY"), for the errors of finalize */
	char where_map[80], where_bib[80], where_masquerade[80];
	/* internal (issue 14 item 5): the file read and the line being read
	 * (0 outside it: an option), and each bib entry's line, so that the
	 * errors of finalize name "FILE:LINE" or at least the file */
	char source[PATH_MAX];
	unsigned cur_line;
	unsigned bib_line[CONFIG_MAX_BIB];
};

/* fast-path auto|yes|no (the config word's index) */
enum fast_path_mode { FAST_PATH_AUTO = 0, FAST_PATH_YES, FAST_PATH_NO };

#define CONFIG_DEFAULT_PATH "/etc/tun64/tun64.conf"

struct sockaddr_storage;
/* metrics: "IPV4:PORT" or "[IPV6]:PORT" (port 1-65535) into *ss. Returns
 * 0, or -1 with why (256 bytes) set. */
int config_metrics_addr(const char *v, struct sockaddr_storage *ss, char *why);

void config_defaults(struct tun64_config *c);

/* Apply one `key value`. where is "FILE:LINE" or "--option" for errors.
 * Returns 0 or -1 with err set to "WHERE: KEY: reason". Repeatable keys
 * (pool4, map, bib, allow6) append; the first pool4 replaces the default. */
int config_set(struct tun64_config *c, const char *key, const char *value, const char *where,
               char *err, size_t errlen);

/* Parse a whole file's text (name is used in messages). */
int config_parse_text(struct tun64_config *c, const char *name, const char *text, char *err,
                      size_t errlen);

/* Read and parse a file. */
int config_load_file(struct tun64_config *c, const char *path, char *err, size_t errlen);

/* Derive what is left (ipv4-addr, ipv6-addr) and check the whole: prefix
 * length, WKP with non-global pool, overlaps. Returns 0 or -1 with err. */
int config_finalize(struct tun64_config *c, char *err, size_t errlen);

/* `prefix none`: no RFC 6052 prefix, only `map` lines translate (stateless). */
static inline bool config_prefix_none(const struct tun64_config *c)
{
	return c->prefix.len == 0;
}

/* The prefix as text: "ADDR/LEN" or "none"; buf of at least INET6_ADDRSTRLEN + 4. */
const char *config_prefix_str(const struct tun64_config *c, char *buf, size_t len);

/* Print the effective configuration in file syntax (tun64d --check). */
void config_print(const struct tun64_config *c, FILE *f);

/* For reload: the first key whose change needs a restart, or NULL if new
 * can be applied to a daemon running old. */
const char *config_needs_restart(const struct tun64_config *old, const struct tun64_config *new);

/* Is key a known config key (for long options)? */
bool config_is_key(const char *key);

/* The keys in table order (config_keys.c): the i-th name, NULL past the end. */
const char *config_key_name(size_t i);

/* Does reload apply key to a running daemon? False for a key whose change
 * needs a restart, and for unknown keys. */
bool config_key_reloadable(const char *key);

/* Does each line of key add an entry (pool4, map, bib, allow6)? */
bool config_key_repeatable(const char *key);

/* The reloadable keys in table order, for documentation: up to max names
 * go to names; returns how many there are. */
size_t config_reloadable_keys(const char **names, size_t max);

#endif
