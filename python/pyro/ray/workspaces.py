"""Workspaces as Ray actors: one detached actor per workspace, on the node whose disk
holds it, named after the workspace id, so any driver of the cluster reaches it.

    ws = pyro.ray.create_workspace("busybox")
    ws.exec_workspace("echo hi")["stdout"]          # every workspace operation, by name
    again = pyro.ray.find_workspace(ws.workspace_id)  # from any driver

Results are the JSON forms of `pyro.Pyro.call` (dicts). When the node dies the actor
dies with it and every call raises `WorkspaceLostError` naming the node; the disk (and
a VM still running there) stays on that host, and once the node is back in the cluster
`find_workspace` finds the workspace there again and starts a new actor for it.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Callable, Dict, List, Optional, Tuple

import pyro
from pyro import _core
from pyro.ray import node
from pyro.ray._ray import NAMESPACE, ray
from pyro.ray.resources import RESOURCE

ACTOR_PREFIX = "pyro-workspace:"


class WorkspaceLostError(pyro.UnavailableError):
    """The node that held a workspace left the cluster (code `unavailable`)."""


@lru_cache(maxsize=1)
def workspace_operations() -> Dict[str, Tuple[str, ...]]:
    """Operation name -> its required parameters after `workspace`, for every operation
    of the table that acts on one workspace."""
    found = {}
    for op in _core.operation_table()["operations"]:
        params = op["params"]
        if params and params[0]["name"] == "workspace":
            found[op["name"]] = tuple(p["name"] for p in params[1:] if not p.get("optional"))
    return found


class _WorkspaceActor:
    """Lives on the workspace's node; forwards operations to that node's pyro."""

    def __init__(self, workspace_id: str) -> None:
        self._workspace_id = workspace_id

    def where(self) -> Dict[str, Any]:
        return node.identity()

    def call(self, operation: str, arguments: Dict[str, Any]) -> Dict[str, Any]:
        return node.client().call(operation, dict(arguments, workspace=self._workspace_id))


_actor_class = ray.remote(_WorkspaceActor)


def _create(environment: str, arguments: Dict[str, Any]) -> Dict[str, Any]:
    info = node.client().call("create_workspace", dict(arguments, environment=environment))
    return {"info": info, "where": node.identity()}


def _probe(workspace: str) -> Optional[Dict[str, Any]]:
    try:
        info = node.client().call("status_workspace", {"workspace": workspace})
    except pyro.NotFoundError:
        return None
    return {"info": info, "where": node.identity()}


_create_task = ray.remote(_create)
_probe_task = ray.remote(_probe)


def _pinned(node_id: str) -> Any:
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    return NodeAffinitySchedulingStrategy(node_id=node_id, soft=False)


def _start_actor(workspace_id: str, node_id: str) -> Any:
    return _actor_class.options(
        name=ACTOR_PREFIX + workspace_id, namespace=NAMESPACE, lifetime="detached",
        get_if_exists=True, num_cpus=0, resources={RESOURCE: 1}, max_restarts=0,
        max_concurrency=16, scheduling_strategy=_pinned(node_id)).remote(workspace_id)


class Workspace:
    """A handle on a workspace's actor; picklable, so it can be passed to other tasks.
    Every workspace operation of the table is a method (`ws.exec_workspace(command)`,
    `ws.read_workspace_file(path)`), taking the operation's required parameters after
    `workspace` positionally and the rest as keywords, and returning its JSON result."""

    def __init__(self, workspace_id: str, actor: Any, node_id: str, node_name: str) -> None:
        self.workspace_id = workspace_id
        self.node_id = node_id
        self.node = node_name
        self._actor = actor

    def __repr__(self) -> str:
        return f"Workspace({self.workspace_id!r}, node={self.node!r})"

    def call(self, operation: str, **arguments: Any) -> Dict[str, Any]:
        """One workspace operation by its table name, with its JSON arguments."""
        if operation not in workspace_operations():
            raise pyro.InvalidArgumentError(
                f"call `{operation}` on workspace `{self.workspace_id}`: not a workspace operation")
        try:
            return ray.get(self._actor.call.remote(operation, arguments))
        except ray.exceptions.RayTaskError as error:
            if isinstance(error.cause, pyro.Error):
                raise error.cause from None
            raise
        except ray.exceptions.RayActorError as error:
            raise self._lost(operation) from error

    def _lost(self, operation: str) -> WorkspaceLostError:
        return WorkspaceLostError(
            f"call `{operation}` on workspace `{self.workspace_id}`: workspace lost with node "
            f"`{self.node}` (ray node `{self.node_id}`); its disk is on that host, and "
            f"`find_workspace` finds it again once the node rejoins")

    def __getattr__(self, operation: str) -> Callable[..., Dict[str, Any]]:
        required = workspace_operations().get(operation)
        if required is None or operation.startswith("_"):
            raise AttributeError(operation)

        def method(*args: Any, **kwargs: Any) -> Dict[str, Any]:
            if len(args) > len(required):
                raise TypeError(f"{operation}() takes {len(required)} positional arguments")
            kwargs.update(zip(required, args))
            return self.call(operation, **kwargs)

        method.__name__ = operation
        return method

    def __dir__(self) -> List[str]:
        return sorted(set(super().__dir__()) | set(workspace_operations()))

    def delete(self) -> None:
        """`delete_workspace`, then ends the actor."""
        self.call("delete_workspace")
        ray.kill(self._actor)


def create_workspace(environment: str, *, node_id: Optional[str] = None,
                     **arguments: Any) -> Workspace:
    """`create_workspace` (same arguments) on `node_id`, or on any node with a free
    `pyro_vm`, then its actor there. Paths such as `seed_path` are on that node.
    Raises the pyro error of the creation."""
    options: Dict[str, Any] = {"num_cpus": 0, "resources": {RESOURCE: 1}, "max_retries": 0}
    if node_id is not None:
        options["scheduling_strategy"] = _pinned(node_id)
    try:
        created = ray.get(_create_task.options(**options).remote(environment, arguments))
    except ray.exceptions.RayTaskError as error:
        if isinstance(error.cause, pyro.Error):
            raise error.cause from None
        raise
    workspace_id = created["info"]["workspace_id"]
    where = created["where"]
    actor = _start_actor(workspace_id, where["node_id"])
    workspace = Workspace(workspace_id, actor, where["node_id"], where["node"])
    try:
        ray.get(actor.where.remote())
    except ray.exceptions.RayActorError as error:
        raise workspace._lost("create_workspace") from error
    return workspace


def find_workspace(workspace: str) -> Workspace:
    """The workspace `workspace` (id or name) from any driver: its live actor, else the
    alive node whose home holds it (asked one by one), where a new actor starts.
    Raises `pyro.NotFoundError` when no alive node has it."""
    try:
        actor = ray.get_actor(ACTOR_PREFIX + workspace, namespace=NAMESPACE)
        where = ray.get(actor.where.remote())
        return Workspace(workspace, actor, where["node_id"], where["node"])
    except (ValueError, ray.exceptions.RayActorError):
        pass  # no actor, or one whose node is gone: look on the nodes themselves
    for node_id in _alive_nodes():
        try:
            found = ray.get(_probe_task.options(num_cpus=0, max_retries=0,
                                                scheduling_strategy=_pinned(node_id)).remote(workspace))
        except ray.exceptions.RayError:
            continue  # that node left meanwhile
        if found is not None:
            workspace_id = found["info"]["workspace_id"]
            actor = _start_actor(workspace_id, node_id)
            where = ray.get(actor.where.remote())
            return Workspace(workspace_id, actor, where["node_id"], where["node"])
    raise pyro.NotFoundError(f"find workspace `{workspace}`: no alive node of the cluster has it")


def _alive_nodes() -> List[str]:
    return [n["NodeID"] for n in ray.nodes() if n.get("Alive")]
