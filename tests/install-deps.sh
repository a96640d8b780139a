#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Install what building and testing tun64 needs on Debian 12, with apt-get,
# only when something is missing (so a prepared machine needs no network).
#
# Usage: install-deps.sh            what tests/run.sh needs
#        install-deps.sh sanitize   that, plus what tests/sanitize.sh needs
set -euo pipefail

PACKAGES=(
	build-essential cmake pkg-config
	libnl-3-dev libnl-route-3-dev libmnl-dev libnftnl-dev libpcap-dev libseccomp-dev check
	iproute2 iputils-ping curl bind9-dnsutils dnsmasq-base tcpdump
	python3 python3-scapy procps coreutils nftables
	traceroute systemd man-db groff-base dpkg-dev file
	bird2
	ndisc6
	clang libbpf-dev bpftool
	libmicrohttpd-dev python3-prometheus-client
)
# The metrics endpoint (`metrics`): libmicrohttpd-dev serves it (the .deb then
# depends on libmicrohttpd12 through dpkg-shlibdeps); e2e_metrics parses a
# scrape with python3-prometheus-client's text parser (Debian 12's promtool
# comes only with the whole prometheus server package).
# ndisc6: rdisc6, the client's Router Solicitation in e2e_pref64.
# The tc fast path (translator/fastpath, CMake option TUN64_FASTPATH): clang
# compiles its BPF program (-target bpf; gcc has no BPF backend in Debian 12),
# bpftool embeds the object in a skeleton header so tun64d carries it, and
# libbpf-dev loads it and attaches it with tc. Without them the build goes on
# with the fast path off.
# The sanitize list: clang (above) builds with ASan/UBSan and libFuzzer;
# libclang-rt-14-dev holds the sanitizer and libFuzzer runtimes
# (libclang_rt.fuzzer-x86_64.a), which -fsanitize=fuzzer links; valgrind for
# the daemon start/stop check.
SANITIZE_PACKAGES=(libclang-rt-14-dev valgrind)

case "${1:-}" in
"") ;;
sanitize) PACKAGES+=("${SANITIZE_PACKAGES[@]}") ;;
*)
	echo "usage: $0 [sanitize]" >&2
	exit 2
	;;
esac

missing=()
for pkg in "${PACKAGES[@]}"; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
	[ "$status" = installed ] || missing+=("$pkg")
done

if [ ${#missing[@]} -eq 0 ]; then
	echo "install-deps: all ${#PACKAGES[@]} packages present"
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing ${missing[*]}; run as root to install them" >&2
	exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
# bird2 (for e2e_ecmp, which runs its own BIRD per namespace) enables a
# bird.service for the host; the tests need none, so it stays off.
if [[ " ${missing[*]} " == *" bird2 "* ]] && command -v systemctl >/dev/null; then
	systemctl disable --now bird.service >/dev/null 2>&1 || true
fi
