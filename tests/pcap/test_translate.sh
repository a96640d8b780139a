#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# tun64d --translate IN OUT: a hand-built capture through the packet core
# offline. Checks the verdict lines exactly, the output capture byte for byte
# (packets built independently in translate_packets.py), the Ethernet link
# type, and the exit status and one-line message of each error.
#
# Usage: test_translate.sh PATH/TO/tun64d
set -euo pipefail

tun64d=${1:?usage: $0 PATH/TO/tun64d}
here=$(cd "$(dirname "$0")" && pwd)
packets="/usr/bin/python3 $here/translate_packets.py"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0

fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

cat >"$tmp/tun64.conf" <<'EOF'
prefix 2001:db8:64::/96
pool4 198.51.100.0/28
bib tcp 198.51.100.3#61234 2001:db8:6::2#40000
bib udp 198.51.100.3#61235 2001:db8:6::2#40001
bib icmp 198.51.100.3#7 2001:db8:6::2#7
EOF

# 1. The dynamic UDP flow alone: which pool4 address and port it gets. The
# seed is fixed in --translate mode, so the full run below picks the same.
$packets first "$tmp"
"$tun64d" -c "$tmp/tun64.conf" --translate "$tmp/first.pcap" "$tmp/first-out.pcap" \
	>"$tmp/first.txt" 2>"$tmp/first.err" || {
	cat "$tmp/first.err"
	echo "FAIL: tun64d --translate on the first capture"
	exit 1
}
read -r dyn_addr dyn_port < <(sed -nE \
	's/^1  6to4  translated  .* -> ([0-9.]+)\.([0-9]+) > 203\.0\.113\.2\.7 udp$/\1 \2/p' \
	"$tmp/first.txt")
[ -n "${dyn_port:-}" ] || {
	cat "$tmp/first.txt" "$tmp/first.err"
	echo "FAIL: no pool4 address and port for the dynamic flow"
	exit 1
}
echo "dynamic flow: $dyn_addr.$dyn_port"

# 2. The whole capture, raw IP link type.
$packets build "$tmp" "$dyn_addr" "$dyn_port"
status=0
"$tun64d" -c "$tmp/tun64.conf" --translate "$tmp/in.pcap" "$tmp/out.pcap" \
	>"$tmp/verdicts.txt" 2>"$tmp/stderr.txt" || status=$?
[ "$status" -eq 0 ] || fail "exit status $status on a good capture"
diff -u "$tmp/expected.txt" "$tmp/verdicts.txt" || fail "verdict lines differ"
$packets compare "$tmp/out.pcap" "$tmp/expected.pcap" || fail "out.pcap differs"
grep -qx "tun64d: $tmp/in.pcap: 10 packets: 6 translated, 3 icmp-error, 1 dropped, 0 skipped" \
	"$tmp/stderr.txt" || fail "summary line: $(cat "$tmp/stderr.txt")"

# 3. The same packets in an Ethernet capture, after an ARP frame.
"$tun64d" -c "$tmp/tun64.conf" --translate "$tmp/in-eth.pcap" "$tmp/out-eth.pcap" \
	>"$tmp/verdicts-eth.txt" 2>/dev/null || fail "exit status $? on an Ethernet capture"
diff -u "$tmp/expected-eth.txt" "$tmp/verdicts-eth.txt" || fail "Ethernet verdict lines differ"
$packets compare "$tmp/out-eth.pcap" "$tmp/expected.pcap" || fail "out-eth.pcap differs"

# 4. tcpdump reads the output back (raw IP).
if command -v tcpdump >/dev/null; then
	n=$(tcpdump -r "$tmp/out.pcap" -n 2>/dev/null | wc -l)
	[ "$n" -eq 9 ] || fail "tcpdump reads $n packets from out.pcap, expected 9"
fi

# 5. Errors: exit status 1 and one line on stderr, nothing on stdout.
expect_error() {
	local what=$1 pattern=$2
	shift 2
	status=0
	"$tun64d" "$@" >"$tmp/err.out" 2>"$tmp/err.txt" || status=$?
	[ "$status" -eq 1 ] || fail "$what: exit status $status, expected 1"
	[ "$(wc -l <"$tmp/err.txt")" -eq 1 ] || fail "$what: stderr is not one line"
	grep -q -- "$pattern" "$tmp/err.txt" || fail "$what: '$(cat "$tmp/err.txt")'"
	[ ! -s "$tmp/err.out" ] || fail "$what: output on stdout"
}
expect_error "missing input" "missing.pcap" \
	-c "$tmp/tun64.conf" --translate "$tmp/missing.pcap" "$tmp/o.pcap"
printf 'not a capture at all, just text\n' >"$tmp/text.pcap"
expect_error "not a capture" "tun64d: --translate: " \
	-c "$tmp/tun64.conf" --translate "$tmp/text.pcap" "$tmp/o.pcap"
/usr/bin/python3 -c 'import struct,sys; sys.stdout.buffer.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 105))' \
	>"$tmp/wifi.pcap"
expect_error "unsupported link type" "link type IEEE802_11 (105) is not supported" \
	-c "$tmp/tun64.conf" --translate "$tmp/wifi.pcap" "$tmp/o.pcap"
expect_error "unwritable output" "$tmp/no/such/dir/o.pcap" \
	-c "$tmp/tun64.conf" --translate "$tmp/in.pcap" "$tmp/no/such/dir/o.pcap"
expect_error "bad configuration" "prefix" \
	--prefix 2001:db8:64::/95 --translate "$tmp/in.pcap" "$tmp/o.pcap"
expect_error "missing OUT" "--translate needs IN.pcap and OUT.pcap" \
	--translate "$tmp/in.pcap"

if [ "$failures" -ne 0 ]; then
	echo "test_translate: $failures failure(s)"
	exit 1
fi
echo "test_translate: all checks passed"
