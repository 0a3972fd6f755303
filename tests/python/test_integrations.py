"""pyro.tools and the framework adapters: the core's tool definitions, dispatch as a
transport over pyro.Pyro.call (the core's argument checks as error results), and real
tool loops driven by
scripted stand-ins for the model (an in-test Responses-API server on 127.0.0.1,
LangChain's fake chat models, PydanticAI's FunctionModel/TestModel) over real VMs.
"""

import importlib.util
import json
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Dict, List

import pytest

from optional_modules import require_module
from pyro.tools import (PROFILES, dispatch, dispatch_json, input_schema, openai_tools,
                        operations, tools_for_profile)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
SPEC = json.loads((ROOT / "spec" / "operations.json").read_text())
HELLO = "hello from pyro"


def load_example(name: str):
    spec = importlib.util.spec_from_file_location(name.replace(".py", ""), EXAMPLES / name)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ---- the scripted Responses-API server --------------------------------------------------


def _response(output: List[Any]) -> Dict[str, Any]:
    from openai.types.responses import Response

    return Response(id=f"resp_{time.monotonic_ns()}", created_at=time.time(), model="scripted",
                    object="response", output=output, parallel_tool_calls=False,
                    tool_choice="auto", tools=[], status="completed").model_dump(mode="json")


def scripted_reply(body: Dict[str, Any]) -> Dict[str, Any]:
    """First asks for vm_run; once a function_call_output came back, reports its stdout."""
    from openai.types.responses import (ResponseFunctionToolCall, ResponseOutputMessage,
                                        ResponseOutputText)

    outputs = [item for item in body.get("input", [])
               if isinstance(item, dict) and item.get("type") == "function_call_output"]
    if not outputs:
        call = ResponseFunctionToolCall(
            type="function_call", id="fc_1", call_id="call_1", name="vm_run", status="completed",
            arguments=json.dumps({"environment": "busybox", "command": f"echo {HELLO}"}))
        return _response([call])
    result = json.loads(outputs[-1]["output"])
    text = f"The VM printed: {result.get('stdout', result)}"
    message = ResponseOutputMessage(
        type="message", id="msg_1", role="assistant", status="completed",
        content=[ResponseOutputText(type="output_text", text=text, annotations=[])])
    return _response([message])


class ScriptedResponsesServer:
    """POST /v1/responses on 127.0.0.1 with scripted_reply; records every request body."""

    def __init__(self) -> None:
        self.requests: List[Dict[str, Any]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.requests.append(body)
                if self.path.rstrip("/").endswith("/responses"):
                    status, reply = 200, scripted_reply(body)
                else:
                    status, reply = 404, {"error": {"message": f"no route {self.path}"}}
                data = json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def __enter__(self) -> "ScriptedResponsesServer":
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def function_call_outputs(self) -> List[str]:
        return [item["output"] for body in self.requests for item in body.get("input", [])
                if isinstance(item, dict) and item.get("type") == "function_call_output"]


# ---- MCP server's tool list, for parity ------------------------------------------------


def mcp_tools_list(cli: str, args: List[str]) -> List[Dict[str, Any]]:
    """tools/list of `<cli> <args...>` (an MCP stdio server), after the initialize handshake."""
    requests = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize",
         "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                    "clientInfo": {"name": "pyro-tests", "version": "1"}}},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
    ]
    r = subprocess.run([cli, *args], input="".join(json.dumps(m) + "\n" for m in requests),
                       capture_output=True, text=True, timeout=60, check=False)
    assert r.returncode == 0, r.stderr
    replies = {m.get("id"): m for m in map(json.loads, r.stdout.splitlines())}
    assert "result" in replies[2], replies
    return replies[2]["result"]["tools"]


# ---- the tool table ------------------------------------------------------------------


