#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# End-to-end test of `user` / `group`: tun64d started as root with
# --user nobody --group nogroup sets everything up, then its engine (the
# unprivileged half, privsep.h) runs as nobody with no capability (every
# thread) while the parent keeps root, and it still translates (ping, a ~4 MB
# download), answers tun64ctl (root, and members of the socket's group only),
# reloads (the parent reads the file, here one nobody cannot read), puts back
# a deleted route, a forwarding sysctl turned off and a deleted tun (the
# parent), and on SIGTERM removes its routes, its tun and its control socket.
#
# Usage: e2e_privs.sh BUILD_DIR   (as root; run by ctest as e2e_privs)
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"

t64_use_build "${1:-}"
command -v setpriv >/dev/null 2>&1 || t64_die "missing tool: setpriv (util-linux)"
{ getent passwd nobody && getent group nogroup; } >/dev/null ||
	t64_die "needs user nobody and group nogroup"

NOBODY=$(id -u nobody)
NOGROUP=$(getent group nogroup | cut -d: -f3)


t64_init
START=$SECONDS
# nobody must reach the socket directory that tun64d makes and hands over,
# not list the rest.
chmod 0711 "$T64_WORKDIR"
SOCKDIR=$T64_WORKDIR/run
SOCK=$SOCKDIR/tun64.sock

t64_require "topology: client, router and server namespaces" t64_topology_create
t64_require "server: HTTP on $T64_SERVER4:$T64_HTTP_PORT" t64_start_server
t64_require "tun64d --user nobody --group nogroup started and printed 'tun64d: ready'" \
	t64_start_daemon "$BUILD" --user nobody --group nogroup --control-socket "$SOCK"
SERVER6=$T64_SERVER6_EXPECTED
PID=$T64_DAEMON_PID
ENGINE=$(pgrep -P "$PID" | head -1)

check_log_line() {
	grep "privileges dropped" "$T64_DAEMON_LOG" | sed 's/^/    /'
	grep -qE "${T64_LOG_HEAD}privileges dropped: uid $NOBODY gid $NOGROUP, capabilities: none\$" \
		"$T64_DAEMON_LOG"
}
t64_check "log: privileges dropped: uid $NOBODY gid $NOGROUP, capabilities: none" check_log_line

