# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=bash
# Shared pieces of the tun64 end-to-end tests, sourced by tests/e2e/e2e_*.sh
# and tests/demo.sh. The namespaces, their cleanup and the helpers to run
# things in them are tests/lib/netns.sh; this adds the test's variant of the
# topology, its servers, tun64d, and the PASS/FAIL bookkeeping:
#
#   client (IPv6-only)          router (dual-stack, runs tun64d)        server (IPv4-only)
#   2001:db8:6::2/64  ---veth---  2001:db8:6::1/64
#                                 nat64 (tun): 2001:db8:64::/96, 198.51.100.0/28
#                                 203.0.113.1/24  ---veth---  203.0.113.2/24
#                                                             HTTP :8080, DNS :53
#
# The routes of the translation prefix and pool4 into the tun are installed by
# tun64d itself, not here: that is part of what the test checks.
#
# T64_ROUTER=kernel replaces tun64d by plain kernel forwarding (the server also
# gets the mapped IPv6 address on a veth named nat64), to debug the topology
# and the test steps without the translator.

T64_SERVER6_EXPECTED=2001:db8:64::cb00:7102
T64_DNS_NAME=tun64.test
T64_DNS_ANSWER=192.0.2.80
T64_HTTP_PORT=8080
T64_ROUTER=${T64_ROUTER:-tun64d}
T64_LIBDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../lib/netns.sh
. "$T64_LIBDIR/../lib/netns.sh"

T64_DAEMON_PID=

t64_require_root() {
	if [ "$(id -u)" -ne 0 ]; then
		t64_log "FAIL: $0 must be run as root (it creates network namespaces and a tun device)"
		exit 1
	fi
}

t64_require_tools() {
	local tool missing=
	for tool in ip tcpdump ping curl dig dnsmasq sha256sum timeout "$T64_PYTHON"; do
		command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"
	done
	[ -z "$missing" ] || t64_die "missing tools:$missing (run tests/install-deps.sh)"
}

# t64_use_build DIR: the start of every test script. Sets BUILD to DIR made
# absolute, checks root and the tools, and that tun64d and tun64ctl are
# built there (not with T64_ROUTER=kernel, which runs no tun64d).
t64_use_build() {
	local prog
	[ -n "${1:-}" ] || t64_die "usage: $0 BUILD_DIR"
	BUILD=$(cd "$1" && pwd) || t64_die "no build directory $1"
	t64_require_root
	t64_require_tools
	[ "$T64_ROUTER" = kernel ] && return 0
	for prog in tun64d tun64ctl; do
		[ -x "$BUILD/$prog" ] || t64_die "$BUILD/$prog not built"
	done
}

t64_topology_create() {
	t64_netns_create || return 1
	if [ "$T64_ROUTER" = kernel ]; then
		t64_kernel_router
	else
		# The server really is IPv4-only.
		t64_in "$T64_NS_SERVER" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	fi
}

# Debug stand-in for tun64d: the server owns the mapped IPv6 address on a
# veth that the router calls nat64, and the router just forwards IPv6.
t64_kernel_router() {
	t64_veth "$T64_NS_ROUTER" nat64 "$T64_NS_SERVER" eth6
	t64_in "$T64_NS_ROUTER" ip -6 addr add 2001:db8:64::1/96 dev nat64 nodad
	t64_in "$T64_NS_SERVER" ip -6 addr add "$T64_SERVER6_EXPECTED/96" dev eth6 nodad
	t64_in "$T64_NS_SERVER" ip -6 route add default via 2001:db8:64::1
	t64_in "$T64_NS_ROUTER" sysctl -qw net.ipv6.conf.all.forwarding=1
	t64_in "$T64_NS_ROUTER" sysctl -qw net.ipv4.ip_forward=1
}

# HTTP server (a ~4 MB random /blob and a small index page) and dnsmasq on the
# server. Returns 1, with their logs on stderr, if either does not answer in 10 s.
t64_start_server() {
	local www=$T64_WORKDIR/www bind=$T64_SERVER4 listen=$T64_SERVER4

	mkdir -p "$www"
	head -c $((4 * 1024 * 1024 + 1234)) /dev/urandom >"$www/blob"
	printf '<html><body><h1>Hello from %s, an IPv4-only server</h1></body></html>\n' \
		"$T64_SERVER4" >"$www/index.html"
	if [ "$T64_ROUTER" = kernel ]; then
		bind=::
		listen="$T64_SERVER4,$T64_SERVER6_EXPECTED"
	fi

	t64_spawn "$T64_WORKDIR/http.log" "$T64_NS_SERVER" \
		"$T64_PYTHON" "$T64_LIBDIR/httpd.py" "$bind" "$T64_HTTP_PORT" "$www"
	t64_spawn "$T64_WORKDIR/dnsmasq.log" "$T64_NS_SERVER" \
		dnsmasq --no-daemon --conf-file=/dev/null --listen-address="$listen" \
		--bind-interfaces --no-resolv --no-hosts --pid-file= --user=root \
		--address="/$T64_DNS_NAME/$T64_DNS_ANSWER" --log-queries

	t64_wait_for 10 t64_in "$T64_NS_SERVER" curl -s --max-time 1 -o /dev/null \
		"http://$T64_SERVER4:$T64_HTTP_PORT/index.html" ||
		{ cat "$T64_WORKDIR/http.log" >&2; t64_log "HTTP server did not start"; return 1; }
	t64_wait_for 10 t64_in "$T64_NS_SERVER" dig +short +time=1 +tries=1 \
		"@$T64_SERVER4" "$T64_DNS_NAME" A ||
		{ cat "$T64_WORKDIR/dnsmasq.log" >&2; t64_log "dnsmasq did not start"; return 1; }
}

