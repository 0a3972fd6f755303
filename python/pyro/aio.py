"""pyro.aio: the asyncio client (docs/live-output.md, "asyncio").

`AsyncPyro` mirrors `pyro.Pyro`: every method of `pyro.Pyro` is a coroutine here with
the same parameters and results. Each call runs the synchronous method in a worker
thread (the core releases the GIL while it waits), so calls from one event loop
overlap for real: several VMs boot and run at once.

    import asyncio, pyro.aio

    async def main():
        async with pyro.aio.AsyncPyro() as p:
            results = await asyncio.gather(*(p.run_in_vm("busybox", f"echo {i}") for i in range(3)))
            async with p.stream("run_in_vm", "busybox", "make test", timeout_seconds=600) as run:
                async for stream, data in run:      # ("stdout" | "stderr", bytes), live
                    print(data.decode(errors="replace"), end="")
                result = await run.result()

Cancelling the task awaiting `run_in_vm`, `exec_vm` or `exec_workspace` (or leaving a
`stream` early) cancels the guest command: its process group is killed, the VM or
workspace stays usable, and the task then raises `asyncio.CancelledError`. Other
operations cannot be interrupted: their task's cancellation waits for them to end.
"""

import asyncio
import functools
import inspect
from typing import Any, AsyncIterator, Callable, Optional, Tuple

from . import _core

__all__ = ["AsyncPyro", "ExecStream"]

# The methods that run a guest command: they take on_output= and cancel=.
EXEC_METHODS = ("run_in_vm", "exec_vm", "exec_workspace")

_END = object()


async def _in_thread(fn: Callable[[], Any], cancel: Optional[_core.CancelToken] = None) -> Any:
    """Runs fn in the loop's default executor. When the awaiting task is cancelled,
    `cancel` (if any) is cancelled and fn is still awaited, so nothing runs on
    unseen; then the cancellation propagates."""
    future = asyncio.get_running_loop().run_in_executor(None, fn)
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        if cancel is not None:
            cancel.cancel()
        try:
            await future
        except Exception:  # noqa: BLE001 - the cancellation is what the caller asked about
            pass
        raise


class AsyncPyro:
    """An asyncio client whose methods mirror pyro.Pyro (same parameters, results
    and errors), plus `stream()` for async iteration over a command's output."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._sync = _core.Pyro(*args, **kwargs)

    @property
    def sync(self) -> "_core.Pyro":
        """The synchronous client underneath (its methods block)."""
        return self._sync

    @property
    def home(self) -> str:
        return self._sync.home

    async def __aenter__(self) -> "AsyncPyro":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    async def close(self) -> None:
        """Stops and deletes every VM this client still owns."""
        await _in_thread(self._sync.close)

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._sync, name)
        if not callable(method) or name.startswith("_"):
            return method
        if name in EXEC_METHODS:
            return functools.partial(self._exec, name)

        @functools.wraps(method)
        async def call(*args: Any, **kwargs: Any) -> Any:
            return await _in_thread(functools.partial(method, *args, **kwargs))

        return call

    async def _exec(self, name: str, *args: Any, on_output: Optional[Callable[[str, bytes], Any]] = None,
                    cancel: Optional[_core.CancelToken] = None, **kwargs: Any) -> Any:
        """A command method: `on_output(stream, data)` runs on the event loop (a
        coroutine function's result is awaited in order); cancelling the task cancels
        the command."""
        loop = asyncio.get_running_loop()
        token = cancel if cancel is not None else _core.CancelToken()
        pending = []

        def relay(stream: str, data: bytes) -> None:
            def deliver() -> None:
                result = on_output(stream, data)
                if inspect.isawaitable(result):
                    pending.append(asyncio.ensure_future(result))

            loop.call_soon_threadsafe(deliver)

        method = getattr(self._sync, name)
        call = functools.partial(method, *args, on_output=relay if on_output is not None else None, cancel=token,
                                 **kwargs)
        # The worker thread scheduled every chunk before the call's own completion
        # (call_soon_threadsafe is FIFO), so all were delivered when this resumes.
        result = await _in_thread(call, token)
        if pending:
            await asyncio.gather(*pending)
        return result

    def stream(self, name: str, *args: Any, **kwargs: Any) -> "ExecStream":
        """Runs the command method `name` ("run_in_vm", "exec_vm" or "exec_workspace")
        with the given arguments and returns an ExecStream: `async for stream, data in
        it` yields its output live, `await it.result()` gives the ExecResult."""
        if name not in EXEC_METHODS:
            raise ValueError(f"stream: `{name}` is not one of {', '.join(EXEC_METHODS)}")
        return ExecStream(self, name, args, kwargs)


class ExecStream:
    """A running command's output as an async iterator of (stream, data) tuples, then
    its result. Use it as an async context manager: leaving it before the command
    ended cancels the command."""

    def __init__(self, client: AsyncPyro, name: str, args: Tuple[Any, ...], kwargs: Any) -> None:
        self._queue: "asyncio.Queue[Any]" = asyncio.Queue()
        self._token = kwargs.pop("cancel", None) or _core.CancelToken()
        self._task = asyncio.ensure_future(
            client._exec(name, *args, on_output=self._put, cancel=self._token, **kwargs))
        self._task.add_done_callback(lambda _: self._queue.put_nowait(_END))

    def _put(self, stream: str, data: bytes) -> None:
        self._queue.put_nowait((stream, data))

    def __aiter__(self) -> AsyncIterator[Tuple[str, bytes]]:
        return self

    async def __anext__(self) -> Tuple[str, bytes]:
        item = await self._queue.get()
        if item is _END:
            self._queue.put_nowait(_END)  # later iterations end too
            raise StopAsyncIteration
        return item

    async def result(self) -> Any:
        """The ExecResult, once the command ended (raises what the call raised)."""
        return await asyncio.shield(self._task)

    async def cancel(self) -> Any:
        """Cancels the command and returns its (cancelled) result."""
        self._token.cancel()
        return await self.result()

    async def __aenter__(self) -> "ExecStream":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        if not self._task.done():
            self._token.cancel()
        try:
            await self._task
        except Exception:  # noqa: BLE001 - an exception of the body wins; result() reports the call's own
            if exc[0] is None:
                raise
