/* SPDX-License-Identifier: BSD-2-Clause */
/* The one table of configuration keys, and what is derived from it: the
 * defaults, parsing a value, printing (tun64d --check), the reload diff and
 * the list of reloadable keys. A new key is one row here plus its entry in
 * tun64.conf(5) (test_config_doc checks that the entry is there).
 *
 * Table order is print order, and the reload diff names the first changed
 * restart-only key in this order. */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "config_keys.h"

#define TIMEOUT_MAX (30u * 24 * 3600)
#define WORKERS_MAX 256  /* the kernel's limit of tun queues */
#define SUN_PATH_MAX 108 /* sizeof(sockaddr_un.sun_path) */
#define STATE_SAVE_INTERVAL_MAX 86400
#define ICMP_ERROR_RATE_MAX 1000000
#define SESSIONS_MAX 0xffffffffULL

/* RFC 6146 §4 minimums (UDP from RFC 4787 REQ-5, TCP established from RFC
 * 5382 REQ-5): shorter timeouts are accepted, for labs and tests, but
 * --check marks them with a comment. */
#define UDP_MIN 120
#define TCP_EST_MIN 7440

/* An enum field is read and written as an unsigned int. */
_Static_assert(sizeof(enum xlat_mode) == sizeof(unsigned), "mode is an unsigned int");
_Static_assert(sizeof(enum log_level) == sizeof(unsigned), "log-level is an unsigned int");
_Static_assert(sizeof(enum log_target) == sizeof(unsigned), "log is an unsigned int");

/* the kernel's dev_valid_name() rules */
static int check_ifname(const char *v, char *w)
{
	const char *p;

	if (strlen(v) >= IFNAMSIZ)
		return cfg_why(w, "'%s' is too long (at most %d characters)", v, IFNAMSIZ - 1);
	if (strcmp(v, ".") == 0 || strcmp(v, "..") == 0)
		return cfg_why(w, "'%s' is not a valid interface name", v);
	for (p = v; *p; p++)
		if (*p == '/' || *p == ':' || cfg_is_space(*p))
			return cfg_why(w, "'%s' is not a valid interface name", v);
	return 0;
}

static int check_socket_path(const char *v, char *w)
{
	if (strlen(v) >= SUN_PATH_MAX)
		return cfg_why(w, "too long for a unix socket (at most %d characters)",
		               SUN_PATH_MAX - 1);
	return 0;
}

/* POSIX portable user names, plus numeric ids. */
static int check_account_name(const char *v, char *w)
{
	const char *p;

	for (p = v; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '.' || *p == '-'))
			return cfg_why(w, "'%s' is not a valid name", v);
	if (v[0] == '-')
		return cfg_why(w, "'%s' is not a valid name", v);
	return 0;
}

/* session-log: syslog, or an absolute path (the parent opens it). */
static int check_session_log(const char *v, char *w)
{
	if (strcmp(v, "syslog") != 0 && v[0] != '/')
		return cfg_why(w, "'%s': 'syslog' or an absolute file path", v);
	return 0;
}

/* state-save-interval means nothing without a state-file. */
static bool has_state_file(const struct tun64_config *c)
{
	return c->state_file[0] != '\0';
}

/* metrics: the address is parsed the same way when the daemon listens. */
static int check_metrics(const char *v, char *w)
{
	struct sockaddr_storage ss;

	return config_metrics_addr(v, &ss, w);
}

static const char *const MODES[] = {"stateful", "stateless", NULL}; /* enum xlat_mode */
static const char *const LOG_LEVELS[] = {"error", "warn", "info", "debug", NULL};
static const char *const LOG_TARGETS[] = {"stderr", "syslog", NULL}; /* enum log_target */
/* Two words on a bool field: the first means false. */
static const char *const UDP_ZERO[] = {"compute", "drop", NULL};
static const char *const TOS[] = {"copy", "zero", NULL};
static const char *const FLOW_LABEL[] = {"zero", "hash", NULL};
/* RFC 6146 §3.5 / RFC 4787: may any IPv4 host reach a mapping (endpoint-
 * independent, the default), or only hosts the client already talks to? */
