#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# End-to-end test of pref64-announce: tun64d on the router announces its
# prefix to the IPv6-only client's link (the router's lan6) in Router
# Advertisements that carry only the RFC 8781 PREF64 option. Captured on the
# client's side:
#   - the first RA comes at start, from the router's link-local address to
#     ff02::1 with hop limit 255, router lifetime 0 and nothing but PREF64:
#     2001:db8:64:: with PLC 0 (/96) and 1800 s (3 x MaxRtrAdvInterval);
#   - a Router Solicitation (rdisc6) gets an answer;
#   - the next unsolicited RA comes at most 16 s later (RFC 4861 §6.2.4);
#   - the client took no default route from them (router lifetime 0);
#   - after SIGTERM, a last RA has PREF64 lifetime 0.
#
# Usage: e2e_pref64.sh BUILD_DIR   (as root; run by ctest as e2e_pref64)
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"

t64_use_build "${1:-}"
command -v rdisc6 >/dev/null 2>&1 || t64_die "missing tool: rdisc6 (ndisc6; run tests/install-deps.sh)"

t64_init
PCAP=$T64_WORKDIR/client.pcap
RAS=$T64_WORKDIR/ras.txt
WANT="plc=0 prefix=2001:db8:64::"

t64_require "topology: client, router and server namespaces" t64_topology_create

# What the client's link carries: solicitations and advertisements.
t64_spawn "$T64_WORKDIR/tcpdump.log" "$T64_NS_CLIENT" tcpdump -Z root -n -U -i eth0 \
	-w "$PCAP" 'icmp6 and (ip6[40] == 133 or ip6[40] == 134)'
CAPTURE=$T64_LAST_PID
t64_require "tcpdump on the client's eth0" \
	t64_wait_for 10 grep -q 'listening on' "$T64_WORKDIR/tcpdump.log"

ROUTER_LL=$(t64_in "$T64_NS_ROUTER" ip -6 -o addr show dev lan6 scope link |
	awk '{print $4}' | cut -d/ -f1)
t64_require "tun64d --pref64-announce lan6 started and printed 'tun64d: ready'" \
	t64_start_daemon "$BUILD" --pref64-announce lan6

ras() {
	/usr/bin/python3 "$HERE/pref64_ras.py" "$PCAP" >"$RAS"
}
count_ras() {
	ras
	[ "$(grep -c '^ra ' "$RAS")" -ge "$1" ]
}

# 1. The first RA, at start.
t64_check "an RA reached the client within 5 s of the start" t64_wait_for 5 count_ras 1
check_first() {
	local first
	first=$(grep -m1 '^ra ' "$RAS")
	echo "    $first"
	[[ "$first" == *" src=$ROUTER_LL dst=ff02::1 hlim=255 ok=yes lifetime=1800 $WANT" ]]
}
t64_check "it is from $ROUTER_LL to ff02::1, hop limit 255, router lifetime 0, only PREF64 for 1800 s, $WANT" \
	check_first

# 2. A solicitation gets an answer (rdisc6 sends the RS to ff02::2 and
# waits; the answer may wait up to MIN_DELAY_BETWEEN_RAS = 3 s after the
# last RA, RFC 4861 §6.2.6).
N_BEFORE=$(grep -c '^ra ' "$RAS")
t64_in "$T64_NS_CLIENT" rdisc6 -1 -n -r 2 -w 4000 eth0 >"$T64_WORKDIR/rdisc6.log" 2>&1
RC=$?
sed 's/^/    /' "$T64_WORKDIR/rdisc6.log"
check_rdisc6() {
	[ "$RC" -eq 0 ] && grep -q "Router lifetime *: *0 " "$T64_WORKDIR/rdisc6.log" &&
		grep -q "from $ROUTER_LL" "$T64_WORKDIR/rdisc6.log"
}
t64_check "rdisc6: a Router Solicitation is answered, router lifetime 0" check_rdisc6
t64_check "the answer is one more PREF64 RA in the capture" t64_wait_for 2 count_ras $((N_BEFORE + 1))

# 3. RFC 4861 §6.2.4: the first three come at most 16 s apart.
t64_check "the next unsolicited RA came within 16 s" t64_wait_for 18 count_ras $((N_BEFORE + 2))
check_all_running() {
	ras
	! grep '^ra ' "$RAS" | grep -qv "ok=yes lifetime=1800 $WANT"
}
t64_check "every RA while running: only PREF64, $WANT, 1800 s" check_all_running

# Router lifetime 0: "not a default router" (RFC 4861 §6.3.4), so the
# client's kernel, which accepts RAs, learned no route from them.
check_no_ra_route() {
	t64_in "$T64_NS_CLIENT" ip -6 route show | sed 's/^/    /'
	! t64_in "$T64_NS_CLIENT" ip -6 route show | grep -q 'proto ra'
}
t64_check "the client took no route from them" check_no_ra_route

# 4. A clean stop withdraws the prefix.
N_BEFORE=$(grep -c '^ra ' "$RAS")
kill -TERM "$T64_DAEMON_PID"
t64_check "tun64d exited on SIGTERM" t64_wait_exit "$T64_DAEMON_PID" 10
t64_check "one more RA after the stop" t64_wait_for 3 count_ras $((N_BEFORE + 1))
check_final() {
	local last
	last=$(grep '^ra ' "$RAS" | tail -1)
	echo "    $last"
	[[ "$last" == *" src=$ROUTER_LL dst=ff02::1 hlim=255 ok=yes lifetime=0 $WANT" ]]
}
t64_check "the last RA has PREF64 lifetime 0 ($WANT)" check_final
t64_check "log: prefix withdrawn" grep -q "pref64-announce lan6: prefix withdrawn" "$T64_DAEMON_LOG"

sleep 0.5
kill -INT "$CAPTURE" 2>/dev/null
t64_wait_exit "$CAPTURE" 5
echo "    --- the client's capture (tcpdump -vv) ---"
tcpdump -r "$PCAP" -n -vv 2>/dev/null | sed 's/^/    /'
t64_finish