def test_profiles_follow_the_table():
    by_name = {op["name"]: op for op in SPEC["operations"]}
    tool_of = {name: op.get("mcp") or name for name, op in by_name.items()}
    assert [op.tool for op in tools_for_profile("vm-run")] == ["vm_run"]
    core = {op.name for op in tools_for_profile("workspace-core")}
    assert {"run_in_vm", "list_environments", "create_workspace", "exec_workspace",
            "apply_workspace_patch", "export_workspace"} <= core
    assert not core & {"create_snapshot", "stop_workspace", "list_workspace_disk", "create_vm"}
    full = {op.name for op in tools_for_profile("workspace-full")}
    expected_full = {name for name, op in by_name.items()
                     if tuple(map(int, op["since"].split("."))) >= (0, 3)
                     or name == "run_in_vm" or "_environment" in name}
    assert full == expected_full
    assert core < full
    for profile in PROFILES:
        assert [t["name"] for t in openai_tools(profile)] == [
            tool_of[op.name] for op in tools_for_profile(profile)]
    with pytest.raises(ValueError, match="select profile `everything`"):
        tools_for_profile("everything")


def test_openai_tools_are_valid_function_tools():
    jsonschema = require_module("jsonschema")
    by_tool = {op.get("mcp") or op["name"]: op for op in SPEC["operations"]}
    for tool in openai_tools("workspace-full"):
        assert tool["type"] == "function" and tool["strict"] is False
        assert tool["description"].startswith(by_tool[tool["name"]]["summary"])
        schema = tool["parameters"]
        jsonschema.Draft202012Validator.check_schema(schema)
        params = by_tool[tool["name"]]["params"]
        # The core's nlohmann::json objects keep their keys sorted, not in table order.
        assert set(schema["properties"]) == {p["name"] for p in params}
        assert schema.get("required", []) == [p["name"] for p in params if not p.get("optional")]
        assert schema["additionalProperties"] is False
    vm_run = openai_tools()[0]["parameters"]
    jsonschema.validate({"environment": "busybox", "command": "true"}, vm_run)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"environment": "busybox", "command": "true", "vcpu_count": 0}, vm_run)


@pytest.mark.parametrize("profile", PROFILES)
def test_tools_match_the_mcp_server(cli, profile):
    mcp = mcp_tools_list(cli, ["mcp", "serve", "--profile", profile])
    ours = openai_tools(profile)
    assert [t["name"] for t in mcp] == [t["name"] for t in ours]
    for theirs, mine in zip(mcp, ours):
        assert theirs["inputSchema"] == mine["parameters"], theirs["name"]


# ---- dispatch, without VMs -------------------------------------------------------------


class RecordingClient:
    """Stands in for pyro.Pyro where only what reaches Pyro.call is under test."""

    def __init__(self) -> None:
        self.calls: List[Any] = []

    def call(self, operation: str, arguments: Any = None) -> Dict[str, Any]:
        self.calls.append((operation, arguments))
        return {}


def test_dispatch_hands_decoded_arguments_to_call():
    client = RecordingClient()
    args = {"workspace": "ws-1", "path": "a.txt", "max_bytes": 10.0}
    assert dispatch(client, "workspace_file_read", json.dumps(args)) == {}
    assert client.calls[-1] == ("workspace_file_read", args)
    dispatch(client, "vm_run", {"environment": "e", "command": "c", "cwd": None})
    assert client.calls[-1] == ("vm_run", {"environment": "e", "command": "c", "cwd": None})
    dispatch(client, "workspace_list", b" ")
    assert client.calls[-1] == ("workspace_list", None)


# The core checks the arguments before anything runs: no VM is needed to see them refused.
@pytest.mark.parametrize("arguments, fragment", [
    ("{not json", "the arguments are not JSON"),
    ("[1]", "expected an object"),
    ({"command": "true"}, "missing required argument `environment`"),
    ({"environment": "busybox", "command": "true", "bogus": 1}, "unknown argument `bogus`"),
    ({"environment": "busybox", "command": 7}, "argument `command`: expected a string"),
    ({"environment": "busybox", "command": "x", "vcpu_count": True}, "expected a integer"),
    ({"environment": "busybox", "command": "x", "vcpu_count": 1.5}, "expected a integer"),
    ({"environment": "busybox", "command": "x", "mem_mib": 1}, "below the minimum 64"),
    ({"environment": "busybox", "command": "x", "env": {"A": 1}}, "an object of strings"),
])
def test_dispatch_reports_bad_arguments_as_results(client, arguments, fragment):
    result = dispatch(client, "vm_run", arguments)
    assert result["error"]["code"] == "invalid_argument"
    assert fragment in result["error"]["message"]


