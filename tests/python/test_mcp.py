"""`pyro mcp serve`, driven by real MCP clients.

The official Python SDK (`mcp`: stdio_client + ClientSession) does the protocol
work; a few raw JSON-RPC lines check what the SDK never sends (version
negotiation, malformed requests, cancellation). Every structuredContent is
validated against its tool's outputSchema with `jsonschema`. tests/npm/ holds the
second client, the npm `@modelcontextprotocol/sdk`, run by test_npm_client.
"""

import asyncio
import json
import os
import shutil
import subprocess
import time
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncIterator, Dict, List, Optional

import pytest

from conftest import ENVIRONMENT, pyro_home, skip_without_vms
from optional_modules import require_module
from workspace_support import http_get

mcp = require_module("mcp")
jsonschema = require_module("jsonschema")

from mcp import ClientSession, StdioServerParameters, stdio_client  # noqa: E402
from mcp.shared.exceptions import MCPError  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
PROFILES = ["vm-run", "workspace-core", "workspace-full"]
OUR_VERSIONS = ["2025-06-18", "2025-03-26", "2024-11-05"]
HINTS = ["readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"]
ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
            "required": ["code", "message"],
        }
    },
    "required": ["error"],
}


def operations() -> List[Dict[str, Any]]:
    return json.loads((REPO / "spec" / "operations.json").read_text())["operations"]


def tool_name(op: Dict[str, Any]) -> str:
    return op.get("mcp") or op["name"]


def expected_tools(profile: str) -> List[str]:
    """The profile rules of docs/mcp.md, computed independently of the server."""
    core = {"run_in_vm", "list_environments", "create_workspace", "list_workspaces",
            "status_workspace", "delete_workspace", "exec_workspace", "push_workspace_sync",
            "list_workspace_files", "read_workspace_file", "write_workspace_file",
            "apply_workspace_patch", "diff_workspace", "export_workspace", "reset_workspace"}

    def wanted(op: Dict[str, Any]) -> bool:
        name = op["name"]
        if profile == "vm-run":
            return name == "run_in_vm"
        if profile == "workspace-core":
            return name in core
        since = tuple(int(x) for x in op["since"].split("."))
        return (name == "run_in_vm" or name.endswith(("_environment", "_environments"))
                or since >= (0, 3))

    return [tool_name(op) for op in operations() if wanted(op)]


def server_env() -> Dict[str, str]:
    """PYRO_* and the cache location reach the server (stdio_client passes little else)."""
    env = {k: v for k, v in os.environ.items() if k.startswith("PYRO_") or k == "XDG_CACHE_HOME"}
    env["PYRO_HOME"] = str(pyro_home())
    return env


@asynccontextmanager
async def connect(cli: str, profile: Optional[str] = None) -> AsyncIterator[ClientSession]:
    args = ["mcp", "serve"] + (["--profile", profile] if profile else [])
    params = StdioServerParameters(command=cli, args=args, env=server_env())
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            yield session


def run(coro):
    return asyncio.run(coro)


class Tools:
    """A connected session plus its tool list; calls are checked against the schemas."""

    def __init__(self, session: ClientSession, listed) -> None:
        self.session = session
        self.by_name = {t.name: t for t in listed.tools}

    async def call(self, name: str, arguments: Dict[str, Any]):
        result = await self.session.call_tool(name, arguments)
        assert result.structured_content is not None, result
        (text,) = [c for c in result.content if c.type == "text"]
        schema = self.by_name[name].output_schema
        assert schema is not None, f"{name} returns structuredContent without an outputSchema"
        # Error results too: the TypeScript SDK validates them against outputSchema.
        jsonschema.validate(result.structured_content, schema)
        if result.is_error:
            jsonschema.validate(result.structured_content, ERROR_SCHEMA)
            assert text.text == result.structured_content["error"]["message"]
        else:
            assert "error" not in result.structured_content
            assert json.loads(text.text) == result.structured_content
        return result

    async def ok(self, name: str, arguments: Dict[str, Any]) -> Dict[str, Any]:
        result = await self.call(name, arguments)
        assert not result.is_error, result.structured_content
        return result.structured_content

    async def error_code(self, name: str, arguments: Dict[str, Any]) -> str:
        result = await self.call(name, arguments)
        assert result.is_error, result.structured_content
        return result.structured_content["error"]["code"]


