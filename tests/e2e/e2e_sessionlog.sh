#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# End-to-end test of session-log and port blocks (issue 14 items 1 and 2):
#   1. session-log FILE with short timeouts: ping, curl and dig through
#      tun64d each log a bib-add line, and a bib-del line once they expire;
#      `tun64ctl sessions --follow` shows the same events as JSON lines;
#      after `mv` of the file and SIGHUP, new lines go to a new file.
#   2. 10,000 UDP flows from one client, per port and with
#      pool4-block-size 64: the log sizes of both (one line per mapping,
#      then one per block), blocks consecutive and on one pool4 address.
#
# Usage: e2e_sessionlog.sh BUILD_DIR   (as root; run by ctest as e2e_sessionlog)
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"

t64_use_build "${1:-}"

FLOWS=10000
SHORT=(--timeout-udp 3 --timeout-icmp 3 --timeout-tcp-trans 3 --timeout-tcp-est 3)
# one client may hold all FLOWS (the per-address share of the quota)
ROOMY=(--max-sessions 100000 --max-sessions-per-client 100000 --max-sessions-per-address 100)

t64_init
SOCK=$T64_WORKDIR/tun64.sock
LOG=$T64_WORKDIR/sessions.log

t64_require "topology: client, router and server namespaces" t64_topology_create
t64_require "servers started (HTTP, DNS)" t64_start_server
SERVER6=$(t64_map "$BUILD" "$T64_SERVER4") || t64_die "tun64ctl map failed"

stop_daemon() {
	kill -TERM "$T64_DAEMON_PID" && t64_wait_exit "$T64_DAEMON_PID" 10
}

# ---- 1. one line per mapping, --follow, SIGHUP ----

t64_require "tun64d started with session-log $LOG" \
	t64_start_daemon "$BUILD" --session-log "$LOG" "${SHORT[@]}"
t64_spawn "$T64_WORKDIR/follow.json" "$T64_NS_ROUTER" \
	timeout 8 "$BUILD/tun64ctl" -s "$SOCK" sessions --follow
FOLLOW_PID=$T64_LAST_PID
sleep 0.5

t64_check "ping through tun64d" t64_in "$T64_NS_CLIENT" ping -6 -c 1 -W 3 "$SERVER6"
t64_check "curl through tun64d" t64_in "$T64_NS_CLIENT" curl -s -o /dev/null --max-time 5 \
	"http://[$SERVER6]:$T64_HTTP_PORT/index.html"
t64_check "dig through tun64d" t64_in "$T64_NS_CLIENT" dig +short +time=2 +tries=1 \
	"@$SERVER6" "$T64_DNS_NAME" A

# has_line KIND PROTO: a line of the log of that event and protocol, in the
# documented form: TIME KIND PROTO [X']:x T:t
has_line() {
	grep -Eq "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z $1 $2 \[2001:db8:6::2\]:[0-9]+ 198\.51\.100\.([0-9]|1[0-5]):[0-9]+$" "$3"
}

t64_wait_for 5 has_line bib-add udp "$LOG"
for p in icmp tcp udp; do
	t64_check "session-log: bib-add $p line" has_line bib-add "$p" "$LOG"
done
# expiry after 3 s, the drain each second
t64_wait_for 15 has_line bib-del tcp "$LOG"
for p in icmp tcp udp; do
	t64_check "session-log: bib-del $p line after expiry" has_line bib-del "$p" "$LOG"
done
echo "    session-log excerpt (per port):"
sed 's/^/      /' "$LOG" | head -8

t64_wait_exit "$FOLLOW_PID" 10
follow_ok() {
	"$T64_PYTHON" - "$T64_WORKDIR/follow.json" <<'PY'
import json, sys
events = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
kinds = {(e["event"], e["proto"]) for e in events}
need = {("bib-add", "icmp"), ("bib-add", "tcp"), ("bib-add", "udp"), ("session-add", "udp")}
missing = need - kinds
if missing:
    sys.exit("missing: %s in %d events" % (sorted(missing), len(events)))
s = [e for e in events if e["event"] == "session-add" and e["proto"] == "udp"][0]
assert s["dst4"] == "203.0.113.2" and s["dport4"] == 53 and s["ipv6"] == "2001:db8:6::2", s
print("    %d JSON events, e.g. %s" % (len(events), json.dumps(s)))
PY
}
t64_check "tun64ctl sessions --follow: JSON lines of the same events" follow_ok

