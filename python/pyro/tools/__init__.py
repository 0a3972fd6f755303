"""pyro operations as LLM tools, from the one operation table (spec/operations.json).

    import openai, pyro
    from pyro.tools import openai_tools, dispatch

    tools = openai_tools("vm-run")           # [{"type": "function", "name": "vm_run", ...}]
    result = dispatch(pyro.Pyro(), "vm_run", '{"environment": "busybox", "command": "uname -a"}')

Tool names, parameters and profiles are the MCP server's (`pyro mcp serve --profile`):
vm-run, workspace-core, workspace-full. Framework adapters built on this live in
`pyro.integrations` (LangChain, PydanticAI).
"""

from pyro.tools.dispatch import ToolError, check_arguments, dispatch, dispatch_json, error_result, result_to_dict
from pyro.tools.schema import description, input_schema, openai_tools
from pyro.tools.table import PROFILES, Operation, Param, find_tool, operations, tools_for_profile

__all__ = [
    "PROFILES",
    "ToolError",
    "Operation",
    "Param",
    "check_arguments",
    "description",
    "dispatch",
    "dispatch_json",
    "error_result",
    "find_tool",
    "input_schema",
    "openai_tools",
    "operations",
    "result_to_dict",
    "tools_for_profile",
]
