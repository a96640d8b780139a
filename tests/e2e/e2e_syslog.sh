#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# End-to-end test of syslog output (issue 14 item 5): `log syslog` and
# `session-log syslog` together.
#   1. Both processes' lines arrive on /dev/log as syslog(3) datagrams,
#      facility daemon with the right level, tagged tun64d[PID]: the root
#      parent's with its pid, the engine's (seccomp-confined) with its own.
#   2. session-log lines arrive there too, one per mapping created and one
#      per mapping removed: UTC time, protocol, IPv6 source and port, pool4
#      address and port.
#   3. The syslog daemon goes away and comes back (a new socket): the
#      engine's next line reconnects (socket and connect under its filter)
#      and arrives; the engine lives on.
#
# No syslog daemon is needed, and the host's /dev/log is never touched: the
# script runs itself again in a private mount namespace (unshare -m) with a
# tmpfs on /dev holding only the nodes tun64d and the tools need, bound from
# the real /dev, and /dev/log is a socket syslog_sink.py binds there.
#
# Usage: e2e_syslog.sh BUILD_DIR   (as root; run by ctest as e2e_syslog)
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if [ -z "${T64_PRIVATE_DEV:-}" ]; then
	[ "$(id -u)" -eq 0 ] || { echo "FAIL: $0 must be run as root"; exit 1; }
	T64_PRIVATE_DEV=1 exec unshare --mount --propagation private bash "$0" "$@"
fi

# In the private mount namespace from here on: mounts here are not seen
# outside and go away with the last process of it.
private_dev() {
	local old n
	old=$(mktemp -d /tmp/tun64-olddev.XXXXXX) || return 1
	mount --rbind /dev "$old" || return 1
	mount -t tmpfs -o mode=0755,size=1m tun64-dev /dev || { umount -l "$old"; return 1; }
	mkdir -p /dev/net /dev/pts /dev/shm
	for n in null zero full random urandom tty ptmx net/tun; do
		[ -e "$old/$n" ] || continue
		: >"/dev/$n" && mount --bind "$old/$n" "/dev/$n"
	done
	mount --rbind "$old/pts" /dev/pts
	mount --rbind "$old/shm" /dev/shm
	ln -s /proc/self/fd /dev/fd
	ln -s /proc/self/fd/0 /dev/stdin
	ln -s /proc/self/fd/1 /dev/stdout
	ln -s /proc/self/fd/2 /dev/stderr
	# never leave the real /dev reachable under /tmp (an rm -rf there)
	umount -l "$old" && rmdir "$old"
}
private_dev || { echo "FAIL: a private /dev in a private mount namespace"; exit 1; }

# shellcheck source=lib.sh
. "$HERE/lib.sh"

t64_use_build "${1:-}"
t64_init
SOCK=$T64_WORKDIR/tun64.sock
SYSLOG=$T64_WORKDIR/syslog.txt
SHORT=(--timeout-udp 3 --timeout-icmp 3 --timeout-tcp-trans 3 --timeout-tcp-est 3)
TS='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z'
# glibc's syslog(3) header: <PRI>Mmm dd hh:mm:ss tun64d[PID]:
HDR='[A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} '

start_sink() {
	t64_spawn "$T64_WORKDIR/sink.out" "$T64_NS_ROUTER" "$T64_PYTHON" "$HERE/syslog_sink.py" \
		/dev/log "$SYSLOG" 120
	SINK_PID=$T64_LAST_PID
	t64_wait_for 5 test -S /dev/log
}

t64_require "/dev/log is ours: a private /dev" [ ! -e /dev/log ]
t64_require "topology: client, router and server namespaces" t64_topology_create
t64_require "servers started (HTTP, DNS)" t64_start_server
t64_require "syslog stand-in bound to the private /dev/log" start_sink
SERVER6=$(t64_map "$BUILD" "$T64_SERVER4") || t64_die "tun64ctl map failed"

# tun64d as t64_start_daemon starts it, but ready is in syslog, not stderr
start_daemon() {
	T64_DAEMON_LOG=$T64_WORKDIR/tun64d.log
	T64_DAEMON_CONF=$T64_WORKDIR/tun64.conf
	cat >"$T64_DAEMON_CONF" <<CONF
prefix $T64_PREFIX6
pool4 $T64_POOL4
control-socket $SOCK
log syslog
session-log syslog
CONF
	t64_spawn "$T64_DAEMON_LOG" "$T64_NS_ROUTER" "$BUILD/tun64d" -c "$T64_DAEMON_CONF" \
		--tun-device nat64 "${SHORT[@]}"
	T64_DAEMON_PID=$T64_LAST_PID
	t64_wait_for 15 grep -q 'tun64d\[[0-9]*\]: ready$' "$SYSLOG"
}
t64_on_failure() {
	t64_show_daemon_log
	echo "----- syslog stand-in ($SYSLOG) -----"
	cat "$SYSLOG" 2>/dev/null
}
t64_require "tun64d --log syslog --session-log syslog: ready arrives by syslog" start_daemon

