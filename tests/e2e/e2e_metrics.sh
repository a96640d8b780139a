#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# End-to-end test of the Prometheus endpoint (`metrics`, docs/monitoring.md):
# tun64d with --metrics 127.0.0.1:9164 in the router namespace, some traffic
# through it (ping, HTTP, a failed flow), then scrapes with curl:
#   - the body parses as the Prometheus text format (python3-prometheus-client's
#     parser) and has the families and labels docs/monitoring.md names;
#   - values moved: packets and bytes translated both ways, sessions, pool4
#     ports used, a reload counted, a drop counted;
#   - a second scrape after more traffic shows counters grown;
#   - 404 for another path, 405 for POST;
#   - every engine thread still has Seccomp: 2 and the engine is alive
#     (libmicrohttpd's calls are on the allow-list), and tun64ctl sessions
#     shows ages and ISO 8601 times.
#
# Usage: e2e_metrics.sh BUILD_DIR   (as root; run by ctest as e2e_metrics)
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"

t64_use_build "${1:-}"
t64_init
START=$SECONDS
SOCK=$T64_WORKDIR/tun64.sock
ADDR=127.0.0.1:9164
URL=http://$ADDR/metrics
PY=/usr/bin/python3

/usr/bin/python3 -c 'import prometheus_client.parser' 2>/dev/null ||
	t64_die "needs python3-prometheus-client (tests/install-deps.sh)"

scrape() { # scrape FILE
	t64_in "$T64_NS_ROUTER" curl -sS --max-time 5 -o "$1" -w '%{http_code} %{content_type}\n' "$URL"
}

# value FILE 'NAME{labels}' : the sample's value (labels exactly as printed)
value() {
	awk -v k="$2" '$1 == k { print $2; f = 1 } END { exit !f }' "$1"
}

start() {
	t64_start_daemon "$BUILD" --metrics "$ADDR" || return 1
	PID=$T64_DAEMON_PID
	ENGINE=$(pgrep -P "$PID" | head -1)
	[ -n "$ENGINE" ] || { echo "    no engine"; return 1; }
	grep "metrics:" "$T64_DAEMON_LOG" | sed 's/^/    /'
}

traffic() {
	timeout 15 ip netns exec "$T64_NS_CLIENT" ping -6 -n -c 3 -i 0.2 -W 3 \
		"$T64_SERVER6_EXPECTED" 2>&1 | grep -q ' 0% packet loss' || return 1
	t64_in "$T64_NS_CLIENT" curl -sS --max-time 5 -o /dev/null \
		"http://[$T64_SERVER6_EXPECTED]:$T64_HTTP_PORT/index.html"
}

first_scrape() {
	local r
	r=$(scrape "$T64_WORKDIR/m1.txt") || return 1
	echo "    $r, $(wc -l <"$T64_WORKDIR/m1.txt") lines"
	[ "${r%% *}" = 200 ] || return 1
	case "$r" in *"text/plain; version=0.0.4"*) ;; *) return 1 ;; esac
}

# The text format, parsed; the families that must be there.
check_format() {
	"$PY" - "$T64_WORKDIR/m1.txt" <<'PY'
import sys
from prometheus_client.parser import text_string_to_metric_families
want = {
    "tun64_build_info": "gauge", "tun64_start_time_seconds": "gauge", "tun64_workers": "gauge",
    "tun64_reloads": "counter", "tun64_packets": "counter", "tun64_translated_bytes": "counter",
    "tun64_sessions": "gauge", "tun64_bib_entries": "gauge", "tun64_clients": "gauge",
    "tun64_sessions_max": "gauge", "tun64_sessions_per_client_max": "gauge",
    "tun64_session_table_use_ratio": "gauge", "tun64_sessions_evicted": "counter",
    "tun64_pool4_ports": "gauge", "tun64_pool4_ports_used": "gauge",
    "tun64_pool4_ports_free": "gauge",
}
got = {}
n = 0
for fam in text_string_to_metric_families(open(sys.argv[1]).read()):
    got[fam.name] = fam.type
    for s in fam.samples:
        n += 1
        assert s.name.startswith("tun64_"), s.name
        if fam.name == "tun64_packets":
            assert set(s.labels) == {"direction", "counter"}, s
            assert s.labels["direction"] in ("6to4", "4to6"), s
missing = [k for k in want if got.get(k) != want[k]]
print("    %d families, %d samples; missing or wrong type: %s" % (len(got), n, missing or "none"))
sys.exit(1 if missing else 0)
PY
}

