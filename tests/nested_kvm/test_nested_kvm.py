"""The nested-KVM tier: pyro's KVM path, run for real inside a TCG guest.

QEMU's TCG emulates AMD SVM, so an outer VM (TCG, 2 vCPUs) gets a working /dev/kvm
once kvm-amd is loaded, and the pyro build under test runs inside it with
`--accelerator kvm`: the accelerator probe and doctor, a cold boot, a snapshot clone,
run_in_vm, a workspace (seed, exec, patch, diff, snapshot, reset), a service with a
published port reached from the outer VM, and the jail around a KVM VMM. The outer
environment is built by build-outer-env.sh (docs/testing-kvm.md says how and why).

These figures say nothing about speed: the inner guest's CPU is emulated twice over.
They only say that the KVM path works. Run with the built package on the path:
    PYTHONPATH=build/python python3 -m pytest tests/nested_kvm
"""

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

import pyro

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests/python"))
from waiting import wait_until  # noqa: E402  (the shared wait helper)

BUILD = Path(os.environ.get("PYRO_BUILD_DIR", ROOT / "build"))
OUTER_ENV = "pyro-nested-kvm"
INNER_HOME = "/var/lib/pyro-nested"
# The inner pyro, always on KVM (auto only where the probe itself is tested).
PYRO = f"PYRO_HOME={INNER_HOME} pyro --accelerator kvm"
# Every step is bounded: a builder or a guest that hangs fails the tier, never stalls it.
BUILD_TIMEOUT_S = 900
STEP_TIMEOUT_S = 240


def pyro_home() -> Path:
    home = os.environ.get("PYRO_HOME")
    if home:
        return Path(home)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "pyro"


@pytest.fixture(scope="module")
def outer():
    """A booted outer VM with kvm-amd loaded: (client, workspace id)."""
    home = pyro_home()
    # PYRO_NESTED_KVM_REUSE=1 keeps an outer environment built earlier (for iterating
    # on these tests only: it then runs an older build).
    if os.environ.get("PYRO_NESTED_KVM_REUSE") != "1":
        subprocess.run([str(ROOT / "tests/nested_kvm/build-outer-env.sh"), "--build", str(BUILD),
                        "--home", str(home), "--name", OUTER_ENV],
                       check=True, timeout=BUILD_TIMEOUT_S, stdout=subprocess.DEVNULL)
    # TCG explicitly: the tier is about KVM *inside*; no snapshot of a one-off outer VM.
    client = pyro.Pyro(home=str(home), accelerator="tcg", snapshots=False, boot_timeout_seconds=120)
    # A workspace: an ephemeral VM is deleted after its one exec.
    ws = client.create_workspace(OUTER_ENV, vcpu_count=2, mem_mib=2048, disk_mib=256)
    try:
        # A missing `svm` flag is a failure, never a skip.
        r = client.exec_workspace(ws.workspace_id,
                                  "grep -qw svm /proc/cpuinfo || { echo 'no svm flag'; exit 3; }; "
                                  "modprobe kvm_amd && test -c /dev/kvm && cat /sys/module/kvm_amd/parameters/nested",
                                  timeout_seconds=60)
        assert r.exit_code != 3, (
            "the outer VM's CPU has no `svm` flag: this QEMU's TCG does not emulate AMD SVM, so "
            "nested KVM cannot run here and the KVM path is untested (docs/testing-kvm.md)")
        assert r.exit_code == 0, f"loading kvm-amd in the outer VM failed: {r.stdout}{r.stderr}"
        assert r.stdout.strip() in ("1", "Y"), f"kvm-amd without nested virtualization: {r.stdout!r}"
        yield client, ws.workspace_id
    finally:
        client.delete_workspace(ws.workspace_id)
        client.close()
    # Nothing left behind: the outer VMM (and every inner one with it) is gone.
    wait_until(lambda: not outer_vmms(), 60, "the outer VM's QEMU to exit")


def outer_vmms() -> list:
    """Pids of QEMU processes booting the outer environment."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and b"img_" + OUTER_ENV.encode() in (proc / "cmdline").read_bytes():
                found.append(proc.name)
        except OSError:
            continue  # exited meanwhile
    return found


def sh(outer, command: str, timeout: float = STEP_TIMEOUT_S, exit_codes=(0,)) -> str:
    """Runs `command` in the outer VM; fails the test on another exit code, returns stdout."""
    client, ws = outer
    r = client.exec_workspace(ws, command, timeout_seconds=timeout, max_output_bytes=4 << 20)
    assert not r.timed_out, f"`{command}` timed out in the outer VM:\n{r.stdout}\n{r.stderr}"
    assert r.exit_code in exit_codes, f"`{command}` exited {r.exit_code} in the outer VM:\n{r.stdout}\n{r.stderr}"
    return r.stdout


def inner_json(outer, args: str, guest_command: str = "", exit_codes=(0,)) -> dict:
    """The inner pyro's --json result; `guest_command` is a shell command for the inner guest."""
    tail = f" -- sh -c {shlex.quote(guest_command)}" if guest_command else ""
    return json.loads(sh(outer, f"{PYRO} {args} --json{tail}", exit_codes=exit_codes))


