#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# End-to-end test of stateful NAT64: an IPv6-only client reaches an IPv4-only
# server through tun64d (ICMP echo, a ~4 MB HTTP download over TCP, a DNS query
# over UDP), the tun carries both address families, and SIGTERM leaves no
# routes and no tun behind.
#
# Usage: e2e_stateful.sh BUILD_DIR   (as root; run by ctest as e2e_stateful)
# T64_ROUTER=kernel runs the same steps over plain kernel forwarding, to debug
# the topology without tun64d (the daemon-only checks are then skipped).
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"

t64_use_build "${1:-}"


t64_init
START=$SECONDS

t64_require "topology: client, router and server namespaces" t64_topology_create
t64_require "server: HTTP on $T64_SERVER4:$T64_HTTP_PORT and DNS on $T64_SERVER4:53" t64_start_server
t64_require "tun64d started and printed 'tun64d: ready'" t64_start_daemon "$BUILD"

SERVER6=$(t64_map "$BUILD" "$T64_SERVER4" 2>&1)
if [ "$SERVER6" = "$T64_SERVER6_EXPECTED" ]; then
	t64_pass "tun64ctl map $T64_SERVER4 --prefix $T64_PREFIX6 = $SERVER6"
else
	t64_fail "tun64ctl map $T64_SERVER4 printed '$SERVER6', expected $T64_SERVER6_EXPECTED"
	SERVER6=$T64_SERVER6_EXPECTED
fi

check_routes_installed() {
	[ -n "$(t64_in "$T64_NS_ROUTER" ip -6 route show "$T64_PREFIX6" dev nat64)" ] &&
		[ -n "$(t64_in "$T64_NS_ROUTER" ip route show "$T64_POOL4" dev nat64)" ]
}
if [ "$T64_ROUTER" = kernel ]; then
	t64_skip "routes installed by tun64d (kernel stand-in)"
else
	t64_check "tun64d installed $T64_PREFIX6 and $T64_POOL4 into nat64" check_routes_installed
fi

PCAP=$T64_WORKDIR/nat64.pcap
t64_require "tcpdump capturing on nat64 in the router" \
	t64_start_tcpdump "$T64_WORKDIR/tcpdump.log" -U -w "$PCAP"

check_ping() {
	local out
	out=$(timeout 15 ip netns exec "$T64_NS_CLIENT" ping -6 -n -c 3 -i 0.2 -W 3 "$SERVER6" 2>&1)
	echo "$out" | sed 's/^/    /'
	echo "$out" | grep -q ' 0% packet loss'
}
t64_check "ping -6 -c 3 $SERVER6: 0% loss (ICMPv6 echo <-> ICMPv4 echo)" check_ping

check_curl() {
	local got=$T64_WORKDIR/blob.got
	t64_in "$T64_NS_CLIENT" curl -6 -g -sS --max-time 20 -o "$got" \
		"http://[$SERVER6]:$T64_HTTP_PORT/blob" 2>&1 | sed 's/^/    /'
	[ "${PIPESTATUS[0]}" -eq 0 ] || return 1
	cmp "$T64_WORKDIR/www/blob" "$got" || return 1
	echo "    $(stat -c %s "$got") bytes, sha256 $(sha256sum <"$got" | cut -c1-16)... identical"
}
t64_check "curl -6 http://[$SERVER6]:$T64_HTTP_PORT/blob: ~4 MB, byte for byte (TCP)" check_curl

check_dig() {
	local out
	out=$(t64_in "$T64_NS_CLIENT" dig "@$SERVER6" "$T64_DNS_NAME" A +short +time=2 +tries=3 2>&1)
	echo "$out" | sed 's/^/    dig: /'
	[ "$out" = "$T64_DNS_ANSWER" ]
}
t64_check "dig @$SERVER6 $T64_DNS_NAME A = $T64_DNS_ANSWER (UDP)" check_dig

t64_stop_tcpdump
count_packets() {
	t64_in "$T64_NS_ROUTER" tcpdump -n -r "$PCAP" "$1" 2>/dev/null | wc -l
}
# The IPv6 side talks to the mapped address, the IPv4 side from pool4 to the server.
N6=$(count_packets "ip6 and host $SERVER6")
N4=$(count_packets "ip and net $T64_POOL4 and host $T64_SERVER4")
if [ "$T64_ROUTER" = kernel ]; then
	t64_skip "capture on nat64: $N6 IPv6 and $N4 IPv4 packets (kernel stand-in carries IPv6 only)"
elif [ "$N6" -gt 0 ] && [ "$N4" -gt 0 ]; then
	t64_pass "capture on nat64 has both sides: $N6 IPv6 (to/from $SERVER6) and $N4 IPv4 (pool4 <-> $T64_SERVER4) packets"
