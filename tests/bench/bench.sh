#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Throughput and latency of tun64d against plain kernel IPv6 forwarding (the
# ceiling) and TAYGA, on one machine, in one run.
#
# Usage (as root, from the repo root):
#   sudo bash tests/bench/bench.sh [BUILD_DIR]        (default BUILD_DIR: build)
# iperf3 and tayga are installed from Debian (apt-get) if missing.
#
# Every variant gets a fresh three-namespace topology (see lib.sh) and the same
# measurements, each bounded in time:
#   ping   ping -c 200 -i 0.01, the average RTT in µs (idle path)
#   TCP1   iperf3 one TCP stream client -> server, Gbit/s at the receiver
#   TCP1R  the same, server -> client (-R)
#   TCP4   iperf3 four TCP streams (-P 4)
#   UDP64  iperf3 UDP, 64-byte payloads, unlimited rate; the packets per
#          second the server actually received (its own report), in kpps
#          ("UDP64 rx")
#   UDP64 fwd  the same run seen by the server's kernel: datagrams that
#          reached its UDP layer, read or dropped because the socket buffer
#          was full (/proc/net/snmp{,6} InDatagrams + RcvbufErrors), per
#          second of BENCH_TIME, in kpps. This is what the router path
#          delivered; with 2 CPUs the server's iperf3 gets too little CPU to
#          read it all, so "UDP64 rx" says more about iperf3 than the router.
# A second table, "UDP64 losses", follows the UDP64 run along the path, in
# kpps: sent by the client (its iperf3 report), dropped at the queue of the
# router's nat64 tun (its tx_dropped; "-" for kernel, which has no tun), lost
# elsewhere (the rest: translator, veths, backlog), delivered to the server
# socket, dropped there (RcvbufErrors), read by the server (InDatagrams).
# For kernel, forwarding runs in the softirq of the client's own send call, so
# the client's send rate caps its "UDP64 fwd": there it is no ceiling.
# A third table (BENCH_TESTS connrate, capacity; tests/bench/sessions.sh has
# the method):
#   conn/s   connection setup rate: the highest rate of TCP SYNs, each a new
#            4-tuple, that crosses the router with no loss (binary search,
#            RFC 9693's maximum connection establishment rate), k/s
#   sessions the capacity test's table: tun64d with max-sessions
#            BENCH_CAP_SESSIONS, filled by new UDP flows; its engine's RSS
#            (MiB), RSS growth per session (bytes), and sessions per 64 MiB
#            at that cost. TAYGA: one entry per IPv6 host, bounded by its
#            dynamic pool. Kernel forwarding keeps no state ("-").
# A variant or a measurement that fails prints "n/a" and the reason; the run
# goes on. The table goes to stdout and, if BENCH_OUT is set, to that file.
#
# Environment:
#   BENCH_TIME=10          seconds per iperf3 test
#   BENCH_REPEAT=1         iperf3 runs per test; the table shows the median
#   BENCH_VARIANTS="kernel tayga tun64-w1 tun64-nofp tun64-fp"   which variants, in
#                          order; tun64-nofp / tun64-fp: all workers, fast-path no / yes
#                          (tun64: all workers, fast-path auto). A flow enters the fast
#                          path about a second after its handshake.
#   BENCH_PERF=FILE        also profile the translator (tun64d, tayga; the whole machine
#                          for kernel and the fast-path variants tun64-fp and tun64) with
#                          perf record -g (cpu-clock) during one extra TCP1 run
#                          and write the top of `perf report` to FILE.VARIANT; for
#                          those three also during UDP64, to FILE.VARIANT.udp64
#   BENCH_KEEP_WORKDIR=1   keep the logs and iperf3 JSON in /tmp/tun64-bench.*
#   BENCH_TESTS="throughput connrate capacity"   which tests, each on a fresh
#                          topology per variant: throughput (ping, iperf3: the
#                          first two tables), connrate, capacity; their own
#                          settings are in tests/bench/sessions.sh
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR
. "$HERE/lib.sh"
# shellcheck source-path=SCRIPTDIR
. "$HERE/sessions.sh"

BUILD=${1:-build}
BENCH_TIME=${BENCH_TIME:-10}
BENCH_VARIANTS=${BENCH_VARIANTS:-"kernel tayga tun64-w1 tun64-nofp tun64-fp"}
TUN64_VARIANTS="tun64-w1 tun64 tun64-nofp tun64-fp"
BENCH_PERF=${BENCH_PERF:-}
BENCH_REPEAT=${BENCH_REPEAT:-1}
BENCH_TESTS=${BENCH_TESTS:-"throughput connrate capacity"}
NCPU=$(nproc)

