#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# End-to-end flood test: bounded state under hostile input (RFC 6146 NAT64).
#
# One IPv6 client downloads a 20 MB file, slowly, through tun64d while the
# same client LAN floods the translator with new UDP flows and TCP SYNs from
# 64 extra addresses and many ports, far past the limits. Checks, per phase:
#   - the download completes byte for byte (existing flows keep working);
#   - `tun64ctl status` never shows more sessions than the limit;
#   - tun64d's peak RSS (VmHWM) stays under a bound derived from the limit;
#   - the counter of the phase moved in `tun64ctl stats --json`.
# Phases:
#   1. max-sessions 2000: the flood's flows are never answered, so each new
#      one takes the place of the oldest (early drop, evict-unconfirmed-*);
#   2. max-sessions 2000 + max-sessions-per-client 300 (the whole client /64
#      is one client): the same inside the /64's quota;
#   3. allow6 2001:db8:6::2/128: the flood sources are refused by
#      drop-src-not-allowed;
#   4. synflood: 100,000 TCP SYNs from the flood addresses of the client's
#      own /64 during the download; afterwards a ping and a TCP connection
#      from a third address of that /64 succeed, early drop counted them, and
#      the figures are printed (offered, evicted, refused, peak memory).
# Phases 2 and 3 need the config key max-sessions-per-client (and allow6 fed
# to the NAT64 tables); they are skipped, and say so, while tun64d lacks it.
# Bounded: 64 x 100 flows in phases 1-3, 100,032 SYNs in phase 4; about 50 s.
#
# Usage: e2e_flood.sh BUILD_DIR   (as root; run by ctest as e2e_flood)
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"

t64_use_build "${1:-}"

MAX_SESSIONS=2000
QUOTA=300
N_ADDRS=64          # extra client addresses 2001:db8:6::1000 .. ::103f
FLOWS_PER_ADDR=100  # half UDP, half TCP SYN, one packet each
SYNS_PER_ADDR=1563  # phase 4: 64 x 1563 = 100,032 SYNs
THIRD6=2001:db8:6::3 # a third address of the client /64: new flows after phase 4
BIG_MB=20
RATE=4M             # curl --limit-rate: the download lasts about 5 s
# Bytes of state per session allowed in the RSS bound: nat64.c measures about
# 160 per flow (session + BIB entry + buckets + client entry); 1 KiB leaves
# room for slab chunks and hash tables doubling. Plus 4 MiB for what is not
# NAT64 state but grows once traffic flows (packet buffers and thread stacks
# touched, stdio, control socket): about 2 MiB measured with 1 session.
BYTES_PER_SESSION=1024
SLACK_KB=4096
# Under AddressSanitizer (tests/sanitize.sh) every allocation carries
# redzones and freed memory sits in quarantine, and shadow memory is mapped
# as it is touched: the bound stays, but with ASan's overhead (measured about
# 3x per session and 10 MiB of shadow for the first traffic).
if [ -n "${ASAN_OPTIONS:-}" ]; then
	BYTES_PER_SESSION=4096
	SLACK_KB=16384
fi


# Does this tun64d know the per-client quota key?
have_quota_key() {
	"$BUILD/tun64d" --check -c /dev/null --max-sessions-per-client "$QUOTA" >/dev/null 2>&1
}

add_flood_addresses() {
	local i
	t64_in "$T64_NS_CLIENT" ip -6 addr add "$THIRD6/64" dev eth0 nodad || return 1
	for ((i = 0; i < N_ADDRS; i++)); do
		t64_in "$T64_NS_CLIENT" ip -6 addr add "2001:db8:6::$(printf '%x' $((0x1000 + i)))/64" \
			dev eth0 nodad || return 1
	done
}

make_big_file() {
	head -c $((BIG_MB * 1024 * 1024 + 4321)) /dev/urandom >"$T64_WORKDIR/www/big"
}

