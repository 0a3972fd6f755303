#!/usr/bin/env python3
"""check_test_hygiene.py: tests wait on events, never on the clock.

Scans the test sources under tests/ (or the directories given) for
  - sleeps used as synchronisation: `time.sleep(`, `sleep_for(`, `usleep(`,
    `nanosleep(`, `::sleep(` outside the shared wait helpers (tests/python/waiting.py,
    tests/wait_until.hpp): wait with `wait_until` / `poll_until` instead;
  - elapsed-time upper bounds in assertions (`assert time.monotonic() - start < 2`,
    `CHECK(ms_since(start) < 500)`, `CHECK(elapsed < ...)`): a loaded machine makes
    them flaky; assert on what the system reports instead.
A line may opt out with a `hygiene: <reason>` comment (`# hygiene: ...` or
`// hygiene: ...`) for the rare justified case (a sampler's period, a guest workload).
Exits 1 listing every finding as `path:line: what`; 0 when the tests are clean.
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = {".py", ".cpp", ".hpp", ".c", ".h", ".cc", ".mjs", ".js"}
# The only places allowed to sleep: the polling loops of the shared wait helpers.
WAIT_HELPERS = {Path("tests/python/waiting.py"), Path("tests/wait_until.hpp")}
SKIP_DIRS = {"node_modules", "__pycache__"}

SLEEP = re.compile(r"\btime\.sleep\(|\bsleep_for\(|\busleep\(|\bnanosleep\(|::sleep\(|\bsetTimeout\(")
OPT_OUT = re.compile(r"(#|//|/\*)\s*hygiene:\s*\S")
# What measures elapsed time, then a spaced `<` or `<=` (a template's `<` has no
# space before it): an upper bound.
ELAPSED = (r"(ms_since\([^)]*\)|(monotonic|perf_counter|time|now)\(\)\s*-\s*[\w.]+|"
           r"\b(elapsed|waited|ms|duration|took)\w*|\b\w+_ms\b(\s*[*/+-]\s*[\w.]+)?|\.count\(\))\s+<=?\s")
UPPER_BOUND = [
    re.compile(r"^\s*assert\b.*" + ELAPSED),                                   # Python
    re.compile(r"\b(CHECK|REQUIRE|WARN)(_MESSAGE|_UNARY)?\s*\(.*" + ELAPSED),  # doctest
    re.compile(r"\b(CHECK|REQUIRE|WARN)_(LT|LE)\s*\(\s*" + ELAPSED.split(r"\s+<=?")[0]),
]


def findings(path: Path, rel: Path) -> list:
    found = []
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError as e:
        return [f"{rel}: unreadable: {e}"]
    for number, line in enumerate(lines, 1):
        if OPT_OUT.search(line):
            continue
        if SLEEP.search(line) and rel not in WAIT_HELPERS:
            found.append(f"{rel}:{number}: a sleep as synchronisation; wait for the event with "
                         f"wait_until/poll_until (or justify it with a `hygiene: <reason>` comment)")
        if any(p.search(line) for p in UPPER_BOUND):
            found.append(f"{rel}:{number}: an upper bound on elapsed time; assert on what the "
                         f"system reports instead (a lower bound that checks sanity is fine)")
    return found


def scan(dirs: list) -> list:
    found = []
    for top in dirs:
        for path in sorted(top.rglob("*")):
            if path.suffix not in SOURCES or not path.is_file():
                continue
            if SKIP_DIRS & set(path.parts):
                continue
            try:
                rel = path.resolve().relative_to(ROOT)
            except ValueError:
                rel = path
            found += findings(path, rel)
    return found


def main(argv: list) -> int:
    dirs = [Path(a) for a in argv] or [ROOT / "tests"]
    found = scan(dirs)
    for line in found:
        print(line, file=sys.stderr)
    if found:
        print(f"check_test_hygiene: {len(found)} finding(s); see docs/contributing.md (Tests)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
