#!/usr/bin/env python3
"""boot-check.py: boot a pyro environment under QEMU by hand and time it.

Usage: boot-check.py ENV_DIR [--runs N] [--net] [--exec CMD]... [--shutdown]
                     [--rootfs PATH] [--append ARGS] [--trace] [--accel tcg]
                     [--timeout S] [--keep]

Starts QEMU with the same command-line shape the C++ backend uses, listens on the
agent socket *before* QEMU starts, and measures the time from starting QEMU to the
agent's `hello` event. With --exec it then runs commands through the agent and
prints their output. With --rootfs (default: ENV_DIR/rootfs.ext4 when it exists) the
ext4 image is attached read-only and /init switches to it (`pyro.root=/dev/vda`). Every QEMU it starts is stopped (QMP `quit`, then SIGKILL).
Only python3's standard library is needed.
"""
import argparse
import json
import os
import shutil
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time

HEADER = struct.Struct(">IIBB")  # length, stream, type, flags
T_REQUEST, T_RESPONSE, T_DATA, T_EVENT = 1, 2, 3, 4
END_STREAM = 1


def host_khz():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("cpu MHz"):
                return round(float(line.split(":")[1]) * 1000)
    raise SystemExit("boot-check: read /proc/cpuinfo: no `cpu MHz`")


def qemu_argv(env, run, net, accel, extra_append="", rootfs=None):
    khz = host_khz()
    append = (f"console=ttyS0 quiet panic=-1 tsc_early_khz={khz} lpj={khz * 1000 // 250} "
              f"pyro.net={1 if net else 0}" + (" pyro.root=/dev/vda" if rootfs else "")
              + (" " + extra_append if extra_append else ""))
    argv = ["qemu-system-x86_64", "-M", "microvm,pit=on,pic=on,rtc=on", "-accel", accel,
            "-m", "256", "-smp", "1", "-nodefaults", "-no-user-config", "-display", "none",
            "-no-reboot",
            "-kernel", os.path.join(env, "vmlinux"), "-initrd", os.path.join(env, "initrd.img"),
            "-append", append,
            "-serial", f"file:{run}/console.log",
            "-qmp", f"unix:{run}/qmp.sock,server=on,wait=off",
            "-chardev", f"socket,id=agent,path={run}/agent.sock",
            "-device", "virtio-serial-device",
            "-device", "virtserialport,chardev=agent,name=pyro.agent"]
    if net:
        argv += ["-netdev", "user,id=n0,restrict=on", "-device", "virtio-net-device,netdev=n0"]
    if rootfs:
        # Read-only: every VM shares the image; /init puts a tmpfs overlay on top.
        argv += ["-drive", f"file={rootfs},format=raw,if=none,id=root,readonly=on",
                 "-device", "virtio-blk-device,drive=root"]
    return argv


class ConsoleTracer(threading.Thread):
    """Polls the serial log and stamps each new line with host time since QEMU start."""

    def __init__(self, path, t0):
        super().__init__(daemon=True)
        self.path, self.t0 = path, t0
        self.lines = []
        self.done = threading.Event()

    def run(self):
        pos, partial = 0, ""
        while not self.done.is_set():
            try:
                with open(self.path, errors="replace") as f:
                    f.seek(pos)
                    data = f.read()
                    pos = f.tell()
            except FileNotFoundError:
                data = ""
            if data:
                now = (time.monotonic() - self.t0) * 1000
                partial += data
                *complete, partial = partial.split("\n")
                self.lines += [(now, line) for line in complete]
            self.done.wait(0.005)


class Conn:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def read_exact(self, n, deadline):
        while len(self.buf) < n:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("agent closed the connection")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read_frame(self, deadline):
        length, stream, ftype, flags = HEADER.unpack(self.read_exact(HEADER.size, deadline))
        if length >> 24 or ftype not in (1, 2, 3, 4):
            raise ValueError(f"bad frame header: length={length} type={ftype}")
        return stream, ftype, flags, self.read_exact(length, deadline)

    def send(self, stream, ftype, payload, flags=0):
        self.sock.sendall(HEADER.pack(len(payload), stream, ftype, flags) + payload)


