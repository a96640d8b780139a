#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# A live demonstration of tun64: builds it, makes an IPv6-only client, a
# router running tun64d and an IPv4-only server in network namespaces, shows
# ping, HTTP and DNS crossing the translator with tcpdump's view of the tun,
# then leaves the topology up for you to try things until Ctrl-C.
#
# Usage (from the repository root, as root): bash tests/demo.sh
# TUN64_BUILD_DIR=DIR uses the programs already built in DIR instead of
# building ./build.
set -u

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
BUILD=${TUN64_BUILD_DIR:-$(pwd)/build}

heading() {
	printf '\n\033[1m==== %s ====\033[0m\n' "$*"
}

# Print what tcpdump has written since the last call.
TCPDUMP_SEEN=0
show_tcpdump() {
	local total
	sleep 0.5
	total=$(wc -l <"$TCPDUMP_OUT")
	echo "--- tcpdump -i nat64 (both sides of the translation) ---"
	tail -n +"$((TCPDUMP_SEEN + 1))" "$TCPDUMP_OUT" | grep -v '^listening on\|^tcpdump:' | head -n 40
	TCPDUMP_SEEN=$total
}

# run NS CMD...: show a command as you would type it, then run it.
run() {
	local ns=$1
	shift
	echo "\$ ip netns exec $ns $*"
	ip netns exec "$ns" "$@"
}

if [ "$(id -u)" -ne 0 ]; then
	echo "demo.sh must be run as root (sudo bash tests/demo.sh)" >&2
	exit 1
fi

heading "Installing dependencies and building"
bash tests/install-deps.sh || exit 1
if [ -z "${TUN64_BUILD_DIR:-}" ]; then
	cmake -S . -B build -DTUN64_WERROR=ON >/dev/null || exit 1
	cmake --build build -j"$(nproc)" || exit 1
fi

# shellcheck source=e2e/lib.sh
. tests/e2e/lib.sh
t64_require_tools
t64_init

heading "Topology"
t64_topology_create
t64_start_server || exit 1
cat <<EOF
  client  $T64_NS_CLIENT  IPv6 only: 2001:db8:6::2/64, default via 2001:db8:6::1
  router  $T64_NS_ROUTER  2001:db8:6::1/64 | tun nat64 (tun64d) | 203.0.113.1/24
  server  $T64_NS_SERVER  IPv4 only: $T64_SERVER4/24, HTTP on port $T64_HTTP_PORT, DNS (dnsmasq)
EOF

heading "Starting tun64d in the router"
if ! t64_start_daemon "$BUILD"; then
	t64_show_daemon_log
	echo "tun64d did not become ready" >&2
	exit 1
fi
echo "\$ cat $T64_DAEMON_CONF"
grep -v '^#' "$T64_DAEMON_CONF"
echo "\$ ip netns exec $T64_NS_ROUTER ${T64_DAEMON_CMD[*]}"
sed 's/^/  /' "$T64_DAEMON_LOG"
echo "Routes tun64d installed in the router:"
ip netns exec "$T64_NS_ROUTER" ip -6 route show dev nat64 | grep -v "^fe80" | sed 's/^/  /'
ip netns exec "$T64_NS_ROUTER" ip route show dev nat64 | sed 's/^/  /'

heading "The server's IPv4 address, mapped into the prefix (RFC 6052)"
echo "\$ $BUILD/tun64ctl map $T64_SERVER4 --prefix $T64_PREFIX6"
SERVER6=$(t64_map "$BUILD" "$T64_SERVER4") || exit 1
echo "$SERVER6"

TCPDUMP_OUT=$T64_WORKDIR/tcpdump.txt
t64_start_tcpdump "$TCPDUMP_OUT" -l || { echo "tcpdump did not start" >&2; exit 1; }

heading "ICMP: ping the IPv4-only server from the IPv6-only client"
run "$T64_NS_CLIENT" ping -6 -n -c 3 -i 0.3 -W 2 "$SERVER6"
show_tcpdump

heading "TCP: fetch a web page"
run "$T64_NS_CLIENT" curl -6 -g -sS --max-time 10 "http://[$SERVER6]:$T64_HTTP_PORT/index.html"
show_tcpdump

heading "UDP: ask the server's DNS for $T64_DNS_NAME"
run "$T64_NS_CLIENT" dig "@$SERVER6" "$T64_DNS_NAME" A +short +time=2 +tries=2
show_tcpdump

heading "Try it by hand (in another terminal, as root)"
cat <<EOF
  ip netns exec $T64_NS_CLIENT ping -6 $SERVER6
  ip netns exec $T64_NS_CLIENT curl -6 -g -o /dev/null http://[$SERVER6]:$T64_HTTP_PORT/blob
  ip netns exec $T64_NS_CLIENT dig @$SERVER6 $T64_DNS_NAME A
  ip netns exec $T64_NS_ROUTER tcpdump -n -i nat64
  ip netns exec $T64_NS_ROUTER ip route show dev nat64
The tcpdump of nat64 follows below. Press Ctrl-C to stop tun64d and remove everything.
EOF

heading "tcpdump -i nat64 (live)"
tail -n +"$((TCPDUMP_SEEN + 1))" -f --pid="$T64_DAEMON_PID" "$TCPDUMP_OUT"
echo "tun64d stopped."
t64_show_daemon_log
