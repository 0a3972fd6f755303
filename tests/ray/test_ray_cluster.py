"""pyro.ray on a real two-node Ray cluster on this machine (ray.cluster_utils.Cluster).

Each node has its own PYRO_HOME, seeded only with the kernel package cache of the main
home (so no network is needed) and prepared the way a real node is: its first VM pulls
(builds) `busybox` there. The tests check that runs land on both nodes, that a VM
failure is a result and a pyro error is raised, that a workspace actor is reached by id
from another process, then kill node B mid-batch: its runs are retried on A, its
workspace reports the loss, and once B rejoins the workspace is found again. Nothing
(QEMU, raylet, workspace) is left behind. Runs in the Ray venv of scripts/test_ray.sh.

The tests share one cluster and run in file order (the later ones build on the state of
the earlier ones).
"""

import os
import shutil
import signal
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Dict, Iterator, List

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "python"))
from conftest import leftover_qemu, pyro_home  # noqa: E402
from waiting import wait_until  # noqa: E402

ray = pytest.importorskip("ray") if os.environ.get("PYRO_REQUIRE_RAY") != "1" else __import__("ray")
import pyro  # noqa: E402
import pyro.ray  # noqa: E402
from ray.cluster_utils import Cluster  # noqa: E402

ENVIRONMENT = "busybox"
SLOTS = 2  # pyro_vm per node


class Nodes:
    """The cluster, its two homes and the Ray node of each name."""

    def __init__(self, cluster: Cluster, homes: Dict[str, Path]) -> None:
        self.cluster = cluster
        self.homes = homes
        self.b_node = None  # ray._private.node.Node of node-b
        self.workspace = None  # pyro.ray.Workspace on node-b

    def node_args(self, name: str) -> dict:
        return {"num_cpus": 1, "resources": {pyro.ray.RESOURCE: SLOTS},
                "include_dashboard": False,
                "env_vars": {"PYRO_HOME": str(self.homes[name]), "PYRO_RAY_NODE_NAME": name}}

    def add_b(self) -> None:
        self.b_node = self.cluster.add_node(**self.node_args("node-b"))
        self.cluster.wait_for_nodes()

    def node_id(self, name: str) -> str:
        alive = {n["NodeID"] for n in ray.nodes() if n.get("Alive")}
        node = self.cluster.head_node if name == "node-a" else self.b_node
        assert node.node_id in alive, f"{name} is not alive"
        return node.node_id


def seed_home(home: Path) -> None:
    """A node's home before its first use: only the download cache of the main home."""
    source = pyro_home() / "cache" / "debs"
    debs = sorted(source.glob("*.deb")) if source.is_dir() else []
    if not debs:
        pytest.fail(f"no kernel package cached in {source}: build the main home first (scripts/build.sh)")
    (home / "cache" / "debs").mkdir(parents=True)
    for deb in debs:
        shutil.copy2(deb, home / "cache" / "debs" / deb.name)


def started_vms(home: Path) -> set:
    """Ids of the run VMs of `home` whose QEMU has its console open (past its start)."""
    started = set()
    for line in leftover_qemu(home):
        pid = line.split(":", 1)[0]
        try:
            targets = [os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()]
        except OSError:
            continue  # exited meanwhile
        started |= {t[len(f"{home}/run/"):].split("/", 1)[0] for t in targets
                    if t.startswith(f"{home}/run/") and t.endswith("/console.out")}
    return started


