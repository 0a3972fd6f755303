"""`pyro workspace service ...`, `pyro workspace shell ...`, secrets and network
policies in the CLI, as subprocesses.

The usage tests need no VM. The VM tests drive a busybox workspace through the
new verbs, each step a separate `pyro` process; every network check touches only
127.0.0.1. They are not skipped while the core or the guest agent lacks the
operations: they fail, as they should.
"""

import json
import time
import urllib.error
import urllib.request
import uuid
from typing import List

import pytest
from cli_support import EXIT_PYRO_ERROR, EXIT_USAGE, ok, ok_json, pyro
from waiting import wait_until
from workspace_support import http_get

SECRET_VALUE = "s3cr3t-" + uuid.uuid4().hex  # unique, so a leak cannot be a coincidence


# --- without VMs ---------------------------------------------------------------


@pytest.mark.parametrize(
    "args, needle",
    [
        (["workspace", "service"], b"missing sub-verb"),
        (["workspace", "service", "frob"], b"frob"),
        (["workspace", "shell"], b"missing sub-verb"),
        (["workspace", "shell", "frob"], b"frob"),
        (["workspace", "service", "start", "ws", "web", "--ready-http", "http://127.0.0.1:1/",
          "--ready-tcp", "1", "--", "true"], b"at most one"),
        (["workspace", "service", "start", "ws", "web", "--ready-file", "a", "--ready-command", "b",
          "--", "true"], b"at most one"),
        (["workspace", "service", "start", "ws", "web", "--publish", "0", "--", "true"], b"--publish"),
        (["workspace", "service", "start", "ws", "web", "--publish", "65536", "--", "true"], b"1-65535"),
        (["workspace", "service", "start", "ws", "web", "--publish", "http", "--", "true"], b"--publish"),
        (["workspace", "service", "start", "ws", "web", "--ready-tcp", "70000", "--", "true"], b"--ready-tcp"),
        (["workspace", "service", "start", "ws", "web", "--ready-timeout", "soon", "--", "true"],
         b"--ready-timeout"),
        (["workspace", "service", "start", "ws", "web", "--restart", "sometimes", "--", "true"], b"on-failure"),
        (["workspace", "service", "start", "ws", "web", "--max-restarts", "-1", "--", "true"], b"--max-restarts"),
        (["workspace", "service", "start", "ws", "web", "--secret-env", "NOEQ", "--", "true"], b"K=V"),
        (["workspace", "service", "start", "ws", "web"], b"missing command"),
        (["workspace", "service", "start", "ws", "web", "true"], b"`--`"),
        (["workspace", "service", "start", "ws", "--", "true"], b"missing service name"),
        (["workspace", "service", "status", "ws"], b"missing service name"),
        (["workspace", "service", "list"], b"missing workspace"),
        (["workspace", "service", "logs", "ws", "web", "--cursor", "x"], b"--cursor"),
        (["workspace", "service", "logs", "ws", "web", "--cursor", "0", "--tail", "5"], b"not both"),
        (["workspace", "service", "logs", "ws", "web", "--wait", "long"], b"--wait"),
        (["workspace", "service", "stop", "ws", "web", "--grace", "x"], b"--grace"),
        (["workspace", "shell", "open"], b"missing workspace"),
        (["workspace", "shell", "open", "ws", "--cols", "wide"], b"--cols"),
        (["workspace", "shell", "write", "ws", "sh-00000000"], b"missing input"),
        (["workspace", "shell", "read", "ws"], b"missing shell id"),
        (["workspace", "shell", "read", "ws", "sh-00000000", "--max-bytes", "lots"], b"--max-bytes"),
        (["workspace", "shell", "resize", "ws", "sh-00000000", "--cols", "80"], b"--rows"),
        (["workspace", "shell", "signal", "ws", "sh-00000000", "extra"], b"`extra`"),
        (["workspace", "shell", "close", "ws"], b"missing shell id"),
        (["workspace", "create", "busybox", "--network-policy", "wide-open"], b"wide-open"),
        (["workspace", "create", "busybox", "--secret-file", "NOPATH"], b"NAME=PATH"),
        (["workspace", "create", "busybox", "--secret", "A=1", "--secret-file", "A=/dev/null"],
         b"more than once"),
        (["workspace", "exec", "ws", "--secret-env", "NOEQ", "--", "true"], b"K=V"),
    ],
)
def test_usage_errors_exit_64(cli, args, needle):
    r = pyro(cli, *args)
    assert r.returncode == EXIT_USAGE, r.stderr
    assert r.stdout == b""
    assert needle in r.stderr, r.stderr
    assert b"--help" in r.stderr


