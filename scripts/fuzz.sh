#!/usr/bin/env bash
# fuzz.sh [SECONDS] [TARGET...]: runs each libFuzzer target of build-asan (all by
# default) for SECONDS (default $PYRO_FUZZ_SECONDS, else 20) over a temporary copy of
# its seed corpus tests/fuzz/<target>/, so new inputs never land in the repository.
# A crash leaves its input in build-asan/fuzz-artifacts/ and fails the script; turn
# it into a fix, a unit test and a file in the corpus (docs/contributing.md).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
seconds="${1:-${PYRO_FUZZ_SECONDS:-20}}"
shift || true
targets=("$@")
if [ "${#targets[@]}" -eq 0 ]; then
  mapfile -t targets < <(cd tests/fuzz && ls -d fuzz_*/ | tr -d /)
fi
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
artifacts="$PWD/build-asan/fuzz-artifacts"
mkdir -p "$artifacts"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for target in "${targets[@]}"; do
  cp -r "tests/fuzz/$target" "$work/$target"
  printf 'fuzz: %s for %ss\n' "$target" "$seconds" >&2
  # -rss_limit_mb: the frame decoder legitimately buffers 4 MiB frames.
  "build-asan/tests/fuzz/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 \
    -print_final_stats=1 -artifact_prefix="$artifacts/$target-" "$work/$target" 2>"$work/$target.log" \
    || { tail -n 60 "$work/$target.log" >&2; exit 1; }
  grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' "$work/$target.log" \
    | sed "s/^/fuzz: $target: /" >&2
done
