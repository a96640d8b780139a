#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# tun64ctl command-line checks: exact output and exit status.
# usage: test_tun64ctl.sh PATH/TO/tun64ctl
set -u
ctl=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
failures=0

# expect STATUS STDOUT STDERR -- ARGS...
expect() {
	local want_rc=$1 want_out=$2 want_err=$3 out err rc
	shift 4
	out=$("$ctl" "$@" 2>"$dir/err")
	rc=$?
	err=$(cat "$dir/err")
	if [ "$rc" != "$want_rc" ] || [ "$out" != "$want_out" ] || [ "$err" != "$want_err" ]; then
		echo "FAIL: tun64ctl $*"
		echo "  status $rc (want $want_rc)"
		echo "  stdout '$out' (want '$want_out')"
		echo "  stderr '$err' (want '$want_err')"
		failures=$((failures + 1))
	fi
}

: >"$dir/empty.conf"
printf 'mode stateless\nprefix 2001:db8:64::/96\nmap 192.0.2.0/24 2001:db8:6::100/120\nmap 192.0.2.33 2001:db8:6::21\n' >"$dir/eam.conf"
printf 'mode stateless\nmap 192.0.2.0/24 2001:db8:aaaa::/64\nmap 192.0.2.128/26 2001:db8:1:8::/61\n' >"$dir/eam-unequal.conf"
printf 'mode stateless\nmap 192.0.2.0/24 2001:db8:aaaa::/121\n' >"$dir/eam-long4.conf"
printf 'prefix 2001:db8::/33\n' >"$dir/bad.conf"
printf 'wkp-allow-private yes\n' >"$dir/wkp.conf"

# RFC 6052 §2.4 examples, both ways (RFC 5952 text: a single zero group is not "::")
expect 0 2001:db8:c000:221:: '' -- map 192.0.2.33 --prefix 2001:db8::/32
expect 0 2001:db8:1c0:2:21:: '' -- map 192.0.2.33 --prefix 2001:db8:100::/40
expect 0 2001:db8:122:c000:2:2100:: '' -- map 192.0.2.33 --prefix 2001:db8:122::/48
expect 0 2001:db8:122:3c0:0:221:: '' -- map 192.0.2.33 --prefix 2001:db8:122:300::/56
expect 0 2001:db8:122:344:c0:2:2100:0 '' -- map 192.0.2.33 --prefix 2001:db8:122:344::/64
expect 0 2001:db8:122:344::c000:221 '' -- map 192.0.2.33 --prefix=2001:db8:122:344::/96
expect 0 192.0.2.33 '' -- map 2001:db8:122:344:c0:2:2100:: --prefix 2001:db8:122:344::/64
expect 0 192.0.2.33 '' -- map 2001:db8:1c0:2:21:: --prefix 2001:db8:100::/40
expect 0 2001:200:161:1400:5999:0:c0a8:102 '' -- map 192.168.1.2 --prefix 2001:200:161:1400:5999::/96
expect 0 2001:db8:64::cb00:7102 '' -- map 203.0.113.2 --prefix 2001:db8:64::/96
expect 0 '{"ipv4":"203.0.113.2","ipv6":"2001:db8:64::cb00:7102"}' '' -- --json map 203.0.113.2 --prefix 2001:db8:64::/96
expect 0 '{"ipv4":"203.0.113.2","ipv6":"2001:db8:64::cb00:7102"}' '' -- map 2001:db8:64::cb00:7102 --prefix 2001:db8:64::/96 --json

# built-in default prefix 64:ff9b::/96 (RFC 6052 §3.1 note for non-global addresses)
expect 0 64:ff9b::808:808 '' -- -c "$dir/empty.conf" map 8.8.8.8
expect 0 64:ff9b::cb00:7102 'tun64ctl: note: 203.0.113.2 is not a global address; RFC 6052 §3.1 forbids it with 64:ff9b::/96 (wkp-allow-private no)' -- -c "$dir/empty.conf" map 203.0.113.2
expect 0 64:ff9b::a01:203 '' -- --config "$dir/wkp.conf" map 10.1.2.3

# pref64: radvd and systemd-networkd snippets for the prefix (RFC 8781),
# the link from pref64-announce, offline
printf 'prefix 2001:db8:122::/48\npref64-announce lan6\n' >"$dir/pref64.conf"
pref64_out="# radvd >= 2.20 (radvd.conf): nat64prefix goes in the interface block of the clients' link
interface lan6 {
	AdvSendAdvert on;
	nat64prefix 2001:db8:122::/48 {
		AdvValidLifetime 1800;
	};
};