@pytest.mark.parametrize("name, arguments, fragment", [
    ("service_start", {"readiness": [1]}, "expected an object, got array"),
    ("service_start", {"published_ports": 8080}, "expected an array, got integer"),
    ("service_start", {"restart": "sometimes"}, "is not one of"),
    ("workspace_create", {"network_policy": "wide"}, "is not one of"),
])
def test_dispatch_reports_bad_json_and_enum_params(client, name, arguments, fragment):
    required = {"service_start": {"workspace": "w", "name": "n", "command": "c"},
                "workspace_create": {"environment": "e"}}[name]
    result = dispatch(client, name, {**required, **arguments})
    assert result["error"]["code"] == "invalid_argument" and fragment in result["error"]["message"]


def test_langchain_schema_of_json_and_enum_params():
    require_module("langchain_core")
    from langchain_core.utils.function_calling import convert_to_openai_tool

    from pyro.integrations.langchain import workspace_tools

    (start,) = [t for t in workspace_tools(profile="workspace-full") if t.name == "service_start"]
    props = convert_to_openai_tool(start)["function"]["parameters"]["properties"]
    assert props["restart"]["enum"] == ["never", "on-failure", "always"]
    assert "object" in json.dumps(props["readiness"]) and "array" in json.dumps(props["published_ports"])


def test_dispatch_unknown_tools_and_profiles(client):
    assert "no such operation" in dispatch(client, "rm_rf", {})["error"]["message"]
    recording = RecordingClient()
    outside = dispatch(recording, "workspace_create", {"environment": "busybox"}, profile="vm-run")
    assert "no such tool in profile `vm-run`" in outside["error"]["message"]
    assert recording.calls == []
    dispatch(recording, "vm_run", {"environment": "e", "command": "c"}, profile="vm-run")
    assert recording.calls == [("vm_run", {"environment": "e", "command": "c"})]
    with pytest.raises(ValueError, match="select profile `everything`"):
        dispatch(recording, "vm_run", {}, profile="everything")


def test_dispatch_accepts_aliases_inside_the_profile(client):
    recording = RecordingClient()
    args = {"workspace_id": "w", "name": "web", "command": "true"}
    dispatch(recording, "start_service", args, profile="workspace-full")
    assert recording.calls == [("start_service", args)]  # the core resolves both names
    outside = dispatch(recording, "start_service", args, profile="workspace-core")
    assert "no such tool in profile `workspace-core`" in outside["error"]["message"]
    result = dispatch(client, "status_workspace", {"workspace_id": "ws-000000000000"}, profile="workspace-core")
    assert result["error"]["code"] == "not_found"


def test_dispatch_returns_pyro_errors(client):
    result = json.loads(dispatch_json(client, "vm_run",
                                      {"environment": "no-such-env", "command": "true"}))
    assert result["error"]["code"] == "not_found"
    assert "no-such-env" in result["error"]["message"]


# ---- real VMs ---------------------------------------------------------------------------


@pytest.mark.vm
def test_dispatch_vm_run(client, busybox):
    result = dispatch(client, "vm_run", {"environment": busybox, "command": "echo out; echo err >&2; exit 4",
                                         "env": {"GREETING": "hi"}})
    assert (result["exit_code"], result["stdout"], result["stderr"]) == (4, "out\n", "err\n")
    json.dumps(result)  # JSON-ready
    assert dispatch(client, "vm_run", {"environment": busybox, "command": "echo $GREETING",
                                       "env": {"GREETING": "hi"}})["stdout"] == "hi\n"


