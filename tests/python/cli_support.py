"""Running the `pyro` CLI from tests: shared by the test_cli_* files."""

import json
import subprocess

EXIT_USAGE = 64
EXIT_PYRO_ERROR = 125


def pyro(cli: str, *args: str, stdin: bytes = b"", timeout: float = 300) -> subprocess.CompletedProcess:
    """Runs the CLI; stdout and stderr are kept as raw bytes."""
    return subprocess.run([cli, *args], input=stdin, capture_output=True, timeout=timeout, check=False)


def ok(cli: str, *args: str, stdin: bytes = b"", timeout: float = 300) -> subprocess.CompletedProcess:
    r = pyro(cli, *args, stdin=stdin, timeout=timeout)
    assert r.returncode == 0, (args, r.stderr)
    return r


def ok_json(cli: str, *args: str, stdin: bytes = b""):
    words = list(args)
    words.insert(words.index("--") if "--" in words else len(words), "--json")  # before COMMAND
    r = ok(cli, *words, stdin=stdin)
    assert r.stdout.count(b"\n") == 1, r.stdout  # one JSON line
    return json.loads(r.stdout)
