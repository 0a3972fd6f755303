// The command line of pyro-jailer (docs/jail.md): what to confine, parsed once.
//
//   pyro-jailer --root /run/vm/jail --ro /usr --rw /run/vm --uid 999 --gid 999
//               --dev-owned /dev/kvm --pid-ns --ipc-ns --cgroup /sys/fs/cgroup/pids/pyro/vm --pidfile /run/vm/qemu.pid
//               -- /usr/bin/qemu-system-x86_64 ...
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace pyro_jailer {

/// One host path shown inside the jail at the same absolute path.
struct Bind {
  std::string path;
  bool writable = false;
  bool system = false;  ///< --ro-sys: a host symlink is copied, a missing path skipped
  bool device = false;  ///< --dev: a device node
  /// --dev-owned: a character device under /dev made anew inside the jail (same device
  /// number), owned by --uid/--gid with mode 0600, instead of bound: the VMM can open
  /// it whatever the host's node allows (/dev/kvm is root:kvm 0660 with udev, 0600
  /// without), and the host's node is never changed.
  bool owned = false;
};

struct Options {
  std::string root;                ///< jail root directory (mount namespace); empty: no mount namespace
  std::vector<Bind> binds;
  std::vector<std::string> chown;  ///< given to --uid/--gid before dropping root
  std::vector<std::string> create; ///< empty files created (owned by --uid) when missing
  /// Stay root's, shared with --gid: directories become 01770 (sticky: the VMM adds
  /// files but cannot replace the host's), files 0660 (created empty when missing).
  std::vector<std::string> group_dirs, group_files;
  std::optional<unsigned> uid, gid;
  bool pid_ns = false, ipc_ns = false, net_ns = false;
  bool no_new_privs = true;
  std::vector<std::pair<std::string, std::string>> cgroup_enable;  ///< file, value: before the leaves
  std::vector<std::string> cgroups;                                 ///< leaf directories
  std::vector<std::pair<std::string, std::string>> cgroup_set;     ///< file, value: after the leaves
  std::string pidfile;  ///< receives the VMM's host pid
  bool detach = false;  ///< the VMM outlives the jailer (own session, no parent-death signal)
  std::vector<std::string> argv;  ///< the VMM's command line
};

/// Parses argv (without argv[0]); throws std::invalid_argument naming the bad flag.
Options parse_options(const std::vector<std::string>& args);

}  // namespace pyro_jailer
