#include "backend/qemu/jail.hpp"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <optional>
#include <fstream>
#include <sstream>
#include <fmt/format.h>

#include "backend/qemu/console_keeper.hpp"
#include "pyro/error.hpp"
#include "util/child_process.hpp"
#include "util/find_executable.hpp"
#include "util/guest_tools.hpp"

namespace pyro::detail {
namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::vector<std::string> split(std::string_view text, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(sep, start);
    if (end == std::string_view::npos) end = text.size();
    out.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

bool has_token(std::string_view list, std::string_view token, char sep) {
  for (const auto& t : split(list, sep)) {
    if (t == token) return true;
  }
  return false;
}

// The cgroup this process is in for `controller` ("" for the v2 line), from /proc/self/cgroup.
std::string own_cgroup(std::string_view self_cgroup, std::string_view controller) {
  for (const auto& line : split(self_cgroup, '\n')) {
    auto first = line.find(':');
    auto second = first == std::string::npos ? std::string::npos : line.find(':', first + 1);
    if (second == std::string::npos) continue;
    const std::string controllers = line.substr(first + 1, second - first - 1);
    if (controller.empty() ? controllers.empty() : has_token(controllers, controller, ',')) {
      return line.substr(second + 1);
    }
  }
  return "/";
}

std::string join_cgroup(const std::string& mount, const std::string& mount_root, std::string own) {
  // Inside a cgroup namespace the mount root is a prefix of the process's own path.
  if (mount_root != "/" && own.rfind(mount_root, 0) == 0) own = own.substr(mount_root.size());
  if (own.empty() || own == "/") return mount;
  return mount + own;
}

bool under(const std::string& path, const std::string& dir) {
  return path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 && path[dir.size()] == '/';
}

std::string bytes_of_mib(uint64_t mib) { return std::to_string(mib << 20); }

}  // namespace

JailMode parse_jail_mode(std::string_view text) {
  if (text == "off") return JailMode::kOff;
  if (text == "best-effort") return JailMode::kBestEffort;
  if (text == "strict") return JailMode::kStrict;
  throw Error(ErrorCode::kInvalidArgument,
              fmt::format("check `jail`: unknown `{}` (expected strict, best-effort or off)", text));
}

const char* jail_mode_name(JailMode mode) noexcept {
  switch (mode) {
    case JailMode::kOff: return "off";
    case JailMode::kBestEffort: return "best-effort";
    case JailMode::kStrict: return "strict";
  }
  return "?";
}

CgroupHost find_cgroups(std::string_view mountinfo, std::string_view self_cgroup, std::string_view v2_controllers) {
  CgroupHost host;
  struct Mount {
    std::string root, point;
  };
  std::optional<Mount> v2, memory, pids, cpu;
  for (const auto& line : split(mountinfo, '\n')) {
    // "<id> <parent> <dev> <root> <mount point> <options> [optional...] - <type> <source> <super options>"
    auto dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    std::istringstream head(line.substr(0, dash));
    std::istringstream tail(line.substr(dash + 3));
    std::string id, parent, dev, root, point, type, source, super;
    if (!(head >> id >> parent >> dev >> root >> point) || !(tail >> type >> source >> super)) continue;
    if (type == "cgroup2" && !v2) v2 = Mount{root, point};
    if (type != "cgroup") continue;
    if (has_token(super, "memory", ',') && !memory) memory = Mount{root, point};
    if (has_token(super, "pids", ',') && !pids) pids = Mount{root, point};
    if (has_token(super, "cpu", ',') && !cpu) cpu = Mount{root, point};
  }
  std::string v2_controllers_text(v2_controllers);
  for (char& c : v2_controllers_text) {
    if (c == '\n') c = ' ';
  }
  if (v2 && has_token(v2_controllers_text, "memory", ' ') && has_token(v2_controllers_text, "pids", ' ')) {
    host.version = "v2";
    host.v2_mount = v2->point;
    host.v2_base = v2->point + "/pyro";
    host.cpu = has_token(v2_controllers_text, "cpu", ' ');
    return host;
  }
  if (memory && pids) {
    host.version = "v1";
    host.v1_memory = join_cgroup(memory->point, memory->root, own_cgroup(self_cgroup, "memory")) + "/pyro";
    host.v1_pids = join_cgroup(pids->point, pids->root, own_cgroup(self_cgroup, "pids")) + "/pyro";
    if (cpu) {
      host.v1_cpu = join_cgroup(cpu->point, cpu->root, own_cgroup(self_cgroup, "cpu")) + "/pyro";
      host.cpu = true;
    }
    return host;
  }
  host.why_not = v2 ? fmt::format("cgroup v2 at `{}` lacks the memory and pids controllers, and there is no cgroup "
                                  "v1 memory and pids hierarchy", v2->point)
                    : "no cgroup v2 and no cgroup v1 memory and pids hierarchy is mounted";
  return host;
}

std::vector<JailLayer> jail_layers(const JailHost& host) {
  std::vector<JailLayer> layers;
  layers.push_back({"seccomp", true, "qemu -sandbox on with obsolete, elevateprivileges, spawn and resourcecontrol denied"});
  const bool jailer = !host.jailer.empty();
  const std::string no_jailer = "pyro-jailer not found: " + host.jailer_why_not;
  const bool priv = jailer && host.privileged;
  const std::string no_priv = jailer ? host.privileged_why_not : no_jailer;
  layers.push_back({"no_new_privs", jailer, jailer ? "set before qemu starts" : no_jailer});
  layers.push_back({"fds", jailer, jailer ? "qemu inherits descriptors 0-2 only" : no_jailer});
  const bool user = priv && host.uid != 0;
  const std::string no_user = priv ? host.user_why_not : no_priv;
  layers.push_back({"uid", user,
                    user ? fmt::format("qemu runs as `{}` (uid {}, gid {}), no supplementary groups", kVmmUser,
                                       host.uid, host.gid)
                         : no_user});
  layers.push_back({"capabilities", user, user ? "every set empty, the bounding set included" : no_user});
  layers.push_back({"mount namespace", priv,
                    priv ? "a tmpfs root with only the VM's files, the VMM's binaries and a minimal /dev" : no_priv});
  layers.push_back({"pid namespace", priv, priv ? "qemu is the init of its own pid namespace" : no_priv});
  layers.push_back({"ipc namespace", priv, priv ? "own" : no_priv});
  layers.push_back({"network namespace", priv,
                    priv ? "own for VMs without a NIC; a NIC keeps the host's (published ports on 127.0.0.1)" : no_priv});
  const bool cgroup = priv && !host.cgroup.version.empty();
  std::string cgroup_detail = no_priv;
  if (priv && !cgroup) cgroup_detail = host.cgroup.why_not;
  if (cgroup) {
    cgroup_detail = host.cgroup.version == "v2"
                        ? fmt::format("cgroup v2 under `{}`", host.cgroup.v2_base)
                        : fmt::format("cgroup v1 under `{}` and `{}`", host.cgroup.v1_memory, host.cgroup.v1_pids);
    cgroup_detail += fmt::format(": memory (guest RAM + {} MiB), pids ({}){}", kVmmMemoryOverheadMib, kVmmPidsMax,
                                 host.cgroup.cpu ? ", cpu (vCPUs + 1 cores)" : "");
  }
  layers.push_back({"cgroup", cgroup, cgroup_detail});
  return layers;
}

std::string jail_root_dir(const MachineSpec& spec) { return spec.run_dir + "/jail"; }

std::vector<JailBind> jail_binds(const MachineSpec& spec, const std::string& qemu_binary) {
  std::vector<JailBind> binds;
  // QEMU, its libraries, modules and firmware (qboot for microvm).
  for (const char* sys : {"/usr", "/lib", "/lib64", "/lib32", "/libx32", "/etc/ld.so.cache"}) {
    binds.push_back({sys, JailBind::kSystem});
  }
  if (!under(qemu_binary, "/usr")) binds.push_back({qemu_binary, JailBind::kReadOnly});
  for (const char* dev : {"/dev/null", "/dev/zero", "/dev/urandom", "/dev/random"}) {
    binds.push_back({dev, JailBind::kDevice});
  }
  if (spec.accelerator == Accelerator::kKvm) binds.push_back({"/dev/kvm", JailBind::kVmmDevice});
  binds.push_back({spec.boot.kernel_path, JailBind::kReadOnly});
  binds.push_back({spec.boot.initrd_path, JailBind::kReadOnly});
  for (const auto& drive : spec.drives) {
    binds.push_back({drive.path, drive.read_only ? JailBind::kReadOnly : JailBind::kWritable});
    // An overlay's backing file (the inspector's view of a stopped disk) is only read.
    if (!drive.backing_path.empty()) binds.push_back({drive.backing_path, JailBind::kReadOnly});
  }
  // QEMU 7.2 opens a memory file read-write even for a private (copy-on-write) mapping.
  if (spec.memory_file) binds.push_back({spec.memory_file->path, JailBind::kWritable});
  binds.push_back({spec.run_dir, JailBind::kWritable});
  if (!under(spec.agent_socket, spec.run_dir)) binds.push_back({spec.agent_socket, JailBind::kWritable});
  return binds;
}

std::vector<std::string> build_jailer_args(const JailHost& host, const MachineSpec& spec,
                                           const std::vector<std::string>& qemu_argv, const std::string& pidfile) {
  std::vector<std::string> args{host.jailer};
  auto add = [&args](std::initializer_list<std::string> items) { args.insert(args.end(), items.begin(), items.end()); };
  if (host.privileged) {
    add({"--root", jail_root_dir(spec)});
    for (const auto& b : jail_binds(spec, qemu_argv.at(0))) {
      static constexpr const char* kFlags[] = {"--ro", "--rw", "--ro-sys", "--dev", "--dev"};
      add({b.kind == JailBind::kVmmDevice && host.uid != 0 ? "--dev-owned" : kFlags[b.kind], b.path});
    }
    add({"--pid-ns", "--ipc-ns"});
    if (!spec.network) add({"--net-ns"});
    if (host.uid != 0) {
      add({"--uid", std::to_string(host.uid), "--gid", std::to_string(host.gid)});
      // The run dir stays root's but sticky and shared with QEMU's group: QEMU adds
      // its sockets, and cannot replace what the host reads or connects to there
      // (its log, pid file, the console keeper's files, the agent socket the host
      // listens on). QEMU writes the console FIFOs the keeper made.
      const std::string console = console_chardev_path(spec.run_dir);
      add({"--group-dir", spec.run_dir, "--group-file", console + ".in", "--group-file", console + ".out"});
      if (!spec.detached) add({"--group-file", spec.agent_socket});
      // Writable disks and the RAM file become QEMU's (the RAM file is created empty
      // first: it is a mount point).
      for (const auto& drive : spec.drives) {
        if (!drive.read_only) add({"--chown", drive.path});
      }
      if (spec.memory_file) add({"--create", spec.memory_file->path, "--chown", spec.memory_file->path});
    }
    const CgroupHost& cg = host.cgroup;
    const std::string memory = bytes_of_mib(spec.mem_mib + kVmmMemoryOverheadMib);
    const std::string pids = std::to_string(kVmmPidsMax);
    const uint64_t quota = (spec.vcpu_count + 1ULL) * kCpuPeriodUs;
    if (cg.version == "v2") {
      const std::string controllers = cg.cpu ? "+memory +pids +cpu" : "+memory +pids";
      const std::string leaf = cg.v2_base + "/" + spec.vm_id;
      add({"--cgroup-enable", cg.v2_mount + "/cgroup.subtree_control=" + controllers,
           "--cgroup-enable", cg.v2_base + "/cgroup.subtree_control=" + controllers, "--cgroup", leaf,
           "--cgroup-set", leaf + "/memory.max=" + memory, "--cgroup-set", leaf + "/pids.max=" + pids});
      if (cg.cpu) add({"--cgroup-set", fmt::format("{}/cpu.max={} {}", leaf, quota, kCpuPeriodUs)});
    } else if (cg.version == "v1") {
      const std::string mem_leaf = cg.v1_memory + "/" + spec.vm_id;
      const std::string pids_leaf = cg.v1_pids + "/" + spec.vm_id;
      add({"--cgroup", mem_leaf, "--cgroup", pids_leaf, "--cgroup-set", mem_leaf + "/memory.limit_in_bytes=" + memory,
           "--cgroup-set", pids_leaf + "/pids.max=" + pids});
      if (cg.cpu) {
        const std::string cpu_leaf = cg.v1_cpu + "/" + spec.vm_id;
        add({"--cgroup", cpu_leaf, "--cgroup-set", fmt::format("{}/cpu.cfs_period_us={}", cpu_leaf, kCpuPeriodUs),
             "--cgroup-set", fmt::format("{}/cpu.cfs_quota_us={}", cpu_leaf, quota)});
      }
    }
  }
  add({"--pidfile", pidfile});
  if (spec.detached) add({"--detach"});
  args.push_back("--");
  args.insert(args.end(), qemu_argv.begin(), qemu_argv.end());
  return args;
}

JailSettings jail_settings(const std::string& mode, const std::string& guest_dir) {
  JailSettings jail;
  const char* env = std::getenv("PYRO_JAIL");
  jail.mode = parse_jail_mode(!mode.empty() ? mode : env && *env ? env : "best-effort");
  jail.locate_jailer = [guest_dir] {
    GuestTools tools = find_guest_tools(guest_dir);
    if (tools.jailer.empty()) {
      throw Error(ErrorCode::kUnavailable, fmt::format("find `pyro-jailer`: not in `{}`", tools.dir));
    }
    return tools.jailer;
  };
  return jail;
}

namespace {

// `useradd --system`: no home, no login shell, its own group. A concurrent creator
// makes it fail with "already exists", after which the lookup finds the user.
void create_vmm_user() {
  std::string useradd = find_executable("useradd");
  if (useradd.empty() && ::access("/usr/sbin/useradd", X_OK) == 0) useradd = "/usr/sbin/useradd";
  if (useradd.empty()) return;
  auto child = ChildProcess::spawn({.argv = {useradd, "--system", "--user-group", "--no-create-home", "--home-dir",
                                             "/nonexistent", "--shell", "/usr/sbin/nologin", kVmmUser}});
  if (!child->wait_until(deadline_after(std::chrono::seconds(30)))) child->kill();
}

}  // namespace

JailHost probe_jail_host(const std::string& jailer, const std::string& jailer_why_not) {
  JailHost host;
  host.jailer = jailer;
  host.jailer_why_not = jailer_why_not;
  host.privileged = ::geteuid() == 0;
  if (!host.privileged) {
    host.privileged_why_not = fmt::format("not running as root (euid {}): namespaces, mounts, a uid switch and "
                                          "cgroups need it", ::geteuid());
  }
  if (host.privileged) {
    if (::getpwnam(kVmmUser) == nullptr) create_vmm_user();
    if (const passwd* pw = ::getpwnam(kVmmUser); pw && pw->pw_uid != 0 && pw->pw_gid != 0) {
      host.uid = pw->pw_uid;
      host.gid = pw->pw_gid;
    } else {
      host.user_why_not = fmt::format("no user `{}` and `useradd --system {}` did not create one", kVmmUser, kVmmUser);
    }
  }
  std::string v2_controllers;
  const std::string mountinfo = read_text("/proc/self/mountinfo");
  host.cgroup = find_cgroups(mountinfo, read_text("/proc/self/cgroup"), "");
  // Only cgroup2 needs its controllers file; find the mount first, then ask again.
  for (const auto& line : split(mountinfo, '\n')) {
    auto dash = line.find(" - cgroup2 ");
    if (dash == std::string::npos) continue;
    std::istringstream head(line.substr(0, dash));
    std::string id, parent, dev, root, point;
    if (head >> id >> parent >> dev >> root >> point) {
      v2_controllers = read_text(point + "/cgroup.controllers");
      break;
    }
  }
  if (!v2_controllers.empty()) host.cgroup = find_cgroups(mountinfo, read_text("/proc/self/cgroup"), v2_controllers);
  if (!host.cgroup.version.empty()) {
    const std::string parent =
        host.cgroup.version == "v2" ? host.cgroup.v2_mount
                                    : host.cgroup.v1_memory.substr(0, host.cgroup.v1_memory.rfind('/'));
    if (::access(parent.c_str(), W_OK) != 0) {
      const std::string why = fmt::format("`{}` is not writable: {}", parent, std::strerror(errno));
      host.cgroup = CgroupHost{};
      host.cgroup.why_not = why;
    }
  }
  return host;
}

}  // namespace pyro::detail
