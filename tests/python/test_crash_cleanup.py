"""The embedding process dies with SIGKILL: its VMM must die too, and the next
client must sweep the run directory it left behind."""

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pyro
import pytest

from waiting import wait_until

pytestmark = pytest.mark.vm

CHILD = textwrap.dedent(
    """
    import sys, time, threading, pyro
    client = pyro.Pyro()
    # Boot from a worker thread that then exits: the VMM must outlive the thread
    # (it is tied to the process, not to the thread that asked for it).
    box = {}
    def boot():
        box["tid"] = threading.get_native_id()
        vm = client.create_vm("busybox")
        box["info"] = client.start_vm(vm.vm_id)
    t = threading.Thread(target=boot)
    t.start(); t.join()
    info = box["info"]
    print(info.vm_id, info.pid, box["tid"], flush=True)
    time.sleep(600)  # hygiene: the workload: keeps this process alive until the test kills it
    """
)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead for our purpose (its parent, the killed child, is gone too).
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def _kill_pending(pid: int) -> bool:
    """Whether a SIGKILL was sent to `pid` and not acted on yet."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    pending = 0
    for line in status.splitlines():
        if line.startswith(("SigPnd:", "ShdPnd:")):
            pending |= int(line.split()[1], 16)
    return bool(pending & (1 << (signal.SIGKILL - 1)))


def _pyro_home() -> Path:
    if os.environ.get("PYRO_HOME"):
        return Path(os.environ["PYRO_HOME"])
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return Path(cache) / "pyro"


def test_vmm_dies_with_its_process_and_the_run_dir_is_swept():
    child = subprocess.Popen([sys.executable, "-c", CHILD], stdout=subprocess.PIPE, text=True)
    try:
        line = child.stdout.readline().split()
        assert len(line) == 3, "child did not report a booted VM"
        vm_id, qemu_pid, tid = line[0], int(line[1]), int(line[2])
        # A thread's task leaves /proc only after its exit notified its children (the
        # parent-death signal): from then on, such a signal is pending or acted on.
        wait_until(lambda: not Path(f"/proc/{child.pid}/task/{tid}").exists(), 30,
                   "the thread that booted the VM to be gone")
        assert _alive(qemu_pid) and not _kill_pending(qemu_pid), "the VMM died with the thread that started it"
        run_dir = _pyro_home() / "run" / vm_id
        assert run_dir.is_dir()
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()

    wait_until(lambda: not _alive(qemu_pid), 30, f"the VMM (pid {qemu_pid}) to die with its owner's SIGKILL")

    assert run_dir.exists(), "nothing swept it yet"
    with pyro.Pyro():  # a new client sweeps run directories whose owner is gone
        pass
    assert not run_dir.exists()


STALLED_START = textwrap.dedent(
    """
    import pyro
    pyro.Pyro().run_in_vm("busybox", "true")
    """
)


def _console_keepers(home: Path) -> set:
    """pids of console keepers writing a console.log under `home`."""
    found = set()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if (proc / "comm").read_text().strip() != "pyro-console":
                continue
            targets = [os.readlink(fd) for fd in (proc / "fd").iterdir()]
        except OSError:
            continue  # gone meanwhile, or not ours to read
        if any(t.startswith(str(home) + "/") and t.endswith("/console.log") for t in targets):
            found.add(int(proc.name))
    return found


def test_console_keeper_ends_when_its_starter_dies_before_qemu_is_up(tmp_path, busybox):
    """SIGKILL of the embedding process after the console keeper started but before
    QEMU opened its FIFO: the keeper must not wait forever for a writer."""
    home = _pyro_home()
    started = tmp_path / "qemu-started"
    # A QEMU that starts and never opens its chardevs (nor answers on QMP).
    stall = tmp_path / "qemu-stalls"
    stall.write_text(f"#!/bin/sh\n: > '{started}'\nexec sleep 600  # hygiene: the stalled VMM under test\n")
    stall.chmod(0o755)
    before = _console_keepers(home)
    env = dict(os.environ, PYRO_QEMU=str(stall), PYRO_JAIL="off", PYRO_SNAPSHOTS="0", PYRO_ACCEL="tcg")
    child = subprocess.Popen([sys.executable, "-c", STALLED_START], env=env)
    try:
        wait_until(started.exists, 60, "the stand-in QEMU to start")
        keepers = _console_keepers(home) - before
        assert keepers, "no console keeper runs for the starting VM"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    wait_until(lambda: not (keepers & _console_keepers(home)), 30,
               f"the console keeper(s) {sorted(keepers)} to end with their starter")
    with pyro.Pyro():  # sweeps the run directory the killed child left
        pass
