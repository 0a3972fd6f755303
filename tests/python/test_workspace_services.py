"""Services, shells, secrets and network policies through the Python API:
argument checks without a VM, then real `busybox` workspaces (see conftest.py
for the skip rule). Network tests touch only 127.0.0.1."""

import os
import signal
import socket
import stat
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Iterator, Tuple

import pytest

import pyro
from waiting import wait_until
from workspace_support import unique_name
from workspace_support import workspace as shared_workspace

SECRET = f"pyro-s3cr3t-{uuid.uuid4().hex}"
UNKNOWN = "ws-000000000000"


def workspace(client, environment: str, **kwargs):
    """A small workspace deleted on exit."""
    kwargs.setdefault("name", unique_name("pytest-svc"))
    kwargs.setdefault("disk_mib", 64)
    return shared_workspace(client, environment, **kwargs)


def read_until(client, ws: str, shell_id: str, marker: str, cursor: int = 0,
               timeout: float = 30.0) -> Tuple[str, int]:
    """Shell output from `cursor` until `marker` shows up; returns (text, next cursor)."""
    seen = ""
    deadline = time.monotonic() + timeout
    while marker not in seen and time.monotonic() < deadline:
        out = client.read_shell(ws, shell_id, cursor=cursor, wait_seconds=2)
        seen += out.output
        cursor = out.next_cursor
    assert marker in seen, f"no {marker!r} in shell output {seen!r}"
    return seen, cursor


def wait_for_state(client, ws: str, name: str, state: str, timeout: float = 60.0) -> pyro.ServiceInfo:
    last = []

    def reached():
        last[:] = [client.status_service(ws, name)]
        return last[0].state == state and last[0]

    return wait_until(reached, timeout, f"service `{name}` to be {state}", interval=0.2, detail=lambda: last)


# ---- arguments (no VM) ------------------------------------------------------

@pytest.mark.parametrize("secrets, error", [
    ("tok", TypeError),                                        # not a list
    ({"name": "tok", "value": "v"}, TypeError),                # a dict, not a list of dicts
    (["tok"], TypeError),                                      # an item is not a dict
    ([{"name": "tok", "value": 5}], TypeError),                # value not a str
    ([{"name": 1, "value": "v"}], TypeError),
    ([{"value": "v"}], pyro.InvalidArgumentError),             # no name
    ([{"name": "tok"}], pyro.InvalidArgumentError),            # neither value nor file_path
    ([{"name": "tok", "value": "v", "file_path": "/etc/hostname"}], pyro.InvalidArgumentError),
    ([{"name": "tok", "value": "v", "secret": "x"}], pyro.InvalidArgumentError),  # unknown key
])
def test_create_rejects_malformed_secrets(client, secrets, error):
    with pytest.raises(error) as exc:
        client.create_workspace("busybox", name=unique_name(), secrets=secrets)
    assert "secrets" in str(exc.value)


def test_create_rejects_unknown_network_policy(client):
    with pytest.raises(pyro.InvalidArgumentError, match="network_policy"):
        client.create_workspace("busybox", name=unique_name(), network_policy="sideways")


@pytest.mark.parametrize("kwargs, error, word", [
    ({"readiness": "http"}, TypeError, "readiness"),
    ({"readiness": {"path": "/tmp/x"}}, pyro.InvalidArgumentError, "type"),
    ({"readiness": {"type": "tcp", "port": "80"}}, TypeError, "readiness.port"),
    ({"readiness": {"type": "tcp", "port": -1}}, pyro.InvalidArgumentError, "readiness.port"),
    ({"readiness": {"type": "file", "path": "/x", "timeout": 3}}, pyro.InvalidArgumentError, "timeout"),
    ({"readiness": {"type": "file", "timeout_seconds": "3"}}, TypeError, "timeout_seconds"),
    ({"published_ports": 8080}, TypeError, "published_ports"),
    ({"published_ports": ["8080"]}, TypeError, "published_ports[0]"),
    ({"published_ports": [8080, -5]}, pyro.InvalidArgumentError, "published_ports[1]"),
    ({"max_restarts": -1}, pyro.InvalidArgumentError, "max_restarts"),
])
def test_start_service_rejects_malformed_options(client, kwargs, error, word):
    with pytest.raises(error) as exc:
        client.start_service(UNKNOWN, "web", "true", **kwargs)
    assert word in str(exc.value)


