#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Build and test tun64 under the sanitizers and the fuzzers (as root; CI runs
# it after tests/run.sh). Four steps, each fatal:
#
#   1. ASan + UBSan build (clang, -Werror) in build-san/ and its whole ctest:
#      unit tests and the end-to-end tests, whose tun64d is then the
#      sanitized one. Every sanitizer report goes to a file that is checked
#      afterwards, so a report from a daemon that still exited 0 fails too.
#   2. Fuzz smoke: the libFuzzer targets of tests/fuzz/ (build-fuzz/), each
#      for FUZZ_SECONDS over a copy of its seed corpus, after replaying any
#      reproducers in tests/fuzz/crashes/<target>/. Any finding fails (and
#      is kept in build-fuzz/findings/<target>/).
#   3. valgrind: tun64d (plain build in build-valgrind/) starts in a fresh
#      network namespace, translates a few pings, answers tun64ctl, logs its
#      counters on SIGUSR1 and stops on SIGTERM, with no valgrind error and
#      exit status 0.
#   4. ThreadSanitizer build (clang, TUN64_TSAN) in build-tsan/: the
#      multithreaded unit tests (test_nat64, test_synhold) and one end-to-end
#      test (e2e_stateful: tun64d is slow under TSAN), reports to files that
#      are checked as in step 1. Suppressions: tests/tsan.supp, each entry
#      with its reason.
#
# Usage: bash tests/sanitize.sh [unit|fuzz|valgrind|tsan ...]   (default: all four)
# Environment: FUZZ_SECONDS (default 60) per fuzz target; CTEST_ARGS, more
# arguments for ctest (e.g. CTEST_ARGS='-R e2e').
set -Eeuo pipefail
trap 'echo "sanitize: FAIL: status $? from line $LINENO: $BASH_COMMAND" >&2' ERR

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
JOBS=$(nproc)
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
FUZZ_TARGETS=(fuzz_xlat fuzz_icmp fuzz_config fuzz_privsep)
VG_NS=t64vg-$$
VG_PID=
WORK=

die() {
	echo "sanitize: FAIL: $*" >&2
	exit 1
}

step() {
	echo
	echo "=== sanitize: $* ==="
}

cleanup() {
	if [ -n "$VG_PID" ] && kill -0 "$VG_PID" 2>/dev/null; then
		kill -KILL "$VG_PID" 2>/dev/null || true
	fi
	ip netns del "$VG_NS" 2>/dev/null || true
	[ -z "$WORK" ] || rm -rf "$WORK"
}

# ---- 1. ASan + UBSan ----------------------------------------------------------

