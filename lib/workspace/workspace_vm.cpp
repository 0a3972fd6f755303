#include "workspace/workspace_vm.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include <fmt/format.h>

#include "backend/qemu/console_keeper.hpp"
#include "pyro/error.hpp"
#include "runtime/home.hpp"
#include "runtime/host_cpu.hpp"
#include "runtime/snapshot_templates.hpp"
#include "runtime/vm.hpp"
#include "util/daemon_process.hpp"
#include "util/file_tail.hpp"
#include "util/logging.hpp"
#include "util/unix_socket.hpp"
#include "workspace/agent_files.hpp"
#include "workspace/redaction.hpp"
#include "workspace/secret_store.hpp"

namespace pyro::detail {
namespace fs = std::filesystem;
namespace {

constexpr auto kConnectTimeout = std::chrono::seconds(30);
constexpr auto kBestEffortConnect = std::chrono::seconds(5);
constexpr auto kHandshakeAttempt = std::chrono::milliseconds(3000);
constexpr auto kStopGrace = std::chrono::milliseconds(3000);
constexpr auto kQmpTimeout = std::chrono::seconds(10);
constexpr size_t kLogTailBytes = 1500;
// A clone needs well under a second; more means something is wrong, and a cold boot is the better bet.
constexpr auto kMaxCloneTimeout = std::chrono::milliseconds(20000);
constexpr auto kSaveTimeout = std::chrono::seconds(30);

uint64_t ms_since(Clock::time_point start) {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count());
}

// Connects to the VMM's agent socket, which exists once the VMM daemonized.
UniqueFd connect_agent_socket(const std::string& path, Deadline deadline, const DeathCheck& dead) {
  for (;;) {
    std::error_code ec;
    UniqueFd fd = connect_unix(path, ec);
    if (fd) return fd;
    std::string why = dead();
    if (!why.empty()) throw Error(ErrorCode::kVmCrashed, fmt::format("connect to `{}`: {}", path, why));
    if (Clock::now() >= deadline) {
      throw Error(ErrorCode::kDeadlineExceeded, fmt::format("connect to `{}`: {}", path, ec.message()));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace

WorkspaceVm::WorkspaceVm(const WorkspaceContext& ctx, const WorkspaceStore& store, WorkspaceRecord& record)
    : ctx_(ctx), store_(store), record_(record) {}

WorkspaceVm::~WorkspaceVm() {
  agent_.reset();  // hang up: the next process reconnects
  machine_.reset();
}

std::string WorkspaceVm::death_description() {
  const bool alive = machine_ ? machine_->alive()
                              : process_start_time(record_.vmm.pid) == std::optional(record_.vmm.start_time);
  if (alive) return "";
  std::string why = "the VMM exited";
  std::string log = read_file_tail(run_dir() + "/qemu.log", kLogTailBytes);
  if (!log.empty()) why += ": " + log;
  std::string console = read_console_tail(run_dir(), kLogTailBytes, /*vmm_dead=*/true);
  if (!console.empty()) why += "; guest console ends with:\n" + console;
  return redact_guest_text(why);
}

// The guest may have printed a secret to its console before it died: what
// becomes a crash reason (stored, logged, returned) is redacted first, and
// withheld when the secrets cannot be read to do so.
std::string WorkspaceVm::redact_guest_text(const std::string& text) const {
  if (record_.secret_names.empty()) return text;
  try {
    std::vector<std::string> values;
    for (auto& [name, value] : read_secrets(store_.dir(record_.id), record_.secret_names)) values.push_back(value);
    return Redactor(std::move(values)).redact_excerpt(text);
  } catch (const Error& e) {
    return fmt::format("(guest output withheld: {})", e.what());
  }
}

Machine& WorkspaceVm::machine() {
  if (!machine_) machine_ = ctx_.backend->attach(run_dir(), record_.vmm);
  return *machine_;
}

bool WorkspaceVm::refresh() {
  if (record_.state != "running") return false;
  if (machine().alive()) return true;
  agent_.reset();
  record_.state = "crashed";
  record_.crash_reason = death_description();
  // The crash reason keeps the console's end, redacted; the raw copy goes.
  discard_console(run_dir());
  record_.vmm = {};
  machine_.reset();
  log(LogLevel::kWarn, "workspace `{}`: its VMM died: {}", record_.id, record_.crash_reason);
  return false;
}

MachineSpec WorkspaceVm::machine_spec(const BootSet& boot, Accelerator accel, std::string& device) {
  const std::string dir = run_dir();
  std::error_code ec;
  fs::remove_all(dir, ec);
  if (::mkdir(dir.c_str(), 0700) != 0) {
    throw Error(ErrorCode::kPermissionDenied, fmt::format("create `{}`: {}", dir, std::strerror(errno)));
  }
  MachineSpec spec;
  spec.vm_id = record_.id;
  spec.boot = boot;
  spec.vcpu_count = record_.vcpu_count;
  spec.mem_mib = record_.mem_mib;
  spec.network = record_.network_policy != "off";
  spec.accelerator = accel;
  spec.run_dir = dir;
  spec.agent_socket = dir + "/agent.sock";
  spec.detached = true;
  device = "/dev/vda";
  if (!boot.rootfs_path.empty()) {
    // The same drives in the same order as a snapshot template's (Vm::machine_spec).
    spec.drives.push_back(Drive{boot.rootfs_path, /*read_only=*/true, "raw"});
    spec.kernel_args.push_back("pyro.root=/dev/vda");
    device = "/dev/vdb";
  }
  spec.drives.push_back(Drive{store_.disk_path(record_.id), /*read_only=*/false, "raw", /*persistent=*/true});
  if (spec.agent_socket.size() > max_unix_socket_path()) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("start workspace `{}`: socket path `{}` is longer than {} bytes; use a shorter "
                            "PYRO_HOME",
                            record_.id, spec.agent_socket, max_unix_socket_path()));
  }
  return spec;
}

void WorkspaceVm::connect_agent(const std::string& socket, Deadline deadline) {
  DeathCheck dead = [this] { return death_description(); };
  UniqueFd fd = connect_agent_socket(socket, deadline, dead);
  agent_ = std::make_unique<AgentConnection>(std::move(fd), dead, /*shared_channel=*/true);
  agent_->handshake(deadline);
}

void WorkspaceVm::mark_running(Accelerator accel, Clock::time_point started, const char* mode,
                               const std::string& device, Deadline deadline) {
  agent_->call("workspace_mount", {{"device", device}, {"path", "/workspace"}}, deadline);
  record_.state = "running";
  record_.vmm = machine_->ref();
  record_.accelerator = accelerator_name(accel);
  record_.boot_ms = ms_since(started);
  record_.start_mode = mode;
  record_.crash_reason.clear();
  machine_->release();  // from now on it outlives us
  log(LogLevel::kInfo, "workspace `{}` started ({}) with {} in {} ms (agent {})", record_.id, mode,
      accelerator_name(accel), record_.boot_ms, agent_->hello().agent_version);
}

void WorkspaceVm::boot_once(const BootSet& boot, Accelerator accel) {
  const auto started = Clock::now();
  const Deadline deadline = started + ctx_.boot_timeout;
  std::string device;
  MachineSpec spec = machine_spec(boot, accel, device);
  machine_ = ctx_.backend->launch(spec);
  connect_agent(spec.agent_socket, deadline);
  mark_running(accel, started, "cold", device, deadline);
}

void WorkspaceVm::clone_once(const BootSet& boot, Accelerator accel, const SnapshotTemplate& tmpl) {
  const auto started = Clock::now();
  const Deadline deadline = started + std::min<std::chrono::milliseconds>(ctx_.boot_timeout, kMaxCloneTimeout);
  std::string device;
  MachineSpec spec = machine_spec(boot, accel, device);
  spec.memory_file = MemoryFile{tmpl.ram_path, /*shared=*/false};  // copy on write
  spec.incoming = true;
  machine_ = ctx_.backend->launch(spec);
  machine_->load_state(tmpl.state_path, std::chrono::duration_cast<std::chrono::milliseconds>(
                                            std::max(deadline - Clock::now(), Clock::duration::zero())));
  connect_agent(spec.agent_socket, deadline);
  agent_->call("restore", clone_restore_params(record_.id), deadline);
  mark_running(accel, started, "clone", device, deadline);
}

std::optional<SnapshotTemplate> ensure_workspace_template(const WorkspaceContext& ctx, const WorkspaceRecord& record,
                                                          const BootSet& boot, Accelerator accel) {
  TemplateStore store(ctx.home);
  const TemplateIdentity identity{ctx.backend->version(), record.environment, boot.environment_sha256,
                                  accelerator_name(accel), record.vcpu_count, record.mem_mib, record.network_policy != "off",
                                  record.disk_mib, template_cpu_signature(accel)};
  try {
    return store.ensure(identity, deadline_after(2 * ctx.boot_timeout + kSaveTimeout), [&](const std::string& dir) {
      log(LogLevel::kInfo, "creating workspace snapshot template of `{}` ({} vCPU, {} MiB, {} MiB disk) in `{}`",
          record.environment, record.vcpu_count, record.mem_mib, record.disk_mib, dir);
      // A blank disk of the workspace's size: the template's guest learns that size
      // while booting, and every clone's own disk has it too.
      const std::string placeholder = dir + "/placeholder.img";
      std::ofstream{placeholder};
      if (::truncate(placeholder.c_str(), static_cast<off_t>(record.disk_mib << 20)) != 0) {
        throw Error(ErrorCode::kInternal, fmt::format("create `{}`: {}", placeholder, std::strerror(errno)));
      }
      VmInfo info{.vm_id = new_vm_id(), .environment = record.environment, .vcpu_count = record.vcpu_count,
                  .mem_mib = record.mem_mib, .network = record.network_policy != "off"};
      Vm builder(std::move(info), boot, ctx.home, /*snapshots=*/false,
                 {Drive{placeholder, /*read_only=*/false, "raw"}});
      builder.build_template(*ctx.backend, accel, ctx.boot_timeout, dir);
      ::unlink(placeholder.c_str());
    });
  } catch (const std::exception& e) {
    log(LogLevel::kWarn, "workspace `{}`: no snapshot template, booting cold: {}", record.id, e.what());
    return std::nullopt;
  }
}

void WorkspaceVm::discard_machine() noexcept {
  agent_.reset();
  if (machine_) {
    machine_->kill();
    machine_.reset();
  }
  record_.state = "stopped";
  record_.vmm = {};
}

void WorkspaceVm::start() {
  BootSet boot = ctx_.resolve_environment(record_.environment);
  Accelerator accel = ctx_.accelerator(boot);
  if (ctx_.snapshots && !boot.environment_sha256.empty()) {
    if (auto tmpl = ensure_workspace_template(ctx_, record_, boot, accel)) {
      try {
        clone_once(boot, accel, *tmpl);
        return;
      } catch (const Error& e) {
        discard_machine();
        // A template that does not restore is stale or corrupt: the next start makes a new one.
        log(LogLevel::kWarn, "start workspace `{}` from snapshot template `{}` failed, removing it and booting "
            "cold: {}", record_.id, tmpl->dir, e.what());
        TemplateStore(ctx_.home).remove(*tmpl);
      }
    }
  }
  for (int attempt = 1;; ++attempt) {
    try {
      boot_once(boot, accel);
      return;
    } catch (const Error& e) {
      discard_machine();
      const bool retryable = e.code() == ErrorCode::kDeadlineExceeded || e.code() == ErrorCode::kVmCrashed;
      if (!retryable || attempt == 2) {
        throw Error(e.code(), fmt::format("start workspace `{}` ({}): {}", record_.id, accelerator_name(accel),
                                          e.what()));
      }
      log(LogLevel::kWarn, "start workspace `{}`: attempt {} failed, retrying: {}", record_.id, attempt, e.what());
    }
  }
}

AgentConnection& WorkspaceVm::agent() { return agent(deadline_after(kConnectTimeout)); }

AgentConnection& WorkspaceVm::agent(Deadline deadline) {
  if (agent_ && !agent_->broken()) return *agent_;
  agent_.reset();  // a call broke it (garbage, a deadline): a new connection starts in step
  if (!refresh()) {
    throw Error(record_.state == "crashed" ? ErrorCode::kVmCrashed : ErrorCode::kFailedPrecondition,
                fmt::format("workspace `{}` is {}{}", record_.id, record_.state,
                            record_.state == "crashed" ? ": " + record_.crash_reason
                                                       : " (start it with start_workspace)"));
  }
  DeathCheck dead = [this] { return death_description(); };
  for (;;) {
    // Now and then (about 1 in 50-100 starts of a clone, under TCG) the guest sleeps
    // in HLT through the interrupt that says the previous host hung up, so the agent
    // answers nothing. An NMI wakes it; it then sees the hang-up, reopens its port
    // and answers a new connection.
    const Deadline attempt = std::min(deadline, deadline_after(kHandshakeAttempt));
    UniqueFd fd = connect_agent_socket(run_dir() + "/agent.sock", deadline, dead);
    agent_ = std::make_unique<AgentConnection>(std::move(fd), dead, /*shared_channel=*/true);
    try {
      agent_->handshake(attempt);
      return *agent_;
    } catch (const Error& e) {
      agent_.reset();
      if (e.code() != ErrorCode::kDeadlineExceeded || Clock::now() >= deadline) throw;
      log(LogLevel::kWarn, "workspace `{}`: the agent did not answer within {} ms; waking the guest and reconnecting",
          record_.id, kHandshakeAttempt.count());
      try {
        machine().nudge(kQmpTimeout);
      } catch (const Error& nudge_error) {
        log(LogLevel::kWarn, "workspace `{}`: {}", record_.id, nudge_error.what());
      }
    }
  }
}

void WorkspaceVm::sync(bool strict, bool final) {
  try {
    // Best effort (before a stop) must not hold the stop up for the full connect timeout.
    AgentConnection& connection = strict ? agent() : agent(deadline_after(kBestEffortConnect));
    if (final) {
      agent_sync_final(connection);
    } else {
      agent_sync(connection);
    }
  } catch (const Error& e) {
    if (strict) throw;
    log(LogLevel::kWarn, "workspace `{}`: sync before stopping failed: {}", record_.id, e.what());
  }
}

void WorkspaceVm::pause() { machine().pause(kQmpTimeout); }
void WorkspaceVm::resume() { machine().resume(kQmpTimeout); }

void WorkspaceVm::add_port_forward(uint32_t host_port, uint32_t guest_port) {
  machine().add_port_forward(host_port, guest_port, kQmpTimeout);
}

void WorkspaceVm::remove_port_forward(uint32_t host_port) { machine().remove_port_forward(host_port, kQmpTimeout); }

void WorkspaceVm::stop() noexcept {
  try {
    if (refresh()) {
      sync(/*strict=*/false, /*final=*/true);
      agent_.reset();
      machine().stop(kStopGrace);
    }
  } catch (const std::exception& e) {
    log(LogLevel::kWarn, "workspace `{}`: stop: {}", record_.id, e.what());
    try {
      machine().kill();
    } catch (...) {
    }
  }
  agent_.reset();
  machine_.reset();
  record_.state = "stopped";
  record_.vmm = {};
  std::error_code ec;
  fs::remove_all(run_dir(), ec);
}

}  // namespace pyro::detail