# The flood: raw IPv6 sockets (the kernel fills in the checksums) in the client
# namespace, one UDP datagram or one TCP SYN per flow, to the mapped server
# address; ports 9 (discard: closed) so nothing completes a handshake.
write_flood_py() {
	cat >"$T64_WORKDIR/flood.py" <<'PY'
import socket, struct, sys, time
dst, n_addrs, per_addr = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
syn_only = len(sys.argv) > 4 and sys.argv[4] == "syn"
IPV6_CHECKSUM = getattr(socket, "IPV6_CHECKSUM", 7)
sent = 0
for i in range(n_addrs):
    src = "2001:db8:6::%x" % (0x1000 + i)
    udp = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_UDP)
    tcp = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_TCP)
    udp.setsockopt(socket.IPPROTO_IPV6, IPV6_CHECKSUM, 6)
    tcp.setsockopt(socket.IPPROTO_IPV6, IPV6_CHECKSUM, 16)
    udp.bind((src, 0))
    tcp.bind((src, 0))
    # built once: a raw socket send per packet is the whole per-flow cost
    syns = [struct.pack("!HHIIBBHHH", 20000 + j, 9, j, 0, 5 << 4, 0x02, 1024, 0, 0)
            for j in range(per_addr if syn_only else per_addr // 2)]
    for j, syn in enumerate(syns):
        if not syn_only:
            udp.sendto(struct.pack("!HHHH", 20000 + j, 9, 12, 0) + b"floo", (dst, 0))
            sent += 1
        # SYN: seq j, data offset 5 words, flags SYN, window 1024
        tcp.sendto(syn, (dst, 0))
        sent += 1
        if sent % 64 == 0:
            time.sleep(0.002)  # stay under the tun queue; refusals, not losses
    udp.close()
    tcp.close()
print(sent)
PY
}

sessions_total() {
	"$BUILD/tun64ctl" -s "$T64_WORKDIR/tun64.sock" status 2>/dev/null |
		awk '$1 == "sessions" { print $3 + $5 + $7; found = 1 } END { if (!found) exit 1 }'
}

# Poll the session count every 0.2 s into $1 until the file $2 exists.
watch_sessions() {
	local out=$1 stop=$2 n
	: >"$out"
	while [ ! -e "$stop" ]; do
		n=$(sessions_total) && echo "$n" >>"$out"
		sleep 0.2
	done
}

# counter FILE NAME: NAME's value in a stats --json file; a NAME ending in
# "-*" sums the counters it names (evict-unconfirmed-* of both directions).
counter() {
	/usr/bin/python3 -c '
import json, sys
d, k = json.load(open(sys.argv[1])), sys.argv[2]
if k.endswith("-*"):
    print(sum(v for n, v in d.items() if n.split(".", 1)[1].startswith(k[:-1])))
else:
    print(d.get(k, -1))' "$1" "$2"
}

# at_most N LIMIT: N is a number no greater than LIMIT
at_most() {
	[ -n "$1" ] && [ "$1" -le "$2" ]
}

vm_kb() {
	awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"
}

# run_phase NAME LIMIT COUNTER TUN64D_ARGS...: one daemon, one download, one
# flood; at most LIMIT sessions at any time, and COUNTER must count refusals.
run_phase() {
	local name=$1 limit=$2 ctr=$3
	shift 3
	local got=$T64_WORKDIR/big.$name stop=$T64_WORKDIR/stop.$name
	local curl_pid watch_pid offered peak base_kb hwm_kb bound_kb refused i engine
	local stats=$T64_WORKDIR/stats.$name.json

	echo "== phase $name: tun64d $*"
	t64_require "[$name] tun64d ready" t64_start_daemon "$BUILD" "$@"
	# The sessions live in the engine, the parent's unprivileged child.
	engine=$(pgrep -P "$T64_DAEMON_PID" | head -1)
	base_kb=$(vm_kb "$engine" VmRSS)

	ip netns exec "$T64_NS_CLIENT" curl -6 -g -sS --max-time 60 --limit-rate "$RATE" \
		--interface "$CLIENT6" \
		-o "$got" "http://[$SERVER6]:$T64_HTTP_PORT/big" >"$T64_WORKDIR/curl.$name.log" 2>&1 &
	curl_pid=$!
	T64_PIDS+=("$curl_pid")
	# the download's session exists before the flood starts
	for ((i = 0; i < 100; i++)); do
		[ -s "$got" ] && break
		sleep 0.1
	done
	[ -s "$got" ] || { t64_fail "[$name] download did not start"; return; }

	watch_sessions "$T64_WORKDIR/sessions.$name" "$stop" &
	watch_pid=$!
	T64_PIDS+=("$watch_pid")
	offered=$(t64_in "$T64_NS_CLIENT" timeout 30 "$T64_PYTHON" "$T64_WORKDIR/flood.py" \
		"$SERVER6" "$N_ADDRS" "$FLOWS_PER_ADDR")
	sleep 1

	if wait "$curl_pid" && cmp -s "$T64_WORKDIR/www/big" "$got"; then
		t64_pass "[$name] $BIG_MB MB download during the flood: intact ($(stat -c %s "$got") bytes)"
	else
		t64_fail "[$name] download during the flood: $(cat "$T64_WORKDIR/curl.$name.log")"
	fi
	touch "$stop"
	wait "$watch_pid"

	"$BUILD/tun64ctl" -s "$T64_WORKDIR/tun64.sock" stats --json >"$stats" ||
		t64_fail "[$name] tun64ctl stats --json"
	case $ctr in
	*-\*) refused=$(counter "$stats" "$ctr") ;;
	*) refused=$(counter "$stats" "6to4.$ctr") ;;
	esac
	peak=$(sort -n "$T64_WORKDIR/sessions.$name" | tail -1)
	hwm_kb=$(vm_kb "$engine" VmHWM)
	bound_kb=$((base_kb + limit * BYTES_PER_SESSION / 1024 + SLACK_KB))
	echo "    flows offered: ${offered:-?} (+1 download); counted ($ctr): $refused;" \
		"session-limit: $(counter "$stats" 6to4.drop-session-limit)," \
		"pool4-exhausted: $(counter "$stats" 6to4.drop-pool4-exhausted)," \
		"client-quota: $(counter "$stats" 6to4.drop-client-quota)," \
		"src-not-allowed: $(counter "$stats" 6to4.drop-src-not-allowed)"
	echo "    sessions: peak ${peak:-?} over $(wc -l <"$T64_WORKDIR/sessions.$name") samples, limit $limit"
	echo "    tun64d RSS: ${base_kb} kB before, peak ${hwm_kb} kB, bound ${bound_kb} kB" \
		"(before + $limit x $BYTES_PER_SESSION B + $SLACK_KB kB)"

	t64_check "[$name] $ctr counted the flood ($refused)" [ "${refused:--1}" -gt 0 ]
	t64_check "[$name] sessions never above $limit (peak ${peak:-none})" at_most "$peak" "$limit"
	t64_check "[$name] peak RSS $hwm_kb kB <= $bound_kb kB" [ "$hwm_kb" -le "$bound_kb" ]
	t64_check "[$name] tun64d still running" t64_alive "$T64_DAEMON_PID"

	kill -TERM "$T64_DAEMON_PID" 2>/dev/null
	t64_wait_exit "$T64_DAEMON_PID" 10 || t64_fail "[$name] tun64d did not stop"
}

