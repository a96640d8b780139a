#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# End-to-end test of the operator's live tools (issue 14 items 3 and 8):
#   - a tiny pool4 (198.51.100.1/32 ports 2000-2009) logs its 80% and 95%
#     lines and the start of its exhaustion; status shows its use;
#   - pool4 grown by reload while a rate-limited download runs: the new range
#     gets its route, new flows take it, the download survives byte for byte,
#     and the exhaustion-over line is logged;
#   - the first range removed by reload: its route goes, its sessions end
#     (ended-pool4-removed);
#   - a shorter timeout-udp on reload applies to a running UDP session;
#   - tun64ctl sessions delete --pool4 / --client / --all;
#   - tun64ctl withdraw: routes gone and tun down, and the healer leaves it
#     so; restore puts them back and traffic flows again;
#   - stateless: reloaded `map` lines move their routes, and status shows no
#     pool4.
#
# Usage: e2e_ops.sh BUILD_DIR   (as root; run by ctest as e2e_ops)
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"

t64_use_build "${1:-}"
[ "$T64_ROUTER" != kernel ] || t64_die "T64_ROUTER=kernel: this test is about tun64d"

POOL_A="198.51.100.1/32 ports 2000-2009"
POOL_B="198.51.100.32/32 ports 2000-2009"
T64_POOL4="198.51.100.1/32 ports 2000-2009"

t64_init
t64_require "topology: client, router and server namespaces" t64_topology_create
t64_require "server: HTTP and DNS" t64_start_server
t64_require "tun64d started with pool4 $POOL_A" t64_start_daemon "$BUILD"
SOCK=$T64_WORKDIR/tun64.sock
SERVER6=$(t64_map "$BUILD" "$T64_SERVER4")
ctl() { "$BUILD/tun64ctl" -s "$SOCK" "$@"; }

# write_conf POOL4-LINE... [-- EXTRA-LINE...]: the daemon's file again.
write_conf() {
	{
		echo "prefix $T64_PREFIX6"
		echo "control-socket $SOCK"
		for l in "$@"; do echo "$l"; done
	} >"$T64_DAEMON_CONF"
}

reload() {
	local out
	out=$(ctl reload 2>&1)
	echo "    reload: $out"
	[ "$out" = "configuration reloaded" ]
}

# One short HTTP exchange (a new TCP flow, whose BIB entry then lives for the
# transitory timeout and so keeps its pool4 port).
fetch() {
	t64_in "$T64_NS_CLIENT" curl -6 -g -sS --max-time 3 -o /dev/null \
		"http://[$SERVER6]:$T64_HTTP_PORT/index.html"
}

route_present() {
	t64_in "$T64_NS_ROUTER" ip -4 route show proto 64 dev nat64 | grep -q "^$1 "
}

log_has() { grep -qF "$1" "$T64_DAEMON_LOG"; }

# ---- a download at 400 KB/s (about 10 s for the 4 MB blob) ------------------
DL=$T64_WORKDIR/blob.dl
DL_START=$(date +%s.%N)
t64_spawn "$T64_WORKDIR/curl-dl.log" "$T64_NS_CLIENT" curl -6 -g -sS --limit-rate 400k \
	--max-time 60 -o "$DL" -w 'bytes %{size_download} speed %{speed_download} time %{time_total}\n' \
	"http://[$SERVER6]:$T64_HTTP_PORT/blob"
DL_PID=$T64_LAST_PID
sleep 1

# ---- the tiny pool fills: 80%, 95%, exhausted -------------------------------
fill_to() {
	local want=$1 i
	for ((i = 0; i < want; i++)); do fetch || return 1; done
}
t64_check "8 more TCP flows (9 of 10 ports in use)" fill_to 8
sleep 1.5
t64_check "'pool4 80% used (9 of 10)' logged once" \
	test "$(grep -c 'pool4 80% used' "$T64_DAEMON_LOG")" -eq 1
fetch
sleep 1.5
t64_check "10 of 10: 'pool4 95% used' logged" log_has "pool4 95% used (10 of 10)"
no_fetch() { ! fetch 2>/dev/null; }
t64_check "the 11th TCP flow fails (pool4 exhausted)" no_fetch
sleep 1.5
t64_check "'pool4 exhausted' logged" log_has "pool4 exhausted: new flows refused"
show_status() {
	local out
	out=$(ctl status)
	echo "$out" | sed 's/^/    /'
	echo "$out" | grep -q "^pool4     198.51.100.1/32 ports 2000-2009  used tcp 10/10 " &&
		echo "$out" | grep -q "^max-sessions [1-9]"
}
t64_check "status: pool4 198.51.100.1/32 used tcp 10/10, max-sessions shown" show_status

# ---- grow pool4 live, under load ---------------------------------------------
write_conf "pool4 $POOL_A" "pool4 $POOL_B"
t64_require "reload adds pool4 $POOL_B while the download runs" reload
T_RELOAD=$(date +%s.%N)
t64_check "route 198.51.100.32 into the tun added" route_present 198.51.100.32
t64_check "a new TCP flow works after the reload" fetch
new_flow_on_b() { ctl sessions | grep -q "198.51.100.32#"; }
t64_check "the new flow took the new range (198.51.100.32)" new_flow_on_b
sleep 1.5
t64_check "'pool4 exhaustion over' logged" log_has "pool4 exhaustion over"
dl_done() {
	t64_wait_exit "$DL_PID" 40 || return 1
	sed 's/^/    /' "$T64_WORKDIR/curl-dl.log"
	cmp "$T64_WORKDIR/www/blob" "$DL"
}
t64_check "the download running across the reload finished, identical" dl_done
DL_END=$(date +%s.%N)
echo "    FIGURES: download $(stat -c %s "$DL" 2>/dev/null) bytes at 400k/s limit," \
	"reload at +$(echo "$T_RELOAD - $DL_START" | bc) s, done at +$(echo "$DL_END - $DL_START" | bc) s;" \
	"$(grep -c . <(ctl sessions | grep '198.51.100.1#')) sessions on 198.51.100.1," \
	"$(grep -c . <(ctl sessions | grep '198.51.100.32#')) on 198.51.100.32"

