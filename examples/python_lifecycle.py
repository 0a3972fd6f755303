"""The explicit VM lifecycle: create, start, inspect, exec.

    PYTHONPATH=<build>/python python3 examples/python_lifecycle.py [environment]

Use this instead of run_in_vm only when you need to look at the VM before running
the command. exec_vm runs one command and deletes the VM afterwards, so a VM is
used once; the client deletes any VM still around when it is closed.
"""

import sys

import pyro


def main() -> int:
    environment = sys.argv[1] if len(sys.argv) > 1 else "busybox"
    with pyro.Pyro() as client:
        vm = client.create_vm(environment, vcpu_count=1, mem_mib=256)
        print(f"created {vm.vm_id}: {vm.state}")
        vm = client.start_vm(vm.vm_id)
        print(f"started {vm.vm_id}: {vm.state} with {vm.accelerator}, booted in {vm.boot_ms} ms")
        print(f"status: {client.status_vm(vm.vm_id).state}")
        result = client.exec_vm(vm.vm_id, "cat /proc/cpuinfo | grep -c ^processor",
                                timeout_seconds=30)
        print(f"exec: exit code {result.exit_code}, {result.stdout.strip()} processor(s)")
        remaining = [v.vm_id for v in client.list_vms()]
        print(f"VMs left after exec_vm: {remaining or 'none'}")
        return 0 if result.exit_code == 0 and vm.vm_id not in remaining else 1


if __name__ == "__main__":
    sys.exit(main())