METRICS="tcp1 tcp1r tcp4 udp64 udpfwd ping"
COLUMNS_SHOWN="$METRICS cpu"   # cpu: the translator's CPU % during TCP1
# The UDP64 loss table, in path order (see the header); udpfwd is also a
# column of the main table.
UDP_LOSSES="udpsent tundrop udpother udpfwd udpsockdrop udpread"
# The connrate and capacity table (sessions.sh).
STATE_COLUMNS="connrate capsess caprss capbytes cap64"
declare -A RESULT=() # RESULT[variant:metric] = number or "n/a"
declare -A NOTE=()   # NOTE[variant] = why something is n/a
TARGET=             # address the client measures against
SERVER_BIND=        # address iperf3 -s binds to
TUN64_EXTRA=()      # more tun64d arguments, for the test at hand

note() {
	local variant=$1
	shift
	NOTE[$variant]="${NOTE[$variant]:+${NOTE[$variant]}; }$*"
	t64_log "  $variant: $*"
}

variant_label() {
	case $1 in
	kernel) echo "kernel IPv6 fwd" ;;
	tayga) echo "TAYGA" ;;
	tun64-w1) echo "tun64 workers=1" ;;
	tun64) echo "tun64 workers=$NCPU" ;;
	tun64-nofp) echo "tun64 fast-path no" ;;
	tun64-fp) echo "tun64 fast-path yes" ;;
	*) echo "$1" ;;
	esac
}

# ---- router variants -------------------------------------------------------

setup_kernel() {
	b64_topology_create kernel || { note kernel "topology setup failed"; return 1; }
	TARGET=$B64_SERVER6
	SERVER_BIND=$B64_SERVER6
}

ensure_tayga() {
	command -v tayga >/dev/null 2>&1 && return 0
	t64_log "  installing tayga (apt-get install -y tayga)"
	DEBIAN_FRONTEND=noninteractive apt-get install -y tayga >"$T64_WORKDIR/apt.log" 2>&1
	command -v tayga >/dev/null 2>&1
}

# TAYGA is stateless SIIT plus a dynamic pool: the client's IPv6 address gets
# one pool4 address of its own. ipv4-addr lies inside the pool, so TAYGA takes
# it out of the pool (tayga.conf(5)).
setup_tayga() {
	local conf=$T64_WORKDIR/tayga.conf
	ensure_tayga || { note tayga "tayga not installed and apt-get failed"; return 1; }
	b64_topology_create translator || { note tayga "topology setup failed"; return 1; }
	cat >"$conf" <<-EOF
		tun-device nat64
		ipv4-addr 198.51.100.1
		prefix $T64_PREFIX6
		dynamic-pool $T64_POOL4
	EOF
	t64_in "$T64_NS_ROUTER" tayga --mktun -c "$conf" >"$T64_WORKDIR/tayga-mktun.log" 2>&1 ||
		{ note tayga "tayga --mktun failed: $(tail -1 "$T64_WORKDIR/tayga-mktun.log")"; return 1; }
	if ! t64_in "$T64_NS_ROUTER" ip link set nat64 up mtu 1500 ||
		! t64_in "$T64_NS_ROUTER" ip -6 route add "$T64_PREFIX6" dev nat64 ||
		! t64_in "$T64_NS_ROUTER" ip route add "$T64_POOL4" dev nat64; then
		note tayga "tun or route setup failed"
		return 1
	fi
	# --nodetach rather than -d: -d also turns on debug logging.
	t64_spawn "$T64_WORKDIR/tayga.log" "$T64_NS_ROUTER" tayga --nodetach -c "$conf"
	sleep 0.5
	XLAT_PID=$T64_LAST_PID
	t64_alive "$XLAT_PID" ||
		{ note tayga "tayga exited: $(tail -1 "$T64_WORKDIR/tayga.log")"; return 1; }
	TARGET=$B64_SERVER4_MAPPED
	SERVER_BIND=$T64_SERVER4
}

# setup_tun64 VARIANT [--workers N]: tun64d installs its own routes.
setup_tun64() {
	local variant=$1 log=$T64_WORKDIR/tun64d-$1.log pid i
	shift
	[ -x "$BUILD/tun64d" ] || { note "$variant" "$BUILD/tun64d not built"; return 1; }
	b64_topology_create translator || { note "$variant" "topology setup failed"; return 1; }
	t64_spawn "$log" "$T64_NS_ROUTER" "$BUILD/tun64d" --tun-device nat64 \
		--prefix "$T64_PREFIX6" --pool4 "$T64_POOL4" \
		--control-socket "$T64_WORKDIR/tun64-$variant.sock" "$@" "${TUN64_EXTRA[@]}"
	pid=$T64_LAST_PID
	XLAT_PID=$pid
	for ((i = 0; i < 150; i++)); do
		grep -qE '(^| )tun64d: ready' "$log" 2>/dev/null && break
		t64_alive "$pid" || break
		sleep 0.1
	done
	if ! grep -qE '(^| )tun64d: ready' "$log" 2>/dev/null; then
		if t64_alive "$pid"; then
			note "$variant" "tun64d not ready in 15 s: $(tail -1 "$log" 2>/dev/null)"
		else
			note "$variant" "tun64d exited: $(tail -1 "$log" 2>/dev/null)"
		fi
		return 1
	fi
	TARGET=$B64_SERVER4_MAPPED
	SERVER_BIND=$T64_SERVER4
}

