# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=bash
# Network namespaces for the end-to-end tests (tests/e2e/lib.sh) and the
# benchmark (tests/bench/lib.sh): the three-namespace topology both use,
# commands and background processes inside it, and a cleanup that always
# deletes the namespaces, on success, failure or a signal. Documentation
# addresses only:
#
#   client (IPv6-only)        router (runs the translator)    server (IPv4-only)
#   2001:db8:6::2/64 --veth-- 2001:db8:6::1/64
#   eth0                      lan6
#                             translator tun: 2001:db8:64::/96 and 198.51.100.0/28
#                             lan4
#                             203.0.113.1/24  --------veth--- 203.0.113.2/24 eth0
#
# Each user adds its own variant on top (the server's IPv6 side, forwarding).

# shellcheck disable=SC2034 # the addresses, for the scripts that source this file
T64_PREFIX6=2001:db8:64::/96
T64_POOL4=198.51.100.0/28
T64_SERVER4=203.0.113.2
T64_PYTHON=/usr/bin/python3

T64_WORK_TAG=e2e # t64_init's work directory: /tmp/tun64-e2e.*
T64_WORKDIR=
T64_PIDS=()
T64_CLEANED=0
T64_STOP_WAIT=${T64_STOP_WAIT:-3} # seconds a process gets after SIGTERM at cleanup

# t64_netns_names TAG: our namespaces, unique per run ($$) so that no two runs
# touch each other's: t64${TAG}c-PID, t64${TAG}r-PID, t64${TAG}s-PID.
t64_netns_names() {
	T64_NS_CLIENT=t64${1}c-$$
	T64_NS_ROUTER=t64${1}r-$$
	T64_NS_SERVER=t64${1}s-$$
}
t64_netns_names ""

t64_log() {
	printf '%s\n' "$*" >&2
}

t64_die() {
	t64_log "error: $*"
	exit 1
}

# t64_in NS CMD...: run a command inside one of our namespaces.
t64_in() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}

# t64_spawn OUT NS CMD...: start CMD in namespace NS in the background, stdout
# and stderr to OUT, and remember it for cleanup. Sets T64_LAST_PID, the pid of
# CMD itself (bash execs `ip`, which execs CMD after entering the namespace).
t64_spawn() {
	local out=$1 ns=$2
	shift 2
	ip netns exec "$ns" "$@" >"$out" 2>&1 &
	T64_LAST_PID=$!
	T64_PIDS+=("$T64_LAST_PID")
}

