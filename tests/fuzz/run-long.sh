#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Run every fuzz target for a long time, by hand, all at once on the CPUs.
#
# Usage: bash tests/fuzz/run-long.sh SECONDS [WORKDIR]
#   e.g. bash tests/fuzz/run-long.sh 3600
#
# Builds the targets in build-fuzz/ (clang, ASan + UBSan + libFuzzer), then
# runs each one for SECONDS. The corpus grows in WORKDIR/corpus/<target>
# (default WORKDIR /tmp/tun64-fuzz), so a second run carries on where the
# first stopped; the seeds of tests/fuzz/corpus/<target> are read each time.
# Findings land in WORKDIR/artifacts/<target>/. Prints the executions and the
# findings of each target; exits 1 if there is any finding.
#
# FUZZ_SANITIZE=undefined builds without ASan (in build-fuzz-undefined/): about
# four times the executions, for volume; the default is address,undefined.
# FUZZ_TARGETS="fuzz_xlat fuzz_icmp" picks targets. fuzz_fastpath needs root
# (BPF) and a build with the fast path (TUN64_FASTPATH).
#
# A finding worth keeping goes to tests/fuzz/crashes/<target>/ (which
# tests/sanitize.sh replays) or becomes a unit test.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ROOT=$(pwd)
SECONDS_EACH=${1:-}
WORKDIR=${2:-/tmp/tun64-fuzz}
read -r -a TARGETS <<<"${FUZZ_TARGETS:-fuzz_xlat fuzz_icmp fuzz_config fuzz_privsep fuzz_fastpath}"
SANITIZE=${FUZZ_SANITIZE:-address,undefined}
BUILD=build-fuzz
[ "$SANITIZE" = "address,undefined" ] || BUILD=build-fuzz-${SANITIZE//,/-}

case "$SECONDS_EACH" in
'' | *[!0-9]*)
	echo "usage: $0 SECONDS [WORKDIR]" >&2
	exit 2
	;;
esac

cmake -S . -B "$BUILD" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug \
	-DCMAKE_C_FLAGS_DEBUG="-g -O1" -DTUN64_FUZZ=ON -DTUN64_FUZZ_SANITIZE="$SANITIZE" \
	-DBUILD_TESTING=OFF -DTUN64_WERROR=ON >/dev/null
cmake --build "$BUILD" -j"$(nproc)" --target "${TARGETS[@]}" >/dev/null

# With more CPUs than targets, each target gets several libFuzzer workers
# (-fork); with fewer, the targets share the CPUs.
WORKERS=$(($(nproc) / ${#TARGETS[@]}))
[ "$WORKERS" -ge 1 ] || WORKERS=1

start_target() {
	local t=$1 corpus=$WORKDIR/corpus/$1 art=$WORKDIR/artifacts/$1
	local fork=()
	mkdir -p "$corpus" "$art"
	[ "$WORKERS" -le 1 ] || fork=(-fork="$WORKERS")
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		"$BUILD/$t" "${fork[@]}" -max_total_time="$SECONDS_EACH" -rss_limit_mb=2048 \
		-timeout=10 -print_final_stats=1 -artifact_prefix="$art/" \
		"$corpus" "$ROOT/tests/fuzz/corpus/$t" >"$WORKDIR/$t.log" 2>&1
}

mkdir -p "$WORKDIR"
echo "run-long ($SANITIZE): ${TARGETS[*]} for $SECONDS_EACH s each, $WORKERS worker(s) each, in $WORKDIR"
declare -A PIDS STATUS
for t in "${TARGETS[@]}"; do
	start_target "$t" &
	PIDS[$t]=$!
done
for t in "${TARGETS[@]}"; do
	STATUS[$t]=0
	wait "${PIDS[$t]}" || STATUS[$t]=$?
done

findings=0
for t in "${TARGETS[@]}"; do
	log=$WORKDIR/$t.log
	# The last status line "#N ... exec/s: R ..." holds the totals.
	last=$(grep -E '^#[0-9]+' "$log" | tail -n 1 || true)
	execs=$(sed -E 's/^#([0-9]+).*/\1/' <<<"$last")
	rate=$(sed -nE 's/.*exec\/s: ([0-9]+).*/\1/p' <<<"$last")
	cov=$(sed -nE 's/.*cov: ([0-9]+).*/\1/p' <<<"$last")
	found=$(find "$WORKDIR/artifacts/$t" -type f | wc -l)
	printf '%-12s %12s execs  %7s exec/s  cov %6s  corpus %5s  findings %s  status %s\n' \
		"$t" "${execs:-?}" "${rate:-?}" "${cov:-?}" \
		"$(find "$WORKDIR/corpus/$t" -type f | wc -l)" "$found" "${STATUS[$t]}"
	if [ "$found" -gt 0 ] || [ "${STATUS[$t]}" -ne 0 ]; then
		findings=1
		grep -E 'ERROR|SUMMARY|runtime error|^    #[0-9]' "$log" | awk 'NR <= 40' | sed 's/^/    /'
		find "$WORKDIR/artifacts/$t" -type f | sed "s|^|    reproduce: $BUILD/$t |"
	fi
done
exit "$findings"
