#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan) in build-fuzz/ and runs
# each for a bounded time on the committed seed corpus.
#
#   fuzz/run.sh [seconds-per-target]     default 60; JOBS=n for the build (default 2)
#
# Exits non-zero when a target finds a crash, leak, timeout or out-of-memory
# (libFuzzer's exit status), printing the input it saved and how to replay it.
# New inputs go to a working corpus in build-fuzz/corpus/, never into the
# committed fuzz/corpus/, which is only read.
set -euo pipefail

seconds=${1:-60}
if ! [[ $seconds =~ ^[0-9]+$ ]] || ((seconds < 1)); then
  echo "usage: $0 [seconds-per-target]" >&2
  exit 64
fi

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$repo/build-fuzz
fuzz=$repo/fuzz

# target name, seed corpus directory, dictionary
targets=(
  "http_request_fuzz http http.dict"
  "config_fuzz config toml.dict"
)

# Clang 16 or later: older ones reject libstdc++ 12's std::ranges, which the
# product code uses. FUZZ_CXX=clang++-NN chooses one; the newest found otherwise.
cxx=
for candidate in ${FUZZ_CXX:-clang++-19 clang++-18 clang++-17 clang++-16 clang++}; do
  if command -v "$candidate" >/dev/null; then
    version=$("$candidate" -dumpversion 2>/dev/null || echo 0)
    if ((${version%%.*} >= 16)); then
      cxx=$candidate
      break
    fi
  fi
done
resource_dir=$([[ -n $cxx ]] && "$cxx" -print-resource-dir 2>/dev/null || true)
if [[ -z $cxx || ! -f $resource_dir/lib/linux/libclang_rt.fuzzer-x86_64.a ]]; then
  echo "fuzz/run.sh: no clang 16 or later with libFuzzer found (Debian: apt-get install" \
    "clang-16 libclang-rt-16-dev); not fuzzing" >&2
  exit 77 # "skipped", as CTest's SKIP_RETURN_CODE and automake take it
fi
cc=${cxx/clang++/clang}

echo "== configuring $build with $cxx"
mkdir -p "$build"
CC=$cc CXX=$cxx cmake -S "$repo" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCOMPTOIR_FUZZ=ON >"$build/configure.log" 2>&1 || {
  cat "$build/configure.log" >&2
  exit 1
}
echo "== building with -j${JOBS:-2}"
cmake --build "$build" -j"${JOBS:-2}" --target http_request_fuzz config_fuzz

# Leaks are findings. UBSan already halts on the first error (the targets'
# __ubsan_default_options); stated here too for a target built otherwise.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
# Stacks with function names and lines: the runtime does not find the
# symbolizer of another LLVM version by itself.
if [[ -z ${ASAN_SYMBOLIZER_PATH:-} ]]; then
  for candidate in "$(dirname "$(readlink -f "$(command -v "$cxx")")")/llvm-symbolizer" \
    "$(command -v llvm-symbolizer || true)"; do
    if [[ -x $candidate ]]; then
      export ASAN_SYMBOLIZER_PATH=$(readlink -f "$candidate")
      export UBSAN_SYMBOLIZER_PATH=$ASAN_SYMBOLIZER_PATH
      break
    fi
  done
fi

mkdir -p "$build/artifacts" "$build/logs"
failed=0
summaries=()
for entry in "${targets[@]}"; do
  read -r target seeds dict <<<"$entry"
  binary=$build/fuzz/$target
  work=$build/corpus/$target
  log=$build/logs/$target.log
  mkdir -p "$work"
  echo "== fuzzing $target for ${seconds}s (log: $log)"
  status=0
  # The first corpus directory takes the new inputs; the seeds are read only.
  "$binary" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
    -dict="$fuzz/$dict" -artifact_prefix="$build/artifacts/$target-" \
    -print_final_stats=1 "$work" "$fuzz/corpus/$seeds" >"$log" 2>&1 || status=$?

  # The last status line: "#123 DONE cov: 456 ft: 789 corp: 10/1Kb ...".
  last=$(grep -E '^#[0-9]+' "$log" | tail -n 1 || true)
  cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$last")
  ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$last")
  corp=$(sed -nE 's/.* corp: ([0-9]+\/[0-9A-Za-z]+).*/\1/p' <<<"$last")
  stat() { sed -nE "s/^stat::$1: *([0-9]+).*/\1/p" "$log" | tail -n 1; }
  execs=$(stat number_of_executed_units)
  rate=$(stat average_exec_per_sec)
  added=$(stat new_units_added)
  line="$target: ${execs:-?} execs (${rate:-?}/s), cov ${cov:-?}, ft ${ft:-?}, corpus ${corp:-?}, new units ${added:-?}"
  if ((status != 0)); then
    failed=1
    line+=" -- FAILED (exit $status)"
  fi
  echo "$line"
  summaries+=("$line")

  if ((status != 0)); then
    echo "---- $target: end of $log" >&2
    tail -n 60 "$log" >&2
    mapfile -t artifacts < <(sed -nE 's/.*Test unit written to (.*)$/\1/p' "$log")
    if ((${#artifacts[@]} == 0)); then
      echo "$target: no input saved (e.g. a leak found at exit): see $log" >&2
    fi
    for artifact in "${artifacts[@]}"; do
      echo "$target: finding saved as $artifact" >&2
      echo "  reproduce: ${build#"$repo"/}/fuzz/$target $artifact" >&2
    done
    if ((${#artifacts[@]} > 0)); then
      echo "  (from $repo; http_request_fuzz prints each request and answer with COMPTOIR_FUZZ_TRACE=1)" >&2
    fi
  fi
done

echo "== summary"
printf '%s\n' "${summaries[@]}"
exit "$failed"
