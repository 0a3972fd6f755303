"""RunResult and the workspace operation table (no cluster needed)."""

import os

import pytest

pytest.importorskip("ray") if os.environ.get("PYRO_REQUIRE_RAY") != "1" else None
from pyro.ray import RunResult  # noqa: E402
from pyro.ray.workspaces import workspace_operations  # noqa: E402


def test_run_result_ignores_keys_a_newer_pyro_adds() -> None:
    fields = {"exit_code": 0, "signal": 0, "timed_out": False, "stdout": "x\n", "stderr": "",
              "stdout_truncated": False, "stderr_truncated": False, "duration_ms": 5, "vm_id": "vm-1",
              "node_id": "n", "node": "node-a", "run_ms": 9.5, "index": 3, "command": "echo x",
              "some_future_key": 1}
    r = RunResult.from_dict(fields)
    assert (r.index, r.node, r.stdout) == (3, "node-a", "x\n")
    assert "some_future_key" not in r.to_dict()


def test_every_workspace_operation_of_the_table_is_offered() -> None:
    ops = workspace_operations()
    assert ops["exec_workspace"] == ("command",)
    assert ops["write_workspace_file"] == ("path", "text")
    assert "create_workspace" not in ops and "run_in_vm" not in ops
    assert {"delete_workspace", "start_service", "open_shell", "export_workspace_disk"} <= set(ops)


def test_workspace_handles_list_the_operations() -> None:
    from pyro.ray import Workspace

    ws = Workspace("ws-1", actor=None, node_id="n", node_name="node-a")
    assert {"exec_workspace", "delete", "call"} <= set(dir(ws))
    assert callable(ws.exec_workspace)
    with pytest.raises(AttributeError):
        ws.no_such_operation
