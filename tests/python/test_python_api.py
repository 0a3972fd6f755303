"""The Python API over real VMs of environment `busybox` (see conftest.py)."""

import os
import threading
from pathlib import PurePosixPath

import pytest

import pyro

from project_version import project_version
from waiting import wait_until


# ---- no VM needed -----------------------------------------------------------------


def test_version_and_exports():
    assert pyro.__version__ == project_version()
    for name in pyro.__all__:
        assert hasattr(pyro, name), name


def test_nonexistent_environment_is_not_found(client):
    with pytest.raises(pyro.NotFoundError) as info:
        client.run_in_vm("no-such-environment", "true")
    err = info.value
    assert isinstance(err, LookupError)
    assert isinstance(err, pyro.Error)
    assert err.code == "not_found"
    assert err.message and str(err) == err.message


@pytest.mark.parametrize(
    "kwargs",
    [{"vcpu_count": 0}, {"mem_mib": 1}, {"timeout_seconds": 0}, {"vcpu_count": -1}],
    ids=["vcpu_count=0", "mem_mib=1", "timeout_seconds=0", "vcpu_count=-1"],
)
def test_invalid_arguments(client, kwargs):
    with pytest.raises(pyro.InvalidArgumentError) as info:
        client.run_in_vm("busybox", "true", **kwargs)
    assert isinstance(info.value, ValueError)
    assert info.value.code == "invalid_argument"


def test_invalid_create_vm(client):
    with pytest.raises(pyro.InvalidArgumentError):
        client.create_vm("busybox", vcpu_count=0)


def test_options_are_keyword_only(client):
    with pytest.raises(TypeError):
        client.run_in_vm("busybox", "true", 1)  # vcpu_count must be passed by name


def test_unknown_vm_is_not_found(client):
    for call in (client.status_vm, client.start_vm, client.delete_vm):
        with pytest.raises(pyro.NotFoundError):
            call("vm-does-not-exist")
    with pytest.raises(pyro.NotFoundError):
        client.exec_vm("vm-does-not-exist", "true")


def test_catalog_and_doctor(client):
    envs = client.list_environments()
    assert "busybox" in [e.name for e in envs]
    assert set(envs[0].to_dict()) >= {"name", "installed", "path"}
    report = client.doctor()
    assert isinstance(report.ok, bool)
    assert all(isinstance(c, pyro.DoctorCheck) for c in report.checks)
    assert report.to_dict()["checks"] == [c.to_dict() for c in report.checks]
    assert repr(report).startswith("DoctorReport(")


def test_closed_client_raises():
    p = pyro.Pyro()
    p.close()
    p.close()  # idempotent
    assert p.closed
    with pytest.raises(pyro.FailedPreconditionError):
        p.list_vms()


def test_log_handler_accepts_and_removes():
    seen = []
    pyro.set_log_handler("debug", lambda level, msg: seen.append((level, msg)))
    try:
        with pytest.raises(pyro.InvalidArgumentError):
            pyro.set_log_handler("loud", print)
    finally:
        pyro.set_log_handler(pyro.LogLevel.OFF, None)


# ---- real VMs ---------------------------------------------------------------------


@pytest.mark.vm
def test_an_idle_guest_is_tickless(client, busybox):
    """An idle guest must not take a periodic timer interrupt (each one a trip through
    TCG): the guest keeps time with the TSC and runs high-resolution, tickless timers."""
    if client.doctor().accelerator != "tcg":
        pytest.skip("the TCG clock flags only")
    # A fresh guest (or a clone of a template saved early) starts on tsc-early and
    # switches to the refined tsc, then to high-resolution tickless mode, within a
    # few seconds: wait for that in the guest (polled, with a deadline), then report.
    state = ("cat /sys/devices/system/clocksource/clocksource0/current_clocksource;"
             " grep -m1 hres_active /proc/timer_list; grep -m1 nohz_mode /proc/timer_list")
    r = client.run_in_vm(
        busybox,
        f"i=0; until [ \"$({{ {state}; }} | tr -d ' \\n')\" = 'tsc.hres_active:1.nohz_mode:2' ]"
        " || [ $i -ge 300 ]; do sleep 0.1; i=$((i+1)); done; " + state,
        timeout_seconds=60,
    )
    assert r.exit_code == 0, r.stderr
    clocksource, hres, nohz = (line.split(":")[-1].strip() for line in r.stdout.splitlines())
    assert clocksource == "tsc"
    assert hres == "1"
    assert nohz != "0"


@pytest.mark.vm
def test_stdout_and_stderr(client, busybox):
    r = client.run_in_vm(busybox, "echo hello; echo oops >&2")
    assert r.exit_code == 0 and r.signal == 0 and not r.timed_out
    assert r.stdout == "hello\n"
    assert r.stderr == "oops\n"
    assert r.stdout_bytes == b"hello\n"
    assert not r.stdout_truncated and not r.stderr_truncated
    assert r.vm_id
    d = r.to_dict()
    assert d["stdout"] == "hello\n" and d["exit_code"] == 0
    assert repr(r).startswith("ExecResult(")


