"""pyro on a Ray cluster: one-shot runs as tasks, workspaces as actors, no scheduler of
pyro's own (docs/scale-out.md). Needs Ray: `pip install 'pyro-sandbox[ray]'`.

    import ray, pyro.ray
    ray.init(address="auto")
    r = pyro.ray.run_in_vm("busybox", "uname -r")
    for r in pyro.ray.map_run([f"echo {i}" for i in range(1000)], "busybox", progress=True):
        print(r.index, r.exit_code, r.node)
    ws = pyro.ray.create_workspace("busybox")
    ws.exec_workspace("make test")

Each node advertises a `pyro_vm` resource (`python -m pyro.ray resources`), sized from
its own cores and memory, and prepares itself: environments are pulled into its own
`$PYRO_HOME` on first use.
"""

from pyro.ray.resources import RESOURCE, node_resources, vm_slots
from pyro.ray.runs import RunFailure, RunResult, map_run, results_by_index, run_in_vm, submit_run
from pyro.ray.workspaces import Workspace, WorkspaceLostError, create_workspace, find_workspace

__all__ = [
    "RESOURCE",
    "RunFailure",
    "RunResult",
    "Workspace",
    "WorkspaceLostError",
    "create_workspace",
    "find_workspace",
    "map_run",
    "node_resources",
    "results_by_index",
    "run_in_vm",
    "submit_run",
    "vm_slots",
]
