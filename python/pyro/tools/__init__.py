"""pyro operations as LLM tools, a transport over `pyro.Pyro.call`.

    import openai, pyro
    from pyro.tools import openai_tools, dispatch

    tools = openai_tools("vm-run")           # [{"type": "function", "name": "vm_run", ...}]
    result = dispatch(pyro.Pyro(), "vm_run", '{"environment": "busybox", "command": "uname -a"}')

Tool names, descriptions, schemas and profiles are the core's (`pyro._core.tool_definitions`,
the MCP server's tools/list): vm-run, workspace-core, workspace-full. Framework adapters
built on this live in `pyro.integrations` (LangChain, PydanticAI).
"""

from pyro.tools.dispatch import ToolError, adispatch, dispatch, dispatch_json, error_result
from pyro.tools.table import (PROFILES, Operation, description, find_tool, input_schema, openai_tools,
                              operations, tools_for_profile)

__all__ = [
    "PROFILES",
    "ToolError",
    "Operation",
    "description",
    "adispatch",
    "dispatch",
    "dispatch_json",
    "error_result",
    "find_tool",
    "input_schema",
    "openai_tools",
    "operations",
    "tools_for_profile",
]
