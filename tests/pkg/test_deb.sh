#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Packaging test: build the .deb with cpack in a temporary build directory and
# check it without installing it: its file list, its control fields, its
# conffile; then run the extracted programs, verify the extracted systemd
# unit and render the extracted man pages.
# usage: test_deb.sh SOURCE_DIR
set -u
src=$(cd "$1" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0

fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

build=$tmp/build
if ! cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=/usr \
	-DBUILD_TESTING=OFF >"$tmp/cmake.log" 2>&1 ||
	! cmake --build "$build" -j"$(nproc)" >>"$tmp/cmake.log" 2>&1 ||
	! (cd "$build" && cpack -G DEB) >"$tmp/cpack.log" 2>&1; then
	cat "$tmp/cmake.log" "$tmp/cpack.log" 2>/dev/null | tail -30
	echo "FAIL: cmake/cpack"
	exit 1
fi
deb=$(ls "$build"/tun64_*.deb 2>/dev/null | head -1)
[ -n "$deb" ] || { echo "FAIL: no tun64_*.deb in $build"; exit 1; }
echo "package: $(basename "$deb")"

# The files an operator relies on.
dpkg-deb -c "$deb" | awk '{print $NF}' >"$tmp/files"
for f in ./usr/sbin/tun64d ./usr/sbin/tun64ctl ./usr/lib/systemd/system/tun64.service \
	./etc/tun64/tun64.conf ./usr/share/doc/tun64/examples/tun64.conf.example \
	./usr/share/doc/tun64/deployment.md ./usr/share/doc/tun64/debugging.md \
	./usr/share/doc/tun64/dns.md ./usr/share/doc/tun64/copyright \
	./usr/share/man/man5/tun64.conf.5.gz \
	./usr/share/man/man8/tun64d.8.gz ./usr/share/man/man8/tun64ctl.8.gz; do
	grep -qxF "$f" "$tmp/files" || fail "missing $f"
done
# Nothing from the build or test tree leaks in.
if grep -E 'test_|fuzz|\.a$|/include/' "$tmp/files"; then
	fail "unexpected files above"
fi

# Control fields.
[ "$(dpkg-deb -f "$deb" Package)" = tun64 ] || fail "Package is not tun64"
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
for d in libnl-3-200 libnl-route-3-200 libmnl0 libc6; do
	grep -qE "(^|, )$d( |,|$)" <<<"$depends" || fail "Depends lacks $d"
done
[ -n "$(dpkg-deb -f "$deb" Maintainer)" ] || fail "no Maintainer"
description=$(dpkg-deb -f "$deb" Description)
[ -n "$description" ] || fail "no Description"
if grep -q ';' <<<"$description"; then
	fail "Description has a stray ';' (a CMake list): $description"
fi
ls "$build"/tun64-dbgsym_*.ddeb >/dev/null 2>&1 || fail "no tun64-dbgsym .ddeb beside the .deb"
dpkg-deb -e "$deb" "$tmp/control"
[ "$(cat "$tmp/control/conffiles" 2>/dev/null)" = /etc/tun64/tun64.conf ] ||
	fail "conffiles is not exactly /etc/tun64/tun64.conf"

# The extracted programs run and read the shipped configuration.
root=$tmp/root
dpkg-deb -x "$deb" "$root"
for bin in tun64d tun64ctl; do
	file "$root/usr/sbin/$bin" | grep -q ', stripped' || fail "$bin is not stripped"
done
grep -q '^License: BSD-2-Clause' "$root/usr/share/doc/tun64/copyright" ||
	fail "copyright names no BSD-2-Clause licence"
"$root/usr/sbin/tun64d" --help | grep -q '^usage: tun64d' || fail "tun64d --help"
out=$("$root/usr/sbin/tun64d" --check -c "$root/etc/tun64/tun64.conf") || fail "tun64d --check"
grep -qx 'prefix 2001:db8:64::/96' <<<"$out" || fail "tun64d --check: prefix not from the conffile"
"$root/usr/sbin/tun64ctl" --help | grep -q '^usage: tun64ctl' || fail "tun64ctl --help"
out=$("$root/usr/sbin/tun64ctl" -c "$root/etc/tun64/tun64.conf" map 203.0.113.10)
[ "$out" = 2001:db8:64::cb00:710a ] || fail "tun64ctl map: '$out'"

# The unit as installed, pointed at the extracted binary; its man: links
# resolve against the extracted man pages.
unit=$root/usr/lib/systemd/system/tun64.service
grep -qx 'ExecStart=/usr/sbin/tun64d -c /etc/tun64/tun64.conf' "$unit" || fail "ExecStart in the unit"
grep -qx 'Type=notify' "$unit" || fail "Type=notify in the unit"
mkdir -p "$tmp/unit"
sed "s|/usr/sbin/tun64d|$root/usr/sbin/tun64d|" "$unit" >"$tmp/unit/tun64.service"
if ! MANPATH=$root/usr/share/man systemd-analyze verify "$tmp/unit/tun64.service" >"$tmp/verify" 2>&1; then
	cat "$tmp/verify"
	fail "systemd-analyze verify"
fi

# Man pages render without a warning.
for page in "$root"/usr/share/man/man*/*; do
	MANWIDTH=80 man --warnings=all -l "$page" 2>"$tmp/manerr" >/dev/null
	if [ -s "$tmp/manerr" ]; then
		cat "$tmp/manerr"
		fail "man $(basename "$page")"
	fi
done

if [ $failures != 0 ]; then
	echo "$failures failure(s)"
	exit 1
fi
echo "all package checks passed"