def test_doctor_probes_and_chooses_kvm(outer):
    # `auto`: the probe's obstacle check and its test boot, both on the real /dev/kvm.
    # Exit 1: the Debian environments are not installed in the inner home.
    report = json.loads(sh(outer, f"PYRO_HOME={INNER_HOME} pyro doctor --json", exit_codes=(0, 1)))
    checks = {c["name"]: c for c in report["checks"]}
    assert report["accelerator"] == "kvm", report
    assert report["accelerator_reason"] == "a test boot with kvm succeeded", report
    assert checks["kvm"]["ok"] and "present" in checks["kvm"]["detail"], checks["kvm"]
    # The boots ran jailed as `pyro-vmm` (regression: the bound /dev/kvm refused that user).
    assert checks["jail uid"]["ok"] and "pyro-vmm" in checks["jail uid"]["detail"], checks["jail uid"]
    assert checks["boot"]["ok"] and checks["boot"]["detail"].startswith("a kvm VM booted"), checks["boot"]
    # Everything but the Debian environments, which the inner home does not hold.
    failed = [c for c in report["checks"] if not c["ok"] and not c["name"].startswith("environment debian")]
    assert not failed, failed


def test_cold_boot_then_snapshot_clone(outer):
    # The first run boots cold and saves the template; the second is a clone of it.
    probe = "cat /sys/devices/system/clocksource/clocksource0/current_clocksource; cat /proc/cmdline"
    cold = sh(outer, f"{PYRO} -v run busybox -- sh -c {shlex.quote(probe)} 2>&1")
    assert "booted cold with kvm" in cold and "creating snapshot template" in cold, cold
    clone = sh(outer, f"{PYRO} -v run busybox -- sh -c {shlex.quote(probe)} 2>&1")
    assert "as a clone of snapshot template" in clone and "with kvm" in clone, clone
    for out in (cold, clone):
        # Under KVM the guest keeps time with kvmclock; TCG's timing flags are not given.
        assert "kvm-clock" in out, out
        assert "tsc_early_khz" not in out and "lpj=" not in out, out
    # The guest adopted the host CPU (-cpu host): its template is keyed by that CPU, so a
    # home moved to another CPU boots cold instead of restoring a mismatched snapshot.
    metas = [json.loads(line) for line in
             sh(outer, f"for m in {INNER_HOME}/templates/*/meta.json; do tr -d '\\n' < $m; echo; done").splitlines()]
    kvm = [m for m in metas if m["accelerator"] == "kvm" and m["environment"] == "busybox"]
    assert kvm and all(len(m.get("cpu", "")) == 64 for m in kvm), metas


def test_run_in_vm_result(outer):
    result = inner_json(outer, "run busybox", "echo hello; exit 3", exit_codes=(3,))
    assert result["exit_code"] == 3 and result["stdout"] == "hello\n", result


def test_workspace_seed_exec_patch_diff_snapshot_reset(outer):
    sh(outer, "mkdir -p /tmp/seed && printf 'one\\ntwo\\n' > /tmp/seed/a.txt")
    ws = inner_json(outer, "workspace create busybox --seed-path /tmp/seed")["workspace_id"]
    try:
        r = inner_json(outer, f"workspace exec {ws}", "cat a.txt; echo x > b.txt")
        assert r["exit_code"] == 0 and r["stdout"] == "one\ntwo\n", r
        patch = "--- a/a.txt\n+++ b/a.txt\n@@ -1,2 +1,2 @@\n one\n-two\n+three\n"
        sh(outer, f"printf %s {shlex.quote(patch)} > /tmp/p.diff")
        inner_json(outer, f"workspace patch apply {ws} --patch-file /tmp/p.diff")
        diff = inner_json(outer, f"workspace diff {ws}")
        assert "+three" in json.dumps(diff) and "b.txt" in json.dumps(diff), diff
        inner_json(outer, f"workspace snapshot create {ws} patched")
        inner_json(outer, f"workspace exec {ws}", "rm a.txt")
        inner_json(outer, f"workspace reset {ws} --snapshot patched")
        r = inner_json(outer, f"workspace exec {ws}", "cat a.txt b.txt")
        assert r["stdout"] == "one\nthree\nx\n", r
        assert inner_json(outer, f"workspace status {ws}")["accelerator"] == "kvm"
        # The workspace's QEMU, jailed: it runs as `pyro-vmm` and opens a /dev/kvm of its
        # own in its mount namespace; the outer VM's node is left root's, 0600.
        jailed = sh(outer, "for d in /proc/[0-9]*; do tr '\\0' ' ' < $d/cmdline 2>/dev/null | grep -q '^/usr/bin/qemu-system' "
                           "&& stat -c '%U %F %a' $d $d/root/dev/kvm; done; stat -c '%U %a' /dev/kvm")
        assert jailed.splitlines() == ["pyro-vmm directory 555", "pyro-vmm character special file 600", "root 600"], jailed
    finally:
        sh(outer, f"{PYRO} workspace delete {ws}")


def test_service_port_published_to_the_outer_vm(outer):
    ws = inner_json(outer, "workspace create busybox --network-policy egress+published-ports")["workspace_id"]
    try:
        inner_json(outer, f"workspace exec {ws}", "mkdir -p /srv && echo served-under-kvm > /srv/index.html")
        svc = inner_json(outer, f"workspace service start {ws} web --publish 8080 --ready-tcp 8080",
                         "exec busybox httpd -f -p 8080 -h /srv")
        port = svc["published_ports"][0]["host_port"]
        page = sh(outer, f"busybox wget -q -O - http://127.0.0.1:{port}/index.html")
        assert page == "served-under-kvm\n", page
    finally:
        sh(outer, f"{PYRO} workspace delete {ws}")
