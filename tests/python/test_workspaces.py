"""Workspaces through the Python API: argument errors without a VM, then agent
sessions on real `busybox` VMs (see conftest.py for the skip rule)."""

import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import uuid
from pathlib import Path, PurePosixPath
from typing import List

import pytest

import pyro
from waiting import wait_until
from workspace_support import unique_name, workspace

MAIN_C = "int main(void) {\n  return 0;\n}\n"


def make_seed(root: Path) -> Path:
    """A small project: README.md, src/main.c, old.txt (deleted later), keep.txt."""
    root.mkdir(parents=True)
    (root / "README.md").write_text("hello\n")
    (root / "src").mkdir()
    (root / "src" / "main.c").write_text(MAIN_C)
    (root / "old.txt").write_text("to be deleted\n")
    (root / "keep.txt").write_text("untouched\n")
    return root


def sh(client, ws: str, command: str) -> str:
    """Runs a command that must succeed; returns its stdout."""
    r = client.exec_workspace(ws, command)
    assert r.exit_code == 0, (command, r.stdout, r.stderr)
    return r.stdout


def pid_alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def pgrep(pattern: str) -> List[int]:
    r = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True, check=False)
    return [int(p) for p in r.stdout.split()]


def lock_is_free(state_dir: str) -> bool:
    """True when nobody (this process included: flock is per open file) holds the lock."""
    fd = os.open(os.path.join(state_dir, "lock"), os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)  # also releases a lock we took
    return True


# ---- no VM needed -----------------------------------------------------------------


@pytest.mark.parametrize("name", ["bad name", "a/b", "../x", "x" * 64, "ünïcode", "semi;colon"])
def test_create_rejects_bad_names(client, name):
    with pytest.raises(pyro.InvalidArgumentError) as info:
        client.create_workspace("busybox", name=name)
    assert info.value.code == "invalid_argument"


@pytest.mark.parametrize(
    "kwargs",
    [{"vcpu_count": 0}, {"vcpu_count": -1}, {"mem_mib": 1}, {"disk_mib": 1}, {"disk_mib": -5},
     {"disk_mib": 2**21}],
    ids=["vcpu_count=0", "vcpu_count=-1", "mem_mib=1", "disk_mib=1", "disk_mib=-5", "disk_mib=2TiB"],
)
def test_create_rejects_bad_sizes(client, kwargs):
    with pytest.raises(pyro.InvalidArgumentError):
        client.create_workspace("busybox", **kwargs)


def test_create_missing_environment_or_seed(client, tmp_path):
    with pytest.raises(pyro.NotFoundError):
        client.create_workspace("no-such-environment")
    with pytest.raises(pyro.NotFoundError):
        client.create_workspace("busybox", seed_path=tmp_path / "does-not-exist")


def test_options_are_keyword_only(client):
    with pytest.raises(TypeError):
        client.create_workspace("busybox", "seed-dir")  # seed_path must be passed by name
    with pytest.raises(TypeError):
        client.exec_workspace("ws", "true", 5)  # timeout_seconds must be passed by name
    with pytest.raises(TypeError):
        client.list_workspace_files("ws", "src")  # path is an option of the table


UNKNOWN = "ws-000000000000"
TMP_DIR = object()  # replaced by an empty temporary directory

UNKNOWN_CALLS = [
    ("status_workspace", (), {}),
    ("update_workspace", (), {"labels": {"a": "b"}}),
    ("delete_workspace", (), {}),
    ("exec_workspace", ("true",), {}),
    ("push_workspace_sync", (TMP_DIR,), {}),
    ("list_workspace_files", (), {}),
    ("read_workspace_file", ("a.txt",), {}),
    ("write_workspace_file", ("a.txt", "x"), {}),
    ("apply_workspace_patch", ("--- /dev/null\n+++ b/a\n@@ -0,0 +1 @@\n+a\n",), {}),
    ("diff_workspace", (), {}),
    ("export_workspace", ("a.txt", "/tmp/pyro-test-never-written"), {}),
    ("create_snapshot", ("s1",), {}),
    ("list_snapshots", (), {}),
    ("delete_snapshot", ("s1",), {}),
    ("reset_workspace", (), {}),
    ("stop_workspace", (), {}),
    ("start_workspace", (), {}),
    ("list_workspace_disk", (), {}),
    ("read_workspace_disk", ("a.txt",), {}),
    ("export_workspace_disk", ("/tmp/pyro-test-never-written",), {}),
]


