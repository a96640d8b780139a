# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=bash
# shellcheck disable=SC2004 # RESULT is bench.sh's associative array, not indexed
# The two stateful tests of bench.sh (BENCH_TESTS connrate and capacity),
# sourced by it; the method is in docs/performance.md.
#
# connrate  connection setup rate, RFC 9693's maximum connection establishment
#           rate: connrate.c sends COUNT TCP SYNs from the client, every one
#           a new 4-tuple (its own source port; past the last port, the next
#           source address), at a fixed rate; the server namespace counts them
#           in an nft rule and drops them, so nothing answers (RFC 9693's
#           preliminary phase: only the initiator sends, the responder counts,
#           and the translator's table starts empty). A binary search over the
#           rate (geometric, at most BENCH_CONNRATE_TRIALS trials) finds the
#           highest rate at which at most BENCH_CONNRATE_LOSS % (default 0:
#           none) of the SYNs are lost; the result is the rate the client
#           actually achieved in that trial, in k connections/s.
# capacity  sessions at a fixed memory: tun64d with max-sessions
#           BENCH_CAP_SESSIONS gets 1.1 x that many new UDP flows; the
#           engine's resident memory (VmRSS) grows by D for the S sessions in
#           its table: D / S bytes per session, 64 MiB / (D / S) sessions per
#           64 MiB. TAYGA keeps no per-flow state: its dynamic pool gives each
#           IPv6 host one IPv4 address, so its table holds one entry per host
#           and is bounded by the pool, not memory; the test sends one UDP
#           packet from each of (pool size + 8) source addresses and counts the
#           hosts that got through.
#
# Environment (besides bench.sh's):
#   BENCH_CONNRATE_COUNT=50000  SYNs per trial (fewer below COUNT/2 per second:
#                               a trial lasts at most 2 s)
#   BENCH_CONNRATE_MIN=5000 BENCH_CONNRATE_MAX=1000000   search range, per s
#   BENCH_CONNRATE_TRIALS=10    trials per variant at most
#   BENCH_CONNRATE_LOSS=0       loss accepted in a passing trial, percent
#   BENCH_CAP_SESSIONS=262144   tun64's max-sessions in the capacity test
#   BENCH_CAP_RATE=50000        flows per second in the capacity test

BENCH_CONNRATE_COUNT=${BENCH_CONNRATE_COUNT:-50000}
BENCH_CONNRATE_MIN=${BENCH_CONNRATE_MIN:-5000}
BENCH_CONNRATE_MAX=${BENCH_CONNRATE_MAX:-1000000}
BENCH_CONNRATE_TRIALS=${BENCH_CONNRATE_TRIALS:-10}
BENCH_CONNRATE_LOSS=${BENCH_CONNRATE_LOSS:-0}
BENCH_CAP_SESSIONS=${BENCH_CAP_SESSIONS:-262144}
BENCH_CAP_RATE=${BENCH_CAP_RATE:-50000}

S64_CLIENT6=2001:db8:6::2 # the client's address; further sources count up from it
S64_SINK_PORT=9           # the flows' destination port (discard), counted and dropped
S64_TOOL=

# s64_tool: the connrate binary, built by CMake; else compiled here with cc.
s64_tool() {
	[ -n "$S64_TOOL" ] && return 0
	if [ -x "$BUILD/tests/connrate" ]; then
		S64_TOOL=$BUILD/tests/connrate
	elif cc -O2 -std=c11 -o "$T64_WORKDIR/connrate" "$HERE/connrate.c" \
		>"$T64_WORKDIR/connrate-cc.log" 2>&1; then
		S64_TOOL=$T64_WORKDIR/connrate
	else
		return 1
	fi
}

# s64_sink_setup: in the server namespace, count and drop every TCP or UDP
# packet to the sink port, before anything else sees it (prerouting, priority
# raw - 100): the server sends no SYN-ACK, RST or ICMP error back.
s64_sink_setup() {
	t64_in "$T64_NS_SERVER" nft -f - <<-EOF
		table inet t64bench {
			chain pre {
				type filter hook prerouting priority -400; policy accept;
				meta l4proto { tcp, udp } th dport $S64_SINK_PORT counter drop
			}
		}
	EOF
}

# s64_sink_count: packets the sink rule has counted so far.
s64_sink_count() {
	t64_in "$T64_NS_SERVER" nft list chain inet t64bench pre 2>/dev/null |
		awk '/counter packets/ { for (i = 1; i < NF; i++) if ($i == "packets") { print $(i + 1); exit } }'
}

# s64_send PROTO RATE COUNT [connrate args]: run the load generator in the
# client namespace; prints its line ("sent N errors E seconds S rate R").
s64_send() {
	local proto=$1 rate=$2 count=$3
	shift 3
	b64_bounded 60 ip netns exec "$T64_NS_CLIENT" "$S64_TOOL" --dst "$TARGET" \
		--src "$S64_CLIENT6" --proto "$proto" --rate "$rate" --count "$count" \
		--dport "$S64_SINK_PORT" "$@" 2>&1
}