# Print every sanitizer report file under $1; fail if there is one.
check_sanitizer_logs() {
	local dir=$1 f found=0
	for f in "$dir"/*; do
		[ -e "$f" ] || continue
		found=1
		echo "----- sanitizer report $(basename "$f") -----"
		cat "$f"
	done
	[ "$found" -eq 0 ] || die "sanitizer reports above (from the tests or a program they ran)"
}

run_unit() {
	local logdir=$WORK/sanitizer-reports rc=0 ctest_args=()
	read -r -a ctest_args <<<"${CTEST_ARGS:-}"
	step "ASan + UBSan build in build-san/"
	cmake -S . -B build-san -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug \
		-DTUN64_SANITIZE=ON -DTUN64_WERROR=ON
	cmake --build build-san -j"$JOBS"

	step "ctest in build-san/ (unit and end-to-end, sanitized tun64d)"
	mkdir -p "$logdir"
	# Inherited by every program the tests start, tun64d included (ip netns
	# exec keeps the environment). log_path: reports land in files we check,
	# whatever the exit status of the program that wrote them.
	ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1:log_path=$logdir/asan" \
		UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$logdir/ubsan" \
		ctest --test-dir build-san --output-on-failure "${ctest_args[@]}" || rc=$?
	check_sanitizer_logs "$logdir"
	[ "$rc" -eq 0 ] || die "ctest in build-san failed (status $rc)"
}

# ---- 2. Fuzz smoke --------------------------------------------------------------

# Replay the committed reproducers of target $1: each must now pass.
replay_crashes() {
	local t=$1 dir=$ROOT/tests/fuzz/crashes/$1 files
	[ -d "$dir" ] || return 0
	files=("$dir"/*)
	[ -e "${files[0]}" ] || return 0
	echo "$t: replaying ${#files[@]} reproducer(s) from tests/fuzz/crashes/$t"
	if ! "build-fuzz/$t" -rss_limit_mb=2048 -timeout=10 "${files[@]}" >"$WORK/$t.replay.log" 2>&1; then
		tail -n 60 "$WORK/$t.replay.log"
		die "$t: a reproducer in tests/fuzz/crashes/$t still fails"
	fi
}

fuzz_one() {
	local t=$1 corpus=$WORK/corpus/$1 art=$ROOT/build-fuzz/findings/$1 log=$WORK/$1.log rc=0
	# Findings outlive the run (build-fuzz/findings/), the grown corpus not.
	rm -rf "$art"
	mkdir -p "$corpus" "$art"
	cp "$ROOT/tests/fuzz/corpus/$t"/* "$corpus/"
	replay_crashes "$t"
	"build-fuzz/$t" -max_total_time="$FUZZ_SECONDS" -rss_limit_mb=2048 -timeout=10 \
		-print_final_stats=1 -artifact_prefix="$art/" "$corpus" >"$log" 2>&1 || rc=$?
	if [ "$rc" -ne 0 ] || [ -n "$(ls -A "$art")" ]; then
		tail -n 80 "$log"
		ls -l "$art"
		for f in "$art"/*; do
			[ -e "$f" ] || continue
			echo "$t: finding $(basename "$f"): $(od -An -tx1 -v "$f" | tr -d '\n' | cut -c1-600)"
		done
		die "$t: libFuzzer found a problem (status $rc); reproduce with build-fuzz/$t build-fuzz/findings/$t/FILE"
	fi
	printf '%s: %s execs in %s s (%s/s), corpus %s -> %s inputs, no findings\n' "$t" \
		"$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")" "$FUZZ_SECONDS" \
		"$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")" \
		"$(find "$ROOT/tests/fuzz/corpus/$t" -type f | wc -l)" "$(find "$corpus" -type f | wc -l)"
}

run_fuzz() {
	local t
	step "libFuzzer build in build-fuzz/"
	cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug \
		-DCMAKE_C_FLAGS_DEBUG="-g -O1" -DTUN64_FUZZ=ON -DBUILD_TESTING=OFF -DTUN64_WERROR=ON
	# fuzz_fastpath (the BPF program against the core, BPF_PROG_TEST_RUN
	# under ASan too) exists when the fast path is built (TUN64_FASTPATH)
	# grep without -q: with -q it stops reading, cmake dies of SIGPIPE and
	# pipefail turns the match into a failure.
	if cmake --build build-fuzz --target help | grep -w fuzz_fastpath >/dev/null; then
		FUZZ_TARGETS+=(fuzz_fastpath)
	else
		echo "fuzz_fastpath: not built (no TUN64_FASTPATH): skipped"
	fi
	cmake --build build-fuzz -j"$JOBS" --target "${FUZZ_TARGETS[@]}"

	step "fuzz smoke: ${FUZZ_TARGETS[*]}, $FUZZ_SECONDS s each"
	for t in "${FUZZ_TARGETS[@]}"; do
		ASAN_OPTIONS="detect_leaks=1" UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1" \
			fuzz_one "$t"
	done
}

# ---- 3. valgrind ----------------------------------------------------------------

vg_ready() {
	grep -qE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]{12}Z tun64d: ready' "$WORK/vg-tun64d.log" 2>/dev/null
}

run_valgrind() {
	local conf=$WORK/vg.conf sock=$WORK/vg.sock i rc=0
	step "valgrind: tun64d start, traffic, stop in network namespace $VG_NS"
	cmake -S . -B build-valgrind -DCMAKE_BUILD_TYPE=Debug -DBUILD_TESTING=OFF -DTUN64_WERROR=ON
	cmake --build build-valgrind -j"$JOBS" --target tun64d tun64ctl

	ip netns add "$VG_NS"
	ip -n "$VG_NS" link set lo up
	# A source address for the pings into the translation prefix.
	ip -n "$VG_NS" -6 addr add 2001:db8:6::2/128 dev lo nodad
	cat >"$conf" <<EOF
# written by tests/sanitize.sh
prefix 2001:db8:64::/96
pool4 198.51.100.0/28
tun-device t64vg
workers 2
control-socket $sock
fast-path no
EOF
	# fast-path no: libbpf's bpf() calls pass unions that valgrind reads as
	# partly uninitialised (reports inside libbpf, not tun64's memory); the
	# program itself is checked by test_fastpath and the e2e tests.
	ip netns exec "$VG_NS" valgrind --error-exitcode=1 --leak-check=full \
		--show-leak-kinds=definite,possible --errors-for-leak-kinds=definite,possible \
		--log-file="$WORK/valgrind.log" build-valgrind/tun64d -c "$conf" \
		>"$WORK/vg-tun64d.log" 2>&1 &
	VG_PID=$!
	for ((i = 0; i < 600; i++)); do
		vg_ready && break
		kill -0 "$VG_PID" 2>/dev/null || break
		sleep 0.1
	done
	if ! vg_ready; then
		cat "$WORK/vg-tun64d.log" "$WORK/valgrind.log"
		die "tun64d under valgrind did not print 'tun64d: ready' within 60 s"
	fi
	# Through the translator to an IPv4 address that no route leads on to:
	# the replies do not matter, the translation path under valgrind does.
	ip netns exec "$VG_NS" ping -6 -n -c 3 -i 0.2 -W 1 2001:db8:64::cb00:7102 >/dev/null 2>&1 || true
	ip netns exec "$VG_NS" build-valgrind/tun64ctl -s "$sock" status ||
		die "tun64ctl status against tun64d under valgrind failed"
	kill -USR1 "$VG_PID"
	sleep 1
	kill -TERM "$VG_PID"
	for ((i = 0; i < 300; i++)); do
		kill -0 "$VG_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$VG_PID" 2>/dev/null && die "tun64d under valgrind still runs 30 s after SIGTERM"
	wait "$VG_PID" || rc=$?
	VG_PID=
	echo "----- tun64d log -----"
	cat "$WORK/vg-tun64d.log"
	grep -E 'ERROR SUMMARY|definitely lost|possibly lost|in use at exit' "$WORK/valgrind.log" || true
	if [ "$rc" -ne 0 ] || ! grep -q 'ERROR SUMMARY: 0 errors' "$WORK/valgrind.log"; then
		cat "$WORK/valgrind.log"
		die "valgrind: tun64d exit status $rc, or errors above"
	fi
	grep -q 'counter 6to4 translated' "$WORK/vg-tun64d.log" ||
		die "tun64d under valgrind logged no translated packets"
	echo "valgrind: tun64d clean (exit status 0, 0 errors)"
}

# ---- 4. ThreadSanitizer -------------------------------------------------------

TSAN_TESTS='^(test_nat64|test_synhold|e2e_stateful)$'

run_tsan() {
	local logdir=$WORK/tsan-reports rc=0
	step "ThreadSanitizer build in build-tsan/"
	cmake -S . -B build-tsan -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug \
		-DCMAKE_C_FLAGS_DEBUG="-g -O1" -DTUN64_TSAN=ON -DTUN64_WERROR=ON
	cmake --build build-tsan -j"$JOBS"

	step "ctest in build-tsan/: $TSAN_TESTS"
	mkdir -p "$logdir"
	# detect_deadlocks=0: nat64_reconfigure holds cfg_lock and all 64 stripe
	# locks (allow6), more than TSAN's deadlock detector tracks at once (64);
	# it aborts there. Data races are still detected; the lock order is
	# documented in translator/nat64/tables.h.
	TSAN_OPTIONS="halt_on_error=1:detect_deadlocks=0:second_deadlock_stack=1:suppressions=$ROOT/tests/tsan.supp:log_path=$logdir/tsan" \
		ctest --test-dir build-tsan --output-on-failure -R "$TSAN_TESTS" || rc=$?
	check_sanitizer_logs "$logdir"
	[ "$rc" -eq 0 ] || die "ctest in build-tsan failed (status $rc)"
}

main() {
	local steps=("$@") s start
	[ ${#steps[@]} -gt 0 ] || steps=(unit fuzz valgrind tsan)
	[ "$(id -u)" -eq 0 ] || die "run as root (network namespaces, tun devices)"
	bash tests/install-deps.sh sanitize
	WORK=$(mktemp -d /tmp/tun64-sanitize.XXXXXX)
	trap cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	for s in "${steps[@]}"; do
		start=$SECONDS
		case "$s" in
		unit) run_unit ;;
		fuzz) run_fuzz ;;
		valgrind) run_valgrind ;;
		tsan) run_tsan ;;
		*) die "unknown step '$s' (unit, fuzz, valgrind, tsan)" ;;
		esac
		echo "sanitize: step $s passed in $((SECONDS - start)) s"
	done
	echo "sanitize: all passed (${steps[*]}) in $SECONDS s"
}

main "$@"
