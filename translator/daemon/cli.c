/* SPDX-License-Identifier: BSD-2-Clause */
/* tun64d's command line: -c FILE, --check, --translate, and any configuration
 * key as --KEY VALUE, layered over the defaults and the file. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "daemon.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: tun64d [-c FILE] [--check] [--KEY VALUE ...]\n"
	           "  -c, --config FILE   configuration file (default " CONFIG_DEFAULT_PATH
	           " if it exists)\n"
	           "  --check             validate, print the effective configuration, exit\n"
	           "  --translate IN OUT  translate the capture IN offline, write OUT, exit\n"
	           "  --KEY VALUE         any configuration key (see tun64.conf(5)); overrides the "
	           "file\n"
	           "  -h, --help          this text\n");
}

/* Repeatable keys given as options replace the file's list rather than add to it. */
static void config_clear_list(struct tun64_config *c, const char *key)
{
	if (strcmp(key, "pool4") == 0)
		c->pool4_default = true; /* the next pool4 replaces what is there */
	else if (strcmp(key, "map") == 0)
		c->n_map = 0;
	else if (strcmp(key, "bib") == 0)
		c->n_bib = 0;
	else if (strcmp(key, "allow6") == 0)
		c->n_allow6 = 0;
}

/* Returns 0, 1 (exit 0: help), or -1 (usage error, message printed). */
int parse_cli(int argc, char **argv, struct cli *cli)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			return 1;
		}
		if (strcmp(a, "--check") == 0) {
			cli->check = true;
			continue;
		}
		if (strcmp(a, "--translate") == 0) {
			if (i + 2 >= argc) {
				fprintf(stderr, "tun64d: --translate needs IN.pcap and OUT.pcap\n");
				return -1;
			}
			cli->translate_in = argv[++i];
			cli->translate_out = argv[++i];
			continue;
		}
		if (strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr, "tun64d: %s needs a file name\n", a);
				return -1;
			}
			cli->config_path = argv[++i];
			continue;
		}
		if (strncmp(a, "--", 2) != 0) {
			fprintf(stderr, "tun64d: unexpected argument '%s'\n", a);
			usage(stderr);
			return -1;
		}
		if (cli->nopts == 256) {
			fprintf(stderr, "tun64d: too many options\n");
			return -1;
		}
		/* --key value or --key=value */
		static char keybuf[256][64];
		const char *eq = strchr(a + 2, '=');
		const char *val;
		size_t klen = eq ? (size_t)(eq - a - 2) : strlen(a + 2);

		if (klen == 0 || klen >= sizeof(keybuf[0])) {
			fprintf(stderr, "tun64d: bad option '%s'\n", a);
			return -1;
		}
		memcpy(keybuf[cli->nopts], a + 2, klen);
		keybuf[cli->nopts][klen] = '\0';
		if (!config_is_key(keybuf[cli->nopts])) {
			fprintf(stderr, "tun64d: --%s: unknown option\n", keybuf[cli->nopts]);
			return -1;
		}
		if (eq) {
			val = eq + 1;
		} else {
			if (i + 1 >= argc) {
				fprintf(stderr, "tun64d: --%s: needs a value\n",
				        keybuf[cli->nopts]);
				return -1;
			}
			val = argv[++i];
		}
		cli->key[cli->nopts] = keybuf[cli->nopts];
		cli->value[cli->nopts] = val;
		cli->nopts++;
	}
	return 0;
}

/* Defaults, then the file, then the options. err gets one line on failure. */
int load_config(struct tun64_config *c, const struct cli *cli, char *err, size_t errlen)
{
	const char *path = cli->config_path;

	config_defaults(c);
	if (!path && access(CONFIG_DEFAULT_PATH, F_OK) == 0)
		path = CONFIG_DEFAULT_PATH;
	if (path && config_load_file(c, path, err, errlen) < 0)
		return -1;
	for (int i = 0; i < cli->nopts; i++) {
		bool first = true;

		for (int j = 0; j < i; j++)
			if (strcmp(cli->key[j], cli->key[i]) == 0)
				first = false;
		if (first)
			config_clear_list(c, cli->key[i]);
		char where[80];

		snprintf(where, sizeof(where), "--%s", cli->key[i]);
		if (config_set(c, cli->key[i], cli->value[i], where, err, errlen) < 0)
			return -1;
	}
	return config_finalize(c, err, errlen);
}
