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


def run_with_tty_stderr(cli: str, *args: str, timeout: float = 300):
    """Runs the CLI with stderr on a pseudo-terminal (stdout a pipe); returns
    (exit status, stdout, everything written to the terminal)."""
    import os
    import pty
    import select
    import time

    master, slave = pty.openpty()
    proc = subprocess.Popen([cli, *args], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    seen = b""
    deadline = time.monotonic() + timeout
    try:
        while True:
            assert time.monotonic() < deadline, f"{args} still writing after {timeout} s: {seen!r}"
            ready, _, _ = select.select([master], [], [], 5)
            if not ready:
                continue
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal's last open end
                break
            if not data:
                break
            seen += data
        out = proc.stdout.read()
        return proc.wait(timeout=timeout), out, seen
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
