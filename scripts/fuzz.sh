#!/usr/bin/env bash
# Build and run tern's libFuzzer harnesses (tests/fuzz/README.md).
#
#   scripts/fuzz.sh [--test] SECONDS [NAME...]
#
# Builds build-fuzz/ with clang (-fsanitize=fuzzer,address,undefined),
# replays every regression input and seed (ctest in build-fuzz), then runs
# each harness (all of them, or the NAMEs given) for SECONDS with
# -max_total_time, FUZZ_JOBS at a time (default: the number of CPUs), and
# prints one line per harness: executions, coverage, result.
#   --test  a fresh scratch corpus per run (make test); otherwise the working
#           corpus in build-fuzz/corpus/NAME grows from run to run (make fuzz)
# A crash leaves its input in build-fuzz/artifacts/NAME/ and fails the run.
# Without clang or libFuzzer it prints a SKIPPED line and succeeds.
set -uo pipefail
cd "$(dirname "$0")/.."

mode=fuzz
if [ "${1:-}" = "--test" ]; then
	mode=test
	shift
fi
secs=${1:?usage: scripts/fuzz.sh [--test] SECONDS [NAME...]}
shift
all=(ip4 icmp udp tcp stack tcpseg api smpp)
names=("$@")
[ ${#names[@]} -gt 0 ] || names=("${all[@]}")
jobs=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 2)}
cc=${FUZZ_CC:-clang}
B=build-fuzz

# ---- clang with libFuzzer? -------------------------------------------------
mkdir -p "$B"
probe_src="$B/probe.c"
echo 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }' >"$probe_src"
if ! command -v "$cc" >/dev/null 2>&1 ||
	! "$cc" -fsanitize=fuzzer,address,undefined "$probe_src" -o "$B/probe" >/dev/null 2>&1; then
	echo "SKIPPED: fuzz harnesses ($cc with libFuzzer not found; scripts/deps.sh installs clang and libclang-rt-dev)"
	exit 0
fi

# ---- build ---------------------------------------------------------------------
if [ ! -f "$B/CMakeCache.txt" ]; then
	CC="$cc" cmake -S . -B "$B" -DTERN_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null || exit 1
fi
echo "building the fuzz harnesses with $cc (log: $B/build.log)"
cmake --build "$B" -j "$jobs" >"$B/build.log" 2>&1 || { cat "$B/build.log"; exit 1; }

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
failed=0

# ---- the regression inputs and seeds, once each ----------------------------------
echo "== fuzz: regression inputs and seed corpora, replayed once each =="
if ! (cd "$B" && ctest --output-on-failure -j "$jobs"); then
	failed=1
fi

# ---- fuzzing ---------------------------------------------------------------------
echo "== fuzz: ${#names[@]} harnesses, ${secs} s each, $jobs at a time (ASan + UBSan) =="
mkdir -p "$B/logs"

run_one() { # name
	local n=$1 corpus
	if [ "$mode" = test ]; then
		corpus="$B/run/$n"
		rm -rf "$corpus"
	else
		corpus="$B/corpus/$n"
	fi
	mkdir -p "$corpus" "$B/artifacts/$n"
	local dirs=("$corpus" "tests/fuzz/corpus/$n")
	[ -d "tests/fuzz/regress/$n" ] && dirs+=("tests/fuzz/regress/$n")
	"./$B/fuzz_$n" -max_total_time="$secs" -timeout=25 -rss_limit_mb=2560 \
		-max_len=4096 -print_final_stats=1 -artifact_prefix="$B/artifacts/$n/" \
		"${dirs[@]}" >"$B/logs/$n.log" 2>&1
	echo $? >"$B/logs/$n.rc"
}

running=0
for n in "${names[@]}"; do
	if [ ! -x "$B/fuzz_$n" ]; then
		echo "no harness fuzz_$n (have: ${all[*]})"
		exit 2
	fi
	rm -f "$B/logs/$n.rc"
	run_one "$n" &
	running=$((running + 1))
	if [ "$running" -ge "$jobs" ]; then
		wait -n
		running=$((running - 1))
	fi
done
wait

for n in "${names[@]}"; do
	log="$B/logs/$n.log"
	rc=$(cat "$B/logs/$n.rc" 2>/dev/null || echo 1)
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	[ -n "$execs" ] || execs=$(grep -o '^#[0-9]*' "$log" | tail -1 | tr -d '#')
	covline=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -1)
	cov=$(echo "$covline" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
	ft=$(echo "$covline" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
	corp=$(echo "$covline" | sed -n 's/.* corp: \([0-9]*\).*/\1/p')
	if [ "$rc" = 0 ]; then
		result=ok
	else
		result="FAILED (exit $rc)"
		failed=1
	fi
	printf 'fuzz_%-7s %-8s %10s execs in %s s  cov: %-5s ft: %-6s corpus: %s\n' \
		"$n" "$result" "${execs:-?}" "$secs" "${cov:-?}" "${ft:-?}" "${corp:-?}"
	if [ "$rc" != 0 ]; then
		grep -E 'ERROR|runtime error|invariant failed|SUMMARY|#[0-9]+ 0x|Test unit written' "$log" | head -40 | sed 's/^/    /'
		art=$(sed -n "s/.*Test unit written to \(.*\)$/\1/p" "$log" | tail -1)
		if [ -n "$art" ]; then
			echo "    reproduce: $B/fuzz_$n $art"
			echo "    keep it as a regression: cp $art tests/fuzz/regress/$n/  (full log: $log)"
		fi
	fi
done
[ "$failed" = 0 ] && echo "fuzz: all harnesses passed" || echo "fuzz: FAILED"
exit "$failed"