setup_variant() {
	case $1 in
	kernel) setup_kernel ;;
	tayga) setup_tayga ;;
	tun64-w1) setup_tun64 tun64-w1 --workers 1 ;;
	tun64) setup_tun64 tun64 ;;
	tun64-nofp) setup_tun64 tun64-nofp --fast-path no ;;
	tun64-fp) setup_tun64 tun64-fp --fast-path yes ;;
	*) note "$1" "unknown variant"; return 1 ;;
	esac
}

# ---- measurements ----------------------------------------------------------

iperf_listening() {
	t64_in "$T64_NS_SERVER" ss -Hltn "sport = :5201" | grep -q .
}

start_iperf_server() {
	local variant=$1
	t64_spawn "$T64_WORKDIR/iperf3-server-$variant.log" "$T64_NS_SERVER" \
		iperf3 -s -B "$SERVER_BIND"
	t64_wait_for 10 iperf_listening ||
		{ note "$variant" "iperf3 -s did not start"; return 1; }
}

path_works() {
	t64_wait_for 10 t64_in "$T64_NS_CLIENT" ping -c 1 -W 1 "$TARGET" ||
		{ note "$1" "no ping reply from $TARGET through the router"; return 1; }
}

# ping_once VARIANT RUN: average RTT of 200 echoes 10 ms apart, in µs, and
# the loss ("63 0%"); prints "n/a: REASON" and fails if there is no RTT.
# Every variant alike: three echoes first with the same identifier, then
# 1.5 s, so that the measured echoes belong to an established ICMP session
# (what the fast path carries, from the second after its first reply; the
# other variants do not care).
ping_once() {
	local out=$T64_WORKDIR/ping-$1-$2.txt avg loss id=$((4200 + $2))
	b64_bounded 10 ip netns exec "$T64_NS_CLIENT" \
		ping -e "$id" -c 3 -i 0.2 -W 1 -q "$TARGET" >/dev/null 2>&1
	sleep 1.5
	b64_bounded 30 ip netns exec "$T64_NS_CLIENT" \
		ping -e "$id" -c 200 -i 0.01 -W 1 -q "$TARGET" >"$out" 2>&1
	avg=$(awk -F/ '/^(rtt|round-trip)/ { printf "%.0f", $5 * 1000 }' "$out")
	loss=$(grep -o '[0-9.]*% packet loss' "$out")
	if [ -z "$avg" ]; then
		echo "n/a: ping: no RTT (${loss:-$(tail -1 "$out")})"
		return 1
	fi
	echo "$avg ${loss%% *}"
}

# measure_ping VARIANT: median over BENCH_REPEAT ping runs.
measure_ping() {
	local variant=$1 run value
	local -a values=()
	for ((run = 1; run <= BENCH_REPEAT; run++)); do
		if value=$(ping_once "$variant" "$run"); then
			values+=("${value%% *}")
			[ "${value#* }" = 0% ] || note "$variant" "ping run $run: ${value#* } loss"
		else
			note "$variant" "$value"
		fi
	done
	RESULT[$variant:ping]=$(median %.0f "${values[@]}")
}

# xlat_pids: the translator's processes: TAYGA's one; tun64d's root parent
# and its packet engine (a child process: not in the parent's own stat).
xlat_pids() {
	local -a kids=()
	[ -n "$XLAT_PID" ] && [ -r "/proc/$XLAT_PID/stat" ] || return 1
	read -r -a kids <"/proc/$XLAT_PID/task/$XLAT_PID/children" 2>/dev/null
	echo "$XLAT_PID" "${kids[@]}"
}

# Clock ticks of CPU (user + system, all threads) the translator used so far.
xlat_ticks() {
	local pid pids total=0 t
	pids=$(xlat_pids) || return 1
	for pid in $pids; do
		# Fields after the ")" of comm: utime and stime are the 12th and 13th.
		t=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | awk '{ print $12 + $13 }')
		total=$((total + ${t:-0}))
	done
	echo "$total"
}