# ---- remove the first range ----------------------------------------------------
write_conf "pool4 $POOL_B"
t64_require "reload removes pool4 $POOL_A" reload
route_absent() { ! route_present "$1"; }
t64_check "route 198.51.100.1 removed" route_absent 198.51.100.1
t64_check "route 198.51.100.32 still there" route_present 198.51.100.32
ended() {
	local n
	n=$(ctl stats | awk '$1 == "6to4" && $2 == "ended-pool4-removed" {print $3}')
	echo "    ended-pool4-removed $n"
	[ "${n:-0}" -ge 9 ] && ! ctl sessions | grep -q "198.51.100.1#"
}
t64_check "the sessions on 198.51.100.1 ended and were counted" ended

# ---- a shorter timeout applies to running sessions --------------------------------
udp_flow() { t64_in "$T64_NS_CLIENT" dig +short +time=2 +tries=1 "@$SERVER6" "$T64_DNS_NAME" A >/dev/null; }
t64_check "a UDP flow (DNS)" udp_flow
write_conf "pool4 $POOL_B" "timeout-udp 3"
t64_require "reload with timeout-udp 3 (was 300)" reload
udp_gone() { ! ctl sessions | grep -q '^udp'; }
t64_check "the running UDP session expired within 6 s" t64_wait_for 6 udp_gone

# ---- sessions delete ---------------------------------------------------------
fetch
fetch
del_pool4() {
	local out
	out=$(ctl sessions delete --pool4 198.51.100.32)
	echo "    $out"
	echo "$out" | grep -q "^[1-9][0-9]* session(s) deleted" && ! ctl sessions | grep -q "198.51.100.32#"
}
t64_check "sessions delete --pool4 198.51.100.32" del_pool4
fetch
del_client() {
	local out
	out=$(ctl sessions delete --client 2001:db8:6::/64)
	echo "    $out"
	echo "$out" | grep -q "^[1-9][0-9]* session(s) deleted"
}
t64_check "sessions delete --client 2001:db8:6::/64" del_client
del_all() { ctl sessions delete --all | grep -q 'session(s) deleted'; }
t64_check "sessions delete --all answers" del_all
del_refused() { ! ctl sessions delete 2>/dev/null; }
t64_check "sessions delete without a filter is refused" del_refused
deleted_counted() { ctl stats | awk '$2 == "sessions-deleted" && $3 > 0 {ok=1} END {exit !ok}'; }
t64_check "stats: sessions-deleted counted" deleted_counted

# ---- withdraw / restore -----------------------------------------------------------
link_up() { t64_in "$T64_NS_ROUTER" ip link show nat64 | grep -q "[<,]UP[,>]"; }
withdrawn() {
	ctl withdraw | sed 's/^/    /'
	sleep 3 # the healer would have put them back in 1.5 s
	! link_up && ! route_present 198.51.100.32 &&
		! t64_in "$T64_NS_ROUTER" ip -6 route show proto 64 | grep -q .
}
t64_check "withdraw: tun down, routes gone, still so 3 s later (healer respects it)" withdrawn
status_withdrawn() { ctl status | grep -q '^service   withdrawn'; }
t64_check "status says withdrawn" status_withdrawn
restored() {
	ctl restore | sed 's/^/    /'
	t64_wait_for 5 link_up && route_present 198.51.100.32 &&
		t64_in "$T64_NS_ROUTER" ip -6 route show proto 64 | grep -q "2001:db8:64::/96"
}
t64_check "restore: tun up, routes back" restored
t64_check "traffic flows after restore" t64_wait_for 5 fetch
t64_check "tun64d still running" t64_alive "$T64_DAEMON_PID"

# ---- stateless: reloaded `map` lines move their routes --------------------------
stop_daemon() { kill -TERM "$T64_DAEMON_PID" && t64_wait_exit "$T64_DAEMON_PID" 10; }
t64_require "stateful tun64d stopped" stop_daemon
t64_require "stateless tun64d started" t64_start_daemon "$BUILD" --mode stateless
write_conf "pool4 $POOL_A" "map 192.0.2.6 2001:db8:6::2"
t64_check "reload adds map 192.0.2.6: its route appears" eval 'reload && route_present 192.0.2.6'
write_conf "pool4 $POOL_A" "map 192.0.2.7 2001:db8:6::2" "map 192.0.2.128/28 2001:db8:6::80/124"
map_moved() {
	reload || return 1
	t64_in "$T64_NS_ROUTER" ip -4 route show proto 64 dev nat64 | sed 's/^/    /'
	! route_present 192.0.2.6 && route_present 192.0.2.7 && route_present 192.0.2.128/28
}
t64_check "reload to map 192.0.2.7 and 192.0.2.128/28: routes follow, 192.0.2.6 gone" map_moved
no_pool4_shown() { ! ctl status | grep -q '^pool4'; }
t64_check "stateless status shows no pool4" no_pool4_shown

t64_finish