def test_malformed_secret_never_echoes_its_value(cli):
    r = pyro(cli, "workspace", "create", "busybox", "--secret", SECRET_VALUE)
    assert r.returncode == EXIT_USAGE
    assert SECRET_VALUE.encode() not in r.stderr + r.stdout


def test_help_prefers_secret_file(cli):
    r = ok(cli, "workspace", "create", "--help")
    assert b"--secret-file NAME=PATH" in r.stdout and b"ps" in r.stdout
    assert b"egress+published-ports" in r.stdout


@pytest.mark.parametrize("words", [["service", "list", "ws-000000000000"],
                                   ["service", "status", "ws-000000000000", "web"],
                                   ["shell", "read", "ws-000000000000", "sh-00000000"]])
def test_unknown_workspace_exits_125(cli, tmp_path, words):
    r = pyro(cli, "--home", str(tmp_path), "workspace", *words)
    assert r.returncode == EXIT_PYRO_ERROR, r.stderr
    assert r.stdout == b""
    assert r.stderr.startswith(b"pyro: error: ") and b"[not_found]" in r.stderr


# --- booting VMs ---------------------------------------------------------------


@pytest.fixture
def names(vm_cli):
    """Makes workspace names for the test; every one is deleted afterwards."""
    made: List[str] = []

    def make() -> str:
        made.append(f"clisvc-{uuid.uuid4().hex[:8]}")
        return made[-1]

    yield make
    for name in made:
        pyro(vm_cli, "workspace", "delete", name)


def read_shell_until(cli: str, ws: str, shell: str, needle: bytes, cursor: int = 0,
                     deadline_s: float = 30) -> bytes:
    """Reads the shell from `cursor` until `needle` shows up; returns everything read."""
    seen = b""
    deadline = time.monotonic() + deadline_s
    while needle not in seen:
        assert time.monotonic() < deadline, f"{needle!r} never appeared; got {seen!r}"
        r = ok(cli, "workspace", "shell", "read", ws, shell, "--cursor", str(cursor), "--wait", "2")
        seen += r.stdout
        cursor = int(r.stderr.split(b"next cursor: ")[1].split()[0])
    return seen


@pytest.mark.vm
def test_http_service_through_published_port(vm_cli, names, client):
    cli, name = vm_cli, names()
    info = ok_json(cli, "workspace", "create", "busybox", "--name", name, "--disk-mib", "64",
                   "--network-policy", "egress+published-ports")
    assert info["network_policy"] == "egress+published-ports" and info["network"] is True
    ok(cli, "workspace", "file", "write", name, "www/index.html", "--text", "hello from the guest\n")

    web = ok_json(cli, "workspace", "service", "start", name, "web", "--publish", "8080",
                  "--ready-http", "http://127.0.0.1:8080/", "--",
                  "httpd", "-f", "-p", "0.0.0.0:8080", "-h", "/workspace/www")
    assert web["name"] == "web" and web["state"] == "running" and web["ready"] is True
    assert web["readiness"] == "http" and web["pid"] > 0
    (port,) = web["published_ports"]
    assert port["guest_port"] == 8080 and port["host"] == "127.0.0.1" and port["host_port"] > 0
    assert http_get(port["host_port"]) == b"hello from the guest\n"

    # Human output: state and the port mapping; a second service on another port.
    r = ok(cli, "workspace", "service", "start", name, "web2", "--publish", "8081", "--ready-tcp", "8081",
           "--", "httpd -f -p 0.0.0.0:8081 -h /workspace/www")
    assert r.stdout.startswith(b"web2 running")
    assert b"-> guest 8081" in r.stdout and b"127.0.0.1:" in r.stdout

    listed = {s["name"]: s for s in ok_json(cli, "workspace", "service", "list", name)["items"]}
    assert set(listed) == {"web", "web2"}
    assert listed["web"]["published_ports"] == web["published_ports"]
    table = ok(cli, "workspace", "service", "list", name).stdout
    assert b"web2" in table and f"8080->{port['host_port']}".encode() in table
    assert b"state:" in ok(cli, "workspace", "service", "status", name, "web").stdout

    logs = ok_json(cli, "workspace", "service", "logs", name, "web")
    assert {"name", "output", "cursor", "next_cursor", "missed_bytes", "more", "service"} <= set(logs)
    assert logs["service"]["name"] == "web" and logs["next_cursor"] >= logs["cursor"]

    stopped = ok_json(cli, "workspace", "service", "stop", name, "web", "--grace", "2")
    assert stopped["state"] == "stopped"
    with pytest.raises((urllib.error.URLError, ConnectionError, OSError)):
        http_get(port["host_port"])
    status = ok_json(cli, "workspace", "service", "status", name, "web")
    assert status["state"] == "stopped"
    # The CLI (and MCP) JSON and the Python binding's to_dict() spell results alike.
    assert status == client.status_service(name, "web").to_dict()
    logs = ok_json(cli, "workspace", "service", "logs", name, "web", "--cursor", "0")
    assert logs == client.logs_service(name, "web", cursor=0).to_dict()
    ok(cli, "workspace", "delete", name)