@pytest.mark.parametrize("ws", [UNKNOWN, "no-such-workspace-name"])
@pytest.mark.parametrize("call", UNKNOWN_CALLS, ids=[c[0] for c in UNKNOWN_CALLS])
def test_unknown_workspace_is_not_found(client, ws, call, tmp_path):
    method, args, kwargs = call
    args = tuple(tmp_path if a is TMP_DIR else a for a in args)
    with pytest.raises(pyro.NotFoundError) as info:
        getattr(client, method)(ws, *args, **kwargs)
    assert isinstance(info.value, LookupError)
    assert not Path("/tmp/pyro-test-never-written").exists()


def test_list_workspaces_returns_infos(client):
    listed = client.list_workspaces()
    assert isinstance(listed, list)
    assert all(isinstance(w, pyro.WorkspaceInfo) for w in listed)
    for w in listed:
        assert w.state in ("stopped", "running", "crashed")
        json.dumps(w.to_dict())  # JSON-ready


def test_none_for_a_required_path_is_invalid(client):
    with pytest.raises(pyro.InvalidArgumentError):
        client.export_workspace(UNKNOWN, "a.txt", None)


# ---- real VMs -----------------------------------------------------------------------

PATCH_OK = """\
--- a/src/main.c
+++ b/src/main.c
@@ -1,3 +1,4 @@
 int main(void) {
-  return 0;
+  int answer = 42;
+  return answer - 42;
 }
--- /dev/null
+++ b/docs/new.txt
@@ -0,0 +1,2 @@
+created by a patch
+second line
--- a/old.txt
+++ /dev/null
@@ -1 +0,0 @@
-to be deleted
"""

# The second file would apply; the first does not match: nothing may change.
PATCH_CONFLICT = """\
--- a/README.md
+++ b/README.md
@@ -1 +1 @@
-this line is not in the file
+replacement
--- /dev/null
+++ b/conflict-created.txt
@@ -0,0 +1 @@
+must not appear
"""


