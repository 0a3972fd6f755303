"""Tests of the `pyro` CLI as a subprocess.

The binary comes from $PYRO_CLI (set by the test runner). Tests that boot VMs
skip when the `busybox` environment is not installed under $PYRO_HOME (conftest.py).
"""

import json
import re
import signal
import subprocess
from pathlib import Path

import pytest

from conftest import pyro_home
from waiting import wait_until

REPO = Path(__file__).resolve().parents[2]
EXIT_USAGE = 64
EXIT_PYRO_ERROR = 125


def pyro(cli: str, *args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    """Runs the CLI; stdout and stderr are kept as raw bytes."""
    return subprocess.run([cli, *args], capture_output=True, timeout=timeout, check=False)


# --- without VMs ---------------------------------------------------------


def test_version(cli):
    r = pyro(cli, "--version")
    assert r.returncode == 0
    assert re.fullmatch(rb"pyro \d+\.\d+\.\d+\n", r.stdout)
    assert pyro(cli, "version").stdout == r.stdout
    assert json.loads(pyro(cli, "version", "--json").stdout)["version"] in r.stdout.decode()


@pytest.mark.parametrize("args", [["--help"], ["help"], ["-h"]])
def test_global_help(cli, args):
    r = pyro(cli, *args)
    assert r.returncode == 0
    assert r.stdout.startswith(b"usage: pyro ")
    for verb in (b"run", b"env list", b"doctor", b"version"):
        assert verb in r.stdout
    assert r.stderr == b""


@pytest.mark.parametrize("args", [["run", "--help"], ["help", "run"], ["run", "busybox", "-h"]])
def test_run_help_lists_every_parameter(cli, args):
    r = pyro(cli, *args)
    assert r.returncode == 0
    assert r.stdout.startswith(b"usage: pyro run ENV")
    ops = json.loads((REPO / "spec" / "operations.json").read_text())["operations"]
    run_op = next(op for op in ops if op["name"] == "run_in_vm")
    for param in run_op["params"]:
        if param["name"] in ("environment", "command"):
            continue  # positional ENV and the words after `--`
        flag = "--" + param["name"].replace("_", "-")
        assert flag.encode() in r.stdout, flag


@pytest.mark.parametrize(
    "args, needle",
    [
        (["run", "busybox", "--bogus", "--", "true"], b"--bogus"),
        (["run", "busybox"], b"missing command"),
        (["run", "busybox", "--"], b"missing command"),
        (["run", "busybox", "echo", "hi"], b"`--`"),
        (["run", "--", "true"], b"missing environment"),
        (["run", "busybox", "--mem-mib", "lots", "--", "true"], b"--mem-mib"),
        (["run", "busybox", "--mem-mib", "--", "true"], b"needs a value"),
        (["run", "busybox", "--network=yes", "--", "true"], b"takes no value"),
        (["run", "busybox", "--env", "NOEQUALS", "--", "true"], b"K=V"),
        (["run", "--home", "/tmp", "busybox", "--", "true"], b"global"),
        ([], b"missing verb"),
        (["frobnicate"], b"frobnicate"),
        (["env"], b"env list"),
        (["doctor", "extra"], b"extra"),
        (["--bogus"], b"--bogus"),
    ],
)
def test_usage_errors_exit_64(cli, args, needle):
    r = pyro(cli, *args)
    assert r.returncode == EXIT_USAGE, r.stderr
    assert r.stdout == b""
    assert needle in r.stderr
    assert b"--help" in r.stderr  # the hint


def test_unknown_environment_exits_125(cli):
    r = pyro(cli, "run", "no-such-environment", "--", "true")
    assert r.returncode == EXIT_PYRO_ERROR, r.stderr
    assert r.stdout == b""
    assert r.stderr.startswith(b"pyro: error: ")
    assert b"[not_found]" in r.stderr


def test_doctor_json(cli):
    r = pyro(cli, "doctor", "--json")
    report = json.loads(r.stdout)
    assert "accelerator" in report
    assert isinstance(report["checks"], list)
    assert r.returncode == (0 if report["ok"] else 1)


def test_doctor_names_missing_host_packages(cli, tmp_path):
    # A pip install brings no host programs: doctor says which are missing and which
    # Debian packages provide them. An empty PATH hides every one of them.
    import os

    r = subprocess.run([cli, "doctor", "--json"], capture_output=True, timeout=180, check=False,
                       env={**os.environ, "PATH": str(tmp_path)})
    report = json.loads(r.stdout)
    assert r.returncode == 1 and not report["ok"]
    checks = {c["name"]: c for c in report["checks"]}
    host = checks["host programs"]
    assert not host["ok"]
    assert "`mke2fs` (e2fsprogs" in host["detail"]
    assert "optional, missing: `mmdebstrap`" in host["detail"]
    install = host["detail"].split("install with `")[1]
    assert install.startswith("apt-get install ") and " e2fsprogs " in install and "mmdebstrap" in install


def test_doctor_host_programs_present(cli):
    r = pyro(cli, "doctor", "--json")
    host = next(c for c in json.loads(r.stdout)["checks"] if c["name"] == "host programs")
    assert host == {"name": "host programs", "ok": True, "detail": host["detail"]}
    assert host["detail"].startswith("all ") and host["detail"].endswith(" present"), host


def test_doctor_human(cli):
    r = pyro(cli, "doctor")
    assert r.returncode in (0, 1)
    assert b"accelerator:" in r.stdout


def test_env_list_json_has_busybox(cli):
    r = pyro(cli, "env", "list", "--json")
    assert r.returncode == 0, r.stderr
    envs = json.loads(r.stdout)["items"]  # a list result is {"items": [...]}, as from Pyro::call
    assert isinstance(envs, list)
    busybox = next(e for e in envs if e["name"] == "busybox")
    assert isinstance(busybox["installed"], bool)


def test_env_list_human(cli):
    r = pyro(cli, "env", "list")
    assert r.returncode == 0, r.stderr
    assert b"busybox" in r.stdout


# --- booting VMs ---------------------------------------------------------


@pytest.mark.vm
def test_run_echo_hello(vm_cli):
    r = pyro(vm_cli, "run", "busybox", "--", "echo", "hello")
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"hello\n"


@pytest.mark.vm
def test_exit_code_passthrough(vm_cli):
    r = pyro(vm_cli, "run", "busybox", "--", "exit 7")
    assert r.returncode == 7, r.stderr
    assert r.stdout == b""


@pytest.mark.vm
def test_stdout_stderr_separation(vm_cli):
    r = pyro(vm_cli, "run", "busybox", "--", "echo out; echo err >&2")
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"out\n"
    assert b"err\n" in r.stderr
    assert b"out" not in r.stderr


@pytest.mark.vm
def test_multi_word_commands_are_quoted(vm_cli):
    r = pyro(vm_cli, "run", "busybox", "--", "echo", "a b")
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"a b\n"

    r = pyro(vm_cli, "run", "busybox", "--", "sh", "-c", "echo $0", "x")
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"x\n"

    words = ["it's", "$HOME", "*", "a=b", "if", ""]
    r = pyro(vm_cli, "run", "busybox", "--", "printf", "[%s]\\n", *words)
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"".join(b"[%s]\n" % w.encode() for w in words)


@pytest.mark.vm
def test_binary_stdout_is_exact(vm_cli):
    r = pyro(vm_cli, "run", "busybox", "--", "printf", "a\\000b\\377c\\n\\001")
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"a\x00b\xffc\n\x01"


@pytest.mark.vm
def test_env_and_cwd(vm_cli):
    r = pyro(vm_cli, "run", "busybox", "--env", "FOO=bar baz", "--cwd", "/tmp", "--",
             'echo "$FOO"; pwd')
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"bar baz\n/tmp\n"


@pytest.mark.vm
def test_json_result(vm_cli):
    r = pyro(vm_cli, "run", "busybox", "--json", "--",
             "printf 'hi\\377'; echo oops >&2; exit 3")
    assert r.returncode == 3, r.stderr
    assert r.stdout.count(b"\n") == 1  # one JSON line
    result = json.loads(r.stdout)
    assert result["exit_code"] == 3
    assert result["stdout"] == "hi\ufffd"  # invalid UTF-8 replaced
    assert result["stderr"] == "oops\n"
    assert result["timed_out"] is False
    for key in ("signal", "stdout_truncated", "stderr_truncated", "duration_ms", "vm_id"):
        assert key in result


@pytest.mark.vm
def test_timeout_exits_137_with_note(vm_cli):
    r = pyro(vm_cli, "run", "busybox", "--timeout-seconds", "1", "--", "sleep 10")
    assert r.returncode == 137, r.stderr
    assert b"pyro: command timed out after 1s" in r.stderr


@pytest.mark.vm
def test_truncation_note(vm_cli):
    r = pyro(vm_cli, "run", "busybox", "--max-output-bytes", "4", "--", "echo 0123456789")
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"0123"
    assert b"pyro: stdout truncated at 4 bytes" in r.stderr


@pytest.mark.vm
def test_sigterm_deletes_the_vm_and_exits_143(vm_cli):
    run = pyro_home() / "run"
    before = set(run.iterdir()) if run.is_dir() else set()
    proc = subprocess.Popen([vm_cli, "run", "busybox", "--timeout-seconds", "5", "--",
                             "sleep 60"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        # Signal once the VM exists (its run directory is made when it starts): mid-boot
        # or mid-command, both must end cleanly.
        wait_until(lambda: (run.is_dir() and set(run.iterdir()) - before) or proc.poll() is not None, 120,
                   "the CLI to start its VM (a new directory under $PYRO_HOME/run)")
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert out == b""
    assert b"interrupted" in err
