"""Environment operations through the Python module: inspect, list, prune, pull
(including concurrent and interrupted pulls from other processes) and the
not-installed error. Needs the `busybox` boot set under $PYRO_HOME; forced pulls
rebuild it (about 10 s each)."""

import json
import os
import select
import signal
import subprocess
import sys
from pathlib import Path
from typing import List

import pytest

import pyro

from waiting import wait_until

CATALOG = ["busybox", "debian:12-base", "debian:12", "debian:12-build"]

# A child process that force-pulls busybox, printing each progress line (flushed)
# and finally the environment as JSON.
PULL_CHILD = r"""
import json, sys
import pyro
def progress(event):
    print("progress:", event.stage, event.message, flush=True)
with pyro.Pyro() as p:
    info = p.pull_environment("busybox", force=True, progress=progress)
    print("result:", json.dumps(info.to_dict()), flush=True)
"""


def leftovers(home: str) -> List[str]:
    """Temp and old directories that build-bootset.sh creates beside the target."""
    envs = Path(home) / "environments"
    return sorted(p.name for p in envs.glob(".busybox.tmp*")) + sorted(
        p.name for p in envs.glob(".busybox.old*")
    )


def assert_boots(client) -> None:
    r = client.run_in_vm("busybox", "echo alive")
    assert r.exit_code == 0 and r.stdout == "alive\n", r


# ---- inspect and list --------------------------------------------------------------


@pytest.mark.vm
def test_inspect_busybox(client, busybox):
    e = client.inspect_environment(busybox)
    assert isinstance(e, pyro.EnvironmentInfo)
    assert e.name == "busybox"
    assert e.installed
    assert e.source == "catalog"
    assert not e.has_rootfs
    assert len(e.sha256) == 64
    assert Path(e.path).is_dir()
    assert e.size_bytes > 0
    assert e.built_at.endswith("Z")
    assert e.kernel_version and e.agent_version and e.description
    assert e.packages == []
    assert isinstance(e.snapshot_ready, bool)
    d = e.to_dict()
    assert set(d) >= {
        "name", "description", "installed", "path", "kernel_version", "agent_version",
        "sha256", "source", "version", "packages", "size_bytes", "built_at", "has_rootfs",
        "snapshot_ready",
    }
    assert d["sha256"] == e.sha256 and d["packages"] == []
    json.dumps(d)  # JSON-ready
    assert repr(e).startswith("EnvironmentInfo(name='busybox'")


def test_inspect_catalog_rootfs_environment(client):
    e = client.inspect_environment("debian:12")
    assert e.source == "catalog"
    assert e.has_rootfs
    assert e.version == "12"
    assert "git" in e.packages and "python3" in e.packages
    if not e.installed:
        assert e.path == "" and e.sha256 == ""


def test_inspect_unknown_raises_not_found(client):
    with pytest.raises(pyro.NotFoundError) as info:
        client.inspect_environment("no-such-env")
    assert info.value.code == "not_found"
    assert "no-such-env" in info.value.message
    assert isinstance(info.value, LookupError)


def test_list_includes_the_catalog(client):
    envs = {e.name: e for e in client.list_environments()}
    for name in CATALOG:
        assert name in envs, name
        assert envs[name].description, name
        assert envs[name].source == "catalog", name
    assert envs["debian:12-build"].has_rootfs and not envs["busybox"].has_rootfs
    assert set(envs["debian:12"].packages) < set(envs["debian:12-build"].packages)


# ---- prune -------------------------------------------------------------------------


@pytest.mark.vm
def test_prune_dry_run_reports_without_deleting(client, busybox):
    stale = Path(client.home) / "environments" / ".busybox.tmp.pytest"
    stale.mkdir(exist_ok=True)
    (stale / "junk").write_bytes(b"x" * 8192)
    try:
        r = client.prune_environments(dry_run=True)
        assert isinstance(r, pyro.PruneResult)
        assert str(stale) in r.removed
        assert r.bytes_freed >= 8192
        assert stale.is_dir()
        assert r.to_dict() == {"removed": r.removed, "bytes_freed": r.bytes_freed}
        assert repr(r).startswith("PruneResult(")

        r = client.prune_environments()
        assert str(stale) in r.removed
        assert not stale.exists()
        assert client.inspect_environment(busybox).installed
    finally:
        if stale.exists():
            for f in stale.iterdir():
                f.unlink()
            stale.rmdir()


# ---- pull --------------------------------------------------------------------------


def test_pull_unknown_raises_not_found(client):
    with pytest.raises(pyro.NotFoundError):
        client.pull_environment("no-such-env")


def test_pull_rejects_a_non_callable_progress(client):
    with pytest.raises(pyro.InvalidArgumentError):
        client.pull_environment("busybox", progress="not callable")