# Phase 4: 100,000 SYNs from the client's own /64 (64 addresses) while the
# download runs; then new flows from a third address of the /64.
run_synflood() {
	local name=synflood limit=$QUOTA got=$T64_WORKDIR/big.synflood curl_pid offered
	local stats=$T64_WORKDIR/stats.synflood.json base_kb hwm_kb bound_kb evicted refused
	local intact=no i

	echo "== phase $name: tun64d --max-sessions $MAX_SESSIONS --max-sessions-per-client $QUOTA"
	t64_require "[$name] tun64d ready" t64_start_daemon "$BUILD" \
		--max-sessions "$MAX_SESSIONS" --max-sessions-per-client "$QUOTA"
	base_kb=$(vm_kb "$T64_DAEMON_PID" VmRSS)
	ip netns exec "$T64_NS_CLIENT" curl -6 -g -sS --max-time 60 --limit-rate "$RATE" \
		--interface "$CLIENT6" \
		-o "$got" "http://[$SERVER6]:$T64_HTTP_PORT/big" >"$T64_WORKDIR/curl.$name.log" 2>&1 &
	curl_pid=$!
	T64_PIDS+=("$curl_pid")
	for ((i = 0; i < 100; i++)); do
		[ -s "$got" ] && break
		sleep 0.1
	done
	[ -s "$got" ] || { t64_fail "[$name] download did not start"; return; }
	offered=$(t64_in "$T64_NS_CLIENT" timeout 40 "$T64_PYTHON" "$T64_WORKDIR/flood.py" \
		"$SERVER6" "$N_ADDRS" "$SYNS_PER_ADDR" syn)
	if wait "$curl_pid" && cmp -s "$T64_WORKDIR/www/big" "$got"; then
		intact=yes
	fi
	t64_check "[$name] $BIG_MB MB download during $offered SYNs: intact" [ "$intact" = yes ]
	t64_check "[$name] ping from a third address $THIRD6" \
		t64_in "$T64_NS_CLIENT" ping -6 -c 2 -W 2 -I "$THIRD6" "$SERVER6"
	t64_check "[$name] new TCP connection from $THIRD6" \
		t64_in "$T64_NS_CLIENT" curl -6 -g -sS --max-time 10 --interface "$THIRD6" \
		-o /dev/null "http://[$SERVER6]:$T64_HTTP_PORT/index.html"
	"$BUILD/tun64ctl" -s "$T64_WORKDIR/tun64.sock" stats --json >"$stats" ||
		t64_fail "[$name] tun64ctl stats --json"
	evicted=$(counter "$stats" 'evict-unconfirmed-*')
	refused=$(($(counter "$stats" 6to4.drop-client-quota) +
		$(counter "$stats" 6to4.drop-session-limit)))
	hwm_kb=$(vm_kb "$T64_DAEMON_PID" VmHWM)
	bound_kb=$((base_kb + MAX_SESSIONS * BYTES_PER_SESSION / 1024 + SLACK_KB))
	echo "    FIGURES: offered ${offered:-?} SYNs; evicted $evicted; refused $refused;" \
		"peak memory (VmHWM) $hwm_kb kB, bound $bound_kb kB; download intact: $intact"
	t64_check "[$name] evict-unconfirmed moved ($evicted)" [ "${evicted:-0}" -gt 0 ]
	t64_check "[$name] peak RSS $hwm_kb kB <= $bound_kb kB" [ "$hwm_kb" -le "$bound_kb" ]
	t64_check "[$name] tun64d still running" t64_alive "$T64_DAEMON_PID"
	kill -TERM "$T64_DAEMON_PID" 2>/dev/null
	t64_wait_exit "$T64_DAEMON_PID" 10 || t64_fail "[$name] tun64d did not stop"
}

