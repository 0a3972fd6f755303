// WorkspaceManager: lifecycle, exec, snapshots, reset and offline disk access
// (through a throwaway inspector VM, disk_inspector.hpp).
// File operations on a running workspace are in workspace_files.cpp.
#include "workspace/workspace_manager.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "env/ext4_image.hpp"
#include "pyro/error.hpp"
#include "runtime/agent_exec.hpp"
#include "runtime/home.hpp"
#include "runtime/validate.hpp"
#include "util/disk_usage.hpp"
#include "util/logging.hpp"
#include "util/progress.hpp"
#include "util/sparse_copy.hpp"
#include "workspace/agent_files.hpp"
#include "workspace/disk_inspector.hpp"
#include "workspace/process_io.hpp"
#include "workspace/secret_store.hpp"
#include "workspace/seed.hpp"
#include "workspace/stream_redactor.hpp"
#include "workspace/text_diff.hpp"
#include "workspace/workspace_path.hpp"
#include "workspace/workspace_session.hpp"

namespace pyro::detail {
namespace fs = std::filesystem;
namespace {

constexpr uint64_t kMiB = 1ull << 20;
constexpr const char* kDiskLabel = "pyro-workspace";
constexpr size_t kMaxLabels = 64;
constexpr size_t kMaxLabelValue = 256;

void validate_options(const WorkspaceOptions& o) {
  validate_vm_options(VmOptions{.vcpu_count = o.vcpu_count, .mem_mib = o.mem_mib,
                               .network = o.network_policy != NetworkPolicy::kOff});
  if (o.disk_mib < WorkspaceLimits::kMinDiskMib || o.disk_mib > WorkspaceLimits::kMaxDiskMib) {
    throw Error(ErrorCode::kInvalidArgument, fmt::format("check `disk_mib`: {} is not in [{}, {}]", o.disk_mib,
                                                         WorkspaceLimits::kMinDiskMib, WorkspaceLimits::kMaxDiskMib));
  }
  if (!o.name.empty()) validate_workspace_name("name", o.name);
}

void validate_labels(const std::map<std::string, std::string>& labels) {
  if (labels.size() > kMaxLabels) {
    throw Error(ErrorCode::kInvalidArgument, fmt::format("check `labels`: {} labels, at most {}", labels.size(), kMaxLabels));
  }
  for (const auto& [key, value] : labels) {
    validate_workspace_name("labels key", key, /*allow_id_shape=*/true);
    if (value.size() > kMaxLabelValue || value.find('\0') != std::string::npos) {
      throw Error(ErrorCode::kInvalidArgument,
                  fmt::format("check `labels`: the value of `{}` is longer than {} bytes or has a NUL byte", key,
                              kMaxLabelValue));
    }
  }
}

// A directory entry count and byte total of a tree, for sizing the disk.
struct TreeSize {
  uint64_t bytes = 0;
  uint64_t entries = 0;
};

TreeSize tree_size(const std::string& root) {
  TreeSize size;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    ++size.entries;
    if (it->is_regular_file(ec)) size.bytes += it->file_size(ec);
  }
  return size;
}

// The workspace disk from the seed tree: a sparse ext4 of `disk_mib`.
void make_workspace_disk(const std::string& content, const std::string& image, uint64_t disk_mib) {
  const TreeSize size = tree_size(content);
  // ext4 metadata and block rounding of small files: be generous before mke2fs says so less clearly.
  const uint64_t needed = size.bytes + size.entries * 4096 + 16 * kMiB;
  if (needed > disk_mib * kMiB) {
    throw Error(ErrorCode::kResourceExhausted,
                fmt::format("create workspace disk: the seed needs about {} MiB, the disk has {} MiB (raise disk_mib)",
                            needed / kMiB + 1, disk_mib));
  }
  make_ext4_filesystem(content, image, disk_mib * kMiB, kDiskLabel, size.entries + size.entries / 4 + 1024);
}

// Replaces `to` with a sparse copy of `from` (never half-written).
void replace_disk(const std::string& from, const std::string& to) { copy_file_sparse(from, to); }

void require_absent(const std::string& path, const char* what) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    throw Error(ErrorCode::kAlreadyExists, fmt::format("check `{}`: `{}` exists already", what, path));
  }
}

}  // namespace

// ---- Session ---------------------------------------------------------------