def descendants(pid: int) -> List[int]:
    """Every process below `pid` (children first found by their parent in /proc)."""
    parent_of = {}
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                stat = (proc / "stat").read_text()
            except OSError:
                continue
            parent_of[int(proc.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = [], [pid]
    while frontier:
        children = [p for p, parent in parent_of.items() if parent in frontier]
        found += children
        frontier = children
    return found


def crash_node(cluster: Cluster, node: object) -> None:
    """Node B's host dies: its Ray workers are SIGKILLed at once (so a run in flight
    cannot answer), then the raylet and the rest of the node. The VMs are left to pyro,
    which reaps a VM whose embedding process died."""
    raylet = node.all_processes["raylet"][0].process.pid  # type: ignore[attr-defined]
    for pid in descendants(raylet):
        try:
            comm = Path(f"/proc/{pid}/comm").read_text().strip()
        except OSError:
            continue
        if not comm.startswith(("qemu", "pyro-jailer")):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    cluster.remove_node(node, allow_graceful=False)


def cluster_processes(session_dir: str, root: Path) -> List[str]:
    """Processes of the test's Ray session: its session directory on the command line
    (GCS, raylets, ...), or a node's PYRO_HOME under `root` in the environment (the
    raylets' workers, whose command line Ray rewrites)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or proc.name == str(os.getpid()):
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            environ = (proc / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if session_dir in cmdline or f"PYRO_HOME={root}/".encode() in b"\n".join(environ):
            found.append(f"{proc.name}: {cmdline[:200]}")
    return found


@pytest.fixture(scope="module")
def nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Nodes]:
    root = tmp_path_factory.mktemp("ray-homes")
    homes = {name: root / name for name in ("node-a", "node-b")}
    for home in homes.values():
        seed_home(home)
    probe = Nodes(None, homes)  # type: ignore[arg-type]
    cluster = Cluster(initialize_head=True, connect=False, head_node_args=probe.node_args("node-a"))
    session_dir = cluster.head_node.get_session_dir_path()
    state = Nodes(cluster, homes)
    try:
        state.add_b()
        ray.init(address=cluster.address)
        yield state
        # The leftover check below sees the session's processes while they run.
        seen = cluster_processes(session_dir, root)
        assert any("raylet" in p for p in seen) and any("ray::" in p for p in seen), seen
    finally:
        ray.shutdown()
        cluster.shutdown()
    qemu: List[str] = []

    def nothing_left() -> bool:
        nonlocal qemu
        qemu = [p for home in homes.values() for p in leftover_qemu(home, f"{home}/")]
        return not qemu and not cluster_processes(session_dir, root)

    left = {name: [p.name for p in (home / "workspaces").iterdir() if not p.name.startswith(".")]
            for name, home in homes.items() if (home / "workspaces").is_dir()}
    for name, ids in left.items():  # a failed test's workspace: remove it, then report it
        with pyro.Pyro(home=homes[name]) as client:
            for workspace_id in ids:
                client.delete_workspace(workspace_id)
    wait_until(nothing_left, 30, "no QEMU of either node's home and no process of the Ray session",
               interval=0.25, detail=lambda: qemu + cluster_processes(session_dir, root))
    assert not any(left.values()), f"workspaces left behind: {left}"


def test_runs_land_on_both_nodes_which_prepare_themselves(nodes: Nodes) -> None:
    commands = [f"echo run-{i}; cat /proc/sys/kernel/hostname >/dev/null" for i in range(8)]
    seen: List[tuple] = []
    results = list(pyro.ray.map_run(commands, ENVIRONMENT, timeout_seconds=60,
                                    progress=lambda done, total: seen.append((done, total))))
    assert sorted(r.index for r in results) == list(range(8))
    assert seen == [(i, 8) for i in range(1, 9)]
    for r in results:
        assert (r.exit_code, r.stdout) == (0, f"run-{r.index}\n"), r
    assert {r.node for r in results} == {"node-a", "node-b"}, [r.node for r in results]
    for name, home in nodes.homes.items():
        manifest = home / "environments" / ENVIRONMENT / "manifest.json"
        assert manifest.is_file(), f"{name} did not prepare `{ENVIRONMENT}` in its own home"
        assert any((home / "templates").iterdir()), f"{name} made no snapshot template"


def test_vm_failure_is_a_result_and_pyro_error_is_raised(nodes: Nodes) -> None:
    r = pyro.ray.run_in_vm(ENVIRONMENT, "echo out; echo err >&2; exit 3")
    assert (r.exit_code, r.stdout, r.stderr) == (3, "out\n", "err\n")
    with pytest.raises(pyro.NotFoundError) as raised:
        pyro.ray.run_in_vm("no-such-environment", "true")
    assert raised.value.code == "not_found"
    outcomes = list(pyro.ray.map_run(["exit 4"], "no-such-environment", errors="return"))
    assert len(outcomes) == 1 and isinstance(outcomes[0], pyro.ray.RunFailure)
    assert isinstance(outcomes[0].error, pyro.NotFoundError)


@ray.remote(num_cpus=0)
def read_from_elsewhere(workspace_id: str, path: str) -> Dict[str, object]:
    """Another process of the cluster (on node-a) reaching the workspace by id."""
    import pyro.ray as pr

    ws = pr.find_workspace(workspace_id)
    return {"content": ws.read_workspace_file(path)["content"], "node": ws.node,
            "here": ray.get_runtime_context().get_node_id()}


@ray.remote(num_cpus=0)
def exec_through_handle(ws: "pyro.ray.Workspace", command: str) -> str:
    """A task given the `Workspace` handle itself (it pickles)."""
    return ws.exec_workspace(command)["stdout"]


def test_workspace_actor_on_its_node_reached_by_id(nodes: Nodes) -> None:
    ws = pyro.ray.create_workspace(ENVIRONMENT, node_id=nodes.node_id("node-b"), name="notes-b")
    nodes.workspace = ws
    assert ws.node == "node-b"
    assert (nodes.homes["node-b"] / "workspaces" / ws.workspace_id).is_dir()
    ws.write_workspace_file("notes/a.txt", text="kept on node-b\n")
    assert ws.exec_workspace("cat notes/a.txt")["stdout"] == "kept on node-b\n"
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    there = ray.get(read_from_elsewhere.options(scheduling_strategy=NodeAffinitySchedulingStrategy(
        nodes.node_id("node-a"), soft=False)).remote(ws.workspace_id, "notes/a.txt"))
    assert there == {"content": "kept on node-b\n", "node": "node-b", "here": nodes.node_id("node-a")}
    assert ray.get(exec_through_handle.remote(ws, "cat notes/a.txt")) == "kept on node-b\n"
    with pytest.raises(pyro.InvalidArgumentError):
        ws.call("run_in_vm", command="true")


def test_killing_a_node_mid_batch_retries_its_runs_and_loses_its_workspace(nodes: Nodes) -> None:
    home_b = nodes.homes["node-b"]
    # Guest workload: each run stays in flight long enough for node-b to die under it.
    # node-b's workspace actor holds one of its two pyro_vm, so it runs one of these
    # at a time; node-a runs two, and the fourth waits for a free slot.
    commands = [f"sleep 6; echo lost-{i}" for i in range(4)]
    batch = pyro.ray.map_run(commands, ENVIRONMENT, timeout_seconds=120)
    with ThreadPoolExecutor(1) as pool:
        consumed = pool.submit(list, batch)
        # Kill once node-b's run has its QEMU up (console open), so the kill lands in
        # the run's guest command, not in the middle of pyro starting a VM.
        in_flight = wait_until(lambda: started_vms(home_b), 120, "a run of the batch started on node-b",
                               interval=0.1)
        crash_node(nodes.cluster, nodes.b_node)
        results = consumed.result(timeout=300)
    assert sorted(r.index for r in results) == list(range(len(commands)))
    for r in results:
        assert (r.exit_code, r.stdout) == (0, f"lost-{r.index}\n"), r
    # Every command answered, but not by the VM that was running on node-b: that run
    # was lost with it and answered by a retry on node-a.
    assert in_flight.isdisjoint(r.vm_id for r in results), (in_flight, [r.vm_id for r in results])
    assert all(r.node == "node-a" for r in results), [r.node for r in results]
    # The ephemeral VMs of node-b's runs died with their worker.
    wait_until(lambda: not leftover_qemu(home_b), 30, "node-b's run VMs to be reaped",
               detail=lambda: leftover_qemu(home_b))
    # The workspace's VM is a daemon, not a child of the dead worker: it still runs.
    assert leftover_qemu(home_b, f"{home_b}/workspaces/{nodes.workspace.workspace_id}/")
    with pytest.raises(pyro.ray.WorkspaceLostError) as lost:
        nodes.workspace.exec_workspace("true")
    assert "node-b" in str(lost.value) and lost.value.code == "unavailable"
    with pytest.raises(pyro.NotFoundError):
        pyro.ray.find_workspace(nodes.workspace.workspace_id)


def test_a_returning_node_finds_its_workspace_again(nodes: Nodes) -> None:
    workspace_id = nodes.workspace.workspace_id
    nodes.add_b()
    ws = pyro.ray.find_workspace("notes-b")  # by name; its actor is named after the id
    assert (ws.workspace_id, ws.node, ws.node_id) == (workspace_id, "node-b", nodes.node_id("node-b"))
    assert pyro.ray.find_workspace(workspace_id).node_id == ws.node_id
    assert ws.read_workspace_file("notes/a.txt")["content"] == "kept on node-b\n"
    assert ws.status_workspace()["state"] == "running"
    ws.delete()
    with pytest.raises(pyro.NotFoundError):
        pyro.ray.find_workspace(workspace_id)