# The head of a tun64d log line on a plain stderr (translator/log/log.c):
# the UTC time in milliseconds, then "tun64d: ". For grep -E.
T64_LOG_TS='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z'
T64_LOG_HEAD="^$T64_LOG_TS tun64d: "

# Start tun64d in the router and wait (at most 15 s) for `tun64d: ready`.
# Extra arguments go to tun64d. Returns 1 if it died or never became ready.
t64_start_daemon() {
	local build=$1 i
	shift
	T64_DAEMON_LOG=$T64_WORKDIR/tun64d.log
	if [ "$T64_ROUTER" = kernel ]; then
		echo "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ) tun64d: ready (kernel forwarding stand-in)" \
			>"$T64_DAEMON_LOG"
		return 0
	fi
	# Our own file, so that a /etc/tun64/tun64.conf on the host cannot leak in.
	T64_DAEMON_CONF=$T64_WORKDIR/tun64.conf
	cat >"$T64_DAEMON_CONF" <<EOF
# written by tests/e2e/lib.sh
prefix $T64_PREFIX6
pool4 $T64_POOL4
control-socket $T64_WORKDIR/tun64.sock
EOF
	# T64_DAEMON_ARGS: extra options for every test's daemon, split on
	# spaces (e.g. T64_DAEMON_ARGS="--offload no" to run a test without offloads).
	# shellcheck disable=SC2206
	T64_DAEMON_CMD=("$build/tun64d" -c "$T64_DAEMON_CONF" --tun-device nat64 "$@" ${T64_DAEMON_ARGS:-})
	t64_spawn "$T64_DAEMON_LOG" "$T64_NS_ROUTER" "${T64_DAEMON_CMD[@]}"
	T64_DAEMON_PID=$T64_LAST_PID
	for ((i = 0; i < 150; i++)); do
		grep -qE "${T64_LOG_HEAD}ready" "$T64_DAEMON_LOG" 2>/dev/null && return 0
		t64_alive "$T64_DAEMON_PID" || return 1
		sleep 0.1
	done
	return 1
}

t64_show_daemon_log() {
	[ -n "${T64_DAEMON_LOG:-}" ] && [ -f "$T64_DAEMON_LOG" ] || return 0
	echo "----- tun64d log ($T64_DAEMON_LOG) -----"
	cat "$T64_DAEMON_LOG"
	echo "----- end of tun64d log -----"
}

# The mapped IPv6 address of an IPv4 address, from tun64ctl (RFC 6052).
t64_map() {
	local build=$1 v4=$2
	if [ "$T64_ROUTER" = kernel ] && ! "$build/tun64ctl" map "$v4" --prefix "$T64_PREFIX6" \
		>/dev/null 2>&1; then
		echo "$T64_SERVER6_EXPECTED"
		return 0
	fi
	"$build/tun64ctl" map "$v4" --prefix "$T64_PREFIX6"
}

# Start tcpdump on the router's nat64 link: t64_start_tcpdump OUTFILE ARGS...
# Waits until it is capturing. Sets T64_TCPDUMP_PID.
t64_start_tcpdump() {
	local out=$1
	shift
	# -Z root: Debian's tcpdump drops to user tcpdump, which cannot write our 0700 workdir.
	t64_spawn "$out" "$T64_NS_ROUTER" tcpdump -Z root -n -i nat64 "$@"
	T64_TCPDUMP_PID=$T64_LAST_PID
	t64_wait_for 10 grep -q 'listening on' "$out" && return 0
	t64_alive "$T64_TCPDUMP_PID" || return 1
	return 1
}

t64_stop_tcpdump() {
	[ -n "${T64_TCPDUMP_PID:-}" ] || return 0
	kill -INT "$T64_TCPDUMP_PID" 2>/dev/null
	t64_wait_exit "$T64_TCPDUMP_PID" 5 || kill -KILL "$T64_TCPDUMP_PID" 2>/dev/null
	T64_TCPDUMP_PID=
}

# ---- results: one PASS / FAIL / SKIP line per step, then the summary line
# "NAME: N passed, M failed" and the exit status ctest reads ----

T64_TEST_NAME=$(basename "$0" .sh)
T64_PASSED=0
T64_FAILED=0

t64_pass() {
	echo "PASS: $*"
	T64_PASSED=$((T64_PASSED + 1))
}

t64_fail() {
	echo "FAIL: $*"
	T64_FAILED=$((T64_FAILED + 1))
}

t64_skip() {
	echo "SKIP: $*"
}

# t64_check DESCRIPTION CMD...: run a step, PASS or FAIL on its exit status.
t64_check() {
	local what=$1
	shift
	if "$@"; then t64_pass "$what"; else t64_fail "$what"; fi
}

# What a failed run shows before it exits; a script with more to show (logs,
# counters) redefines it after sourcing this file.
t64_on_failure() {
	t64_show_daemon_log
}

# Print the summary and exit: 1 if a step failed or none passed.
t64_finish() {
	echo "$T64_TEST_NAME: $T64_PASSED passed, $T64_FAILED failed"
	if [ "$T64_FAILED" -ne 0 ] || [ "$T64_PASSED" -eq 0 ]; then
		t64_on_failure
		exit 1
	fi
	exit 0
}

# t64_require DESCRIPTION CMD...: a fatal step; on failure, finish at once.
t64_require() {
	local what=$1
	shift
	if "$@"; then
		t64_pass "$what"
	else
		t64_fail "$what"
		t64_finish
	fi
}
