#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# End-to-end test of ICMP error translation (RFC 7915 §4.2-4.3, §5.2-5.3)
# through tun64d, on the topology of lib.sh, in stateful mode (RFC 6146,
# pool4) or, with T64_MODE=stateless or a second argument `stateless`, in
# stateless mode (SIIT) with the explicit address mapping
#
#     map 192.0.2.6 2001:db8:6::2
#
# that gives the IPv6-only client its IPv4 identity. The flows are the same:
#
# - traceroute -6 (UDP, and ICMP with -I) from the IPv6-only client to the
#   mapped server address: the router's IPv6 hop, tun64d's own Time Exceeded,
#   the router kernel's ICMPv4 Time Exceeded (translated, shown as
#   2001:db8:64::cb00:7101) and the server itself;
# - UDP to a closed port of the server: ICMPv4 port unreachable becomes
#   ICMPv6 port unreachable, and the client's socket gets ECONNREFUSED;
# - PMTUD: the router's link towards the client gets MTU 1400. The server's
#   1480-byte DF segments become 1500-byte IPv6 packets that the router's
#   kernel answers with ICMPv6 Packet Too Big (MTU 1400) addressed to the
#   mapped server address; that is routed into the tun, and tun64d turns it
#   into ICMPv4 Fragmentation Needed (MTU 1380) to the server (from pool4
#   in stateful mode; from ipv4-addr, the first pool4 address, in stateless
#   mode, as the router's 2001:db8:6::1 has no IPv4 mapping: RFC 6791 §4).
#   The 4 MB download must complete and match, and the capture on nat64
#   must hold both messages;
# - a 1400-byte UDP datagram without DF from the server, split into IPv6
#   fragments by tun64d (RFC 7915 §4.1) and reassembled by the client;
# - the server saw the client as a pool4 address (stateful) or as its EAM
#   address 192.0.2.6 (stateless), in its HTTP log and as the UDP peer.
#
# Usage: e2e_icmp.sh BUILD_DIR [stateful|stateless]
#   (as root; run by ctest as e2e_icmp and e2e_icmp_stateless)
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"

MODE=${2:-${T64_MODE:-stateful}}
CLIENT6=2001:db8:6::2
CLIENT_EAM4=192.0.2.6
case $MODE in
stateful) DAEMON_ARGS=() ;;
stateless)
	DAEMON_ARGS=(--mode stateless --map "$CLIENT_EAM4 $CLIENT6")
	T64_TEST_NAME=e2e_icmp_stateless
	;;
*) t64_die "mode '$MODE': expected stateful or stateless" ;;
esac
t64_use_build "${1:-}"
command -v traceroute >/dev/null 2>&1 || t64_die "missing tool: traceroute (apt-get install traceroute)"
[ "$T64_ROUTER" = kernel ] && t64_die "e2e_icmp tests tun64d itself; T64_ROUTER=kernel is not supported"


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
echo "e2e_icmp: tun64d in $MODE mode"

t64_require "topology: client, router and server namespaces" t64_topology_create
t64_require "server: HTTP on $T64_SERVER4:$T64_HTTP_PORT" t64_start_server
t64_require "tun64d ${DAEMON_ARGS[*]:---mode stateful} started and printed 'tun64d: ready'" \
	t64_start_daemon "$BUILD" "${DAEMON_ARGS[@]}"
SERVER6=$(t64_map "$BUILD" "$T64_SERVER4")
ROUTER4_MAPPED=$(t64_map "$BUILD" 203.0.113.1)

PCAP=$T64_WORKDIR/nat64.pcap
t64_require "tcpdump capturing on nat64 in the router" \
	t64_start_tcpdump "$T64_WORKDIR/tcpdump.log" -U -w "$PCAP"

# traceroute: the last hop is the server, and the router kernel's ICMPv4
# Time Exceeded shows up as its mapped address.
check_traceroute() {
	local out
	out=$(timeout 60 ip netns exec "$T64_NS_CLIENT" traceroute -6 -n -q 1 -w 2 -m 8 "$@" \
		"$SERVER6" 2>&1)
	echo "$out" | sed 's/^/    /'
	echo "$out" | tail -n 1 | grep -q " $SERVER6 " || return 1
	echo "$out" | grep -q " $ROUTER4_MAPPED " || return 1
}
t64_check "traceroute -6 (UDP) to $SERVER6: reaches it, IPv4 hop shown as $ROUTER4_MAPPED" \
	check_traceroute