def test_options_are_keyword_only(client):
    with pytest.raises(TypeError):
        client.start_service(UNKNOWN, "web", "true", "/workspace")
    with pytest.raises(TypeError):
        client.open_shell(UNKNOWN, "/workspace")
    with pytest.raises(TypeError):
        client.logs_service(UNKNOWN, "web", 0)
    with pytest.raises(TypeError):
        client.signal_shell(UNKNOWN, "sh-00000000", "TERM")
    with pytest.raises(TypeError):
        client.exec_workspace(UNKNOWN, "true", secret_env={"A": 1})


@pytest.mark.parametrize("call", [
    lambda c: c.start_service(UNKNOWN, "web", "true"),
    lambda c: c.list_services(UNKNOWN),
    lambda c: c.status_service(UNKNOWN, "web"),
    lambda c: c.logs_service(UNKNOWN, "web"),
    lambda c: c.stop_service(UNKNOWN, "web"),
    lambda c: c.open_shell(UNKNOWN),
    lambda c: c.write_shell(UNKNOWN, "sh-00000000", "ls\n"),
    lambda c: c.read_shell(UNKNOWN, "sh-00000000"),
    lambda c: c.resize_shell(UNKNOWN, "sh-00000000", 80, 24),
    lambda c: c.signal_shell(UNKNOWN, "sh-00000000"),
    lambda c: c.close_shell(UNKNOWN, "sh-00000000"),
])
def test_unknown_workspace_is_not_found(client, call):
    with pytest.raises(pyro.NotFoundError):
        call(client)


# ---- real VMs --------------------------------------------------------------

INDEX = "<h1>hello from pyro</h1>\n"
HTTPD = "httpd -f -p 0.0.0.0:8080 -h /workspace/www"


@pytest.mark.vm
def test_http_service_reachable_through_published_port(client, busybox):
    with workspace(client, busybox, network_policy="egress+published-ports") as ws:
        assert ws.network_policy == "egress+published-ports"
        client.write_workspace_file(ws.workspace_id, "www/index.html", INDEX)
        svc = client.start_service(
            ws.workspace_id, "web", HTTPD,
            readiness={"type": "http", "url": "http://127.0.0.1:8080/index.html", "timeout_seconds": 20},
            published_ports=[8080])
        assert svc.name == "web" and svc.state == "running" and svc.ready
        assert svc.readiness == "http" and svc.pid > 0
        assert len(svc.published_ports) == 1
        port = svc.published_ports[0]
        assert port.guest_port == 8080 and port.host == "127.0.0.1" and port.host_port > 0
        d = svc.to_dict()
        assert set(d) == {"name", "command", "cwd", "state", "pid", "exit_code", "signal", "restarts",
                          "started_at", "ended_at", "readiness", "ready", "published_ports"}
        assert d["published_ports"] == [{"guest_port": 8080, "host_port": port.host_port, "host": "127.0.0.1"}]

        url = f"http://127.0.0.1:{port.host_port}/index.html"
        with urllib.request.urlopen(url, timeout=10) as r:
            assert r.status == 200 and r.read().decode() == INDEX

        assert [s.name for s in client.list_services(ws.workspace_id)] == ["web"]
        # A service survives exec calls.
        assert client.exec_workspace(ws.workspace_id, "true").exit_code == 0
        assert client.status_service(ws.workspace_id, "web").state == "running"
        with pytest.raises(pyro.AlreadyExistsError):
            client.start_service(ws.workspace_id, "web", HTTPD)

        stopped = client.stop_service(ws.workspace_id, "web", grace_seconds=2)
        assert stopped.state == "stopped" and stopped.ended_at
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", port.host_port), timeout=2).close()