@pytest.mark.vm
def test_pull_busybox_when_current_is_a_no_op(client, busybox):
    before = client.inspect_environment(busybox)
    lines = []
    after = client.pull_environment(busybox, progress=lines.append)
    assert after.installed
    assert after.sha256 == before.sha256
    assert after.built_at == before.built_at
    assert all(isinstance(e, pyro.Progress) for e in lines)
    assert lines and lines[0].stage == "download kernel" and lines[0].message == ""
    assert any("up to date" in e.message for e in lines), lines


@pytest.mark.vm
def test_progress_exception_is_raised_after_the_pull(client, busybox):
    before = client.inspect_environment(busybox)
    calls = []

    class Stop(Exception):
        pass

    def progress(line):
        calls.append(line)
        raise Stop(line)

    with pytest.raises(Stop):
        client.pull_environment(busybox, force=True, progress=progress)
    assert len(calls) == 1  # later lines are not delivered
    after = client.inspect_environment(busybox)
    assert after.installed and after.sha256 == before.sha256  # the pull itself completed
    assert leftovers(client.home) == []


@pytest.mark.vm
def test_two_concurrent_forced_pulls_from_two_processes(client, busybox):
    before = client.inspect_environment(busybox)
    children = [
        subprocess.Popen([sys.executable, "-c", PULL_CHILD], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    results = []
    for child in children:
        out, err = child.communicate(timeout=600)
        assert child.returncode == 0, err
        assert any(line.startswith("progress: ") for line in out.splitlines()), out
        result = [line for line in out.splitlines() if line.startswith("result: ")]
        assert len(result) == 1, out
        results.append(json.loads(result[0][len("result: "):]))
    for r in results:
        assert r["installed"] and r["sha256"] == before.sha256
    after = client.inspect_environment(busybox)
    assert after.installed and after.sha256 == before.sha256
    assert leftovers(client.home) == []
    assert_boots(client)


@pytest.mark.vm
def test_interrupted_pull_leaves_the_environment_intact(client, busybox):
    before = client.inspect_environment(busybox)
    child = subprocess.Popen([sys.executable, "-c", PULL_CHILD], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True)
    try:
        # Wait for the build to start (its first progress line) and to make its build
        # directory beside the target, so the kill lands in the middle of the work.
        ready, _, _ = select.select([child.stdout], [], [], 60)
        assert ready, "the pull printed no progress within 60 s"
        assert child.stdout.readline().startswith("progress: ")
        wait_until(lambda: leftovers(client.home) or child.poll() is not None, 120,
                   "the forced pull to make its build directory (.busybox.tmp.*)")
        assert child.poll() is None, "the forced pull finished before it could be interrupted"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        child.stdout.close()
    assert child.returncode == -signal.SIGKILL

    during = client.inspect_environment(busybox)
    assert during.installed and during.sha256 == before.sha256
    assert_boots(client)

    # The next pull (a no-op here) sweeps what the killed build left behind.
    after = client.pull_environment(busybox)
    assert after.installed and after.sha256 == before.sha256
    assert leftovers(client.home) == []
    assert_boots(client)


# ---- not installed -------------------------------------------------------------------


def test_run_in_uninstalled_environment_says_pull(client):
    if client.inspect_environment("debian:12-base").installed:
        pytest.skip("debian:12-base is installed in this home")
    with pytest.raises(pyro.NotFoundError) as info:
        client.run_in_vm("debian:12-base", "true")
    assert "pull" in info.value.message
    assert "debian:12-base" in info.value.message


# ---- client options ------------------------------------------------------------------


def test_client_accepts_the_new_options(tmp_path):
    with pyro.Pyro(home=tmp_path, guest_dir=None, auto_pull=False, snapshots=False) as p:
        assert p.home == str(tmp_path)
    with pyro.Pyro(home=tmp_path, snapshots="0"):
        pass
    with pytest.raises(pyro.InvalidArgumentError):
        pyro.Pyro(home=tmp_path, snapshots=3)


def test_import_errors(client, tmp_path):
    with pytest.raises(pyro.NotFoundError):
        client.import_environment("pytest-img", tmp_path / "missing.tar")
    with pytest.raises(pyro.AlreadyExistsError):
        client.import_environment("busybox", tmp_path / "missing.tar")
    with pytest.raises(pyro.InvalidArgumentError):
        client.import_environment("pytest-img", None)


@pytest.mark.vm
def test_auto_pull_builds_a_missing_environment_on_first_use(tmp_path, busybox):
    home = tmp_path / "home"
    with pyro.Pyro(home=home) as plain:
        with pytest.raises(pyro.NotFoundError) as missing:
            plain.run_in_vm("busybox", "true")
        assert "pull" in str(missing.value)
    with pyro.Pyro(home=home, auto_pull=True) as pulling:
        r = pulling.run_in_vm("busybox", "echo pulled")
        assert r.exit_code == 0 and r.stdout == "pulled\n"
        assert pulling.inspect_environment("busybox").installed
