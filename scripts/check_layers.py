#!/usr/bin/env python3
"""check_layers.py: the folders of lib/ form layers; a file may include its own folder
and any folder below it, never one above (docs/architecture.md, "Layers").

Checks every `#include "folder/..."` in lib/. An include of a higher layer, or a lib/
folder missing from LAYERS, fails with file:line. A total order with no upward edge
admits no cycle, so this is also the cycle check. Headers of include/pyro ("pyro/...")
are the public API and may be included anywhere.
"""
import pathlib
import re
import sys

# Bottom first. A folder may include the folders before it in this list.
LAYERS = [
    "protocol",   # framing shared with the guest agent
    "util",       # host utilities: processes, files, sockets, logging, guest tools lookup
    "agent",      # host side of the agent connection
    "backend",    # Backend/Machine interface and its QEMU implementation
    "runtime",    # one VM's life: home layout, validation, VM start/stop, exec, snapshots
    "env",        # environment catalog, boot sets, image building and import
    "workspace",  # persistent workspaces
    "core",       # the pyro::Pyro facade and its implementation
    "ops",        # the operation dispatcher (Pyro::call): may include anything
]
PUBLIC_PREFIXES = {"pyro"}
SOURCE_SUFFIXES = {".cpp", ".hpp", ".h", ".cc", ".in"}
INCLUDE = re.compile(r'^\s*#\s*include\s*[<"]([^">]+)[">]')


def main() -> int:
    lib = pathlib.Path(__file__).resolve().parent.parent / "lib"
    rank = {name: i for i, name in enumerate(LAYERS)}
    errors = []
    folders = sorted(p.name for p in lib.iterdir() if p.is_dir())
    for folder in folders:
        if folder not in rank:
            errors.append(f"lib/{folder}: folder not in LAYERS of scripts/check_layers.py")
    for path in sorted(lib.rglob("*")):
        if path.suffix not in SOURCE_SUFFIXES or not path.is_file():
            continue
        rel = path.relative_to(lib)
        if len(rel.parts) < 2 or rel.parts[0] not in rank:
            continue  # files at lib/ top level (none today) or unlisted folders, reported above
        own = rel.parts[0]
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            match = INCLUDE.match(line)
            if not match or "/" not in match.group(1):
                continue
            target = match.group(1).split("/", 1)[0]
            if target in PUBLIC_PREFIXES or target not in folders:
                continue  # public API or a system/third-party header
            if target not in rank:
                continue  # already reported as an unlisted folder
            if rank[target] > rank[own]:
                errors.append(
                    f"lib/{rel}:{number}: `{own}` includes `{match.group(1)}` of the higher layer `{target}`")
    for error in errors:
        print(error, file=sys.stderr)
    if errors:
        print(f"check_layers: {len(errors)} violation(s); order (bottom first): {' -> '.join(LAYERS)}",
              file=sys.stderr)
        return 1
    print(f"check_layers: ok ({' -> '.join(LAYERS)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
