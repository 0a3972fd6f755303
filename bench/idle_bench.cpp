// idle_bench.cpp — idle workspaces, through pyro::Pyro and /proc only.
//
// idle_workspace_cpu_pct        the VMM's CPU (user+system) over the idle spell, % of one core
// idle_workspace_wakeups_per_s  voluntary context switches of all the VMM's threads per second
// idle_workspace_pss_mib        the VMM's PSS at the end of the idle spell
// idle_first_exec_ms            exec_workspace("true") right after the idle spell
//
// Each value is one workspace; all of them are idle at once, so they share the host's
// conditions. The numbers cover the VMM only (the jailer and console keeper sleep).
#include "idle_bench.hpp"

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "bench_stats.hpp"
#include "workspace_guard.hpp"
#include "pyro/pyro.hpp"

namespace pyro_bench {
namespace {

struct ProcSample {
  double cpu_ticks = 0;  // utime + stime
  double wakeups = 0;    // voluntary context switches, summed over the threads
};

ProcSample sample(int64_t pid) {
  ProcSample s;
  std::ifstream stat(fmt::format("/proc/{}/stat", pid));
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const auto close = text.rfind(')');
  if (close == std::string::npos) throw std::runtime_error(fmt::format("read /proc/{}/stat", pid));
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14 || i == 15) s.cpu_ticks += std::stod(field);
  }
  for (const auto& task : std::filesystem::directory_iterator(fmt::format("/proc/{}/task", pid))) {
    std::ifstream status(task.path() / "status");
    std::string line;
    while (std::getline(status, line)) {
      if (line.rfind("voluntary_ctxt_switches:", 0) == 0) s.wakeups += std::stod(line.substr(24));
    }
  }
  return s;
}

double pss_mib(int64_t pid) {
  std::ifstream in(fmt::format("/proc/{}/smaps_rollup", pid));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("Pss:", 0) == 0) return std::stod(line.substr(4)) / 1024.0;
  }
  return 0;
}

}  // namespace

nlohmann::json run_idle_series(const std::string& environment, int count, int seconds) {
  pyro::Pyro client;
  std::vector<std::unique_ptr<WorkspaceGuard>> workspaces;
  std::vector<int64_t> pids;
  for (int i = 0; i < count; ++i) {
    auto info = client.create_workspace(environment);
    workspaces.push_back(std::make_unique<WorkspaceGuard>(client, info.workspace_id));
    if (client.exec_workspace(info.workspace_id, "true").exit_code != 0) {
      throw std::runtime_error("idle series: `true` failed in a new workspace");
    }
    pids.push_back(client.status_workspace(info.workspace_id).pid);
  }
  std::vector<ProcSample> before;
  for (int64_t pid : pids) before.push_back(sample(pid));
  const auto t0 = Clock::now();
  std::this_thread::sleep_for(std::chrono::seconds(seconds));  // the idle spell being measured
  const double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
  const double ticks_per_s = static_cast<double>(::sysconf(_SC_CLK_TCK));
  std::vector<double> cpu, wakeups, pss, first_exec;
  for (size_t i = 0; i < pids.size(); ++i) {
    const ProcSample after = sample(pids[i]);
    cpu.push_back(100.0 * (after.cpu_ticks - before[i].cpu_ticks) / ticks_per_s / elapsed);
    wakeups.push_back((after.wakeups - before[i].wakeups) / elapsed);
    pss.push_back(pss_mib(pids[i]));
  }
  for (const auto& ws : workspaces) {
    const auto t = Clock::now();
    client.exec_workspace(ws->id(), "true");
    first_exec.push_back(ms_since(t));
  }
  return {
      {"idle_workspaces", count},
      {"idle_seconds", seconds},
      {"idle_workspace_cpu_pct", summarize(cpu)},
      {"idle_workspace_wakeups_per_s", summarize(wakeups)},
      {"idle_workspace_pss_mib", summarize(pss)},
      {"idle_first_exec_ms", summarize(first_exec)},
  };
}

}  // namespace pyro_bench