# field STATUS_FILE KEY: the value of "KEY:" in a /proc status file.
field() {
	sed -n "s/^$2:[[:space:]]*//p" "$1" | tr -s '[:space:]' ' ' | sed 's/ $//'
}
check_status() {
	local st ok=0 n=0 task
	[ -n "$ENGINE" ] || { echo "    no engine under $PID"; return 1; }
	for st in "/proc/$ENGINE/status" /proc/"$ENGINE"/task/*/status; do
		task=${st%/status}
		[ "$(field "$st" Uid)" = "$NOBODY $NOBODY $NOBODY $NOBODY" ] ||
			{ echo "    $task Uid: $(field "$st" Uid)"; ok=1; }
		[ "$(field "$st" Gid)" = "$NOGROUP $NOGROUP $NOGROUP $NOGROUP" ] ||
			{ echo "    $task Gid: $(field "$st" Gid)"; ok=1; }
		[ "$(field "$st" Groups)" = "$NOGROUP" ] ||
			{ echo "    $task Groups: $(field "$st" Groups)"; ok=1; }
		for cap in CapEff CapPrm CapBnd CapInh CapAmb; do
			[ "$(field "$st" $cap)" = 0000000000000000 ] ||
				{ echo "    $task $cap: $(field "$st" $cap)"; ok=1; }
		done
		[ "$(field "$st" NoNewPrivs)" = 1 ] || { echo "    $task NoNewPrivs"; ok=1; }
		[ "$(field "$st" Seccomp)" = 2 ] || { echo "    $task Seccomp"; ok=1; }
		n=$((n + 1))
	done
	echo "    $n status files (engine and its threads): Uid/Gid $NOBODY/$NOGROUP, CapEff $(field "/proc/$ENGINE/status" CapEff)"
	return $ok
}
t64_check "/proc/ENGINE/status, every thread: uid nobody, gid nogroup, no capability, seccomp" \
	check_status

check_socket_owner() {
	local s d
	s=$(stat -c '%u:%g %a' "$SOCK") && d=$(stat -c '%u:%g' "$SOCKDIR") || return 1
	echo "    socket $s, directory $d"
	[ "$s" = "0:$NOGROUP 660" ] && [ "$d" = "$NOBODY:$NOGROUP" ]
}
t64_check "control socket root:nogroup 0660 in a directory handed to nobody:nogroup" \
	check_socket_owner

check_ctl_access() {
	local ok=0
	"$BUILD/tun64ctl" -s "$SOCK" status >/dev/null || { echo "    root: refused"; ok=1; }
	setpriv --reuid=54321 --regid="$NOGROUP" --clear-groups \
		"$BUILD/tun64ctl" -s "$SOCK" status >/dev/null ||
		{ echo "    a member of nogroup: refused"; ok=1; }
	if setpriv --reuid=54321 --regid=54321 --clear-groups \
		"$BUILD/tun64ctl" -s "$SOCK" status >/dev/null 2>&1; then
		echo "    another user and group: allowed"
		ok=1
	fi
	return $ok
}
t64_check "tun64ctl: root and nogroup members reach the daemon, others do not" check_ctl_access

check_ping() {
	local out
	out=$(timeout 15 ip netns exec "$T64_NS_CLIENT" ping -6 -n -c 3 -i 0.2 -W 3 "$SERVER6" 2>&1)
	echo "$out" | tail -2 | sed 's/^/    /'
	echo "$out" | grep -q ' 0% packet loss'
}
t64_check "ping -6 -c 3 $SERVER6: 0% loss" check_ping

check_curl() {
	local got=$T64_WORKDIR/blob.got
	t64_in "$T64_NS_CLIENT" curl -6 -g -sS --max-time 20 -o "$got" \
		"http://[$SERVER6]:$T64_HTTP_PORT/blob" 2>&1 | sed 's/^/    /'
	[ "${PIPESTATUS[0]}" -eq 0 ] && cmp "$T64_WORKDIR/www/blob" "$got"
}
t64_check "curl -6 http://[$SERVER6]:$T64_HTTP_PORT/blob: ~4 MB, byte for byte" check_curl

check_reload() {
	local out
	echo "timeout-udp 200" >>"$T64_DAEMON_CONF"
	chmod 0600 "$T64_DAEMON_CONF"
	out=$("$BUILD/tun64ctl" -s "$SOCK" reload 2>&1)
	echo "    $out"
	[ "$out" = "configuration reloaded" ]
}
t64_check "tun64ctl reload: the parent reads the file (0600 root) for the engine" check_reload

# route_back CMD...: up to a second for CMD (an `ip route show`) to print a route.
route_back() {
	local _
	for _ in $(seq 20); do
		[ -n "$(t64_in "$T64_NS_ROUTER" "$@")" ] && return 0
		sleep 0.05
	done
	return 1
}
check_heal_route() {
	t64_in "$T64_NS_ROUTER" ip -6 route del "$T64_PREFIX6" dev nat64 || return 1
	route_back ip -6 route show "$T64_PREFIX6" dev nat64
}
t64_check "ip -6 route del $T64_PREFIX6: put back within a second (the parent)" check_heal_route

# Healing writes the forwarding sysctls too (the parent).
check_heal_sysctl() {
	t64_in "$T64_NS_ROUTER" sysctl -qw net.ipv4.ip_forward=0 || return 1
	t64_in "$T64_NS_ROUTER" ip route del "$T64_POOL4" dev nat64 || return 1
	route_back ip route show "$T64_POOL4" dev nat64 || { echo "    route not back"; return 1; }
	sleep 0.1
	[ "$(t64_in "$T64_NS_ROUTER" sysctl -n net.ipv4.ip_forward)" = 1 ] ||
		{ echo "    net.ipv4.ip_forward still 0"; return 1; }
}
t64_check "ip_forward=0 and the pool4 route deleted: both put back" check_heal_sysctl

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

check_clean_exit() {
	kill -TERM "$PID" 2>/dev/null || return 1
	t64_wait_exit "$PID" 10 || { echo "    still running 10 s after SIGTERM"; return 1; }
	echo "    exit status $T64_EXIT_STATUS"
	[ "$T64_EXIT_STATUS" -eq 0 ]
}

# Re-creating a deleted tun opens /dev/net/tun again: the parent does, as
# root, and hands the new fds to the engine.
check_recreate() {
	t64_in "$T64_NS_ROUTER" ip link del nat64 || return 1
	t64_wait_for 5 grep -q "re-created; translating again" "$T64_DAEMON_LOG" ||
		{ echo "    tun not re-created"; return 1; }
	timeout 15 ip netns exec "$T64_NS_CLIENT" ping -6 -n -c 2 -i 0.2 -W 3 "$SERVER6" \
		>/dev/null || { echo "    no ping after re-creation"; return 1; }
}
t64_check "ip link del nat64: the parent re-creates the tun, the engine takes it, ping works" \
	check_recreate
t64_check "SIGTERM: exit status 0 within 10 s" check_clean_exit
t64_check "after exit: no routes, no nat64 link, no control socket" check_no_leftovers

echo "e2e_privs: took $((SECONDS - START)) s"
t64_finish
