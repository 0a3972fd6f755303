#!/usr/bin/env bash
# test_ray.sh: the Ray tier of scripts/test.sh (docs/scale-out.md). Installs Ray into
# its own venv, build/ray-venv (created once, reused), and runs tests/ray there on a
# real two-node local cluster, with the main build's module on PYTHONPATH. Needs a
# finished scripts/build.sh and a PYRO_HOME whose kernel package cache is filled (the
# nodes copy it, then prepare `busybox` themselves). Bounded: the install by pip's
# own timeouts, the tests by `timeout`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# The `ray` extra of pyproject.toml; tests/python/test_ray_extra.py keeps the two equal.
RAY_REQUIREMENT="ray>=2.9,<3"
venv=build/ray-venv
if ! "$venv/bin/python" -c "import ray, pytest" >/dev/null 2>&1; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --timeout 60 "$RAY_REQUIREMENT" "pytest>=7"
fi
export PYRO_HOME="${PYRO_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/pyro}"
PYRO_REQUIRE_RAY=1 PYTHONPATH="$PWD/build/python" RAY_USAGE_STATS_ENABLED=0 \
  timeout --kill-after=30 600 "$venv/bin/python" -m pytest -p no:cacheprovider tests/ray "$@"