# t64_wait_for SECONDS CMD...: poll CMD every 0.1 s until it succeeds or time runs out.
t64_wait_for() {
	local secs=$1 i
	shift
	for ((i = 0; i < secs * 10; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# Does pid $1 still run?
t64_alive() {
	kill -0 "$1" 2>/dev/null
}

# Wait up to $2 seconds for pid $1 to exit; sets T64_EXIT_STATUS. Returns 1 on timeout.
t64_wait_exit() {
	local pid=$1 secs=$2 i
	for ((i = 0; i < secs * 10; i++)); do
		if ! t64_alive "$pid"; then
			wait "$pid"
			# shellcheck disable=SC2034 # read by the callers
			T64_EXIT_STATUS=$?
			return 0
		fi
		sleep 0.1
	done
	return 1
}

# Stop everything t64_spawn started (SIGTERM, then SIGKILL after
# T64_STOP_WAIT seconds) and delete our namespaces, killing whatever is
# still inside them: only we started it. Idempotent.
t64_netns_teardown() {
	local pid ns
	for pid in "${T64_PIDS[@]}"; do
		t64_alive "$pid" && kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${T64_PIDS[@]}"; do
		t64_wait_exit "$pid" "$T64_STOP_WAIT" || kill -KILL "$pid" 2>/dev/null
	done
	T64_PIDS=()
	for ns in "$T64_NS_CLIENT" "$T64_NS_ROUTER" "$T64_NS_SERVER"; do
		ip netns list 2>/dev/null | grep -qw "^$ns" || continue
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null
		done
		ip netns del "$ns" 2>/dev/null
	done
	return 0
}

# The teardown, then the work directory unless T64_KEEP_WORKDIR is set. Runs once.
t64_cleanup() {
	[ "$T64_CLEANED" -eq 1 ] && return 0
	T64_CLEANED=1
	t64_netns_teardown
	if [ -n "$T64_WORKDIR" ] && [ -z "${T64_KEEP_WORKDIR:-}" ]; then
		rm -rf "$T64_WORKDIR"
	fi
	return 0
}

# Make the work directory /tmp/tun64-$T64_WORK_TAG.* and install the cleanup
# traps. Call once, before creating anything.
t64_init() {
	T64_WORKDIR=$(mktemp -d "/tmp/tun64-$T64_WORK_TAG.XXXXXX") || t64_die "mktemp failed"
	trap 't64_cleanup' EXIT
	trap 't64_cleanup; exit 130' INT
	trap 't64_cleanup; exit 143' TERM
	trap 't64_cleanup; exit 129' HUP
}

# Create a namespace with lo up.
t64_ns_add() {
	ip netns add "$1" || { t64_log "cannot create namespace $1"; return 1; }
	t64_in "$1" ip link set lo up
}

# veth pair between two namespaces: t64_veth NS_A IF_A NS_B IF_B
t64_veth() {
	ip link add "$2" netns "$1" type veth peer name "$4" netns "$3" ||
		{ t64_log "cannot create veth $2/$4"; return 1; }
	# No DAD: the addresses must be usable at once.
	t64_in "$1" sysctl -qw "net.ipv6.conf.$2.accept_dad=0"
	t64_in "$3" sysctl -qw "net.ipv6.conf.$4.accept_dad=0"
	t64_in "$1" ip link set "$2" up &&
		t64_in "$3" ip link set "$4" up
}

# The namespaces, links and addresses of the picture above, with the client's
# and the server's default routes. Returns 1 if a step fails.
t64_netns_create() {
	t64_ns_add "$T64_NS_CLIENT" &&
		t64_ns_add "$T64_NS_ROUTER" &&
		t64_ns_add "$T64_NS_SERVER" || return 1

	t64_veth "$T64_NS_CLIENT" eth0 "$T64_NS_ROUTER" lan6 || return 1
	t64_in "$T64_NS_CLIENT" ip -6 addr add 2001:db8:6::2/64 dev eth0 nodad &&
		t64_in "$T64_NS_CLIENT" ip -6 route add default via 2001:db8:6::1 &&
		t64_in "$T64_NS_ROUTER" ip -6 addr add 2001:db8:6::1/64 dev lan6 nodad ||
		return 1

	t64_veth "$T64_NS_ROUTER" lan4 "$T64_NS_SERVER" eth0 || return 1
	t64_in "$T64_NS_ROUTER" ip addr add 203.0.113.1/24 dev lan4 &&
		t64_in "$T64_NS_SERVER" ip addr add "$T64_SERVER4/24" dev eth0 &&
		t64_in "$T64_NS_SERVER" ip route add default via 203.0.113.1
}

# ---- more namespaces than the three above, and BIRD in them (e2e_ecmp.sh) ----

T64_NS_EXTRA=()

# t64_ns_add_extra NS: t64_ns_add, and remember NS for t64_cleanup_extra.
t64_ns_add_extra() {
	T64_NS_EXTRA+=("$1")
	t64_ns_add "$1"
}

# t64_cleanup_extra: t64_cleanup (our processes get their SIGTERM first, so
# a tun64d removes its routes), then kill whatever is left in the extra
# namespaces and delete them. Idempotent.
t64_cleanup_extra() {
	local ns pid
	t64_cleanup
	for ns in "${T64_NS_EXTRA[@]}"; do
		ip netns list 2>/dev/null | grep -qw "^$ns" || continue
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null
		done
		ip netns del "$ns" 2>/dev/null
	done
	T64_NS_EXTRA=()
	return 0
}

# t64_init_extra: t64_init, with traps that also delete the extra namespaces.
t64_init_extra() {
	t64_init
	trap 't64_cleanup_extra' EXIT
	trap 't64_cleanup_extra; exit 130' INT
	trap 't64_cleanup_extra; exit 143' TERM
	trap 't64_cleanup_extra; exit 129' HUP
}

# t64_bird_start OUT NS CONF SOCK: BIRD 2 in the foreground in NS, logging to
# OUT, with its own control socket SOCK (never the host's /run/bird), and
# remembered for cleanup like t64_spawn. Waits up to 10 s for birdc to
# answer. Sets T64_LAST_PID.
t64_bird_start() {
	local out=$1 ns=$2 conf=$3 sock=$4
	t64_spawn "$out" "$ns" bird -f -c "$conf" -s "$sock" -P "$sock.pid" || return 1
	t64_wait_for 10 birdc -s "$sock" show status && return 0
	t64_alive "$T64_LAST_PID" || t64_log "bird in $ns exited: $(cat "$out")"
	return 1
}

# t64_bird_established SOCK PROTO...: are these BGP sessions all Established?
t64_bird_established() {
	local sock=$1 p
	shift
	for p in "$@"; do
		birdc -s "$sock" show protocols "$p" 2>/dev/null | grep -q Established || return 1
	done
}