WorkspaceManager::Session::Session(const WorkspaceContext& ctx, const WorkspaceStore& store,
                                   const std::string& id_or_name)
    : store_(store),
      resolved_id_(store.resolve(id_or_name)),
      lock_(store.lock(resolved_id_)),
      vm_(ctx, store, record_) {
  auto loaded = store.load(resolved_id_);
  if (!loaded) {
    throw Error(ErrorCode::kNotFound, fmt::format("find workspace `{}`: it was deleted", id_or_name));
  }
  record_ = std::move(*loaded);
  const std::string before = record_.state;
  vm_.refresh();
  if (record_.state != before) save();
}

void WorkspaceManager::Session::save(bool touched) {
  if (touched) record_.updated_at = utc_now_rfc3339();
  store_.save(record_);
}

Error WorkspaceManager::Session::fail(const Error& e, const std::string& context) {
  const std::string before = record_.state;
  vm_.refresh();
  if (record_.state != before) {
    try {
      save();
    } catch (const Error&) {
    }
  }
  ErrorCode code = e.code();
  if (record_.state == "crashed" && code != ErrorCode::kInvalidArgument) code = ErrorCode::kVmCrashed;
  return Error(code, fmt::format("{}: {}", context, e.what()));
}

// ---- Manager ---------------------------------------------------------------

WorkspaceManager::WorkspaceManager(WorkspaceContext context) : ctx_(std::move(context)), store_(ctx_.home) {
  store_.sweep_staging();
}

WorkspaceInfo WorkspaceManager::info_of(const WorkspaceRecord& r) const {
  WorkspaceInfo info;
  info.workspace_id = r.id;
  info.name = r.name;
  info.environment = r.environment;
  info.state = r.state == "running"   ? WorkspaceState::kRunning
               : r.state == "crashed" ? WorkspaceState::kCrashed
                                      : WorkspaceState::kStopped;
  info.vcpu_count = r.vcpu_count;
  info.mem_mib = r.mem_mib;
  info.disk_mib = r.disk_mib;
  info.network_policy = network_policy_from_name(r.network_policy);
  info.network = info.network_policy != NetworkPolicy::kOff;
  info.secret_names = r.secret_names;
  info.labels = r.labels;
  info.created_at = r.created_at;
  info.updated_at = r.updated_at;
  if (info.state == WorkspaceState::kRunning) {
    info.accelerator = r.accelerator;
    info.pid = r.vmm.pid;
  }
  info.boot_ms = r.boot_ms;
  info.start_mode = r.start_mode;
  info.crash_reason = r.crash_reason;
  info.disk_bytes = allocated_bytes(store_.disk_path(r.id));
  info.path = store_.dir(r.id);
  return info;
}

void WorkspaceManager::check_max_bytes(uint64_t max_bytes) {
  if (max_bytes == 0 || max_bytes > WorkspaceLimits::kMaxFileReadBytes) {
    throw Error(ErrorCode::kInvalidArgument, fmt::format("check `max_bytes`: {} is not in [1, {}]", max_bytes,
                                                         WorkspaceLimits::kMaxFileReadBytes));
  }
}

void WorkspaceManager::require_stopped(Session& session, const char* action) {
  if (session.running()) {
    throw Error(ErrorCode::kFailedPrecondition,
                fmt::format("{} of workspace `{}`: it is running; stop it first (or use the live file operations)",
                            action, session.id()));
  }
}

void WorkspaceManager::copy_disk(Session& session, const std::string& to) {
  if (!session.running()) {
    copy_file_sparse(store_.disk_path(session.id()), to);
    return;
  }
  // Flushed and paused: the copy is what a clean shutdown would have left.
  session.vm().sync(/*strict=*/true);
  session.vm().pause();
  try {
    copy_file_sparse(store_.disk_path(session.id()), to);
  } catch (...) {
    session.vm().resume();
    throw;
  }
  session.vm().resume();
}

