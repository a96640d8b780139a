/* SPDX-License-Identifier: BSD-2-Clause */
/* tun64ctl: the command-line tool for tun64d.
 *
 * `map` computes the RFC 6052 mapping (and the RFC 7757 explicit address
 * mappings of the config file) offline, without a daemon, for one address or
 * for every A record of a DNS zone file (translator/ctl/zone.h); pref64 prints
 * RA daemon settings offline. The other commands (the table in commands.c)
 * ask the daemon over its control socket (translator/daemon/control.h); the
 * daemon's answer decides success. */
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "addr.h"
#include "commands.h"
#include "config.h"
#include "eam.h"
#include "pref64_conf.h"
#include "zone.h"

#define EXIT_USAGE 1
#define EXIT_NOT_IMPLEMENTED 2
#define ZONE_FILE_MAX (256 * 1024 * 1024)

struct ctl_args {
	const char *command;
	const char *operand;
	const char *prefix;
	const char *zone_path;
	const char *config_path;
	const char *socket_path;
	bool json;
	bool explain;
	const char *client, *pool4; /* sessions delete --client / --pool4 */
	bool all;                   /* sessions delete --all */
	bool follow;
};

static void usage(FILE *f)
{
	fputs("usage: tun64ctl [-c FILE] [--json] COMMAND [ARGS]\n"
	      "\n"
	      "commands:\n",
	      f);
	ctl_commands_usage(f);
	fprintf(f,
	        "\n"
	        "options:\n"
	        "  -c, --config FILE      configuration file (default %s if it exists,\n"
	        "                         else the built-in defaults)\n"
	        "  --prefix P             translation prefix, overrides the configuration\n"
	        "  -s, --socket PATH      the daemon's control socket (default: control-socket\n"
	        "                         of the configuration, /run/tun64/tun64.sock)\n"
	        "  --json                 machine-readable output\n"
	        "  -h, --help             this text\n",
	        CONFIG_DEFAULT_PATH);
}

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* One line on stderr; returns the exit status for errors. */
static int fail(const char *fmt, ...)
{
	va_list ap;

	fputs("tun64ctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_USAGE;
}

/* Does arg name option name, as "NAME" or "NAME=VALUE"? */
static bool is_option(const char *arg, const char *name)
{
	size_t n = strlen(name);

	return strncmp(arg, name, n) == 0 && (arg[n] == '\0' || arg[n] == '=');
}

/* The value of option name at argv[*i]: "NAME=VALUE" or "NAME VALUE".
 * Returns NULL if it is missing. */
static const char *option_value(int argc, char **argv, int *i, const char *name)
{
	const char *arg = argv[*i];
	size_t n = strlen(name);

	if (arg[n] == '=')
		return arg + n + 1;
	if (*i + 1 >= argc)
		return NULL;
	return argv[++*i];
}

/* Returns 0, 1 for --help, or -1 after printing the error. */
static int parse_args(int argc, char **argv, struct ctl_args *a)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *arg = argv[i];
		const char **slot = NULL;
		const char *name = NULL;

		if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0)
			return 1;
		if (strcmp(arg, "--json") == 0) {
			a->json = true;
			continue;
		}
		if (strcmp(arg, "--explain") == 0) {
			a->explain = true;
			continue;
		}
		if (strcmp(arg, "--all") == 0) {
			a->all = true;
			continue;
		}
		if (is_option(arg, "--client")) {
			slot = &a->client;
			name = "--client";
		} else if (is_option(arg, "--pool4")) {
			slot = &a->pool4;
			name = "--pool4";
		} else if (strcmp(arg, "--follow") == 0) {
			a->follow = true;
			continue;
		} else if (is_option(arg, "--prefix")) {
			slot = &a->prefix;
			name = "--prefix";
		} else if (is_option(arg, "--zone")) {
			slot = &a->zone_path;
			name = "--zone";
		} else if (is_option(arg, "--config") || strcmp(arg, "-c") == 0) {
			slot = &a->config_path;
			name = arg[1] == 'c' ? "-c" : "--config";
		} else if (is_option(arg, "--socket") || strcmp(arg, "-s") == 0) {
			slot = &a->socket_path;
			name = arg[1] == 's' ? "-s" : "--socket";
		}
		if (slot) {
			*slot = option_value(argc, argv, &i, name);
			if (!*slot) {
				fail("%s: needs a value", name);
				return -1;
			}
			continue;
		}
		if (arg[0] == '-' && arg[1] != '\0') {
			fail("%s: unknown option (see tun64ctl --help)", arg);
			return -1;
		}
		if (!a->command) {
			a->command = arg;
		} else if (!a->operand) {
			a->operand = arg;
		} else {
			fail("unexpected argument '%s'", arg);
			return -1;
		}
	}
	return 0;
}

