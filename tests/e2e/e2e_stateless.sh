#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# End-to-end test of stateless translation (SIIT, RFC 7915) with an explicit
# address mapping (RFC 7757): tun64d runs `mode stateless` with
#
#     map 192.0.2.6 2001:db8:6::2
#     map 192.0.2.16/28 2001:db8:7::/64
#
# The first gives the IPv6-only client an IPv4 identity; the second, with
# unequal suffix lengths, gives its address 2001:db8:7:0:1000:: the identity
# 192.0.2.17 (the flows below are run from it too). The client reaches the
# IPv4-only server at its RFC 6052 address 2001:db8:64::cb00:7102 (ping, a
# ~4 MB HTTP download compared byte for byte, DNS over UDP), and the server
# sees the client as 192.0.2.6 (its HTTP and DNS logs say so). tun64d routes
# the EAM IPv4 prefix 192.0.2.6/32 into the tun itself.
#
# A second part needs no EAM: plain RFC 6052 SIIT, where the client's source
# is itself inside the translation prefix (2001:db8:64::c000:208, which stands
# for 192.0.2.8). Plain SIIT has no list of such addresses, so the test routes
# them by hand, as an operator would: 192.0.2.8/32 into the tun, and
# 2001:db8:64::c000:208/128 back to the client (more specific than the /96
# into the tun).
#
# A last part restarts tun64d with `prefix none` (EAM only): the server is a
# map line too (203.0.113.2 <-> 2001:db8:cafe::2), the test routes the EAM
# addresses as tun64.conf(5) tells operators, and tun64d adds no ::/0.
#
# Usage: e2e_stateless.sh BUILD_DIR   (as root; run by ctest as e2e_stateless)
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"

CLIENT6=2001:db8:6::2
CLIENT_EAM4=192.0.2.6
# RFC 7757 with unequal suffix lengths: 192.0.2.16/28 <-> 2001:db8:7::/64; the
# 4 suffix bits of 192.0.2.17 (0001) go right after the /64: 2001:db8:7:0:1000::
WIDE_MAP="192.0.2.16/28 2001:db8:7::/64"
CLIENT_WIDE6=2001:db8:7:0:1000::
CLIENT_WIDE4=192.0.2.17
CLIENT_PLAIN6=2001:db8:64::c000:208 # RFC 6052 form of 192.0.2.8
CLIENT_PLAIN4=192.0.2.8

t64_use_build "${1:-}"
[ "$T64_ROUTER" = kernel ] && t64_die "T64_ROUTER=kernel has no stateless stand-in; unset it"

show_stats() {
	local sock=$T64_WORKDIR/tun64.sock
	[ -S "$sock" ] || return 0
	echo "----- tun64ctl stats (non-zero) -----"
	"$BUILD/tun64ctl" -s "$sock" stats 2>&1 | grep -v ' 0$'
}

# A failed run shows the non-zero counters too.
t64_on_failure() {
	show_stats
	t64_show_daemon_log
}

t64_init
START=$SECONDS

t64_require "topology: client, router and server namespaces" t64_topology_create
t64_require "server: HTTP on $T64_SERVER4:$T64_HTTP_PORT and DNS on $T64_SERVER4:53" t64_start_server
t64_require "tun64d --mode stateless --map '$CLIENT_EAM4 $CLIENT6' --map '$WIDE_MAP' printed 'tun64d: ready'" \
	t64_start_daemon "$BUILD" --mode stateless --map "$CLIENT_EAM4 $CLIENT6" --map "$WIDE_MAP"

SERVER6=$(t64_map "$BUILD" "$T64_SERVER4" 2>&1)
if [ "$SERVER6" = "$T64_SERVER6_EXPECTED" ]; then
	t64_pass "tun64ctl map $T64_SERVER4 --prefix $T64_PREFIX6 = $SERVER6"
else
	t64_fail "tun64ctl map $T64_SERVER4 printed '$SERVER6', expected $T64_SERVER6_EXPECTED"
	SERVER6=$T64_SERVER6_EXPECTED
fi

check_routes_installed() {
	[ -n "$(t64_in "$T64_NS_ROUTER" ip -6 route show "$T64_PREFIX6" dev nat64)" ] &&
		[ -n "$(t64_in "$T64_NS_ROUTER" ip route show "$CLIENT_EAM4/32" dev nat64)" ] &&
		[ -n "$(t64_in "$T64_NS_ROUTER" ip route show 192.0.2.16/28 dev nat64)" ]
}
t64_check "tun64d installed $T64_PREFIX6 and the EAM prefixes $CLIENT_EAM4/32, 192.0.2.16/28 into nat64" \
	check_routes_installed

