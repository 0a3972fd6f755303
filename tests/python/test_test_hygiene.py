"""scripts/check_test_hygiene.py: it finds sleeps and elapsed-time upper bounds, lets
the justified and the harmless pass, and finds none in tests/ today."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHECK = ROOT / "scripts" / "check_test_hygiene.py"


def run(*dirs: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(CHECK), *map(str, dirs)], capture_output=True, text=True,
                          timeout=120, check=False)


def test_the_tests_are_clean():
    r = run()
    assert r.returncode == 0, r.stderr


def test_findings_and_passes(tmp_path: Path):
    (tmp_path / "test_bad.py").write_text(
        "import time\n"
        "time.sleep(1)\n"  # hygiene: what the checker must find
        "assert time.monotonic() - start < 2, 'slow'\n"  # hygiene: what the checker must find
        "assert elapsed <= 5\n"  # hygiene: what the checker must find
        "time.sleep(600)  # hygiene: the workload of a child\n"       # passes
        "assert duration_ms >= 0\n"                                   # passes: a sane lower bound
    )
    (tmp_path / "test_bad.cpp").write_text(
        "std::this_thread::sleep_for(std::chrono::milliseconds(200));\n"  # hygiene: what the checker must find
        "::usleep(10'000);\n"  # hygiene: what the checker must find
        "CHECK(ms_since(start) < 500);\n"  # hygiene: what the checker must find
        "CHECK(std::chrono::steady_clock::now() - start < 2s);\n"  # hygiene: what the checker must find
        "CHECK(std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count() >= 90);\n"
        "CHECK(vm.boot_ms * 2 < cold_boot_ms());\n"  # hygiene: what the checker must find
        "CHECK(max <= kBound);\n"                                         # passes: not time
        "std::this_thread::sleep_for(20ms);  // hygiene: a sampler's period\n"
    )
    r = run(tmp_path)
    assert r.returncode == 1
    found = sorted(line.split(": ")[0].rsplit("/", 1)[-1] for line in r.stderr.splitlines() if ": a" in line)
    assert found == ["test_bad.cpp:1", "test_bad.cpp:2", "test_bad.cpp:3", "test_bad.cpp:4", "test_bad.cpp:6",
                     "test_bad.py:2", "test_bad.py:3", "test_bad.py:4"], r.stderr
