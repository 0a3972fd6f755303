"""The optional Ray extra, without Ray: the import says how to get it, and the Ray tier
(scripts/test_ray.sh) installs what pyproject.toml's `ray` extra names."""

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent.parent


def test_ray_tier_installs_the_extra_of_pyproject() -> None:
    extra = re.search(r'^ray = \["([^"]+)"\]$', (REPO / "pyproject.toml").read_text(), re.M)
    tier = re.search(r'^RAY_REQUIREMENT="([^"]+)"$', (REPO / "scripts/test_ray.sh").read_text(), re.M)
    assert extra and tier and extra.group(1) == tier.group(1)


def test_import_without_ray_names_the_extra() -> None:
    if importlib.util.find_spec("ray") is not None:
        pytest.skip("Ray is installed here; tests/ray covers pyro.ray")
    run = subprocess.run([sys.executable, "-c", "import pyro.ray"], capture_output=True, text=True)
    assert run.returncode == 1
    assert "pip install 'pyro-sandbox[ray]'" in run.stderr