@pytest.mark.vm
def test_openai_responses_example_runs_a_real_tool_loop(client, busybox):
    openai = require_module("openai")
    example = load_example("openai_responses_vm_run.py")
    with ScriptedResponsesServer() as server:
        model = openai.OpenAI(base_url=server.base_url, api_key="scripted", max_retries=0)
        text = example.run(model, client)
    assert len(server.requests) == 2
    first, second = server.requests
    assert [t["name"] for t in first["tools"]] == ["vm_run"]
    assert first["tools"] == openai_tools("vm-run")
    outputs = server.function_call_outputs()
    assert len(outputs) == 1 and HELLO in json.loads(outputs[0])["stdout"]
    call_item = next(i for i in second["input"] if isinstance(i, dict) and i.get("type") == "function_call")
    assert call_item["call_id"] == "call_1"
    assert HELLO in text


@pytest.mark.vm
def test_workspace_tools_through_dispatch(client, busybox, tmp_path):
    seed = tmp_path / "seed"
    seed.mkdir()
    (seed / "README").write_text("seeded\n")
    created = dispatch(client, "workspace_create", {"environment": busybox, "seed_path": str(seed)},
                       profile="workspace-core")
    assert "error" not in created, created
    ws = created["workspace_id"]
    try:
        call = lambda name, **kw: dispatch(client, name, {"workspace": ws, **kw},  # noqa: E731
                                           profile="workspace-core")
        assert call("workspace_exec", command="cat README")["stdout"] == "seeded\n"
        assert "error" not in call("workspace_file_write", path="notes.txt", text="one\n")
        assert call("workspace_file_read", path="notes.txt")["content"] == "one\n"
        patched = call("workspace_patch_apply",
                       patch="--- a/notes.txt\n+++ b/notes.txt\n@@ -1 +1 @@\n-one\n+two\n")
        assert patched["applied"] is True, patched
        assert call("workspace_exec", command="cat notes.txt")["stdout"] == "two\n"
        paths = {e["path"] for e in call("workspace_file_list")["items"]}
        assert {"README", "notes.txt"} <= {p.rsplit("/", 1)[-1] for p in paths}
        assert call("workspace_diff")["changed"] is True
        missing = call("workspace_file_read", path="nope.txt")
        assert missing["error"]["code"] == "not_found"
    finally:
        assert dispatch(client, "workspace_delete", {"workspace": ws}) == {}
    assert dispatch(client, "workspace_status", {"workspace": ws})["error"]["code"] == "not_found"


# ---- LangChain --------------------------------------------------------------------------


def test_langchain_tool_schema():
    require_module("langchain_core")
    from langchain_core.utils.function_calling import convert_to_openai_tool

    from pyro.integrations.langchain import vm_run_tool, workspace_tools

    tool = vm_run_tool()  # no client yet: nothing boots until it runs
    assert tool.name == "vm_run"
    params = convert_to_openai_tool(tool)["function"]["parameters"]
    assert params["required"] == ["environment", "command"]
    assert params["properties"]["vcpu_count"]["maximum"] == 8
    names = [t.name for t in workspace_tools(profile="workspace-core")]
    assert names == [op.tool for op in tools_for_profile("workspace-core")]


def test_langchain_tool_returns_pyro_errors(client):
    require_module("langchain_core")
    from pyro.integrations.langchain import vm_run_tool

    result = vm_run_tool(client).invoke({"environment": "no-such-env", "command": "true"})
    assert result["error"]["code"] == "not_found"
    # The schema is the core's; the core, not LangChain, refuses a bad argument.
    result = vm_run_tool(client).invoke({"environment": "busybox", "command": "true", "vcpu_count": 0})
    assert result["error"]["code"] == "invalid_argument" and "vcpu_count" in result["error"]["message"]


def test_langchain_tool_calls_with_bad_arguments_are_results(client):
    """The way an agent calls a tool (a ToolCall in, a ToolMessage out): arguments the
    schema refuses reach the core and come back as an error result, never a raised
    pydantic ValidationError; the guide's `workspace_id` spelling is accepted."""
    require_module("langchain_core")
    from langchain_core.messages import ToolMessage

    from pyro.integrations.langchain import workspace_tools

    tools = {t.name: t for t in workspace_tools(client, profile="workspace-full")}
    for name, args, code in [
        ("vm_run", {"command": 7}, "invalid_argument"),
        ("vm_run", {"environment": "busybox", "command": "true", "surprise": 1}, "invalid_argument"),
        ("service_start", {"workspace": "w", "name": "n", "command": "c", "readiness": [1]}, "invalid_argument"),
        ("workspace_status", {"workspace": "a", "workspace_id": "b"}, "invalid_argument"),
        ("workspace_status", {"workspace_id": "ws-000000000000"}, "not_found"),
    ]:
        message = tools[name].invoke({"type": "tool_call", "id": "1", "name": name, "args": args})
        assert isinstance(message, ToolMessage)
        assert json.loads(message.content)["error"]["code"] == code, (name, args, message.content)