# systemd-networkd >= 255: in the .network file of the clients' link (lan6)
[Network]
IPv6SendRA=yes

[IPv6PREF64Prefix]
Prefix=2001:db8:122::/48
LifetimeSec=1800"
expect 0 "$pref64_out" '' -- -c "$dir/pref64.conf" pref64
expect 0 "${pref64_out//2001:db8:122::\/48/2001:db8:64::/96}" '' -- -c "$dir/pref64.conf" pref64 --prefix 2001:db8:64::/96
expect 1 '' "tun64ctl: unexpected argument 'x'" -- -c "$dir/pref64.conf" pref64 x
expect 1 '' 'tun64ctl: pref64: there is no --json output (it prints configuration snippets)' -- --json pref64

# RFC 7757 explicit mappings from the config file, longest match first
expect 0 2001:db8:6::107 '' -- -c "$dir/eam.conf" map 192.0.2.7
expect 0 2001:db8:6::21 '' -- -c "$dir/eam.conf" map 192.0.2.33
expect 0 192.0.2.255 '' -- -c "$dir/eam.conf" map 2001:db8:6::1ff
expect 0 2001:db8:64::cb00:7109 '' -- -c "$dir/eam.conf" map 203.0.113.9

# RFC 7757 §3.3 with a longer IPv6 suffix: the IPv4 suffix goes right after
# the IPv6 prefix (bits 64-71; for the /26 <-> /61, bits 61-66), later bits
# are zero, and ignored on the way back
expect 0 2001:db8:aaaa:0:100:: '' -- -c "$dir/eam-unequal.conf" map 192.0.2.1
expect 0 192.0.2.1 '' -- -c "$dir/eam-unequal.conf" map 2001:db8:aaaa:0:1ff:ffff:ffff:ffff
expect 0 2001:db8:1:9:2000:: '' -- -c "$dir/eam-unequal.conf" map 192.0.2.137
expect 0 192.0.2.137 '' -- -c "$dir/eam-unequal.conf" map 2001:db8:1:9:3fff::
expect 1 '' "tun64ctl: $dir/eam-long4.conf:2: map: 192.0.2.0/24 has 8 suffix bits but 2001:db8:aaaa::/121 has only 7: the IPv4 suffix must not be longer than the IPv6 one (RFC 7757)" -- -c "$dir/eam-long4.conf" map 192.0.2.1

# errors: one line, status 1
expect 1 '' 'tun64ctl: map: 2001:db8::1 is not inside the prefix 2001:db8:64::/96' -- map 2001:db8::1 --prefix 2001:db8:64::/96
expect 1 '' 'tun64ctl: --prefix: prefix: length 80 is not allowed (RFC 6052: 32, 40, 48, 56, 64, 96)' -- map 192.0.2.1 --prefix 2001:db8::/80
expect 1 '' "tun64ctl: $dir/bad.conf:1: prefix: length 33 is not allowed (RFC 6052: 32, 40, 48, 56, 64, 96)" -- -c "$dir/bad.conf" map 192.0.2.1
expect 1 '' "tun64ctl: $dir/missing.conf: No such file or directory" -- -c "$dir/missing.conf" map 192.0.2.1
expect 1 '' "tun64ctl: map: 'bogus' is not an IPv4 or IPv6 address" -- map bogus
expect 1 '' 'tun64ctl: map: needs an IPv4 or IPv6 address' -- map
expect 1 '' 'tun64ctl: --prefix: needs a value' -- map 192.0.2.1 --prefix
expect 1 '' 'tun64ctl: --frob: unknown option (see tun64ctl --help)' -- --frob
expect 1 '' 'tun64ctl: frob: unknown command (see tun64ctl --help)' -- frob

# map --zone: an AAAA record for each A record of a zone file
cat >"$dir/db.example" <<'ZONE'
$ORIGIN example.com.
$TTL 3600
@	IN	SOA	ns1 hostmaster (
		2024010101 ; serial
		7200 3600 1209600 300 )
	IN	NS	ns1
ns1	IN	A	192.0.2.53
www	300	IN	A	203.0.113.10
	IN	A	203.0.113.11
	IN	AAAA	2001:db8::1
