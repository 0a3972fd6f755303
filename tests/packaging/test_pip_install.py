"""pyro as a pip user gets it: an sdist of this checkout, installed into a fresh venv.

Run by scripts/test.sh (`python3 -m pytest tests/packaging`) after the main suites.
The installed CLI, the Python API and the MCP server must all find the guest tools the
wheel carries, with no path of the build machine compiled into any installed file.
The sdist is unpacked and built under build/pip-test/ (a fixed place, so a second run
locally rebuilds incrementally); the environments go to a fresh PYRO_HOME that only
borrows the download cache of the test run's home (no network for the kernel .deb).
"""

import asyncio
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
WORK = REPO / "build" / "pip-test"


def run(*args, env=None, timeout=1800, cwd=None) -> subprocess.CompletedProcess:
    r = subprocess.run([str(a) for a in args], capture_output=True, timeout=timeout, check=False, env=env, cwd=cwd)
    assert r.returncode == 0, f"{args}: exit {r.returncode}\n{r.stdout.decode()}\n{r.stderr.decode()}"
    return r


def shared_home() -> Path:
    home = os.environ.get("PYRO_HOME") or Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "pyro"
    return Path(home)


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(venv, env for the venv's programs, the source dir, the CMake build dir)."""
    tmp = tmp_path_factory.mktemp("pip")
    venv = tmp / "venv"
    run(sys.executable, "-m", "venv", venv)
    py = venv / "bin" / "python"
    # The sdist, as `python -m build --sdist` would make it (scikit-build-core's hook).
    run(venv / "bin" / "pip", "install", "-q", "scikit-build-core>=0.8")
    dist = tmp / "dist"
    dist.mkdir()
    name = run(py, "-c", f"from scikit_build_core.build import build_sdist; print(build_sdist({str(dist)!r}))",
               cwd=REPO).stdout.decode().split()[-1]
    src = WORK / "src"
    shutil.rmtree(src, ignore_errors=True)
    src.mkdir(parents=True)
    with tarfile.open(dist / name) as tar:
        # Our own sdist; the "data" filter where this Python has it (3.11.4+).
        tar.extractall(src, **({"filter": "data"} if hasattr(tarfile, "data_filter") else {}))
    (top,) = src.iterdir()
    build_dir = WORK / "cmake"
    run(venv / "bin" / "pip", "install", "-q", f"-Cbuild-dir={build_dir}", top)
    home = tmp / "home"
    shutil.copytree(shared_home() / "cache", home / "cache", symlinks=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYRO_") and k != "PYTHONPATH"}
    env.update(PYRO_HOME=str(home), PATH=f"{venv / 'bin'}:{os.environ['PATH']}")
    yield venv, env, top, build_dir
    left = subprocess.run(["pgrep", "-af", str(home)], capture_output=True, check=False).stdout
    subprocess.run(["pkill", "-9", "-f", str(home)], check=False)
    assert not left, f"processes left behind: {left.decode()}"


def installed_files(venv: Path):
    (site,) = venv.glob("lib/python*/site-packages")
    yield venv / "bin" / "pyro"
    yield from (p for p in (site / "pyro").rglob("*") if p.is_file() and not p.is_symlink())


def test_the_wheel_carries_the_cli_and_the_guest_tools(installed):
    venv, _, _, _ = installed
    (site,) = venv.glob("lib/python*/site-packages")
    for rel in ("pyro/pyro-cli", "pyro/guest/pyro-agent", "pyro/guest/scripts/build-bootset.sh",
                "pyro/guest/scripts/build-rootfs.sh", "pyro/guest/initramfs/init"):
        assert (site / rel).is_file(), rel
    assert os.access(site / "pyro" / "pyro-cli", os.X_OK)


def test_no_build_machine_path_is_compiled_in(installed):
    venv, _, src, build_dir = installed
    needles = {str(p).encode() for p in (REPO, src, build_dir, build_dir.resolve())}
    found = []
    for path in installed_files(venv):
        data = path.read_bytes()
        found += [f"{path}: {n.decode()}" for n in needles if n in data]
    assert not found, "\n".join(found)


def test_cli_pulls_and_runs_from_the_venv(installed):
    venv, env, _, _ = installed
    assert run(venv / "bin" / "pyro", "--version", env=env).stdout.startswith(b"pyro ")
    run(venv / "bin" / "pyro", "env", "pull", "busybox", env=env)
    r = run(venv / "bin" / "pyro", "run", "busybox", "--", "echo", "from-the-venv", env=env)
    assert r.stdout == b"from-the-venv\n"
    # `python -m pyro` is the same CLI.
    assert run(venv / "bin" / "python", "-m", "pyro", "--version", env=env).stdout.startswith(b"pyro ")


def test_python_api_from_the_venv(installed):
    venv, env, _, _ = installed
    code = ("import pyro\n"
            "with pyro.Pyro() as p:\n"
            "    p.pull_environment('busybox')\n"
            "    print(p.run_in_vm('busybox', 'echo api').stdout, end='')\n")
    assert run(venv / "bin" / "python", "-c", code, env=env, cwd="/").stdout == b"api\n"


def test_mcp_vm_run_from_the_venv(installed):
    from mcp import ClientSession, StdioServerParameters, stdio_client

    venv, env, _, _ = installed
    run(venv / "bin" / "pyro", "env", "pull", "busybox", env=env)

    async def call():
        params = StdioServerParameters(command=str(venv / "bin" / "pyro"), args=["mcp", "serve"], env=env)
        async with stdio_client(params) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                return await session.call_tool("vm_run", {"environment": "busybox", "command": "echo mcp"})

    result = asyncio.run(call())
    assert not result.is_error, result
    assert result.structured_content["stdout"] == "mcp\n"
    assert result.structured_content["exit_code"] == 0
