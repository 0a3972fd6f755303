// The VMM jail (docs/jail.md) on real VMs: every QEMU, ephemeral, snapshot clone and
// workspace, runs with seccomp, as an unprivileged user without capabilities and with
// no_new_privs, in its own mount/pid/ipc namespaces on a root holding only its own
// files, in a cgroup with memory and pids limits. Read from /proc as the attacker who
// took over QEMU would find it. These tests need root (the jail's layers do).
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "pyro/pyro.hpp"
#include "workspace_test_support.hpp"

namespace {
namespace fs = std::filesystem;

// What the jail adds to QEMU's memory limit, and its pids limit (lib/backend/qemu/jail.hpp).
constexpr uint64_t kMemoryOverheadMib = 512;
constexpr uint64_t kPidsMax = 128;

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// "Key:\tvalue" lines of /proc/<pid>/status.
std::map<std::string, std::string> proc_status(int64_t pid) {
  std::map<std::string, std::string> out;
  std::istringstream in(slurp("/proc/" + std::to_string(pid) + "/status"));
  std::string line;
  while (std::getline(in, line)) {
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    auto value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    out[line.substr(0, colon)] = value;
  }
  return out;
}

std::string ns_of(const std::string& pid, const std::string& ns) {
  return fs::read_symlink("/proc/" + pid + "/ns/" + ns).string();
}

// The cgroup directory of `pid` for a v1 controller, or its v2 directory; "" when none.
fs::path cgroup_dir(int64_t pid, const std::string& controller) {
  std::istringstream in(slurp("/proc/" + std::to_string(pid) + "/cgroup"));
  std::string line, v2;
  while (std::getline(in, line)) {
    auto a = line.find(':'), b = line.find(':', a + 1);
    const std::string controllers = line.substr(a + 1, b - a - 1);
    const std::string path = line.substr(b + 1);
    if (controllers.empty()) v2 = path;
    std::istringstream list(controllers);
    std::string c;
    while (std::getline(list, c, ',')) {
      if (c == controller && fs::exists("/sys/fs/cgroup/" + controller)) return "/sys/fs/cgroup/" + controller + path;
    }
  }
  for (const char* mount : {"/sys/fs/cgroup/unified", "/sys/fs/cgroup"}) {
    if (!v2.empty() && fs::exists(fs::path(mount) / v2.substr(1) / "memory.max")) return fs::path(mount) / v2.substr(1);
  }
  return {};
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

struct Expected {
  int64_t pid = 0;
  std::string vm_id;
  uint32_t mem_mib = 0;
  bool network = false;
  fs::path run_dir;                 // everything in it is the VM's own
  std::set<std::string> own_files;  // other host files it may see (disks, RAM file)
};

// Every layer of the jail, checked on one running VMM.
void check_jailed(const Expected& vm, const std::string& home) {
  CAPTURE(vm.vm_id);
  REQUIRE(vm.pid > 0);
  const std::string pid = std::to_string(vm.pid);
  REQUIRE(slurp("/proc/" + pid + "/cmdline").find("qemu-system") != std::string::npos);
  auto status = proc_status(vm.pid);
  CHECK(status["Seccomp"] == "2");
  CHECK(status["NoNewPrivs"] == "1");
  for (const char* key : {"Uid", "Gid"}) {
    std::istringstream ids(status[key]);
    int id = -1, n = 0;
    while (ids >> id) {
      CHECK_MESSAGE(id != 0, key);
      ++n;
    }
    CHECK(n == 4);
  }
  CHECK(trimmed(status["Groups"]).empty());
  for (const char* key : {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"}) {
    CHECK_MESSAGE(status[key] == "0000000000000000", key);
  }

  for (const char* ns : {"mnt", "pid", "ipc"}) CHECK_MESSAGE(ns_of(pid, ns) != ns_of("self", ns), ns);
  // A VM with a NIC keeps the host's network (published ports on 127.0.0.1).
  CHECK((ns_of(pid, "net") == ns_of("self", "net")) == vm.network);
  // QEMU is the init of its pid namespace.
  CHECK(status["NSpid"] == pid + "\t1");

  const fs::path memory = cgroup_dir(vm.pid, "memory");
  const fs::path pids = cgroup_dir(vm.pid, "pids");
  REQUIRE(!memory.empty());
  CHECK(memory.filename() == vm.vm_id);
  CHECK(memory.parent_path().filename() == "pyro");
  const uint64_t limit = (uint64_t{vm.mem_mib} + kMemoryOverheadMib) << 20;
  const fs::path memory_file = fs::exists(memory / "memory.max") ? memory / "memory.max" : memory / "memory.limit_in_bytes";
  CHECK(trimmed(slurp(memory_file)) == std::to_string(limit));
  CHECK(trimmed(slurp(pids / "pids.max")) == std::to_string(kPidsMax));

  // Its root: nothing but the VM's own files, QEMU's binaries and a few devices.
  const fs::path root = "/proc/" + pid + "/root";
  const std::set<std::string> system = {"/usr", "/lib", "/lib64", "/lib32", "/libx32"};
  const std::set<std::string> devices = {"/dev/null", "/dev/zero", "/dev/urandom", "/dev/random", "/dev/kvm"};
  const std::string env_dir = home + "/environments/busybox";
  auto own_file = [&](const std::string& path) {
    return path.rfind(vm.run_dir.string() + "/", 0) == 0 || vm.own_files.count(path) || devices.count(path) ||
           path == "/etc/ld.so.cache" || path.rfind(env_dir + "/", 0) == 0;
  };
  // A directory is there only as the way to a file it may see.
  auto on_the_way = [&](const std::string& dir) {
    std::vector<std::string> ends(vm.own_files.begin(), vm.own_files.end());
    ends.insert(ends.end(), {vm.run_dir.string(), env_dir, "/dev/null", "/etc/ld.so.cache"});
    for (const auto& end : ends) {
      if (end == dir || end.rfind(dir == "/" ? dir : dir + "/", 0) == 0) return true;
    }
    return dir.rfind(vm.run_dir.string() + "/", 0) == 0 || dir.rfind(env_dir + "/", 0) == 0;
  };
  int seen = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec); it != fs::recursive_directory_iterator(); it.increment(ec)) {
    REQUIRE(!ec);
    const std::string inside = "/" + it->path().lexically_relative(root).string();
    CAPTURE(inside);
    if (system.count(inside)) {
      it.disable_recursion_pending();
      continue;
    }
    if (it->is_directory() && !it->is_symlink()) {
      CHECK(on_the_way(inside));
      continue;
    }
    ++seen;
    CHECK(own_file(inside));
  }
  CHECK(seen > 3);
  CHECK(!fs::exists(root / "proc"));
  // The root and the boot files are read-only, even for root coming through /proc.
  CHECK(::open((root / "planted").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600) < 0);
  CHECK(::open((root / (home.substr(1) + "/environments/busybox/vmlinux")).c_str(), O_WRONLY | O_CLOEXEC) < 0);

  // Its run dir stays root's: as QEMU's user, the host's files there cannot be replaced
  // (say, by a symlink the host would then follow) nor removed.
  struct stat dir_stat {};
  REQUIRE(::stat(vm.run_dir.c_str(), &dir_stat) == 0);
  CHECK(dir_stat.st_uid == 0);
  CHECK((dir_stat.st_mode & S_ISVTX) != 0);
  unsigned uid = 0, gid = 0;
  std::istringstream(status["Uid"]) >> uid;
  std::istringstream(status["Gid"]) >> gid;
  const pid_t attacker = ::fork();
  if (attacker == 0) {
    if (::setgroups(0, nullptr) != 0 || ::setresgid(gid, gid, gid) != 0 || ::setresuid(uid, uid, uid) != 0) ::_exit(2);
    int replaced = 0;
    for (const char* name : {"qemu.log", "console.log", "qemu.pid"}) {
      const std::string path = vm.run_dir.string() + "/" + name;
      if (::unlink(path.c_str()) == 0 || ::rename(path.c_str(), (path + ".x").c_str()) == 0) ++replaced;
    }
    ::_exit(replaced == 0 ? 0 : 1);
  }
  int attack_status = 0;
  REQUIRE(::waitpid(attacker, &attack_status, 0) == attacker);
  CHECK(WIFEXITED(attack_status));
  CHECK(WEXITSTATUS(attack_status) == 0);

  // Descriptors: only what QEMU opened itself, besides /dev/null and its log.
  for (const auto& fd : fs::directory_iterator("/proc/" + pid + "/fd")) {
    const std::string target = fs::read_symlink(fd.path(), ec).string();
    CAPTURE(target);
    if (target.empty() || target[0] != '/') continue;  // sockets, eventfds, pipes
    CHECK(own_file(target));
  }
}

std::string clone_ram_path(int64_t pid) {
  const std::string cmdline = slurp("/proc/" + std::to_string(pid) + "/cmdline");
  auto at = cmdline.find("mem-path=");
  if (at == std::string::npos) return "";
  auto end = cmdline.find(',', at);
  return cmdline.substr(at + 9, end - at - 9);
}

// GET / from 127.0.0.1:port; the response, or "" when nothing answered in 10 s.
std::string http_get(uint32_t port) {
  int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  std::string got;
  const std::string req = "GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  if (::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::write(s, req.data(), req.size()) == static_cast<ssize_t>(req.size())) {
    char buf[4096];
    for (;;) {
      pollfd p{s, POLLIN, 0};
      if (::poll(&p, 1, 10000) <= 0) break;
      ssize_t n = ::read(s, buf, sizeof buf);
      if (n <= 0) break;
      got.append(buf, static_cast<size_t>(n));
    }
  }
  ::close(s);
  return got;
}