@pytest.mark.vm
def test_agent_session(client, busybox, tmp_path):
    seed = make_seed(tmp_path / "seed")
    name = unique_name()
    with workspace(client, busybox, seed_path=seed, name=name, labels={"purpose": "pytest"}) as info:
        ws = info.workspace_id
        assert ws.startswith("ws-") and len(ws) == len("ws-") + 12
        assert info.name == name and info.state == "running" and info.pid > 0
        assert info.labels == {"purpose": "pytest"}
        assert info.environment == busybox and info.disk_mib == 2048
        d = info.to_dict()
        assert d["state"] == "running" and d["workspace_id"] == ws
        json.dumps(d)
        assert repr(info).startswith("WorkspaceInfo(")
        assert client.status_workspace(name).workspace_id == ws
        assert ws in [w.workspace_id for w in client.list_workspaces()]

        # update: relabel, then the name stays
        updated = client.update_workspace(name, labels={"purpose": "pytest", "step": "2"})
        assert updated.labels == {"purpose": "pytest", "step": "2"} and updated.name == name
        with pytest.raises(pyro.InvalidArgumentError):
            client.update_workspace(ws, name="not a valid name")

        # exec builds state that later execs see
        assert sh(client, ws, "echo 1 > counter") == ""
        assert sh(client, name, "cat counter") == "1\n"
        assert sh(client, ws, "pwd") == "/workspace\n"
        assert sh(client, ws, "cat README.md") == "hello\n"
        r = client.exec_workspace(ws, "exit 3")
        assert r.exit_code == 3
        r = client.exec_workspace(ws, "echo $GREETING; pwd", env={"GREETING": "hi"}, cwd=PurePosixPath("/workspace/src"))
        assert r.stdout == "hi\n/workspace/src\n", r.stderr

        # read / write / list
        c = client.read_workspace_file(ws, "README.md")
        assert (c.content, c.size, c.truncated) == ("hello\n", 6, False)
        assert c.to_dict()["content"] == "hello\n"
        c = client.read_workspace_file(ws, "/workspace/README.md", max_bytes=3)
        assert (c.content, c.size, c.truncated) == ("hel", 6, True)
        with pytest.raises(pyro.NotFoundError):
            client.read_workspace_file(ws, "missing.txt")
        entry = client.write_workspace_file(ws, "notes/todo.txt", "a\nb\n")
        assert entry.type == "file" and entry.size == 4 and entry.path == "notes/todo.txt"
        assert sh(client, ws, "cat notes/todo.txt") == "a\nb\n"
        top = {e.path: e for e in client.list_workspace_files(ws)}
        assert {"README.md", "src", "counter", "notes", "old.txt", "keep.txt"} <= set(top)
        assert top["src"].type == "directory" and top["README.md"].type == "file"
        assert top["README.md"].size == 6
        assert "src/main.c" not in top
        every = {e.path for e in client.list_workspace_files(ws, recursive=True)}
        assert {"src/main.c", "notes/todo.txt"} <= every
        assert [e.path for e in client.list_workspace_files(ws, path="src")] == ["src/main.c"]

        # a multi-file patch: dry run changes nothing, then modify + create + delete
        dry = client.apply_workspace_patch(ws, PATCH_OK, dry_run=True)
        assert dry.dry_run and all(h.applied for f in dry.files for h in f.hunks), dry.to_dict()
        assert client.read_workspace_file(ws, "src/main.c").content == MAIN_C
        assert "new.txt" not in sh(client, ws, "ls docs 2>/dev/null || true")
        result = client.apply_workspace_patch(ws, PATCH_OK)
        assert result.applied and not result.dry_run, result.to_dict()
        assert {f.path: f.action for f in result.files} == {
            "src/main.c": "modify", "docs/new.txt": "create", "old.txt": "delete"}
        assert all(f.ok for f in result.files)
        assert "answer - 42" in client.read_workspace_file(ws, "src/main.c").content
        assert client.read_workspace_file(ws, "docs/new.txt").content == "created by a patch\nsecond line\n"
        with pytest.raises(pyro.NotFoundError):
            client.read_workspace_file(ws, "old.txt")
        json.dumps(result.to_dict())

        # a conflicting patch is a result, changes nothing, and names the failing hunk
        conflict = client.apply_workspace_patch(ws, PATCH_CONFLICT)
        assert not conflict.applied, conflict.to_dict()
        bad = [f for f in conflict.files if not f.ok]
        assert [f.path for f in bad] == ["README.md"]
        assert [(h.index, h.applied) for h in bad[0].hunks] == [(1, False)]
        assert bad[0].hunks[0].message or bad[0].message
        assert "README.md" in conflict.summary
        assert client.read_workspace_file(ws, "README.md").content == "hello\n"
        with pytest.raises(pyro.NotFoundError):
            client.read_workspace_file(ws, "conflict-created.txt")
        with pytest.raises(pyro.InvalidArgumentError):
            client.apply_workspace_patch(ws, "this is not a patch\n")

        # diff against the seed
        diff = client.diff_workspace(ws)
        assert diff.changed
        status = {e.path: e.status for e in diff.entries}
        assert status["src/main.c"] == "modified"
        assert status["old.txt"] == "deleted"
        for added in ("counter", "notes/todo.txt", "docs/new.txt"):
            assert status[added] == "added", (added, status)
        assert "README.md" not in status and "keep.txt" not in status
        assert diff.added == sum(s == "added" for s in status.values())
        assert diff.modified == sum(s == "modified" for s in status.values())
        assert diff.deleted == sum(s == "deleted" for s in status.values())
        assert "+  int answer = 42;" in diff.unified and "-  return 0;" in diff.unified
        assert "src/main.c" in diff.unified
        assert diff.to_dict()["changed"] is True
        json.dumps(diff.to_dict())

        # export a directory and a file
        out_dir = tmp_path / "export-src"
        exported = client.export_workspace(ws, "src", out_dir)
        assert exported.files == 1
        assert (out_dir / "main.c").read_text() == client.read_workspace_file(ws, "src/main.c").content
        out_file = tmp_path / "readme.txt"
        exported = client.export_workspace(ws, "README.md", str(out_file))
        assert out_file.read_text() == "hello\n" and exported.bytes == 6
        with pytest.raises(pyro.AlreadyExistsError):
            client.export_workspace(ws, "README.md", out_file)

        # snapshot, more edits, reset to the snapshot, then to the baseline
        snap = client.create_snapshot(ws, "before-edits")
        assert snap.name == "before-edits"
        assert [s.name for s in client.list_snapshots(ws)] == ["before-edits"]
        with pytest.raises(pyro.AlreadyExistsError):
            client.create_snapshot(ws, "before-edits")
        with pytest.raises(pyro.InvalidArgumentError):
            client.create_snapshot(ws, "../escape")
        client.write_workspace_file(ws, "after.txt", "later\n")
        sh(client, ws, "echo 2 > counter")

        reset = client.reset_workspace(ws, snapshot="before-edits")
        assert reset.state == "running"
        assert sh(client, ws, "cat counter") == "1\n"
        with pytest.raises(pyro.NotFoundError):
            client.read_workspace_file(ws, "after.txt")
        assert "answer - 42" in client.read_workspace_file(ws, "src/main.c").content
        with pytest.raises(pyro.NotFoundError):
            client.reset_workspace(ws, snapshot="no-such-snapshot")

        reset = client.reset_workspace(ws)
        assert reset.state == "running" and reset.pid > 0
        assert not client.diff_workspace(ws).changed
        assert client.read_workspace_file(ws, "old.txt").content == "to be deleted\n"
        assert client.read_workspace_file(ws, "src/main.c").content == MAIN_C
        assert sh(client, ws, "ls counter 2>/dev/null || echo gone") == "gone\n"
        assert [s.name for s in client.list_snapshots(ws)] == ["before-edits"]  # kept

        # stop, then inspect the disk offline
        client.write_workspace_file(ws, "persist.txt", "survives a stop\n")
        sh(client, ws, "echo 3 > counter")
        with pytest.raises(pyro.FailedPreconditionError):
            client.list_workspace_disk(ws)  # running
        stopped = client.stop_workspace(ws)
        assert stopped.state == "stopped" and stopped.pid == 0
        assert not pid_alive(reset.pid)
        assert client.stop_workspace(ws).state == "stopped"  # idempotent
        with pytest.raises(pyro.FailedPreconditionError):
            client.exec_workspace(ws, "true")
        assert client.diff_workspace(ws).changed  # works stopped

        disk = {e.path: e for e in client.list_workspace_disk(ws)}
        assert {"persist.txt", "counter", "README.md", "src"} <= set(disk)
        assert disk["src"].type == "directory" and disk["persist.txt"].size == len("survives a stop\n")
        assert "src/main.c" in {e.path for e in client.list_workspace_disk(ws, recursive=True)}
        assert client.read_workspace_disk(ws, "persist.txt").content == "survives a stop\n"
        assert client.read_workspace_disk(ws, "counter", max_bytes=1).content == "3"
        image = tmp_path / "workspace.ext4"
        exported = client.export_workspace_disk(ws, image)
        assert image.is_file() and Path(exported.output_path) == image
        with image.open("rb") as f:
            f.seek(1080)
            assert f.read(2) == b"\x53\xef"  # ext4 superblock magic 0xEF53, little-endian

        # start: the state survived
        started = client.start_workspace(ws)
        assert started.state == "running" and started.pid > 0
        assert client.start_workspace(ws).pid == started.pid  # idempotent
        assert sh(client, ws, "cat counter persist.txt") == "3\nsurvives a stop\n"

        client.delete_snapshot(ws, "before-edits")
        assert client.list_snapshots(ws) == []
        with pytest.raises(pyro.NotFoundError):
            client.delete_snapshot(ws, "before-edits")
        client.delete_workspace(name)
        with pytest.raises(pyro.NotFoundError):
            client.status_workspace(ws)
        assert not pid_alive(started.pid)
        assert not Path(info.path).exists()


