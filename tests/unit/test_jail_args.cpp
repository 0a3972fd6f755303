// The jail's pure parts (lib/backend/qemu/jail.hpp): mode names, the cgroup hierarchy
// found from /proc text, the layers a host provides, the mount list and the jailer's
// command line. The jail itself is tested on real VMs (tests/integration/test_jail.cpp).
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "backend/qemu/jail.hpp"
#include "backend/qemu/qemu_args.hpp"
#include "pyro/error.hpp"
#include "test_support.hpp"

namespace pyro::detail {
namespace {

// This machine's shape: cgroup v1 controllers plus an empty cgroup2 at unified/.
constexpr const char* kHybridMountinfo =
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime shared:9 - cgroup2 cgroup2 rw\n";
constexpr const char* kHybridSelf = "8:pids:/\n4:memory:/box/7\n1:cpu:/\n0::/\n";

constexpr const char* kV2Mountinfo = "30 23 0:27 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n";

MachineSpec spec_of(bool detached, bool network) {
  MachineSpec spec;
  spec.vm_id = "vm-1";
  spec.boot = {"/h/env/vmlinux", "/h/env/initrd.img", "/h/env/rootfs.ext4", ""};
  spec.vcpu_count = 2;
  spec.mem_mib = 256;
  spec.network = network;
  spec.run_dir = "/h/run/vm-1";
  spec.agent_socket = "/h/run/vm-1/agent.sock";
  spec.detached = detached;
  spec.drives = {Drive{"/h/env/rootfs.ext4", true, "raw"}, Drive{"/h/ws/disk.ext4", false, "raw", true}};
  spec.memory_file = MemoryFile{"/h/templates/k/ram", false};
  return spec;
}

JailHost root_host() {
  JailHost host;
  host.jailer = "/opt/pyro/pyro-jailer";
  host.privileged = true;
  host.uid = 999;
  host.gid = 995;
  host.cgroup = find_cgroups(kHybridMountinfo, kHybridSelf, "");
  return host;
}

bool has_pair(const std::vector<std::string>& args, const std::string& flag, const std::string& value) {
  for (size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] == flag && args[i + 1] == value) return true;
  }
  return false;
}

bool has(const std::vector<std::string>& args, const std::string& flag) {
  return std::find(args.begin(), args.end(), flag) != args.end();
}

}  // namespace

TEST_CASE("jail modes parse from their names only") {
  CHECK(parse_jail_mode("strict") == JailMode::kStrict);
  CHECK(parse_jail_mode("best-effort") == JailMode::kBestEffort);
  CHECK(parse_jail_mode("off") == JailMode::kOff);
  CHECK(std::string(jail_mode_name(JailMode::kBestEffort)) == "best-effort");
  CHECK(pyro::test::code_of([] { parse_jail_mode("on"); }) == ErrorCode::kInvalidArgument);
  CHECK(pyro::test::code_of([] { parse_jail_mode(""); }) == ErrorCode::kInvalidArgument);
}

TEST_CASE("a hybrid host uses cgroup v1 memory and pids below this process's own cgroup") {
  CgroupHost cg = find_cgroups(kHybridMountinfo, kHybridSelf, "");
  CHECK(cg.version == "v1");
  CHECK(cg.v1_memory == "/sys/fs/cgroup/memory/box/7/pyro");
  CHECK(cg.v1_pids == "/sys/fs/cgroup/pids/pyro");
  CHECK(cg.v1_cpu == "/sys/fs/cgroup/cpu/pyro");
  CHECK(cg.cpu);
  // An empty cgroup2 does not win over working v1 controllers...
  CHECK(find_cgroups(kHybridMountinfo, kHybridSelf, "cpu io").version == "v1");
  // ...one with memory and pids does.
  CgroupHost v2 = find_cgroups(kHybridMountinfo, kHybridSelf, "cpuset cpu io memory pids\n");
  CHECK(v2.version == "v2");
  CHECK(v2.v2_base == "/sys/fs/cgroup/unified/pyro");
}

TEST_CASE("a pure cgroup v2 host, and one with no usable cgroup") {
  CgroupHost v2 = find_cgroups(kV2Mountinfo, "0::/user.slice\n", "memory pids\n");
  CHECK(v2.version == "v2");
  CHECK(v2.v2_mount == "/sys/fs/cgroup");
  CHECK(!v2.cpu);
  CgroupHost none = find_cgroups(kV2Mountinfo, "0::/\n", "cpu io\n");
  CHECK(none.version.empty());
  CHECK(none.why_not.find("lacks the memory and pids controllers") != std::string::npos);
}

