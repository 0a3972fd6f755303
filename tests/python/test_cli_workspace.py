"""Tests of the `pyro workspace ...` verbs of the CLI, as subprocesses.

The usage tests need no VM. The session test drives one workspace through every
verb on a real VM, each step a separate `pyro` process (as a user or an agent
would), and skips when the `busybox` environment is not installed (conftest.py).
"""

import json
import re
import uuid
from pathlib import Path
from typing import Dict, List

import pytest
from cli_support import EXIT_PYRO_ERROR, EXIT_USAGE, ok, ok_json, pyro, run_with_tty_stderr

REPO = Path(__file__).resolve().parents[2]
OPERATIONS = json.loads((REPO / "spec" / "operations.json").read_text())["operations"]
WORKSPACE_OPS = [op for op in OPERATIONS if (op.get("cli") or "").startswith("workspace ")]
EXIT_NOT_APPLIED = 1


# --- without VMs ---------------------------------------------------------

# Table parameters that are positional words (or `-- COMMAND`), not flags.
POSITIONAL = {"workspace", "environment", "command", "source_path", "output_path", "text",
              "shell_id", "input"}
# Operations whose `name` is a positional word (snapshot NAME, service NAME).
NAME_IS_POSITIONAL = {"create_snapshot", "delete_snapshot", "start_service", "status_service",
                      "logs_service", "stop_service"}
FLAG_SPELLING = {"labels": "--label", "patch": "--patch-file", "secrets": "--secret-file",
                 "readiness": "--ready-http", "published_ports": "--publish", "tail_lines": "--tail",
                 "wait_seconds": "--wait", "grace_seconds": "--grace"}


def flags_of(op: Dict) -> List[str]:
    out = []
    for p in op["params"]:
        name = p["name"]
        if name in POSITIONAL or name == "path":  # PATH is always a word, optional or not
            continue
        if name == "name" and op["name"] in NAME_IS_POSITIONAL:
            continue  # the snapshot or service NAME word
        out.append(FLAG_SPELLING.get(name, "--" + name.replace("_", "-")))
    return out


@pytest.mark.parametrize("op", WORKSPACE_OPS, ids=[op["name"] for op in WORKSPACE_OPS])
def test_help_names_every_parameter(cli, op):
    r = pyro(cli, *op["cli"].split(), "--help")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(f"usage: pyro {op['cli']} ".encode()), r.stdout
    for flag in flags_of(op):
        assert flag.encode() in r.stdout, flag
    assert pyro(cli, "help", *op["cli"].split()).stdout == r.stdout


@pytest.mark.parametrize("group", ["workspace", "workspace file", "workspace sync", "workspace patch",
                                   "workspace snapshot", "workspace disk", "workspace service",
                                   "workspace shell"])
def test_group_help_lists_its_verbs(cli, group):
    r = pyro(cli, *group.split(), "--help")
    assert r.returncode == 0, r.stderr
    depth = len(group.split())
    for op in WORKSPACE_OPS:
        words = op["cli"].split()
        if " ".join(words[:depth]) == group:
            assert words[depth].encode() in r.stdout, op["cli"]


def test_global_help_mentions_workspace(cli):
    assert b"workspace" in pyro(cli, "--help").stdout


