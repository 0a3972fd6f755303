"""An interactive shell inside a workspace: open, write, read, close.

    PYTHONPATH=<build>/python python3 examples/python_shell.py [environment]

Shells keep state (cwd, variables) between writes, unlike exec_workspace. They
arrive in a later pyro release; until this pyro has `open_shell`, the example says
so and exits successfully.
"""

import sys
import time

import pyro


def read_until(client, workspace_id, shell_id, marker, timeout=30.0):
    """Reads shell output until `marker` appears (shells stream, so poll)."""
    seen = ""
    deadline = time.monotonic() + timeout
    while marker not in seen and time.monotonic() < deadline:
        chunk = client.read_shell(workspace_id, shell_id)
        seen += chunk.output if hasattr(chunk, "output") else str(chunk)
        time.sleep(0.1)
    return seen


def main() -> int:
    if not hasattr(pyro.Pyro, "open_shell"):
        print("shells are not available yet in this pyro (no Pyro.open_shell); "
              "use exec_workspace for one-shot commands")
        return 0
    environment = sys.argv[1] if len(sys.argv) > 1 else "busybox"
    with pyro.Pyro() as client:
        ws = client.create_workspace(environment)
        try:
            shell = client.open_shell(ws.workspace_id)
            shell_id = shell.shell_id
            client.write_shell(ws.workspace_id, shell_id, "cd /tmp && export GREETING=hi\n")
            client.write_shell(ws.workspace_id, shell_id, 'echo "$GREETING from $(pwd)"; echo END\n')
            output = read_until(client, ws.workspace_id, shell_id, "END")
            print(output)
            client.close_shell(ws.workspace_id, shell_id)
        finally:
            client.delete_workspace(ws.workspace_id)
    return 0 if "hi from /tmp" in output else 1


if __name__ == "__main__":
    sys.exit(main())