TEST_CASE("a non-root host provides seccomp, no_new_privs and fd hygiene only, each other layer says why") {
  JailHost host;
  host.jailer = "/opt/pyro/pyro-jailer";
  host.privileged_why_not = "not running as root (euid 1000)";
  for (const auto& layer : jail_layers(host)) {
    CAPTURE(layer.name);
    const bool expected = layer.name == "seccomp" || layer.name == "no_new_privs" || layer.name == "fds";
    CHECK(layer.available == expected);
    if (!expected) CHECK(layer.detail.find("not running as root") != std::string::npos);
  }
  host.jailer.clear();
  host.jailer_why_not = "not in `/x`";
  int available = 0;
  for (const auto& layer : jail_layers(host)) available += layer.available;
  CHECK(available == 1);  // seccomp is QEMU's own
  int root_layers = 0;
  for (const auto& layer : jail_layers(root_host())) root_layers += layer.available;
  CHECK(root_layers == 10);
}

TEST_CASE("the jail shows boot files and read-only disks read-only, and only the VM's writable files writable") {
  auto binds = jail_binds(spec_of(false, false), "/usr/bin/qemu-system-x86_64");
  auto kind_of = [&](const std::string& path) {
    for (const auto& b : binds) {
      if (b.path == path) return static_cast<int>(b.kind);
    }
    return -1;
  };
  CHECK(kind_of("/h/env/vmlinux") == JailBind::kReadOnly);
  CHECK(kind_of("/h/env/initrd.img") == JailBind::kReadOnly);
  CHECK(kind_of("/h/env/rootfs.ext4") == JailBind::kReadOnly);
  CHECK(kind_of("/h/ws/disk.ext4") == JailBind::kWritable);
  CHECK(kind_of("/h/templates/k/ram") == JailBind::kWritable);
  CHECK(kind_of("/h/run/vm-1") == JailBind::kWritable);
  CHECK(kind_of("/h/run/vm-1/agent.sock") == -1);  // inside the run dir already
  CHECK(kind_of("/usr") == JailBind::kSystem);
  CHECK(kind_of("/usr/bin/qemu-system-x86_64") == -1);  // under /usr
  CHECK(kind_of("/dev/null") == JailBind::kDevice);
  CHECK(kind_of("/dev/kvm") == -1);  // TCG
  CHECK(kind_of("/h") == -1);
  auto kvm = spec_of(false, false);
  kvm.accelerator = Accelerator::kKvm;
  auto other_binary = jail_binds(kvm, "/opt/qemu/bin/qemu");
  CHECK(std::count(other_binary.begin(), other_binary.end(), JailBind{"/dev/kvm", JailBind::kVmmDevice}) == 1);
  CHECK(std::count(other_binary.begin(), other_binary.end(), JailBind{"/opt/qemu/bin/qemu", JailBind::kReadOnly}) == 1);
}

TEST_CASE("the jailer command line applies every layer a root host provides, then runs qemu") {
  const std::vector<std::string> qemu = {"/usr/bin/qemu-system-x86_64", "-M", "microvm"};
  auto args = build_jailer_args(root_host(), spec_of(false, false), qemu, "/h/run/vm-1/qemu.pid");
  CHECK(args.front() == "/opt/pyro/pyro-jailer");
  auto dash = std::find(args.begin(), args.end(), "--");
  REQUIRE(dash != args.end());
  CHECK(std::vector<std::string>(dash + 1, args.end()) == qemu);
  CHECK(has_pair(args, "--root", "/h/run/vm-1/jail"));
  CHECK(has_pair(args, "--uid", "999"));
  CHECK(has_pair(args, "--gid", "995"));
  CHECK(has(args, "--pid-ns"));
  CHECK(has(args, "--ipc-ns"));
  CHECK(has(args, "--net-ns"));  // no NIC
  CHECK(!has(args, "--detach"));
  CHECK(has_pair(args, "--pidfile", "/h/run/vm-1/qemu.pid"));
  CHECK(has_pair(args, "--ro", "/h/env/vmlinux"));
  CHECK(has_pair(args, "--rw", "/h/ws/disk.ext4"));
  CHECK(has_pair(args, "--chown", "/h/ws/disk.ext4"));
  CHECK(!has_pair(args, "--chown", "/h/env/rootfs.ext4"));
  CHECK(has_pair(args, "--group-file", "/h/run/vm-1/agent.sock"));  // the host listens, QEMU connects
  CHECK(has_pair(args, "--group-dir", "/h/run/vm-1"));
  CHECK(has_pair(args, "--group-file", "/h/run/vm-1/console.out"));  // the keeper's FIFOs
  CHECK(has_pair(args, "--group-file", "/h/run/vm-1/console.in"));
  CHECK(!has_pair(args, "--chown", "/h/run/vm-1"));
  CHECK(has_pair(args, "--create", "/h/templates/k/ram"));
  // Limits: guest RAM plus QEMU's overhead, a pids bound, one core per vCPU plus one.
  CHECK(has_pair(args, "--cgroup", "/sys/fs/cgroup/memory/box/7/pyro/vm-1"));
  CHECK(has_pair(args, "--cgroup-set", "/sys/fs/cgroup/memory/box/7/pyro/vm-1/memory.limit_in_bytes=" +
                                           std::to_string((256ULL + kVmmMemoryOverheadMib) << 20)));
  CHECK(has_pair(args, "--cgroup-set", "/sys/fs/cgroup/pids/pyro/vm-1/pids.max=128"));
  CHECK(has_pair(args, "--cgroup-set", "/sys/fs/cgroup/cpu/pyro/vm-1/cpu.cfs_quota_us=300000"));
  CHECK(std::find(args.begin(), dash, "/h") == dash);
}