PARENT=$T64_DAEMON_PID
# the engine: the pid of the ready line, a child of the parent
ENGINE=$(sed -nE 's/.*tun64d\[([0-9]+)\]: ready$/\1/p' "$SYSLOG" | head -1)
echo "    parent $PARENT, engine ${ENGINE:-?}; syslog so far:"
sed 's/^/      /' "$SYSLOG" | head -12

# line PRI PID TEXT-RE: a datagram with that priority, tag and message
line() {
	grep -Eq "^<$1>$HDR""tun64d\[$2\]: $3\$" "$SYSLOG"
}
t64_check "stderr is empty (everything went to syslog)" [ ! -s "$T64_DAEMON_LOG" ]
t64_check "the engine is the parent's child" \
	[ "$(awk '{print $4}' "/proc/${ENGINE:-0}/stat" 2>/dev/null)" = "$PARENT" ]
t64_check "parent: <30> (daemon.info) tun64d[$PARENT]: added route" \
	line 30 "$PARENT" "added route 2001:db8:64::/96 dev nat64"
t64_check "engine: <30> tun64d[$ENGINE]: privileges dropped" \
	line 30 "$ENGINE" "privileges dropped: uid [0-9]+ gid [0-9]+, capabilities: none"
t64_check "engine: <30> tun64d[$ENGINE]: ready" line 30 "$ENGINE" "ready"
t64_check "every tun64d line of facility daemon (<24>..<31>)" \
	[ "$(grep -E 'tun64d\[' "$SYSLOG" | grep -cEv '^<(2[4-9]|3[01])>')" -eq 0 ]

# a warning: a reload that changes a restart-only key is refused
sed -i 's/^pool4 .*/&\nmtu 1400/' "$T64_DAEMON_CONF"
"$BUILD/tun64ctl" -s "$SOCK" reload >/dev/null 2>&1
t64_check "<27> (daemon.err) for a refused reload, from the engine" \
	t64_wait_for 3 line 27 "$ENGINE" "error: tun64ctl reload: .*restart.*"
sed -i '/^mtu 1400$/d' "$T64_DAEMON_CONF"

# ---- session-log ----
t64_check "dig through tun64d" t64_in "$T64_NS_CLIENT" dig +short +time=2 +tries=1 \
	"@$SERVER6" "$T64_DNS_NAME" A
t64_check "curl through tun64d" t64_in "$T64_NS_CLIENT" curl -s -o /dev/null --max-time 5 \
	"http://[$SERVER6]:$T64_HTTP_PORT/index.html"
# sl KIND PROTO: the session-log datagrams of that event (engine, daemon.info;
# sesslog_out.c writes them itself, with no syslog time: the line has its own)
sl() {
	grep -Ec "^<30>tun64d\[$ENGINE\]: $TS $1 $2 \[2001:db8:6::2\]:[0-9]+ 198\.51\.100\.([0-9]|1[0-5]):[0-9]+\$" "$SYSLOG"
}
tcp_added() { [ "$(sl bib-add tcp)" -ge 1 ]; }
t64_wait_for 5 tcp_added
t64_check "session-log: one bib-add udp (dig, one source port): $(sl bib-add udp)" \
	[ "$(sl bib-add udp)" -eq 1 ]
t64_check "session-log: one bib-add tcp (curl): $(sl bib-add tcp)" [ "$(sl bib-add tcp)" -eq 1 ]
# expiry after 3 s, the drain each second
dels_seen() { [ "$(sl bib-del tcp)" -ge 1 ] && [ "$(sl bib-del udp)" -ge 1 ]; }
t64_wait_for 20 dels_seen
t64_check "session-log: one bib-del udp after expiry: $(sl bib-del udp)" \
	[ "$(sl bib-del udp)" -eq 1 ]
t64_check "session-log: one bib-del tcp after expiry: $(sl bib-del tcp)" \
	[ "$(sl bib-del tcp)" -eq 1 ]
echo "    session-log datagrams:"
grep -E " bib-(add|del) " "$SYSLOG" | sed 's/^/      /'

# ---- the syslog daemon restarts ----
kill -TERM "$SINK_PID" && t64_wait_exit "$SINK_PID" 5
rm -f /dev/log
t64_require "syslog stand-in bound again (a new socket)" start_sink
"$BUILD/tun64ctl" -s "$SOCK" reload >/dev/null 2>&1 # a line from the engine
t64_check "engine reconnected under its filter: reload line arrives" \
	t64_wait_for 5 line 30 "$ENGINE" "tun64ctl reload: .*"
UDP_ADDS=$(sl bib-add udp)
more_udp_adds() { [ "$(sl bib-add udp)" -gt "$UDP_ADDS" ]; }
t64_in "$T64_NS_CLIENT" dig +short +time=2 +tries=1 "@$SERVER6" "$T64_DNS_NAME" A >/dev/null
t64_check "session-log reconnected too: a new flow's bib-add udp arrives" \
	t64_wait_for 5 more_udp_adds
t64_check "engine still alive" t64_alive "$ENGINE"
t64_check "tun64d stops cleanly" eval 'kill -TERM "$PARENT" && t64_wait_exit "$PARENT" 10 && [ "$T64_EXIT_STATUS" -eq 0 ]'

t64_finish
