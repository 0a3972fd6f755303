// A hostile guest on real VMs: a root process in the workspace VM that tries to
// take the agent's channel (by racing it for the port, and by force) and then
// serves forged replies. Afterwards the host must be untouched (a canary directory
// compared file by file), nothing unbounded written, and every call either failed
// with a clear error or returned a bounded result.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include "../wait_until.hpp"
#include "pyro/pyro.hpp"
#include "workspace_test_support.hpp"

#ifdef PYRO_HOSTILE_GUEST_BINARY

namespace fs = std::filesystem;

namespace {

using pyro_test::client;
using pyro_test::code_of;
using pyro_test::slurp;
using pyro_test::TempDir;
using pyro_test::WorkspaceGuard;

// Every entry below `root` (not following symlinks): type, mode, size and content.
std::map<std::string, std::string> snapshot(const fs::path& root) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    struct stat st {};
    REQUIRE(::lstat(e.path().c_str(), &st) == 0);
    std::string what = std::to_string(st.st_mode) + " " + std::to_string(st.st_size);
    if (S_ISREG(st.st_mode)) what += " " + slurp(e.path());
    if (S_ISLNK(st.st_mode)) what += " -> " + fs::read_symlink(e.path()).string();
    out[fs::relative(e.path(), root).string()] = what;
  }
  return out;
}

// Whether a process whose command line names `workspace_id` (its VMM: the run
// directory is on it) is still running.
bool vmm_alive(const std::string& workspace_id) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/proc", ec)) {
    if (slurp(e.path() / "cmdline").find(workspace_id) != std::string::npos) return true;
  }
  return false;
}

// The TCP listeners on 127.0.0.1 held by the processes whose command line names
// `workspace_id` (its VMM): the workspace's published ports (slirp hostfwd sockets).
size_t vmm_loopback_listeners(const std::string& workspace_id) {
  std::set<std::string> inodes;
  std::set<fs::path> tcp_tables;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/proc", ec)) {
    if (slurp(e.path() / "cmdline").find(workspace_id) == std::string::npos) continue;
    std::error_code fd_ec;
    for (const auto& fd : fs::directory_iterator(e.path() / "fd", fd_ec)) {
      std::error_code link_ec;
      const std::string target = fs::read_symlink(fd.path(), link_ec).string();
      if (target.rfind("socket:[", 0) == 0) inodes.insert(target.substr(8, target.size() - 9));
    }
    tcp_tables.insert(e.path() / "net" / "tcp");  // the VMM's network namespace, whichever it is
  }
  std::set<std::string> listening;
  for (const auto& table : tcp_tables) {
    std::istringstream in(slurp(table));
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout, inode;
      fields >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >> timeout >> inode;
      if (state == "0A" && local.rfind("0100007F:", 0) == 0 && inodes.count(inode) != 0) listening.insert(inode);
    }
  }
  return listening.size();
}

pyro::WorkspaceOptions seeded(const fs::path& seed) {
  pyro::WorkspaceOptions options;
  options.seed_path = seed.string();
  return options;
}

pyro::ExecOptions exec_options(double timeout_seconds, uint64_t max_output_bytes) {
  pyro::ExecOptions options;
  options.timeout_seconds = timeout_seconds;
  options.max_output_bytes = max_output_bytes;
  return options;
}

// A seed directory holding the attacker program.
void seed_with_attacker(const fs::path& seed) {
  fs::copy_file(PYRO_HOSTILE_GUEST_BINARY, seed / "attacker");
  fs::permissions(seed / "attacker", fs::perms(0755));
  std::ofstream(seed / "real.txt") << "real content\n";
}

// Starts the attacker in its own session, so it outlives the exec that starts it.
void start_attacker(const std::string& ws, const std::string& args) {
  auto r = client().exec_workspace(ws, "setsid /workspace/attacker " + args + " </dev/null >/dev/null 2>&1 &");
  REQUIRE(r.exit_code == 0);
}