# udp_counters NS: "IN RCVBUFERRORS" of the UDP layer in NS, IPv4 and IPv6
# summed: the kernel variant's server is reached over IPv6, whose datagrams
# count in /proc/net/snmp6 only (Udp6*), the others' over IPv4 (Udp: line of
# /proc/net/snmp). Counts a datagram in InDatagrams when the program reads it
# and in RcvbufErrors when it did not fit the socket buffer. Reading /proc
# rather than nstat: no history file. Prints "n/a n/a" if unreadable.
udp_counters() {
	t64_in "$1" cat /proc/net/snmp /proc/net/snmp6 2>/dev/null | awk '
		$1 == "Udp:" && !hdr { for (i = 2; i <= NF; i++) col[$i] = i; hdr = 1; next }
		$1 == "Udp:" && ("InDatagrams" in col) && ("RcvbufErrors" in col) {
			in4 = $col["InDatagrams"]; err4 = $col["RcvbufErrors"]; ok = 1 }
		$1 == "Udp6InDatagrams" { in6 = $2 }
		$1 == "Udp6RcvbufErrors" { err6 = $2 }
		END { if (ok) printf "%.0f %.0f\n", in4 + in6, err4 + err6; else print "n/a n/a" }'
}

# tun_tx_dropped VARIANT: packets the router's nat64 tun dropped because its
# queue towards the translator was full; "-" for kernel (no tun), n/a if
# unreadable. ip netns exec mounts the namespace's own /sys.
tun_tx_dropped() {
	local n
	[ "$1" = kernel ] && { echo -; return; }
	n=$(t64_in "$T64_NS_ROUTER" cat /sys/class/net/nat64/statistics/tx_dropped 2>/dev/null)
	case $n in '' | *[!0-9]*) echo n/a ;; *) echo "$n" ;; esac
}

# udp64_snapshot VARIANT: "IN RCVBUFERRORS TUNDROP" at this moment.
udp64_snapshot() {
	echo "$(udp_counters "$T64_NS_SERVER") $(tun_tx_dropped "$1")"
}

# udp64_losses BEFORE AFTER SENT: the UDP64 loss table of one run, in the order
# of UDP_LOSSES, kpps, from two snapshots and the client's send rate. Rates are
# per second of BENCH_TIME: the window between the snapshots is a little
# longer (connection setup, end of test), but no test datagrams flow then.
udp64_losses() {
	awk -v b="$1" -v a="$2" -v sent="$3" -v t="$BENCH_TIME" 'BEGIN {
		split(b, x, " "); split(a, y, " ")
		for (i = 1; i <= 3; i++) {
			ok[i] = (x[i] ~ /^[0-9]+$/ && y[i] ~ /^[0-9]+$/)
			d[i] = y[i] - x[i]
			r[i] = ok[i] ? sprintf("%.1f", d[i] / t / 1e3) : "n/a"
		}
		rd = r[1]; sockdrop = r[2]; tun = (y[3] == "-") ? "-" : r[3]
		fwd = (ok[1] && ok[2]) ? sprintf("%.1f", (d[1] + d[2]) / t / 1e3) : "n/a"
		if (sent !~ /^[0-9.]+$/) sent = "n/a"
		# What neither the tun queue nor the server socket accounts for.
		# It can come out a hair below zero: the client divides by its own
		# measured seconds, the counters by BENCH_TIME.
		if (sent == "n/a" || fwd == "n/a" || tun == "n/a") other = "n/a"
		else {
			v = sent - fwd - (tun == "-" ? 0 : tun)
			other = sprintf("%.1f", (v > -0.05 && v < 0.05) ? 0 : v)
		}
		print sent, tun, other, fwd, sockdrop, rd }'
}

# iperf_once VARIANT METRIC RUN KIND IPERF3-ARGS...: one bounded iperf3 run;
# prints the number or "n/a: REASON", fails on n/a. For udp64 it also writes
# the run's loss table (UDP_LOSSES) to the .loss file next to the JSON.
iperf_once() {
	local variant=$1 metric=$2 run=$3 kind=$4 before after sent
	local json=$T64_WORKDIR/iperf3-$variant-$metric-$run.json
	shift 4
	[ "$metric" = udp64 ] && before=$(udp64_snapshot "$variant")
	b64_bounded $((BENCH_TIME + 30)) ip netns exec "$T64_NS_CLIENT" \
		iperf3 -c "$TARGET" -J -t "$BENCH_TIME" --connect-timeout 5000 "$@" \
		>"$json" 2>"$json.err"
	[ "$metric" = udp64 ] && after=$(udp64_snapshot "$variant")
	# Let the server finish the test and the queues drain before the next one.
	sleep 1
	if [ "$metric" = udp64 ]; then
		sent=$("$T64_PYTHON" "$HERE/iperf_json.py" udpsent "$json")
		udp64_losses "$before" "$after" "$sent" >"${json%.json}.loss"
	fi
	"$T64_PYTHON" "$HERE/iperf_json.py" "$kind" "$json"
}

# median FORMAT NUMBER...: the median, printed with FORMAT (n/a if none).
median() {
	local fmt=$1
	shift
	[ "$#" -gt 0 ] || { echo n/a; return; }
	printf '%s\n' "$@" | sort -g | awk -v fmt="$fmt" '{ v[NR] = $1 } END {
		m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
		printf fmt "\n", m }'
}

