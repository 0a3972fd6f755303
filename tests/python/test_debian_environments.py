"""The Debian catalog environments over real VMs: debian:12-base, debian:12, debian:12-build.

Each environment is pulled on first use (guest/scripts/build-rootfs.sh through the
core: mmdebstrap, then an ext4 image). That takes minutes per environment with a cold
package cache and about a second once built; `busybox` must be installed, since the
Debian environments boot with its kernel and /init.

    PYRO_HOME=... PYTHONPATH=<build>/python python3 -m pytest tests/python/test_debian_environments.py
"""

import os
from typing import Dict

import re

import pytest

import pyro

HOSTNAME = re.compile(r"pyro(-[0-9a-f]{8})?")

pytestmark = [pytest.mark.vm, pytest.mark.slow]

# Boots under TCG take several seconds, more on a loaded host; compiling takes longer.
EXEC_TIMEOUT = 120

_pulled: Dict[str, "pyro.EnvironmentInfo"] = {}


def pulled(client, busybox, name):
    """Pulls `name` once per session (a no-op when the cached build is current)."""
    if name not in _pulled:
        lines = []
        _pulled[name] = client.pull_environment(name, progress=lines.append)
        assert _pulled[name].installed, "\n".join(lines[-20:])
    return _pulled[name]


def run(client, env, command, **kwargs):
    kwargs.setdefault("timeout_seconds", EXEC_TIMEOUT)
    return client.run_in_vm(env, command, **kwargs)


def ok(result):
    """Asserts success, with the output in the message when it fails."""
    assert result.exit_code == 0 and not result.timed_out, (
        f"exit {result.exit_code}, timed out {result.timed_out}\n"
        f"stdout: {result.stdout!r}\nstderr: {result.stderr!r}")
    return result


@pytest.fixture(scope="module")
def debian12(client, busybox):
    return pulled(client, busybox, "debian:12").name


@pytest.fixture(scope="module")
def debian12_base(client, busybox):
    return pulled(client, busybox, "debian:12-base").name


@pytest.fixture(scope="module")
def debian12_build(client, busybox):
    return pulled(client, busybox, "debian:12-build").name


# ---- the catalog entries ------------------------------------------------------------


def test_pull_records_catalog_metadata(client, debian12):
    info = client.inspect_environment(debian12)
    assert info.installed and info.has_rootfs
    assert info.source == "catalog"
    assert info.version == "12"
    assert {"git", "python3", "curl"} <= set(info.packages)
    assert len(info.sha256) == 64
    assert info.size_bytes > 50 * 1024 * 1024
    assert os.path.isfile(os.path.join(info.path, "rootfs.ext4"))


def test_pull_again_is_a_no_op(client, debian12):
    before = client.inspect_environment(debian12)
    after = client.pull_environment(debian12)
    assert after.sha256 == before.sha256
    assert after.built_at == before.built_at


# ---- debian:12 ----------------------------------------------------------------------


def test_debian12_runs_python_and_git(client, debian12):
    r = ok(run(client, debian12, "python3 -c 'print(1+1)'"))
    assert r.stdout == "2\n"
    r = ok(run(client, debian12, "git --version"))
    assert r.stdout.startswith("git version 2.")


def test_debian12_agent_is_pid1_of_the_debian_root(client, debian12):
    # One exec per VM (exec_vm deletes the VM), so one command checks several things.
    r = ok(run(client, debian12,
               ". /etc/os-release && echo $VERSION_ID $VERSION_CODENAME;"
               " cat /proc/1/comm; readlink /proc/1/exe; cat /etc/hostname; echo $PATH"))
    lines = r.stdout.splitlines()
    assert lines[:3] == ["12 bookworm", "pyro-agent", "/.pyro/pyro-agent"]
    # `pyro` after a cold boot; a snapshot clone gets its own `pyro-<8 hex>`.
    assert HOSTNAME.fullmatch(lines[3]), lines[3]
    assert lines[4:] == ["/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]


def test_workspace_exists(client, debian12):
    r = ok(run(client, debian12, "stat -c '%a %U' /workspace && cd /workspace && pwd"))
    assert r.stdout == "755 root\n/workspace\n"
    r = ok(run(client, debian12, "pwd", cwd="/workspace"))
    assert r.stdout == "/workspace\n"


def test_root_is_a_writable_overlay_on_a_read_only_disk(client, debian12):
    command = r"""
awk '$2 == "/" { print "root " $3 }' /proc/mounts
awk '$2 == "/tmp" { print "tmp " $3 }' /proc/mounts
echo "vda ro $(cat /sys/block/vda/ro)"
# The disk itself is read-only (QEMU `readonly=on`): writing it fails ...
dd if=/dev/zero of=/dev/vda bs=512 count=1 conv=notrunc 2>/dev/null && echo "disk written" || echo "disk refused"
# ... but / takes writes, also over files that come from the image.
echo leak > /etc/pyro-leak-test && echo changed >> /etc/hostname && mkdir -p /usr/local/pyro-test \
  && echo ws > /workspace/pyro-leak-test && cat /etc/pyro-leak-test /workspace/pyro-leak-test \
  && tail -1 /etc/hostname
"""
    r = ok(run(client, debian12, command))
    assert r.stdout.splitlines() == [
        "root overlay", "tmp tmpfs", "vda ro 1", "disk refused", "leak", "ws", "changed"]

    # A new VM starts from the image again.
    r = ok(run(client, debian12,
               "for f in /etc/pyro-leak-test /workspace/pyro-leak-test /usr/local/pyro-test; do"
               " test -e $f && echo \"leaked: $f\"; done; cat /etc/hostname"))
    assert "leaked" not in r.stdout and "changed" not in r.stdout
    assert HOSTNAME.fullmatch(r.stdout.strip()), r.stdout


# ---- debian:12-build ----------------------------------------------------------------


def test_build_compiles_and_runs_c(client, debian12_build):
    command = r"""set -e
cd /workspace
cat > hello.c <<'EOF'
#include <stdio.h>
int main(void) { printf("hello from %s, %d\n", "cc", 6 * 7); return 0; }
EOF
cc -O2 -o hello hello.c
./hello
"""
    r = ok(run(client, debian12_build, command))
    assert r.stdout == "hello from cc, 42\n"
    # /bin/sh is dash, whose `command -v` looks at its first operand only.
    r = ok(run(client, debian12_build,
               "gcc --version | head -1; for c in make cmake pkg-config; do command -v $c; done"))
    assert r.stdout.startswith("gcc (Debian 12")
    assert r.stdout.splitlines()[1:] == ["/usr/bin/make", "/usr/bin/cmake", "/usr/bin/pkg-config"]


# ---- debian:12-base -----------------------------------------------------------------


def test_base_has_no_compiler(client, debian12_base):
    r = run(client, debian12_base, "command -v gcc cc")
    assert r.exit_code != 0 and r.stdout == ""
    r = ok(run(client, debian12_base, "for c in gcc cc c++ make; do command -v $c; done; true"))
    assert r.stdout == ""
    r = ok(run(client, debian12_base, "bash -c 'echo $BASH_VERSION' && ps -p 1 -o comm= && ip -o link show lo"))
    lines = r.stdout.splitlines()
    assert lines[0].startswith("5.2") and lines[1] == "pyro-agent" and "lo:" in lines[2]
    r = ok(run(client, debian12_base, "test -s /etc/ssl/certs/ca-certificates.crt && echo certs"))
    assert r.stdout == "certs\n"
