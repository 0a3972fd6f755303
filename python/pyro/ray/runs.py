"""One-shot runs as Ray tasks: `run_in_vm`, `submit_run` and `map_run`.

A one-shot run has no state, so a run lost with its node (worker or node death) is
retried elsewhere (`max_retries`). A run that fails inside the VM (exit code, signal,
timeout) is a `RunResult`, and a pyro error (say, an unknown environment) is raised to
the caller: neither is retried (`retry_exceptions=False`).
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Union

import pyro
from pyro.ray import node
from pyro.ray._ray import ray
from pyro.ray.resources import RESOURCE

#: Retries of a run whose worker or node died (Ray's `max_retries`).
MAX_RETRIES = 3


@dataclass(frozen=True)
class RunResult:
    """A `pyro.ExecResult` that crossed the cluster, plus where it ran. `run_ms` is the
    wall time of `run_in_vm` on the node (VM start to VM gone), so a caller's latency
    minus `run_ms` is what Ray added. `index` is the command's position in `map_run`'s
    input (0 for `run_in_vm`)."""

    exit_code: int
    signal: int
    timed_out: bool
    stdout: str
    stderr: str
    stdout_truncated: bool
    stderr_truncated: bool
    duration_ms: int
    vm_id: str
    node_id: str
    node: str
    run_ms: float = 0.0
    index: int = 0
    command: str = field(default="", repr=False)

    def to_dict(self) -> Dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}

    @classmethod
    def from_dict(cls, fields: Dict[str, Any]) -> "RunResult":
        """From `submit_run`'s dict; keys it does not know (ones a newer pyro adds to
        `ExecResult.to_dict()`) are ignored."""
        return cls(**{k: v for k, v in fields.items() if k in cls.__dataclass_fields__})


@dataclass(frozen=True)
class RunFailure:
    """A run that raised a pyro error (`map_run(..., errors="return")`)."""

    index: int
    command: str
    error: pyro.Error


def _run(environment: str, command: str, index: int, options: Dict[str, Any]) -> Dict[str, Any]:
    client = node.client()
    start = time.perf_counter()
    result = client.run_in_vm(environment, command, **options).to_dict()
    run_ms = (time.perf_counter() - start) * 1000
    where = node.identity()
    result.update(node_id=where["node_id"], node=where["node"], run_ms=run_ms, index=index,
                  command=command)
    return result


def _task_options(max_retries: int) -> Dict[str, Any]:
    return {"num_cpus": 0, "resources": {RESOURCE: 1}, "max_retries": max_retries,
            "retry_exceptions": False}


_run_task = ray.remote(_run)


def submit_run(environment: str, command: str, *, index: int = 0, max_retries: int = MAX_RETRIES,
               **options: Any) -> "ray.ObjectRef":
    """Starts one run on some node holding a free `pyro_vm`; `ray.get` the reference for
    a dict of `RunResult`'s fields (`RunResult.from_dict(d)`). `options` are `run_in_vm`'s."""
    return _run_task.options(**_task_options(max_retries)).remote(environment, command, index, options)


def run_in_vm(environment: str, command: str, *, max_retries: int = MAX_RETRIES,
              **options: Any) -> RunResult:
    """`pyro.Pyro.run_in_vm` on the cluster: blocks for the result. Raises the run's
    `pyro.Error` unchanged."""
    ref = submit_run(environment, command, max_retries=max_retries, **options)
    return RunResult.from_dict(_get(ref))


def _get(ref: "ray.ObjectRef") -> Dict[str, Any]:
    try:
        return ray.get(ref)
    except ray.exceptions.RayTaskError as error:
        if isinstance(error.cause, pyro.Error):
            raise error.cause from None  # the run's own pyro error, as the run raised it
        raise


Progress = Union[bool, Callable[[int, int], object]]


def map_run(commands: Iterable[str], environment: str, *, max_in_flight: Optional[int] = None,
            max_retries: int = MAX_RETRIES, errors: str = "raise", progress: Progress = False,
            **options: Any) -> Iterator[Union[RunResult, RunFailure]]:
    """Runs every command in its own VM across the cluster and yields each `RunResult`
    in completion order (`.index` says which command it answers).

    At most `max_in_flight` runs are submitted at once (default: twice the cluster's
    `pyro_vm` total); each node runs at most its own `pyro_vm` count at a time. A pyro
    error raises (the rest are cancelled) or, with `errors="return"`, is yielded as a
    `RunFailure`. `progress=True` draws a bar on stderr; a callable gets (done, total).
    """
    if errors not in ("raise", "return"):
        raise ValueError("map_run: `errors` must be \"raise\" or \"return\"")
    commands = list(commands)
    total = len(commands)
    if max_in_flight is None:
        max_in_flight = max(1, int(2 * ray.cluster_resources().get(RESOURCE, 1)))
    report = _progress_reporter(progress)
    pending: Dict["ray.ObjectRef", int] = {}
    next_index = 0
    done = 0
    try:
        while done < total:
            while next_index < total and len(pending) < max_in_flight:
                ref = submit_run(environment, commands[next_index], index=next_index,
                                 max_retries=max_retries, **options)
                pending[ref] = next_index
                next_index += 1
            ready, _ = ray.wait(list(pending), num_returns=1)
            index = pending.pop(ready[0])
            done += 1
            try:
                outcome: Union[RunResult, RunFailure] = RunResult.from_dict(_get(ready[0]))
            except pyro.Error as error:
                if errors == "raise":
                    raise
                outcome = RunFailure(index=index, command=commands[index], error=error)
            if report is not None:
                report(done, total)
            yield outcome
    finally:
        for ref in pending:
            ray.cancel(ref)
        if progress is True and total:
            sys.stderr.write("\n")


def _progress_reporter(progress: Progress) -> Optional[Callable[[int, int], object]]:
    if progress is False or progress is None:
        return None
    if callable(progress):
        return progress

    def bar(done: int, total: int) -> None:  # asked for by the caller: progress=True
        width = 30
        filled = width * done // total
        sys.stderr.write(f"\rpyro.ray map_run [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
        sys.stderr.flush()

    return bar


def results_by_index(results: Iterable[Union[RunResult, RunFailure]]) -> List[Union[RunResult, RunFailure]]:
    """`map_run`'s outcomes back in input order."""
    return sorted(results, key=lambda r: r.index)