# udp64_result VARIANT "RX RUN"...: RESULT[VARIANT:m] for m in UDP_LOSSES from
# the loss file of one run: the run with the median UDP64 rx (the lower of the
# middle two for an even count), not a median per column, so that the loss
# table adds up within one run; the last run if no run gave an rx.
udp64_result() {
	local variant=$1 run=$BENCH_REPEAT m i=0 loss
	local -a cells=()
	shift
	[ "$#" -gt 0 ] && run=$(printf '%s\n' "$@" | sort -g |
		awk '{ r[NR] = $2 } END { print r[int((NR + 1) / 2)] }')
	loss=$T64_WORKDIR/iperf3-$variant-udp64-$run.loss
	[ -r "$loss" ] && read -r -a cells <"$loss"
	for m in $UDP_LOSSES; do
		RESULT[$variant:$m]=${cells[i]:-n/a}
		i=$((i + 1))
	done
}

# measure_iperf VARIANT METRIC KIND IPERF3-ARGS...: KIND is tcp or udp; the
# median of BENCH_REPEAT runs. For tcp1 also the translator's CPU use, for
# udp64 also the loss table (udp64_result).
measure_iperf() {
	local variant=$1 metric=$2 kind=$3 run value t0 t1
	local -a values=() rx_runs=()
	shift 3
	t0=$(xlat_ticks)
	for ((run = 1; run <= BENCH_REPEAT; run++)); do
		if value=$(iperf_once "$variant" "$metric" "$run" "$kind" "$@"); then
			values+=("$value")
			rx_runs+=("$value $run")
		else
			note "$variant" "$metric run $run ${value:-n/a: parser failed}"
		fi
	done
	t1=$(xlat_ticks)
	RESULT[$variant:$metric]=$(median "$([ "$kind" = tcp ] && echo %.2f || echo %.1f)" \
		"${values[@]}")
	if [ "$metric" = tcp1 ] && [ -n "$t0" ] && [ -n "$t1" ]; then
		# Percent of one CPU over the test time (the 1 s pauses are idle).
		RESULT[$variant:cpu]=$(awk -v d=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" \
			-v s=$((BENCH_TIME * BENCH_REPEAT)) 'BEGIN { printf "%.1f", d / hz / s * 100 }')
	fi
	[ "$metric" = udp64 ] && udp64_result "$variant" "${rx_runs[@]}"
	return 0
}

# profile_translator VARIANT: one more TCP1 run with perf sampling the
# translator's processes (tun64d or tayga), or the whole machine where the
# work is in the kernel (kernel forwarding, the fast path). cpu-clock, not
# cycles: in a VM the hardware counters are often missing.
profile_translator() {
	profile_run "$1" tcp1 ""
	# UDP64 too where the work is in the kernel: the fast path against
	# kernel forwarding, the same 64-byte datagrams.
	case "$1" in tun64-fp | tun64 | kernel) profile_run "$1" udp64 -u -l 64 -b 0 ;; esac
}

# profile_run VARIANT TEST IPERF3-ARGS...: one more iperf3 run of TEST with
# perf sampling; the report goes to BENCH_PERF.VARIANT (TCP1) or
# BENCH_PERF.VARIANT.TEST.
profile_run() {
	local variant=$1 test=$2 data=$T64_WORKDIR/perf-$1-$2.data report=$BENCH_PERF.$1
	shift 2
	[ "$test" = tcp1 ] || report=$report.$test
	command -v perf >/dev/null 2>&1 || { note "$variant" "perf not installed"; return; }
	# With the fast path the translation runs in the kernel, in the softirq
	# of whoever sends: only a whole-machine profile sees it.
	local pids
	pids=$(xlat_pids | tr ' ' ,)
	local scope=(-p "$pids") what="-p PIDs (every process of the translator)"
	case "$variant" in tun64-fp | tun64 | kernel) scope=(-a) what="-a (whole machine)" ;; esac
	perf record -e cpu-clock -g "${scope[@]}" -o "$data" -- sleep "$BENCH_TIME" \
		>"$T64_WORKDIR/perf-$variant-$test.log" 2>&1 &
	local perf_pid=$!
	sleep 0.5
	# shellcheck disable=SC2068 # the iperf3 arguments, split on purpose
	b64_bounded $((BENCH_TIME + 30)) ip netns exec "$T64_NS_CLIENT" \
		iperf3 -c "$TARGET" -t "$BENCH_TIME" --connect-timeout 5000 $@ >/dev/null 2>&1
	wait "$perf_pid"
	{
		echo "# perf record -e cpu-clock -g $what ($variant) during iperf3 $test"
		perf report -i "$data" --stdio --no-children --percent-limit 1.5 2>/dev/null |
			grep -v '^$' | head -120
		echo
		echo "# where the time goes: by object (kernel, the program, libc)"
		perf report -i "$data" --stdio --no-children -g none --sort dso 2>/dev/null |
			grep -v '^#' | grep -v '^$' | sed 's/ *-  *-  *$//' | head -10
		echo
		echo "# inclusive time (self + callees) by symbol, >= 5%"
		perf report -i "$data" --stdio --children -g none --sort symbol \
			--percent-limit 5 2>/dev/null | grep -v '^#' | grep -v '^$' |
			sed 's/ *-  *-  *$//' | head -30
		echo
		echo "# flat profile (self time by symbol)"
		perf report -i "$data" --stdio --no-children -g none --percent-limit 0.5 \
			--sort dso,symbol 2>/dev/null | grep -v '^#' | grep -v '^$' |
			sed 's/ *-  *-  *$//' | head -40
	} >"$report"
	t64_log "  $variant: profile written to $report"
}

