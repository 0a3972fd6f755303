"""A persistent workspace: seed it from a host directory, work in it, take the result back.

    PYTHONPATH=<build>/python python3 examples/python_workspace.py [environment]

A workspace keeps its /workspace disk between calls (and between processes) until
it is deleted. Files are read, written and patched with model-native operations,
without shell quoting; diff compares against the seed taken at create time.
"""

import sys
import tempfile
from pathlib import Path

import pyro

PATCH = """\
--- a/greeting.txt
+++ b/greeting.txt
@@ -1 +1 @@
-hello
+hello from a patched workspace
"""


def main() -> int:
    environment = sys.argv[1] if len(sys.argv) > 1 else "busybox"
    with tempfile.TemporaryDirectory() as tmp, pyro.Pyro() as client:
        seed = Path(tmp) / "seed"
        seed.mkdir()
        (seed / "greeting.txt").write_text("hello\n")
        ws = client.create_workspace(environment, seed_path=seed)
        print(f"created {ws.workspace_id} ({ws.state})")
        try:
            r = client.exec_workspace(ws.workspace_id, "cat greeting.txt && ls")
            print(f"exec: exit code {r.exit_code}\n{r.stdout}", end="")

            client.write_workspace_file(ws.workspace_id, "notes/todo.txt", "write tests\n")
            print(f"read back: {client.read_workspace_file(ws.workspace_id, 'notes/todo.txt').content!r}")

            patch = client.apply_workspace_patch(ws.workspace_id, PATCH)
            print(f"patch applied: {patch.applied} ({patch.summary})")

            diff = client.diff_workspace(ws.workspace_id)
            print(f"diff: {diff.added} added, {diff.modified} modified, {diff.deleted} deleted")
            print(diff.unified, end="")

            out = Path(tmp) / "export"
            exported = client.export_workspace(ws.workspace_id, "greeting.txt", out)
            text = Path(exported.output_path).read_text()
            print(f"exported {exported.files} file(s) to {exported.output_path}: {text!r}")
            ok = r.exit_code == 0 and patch.applied and "patched" in text
        finally:
            client.delete_workspace(ws.workspace_id)
            print(f"deleted {ws.workspace_id}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