// Until the attacker answers in the agent's place (the real agent runs the
// command, which does not exist: exit 127).
void wait_until_stolen(const std::string& ws) {
  // Until the attacker answers in the agent's place (the real agent runs the
  // command, which does not exist: exit 127).
  const bool taken = pyro::test::poll_until(
      [&] {
        pyro::ExecResult r;
        try {
          r = client().exec_workspace(ws, "hostile-status", exec_options(2, 1u << 20));
        } catch (const pyro::Error& e) {
          MESSAGE("while the attacker takes over: " << e.what());
        }
        return r.stdout_data == "stolen\n";
      },
      std::chrono::seconds(240), std::chrono::milliseconds(500));
  if (!taken) {
    std::string why;
    try {
      why = client().read_workspace_file(ws, "steal.txt").content;
    } catch (const pyro::Error& e) {
      why = e.what();
    }
    FAIL("the attacker never took the channel: " << why);
  }
}

}  // namespace

TEST_CASE("hostile guest: a process spinning on open() never gets the agent port") {
  TempDir seed;
  TempDir host;
  seed_with_attacker(seed.path);
  auto ws = client().create_workspace("busybox", seeded(seed.path));
  WorkspaceGuard guard{ws.workspace_id};
  start_attacker(ws.workspace_id, "spin-open /workspace/spin.txt 60");

  // The attacker's own counts, as it last wrote them.
  auto counts = [&] {
    try {
      return client().read_workspace_file(ws.workspace_id, "spin.txt").content;
    } catch (const pyro::Error& e) {
      if (e.code() != pyro::ErrorCode::kNotFound) throw;
      return std::string();
    }
  };
  auto attempts_in = [](const std::string& report) {
    const size_t at = report.find("attempts=");
    return at == std::string::npos ? 0L : std::stol(report.substr(at + 9));
  };
  std::string first;
  pyro::test::wait_until([&] { return attempts_in(first = counts()) != 0; }, std::chrono::seconds(120),
                         "the attacker to report its first attempts", std::chrono::milliseconds(200));

  // While it spins, host connections come and go (each call is one); the agent
  // holds its port throughout, and every answer is the real one.
  for (int i = 0; i < 6; ++i) {
    auto r = client().exec_workspace(ws.workspace_id, "echo real-" + std::to_string(i));
    CHECK(r.stdout_data == "real-" + std::to_string(i) + "\n");
  }
  auto exported = client().export_workspace(ws.workspace_id, "real.txt", (host.path / "real.txt").string());
  CHECK(exported.files == 1);
  CHECK(slurp(host.path / "real.txt") == "real content\n");

  std::string last;
  pyro::test::wait_until([&] { return attempts_in(last = counts()) > attempts_in(first); }, std::chrono::seconds(120),
                         "the attacker to report more attempts (it stopped reporting?)",
                         std::chrono::milliseconds(200));
  MESSAGE("attacker before: " << first << "; after: " << last);
  CHECK(last.find(" success=0 ") != std::string::npos);
  CHECK(last.find(" other=0 ") != std::string::npos);  // every refusal was EBUSY
}

