"""The `pyro_vm` figure a node advertises (no cluster needed)."""

import json
import os
import subprocess
import sys

import pytest

pytest.importorskip("ray") if os.environ.get("PYRO_REQUIRE_RAY") != "1" else None
from pyro.ray.resources import node_resources, vm_slots  # noqa: E402


def test_slots_are_the_smaller_of_the_cpu_and_memory_bounds() -> None:
    assert vm_slots(8, 64 * 1024) == 8                        # CPU-bound: 1 VM per core
    assert vm_slots(64, 8 * 1024) == (8 * 1024 - 2048) // 320  # memory-bound
    assert vm_slots(8, 64 * 1024, vms_per_core=4) == 32
    assert vm_slots(1, 1024) == 1                              # never below one
    with pytest.raises(ValueError):
        vm_slots(0, 1024)


def test_module_prints_the_resources_json_for_ray_start() -> None:
    out = subprocess.run([sys.executable, "-m", "pyro.ray", "resources", "--cpus", "4", "--mem-mib", "32768"],
                         check=True, capture_output=True, text=True).stdout
    assert json.loads(out) == {"pyro_vm": 4.0} == node_resources(4, 32768)