static const char *const FILTERING[] = {"endpoint-independent", "address-dependent", NULL};

/* fast path (issue 13): the order is enum fast_path_mode */
static const char *const FAST_PATH[] = {"auto", "yes", "no", NULL};

#define FIELD(f)                                                                                   \
	.off = offsetof(struct tun64_config, f), .size = sizeof(((struct tun64_config *)0)->f)
#define GIVEN(f) .given = offsetof(struct tun64_config, f) + 1
#define UINT(lo, hi) .type = CT_UINT, .min = (lo), .max = (hi)
#define ENUM(w) .type = CT_ENUM, .words = (w)
#define LIST(set, show) .type = CT_LIST, .parse = (set), .print = (show)

/* Restart-only keys (no KF_RELOAD) shape the tun, its routes, the address
 * plan live sessions depend on, or the process itself. */
static const struct config_key KEYS[] = {
    {.name = "tun-device",
     .type = CT_STRING,
     FIELD(tun_device),
     .def = "nat64",
     .check = check_ifname},
    {.name = "mode", ENUM(MODES), FIELD(mode), .def = "stateful"},
    {.name = "prefix",
     .type = CT_PREFIX6,
     FIELD(prefix),
     .def = "64:ff9b::/96",
     .parse = cfg_set_prefix,
     .print = cfg_print_prefix},
    {.name = "pool4",
     LIST(cfg_set_pool4, cfg_print_pool4),
     .same = cfg_same_pool4,
     /* reload: new ranges allocate at once, sessions of removed ones end,
      * and the parent changes the routes (and masquerade) to match */
     .flags = KF_RELOAD | KF_REPEAT,
     .def = "192.168.255.0/24 ports 1024-65535"},
    /* unset: derived by config_finalize. Reloadable: only the packet path
     * reads them (live), and the derived ones follow a reloaded pool4. */
    {.name = "ipv4-addr",
     .type = CT_ADDR4,
     FIELD(ipv4_addr),
     GIVEN(ipv4_addr_set),
     .flags = KF_RELOAD},
    {.name = "ipv6-addr",
     .type = CT_ADDR6,
     FIELD(ipv6_addr),
     GIVEN(ipv6_addr_set),
     .flags = KF_RELOAD},
    {.name = "map", LIST(cfg_set_map, cfg_print_map), .flags = KF_RELOAD | KF_REPEAT},
    {.name = "bib", LIST(cfg_set_bib, cfg_print_bib), .flags = KF_RELOAD | KF_REPEAT},
    {.name = "allow6",
     LIST(cfg_set_allow6, cfg_print_allow6),
     .flags = KF_RELOAD | KF_REPEAT,
     .def = "any"},
    {.name = "mtu", UINT(1280, 65535), FIELD(mtu), .def = "1500"},
    /* RFC 7915 §4: the IPv6 minimum link MTU (RFC 8200 §5) is the floor. */
    {.name = "lowest-ipv6-mtu",
     UINT(1280, 65535),
     FIELD(lowest_ipv6_mtu),
     .flags = KF_RELOAD,
     .def = "1280"},
    {.name = "workers", UINT(0, WORKERS_MAX), FIELD(workers), .def = "0"},
    {.name = "max-sessions",
     UINT(0, SESSIONS_MAX),
     FIELD(max_sessions),
     .flags = KF_RELOAD,
     .def = "0"},
    /* 0: a quarter of max-sessions (see tun64d); counted per IPv6 /64. */
    {.name = "max-sessions-per-client",
     UINT(0, SESSIONS_MAX),
     FIELD(max_sessions_per_client),
     .flags = KF_RELOAD,
     .def = "0"},
    /* Percent of max-sessions-per-client one IPv6 address may hold: a
     * household's hosts share a /64, one busy host must not fill it. */
    {.name = "max-sessions-per-address",
     UINT(1, 100),
     FIELD(max_sessions_per_address),
     .flags = KF_RELOAD,
     .def = "25"},
    {.name = "timeout-udp",
     UINT(1, TIMEOUT_MAX),
     FIELD(timeout_udp),
     .flags = KF_RELOAD,
     .def = "300",
     .note_below = UDP_MIN},
    {.name = "timeout-tcp-est",
     UINT(1, TIMEOUT_MAX),
     FIELD(timeout_tcp_est),
     .flags = KF_RELOAD,
     .def = "7440",
     .note_below = TCP_EST_MIN},
    {.name = "timeout-tcp-trans",
     UINT(1, TIMEOUT_MAX),
     FIELD(timeout_tcp_trans),
     .flags = KF_RELOAD,
     .def = "240"},
    {.name = "timeout-icmp",
     UINT(1, TIMEOUT_MAX),
     FIELD(timeout_icmp),
     .flags = KF_RELOAD,
     .def = "60"},
    {.name = "routes", .type = CT_BOOL, FIELD(routes), .def = "yes"},
    /* The link need not exist yet (a PPPoE link comes and goes): nftables
     * matches it by name when packets leave. */
    {.name = "masquerade",
     .type = CT_STRING,
     FIELD(masquerade),
     .flags = KF_OPTIONAL,
     .check = check_ifname},
    {.name = "persist", .type = CT_BOOL, FIELD(persist), .def = "no"},
    {.name = "offload", .type = CT_BOOL, FIELD(offload), .def = "yes"},
    {.name = "udp-coalesce",
     .type = CT_BOOL,
     FIELD(udp_coalesce),
     .flags = KF_RELOAD,
     .def = "yes"},
    /* RFC 6052 §3.1 override */
    {.name = "wkp-allow-private",
     .type = CT_BOOL,
     FIELD(allow_private_wkp),
     .flags = KF_RELOAD,
     .def = "no"},
    {.name = "state-file", .type = CT_STRING, FIELD(state_file), .flags = KF_OPTIONAL},
    /* a crash loses at most this many seconds of new sessions; 0: on exit only */
    {.name = "state-save-interval",
     UINT(0, STATE_SAVE_INTERVAL_MAX),
     FIELD(state_save_interval),
     .flags = KF_RELOAD,
     .def = "60",
     .shown = has_state_file},
    {.name = "control-socket",
     .type = CT_STRING,
     FIELD(control_socket),
     .def = "/run/tun64/tun64.sock",
     .check = check_socket_path},
    {.name = "user",
     .type = CT_STRING,
     FIELD(user),
     .flags = KF_OPTIONAL,
     .check = check_account_name},
    {.name = "group",
     .type = CT_STRING,
     FIELD(group),
     .flags = KF_OPTIONAL,
     .check = check_account_name},
    {.name = "log-level", ENUM(LOG_LEVELS), FIELD(log_level), .flags = KF_RELOAD, .def = "info"},
    /* Originated ICMP errors per second and per worker, and the burst: enough
     * for traceroute and PMTUD, too few to make the translator an amplifier. */
    {.name = "icmp-error-rate",
     UINT(0, ICMP_ERROR_RATE_MAX),
     FIELD(icmp_error_rate),
     .flags = KF_RELOAD,
     .def = "100"},
    {.name = "icmp-error-burst",
     UINT(1, ICMP_ERROR_RATE_MAX),
     FIELD(icmp_error_burst),
     .flags = KF_RELOAD,
     .def = "50"},
    /* RFC 7915 §4.4, §5.4 */
    {.name = "icmp-unreachable",
     .type = CT_BOOL,
     FIELD(icmp_unreachable),
     .flags = KF_RELOAD,
     .def = "yes"},
    {.name = "rfc6791-pool4",
     .type = CT_PREFIX4,
     FIELD(rfc6791_pool4),
     GIVEN(rfc6791_pool4_set),
     .flags = KF_RELOAD | KF_OPTIONAL},
    {.name = "rfc6791-pool6",
     .type = CT_PREFIX6,
     FIELD(rfc6791_pool6),
     GIVEN(rfc6791_pool6_set),
     .flags = KF_RELOAD | KF_OPTIONAL},
    {.name = "udp-zero-checksum",
     ENUM(UDP_ZERO),
     FIELD(udp_zero_csum_drop),
     .flags = KF_RELOAD,
     .def = "compute"},
    {.name = "tos", ENUM(TOS), FIELD(tos_zero), .flags = KF_RELOAD, .def = "copy"},
    {.name = "flow-label",
     ENUM(FLOW_LABEL),
     FIELD(flow_label_hash),
     .flags = KF_RELOAD,
     .def = "zero"},
    {.name = "filtering",
     ENUM(FILTERING),
     FIELD(filtering_adf),
     .flags = KF_RELOAD,
     .def = "endpoint-independent"},
    /* metrics (issue 14): the Prometheus endpoint, bound at start */
    {.name = "metrics",
     .type = CT_STRING,
     FIELD(metrics),
     .flags = KF_OPTIONAL,
     .check = check_metrics},
    /* --- PREF64 to clients (issue 14 item 7): the parent sends RAs with
     * only the RFC 8781 option on this link; restart only. */
    {.name = "pref64-announce",
     .type = CT_STRING,
     FIELD(pref64_announce),
     .flags = KF_OPTIONAL,
     .check = check_ifname},
    /* fast path (issue 13): the tc BPF program on the tun; restart only
     * (tun64ctl fast-path on|off switches it at run time) */
    {.name = "fast-path", ENUM(FAST_PATH), FIELD(fast_path), .def = "auto"},
    /* session-log and port blocks (issue 14 item 1, 2): restart only, the
     * parent opens the file and the block size shapes pool4 */
    {.name = "session-log",
     .type = CT_STRING,
     FIELD(session_log),
     .flags = KF_OPTIONAL,
     .check = check_session_log},
    {.name = "session-log-destination", .type = CT_BOOL, FIELD(session_log_dst), .def = "no"},
    {.name = "pool4-block-size",
     UINT(0, NAT64_MAX_BLOCK_SIZE),
     FIELD(pool4_block_size),
     .def = "0"},
    /* --- logging (issue 14 item 5): where daemon lines go. Restart only:
     * the engine opens nothing itself (its filter allows only the AF_UNIX
     * socket syslog(3) reconnects with), so both processes must have it
     * from the start. */
    {.name = "log", ENUM(LOG_TARGETS), FIELD(log_target), .def = "stderr"},
};

