"""LangChain tools over pyro (needs `langchain-core`).

    from pyro.integrations.langchain import vm_run_tool

    tool = vm_run_tool()
    tool.invoke({"environment": "busybox", "command": "echo hi"})   # -> {"exit_code": 0, ...}
    model_with_tools = chat_model.bind_tools([tool])

Each tool is a `StructuredTool` whose pydantic args schema comes from the operation
table; calls go through `pyro.tools.dispatch`, so pyro failures come back as
{"error": {"code", "message"}} for the model to read instead of being raised.
"""

from __future__ import annotations

from typing import Any, Dict, List, Literal, Optional, Type

from langchain_core.tools import StructuredTool
from pydantic import BaseModel, ConfigDict, Field, create_model

from pyro.integrations.client_ref import ClientRef
from pyro.tools import Operation, Param, description, dispatch, find_tool, tools_for_profile

_PY_TYPES: Dict[str, Any] = {
    "string": str, "integer": int, "number": float, "boolean": bool, "object": Dict[str, str],
}
# `json` parameters by their schema's top-level type; pyro.tools.dispatch checks the rest.
_JSON_PY_TYPES: Dict[str, Any] = {"array": List[Any], "object": Dict[str, Any]}


def _py_type(p: Param) -> Any:
    if p.enum is not None:
        return Literal[tuple(p.enum)]  # type: ignore[valid-type]
    if p.type == "json":
        return _JSON_PY_TYPES.get((p.schema or {}).get("type", ""), Any)
    return _PY_TYPES[p.type]


def args_schema(op: Operation) -> Type[BaseModel]:
    """A pydantic model of the operation's parameters (the table's types, docs and bounds)."""
    fields: Dict[str, Any] = {}
    for p in op.params:
        constraints: Dict[str, Any] = {}
        if p.doc:
            constraints["description"] = p.doc
        if p.minimum is not None:
            constraints["ge"] = p.minimum
        if p.maximum is not None:
            constraints["le"] = p.maximum
        py_type = _py_type(p)
        if not p.optional:
            fields[p.name] = (py_type, Field(..., **constraints))
        elif p.default is not None:
            fields[p.name] = (py_type, Field(default=p.default, **constraints))
        else:
            # None means "not given" (no cwd, no extra env): the Python API's own default.
            fields[p.name] = (Optional[py_type], Field(default=None, **constraints))
    model_name = "".join(part.capitalize() for part in op.tool.split("_")) + "Args"
    return create_model(model_name, __config__=ConfigDict(extra="forbid"), **fields)


def make_tool(op: Operation, client: Any = None) -> StructuredTool:
    """One StructuredTool for an operation; `client` is a pyro.Pyro or a ClientRef (None: lazy)."""
    ref = client if isinstance(client, ClientRef) else ClientRef(client)
    tool_name = op.tool

    def call(**arguments: Any) -> Dict[str, Any]:
        given = {k: v for k, v in arguments.items() if v is not None}
        return dispatch(ref.get(), tool_name, given)

    return StructuredTool.from_function(func=call, name=tool_name, description=description(op),
                                        args_schema=args_schema(op))


def vm_run_tool(client: Any = None) -> StructuredTool:
    """The `vm_run` tool: boot a fresh VM, run one command, delete the VM, return the result."""
    op = find_tool("vm_run")
    assert op is not None, "the operation table has no vm_run"
    return make_tool(op, client)


def workspace_tools(client: Any = None, profile: str = "workspace-core") -> List[StructuredTool]:
    """Every tool of a profile (workspace-core or workspace-full), sharing one pyro client."""
    ref = client if isinstance(client, ClientRef) else ClientRef(client)
    return [make_tool(op, ref) for op in tools_for_profile(profile)]
