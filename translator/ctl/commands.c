/* SPDX-License-Identifier: BSD-2-Clause */
#include "commands.h"

#include <string.h>

/* In the order --help lists them. */
static const struct ctl_command COMMANDS[] = {
    {"map", "ADDR [--prefix P]",
     "IPv4 address -> IPv4-embedded IPv6 address (RFC 6052,\n"
     "or an explicit `map` of the config, RFC 7757), and\n"
     "IPv6 -> IPv4; computed offline, no daemon needed",
     CTL_MAP},
    {"map", "--zone FILE [--prefix P]",
     "an AAAA record for every A record of a DNS zone\n"
     "file (FILE - is stdin); offline too",
     CTL_MAP},
    {"pref64", "",
     "radvd and systemd-networkd settings that announce\n"
     "the prefix to clients (RFC 8781 PREF64); offline",
     CTL_PREF64},
    {"status", "", "mode, prefix, pool4, tun, workers, routes, uptime, state", CTL_SOCKET},
    {"stats", "[--explain]", "every packet counter, per direction (with its meaning)", CTL_SOCKET},
    {"sessions", "", "live NAT64 sessions", CTL_SOCKET},
    {"sessions", "delete --client ADDR6[/LEN] | --pool4 ADDR4 | --all",
     "end sessions now (their ports go back to pool4)", CTL_SOCKET},
    {"withdraw", "",
     "out of service: tun down, its routes removed; the\n"
     "daemon keeps its state and does not put them back",
     CTL_SOCKET},
    {"restore", "", "back in service after withdraw", CTL_SOCKET},
    {"sessions", "--follow",
     "mappings, sessions and port blocks as they are made\n"
     "and removed, one JSON line each, until interrupted",
     CTL_SOCKET},
    {"blocks", "", "port blocks (pool4-block-size): client, pool4 ports", CTL_SOCKET},
    {"reload", "", "make tun64d re-read its configuration file", CTL_SOCKET},
    {"bib", "", "the binding table (BIB): client#port, pool4#port", CTL_SOCKET},
    {"fast-path", "on|off",
     "switch the kernel fast path at run time (sessions\n"
     "stay); off: tcpdump on the tun sees every packet",
     CTL_SOCKET},
};

#define N_COMMANDS (sizeof(COMMANDS) / sizeof(COMMANDS[0]))
#define HELP_COLUMN 25 /* where the help text starts */

const struct ctl_command *ctl_command_at(size_t i)
{
	return i < N_COMMANDS ? &COMMANDS[i] : NULL;
}

const struct ctl_command *ctl_command_find(const char *name)
{
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (strcmp(COMMANDS[i].name, name) == 0)
			return &COMMANDS[i];
	return NULL;
}

void ctl_commands_usage(FILE *f)
{
	for (size_t i = 0; i < N_COMMANDS; i++) {
		const struct ctl_command *c = &COMMANDS[i];
		int n = fprintf(f, "  %s%s%s", c->name, *c->args ? " " : "", c->args);

		/* a long synopsis gets a line of its own */
		if (n >= HELP_COLUMN) {
			fputc('\n', f);
			n = 0;
		}
		fprintf(f, "%*s", HELP_COLUMN - n, "");
		for (const char *h = c->help; *h; h++) {
			fputc(*h, f);
			if (*h == '\n')
				fprintf(f, "%*s", HELP_COLUMN, "");
		}
		fputc('\n', f);
	}
}