def stages_in_order(events: List[pyro.Progress]) -> List[str]:
    """The stages as they came, each once; a stage that came back would show twice."""
    out: List[str] = []
    for e in events:
        if not out or out[-1] != e.stage:
            out.append(e.stage)
    return out


@pytest.mark.vm
def test_create_with_a_seed_directory_reports_progress(client, busybox, tmp_path):
    seed = tmp_path / "seed"
    (seed / "sub").mkdir(parents=True)
    for i in range(400):
        (seed / ("sub" if i % 2 else ".") / f"f{i:03}.bin").write_bytes(bytes([i % 256]) * (1000 + i))
    total = sum(p.stat().st_size for p in seed.rglob("*") if p.is_file())
    events: List[pyro.Progress] = []
    with workspace(client, busybox, seed_path=seed, disk_mib=64, progress=events.append) as info:
        assert info.state == "running"
    assert all(isinstance(e, pyro.Progress) for e in events)
    assert stages_in_order(events) == ["copy seed", "make disk", "start workspace"], events
    copy = [e for e in events if e.stage == "copy seed"]
    assert {(e.unit, e.total) for e in copy} == {("bytes", total)}
    assert [e.done for e in copy] == sorted(e.done for e in copy)  # never decreasing
    assert copy[0].done == 0 and copy[-1].done == total
    # Throttled: about one event per percent, not one per file.
    assert 3 <= len(copy) <= 103, len(copy)
    assert "stage='copy seed'" in repr(copy[-1])


