// pyro_bench: measures the engine on real VMs and prints one JSON object.
//
//   pyro_bench [--runs N] [--pings N] [--environment NAME] [--only engine|workspace|service|idle]
//              [--idle N] [--idle-seconds S]
//
// Without --only, every group runs (engine first). Engine series:
// cold_boot_ms          VMM start to the agent's hello (fresh VM each run)
// cold_first_exec_ms    Vm::start (cold) + the first exec of `true`
// template_create_ms    first snapshot start of the shape: cold boot, save, then a clone
// clone_start_ms        Vm::start from the snapshot template: VMM start, restore, agent ready
// *_unjailed_ms         the same with PYRO_JAIL=off, interleaved (the jail's cost, docs/jail.md)
// clone_first_exec_ms   Vm::start (clone) + the first exec of `true`
// clone_speedup         cold_first_exec p50 / clone_first_exec p50
// run_in_vm_true_ms     Pyro::run_in_vm("true") end to end: create, boot, exec, delete
// exec_true_ms          one exec of `true` on a running VM
// agent_ping_ms         round trip of the agent no-op on a running VM
// rss_mib / pss_mib     the VMM's memory one second after boot, idle
// Workspace series (workspace_*): see workspace_bench.cpp; services and shells
// (service_*, shell_*): see service_bench.cpp. Idle series (idle_*: --idle workspaces,
// default 4, idle for --idle-seconds, default 30): see idle_bench.cpp.
// Each series reports n, min, p50, p95, max. Links lib/ internals (bench only).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "backend/backend.hpp"
#include "backend/qemu/jail.hpp"
#include "bench_stats.hpp"
#include "env/catalog.hpp"
#include "pyro/pyro.hpp"
#include "runtime/accelerator.hpp"
#include "runtime/home.hpp"
#include "runtime/vm.hpp"
#include "service_bench.hpp"
#include "idle_bench.hpp"
#include "workspace_bench.hpp"

namespace {
using pyro::detail::Vm;
using pyro_bench::Clock;
using pyro_bench::ms_since;
using pyro_bench::summarize;

// Reads a "Key:   123 kB" line from a /proc file, in MiB.
double proc_kib_field(const std::string& path, const std::string& key) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + ":", 0) == 0) return std::stod(line.substr(key.size() + 1)) / 1024.0;
  }
  return 0;
}

