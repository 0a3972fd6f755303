#!/usr/bin/env bash
# test.sh: the README's second command. Builds pyro if needed, then runs every
# test: ctest (unit, C++ and C integration on real VMs, packaging, leak check) and
# pytest (Python API and CLI on real VMs, parity with spec/operations.json, pyro.ray
# on a two-node local Ray cluster in its own venv, the nested-KVM tier, the pip package
# installed into a fresh venv); then
# the same C/C++ tests built with clang under ASan+UBSan, and every fuzz target for
# PYRO_FUZZ_SECONDS (default 20) each, or `--fuzz-seconds N`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
fuzz_seconds="${PYRO_FUZZ_SECONDS:-20}"
while [ $# -gt 0 ]; do
  case "$1" in
    --fuzz-seconds) fuzz_seconds="$2"; shift 2 ;;
    --fuzz-seconds=*) fuzz_seconds="${1#*=}"; shift ;;
    *) echo "usage: scripts/test.sh [--fuzz-seconds N]" >&2; exit 64 ;;
  esac
done
# Cheap, before anything builds: tests wait on events, never on the clock, and
# lib/ folders include only their own layer and those below it.
python3 scripts/check_test_hygiene.py
python3 scripts/check_layers.py
scripts/build.sh -DPYRO_WERROR=ON
export PYRO_HOME="${PYRO_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/pyro}"
ctest --test-dir build --output-on-failure
# VM tests skip when no boot set is installed; here one always is, so a skip is a failure.
PYRO_REQUIRE_VMS=1 PYTHONPATH="$PWD/build/python" PYRO_CLI="$PWD/build/tools/pyro/pyro" \
  python3 -m pytest tests/python
# pyro.ray on a real two-node local Ray cluster (Ray installed into build/ray-venv).
scripts/test_ray.sh
# The KVM path, for real: pyro with --accelerator kvm inside a TCG guest whose CPU has
# AMD SVM (docs/testing-kvm.md). About 4-5 minutes; a missing `svm` flag fails.
PYTHONPATH="$PWD/build/python" python3 -m pytest tests/nested_kvm
# As a pip user gets it: an sdist installed into a fresh venv (about 5 minutes to build).
python3 -m pytest tests/packaging

# ASan+UBSan build (clang): unit, C++ and C integration tests (on the boot set the
# main build installed, and its guest agent) and the fuzz targets; any report fails.
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DPYRO_WERROR=ON \
  -DPYRO_SANITIZE=ON -DPYRO_BUILD_FUZZ=ON -DPYRO_BUILD_TESTS=ON -DPYRO_BUILD_PYTHON=OFF \
  -DPYRO_BUILD_BENCH=OFF -DPYRO_BUILD_GUEST=OFF -DPYRO_BUILD_EXAMPLES=OFF -DPYRO_INSTALL=OFF \
  -DPYRO_TEST_HOME="$PYRO_HOME" -DPYRO_TEST_AGENT_BINARY="$PWD/build/guest/pyro-agent" >/dev/null
cmake --build build-asan -j"$(nproc)"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  PYRO_GUEST_DIR="$PWD/build/guest" ctest --test-dir build-asan --output-on-failure
scripts/fuzz.sh "$fuzz_seconds"
