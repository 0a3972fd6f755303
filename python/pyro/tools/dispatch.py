"""Tool call -> pyro.Pyro method -> JSON-ready dict, the way the MCP server does it.

Arguments are checked against the operation table first (unknown names, missing
required ones, types, minimum/maximum), so a model's mistake comes back as an
`invalid_argument` result it can correct. pyro failures are results too:
{"error": {"code", "message"}}. Results are the objects' to_dict(), lists are
{"items": [...]}, and operations without a result give {}.
"""

from __future__ import annotations

import json
import math
from typing import Any, Dict, List, Mapping, Optional, Union

from pyro.tools.table import Operation, Param, find_tool, tools_for_profile


class ToolError(Exception):
    """A tool call the table rejects (or that this pyro cannot serve), with its error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def error_result(code: str, message: str) -> Dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, (list, tuple)):
        return "array"
    return type(value).__name__


def _has_type(p: Param, value: Any) -> bool:
    if p.type == "string":
        return isinstance(value, str)
    if p.type == "boolean":
        return isinstance(value, bool)
    if p.type == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if p.type == "integer":
        # JSON Schema counts 2.0 as an integer; so does the MCP server.
        if isinstance(value, bool):
            return False
        return isinstance(value, int) or (
            isinstance(value, float) and math.isfinite(value) and value.is_integer())
    if p.type == "object":
        return isinstance(value, Mapping) and all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items())
    if p.type == "json":
        # Only the schema's top-level type; the pyro.Pyro method checks the rest.
        return _has_json_type((p.schema or {}).get("type"), value)
    return False


def _has_json_type(type_: Any, value: Any) -> bool:
    if type_ is None:
        return True
    if type_ == "array":
        return isinstance(value, (list, tuple))
    if type_ == "object":
        return isinstance(value, Mapping)
    return _has_type(Param(name="", type=type_), value)


def _expected(p: Param) -> str:
    if p.type == "object":
        return "an object of strings"
    if p.type == "json":
        type_ = (p.schema or {}).get("type", "value")
        return f"an {type_}" if type_ in ("array", "object") else f"a {type_}"
    return f"a {p.type}"


def check_arguments(op: Operation, arguments: Any) -> Dict[str, Any]:
    """The given arguments, checked against the table and converted; None counts as absent."""
    where = f"call `{op.tool}`"
    if arguments is None:
        arguments = {}
    if not isinstance(arguments, Mapping):
        raise ToolError("invalid_argument",
                         f"{where}: arguments: expected an object, got {_type_name(arguments)}")
    known = {p.name for p in op.params}
    for key in arguments:
        if key not in known:
            raise ToolError("invalid_argument", f"{where}: unknown argument `{key}`")
    values: Dict[str, Any] = {}
    for p in op.params:
        value = arguments.get(p.name)
        if value is None:
            if not p.optional:
                raise ToolError("invalid_argument", f"{where}: missing required argument `{p.name}`")
            continue  # the Python API applies the table's default itself
        if not _has_type(p, value):
            raise ToolError("invalid_argument", f"{where}: argument `{p.name}`: expected "
                             f"{_expected(p)}, got {_type_name(value)}")
        if p.enum is not None and value not in p.enum:
            raise ToolError("invalid_argument", f"{where}: argument `{p.name}`: {value!r} is not "
                             f"one of {', '.join(repr(v) for v in p.enum)}")
        if p.type in ("integer", "number"):
            if p.minimum is not None and value < p.minimum:
                raise ToolError("invalid_argument", f"{where}: argument `{p.name}`: {value} is "
                                 f"below the minimum {p.minimum:g}")
            if p.maximum is not None and value > p.maximum:
                raise ToolError("invalid_argument", f"{where}: argument `{p.name}`: {value} is "
                                 f"above the maximum {p.maximum:g}")
            if p.type == "integer":
                value = int(value)
        if p.type == "object":
            value = dict(value)
        if p.type == "json":
            value = _plain(value)
        values[p.name] = value
    return values


def _plain(value: Any) -> Any:
    """Mappings and sequences of a `json` argument as dicts and lists, as the binding expects."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _parse(op: Operation, arguments: Union[str, bytes, Mapping[str, Any], None]) -> Any:
    if isinstance(arguments, (str, bytes)):
        text = arguments.decode() if isinstance(arguments, bytes) else arguments
        if not text.strip():
            return {}
        try:
            return json.loads(text)
        except json.JSONDecodeError as e:
            raise ToolError("invalid_argument",
                             f"call `{op.tool}`: arguments are not valid JSON: {e}") from None
    return arguments


def result_to_dict(result: Any) -> Dict[str, Any]:
    """How a pyro result reaches the model: to_dict(), lists as {"items": [...]}, None as {}."""
    if result is None:
        return {}
    if isinstance(result, (list, tuple)):
        return {"items": [item.to_dict() for item in result]}
    return result.to_dict()


def _resolve(name: str, profile: Optional[str]) -> Operation:
    if profile is not None:
        offered = {op.tool: op for op in tools_for_profile(profile)}
        if name not in offered:
            raise ToolError("invalid_argument", f"call `{name}`: no such tool in profile "
                             f"`{profile}` (tools: {', '.join(offered)})")
        return offered[name]
    op = find_tool(name)
    if op is None:
        raise ToolError("invalid_argument", f"call `{name}`: no such tool")
    return op


def dispatch(client: Any, name: str,
             arguments: Union[str, bytes, Mapping[str, Any], None] = None, *,
             profile: Optional[str] = None) -> Dict[str, Any]:
    """Runs tool `name` on a `pyro.Pyro` and returns a JSON-ready dict.

    `arguments` is the model's JSON text or an already decoded dict. With `profile`,
    only that profile's tools may be called. pyro errors and bad arguments come back
    as {"error": {"code", "message"}} instead of being raised, because the model has
    to see them; anything else (a bug) is raised.
    """
    from pyro._core import Error  # imported late: `pyro.tools` loads without the extension

    try:
        op = _resolve(name, profile)
        values = check_arguments(op, _parse(op, arguments))
        method = getattr(client, op.name, None)
        if method is None:
            raise ToolError("unimplemented", f"call `{op.tool}`: this pyro has no `{op.name}`")
        # Required parameters are positional in the Python API, optional ones keyword-only.
        positional: List[Any] = [values.pop(p.name) for p in op.params if not p.optional]
        return result_to_dict(method(*positional, **values))
    except ToolError as e:
        return error_result(e.code, e.message)
    except Error as e:
        return error_result(e.code, e.message)


def dispatch_json(client: Any, name: str,
                  arguments: Union[str, bytes, Mapping[str, Any], None] = None, *,
                  profile: Optional[str] = None) -> str:
    """dispatch() serialised, e.g. for a Responses-API `function_call_output`."""
    return json.dumps(dispatch(client, name, arguments, profile=profile), ensure_ascii=False)
