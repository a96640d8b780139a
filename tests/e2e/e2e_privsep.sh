#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# End-to-end test of tun64d's privilege separation (translator/daemon/
# privsep.h), which is always on: started as root with no `user`, tun64d runs
# as a root parent and an engine child that runs as nobody with no capability
# and a seccomp filter on every thread, and still translates. Then, one
# daemon each:
#   - SIGKILL to the engine: the parent says so and exits with status 1,
#     removing its routes, its tun and its control socket;
#   - (test builds, TUN64_TEST_HOOKS=ON) the engine makes a system call
#     outside its allow-list: SIGSYS kills it, the parent reports it and
#     exits the same way;
#   - SIGKILL to the parent: the engine exits too;
#   - SIGTERM to the parent: the engine saves the state file through the
#     parent and both exit with status 0.
#
# Usage: e2e_privsep.sh BUILD_DIR [HOOKS]   (as root; run by ctest as
# e2e_privsep; HOOKS is 1 when tun64d was built with TUN64_TEST_HOOKS=ON)
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"

t64_use_build "${1:-}"
HOOKS=${2:-0}
{ getent passwd nobody && getent group nogroup; } >/dev/null ||
	t64_die "needs user nobody and group nogroup"
NOBODY=$(id -u nobody)
NOGROUP=$(getent group nogroup | cut -d: -f3)

t64_init
START=$SECONDS
SOCK=$T64_WORKDIR/tun64.sock

# field STATUS_FILE KEY: the value of "KEY:" in a /proc status file.
field() {
	sed -n "s/^$2:[[:space:]]*//p" "$1" | tr -s '[:space:]' ' ' | sed 's/ $//'
}

# The engine: the parent's one child.
engine_of() {
	pgrep -P "$1" | head -1
}

start() {
	t64_start_daemon "$BUILD" "$@" || return 1
	PID=$T64_DAEMON_PID
	ENGINE=$(engine_of "$PID")
	[ -n "$ENGINE" ] || { echo "    no engine process under $PID"; return 1; }
	echo "    parent $PID, engine $ENGINE"
}

check_log_line() {
	grep "privileges dropped" "$T64_DAEMON_LOG" | sed 's/^/    /'
	grep -qE "${T64_LOG_HEAD}privileges dropped: uid $NOBODY gid $NOGROUP, capabilities: none\$" \
		"$T64_DAEMON_LOG"
}

