"""The operation table (spec/operations.json) as Python values, and the tool profiles.

The table is the same one the C++ core, the CLI and the MCP server are checked
against, so a tool offered here has the name, parameters and limits the MCP server
gives it. It is found, in order: through `pyro._core.operations_json()` when the
extension embeds it; as `operations.json` next to this file (copied there by the
build and the wheel); as `spec/operations.json` in a source checkout above this file.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

#: The profiles of `pyro mcp serve --profile`, narrowest first.
PROFILES: Tuple[str, ...] = ("vm-run", "workspace-core", "workspace-full")

# workspace-core: enough to create a sandbox, work in it and hand the result back,
# without snapshots, disk inspection or lifecycle fiddling (as tools/pyro/mcp/tool_table.cpp).
_WORKSPACE_CORE = frozenset({
    "run_in_vm", "list_environments", "create_workspace", "list_workspaces",
    "status_workspace", "delete_workspace", "exec_workspace", "push_workspace_sync",
    "list_workspace_files", "read_workspace_file", "write_workspace_file",
    "apply_workspace_patch", "diff_workspace", "export_workspace", "reset_workspace",
})


@dataclass(frozen=True)
class Param:
    name: str
    # "string", "integer", "number", "boolean", "object" (string -> string map) or
    # "json" (any JSON value, described by `schema`)
    type: str
    optional: bool = False
    default: Any = None
    minimum: Optional[float] = None
    maximum: Optional[float] = None
    doc: str = ""
    enum: Optional[Tuple[Any, ...]] = None  # the allowed values, when the table lists them
    schema: Optional[Dict[str, Any]] = field(default=None, hash=False, compare=False)  # type "json"


@dataclass(frozen=True)
class Operation:
    name: str  # the pyro.Pyro method, e.g. "run_in_vm"
    tool: str  # the tool name, e.g. "vm_run" (the table's `mcp`, else `name`)
    since: str
    summary: str
    result: str  # e.g. "ExecResult", "list[WorkspaceInfo]", "none"
    errors: Tuple[str, ...] = ()
    annotations: Dict[str, bool] = field(default_factory=dict)
    params: Tuple[Param, ...] = ()


def _table_text() -> str:
    try:
        from pyro import _core

        embedded = getattr(_core, "operations_json", None)
        if callable(embedded):
            return embedded()
    except ImportError:
        pass  # a source checkout without the built extension: the file still works
    here = Path(__file__).resolve().parent
    candidates = [here / "operations.json"]
    candidates += [parent / "spec" / "operations.json" for parent in here.parents]
    override = os.environ.get("PYRO_OPERATIONS_JSON")
    if override:
        candidates.insert(0, Path(override))
    for path in candidates:
        if path.is_file():
            return path.read_text(encoding="utf-8")
    raise FileNotFoundError(
        "load the operation table: no `operations.json` next to "
        f"{here} and no spec/operations.json above it (set PYRO_OPERATIONS_JSON)")


def _param(p: Dict[str, Any]) -> Param:
    return Param(name=p["name"], type=p["type"], optional=bool(p.get("optional", False)),
                 default=p.get("default"), minimum=p.get("minimum"), maximum=p.get("maximum"),
                 doc=p.get("doc", ""),
                 enum=tuple(p["enum"]) if "enum" in p else None, schema=p.get("schema"))


@lru_cache(maxsize=1)
def operations() -> Tuple[Operation, ...]:
    """Every operation of the table, in table order."""
    table = json.loads(_table_text())
    ops = []
    for op in table["operations"]:
        mcp = op.get("mcp")
        ops.append(Operation(
            name=op["name"], tool=mcp if isinstance(mcp, str) else op["name"],
            since=op.get("since", ""), summary=op.get("summary", ""),
            result=op.get("result", "none"), errors=tuple(op.get("errors", ())),
            annotations=dict(op.get("annotations", {})),
            params=tuple(_param(p) for p in op.get("params", ()))))
    return tuple(ops)


def _since(op: Operation) -> Tuple[int, int]:
    try:
        major, minor = op.since.split(".")[:2]
        return int(major), int(minor)
    except ValueError:
        return (-1, -1)  # malformed: never offered by accident


def _is_environment_operation(name: str) -> bool:
    return name.endswith("_environment") or name.endswith("_environments")


def _in_profile(op: Operation, profile: str) -> bool:
    if profile == "vm-run":
        return op.name == "run_in_vm"
    if profile == "workspace-core":
        return op.name in _WORKSPACE_CORE
    # workspace-full: VM lifecycle ops and doctor stay out, since a VM belongs to one
    # client object the model cannot see; everything from 0.3 on is in.
    return op.name == "run_in_vm" or _is_environment_operation(op.name) or _since(op) >= (0, 3)


def tools_for_profile(profile: str = "vm-run") -> List[Operation]:
    """The operations a profile offers, in table order. Raises ValueError on an unknown profile."""
    if profile not in PROFILES:
        raise ValueError(f"unknown tool profile `{profile}`: expected one of {', '.join(PROFILES)}")
    return [op for op in operations() if _in_profile(op, profile)]


def find_tool(name: str) -> Optional[Operation]:
    """The operation offered as tool `name` (or named `name` in the table), else None."""
    for op in operations():
        if op.tool == name:
            return op
    for op in operations():
        if op.name == name:
            return op
    return None
