#!/usr/bin/env bash
# demo.sh: the README's first command. Builds pyro if needed, then boots a real
# microVM and runs one command in it through the CLI.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/build.sh
exec build/tools/pyro/pyro run busybox -- 'echo "hello from $(hostname), kernel $(uname -r)"; cat /proc/cpuinfo | grep -m1 "model name"'