#define N_KEYS (sizeof(KEYS) / sizeof(KEYS[0]))

const struct config_key *config_key_at(size_t i)
{
	return i < N_KEYS ? &KEYS[i] : NULL;
}

const struct config_key *config_key_find(const char *key)
{
	for (size_t i = 0; i < N_KEYS; i++)
		if (strcmp(KEYS[i].name, key) == 0)
			return &KEYS[i];
	return NULL;
}

/* --- a value by type --- */

static void *field(const struct config_key *k, struct tun64_config *c)
{
	return (char *)c + k->off;
}

static const void *cfield(const struct config_key *k, const struct tun64_config *c)
{
	return (const char *)c + k->off;
}

/* CT_BOOL, CT_ENUM, CT_UINT: a bool, an unsigned (or enum) or an unsigned long long. */
static unsigned long long get_number(const struct config_key *k, const void *p)
{
	unsigned long long ull;
	unsigned u;

	if (k->size == sizeof(bool))
		return *(const bool *)p;
	if (k->size == sizeof(unsigned)) {
		memcpy(&u, p, sizeof(u));
		return u;
	}
	memcpy(&ull, p, sizeof(ull));
	return ull;
}

static void put_number(const struct config_key *k, void *p, unsigned long long v)
{
	unsigned u = (unsigned)v;

	if (k->size == sizeof(bool))
		*(bool *)p = v != 0;
	else if (k->size == sizeof(unsigned))
		memcpy(p, &u, sizeof(u));
	else
		memcpy(p, &v, sizeof(v));
}