/* The configuration map works from: the file given, else the default file if
 * there is one, else the built-in defaults; then --prefix on top. */
static int load_map_config(const struct ctl_args *a, struct tun64_config *c)
{
	char err[CONFIG_ERRLEN];
	const char *path = a->config_path;

	config_defaults(c);
	if (!path && access(CONFIG_DEFAULT_PATH, F_OK) == 0)
		path = CONFIG_DEFAULT_PATH;
	if (path && config_load_file(c, path, err, sizeof(err)) < 0)
		return fail("%s", err);
	if (a->prefix) {
		if (config_set(c, "prefix", a->prefix, "--prefix", err, sizeof(err)) < 0)
			return fail("%s", err);
		c->n_map = 0; /* an explicit prefix asks for plain RFC 6052 */
	}
	return 0;
}

/* What `map` translates with: the configuration (its prefix) and the EAM
 * table built from its `map` lines, the very table tun64d would use, so the
 * answer is the daemon's (longest match, RFC 7757 §3.2; suffix placement,
 * §3.3). */
struct map_ctx {
	const struct tun64_config *c;
	const struct eam_table *eam;
};

/* RFC 6052 §3.1: the translator refuses these; say so, but still answer. */
static void note_wkp_private(const struct tun64_config *c, uint32_t v4, const char *text)
{
	if (prefix6_is_wkp(&c->prefix) && !addr4_is_global(v4) && !c->allow_private_wkp)
		fprintf(stderr,
		        "tun64ctl: note: %s is not a global address; RFC 6052 §3.1 forbids it "
		        "with 64:ff9b::/96 (wkp-allow-private no)\n",
		        text);
}

static void print_pair(const char *v4, const char *v6, bool json, bool from4)
{
	if (json)
		printf("{\"ipv4\":\"%s\",\"ipv6\":\"%s\"}\n", v4, v6);
	else
		printf("%s\n", from4 ? v6 : v4);
}

/* The IPv6 address IPv6 hosts use for v4: an explicit mapping, else RFC
 * 6052. False with `prefix none` and no map line for v4: not translated. */
static bool map4_to6(const struct map_ctx *m, uint32_t v4, uint8_t v6[16])
{
	char t4[INET_ADDRSTRLEN];

	if (eam_4to6(m->eam, v4, v6))
		return true;
	if (config_prefix_none(m->c))
		return false;
	rfc6052_embed(&m->c->prefix, v4, v6);
	note_wkp_private(m->c, v4, addr4_str(v4, t4, sizeof(t4)));
	return true;
}

/* zone_map4_fn for map --zone */
static bool zone_map4(uint32_t v4, uint8_t v6[16], void *arg)
{
	char t4[INET_ADDRSTRLEN];

	if (map4_to6(arg, v4, v6))
		return true;
	fprintf(stderr, "tun64ctl: note: %s has no map line (prefix none): no AAAA\n",
	        addr4_str(v4, t4, sizeof(t4)));
	return false;
}

static int map_from4(const struct map_ctx *m, uint32_t v4, bool json)
{
	char t4[INET_ADDRSTRLEN], t6[INET6_ADDRSTRLEN];
	uint8_t v6[16];

	addr4_str(v4, t4, sizeof(t4));
	if (!map4_to6(m, v4, v6))
		return fail("map: %s has no map line (prefix none: only map lines translate)", t4);
	print_pair(t4, addr6_str(v6, t6, sizeof(t6)), json, true);
	return 0;
}

