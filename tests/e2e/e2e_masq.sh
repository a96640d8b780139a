#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# End-to-end test of `masquerade IFNAME`: the IPv4 server has no route back to
# pool4 (only its connected 203.0.113.0/24, no default route), like the
# Internet behind a home router with one public address. tun64d runs with
# `masquerade lan4`, its nftables rule rewrites pool4 to lan4's address, and
# the IPv6-only client's ping, curl and dig still work; the server sees the
# router's address 203.0.113.1. Then the router's address changes (as after
# a DHCP renew or a PPPoE reconnect) to 203.0.113.9, and new flows work
# without restarting tun64d. SIGTERM removes the table.
#
# Usage: e2e_masq.sh BUILD_DIR   (as root; run by ctest as e2e_masq)
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"

t64_use_build "${1:-}"
command -v nft >/dev/null 2>&1 || t64_die "missing tool: nft (run tests/install-deps.sh)"
[ "$T64_ROUTER" != kernel ] || t64_die "T64_ROUTER=kernel: this test is about tun64d"

WAN=lan4 # the router's server-facing veth (lib.sh)
OLD_ADDR=203.0.113.1
NEW_ADDR=203.0.113.9

# A failed run shows the server's logs too.
t64_on_failure() {
	t64_show_daemon_log
	echo "----- server http log -----"
	cat "$T64_WORKDIR/http.log" 2>/dev/null
	echo "----- server dnsmasq log -----"
	cat "$T64_WORKDIR/dnsmasq.log" 2>/dev/null
}

# The server keeps only its connected route: no way back to pool4.
isolate_server() {
	t64_in "$T64_NS_SERVER" ip route del default || return 1
	! t64_in "$T64_NS_SERVER" ip route get 198.51.100.1 >/dev/null 2>&1
}

t64_init
t64_require "topology: client, router and server namespaces" t64_topology_create
t64_require "server: no default route, no route to pool4 $T64_POOL4" isolate_server
t64_require "server: HTTP on $T64_SERVER4:$T64_HTTP_PORT and DNS on $T64_SERVER4:53" t64_start_server
t64_require "tun64d --masquerade $WAN started and printed 'tun64d: ready'" \
	t64_start_daemon "$BUILD" --masquerade "$WAN"
DAEMON_PID=$T64_DAEMON_PID
SERVER6=$(t64_map "$BUILD" "$T64_SERVER4")

check_logged() {
	grep -qE "${T64_LOG_HEAD}masquerade: pool4 leaving $WAN\$" "$T64_DAEMON_LOG"
}
t64_check "tun64d logged 'masquerade: pool4 leaving $WAN'" check_logged

check_table() {
	local out
	out=$(t64_in "$T64_NS_ROUTER" nft list table ip tun64 2>&1)
	echo "$out" | sed 's/^/    /'
	echo "$out" | grep -q "type nat hook postrouting priority srcnat; policy accept;" &&
		echo "$out" | grep -qF "ip saddr $T64_POOL4 oifname \"$WAN\" masquerade"
}
t64_check "nft list table ip tun64: ip saddr $T64_POOL4 oifname \"$WAN\" masquerade" check_table

check_ping() {
	local out
	out=$(timeout 15 ip netns exec "$T64_NS_CLIENT" ping -6 -n -c 3 -i 0.2 -W 3 "$SERVER6" 2>&1)
	echo "$out" | sed 's/^/    /'
	echo "$out" | grep -q ' 0% packet loss'
}

# check_curl NAME: download /blob, compare byte for byte.
check_curl() {
	local got=$T64_WORKDIR/blob.$1
	t64_in "$T64_NS_CLIENT" curl -6 -g -sS --max-time 20 -o "$got" \
		"http://[$SERVER6]:$T64_HTTP_PORT/blob" 2>&1 | sed 's/^/    /'
	[ "${PIPESTATUS[0]}" -eq 0 ] || return 1
	cmp "$T64_WORKDIR/www/blob" "$got" || return 1
	echo "    $(stat -c %s "$got") bytes, identical"
}

# check_dig NAME: a new query (new source port: a new flow) gets the answer.
check_dig() {
	local out
	out=$(t64_in "$T64_NS_CLIENT" dig "@$SERVER6" "$1.$T64_DNS_NAME" A +short +time=2 \
		+tries=3 2>&1)
	echo "$out" | sed 's/^/    dig: /'
	[ "$out" = "$T64_DNS_ANSWER" ]
}

# seen_from ADDR NAME: the server logged the HTTP request and the DNS query
# (for NAME) as coming from ADDR, and nothing from pool4.
seen_from() {
	local addr=$1 name=$2
	grep -q "^$addr - - .*\"GET /blob" "$T64_WORKDIR/http.log" &&
		grep -q "query\[A\] $name.$T64_DNS_NAME from $addr\$" "$T64_WORKDIR/dnsmasq.log" &&
		! grep -q '198\.51\.100\.' "$T64_WORKDIR/http.log" "$T64_WORKDIR/dnsmasq.log"
}

t64_check "ping -6 $SERVER6: 0% loss through masquerade" check_ping
t64_check "curl -6 http://[$SERVER6]:$T64_HTTP_PORT/blob: ~4 MB, byte for byte" check_curl first
t64_check "dig @$SERVER6 first.$T64_DNS_NAME A = $T64_DNS_ANSWER" check_dig first
t64_check "server saw the client as $OLD_ADDR (HTTP and DNS logs), never as pool4" \
	seen_from "$OLD_ADDR" first

# The router's address changes, as after a DHCP renew or a PPPoE reconnect.
# The server's route is its connected /24, so only its stale neighbour entry
# for the old address goes.
change_address() {
	t64_in "$T64_NS_ROUTER" ip addr del "$OLD_ADDR/24" dev "$WAN" &&
		t64_in "$T64_NS_ROUTER" ip addr add "$NEW_ADDR/24" dev "$WAN" &&
		t64_in "$T64_NS_SERVER" ip neigh flush dev eth0 &&
		[ -z "$(t64_in "$T64_NS_ROUTER" ip -4 addr show dev "$WAN" to "$OLD_ADDR")" ]
}
t64_require "router: $WAN now has $NEW_ADDR instead of $OLD_ADDR" change_address

t64_check "ping -6 $SERVER6 after the change: 0% loss" check_ping
t64_check "curl -6 /blob after the change: byte for byte" check_curl second
t64_check "dig @$SERVER6 second.$T64_DNS_NAME A after the change = $T64_DNS_ANSWER" check_dig second
t64_check "server saw the client as $NEW_ADDR after the change" seen_from "$NEW_ADDR" second

no_restart() {
	t64_alive "$DAEMON_PID" && [ "$(grep -cE "${T64_LOG_HEAD}ready" "$T64_DAEMON_LOG")" -eq 1 ]
}
t64_check "tun64d was not restarted (same pid $DAEMON_PID, one 'ready')" no_restart

stop_removes_table() {
	kill -TERM "$DAEMON_PID"
	t64_wait_exit "$DAEMON_PID" 10 || return 1
	[ "$T64_EXIT_STATUS" -eq 0 ] || return 1
	! t64_in "$T64_NS_ROUTER" nft list tables | grep -q tun64
}
t64_check "SIGTERM: exit status 0 and no table ip tun64 left" stop_removes_table

t64_finish