# ---- The client by its own address, translated by the EAM ------------------

# ping6 SRC: three echoes to the server from the client address SRC.
ping_from() {
	local out
	out=$(timeout 15 ip netns exec "$T64_NS_CLIENT" ping -6 -n -c 3 -i 0.2 -W 3 -I "$1" \
		"$SERVER6" 2>&1)
	echo "$out" | sed 's/^/    /'
	echo "$out" | grep -q ' 0% packet loss'
}

# curl_from SRC: the 4 MB blob from the server, compared with the original.
curl_from() {
	local got=$T64_WORKDIR/blob.$1
	t64_in "$T64_NS_CLIENT" curl -6 -g -sS --max-time 20 --interface "$1" -o "$got" \
		"http://[$SERVER6]:$T64_HTTP_PORT/blob" 2>&1 | sed 's/^/    /'
	[ "${PIPESTATUS[0]}" -eq 0 ] || return 1
	cmp "$T64_WORKDIR/www/blob" "$got" || return 1
	echo "    $(stat -c %s "$got") bytes, sha256 $(sha256sum <"$got" | cut -c1-16)... identical"
}

# dig_from SRC: an A query over UDP from SRC.
dig_from() {
	local out
	out=$(t64_in "$T64_NS_CLIENT" dig -b "$1" "@$SERVER6" "$T64_DNS_NAME" A +short +time=2 \
		+tries=3 2>&1)
	echo "$out" | sed 's/^/    dig: /'
	[ "$out" = "$T64_DNS_ANSWER" ]
}

# server_saw V4: the server's HTTP log has the blob fetched by V4, and its DNS
# log a query from V4; that is who the server thinks the client is.
server_saw() {
	local ok=0
	grep -q "^$1 .*\"GET /blob " "$T64_WORKDIR/http.log" ||
		{ echo "    HTTP log has no GET /blob from $1"; ok=1; }
	grep -q "query\[A\] $T64_DNS_NAME from $1\$" "$T64_WORKDIR/dnsmasq.log" ||
		{ echo "    DNS log has no query from $1"; ok=1; }
	[ "$ok" -eq 1 ] && sed 's/^/    server: /' "$T64_WORKDIR/http.log" "$T64_WORKDIR/dnsmasq.log" |
		grep -E 'GET|query' | tail -n 6
	return "$ok"
}

t64_check "EAM: ping -6 -c 3 $SERVER6 from $CLIENT6: 0% loss" ping_from "$CLIENT6"
t64_check "EAM: curl -6 http://[$SERVER6]:$T64_HTTP_PORT/blob from $CLIENT6: ~4 MB, byte for byte" \
	curl_from "$CLIENT6"
t64_check "EAM: dig @$SERVER6 $T64_DNS_NAME A from $CLIENT6 = $T64_DNS_ANSWER" dig_from "$CLIENT6"
t64_check "EAM: the server saw the client as $CLIENT_EAM4 (HTTP and DNS logs)" server_saw "$CLIENT_EAM4"

# RFC 7915 §5.5: a stateless translator forwards every transport protocol.
# A GRE packet (protocol 47) from the client, on a raw socket, reaches a
# raw socket on the server with its payload as sent and the client's EAM
# address as the source.
gre_from() {
	local src=$1 want4=$2 out=$T64_WORKDIR/gre.out rx
	t64_spawn "$out" "$T64_NS_SERVER" timeout 10 "$T64_PYTHON" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 47)
s.settimeout(8)
print("ready", flush=True)
while True:
    pkt, _ = s.recvfrom(2048)
    hlen = (pkt[0] & 15) * 4
    if pkt[hlen:] == b"tun64 gre payload":
        print("got", socket.inet_ntoa(pkt[12:16]), flush=True)
        break
'
	rx=$T64_LAST_PID
	t64_wait_for 5 grep -q ready "$out" || return 1
	t64_in "$T64_NS_CLIENT" "$T64_PYTHON" -c '
import socket, sys, time
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, 47)
s.bind((sys.argv[2], 0))
for _ in range(3):
    s.sendto(b"tun64 gre payload", (sys.argv[1], 0))
    time.sleep(0.2)
' "$SERVER6" "$src" || return 1
	wait "$rx"
	sed "s/^/    /" "$out"
	grep -qx "got $want4" "$out"
}
t64_check "EAM: GRE (protocol 47) from $CLIENT6 arrives at the server from $CLIENT_EAM4, payload intact" \
	gre_from "$CLIENT6" "$CLIENT_EAM4"

