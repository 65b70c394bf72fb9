#!/usr/bin/env bash
# Builds the fuzz preset (clang, libFuzzer + AddressSanitizer + UBSan; see
# tests/fuzz/README.md) and runs every fuzz target for SECONDS each, then
# prints per target the runs executed and the crashes, timeouts and
# out-of-memory inputs found, and a summary. Exits non-zero when any target
# found one. Works from any folder.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]   default 60 s, all targets
#   scripts/fuzz.sh --smoke [TARGET...]                 10 s each (scripts/test.sh)
#
# The corpus each target grows is kept in build/fuzz/corpus/<target>/ (the
# next run starts from it); the seeds come from the build
# (build/fuzz/tests/fuzz/seeds/<target>/). Inputs that fail are saved as
# build/fuzz/crashes/<target>/{crash,timeout,oom,leak}-<sha1>; replay one with
#   build/fuzz/tests/fuzz/fuzz_<target> FILE
# Full logs: build/fuzz/logs/<target>.log. CMAKE_BUILD_PARALLEL_LEVEL limits
# the build's jobs.
set -euo pipefail

FG_TOOL="fuzz"
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$FG_REPO"

usage() {
  sed -n '2,20s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
}

seconds=60
targets=()
if (($#)) && [[ "$1" == "--smoke" ]]; then
  seconds=10
  shift
elif (($#)) && [[ "$1" =~ ^[0-9]+$ ]]; then
  seconds="$1"
  shift
fi
for arg in "$@"; do
  case "$arg" in
    -h | --help)
      usage
      exit 0
      ;;
    -*) fg_die "unknown option '$arg' (try --help)" ;;
    *) targets+=("$arg") ;;
  esac
done
((seconds > 0)) || fg_die "SECONDS_PER_TARGET must be positive"

BUILD="$FG_REPO/build/fuzz"
fg_say "configuring and building the fuzz preset"
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz

if ((${#targets[@]} == 0)); then
  # The list lives in tests/fuzz/CMakeLists.txt; the cache holds it.
  read -r -a targets <<<"$(sed -n 's/^FACEGENDER_FUZZ_TARGETS:INTERNAL=//p' "$BUILD/CMakeCache.txt" | tr ';' ' ')"
fi
((${#targets[@]} > 0)) || fg_die "no fuzz targets found in $BUILD/CMakeCache.txt"

# Parsers that take a path get their files here; removed at the end.
scratch_parent=/dev/shm
[[ -d "$scratch_parent" && -w "$scratch_parent" ]] || scratch_parent="${TMPDIR:-/tmp}"
FACEGENDER_FUZZ_SCRATCH="$(mktemp -d "$scratch_parent/facegender-fuzz.XXXXXX")"
export FACEGENDER_FUZZ_SCRATCH
# shellcheck disable=SC2064 # expand now
trap "rm -rf -- '$FACEGENDER_FUZZ_SCRATCH'" EXIT

# Sanitizer reports with symbolized stacks; UBSan stops at the first report
# (the build also says -fno-sanitize-recover=undefined).
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:symbolize=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

dictionary_of() {
  case "$1" in
    probe_image) echo image.dict ;;
    labels_csv) echo csv.dict ;;
    network) echo network.dict ;;
    pixels) echo "" ;;
    *) echo json.dict ;;
  esac
}

summary=()
failed=()
total_runs=0
for target in "${targets[@]}"; do
  binary="$BUILD/tests/fuzz/fuzz_$target"
  [[ -x "$binary" ]] || fg_die "no fuzz target '$target' ($binary)"
  corpus="$BUILD/corpus/$target"
  seeds="$BUILD/tests/fuzz/seeds/$target"
  crashes="$BUILD/crashes/$target"
  log="$BUILD/logs/$target.log"
  mkdir -p "$corpus" "$seeds" "$crashes" "$(dirname "$log")"
  stamp="$FACEGENDER_FUZZ_SCRATCH/started-$target"
  touch "$stamp"
  dict="$(dictionary_of "$target")"
  args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
    -artifact_prefix="$crashes/")
  [[ -n "$dict" ]] && args+=(-dict="$FG_REPO/tests/fuzz/dict/$dict")
  # Fork mode (one job at a time) goes on after a failing input, so one run
  # counts every crash it finds instead of stopping at the first.
  args+=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
  fg_say "fuzz_$target for ${seconds}s"
  status=0
  "$binary" "${args[@]}" "$corpus" "$seeds" >"$log" 2>&1 || status=$?
  # The parent's last progress line: "#RUNS: cov: ... oom/timeout/crash: O/T/C ...".
  last="$(grep -E '^#[0-9]+: cov:' "$log" | tail -n 1 || true)"
  runs="$(sed -n 's/^#\([0-9]*\):.*/\1/p' <<<"$last")"
  bad="$(sed -n 's/.*oom\/timeout\/crash: \([0-9]*\/[0-9]*\/[0-9]*\).*/\1/p' <<<"$last")"
  runs="${runs:-0}"
  IFS=/ read -r ooms timeouts crashes_found <<<"${bad:-0/0/0}"
  # Inputs saved this run (a seed that fails is saved but not counted in the
  # progress line): crash-, leak-, timeout-, oom- files newer than the start.
  saved() { find "$crashes" -type f -name "$1-*" -newer "$stamp" | wc -l; }
  crash_files=$(($(saved crash) + $(saved leak)))
  ((crash_files > crashes_found)) && crashes_found=$crash_files
  (($(saved timeout) > timeouts)) && timeouts=$(saved timeout)
  (($(saved oom) > ooms)) && ooms=$(saved oom)
  new_files="$(find "$crashes" -type f -newer "$stamp" | wc -l)"
  total_runs=$((total_runs + runs))
  line="$(printf '%-15s %10s runs  %s crashes  %s timeouts  %s ooms  (%s inputs saved in build/fuzz/crashes/%s/)' \
    "$target" "$runs" "$crashes_found" "$timeouts" "$ooms" "$new_files" "$target")"
  fg_say "$line"
  summary+=("$line")
  if ((crashes_found + timeouts + ooms > 0 || new_files > 0)); then
    failed+=("$target")
    grep -m 3 -E '^(SUMMARY|==[0-9]+==ERROR|.*runtime error:|terminate called|fuzz invariant broken)' "$log" |
      sed 's/^/    /' || true
  elif ((status != 0)) || [[ -z "$last" ]]; then
    # The fuzzer itself failed (bad option, a crash in a seed while loading).
    failed+=("$target")
    fg_say "fuzz_$target exited with $status without a final report; see ${log#"$FG_REPO/"}"
    tail -n 5 "$log" | sed 's/^/    /'
  fi
done

fg_say "summary (${seconds}s per target, $total_runs runs in all):"
for line in "${summary[@]}"; do
  printf '  %s\n' "$line"
done
if ((${#failed[@]})); then
  fg_say "FAILED: ${failed[*]} (inputs in build/fuzz/crashes/, logs in build/fuzz/logs/)"
  exit 1
fi
fg_say "no crashes"