@pytest.mark.vm
def test_readiness_failure_crash_and_policy_off(vm_cli, names):
    cli, name = vm_cli, names()
    info = ok_json(cli, "workspace", "create", "busybox", "--name", name, "--disk-mib", "64")
    assert info["network_policy"] == "off"

    # Never ready: 125, deadline_exceeded, and the message carries its last log lines.
    r = pyro(cli, "workspace", "service", "start", name, "slow", "--ready-file", "never-there",
             "--ready-timeout", "2", "--", "echo booting-slowly; sleep 60")
    assert r.returncode == EXIT_PYRO_ERROR and b"[deadline_exceeded]" in r.stderr, r.stderr
    assert b"booting-slowly" in r.stderr
    assert ok_json(cli, "workspace", "service", "status", name, "slow")["state"] == "failed"

    # Published ports need egress+published-ports.
    r = pyro(cli, "workspace", "service", "start", name, "web", "--publish", "8080", "--", "sleep 60")
    assert r.returncode == EXIT_PYRO_ERROR and b"[failed_precondition]" in r.stderr, r.stderr

    # A crashing service reports its exit code.
    r = pyro(cli, "workspace", "service", "start", name, "crash", "--", "echo going down; sleep 0.5; exit 3")
    assert r.returncode == 0, r.stderr
    status = wait_until(lambda: (s := ok_json(cli, "workspace", "service", "status", name, "crash"))["state"] == "exited"
                        and s, 60, "service `crash` to be reported exited", interval=0.5)
    assert status["exit_code"] == 3
    assert b"exit 3" in ok(cli, "workspace", "service", "list", name).stdout

    # --follow drains the output of a finished service and ends by itself.
    r = ok(cli, "workspace", "service", "start", name, "count", "--",
           "for i in 1 2 3; do echo line$i; sleep 0.3; done")
    r = ok(cli, "workspace", "service", "logs", name, "count", "--cursor", "0", "--follow", "--wait", "1",
           timeout=120)
    assert r.stdout == b"line1\nline2\nline3\n"
    assert b"next cursor: 18" in r.stderr
    ok(cli, "workspace", "delete", name)


