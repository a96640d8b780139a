# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=bash
# Helpers of the benchmark topology, sourced by tests/bench/bench.sh. The
# three namespaces, their cleanup and the helpers to run things in them are
# tests/lib/netns.sh (the picture is there); this adds the benchmark's two
# variants of it.
#
# The kernel variant (the ceiling) gives the router 2001:db8:5::1/64 and the
# server 2001:db8:5::2/64 on the same veth, so the client reaches the server
# over the very same links by plain IPv6 forwarding.
#
# Each variant gets a fresh topology: one variant's routes, tun or leftover
# state cannot colour the next one's numbers.

B64_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../lib/netns.sh
. "$B64_HERE/../lib/netns.sh"

# shellcheck disable=SC2034 # constants for bench.sh, which sources this file
B64_SERVER4_MAPPED=2001:db8:64::cb00:7102
B64_SERVER6=2001:db8:5::2

t64_netns_names b # t64bc-PID ...: never the end-to-end tests' names
T64_STOP_WAIT=5
T64_WORK_TAG=bench # /tmp/tun64-bench.*
T64_KEEP_WORKDIR=${BENCH_KEEP_WORKDIR:-}

# b64_topology_create KIND: KIND is "kernel" (server dual-stack) or
# "translator" (server IPv4-only, router forwards both families).
b64_topology_create() {
	local kind=$1
	t64_netns_create || return 1
	t64_in "$T64_NS_ROUTER" sysctl -qw net.ipv6.conf.all.forwarding=1 &&
		t64_in "$T64_NS_ROUTER" sysctl -qw net.ipv4.ip_forward=1 || return 1

	if [ "$kind" = kernel ]; then
		t64_in "$T64_NS_ROUTER" ip -6 addr add 2001:db8:5::1/64 dev lan4 nodad &&
			t64_in "$T64_NS_SERVER" ip -6 addr add "$B64_SERVER6/64" dev eth0 nodad &&
			t64_in "$T64_NS_SERVER" ip -6 route add default via 2001:db8:5::1
	else
		# The server really is IPv4-only.
		t64_in "$T64_NS_SERVER" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	fi
}

# b64_bounded SECS CMD...: run CMD for at most SECS seconds. In the background
# plus `wait`, so that a SIGINT/SIGTERM trap runs at once instead of after CMD.
b64_bounded() {
	local secs=$1
	shift
	timeout -k 5 "$secs" "$@" &
	wait $!
}
