// workspace_bench.cpp — workspace series of pyro_bench, through pyro::Pyro only.
//
// workspace_create_seeded_ms       create_workspace with a 1,000-file seed (returns running)
// workspace_create_first_exec_ms   the same + the first exec_workspace("true")
// workspace_create_start_modes     how many creates cloned / cold-booted
// workspace_exec_true_ms           exec_workspace("true") on a running workspace (runs*5)
// workspace_write_mib_s            write_workspace_file of a 1 MiB text file, MiB/s per call
// workspace_read_mib_s             read_workspace_file of that file, MiB/s per call
// workspace_patch_apply_ms         apply_workspace_patch: modify 2 files, create 1
// workspace_patch_reverse_ms       the reverse patch: undo both, delete the new file
// workspace_snapshot_ms            create_snapshot (the VM keeps running)
// workspace_reset_ms               reset_workspace to the baseline (restarts the VM)
// workspace_stop_ms / _start_ms    stop_workspace / start_workspace
// workspace_delete_ms              delete_workspace of a running workspace
#include "workspace_bench.hpp"

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "bench_stats.hpp"
#include "workspace_guard.hpp"
#include "pyro/pyro.hpp"

namespace pyro_bench {
namespace {

namespace fs = std::filesystem;

constexpr int kSeedDirs = 10;
constexpr int kSeedFilesPerDir = 100;
constexpr double kMiB = 1024.0 * 1024.0;

std::string seed_file_name(int dir, int file) { return fmt::format("d{}/f{:03}.txt", dir, file); }

// Four lines, about 200 bytes; line 2 is what the benchmark patch changes.
std::string seed_line(const std::string& name, int line) {
  return fmt::format("line {} of {}: the quick brown fox jumps over the lazy dog\n", line, name);
}

std::string seed_file_content(const std::string& name) {
  std::string s;
  for (int line = 1; line <= 4; ++line) s += seed_line(name, line);
  return s;
}

// A temporary host directory holding the seed, removed on every path.
class SeedDir {
 public:
  SeedDir() {
    std::string tmpl = (fs::temp_directory_path() / "pyro-bench-seed-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("create the seed directory: mkdtemp failed");
    path_ = tmpl;
    for (int d = 0; d < kSeedDirs; ++d) {
      fs::create_directory(path_ / fmt::format("d{}", d));
      for (int f = 0; f < kSeedFilesPerDir; ++f) {
        const std::string name = seed_file_name(d, f);
        std::ofstream(path_ / name, std::ios::binary) << seed_file_content(name);
      }
    }
  }
  ~SeedDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  SeedDir(const SeedDir&) = delete;
  SeedDir& operator=(const SeedDir&) = delete;
  std::string path() const { return path_.string(); }

 private:
  fs::path path_;
};

void expect_true_ok(const pyro::ExecResult& r, const char* when) {
  if (r.exit_code != 0) throw std::runtime_error(fmt::format("`true` exited {} {}", r.exit_code, when));
}

// Modifies line 2 of two seed files and creates bench/new.txt; `reverse` undoes it.
std::string bench_patch(bool reverse) {
  std::string patch;
  for (const std::string& name : {seed_file_name(0, 0), seed_file_name(1, 1)}) {
    const std::string before = seed_line(name, 2);
    const std::string after = fmt::format("line 2 of {}: patched by pyro_bench\n", name);
    patch += fmt::format("--- a/{0}\n+++ b/{0}\n@@ -1,4 +1,4 @@\n {1}-{2}+{3} {4} {5}", name,
                         seed_line(name, 1), reverse ? after : before, reverse ? before : after,
                         seed_line(name, 3), seed_line(name, 4));
  }
  const std::string added = "one\ntwo\nthree\n";
  if (reverse) {
    patch += "--- a/bench/new.txt\n+++ /dev/null\n@@ -1,3 +0,0 @@\n-one\n-two\n-three\n";
  } else {
    patch += "--- /dev/null\n+++ b/bench/new.txt\n@@ -0,0 +1,3 @@\n+one\n+two\n+three\n";
  }
  return patch;
}

// 1 MiB exactly (the API maximum) of printable lines.
std::string one_mib_text() {
  std::string s;
  s.reserve(1 << 20);
  for (int i = 0; s.size() < (1u << 20); ++i) s += fmt::format("{:08} abcdefghijklmnopqrstuvwxyz0123456789 pyro bench line\n", i);
  s.resize(1 << 20);
  s.back() = '\n';
  return s;
}

nlohmann::json by_mode(const std::map<std::string, std::vector<double>>& series) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [mode, values] : series) out[mode] = summarize(values);
  return out;
}

nlohmann::json counts(const std::map<std::string, std::vector<double>>& series) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [mode, values] : series) out[mode] = values.size();
  return out;
}

}  // namespace