static int map_from6(const struct map_ctx *m, const uint8_t v6[16], bool json)
{
	const struct tun64_config *c = m->c;
	char t4[INET_ADDRSTRLEN], t6[INET6_ADDRSTRLEN], tp[INET6_ADDRSTRLEN + 4];
	uint32_t v4;

	addr6_str(v6, t6, sizeof(t6));
	if (!eam_6to4(m->eam, v6, &v4) && !rfc6052_extract(&c->prefix, v6, &v4)) {
		if (config_prefix_none(c))
			return fail("map: %s has no map line (prefix none: only map lines "
			            "translate)",
			            t6);
		return fail("map: %s is not inside the prefix %s", t6,
		            config_prefix_str(c, tp, sizeof(tp)));
	}
	print_pair(addr4_str(v4, t4, sizeof(t4)), t6, json, false);
	return 0;
}

/* The whole of a file ("-": stdin) as a NUL-terminated string. */
static int read_text(const char *path, char **text)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	size_t len = 0, cap = 65536;
	char *buf = NULL, *bigger;
	int rc = 0;

	if (!f)
		return fail("%s: %s", path, strerror(errno));
	for (;;) {
		if (len == cap - 1 && (cap *= 2) > ZONE_FILE_MAX) {
			rc = fail("%s: file too large (at most %d MiB)", path, ZONE_FILE_MAX >> 20);
			break;
		}
		bigger = realloc(buf, cap);
		if (!bigger) {
			rc = fail("out of memory");
			break;
		}
		buf = bigger;
		len += fread(buf + len, 1, cap - 1 - len, f);
		if (ferror(f)) {
			rc = fail("%s: read error", path);
			break;
		}
		if (feof(f))
			break;
	}
	if (f != stdin)
		fclose(f);
	if (rc == 0) {
		buf[len] = '\0';
		if (strlen(buf) != len)
			rc = fail("%s: contains a NUL byte", path);
	}
	if (rc != 0) {
		free(buf);
		return rc;
	}
	*text = buf;
	return 0;
}

/* map --zone: all or nothing on stdout, so a bad line never leaves half a
 * record set to paste. */
static int map_zone(const struct map_ctx *m, const char *path)
{
	char err[512], *text = NULL, *out = NULL;
	size_t out_len = 0;
	FILE *mem;
	int n;

	if (read_text(path, &text) != 0)
		return EXIT_USAGE;
	mem = open_memstream(&out, &out_len);
	if (!mem) {
		free(text);
		return fail("out of memory");
	}
	n = zone_a_to_aaaa(text, strcmp(path, "-") == 0 ? "stdin" : path, zone_map4, (void *)m, mem,
	                   err, sizeof(err));
	fclose(mem);
	free(text);
	if (n >= 0)
		fwrite(out, 1, out_len, stdout);
	free(out);
	return n >= 0 ? 0 : fail("%s", err);
}

static int map_one(const struct map_ctx *m, const char *text, bool json)
{
	uint32_t v4;
	uint8_t v6[16];

	if (addr4_parse(text, &v4) == 0)
		return map_from4(m, v4, json);
	if (addr6_parse(text, v6) == 0)
		return map_from6(m, v6, json);
	return fail("map: '%s' is not an IPv4 or IPv6 address", text);
}

static int map_with_table(const struct ctl_args *a, const struct tun64_config *c)
{
	char err[512];
	struct eam_table *t = eam_table_new(c->map, c->n_map, err, sizeof(err));
	struct map_ctx m = {c, t};
	int rc;

	if (!t)
		return fail("%s", err);
	rc = a->zone_path ? map_zone(&m, a->zone_path) : map_one(&m, a->operand, a->json);
	eam_table_free(t);
	return rc;
}

static int cmd_map(const struct ctl_args *a)
{
	struct tun64_config *c;
	int rc;

	if (a->zone_path && a->operand)
		return fail("map: give an address or --zone FILE, not both");
	if (a->zone_path && a->json)
		return fail("map --zone: there is no --json output (it prints zone file lines)");
	if (!a->zone_path && !a->operand)
		return fail("map: needs an IPv4 or IPv6 address");
	c = malloc(sizeof(*c)); /* large: the map and bib tables */
	if (!c)
		return fail("out of memory");
	rc = load_map_config(a, c);
	if (rc == 0)
		rc = map_with_table(a, c);
	free(c);
	return rc;
}