check_values() {
	local f=$T64_WORKDIR/m1.txt ok=0 k v
	for k in 'tun64_packets_total{direction="6to4",counter="translated"}' \
		'tun64_packets_total{direction="4to6",counter="translated"}' \
		'tun64_translated_bytes_total{direction="6to4"}' \
		'tun64_translated_bytes_total{direction="4to6"}' \
		'tun64_sessions{protocol="tcp"}' 'tun64_sessions{protocol="icmp"}' \
		'tun64_clients' 'tun64_sessions_max'; do
		v=$(value "$f" "$k") || { echo "    no $k"; ok=1; continue; }
		echo "    $k $v"
		[ "${v%%.*}" -gt 0 ] 2>/dev/null || { echo "    ^ not above 0"; ok=1; }
	done
	# the flows got pool4 ports: summed over the /28's addresses
	v=$(awk '$1 ~ /^tun64_pool4_ports_used\{.*protocol="tcp"/ { n += $2 } END { print n + 0 }' "$f")
	echo "    tun64_pool4_ports_used{protocol=\"tcp\"} summed: $v"
	[ "$v" -gt 0 ] || ok=1
	value "$f" 'tun64_build_info{version="'"$(sed -n 's/^project(tun64 VERSION \([0-9.]*\).*/\1/p' "$HERE/../../CMakeLists.txt")"'",mode="stateful"}' >/dev/null ||
		{ echo "    no build_info with the project version"; ok=1; }
	return $ok
}

# With the fast path in use (fast-path auto, the default, where the kernel
# can), every fastpath.* counter of tun64ctl stats is a sample of
# tun64_fastpath_packets_total, with the same value or a later, larger one.
check_fastpath() {
	local f=$T64_WORKDIR/m1.txt stats name n v ok=0
	stats=$("$BUILD/tun64ctl" -s "$SOCK" stats) || return 1
	if ! grep -q '^bpf ' <<<"$stats"; then
		echo "    fast path not in use here: no samples expected"
		grep -i 'fast.path' "$T64_DAEMON_LOG" | sed 's/^/    /'
		! grep -q '^tun64_fastpath_packets_total' "$f"
		return
	fi
	while read -r _ name n; do
		[ "$name" = fastpath.translated ] && continue
		v=$(value "$f" "tun64_fastpath_packets_total{counter=\"${name#fastpath.}\"}") ||
			{ echo "    no sample for $name"; ok=1; continue; }
		[ "$v" -le "$n" ] || { echo "    $name: scrape $v > stats $n"; ok=1; }
	done < <(grep '^bpf ' <<<"$stats")
	echo "    $(grep -c '^tun64_fastpath_packets_total' "$f") fast-path samples," \
		"translated-4to6 $(value "$f" 'tun64_fastpath_packets_total{counter="translated-4to6"}')"
	return $ok
}

