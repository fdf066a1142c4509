#!/usr/bin/env bash
# Builds the libFuzzer targets in Fuzz/ (address sanitizer on) and runs each for SECONDS
# (default 10). Exits non-zero on any crash, sanitizer report, timeout (10 s for one input)
# or memory blow-up (2 GiB); the input that did it is kept in .build-fuzz/artifacts/.
# Seeds come from Fuzz/corpus/TARGET; what the fuzzer learns goes to .build-fuzz/corpus/TARGET
# (kept between runs, never committed). Usage: scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-10}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(csv arff npy idx pipeline archive detector xgboost job)
scratch="$PWD/.build-fuzz"

(cd Fuzz && swift build --scratch-path "$scratch" -Xswiftc -sanitize=fuzzer,address 2>&1 | grep -v "Cannot export local symbol" | tail -3)
mkdir -p "$scratch/artifacts"
status=0
for target in "${targets[@]}"; do
  mkdir -p "$scratch/corpus/$target"
  log="$scratch/fuzz-$target.log"
  if FUZZ_TARGET="$target" ASAN_OPTIONS=detect_leaks=0 "$scratch/debug/anomsynth-fuzz" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
       -artifact_prefix="$scratch/artifacts/$target-" -print_final_stats=1 \
       "$scratch/corpus/$target" "Fuzz/corpus/$target" > "$log" 2>&1; then
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 || true)
    echo "fuzz $target: ${seconds}s, $runs inputs, $cov, no findings"
  else
    echo "fuzz $target: FOUND A PROBLEM (log: $log, input: $scratch/artifacts/$target-*)"
    grep -E "ERROR|SUMMARY|Fatal error|deadly signal|timeout|out-of-memory" "$log" | head -5
    status=1
  fi
done
exit $status
