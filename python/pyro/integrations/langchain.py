"""LangChain tools over pyro (needs `langchain-core`).

    from pyro.integrations.langchain import vm_run_tool

    tool = vm_run_tool()
    tool.invoke({"environment": "busybox", "command": "echo hi"})   # -> {"exit_code": 0, ...}
    model_with_tools = chat_model.bind_tools([tool])

Each tool is a `StructuredTool` whose args schema is the core's JSON Schema of the
tool (LangChain takes it as is); calls go through `pyro.tools.dispatch`, so bad
arguments and pyro failures come back as {"error": {"code", "message"}} for the
model to read instead of being raised.
"""

from __future__ import annotations

from typing import Any, Dict, List

from langchain_core.tools import StructuredTool

from pyro.integrations.client_ref import ClientRef
from pyro.tools import Operation, adispatch, description, dispatch, find_tool, input_schema, tools_for_profile


def make_tool(op: Operation, client: Any = None) -> StructuredTool:
    """One StructuredTool for an operation; `client` is a pyro.Pyro or a ClientRef (None: lazy)."""
    ref = client if isinstance(client, ClientRef) else ClientRef(client)
    tool_name = op.tool

    def call(**arguments: Any) -> Dict[str, Any]:
        return dispatch(ref.get(), tool_name, arguments)

    # ainvoke: concurrent calls overlap, and cancelling the task cancels the command.
    async def acall(**arguments: Any) -> Dict[str, Any]:
        return await adispatch(ref.get(), tool_name, arguments)

    return StructuredTool.from_function(func=call, coroutine=acall, name=tool_name, description=description(op),
                                        args_schema=input_schema(op))


def vm_run_tool(client: Any = None) -> StructuredTool:
    """The `vm_run` tool: boot a fresh VM, run one command, delete the VM, return the result."""
    op = find_tool("vm_run")
    assert op is not None, "the operation table has no vm_run"
    return make_tool(op, client)


def workspace_tools(client: Any = None, profile: str = "workspace-core") -> List[StructuredTool]:
    """Every tool of a profile (workspace-core or workspace-full), sharing one pyro client."""
    ref = client if isinstance(client, ClientRef) else ClientRef(client)
    return [make_tool(op, ref) for op in tools_for_profile(profile)]
