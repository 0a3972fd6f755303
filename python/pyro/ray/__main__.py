"""`python -m pyro.ray resources [--cpus N] [--mem-mib M]`: this node's `pyro_vm`
count as the JSON `ray start --resources` takes."""

import argparse
import json
import sys

from pyro.ray.resources import node_resources


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pyro.ray")
    sub = parser.add_subparsers(dest="command", required=True)
    res = sub.add_parser("resources", help="print this node's pyro_vm resource as JSON")
    res.add_argument("--cpus", type=int, default=None)
    res.add_argument("--mem-mib", type=int, default=None)
    res.add_argument("--vms-per-core", type=float, default=None)
    res.add_argument("--mib-per-vm", type=int, default=None)
    args = parser.parse_args(argv)
    sizing = {k: v for k, v in (("vms_per_core", args.vms_per_core), ("mib_per_vm", args.mib_per_vm))
              if v is not None}
    try:
        print(json.dumps(node_resources(args.cpus, args.mem_mib, **sizing)))
    except ValueError as error:
        print(f"pyro.ray: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
