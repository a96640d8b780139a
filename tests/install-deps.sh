#!/usr/bin/env bash
# Install what building and testing tun64 needs on Debian 12, with apt-get,
# only when something is missing (so a prepared machine needs no network).
set -euo pipefail

PACKAGES=(
	build-essential cmake pkg-config
	libnl-3-dev libnl-route-3-dev libmnl-dev check
	iproute2 iputils-ping curl bind9-dnsutils dnsmasq-base tcpdump
	python3 procps coreutils
)

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
