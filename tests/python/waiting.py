"""The one way Python tests wait: poll a condition until a deadline.

Tests never sleep to let something happen; they wait for the thing itself and fail
with a message naming what they waited for. The deadline is generous (a loaded
2-core machine running TCG guests is slow): it only bounds a hang, it is no oracle.
"""

import time
from typing import Callable, Optional, TypeVar

T = TypeVar("T")


def wait_until(predicate: Callable[[], T], timeout: float, what: str,
               interval: float = 0.05, detail: Optional[Callable[[], object]] = None) -> T:
    """Calls `predicate` until it returns something truthy and returns that; fails
    the test after `timeout` seconds with "timed out after Ns waiting for <what>"
    (plus `detail()`, e.g. the output seen so far, when given)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            message = f"timed out after {timeout:g}s waiting for {what}"
            if detail is not None:
                message += f"; last seen: {detail()!r}"
            raise AssertionError(message)
        time.sleep(interval)  # hygiene: the polling interval of the shared wait helper
