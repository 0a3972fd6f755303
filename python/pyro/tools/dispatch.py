"""Tool call -> pyro.Pyro.call -> JSON-ready dict, the way the MCP server does it.

The core checks the arguments against the operation table and gives the result's
JSON form (lists as {"items": [...]}, no result as {}); this module only decodes the
model's JSON text, keeps a call inside its profile, and turns pyro failures (a bad
argument included) into the result {"error": {"code", "message"}} the model can read.
"""

from __future__ import annotations

import json
from typing import Any, Dict, Mapping, Optional, Union

from pyro import _core
from pyro.tools.table import tools_for_profile

Arguments = Union[str, bytes, Mapping[str, Any], None]


class ToolError(Exception):
    """A tool call refused before it reaches pyro (text that is not JSON, a tool
    outside the profile), with its error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def error_result(code: str, message: str) -> Dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def _decode(name: str, arguments: Arguments) -> Any:
    if not isinstance(arguments, (str, bytes)):
        return arguments
    text = arguments.decode(errors="replace") if isinstance(arguments, bytes) else arguments
    if not text.strip():
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise ToolError("invalid_argument", f"call `{name}`: the arguments are not JSON: {e}") from None


def dispatch(client: Any, name: str, arguments: Arguments = None, *,
             profile: Optional[str] = None, cancel: Optional[_core.CancelToken] = None) -> Dict[str, Any]:
    """Runs tool `name` (or operation `name`) on a `pyro.Pyro` and returns a JSON-ready dict.

    `name` may be an alias (the table name, "start_service" for service_start), and the
    arguments may use a parameter's aliases (`workspace_id`); the core resolves both.
    `arguments` is the model's JSON text or an already decoded dict. With `profile`,
    only that profile's tools may be called (an unknown profile raises ValueError).
    pyro errors and bad arguments come back as {"error": {"code", "message"}} instead
    of being raised, because the model has to see them; anything else (a bug) is raised.
    `cancel` (a pyro.CancelToken) cancels a guest command the call runs.
    """
    offered = None if profile is None else [op.tool for op in tools_for_profile(profile)]
    try:
        # An operation's table name is an alias of its tool name ("start_service").
        if offered is not None and _core.tool_name(name) not in offered:
            raise ToolError("invalid_argument", f"call `{name}`: no such tool in profile "
                            f"`{profile}` (tools: {', '.join(offered)})")
        decoded = _decode(name, arguments)
        if cancel is None:
            return client.call(name, decoded)
        return client.call(name, decoded, cancel=cancel)
    except (ToolError, _core.Error) as e:
        return error_result(e.code, e.message)


async def adispatch(client: Any, name: str, arguments: Arguments = None, *,
                    profile: Optional[str] = None) -> Dict[str, Any]:
    """dispatch() for asyncio frameworks: runs in a worker thread (the GIL is released
    while pyro works, so calls overlap), and cancelling the awaiting task cancels a
    guest command the call runs (`vm_run`, `workspace_exec`); the task then raises
    asyncio.CancelledError once the command has stopped."""
    from pyro.aio import _in_thread  # pyro.aio imports nothing of pyro.tools: no cycle

    token = _core.CancelToken()
    return await _in_thread(lambda: dispatch(client, name, arguments, profile=profile, cancel=token), token)


def dispatch_json(client: Any, name: str, arguments: Arguments = None, *,
                  profile: Optional[str] = None) -> str:
    """dispatch() serialised, e.g. for a Responses-API `function_call_output`."""
    return json.dumps(dispatch(client, name, arguments, profile=profile), ensure_ascii=False)