t64_check "traceroute -6 -I (ICMP echo) to $SERVER6: reaches it, IPv4 hop shown as $ROUTER4_MAPPED" \
	check_traceroute -I

# ICMPv4 port unreachable -> ICMPv6 port unreachable -> ECONNREFUSED.
check_refused() {
	t64_in "$T64_NS_CLIENT" timeout 10 "$T64_PYTHON" - "$SERVER6" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.settimeout(3)
s.connect((sys.argv[1], 9))
for _ in range(3):
    try:
        s.send(b"anyone there?")
        s.recv(100)
    except ConnectionRefusedError:
        print("    ConnectionRefusedError, as expected")
        sys.exit(0)
    except socket.timeout:
        continue
print("    no ECONNREFUSED")
sys.exit(1)
PY
}
t64_check "UDP to [$SERVER6]:9 (closed): the client gets ECONNREFUSED" check_refused

# RFC 6146 §3.5.2.2, RFC 5382 REQ-4 (stateful): the server connects to a
# pool4 address and port that no client maps. tun64d holds the SYN for 6 s
# (a simultaneous open would cancel it), then answers ICMPv4 Port
# Unreachable: the server's connect() fails with ECONNREFUSED after 6 s,
# not after minutes of SYN retries, and not at once.
check_syn_held() {
	t64_in "$T64_NS_SERVER" timeout 20 "$T64_PYTHON" - 198.51.100.9 <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.settimeout(15)
t0 = time.monotonic()
try:
    s.connect((sys.argv[1], 4242))
    print("    connected?!")
    sys.exit(1)
except ConnectionRefusedError:
    took = time.monotonic() - t0
    print("    ConnectionRefusedError after %.1f s" % took)
    sys.exit(0 if 5.5 <= took <= 9 else 1)
except socket.timeout:
    print("    no answer in 15 s")
    sys.exit(1)
PY
}
# RFC 7915 §4.4, RFC 6146 §3.5.1 (icmp-unreachable, default yes): a UDP
# datagram to a pool4 address and port that no client maps gets ICMPv4 Port
# Unreachable (RFC 1122 §4.1.3.1: a closed port), so the server's socket
# sees ECONNREFUSED at once.
check_udp_no_state() {
	t64_in "$T64_NS_SERVER" timeout 10 "$T64_PYTHON" - 198.51.100.9 <<'PY'
import errno, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
# Linux reports Host Unreachable (a soft error) to UDP only with IP_RECVERR.
s.setsockopt(socket.IPPROTO_IP, 11, 1)  # IP_RECVERR (linux/in.h)
s.settimeout(2)
s.connect((sys.argv[1], 4243))
for _ in range(3):
    try:
        s.send(b"anyone mapped here?")
        s.recv(100)
    except OSError as e:
        if e.errno == errno.ECONNREFUSED:
            print("    ECONNREFUSED, as expected")
            sys.exit(0)
        if not isinstance(e, socket.timeout):
            print("    %s" % e)
            sys.exit(1)
print("    no error")
sys.exit(1)
PY
}
# TCP simultaneous open through the NAT64 (RFC 6146 §3.5.2.2, the NAT
# traversal case of RFC 5128 §3.4): the server connects first, from port
# 5001 to 198.51.100.9:40000, which no client maps yet; tun64d holds that
# SYN. The client then connects from port 40000 to the server's port 5001:
# its new mapping takes the held (T,t), 198.51.100.9:40000, the two SYNs
# cross, and both connect() calls succeed on one connection.
check_simultaneous_open() {
	local out=$T64_WORKDIR/simopen.out srv
	t64_spawn "$out" "$T64_NS_SERVER" timeout 20 "$T64_PYTHON" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 5001))
