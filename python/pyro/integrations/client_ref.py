"""The pyro.Pyro an adapter's tools call: the one given, or one made on first use."""

from __future__ import annotations

import threading
from typing import Any, Optional


class ClientRef:
    """Creates `pyro.Pyro()` only when a tool actually runs, so building tools is free
    and needs no QEMU; tools made together share one client."""

    def __init__(self, client: Optional[Any] = None) -> None:
        self._client = client
        self._lock = threading.Lock()

    def get(self) -> Any:
        with self._lock:
            if self._client is None:
                import pyro

                self._client = pyro.Pyro()
            return self._client
