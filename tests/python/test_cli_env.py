"""The `pyro env` verbs of the CLI as a subprocess: list, inspect, prune, pull,
import, their --json output, exit codes and usage errors.

The binary comes from $PYRO_CLI. Tests that need the busybox boot set skip (or
fail with PYRO_REQUIRE_VMS=1) when it is not installed under $PYRO_HOME.
"""

import json
import re
import subprocess
from pathlib import Path

import pytest
from cli_support import run_with_tty_stderr

EXIT_USAGE = 64
EXIT_PYRO_ERROR = 125
CATALOG = ["busybox", "debian:12-base", "debian:12", "debian:12-build"]
INFO_KEYS = {
    "name", "description", "installed", "path", "kernel_version", "agent_version", "sha256",
    "source", "version", "packages", "size_bytes", "built_at", "has_rootfs", "snapshot_ready",
}


def pyro(cli: str, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([cli, *args], capture_output=True, text=True, timeout=timeout,
                          check=False)


def json_line(r: subprocess.CompletedProcess):
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == 1, r.stdout  # JSON Lines: one document, one line
    return json.loads(lines[0])


# ---- list and inspect ---------------------------------------------------------------


def test_env_list_json_has_the_catalog(cli):
    envs = {e["name"]: e for e in json_line(pyro(cli, "env", "list", "--json"))["items"]}
    for name in CATALOG:
        assert name in envs
        assert envs[name]["description"]
        assert set(envs[name]) >= INFO_KEYS


def test_env_list_table(cli):
    r = pyro(cli, "env", "list")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("NAME")
    for name in CATALOG:
        assert any(line.split()[0] == name for line in r.stdout.splitlines()[1:]), name


@pytest.mark.vm
def test_env_inspect_json(vm_cli):
    e = json_line(pyro(vm_cli, "env", "inspect", "busybox", "--json"))
    assert set(e) >= INFO_KEYS
    assert e["name"] == "busybox" and e["installed"] and not e["has_rootfs"]
    assert len(e["sha256"]) == 64 and e["source"] == "catalog" and e["packages"] == []


@pytest.mark.vm
def test_env_inspect_human(vm_cli):
    r = pyro(vm_cli, "env", "inspect", "busybox")
    assert r.returncode == 0, r.stderr
    fields = {}
    for line in r.stdout.splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    assert fields["name"] == "busybox"
    assert fields["installed"] == "yes"
    assert fields["has_rootfs"] == "no"
    assert fields["packages"] == "-"
    assert len(fields["sha256"]) == 64


def test_env_inspect_lists_packages(cli):
    e = json_line(pyro(cli, "env", "inspect", "debian:12", "--json"))
    assert "git" in e["packages"] and e["has_rootfs"]
    r = pyro(cli, "env", "inspect", "debian:12")
    packages = [line for line in r.stdout.splitlines() if line.startswith("packages:")]
    assert len(packages) == 1 and "git" in packages[0].split()


def test_env_inspect_unknown_exits_125_not_found(cli):
    r = pyro(cli, "env", "inspect", "no-such-env")
    assert r.returncode == EXIT_PYRO_ERROR
    assert r.stdout == ""
    assert "[not_found]" in r.stderr
    assert "no-such-env" in r.stderr


def test_env_pull_unknown_exits_125_not_found(cli):
    r = pyro(cli, "env", "pull", "no-such-env", "--json")
    assert r.returncode == EXIT_PYRO_ERROR
    assert r.stdout == ""
    assert "[not_found]" in r.stderr


def test_run_unknown_environment_exits_125(cli):
    r = pyro(cli, "run", "no-such-env", "--", "true")
    assert r.returncode == EXIT_PYRO_ERROR
    assert "[not_found]" in r.stderr


# ---- prune and pull -----------------------------------------------------------------


@pytest.mark.vm
def test_env_prune_dry_run(vm_cli, tmp_path):
    e = json_line(pyro(vm_cli, "env", "inspect", "busybox", "--json"))
    stale = Path(e["path"]).parent / ".busybox.tmp.clitest"
    stale.mkdir(exist_ok=True)
    (stale / "junk").write_bytes(b"x" * 4096)
    try:
        r = json_line(pyro(vm_cli, "env", "prune", "--dry-run", "--json"))
        assert str(stale) in r["removed"]
        assert r["bytes_freed"] >= 4096
        assert stale.is_dir()
        human = pyro(vm_cli, "env", "prune", "--dry-run")
        assert human.returncode == 0, human.stderr
        assert f"would remove {stale}" in human.stdout.splitlines()
        assert human.stdout.splitlines()[-1].startswith("would free ")
        assert stale.is_dir()
    finally:
        for f in stale.iterdir():
            f.unlink()
        stale.rmdir()


@pytest.mark.vm
def test_env_pull_busybox_is_a_no_op(vm_cli):
    before = json_line(pyro(vm_cli, "env", "inspect", "busybox", "--json"))
    after = json_line(pyro(vm_cli, "env", "pull", "busybox", "--json"))
    assert after["installed"] and after["sha256"] == before["sha256"]
    assert after["built_at"] == before["built_at"]
    human = pyro(vm_cli, "env", "pull", "busybox")
    assert human.returncode == 0, human.stderr
    assert human.stdout.count("\n") == 1
    assert human.stdout.startswith(f"busybox: installed at {before['path']} ")
    # Progress goes to stderr, never to stdout; not a terminal: "pyro: <stage>: <message>" lines.
    lines = human.stderr.splitlines()
    assert all(line.startswith("pyro: ") for line in lines)
    assert lines[0] == "pyro: download kernel", lines
    assert any(line.startswith("pyro: download kernel: ") and "up to date" in line for line in lines), lines
    assert "\r" not in human.stderr


@pytest.mark.vm
def test_env_pull_on_a_terminal_redraws_one_line(vm_cli):
    status, out, tty = run_with_tty_stderr(vm_cli, "env", "pull", "busybox")
    assert status == 0, tty
    assert out.startswith(b"busybox: installed at ")
    # The terminal turns "\n" into "\r\n"; a bare "\r" is a redraw of the bar's line.
    redraws = re.findall(rb"\r(?!\n)([^\r\n]*)", tty)
    assert len(redraws) >= 2, tty
    assert all(r.startswith(b"download kernel") and r.endswith(b"\x1b[K") for r in redraws), redraws
    assert b"pyro: " not in tty and tty.endswith(b"\r\n"), tty  # the final newline


# ---- import -------------------------------------------------------------------------


def test_env_import_missing_source_exits_125(cli, tmp_path):
    r = pyro(cli, "env", "import", "cli-img", str(tmp_path / "missing.tar"))
    assert r.returncode == EXIT_PYRO_ERROR
    assert "[not_found]" in r.stderr


def test_env_import_catalog_name_exits_125(cli, tmp_path):
    r = pyro(cli, "env", "import", "busybox", str(tmp_path / "missing.tar"))
    assert r.returncode == EXIT_PYRO_ERROR
    assert "[already_exists]" in r.stderr


# ---- usage errors -------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["env"],
        ["env", "bogus"],
        ["env", "inspect"],
        ["env", "inspect", "a", "b"],
        ["env", "pull"],
        ["env", "pull", "busybox", "--bogus"],
        ["env", "pull", "busybox", "--force=yes"],
        ["env", "prune", "extra"],
        ["env", "prune", "--all=1"],
        ["env", "import", "name"],
        ["env", "import", "name", "src", "extra"],
        ["env", "pull", "busybox", "--home", "/tmp"],  # a global flag after the verb
        ["--guest-dir"],
        ["--auto-pull=1", "env", "list"],
    ],
    ids=lambda a: " ".join(a),
)
def test_usage_errors_exit_64(cli, args):
    r = pyro(cli, *args)
    assert r.returncode == EXIT_USAGE, (r.stdout, r.stderr)
    assert r.stdout == ""
    assert "pyro: usage error:" in r.stderr


def test_global_flags_are_accepted(cli, tmp_path):
    r = pyro(cli, "--home", str(tmp_path), "--guest-dir", str(tmp_path), "--no-snapshots",
             "--auto-pull", "env", "list", "--json")
    envs = json_line(r)["items"]
    assert {e["name"] for e in envs} >= set(CATALOG)
    assert not any(e["installed"] for e in envs)  # a fresh home


@pytest.mark.parametrize("verb", ["pull", "inspect", "prune", "import"])
def test_env_help(cli, verb):
    r = pyro(cli, "env", verb, "--help")
    assert r.returncode == 0
    assert r.stdout.startswith(f"usage: pyro env {verb}")
    assert pyro(cli, "help", "env", verb).stdout == r.stdout


def test_top_level_help_lists_the_env_verbs(cli):
    r = pyro(cli, "help")
    for verb in ["env pull", "env inspect", "env prune", "env import", "--guest-dir",
                 "--no-snapshots", "--auto-pull"]:
        assert verb in r.stdout, verb
    assert "--pull" in pyro(cli, "run", "--help").stdout