static int set_enum(const struct config_key *k, void *p, const char *v, char *w)
{
	char list[WHYLEN] = "";
	size_t i, n = 0;

	for (i = 0; k->words[i]; i++)
		if (strcmp(v, k->words[i]) == 0) {
			put_number(k, p, i);
			return 0;
		}
	/* "expected a, b or c" */
	for (i = 0; k->words[i]; i++)
		n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s",
		                      i == 0            ? ""
		                      : k->words[i + 1] ? ", "
		                                        : " or ",
		                      k->words[i]);
	return cfg_why(w, "'%s': expected %s", v, list);
}

static int set_typed(const struct config_key *k, struct tun64_config *c, const char *v, char *w)
{
	void *p = field(k, c);
	unsigned long long n;
	struct prefix4 p4;
	struct prefix6 p6;
	uint8_t a6[16];
	uint32_t a4;
	bool b;

	switch (k->type) {
	case CT_BOOL:
		if (cfg_parse_bool(v, &b, w) < 0)
			return -1;
		put_number(k, p, b);
		return 0;
	case CT_ENUM:
		return set_enum(k, p, v, w);
	case CT_UINT:
		if (cfg_parse_number(v, k->min, k->max, &n, w) < 0)
			return -1;
		put_number(k, p, n);
		return 0;
	case CT_STRING:
		if (k->check && k->check(v, w) < 0)
			return -1;
		return cfg_copy_string(p, k->size, v, w);
	case CT_ADDR4:
		if (addr4_parse(v, &a4) < 0)
			return cfg_why(w, "'%s' is not an IPv4 address", v);
		memcpy(p, &a4, sizeof(a4));
		return 0;
	case CT_ADDR6:
		if (addr6_parse(v, a6) < 0)
			return cfg_why(w, "'%s' is not an IPv6 address", v);
		memcpy(p, a6, sizeof(a6));
		return 0;
	case CT_PREFIX4:
		if (cfg_parse_prefix4(v, &p4, w) < 0)
			return -1;
		memcpy(p, &p4, sizeof(p4));
		return 0;
	case CT_PREFIX6:
		if (cfg_parse_prefix6(v, &p6, w) < 0)
			return -1;
		memcpy(p, &p6, sizeof(p6));
		return 0;
	case CT_LIST:
		break;
	}
	return cfg_why(w, "no parser"); /* a CT_LIST row without one: a table bug */
}

