"""Results once, checked on every surface.

One plan drives every operation of spec/operations.json on real busybox VMs and
workspaces through every surface that offers it:

  call   pyro.Pyro.call(op, args)                    (the core's JSON, as a dict)
  typed  getattr(client, op)(...).to_dict()          (lists as {"items": [...]}, None as {})
  tools  pyro.tools.dispatch(client, tool, args)     (operations in an MCP profile)
  mcp    structuredContent of tools/call on `pyro mcp serve --profile workspace-full`
  cli    `$PYRO_CLI <verb> ... --json`               (operations with a `cli` verb)
  c      pyro_call_json of libpyro_c.so through ctypes

Every result is validated against the table's result schema
(spec/result_schemas.json), strictly: no key the schema does not document. Steps
that send the same arguments on every surface also compare the surfaces' results
with each other (volatile values such as durations, timestamps and pids aside).
A table operation without a plan here fails with "no conformance plan for `X`".
"""

import contextlib
import ctypes
import copy
import json
import os
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional

import pytest

import pyro
import pyro.tools
from conftest import ENVIRONMENT, pyro_home, skip_without_vms
from test_import import write_docker_save

jsonschema = pytest.importorskip("jsonschema")

REPO = Path(__file__).resolve().parents[2]
OPERATIONS = {op["name"]: op for op in pyro._core.operation_table()["operations"]}
SCHEMAS = pyro._core.result_schemas()
SURFACES = ["call", "typed", "tools", "mcp", "cli", "c"]
MCP_PROFILE = "workspace-full"

# Values that legitimately differ between two calls made one after the other.
VOLATILE = {"created_at", "updated_at", "started_at", "ended_at", "duration_ms", "boot_ms",
            "pid", "disk_bytes", "vm_id"}


# ---- schemas ---------------------------------------------------------------------------

def strict(schema: Any) -> Any:
    """The schema with additionalProperties false on every object that lists its
    properties: today's surfaces must emit the documented keys and no others."""
    if isinstance(schema, dict):
        out = {k: strict(v) for k, v in schema.items()}
        if out.get("type") == "object" and "properties" in out:
            out.setdefault("additionalProperties", False)
        return out
    if isinstance(schema, list):
        return [strict(v) for v in schema]
    return schema


def result_schema(result: str) -> Dict[str, Any]:
    if result == "none":
        return {"type": "object", "additionalProperties": False, "properties": {}}
    if result.startswith("list[") and result.endswith("]"):
        item = strict(SCHEMAS[result[5:-1]])
        return {"type": "object", "properties": {"items": {"type": "array", "items": item}},
                "required": ["items"], "additionalProperties": False}
    return strict(SCHEMAS[result])