mv "$LOG" "$LOG.1"
kill -HUP "$T64_DAEMON_PID"
sleep 1
lines_before=$(wc -l <"$LOG.1")
t64_check "ping after mv and SIGHUP" t64_in "$T64_NS_CLIENT" ping -6 -c 1 -W 3 "$SERVER6"
t64_wait_for 5 has_line bib-add icmp "$LOG"
t64_check "SIGHUP reopened the log: new lines in a new $LOG" has_line bib-add icmp "$LOG"
t64_check "and none in the moved file" [ "$(wc -l <"$LOG.1")" -eq "$lines_before" ]
lost=$("$BUILD/tun64ctl" -s "$SOCK" stats --json |
	"$T64_PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["6to4.session-log-lost"])')
t64_check "session-log-lost is a counter (0 here: $lost)" [ "$lost" = 0 ]
t64_check "tun64d stopped" stop_daemon

# ---- 2. 10,000 flows, per port and in blocks of 64 ----

# flows NAME ARGS...: tun64d with ARGS, FLOWS UDP flows from one client,
# wait for them to expire; the log in $T64_WORKDIR/NAME.log.
flows() {
	local name=$1 log=$T64_WORKDIR/$1.log
	shift
	t64_start_daemon "$BUILD" --session-log "$log" --timeout-udp 5 "${ROOMY[@]}" "$@" ||
		return 1
	t64_in "$T64_NS_CLIENT" "$T64_PYTHON" "$HERE/udp_flows.py" "$SERVER6" 9999 20000 \
		"$FLOWS" >/dev/null || return 1
	sleep 1
	"$BUILD/tun64ctl" -s "$SOCK" status | sed -n '/^bib\|^blocks/s/^/    /p'
	[ "$name" = blocks ] && "$BUILD/tun64ctl" -s "$SOCK" blocks | head -4 | sed 's/^/    /'
	sleep 9 # expiry (5 s) and the drain
	stop_daemon
}

t64_check "per-port: $FLOWS UDP flows" flows perport
t64_check "pool4-block-size 64: $FLOWS UDP flows" flows blocks --pool4-block-size 64

P=$T64_WORKDIR/perport.log
B=$T64_WORKDIR/blocks.log
padd=$(grep -c ' bib-add udp ' "$P")
pdel=$(grep -c ' bib-del udp ' "$P")
badd=$(grep -c ' block-add udp ' "$B")
bdel=$(grep -c ' block-del udp ' "$B")
echo "    per-port log: $(wc -l <"$P") lines, $(wc -c <"$P") bytes ($padd bib-add, $pdel bib-del)"
sed 's/^/      /' "$P" | head -3
echo "    block log:    $(wc -l <"$B") lines, $(wc -c <"$B") bytes ($badd block-add, $bdel block-del)"
sed 's/^/      /' "$B" | head -3
sed 's/^/      /' "$B" | grep block-del | head -1

t64_check "per-port: one bib-add per flow (>= 95% of $FLOWS arrived: $padd)" \
	[ "$padd" -ge $((FLOWS * 95 / 100)) ]
t64_check "per-port: as many bib-del after expiry ($pdel)" [ "$pdel" -eq "$padd" ]
t64_check "blocks: no per-mapping lines" [ "$(grep -c ' bib-' "$B")" -eq 0 ]
t64_check "blocks: ceil(flows/64) block-add lines ($badd)" \
	[ "$badd" -ge $((padd / 64)) ] && [ "$badd" -le $((FLOWS / 64 + 2)) ]
t64_check "blocks: every block released after expiry ($bdel)" [ "$bdel" -eq "$badd" ]
blocks_ok() {
	"$T64_PYTHON" - "$B" <<'PY'
import re, sys
addrs, firsts = set(), []
for l in open(sys.argv[1]):
    m = re.match(r"\S+ block-add udp 2001:db8:6::2 (\S+):(\d+)-(\d+)$", l.strip())
    if m:
        addrs.add(m.group(1))
        lo, hi = int(m.group(2)), int(m.group(3))
        assert hi - lo == 63 and (lo - 1024) % 64 == 0, l
        firsts.append(lo)
assert len(addrs) == 1, addrs                    # RFC 4787 REQ-2
assert len(set(firsts)) == len(firsts), "a block given twice at once"
assert firsts != sorted(firsts), "blocks in port order: not random"  # RFC 6056
PY
}
t64_check "blocks: 64 ports each, aligned, one pool4 address, random order" blocks_ok
t64_check "blocks log at most 1/20 of the per-port log" \
	[ $(($(wc -c <"$B") * 20)) -le "$(wc -c <"$P")" ]

t64_finish
