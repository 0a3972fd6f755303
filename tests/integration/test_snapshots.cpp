// Starting VMs as clones of a snapshot template, through the public API, on real
// VMs (busybox environment). See docs/snapshots.md.
#include <doctest/doctest.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "pyro/pyro.hpp"

namespace {
namespace fs = std::filesystem;

pyro::Pyro& snap_client() {
  static pyro::Pyro instance(pyro::ClientOptions{.snapshots = "1"});
  return instance;
}

pyro::Pyro& cold_client() {
  static pyro::Pyro instance(pyro::ClientOptions{.snapshots = "0"});
  return instance;
}

// Complete template directories (ram, state and meta.json present).
std::vector<fs::path> templates() {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(fs::path(snap_client().home()) / "templates", ec)) {
    if (e.path().filename().string().find('.') != std::string::npos) continue;
    if (fs::exists(e.path() / "state") && fs::exists(e.path() / "ram") && fs::exists(e.path() / "meta.json")) {
      out.push_back(e.path());
    }
  }
  return out;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Starts a VM of the default shape and returns its info.
pyro::VmInfo started(pyro::Pyro& client) {
  auto vm = client.create_vm("busybox");
  return client.start_vm(vm.vm_id);
}

// What tells a clone from a cold boot is what the guest reports, not how long the
// start took: the kernel's boot_id is made once per boot, so every clone of a
// template has the template's, and every cold boot a fresh one.
constexpr const char* kBootId = "cat /proc/sys/kernel/random/boot_id";

// The boot_id of a fresh cold boot (the VM is deleted after).
std::string cold_boot_id() {
  auto info = started(cold_client());
  auto r = cold_client().exec_vm(info.vm_id, kBootId);
  REQUIRE(r.exit_code == 0);
  return r.stdout_data;
}

struct Identity {
  std::string random, hostname, machine_id, boot_id;
  long clock = 0;
};

// Runs the identity probe in `vm_id` (exec_vm deletes the VM after).
Identity identity_of(pyro::Pyro& client, const std::string& vm_id) {
  auto r = client.exec_vm(vm_id,
                          "head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \\n'; echo; hostname; "
                          "cat /etc/machine-id; date +%s; " + std::string(kBootId));
  REQUIRE(r.exit_code == 0);
  std::istringstream lines(r.stdout_data);
  Identity id;
  std::string clock;
  std::getline(lines, id.random);
  std::getline(lines, id.hostname);
  std::getline(lines, id.machine_id);
  std::getline(lines, clock);
  std::getline(lines, id.boot_id);
  id.boot_id += "\n";
  id.clock = std::stol(clock);
  return id;
}

}  // namespace

TEST_CASE("snapshots: the first start creates a template and a clone runs commands") {
  auto first = started(snap_client());  // creates the template unless one exists
  snap_client().delete_vm(first.vm_id);
  REQUIRE(templates().size() >= 1);

  auto vm = started(snap_client());
  auto other = started(snap_client());
  CHECK(vm.state == pyro::VmState::kRunning);
  auto r = snap_client().exec_vm(vm.vm_id, "echo out; echo err >&2; uname -r; " + std::string(kBootId) + "; exit 3");
  CHECK(r.exit_code == 3);
  CHECK(r.stdout_data.rfind("out\n", 0) == 0);
  CHECK(r.stdout_data.find("cloud-amd64") != std::string::npos);
  CHECK(r.stderr_data == "err\n");
  // A clone, not a cold boot: the boot_id of another clone, not the one of a cold boot.
  const std::string boot_id = r.stdout_data.substr(r.stdout_data.rfind('\n', r.stdout_data.size() - 2) + 1);
  CHECK(boot_id.size() == 37);
  CHECK(boot_id == snap_client().exec_vm(other.vm_id, kBootId).stdout_data);
  CHECK(boot_id != cold_boot_id());
}

