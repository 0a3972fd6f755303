"""The `pyro` command of the Python package: runs the native CLI shipped inside it.

The wheel installs the CLI as pyro/pyro-cli, next to `_core` and `guest/`, so it finds
the guest tools the same way the Python API does (relative to itself), wherever pip
put the scripts directory. The exec replaces this process: exit codes, signals and
stdin/stdout (the MCP server's channel) belong to the CLI alone.
"""

import os
import sys


def main() -> None:
    exe = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pyro-cli")
    if not os.access(exe, os.X_OK):
        sys.stderr.write(f"pyro: run the CLI: `{exe}` is missing from this installation\n")
        sys.exit(125)
    os.execv(exe, ["pyro", *sys.argv[1:]])
