# shellcheck shell=bash
# Helpers of the benchmark topology, sourced by tests/bench/bench.sh.
# Three network namespaces, documentation addresses only:
#
#   client (IPv6-only)        router                          server (IPv4-only)
#   2001:db8:6::2/64 --veth-- 2001:db8:6::1/64
#                             translator tun: 2001:db8:64::/96 and 198.51.100.0/28
#                             203.0.113.1/24  --------veth--- 203.0.113.2/24
#
# The kernel variant (the ceiling) instead gives the router 2001:db8:5::1/64 and
# the server 2001:db8:5::2/64 on the same veth, so the client reaches the server
# over the very same links by plain IPv6 forwarding.
#
# Each variant gets a fresh topology: one variant's routes, tun or leftover
# state cannot colour the next one's numbers.

# shellcheck disable=SC2034 # constants for bench.sh, which sources this file
B64_PREFIX6=2001:db8:64::/96
B64_POOL4=198.51.100.0/28
B64_SERVER4=203.0.113.2
B64_SERVER4_MAPPED=2001:db8:64::cb00:7102
B64_SERVER6=2001:db8:5::2
B64_PYTHON=/usr/bin/python3

# Unique per run, so that a benchmark never touches someone else's namespaces.
B64_NS_CLIENT=t64bc-$$
B64_NS_ROUTER=t64br-$$
B64_NS_SERVER=t64bs-$$
B64_WORKDIR=
B64_PIDS=()
B64_CLEANED=0

b64_log() {
	printf '%s\n' "$*" >&2
}

b64_die() {
	b64_log "error: $*"
	exit 1
}

b64_in() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}

# b64_spawn OUT NS CMD...: start CMD in NS in the background, output to OUT,
# remembered for cleanup. Sets B64_LAST_PID.
b64_spawn() {
	local out=$1 ns=$2
	shift 2
	ip netns exec "$ns" "$@" >"$out" 2>&1 &
	B64_LAST_PID=$!
	B64_PIDS+=("$B64_LAST_PID")
}

b64_alive() {
	kill -0 "$1" 2>/dev/null
}

# b64_wait_for SECONDS CMD...: poll CMD every 0.1 s until it succeeds.
b64_wait_for() {
	local secs=$1 i
	shift
	for ((i = 0; i < secs * 10; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# Wait up to $2 seconds for pid $1 to exit. Returns 1 on timeout.
b64_wait_exit() {
	local pid=$1 secs=$2 i
	for ((i = 0; i < secs * 10; i++)); do
		if ! b64_alive "$pid"; then
			wait "$pid" 2>/dev/null
			return 0
		fi
		sleep 0.1
	done
	return 1
}

# Stop everything we started and delete our namespaces (idempotent; also the
# end of every variant).
b64_teardown() {
	local pid ns
	for pid in "${B64_PIDS[@]}"; do
		b64_alive "$pid" && kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${B64_PIDS[@]}"; do
		b64_wait_exit "$pid" 5 || kill -KILL "$pid" 2>/dev/null
	done
	B64_PIDS=()
	for ns in "$B64_NS_CLIENT" "$B64_NS_ROUTER" "$B64_NS_SERVER"; do
		ip netns list 2>/dev/null | grep -qw "^$ns" || continue
		# Anything still inside a namespace we made was started by us.
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null
		done
		ip netns del "$ns" 2>/dev/null
	done
	return 0
}

b64_cleanup() {
	[ "$B64_CLEANED" -eq 1 ] && return 0
	B64_CLEANED=1
	b64_teardown
	if [ -n "$B64_WORKDIR" ] && [ -z "${BENCH_KEEP_WORKDIR:-}" ]; then
		rm -rf "$B64_WORKDIR"
	fi
	return 0
}

# Install the cleanup traps. Call once, before creating anything.
b64_init() {
	B64_WORKDIR=$(mktemp -d /tmp/tun64-bench.XXXXXX) || b64_die "mktemp failed"
	trap 'b64_cleanup' EXIT
	trap 'b64_cleanup; exit 130' INT
	trap 'b64_cleanup; exit 143' TERM
	trap 'b64_cleanup; exit 129' HUP
}

b64_ns_add() {
	ip netns add "$1" || return 1
	b64_in "$1" ip link set lo up
}

# veth pair between two namespaces: b64_veth NS_A IF_A NS_B IF_B
b64_veth() {
	ip link add "$2" netns "$1" type veth peer name "$4" netns "$3" || return 1
	# No DAD: the addresses must be usable at once.
	b64_in "$1" sysctl -qw "net.ipv6.conf.$2.accept_dad=0"
	b64_in "$3" sysctl -qw "net.ipv6.conf.$4.accept_dad=0"
	b64_in "$1" ip link set "$2" up &&
		b64_in "$3" ip link set "$4" up
}

# b64_topology_create KIND: KIND is "kernel" (server dual-stack) or
# "translator" (server IPv4-only, router forwards both families).
b64_topology_create() {
	local kind=$1
	b64_ns_add "$B64_NS_CLIENT" &&
		b64_ns_add "$B64_NS_ROUTER" &&
		b64_ns_add "$B64_NS_SERVER" || return 1

	b64_veth "$B64_NS_CLIENT" eth0 "$B64_NS_ROUTER" lan6 || return 1
	b64_in "$B64_NS_CLIENT" ip -6 addr add 2001:db8:6::2/64 dev eth0 nodad &&
		b64_in "$B64_NS_CLIENT" ip -6 route add default via 2001:db8:6::1 &&
		b64_in "$B64_NS_ROUTER" ip -6 addr add 2001:db8:6::1/64 dev lan6 nodad ||
		return 1

	b64_veth "$B64_NS_ROUTER" lan4 "$B64_NS_SERVER" eth0 || return 1
	b64_in "$B64_NS_ROUTER" ip addr add 203.0.113.1/24 dev lan4 &&
		b64_in "$B64_NS_SERVER" ip addr add "$B64_SERVER4/24" dev eth0 &&
		b64_in "$B64_NS_SERVER" ip route add default via 203.0.113.1 || return 1

	b64_in "$B64_NS_ROUTER" sysctl -qw net.ipv6.conf.all.forwarding=1 &&
		b64_in "$B64_NS_ROUTER" sysctl -qw net.ipv4.ip_forward=1 || return 1

	if [ "$kind" = kernel ]; then
		b64_in "$B64_NS_ROUTER" ip -6 addr add 2001:db8:5::1/64 dev lan4 nodad &&
			b64_in "$B64_NS_SERVER" ip -6 addr add "$B64_SERVER6/64" dev eth0 nodad &&
			b64_in "$B64_NS_SERVER" ip -6 route add default via 2001:db8:5::1
	else
		# The server really is IPv4-only.
		b64_in "$B64_NS_SERVER" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
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
