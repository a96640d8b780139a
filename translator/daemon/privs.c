/* SPDX-License-Identifier: BSD-2-Clause */
/* Dropping root in the engine after setup. No libcap: prctl, setgroups,
 * setres[ug]id and the raw capset syscall are all it takes to drop every
 * capability. */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "privs.h"

/* A decimal id, or -1 if s is not one. */
static long parse_id(const char *s)
{
	char *end;
	long v;

	if (s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < 0 || v >= (long)UINT_MAX)
		return -1;
	return v;
}

static int resolve_user(struct privs *p, const char *user, char *err, size_t errlen)
{
	struct passwd *pw;
	long id;

	errno = 0;
	pw = getpwnam(user);
	if (pw) {
		p->uid = pw->pw_uid;
		p->gid = pw->pw_gid;
		return 0;
	}
	id = parse_id(user);
	if (id < 0) {
		snprintf(err, errlen, "user %s: %s", user,
		         errno ? strerror(errno) : "no such user");
		return -1;
	}
	/* A numeric id with no passwd entry: its group is the same number
	 * unless `group` says otherwise. */
	p->uid = (uid_t)id;
	p->gid = (gid_t)id;
	return 0;
}

static int resolve_group(struct privs *p, const char *group, char *err, size_t errlen)
{
	struct group *gr;
	long id;

	errno = 0;
	gr = getgrnam(group);
	if (gr) {
		p->gid = gr->gr_gid;
		return 0;
	}
	id = parse_id(group);
	if (id < 0) {
		snprintf(err, errlen, "group %s: %s", group,
		         errno ? strerror(errno) : "no such group");
		return -1;
	}
	p->gid = (gid_t)id;
	return 0;
}

int privs_resolve(struct privs *p, const char *user, const char *group, char *err, size_t errlen)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->user, sizeof(p->user), "%s", user);
	snprintf(p->group, sizeof(p->group), "%s", group);
	if (user[0]) {
		if (resolve_user(p, user, err, errlen) < 0)
			return -1;
		p->set_uid = true;
		p->set_gid = true;
	}
	if (group[0]) {
		if (resolve_group(p, group, err, errlen) < 0)
			return -1;
		p->set_gid = true;
		p->group_given = true;
	}
	return 0;
}

bool privs_wanted(const struct privs *p)
{
	return p->set_uid || p->set_gid;
}

/* nobody and nogroup from the databases, or the traditional 65534. */
static void default_ids(struct privs *p)
{
	struct passwd *pw = getpwnam("nobody");
	struct group *gr = getgrnam("nogroup");

	if (!gr)
		gr = getgrnam("nobody"); /* Fedora, Arch */
	if (!p->set_uid) {
		snprintf(p->user, sizeof(p->user), "nobody");
		p->uid = pw ? pw->pw_uid : 65534;
		p->set_uid = true;
	}
	if (!p->group_given) {
		snprintf(p->group, sizeof(p->group), "%s", gr ? gr->gr_name : "nogroup");
		p->gid = gr ? gr->gr_gid : 65534;
		p->set_gid = true;
	}
}

void privs_default(struct privs *p)
{
	/* Not root (say systemd's User= with AmbientCapabilities=): there is no
	 * switching ids; the engine keeps the ones it has and drops the
	 * capabilities only. */
	if (geteuid() != 0 || p->set_uid)
		return;
	/* Root without CAP_SETUID/CAP_SETGID (a unit's CapabilityBoundingSet):
	 * uid 0 with no capability left is what remains. */
	if (prctl(PR_CAPBSET_READ, CAP_SETUID, 0, 0, 0) != 1 ||
	    prctl(PR_CAPBSET_READ, CAP_SETGID, 0, 0, 0) != 1)
		return;
	default_ids(p);
}

/* The directory part of a socket path; "" for a bare name. */
static void socket_dir(const char *sock_path, char *dir, size_t dirlen)
{
	const char *slash = strrchr(sock_path, '/');
	size_t n = slash ? (size_t)(slash - sock_path) : 0;

	if (slash == sock_path)
		n = 1; /* "/sock": the root directory */
	if (n >= dirlen)
		n = 0;
	memcpy(dir, sock_path, n);
	dir[n] = '\0';
}

