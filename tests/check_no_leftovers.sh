#!/usr/bin/env bash
# Cleanup check run after every VM test: no QEMU process started from this
# PYRO_HOME survives, and no socket or run directory is left under it.
# A VMM that is being reaped may take a moment: poll for up to 10 s, no fixed pause.
set -u
home="${PYRO_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/pyro}"

leftovers() {
  local procs stale out=""
  # Workspace VMMs are daemons by design; the tests delete every workspace they create,
  # so none may still run from this home either.
  procs=$(pgrep -af qemu-system | grep -F -e "$home/run/" -e "$home/workspaces/" || true)
  [ -n "$procs" ] && out+="leftover QEMU processes:"$'\n'"$procs"$'\n'
  if [ -d "$home/run" ]; then
    stale=$(find "$home/run" -mindepth 1 \( -type s -o -type d \) 2>/dev/null)
    [ -n "$stale" ] && out+="leftover run entries under $home/run:"$'\n'"$stale"$'\n'
  fi
  printf '%s' "$out"
}

deadline=$((SECONDS + 10))
while found=$(leftovers); [ -n "$found" ] && [ "$SECONDS" -lt "$deadline" ]; do
  sleep 0.2  # the polling interval
done
if [ -n "$found" ]; then
  printf '%s' "$found"
  exit 1
fi
echo "no leftover VMs, sockets or run directories under $home"