@pytest.mark.vm
def test_shell_keeps_state_and_replays(vm_cli, names):
    cli, name = vm_cli, names()
    ok(cli, "workspace", "create", "busybox", "--name", name, "--disk-mib", "64")
    shell = ok_json(cli, "workspace", "shell", "open", name, "--cols", "100", "--rows", "30")
    sid = shell["shell_id"]
    assert sid.startswith("sh-") and shell["state"] == "running" and shell["cols"] == 100
    assert ok(cli, "workspace", "shell", "open", name).stdout.decode().strip().startswith("sh-")

    ok(cli, "workspace", "shell", "write", name, sid, "cd /tmp")
    ok(cli, "workspace", "shell", "write", name, sid, "X=forty-two")
    ok(cli, "workspace", "shell", "write", name, sid, "echo", "--no-newline")
    ok(cli, "workspace", "shell", "write", name, sid, "-", stdin=b' "dir=$(pwd) x=$X"\n')
    seen = read_shell_until(cli, name, sid, b"dir=/tmp x=forty-two")

    # Replay from 0 gives the same output again; --json carries the cursors.
    replay = ok_json(cli, "workspace", "shell", "read", name, sid, "--cursor", "0")
    assert replay["cursor"] == 0 and replay["shell"]["shell_id"] == sid
    assert "dir=/tmp x=forty-two" in replay["output"]
    replayed = replay["output"].encode()
    assert replayed.startswith(seen) or seen.startswith(replayed)

    # Ctrl-C ends the foreground job, the shell goes on.
    ok(cli, "workspace", "shell", "write", name, sid, "sleep 100")
    assert b"running" in ok(cli, "workspace", "shell", "signal", name, sid, "--signal", "INT").stdout
    ok(cli, "workspace", "shell", "write", name, sid, "echo after-$((40+2))")  # the echo of the line differs
    read_shell_until(cli, name, sid, b"after-42", cursor=replay["next_cursor"])
    resized = ok_json(cli, "workspace", "shell", "resize", name, sid, "--cols", "80", "--rows", "24")
    assert (resized["cols"], resized["rows"]) == (80, 24)

    ok(cli, "workspace", "shell", "close", name, sid)
    r = pyro(cli, "workspace", "shell", "read", name, sid)
    assert r.returncode == EXIT_PYRO_ERROR and b"[not_found]" in r.stderr
    ok(cli, "workspace", "delete", name)


@pytest.mark.vm
def test_secrets_are_redacted(vm_cli, names, tmp_path):
    cli, name = vm_cli, names()
    secret_file = tmp_path / "token"
    secret_file.write_text(SECRET_VALUE)
    info = ok_json(cli, "workspace", "create", "busybox", "--name", name, "--disk-mib", "64",
                   "--secret-file", f"TOKEN={secret_file}", "--secret", "OTHER=plain-other-value")
    assert info["secret_names"] == ["OTHER", "TOKEN"]
    assert SECRET_VALUE not in json.dumps(info)

    # exec: the value reaches the command, never the output.
    r = ok(cli, "workspace", "exec", name, "--secret-env", "T=TOKEN", "--",
           'echo "$T"; echo "err:$T" >&2; test "$T" = "' + SECRET_VALUE + '" && echo matches')
    assert SECRET_VALUE.encode() not in r.stdout + r.stderr
    assert r.stdout == b"[REDACTED]\nmatches\n" and b"err:[REDACTED]" in r.stderr
    result = ok_json(cli, "workspace", "exec", name, "--secret-env", "T=TOKEN", "--", 'printf "%s" "$T"')
    assert result["stdout"] == "[REDACTED]"
    # Without --secret-env the command does not see it.
    assert ok(cli, "workspace", "exec", name, "--", 'echo "[$T][$TOKEN]"').stdout == b"[][]\n"
    r = pyro(cli, "workspace", "exec", name, "--secret-env", "T=NO_SUCH", "--", "true")
    assert r.returncode == EXIT_PYRO_ERROR and b"[not_found]" in r.stderr

    # service logs and shell output are redacted too.
    ok(cli, "workspace", "service", "start", name, "leak", "--secret-env", "T=TOKEN", "--",
       'echo "svc:$T"; sleep 60')
    logs = b""
    deadline = time.monotonic() + 30
    while b"svc:" not in logs:
        assert time.monotonic() < deadline, logs
        logs = ok(cli, "workspace", "service", "logs", name, "leak", "--wait", "1").stdout
    assert logs == b"svc:[REDACTED]\n"
    sid = ok(cli, "workspace", "shell", "open", name, "--secret-env", "T=TOKEN").stdout.decode().strip()
    ok(cli, "workspace", "shell", "write", name, sid, 'echo "sh:$T"')
    seen = read_shell_until(cli, name, sid, b"sh:[REDACTED]")
    assert SECRET_VALUE.encode() not in seen
    ok(cli, "workspace", "service", "stop", name, "leak")
    ok(cli, "workspace", "delete", name)