/* pref64: offline like map, from the configuration (or --prefix). */
static int cmd_pref64(const struct ctl_args *a)
{
	struct tun64_config *c;
	int rc;

	if (a->operand)
		return fail("unexpected argument '%s'", a->operand);
	if (a->json)
		return fail("pref64: there is no --json output (it prints configuration snippets)");
	c = malloc(sizeof(*c));
	if (!c)
		return fail("out of memory");
	rc = load_map_config(a, c);
	if (rc == 0)
		pref64_print_conf(stdout, &c->prefix, c->pref64_announce);
	free(c);
	return rc;
}

/* A daemon of this release that does not know the request. */
static bool is_unknown_request(const char *answer)
{
	return strncmp(answer, "error: unknown request", 22) == 0;
}

/* One request over the control socket; the answer goes to stdout. */
static int cmd_socket(const struct ctl_args *a)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	const char *path = a->socket_path;
	struct tun64_config *c = NULL;
	char req[128], buf[4096];
	bool first = true, failed = false;
	ssize_t n;
	int fd, rc = 0;

	if (a->operand && strcmp(a->operand, "delete") == 0 &&
	    (strcmp(a->command, "sessions") != 0 ||
	     (a->client != NULL) + (a->pool4 != NULL) + a->all != 1))
		return fail("sessions delete: give one of --client ADDR6, --pool4 ADDR4, --all");
	if (!path) {
		c = malloc(sizeof(*c));
		if (!c)
			return fail("out of memory");
		rc = load_map_config(a, c);
		path = c->control_socket;
	}
	if (rc == 0 && strlen(path) >= sizeof(sun.sun_path))
		rc = fail("%s: socket path too long", path);
	if (rc != 0) {
		free(c);
		return rc;
	}
	strcpy(sun.sun_path, path);
	free(c);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		rc = fail("cannot reach tun64d at %s: %s", sun.sun_path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return rc;
	}
	if (a->operand && strcmp(a->operand, "delete") == 0) {
		snprintf(req, sizeof(req), "sessions delete %s %s\n",
		         a->client  ? "client"
		         : a->pool4 ? "pool4"
		                    : "all",
		         a->client  ? a->client
		         : a->pool4 ? a->pool4
		                    : "");
	} else if (strcmp(a->command, "fast-path") == 0) {
		if (!a->operand || (strcmp(a->operand, "on") && strcmp(a->operand, "off"))) {
			close(fd);
			return fail("fast-path: on or off");
		}
		snprintf(req, sizeof(req), "fast-path %s\n", a->operand);
	} else {
		snprintf(req, sizeof(req), "%s%s%s%s\n", a->command, a->follow ? " follow" : "",
		         a->json ? " json" : "", a->explain ? " explain" : "");
	}
	if (send(fd, req, strlen(req), MSG_NOSIGNAL) < 0) {
		rc = fail("%s: %s", sun.sun_path, strerror(errno));
		close(fd);
		return rc;
	}
	while ((n = recv(fd, buf, sizeof(buf) - 1, 0)) > 0) {
		buf[n] = '\0';
		if (first && strncmp(buf, "error: ", 7) == 0)
			failed = true;
		if (first && is_unknown_request(buf)) {
			close(fd);
			fprintf(stderr, "tun64ctl: %s: not implemented in this release\n",
			        a->command);
			return EXIT_NOT_IMPLEMENTED;
		}
		first = false;
		fwrite(buf, 1, (size_t)n, failed ? stderr : stdout);
		if (a->follow)
			fflush(stdout); /* a pipe sees each batch as it comes */
	}
	close(fd);
	if (n < 0)
		return fail("%s: %s", sun.sun_path, strerror(errno));
	return failed ? EXIT_USAGE : 0;
}

int main(int argc, char **argv)
{
	struct ctl_args a = {0};
	const struct ctl_command *cmd;
	int rc = parse_args(argc, argv, &a);

	if (rc == 1) {
		usage(stdout);
		return 0;
	}
	if (rc < 0)
		return EXIT_USAGE;
	if (!a.command) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (a.follow && strcmp(a.command, "sessions") != 0)
		return fail("--follow: only with sessions");
	cmd = ctl_command_find(a.command);
	if (!cmd)
		return fail("%s: unknown command (see tun64ctl --help)", a.command);
	switch (cmd->kind) {
	case CTL_MAP:
		return cmd_map(&a);
	case CTL_PREF64:
		return cmd_pref64(&a);
	case CTL_SOCKET:
		return cmd_socket(&a);
	}
	return fail("%s: unknown command (see tun64ctl --help)", a.command);
}
