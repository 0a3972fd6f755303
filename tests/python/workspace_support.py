"""Workspaces that clean up after the test: shared by the Python API tests."""

import contextlib
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
