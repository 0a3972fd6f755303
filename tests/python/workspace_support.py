"""Workspaces that clean up after the test, and a loopback GET: shared by the Python tests."""

import contextlib
import urllib.request
import uuid
from typing import Iterator

import pyro


def unique_name(prefix: str = "pytest") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@contextlib.contextmanager
def workspace(client, environment: str, **kwargs) -> Iterator[pyro.WorkspaceInfo]:
    """A workspace deleted on exit, whatever the test did to it."""
    kwargs.setdefault("name", unique_name())
    info = client.create_workspace(environment, **kwargs)
    try:
        yield info
    finally:
        with contextlib.suppress(pyro.NotFoundError):
            client.delete_workspace(info.workspace_id)


def http_get(port: int, path: str = "/") -> bytes:
    """GET http://127.0.0.1:port/path (a published port); the status must be 200."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
        assert response.status == 200
        return response.read()