def test_create_rejects_a_non_callable_progress(client):
    with pytest.raises(pyro.InvalidArgumentError, match="progress"):
        client.create_workspace("busybox", progress="not callable")


@pytest.mark.vm
def test_seed_from_tar_gz_and_push(client, busybox, tmp_path):
    tree = make_seed(tmp_path / "tree")
    archive = tmp_path / "seed.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for child in sorted(tree.iterdir()):
            tar.add(child, arcname=child.name)
    events: List[pyro.Progress] = []
    with workspace(client, busybox, seed_path=archive, progress=events.append) as info:
        ws = info.workspace_id
        # An archive's entries are counted as they go in; its total is not known ahead.
        copy = [e for e in events if e.stage == "copy seed"]
        assert copy and {e.unit for e in copy} == {"entries"} and {e.total for e in copy} == {0}
        assert copy[-1].done == sum(1 for _ in tree.rglob("*")), copy
        assert client.read_workspace_file(ws, "src/main.c").content == MAIN_C
        assert sh(client, ws, "cat README.md keep.txt") == "hello\nuntouched\n"
        assert not client.diff_workspace(ws).changed  # the archive is the baseline

        extra = tmp_path / "extra"
        (extra / "lib").mkdir(parents=True)
        (extra / "lib" / "util.h").write_text("#pragma once\n")
        pushed = client.push_workspace_sync(ws, extra, dest="/workspace/vendor")
        assert pushed.files == 1 and pushed.directories >= 1
        assert client.read_workspace_file(ws, "vendor/lib/util.h").content == "#pragma once\n"
        assert client.read_workspace_file(ws, "README.md").content == "hello\n"  # nothing deleted