s.settimeout(15)
print("connecting", flush=True)
s.connect(("198.51.100.9", 40000))
s.sendall(b"hello from the IPv4 side")
print("server: connected, peer", s.getpeername()[0], s.getpeername()[1], flush=True)
' "$T64_SERVER4"
	srv=$T64_LAST_PID
	t64_wait_for 5 grep -q connecting "$out" || return 1
	sleep 0.5 # the server's SYN is held now
	t64_in "$T64_NS_CLIENT" timeout 15 "$T64_PYTHON" - "$CLIENT6" "$SERVER6" <<'PY' || return 1
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 40000))
s.settimeout(10)
s.connect((sys.argv[2], 5001))
data = s.recv(100)
print("    client: connected, got %r" % data)
sys.exit(0 if data == b"hello from the IPv4 side" else 1)
PY
	wait "$srv" || { sed "s/^/    /" "$out"; return 1; }
	sed "s/^/    /" "$out"
	grep -q "server: connected, peer 198.51.100.9 40000" "$out"
}

if [ "$MODE" = stateful ]; then
	t64_check "TCP SYN from the server to 198.51.100.9:4242 (no mapping): held 6 s, then ECONNREFUSED" \
		check_syn_held
	t64_check "TCP simultaneous open: server to 198.51.100.9:40000, client from port 40000: both connect" \
		check_simultaneous_open
	t64_check "UDP from the server to 198.51.100.9:4243 (no mapping): ECONNREFUSED (Port Unreachable)" \
		check_udp_no_state
fi

# RFC 7915 §4.1: the server answers with a 1400-byte UDP datagram without DF
# (IP_PMTUDISC_DONT); tun64d splits its 1448-byte translation into IPv6
# fragments of at most 1280 bytes, and the client's kernel reassembles them.
BIG_UDP_PORT=5300
check_split() {
	local srv script=$T64_WORKDIR/udp_big.py
	# A file, not stdin: a background job's stdin is /dev/null.
	cat >"$script" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, getattr(socket, "IP_MTU_DISCOVER", 10),
             getattr(socket, "IP_PMTUDISC_DONT", 0))
s.bind((sys.argv[1], int(sys.argv[2])))
s.settimeout(25)
for _ in range(3):
    try:
        _, peer = s.recvfrom(100)
    except socket.timeout:
        break
    print("peer %s" % peer[0], flush=True)
    s.sendto(bytes(i % 251 for i in range(1400)), peer)
PY
	t64_spawn "$T64_WORKDIR/udp_big.log" "$T64_NS_SERVER" timeout 30 "$T64_PYTHON" "$script" \
		"$T64_SERVER4" "$BIG_UDP_PORT"
	srv=$T64_LAST_PID
	sleep 0.3 # bound before the client sends; it retries anyway
	t64_in "$T64_NS_CLIENT" timeout 20 "$T64_PYTHON" - "$SERVER6" "$BIG_UDP_PORT" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.settimeout(3)
want = bytes(i % 251 for i in range(1400))
for _ in range(3):
    try:
        s.sendto(b"a big one, please", (sys.argv[1], int(sys.argv[2])))
        got = s.recv(2000)
    except socket.timeout:
        continue
    print("    received %d bytes%s" % (len(got), ", identical" if got == want else ", DIFFERENT"))
    sys.exit(0 if got == want else 1)
print("    nothing received")
sys.exit(1)
PY
	local rc=$?
	kill "$srv" 2>/dev/null
	return $rc
}
t64_check "1400-byte UDP reply without DF: split by tun64d, reassembled whole by the client" \
	check_split

# PMTUD across the translator.
check_pmtud() {
	local got=$T64_WORKDIR/blob.got
	t64_in "$T64_NS_ROUTER" ip link set lan6 mtu 1400 || return 1
	t64_in "$T64_NS_CLIENT" curl -6 -g -sS --max-time 60 -o "$got" \
		"http://[$SERVER6]:$T64_HTTP_PORT/blob" 2>&1 | sed 's/^/    /'
	[ "${PIPESTATUS[0]}" -eq 0 ] || return 1
	cmp "$T64_WORKDIR/www/blob" "$got" || return 1
	echo "    $(stat -c %s "$got") bytes, identical"
}
t64_check "curl of the 4 MB blob with the client-side link at MTU 1400: complete and identical" \
	check_pmtud