WorkspaceInfo WorkspaceManager::create_workspace(const std::string& environment, const WorkspaceOptions& options) {
  validate_name("environment", environment);
  validate_options(options);
  validate_labels(options.labels);
  // Read before anything is built, so a bad secret costs nothing.
  const SecretValues secrets = load_secret_inputs(options.secrets);
  BootSet boot = ctx_.resolve_environment(environment);

  WorkspaceRecord record;
  record.id = new_workspace_id();
  record.name = options.name;
  record.labels = options.labels;
  record.environment = environment;
  record.environment_sha256 = boot.environment_sha256;
  record.vcpu_count = options.vcpu_count;
  record.mem_mib = options.mem_mib;
  record.disk_mib = options.disk_mib;
  record.network_policy = network_policy_name(options.network_policy);
  for (const auto& [secret_name, value] : secrets) record.secret_names.push_back(secret_name);  // sorted: a map
  record.created_at = record.updated_at = utc_now_rfc3339();

  // Built in a staging directory whose lock we hold, so a crash leaves only
  // something the next manager sweeps away, never a half-made workspace.
  const std::string staging = store_.root() + "/.tmp-" + record.id;
  std::error_code ec;
  if (::mkdir(staging.c_str(), 0700) != 0) {
    throw Error(ErrorCode::kPermissionDenied, fmt::format("create `{}`: {}", staging, std::strerror(errno)));
  }
  FileLock lock = FileLock::acquire(staging + "/lock");
  try {
    const std::string baseline = staging + "/baseline";
    fs::create_directory(baseline);
    if (!options.seed_path.empty()) {
      SeedLimits limits;
      limits.max_bytes = std::min(limits.max_bytes, options.disk_mib * kMiB);
      SeedStats stats = materialize_seed(options.seed_path, baseline, limits, options.progress);
      log(LogLevel::kInfo, "workspace `{}`: seeded {} files, {} directories, {} bytes from `{}`", record.id,
          stats.files, stats.dirs, stats.bytes, options.seed_path);
    }
    report_progress(options.progress, "make disk", fmt::format("making a {} MiB ext4 disk", options.disk_mib));
    make_workspace_disk(baseline, staging + "/baseline.ext4", options.disk_mib);
    replace_disk(staging + "/baseline.ext4", staging + "/disk.ext4");
    write_secrets(staging, secrets);
    WorkspaceStore::save_to(staging, record);
    FileLock names = store_.names_lock();
    if (!record.name.empty() && store_.name_taken(record.name, "")) {
      throw Error(ErrorCode::kAlreadyExists,
                  fmt::format("create workspace: the name `{}` is taken by another workspace", record.name));
    }
    if (::rename(staging.c_str(), store_.dir(record.id).c_str()) != 0) {
      throw Error(ErrorCode::kInternal, fmt::format("rename `{}`: {}", staging, std::strerror(errno)));
    }
  } catch (...) {
    fs::remove_all(staging, ec);
    throw;
  }
  // Our staging lock is now the workspace's lock (same file, renamed).
  WorkspaceVm vm(ctx_, store_, record);
  try {
    report_progress(options.progress, "start workspace", fmt::format("booting `{}`", environment));
    vm.start();
    store_.save(record);
  } catch (...) {
    vm.stop();
    fs::remove_all(store_.dir(record.id), ec);
    throw;
  }
  log(LogLevel::kInfo, "workspace `{}` created from `{}`", record.id, environment);
  return info_of(record);
}

std::vector<WorkspaceInfo> WorkspaceManager::list_workspaces() {
  std::vector<WorkspaceInfo> out;
  for (WorkspaceRecord& r : store_.list()) {
    // Liveness without the lock: list never waits for a long exec elsewhere.
    if (r.state == "running") {
      WorkspaceVm vm(ctx_, store_, r);
      vm.refresh();
    }
    out.push_back(info_of(r));
  }
  return out;
}

WorkspaceInfo WorkspaceManager::status_workspace(const std::string& workspace) {
  auto r = store_.load(store_.resolve(workspace));
  if (!r) throw Error(ErrorCode::kNotFound, fmt::format("find workspace `{}`: it was deleted", workspace));
  if (r->state == "running") {
    WorkspaceVm vm(ctx_, store_, *r);
    vm.refresh();
  }
  return info_of(*r);
}

WorkspaceInfo WorkspaceManager::update_workspace(const std::string& workspace, const WorkspaceUpdate& update) {
  if (update.name && !update.name->empty()) validate_workspace_name("name", *update.name);
  if (update.labels) validate_labels(*update.labels);
  Session session(ctx_, store_, workspace);
  if (update.name) {
    FileLock names = store_.names_lock();
    if (!update.name->empty() && store_.name_taken(*update.name, session.id())) {
      throw Error(ErrorCode::kAlreadyExists,
                  fmt::format("rename workspace `{}`: the name `{}` is taken", session.id(), *update.name));
    }
    session.record().name = *update.name;
    if (update.labels) session.record().labels = *update.labels;
    session.save(true);
  } else if (update.labels) {
    session.record().labels = *update.labels;
    session.save(true);
  }
  return info_of(session.record());
}

void WorkspaceManager::delete_workspace(const std::string& workspace) {
  Session session(ctx_, store_, workspace);
  session.vm().stop();
  const std::string doomed = store_.root() + "/.deleting-" + session.id();
  if (::rename(store_.dir(session.id()).c_str(), doomed.c_str()) != 0) {
    throw Error(ErrorCode::kInternal,
                fmt::format("delete workspace `{}`: rename: {}", session.id(), std::strerror(errno)));
  }
  std::error_code ec;
  fs::remove_all(doomed, ec);
  log(LogLevel::kInfo, "workspace `{}` deleted", session.id());
}