def cpu_ms(pid):
    """User+system CPU time of a process so far: a load-independent boot cost."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


def qmp_quit(run):
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(2)
        s.connect(f"{run}/qmp.sock")
        f = s.makefile("rwb")
        f.readline()  # greeting
        for cmd in ("qmp_capabilities", "quit"):
            f.write(json.dumps({"execute": cmd}).encode() + b"\n")
            f.flush()
            f.readline()
        s.close()
    except OSError:
        pass


def stop(proc, run):
    if proc.poll() is None:
        qmp_quit(run)
        try:
            proc.wait(timeout=3)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def boot_once(args, index):
    run = tempfile.mkdtemp(prefix="pyro-boot-check.")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(f"{run}/agent.sock")
    listener.listen(1)
    argv = qemu_argv(args.env, run, args.net, args.accel, args.append, args.rootfs)
    if index == 0:
        print("qemu: " + " ".join(argv), file=sys.stderr)
    t0 = time.monotonic()
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=open(f"{run}/qemu.stderr", "wb"))
    result = {"ok": False}
    tracer = None
    if args.trace:
        tracer = ConsoleTracer(f"{run}/console.log", t0)
        tracer.start()
    try:
        deadline = t0 + args.timeout
        listener.settimeout(0.05)
        sock = None
        while sock is None:
            if proc.poll() is not None:
                raise RuntimeError(f"qemu exited with {proc.returncode} before connecting")
            if time.monotonic() > deadline:
                raise TimeoutError("qemu did not connect to the agent socket")
            try:
                sock, _ = listener.accept()
            except socket.timeout:
                pass
        t_connect = time.monotonic()
        conn = Conn(sock)
        stream, ftype, _, payload = conn.read_frame(deadline)
        t_hello = time.monotonic()
        hello_cpu = cpu_ms(proc.pid)
        hello = json.loads(payload)
        if stream != 0 or ftype != T_EVENT or hello.get("event") != "hello":
            raise RuntimeError(f"first frame is not the hello event: {payload[:200]!r}")
        result.update(ok=True, connect_ms=(t_connect - t0) * 1000, hello_ms=(t_hello - t0) * 1000,
                      hello_cpu_ms=hello_cpu, hello=hello)
        result["execs"] = []
        for n, command in enumerate(args.exec or []):
            stream_id = 1 + 2 * n  # the protocol wants new ids odd and increasing
            req = {"method": "exec", "params": {"command": command}}
            t_req = time.monotonic()
            conn.send(stream_id, T_REQUEST, json.dumps(req).encode())
            out = {1: b"", 2: b""}
            deadline = time.monotonic() + args.exec_timeout
            while True:
                stream, ftype, flags, payload = conn.read_frame(deadline)
                if stream != stream_id:
                    continue
                if ftype == T_DATA:
                    out[payload[0]] = out.get(payload[0], b"") + payload[1:]
                elif ftype == T_RESPONSE:
                    break
            result["execs"].append({
                "command": command, "ms": (time.monotonic() - t_req) * 1000,
                "response": json.loads(payload),
                "stdout": out[1].decode(errors="replace"),
                "stderr": out[2].decode(errors="replace")})
        if args.shutdown:
            t_req = time.monotonic()
            conn.send(1 + 2 * len(args.exec or []), T_REQUEST,
                      json.dumps({"method": "shutdown", "params": {}}).encode())
            try:
                proc.wait(timeout=10)
                result["shutdown_ms"] = (time.monotonic() - t_req) * 1000
            except subprocess.TimeoutExpired:
                raise RuntimeError("qemu did not exit within 10 s of `shutdown`")
    except Exception as e:  # report and still stop QEMU
        result["error"] = f"{type(e).__name__}: {e}"
    finally:
        if tracer:
            tracer.done.set()
            tracer.join()
            result["trace"] = tracer.lines
        stop(proc, run)
        listener.close()
        with open(f"{run}/console.log", errors="replace") as f:
            result["console"] = f.read()
        if args.keep:
            result["run_dir"] = run
        else:
            shutil.rmtree(run, ignore_errors=True)
    return result


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("env", help="environment directory (vmlinux, initrd.img)")
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--net", action="store_true", help="add user networking and pyro.net=1")
    ap.add_argument("--exec", action="append",
                    help="run this command through the agent after hello (repeatable)")
    ap.add_argument("--exec-timeout", type=float, default=60.0)
    ap.add_argument("--rootfs", help="ext4 root filesystem to attach read-only "
                    "(default: ENV_DIR/rootfs.ext4 if present; `none` for no disk)")
    ap.add_argument("--shutdown", action="store_true",
                    help="end with the agent's `shutdown` and time until QEMU exits")
    ap.add_argument("--accel", default="tcg")
    ap.add_argument("--append", default="", help="extra kernel arguments, e.g. pyro.debug=1")
    ap.add_argument("--timeout", type=float, default=30.0)
    ap.add_argument("--trace", action="store_true",
                    help="print console lines with the host time they appeared")
    ap.add_argument("--keep", action="store_true", help="keep the run directory")
    args = ap.parse_args()
    if args.rootfs == "none":
        args.rootfs = None
    elif args.rootfs is None and os.path.exists(os.path.join(args.env, "rootfs.ext4")):
        args.rootfs = os.path.join(args.env, "rootfs.ext4")
    if args.rootfs:
        args.rootfs = os.path.abspath(args.rootfs)

    times, cpu_times = [], []
    failed = 0
    for i in range(args.runs):
        r = boot_once(args, i)
        if not r["ok"] or "error" in r:
            failed += 1
            print(f"run {i + 1}: FAILED: {r.get('error')}\n--- console ---\n{r['console']}",
                  file=sys.stderr)
            continue
        times.append(r["hello_ms"])
        cpu_times.append(r["hello_cpu_ms"])
        line = (f"run {i + 1}: connect {r['connect_ms']:.0f} ms, hello {r['hello_ms']:.0f} ms"
                f" (QEMU CPU {r['hello_cpu_ms']:.0f} ms)")
        for e in r.get("execs", []):
            line += f", exec {e['ms']:.0f} ms"
        if "shutdown_ms" in r:
            line += f", shutdown -> QEMU exit {r['shutdown_ms']:.0f} ms"
        print(line)
        if i == 0:
            print("hello: " + json.dumps(r["hello"]))
        for e in r.get("execs", []):
            print(f"$ {e['command']}\nexec response: " + json.dumps(e["response"]))
            print("stdout:\n" + e["stdout"] + ("stderr:\n" + e["stderr"] if e["stderr"] else ""))
        if "trace" in r:
            print("\n".join(f"  +{ms:6.0f} ms  {line}" for ms, line in r["trace"]))
        elif r["console"].strip():
            print("console:\n" + r["console"].rstrip())
    if times:
        print(f"hello after QEMU start: min {min(times):.0f} / median {statistics.median(times):.0f}"
              f" / max {max(times):.0f} ms over {len(times)} boots, {failed} failed")
        print(f"QEMU CPU time until hello: min {min(cpu_times):.0f} / median "
              f"{statistics.median(cpu_times):.0f} / max {max(cpu_times):.0f} ms")
        print(f"host load average: {open('/proc/loadavg').read().split()[0]}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