TEST_CASE("snapshots: clones get their own RNG, hostname, machine-id and the host's clock") {
  auto a = started(snap_client());
  auto b = started(snap_client());
  // The guest's clock is read between these two host readings (1 s resolution).
  const long before = static_cast<long>(std::time(nullptr));
  Identity ia = identity_of(snap_client(), a.vm_id);
  Identity ib = identity_of(snap_client(), b.vm_id);
  const long after = static_cast<long>(std::time(nullptr));
  // Both are clones (one boot_id, the template's), not cold boots.
  CHECK(ia.boot_id.size() == 37);
  CHECK(ia.boot_id == ib.boot_id);
  CHECK(ia.boot_id != cold_boot_id());
  CHECK(ia.random.size() == 32);
  CHECK(ia.random != ib.random);
  CHECK(ia.hostname == "pyro-" + a.vm_id.substr(a.vm_id.size() - 8));
  CHECK(ib.hostname == "pyro-" + b.vm_id.substr(b.vm_id.size() - 8));
  CHECK(ia.machine_id.size() == 32);
  CHECK(ia.machine_id != ib.machine_id);
  CHECK(ia.clock >= before - 1);
  CHECK(ia.clock <= after + 1);
  CHECK(ib.clock >= before - 1);
  CHECK(ib.clock <= after + 1);
}

TEST_CASE("snapshots: what one clone writes, another does not see, nor the template") {
  REQUIRE(!templates().empty());
  std::set<std::string> ram_before;
  for (const auto& t : templates()) {
    ram_before.insert(t.string() + "@" + std::to_string(fs::last_write_time(t / "ram").time_since_epoch().count()));
  }
  auto a = started(snap_client());
  auto b = started(snap_client());
  auto wrote = snap_client().exec_vm(a.vm_id, "echo secret-a > /tmp/state; echo hi > /root/x; sync; cat /tmp/state");
  CHECK(wrote.stdout_data == "secret-a\n");
  auto read = snap_client().exec_vm(b.vm_id, "cat /tmp/state /root/x");
  CHECK(read.exit_code != 0);
  CHECK(read.stdout_data.empty());
  std::set<std::string> ram_after;
  for (const auto& t : templates()) {
    ram_after.insert(t.string() + "@" + std::to_string(fs::last_write_time(t / "ram").time_since_epoch().count()));
  }
  CHECK(ram_before == ram_after);  // MAP_PRIVATE: clones never write the template's RAM
}

TEST_CASE("snapshots: off still boots cold and works") {
  auto r = cold_client().run_in_vm("busybox", "echo cold");
  CHECK(r.exit_code == 0);
  CHECK(r.stdout_data == "cold\n");
  CHECK(cold_boot_id() != cold_boot_id());  // each start a boot of its own
}

TEST_CASE("snapshots: a corrupt template falls back to a cold boot and is recreated") {
  auto first = started(snap_client());  // make sure a template exists
  snap_client().delete_vm(first.vm_id);
  auto before = templates();
  REQUIRE(!before.empty());
  std::map<std::string, std::string> old_meta;
  for (const auto& t : before) {
    old_meta[t.string()] = slurp(t / "meta.json");
    fs::resize_file(t / "state", 100);  // truncated: QEMU refuses to load it
  }

  auto fallback = started(snap_client());  // must not fail
  CHECK(fallback.state == pyro::VmState::kRunning);
  auto r = snap_client().exec_vm(fallback.vm_id, "echo survived");
  CHECK(r.stdout_data == "survived\n");

  auto again = started(snap_client());  // recreates the template, then clones it
  snap_client().delete_vm(again.vm_id);
  auto clone = started(snap_client());
  auto twin = started(snap_client());
  auto fine = snap_client().exec_vm(clone.vm_id, "echo fine; " + std::string(kBootId));
  REQUIRE(fine.stdout_data.rfind("fine\n", 0) == 0);
  // Clones of the recreated template: one boot_id between them, not a cold boot's.
  const std::string boot_id = fine.stdout_data.substr(5);
  CHECK(boot_id.size() == 37);
  CHECK(boot_id == snap_client().exec_vm(twin.vm_id, kBootId).stdout_data);
  CHECK(boot_id != cold_boot_id());
  bool replaced = false;
  for (const auto& t : templates()) {
    auto it = old_meta.find(t.string());
    if (it == old_meta.end() || it->second == slurp(t / "meta.json")) continue;  // another shape
    replaced = true;
    CHECK(fs::file_size(t / "state") > 100);
  }
  CHECK(replaced);
}
