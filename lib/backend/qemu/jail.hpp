// The VMM jail (docs/jail.md): which confinement layers this host can give a VMM,
// and the pyro-jailer command line that applies them. Probing touches the host;
// everything else is pure, so it is unit-tested directly.
//
//   JailHost host = probe_jail_host("/usr/libexec/pyro/pyro-jailer");
//   for (const JailLayer& l : jail_layers(host)) ...          // doctor, mode checks
//   argv = build_jailer_args(host, spec, build_qemu_args(spec, qemu_host));
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "backend/backend.hpp"

namespace pyro::detail {

JailMode parse_jail_mode(std::string_view text);  ///< throws Error(kInvalidArgument)
const char* jail_mode_name(JailMode mode) noexcept;

/// The dedicated unprivileged user every VMM runs as.
inline constexpr const char* kVmmUser = "pyro-vmm";
/// Limits beyond the guest's own RAM: QEMU's code, TCG's translation cache, its I/O buffers.
inline constexpr uint64_t kVmmMemoryOverheadMib = 512;
/// Threads of one QEMU: main loop, RCU, vCPUs, and a block I/O pool of up to 64.
inline constexpr uint64_t kVmmPidsMax = 128;
inline constexpr uint64_t kCpuPeriodUs = 100000;

/// Where this process can create VMM cgroups.
struct CgroupHost {
  std::string version;        ///< "v2", "v1", or "" when none is usable
  std::string v2_base;        ///< v2: the directory VMM leaves go in (<cgroup2 mount>/pyro)
  std::string v2_mount;       ///< v2: the cgroup2 mount (its subtree_control is written)
  std::string v1_memory;      ///< v1: <memory mount><this process's cgroup>/pyro
  std::string v1_pids;        ///< v1: the same under the pids controller
  std::string v1_cpu;         ///< v1: under the cpu controller; "" when absent
  bool cpu = false;           ///< a CPU limit can be set
  std::string why_not;        ///< when version is ""
};

/// Finds the cgroup hierarchy from /proc/self/mountinfo and /proc/self/cgroup text.
/// `v2_controllers` is the content of the cgroup2 mount's cgroup.controllers ("" if none).
/// Prefers cgroup v2 when it has the memory and pids controllers, else v1 (hybrid hosts).
CgroupHost find_cgroups(std::string_view mountinfo, std::string_view self_cgroup,
                        std::string_view v2_controllers);

/// What this host can do for a VMM, probed once per backend.
struct JailHost {
  std::string jailer;           ///< absolute path of pyro-jailer; "" when not found
  std::string jailer_why_not;
  bool privileged = false;      ///< euid 0: namespaces, mounts, uid switch, cgroups
  std::string privileged_why_not;
  unsigned uid = 0, gid = 0;    ///< the pyro-vmm user; 0 when there is none
  std::string user_why_not;
  CgroupHost cgroup;
};

/// Every layer, available on this host or why not.
std::vector<JailLayer> jail_layers(const JailHost& host);

/// The host paths a VMM of `spec` sees, at the same absolute paths.
struct JailBind {
  std::string path;
  /// kVmmDevice: a device the VMM itself must open (/dev/kvm). With a uid switch the
  /// jailer makes the VMM its own node (`--dev-owned`): the host's is root:kvm 0660
  /// with udev, 0600 without, and the VMM's user is in no group.
  enum Kind { kReadOnly, kWritable, kSystem, kDevice, kVmmDevice } kind = kReadOnly;
  bool operator==(const JailBind&) const = default;
};
std::vector<JailBind> jail_binds(const MachineSpec& spec, const std::string& qemu_binary);

/// The jail's root directory inside the VM's run dir (empty on the host: its tmpfs
/// exists only in the VMM's mount namespace).
std::string jail_root_dir(const MachineSpec& spec);

/// The full command line: pyro-jailer, its flags for every layer `host` provides,
/// `--`, then `qemu_argv`. `pidfile` receives the VMM's host pid.
std::vector<std::string> build_jailer_args(const JailHost& host, const MachineSpec& spec,
                                           const std::vector<std::string>& qemu_argv,
                                           const std::string& pidfile);

/// The settings for a client: `mode` (empty: $PYRO_JAIL, else best-effort), and the
/// jailer found with the guest tools (`guest_dir` as ClientOptions::guest_dir).
JailSettings jail_settings(const std::string& mode, const std::string& guest_dir);

/// Probes the host; creates the pyro-vmm system user (useradd --system) when root
/// and it is missing. `jailer` is the binary's path ("" when not found, with why).
JailHost probe_jail_host(const std::string& jailer, const std::string& jailer_why_not);

}  // namespace pyro::detail
