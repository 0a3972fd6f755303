#!/usr/bin/env bash
# test.sh: the README's second command. Builds pyro if needed, then runs every
# test: ctest (unit, C++ and C integration on real VMs, packaging, leak check) and
# pytest (Python API and CLI on real VMs, parity with spec/operations.json).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/build.sh
export PYRO_HOME="${PYRO_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/pyro}"
ctest --test-dir build --output-on-failure
# VM tests skip when no boot set is installed; here one always is, so a skip is a failure.
PYRO_REQUIRE_VMS=1 PYTHONPATH="$PWD/build/python" PYRO_CLI="$PWD/build/tools/pyro/pyro" \
  python3 -m pytest tests/python
