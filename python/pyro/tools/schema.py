"""JSON Schemas and descriptions of the tools, built from the operation table.

They match the MCP server's inputSchema (tools/pyro/mcp/tool_table.cpp), so a model
sees the same contract whichever surface it is given.
"""

from __future__ import annotations

import copy
from typing import Any, Dict, List

from pyro.tools.table import Operation, Param, tools_for_profile


def param_schema(p: Param) -> Dict[str, Any]:
    if p.type == "object":
        schema: Dict[str, Any] = {"type": "object", "additionalProperties": {"type": "string"}}
    elif p.type == "json":
        # The table spells the whole schema of a structured parameter.
        schema = copy.deepcopy(p.schema) if p.schema else {}
    else:
        schema = {"type": p.type}
    if p.doc:
        schema["description"] = p.doc
    if p.default is not None:
        schema["default"] = p.default
    if p.enum is not None:
        schema["enum"] = list(p.enum)
    for key, bound in (("minimum", p.minimum), ("maximum", p.maximum)):
        if bound is not None:
            schema[key] = int(bound) if p.type == "integer" else bound
    return schema


def input_schema(op: Operation) -> Dict[str, Any]:
    """The JSON Schema of a tool's arguments object."""
    schema: Dict[str, Any] = {
        "type": "object",
        "properties": {p.name: param_schema(p) for p in op.params},
        "additionalProperties": False,
    }
    required = [p.name for p in op.params if not p.optional]
    if required:
        schema["required"] = required
    return schema


def description(op: Operation) -> str:
    """The summary, then how failures come back (as results the model can read)."""
    text = op.summary
    if op.errors:
        text += ('\nFailures are returned as {"error": {"code", "message"}}; expected codes: '
                 + ", ".join(op.errors) + ".")
    return text


def openai_tools(profile: str = "vm-run") -> List[Dict[str, Any]]:
    """OpenAI Responses-API function tools for a profile (vm-run, workspace-core, workspace-full).

    Pass them as `client.responses.create(..., tools=openai_tools())` and answer each
    `function_call` output item with `pyro.tools.dispatch(pyro_client, item.name, item.arguments)`.
    """
    return [{
        "type": "function",
        "name": op.tool,
        "description": description(op),
        "parameters": input_schema(op),
        # Optional parameters stay optional; strict mode would require every one.
        "strict": False,
    } for op in tools_for_profile(profile)]
