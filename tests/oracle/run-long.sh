#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Long differential runs of tun64d against the reference: several seeds,
# both modes, many packets each.  Usage: run-long.sh [SEEDS] [COUNT] [TUN64D]
# Prints every run's summary; exits 1 if any run found a disagreement that
# tests/oracle/known.txt does not list.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
seeds=${1:-20}
count=${2:-20000}
tun64d=${3:-$here/../../build/tun64d}
fail=0
for seed in $(seq 1 "$seeds"); do
	for mode in stateless stateful; do
		/usr/bin/python3 "$here/diff.py" --mode "$mode" --seed "$seed" \
			--count "$count" --tun64d "$tun64d" --show 3 || fail=1
	done
done
exit $fail