# UDP-Lite (protocol 136) checksums cover the pseudo-header, as DCCP's do:
# tun64d updates them (RFC 3828 §3.1), and each kernel drops a datagram
# whose checksum is wrong. The server echoes; the client must get the echo.
udplite_from() {
	local src=$1 want4=$2 out=$T64_WORKDIR/udplite.out rx
	t64_spawn "$out" "$T64_NS_SERVER" timeout 10 "$T64_PYTHON" -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, 136)
s.bind(("0.0.0.0", 5136))
s.settimeout(8)
print("ready", flush=True)
data, peer = s.recvfrom(2048)
print("got", peer[0], data.decode(), flush=True)
s.sendto(b"echo " + data, peer)
'
	rx=$T64_LAST_PID
	t64_wait_for 5 grep -q ready "$out" || return 1
	t64_in "$T64_NS_CLIENT" "$T64_PYTHON" -c '
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM, 136)
s.bind((sys.argv[2], 0))
s.settimeout(3)
for _ in range(3):
    s.sendto(b"tun64 udplite", (sys.argv[1], 5136))
    try:
        data, _ = s.recvfrom(2048)
    except socket.timeout:
        continue
    print("    client got:", data.decode())
    sys.exit(0 if data == b"echo tun64 udplite" else 1)
sys.exit(1)
' "$SERVER6" "$src" || return 1
	wait "$rx"
	sed "s/^/    /" "$out"
	grep -qx "got $want4 tun64 udplite" "$out"
}
t64_check "EAM: UDP-Lite (protocol 136) from $CLIENT6 reaches the server from $CLIENT_EAM4 and its echo comes back (checksums updated)" \
	udplite_from "$CLIENT6" "$CLIENT_EAM4"

# ---- EAM with unequal suffix lengths (/28 <-> /64) --------------------------

wide_setup() {
	t64_in "$T64_NS_CLIENT" ip -6 addr add "$CLIENT_WIDE6/128" dev eth0 nodad &&
		t64_in "$T64_NS_ROUTER" ip -6 route add 2001:db8:7::/64 via "$CLIENT6" dev lan6
}
t64_require "EAM /28-/64: client has $CLIENT_WIDE6, router routes 2001:db8:7::/64 to the client" \
	wide_setup
t64_check "EAM /28-/64: ping -6 -c 3 $SERVER6 from $CLIENT_WIDE6: 0% loss" ping_from "$CLIENT_WIDE6"
t64_check "EAM /28-/64: curl -6 http://[$SERVER6]:$T64_HTTP_PORT/blob from $CLIENT_WIDE6: ~4 MB, byte for byte" \
	curl_from "$CLIENT_WIDE6"
t64_check "EAM /28-/64: dig @$SERVER6 $T64_DNS_NAME A from $CLIENT_WIDE6 = $T64_DNS_ANSWER" \
	dig_from "$CLIENT_WIDE6"
t64_check "EAM /28-/64: the server saw the client as $CLIENT_WIDE4 (HTTP and DNS logs)" \
	server_saw "$CLIENT_WIDE4"

# ---- Plain RFC 6052 SIIT: the client's source is inside the prefix ----------

plain_setup() {
	t64_in "$T64_NS_CLIENT" ip -6 addr add "$CLIENT_PLAIN6/128" dev eth0 nodad &&
		t64_in "$T64_NS_ROUTER" ip -6 route add "$CLIENT_PLAIN6/128" via "$CLIENT6" dev lan6 &&
		t64_in "$T64_NS_ROUTER" ip route add "$CLIENT_PLAIN4/32" dev nat64
}
t64_require "RFC 6052: client has $CLIENT_PLAIN6, router routes it to the client and $CLIENT_PLAIN4 into nat64" \
	plain_setup

t64_check "RFC 6052: ping -6 -c 3 $SERVER6 from $CLIENT_PLAIN6: 0% loss" ping_from "$CLIENT_PLAIN6"
t64_check "RFC 6052: curl -6 http://[$SERVER6]:$T64_HTTP_PORT/blob from $CLIENT_PLAIN6: ~4 MB, byte for byte" \
	curl_from "$CLIENT_PLAIN6"
t64_check "RFC 6052: dig @$SERVER6 $T64_DNS_NAME A from $CLIENT_PLAIN6 = $T64_DNS_ANSWER" \
	dig_from "$CLIENT_PLAIN6"
t64_check "RFC 6052: the server saw the client as $CLIENT_PLAIN4 (HTTP and DNS logs)" \
	server_saw "$CLIENT_PLAIN4"