pyro::ClientOptions options_of(const std::string& snapshots, const std::string& jail, const std::string& guest_dir = "") {
  pyro::ClientOptions o;
  o.snapshots = snapshots;
  o.jail = jail;
  o.guest_dir = guest_dir;
  return o;
}

bool is_clone(int64_t pid) {
  return slurp("/proc/" + std::to_string(pid) + "/cmdline").find(std::string("-incoming\0defer", 15)) != std::string::npos;
}

}  // namespace

TEST_CASE("an ephemeral VMM and a snapshot clone run jailed") {
  if (::geteuid() != 0) {
    MESSAGE("skipped: the jail's layers need root");
    return;
  }
  SUBCASE("cold boot") {
    pyro::Pyro client(options_of("0", "strict"));
    auto vm = client.start_vm(client.create_vm("busybox").vm_id);
    REQUIRE(!is_clone(vm.pid));
    check_jailed({vm.pid, vm.vm_id, vm.mem_mib, false, fs::path(client.home()) / "run" / vm.vm_id, {}}, client.home());
    CHECK(client.exec_vm(vm.vm_id, "echo jailed").stdout_data == "jailed\n");
  }
  SUBCASE("snapshot clone") {
    pyro::Pyro client(options_of("1", "strict"));
    client.start_vm(client.create_vm("busybox").vm_id);  // makes sure a template exists
    auto vm = client.start_vm(client.create_vm("busybox").vm_id);
    REQUIRE(is_clone(vm.pid));
    const std::string ram = clone_ram_path(vm.pid);
    REQUIRE(ram.rfind(client.home() + "/templates/", 0) == 0);
    check_jailed({vm.pid, vm.vm_id, vm.mem_mib, false, fs::path(client.home()) / "run" / vm.vm_id, {ram}},
                 client.home());
    CHECK(client.exec_vm(vm.vm_id, "echo cloned").stdout_data == "cloned\n");
  }
}

