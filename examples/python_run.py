"""Run one command in a fresh VM: the smallest pyro program.

    PYTHONPATH=<build>/python python3 examples/python_run.py [environment]

run_in_vm boots a VM, runs the command with /bin/sh -c, deletes the VM and returns
the result. A non-zero exit is a result, not an exception; only pyro's own
failures (no such environment, VM did not boot) raise pyro.Error.
"""

import sys

import pyro


def main() -> int:
    environment = sys.argv[1] if len(sys.argv) > 1 else "busybox"
    with pyro.Pyro() as client:
        result = client.run_in_vm(environment, "echo hello from pyro; uname -r; exit 3",
                                  timeout_seconds=30)
    print(f"exit code {result.exit_code} after {result.duration_ms} ms in {result.vm_id}")
    print(result.stdout, end="")
    if result.exit_code != 3:
        print(f"unexpected exit code {result.exit_code}: {result.stderr}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