ExecResult WorkspaceManager::exec_workspace(const std::string& workspace, const std::string& command,
                                            const ExecOptions& exec) {
  validate_command(command);
  validate_exec_options(exec, /*in_workspace=*/true);
  validate_process_env(exec.cwd, exec.env, exec.secret_env);
  Session session(ctx_, store_, workspace);
  const Redactor redactor = redactor_of(session.record());
  ExecOptions options = exec;
  if (options.cwd.empty()) options.cwd = "/workspace";
  try {
    options.env = process_env(session.record(), exec.env, exec.secret_env);
    options.secret_env.clear();
    // Live chunks go through a redactor per stream, which holds back what could be
    // the start of a secret until the next chunk shows it.
    StreamRedactor live[2] = {StreamRedactor(redactor), StreamRedactor(redactor)};
    if (exec.on_output && !redactor.empty()) {
      options.on_output = [&live, &exec](const LiveOutput& chunk) {
        const std::string shown = live[chunk.stream == OutputStream::kStderr ? 1 : 0].feed(chunk.data);
        if (!shown.empty()) exec.on_output(LiveOutput{chunk.stream, shown});
      };
    }
    ExecResult result = exec_over_agent(session.agent(), command, options);
    result.vm_id = session.id();
    if (exec.on_output && !redactor.empty()) {
      const std::string rest_out = live[0].finish(result.stdout_truncated);
      if (!rest_out.empty()) exec.on_output(LiveOutput{OutputStream::kStdout, rest_out});
      const std::string rest_err = live[1].finish(result.stderr_truncated);
      if (!rest_err.empty()) exec.on_output(LiveOutput{OutputStream::kStderr, rest_err});
    }
    if (!redactor.empty()) {
      // A stream cut at max_output_bytes may end inside a secret: that part is dropped too.
      result.stdout_data = result.stdout_truncated ? redactor.redact_truncated(result.stdout_data)
                                                   : redactor.redact(result.stdout_data);
      result.stderr_data = result.stderr_truncated ? redactor.redact_truncated(result.stderr_data)
                                                   : redactor.redact(result.stderr_data);
    }
    return result;
  } catch (const Error& e) {
    throw redacted(session.fail(e, fmt::format("exec in workspace `{}`", session.id())), redactor);
  }
}

// ---- Snapshots and reset -------------------------------------------------------

WorkspaceSnapshotInfo WorkspaceManager::create_snapshot(const std::string& workspace, const std::string& name) {
  validate_workspace_name("name", name, /*allow_id_shape=*/true);
  Session session(ctx_, store_, workspace);
  const std::string dir = store_.snapshot_dir(session.id(), name);
  require_absent(dir, "name");
  const std::string tmp = dir + ".tmp";
  std::error_code ec;
  fs::remove_all(tmp, ec);
  fs::create_directories(tmp, ec);
  if (ec) throw Error(ErrorCode::kInternal, fmt::format("create `{}`: {}", tmp, ec.message()));
  WorkspaceSnapshotInfo info{name, utc_now_rfc3339(), 0};
  try {
    copy_disk(session, tmp + "/disk.ext4");
    std::ofstream(tmp + "/meta.json") << nlohmann::json{{"name", name}, {"created_at", info.created_at}}.dump() << "\n";
    fs::rename(tmp, dir);
  } catch (const Error& e) {
    fs::remove_all(tmp, ec);
    throw session.fail(e, fmt::format("snapshot workspace `{}`", session.id()));
  } catch (const std::exception& e) {
    fs::remove_all(tmp, ec);
    throw Error(ErrorCode::kInternal, fmt::format("snapshot workspace `{}`: {}", session.id(), e.what()));
  }
  info.disk_bytes = allocated_bytes(dir + "/disk.ext4");
  return info;
}

std::vector<WorkspaceSnapshotInfo> WorkspaceManager::list_snapshots(const std::string& workspace) {
  const std::string id = store_.resolve(workspace);
  std::vector<WorkspaceSnapshotInfo> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(store_.dir(id) + "/snapshots", ec)) {
    std::ifstream in(entry.path() / "meta.json");
    if (!in) continue;  // being written
    try {
      auto meta = nlohmann::json::parse(in);
      out.push_back({meta.at("name").get<std::string>(), meta.value("created_at", ""),
                     allocated_bytes((entry.path() / "disk.ext4").string())});
    } catch (const std::exception&) {
      continue;
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return std::tie(a.created_at, a.name) < std::tie(b.created_at, b.name);
  });
  return out;
}