@pytest.mark.vm
def test_langchain_tool_invoke(client, busybox):
    require_module("langchain_core")
    from pyro.integrations.langchain import vm_run_tool

    result = vm_run_tool(client).invoke({"environment": busybox, "command": f"echo {HELLO}"})
    assert result["exit_code"] == 0 and result["stdout"] == f"{HELLO}\n"


@pytest.mark.vm
def test_langchain_example_with_a_fake_chat_model(client, busybox):
    require_module("langchain_core")
    from langchain_core.language_models.fake_chat_models import FakeMessagesListChatModel
    from langchain_core.messages import AIMessage, ToolMessage

    bound: List[str] = []

    class ToolCallingFake(FakeMessagesListChatModel):
        def bind_tools(self, tools, **kwargs):
            bound.extend(t.name for t in tools)
            return self

    model = ToolCallingFake(responses=[
        AIMessage(content="", tool_calls=[{"name": "vm_run", "id": "call_1", "args": {
            "environment": busybox, "command": f"echo {HELLO}"}}]),
        AIMessage(content="done"),
    ])
    seen: List[Any] = []
    original = model.__class__.invoke

    def recording_invoke(self, messages, *args, **kwargs):
        seen.append(list(messages))
        return original(self, messages, *args, **kwargs)

    ToolCallingFake.invoke = recording_invoke
    text = load_example("langchain_vm_run.py").run(model, client)
    assert text == "done" and bound == ["vm_run"]
    tool_messages = [m for m in seen[-1] if isinstance(m, ToolMessage)]
    assert len(tool_messages) == 1 and tool_messages[0].tool_call_id == "call_1"
    assert json.loads(tool_messages[0].content)["stdout"] == f"{HELLO}\n"


# ---- PydanticAI -------------------------------------------------------------------------


@pytest.mark.vm
def test_pydantic_ai_agent_calls_vm_run(client, busybox):
    require_module("pydantic_ai")
    from pydantic_ai import Agent
    from pydantic_ai.messages import ModelResponse, TextPart, ToolCallPart, ToolReturnPart
    from pydantic_ai.models.function import FunctionModel

    from pyro.integrations.pydantic_ai import vm_run_tool

    def respond(messages, info):
        assert [t.name for t in info.function_tools] == ["vm_run"]
        assert info.function_tools[0].parameters_json_schema == input_schema(operations()[0])
        returns = [p for m in messages for p in m.parts if isinstance(p, ToolReturnPart)]
        if not returns:
            return ModelResponse(parts=[ToolCallPart("vm_run", {
                "environment": busybox, "command": f"echo {HELLO}"})])
        return ModelResponse(parts=[TextPart(json.dumps(returns[-1].content))])

    result = Agent(FunctionModel(respond), tools=[vm_run_tool(client)]).run_sync("go")
    assert json.loads(result.output)["stdout"] == f"{HELLO}\n"


def test_pydantic_ai_test_model_sees_errors_as_results(client):
    require_module("pydantic_ai")
    from pydantic_ai import Agent
    from pydantic_ai.messages import ToolReturnPart
    from pydantic_ai.models.test import TestModel

    from pyro.integrations.pydantic_ai import vm_run_tool

    # TestModel invents arguments from the schema: an environment that does not exist.
    result = Agent(TestModel(), tools=[vm_run_tool(client)]).run_sync("go")
    returns = [p for m in result.all_messages() for p in m.parts if isinstance(p, ToolReturnPart)]
    assert len(returns) == 1
    assert returns[0].content["error"]["code"] in ("not_found", "invalid_argument")