# client4_ok ADDR: ADDR is who the client should be to the server: a pool4
# address in stateful mode, its EAM address in stateless mode.
client4_ok() {
	if [ "$MODE" = stateless ]; then
		[ "$1" = "$CLIENT_EAM4" ]
	else
		"$T64_PYTHON" -c 'import ipaddress, sys
sys.exit(ipaddress.ip_address(sys.argv[1]) not in ipaddress.ip_network(sys.argv[2]))' \
			"$1" "$T64_POOL4" 2>/dev/null
	fi
}
check_server_saw() {
	local http udp ok=0
	http=$(grep '"GET /blob ' "$T64_WORKDIR/http.log" | tail -n 1 | cut -d' ' -f1)
	udp=$(sed -n 's/^peer //p' "$T64_WORKDIR/udp_big.log" | tail -n 1)
	echo "    HTTP GET /blob from '$http', big UDP request from '$udp'"
	client4_ok "$http" || ok=1
	client4_ok "$udp" || ok=1
	return "$ok"
}
if [ "$MODE" = stateless ]; then
	SAW="the EAM address $CLIENT_EAM4"
else
	SAW="a pool4 address ($T64_POOL4)"
fi
t64_check "the server saw the client as $SAW (HTTP log, UDP peer)" check_server_saw

t64_stop_tcpdump
show() {
	t64_in "$T64_NS_ROUTER" tcpdump -n -v -r "$PCAP" "$1" 2>/dev/null
}
check_capture_ptb() {
	local ptb fn
	ptb=$(show "icmp6 and ip6[40] == 2" | grep -c "packet too big")
	fn=$(show "icmp and icmp[0] == 3 and icmp[1] == 4" | grep -c "need to frag")
	echo "    $ptb ICMPv6 Packet Too Big in, $fn ICMPv4 Fragmentation Needed out"
	show "icmp and icmp[0] == 3 and icmp[1] == 4" | grep -m 1 "need to frag" | sed 's/^/    /'
	[ "$ptb" -gt 0 ] && [ "$fn" -gt 0 ] &&
		show "icmp and icmp[0] == 3 and icmp[1] == 4" | grep -q "mtu 1380"
}
t64_check "capture on nat64: ICMPv6 Packet Too Big (1400) became Fragmentation Needed (mtu 1380)" \
	check_capture_ptb

# The Fragmentation Needed quotes the server's segment to the client as the
# server knows it (tcpdump prints "ICMP QUOTED-DST unreachable - need to frag").
check_capture_ptb_quote() {
	local quoted addr
	quoted=$(show "icmp and icmp[0] == 3 and icmp[1] == 4" |
		sed -n 's/.* ICMP \([0-9.]*\) unreachable - need to frag.*/\1/p' | sort -u)
	echo "    quoted destination(s): ${quoted:-none}"
	[ -n "$quoted" ] || return 1
	for addr in $quoted; do
		client4_ok "$addr" || return 1
	done
}
t64_check "capture on nat64: the Fragmentation Needed quotes a segment to $SAW" \
	check_capture_ptb_quote

check_counters() {
	local sock=$T64_WORKDIR/tun64.sock
	"$BUILD/tun64ctl" -s "$sock" stats --json >"$T64_WORKDIR/stats.json" || return 1
	"$T64_PYTHON" - "$T64_WORKDIR/stats.json" <<'PY'
import json, sys
st = json.load(open(sys.argv[1]))
bad = {k: v for k, v in st.items() if "drop-icmp-inner" in k and v}
print("    4to6.translated %d, 6to4.translated %d, drop-icmp-inner %s, 4to6.fragmented %d" %
      (st["4to6.translated"], st["6to4.translated"], bad or 0, st["4to6.fragmented"]))
sys.exit(1 if bad or st["4to6.fragmented"] < 1 else 0)
PY
}
t64_check "tun64ctl stats: no ICMP error dropped for its quoted packet, a datagram fragmented" \
	check_counters

echo "$T64_TEST_NAME: took $((SECONDS - START)) s"
t64_finish