int config_key_set(const struct config_key *k, struct tun64_config *c, const char *v, char *w)
{
	int rc = k->parse ? k->parse(c, v, w) : set_typed(k, c, v, w);

	if (rc == 0 && k->given)
		*(bool *)((char *)c + k->given - 1) = true;
	return rc;
}

void config_defaults(struct tun64_config *c)
{
	char w[WHYLEN];

	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < N_KEYS; i++)
		/* The table is constant: a default it refuses is a bug every test sees. */
		if (KEYS[i].def && config_key_set(&KEYS[i], c, KEYS[i].def, w) < 0)
			abort();
	c->pool4_default = true; /* the first pool4 given replaces the built-in one */
}

/* --- printing --- */

static bool is_shown(const struct config_key *k, const struct tun64_config *c)
{
	if (k->shown)
		return k->shown(c);
	if (!(k->flags & KF_OPTIONAL))
		return true;
	if (k->given)
		return *(const bool *)((const char *)c + k->given - 1);
	return k->type != CT_STRING || *(const char *)cfield(k, c) != '\0';
}

static const char *enum_word(const struct config_key *k, unsigned long long v)
{
	for (size_t i = 0; k->words[i]; i++)
		if (i == v)
			return k->words[i];
	return "?";
}

static void print_value(const struct config_key *k, const void *p, FILE *f)
{
	char a[INET6_ADDRSTRLEN];
	struct prefix4 p4;
	uint32_t a4;

	switch (k->type) {
	case CT_BOOL:
		fputs(get_number(k, p) ? "yes" : "no", f);
		break;
	case CT_ENUM:
		fputs(enum_word(k, get_number(k, p)), f);
		break;
	case CT_UINT:
		fprintf(f, "%llu", get_number(k, p));
		break;
	case CT_STRING:
		fputs(p, f);
		break;
	case CT_ADDR4:
		memcpy(&a4, p, sizeof(a4));
		fputs(addr4_str(a4, a, sizeof(a)), f);
		break;
	case CT_ADDR6:
		fputs(addr6_str(p, a, sizeof(a)), f);
		break;
	case CT_PREFIX4:
		memcpy(&p4, p, sizeof(p4));
		cfg_print_prefix4(f, p4.addr, p4.len);
		break;
	case CT_PREFIX6:
		cfg_print_prefix6(f, p);
		break;
	case CT_LIST:
		break;
	}
}