else
	t64_fail "capture on nat64: $N6 IPv6 and $N4 IPv4 (pool4 <-> $T64_SERVER4) packets, expected both > 0"
fi

# The tun carries translated traffic only (issue 11): no link-local address,
# so no DAD or Router Solicitation, and no MLD report for all-routers.
check_quiet() {
	local addrs chatter
	addrs=$(t64_in "$T64_NS_ROUTER" ip -6 -o addr show dev nat64)
	chatter=$(count_packets "ip6 and (src net fe80::/10 or src host :: or ip6 multicast)")
	echo "    IPv6 addresses on nat64: ${addrs:-none}; kernel packets in the capture: $chatter"
	t64_in "$T64_NS_ROUTER" tcpdump -n -v -r "$PCAP" \
		"ip6 and (src net fe80::/10 or src host :: or ip6 multicast)" 2>/dev/null | sed 's/^/    /'

	[ -z "$addrs" ] && [ "$chatter" -eq 0 ]
}
if [ "$T64_ROUTER" = kernel ]; then
	t64_skip "nat64 is quiet (kernel stand-in)"
else
	t64_check "nat64 is quiet: no IPv6 address, no MLD, RS or DAD in the capture" check_quiet
fi

# tun64ctl over the control socket reports the flows made above.
check_ctl() {
	local sock=$T64_WORKDIR/tun64.sock
	"$BUILD/tun64ctl" -s "$sock" status --json >"$T64_WORKDIR/status.json" &&
		"$BUILD/tun64ctl" -s "$sock" stats --json >"$T64_WORKDIR/stats.json" &&
		"$BUILD/tun64ctl" -s "$sock" sessions --json >"$T64_WORKDIR/sessions.json" &&
		"$BUILD/tun64ctl" -s "$sock" bib --json >"$T64_WORKDIR/bib.json" || return 1
	/usr/bin/python3 - "$T64_WORKDIR" "$T64_SERVER4" "$T64_HTTP_PORT" <<'PY'
import json, sys
d, server, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
status = json.load(open(d + "/status.json"))
stats = json.load(open(d + "/stats.json"))
sessions = json.load(open(d + "/sessions.json"))
bib = json.load(open(d + "/bib.json"))
ok = True
def need(cond, what):
    global ok
    print(("    ok: " if cond else "    MISSING: ") + what)
    ok = ok and cond
need(status["mode"] == "stateful" and status["tun"] == "nat64", "status: stateful on nat64")
need(stats["6to4.translated"] > 0 and stats["4to6.translated"] > 0,
     "stats: translated 6to4 %d, 4to6 %d" % (stats["6to4.translated"], stats["4to6.translated"]))
def has(proto, rport):
    return any(s["proto"] == proto and s["remote"] == server and
               (rport is None or s["remote_port"] == rport) for s in sessions)
need(has("tcp", port), "sessions: tcp to %s#%d" % (server, port))
need(has("udp", 53), "sessions: udp to %s#53" % server)
need(has("icmp", None), "sessions: icmp to %s" % server)
for s in sessions:
    need(any(b["proto"] == s["proto"] and b["ipv6"] == s["ipv6"] and b["ipv6_port"] == s["ipv6_port"]
             and b["ipv4"] == s["ipv4"] and b["ipv4_port"] == s["ipv4_port"] for b in bib),
         "bib: entry for %s %s#%d" % (s["proto"], s["ipv6"], s["ipv6_port"]))
sys.exit(0 if ok else 1)
PY
}
if [ "$T64_ROUTER" = kernel ]; then
	t64_skip "tun64ctl status/stats/sessions (kernel stand-in)"
else
	t64_check "tun64ctl status/stats/sessions/bib --json report the flows above" check_ctl
fi