@pytest.mark.vm
def test_unsafe_seed_archive_is_invalid(client, busybox, tmp_path):
    archive = tmp_path / "evil.tar"
    payload = tmp_path / "payload"
    payload.write_text("x\n")
    with tarfile.open(archive, "w") as tar:
        tar.add(payload, arcname="../escaped.txt")
    name = unique_name()
    with pytest.raises(pyro.InvalidArgumentError):
        client.create_workspace(busybox, seed_path=archive, name=name)
    with pytest.raises(pyro.NotFoundError):  # nothing left behind
        client.status_workspace(name)


@pytest.mark.vm
def test_second_process_reattaches_by_name(client, busybox, tmp_path):
    with workspace(client, busybox, seed_path=make_seed(tmp_path / "seed")) as info:
        sh(client, info.workspace_id, "echo from-parent > counter")
        package_root = str(Path(pyro.__file__).resolve().parent.parent)
        code = (
            "import sys, pyro\n"
            "p = pyro.Pyro()\n"
            "r = p.exec_workspace(sys.argv[1], 'cat counter; echo from-child > child.txt')\n"
            "print(r.stdout, end='')\n"
            "sys.exit(r.exit_code)\n"
        )
        env = dict(os.environ, PYTHONPATH=package_root)
        r = subprocess.run([sys.executable, "-c", code, info.name], capture_output=True, text=True,
                           env=env, timeout=120, check=False)
        assert r.returncode == 0, r.stderr
        assert r.stdout == "from-parent\n"
        # the child exited; the workspace keeps running and shows its change
        assert client.status_workspace(info.name).state == "running"
        assert client.read_workspace_file(info.workspace_id, "child.txt").content == "from-child\n"