nlohmann::json run_workspace_series(const std::string& environment, int runs) {
  pyro::Pyro client;
  SeedDir seed;
  const pyro::WorkspaceOptions options{.seed_path = seed.path()};

  // Create + first exec, by start mode; the last workspace is kept for the other series.
  std::vector<double> create, create_first_exec, delete_ms;
  std::map<std::string, std::vector<double>> create_first_exec_by_mode;
  std::unique_ptr<WorkspaceGuard> ws;
  std::string accelerator;
  for (int i = 0; i < runs; ++i) {
    if (ws) {
      auto t = Clock::now();
      ws->delete_now();
      delete_ms.push_back(ms_since(t));
    }
    auto t0 = Clock::now();
    auto info = client.create_workspace(environment, options);
    create.push_back(ms_since(t0));
    ws = std::make_unique<WorkspaceGuard>(client, info.workspace_id);
    expect_true_ok(client.exec_workspace(ws->id(), "true"), "after create");
    create_first_exec.push_back(ms_since(t0));
    create_first_exec_by_mode[info.start_mode].push_back(create_first_exec.back());
    accelerator = info.accelerator;
  }
  const std::string id = ws->id();

  // The seed arrived whole (the listing also holds the directories and lost+found).
  size_t seeded_files = 0;
  for (const auto& entry : client.list_workspace_files(id, "", /*recursive=*/true)) {
    seeded_files += entry.type == "file";
  }
  if (seeded_files != kSeedDirs * kSeedFilesPerDir) {
    throw std::runtime_error(fmt::format("the seeded workspace holds {} files", seeded_files));
  }

  std::vector<double> exec_true;
  for (int i = 0; i < runs * 5; ++i) {
    auto t = Clock::now();
    auto r = client.exec_workspace(id, "true");
    exec_true.push_back(ms_since(t));
    expect_true_ok(r, "on a running workspace");
  }

  const std::string text = one_mib_text();
  std::vector<double> write_mib_s, read_mib_s;
  for (int i = 0; i < runs; ++i) {
    auto t = Clock::now();
    client.write_workspace_file(id, "bench/one-mib.txt", text);
    write_mib_s.push_back(text.size() / kMiB / (ms_since(t) / 1000));
    t = Clock::now();
    auto read = client.read_workspace_file(id, "bench/one-mib.txt", pyro::WorkspaceLimits::kMaxFileReadBytes);
    read_mib_s.push_back(read.content.size() / kMiB / (ms_since(t) / 1000));
    if (read.content != text) throw std::runtime_error("read_workspace_file returned other content");
  }

  const std::string forward = bench_patch(false), reverse = bench_patch(true);
  std::vector<double> patch_apply, patch_reverse;
  for (int i = 0; i < runs; ++i) {
    auto t = Clock::now();
    auto r = client.apply_workspace_patch(id, forward);
    patch_apply.push_back(ms_since(t));
    if (!r.applied) throw std::runtime_error("the benchmark patch did not apply: " + r.summary);
    t = Clock::now();
    r = client.apply_workspace_patch(id, reverse);
    patch_reverse.push_back(ms_since(t));
    if (!r.applied) throw std::runtime_error("the reverse benchmark patch did not apply: " + r.summary);
  }

  std::vector<double> snapshot;
  for (int i = 0; i < runs; ++i) {
    const std::string name = fmt::format("bench-{}", i);
    auto t = Clock::now();
    client.create_snapshot(id, name);
    snapshot.push_back(ms_since(t));
    client.delete_snapshot(id, name);
  }

  // Each reset has something to undo; the start modes of resets and starts are counted.
  std::vector<double> reset;
  std::map<std::string, std::vector<double>> reset_by_mode, start_by_mode;
  for (int i = 0; i < runs; ++i) {
    client.write_workspace_file(id, "bench/scratch.txt", "to be reset\n");
    auto t = Clock::now();
    auto info = client.reset_workspace(id);
    reset.push_back(ms_since(t));
    reset_by_mode[info.start_mode].push_back(reset.back());
  }
  // Checked with exec, not diff_workspace: see docs/performance.md (diff of nested seeds).
  if (client.exec_workspace(id, "test ! -e bench/scratch.txt").exit_code != 0) {
    throw std::runtime_error("reset_workspace kept a file written after the baseline");
  }

  std::vector<double> stop, start;
  for (int i = 0; i < runs; ++i) {
    auto t = Clock::now();
    client.stop_workspace(id);
    stop.push_back(ms_since(t));
    t = Clock::now();
    auto info = client.start_workspace(id);
    start.push_back(ms_since(t));
    start_by_mode[info.start_mode].push_back(start.back());
  }
  expect_true_ok(client.exec_workspace(id, "true"), "after the last start");

  auto t = Clock::now();
  ws->delete_now();
  delete_ms.push_back(ms_since(t));

  nlohmann::json out = {
      {"workspace_accelerator", accelerator},
      {"workspace_seed", {{"files", kSeedDirs * kSeedFilesPerDir}, {"directories", kSeedDirs}}},
      {"workspace_create_seeded_ms", summarize(create)},
      {"workspace_create_first_exec_ms", summarize(create_first_exec)},
      {"workspace_create_start_modes", counts(create_first_exec_by_mode)},
      {"workspace_create_first_exec_ms_by_mode", by_mode(create_first_exec_by_mode)},
      {"workspace_exec_true_ms", summarize(exec_true)},
      {"workspace_write_mib_s", summarize(write_mib_s)},
      {"workspace_read_mib_s", summarize(read_mib_s)},
      {"workspace_patch_apply_ms", summarize(patch_apply)},
      {"workspace_patch_reverse_ms", summarize(patch_reverse)},
      {"workspace_snapshot_ms", summarize(snapshot)},
      {"workspace_reset_ms", summarize(reset)},
      {"workspace_reset_start_modes", counts(reset_by_mode)},
      {"workspace_stop_ms", summarize(stop)},
      {"workspace_start_ms", summarize(start)},
      {"workspace_start_modes", counts(start_by_mode)},
      {"workspace_start_ms_by_mode", by_mode(start_by_mode)},
      {"workspace_delete_ms", summarize(delete_ms)},
  };
  if (create_first_exec_by_mode.count("clone") && create_first_exec_by_mode.count("cold")) {
    out["workspace_create_clone_speedup"] =
        std::round(median(create_first_exec_by_mode["cold"]) / median(create_first_exec_by_mode["clone"]) * 10) / 10;
  }
  if (start_by_mode.count("clone") && start_by_mode.count("cold")) {
    out["workspace_start_clone_speedup"] =
        std::round(median(start_by_mode["cold"]) / median(start_by_mode["clone"]) * 10) / 10;
  }
  return out;
}

}  // namespace pyro_bench
