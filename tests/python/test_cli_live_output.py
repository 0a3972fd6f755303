"""The CLI relays a guest command's output live (nothing buffered until it ends) and
Ctrl-C (SIGINT) cancels the command, on real VMs. The commands never end by
themselves: reading a line of theirs while the CLI still runs proves the relay is
live, and the signal is the only way they end."""

import json
import signal
import subprocess
import threading

import pytest

from cli_support import ok
from conftest import leftover_qemu, pyro_home
from waiting import wait_until

pytestmark = pytest.mark.vm


class Reader:
    """Collects a pipe's bytes in a thread, so the test can wait for a line."""

    def __init__(self, pipe) -> None:
        self.data = b""
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._run, args=(pipe,), daemon=True)
        self.thread.start()

    def _run(self, pipe) -> None:
        for chunk in iter(lambda: pipe.read1(65536), b""):
            with self.lock:
                self.data += chunk

    def text(self) -> bytes:
        with self.lock:
            return self.data


def interrupt_after(proc, out: Reader, needle: bytes, what: str, err: Reader = None, err_needle: bytes = b"") -> None:
    try:
        wait_until(lambda: (needle in out.text() and (err is None or err_needle in err.text()))
                   or proc.poll() is not None, 180, what, detail=out.text)
        assert proc.poll() is None, "the command ended by itself"
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    out.thread.join(timeout=30)


def test_run_relays_output_live_and_ctrl_c_cancels(vm_cli):
    proc = subprocess.Popen([vm_cli, "run", "busybox", "--timeout-seconds", "1200", "--",
                             "echo first; echo err-line >&2; sleep 600; echo never"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = Reader(proc.stdout), Reader(proc.stderr)
    # Both lines are out before the command blocks.
    interrupt_after(proc, out, b"first\n", "the first lines on the CLI's stdout and stderr while the command runs",
                    err, b"err-line\n")
    err.thread.join(timeout=30)
    assert proc.returncode == 128 + signal.SIGINT, err.text()
    assert out.text() == b"first\n"
    assert b"err-line\n" in err.text()
    assert b"interrupted" in err.text()
    wait_until(lambda: not leftover_qemu(pyro_home()), 60, "the VMM of the interrupted run to end",
               detail=lambda: leftover_qemu(pyro_home()))


def test_workspace_exec_relays_live_and_ctrl_c_cancels_the_command_not_the_workspace(vm_cli):
    ws_id = json.loads(ok(vm_cli, "workspace", "create", "busybox", "--json").stdout)["workspace_id"]
    try:
        proc = subprocess.Popen([vm_cli, "workspace", "exec", ws_id, "--timeout-seconds", "1200", "--",
                                 "sleep 900 & echo $! > /workspace/bg.pid; echo first; sleep 600"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out, err = Reader(proc.stdout), Reader(proc.stderr)
        interrupt_after(proc, out, b"first\n", "`first` on the CLI's stdout while the command runs")
        err.thread.join(timeout=30)
        assert proc.returncode == 128 + signal.SIGINT, err.text()
        assert b"cancelling the command" in err.text()
        # The workspace still runs commands, and the cancelled group's background child is gone
        # (polled in the guest: a zombie waiting to be reaped counts as gone).
        check = ok(vm_cli, "workspace", "exec", ws_id, "--",
                   "pid=$(cat /workspace/bg.pid); i=0; "
                   "gone() { s=$(cut -d' ' -f3 /proc/$pid/stat 2>/dev/null); [ -z \"$s\" ] || [ \"$s\" = Z ]; }; "
                   "until gone || [ $i -ge 300 ]; do sleep 0.1; i=$((i+1)); done; "
                   "if gone; then echo gone; else echo alive; fi")
        assert check.stdout == b"gone\n"
    finally:
        subprocess.run([vm_cli, "workspace", "delete", ws_id], capture_output=True, timeout=300, check=False)
