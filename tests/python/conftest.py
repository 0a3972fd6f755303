"""Shared fixtures of the Python tests.

Run with the built package on the path, e.g.
    PYTHONPATH=<build>/python python3 -m pytest tests/python
Tests that boot VMs carry @pytest.mark.vm (so `-m "not vm"` is a fast lane that boots
nothing) and reach VMs through the `busybox` or `vm_cli` fixture, which skips when the
environment is not installed (PYRO_REQUIRE_VMS=1 makes that a failure, as in CI); a test
that requests either fixture without the marker fails.
At the end of the session, a check fails the run if any QEMU process started from
$PYRO_HOME or any entry under $PYRO_HOME/run is left behind.
"""

import json
import os
import subprocess
from pathlib import Path
from typing import Iterator, List

import pytest

from waiting import wait_until

ENVIRONMENT = "busybox"

# Fixtures through which tests reach bootable VMs: requesting one needs @pytest.mark.vm.
VM_FIXTURES = ("busybox", "vm_cli")


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Keeps the `vm` marker true: a test that reaches VMs must carry it."""
    if item.get_closest_marker("vm") is not None:
        return
    used = [name for name in VM_FIXTURES if name in getattr(item, "fixturenames", ())]
    if used:
        pytest.fail(f"`{item.nodeid}` requests the `{used[0]}` fixture, which boots VMs, but lacks "
                    "@pytest.mark.vm: mark the test (or its module's `pytestmark`) so that "
                    "`-m \"not vm\"` boots nothing", pytrace=False)


def pyro_home() -> Path:
    home = os.environ.get("PYRO_HOME")
    if home:
        return Path(home)
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "pyro"


def leftover_qemu(home: Path, marker: str = "") -> List[str]:
    """Command lines of qemu-system processes whose arguments mention `marker`
    (default <home>/run/)."""
    marker = marker or f"{home}/run/"
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue  # exited meanwhile, or not ours to read
        cmdline = " ".join(a.decode(errors="replace") for a in argv if a)
        if "qemu-system" in cmdline and marker in cmdline:
            found.append(f"{proc.name}: {cmdline}")
    return found


@pytest.fixture(scope="session")
def refusing_qemu(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A stand-in QEMU that refuses to boot and says why."""
    path = tmp_path_factory.mktemp("no-vm") / "qemu-refused-test-lacks-vm-marker"
    path.write_text("#!/bin/sh\necho 'pyro tests: a test without @pytest.mark.vm tried to boot a VM' >&2\nexit 1\n")
    path.chmod(0o755)
    return str(path)


@pytest.fixture(autouse=True)
def no_vm_unless_marked(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """A test without the `vm` marker cannot boot through a subprocess (CLI, MCP server,
    example) or a client it makes itself: they see a QEMU that refuses. Clients made by
    session fixtures before this runs keep the real one."""
    if request.node.get_closest_marker("vm") is None:
        monkeypatch.setenv("PYRO_QEMU", request.getfixturevalue("refusing_qemu"))


@pytest.fixture(scope="session", autouse=True)
def no_leftover_vms() -> Iterator[None]:
    """Session teardown check (runs after every other fixture is finalised): no VMM,
    run directory or workspace that this session created is left."""
    home = pyro_home()
    workspaces = home / "workspaces"

    def workspace_entries() -> set:
        if not workspaces.is_dir():
            return set()
        return {p.name for p in workspaces.iterdir() if p.name != ".names.lock"}

    before = workspace_entries()
    yield
    procs: List[str] = []
    entries: List[str] = []

    def nothing_left() -> bool:
        nonlocal procs, entries
        new_workspaces = sorted(workspace_entries() - before)
        procs = leftover_qemu(home)
        for name in new_workspaces:
            procs += leftover_qemu(home, f"{workspaces}/{name}/")
        run = home / "run"
        entries = sorted(str(p) for p in run.iterdir()) if run.is_dir() else []
        entries += [str(workspaces / name) for name in new_workspaces]
        return not procs and not entries

    try:
        wait_until(nothing_left, 5, "VMM processes to be reaped and run directories removed", interval=0.25)
        return
    except AssertionError:
        pass
    message = []
    if procs:
        message.append("leftover QEMU processes:\n  " + "\n  ".join(procs))
    if entries:
        message.append(f"leftover run directories or workspaces under {home}:\n  " + "\n  ".join(entries))
    pytest.fail("\n".join(message), pytrace=False)


@pytest.fixture(scope="session")
def client() -> Iterator["object"]:
    """One pyro.Pyro for the whole session; closed (deleting its VMs) at the end."""
    import pyro

    p = pyro.Pyro()
    try:
        yield p
    finally:
        p.close()


def skip_without_vms(reason: str) -> None:
    """Skips a test that needs VMs; with PYRO_REQUIRE_VMS=1 (CI) fails it instead."""
    if os.environ.get("PYRO_REQUIRE_VMS") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def busybox(client) -> str:
    """The environment name, when VMs of it can be booted; skips otherwise."""
    installed = {e.name: e.installed for e in client.list_environments()}
    if not installed.get(ENVIRONMENT):
        skip_without_vms(f"environment `{ENVIRONMENT}` is not installed under {client.home}")
    return ENVIRONMENT


@pytest.fixture(scope="session")
def cli() -> str:
    """The `pyro` CLI binary under test, from $PYRO_CLI."""
    path = os.environ.get("PYRO_CLI")
    if not path:
        pytest.fail("PYRO_CLI is not set: point it at the built `pyro` binary")
    if not os.access(path, os.X_OK):
        pytest.fail(f"PYRO_CLI={path!r} is not an executable file")
    return path


@pytest.fixture(scope="session")
def vm_cli(cli: str) -> str:
    """The CLI, when a VM can actually be booted from the busybox environment."""
    r = subprocess.run([cli, "env", "list", "--json"], capture_output=True, text=True,
                       timeout=60, check=False)
    assert r.returncode == 0, r.stderr
    envs = {e["name"]: e for e in json.loads(r.stdout)["items"]}
    if not envs.get(ENVIRONMENT, {}).get("installed"):
        skip_without_vms(f"environment `{ENVIRONMENT}` is not installed under $PYRO_HOME")
    return cli