wants() {
	case " $BENCH_TESTS " in *" $1 "*) return 0 ;; esac
	return 1
}

# run_state_tests VARIANT: connrate and capacity, each on a fresh topology.
# tun64d gets per-client and per-address quotas as large as its table: the
# tests' flows all come from one /64, and the defaults (a quarter of
# max-sessions per /64, a quarter of that per address) would make tun64d
# replace the client's own sessions instead of adding new ones.
run_state_tests() {
	local variant=$1 m max
	for m in $STATE_COLUMNS; do
		RESULT[$variant:$m]=n/a
	done
	if [ "$variant" = kernel ]; then
		for m in capsess caprss capbytes cap64; do
			RESULT[$variant:$m]=-
		done
	fi
	if wants connrate; then
		max=$((BENCH_CONNRATE_COUNT > 65536 ? BENCH_CONNRATE_COUNT : 65536))
		TUN64_EXTRA=(--max-sessions "$max" --max-sessions-per-client "$max"
			--max-sessions-per-address 100)
		XLAT_PID=
		if setup_variant "$variant" && path_works "$variant"; then
			measure_connrate "$variant"
		fi
		t64_netns_teardown 2>/dev/null
	fi
	if wants capacity && [ "$variant" != kernel ]; then
		TUN64_EXTRA=(--max-sessions "$BENCH_CAP_SESSIONS"
			--max-sessions-per-client "$BENCH_CAP_SESSIONS" --max-sessions-per-address 100)
		XLAT_PID=
		if setup_variant "$variant" && path_works "$variant"; then
			measure_capacity "$variant"
		fi
		t64_netns_teardown 2>/dev/null
	fi
	TUN64_EXTRA=()
	t64_log "   conn/s ${RESULT[$variant:connrate]} k, capacity ${RESULT[$variant:capsess]}" \
		"sessions, RSS ${RESULT[$variant:caprss]} MiB, ${RESULT[$variant:capbytes]} B/session"
}

run_variant() {
	local variant=$1 m
	t64_log "== $(variant_label "$variant")"
	for m in $COLUMNS_SHOWN $UDP_LOSSES; do
		RESULT[$variant:$m]=n/a
	done
	[ "$variant" = kernel ] && RESULT[$variant:cpu]=- && RESULT[$variant:tundrop]=-
	wants throughput && run_throughput "$variant"
	if wants connrate || wants capacity; then
		run_state_tests "$variant"
	fi
	return 0
}

# run_throughput VARIANT: ping and the iperf3 tests (the first two tables).
run_throughput() {
	local variant=$1
	XLAT_PID=
	if setup_variant "$variant" && start_iperf_server "$variant" &&
		path_works "$variant"; then
		measure_ping "$variant"
		measure_iperf "$variant" tcp1 tcp
		measure_iperf "$variant" tcp1r tcp -R
		measure_iperf "$variant" tcp4 tcp -P 4
		measure_iperf "$variant" udp64 udp -u -l 64 -b 0
		if [ -n "$BENCH_PERF" ] && { [ -n "$XLAT_PID" ] || [ "$variant" = kernel ]; }; then
			profile_translator "$variant"
		fi
	fi
	t64_netns_teardown 2>/dev/null
	t64_log "   ping ${RESULT[$variant:ping]} µs, TCP1 ${RESULT[$variant:tcp1]}," \
		"TCP1R ${RESULT[$variant:tcp1r]}, TCP4 ${RESULT[$variant:tcp4]} Gbit/s," \
		"UDP64 ${RESULT[$variant:udp64]} kpps (fwd ${RESULT[$variant:udpfwd]})"
}

# ---- report ------------------------------------------------------------------

# ratio A B: A/B with two decimals, or n/a.
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a == "n/a" || b == "n/a" || b + 0 == 0) print "n/a";
		else printf "%.2f", a / b }'
}