@pytest.mark.parametrize(
    "args, needle",
    [
        (["workspace"], b"missing sub-verb"),
        (["workspace", "frobnicate"], b"frobnicate"),
        (["workspace", "file"], b"missing sub-verb"),
        (["workspace", "file", "frob"], b"frob"),
        (["workspace", "snapshot"], b"missing sub-verb"),
        (["workspace", "disk", "frob"], b"frob"),
        (["workspace", "sync"], b"missing sub-verb"),
        (["workspace", "patch", "frob"], b"frob"),
        (["workspace", "create"], b"missing environment"),
        (["workspace", "create", "busybox", "extra"], b"extra"),
        (["workspace", "create", "busybox", "--vcpu-count", "two"], b"--vcpu-count"),
        (["workspace", "create", "busybox", "--mem-mib"], b"needs a value"),
        (["workspace", "create", "busybox", "--disk-mib", "-1"], b"--disk-mib"),
        (["workspace", "create", "busybox", "--label", "novalue"], b"K=V"),
        (["workspace", "create", "busybox", "--json=yes"], b"takes no value"),
        (["workspace", "create", "busybox", "--network-policy", "yes"], b"egress"),
        (["workspace", "create", "busybox", "--network"], b"unknown flag"),
        (["workspace", "create", "busybox", "--name", "a", "--name", "b"], b"more than once"),
        (["workspace", "create", "busybox", "--home", "/tmp"], b"global"),
        (["workspace", "list", "extra"], b"extra"),
        (["workspace", "status"], b"missing workspace"),
        (["workspace", "status", "a", "b"], b"`b`"),
        (["workspace", "update", "ws"], b"nothing to change"),
        (["workspace", "update", "ws", "--label", "a=b", "--clear-labels"], b"not both"),
        (["workspace", "update"], b"missing workspace"),
        (["workspace", "delete"], b"missing workspace"),
        (["workspace", "exec", "ws"], b"missing command"),
        (["workspace", "exec", "ws", "--"], b"missing command"),
        (["workspace", "exec", "ws", "ls"], b"`--`"),
        (["workspace", "exec", "--", "ls"], b"missing workspace"),
        (["workspace", "exec", "ws", "--env", "X", "--", "ls"], b"K=V"),
        (["workspace", "exec", "ws", "--timeout-seconds", "soon", "--", "ls"], b"--timeout-seconds"),
        (["workspace", "sync", "push", "ws"], b"missing source"),
        (["workspace", "file", "list"], b"missing workspace"),
        (["workspace", "file", "list", "ws", "a", "b"], b"`b`"),
        (["workspace", "file", "read", "ws"], b"missing path"),
        (["workspace", "file", "read", "ws", "f", "--max-bytes", "x"], b"--max-bytes"),
        (["workspace", "file", "write", "ws"], b"missing path"),
        (["workspace", "file", "write", "ws", "f", "--text", "a", "--from-file", "b"], b"not both"),
        (["workspace", "patch", "apply", "ws"], b"--patch-file"),
        (["workspace", "patch", "apply"], b"missing workspace"),
        (["workspace", "diff"], b"missing workspace"),
        (["workspace", "diff", "ws", "--stat", "--json"], b"not both"),
        (["workspace", "export", "ws", "path"], b"missing output"),
        (["workspace", "snapshot", "create", "ws"], b"missing snapshot name"),
        (["workspace", "snapshot", "list"], b"missing workspace"),
        (["workspace", "snapshot", "delete", "ws"], b"missing snapshot name"),
        (["workspace", "reset"], b"missing workspace"),
        (["workspace", "reset", "ws", "--snapshot="], b"--snapshot"),
        (["workspace", "stop"], b"missing workspace"),
        (["workspace", "start", "a", "b"], b"`b`"),
        (["workspace", "disk", "list"], b"missing workspace"),
        (["workspace", "disk", "read", "ws"], b"missing path"),
        (["workspace", "disk", "export", "ws"], b"missing output"),
    ],
)
def test_usage_errors_exit_64(cli, args, needle):
    r = pyro(cli, *args)
    assert r.returncode == EXIT_USAGE, r.stderr
    assert r.stdout == b""
    assert needle in r.stderr, r.stderr
    assert b"--help" in r.stderr  # the hint


def test_missing_patch_file_exits_125(cli, tmp_path):
    r = pyro(cli, "workspace", "patch", "apply", "ws", "--patch-file", str(tmp_path / "nope.diff"))
    assert r.returncode == EXIT_PYRO_ERROR, r.stderr
    assert r.stdout == b""
    assert r.stderr.startswith(b"pyro: error: ")
    assert b"[not_found]" in r.stderr


def test_unknown_workspace_exits_125_not_found(cli, tmp_path):
    r = pyro(cli, "--home", str(tmp_path), "workspace", "status", "no-such-workspace")
    assert r.returncode == EXIT_PYRO_ERROR, r.stderr
    assert r.stdout == b""
    assert r.stderr.startswith(b"pyro: error: ")
    assert b"[not_found]" in r.stderr


def test_list_with_no_workspaces(cli, tmp_path):
    r = pyro(cli, "--home", str(tmp_path), "workspace", "list", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"items": []}
    assert pyro(cli, "--home", str(tmp_path), "workspace", "list").stdout.startswith(b"ID ")


# --- booting VMs ---------------------------------------------------------