TEST_CASE("a workspace VMM runs jailed; its published port still serves on 127.0.0.1") {
  if (::geteuid() != 0) {
    MESSAGE("skipped: the jail's layers need root");
    return;
  }
  using pyro_test::client;
  pyro_test::WorkspaceGuard guard;
  pyro::WorkspaceOptions options;
  options.network_policy = pyro::NetworkPolicy::kEgressPublishedPorts;
  auto ws = client().create_workspace("busybox", options);
  guard.id = ws.workspace_id;
  const fs::path dir = fs::path(client().home()) / "workspaces" / ws.workspace_id;
  std::set<std::string> own = {(dir / "disk.ext4").string()};
  if (ws.start_mode == "clone") own.insert(clone_ram_path(ws.pid));
  check_jailed({ws.pid, ws.workspace_id, ws.mem_mib, true, dir / "run", own}, client().home());

  client().write_workspace_file(ws.workspace_id, "www/index.html", "hello from the jail\n");
  pyro::ServiceOptions service;
  service.readiness.type = "http";
  service.readiness.url = "http://127.0.0.1:8080/";
  service.readiness.timeout_seconds = 20;
  service.published_ports = {8080};
  auto web = client().start_service(ws.workspace_id, "web", "busybox httpd -f -p 0.0.0.0:8080 -h /workspace/www",
                                    service);
  REQUIRE(web.published_ports.size() == 1);
  CHECK(web.published_ports[0].host == "127.0.0.1");
  const std::string response = http_get(web.published_ports[0].host_port);
  CHECK(response.find("200") != std::string::npos);
  CHECK(response.find("hello from the jail") != std::string::npos);
  // Another client (as another process would) finds the same VMM and drives it.
  pyro::Pyro other;
  CHECK(other.status_workspace(ws.workspace_id).pid == ws.pid);
  CHECK(other.exec_workspace(ws.workspace_id, "cat /workspace/www/index.html").stdout_data == "hello from the jail\n");
}