@pytest.mark.vm
def test_two_processes_on_one_workspace_are_serialised(client, busybox, tmp_path):
    """Each exec fails (exit 9) if it finds the other one's `busy` marker: they only
    both succeed when the workspace lock keeps them from overlapping."""
    with workspace(client, busybox) as info:
        package_root = str(Path(pyro.__file__).resolve().parent.parent)
        code = (
            "import sys, pyro\n"
            "r = pyro.Pyro().exec_workspace(sys.argv[1], "
            "'test -e busy && exit 9; touch busy; sleep 1; echo $0 >> log; rm busy', "
            "timeout_seconds=60)\n"
            "sys.exit(r.exit_code)\n"
        )
        env = dict(os.environ, PYTHONPATH=package_root)
        procs = [subprocess.Popen([sys.executable, "-c", code, info.name], env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(2)]
        for p in procs:
            out, err = p.communicate(timeout=180)
            assert p.returncode == 0, err
        assert client.read_workspace_file(info.workspace_id, "log").content.count("\n") == 2


# Lexical escapes first; the last one goes through the `escape -> /` symlink.
ESCAPES = ["../x", "/etc/passwd", "/workspace/../etc/passwd", "src/../../etc/passwd", "escape/etc/passwd"]


@pytest.mark.vm
def test_paths_cannot_escape_the_workspace(client, busybox, tmp_path):
    with workspace(client, busybox, seed_path=make_seed(tmp_path / "seed")) as info:
        ws = info.workspace_id
        sh(client, ws, "ln -s / escape && ln -s /etc/passwd passwd-link")
        assert sh(client, ws, "readlink escape") == "/\n"
        links = {e.path: e for e in client.list_workspace_files(ws)}
        assert links["escape"].type == "symlink" and links["escape"].target == "/"
        with pytest.raises(pyro.InvalidArgumentError):  # a link to a file outside
            client.read_workspace_file(ws, "passwd-link")
        for path in ESCAPES:
            with pytest.raises(pyro.InvalidArgumentError):
                client.read_workspace_file(ws, path)
            with pytest.raises(pyro.InvalidArgumentError):
                client.write_workspace_file(ws, path, "owned\n")
            with pytest.raises(pyro.InvalidArgumentError):
                client.export_workspace(ws, path, tmp_path / f"out-{uuid.uuid4().hex}")
        for path in ESCAPES:
            with pytest.raises(pyro.InvalidArgumentError):
                client.list_workspace_files(ws, path=path)
        assert "owned" not in sh(client, ws, "cat /etc/passwd")
        escape_patch = "--- /dev/null\n+++ b/escape/etc/pwned\n@@ -0,0 +1 @@\n+owned\n"
        with pytest.raises(pyro.InvalidArgumentError):
            client.apply_workspace_patch(ws, escape_patch)
        assert sh(client, ws, "ls /etc/pwned 2>/dev/null || echo absent") == "absent\n"

        client.stop_workspace(ws)  # the offline reader refuses the same paths
        for path in ESCAPES[:-1]:
            with pytest.raises(pyro.InvalidArgumentError):
                client.read_workspace_disk(ws, path)
            with pytest.raises(pyro.InvalidArgumentError):
                client.list_workspace_disk(ws, path=path)
        # The agent resolves paths beneath /workspace: a path through a symlink out is refused.
        with pytest.raises((pyro.InvalidArgumentError, pyro.NotFoundError)):
            client.read_workspace_disk(ws, "escape/etc/passwd")
        on_disk = {e.path: e for e in client.list_workspace_disk(ws)}
        assert (on_disk["escape"].type, on_disk["escape"].target) == ("symlink", "/")


@pytest.mark.vm
def test_crashed_vmm_is_reported_and_restartable(client, busybox, tmp_path):
    with workspace(client, busybox, seed_path=make_seed(tmp_path / "seed")) as info:
        ws = info.workspace_id
        assert pid_alive(info.pid)
        assert lock_is_free(info.path)  # QEMU must not hold (or inherit) the lock
        os.kill(info.pid, signal.SIGKILL)
        wait_until(lambda: not pid_alive(info.pid), 30, f"the killed VMM (pid {info.pid}) to exit")
        state = client.status_workspace(ws)
        assert state.state == "crashed", state.to_dict()
        assert [w.state for w in client.list_workspaces() if w.workspace_id == ws] == ["crashed"]
        assert lock_is_free(info.path)

        started = client.start_workspace(ws)
        assert started.state == "running" and started.pid not in (0, info.pid)
        assert client.read_workspace_file(ws, "README.md").content == "hello\n"
        assert sh(client, ws, "cat src/main.c") == MAIN_C
        assert lock_is_free(info.path)
        assert started.pid in pgrep("qemu-system")

        client.delete_workspace(ws)
        assert not pid_alive(started.pid)
        assert pgrep(info.path) == [] and pgrep(ws) == []
        assert not Path(info.path).exists()


@pytest.mark.vm
def test_lost_found_is_hidden_and_the_exported_disk_is_clean(client, busybox, tmp_path):
    e2fsck = shutil.which("e2fsck") or shutil.which("e2fsck", path="/usr/sbin:/sbin")
    if e2fsck is None:
        pytest.skip("e2fsck (e2fsprogs) is not installed")
    with workspace(client, busybox, disk_mib=64) as info:
        ws = info.workspace_id
        client.write_workspace_file(ws, "notes.txt", "kept\n")
        assert [e.path for e in client.list_workspace_files(ws)] == ["notes.txt"]
        assert "lost+found" not in {e.path for e in client.list_workspace_files(ws, recursive=True)}
        # Asked for by path, it is still there.
        assert client.list_workspace_files(ws, path="lost+found") == []
        # A service still writing to the disk when the workspace stops.
        client.start_service(ws, "writer", "while :; do echo tick >> ticks.txt; sleep 1; done",
                             readiness={"type": "file", "path": "/workspace/ticks.txt"})
        client.stop_workspace(ws)
        assert {e.path for e in client.list_workspace_disk(ws)} == {"notes.txt", "ticks.txt"}
        image = tmp_path / "workspace.ext4"
        client.export_workspace_disk(ws, image)
        # A host tool reading a regular file we produced: no journal to recover, nothing to fix.
        check = subprocess.run([e2fsck, "-n", "-f", str(image)], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
        assert "recovery" not in (check.stdout + check.stderr).lower()