TEST_CASE("hostile guest: an attacker that took the agent's channel by force cannot touch the host") {
  TempDir seed;
  TempDir host;
  const fs::path canary = host.path / "canary";
  const fs::path exports = host.path / "exports";
  fs::create_directories(canary / "sub");
  fs::create_directory(exports);
  std::ofstream(canary / "keep.txt") << "canary\n";
  std::ofstream(canary / "sub" / "deep.txt") << "deep canary\n";
  const auto canary_before = snapshot(canary);
  seed_with_attacker(seed.path);

  auto ws = client().create_workspace("busybox", seeded(seed.path));
  WorkspaceGuard guard{ws.workspace_id};
  start_attacker(ws.workspace_id, "steal " + canary.string() + " /workspace/steal.txt");

  wait_until_stolen(ws.workspace_id);

  auto nothing_written = [&](const std::string& scenario) {
    CAPTURE(scenario);
    CHECK(fs::is_empty(exports));  // no output, no staging left behind
    CHECK(snapshot(canary) == canary_before);
    for (const auto& e : fs::directory_iterator(host.path)) {
      CHECK((e.path() == canary || e.path() == exports));
    }
  };
  auto expect_error = [&](const std::string& scenario, pyro::ErrorCode expected, const std::function<void()>& call) {
    CAPTURE(scenario);
    std::string message;
    pyro::ErrorCode code = pyro::ErrorCode::kOk;
    try {
      call();
    } catch (const pyro::Error& e) {
      code = e.code();
      message = e.what();
    }
    MESSAGE(scenario << ": " << message);
    CHECK(code == expected);
    nothing_written(scenario);
  };

  // Forged manifests: escaping, absolute, through a symlink, duplicated.
  for (const char* scenario : {"escape", "absolute", "symlink", "dup"}) {
    expect_error(scenario, pyro::ErrorCode::kAgentProtocol, [&] {
      client().export_workspace(ws.workspace_id, scenario, (exports / scenario).string());
    });
  }
  expect_error("diff", pyro::ErrorCode::kAgentProtocol, [&] { client().diff_workspace(ws.workspace_id); });
  expect_error("garbage frames", pyro::ErrorCode::kAgentProtocol,
               [&] { client().exec_workspace(ws.workspace_id, "hostile-garbage"); });

  // A flood of events ends in a result all the same.
  auto events = client().exec_workspace(ws.workspace_id, "hostile-events");
  CHECK(events.stdout_data == "events-done\n");
  nothing_written("events");

  expect_error("stall", pyro::ErrorCode::kDeadlineExceeded,
               [&] { client().exec_workspace(ws.workspace_id, "hostile-stall", exec_options(1, 1u << 20)); });
  expect_error("exec flood", pyro::ErrorCode::kAgentProtocol, [&] {
    client().exec_workspace(ws.workspace_id, "hostile-flood", exec_options(30, 1024));
  });
  expect_error("read flood", pyro::ErrorCode::kAgentProtocol,
               [&] { client().read_workspace_file(ws.workspace_id, "flood", 100); });
  // A file listed as 10 bytes that streams 200 MiB.
  expect_error("bigfile", pyro::ErrorCode::kAgentProtocol, [&] {
    client().export_workspace(ws.workspace_id, "bigfile", (exports / "bigfile").string());
  });

  CHECK(vmm_alive(ws.workspace_id));
  client().delete_workspace(ws.workspace_id);
  guard.id.clear();
  for (const auto& info : client().list_workspaces()) CHECK(info.workspace_id != ws.workspace_id);
  CHECK_FALSE(vmm_alive(ws.workspace_id));
  CHECK(snapshot(canary) == canary_before);
}

TEST_CASE("hostile guest: a service_start reply of the wrong shape leaves no published port behind") {
  TempDir seed;
  TempDir canary;
  seed_with_attacker(seed.path);
  pyro::WorkspaceOptions options = seeded(seed.path);
  options.network_policy = pyro::NetworkPolicy::kEgressPublishedPorts;
  options.disk_mib = 64;
  auto ws = client().create_workspace("busybox", options);
  WorkspaceGuard guard{ws.workspace_id};

  // The count sees a published port: one while a real service holds it, none after.
  auto web = client().start_service(ws.workspace_id, "web", "sleep 600", {.published_ports = {8080}});
  REQUIRE(web.published_ports.size() == 1);
  CHECK(vmm_loopback_listeners(ws.workspace_id) == 1);
  client().stop_service(ws.workspace_id, "web");
  CHECK(vmm_loopback_listeners(ws.workspace_id) == 0);

  start_attacker(ws.workspace_id, "steal " + canary.path.string() + " /workspace/steal.txt");
  wait_until_stolen(ws.workspace_id);

  // The host adds both forwards, then the forged reply says `"state": 42`.
  pyro::ErrorCode code = pyro::ErrorCode::kOk;
  try {
    client().start_service(ws.workspace_id, "forged", "sleep 600", {.published_ports = {8080, 8081}});
  } catch (const pyro::Error& e) {
    code = e.code();
    MESSAGE("forged service_start: " << std::string(e.what()));
  }
  CHECK(code == pyro::ErrorCode::kAgentProtocol);
  CHECK(vmm_loopback_listeners(ws.workspace_id) == 0);
  CHECK(vmm_alive(ws.workspace_id));
}

#endif  // PYRO_HOSTILE_GUEST_BINARY