TEST_CASE("strict mode fails clearly when a layer is unavailable; best-effort skips it") {
  // A guest-tools directory without pyro-jailer takes every layer but seccomp away.
  pyro_test::TempDir tools;
  // The build tree's guest tools; the sanitizer build has no agent of its own and
  // points PYRO_GUEST_DIR at the main build's.
  const char* guest_dir = std::getenv("PYRO_GUEST_DIR");
  const fs::path source = guest_dir != nullptr && *guest_dir != '\0' ? guest_dir : PYRO_TEST_GUEST_DIR;
  fs::create_directories(tools.path / "scripts");
  fs::create_directories(tools.path / "initramfs");
  fs::copy_file(source / "pyro-agent", tools.path / "pyro-agent");
  fs::copy_file(source / "scripts" / "build-bootset.sh", tools.path / "scripts" / "build-bootset.sh");
  fs::copy_file(source / "initramfs" / "init", tools.path / "initramfs" / "init");
  REQUIRE(!fs::exists(tools.path / "pyro-jailer"));

  pyro::Pyro strict(options_of("0", "strict", tools.path.string()));
  auto vm = strict.create_vm("busybox");
  try {
    strict.start_vm(vm.vm_id);
    FAIL("a strict jail started a VM without pyro-jailer");
  } catch (const pyro::Error& e) {
    CHECK(e.code() == pyro::ErrorCode::kUnavailable);
    CHECK(std::string(e.what()).find("layer `no_new_privs` is unavailable: pyro-jailer not found") != std::string::npos);
  }
  bool strict_failed = false;
  for (const auto& c : strict.doctor().checks) {
    if (c.name == "jail uid" && !c.ok) strict_failed = true;
  }
  CHECK(strict_failed);

  pyro::Pyro lenient(options_of("0", "best-effort", tools.path.string()));
  auto started = lenient.start_vm(lenient.create_vm("busybox").vm_id);
  auto status = proc_status(started.pid);
  CHECK(status["Seccomp"] == "2");  // QEMU's own sandbox needs no jailer
  CHECK(status["Uid"].rfind("0\t", 0) == 0);  // no jailer: no uid switch...
  CHECK(ns_of(std::to_string(started.pid), "mnt") == ns_of("self", "mnt"));  // ...and no namespaces
  CHECK(lenient.exec_vm(started.vm_id, "echo still").stdout_data == "still\n");
}

TEST_CASE("pyro doctor run by a non-root user reports the layers it cannot have") {
#ifdef PYRO_TEST_CLI
  if (::geteuid() != 0 || ::access("/usr/bin/setpriv", X_OK) != 0) {
    MESSAGE("skipped: needs root and setpriv to become another user");
    return;
  }
  pyro_test::TempDir home;
  fs::permissions(home.path, fs::perms::all);
  const fs::path out = home.path / "doctor.txt";
  const std::string cmd = "PYRO_HOME=" + home.path.string() + " PYRO_JAIL=strict /usr/bin/setpriv --reuid=65534 --regid=65534 --clear-groups " +
                          PYRO_TEST_CLI + " doctor > " + out.string() + " 2>&1";
  const int rc = std::system(cmd.c_str());
  const std::string report = slurp(out);
  CAPTURE(report);
  CHECK(WEXITSTATUS(rc) == 1);
  CHECK(report.find("mode strict") != std::string::npos);
  CHECK(report.find("FAIL  jail uid") != std::string::npos);
  CHECK(report.find("not running as root (euid 65534)") != std::string::npos);
  CHECK(report.find("ok    jail seccomp") != std::string::npos);
#else
  MESSAGE("skipped: the CLI is not built");
#endif
}