@pytest.mark.vm
def test_documented_wget_readiness_command_works_in_busybox(client, busybox):
    """docs/workspaces.md: `timeout N wget`, not `wget -T N` (busybox 1.35 segfaults on it)."""
    with workspace(client, busybox) as ws:
        client.write_workspace_file(ws.workspace_id, "www/index.html", INDEX)
        check = "timeout 5 wget -q -O /dev/null http://127.0.0.1:8080/index.html"
        svc = client.start_service(ws.workspace_id, "web", HTTPD,
                                   readiness={"type": "command", "command": check, "timeout_seconds": 20})
        assert svc.state == "running" and svc.ready
        crash = client.exec_workspace(ws.workspace_id, "wget -T 5 -q -O /dev/null http://127.0.0.1:8080/")
        assert crash.exit_code == 128 + signal.SIGSEGV  # why the docs say so; a fixed busybox fails this


@pytest.mark.vm
def test_published_ports_need_the_policy(client, busybox):
    with workspace(client, busybox) as ws:  # network_policy "off"
        assert ws.network_policy == "off" and not ws.network
        with pytest.raises(pyro.FailedPreconditionError):
            client.start_service(ws.workspace_id, "web", HTTPD, published_ports=[8080])


@pytest.mark.vm
def test_service_that_never_becomes_ready_fails_with_its_logs(client, busybox):
    with workspace(client, busybox) as ws:
        with pytest.raises(pyro.DeadlineExceededError) as exc:
            client.start_service(ws.workspace_id, "slow", "echo booting-marker; sleep 600",
                                 readiness={"type": "file", "path": "/tmp/never", "timeout_seconds": 2,
                                            "interval_ms": 100})
        assert "booting-marker" in str(exc.value)
        assert client.status_service(ws.workspace_id, "slow").state == "failed"


@pytest.mark.vm
def test_running_service_and_shell_have_no_exit_code_yet(client, busybox):
    with workspace(client, busybox) as ws:
        svc = client.start_service(ws.workspace_id, "idle", "echo up; exec sleep 600")
        assert svc.state in ("starting", "running")
        assert svc.exit_code is None and svc.to_dict()["exit_code"] is None
        # The guide's spelling: `workspace_id`, through the core's JSON form.
        status = client.call("status_service", {"workspace_id": ws.workspace_id, "name": "idle"})
        assert status["state"] == "running" and status["exit_code"] is None
        shell = client.open_shell(ws.workspace_id)
        assert shell.state == "running" and shell.exit_code is None
        assert shell.to_dict()["exit_code"] is None
        client.close_shell(ws.workspace_id, shell.shell_id)
        stopped = client.stop_service(ws.workspace_id, "idle", grace_seconds=2)
        assert stopped.state == "stopped" and stopped.exit_code is not None


@pytest.mark.vm
def test_crashing_service_reports_exit_code_and_logs(client, busybox):
    with workspace(client, busybox) as ws:
        client.start_service(ws.workspace_id, "crash", "echo about-to-exit; exit 7")
        info = wait_for_state(client, ws.workspace_id, "crash", "exited")
        assert info.exit_code == 7 and info.ended_at
        logs = client.logs_service(ws.workspace_id, "crash")
        assert "about-to-exit" in logs.output
        assert logs.service.state == "exited"
        d = logs.to_dict()
        assert set(d) == {"name", "output", "cursor", "next_cursor", "missed_bytes", "more", "service"}
        assert d["service"]["exit_code"] == 7
        assert logs.output_bytes.decode() == logs.output
        # A name whose service ended may be reused.
        client.start_service(ws.workspace_id, "crash", "exit 0")