def without_volatile(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: without_volatile(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [without_volatile(v) for v in value]
    return value


def differences(a: Any, b: Any, path: str = "") -> List[str]:
    """Where two JSON values differ, as `path: a != b` lines."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b)):
            out += differences(a.get(k, "<missing>"), b.get(k, "<missing>"), f"{path}.{k}")
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in differences(x, y, f"{path}[{i}]")]
    return [] if a == b else [f"{path or '.'}: {json.dumps(a)[:200]} != {json.dumps(b)[:200]}"]


def key_shape(value: Any) -> Any:
    """The keys of a result, recursively (first list element stands for all)."""
    if isinstance(value, dict):
        return {k: key_shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [key_shape(value[0])] if value else []
    return None


# ---- surfaces --------------------------------------------------------------------------

class SurfaceError(Exception):
    pass


class McpServer:
    """`pyro mcp serve` spoken to with raw JSON-RPC lines."""

    def __init__(self, cli: str, stderr: Path) -> None:
        self.stderr = stderr
        with stderr.open("wb") as log:  # a file, so that a chatty server never blocks on a pipe
            self.proc = subprocess.Popen([cli, "mcp", "serve", "--profile", MCP_PROFILE],
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
                                         env={**os.environ, "PYRO_HOME": str(pyro_home())})
        self.next_id = 1
        reply = self.request("initialize", {"protocolVersion": "2025-06-18", "capabilities": {},
                                            "clientInfo": {"name": "conformance", "version": "0"}})
        assert "result" in reply, reply
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        tools = self.request("tools/list", {})["result"]["tools"]
        self.tools = {t["name"]: t for t in tools}

    def send(self, message: Dict[str, Any]) -> None:
        self.proc.stdin.write(json.dumps(message).encode() + b"\n")
        self.proc.stdin.flush()

    def request(self, method: str, params: Dict[str, Any]) -> Dict[str, Any]:
        id_ = self.next_id
        self.next_id += 1
        self.send({"jsonrpc": "2.0", "id": id_, "method": method, "params": params})
        while True:
            line = self.proc.stdout.readline()
            assert line, f"`pyro mcp serve` closed stdout; stderr: {self.stderr.read_text(errors='replace')}"
            message = json.loads(line)
            if message.get("id") == id_:
                return message  # notifications (progress, logs) are skipped

    def call_tool(self, name: str, arguments: Dict[str, Any]) -> Dict[str, Any]:
        reply = self.request("tools/call", {"name": name, "arguments": arguments})
        if "error" in reply:
            raise SurfaceError(f"JSON-RPC error {reply['error']}")
        result = reply["result"]
        structured = result.get("structuredContent")
        if structured is None:
            raise SurfaceError(f"no structuredContent: {result}")
        jsonschema.validate(structured, self.tools[name]["outputSchema"])  # its own schema too
        if result.get("isError"):
            raise SurfaceError(f"tool error {structured}")
        text = [c["text"] for c in result["content"] if c["type"] == "text"]
        assert text == [json.dumps(structured, ensure_ascii=False)] or json.loads(text[0]) == structured
        return structured

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=60)


class CSurface:
    """pyro_call_json of libpyro_c.so through ctypes, on a client of its own."""

    def __init__(self, path: Path) -> None:
        lib = ctypes.CDLL(str(path))
        vp, pvp = ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p)
        lib.pyro_client_new.argtypes = [pvp, vp, pvp]
        lib.pyro_client_new.restype = ctypes.c_int
        lib.pyro_client_free.argtypes = [vp]
        lib.pyro_call_json.argtypes = [pvp, vp, ctypes.c_char_p, ctypes.c_char_p, pvp]
        lib.pyro_call_json.restype = ctypes.c_int
        lib.pyro_string_free.argtypes = [vp]
        lib.pyro_error_message.argtypes = [vp]
        lib.pyro_error_message.restype = ctypes.c_char_p
        lib.pyro_error_free.argtypes = [vp]
        self.lib = lib
        self.client = ctypes.c_void_p()
        err = ctypes.c_void_p()
        assert lib.pyro_client_new(ctypes.byref(self.client), None, ctypes.byref(err)) == 0, self._message(err)

    def _message(self, err: ctypes.c_void_p) -> str:
        message = self.lib.pyro_error_message(err).decode() if err.value else "(no error details)"
        self.lib.pyro_error_free(err)
        return message

    def call(self, op: str, args: Dict[str, Any]) -> Dict[str, Any]:
        out, err = ctypes.c_void_p(), ctypes.c_void_p()
        status = self.lib.pyro_call_json(ctypes.byref(out), self.client, op.encode(),
                                         json.dumps(args).encode(), ctypes.byref(err))
        if status != 0:
            raise SurfaceError(f"status {status}: {self._message(err)}")
        try:
            return json.loads(ctypes.string_at(out.value).decode())
        finally:
            self.lib.pyro_string_free(out)

    def close(self) -> None:
        self.lib.pyro_client_free(self.client)


def c_library_path(cli: str) -> Optional[Path]:
    """$PYRO_C_LIB, else capi/libpyro_c.so of the build tree that holds $PYRO_CLI."""
    explicit = os.environ.get("PYRO_C_LIB")
    if explicit:
        return Path(explicit)
    for parent in Path(cli).resolve().parents:
        candidate = parent / "capi" / "libpyro_c.so"
        if candidate.exists():
            return candidate
    return None


def typed_call(client: Any, op: Dict[str, Any], args: Dict[str, Any]) -> Dict[str, Any]:
    """The typed method: required parameters positional in table order, optional ones by keyword."""
    method = getattr(client, op["name"])
    positional = [args[p["name"]] for p in op["params"] if not p.get("optional")]
    keywords = {p["name"]: args[p["name"]] for p in op["params"] if p.get("optional") and p["name"] in args}
    result = method(*positional, **keywords)
    if result is None:
        return {}
    if isinstance(result, (list, tuple)):
        return {"items": [item.to_dict() for item in result]}
    return result.to_dict()


def exit_code_of(line: str) -> Optional[int]:
    with contextlib.suppress(ValueError, AttributeError):
        return json.loads(line).get("exit_code")
    return None


def cli_json(cli: str, argv: List[str], op: Dict[str, Any]) -> Dict[str, Any]:
    words = list(argv)
    words.insert(words.index("--") if "--" in words else len(words), "--json")
    r = subprocess.run([cli, *words], capture_output=True, timeout=300, check=False,
                       env={**os.environ, "PYRO_HOME": str(pyro_home())})
    lines = r.stdout.decode().splitlines()
    # `run` and `workspace exec` exit with the command's status (docs/cli.md).
    relayed = op["result"] == "ExecResult" and len(lines) == 1 and exit_code_of(lines[0]) == r.returncode
    if r.returncode != 0 and not relayed:
        raise SurfaceError(f"exit {r.returncode}: {r.stderr.decode(errors='replace').strip()}")
    if len(lines) != 1:
        raise SurfaceError(f"expected one JSON line, got {r.stdout!r}")
    return json.loads(lines[0])


# ---- the plan --------------------------------------------------------------------------

Args = Dict[str, Any]


@dataclass
class Step:
    op: str
    args: Callable[["Context", str], Args]
    same: bool = True  # same arguments on every surface: results are compared too
    cli: Optional[Callable[["Context", str, Args], List[str]]] = None
    keep: Optional[Callable[["Context", str, Dict[str, Any]], None]] = None  # remember ids
    surfaces: Optional[List[str]] = None  # None: every surface that offers the operation


@dataclass
class Context:
    tmp: Path
    tag: str
    workspace: str = ""
    vms: Dict[str, str] = None
    spare_vms: Dict[str, str] = None
    shells: Dict[str, str] = None
    own: Dict[str, str] = None  # surface -> the workspace it created

    def __post_init__(self) -> None:
        self.vms, self.spare_vms, self.shells, self.own = {}, {}, {}, {}


def ws(ctx: Context, **extra: Any) -> Args:
    return {"workspace": ctx.workspace, **extra}


def flags(args: Args, *names: str) -> List[str]:
    out: List[str] = []
    for name in names:
        if name in args:
            value = args[name]
            flag = "--" + name.replace("_", "-")
            if value is True:
                out.append(flag)
            elif value is not False:
                out += [flag, str(value)]
    return out


PATCH = """--- a/patch-{s}.txt
+++ b/patch-{s}.txt
@@ -1 +1 @@
-old
+new {s}
"""


def plan() -> List[Step]:
    return [
        # environments and the host
        Step("list_environments", lambda c, s: {}, cli=lambda c, s, a: ["env", "list"]),
        Step("inspect_environment", lambda c, s: {"name": ENVIRONMENT},
             cli=lambda c, s, a: ["env", "inspect", a["name"]]),
        Step("pull_environment", lambda c, s: {"name": ENVIRONMENT},
             cli=lambda c, s, a: ["env", "pull", a["name"]]),
        Step("prune_environments", lambda c, s: {"dry_run": True},
             cli=lambda c, s, a: ["env", "prune", "--dry-run"]),
        # one name for all surfaces (force replaces it): a single imported environment stays in the home
        Step("import_environment", lambda c, s: {"name": "conformance-import", "source": str(c.tmp / "image.tar"),
                                                 "force": True}, same=False,
             cli=lambda c, s, a: ["env", "import", a["name"], a["source"], "--force"]),
        Step("doctor", lambda c, s: {}, same=False, cli=lambda c, s, a: ["doctor"]),
        Step("run_in_vm", lambda c, s: {"environment": ENVIRONMENT, "command": "echo run; echo err >&2; exit 3"},
             cli=lambda c, s, a: ["run", a["environment"], "--", a["command"]]),
        # VMs owned by one client (call and typed share the Python client, c has its own)
        Step("create_vm", lambda c, s: {"environment": ENVIRONMENT}, same=False,
             keep=lambda c, s, r: c.vms.__setitem__(s, r["vm_id"])),
        Step("create_vm", lambda c, s: {"environment": ENVIRONMENT}, same=False,
             keep=lambda c, s, r: c.spare_vms.__setitem__(s, r["vm_id"])),
        Step("start_vm", lambda c, s: {"vm_id": c.vms[s]}, same=False),
        Step("status_vm", lambda c, s: {"vm_id": c.vms[s]}, same=False),
        Step("list_vms", lambda c, s: {}, same=False),
        Step("exec_vm", lambda c, s: {"vm_id": c.vms[s], "command": "echo vm"}, same=False),
        Step("delete_vm", lambda c, s: {"vm_id": c.spare_vms[s]}, same=False),
        # workspaces: every surface creates and deletes one of its own
        Step("create_workspace", lambda c, s: {"environment": ENVIRONMENT, "name": f"{c.tag}-{s}",
                                               "disk_mib": 64, "labels": {"surface": s}},
             same=False, keep=lambda c, s, r: c.own.__setitem__(s, r["workspace_id"]),
             cli=lambda c, s, a: ["workspace", "create", a["environment"], "--name", a["name"],
                                  "--disk-mib", str(a["disk_mib"]), "--label", f"surface={s}"]),
        Step("delete_workspace", lambda c, s: {"workspace": c.own[s]}, same=False,
             cli=lambda c, s, a: ["workspace", "delete", a["workspace"]]),
        # the shared workspace (created by the fixture through Pyro.call)
        Step("list_workspaces", lambda c, s: {}, cli=lambda c, s, a: ["workspace", "list"]),
        Step("status_workspace", lambda c, s: ws(c), cli=lambda c, s, a: ["workspace", "status", a["workspace"]]),
        Step("update_workspace", lambda c, s: ws(c, labels={"team": "conformance"}),
             cli=lambda c, s, a: ["workspace", "update", a["workspace"], "--label", "team=conformance"]),
        Step("write_workspace_file", lambda c, s: ws(c, path=f"conf/{s}.txt", text=f"written by {s}\n"),
             same=False, cli=lambda c, s, a: ["workspace", "file", "write", a["workspace"], a["path"],
                                              "--text", a["text"]]),
        Step("read_workspace_file", lambda c, s: ws(c, path="conf/call.txt"),
             cli=lambda c, s, a: ["workspace", "file", "read", a["workspace"], a["path"]]),
        Step("list_workspace_files", lambda c, s: ws(c, path="conf", recursive=True),
             cli=lambda c, s, a: ["workspace", "file", "list", a["workspace"], a["path"], "--recursive"]),
        Step("push_workspace_sync", lambda c, s: ws(c, source_path=str(c.tmp / "sync"), dest=f"/workspace/sync-{s}"),
             same=False, cli=lambda c, s, a: ["workspace", "sync", "push", a["workspace"], a["source_path"],
                                              "--dest", a["dest"]]),
        Step("apply_workspace_patch", lambda c, s: ws(c, patch=PATCH.format(s=s)), same=False,
             cli=lambda c, s, a: ["workspace", "patch", "apply", a["workspace"], "--patch-file",
                                  str(write(c.tmp / f"{s}.patch", a["patch"]))]),
        Step("diff_workspace", lambda c, s: ws(c), cli=lambda c, s, a: ["workspace", "diff", a["workspace"]]),
        Step("export_workspace", lambda c, s: ws(c, path="conf", output_path=str(c.tmp / f"export-{s}")),
             same=False, cli=lambda c, s, a: ["workspace", "export", a["workspace"], a["path"], a["output_path"]]),
        Step("exec_workspace", lambda c, s: ws(c, command="echo $TOKEN; cat /workspace/seed.txt",
                                               secret_env={"TOKEN": "token"}),
             cli=lambda c, s, a: ["workspace", "exec", a["workspace"], "--secret-env", "TOKEN=token",
                                  "--", a["command"]]),
        Step("create_snapshot", lambda c, s: ws(c, name=f"snap-{s}"), same=False,
             cli=lambda c, s, a: ["workspace", "snapshot", "create", a["workspace"], a["name"]]),
        Step("list_snapshots", lambda c, s: ws(c),
             cli=lambda c, s, a: ["workspace", "snapshot", "list", a["workspace"]]),
        Step("reset_workspace", lambda c, s: ws(c, snapshot=f"snap-{s}"), same=False,
             cli=lambda c, s, a: ["workspace", "reset", a["workspace"], "--snapshot", a["snapshot"]]),
        Step("delete_snapshot", lambda c, s: ws(c, name=f"snap-{s}"), same=False,
             cli=lambda c, s, a: ["workspace", "snapshot", "delete", a["workspace"], a["name"]]),
        # services
        Step("start_service", lambda c, s: ws(c, name=f"svc-{s}", command=f"echo up-{s}; touch ready-{s}; exec sleep 600",
                                              cwd="/workspace", readiness={"type": "file", "path": f"ready-{s}"}),
             same=False, cli=lambda c, s, a: ["workspace", "service", "start", a["workspace"], a["name"],
                                              "--cwd", a["cwd"], "--ready-file", a["readiness"]["path"],
                                              "--", a["command"]]),
        Step("list_services", lambda c, s: ws(c),
             cli=lambda c, s, a: ["workspace", "service", "list", a["workspace"]]),
        Step("status_service", lambda c, s: ws(c, name="svc-call"),
             cli=lambda c, s, a: ["workspace", "service", "status", a["workspace"], a["name"]]),
        Step("logs_service", lambda c, s: ws(c, name="svc-call", cursor=0),
             cli=lambda c, s, a: ["workspace", "service", "logs", a["workspace"], a["name"], "--cursor", "0"]),
        Step("stop_service", lambda c, s: ws(c, name=f"svc-{s}"), same=False,
             cli=lambda c, s, a: ["workspace", "service", "stop", a["workspace"], a["name"]]),
        # shells: one per surface
        Step("open_shell", lambda c, s: ws(c, cols=80, rows=24), same=False,
             keep=lambda c, s, r: c.shells.__setitem__(s, r["shell_id"]),
             cli=lambda c, s, a: ["workspace", "shell", "open", a["workspace"], "--cols", "80", "--rows", "24"]),
        Step("write_shell", lambda c, s: ws(c, shell_id=c.shells[s], input="echo shell-ok\n"), same=False,
             cli=lambda c, s, a: ["workspace", "shell", "write", a["workspace"], a["shell_id"],
                                  a["input"].rstrip("\n")]),
        Step("read_shell", lambda c, s: ws(c, shell_id=c.shells[s], cursor=0), same=False,
             cli=lambda c, s, a: ["workspace", "shell", "read", a["workspace"], a["shell_id"], "--cursor", "0"]),
        Step("resize_shell", lambda c, s: ws(c, shell_id=c.shells[s], cols=100, rows=30), same=False,
             cli=lambda c, s, a: ["workspace", "shell", "resize", a["workspace"], a["shell_id"],
                                  "--cols", "100", "--rows", "30"]),
        Step("signal_shell", lambda c, s: ws(c, shell_id=c.shells[s]), same=False,
             cli=lambda c, s, a: ["workspace", "shell", "signal", a["workspace"], a["shell_id"]]),
        Step("close_shell", lambda c, s: ws(c, shell_id=c.shells[s]), same=False,
             cli=lambda c, s, a: ["workspace", "shell", "close", a["workspace"], a["shell_id"]]),
        # stopped: the first surface stops it, the others find it stopped
        Step("stop_workspace", lambda c, s: ws(c), same=False,
             cli=lambda c, s, a: ["workspace", "stop", a["workspace"]]),
        Step("list_workspace_disk", lambda c, s: ws(c, path="conf"),
             cli=lambda c, s, a: ["workspace", "disk", "list", a["workspace"], a["path"]]),
        Step("read_workspace_disk", lambda c, s: ws(c, path="seed.txt"),
             cli=lambda c, s, a: ["workspace", "disk", "read", a["workspace"], a["path"]]),
        Step("export_workspace_disk", lambda c, s: ws(c, output_path=str(c.tmp / f"disk-{s}.img")), same=False,
             cli=lambda c, s, a: ["workspace", "disk", "export", a["workspace"], a["output_path"]]),
        Step("start_workspace", lambda c, s: ws(c), same=False,
             cli=lambda c, s, a: ["workspace", "start", a["workspace"]]),
    ]


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path




# ---- the test --------------------------------------------------------------------------

class Runner:
    def __init__(self, client: Any, cli: str, mcp: McpServer, c: CSurface) -> None:
        self.client, self.cli, self.mcp, self.c = client, cli, mcp, c
        self.covered: Dict[str, List[str]] = {}
        self.failures: List[str] = []

    def offered(self, op: Dict[str, Any], step: Step) -> List[str]:
        out = ["call", "typed", "c"]
        if op.get("profiles"):
            out.append("tools")
        if MCP_PROFILE in op.get("profiles", []):
            out.append("mcp")
        if op.get("cli") and step.cli is not None:
            out.append("cli")
        wanted = step.surfaces or SURFACES
        return [s for s in SURFACES if s in out and s in wanted]

    def invoke(self, surface: str, op: Dict[str, Any], step: Step, ctx: Context, args: Args) -> Dict[str, Any]:
        name, tool = op["name"], op.get("mcp") or op["name"]
        if surface == "call":
            return self.client.call(name, copy.deepcopy(args))
        if surface == "typed":
            return typed_call(self.client, op, copy.deepcopy(args))
        if surface == "tools":
            out = pyro.tools.dispatch(self.client, tool, copy.deepcopy(args))
            if set(out) == {"error"}:
                raise SurfaceError(f"tool error {out}")
            return out
        if surface == "mcp":
            return self.mcp.call_tool(tool, args)
        if surface == "cli":
            return cli_json(self.cli, step.cli(ctx, surface, args), op)
        return self.c.call(name, args)

    def run(self, step: Step, ctx: Context) -> None:
        op = OPERATIONS[step.op]
        schema = result_schema(op["result"])
        results: Dict[str, Dict[str, Any]] = {}
        for surface in self.offered(op, step):
            where = f"{step.op} via {surface}"
            try:
                args = step.args(ctx, surface)
                result = self.invoke(surface, op, step, ctx, args)
            except (SurfaceError, pyro.Error) as e:
                self.failures.append(f"{where}: failed: {e}")
                continue
            errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(result), key=str)
            if errors:
                self.failures.append(f"{where}: does not match `{op['result']}`: "
                                     + "; ".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:3]))
                continue
            if step.keep:
                step.keep(ctx, surface, result)
            results[surface] = result
            self.covered.setdefault(step.op, []).append(surface)
        if len(results) < 2:
            return
        reference_surface = next(iter(results))
        reference = results[reference_surface]
        for surface, result in results.items():
            if step.same:
                diff = differences(without_volatile(reference), without_volatile(result))
            else:
                diff = differences(key_shape(reference), key_shape(result))
            if diff:
                self.failures.append(f"{step.op}: {surface} disagrees with {reference_surface} "
                                     f"({reference_surface} != {surface}):\n  " + "\n  ".join(diff[:8]))


def test_every_operation_has_a_plan() -> None:
    """No VM needed: runs wherever the module is collected."""
    planned = {step.op for step in plan()}
    missing = [name for name in OPERATIONS if name not in planned]
    assert not missing, "\n".join(f"no conformance plan for `{name}`" for name in missing)
    unknown = planned - set(OPERATIONS)
    assert not unknown, f"plan steps for operations not in the table: {sorted(unknown)}"


@pytest.fixture()
def c_surface(cli: str) -> Iterator[CSurface]:
    path = c_library_path(cli)
    if path is None or not path.exists():
        skip_without_vms(f"no libpyro_c.so near {cli} (set PYRO_C_LIB)")
    surface = CSurface(path)
    try:
        yield surface
    finally:
        surface.close()


@pytest.mark.vm
@pytest.mark.slow
def test_every_operation_on_every_surface(client, busybox, vm_cli, c_surface, tmp_path) -> None:
    test_every_operation_has_a_plan()
    tag = f"conf-{uuid.uuid4().hex[:8]}"
    ctx = Context(tmp=tmp_path, tag=tag)
    write_docker_save(tmp_path / "image.tar", "conformance:1")
    (tmp_path / "sync").mkdir()
    (tmp_path / "sync" / "synced.txt").write_text("synced\n")
    seed = tmp_path / "seed"
    seed.mkdir()
    (seed / "seed.txt").write_text("seeded\n")
    for s in SURFACES:
        (seed / f"patch-{s}.txt").write_text("old\n")

    mcp = McpServer(vm_cli, tmp_path / "mcp.stderr")
    runner = Runner(client, vm_cli, mcp, c_surface)
    main_schema = result_schema("WorkspaceInfo")
    try:
        created = client.call("create_workspace", {
            "environment": ENVIRONMENT, "name": tag, "seed_path": str(seed), "disk_mib": 64,
            "secrets": [{"name": "token", "value": "s3cret-value"}]})
        jsonschema.validate(created, main_schema)
        ctx.workspace = created["workspace_id"]
        for step in plan():
            runner.run(step, ctx)
        deleted = client.call("delete_workspace", {"workspace": ctx.workspace})
        assert deleted == {}
    finally:
        mcp.close()
        for workspace in [ctx.workspace, *ctx.own.values(),
                          *(f"{tag}-{s}" for s in SURFACES)]:
            with contextlib.suppress(pyro.NotFoundError):
                if workspace:
                    client.delete_workspace(workspace)

    # Every operation ran on every surface that offers it.
    for name, op in OPERATIONS.items():
        steps = [step for step in plan() if step.op == name]
        wanted = set().union(*(runner.offered(op, step) for step in steps))
        missing = wanted - set(runner.covered.get(name, []))
        if missing and not any(name in f for f in runner.failures):
            runner.failures.append(f"{name}: not covered on {sorted(missing)}")
    assert not runner.failures, "\n".join(runner.failures)