void config_print(const struct tun64_config *c, FILE *f)
{
	for (size_t i = 0; i < N_KEYS; i++) {
		const struct config_key *k = &KEYS[i];

		if (k->print) {
			k->print(c, f);
			continue;
		}
		if (!is_shown(k, c))
			continue;
		fprintf(f, "%s ", k->name);
		print_value(k, cfield(k, c), f);
		fputc('\n', f);
		if (k->note_below && get_number(k, cfield(k, c)) < k->note_below)
			fprintf(f, "# note: %s is below the RFC 6146 §4 minimum of %u s\n", k->name,
			        k->note_below);
	}
}

/* --- the reload diff --- */

static bool same_value(const struct config_key *k, const struct tun64_config *a,
                       const struct tun64_config *b)
{
	const void *pa = cfield(k, a), *pb = cfield(k, b);
	const struct prefix4 *a4 = pa, *b4 = pb;
	const struct prefix6 *a6 = pa, *b6 = pb;

	if (k->same)
		return k->same(a, b);
	switch (k->type) {
	case CT_BOOL:
	case CT_ENUM:
	case CT_UINT:
		return get_number(k, pa) == get_number(k, pb);
	case CT_STRING:
		return strcmp(pa, pb) == 0;
	case CT_ADDR4:
	case CT_ADDR6:
		return memcmp(pa, pb, k->size) == 0;
	case CT_PREFIX4: /* field by field: padding is not part of the value */
		return a4->addr == b4->addr && a4->len == b4->len;
	case CT_PREFIX6:
		return memcmp(a6->addr, b6->addr, 16) == 0 && a6->len == b6->len;
	case CT_LIST:
		break;
	}
	return false; /* a list without .same: assume changed (test_config checks) */
}

const char *config_needs_restart(const struct tun64_config *old, const struct tun64_config *new)
{
	for (size_t i = 0; i < N_KEYS; i++)
		if (!(KEYS[i].flags & KF_RELOAD) && !same_value(&KEYS[i], old, new))
			return KEYS[i].name;
	return NULL;
}

/* --- the key list, for long options and documentation --- */

bool config_is_key(const char *key)
{
	return config_key_find(key) != NULL;
}

const char *config_key_name(size_t i)
{
	return i < N_KEYS ? KEYS[i].name : NULL;
}

bool config_key_reloadable(const char *key)
{
	const struct config_key *k = config_key_find(key);

	return k && (k->flags & KF_RELOAD);
}

bool config_key_repeatable(const char *key)
{
	const struct config_key *k = config_key_find(key);

	return k && (k->flags & KF_REPEAT);
}

size_t config_reloadable_keys(const char **names, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < N_KEYS; i++)
		if (KEYS[i].flags & KF_RELOAD) {
			if (n < max)
				names[n] = KEYS[i].name;
			n++;
		}
	return n;
}
