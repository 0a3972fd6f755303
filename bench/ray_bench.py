#!/usr/bin/env python3
"""ray_bench.py: `run_in_vm` on a two-node local Ray cluster against pyro alone.

    PYTHONPATH=build/python build/ray-venv/bin/python bench/ray_bench.py --runs 200

Both sides run the same calls (`run_in_vm(ENV, "true")`) on the same host:
  * pyro alone: one process, one `pyro.Pyro`, a thread pool as wide as the cluster's
    `pyro_vm` total (`--slots` per node x 2 nodes), on `$PYRO_HOME`;
  * Ray: `pyro.ray.map_run` on a `ray.cluster_utils.Cluster` of two nodes, each with
    `--slots` pyro_vm and a home of its own (seeded with `$PYRO_HOME`'s kernel cache).
Each side is warmed up first (environment built, snapshot template made, Ray workers
started), then timed: the batch's wall time (throughput), and `--single` calls one at a
time (latency p50/p95; the Ray overhead per call is the difference of the medians).
Prints a table, or JSON with --json. Benchmarks measure; nothing here asserts.
"""

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Dict, List

import pyro


def pct(values: List[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def timed(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    call()
    return (time.perf_counter() - start) * 1000


def check(result: object) -> None:
    if getattr(result, "exit_code", None) != 0:
        raise SystemExit(f"ray_bench: a run failed: {result!r}")


def alone(args: argparse.Namespace, width: int) -> Dict[str, float]:
    with pyro.Pyro(auto_pull=True) as client:
        def one(_: int) -> None:
            check(client.run_in_vm(args.environment, "true"))

        with ThreadPoolExecutor(width) as pool:
            list(pool.map(one, range(2 * width)))  # warm-up
            start = time.perf_counter()
            list(pool.map(one, range(args.runs)))
            wall = time.perf_counter() - start
        single = [timed(lambda: one(0)) for _ in range(args.single)]
    return {"wall_s": wall, "runs_per_s": args.runs / wall, "p50_ms": statistics.median(single),
            "p95_ms": pct(single, 0.95)}


def on_ray(args: argparse.Namespace, homes: Dict[str, Path]) -> Dict[str, float]:
    import ray
    from ray.cluster_utils import Cluster

    import pyro.ray

    def node_args(name: str) -> dict:
        return {"num_cpus": 1, "resources": {pyro.ray.RESOURCE: args.slots}, "include_dashboard": False,
                "env_vars": {"PYRO_HOME": str(homes[name]), "PYRO_RAY_NODE_NAME": name}}

    cluster = Cluster(initialize_head=True, head_node_args=node_args("node-a"))
    try:
        cluster.add_node(**node_args("node-b"))
        cluster.wait_for_nodes()
        ray.init(address=cluster.address)
        commands = ["true"] * args.runs
        warm = list(pyro.ray.map_run(["true"] * (4 * args.slots), args.environment))  # prepares both nodes
        for r in warm:
            check(r)
        start = time.perf_counter()
        nodes: Dict[str, int] = {}
        for r in pyro.ray.map_run(commands, args.environment):
            check(r)
            nodes[r.node] = nodes.get(r.node, 0) + 1
        wall = time.perf_counter() - start
        single, on_node = [], []
        for _ in range(args.single):
            start = time.perf_counter()
            r = pyro.ray.run_in_vm(args.environment, "true")
            single.append((time.perf_counter() - start) * 1000)
            check(r)
            on_node.append(r.run_ms)
        noop = ray.remote(lambda: None).options(num_cpus=0)
        ray.get(noop.remote())
        noop_ms = [timed(lambda: ray.get(noop.remote())) for _ in range(args.single)]
    finally:
        ray.shutdown()
        cluster.shutdown()
    return {"wall_s": wall, "runs_per_s": args.runs / wall, "p50_ms": statistics.median(single),
            "p95_ms": pct(single, 0.95), "run_ms_on_node_p50": statistics.median(on_node),
            "ray_added_ms_p50": statistics.median(a - b for a, b in zip(single, on_node)),
            "noop_task_ms_p50": statistics.median(noop_ms), "runs_on_node_a": nodes.get("node-a", 0),
            "runs_on_node_b": nodes.get("node-b", 0)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--single", type=int, default=20, help="one-at-a-time calls for latency")
    parser.add_argument("--slots", type=int, default=2, help="pyro_vm per node")
    parser.add_argument("--environment", default="busybox")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with pyro.Pyro() as client:
        source = Path(client.home) / "cache" / "debs"
    root = Path(tempfile.mkdtemp(prefix="pyro-ray-bench-"))
    try:
        homes = {name: root / name for name in ("node-a", "node-b")}
        for home in homes.values():
            shutil.copytree(source, home / "cache" / "debs")
        results = {"alone": alone(args, 2 * args.slots), "ray": on_ray(args, homes)}
    finally:
        shutil.rmtree(root, ignore_errors=True)
    results["overhead_per_call_ms"] = {
        "latency_p50": results["ray"]["p50_ms"] - results["alone"]["p50_ms"],
        "batch": (results["ray"]["wall_s"] - results["alone"]["wall_s"]) * 1000 / args.runs}
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"{args.runs} x run_in_vm({args.environment!r}, 'true'); {args.slots} pyro_vm per node, "
          f"{2 * args.slots} threads for pyro alone")
    print("| side | batch wall s | runs/s | single p50 ms | single p95 ms |")
    print("| --- | --- | --- | --- | --- |")
    for side in ("alone", "ray"):
        r = results[side]
        print(f"| {side} | {r['wall_s']:.1f} | {r['runs_per_s']:.2f} | {r['p50_ms']:.0f} | {r['p95_ms']:.0f} |")
    print(f"runs per node: node-a {results['ray']['runs_on_node_a']}, node-b {results['ray']['runs_on_node_b']}")
    o = results["overhead_per_call_ms"]
    r = results["ray"]
    print(f"Ray overhead per call: {o['latency_p50']:.0f} ms (single-call p50 against pyro alone), "
          f"{o['batch']:.1f} ms (batch wall difference / runs)")
    print(f"single calls on Ray: run_in_vm on the node p50 {r['run_ms_on_node_p50']:.0f} ms, added by Ray "
          f"(latency - time on the node) p50 {r['ray_added_ms_p50']:.1f} ms; empty Ray task round trip "
          f"p50 {r['noop_task_ms_p50']:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