check_engine_status() {
	local st ok=0 n=0 task
	[ "$(field "/proc/$ENGINE/status" Name)" = tun64d-engine ] ||
		{ echo "    $ENGINE is not the engine"; return 1; }
	for st in /proc/"$ENGINE"/task/*/status; do
		task=${st%/status}
		[ "$(field "$st" Uid)" = "$NOBODY $NOBODY $NOBODY $NOBODY" ] ||
			{ echo "    $task Uid: $(field "$st" Uid)"; ok=1; }
		[ "$(field "$st" Gid)" = "$NOGROUP $NOGROUP $NOGROUP $NOGROUP" ] ||
			{ echo "    $task Gid: $(field "$st" Gid)"; ok=1; }
		for cap in CapInh CapPrm CapEff CapBnd CapAmb; do
			[ "$(field "$st" $cap)" = 0000000000000000 ] ||
				{ echo "    $task $cap: $(field "$st" $cap)"; ok=1; }
		done
		[ "$(field "$st" NoNewPrivs)" = 1 ] || { echo "    $task NoNewPrivs"; ok=1; }
		[ "$(field "$st" Seccomp)" = 2 ] ||
			{ echo "    $task Seccomp: $(field "$st" Seccomp)"; ok=1; }
		n=$((n + 1))
	done
	echo "    $n engine threads: Uid $NOBODY, CapEff $(field "/proc/$ENGINE/status" CapEff), Seccomp $(field "/proc/$ENGINE/status" Seccomp)"
	[ "$n" -ge 2 ] || { echo "    expected the main thread and workers"; ok=1; }
	return $ok
}

check_parent_root() {
	[ "$(field "/proc/$PID/status" Uid)" = "0 0 0 0" ] && [ "$(field "/proc/$PID/status" Seccomp)" = 0 ]
}

check_ping() {
	timeout 15 ip netns exec "$T64_NS_CLIENT" ping -6 -n -c 3 -i 0.2 -W 3 \
		"$T64_SERVER6_EXPECTED" 2>&1 | grep -q ' 0% packet loss'
}

check_no_leftovers() {
	local r6 r4 ok=0
	r6=$(t64_in "$T64_NS_ROUTER" ip -6 route show "$T64_PREFIX6")
	r4=$(t64_in "$T64_NS_ROUTER" ip route show "$T64_POOL4")
	[ -z "$r6" ] || { echo "    left behind: $r6"; ok=1; }
	[ -z "$r4" ] || { echo "    left behind: $r4"; ok=1; }
	if t64_in "$T64_NS_ROUTER" ip link show nat64 >/dev/null 2>&1; then
		echo "    left behind: link nat64"
		ok=1
	fi
	[ ! -e "$SOCK" ] || { echo "    left behind: $SOCK"; ok=1; }
	return "$ok"
}

# expect_parent_exit STATUS LOG-REGEX: the parent exits with STATUS within
# 10 s, having logged a line matching LOG-REGEX, and nothing is left.
expect_parent_exit() {
	t64_wait_exit "$PID" 10 || { echo "    parent still running"; return 1; }
	echo "    exit status $T64_EXIT_STATUS"
	grep "error: engine" "$T64_DAEMON_LOG" | sed 's/^/    /'
	[ "$T64_EXIT_STATUS" -eq "$1" ] || return 1
	[ -z "$2" ] || grep -Eq "$2" "$T64_DAEMON_LOG" || { echo "    no log line /$2/"; return 1; }
	t64_alive "$ENGINE" && { echo "    engine still running"; return 1; }
	check_no_leftovers
}

t64_require "topology: client, router and server namespaces" t64_topology_create
t64_require "server: HTTP on $T64_SERVER4:$T64_HTTP_PORT" t64_start_server

# 1. The shape of a running daemon.
t64_require "tun64d started (no user set): a parent and an engine" start
t64_check "log: privileges dropped: uid $NOBODY gid $NOGROUP, capabilities: none" check_log_line
t64_check "every engine thread: nobody, CapEff/Prm/Bnd 0, NoNewPrivs, Seccomp: 2" \
	check_engine_status
t64_check "the parent stays root, without a filter" check_parent_root
t64_check "ping -6 through the engine: 0% loss" check_ping

# 2. The engine dies.
kill_engine() {
	kill -KILL "$ENGINE" || return 1
	expect_parent_exit 1 "error: engine \\(pid $ENGINE\\) killed by signal 9"
}
t64_check "SIGKILL to the engine: the parent exits 1, routes, tun and socket gone" kill_engine

# 3. A forbidden system call.
forbidden() {
	/usr/bin/python3 - "$SOCK" <<'PY' || true
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.sendall(b"test-forbidden-syscall\n")
s.settimeout(5)
try:
    s.recv(100)
except OSError:
    pass
PY
	expect_parent_exit 1 "error: engine \\(pid $ENGINE\\) killed by signal 31 .*seccomp allow-list"
}
if [ "$HOOKS" = 1 ]; then
	t64_require "tun64d started again" start
	t64_check "forbidden syscall in the engine: SIGSYS; the parent reports it, exits 1, cleans up" \
		forbidden
else
	t64_skip "forbidden syscall (tun64d built without TUN64_TEST_HOOKS)"
fi

# 4. The parent dies: the engine follows (PR_SET_PDEATHSIG, end of file).
kill_parent() {
	kill -KILL "$PID" || return 1
	t64_wait_exit "$PID" 5 || return 1
	t64_wait_for 5 bash -c "! kill -0 $ENGINE" || { echo "    engine $ENGINE still running"; return 1; }
	# Nothing was there to remove the socket file; the next daemon copes.
	rm -f "$SOCK"
}
t64_require "tun64d started again" start
t64_check "SIGKILL to the parent: the engine exits" kill_parent

# 5. SIGTERM: the state file goes through the parent.
STATE=$T64_WORKDIR/state/sessions
mkdir -p "$T64_WORKDIR/state"
clean_stop() {
	kill -TERM "$PID" || return 1
	t64_wait_exit "$PID" 10 || { echo "    still running"; return 1; }
	echo "    exit status $T64_EXIT_STATUS"
	[ "$T64_EXIT_STATUS" -eq 0 ] || return 1
	grep -qE "${T64_LOG_HEAD}state-file $STATE: saved [0-9]* sessions\$" "$T64_DAEMON_LOG" ||
		{ echo "    no 'saved' line"; return 1; }
	[ "$(stat -c %a:%u "$STATE")" = 600:0 ] || { echo "    $(stat -c %a:%u "$STATE")"; return 1; }
	t64_alive "$ENGINE" && { echo "    engine still running"; return 1; }
	check_no_leftovers
}
t64_require "tun64d --state-file started again" start --state-file "$STATE"
t64_check "ping -6 again (a session to save)" check_ping
t64_check "SIGTERM: state file saved (root's, 0600), exit 0, nothing left" clean_stop

echo "e2e_privsep: took $((SECONDS - START)) s"
t64_finish
