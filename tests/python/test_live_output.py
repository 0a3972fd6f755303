"""Live output (`on_output=`) and cancellation (`cancel=pyro.CancelToken()`) of guest
commands through the Python API, on real VMs. The commands here never end by
themselves: a chunk seen before the test cancels proves output arrives while the
command runs, and the cancel is the only way the call returns."""

import threading

import pytest

import pyro
from waiting import wait_until
from workspace_support import workspace

pytestmark = pytest.mark.vm

BLOCKED = "echo first; echo to-stderr >&2; sleep 600; echo never"


class Chunks:
    """Collects (stream, data) chunks from the call's thread."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.items = []

    def __call__(self, stream: str, data: bytes) -> None:
        assert isinstance(data, bytes) and data
        with self.lock:
            self.items.append((stream, data))

    def text(self, stream: str) -> str:
        with self.lock:
            return b"".join(d for s, d in self.items if s == stream).decode()


def run_in_thread(fn, *args, **kwargs):
    """Runs fn in a thread; returns (thread, box) where box holds "result" or "error"."""
    box = {}

    def target():
        try:
            box["result"] = fn(*args, **kwargs)
        except BaseException as e:  # noqa: BLE001 - reported by the test
            box["error"] = e

    t = threading.Thread(target=target)
    t.start()
    return t, box


def test_run_in_vm_streams_live_and_cancels_from_another_thread(client, busybox):
    chunks = Chunks()
    cancel = pyro.CancelToken()
    t, box = run_in_thread(client.run_in_vm, busybox, BLOCKED, timeout_seconds=1200, on_output=chunks,
                           cancel=cancel)
    try:
        # The GIL is free while the command runs: this thread polls the chunks.
        # Both lines are out before the command blocks.
        wait_until(lambda: "first\n" in chunks.text("stdout") and "to-stderr\n" in chunks.text("stderr"), 180,
                   "the first chunks", detail=lambda: chunks.items)
    finally:
        cancel.cancel()
        t.join()
    assert "error" not in box, box.get("error")
    r = box["result"]
    assert cancel.cancelled
    assert r.cancelled and r.exit_code == 137 and not r.timed_out
    assert r.stdout == "first\n" == chunks.text("stdout")
    assert r.stderr == "to-stderr\n" == chunks.text("stderr")
    assert r.to_dict()["cancelled"] is True
    assert client.list_vms() == []


def test_an_output_callback_that_raises_cancels_and_its_exception_comes_out(client, busybox):
    class Stop(Exception):
        pass

    def on_output(stream, data):
        raise Stop(data)

    with pytest.raises(Stop):
        client.run_in_vm(busybox, BLOCKED, timeout_seconds=1200, on_output=on_output)
    assert client.list_vms() == []


def test_argument_checks():
    with pytest.raises(pyro.InvalidArgumentError):
        pyro.Pyro().run_in_vm("busybox", "true", on_output=5)
    with pytest.raises(pyro.InvalidArgumentError):
        pyro.Pyro().run_in_vm("busybox", "true", cancel="soon")


def test_exec_workspace_redacts_live_chunks_and_stays_usable_after_a_cancel(client, busybox):
    secret = "pyro-py-live-secret-93b1"
    with workspace(client, busybox, secrets=[{"name": "tok", "value": secret}]) as ws:
        chunks = Chunks()
        cancel = pyro.CancelToken()
        # The secret goes out in two pieces with a pause between them, then the command blocks.
        command = ('half=$((${#TOK} / 2)); printf "%s" "$(echo "$TOK" | cut -c1-$half)"; sleep 1; '
                   'printf "%s\\n" "$(echo "$TOK" | cut -c$((half + 1))-)"; echo blocked; sleep 600')
        t, box = run_in_thread(client.exec_workspace, ws.workspace_id, command, timeout_seconds=1200,
                               secret_env={"TOK": "tok"}, on_output=chunks, cancel=cancel)
        try:
            wait_until(lambda: "blocked\n" in chunks.text("stdout"), 180, "the `blocked` chunk",
                       detail=chunks.text)
        finally:
            cancel.cancel()
            t.join()
        assert "error" not in box, box.get("error")
        r = box["result"]
        assert r.cancelled and r.exit_code == 137
        assert r.stdout == "[REDACTED]\nblocked\n" == chunks.text("stdout")
        with chunks.lock:
            assert all(secret[:6].encode() not in d for _, d in chunks.items)
        again = client.exec_workspace(ws.workspace_id, "echo still here")
        assert again.stdout == "still here\n" and not again.cancelled