# Reload keeps a live TCP transfer: a good change applies, a bad file and a
# change that needs a restart are refused whole, a burst of SIGHUPs is harmless.
check_reload() {
	local sock=$T64_WORKDIR/tun64.sock got=$T64_WORKDIR/blob.reload out ok=0 curl_pid
	cp "$T64_DAEMON_CONF" "$T64_WORKDIR/conf.orig"
	t64_in "$T64_NS_CLIENT" curl -6 -g -sS --max-time 30 --limit-rate 1500k -o "$got" \
		"http://[$SERVER6]:$T64_HTTP_PORT/blob" &
	curl_pid=$!
	sleep 0.5
	echo "timeout-udp 200" >>"$T64_DAEMON_CONF"
	out=$("$BUILD/tun64ctl" -s "$sock" reload 2>&1) && [ "$out" = "configuration reloaded" ] ||
		{ echo "    good reload: '$out'"; ok=1; }
	echo "prefix 2001:db8:46::/96" >>"$T64_DAEMON_CONF"
	out=$("$BUILD/tun64ctl" -s "$sock" reload 2>&1) &&
		{ echo "    restart-only change accepted: '$out'"; ok=1; }
	echo "    refused: $out"
	echo "frobnicate yes" >>"$T64_DAEMON_CONF"
	for _ in 1 2 3 4 5; do kill -HUP "$T64_DAEMON_PID"; done
	sleep 0.3
	t64_alive "$T64_DAEMON_PID" || { echo "    tun64d died on SIGHUP"; ok=1; }
	grep -q "error: SIGHUP: .*frobnicate" "$T64_DAEMON_LOG" ||
		{ echo "    no error logged for the bad file"; ok=1; }
	cp "$T64_WORKDIR/conf.orig" "$T64_DAEMON_CONF"
	wait "$curl_pid" || { echo "    curl failed during reloads"; ok=1; }
	cmp -s "$T64_WORKDIR/www/blob" "$got" || { echo "    transfer damaged"; ok=1; }
	return $ok
}
if [ "$T64_ROUTER" = kernel ]; then
	t64_skip "reload (kernel stand-in)"
else
	t64_check "reload: applied, bad file and restart-only change refused, live transfer intact" check_reload
fi

# Hostile local events: garbage on the control socket, the tun deleted under
# the daemon. It keeps running, re-creates the tun and keeps its sessions.
check_robust() {
	local sock=$T64_WORKDIR/tun64.sock before after ok=0
	/usr/bin/python3 - "$sock" <<'PY' || ok=1
import socket, sys
for payload in [bytes(range(256)) * 4, b"\n\n\n", b"stats" * 100, b""]:
    s = socket.socket(socket.AF_UNIX)
    s.connect(sys.argv[1])
    s.sendall(payload)
    s.shutdown(socket.SHUT_WR)
    s.recv(65536)
    s.close()
PY
	before=$("$BUILD/tun64ctl" -s "$sock" sessions --json | /usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
	t64_in "$T64_NS_ROUTER" ip link del nat64 || ok=1
	sleep 1
	t64_alive "$T64_DAEMON_PID" || { echo "    tun64d died"; return 1; }
	grep -q "re-created; translating again" "$T64_DAEMON_LOG" || { echo "    tun not re-created"; ok=1; }
	timeout 15 ip netns exec "$T64_NS_CLIENT" ping -6 -n -c 2 -i 0.2 -W 3 "$SERVER6" >/dev/null ||
		{ echo "    no ping after re-creation"; ok=1; }
	after=$("$BUILD/tun64ctl" -s "$sock" sessions --json | /usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
	echo "    sessions before $before, after $after"
	[ "$after" -ge "$before" ] || ok=1
	return $ok
}
if [ "$T64_ROUTER" = kernel ]; then
	t64_skip "robustness (kernel stand-in)"
else
	t64_check "garbage on the control socket, tun deleted: tun64d re-creates it, sessions kept" check_robust
fi

# The netlink monitor puts a deleted route back.
check_heal() {
	t64_in "$T64_NS_ROUTER" ip -6 route del "$T64_PREFIX6" dev nat64 || return 1
	for _ in $(seq 20); do
		if [ -n "$(t64_in "$T64_NS_ROUTER" ip -6 route show "$T64_PREFIX6" dev nat64)" ]; then
			return 0
		fi
		sleep 0.05
	done
	return 1
}
if [ "$T64_ROUTER" = kernel ]; then
	t64_skip "route heal (kernel stand-in)"
else
	t64_check "ip -6 route del $T64_PREFIX6: tun64d puts it back within a second" check_heal
fi

check_clean_exit() {
	kill -TERM "$T64_DAEMON_PID" 2>/dev/null || return 1
	if ! t64_wait_exit "$T64_DAEMON_PID" 10; then
		echo "    tun64d still running 10 s after SIGTERM"
		return 1
	fi
	echo "    exit status $T64_EXIT_STATUS"
	[ "$T64_EXIT_STATUS" -eq 0 ]
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
	return "$ok"
}
if [ "$T64_ROUTER" = kernel ]; then
	t64_skip "SIGTERM and cleanup (kernel stand-in)"
else
	t64_check "SIGTERM: tun64d exits with status 0 within 10 s" check_clean_exit
	t64_check "after exit: no $T64_PREFIX6 or $T64_POOL4 route, no nat64 link" check_no_leftovers
fi

echo "e2e_stateful: took $((SECONDS - START)) s"
t64_finish
