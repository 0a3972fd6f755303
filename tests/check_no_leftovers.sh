#!/usr/bin/env bash
# Cleanup check run after every VM test: no QEMU process started from this
# PYRO_HOME survives, and no socket or run directory is left under it.
set -u
home="${PYRO_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/pyro}"
status=0
sleep 0.5
# Workspace VMMs are daemons by design; the tests delete every workspace they create,
# so none may still run from this home either.
procs=$(pgrep -af qemu-system | grep -F -e "$home/run/" -e "$home/workspaces/" || true)
if [ -n "$procs" ]; then
  echo "leftover QEMU processes:"; echo "$procs"; status=1
fi
if [ -d "$home/run" ]; then
  stale=$(find "$home/run" -mindepth 1 \( -type s -o -type d \) 2>/dev/null)
  if [ -n "$stale" ]; then
    echo "leftover run entries under $home/run:"; echo "$stale"; status=1
  fi
fi
[ $status -eq 0 ] && echo "no leftover VMs, sockets or run directories under $home"
exit $status
