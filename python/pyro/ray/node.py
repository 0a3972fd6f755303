"""What runs on a Ray node: this worker process's pyro client and the node's identity.

A node prepares itself: its client has `auto_pull=True`, so the first VM of an
environment pulls (or builds) it into this node's own `$PYRO_HOME`, under pyro's own
locks; snapshot templates are made there on first boot too. Nothing is shared
between nodes but what Ray carries.
"""

from __future__ import annotations

import os
import socket
import threading
from typing import Any, Dict, Optional

import pyro
from pyro.ray._ray import ray

_lock = threading.Lock()
_client: Optional[pyro.Pyro] = None


def client() -> pyro.Pyro:
    """This worker process's client (made on first use, then shared by its threads)."""
    global _client
    with _lock:
        if _client is None or _client.closed:
            _client = pyro.Pyro(auto_pull=True)
        return _client


def node_name() -> str:
    """The name errors and results give this node: `$PYRO_RAY_NODE_NAME`, else the host
    name. Ray's node id changes when a node restarts; this does not."""
    return os.environ.get("PYRO_RAY_NODE_NAME") or socket.gethostname()


def identity() -> Dict[str, Any]:
    """Where this call runs: Ray's node id, the node's name and its pyro home."""
    return {"node_id": ray.get_runtime_context().get_node_id(), "node": node_name(),
            "home": client().home}
