#!/usr/bin/env bash
# build.sh: everything the two README commands need before they run anything:
# dependencies (idempotent), the CMake build in ./build, and the `busybox` boot set
# in $PYRO_HOME (rebuilt only when its content hash changes). Arguments are passed
# to the CMake configure step (scripts/test.sh passes -DPYRO_WERROR=ON).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DPYRO_BUILD_PYTHON=ON -DPYRO_BUILD_TESTS=ON -DPYRO_BUILD_BENCH=ON "$@" >/dev/null
cmake --build build -j"$(nproc)"
guest/scripts/build-bootset.sh --agent build/guest/pyro-agent >/dev/null
