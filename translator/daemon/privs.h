/* SPDX-License-Identifier: BSD-2-Clause */
/* Dropping root in the engine (privsep.h) after setup: to config `user` /
 * `group`, or nobody / nogroup when none is set, with no capability at all.
 * What needs privileges (routes, link, tun, nftables, the state file) the
 * privileged parent does on the engine's request. */
#ifndef TUN64_PRIVS_H
#define TUN64_PRIVS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct privs {
	bool set_uid;     /* `user` given */
	bool set_gid;     /* `user` or `group` given */
	bool group_given; /* `group` given: the control socket is handed to it */
	uid_t uid;
	gid_t gid;
	char user[64], group[64]; /* names as configured, for messages */
};

/* Resolve `user` and `group` (names or numeric ids; either may be empty) to
 * ids, before anything on the system is changed. Without `group` the user's
 * primary group is used. Returns 0, or -1 with one line in err. */
int privs_resolve(struct privs *p, const char *user, const char *group, char *err, size_t errlen);

/* Is there anything to drop? */
bool privs_wanted(const struct privs *p);

/* When tun64d runs as root and `user` is not set: the engine runs as nobody
 * (and nogroup, or nobody's group, unless `group` is set; 65534 where
 * neither exists). Not root: left as it is, the engine keeps its ids. */
void privs_default(struct privs *p);

/* Does the directory of the control socket path exist? (Asked before the
 * socket is made, so that only a directory tun64d made is handed over.) */
bool privs_socket_dir_exists(const char *sock_path);

/* Make the control socket usable by `group` (if given) and, when tun64d made
 * its directory, hand the directory to user:group so the socket can be
 * removed at exit. Returns 0, or -1 with err. */
int privs_hand_over_socket(const struct privs *p, const char *sock_path, bool dir_made, char *err,
                           size_t errlen);

/* Switch to gid/uid (when set) with no supplementary groups but gid, and
 * drop every capability (effective, permitted, inheritable, ambient and the
 * bounding set; no new privileges). Call while the process has one thread:
 * capset acts on the calling thread only.
 * Returns 0, or -1 with err naming the step that failed. */
int privs_drop(const struct privs *p, char *err, size_t errlen);

#endif
