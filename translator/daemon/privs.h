/* Dropping root after setup (config `user` / `group`). Daemon side, not the
 * packet core. After the drop tun64d keeps one capability, CAP_NET_ADMIN:
 * the netlink changes that put back a deleted route or link, the removal of
 * the routes at exit and the TUNSETIFF that re-creates a deleted tun all need
 * it, and nothing else the running daemon does needs more. */
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

/* Does the directory of the control socket path exist? (Asked before the
 * socket is made, so that only a directory tun64d made is handed over.) */
bool privs_socket_dir_exists(const char *sock_path);

/* Make the control socket usable by `group` (if given) and, when tun64d made
 * its directory, hand the directory to user:group so the socket can be
 * removed at exit. Returns 0, or -1 with err. */
int privs_hand_over_socket(const struct privs *p, const char *sock_path, bool dir_made, char *err,
                           size_t errlen);

/* Switch to gid/uid with no supplementary groups but gid, and keep only
 * CAP_NET_ADMIN (effective and permitted; inheritable, ambient and the
 * bounding set cleared of everything else; no new privileges). Call while
 * the process has one thread: capset acts on the calling thread only.
 * Returns 0, or -1 with err naming the step that failed. */
int privs_drop(const struct privs *p, char *err, size_t errlen);

#endif
