"""Optional test clients (mcp, jsonschema, langchain_core, openai, pydantic_ai).

A missing one skips its tests on a developer machine; under PYRO_REQUIRE_VMS=1 (the
test command, where scripts/install-deps.sh installed every client) it fails them,
so a broken install cannot turn into silently skipped tests.
"""

import importlib
import os
from types import ModuleType

import pytest


def require_module(name: str) -> ModuleType:
    """Imports `name`; when it is missing, skips (or fails under PYRO_REQUIRE_VMS=1)
    the calling test, or the whole module when called at module level."""
    try:
        return importlib.import_module(name)
    except ImportError as e:
        reason = f"optional test client `{name}` is not importable: {e}"
        if os.environ.get("PYRO_REQUIRE_VMS") == "1":
            pytest.fail(f"{reason} (PYRO_REQUIRE_VMS=1 requires it; scripts/install-deps.sh installs it)",
                        pytrace=False)
        pytest.skip(reason, allow_module_level=True)
