"""The tools pyro offers, as views over the core's operation table.

Everything here comes from libpyro: the profiles and the operations in them from
`pyro._core.operation_table()`, each tool's name, description and JSON Schemas from
`pyro._core.tool_definitions(profile)` (the MCP server's tools/list). So a model sees
the same contract whichever surface it is given, and nothing is spelled twice.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Dict, List, Optional, Tuple

from pyro import _core


@dataclass(frozen=True)
class Operation:
    """One tool: an operation of the table some profile offers."""

    name: str  # the table's name and the pyro.Pyro method, e.g. "run_in_vm"
    tool: str  # the tool name, e.g. "vm_run"
    # The MCP Tool object: name, title, description, inputSchema, outputSchema, annotations.
    definition: Dict[str, Any] = field(hash=False, compare=False, repr=False)

    @property
    def description(self) -> str:
        return self.definition["description"]


@lru_cache(maxsize=1)
def _table_operations() -> Tuple[Dict[str, Any], ...]:
    return tuple(_core.operation_table()["operations"])


def _profiles() -> Tuple[str, ...]:
    names: Dict[str, None] = {}  # ordered set
    for op in _table_operations():
        names.update(dict.fromkeys(op.get("profiles", ())))
    return tuple(names)


#: The profiles of `pyro mcp serve --profile`, in the table's order (narrowest first).
PROFILES: Tuple[str, ...] = _profiles()


@lru_cache(maxsize=None)
def _tools(profile: str) -> Tuple[Operation, ...]:
    name_of = {op.get("mcp") or op["name"]: op["name"] for op in _table_operations()}
    return tuple(Operation(name=name_of[d["name"]], tool=d["name"], definition=d)
                 for d in _core.tool_definitions(profile))


def tools_for_profile(profile: str = "vm-run") -> List[Operation]:
    """The tools a profile offers, in table order. Raises pyro.InvalidArgumentError
    (a ValueError) on an unknown profile."""
    return list(_tools(profile))


def operations() -> Tuple[Operation, ...]:
    """Every operation some profile offers as a tool, in table order."""
    offered = {op.name: op for profile in PROFILES for op in _tools(profile)}
    return tuple(offered[op["name"]] for op in _table_operations() if op["name"] in offered)


def find_tool(name: str) -> Optional[Operation]:
    """The tool named `name` (or whose operation is named `name`), else None."""
    return next((op for op in operations() if name in (op.tool, op.name)), None)


def description(op: Operation) -> str:
    """The summary, then how failures come back (as results the model can read)."""
    return op.description


def input_schema(op: Operation) -> Dict[str, Any]:
    """The JSON Schema of the tool's arguments object (a copy: callers may edit it)."""
    return copy.deepcopy(op.definition["inputSchema"])


def openai_tools(profile: str = "vm-run") -> List[Dict[str, Any]]:
    """OpenAI Responses-API function tools for a profile (vm-run, workspace-core, workspace-full).

    Pass them as `client.responses.create(..., tools=openai_tools())` and answer each
    `function_call` output item with `pyro.tools.dispatch(pyro_client, item.name, item.arguments)`.
    """
    return [{
        "type": "function",
        "name": op.tool,
        "description": op.description,
        "parameters": input_schema(op),
        # Optional parameters stay optional; strict mode would require every one.
        "strict": False,
    } for op in tools_for_profile(profile)]