# s64_field LINE NAME: the number after NAME in connrate's output line.
s64_field() {
	awk -v k="$2" '{ for (i = 1; i < NF; i++) if ($i == k) { print $(i + 1); exit } }' <<<"$1"
}

s64_ctl() {
	"$BUILD/tun64ctl" -s "$T64_WORKDIR/tun64-$1.sock" "${@:2}"
}

# s64_in_use VARIANT: tun64d's sessions in use (tun64ctl status).
s64_in_use() {
	s64_ctl "$1" status 2>/dev/null | awk '/^max-sessions/ { print $NF; exit }'
}

is_tun64() {
	case " $TUN64_VARIANTS " in *" $1 "*) return 0 ;; esac
	return 1
}

# cr_trial VARIANT RATE: one trial; prints "pass|fail ACHIEVED SENT RECEIVED
# SESSIONS REASON" (SESSIONS: tun64d's sessions after the trial, - for the
# others). Empties tun64d's table afterwards, so every trial starts empty.
cr_trial() {
	local variant=$1 rate=$2 count=$BENCH_CONNRATE_COUNT before after out
	local sent errors achieved recv sess=- verdict reason=ok
	# At most 2 s per trial: fewer SYNs at low rates.
	[ "$((rate * 2))" -lt "$count" ] && count=$((rate * 2))
	before=$(s64_sink_count)
	out=$(s64_send tcp "$rate" "$count")
	# Let the router's and the server's queues drain before counting.
	sleep 0.5
	after=$(s64_sink_count)
	sent=$(s64_field "$out" sent)
	errors=$(s64_field "$out" errors)
	achieved=$(s64_field "$out" rate)
	if [ -z "$sent" ] || [ -z "$before" ] || [ -z "$after" ]; then
		echo "fail 0 0 0 - error:${out:0:80}"
		return
	fi
	recv=$((after - before))
	if is_tun64 "$variant"; then
		sess=$(s64_in_use "$variant")
		s64_ctl "$variant" sessions delete --all >/dev/null 2>&1
		t64_wait_for 5 test "$(s64_in_use "$variant")" = 0
	fi
	verdict=$(awk -v s="$sent" -v c="$count" -v e="$errors" -v r="$recv" -v a="$achieved" \
		-v want="$rate" -v loss="$BENCH_CONNRATE_LOSS" 'BEGIN {
		if (s < c || e > 0) print "fail client-refused"
		else if ((s - r) > s * loss / 100) print "fail loss"
		else if (a < 0.95 * want) print "pass client-slow"
		else print "pass ok" }')
	reason=${verdict#* }
	echo "${verdict%% *} $achieved $sent $recv $sess $reason"
}

# measure_connrate VARIANT: the binary search; RESULT[VARIANT:connrate] in
# k connections/s, the achieved rate of the best passing trial.
measure_connrate() {
	local variant=$1 lo=$BENCH_CONNRATE_MIN hi=$BENCH_CONNRATE_MAX rate trial n=0
	local best=n/a hi_why=- short='' r
	local -a f
	s64_tool || { note "$variant" "connrate: cannot build connrate.c"; return; }
	s64_sink_setup || { note "$variant" "connrate: nft sink in the server failed"; return; }
	[ "$variant" = tayga ] && note tayga "connrate: TAYGA maps whole addresses" \
		"(one pool4 address per IPv6 host, made at the first packet): a new 4-tuple" \
		"of the same client is no new entry, so this is its forwarding rate of SYNs"
	# An empty table (RFC 9693): path_works' echo made a session.
	is_tun64 "$variant" && s64_ctl "$variant" sessions delete --all >/dev/null 2>&1
	rate=$lo
	while [ "$n" -lt "$BENCH_CONNRATE_TRIALS" ]; do
		n=$((n + 1))
		trial=$(cr_trial "$variant" "$rate")
		read -r -a f <<<"$trial"
		t64_log "   connrate trial $n: $rate/s -> ${f[0]} (achieved ${f[1]}/s," \
			"sent ${f[2]}, received ${f[3]}, sessions ${f[4]}, ${f[5]})"
		if [ "${f[0]}" = pass ]; then
			# A client that fell short of the rate asked for still showed
			# that the router passes what it did send: the best is the
			# highest rate achieved without loss.
			best=$(awk -v b="$best" -v a="${f[1]}" 'BEGIN { print (b == "n/a" || a > b) ? a : b }')
			[ "${f[5]}" = client-slow ] && short=$rate
			lo=$rate
			# The first trial, at the bottom of the range, passed: go to the top.
			[ "$n" -eq 1 ] && { rate=$hi; continue; }
		else
			[ "$n" -eq 1 ] && break
			hi=$rate
			hi_why=${f[5]}
		fi
		[ "$n" -eq 2 ] && [ "${f[0]}" = pass ] && break # passed at the top
		# Stop when the bracket is within 5 %.
		awk -v l="$lo" -v h="$hi" 'BEGIN { exit !(h <= l * 1.05) }' && break
		rate=$(awk -v l="$lo" -v h="$hi" 'BEGIN { printf "%d", sqrt(l * h) }')
	done
	if [ "$best" = n/a ]; then
		note "$variant" "connrate: lost SYNs already at $BENCH_CONNRATE_MIN/s"
		RESULT[$variant:connrate]=n/a
		return
	fi
	r=$(awk -v b="$best" 'BEGIN { printf "%.1f", b / 1e3 }')
	RESULT[$variant:connrate]=$r
	# The client fell short of a rate the router passed, or the lowest
	# failing rate failed in the client: the result is (near) the client's
	# own limit on these shared CPUs, a lower bound for the router.
	if [ -n "$short" ] || [ "$hi_why" = client-refused ]; then
		note "$variant" "connrate: the client could not send ${short:-$hi}/s;" \
			"${r}k/s may be the client's limit on these shared CPUs, a lower bound for the router"
	fi
}

# engine_pid: tun64d's engine, the child of the parent XLAT_PID.
engine_pid() {
	local c
	local -a kids=()
	read -r -a kids <"/proc/$XLAT_PID/task/$XLAT_PID/children" 2>/dev/null
	for c in "${kids[@]}"; do
		grep -q '^Name:.*tun64d' "/proc/$c/status" 2>/dev/null && { echo "$c"; return; }
	done
	echo "$XLAT_PID" # TAYGA: one process
}

# vm_kib PID FIELD: VmRSS or VmHWM of PID in KiB.
vm_kib() {
	awk -v f="$2:" '$1 == f { print $2; exit }' "/proc/$1/status" 2>/dev/null
}

# measure_capacity VARIANT: RESULT[VARIANT:capsess, caprss, capbytes, cap64].
measure_capacity() {
	local variant=$1 pid rss0 rss1 hwm out sess recv before after pool
	s64_tool || { note "$variant" "capacity: cannot build connrate.c"; return; }
	s64_sink_setup || { note "$variant" "capacity: nft sink in the server failed"; return; }
	pid=$(engine_pid)
	rss0=$(vm_kib "$pid" VmRSS)
	before=$(s64_sink_count)
	if [ "$variant" = tayga ]; then
		# One packet from each of (pool size + 8) addresses: the pool is
		# $T64_POOL4, less TAYGA's own ipv4-addr in it.
		pool=$((1 << (32 - ${T64_POOL4#*/})))
		out=$(s64_send udp 1000 $((pool + 8)) --nports 1)
	else
		out=$(s64_send udp "$BENCH_CAP_RATE" $((BENCH_CAP_SESSIONS * 11 / 10)))
	fi
	sleep 1
	after=$(s64_sink_count)
	rss1=$(vm_kib "$pid" VmRSS)
	hwm=$(vm_kib "$pid" VmHWM)
	[ -n "$before" ] && [ -n "$after" ] && recv=$((after - before))
	t64_log "   capacity: ${out:-connrate gave nothing}; received ${recv:-n/a};" \
		"RSS ${rss0:-?} -> ${rss1:-?} KiB (HWM ${hwm:-?})"
	if [ "$variant" = tayga ]; then
		# Every host that got an address got its one packet through.
		RESULT[$variant:capsess]=${recv:-n/a}
		note tayga "capacity: bounded by the dynamic pool ($T64_POOL4: one IPv4" \
			"address per IPv6 host; a /24 gives at most 254), not by memory;" \
			"${recv:-n/a} of $((pool + 8)) hosts got through"
	else
		sess=$(s64_in_use "$variant")
		RESULT[$variant:capsess]=${sess:-n/a}
	fi
	[ -n "$rss1" ] && RESULT[$variant:caprss]=$(awk -v k="$rss1" 'BEGIN { printf "%.1f", k / 1024 }')
	sess=${RESULT[$variant:capsess]}
	if [ "$variant" != tayga ] && [ -n "$rss0" ] && [ -n "$rss1" ] &&
		[ "${sess:-0}" != n/a ] && [ "${sess:-0}" -gt 0 ]; then
		RESULT[$variant:capbytes]=$(awk -v d=$((rss1 - rss0)) -v s="$sess" \
			'BEGIN { printf "%.0f", d * 1024 / s }')
		RESULT[$variant:cap64]=$(awk -v d=$((rss1 - rss0)) -v s="$sess" \
			'BEGIN { b = d * 1024 / s; if (b <= 0) print "n/a"; else printf "%.0f", 64 * 1048576 / b }')
	fi
}