@pytest.mark.vm
def test_shell_keeps_state_and_replays_from_a_cursor(client, busybox):
    with workspace(client, busybox) as ws:
        shell = client.open_shell(ws.workspace_id, cols=100, rows=30)
        assert shell.shell_id.startswith("sh-") and shell.state == "running"
        assert (shell.cols, shell.rows) == (100, 30)
        assert set(shell.to_dict()) == {"shell_id", "state", "pid", "exit_code", "cols", "rows", "cwd",
                                        "created_at"}
        client.write_shell(ws.workspace_id, shell.shell_id, "cd /tmp && FOO=bar-$((40+2))\n")
        # The marker is computed by the shell, so the echoed input cannot match it.
        client.write_shell(ws.workspace_id, shell.shell_id, 'echo "$FOO in $(pwd)"\n')
        text, cursor = read_until(client, ws.workspace_id, shell.shell_id, "bar-42 in /tmp")

        replay = client.read_shell(ws.workspace_id, shell.shell_id, cursor=0)
        assert replay.cursor == 0 and "bar-42 in /tmp" in replay.output
        assert replay.shell.shell_id == shell.shell_id
        assert set(replay.to_dict()) == {"shell_id", "output", "cursor", "next_cursor", "missed_bytes",
                                         "more", "shell"}
        later = client.read_shell(ws.workspace_id, shell.shell_id, cursor=cursor)
        assert later.cursor == cursor and "bar-42 in /tmp" not in later.output

        resized = client.resize_shell(ws.workspace_id, shell.shell_id, 80, 24)
        assert (resized.cols, resized.rows) == (80, 24)
        client.write_shell(ws.workspace_id, shell.shell_id, "sleep 600\n")
        client.signal_shell(ws.workspace_id, shell.shell_id, signal="INT")
        client.write_shell(ws.workspace_id, shell.shell_id, "echo after-$((6*7))\n")
        read_until(client, ws.workspace_id, shell.shell_id, "after-42", cursor)

        client.close_shell(ws.workspace_id, shell.shell_id)
        with pytest.raises(pyro.NotFoundError):
            client.read_shell(ws.workspace_id, shell.shell_id)


def files_holding(root: Path, needle: bytes) -> Iterator[Path]:
    """Files under root whose bytes contain needle (read in overlapping chunks)."""
    for path in root.rglob("*"):
        if not path.is_file() or path.is_symlink():
            continue
        with path.open("rb") as f:
            tail = b""
            while True:
                chunk = f.read(1 << 20)
                if not chunk:
                    break
                if needle in tail + chunk:
                    yield path
                    break
                tail = chunk[-len(needle):]


@pytest.mark.vm
def test_secrets_are_injected_and_redacted_everywhere(client, busybox, tmp_path):
    secret_file = tmp_path / "file-secret"
    file_value = f"file-{SECRET}"
    secret_file.write_text(file_value)
    secrets = [{"name": "tok", "value": SECRET}, {"name": "filetok", "file_path": secret_file}]
    with workspace(client, busybox, secrets=secrets) as ws:
        assert ws.secret_names == ["filetok", "tok"]
        assert SECRET not in repr(ws.to_dict())

        r = client.exec_workspace(ws.workspace_id, 'echo "out=$T"; echo "err=$F" >&2; echo ${#T}',
                                  secret_env={"T": "tok", "F": "filetok"})
        assert "out=[REDACTED]" in r.stdout and "err=[REDACTED]" in r.stderr
        assert r.stdout.splitlines()[-1] == str(len(SECRET))  # the process saw the value
        assert SECRET not in r.stdout + r.stderr and file_value not in r.stderr
        with pytest.raises(pyro.NotFoundError):
            client.exec_workspace(ws.workspace_id, "true", secret_env={"T": "nosuch"})

        shell = client.open_shell(ws.workspace_id, secret_env={"T": "tok"})
        client.write_shell(ws.workspace_id, shell.shell_id, 'echo "shell=$T"; echo done-$((1+1))\n')
        text, _ = read_until(client, ws.workspace_id, shell.shell_id, "done-2")
        assert "shell=[REDACTED]" in text and SECRET not in text
        client.close_shell(ws.workspace_id, shell.shell_id)

        client.start_service(ws.workspace_id, "leaky", 'echo "svc=$T"; touch /tmp/leaky; exec sleep 600',
                             secret_env={"T": "tok"}, readiness={"type": "file", "path": "/tmp/leaky"})
        logs = client.logs_service(ws.workspace_id, "leaky", cursor=0, wait_seconds=2)
        assert "svc=[REDACTED]" in logs.output and SECRET not in logs.output
        client.stop_service(ws.workspace_id, "leaky", grace_seconds=1)

        # On the host, the value lives only in 0600 files of the workspace's state.
        client.stop_workspace(ws.workspace_id)
        for path in files_holding(Path(ws.path), SECRET.encode()):
            mode = stat.S_IMODE(os.stat(path).st_mode)
            assert mode & 0o077 == 0, f"{path} holds the secret with mode {oct(mode)}"