SEED_A = "one\ntwo\nthree\nfour\nfive\n"
GOOD_PATCH = """--- a/src/a.txt
+++ b/src/a.txt
@@ -1,5 +1,5 @@
 one
 two
-three
+THREE
 four
 five
"""
CONFLICTING_PATCH = """--- a/src/a.txt
+++ b/src/a.txt
@@ -1,3 +1,3 @@
 one
-not what is there
+anything
 three
--- a/hello.txt
+++ b/hello.txt
@@ -1 +1 @@
-hello
+HELLO
"""


@pytest.fixture
def workspace(vm_cli, tmp_path):
    """A name for a workspace the test creates; deleted afterwards whatever happened."""
    name = f"clitest-{uuid.uuid4().hex[:8]}"
    yield name
    pyro(vm_cli, "workspace", "delete", name)


@pytest.mark.vm
def test_create_with_a_seed_shows_a_progress_bar_on_a_terminal(vm_cli, workspace, tmp_path):
    seed = tmp_path / "seed"
    seed.mkdir()
    for i in range(200):
        (seed / f"f{i:03}.txt").write_text("x" * 5000)
    status, out, tty = run_with_tty_stderr(vm_cli, "workspace", "create", "busybox", "--seed-path", str(seed),
                                           "--name", workspace, "--disk-mib", "64")
    assert status == 0, tty
    assert re.fullmatch(rb"ws-[0-9a-f]{12}\n", out), out
    redraws = re.findall(rb"\r(?!\n)([^\r\n]*)", tty)
    copy = [r for r in redraws if r.startswith(b"copy seed [")]
    assert len(copy) >= 2, tty
    assert copy[-1].startswith(b"copy seed [####################] 100% 976.6 KiB of 976.6 KiB"), copy[-1]
    # One line per stage: each stage's last state stays, the next starts on a new line.
    finished = [line.rsplit(b"\r", 1)[-1] for line in tty.split(b"\r\n") if line]
    assert [line.split(b" ")[0] for line in finished] == [b"copy", b"make", b"start"], finished

    # Not a terminal: plain lines with the counter.
    pyro(vm_cli, "workspace", "delete", workspace)
    r = pyro(vm_cli, "workspace", "create", "busybox", "--seed-path", str(seed), "--name", workspace,
             "--disk-mib", "64")
    assert r.returncode == 0, r.stderr
    lines = r.stderr.decode().splitlines()
    assert lines[-1].startswith("pyro: start workspace: booting `busybox`"), lines
    assert "pyro: copy seed: copied 200 files (100% 976.6 KiB of 976.6 KiB)" in lines, lines