@pytest.mark.vm
@pytest.mark.parametrize("code", [3, 0, 255])
def test_exit_codes(client, busybox, code):
    r = client.run_in_vm(busybox, f"exit {code}")
    assert r.exit_code == code
    assert r.signal == 0


@pytest.mark.vm
def test_killed_by_signal(client, busybox):
    r = client.run_in_vm(busybox, "kill -TERM $$")
    assert r.signal == 15
    assert r.exit_code == 128 + 15


@pytest.mark.vm
def test_binary_output(client, busybox):
    r = client.run_in_vm(busybox, r"printf 'a\000b\377\n'; printf '\001\000' >&2")
    assert r.stdout_bytes == b"a\x00b\xff\n"
    assert r.stderr_bytes == b"\x01\x00"
    assert r.stdout == "a\x00b\ufffd\n"  # text view: invalid UTF-8 replaced


@pytest.mark.vm
def test_truncation(client, busybox):
    r = client.run_in_vm(
        busybox,
        "head -c 5000 /dev/zero | tr '\\0' x; head -c 10 /dev/zero | tr '\\0' y >&2",
        max_output_bytes=1000,
    )
    assert r.stdout_truncated
    assert 0 < len(r.stdout_bytes) <= 1000
    assert set(r.stdout_bytes) == {ord("x")}
    assert not r.stderr_truncated
    assert r.stderr_bytes == b"y" * 10


@pytest.mark.vm
def test_timeout(client, busybox):
    r = client.run_in_vm(busybox, "sleep 60", timeout_seconds=1)
    assert r.timed_out
    assert r.exit_code == 137


@pytest.mark.vm
def test_env_and_cwd(client, busybox):
    r = client.run_in_vm(
        busybox, 'echo "$GREETING|$(pwd)"', env={"GREETING": "hi there"}, cwd="/tmp"
    )
    assert r.stdout == "hi there|/tmp\n"
    r = client.run_in_vm(busybox, "pwd", cwd=PurePosixPath("/proc"))
    assert r.stdout == "/proc\n"


@pytest.mark.vm
def test_lifecycle(client, busybox):
    vm = client.create_vm(busybox, mem_mib=128)
    assert vm.state == "created"
    assert vm.environment == busybox and vm.mem_mib == 128 and vm.vcpu_count == 1
    try:
        started = client.start_vm(vm.vm_id)
        assert started.state == "running"
        assert started.pid > 0
        assert client.status_vm(vm.vm_id).state == "running"
        assert vm.vm_id in [v.vm_id for v in client.list_vms()]
        r = client.exec_vm(vm.vm_id, "echo lifecycle; exit 4")
        assert (r.stdout, r.exit_code, r.vm_id) == ("lifecycle\n", 4, vm.vm_id)
    except BaseException:
        client.delete_vm(vm.vm_id)
        raise
    with pytest.raises(pyro.NotFoundError):
        client.status_vm(vm.vm_id)  # exec_vm deleted it
    assert vm.vm_id not in [v.vm_id for v in client.list_vms()]


@pytest.mark.vm
def test_gil_is_released(client, busybox):
    """While run_in_vm runs in a thread, this thread runs Python and calls in.

    The call's VM is listed only between its creation and its deletion, both inside
    run_in_vm; if the call held the GIL, this thread could not run until it returned
    and would never see that VM.
    """
    errors = []
    before = {v.vm_id for v in client.list_vms()}

    def worker():
        try:
            r = client.run_in_vm(busybox, "sleep 5; echo done")  # the workload: a call that lasts
            assert r.stdout == "done\n"
        except BaseException as e:  # reported below; a thread must not swallow it
            errors.append(e)

    first = threading.Thread(target=worker)
    first.start()
    try:
        # Stops early when the call ends: then the answer is "never seen", not a timeout.
        seen = wait_until(lambda: ({v.vm_id for v in client.list_vms()} - before) or not first.is_alive(),
                          120, "the VM of the running run_in_vm call to be listed by this thread")
    finally:
        first.join()
    assert not errors, errors
    assert seen is not True, "this thread never ran while run_in_vm was running: the GIL was held"


@pytest.mark.vm
def test_context_manager_deletes_vms(busybox):
    with pyro.Pyro() as p:
        vm = p.start_vm(p.create_vm(busybox).vm_id)
        pid, home = vm.pid, p.home
        assert pid > 0
        assert os.path.exists(f"/proc/{pid}")
    assert p.closed
    wait_until(lambda: not os.path.exists(f"/proc/{pid}"), 30, f"the VMM (pid {pid}) to exit after close()")
    assert not os.path.exists(os.path.join(home, "run", vm.vm_id))
