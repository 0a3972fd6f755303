"""pyro.aio on real VMs: several VMs run at once from one event loop, output comes
as an async iterator while the command runs, and cancelling the task cancels the
guest command. The commands block until cancelled: seeing all of them print
`started` at the same time is the proof that they overlap (run one after another,
the first would block the rest forever)."""

import asyncio

import pytest

import pyro
import pyro.aio
from workspace_support import workspace

pytestmark = pytest.mark.vm

WAIT = 240  # seconds: only bounds a hang


def run(coro):
    return asyncio.run(coro)


def test_several_vms_run_at_once_from_one_loop(busybox):
    async def body() -> None:
        async with pyro.aio.AsyncPyro() as p:
            started = [asyncio.Event() for _ in range(3)]

            def on_output(i):
                def seen(stream: str, data: bytes) -> None:
                    if b"started" in data:
                        started[i].set()
                return seen

            tasks = [asyncio.create_task(p.run_in_vm(busybox, f"echo started-{i}; sleep 600; echo never",
                                                     timeout_seconds=1200, on_output=on_output(i)))
                     for i in range(3)]
            try:
                await asyncio.wait_for(asyncio.gather(*(e.wait() for e in started)), WAIT)
            finally:
                for t in tasks:
                    t.cancel()
                outcomes = await asyncio.gather(*tasks, return_exceptions=True)
            assert all(isinstance(o, asyncio.CancelledError) for o in outcomes), outcomes
            assert await p.list_vms() == []
            # Plain methods are coroutines too.
            results = await asyncio.gather(*(p.run_in_vm(busybox, f"echo {i}") for i in range(2)))
            assert [r.stdout for r in results] == ["0\n", "1\n"]

    run(body())


def test_async_iteration_over_output_then_the_result(busybox):
    async def body() -> None:
        async with pyro.aio.AsyncPyro() as p:
            async with p.stream("run_in_vm", busybox, "echo out; echo err >&2; exit 3") as s:
                chunks = [c async for c in s]
                r = await s.result()
            assert r.exit_code == 3 and not r.cancelled
            assert b"".join(d for st, d in chunks if st == "stdout") == b"out\n"
            assert b"".join(d for st, d in chunks if st == "stderr") == b"err\n"

            # Leaving early cancels: the command would block for ten minutes.
            async with p.stream("run_in_vm", busybox, "echo first; sleep 600", timeout_seconds=1200) as s:
                async for stream, data in s:
                    assert data == b"first\n"
                    break
            r = await s.result()
            assert r.cancelled and r.exit_code == 137

    run(body())


def test_task_cancel_stops_a_workspace_command_and_keeps_the_workspace(client, busybox):
    async def body(ws_id: str) -> None:
        async with pyro.aio.AsyncPyro() as p:
            first = asyncio.Event()
            task = asyncio.create_task(p.exec_workspace(
                ws_id, "sleep 900 & echo $! > /workspace/bg.pid; echo first; sleep 600", timeout_seconds=1200,
                on_output=lambda stream, data: first.set()))
            await asyncio.wait_for(first.wait(), WAIT)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            check = await p.exec_workspace(ws_id, (
                "pid=$(cat /workspace/bg.pid); i=0; "
                "gone() { s=$(cut -d' ' -f3 /proc/$pid/stat 2>/dev/null); [ -z \"$s\" ] || [ \"$s\" = Z ]; }; "
                "until gone || [ $i -ge 300 ]; do sleep 0.1; i=$((i+1)); done; "
                "if gone; then echo gone; else echo alive; fi"))
            assert check.stdout == "gone\n"

    with workspace(client, busybox) as ws:
        run(body(ws.workspace_id))


def test_adispatch_task_cancel_cancels_the_command(client, busybox):
    """What the async framework adapters (PydanticAI, LangChain's ainvoke) call: the
    command would block for ten minutes; the cancelled task ends once it is stopped."""
    from pyro.tools import adispatch
    from waiting import wait_until

    async def body() -> None:
        task = asyncio.create_task(adispatch(client, "vm_run", {
            "environment": busybox, "command": "sleep 600", "timeout_seconds": 1200}))
        # Its VM exists (booting or running the command): cancel now.
        await asyncio.get_running_loop().run_in_executor(
            None, lambda: wait_until(lambda: client.list_vms() or task.done(), WAIT, "the call's VM"))
        assert not task.done(), task
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert client.list_vms() == []

    run(body())
