#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Microbenchmark of the NAT64 state core and of xlat_packet (core_bench.c),
# in a Release build, plus instruction and simulated cache-miss counts per
# lookup from callgrind at 10 and 10^6 sessions (noise-free, unlike time).
#
# Usage (from anywhere; no root, no network):
#   bash tests/bench/core_bench.sh [BUILD_DIR]
# BUILD_DIR (default ${TMPDIR:-/tmp}/tun64-core-bench) is configured with
# CMAKE_BUILD_TYPE=Release if it is not already, and only core_bench is built.
#
# Environment:
#   CORE_BENCH_TIMING=0      skip the timed run (callgrind part only)
#   CORE_BENCH_CALLGRIND=0   skip the callgrind part (it takes about a minute)
#   CORE_BENCH_CG_OPS=200000 lookups each way under callgrind
#   CORE_BENCH_LL=2097152,16,64  simulated last-level cache (size,assoc,line);
#                            the default is one core's L2 here, so a "LL miss"
#                            is a load that has to go beyond the core's L2
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
BUILD=${1:-${TMPDIR:-/tmp}/tun64-core-bench}
TIMING=${CORE_BENCH_TIMING:-1}
CG=${CORE_BENCH_CALLGRIND:-1}
CG_OPS=${CORE_BENCH_CG_OPS:-200000}
CG_LL=${CORE_BENCH_LL:-2097152,16,64}

log() { printf '%s\n' "$*" >&2; }

configure() {
	local type=
	if [ -f "$BUILD/CMakeCache.txt" ]; then
		type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$BUILD/CMakeCache.txt")
	fi
	if [ "$type" != Release ]; then
		log "configuring $BUILD (Release)"
		cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
	fi
}

build() {
	configure
	cmake --build "$BUILD" -j"$(nproc)" --target core_bench >/dev/null
}

# Inclusive count of event $2 in function $3 from callgrind output file $1.
cg_inclusive() {
	local out=$1 event=$2 fn=$3
	callgrind_annotate --inclusive=yes --show="$event" --threshold=100 "$out" 2>/dev/null |
		awk -v fn="$fn" '!found && $0 ~ (":" fn " ") {
			v = $1; gsub(",", "", v); if (v == ".") v = 0; print v; found = 1 }'
}

# Ir, D1 read misses and LL data read misses per lookup, both ways, for n
# sessions.
callgrind_row() {
	local n=$1 out ir_out ir_in d1_out d1_in ll_out ll_in ir_new
	out=$(mktemp "${TMPDIR:-/tmp}/core_bench.cg.XXXXXX")
	valgrind --tool=callgrind --cache-sim=yes --LL="$CG_LL" --callgrind-out-file="$out" \
		"$BUILD/tests/core_bench" --callgrind "$n" "$CG_OPS" 2>/dev/null
	ir_out=$(cg_inclusive "$out" Ir lookup_out_loop)
	ir_in=$(cg_inclusive "$out" Ir lookup_in_loop)
	d1_out=$(cg_inclusive "$out" D1mr lookup_out_loop)
	d1_in=$(cg_inclusive "$out" D1mr lookup_in_loop)
	ll_out=$(cg_inclusive "$out" DLmr lookup_out_loop)
	ll_in=$(cg_inclusive "$out" DLmr lookup_in_loop)
	ir_new=$(cg_inclusive "$out" Ir create_loop)
	rm -f "$out"
	awk -v n="$n" -v ops="$CG_OPS" -v io="$ir_out" -v ii="$ir_in" -v d1o="$d1_out" \
		-v d1i="$d1_in" -v llo="$ll_out" -v lli="$ll_in" -v inew="$ir_new" 'BEGIN {
		printf "%10d %9.1f %9.1f %8.2f %8.2f %8.2f %8.2f %10.1f\n", n, io / ops, ii / ops,
			d1o / ops, d1i / ops, llo / ops, lli / ops, inew / n }'
}

build
if [ "$TIMING" = 1 ]; then
	"$BUILD/tests/core_bench"
fi

if [ "$CG" = 1 ]; then
	if ! command -v valgrind >/dev/null || ! command -v callgrind_annotate >/dev/null; then
		log "valgrind not found: callgrind part skipped (apt-get install valgrind)"
		exit 0
	fi
	echo
	echo "callgrind, $CG_OPS lookups each way, per lookup (create: per new flow);"
	echo "simulated D1 of this machine, LL=$CG_LL"
	printf '%10s %9s %9s %8s %8s %8s %8s %10s\n' sessions "Ir out" "Ir in" "D1mr out" \
		"D1mr in" "LLmr out" "LLmr in" "Ir create"
	callgrind_row 10
	callgrind_row 1000000
fi
