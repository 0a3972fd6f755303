"""MCP: a tools/call that runs a guest command sends its output as
notifications/progress while it runs (when the client sent a progressToken), and
notifications/cancelled stops the command, driven by the official Python MCP client
on real VMs. Cancelling the asyncio task of `call_tool` makes the SDK send the
notification. The commands never end by themselves: a chunk seen before the cancel
proves the output is live, and the cancel is the only way they end."""

import asyncio
from typing import List, Optional

import pytest

from optional_modules import require_module

require_module("mcp")

from test_mcp import ENVIRONMENT, run, tools  # noqa: E402

pytestmark = pytest.mark.vm

WAIT = 180  # seconds: only bounds a hang


class Seen:
    def __init__(self, needle: str) -> None:
        self.needle = needle
        self.messages: List[str] = []
        self.values: List[float] = []
        self.found = asyncio.Event()

    async def __call__(self, progress: float, total: Optional[float], message: Optional[str]) -> None:
        self.values.append(progress)
        self.messages.append(message or "")
        if self.needle in "".join(self.messages):
            self.found.set()


async def cancel_after_output(t, tool: str, arguments, needle: str) -> Seen:
    seen = Seen(needle)
    task = asyncio.create_task(t.session.call_tool(tool, arguments, progress_callback=seen))
    try:
        await asyncio.wait_for(seen.found.wait(), WAIT)
    finally:
        assert not task.done(), "the call ended before the cancel"
        task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert seen.values == sorted(set(seen.values)), f"progress must increase: {seen.values}"
    return seen


def test_vm_run_output_arrives_as_progress_and_a_cancel_stops_it(vm_cli: str) -> None:
    async def body() -> None:
        async with tools(vm_cli) as t:
            await cancel_after_output(t, "vm_run", {"environment": ENVIRONMENT, "timeout_seconds": 1200,
                                                   "command": "echo first-line; sleep 600; echo never"},
                                      "first-line\n")
            # The server goes on serving.
            r = await t.ok("vm_run", {"environment": ENVIRONMENT, "command": "echo after"})
            assert r["stdout"] == "after\n" and r["cancelled"] is False

    run(body())


def test_workspace_exec_cancel_kills_the_command_and_keeps_the_workspace(vm_cli: str) -> None:
    secret = "mcp-live-secret-4d2a9c"

    async def body() -> None:
        async with tools(vm_cli, "workspace-core") as t:
            ws = (await t.ok("workspace_create", {"environment": ENVIRONMENT,
                                                  "secrets": [{"name": "tok", "value": secret}]}))["workspace_id"]
            try:
                seen = await cancel_after_output(
                    t, "workspace_exec",
                    {"workspace": ws, "timeout_seconds": 1200, "secret_env": {"TOK": "tok"},
                     "command": "sleep 900 & echo $! > /workspace/bg.pid; echo \"t=$TOK\"; echo blocked; sleep 600"},
                    "blocked\n")
                assert "t=[REDACTED]\n" in "".join(seen.messages)
                assert all(secret[:8] not in m for m in seen.messages)
                check = await t.ok("workspace_exec", {"workspace": ws, "command": (
                    "pid=$(cat /workspace/bg.pid); i=0; "
                    "gone() { s=$(cut -d' ' -f3 /proc/$pid/stat 2>/dev/null); [ -z \"$s\" ] || [ \"$s\" = Z ]; }; "
                    "until gone || [ $i -ge 300 ]; do sleep 0.1; i=$((i+1)); done; "
                    "if gone; then echo gone; else echo alive; fi")})
                assert check["stdout"] == "gone\n"
            finally:
                await t.ok("workspace_delete", {"workspace": ws})

    run(body())