mail	IN	MX	10 www
ZONE
zone_out='$ORIGIN example.com.
ns1 3600 IN AAAA 2001:db8:64::c000:235
www 300 IN AAAA 2001:db8:64::cb00:710a
www 3600 IN AAAA 2001:db8:64::cb00:710b'
expect 0 "$zone_out" '' -- map --zone "$dir/db.example" --prefix 2001:db8:64::/96
expect 0 "$zone_out" '' -- map --prefix 2001:db8:64::/96 --zone=- <"$dir/db.example"
# explicit mappings of the config apply to zones too (stateless EAM)
expect 0 '$ORIGIN example.com.
ns1 3600 IN AAAA 2001:db8:6::135
www 300 IN AAAA 2001:db8:64::cb00:710a
www 3600 IN AAAA 2001:db8:64::cb00:710b' '' -- -c "$dir/eam.conf" map --zone "$dir/db.example"
printf 'www A 203.0.113.10\nbad A 203.0.113.300\n' >"$dir/db.bad"
expect 1 '' "tun64ctl: $dir/db.bad:2: A record: '203.0.113.300' is not an IPv4 address" -- map --zone "$dir/db.bad" --prefix 2001:db8:64::/96
expect 1 '' "tun64ctl: $dir/missing.zone: No such file or directory" -- map --zone "$dir/missing.zone"
expect 1 '' 'tun64ctl: map: give an address or --zone FILE, not both' -- map 192.0.2.1 --zone "$dir/db.example"
expect 1 '' 'tun64ctl: map --zone: there is no --json output (it prints zone file lines)' -- --json map --zone "$dir/db.example"
expect 1 '' 'tun64ctl: --zone: needs a value' -- map --zone

# subcommands that need the daemon, with no daemon listening
for cmd in status stats sessions bib reload; do
	expect 1 '' "tun64ctl: cannot reach tun64d at $dir/none.sock: No such file or directory" -- -s "$dir/none.sock" $cmd
done

# A stand-in daemon: answers one request on $dir/fake.sock with $1 and
# records the request line in $dir/req.
fake_daemon() {
	rm -f "$dir/fake.sock" "$dir/req"
	python3 - "$dir/fake.sock" "$dir/req" "$1" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); s.listen(1); s.settimeout(10)
c, _ = s.accept()
req = c.recv(256)
open(sys.argv[2], "wb").write(req)
c.sendall(sys.argv[3].encode())
c.close()
PY
	fake_pid=$!
	for _ in $(seq 50); do [ -S "$dir/fake.sock" ] && return; sleep 0.1; done
}
# expect_req STATUS STDOUT STDERR REQUEST ANSWER -- ARGS...
expect_req() {
	local want_req=$4 answer=$5
	fake_daemon "$answer"
	expect "$1" "$2" "$3" -- -s "$dir/fake.sock" "${@:7}"
	wait "$fake_pid"
	if [ "$(cat "$dir/req" 2>/dev/null)" != "$want_req" ]; then
		echo "FAIL: tun64ctl ${*:7}: request '$(cat "$dir/req" 2>/dev/null)' (want '$want_req')"
		failures=$((failures + 1))
	fi
}
expect_req 0 'configuration reloaded' '' reload $'configuration reloaded\n' -- reload
expect_req 1 '' 'error: prefix: changing it needs a restart' reload $'error: prefix: changing it needs a restart\n' -- reload
expect_req 0 '{"ok":true}' '' 'reload json' $'{"ok":true}\n' -- --json reload
expect_req 2 '' 'tun64ctl: bib: not implemented in this release' bib $'error: unknown request \'bib\'\n' -- bib
expect_req 0 'tcp 198.51.100.1#1024' '' bib $'tcp 198.51.100.1#1024\n' -- bib
expect_req 0 'mode      stateful' '' 'stats explain' $'mode      stateful\n' -- stats --explain

out=$("$ctl" --help)
rc=$?
if [ $rc != 0 ] || ! grep -q '^usage: tun64ctl' <<<"$out" || ! grep -q 'map ADDR' <<<"$out"; then
	echo "FAIL: tun64ctl --help (status $rc)"
	failures=$((failures + 1))
fi

if [ $failures != 0 ]; then
	echo "$failures failure(s)"
	exit 1
fi
echo "all tun64ctl checks passed"
