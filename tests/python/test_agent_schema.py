"""Every frame the real pyro-agent sends validates against spec/agent-protocol.schema.json.

The agent runs on the host in its test mode (`--socket PATH`, not PID 1), the same
binary that goes into the initramfs; this test speaks the framing itself, so it also
checks docs/agent-protocol.md independently of the C++ host code."""

import json
import os
import socket
import struct
import subprocess
from pathlib import Path

import pytest

from optional_modules import require_module

jsonschema = require_module("jsonschema")

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "spec" / "agent-protocol.schema.json").read_text())
REQUEST, RESPONSE, DATA, EVENT = 1, 2, 3, 4


def validator(definition: str):
    schema = {"$schema": SCHEMA["$schema"], "$defs": SCHEMA["$defs"], "$ref": f"#/$defs/{definition}"}
    return jsonschema.Draft202012Validator(schema)


def start_agent(tmp_path, *extra):
    binary = os.environ.get("PYRO_AGENT") or str(ROOT / "build" / "guest" / "pyro-agent")
    assert Path(binary).is_file(), f"pyro-agent not found at {binary}; set PYRO_AGENT"
    path = str(tmp_path / "agent.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(1)
    proc = subprocess.Popen([binary, "--socket", path, *extra])
    listener.settimeout(10)
    conn, _ = listener.accept()
    conn.settimeout(10)
    try:
        yield conn
    finally:
        conn.close()
        listener.close()
        proc.wait(timeout=10)


@pytest.fixture()
def agent(tmp_path):
    yield from start_agent(tmp_path)


@pytest.fixture()
def rooted_agent(tmp_path):
    """An agent serving a workspace root, for services and shells (since 1.3)."""
    root = tmp_path / "root"
    root.mkdir()
    yield from start_agent(tmp_path, "--workspace-root", str(root))


def read_frame(conn):
    def exactly(n):
        buf = b""
        while len(buf) < n:
            chunk = conn.recv(n - len(buf))
            assert chunk, "agent closed the connection"
            buf += chunk
        return buf

    length, stream, ftype, flags = struct.unpack(">IIBB", exactly(10))
    assert length >> 24 == 0 and length <= 4 << 20
    return stream, ftype, flags, exactly(length)


def send_request(conn, stream, method, params, well_formed=True):
    payload = json.dumps({"method": method, "params": params}).encode()
    if well_formed:  # the error cases below send malformed requests on purpose
        validator("request").validate(json.loads(payload))
    conn.sendall(struct.pack(">IIBB", len(payload), stream, REQUEST, 0) + payload)


def call(conn, stream, method, params, well_formed=True):
    """Returns (data frames, response payload), validating each frame on the way."""
    send_request(conn, stream, method, params, well_formed)
    data = []
    while True:
        got_stream, ftype, flags, payload = read_frame(conn)
        assert got_stream == stream
        if ftype == DATA:
            assert payload[0] in (1, 2) and len(payload) - 1 <= 64 << 10
            data.append(payload)
            continue
        assert ftype == RESPONSE and flags & 1, "a response ends its stream"
        body = json.loads(payload)
        validator("response").validate(body)
        return data, body


def test_hello_event_and_every_method_validate(agent):
    stream, ftype, _, payload = read_frame(agent)
    assert (stream, ftype) == (0, EVENT)
    event = json.loads(payload)
    validator("event").validate(event)
    validator("hello_event").validate(event)

    _, hello = call(agent, 1, "hello", {"protocol": {"major": 1, "minor": 1}})
    validator("hello_result").validate(hello["result"])
    assert set(hello["result"]["methods"]) >= {"hello", "ping", "exec", "shutdown", "restore"}

    _, ping = call(agent, 3, "ping", {})
    validator("ping_result").validate(ping["result"])

    params = {"command": "printf out; printf err >&2; exit 3", "timeout_ms": 5000}
    validator("exec_params").validate(params)
    data, done = call(agent, 5, "exec", params)
    validator("exec_result").validate(done["result"])
    assert done["result"]["exit_code"] == 3
    assert b"".join(d[1:] for d in data if d[0] == 1) == b"out"
    assert b"".join(d[1:] for d in data if d[0] == 2) == b"err"

    _, timed = call(agent, 7, "exec", {"command": "sleep 5", "timeout_ms": 200})
    validator("exec_result").validate(timed["result"])
    assert timed["result"]["timed_out"] is True

    # exec_cancel (1.5): the exec on stream 19 answers cancelled, the cancel on 21 found it.
    send_request(agent, 19, "exec", {"command": "sleep 600", "timeout_ms": 600000})
    cancel = {"stream": 19}
    validator("exec_cancel_params").validate(cancel)
    send_request(agent, 21, "exec_cancel", cancel)
    answers = {}
    while len(answers) < 2:
        got_stream, ftype, flags, payload = read_frame(agent)
        assert ftype == RESPONSE and flags & 1 and got_stream in (19, 21), (got_stream, ftype)
        answers[got_stream] = json.loads(payload)
    validator("exec_result").validate(answers[19]["result"])
    assert answers[19]["result"]["cancelled"] is True
    validator("exec_cancel_result").validate(answers[21]["result"])
    assert answers[21]["result"] == {"found": True}

    for stream, method, bad in [(9, "exec", {"command": "true", "cwd": "/nonexistent"}),
                                (11, "exec", {"timeout_ms": "soon"}),
                                (13, "no_such_method", {}),
                                (15, "restore", {"seed": "AAAA", "realtime_ns": 1, "hostname": "x",
                                                 "machine_id": "0" * 32})]:
        _, err = call(agent, stream, method, bad, well_formed=False)
        validator("error").validate(err["error"])

    _, bye = call(agent, 17, "shutdown", {})
    validator("shutdown_result").validate(bye["result"])


def test_service_and_shell_methods_validate(rooted_agent):
    conn = rooted_agent
    read_frame(conn)  # hello event
    stream = iter(range(1, 1000, 2))

    def checked(method, params):
        validator(f"{method}_params").validate(params)
        _, body = call(conn, next(stream), method, params)
        assert "result" in body, body
        validator(f"{method}_result").validate(body["result"])
        return body["result"]

    started = checked("service_start", {"name": "web", "command": "echo hi; touch ready; exec sleep 30",
                                        "readiness": {"type": "file", "path": "ready", "interval_ms": 20}})
    assert started["state"] == "running"
    checked("service_list", {})
    checked("service_status", {"name": "web"})
    logs = checked("service_logs", {"name": "web", "wait_ms": 2000})
    assert logs["service"]["name"] == "web"
    checked("service_logs", {"name": "web", "tail_lines": 1})
    assert checked("service_stop", {"name": "web", "signal": "TERM", "grace_ms": 1000})["state"] == "stopped"

    shell = checked("shell_open", {"cols": 80, "rows": 24})
    sid = shell["shell_id"]
    checked("shell_write", {"shell_id": sid, "data": "ZWNobyBoaQo="})
    checked("shell_read", {"shell_id": sid, "wait_ms": 1000})
    checked("shell_resize", {"shell_id": sid, "cols": 100, "rows": 30})
    checked("shell_signal", {"shell_id": sid, "signal": "WINCH"})
    checked("shell_close", {"shell_id": sid})

    for method, bad in [("service_status", {"name": "nope"}), ("service_start", {"name": "-bad", "command": "true"}),
                        ("shell_read", {"shell_id": "sh-00000000"})]:
        _, err = call(conn, next(stream), method, bad, well_formed=False)
        validator("error").validate(err["error"])