void WorkspaceManager::delete_snapshot(const std::string& workspace, const std::string& name) {
  validate_workspace_name("name", name, /*allow_id_shape=*/true);
  Session session(ctx_, store_, workspace);
  const std::string dir = store_.snapshot_dir(session.id(), name);
  if (!fs::exists(dir)) {
    throw Error(ErrorCode::kNotFound,
                fmt::format("delete snapshot `{}` of workspace `{}`: no such snapshot", name, session.id()));
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
}

WorkspaceInfo WorkspaceManager::reset_workspace(const std::string& workspace, const std::string& snapshot) {
  if (!snapshot.empty()) validate_workspace_name("snapshot", snapshot, /*allow_id_shape=*/true);
  Session session(ctx_, store_, workspace);
  const std::string source = snapshot.empty() ? store_.baseline_disk(session.id())
                                              : store_.snapshot_dir(session.id(), snapshot) + "/disk.ext4";
  if (!fs::exists(source)) {
    throw Error(ErrorCode::kNotFound,
                fmt::format("reset workspace `{}`: no snapshot named `{}`", session.id(), snapshot));
  }
  session.vm().stop();
  session.save();
  replace_disk(source, store_.disk_path(session.id()));
  try {
    session.vm().start();
  } catch (const Error& e) {
    session.save();
    throw;
  }
  session.save(true);
  log(LogLevel::kInfo, "workspace `{}` reset to {}", session.id(),
      snapshot.empty() ? "its baseline" : "snapshot `" + snapshot + "`");
  return info_of(session.record());
}

// ---- Stop and start --------------------------------------------------------------

WorkspaceInfo WorkspaceManager::stop_workspace(const std::string& workspace) {
  Session session(ctx_, store_, workspace);
  session.vm().stop();
  session.save(true);
  return info_of(session.record());
}

WorkspaceInfo WorkspaceManager::start_workspace(const std::string& workspace) {
  Session session(ctx_, store_, workspace);
  if (session.running()) return info_of(session.record());
  session.vm().stop();  // a crashed VMM's leftovers: run directory, stale sockets
  try {
    session.vm().start();
  } catch (const Error&) {
    session.save();
    throw;
  }
  session.save(true);
  return info_of(session.record());
}

// ---- Offline disk access -----------------------------------------------------------

std::vector<WorkspaceFileEntry> WorkspaceManager::list_workspace_disk(const std::string& workspace,
                                                                      const std::string& path, bool recursive) {
  const std::string rel = workspace_relative_path(path);
  Session session(ctx_, store_, workspace);
  require_stopped(session, "list the disk");
  try {
    DiskInspector inspector(ctx_, store_, session.record());
    std::vector<WorkspaceFileEntry> out;
    for (const TreeEntry& e : agent_list(inspector.agent(), rel, recursive)) out.push_back(to_file_entry(e));
    return out;
  } catch (const Error& e) {
    throw session.fail(e, fmt::format("list `{}` on the disk of workspace `{}`", rel, session.id()));
  }
}

WorkspaceFileContent WorkspaceManager::read_workspace_disk(const std::string& workspace, const std::string& path,
                                                           uint64_t max_bytes) {
  const std::string rel = workspace_relative_path(path);
  check_max_bytes(max_bytes);
  Session session(ctx_, store_, workspace);
  require_stopped(session, "read the disk");
  AgentFile file;
  try {
    DiskInspector inspector(ctx_, store_, session.record());
    file = agent_read(inspector.agent(), rel, max_bytes);
  } catch (const Error& e) {
    throw session.fail(e, fmt::format("read `{}` from the disk of workspace `{}`", rel, session.id()));
  }
  if (looks_binary(file.content)) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("read `{}` from the disk of workspace `{}`: binary content ({} bytes); use "
                            "export_workspace_disk",
                            rel, session.id(), file.size));
  }
  const bool truncated = file.content.size() < file.size;
  return WorkspaceFileContent{rel, std::move(file.content), file.size, truncated};
}

ExportResult WorkspaceManager::export_workspace_disk(const std::string& workspace, const std::string& output_path) {
  if (output_path.empty()) throw Error(ErrorCode::kInvalidArgument, "check `output_path`: empty");
  const std::string out = fs::absolute(output_path).string();
  require_absent(out, "output_path");
  Session session(ctx_, store_, workspace);
  require_stopped(session, "export the disk");
  copy_file_sparse(store_.disk_path(session.id()), out);
  struct stat st {};
  ::stat(out.c_str(), &st);
  return ExportResult{out, 1, 0, static_cast<uint64_t>(st.st_size)};
}

}  // namespace pyro::detail