# verdict A OP B: "met", "NOT met" or "n/a" for A OP B (OP: ge or le).
verdict() {
	awk -v a="$1" -v op="$2" -v b="$3" 'BEGIN {
		if (a == "n/a" || b == "n/a") { print "n/a"; exit }
		ok = (op == "ge") ? (a + 0 >= b + 0) : (op == "lt") ? (a + 0 < b + 0) : (a + 0 <= b + 0);
		print ok ? "met" : "NOT met" }'
}

scaled() {
	awk -v a="$1" -v k="$2" 'BEGIN { if (a == "n/a") print "n/a"; else printf "%.2f", a * k }'
}

added_rtt() {
	awk -v a="$1" -v k="$2" 'BEGIN {
		if (a == "n/a" || k == "n/a") print "n/a"; else printf "%d", a - k }'
}

row() {
	printf '%-20s %9s %9s %9s %9s %9s %9s %10s\n' "$@"
}

loss_row() {
	printf '%-20s %9s %9s %9s %9s %9s %9s\n' "$@"
}

# The UDP64 run along the path, one row per variant (see the header).
print_losses() {
	local v m
	local -a cells
	echo "UDP64 losses (kpps; counters of the UDP64 run with the median rx)"
	loss_row variant "client" "tun queue" "lost" "to server" "server" "read by"
	loss_row "" "sent" "dropped" "elsewhere" "socket" "sock drop" "server"
	for v in $BENCH_VARIANTS; do
		cells=()
		for m in $UDP_LOSSES; do
			cells+=("${RESULT[$v:$m]:-n/a}")
		done
		loss_row "$(variant_label "$v")" "${cells[@]}"
	done
}

print_table() {
	local v m tun
	local -a cells
	echo "tun64 benchmark: $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -r)," \
		"$NCPU CPUs ($(lscpu | sed -n 's/^Model name: *//p' | head -1))," \
		"iperf3 ${BENCH_TIME} s per test, median of $BENCH_REPEAT"
	echo "xlat CPU: CPU time of the translator process (all threads) during TCP1," \
		"in % of one CPU"
	echo "load average at start: $LOAD_START, at end: $(cut -d' ' -f1-3 /proc/loadavg)"
	if awk -v l="${LOAD_START%% *}" 'BEGIN { exit !(l > 0.5) }'; then
		echo "WARNING: the machine was not idle when the benchmark started;" \
			"other processes share the CPUs and lower every number"
	fi
	if wants throughput; then
		echo
		print_throughput
	fi
	if wants connrate || wants capacity; then
		echo
		print_state
	fi
	if [ "${#NOTE[@]}" -gt 0 ]; then
		echo
		echo "notes:"
		for v in $BENCH_VARIANTS; do
			[ -n "${NOTE[$v]:-}" ] && echo "  $(variant_label "$v"): ${NOTE[$v]}"
		done
	fi
	return 0
}

state_row() {
	printf '%-20s %9s %10s %9s %10s %12s\n' "$@"
}

# The connrate and capacity table, and conn/s ratios in the style of the first.
print_state() {
	local v tun m
	local -a cells
	echo "connection setup (TCP SYNs, each a new 4-tuple, no loss allowed above" \
		"${BENCH_CONNRATE_LOSS} %) and session capacity (tun64d max-sessions $BENCH_CAP_SESSIONS," \
		"new UDP flows)"
	state_row variant "conn/s" "sessions" "RSS" "bytes per" "sessions per"
	state_row "" "k" "in table" "MiB" "session" "64 MiB"
	for v in $BENCH_VARIANTS; do
		cells=()
		for m in $STATE_COLUMNS; do
			cells+=("${RESULT[$v:$m]:-n/a}")
		done
		state_row "$(variant_label "$v")" "${cells[@]}"
	done
	echo
	echo "ratios of conn/s (higher is better)"
	for tun in $TUN64_VARIANTS; do
		case " $BENCH_VARIANTS " in *" $tun "*) ;; *) continue ;; esac
		for v in tayga kernel; do
			case " $BENCH_VARIANTS " in *" $v "*) ;; *) continue ;; esac
			printf '%-20s %9s\n' "$tun / $v" \
				"$(ratio "${RESULT[$tun:connrate]:-n/a}" "${RESULT[$v:connrate]:-n/a}")"
		done
	done
}

# The throughput table, its ratios, the UDP64 losses and the targets.
print_throughput() {
	local v m tun
	local -a cells
	row variant "TCP1" "TCP1-R" "TCP4" "UDP64 rx" "UDP64 fwd" "ping avg" "xlat CPU"
	row "" "Gbit/s" "Gbit/s" "Gbit/s" "kpps" "kpps" "µs" "%, TCP1"
	for v in $BENCH_VARIANTS; do
		cells=()
		for m in $COLUMNS_SHOWN; do
			cells+=("${RESULT[$v:$m]}")
		done
		row "$(variant_label "$v")" "${cells[@]}"
	done
	echo
	echo "ratios (ping: RTT ratio, lower is better; others: higher is better)"
	for tun in $TUN64_VARIANTS; do
		case " $BENCH_VARIANTS " in *" $tun "*) ;; *) continue ;; esac
		for v in tayga kernel; do
			case " $BENCH_VARIANTS " in *" $v "*) ;; *) continue ;; esac
			cells=()
			for m in $METRICS; do
				cells+=("$(ratio "${RESULT[$tun:$m]}" "${RESULT[$v:$m]}")")
			done
			row "$tun / $v" "${cells[@]}"
		done
	done
	echo
	print_losses
	echo
	print_targets
}