bool privs_socket_dir_exists(const char *sock_path)
{
	char dir[PATH_MAX];
	struct stat st;

	socket_dir(sock_path, dir, sizeof(dir));
	return dir[0] == '\0' || stat(dir, &st) == 0;
}

int privs_hand_over_socket(const struct privs *p, const char *sock_path, bool dir_made, char *err,
                           size_t errlen)
{
	char dir[PATH_MAX];

	/* The socket stays root's, mode 0660: root and the group may talk. */
	if (p->group_given && chown(sock_path, (uid_t)-1, p->gid) < 0) {
		snprintf(err, errlen, "control-socket %s: chown to group %s: %s", sock_path,
		         p->group, strerror(errno));
		return -1;
	}
	if (!dir_made || !p->set_uid)
		return 0;
	/* Only a directory tun64d made itself: removing the socket at exit
	 * needs write access to it, and the group needs to reach the socket. */
	socket_dir(sock_path, dir, sizeof(dir));
	if (dir[0] && chown(dir, p->uid, p->gid) < 0) {
		snprintf(err, errlen, "control-socket directory %s: chown to %s: %s", dir, p->user,
		         strerror(errno));
		return -1;
	}
	return 0;
}

/* Remove every capability from the bounding set, so nothing can come back
 * through an exec. Needs CAP_SETPCAP; without it (not
 * root to begin with) the bounding set stays as it is. */
static int drop_bounding_set(char *err, size_t errlen)
{
	for (int cap = 0; cap < 64; cap++) {
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0)
			continue;
		if (errno == EINVAL)
			return 0; /* past the last capability this kernel knows */
		if (errno == EPERM)
			return 0;
		snprintf(err, errlen, "dropping capability %d from the bounding set: %s", cap,
		         strerror(errno));
		return -1;
	}
	return 0;
}

/* Already running as the target ids (say systemd's User= and Group= with
 * AmbientCapabilities=CAP_NET_ADMIN), with no other group: nothing to switch,
 * and no CAP_SETUID/CAP_SETGID to switch with. */
static bool ids_already(const struct privs *p)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg, groups[2];
	int n;

	if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0)
		return false;
	if (p->set_uid && (ru != p->uid || eu != p->uid || su != p->uid))
		return false;
	if (rg != p->gid || eg != p->gid || sg != p->gid)
		return false;
	n = getgroups(2, groups);
	return n == 0 || (n == 1 && groups[0] == p->gid);
}

static int switch_ids(const struct privs *p, char *err, size_t errlen)
{
	if (ids_already(p))
		return 0;
	if (p->set_gid) {
		if (setgroups(1, &p->gid) < 0) {
			snprintf(err, errlen, "setgroups(%u): %s", (unsigned)p->gid,
			         strerror(errno));
			return -1;
		}
		if (setresgid(p->gid, p->gid, p->gid) < 0) {
			snprintf(err, errlen, "group %s: setresgid(%u): %s",
			         p->group[0] ? p->group : p->user, (unsigned)p->gid,
			         strerror(errno));
			return -1;
		}
	}
	if (p->set_uid && setresuid(p->uid, p->uid, p->uid) < 0) {
		snprintf(err, errlen, "user %s: setresuid(%u): %s", p->user, (unsigned)p->uid,
		         strerror(errno));
		return -1;
	}
	return 0;
}

/* Effective, permitted and inheritable: nothing. */
static int clear_caps(char *err, size_t errlen)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capset, &hdr, data) < 0) {
		snprintf(err, errlen, "clearing capabilities (capset): %s", strerror(errno));
		return -1;
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) {
		snprintf(err, errlen, "clearing ambient capabilities: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* The drop must not be undoable: a process that left uid 0 must not get it
 * back (OpenBSD-style paranoia: a kernel or libc surprise shows up here). */
static int check_no_way_back(const struct privs *p, char *err, size_t errlen)
{
	if (p->set_uid && p->uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
		snprintf(err, errlen, "user %s: root could be regained after the drop", p->user);
		return -1;
	}
	return 0;
}

int privs_drop(const struct privs *p, char *err, size_t errlen)
{
	if (drop_bounding_set(err, errlen) < 0 || switch_ids(p, err, errlen) < 0 ||
	    clear_caps(err, errlen) < 0)
		return -1;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		snprintf(err, errlen, "prctl after the drop: %s", strerror(errno));
		return -1;
	}
	return check_no_way_back(p, err, errlen);
}
