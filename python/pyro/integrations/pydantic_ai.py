"""PydanticAI tools over pyro (needs `pydantic-ai-slim`).

    from pydantic_ai import Agent
    from pyro.integrations.pydantic_ai import vm_run_tool

    agent = Agent("openai:gpt-4.1", tools=[vm_run_tool()])

Each tool carries the core's JSON Schema of the tool (the MCP server's inputSchema)
and calls `pyro.tools.dispatch`, so bad arguments and pyro failures reach the model as
{"error": {"code", "message"}} results instead of ending the run.
"""

from __future__ import annotations

from typing import Any, Dict, List

from pydantic_ai import Tool

from pyro.integrations.client_ref import ClientRef
from pyro.tools import Operation, adispatch, description, find_tool, input_schema, tools_for_profile


def make_tool(op: Operation, client: Any = None) -> Tool:
    """One pydantic_ai.Tool for an operation; `client` is a pyro.Pyro or a ClientRef (None: lazy)."""
    ref = client if isinstance(client, ClientRef) else ClientRef(client)
    tool_name = op.tool

    # PydanticAI is asyncio-first: an async tool overlaps with the agent's other
    # work, and cancelling the run cancels the guest command.
    async def call(**arguments: Any) -> Dict[str, Any]:
        return await adispatch(ref.get(), tool_name, arguments)

    return Tool.from_schema(call, name=tool_name, description=description(op),
                            json_schema=input_schema(op))


def vm_run_tool(client: Any = None) -> Tool:
    """The `vm_run` tool: boot a fresh VM, run one command, delete the VM, return the result."""
    op = find_tool("vm_run")
    assert op is not None, "the operation table has no vm_run"
    return make_tool(op, client)


def workspace_tools(client: Any = None, profile: str = "workspace-core") -> List[Tool]:
    """Every tool of a profile (workspace-core or workspace-full), sharing one pyro client."""
    ref = client if isinstance(client, ClientRef) else ClientRef(client)
    return [make_tool(op, ref) for op in tools_for_profile(profile)]