reload_and_drop() {
	"$BUILD/tun64ctl" -s "$SOCK" reload >/dev/null || return 1
	# An IPv4 packet for a pool4 port nobody holds: drop-no-state.
	local base=${T64_POOL4%/*}
	t64_in "$T64_NS_SERVER" ping -n -c 1 -W 1 "${base%.*}.5" >/dev/null 2>&1
	traffic
}

second_scrape() {
	local f1=$T64_WORKDIR/m1.txt f2=$T64_WORKDIR/m2.txt ok=0 k a b
	scrape "$f2" >/dev/null || return 1
	for k in 'tun64_packets_total{direction="6to4",counter="rx"}' \
		'tun64_translated_bytes_total{direction="4to6"}' \
		'tun64_reloads_total{result="ok"}' \
		'tun64_packets_total{direction="4to6",counter="drop-no-state"}'; do
		a=$(value "$f1" "$k") b=$(value "$f2" "$k") || { echo "    no $k"; ok=1; continue; }
		echo "    $k $a -> $b"
		[ "$b" -gt "$a" ] || ok=1
	done
	return $ok
}

errors() {
	local c
	c=$(t64_in "$T64_NS_ROUTER" curl -s -o /dev/null -w '%{http_code}' "http://$ADDR/other")
	echo "    GET /other: $c"
	[ "$c" = 404 ] || return 1
	c=$(t64_in "$T64_NS_ROUTER" curl -s -o /dev/null -w '%{http_code}' -X POST -d x "$URL")
	echo "    POST /metrics: $c"
	[ "$c" = 405 ]
}

# Many scrapes at once and some idle connections: the engine stays up.
busy() {
	local i pids=()
	for i in 1 2 3 4 5 6 7 8; do
		scrape /dev/null >/dev/null &
		pids+=($!)
	done
	wait "${pids[@]}" # not a bare wait: the daemons run in the background too
	t64_in "$T64_NS_ROUTER" timeout 2 bash -c "exec 3<>/dev/tcp/${ADDR%:*}/${ADDR#*:}; sleep 1" || true
	scrape /dev/null | grep -q '^200 '
}

engine_ok() {
	local st ok=0 n=0
	t64_alive "$ENGINE" || { echo "    engine $ENGINE is gone"; grep "engine" "$T64_DAEMON_LOG"; return 1; }
	for st in /proc/"$ENGINE"/task/*/status; do
		[ "$(sed -n 's/^Seccomp:[[:space:]]*//p' "$st")" = 2 ] || { echo "    $st: no filter"; ok=1; }
		n=$((n + 1))
	done
	echo "    engine $ENGINE alive, $n threads, all Seccomp: 2"
	! grep -q "signal 31" "$T64_DAEMON_LOG" && return $ok
}

sessions_times() {
	"$BUILD/tun64ctl" -s "$SOCK" sessions | head -3 | sed 's/^/    /'
	"$BUILD/tun64ctl" -s "$SOCK" sessions --json | "$PY" -c '
import json, re, sys
s = json.load(sys.stdin)
iso = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
assert s, "no sessions"
for e in s:
    assert iso.match(e["created"]) and iso.match(e["expires"]), e
    assert e["created"] <= e["expires"] and e["age_s"] >= 0 and e["expires_in_s"] > 0, e
print("    %d sessions, e.g. created %s expires %s (age %d s, %d s left)" %
      (len(s), s[0]["created"], s[0]["expires"], s[0]["age_s"], s[0]["expires_in_s"]))'
}

t64_require "topology: client, router and server namespaces" t64_topology_create
t64_require "server: HTTP on $T64_SERVER4:$T64_HTTP_PORT" t64_start_server
t64_require "tun64d --metrics $ADDR started" start
t64_require "traffic: ping -6 and HTTP through the translator" traffic
t64_check "GET /metrics: 200, text/plain; version=0.0.4" first_scrape
t64_check "the body parses as the Prometheus text format, with every family" check_format
t64_check "every fastpath.* counter of stats is a tun64_fastpath_packets_total sample" check_fastpath
t64_check "packets and bytes both ways, sessions, clients, pool4 use above 0" check_values
t64_check "reload, a dropped IPv4 packet, more traffic" reload_and_drop
t64_check "second scrape: rx, bytes, reloads and drop-no-state grew" second_scrape
t64_check "404 for another path, 405 for POST" errors
t64_check "8 scrapes at once and an idle connection: still answering" busy
t64_check "the engine is alive and every thread has Seccomp: 2" engine_ok
t64_check "tun64ctl sessions: ages and ISO 8601 UTC times" sessions_times
sed -n 1,30p "$T64_WORKDIR/m1.txt" | sed 's/^/    | /'

echo "e2e_metrics: took $((SECONDS - START)) s"
t64_finish