// VM engine series through lib/ internals: cold boots, clones, exec, ping, memory.
nlohmann::json run_engine_series(const std::string& env, int runs, int pings) {
  const std::string home = pyro::detail::resolve_home("");
  pyro::detail::Catalog catalog(home);
  const auto boot = catalog.resolve(env);
  const std::string qemu = std::getenv("PYRO_QEMU") ? std::getenv("PYRO_QEMU") : "";
  // The jail as configured ($PYRO_JAIL, else best-effort), and none, to measure its cost.
  auto backend = pyro::detail::make_qemu_backend(qemu, pyro::detail::jail_settings("", ""));
  auto unjailed = pyro::detail::make_qemu_backend(qemu, pyro::detail::jail_settings("off", ""));
  const char* requested = std::getenv("PYRO_ACCEL");
  auto choice = pyro::detail::choose_accelerator(
      requested && *requested ? requested : "auto", *backend, [&](pyro::detail::Accelerator a) {
        auto probe = std::make_unique<Vm>(pyro::VmInfo{.vm_id = pyro::detail::new_vm_id(),
                                                       .environment = env, .vcpu_count = 1,
                                                       .mem_mib = 256},
                                          boot, home);
        probe->start(*backend, a, std::chrono::seconds(15));
      });
  const auto timeout = std::chrono::seconds(60);

  auto new_info = [&] {
    return pyro::VmInfo{.vm_id = pyro::detail::new_vm_id(), .environment = env, .vcpu_count = 1,
                        .mem_mib = 256};
  };
  std::vector<double> cold, cold_first_exec, rss, pss, ping, exec_true, run_true, cold_unjailed;
  for (int i = 0; i < runs; ++i) {
    {
      Vm plain(new_info(), boot, home);
      plain.start(*unjailed, choice.accelerator, timeout);
      cold_unjailed.push_back(static_cast<double>(plain.info().boot_ms));
    }
    Vm vm(new_info(), boot, home);
    auto t0 = Clock::now();
    vm.start(*backend, choice.accelerator, timeout);
    vm.exec("true", {});
    cold_first_exec.push_back(ms_since(t0));
    auto started = vm.info();
    cold.push_back(static_cast<double>(started.boot_ms));
    if (i == 0) {
      std::this_thread::sleep_for(std::chrono::seconds(1));
      auto status = "/proc/" + std::to_string(started.pid) + "/status";
      auto rollup = "/proc/" + std::to_string(started.pid) + "/smaps_rollup";
      rss.push_back(proc_kib_field(status, "VmRSS"));
      pss.push_back(proc_kib_field(rollup, "Pss"));
      for (int p = 0; p < 10; ++p) vm.ping();  // warm-up
      for (int p = 0; p < pings; ++p) {
        auto t = Clock::now();
        vm.ping();
        ping.push_back(ms_since(t));
      }
      for (int p = 0; p < std::max(20, runs); ++p) {
        auto t = Clock::now();
        vm.exec("true", {});
        exec_true.push_back(ms_since(t));
      }
    }
    vm.stop();
  }
  // Snapshot clones: the first start creates the template (unless one exists).
  std::vector<double> template_create, clone_start, clone_first_exec, clone_unjailed;
  if (boot.environment_sha256.empty()) throw std::runtime_error("the environment has no content hash");
  {
    Vm vm(new_info(), boot, home, /*snapshots=*/true);
    auto t0 = Clock::now();
    vm.start(*backend, choice.accelerator, timeout);
    template_create.push_back(ms_since(t0));
  }
  for (int i = 0; i < runs; ++i) {
    Vm vm(new_info(), boot, home, /*snapshots=*/true);
    auto t0 = Clock::now();
    vm.start(*backend, choice.accelerator, timeout);
    clone_start.push_back(ms_since(t0));
    auto r = vm.exec("true", {});
    clone_first_exec.push_back(ms_since(t0));
    if (vm.start_mode() != "clone") throw std::runtime_error("a snapshot start booted cold");
    if (r.exit_code != 0) throw std::runtime_error("`true` exited non-zero in a clone");
    Vm plain(new_info(), boot, home, /*snapshots=*/true);
    auto t1 = Clock::now();
    plain.start(*unjailed, choice.accelerator, timeout);
    clone_unjailed.push_back(ms_since(t1));
    if (plain.start_mode() != "clone") throw std::runtime_error("an unjailed snapshot start booted cold");
  }
  auto p50 = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[(v.size() - 1) / 2];
  };
  const double speedup = p50(cold_first_exec) / p50(clone_first_exec);

  pyro::Pyro client;
  for (int i = 0; i < runs; ++i) {
    auto t = Clock::now();
    auto r = client.run_in_vm(env, "true");
    if (r.exit_code != 0) throw std::runtime_error("`true` exited non-zero");
    run_true.push_back(ms_since(t));
  }
  return {
      {"environment", env},
      {"accelerator", pyro::detail::accelerator_name(choice.accelerator)},
      {"accelerator_reason", choice.reason},
      {"qemu", backend->version()},
      {"cold_boot_ms", summarize(cold)},
      {"cold_boot_unjailed_ms", summarize(cold_unjailed)},
      {"cold_first_exec_ms", summarize(cold_first_exec)},
      {"template_create_ms", summarize(template_create)},
      {"clone_start_ms", summarize(clone_start)},
      {"clone_start_unjailed_ms", summarize(clone_unjailed)},
      {"clone_first_exec_ms", summarize(clone_first_exec)},
      {"clone_speedup", std::round(speedup * 10) / 10},
      {"run_in_vm_true_ms", summarize(run_true)},
      {"exec_true_ms", summarize(exec_true)},
      {"agent_ping_ms", summarize(ping)},
      {"rss_mib", summarize(rss)},
      {"pss_mib", summarize(pss)},
  };
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 10;
  int pings = 200;
  std::string env = "busybox";
  int idle = 4;
  int idle_seconds = 30;
  std::string only;  // empty: every group
  const auto is_group = [](const std::string& g) {
    return g == "engine" || g == "workspace" || g == "service" || g == "idle";
  };
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--runs" && i + 1 < argc) runs = std::max(1, std::atoi(argv[++i]));
    else if (a == "--idle" && i + 1 < argc) idle = std::max(1, std::atoi(argv[++i]));
    else if (a == "--idle-seconds" && i + 1 < argc) idle_seconds = std::max(1, std::atoi(argv[++i]));
    else if (a == "--pings" && i + 1 < argc) pings = std::max(1, std::atoi(argv[++i]));
    else if (a == "--environment" && i + 1 < argc) env = argv[++i];
    else if (a == "--only" && i + 1 < argc && is_group(argv[i + 1])) only = argv[++i];
    else {
      std::fprintf(stderr,
                   "usage: pyro_bench [--runs N] [--pings N] [--environment NAME] "
                   "[--only engine|workspace|service|idle] [--idle N] [--idle-seconds S]\n");
      return 64;
    }
  }
  try {
    nlohmann::json out = {{"environment", env}};
    if (only.empty() || only == "engine") out.update(run_engine_series(env, runs, pings));
    if (only.empty() || only == "workspace") out.update(pyro_bench::run_workspace_series(env, runs));
    if (only.empty() || only == "service") out.update(pyro_bench::run_service_series(env, runs));
    if (only.empty() || only == "idle") out.update(pyro_bench::run_idle_series(env, idle, idle_seconds));
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "pyro_bench: %s\n", e.what());
    return 1;
  }
}