t64_init
START=$SECONDS

t64_require "topology: client, router and server namespaces" t64_topology_create
t64_require "server: HTTP on $T64_SERVER4:$T64_HTTP_PORT" t64_start_server
t64_require "a $BIG_MB MB file on the server" make_big_file
t64_require "$N_ADDRS extra addresses on the client" add_flood_addresses
write_flood_py
SERVER6=$(t64_map "$BUILD" "$T64_SERVER4")
CLIENT6=2001:db8:6::2 # the download's source, not one of the flood's

if have_quota_key; then
	# a quota above max-sessions, so that the table's own limit is what refuses
	run_phase max-sessions "$MAX_SESSIONS" 'evict-unconfirmed-*' \
		--max-sessions "$MAX_SESSIONS" --max-sessions-per-client $((2 * MAX_SESSIONS)) \
		--max-sessions-per-address 100
else
	run_phase max-sessions "$MAX_SESSIONS" 'evict-unconfirmed-*' --max-sessions "$MAX_SESSIONS"
fi
if have_quota_key; then
	run_phase quota "$QUOTA" 'evict-unconfirmed-*' --max-sessions "$MAX_SESSIONS" \
		--max-sessions-per-client "$QUOTA"
	# the download's is the one session allowed
	run_phase allow6 1 drop-src-not-allowed --max-sessions "$MAX_SESSIONS" \
		--allow6 "$CLIENT6/128"
	run_synflood
else
	t64_skip "quota, allow6 and synflood phases: tun64d has no max-sessions-per-client key yet"
fi

echo "e2e_flood: took $((SECONDS - START)) s"
t64_finish
