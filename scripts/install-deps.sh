#!/bin/bash
# install-deps.sh: install everything pyro needs to build, test and boot VMs, on
# Debian 12 (bookworm). Idempotent and non-interactive; quick when nothing is missing.
# Runs apt as root, through sudo when not root.
set -euo pipefail
export LC_ALL=C DEBIAN_FRONTEND=noninteractive

readonly APT_PACKAGES=(
  build-essential cmake ninja-build pkg-config
  libfmt-dev nlohmann-json3-dev libboost-dev libarchive-dev doctest-dev
  pybind11-dev python3-dev python3-venv
  clang libclang-rt-14-dev
  qemu-system-x86 qemu-utils
  busybox-static e2fsprogs mmdebstrap cpio lz4 socat kmod file
)
# Python modules as module[=distribution]; without `=`, the distribution is the
# module name with `_` as `-`. The clients (mcp, openai, langchain, pydantic-ai)
# are what the integration tests drive pyro with.
readonly PIP_MODULES=(scikit_build_core pytest jsonschema mcp openai langchain_core pydantic_ai=pydantic-ai-slim)
APT_EXTRA=()

log() { printf 'install-deps: %s\n' "$*" >&2; }
die() { printf 'install-deps: error: %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo DEBIAN_FRONTEND=noninteractive "$@"
  else die "run \`$*\`: not root and no sudo"
  fi
}

command -v dpkg-query >/dev/null || die "find \`dpkg-query\`: this script needs Debian or a derivative"

# A package counts as present only when fully installed ("install ok installed").
# One dpkg-query call for all of them keeps the no-op case fast.
missing_packages() {
  local installed
  installed=$(dpkg-query -W -f='${Package} ${Status}\n' "$@" 2>/dev/null \
    | awk '$2" "$3" "$4 == "install ok installed" { sub(/:.*/, "", $1); print $1 }' || true)
  local pkg
  for pkg in "$@"; do
    grep -qxF "$pkg" <<< "$installed" || printf '%s\n' "$pkg"
  done
}

command -v python3 >/dev/null || APT_EXTRA=(python3)
# The npm MCP client check needs node and npm; a node installed another way (its own
# npm included) is left alone, as Debian's npm conflicts with it.
command -v npm >/dev/null || APT_EXTRA+=(nodejs npm)
mapfile -t missing < <(missing_packages "${APT_PACKAGES[@]}" "${APT_EXTRA[@]}")

# Python packages: one interpreter start for all the checks.
pip_missing=()
if command -v python3 >/dev/null; then
  mapfile -t pip_missing < <(python3 - "${PIP_MODULES[@]}" <<'PY'
import importlib.util, sys
for spec in sys.argv[1:]:
    mod, _, dist = spec.partition("=")
    if importlib.util.find_spec(mod) is None:
        print(dist or mod.replace("_", "-"))
PY
)
fi
# pip itself is needed only when something is missing; Debian's python3 has it
# only with python3-pip.
if [ "${#pip_missing[@]}" -gt 0 ] || ! command -v python3 >/dev/null; then
  python3 -m pip --version >/dev/null 2>&1 || missing+=(python3-pip)
fi

if [ "${#missing[@]}" -gt 0 ]; then
  log "installing: ${missing[*]}"
  # Update only when the lists cannot provide a missing package (e.g. a fresh image
  # with empty lists); a stale-but-working cache installs fine and saves time.
  if ! apt-cache show --no-all-versions "${missing[@]}" >/dev/null 2>&1; then
    log "apt-get update"
    as_root apt-get update -q
  fi
  as_root apt-get install -y -q --no-install-recommends "${missing[@]}" \
    || { log "install failed; retrying after apt-get update"
         as_root apt-get update -q
         as_root apt-get install -y -q --no-install-recommends "${missing[@]}"; }
else
  log "apt packages: all present"
fi

if [ "${#pip_missing[@]}" -eq 0 ] && [ "${APT_EXTRA:-}" ]; then
  # python3 was just installed: check again.
  for spec in "${PIP_MODULES[@]}"; do
    mod=${spec%%=*} dist=${spec#*=}
    [ "$dist" != "$spec" ] || dist=${mod//_/-}
    python3 -c "import $mod" >/dev/null 2>&1 || pip_missing+=("$dist")
  done
fi
if [ "${#pip_missing[@]}" -gt 0 ]; then
  log "pip installing: ${pip_missing[*]}"
  # Debian's own python3 is "externally managed" (PEP 668); these are build/test
  # tools, so installing them next to the system packages is what we want.
  export PIP_ROOT_USER_ACTION=ignore PIP_DISABLE_PIP_VERSION_CHECK=1
  pip_args=(install -q)
  py_stdlib=$(python3 -c 'import sysconfig; print(sysconfig.get_path("stdlib"))')
  [ ! -f "$py_stdlib/EXTERNALLY-MANAGED" ] || pip_args+=(--break-system-packages)
  if [ -w "$(python3 -c 'import sysconfig; print(sysconfig.get_path("purelib"))')" ]; then
    python3 -m pip "${pip_args[@]}" "${pip_missing[@]}"
  else
    as_root python3 -m pip "${pip_args[@]}" "${pip_missing[@]}"
  fi
else
  log "python packages: all present"
fi
log "done"