# ---- Stop ----------------------------------------------------------------

check_clean_exit() {
	kill -TERM "$T64_DAEMON_PID" 2>/dev/null || return 1
	if ! t64_wait_exit "$T64_DAEMON_PID" 10; then
		echo "    tun64d still running 10 s after SIGTERM"
		return 1
	fi
	echo "    exit status $T64_EXIT_STATUS"
	[ "$T64_EXIT_STATUS" -eq 0 ]
}
# Our own 192.0.2.8/32 route went with the link; tun64d's must be gone too.
check_no_leftovers() {
	local r6 r4 ok=0
	r6=$(t64_in "$T64_NS_ROUTER" ip -6 route show "$T64_PREFIX6")
	r4=$(t64_in "$T64_NS_ROUTER" ip route show "$CLIENT_EAM4/32"
		t64_in "$T64_NS_ROUTER" ip route show 192.0.2.16/28)
	[ -z "$r6" ] || { echo "    left behind: $r6"; ok=1; }
	[ -z "$r4" ] || { echo "    left behind: $r4"; ok=1; }
	if t64_in "$T64_NS_ROUTER" ip link show nat64 >/dev/null 2>&1; then
		echo "    left behind: link nat64"
		ok=1
	fi
	return "$ok"
}
if [ "$T64_FAILED" -ne 0 ]; then
	show_stats # before the daemon and its socket go away
fi
t64_check "SIGTERM: tun64d exits with status 0 within 10 s" check_clean_exit
t64_check "after exit: no $T64_PREFIX6, $CLIENT_EAM4/32 or 192.0.2.16/28 route, no nat64 link" check_no_leftovers

# ---- EAM only: prefix none (RFC 7757 without RFC 6052) ----------------------

# Both hosts are map lines; nothing else translates. tun64d routes neither
# side of a map line then (tun64.conf(5)): as an operator would, the test
# routes the server's EAM IPv6 address and the client's EAM IPv4 address into
# the tun.
SERVER_EAM6=2001:db8:cafe::2
OWN6_NONE=2001:db8:ff::1
t64_require "tun64d --prefix none --ipv6-addr $OWN6_NONE --map '$CLIENT_EAM4 $CLIENT6' --map '$T64_SERVER4 $SERVER_EAM6' printed 'tun64d: ready'" \
	t64_start_daemon "$BUILD" --mode stateless --prefix none --ipv6-addr "$OWN6_NONE" \
	--map "$CLIENT_EAM4 $CLIENT6" --map "$T64_SERVER4 $SERVER_EAM6"
none_setup() {
	t64_in "$T64_NS_ROUTER" ip -6 route add "$SERVER_EAM6/128" dev nat64 &&
		t64_in "$T64_NS_ROUTER" ip route add "$CLIENT_EAM4/32" dev nat64
}
t64_require "prefix none: the operator routes $SERVER_EAM6/128 and $CLIENT_EAM4/32 into nat64" none_setup
# No prefix route, and above all no ::/0 into the tun; no map routes either.
check_no_prefix_route() {
	local r6
	r6=$(t64_in "$T64_NS_ROUTER" ip -6 route show dev nat64 | grep -v '^fe80:')
	echo "$r6" | sed 's/^/    /'
	! echo "$r6" | grep -qE '^(default|::/0)' &&
		[ "$(echo "$r6" | awk '{print $1}')" = "$SERVER_EAM6" ]
}
t64_check "prefix none: ip -6 route show dev nat64 has only the operator's $SERVER_EAM6, no default" \
	check_no_prefix_route
check_status_none() {
	local out
	out=$("$BUILD/tun64ctl" -s "$T64_WORKDIR/tun64.sock" status 2>&1)
	echo "$out" | grep '^prefix' | sed 's/^/    /'
	echo "$out" | grep -qx 'prefix    none'
}
t64_check "prefix none: tun64ctl status says 'prefix    none'" check_status_none
SERVER6=$SERVER_EAM6
t64_check "prefix none: ping -6 -c 3 $SERVER6 from $CLIENT6: 0% loss" ping_from "$CLIENT6"
t64_check "prefix none: curl -6 http://[$SERVER6]:$T64_HTTP_PORT/blob from $CLIENT6: ~4 MB, byte for byte" \
	curl_from "$CLIENT6"
t64_check "SIGTERM: tun64d (prefix none) exits with status 0 within 10 s" check_clean_exit

echo "e2e_stateless: took $((SECONDS - START)) s"
t64_finish
