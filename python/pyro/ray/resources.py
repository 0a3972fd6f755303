"""The `pyro_vm` custom resource: how many pyro VMs a Ray node runs at once.

Each node advertises its own count, from its own cores and memory, when it joins:

    ray start --address HEAD:6379 --resources "$(python -m pyro.ray resources)"

Every one-shot run and every workspace actor holds one unit, so Ray never places more
VMs on a node than it advertised. No Ray import here: the figure is plain arithmetic.
"""

from __future__ import annotations

import os
from typing import Dict, Optional

#: The custom resource each run and workspace actor holds one unit of.
RESOURCE = "pyro_vm"

#: Defaults for a TCG host (docs/scale-out.md, "Sizing"): a busy TCG guest keeps one
#: host core at 100%, and a 256 MiB guest's VMM settles at about 230 MiB RSS.
VMS_PER_CORE = 1.0
MIB_PER_VM = 320
#: Memory kept for the host, Ray's own processes and the page cache.
RESERVED_MIB = 2048


def host_memory_mib() -> int:
    """MemTotal of /proc/meminfo, in MiB."""
    with open("/proc/meminfo", encoding="ascii") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) // 1024
    raise OSError("read `/proc/meminfo`: no `MemTotal` line")


def vm_slots(cpus: Optional[int] = None, mem_mib: Optional[int] = None, *,
             vms_per_core: float = VMS_PER_CORE, mib_per_vm: int = MIB_PER_VM,
             reserved_mib: int = RESERVED_MIB) -> int:
    """How many VMs a node of `cpus` cores and `mem_mib` MiB runs at once: the smaller
    of the CPU bound and the memory bound, at least 1. Defaults to this host."""
    if cpus is None:
        cpus = len(os.sched_getaffinity(0))
    if mem_mib is None:
        mem_mib = host_memory_mib()
    if cpus < 1 or mem_mib < 1 or vms_per_core <= 0 or mib_per_vm < 1 or reserved_mib < 0:
        raise ValueError("size a node: cores, memory, VMs per core and MiB per VM must be positive")
    by_cpu = int(cpus * vms_per_core)
    by_memory = (mem_mib - reserved_mib) // mib_per_vm
    return max(1, min(by_cpu, by_memory))


def node_resources(cpus: Optional[int] = None, mem_mib: Optional[int] = None,
                   **sizing: float) -> Dict[str, float]:
    """`{"pyro_vm": n}` for `ray start --resources` or `ray.init(resources=...)`."""
    return {RESOURCE: float(vm_slots(cpus, mem_mib, **sizing))}  # type: ignore[arg-type]