@pytest.mark.vm
def test_full_session(vm_cli, workspace, tmp_path):
    cli, name = vm_cli, workspace
    seed = tmp_path / "seed"
    (seed / "src").mkdir(parents=True)
    (seed / "hello.txt").write_text("hello\n")
    (seed / "src" / "a.txt").write_text(SEED_A)

    # create --json: one object carrying the id; the workspace is running.
    info = ok_json(cli, "workspace", "create", "busybox", "--seed-path", str(seed), "--name", name,
                   "--label", "suite=cli", "--disk-mib", "128")
    ws = info["workspace_id"]
    assert re.fullmatch(r"ws-[0-9a-f]{12}", ws), ws
    assert info["name"] == name and info["state"] == "running"
    assert info["labels"] == {"suite": "cli"} and info["environment"] == "busybox"

    # Every later call is a fresh process that reattaches by id or by name.
    status = ok_json(cli, "workspace", "status", name)
    assert status["workspace_id"] == ws and status["state"] == "running"
    assert ws.encode() in ok(cli, "workspace", "list").stdout
    assert any(w["workspace_id"] == ws for w in ok_json(cli, "workspace", "list")["items"])

    # exec: output byte-exact, the guest's exit status, /workspace as cwd, state kept.
    assert ok(cli, "workspace", "exec", name, "--", "cat hello.txt; pwd").stdout == b"hello\n/workspace\n"
    r = pyro(cli, "workspace", "exec", ws, "--", "echo out; echo err >&2; exit 3")
    assert (r.returncode, r.stdout) == (3, b"out\n") and b"err\n" in r.stderr
    assert ok(cli, "workspace", "exec", name, "--", "printf", "[%s]", "a b").stdout == b"[a b]"
    ok(cli, "workspace", "exec", name, "--env", "V=kept", "--", 'echo "$V" > made.txt')
    assert ok(cli, "workspace", "exec", name, "--cwd", "/workspace/src", "--", "cat ../made.txt; pwd").stdout \
        == b"kept\n/workspace/src\n"
    result = ok_json(cli, "workspace", "exec", name, "--", "printf x")
    assert result["stdout"] == "x" and result["exit_code"] == 0

    # file write (--text, --from-file, stdin), read, list.
    entry = ok_json(cli, "workspace", "file", "write", name, "notes/n.txt", "--text", "note 1\n")
    assert entry["path"].endswith("notes/n.txt") and entry["size"] == 7
    host_file = tmp_path / "host.txt"
    host_file.write_text("from file\n")
    ok(cli, "workspace", "file", "write", name, "from_file.txt", "--from-file", str(host_file))
    ok(cli, "workspace", "file", "write", name, "from_stdin.txt", stdin=b"from stdin\n")
    assert ok(cli, "workspace", "file", "read", name, "notes/n.txt").stdout == b"note 1\n"
    assert ok(cli, "workspace", "file", "read", name, "from_file.txt").stdout == b"from file\n"
    assert ok(cli, "workspace", "file", "read", name, "from_stdin.txt").stdout == b"from stdin\n"
    r = ok(cli, "workspace", "file", "read", name, "src/a.txt", "--max-bytes", "4")
    assert r.stdout == b"one\n" and b"truncated" in r.stderr
    content = ok_json(cli, "workspace", "file", "read", name, "src/a.txt", "--max-bytes", "4")
    assert content["truncated"] is True and content["size"] == len(SEED_A)
    top = {e["path"] for e in ok_json(cli, "workspace", "file", "list", name)["items"]}
    assert {"hello.txt", "src", "notes"} <= top and "src/a.txt" not in top
    deep = {e["path"]: e for e in ok_json(cli, "workspace", "file", "list", name, "--recursive")["items"]}
    assert deep["src/a.txt"]["type"] == "file" and deep["src"]["type"] == "directory"
    assert b"hello.txt" in ok(cli, "workspace", "file", "list", name).stdout

    # patch apply: a dry run changes nothing; the real one applies.
    patch = tmp_path / "good.diff"
    patch.write_text(GOOD_PATCH)
    ok(cli, "workspace", "patch", "apply", name, "--patch-file", str(patch), "--dry-run")
    assert ok(cli, "workspace", "file", "read", name, "src/a.txt").stdout == SEED_A.encode()
    ok(cli, "workspace", "patch", "apply", name, "--patch-file", "-", stdin=GOOD_PATCH.encode())
    patched = SEED_A.replace("three", "THREE")
    assert ok(cli, "workspace", "file", "read", name, "src/a.txt").stdout == patched.encode()

    # A conflicting patch exits 1, reports on stderr and changes nothing, not even
    # the file whose hunk would have matched.
    bad = tmp_path / "bad.diff"
    bad.write_text(CONFLICTING_PATCH)
    r = pyro(cli, "workspace", "patch", "apply", name, "--patch-file", str(bad))
    assert r.returncode == EXIT_NOT_APPLIED, r.stderr
    assert r.stdout == b"" and b"src/a.txt" in r.stderr
    r = pyro(cli, "workspace", "patch", "apply", name, "--patch-file", str(bad), "--json")
    assert r.returncode == EXIT_NOT_APPLIED
    report = json.loads(r.stdout)
    assert report["applied"] is False
    assert any(not f["ok"] for f in report["files"])
    assert ok(cli, "workspace", "file", "read", name, "hello.txt").stdout == b"hello\n"
    assert ok(cli, "workspace", "file", "read", name, "src/a.txt").stdout == patched.encode()

    # diff against the seed: text, --stat and --json.
    r = ok(cli, "workspace", "diff", name)
    assert b"-three" in r.stdout and b"+THREE" in r.stdout
    diff = ok_json(cli, "workspace", "diff", name)
    assert diff["changed"] is True
    statuses = {e["path"]: e["status"] for e in diff["entries"]}
    assert statuses["src/a.txt"] == "modified" and statuses["made.txt"] == "added"
    assert diff["modified"] >= 1 and diff["added"] >= 1
    stat = ok(cli, "workspace", "diff", name, "--stat").stdout
    assert b"src/a.txt" in stat and b"modified" in stat

    # export: a directory tree and one file to new host paths; an existing one is refused.
    out_dir = tmp_path / "exported"
    exported = ok_json(cli, "workspace", "export", name, "src", str(out_dir))
    assert exported["files"] >= 1
    assert (out_dir / "a.txt").read_text() == patched
    ok(cli, "workspace", "export", name, "hello.txt", str(tmp_path / "hello.out"))
    assert (tmp_path / "hello.out").read_text() == "hello\n"
    r = pyro(cli, "workspace", "export", name, "hello.txt", str(tmp_path / "hello.out"))
    assert r.returncode == EXIT_PYRO_ERROR and b"[already_exists]" in r.stderr

    # snapshot, change, reset --snapshot: the change is gone, the snapshot's state is back.
    snap = ok_json(cli, "workspace", "snapshot", "create", name, "s1")
    assert snap["name"] == "s1"
    assert [s["name"] for s in ok_json(cli, "workspace", "snapshot", "list", name)["items"]] == ["s1"]
    assert b"s1" in ok(cli, "workspace", "snapshot", "list", name).stdout
    ok(cli, "workspace", "file", "write", name, "hello.txt", "--text", "changed after s1\n")
    ok(cli, "workspace", "file", "write", name, "late.txt", "--text", "late\n")
    after = ok_json(cli, "workspace", "reset", name, "--snapshot", "s1")
    assert after["state"] == "running"
    assert ok(cli, "workspace", "file", "read", name, "hello.txt").stdout == b"hello\n"
    assert ok(cli, "workspace", "file", "read", name, "src/a.txt").stdout == patched.encode()
    r = pyro(cli, "workspace", "file", "read", name, "late.txt")
    assert r.returncode == EXIT_PYRO_ERROR and b"[not_found]" in r.stderr

    # stop: exec is refused; the disk can be read offline.
    ok(cli, "workspace", "stop", name)
    assert ok_json(cli, "workspace", "status", name)["state"] == "stopped"
    r = pyro(cli, "workspace", "exec", name, "--", "true")
    assert r.returncode == EXIT_PYRO_ERROR and b"[failed_precondition]" in r.stderr
    disk = {e["path"] for e in ok_json(cli, "workspace", "disk", "list", name, "--recursive")["items"]}
    assert {"hello.txt", "src/a.txt", "made.txt"} <= disk
    assert b"hello.txt" in ok(cli, "workspace", "disk", "list", name).stdout
    assert ok(cli, "workspace", "disk", "read", name, "src/a.txt").stdout == patched.encode()
    image = tmp_path / "disk.img"
    ok(cli, "workspace", "disk", "export", name, str(image))
    with image.open("rb") as f:
        f.seek(1024 + 0x38)  # the ext2/3/4 superblock magic
        assert f.read(2) == b"\x53\xef"

    # start again: files are still there.
    assert ok_json(cli, "workspace", "start", name)["state"] == "running"
    assert ok(cli, "workspace", "exec", name, "--", "cat made.txt").stdout == b"kept\n"

    # update: relabel and rename; the new name reattaches.
    updated = ok_json(cli, "workspace", "update", name, "--label", "k=v")
    assert updated["labels"] == {"k": "v"}
    assert ok_json(cli, "workspace", "update", ws, "--clear-labels")["labels"] == {}

    # reset to the baseline: no changes left.
    ok(cli, "workspace", "reset", name)
    assert ok_json(cli, "workspace", "diff", name)["changed"] is False
    assert ok(cli, "workspace", "diff", name).stdout == b""

    ok(cli, "workspace", "snapshot", "delete", name, "s1")
    assert ok_json(cli, "workspace", "snapshot", "list", name)["items"] == []

    # delete: gone for every later process.
    ok(cli, "workspace", "delete", name)
    r = pyro(cli, "workspace", "status", ws)
    assert r.returncode == EXIT_PYRO_ERROR and b"[not_found]" in r.stderr


@pytest.mark.vm
def test_duplicate_name_is_refused(vm_cli, workspace):
    ok(vm_cli, "workspace", "create", "busybox", "--name", workspace, "--disk-mib", "64")
    r = pyro(vm_cli, "workspace", "create", "busybox", "--name", workspace, "--disk-mib", "64")
    assert r.returncode == EXIT_PYRO_ERROR and b"[already_exists]" in r.stderr
    assert r.stdout == b""