# The performance targets of the issue, checked for each tun64 variant.
print_targets() {
	local tun k=${RESULT[kernel:ping]:-n/a} tay=${RESULT[tayga:tcp1]:-n/a}
	local tay_added
	tay_added=$(added_rtt "${RESULT[tayga:ping]:-n/a}" "$k")
	echo "targets (TAYGA added RTT over kernel: $tay_added µs)"
	for tun in $TUN64_VARIANTS; do
		case " $BENCH_VARIANTS " in *" $tun "*) ;; *) continue ;; esac
		local added
		added=$(added_rtt "${RESULT[$tun:ping]}" "$k")
		printf '  %-16s TCP1 >= 4x TAYGA: %s; TCP1 >= 50%% kernel: %s;' \
			"$(variant_label "$tun"):" \
			"$(verdict "${RESULT[$tun:tcp1]}" ge "$(scaled "$tay" 4)")" \
			"$(verdict "${RESULT[$tun:tcp1]}" ge "$(scaled "${RESULT[kernel:tcp1]:-n/a}" 0.5)")"
		printf ' UDP64 >= 2x TAYGA: %s; UDP64 fwd >= 2x TAYGA: %s;' \
			"$(verdict "${RESULT[$tun:udp64]}" ge "$(scaled "${RESULT[tayga:udp64]:-n/a}" 2)")" \
			"$(verdict "${RESULT[$tun:udpfwd]}" ge "$(scaled "${RESULT[tayga:udpfwd]:-n/a}" 2)")"
		printf ' added RTT %s µs <= TAYGA: %s\n' "$added" "$(verdict "$added" le "$tay_added")"
	done
	# Issue 13's, for the fast path (same run, ratios to kernel forwarding).
	tun=tun64-fp
	case " $BENCH_VARIANTS " in *" $tun "*) ;; *) return ;; esac
	local kern=${RESULT[kernel:tcp1]:-n/a} added
	added=$(added_rtt "${RESULT[$tun:ping]}" "$k")
	printf '  %-16s TCP1 >= 90%% kernel: %s; TCP1-R >= 90%% kernel: %s; TCP4 >= 95%% kernel: %s;' \
		"fast path:" \
		"$(verdict "${RESULT[$tun:tcp1]}" ge "$(scaled "$kern" 0.9)")" \
		"$(verdict "${RESULT[$tun:tcp1r]}" ge "$(scaled "${RESULT[kernel:tcp1r]:-n/a}" 0.9)")" \
		"$(verdict "${RESULT[$tun:tcp4]}" ge "$(scaled "${RESULT[kernel:tcp4]:-n/a}" 0.95)")"
	printf ' UDP64 >= 90%% kernel: %s; added RTT %s µs <= 10: %s; xlat CPU %s%% < 5: %s\n' \
		"$(verdict "${RESULT[$tun:udp64]}" ge "$(scaled "${RESULT[kernel:udp64]:-n/a}" 0.9)")" \
		"$added" "$(verdict "$added" le 10)" \
		"${RESULT[$tun:cpu]:-n/a}" "$(verdict "${RESULT[$tun:cpu]:-n/a}" lt 5)"
}

# ---- main --------------------------------------------------------------------

[ "$(id -u)" -eq 0 ] || t64_die "$0 must run as root (network namespaces, tun devices)"
# The load generator comes from Debian, like TAYGA (ensure_tayga): a fresh
# machine needs nothing installed by hand. noninteractive: iperf3's debconf
# question (start a server at boot?) keeps its default, no.
if ! command -v iperf3 >/dev/null 2>&1; then
	t64_log "installing iperf3 (apt-get install -y iperf3)"
	DEBIAN_FRONTEND=noninteractive apt-get install -y iperf3 >/dev/null 2>&1 ||
		t64_die "iperf3 missing and apt-get install iperf3 failed"
fi
for tool in ip iperf3 ping ss timeout awk "$T64_PYTHON"; do
	command -v "$tool" >/dev/null 2>&1 || t64_die "missing tool: $tool"
done
BUILD=$(cd "$BUILD" 2>/dev/null && pwd) || BUILD=${1:-build}
t64_init
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

for variant in $BENCH_VARIANTS; do
	run_variant "$variant"
done

if [ -n "${BENCH_OUT:-}" ]; then
	print_table | tee "$BENCH_OUT"
else
	print_table
fi
