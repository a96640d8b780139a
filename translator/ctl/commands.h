/* SPDX-License-Identifier: BSD-2-Clause */
/* tun64ctl's commands: one table that the dispatch, the usage text and the
 * man page test (tests/unit/test_man_pages.c) read, so a command cannot be
 * added to one and missed by the others. */
#ifndef TUN64_CTL_COMMANDS_H
#define TUN64_CTL_COMMANDS_H

#include <stddef.h>
#include <stdio.h>

enum ctl_kind {
	CTL_MAP,    /* offline: map ADDR, map --zone FILE */
	CTL_PREF64, /* offline: radvd / networkd snippets */
	CTL_SOCKET, /* a request to tun64d over the control socket */
};

/* One form of a command as --help shows it; a command may have several
 * (sessions, sessions delete, sessions --follow), each of the same kind. */
struct ctl_command {
	const char *name; /* the word typed: "sessions" */
	const char *args; /* after the name in --help, "" if none */
	const char *help; /* lines separated by '\n' */
	enum ctl_kind kind;
};

/* The i-th row, NULL past the end. */
const struct ctl_command *ctl_command_at(size_t i);
/* The first row of the command name, NULL if there is none. */
const struct ctl_command *ctl_command_find(const char *name);
/* The "commands:" block of --help: one row per form. */
void ctl_commands_usage(FILE *f);

#endif