TEST_CASE("under KVM the jailed VMM gets its own /dev/kvm node, since its user is in no group") {
  // Found by the nested-KVM tier (tests/nested_kvm): a bound /dev/kvm (root:kvm 0660 with
  // udev, root 0600 without) could not be opened by `pyro-vmm`, so every KVM boot as
  // root failed with "Could not access KVM kernel module: Permission denied".
  MachineSpec kvm = spec_of(false, false);
  kvm.accelerator = Accelerator::kKvm;
  auto args = build_jailer_args(root_host(), kvm, {"/usr/bin/qemu"}, "/h/p");
  CHECK(has_pair(args, "--dev-owned", "/dev/kvm"));
  CHECK(!has_pair(args, "--dev", "/dev/kvm"));
  CHECK(has_pair(args, "--dev", "/dev/null"));
  // Without a uid switch QEMU runs as root and the host's node is bound as it is.
  JailHost as_root = root_host();
  as_root.uid = 0;
  auto root_args = build_jailer_args(as_root, kvm, {"/usr/bin/qemu"}, "/h/p");
  CHECK(has_pair(root_args, "--dev", "/dev/kvm"));
  CHECK(!has(root_args, "--dev-owned"));
}

TEST_CASE("a workspace VMM is detached and a VM with a NIC keeps the host network") {
  auto args = build_jailer_args(root_host(), spec_of(true, true), {"/usr/bin/qemu"}, "/h/run/vm-1/qemu.pid");
  CHECK(has(args, "--detach"));
  CHECK(!has(args, "--net-ns"));
  CHECK(!has_pair(args, "--group-file", "/h/run/vm-1/agent.sock"));  // QEMU creates it itself
  JailHost v2 = root_host();
  v2.cgroup = find_cgroups(kV2Mountinfo, "0::/\n", "cpu memory pids\n");
  auto v2_args = build_jailer_args(v2, spec_of(true, true), {"/usr/bin/qemu"}, "/h/p");
  CHECK(has_pair(v2_args, "--cgroup-enable", "/sys/fs/cgroup/cgroup.subtree_control=+memory +pids +cpu"));
  CHECK(has_pair(v2_args, "--cgroup-set", "/sys/fs/cgroup/pyro/vm-1/cpu.max=300000 100000"));
  CHECK(has_pair(v2_args, "--cgroup-set", "/sys/fs/cgroup/pyro/vm-1/pids.max=128"));
}

TEST_CASE("an unprivileged host's jailer only sets no_new_privs and closes descriptors") {
  JailHost host;
  host.jailer = "/j";
  auto args = build_jailer_args(host, spec_of(false, false), {"/usr/bin/qemu"}, "/h/p");
  CHECK(args == std::vector<std::string>{"/j", "--pidfile", "/h/p", "--", "/usr/bin/qemu"});
}

TEST_CASE("qemu's sandbox option, and no -daemonize when the jailer daemonizes") {
  MachineSpec spec = spec_of(true, false);
  QemuHostInfo host{.qemu_binary = "/usr/bin/qemu-system-x86_64", .tsc_khz = 0, .sandbox = true,
                    .qemu_daemonizes = false};
  auto args = build_qemu_args(spec, host);
  CHECK(has_pair(args, "-sandbox", "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny"));
  CHECK(!has(args, "-daemonize"));
  CHECK(!has(args, "-pidfile"));
  // Without the jailer QEMU forks itself to daemonize, after its filter is on:
  // spawn and elevateprivileges stay allowed there, or every detached VMM dies at start.
  host.qemu_daemonizes = true;
  auto self_daemonizing = build_qemu_args(spec, host);
  CHECK(has(self_daemonizing, "-daemonize"));
  CHECK(has_pair(self_daemonizing, "-sandbox", "on,obsolete=deny,resourcecontrol=deny"));
  host.sandbox = false;
  auto plain = build_qemu_args(spec, host);
  CHECK(has(plain, "-daemonize"));
  CHECK(!has(plain, "-sandbox"));
}

}  // namespace pyro::detail