@asynccontextmanager
async def tools(cli: str, profile: Optional[str] = None) -> AsyncIterator[Tools]:
    async with connect(cli, profile) as session:
        yield Tools(session, await session.list_tools())


# ---- raw JSON-RPC, for what the SDK does not send -------------------------------------


class RawServer:
    def __init__(self, cli: str, *args: str) -> None:
        self.proc = subprocess.Popen([cli, "mcp", "serve", *args], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     env={**os.environ, **server_env()})

    def send(self, message: Any) -> None:
        line = message if isinstance(message, (str, bytes)) else json.dumps(message)
        data = line.encode() if isinstance(line, str) else line
        self.proc.stdin.write(data + b"\n")
        self.proc.stdin.flush()

    def receive(self) -> Dict[str, Any]:
        line = self.proc.stdout.readline()
        assert line, f"server closed stdout; stderr: {self.proc.stderr.read().decode()}"
        return json.loads(line)

    def request(self, id_: Any, method: str, params: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        message: Dict[str, Any] = {"jsonrpc": "2.0", "id": id_, "method": method}
        if params is not None:
            message["params"] = params
        self.send(message)
        return self.receive()

    def close(self) -> List[Dict[str, Any]]:
        """Ends stdin; returns every message the server still wrote before exiting."""
        self.proc.stdin.close()
        rest = [json.loads(line) for line in self.proc.stdout.read().splitlines()]
        assert self.proc.wait(timeout=60) == 0, self.proc.stderr.read().decode()
        return rest


def initialize(server: RawServer, version: str = "2025-06-18") -> Dict[str, Any]:
    reply = server.request(1, "initialize", {"protocolVersion": version, "capabilities": {},
                                             "clientInfo": {"name": "raw", "version": "0"}})
    server.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
    return reply


# ---- tests without VMs -------------------------------------------------------------------


def test_initialize_reports_pyro_and_tools_capability(cli: str) -> None:
    async def body() -> None:
        async with connect(cli) as session:
            result = session.initialize_result
            assert result.server_info.name == "pyro"
            assert result.server_info.version
            assert result.protocol_version in OUR_VERSIONS
            assert result.capabilities.tools is not None
            assert result.capabilities.tools.list_changed is False
            await session.send_ping()

    run(body())


@pytest.mark.parametrize("asked,answered", [
    ("2025-06-18", "2025-06-18"), ("2025-03-26", "2025-03-26"), ("2024-11-05", "2024-11-05"),
    ("2099-01-01", "2025-06-18"), ("draft", "2025-06-18")])
def test_protocol_version_negotiation(cli: str, asked: str, answered: str) -> None:
    server = RawServer(cli)
    reply = initialize(server, asked)
    assert reply["id"] == 1 and reply["result"]["protocolVersion"] == answered
    assert server.close() == []


def test_malformed_requests_are_jsonrpc_errors(cli: str) -> None:
    server = RawServer(cli)
    initialize(server)
    server.send("{not json")
    assert server.receive()["error"]["code"] == -32700
    server.send("[1, 2]")
    assert server.receive()["error"]["code"] == -32600
    server.send({"jsonrpc": "1.0", "id": 7, "method": "ping"})
    assert server.receive() == {"jsonrpc": "2.0", "id": 7, "error": server_error(-32600)}
    assert server.request(8, "no/such/method")["error"]["code"] == -32601
    assert server.request(9, "tools/call", {"arguments": {}})["error"]["code"] == -32602
    assert server.request(10, "tools/call", {"name": "vm_run", "arguments": [1]})["error"]["code"] == -32602
    assert server.request("s", "ping") == {"jsonrpc": "2.0", "id": "s", "result": {}}
    server.send({"jsonrpc": "2.0", "method": "notifications/unknown"})  # ignored, no answer
    assert server.request(11, "ping")["id"] == 11
    assert server.close() == []


def test_deeply_nested_line_is_a_parse_error(cli: str) -> None:
    # Found through tests/fuzz/fuzz_mcp_line with a hand-made input: a cancel whose requestId nests a million
    # arrays overflowed the server's stack (nlohmann/json copies recursively).
    server = RawServer(cli)
    initialize(server)
    deep = "[" * 1_000_000 + "]" * 1_000_000
    server.send('{"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": %s}}' % deep)
    assert server.receive() == {"jsonrpc": "2.0", "id": None, "error": server_error(-32700)}
    nested_64 = "[" * 60 + "1" + "]" * 60  # within the limit: an ordinary request
    server.send('{"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": %s}}' % nested_64)
    assert server.request(12, "ping") == {"jsonrpc": "2.0", "id": 12, "result": {}}
    assert server.close() == []


def server_error(code: int) -> Dict[str, Any]:
    """Matches any error object with `code` (messages are not API)."""
    class AnyMessage(dict):
        def __eq__(self, other: Any) -> bool:
            return isinstance(other, dict) and other.get("code") == code and isinstance(other.get("message"), str)
    return AnyMessage(code=code)


@pytest.mark.parametrize("profile", PROFILES)
def test_tool_list_of_each_profile(cli: str, profile: str) -> None:
    async def body() -> None:
        async with connect(cli, profile) as session:
            listed = await session.list_tools()
            names = [t.name for t in listed.tools]
            assert names == expected_tools(profile)
            ops = {tool_name(op): op for op in operations()}
            for tool in listed.tools:
                op = ops[tool.name]
                assert tool.description.splitlines()[0] == op["summary"]
                assert tool.title
                jsonschema.Draft202012Validator.check_schema(tool.input_schema)
                assert tool.input_schema["type"] == "object"
                assert set(tool.input_schema["properties"]) == {p["name"] for p in op["params"]}
                required = {p["name"] for p in op["params"] if not p.get("optional")}
                assert set(tool.input_schema.get("required", [])) == required
                assert tool.output_schema is not None, tool.name
                jsonschema.Draft202012Validator.check_schema(tool.output_schema)
                assert tool.output_schema["type"] == "object"
                result_schema, error_schema = tool.output_schema["anyOf"]
                assert result_schema["type"] == "object"
                assert error_schema["required"] == ["error"]
                hints = tool.annotations.model_dump(by_alias=True)
                for hint in HINTS:
                    assert isinstance(hints[hint], bool), (tool.name, hint)
                for hint, value in op.get("annotations", {}).items():
                    assert hints[hint] == value, (tool.name, hint)
                assert tool.annotations.title

    run(body())


def test_vm_run_schema_follows_the_table(cli: str) -> None:
    async def body() -> None:
        async with connect(cli) as session:
            (tool,) = (await session.list_tools()).tools
            assert tool.name == "vm_run"
            props = tool.input_schema["properties"]
            for name in ["environment", "command", "vcpu_count", "mem_mib", "timeout_seconds",
                         "network", "env", "cwd", "max_output_bytes"]:
                assert name in props
            assert tool.input_schema["required"] == ["environment", "command"]
            assert props["vcpu_count"] == {"type": "integer", "default": 1, "minimum": 1, "maximum": 8}
            assert props["env"]["type"] == "object"
            assert "description" in props["command"]
            assert tool.input_schema["additionalProperties"] is False
            for field in ["exit_code", "stdout", "stderr", "stdout_truncated", "stderr_truncated",
                          "duration_ms", "timed_out"]:
                assert field in tool.output_schema["anyOf"][0]["required"]

    run(body())


def test_unknown_tool_is_a_jsonrpc_error(cli: str) -> None:
    async def body() -> None:
        async with connect(cli) as session:
            with pytest.raises(MCPError) as err:
                await session.call_tool("no_such_tool", {})
            assert err.value.error.code == -32602
            # A tool of another profile is just as unknown here.
            with pytest.raises(MCPError) as err:
                await session.call_tool("workspace_list", {})
            assert err.value.error.code == -32602

    run(body())


@pytest.mark.parametrize("arguments", [
    {"command": "true"},                                           # missing environment
    {"environment": ENVIRONMENT},                                  # missing command
    {"environment": ENVIRONMENT, "command": "true", "vcpu_count": 0},
    {"environment": ENVIRONMENT, "command": "true", "vcpu_count": 9},
    {"environment": ENVIRONMENT, "command": "true", "vcpu_count": "2"},
    {"environment": ENVIRONMENT, "command": "true", "vcpu_count": 1.5},
    {"environment": ENVIRONMENT, "command": "true", "network": "yes"},
    {"environment": ENVIRONMENT, "command": "true", "env": {"A": 1}},
    {"environment": ENVIRONMENT, "command": "true", "max_output_bytes": -1},
    {"environment": ENVIRONMENT, "command": "true", "timeout_seconds": -5},
    {"environment": ENVIRONMENT, "command": "true", "surprise": True},
])
def test_bad_arguments_are_invalid_argument_results(cli: str, arguments: Dict[str, Any]) -> None:
    async def body() -> None:
        async with tools(cli) as t:
            assert await t.error_code("vm_run", arguments) == "invalid_argument"

    run(body())


SERVICE_TOOLS = ["service_start", "service_list", "service_status", "service_logs", "service_stop",
                 "shell_open", "shell_write", "shell_read", "shell_resize", "shell_signal", "shell_close"]


def test_service_and_shell_tools_are_workspace_full_only(cli: str) -> None:
    async def body() -> None:
        async with tools(cli, "workspace-full") as t:
            assert set(SERVICE_TOOLS) <= set(t.by_name)
            start = t.by_name["service_start"].input_schema["properties"]
            # `json` params carry the table's schema; `enum` params their values.
            assert start["readiness"]["type"] == "object"
            assert start["readiness"]["properties"]["type"]["enum"] == ["file", "tcp", "http", "command"]
            assert start["published_ports"]["type"] == "array"
            assert start["published_ports"]["items"]["maximum"] == 65535
            assert start["restart"]["enum"] == ["never", "on-failure", "always"]
            create = t.by_name["workspace_create"].input_schema["properties"]
            assert create["network_policy"]["enum"] == ["off", "egress", "egress+published-ports"]
            assert create["secrets"]["type"] == "array"
            assert create["secrets"]["items"]["required"] == ["name"]
            assert t.by_name["workspace_exec"].input_schema["properties"]["secret_env"]["type"] == "object"
            logs = t.by_name["service_logs"].output_schema["anyOf"][0]
            assert {"output", "next_cursor", "service"} <= set(logs["required"])
            ports = t.by_name["service_start"].output_schema["anyOf"][0]["properties"]["published_ports"]
            assert ports["items"]["required"] == ["guest_port", "host_port", "host"]
            assert t.by_name["shell_close"].annotations.destructive_hint is True
            assert t.by_name["shell_read"].annotations.read_only_hint is True
        async with tools(cli, "workspace-core") as t:
            assert not set(SERVICE_TOOLS) & set(t.by_name)

    run(body())


START = {"workspace": "ws-000000000000", "name": "web", "command": "true"}


@pytest.mark.parametrize("name,arguments", [
    ("service_start", {**START, "readiness": [1]}),
    ("service_start", {**START, "readiness": {"type": "tcp"}}),                  # no port
    ("service_start", {**START, "readiness": {"type": "socket", "port": 1}}),
    ("service_start", {**START, "readiness": {"type": "http", "url": "http://127.0.0.1/", "x": 1}}),
    ("service_start", {**START, "readiness": {"type": "tcp", "port": 70000}}),
    ("service_start", {**START, "published_ports": 8080}),
    ("service_start", {**START, "published_ports": [0]}),
    ("service_start", {**START, "published_ports": ["8080"]}),
    ("service_start", {**START, "restart": "sometimes"}),
    ("service_logs", {"workspace": "w", "name": "web", "cursor": -2}),
    ("shell_read", {"workspace": "w", "shell_id": "sh-00000000", "max_bytes": 0}),
    ("shell_resize", {"workspace": "w", "shell_id": "sh-00000000", "cols": 80}),
    ("workspace_create", {"environment": ENVIRONMENT, "network_policy": "wide-open"}),
    ("workspace_create", {"environment": ENVIRONMENT, "secrets": {"A": "b"}}),
    ("workspace_create", {"environment": ENVIRONMENT, "secrets": [{"name": "A"}]}),
    ("workspace_create", {"environment": ENVIRONMENT, "secrets": [{"name": "A", "value": "v", "file_path": "f"}]}),
    ("workspace_create", {"environment": ENVIRONMENT, "secrets": [{"name": "A", "value": 1}]}),
    ("workspace_exec", {"workspace": "w", "command": "true", "secret_env": {"T": 1}}),
])
def test_bad_service_arguments_are_invalid_argument(cli: str, name: str, arguments: Dict[str, Any]) -> None:
    async def body() -> None:
        async with tools(cli, "workspace-full") as t:
            assert await t.error_code(name, arguments) == "invalid_argument"

    run(body())


def test_aliases_reach_the_core_but_are_not_listed(cli: str) -> None:
    """The integration guide's spellings work: a tool by its operation's name and
    `workspace_id` for `workspace`; tools/list still shows each tool once."""
    async def body() -> None:
        async with tools(cli, "workspace-full") as t:
            assert "start_service" not in t.by_name and "stop_workspace" not in t.by_name
            for listed in t.by_name.values():
                assert "workspace_id" not in listed.input_schema["properties"]
            for alias, tool in [("status_service", "service_status"), ("stop_workspace", "workspace_stop"),
                                ("list_workspace_disk", "workspace_disk_list")]:
                args = {"workspace_id": "ws-000000000000"}
                if tool == "service_status":
                    args["name"] = "web"
                result = await t.session.call_tool(alias, args)
                # The operation ran and found no such workspace: the arguments were accepted.
                assert result.is_error, result.structured_content
                jsonschema.validate(result.structured_content, t.by_name[tool].output_schema)
                assert result.structured_content["error"]["code"] in {"not_found", "unimplemented"}, alias
            both = await t.session.call_tool("workspace_status", {"workspace": "a", "workspace_id": "b"})
            assert both.is_error and both.structured_content["error"]["code"] == "invalid_argument"
            message = both.structured_content["error"]["message"]
            assert "`workspace`" in message and "`workspace_id`" in message
        # An alias is no way around the profile.
        async with connect(cli, "workspace-core") as session:
            with pytest.raises(MCPError) as err:
                await session.call_tool("start_service", {"workspace_id": "w", "name": "web", "command": "true"})
            assert err.value.error.code == -32602

    run(body())


def test_unknown_environment_is_not_found(cli: str) -> None:
    async def body() -> None:
        async with tools(cli) as t:
            code = await t.error_code("vm_run", {"environment": "no-such-env", "command": "true"})
            assert code == "not_found"

    run(body())


def test_workspace_tools_answer_with_results(cli: str) -> None:
    """Listed workspace tools run (or report why not) as tool results, never JSON-RPC errors."""
    async def body() -> None:
        async with tools(cli, "workspace-full") as t:
            code = await t.error_code("workspace_status", {"workspace": "ws-000000000000"})
            assert code in {"not_found", "unimplemented"}
            listed = await t.call("workspace_list", {})
            if listed.is_error:
                assert listed.structured_content["error"]["code"] == "unimplemented"
            envs = await t.ok("list_environments", {})
            assert ENVIRONMENT in {e["name"] for e in envs["items"]}

    run(body())


def test_usage_errors(cli: str) -> None:
    r = subprocess.run([cli, "mcp", "serve", "--profile", "everything"], capture_output=True,
                       text=True, timeout=30, stdin=subprocess.DEVNULL, check=False)
    assert r.returncode == 64 and r.stdout == ""
    r = subprocess.run([cli, "mcp"], capture_output=True, text=True, timeout=30, check=False)
    assert r.returncode == 64


# ---- tests that boot VMs -------------------------------------------------------------------


@pytest.mark.vm
def test_vm_run_echo(vm_cli: str) -> None:
    async def body() -> None:
        async with tools(vm_cli) as t:
            out = await t.ok("vm_run", {"environment": ENVIRONMENT, "command": "echo hi"})
            assert out["exit_code"] == 0 and out["stdout"] == "hi\n" and out["stderr"] == ""
            assert out["timed_out"] is False and out["stdout_truncated"] is False
            out = await t.ok("vm_run", {
                "environment": ENVIRONMENT, "command": 'printf "$A"; cd; pwd >&2; exit 3',
                "env": {"A": "b"}, "cwd": "/tmp", "max_output_bytes": 4096, "timeout_seconds": 20})
            assert out["exit_code"] == 3 and out["stdout"] == "b"
            # Output that is not UTF-8 arrives replaced, still valid JSON and schema.
            out = await t.ok("vm_run", {"environment": ENVIRONMENT, "command": r"printf 'a\377b'"})
            assert out["stdout"] == "a\ufffdb"

    run(body())


@pytest.mark.vm
def test_ping_and_cancel_during_a_long_call(vm_cli: str) -> None:
    server = RawServer(vm_cli)
    initialize(server)
    server.send({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {
        "name": "vm_run", "arguments": {"environment": ENVIRONMENT, "command": "sleep 10"}}})
    # The order of the answers is the oracle: a server that made ping wait for the
    # tool call would write the call's answer (id 2) first.
    assert server.request(3, "ping") == {"jsonrpc": "2.0", "id": 3, "result": {}}, "ping waited for the tool call"
    server.send({"jsonrpc": "2.0", "method": "notifications/cancelled",
                 "params": {"requestId": 2, "reason": "test"}})
    # The cancel stops the guest command (`sleep 10`) and its answer is dropped.
    assert server.close() == []


@pytest.mark.vm
def test_workspace_session(vm_cli: str, tmp_path: Path) -> None:
    async def body() -> None:
        async with tools(vm_cli, "workspace-full") as t:
            created = await t.ok("workspace_create", {"environment": ENVIRONMENT, "disk_mib": 64})
            ws = created["workspace_id"]
            try:
                assert created["state"] == "running"
                out = await t.ok("workspace_exec", {"workspace": ws, "command": "echo one > a.txt; cat a.txt"})
                assert out["stdout"] == "one\n"
                await t.ok("workspace_file_write", {"workspace": ws, "path": "b.txt", "text": "x\ny\n"})
                read = await t.ok("workspace_file_read", {"workspace": ws, "path": "b.txt"})
                assert read["content"] == "x\ny\n"
                patch = "--- a/b.txt\n+++ b/b.txt\n@@ -1,2 +1,2 @@\n x\n-y\n+z\n"
                applied = await t.ok("workspace_patch_apply", {"workspace": ws, "patch": patch})
                assert applied["applied"] is True
                out = await t.ok("workspace_exec", {"workspace": ws, "command": "cat b.txt"})
                assert out["stdout"] == "x\nz\n"
                files = await t.ok("workspace_file_list", {"workspace": ws})
                assert {"a.txt", "b.txt"} <= {f["path"] for f in files["items"]}
                diff = await t.ok("workspace_diff", {"workspace": ws})
                assert diff["changed"] is True
                assert {"a.txt", "b.txt"} <= {e["path"] for e in diff["entries"]}
                target = tmp_path / "b-export.txt"
                exported = await t.ok("workspace_export", {"workspace": ws, "path": "b.txt",
                                                            "output_path": str(target)})
                assert target.read_text() == "x\nz\n" and exported["files"] == 1
                listed = await t.ok("workspace_list", {})
                assert ws in {w["workspace_id"] for w in listed["items"]}

                # Snapshot, change, reset to the snapshot: the change is gone, the snapshot's state is back.
                snap = await t.ok("workspace_snapshot_create", {"workspace": ws, "name": "s1"})
                assert snap["name"] == "s1"
                snaps = await t.ok("workspace_snapshot_list", {"workspace": ws})
                assert [s["name"] for s in snaps["items"]] == ["s1"]
                await t.ok("workspace_file_write", {"workspace": ws, "path": "later.txt", "text": "later\n"})
                reset = await t.ok("workspace_reset", {"workspace": ws, "snapshot": "s1"})
                assert reset["state"] == "running"
                out = await t.ok("workspace_exec", {"workspace": ws, "command": "test -e later.txt; echo $?; cat b.txt"})
                assert out["stdout"] == "1\nx\nz\n"
                await t.ok("workspace_snapshot_delete", {"workspace": ws, "name": "s1"})

                # Stopped: offline disk tools work, live ones say why not.
                stopped = await t.ok("workspace_stop", {"workspace": ws})
                assert stopped["state"] == "stopped"
                assert await t.error_code("workspace_exec", {"workspace": ws, "command": "true"}) == \
                    "failed_precondition"
                disk = await t.ok("workspace_disk_list", {"workspace": ws})
                assert {"a.txt", "b.txt"} <= {e["path"] for e in disk["items"]}
                content = await t.ok("workspace_disk_read", {"workspace": ws, "path": "b.txt"})
                assert content["content"] == "x\nz\n"
                image = tmp_path / "disk.ext4"
                raw = await t.ok("workspace_disk_export", {"workspace": ws, "output_path": str(image)})
                assert image.stat().st_size == raw["bytes"] == 64 << 20
                started = await t.ok("workspace_start", {"workspace": ws})
                assert started["state"] == "running"
                out = await t.ok("workspace_exec", {"workspace": ws, "command": "cat a.txt"})
                assert out["stdout"] == "one\n"
            finally:
                await t.ok("workspace_delete", {"workspace": ws})
            assert await t.error_code("workspace_status", {"workspace": ws}) == "not_found"

    run(body())


def call_collecting(server: RawServer, id_: int, params: Dict[str, Any]) -> List[Dict[str, Any]]:
    """Sends a tools/call; returns every message up to and including its response."""
    server.send({"jsonrpc": "2.0", "id": id_, "method": "tools/call", "params": params})
    messages = [server.receive()]
    while messages[-1].get("id") != id_:
        messages.append(server.receive())
    return messages


@pytest.mark.vm
def test_progress_notifications_only_with_a_token_and_before_the_response(vm_cli: str) -> None:
    server = RawServer(vm_cli, "--profile", "workspace-full")
    initialize(server)
    # A pull of the installed busybox runs its builder, which reports even when there is nothing to do.
    messages = call_collecting(server, 2, {"name": "pull_environment", "arguments": {"name": ENVIRONMENT},
                                           "_meta": {"progressToken": "pull-1"}})
    *notes, response = messages
    assert response["result"]["isError"] is False, response
    assert notes, "no notifications/progress for a call with a progressToken"
    assert all(n["method"] == "notifications/progress" and n["params"]["progressToken"] == "pull-1" for n in notes)
    values = [n["params"]["progress"] for n in notes]
    assert values == sorted(set(values)), f"progress must increase with each notification: {values}"
    assert notes[0]["params"]["message"].startswith("download kernel")
    # An integer token comes back as an integer; no token, no notifications.
    *notes, response = call_collecting(server, 3, {"name": "pull_environment", "arguments": {"name": ENVIRONMENT},
                                                   "_meta": {"progressToken": 7}})
    assert notes and all(n["params"]["progressToken"] == 7 for n in notes)
    assert call_collecting(server, 4, {"name": "pull_environment", "arguments": {"name": ENVIRONMENT}})[0]["id"] == 4
    assert server.close() == []


@pytest.mark.vm
def test_workspace_create_with_a_seed_reports_progress_to_the_sdk_client(vm_cli: str, tmp_path: Path) -> None:
    seed = tmp_path / "seed"
    seed.mkdir()
    for i in range(300):
        (seed / f"f{i:03}.txt").write_text(f"{i}\n" * 100)
    seen: List[Any] = []

    async def on_progress(progress: float, total: Optional[float], message: Optional[str]) -> None:
        seen.append((progress, total, message))

    async def body() -> None:
        async with tools(vm_cli, "workspace-core") as t:
            result = await t.session.call_tool(
                "workspace_create", {"environment": ENVIRONMENT, "seed_path": str(seed), "disk_mib": 64},
                progress_callback=on_progress)
            assert not result.is_error, result.structured_content
            await t.ok("workspace_delete", {"workspace": result.structured_content["workspace_id"]})

    run(body())
    messages = [m for _, _, m in seen]
    assert [p for p, _, _ in seen] == sorted({p for p, _, _ in seen}), seen
    copy = [m for m in messages if m.startswith("copy seed")]
    assert copy and copy[-1] == "copy seed: copied 300 files (100% 106.4 KiB of 106.4 KiB)", messages
    assert any(m.startswith("make disk") for m in messages), messages
    assert messages[-1].startswith("start workspace"), messages


async def read_until(t: Tools, ws: str, shell_id: str, needle: str, cursor: int = 0) -> Dict[str, Any]:
    """shell_read from `cursor` until `needle` appears; the last read, with all output seen."""
    seen = ""
    deadline = time.monotonic() + 30
    while needle not in seen:
        assert time.monotonic() < deadline, f"{needle!r} never appeared in {seen!r}"
        out = await t.ok("shell_read", {"workspace": ws, "shell_id": shell_id, "cursor": cursor,
                                        "wait_seconds": 2})
        seen += out["output"]
        cursor = out["next_cursor"]
    return {**out, "seen": seen}


@pytest.mark.vm
def test_services_shells_and_secrets_session(vm_cli: str) -> None:
    secret = "mcp-secret-" + os.urandom(8).hex()

    async def body() -> None:
        async with tools(vm_cli, "workspace-full") as t:
            created = await t.ok("workspace_create", {
                "environment": ENVIRONMENT, "disk_mib": 64, "network_policy": "egress+published-ports",
                "secrets": [{"name": "TOKEN", "value": secret}]})
            ws = created["workspace_id"]
            try:
                assert created["network_policy"] == "egress+published-ports"
                assert created["secret_names"] == ["TOKEN"] and secret not in json.dumps(created)
                out = await t.ok("workspace_exec", {"workspace": ws, "command": 'echo "$T"',
                                                    "secret_env": {"T": "TOKEN"}})
                assert out["stdout"] == "[REDACTED]\n"

                await t.ok("workspace_file_write", {"workspace": ws, "path": "www/index.html", "text": "mcp ok\n"})
                web = await t.ok("service_start", {
                    "workspace": ws, "name": "web", "command": "httpd -f -v -p 0.0.0.0:8080 -h /workspace/www",
                    "readiness": {"type": "http", "url": "http://127.0.0.1:8080/", "timeout_seconds": 30},
                    "published_ports": [8080], "secret_env": {"T": "TOKEN"}})
                assert web["state"] == "running" and web["ready"] is True
                (port,) = web["published_ports"]
                assert port["guest_port"] == 8080 and port["host"] == "127.0.0.1"
                assert http_get(port["host_port"]) == b"mcp ok\n"
                listed = await t.ok("service_list", {"workspace": ws})
                assert [s["name"] for s in listed["items"]] == ["web"]
                status = await t.ok("service_status", {"workspace": ws, "name": "web"})
                assert status["pid"] == web["pid"]
                logs = await t.ok("service_logs", {"workspace": ws, "name": "web", "cursor": 0})
                assert logs["name"] == "web" and logs["next_cursor"] >= logs["cursor"] == 0
                assert logs["service"]["state"] == "running"
                stopped = await t.ok("service_stop", {"workspace": ws, "name": "web", "grace_seconds": 2})
                assert stopped["state"] == "stopped"
                assert await t.error_code("service_status", {"workspace": ws, "name": "nope"}) == "not_found"

                shell = await t.ok("shell_open", {"workspace": ws, "secret_env": {"T": "TOKEN"}})
                sid = shell["shell_id"]
                assert shell["state"] == "running"
                await t.ok("shell_write", {"workspace": ws, "shell_id": sid, "input": "cd /tmp; V=$((6*7))\n"})
                await t.ok("shell_write", {"workspace": ws, "shell_id": sid, "input": 'echo "at:$(pwd):$V:$T"\n'})
                last = await read_until(t, ws, sid, "at:/tmp:42:[REDACTED]")
                assert secret not in last["seen"] and last["shell"]["shell_id"] == sid
                replay = await t.ok("shell_read", {"workspace": ws, "shell_id": sid, "cursor": 0})
                assert "at:/tmp:42:[REDACTED]" in replay["output"]
                resized = await t.ok("shell_resize", {"workspace": ws, "shell_id": sid, "cols": 90, "rows": 20})
                assert (resized["cols"], resized["rows"]) == (90, 20)
                await t.ok("shell_signal", {"workspace": ws, "shell_id": sid})
                assert await t.ok("shell_close", {"workspace": ws, "shell_id": sid}) == {}
                assert await t.error_code("shell_read", {"workspace": ws, "shell_id": sid}) == "not_found"
            finally:
                await t.ok("workspace_delete", {"workspace": ws})

    run(body())


# ---- the npm client ------------------------------------------------------------------------------


@pytest.mark.vm
def test_npm_client(cli: str) -> None:
    """tests/npm/check.mjs: the TypeScript SDK lists the tools and calls vm_run."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        pytest.skip("node/npm not installed")
    npm_dir = REPO / "tests" / "npm"
    if not (npm_dir / "node_modules" / "@modelcontextprotocol" / "sdk").is_dir():
        r = subprocess.run([npm, "install", "--no-audit", "--no-fund"], cwd=npm_dir,
                           capture_output=True, text=True, timeout=600, check=False)
        if r.returncode != 0:
            skip_without_vms(f"npm install failed in {npm_dir}:\n{r.stderr[-2000:]}")
    env = {**os.environ, **server_env(), "PYRO_CLI": cli, "PYRO_ENVIRONMENT": ENVIRONMENT}
    r = subprocess.run([node, "check.mjs"], cwd=npm_dir, capture_output=True, text=True,
                       timeout=300, env=env, check=False)
    if r.returncode == 77:  # the check's own "environment not installed"
        skip_without_vms(r.stdout + r.stderr)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "vm_run ok" in r.stdout
