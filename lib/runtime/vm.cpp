#include "runtime/vm.hpp"

#include <algorithm>
#include <thread>

#include <fmt/format.h>

#include "pyro/error.hpp"
#include "runtime/agent_exec.hpp"
#include "runtime/home.hpp"
#include "runtime/host_cpu.hpp"
#include "runtime/snapshot_templates.hpp"
#include "util/logging.hpp"

namespace pyro::detail {
namespace {

constexpr auto kStopGrace = std::chrono::milliseconds(1000);
constexpr size_t kConsoleTailBytes = 2048;
// A clone needs well under a second; more means something is wrong, and a cold
// boot is the better bet.
constexpr auto kMaxCloneTimeout = std::chrono::seconds(20);
// After the hello the guest still finishes deferred kernel work; saving a little
// later spares every clone from redoing it.
constexpr auto kTemplateSettle = std::chrono::milliseconds(250);
constexpr auto kSaveTimeout = std::chrono::seconds(30);

uint64_t ms_since(Clock::time_point start) {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count());
}

// A wait that ended because cancel() killed the VM reports kCancelled, not a crash.
[[noreturn]] void rethrow_in_context(const Error& e, bool cancelled, const std::string& context) {
  throw Error(cancelled ? ErrorCode::kCancelled : e.code(), fmt::format("{}: {}", context, e.what()));
}

}  // namespace

Vm::Vm(VmInfo info, BootSet boot, std::string home, bool snapshots, std::vector<Drive> extra_drives)
    : info_(std::move(info)),
      boot_(std::move(boot)),
      home_(std::move(home)),
      snapshots_(snapshots),
      extra_drives_(std::move(extra_drives)) {}

Vm::~Vm() { stop(); }

std::string Vm::death_description() {
  std::lock_guard lock(info_mutex_);  // machine_ is only touched under this lock
  if (cancelled_) return "cancelled: the vm is being deleted";
  if (!machine_ || machine_->alive()) return "";
  std::string why = "the VMM " + machine_->exit_description();
  std::string console = machine_->console_tail(kConsoleTailBytes);
  if (!console.empty()) why += "; guest console ends with:\n" + console;
  return why;
}

MachineSpec Vm::machine_spec(Accelerator accel) const {
  MachineSpec spec;
  spec.vm_id = info_.vm_id;
  spec.boot = boot_;
  spec.vcpu_count = info_.vcpu_count;
  spec.mem_mib = info_.mem_mib;
  spec.network = info_.network;
  spec.accelerator = accel;
  if (!boot_.rootfs_path.empty()) {
    // The initramfs mounts it read-only under a tmpfs overlay, then switches root.
    spec.drives.push_back(Drive{boot_.rootfs_path, /*read_only=*/true, "raw"});
    spec.kernel_args.push_back("pyro.root=/dev/vda");
  }
  spec.drives.insert(spec.drives.end(), extra_drives_.begin(), extra_drives_.end());
  return spec;
}

UniqueFd Vm::launch(Backend& backend, MachineSpec spec, Deadline deadline) {
  run_dir_ = create_run_dir(home_, info_.vm_id);
  listener_ = std::make_unique<AgentListener>(run_dir_ + "/agent.sock");
  spec.run_dir = run_dir_;
  spec.agent_socket = listener_->path();
  auto machine = backend.launch(spec);
  {
    std::lock_guard lock(info_mutex_);
    machine_ = std::move(machine);
    if (cancelled_) machine_->kill();  // cancel() ran while the VMM was starting
  }
  return listener_->accept(deadline, [this] { return death_description(); });
}

void Vm::mark_running(Accelerator accel, Clock::time_point started, const char* mode) {
  std::lock_guard lock(info_mutex_);
  info_.state = VmState::kRunning;
  info_.accelerator = accelerator_name(accel);
  info_.pid = machine_->pid();
  info_.boot_ms = ms_since(started);
  start_mode_ = mode;
}

void Vm::boot_once(Backend& backend, Accelerator accel, std::chrono::milliseconds timeout,
                   const std::optional<MemoryFile>& memory) {
  const auto started = Clock::now();
  const Deadline deadline = started + timeout;
  MachineSpec spec = machine_spec(accel);
  spec.memory_file = memory;
  UniqueFd fd = launch(backend, std::move(spec), deadline);
  agent_ = std::make_unique<AgentConnection>(std::move(fd), [this] { return death_description(); });
  const AgentHello& hello = agent_->wait_hello(deadline);
  mark_running(accel, started, "cold");
  log(LogLevel::kInfo, "vm `{}` booted cold with {} in {} ms (agent {}, kernel {})", info_.vm_id,
      accelerator_name(accel), info_.boot_ms, hello.agent_version, hello.kernel);
}

// Runs on a private Vm (its own id and run dir): cold boot with the RAM in
// `dir`/ram, save the device state, then kill QEMU at once. A `quit` would let
// QEMU react to the closing agent socket by writing into guest RAM (the virtio
// queues), and that RAM is the template now.
void Vm::build_template(Backend& backend, Accelerator accel, std::chrono::milliseconds timeout,
                        const std::string& dir) {
  const MemoryFile memory{dir + "/ram", /*shared=*/true};
  for (int attempt = 1;; ++attempt) {
    try {
      boot_once(backend, accel, timeout, memory);
      ping();  // the agent is in its request loop, where every clone resumes
      // One command warms the guest's own caches (slabs, page tables, dentries), which
      // the snapshot keeps; QEMU's translation cache each clone rebuilds anyway.
      exec("true", ExecOptions{});
      std::this_thread::sleep_for(kTemplateSettle);
      machine_->save_state(dir + "/state", kSaveTimeout);
      machine_->kill();
      teardown();
      return;
    } catch (const Error& e) {
      teardown();
      const bool retryable = !cancelled() && (e.code() == ErrorCode::kDeadlineExceeded ||
                                              e.code() == ErrorCode::kVmCrashed);
      if (!retryable || attempt == 2) throw;
      log(LogLevel::kWarn, "create snapshot template: boot attempt {} failed, retrying: {}", attempt, e.what());
    }
  }
}

void Vm::clone_once(Backend& backend, Accelerator accel, std::chrono::milliseconds timeout,
                    const SnapshotTemplate& tmpl) {
  const auto started = Clock::now();
  const Deadline deadline = started + timeout;
  MachineSpec spec = machine_spec(accel);
  spec.memory_file = MemoryFile{tmpl.ram_path, /*shared=*/false};  // copy on write
  spec.incoming = true;
  // QEMU connects to the agent socket as it starts, before the state is loaded.
  UniqueFd fd = launch(backend, std::move(spec), deadline);
  const uint64_t launched_ms = ms_since(started);
  machine_->load_state(tmpl.state_path, std::chrono::duration_cast<std::chrono::milliseconds>(
                                            std::max(deadline - Clock::now(), Clock::duration::zero())));
  const uint64_t loaded_ms = ms_since(started);
  agent_ = std::make_unique<AgentConnection>(std::move(fd), [this] { return death_description(); });
  // The restored agent already sent its hello event to the template's host; ask again.
  nlohmann::json hello = agent_->call(
      "hello", {{"protocol", {{"major", protocol::kProtocolMajor}, {"minor", protocol::kProtocolMinor}}}},
      deadline);
  const auto major = hello.value("protocol", nlohmann::json::object()).value("major", 0u);
  const auto methods = hello.value("methods", std::vector<std::string>{});
  if (major != protocol::kProtocolMajor ||
      std::find(methods.begin(), methods.end(), "restore") == methods.end()) {
    throw Error(ErrorCode::kAgentProtocol,
                fmt::format("check the restored agent: protocol {}.x without `restore`", major));
  }
  const uint64_t hello_ms = ms_since(started);
  agent_->call("restore", clone_restore_params(info_.vm_id), deadline);
  mark_running(accel, started, "clone");
  log(LogLevel::kDebug, "vm `{}` clone timeline: vmm up {} ms, state loaded {} ms, hello {} ms, restored {} ms",
      info_.vm_id, launched_ms, loaded_ms, hello_ms, info_.boot_ms);
  log(LogLevel::kInfo, "vm `{}` started as a clone of snapshot template `{}` with {} in {} ms", info_.vm_id,
      tmpl.key.substr(0, 12), accelerator_name(accel), info_.boot_ms);
}

bool Vm::start_from_template(Backend& backend, Accelerator accel, std::chrono::milliseconds timeout) {
  TemplateStore store(home_);
  std::optional<SnapshotTemplate> tmpl;
  try {
    if (template_source_) {
      tmpl = template_source_(accel);
      if (!tmpl) return false;
    } else {
      const TemplateIdentity identity{backend.version(), info_.environment, boot_.environment_sha256,
                                      accelerator_name(accel), info_.vcpu_count, info_.mem_mib, info_.network,
                                      0, template_cpu_signature(accel)};
      // Waiting for another creator may take its whole cold boot, retry included.
      tmpl = store.ensure(identity, deadline_after(2 * timeout + kSaveTimeout), [&](const std::string& dir) {
        log(LogLevel::kInfo, "creating snapshot template of `{}` ({} vCPU, {} MiB{}) in `{}`", info_.environment,
            info_.vcpu_count, info_.mem_mib, info_.network ? ", network" : "", dir);
        VmInfo info{.vm_id = new_vm_id(), .environment = info_.environment, .vcpu_count = info_.vcpu_count,
                    .mem_mib = info_.mem_mib, .network = info_.network};
        Vm builder(std::move(info), boot_, home_);
        {
          std::lock_guard lock(info_mutex_);
          if (cancelled_) throw Error(ErrorCode::kCancelled, "cancelled: the vm is being deleted");
          builder_ = &builder;
        }
        try {
          builder.build_template(backend, accel, timeout, dir);
        } catch (...) {
          std::lock_guard lock(info_mutex_);
          builder_ = nullptr;
          throw;
        }
        std::lock_guard lock(info_mutex_);
        builder_ = nullptr;
      });
    }
  } catch (const std::exception& e) {
    if (cancelled()) throw Error(ErrorCode::kCancelled, e.what());
    log(LogLevel::kWarn, "start vm `{}`: no snapshot template, booting cold: {}", info_.vm_id, e.what());
    return false;
  }
  try {
    clone_once(backend, accel, std::min<std::chrono::milliseconds>(timeout, kMaxCloneTimeout), *tmpl);
    return true;
  } catch (const std::exception& e) {
    teardown();
    if (cancelled()) throw Error(ErrorCode::kCancelled, e.what());
    // A template that does not restore is stale or corrupt: the next start makes a new one.
    log(LogLevel::kWarn, "start vm `{}` from snapshot template `{}` failed, removing it and booting cold: {}",
        info_.vm_id, tmpl->dir, e.what());
    store.remove(*tmpl);
    return false;
  }
}

bool Vm::cancelled() {
  std::lock_guard lock(info_mutex_);
  return cancelled_;
}

void Vm::start(Backend& backend, Accelerator accel, std::chrono::milliseconds boot_timeout) {
  {
    std::lock_guard lock(info_mutex_);
    if (info_.state != VmState::kCreated) {
      throw Error(ErrorCode::kFailedPrecondition,
                  fmt::format("start vm `{}`: it is {}, not created", info_.vm_id,
                              vm_state_name(info_.state)));
    }
  }
  try {
    if (snapshots_ && !boot_.environment_sha256.empty() && start_from_template(backend, accel, boot_timeout)) {
      return;
    }
  } catch (const Error& e) {  // only cancellation gets here (kCancelled)
    std::lock_guard lock(info_mutex_);
    info_.state = VmState::kCrashed;
    rethrow_in_context(e, true, fmt::format("start vm `{}` ({})", info_.vm_id, accelerator_name(accel)));
  }
  for (int attempt = 1;; ++attempt) {
    try {
      boot_once(backend, accel, boot_timeout);
      return;
    } catch (const Error& e) {
      teardown();
      std::lock_guard lock(info_mutex_);
      const bool retryable = !cancelled_ && (e.code() == ErrorCode::kDeadlineExceeded ||
                                             e.code() == ErrorCode::kVmCrashed);
      if (!retryable || attempt == 2) {
        info_.state = VmState::kCrashed;
        rethrow_in_context(e, cancelled_,
                           fmt::format("start vm `{}` ({})", info_.vm_id, accelerator_name(accel)));
      }
      log(LogLevel::kWarn, "start vm `{}`: attempt {} failed, retrying: {}", info_.vm_id,
          attempt, e.what());
    }
  }
}

ExecResult Vm::exec(const std::string& command, const ExecOptions& options) {
  if (!agent_) {
    throw Error(ErrorCode::kFailedPrecondition,
                fmt::format("exec in vm `{}`: it is not running", info_.vm_id));
  }
  try {
    ExecResult result = exec_over_agent(*agent_, command, options);
    result.vm_id = info_.vm_id;
    return result;
  } catch (const Error& e) {
    rethrow_in_context(e, cancelled(), fmt::format("exec in vm `{}`", info_.vm_id));
  }
}

void Vm::cancel() noexcept {
  std::lock_guard lock(info_mutex_);
  cancelled_ = true;
  if (machine_) machine_->kill();
  if (builder_) builder_->cancel();
}

std::string Vm::start_mode() {
  std::lock_guard lock(info_mutex_);
  return start_mode_;
}

AgentConnection& Vm::agent() {
  if (!agent_) throw Error(ErrorCode::kFailedPrecondition, fmt::format("use vm `{}`: it is not running", info_.vm_id));
  return *agent_;
}

void Vm::ping() {
  if (!agent_) throw Error(ErrorCode::kFailedPrecondition, "ping: the vm is not running");
  agent_->call("ping", nlohmann::json::object(), Clock::now() + std::chrono::seconds(10));
}

void Vm::teardown() noexcept {
  agent_.reset();
  std::unique_ptr<Machine> machine;
  {
    std::lock_guard lock(info_mutex_);
    machine = std::move(machine_);
  }
  if (machine) machine->stop(kStopGrace);
  listener_.reset();
  if (!run_dir_.empty()) {
    remove_run_dir(run_dir_);
    run_dir_.clear();
  }
}

void Vm::stop() noexcept {
  teardown();
  std::lock_guard lock(info_mutex_);
  if (info_.state == VmState::kRunning) info_.state = VmState::kStopped;
  info_.pid = 0;
}

VmInfo Vm::info() {
  std::lock_guard lock(info_mutex_);
  if (info_.state == VmState::kRunning && machine_ && !machine_->alive()) {
    info_.state = VmState::kCrashed;
    info_.pid = 0;
  }
  return info_;
}

}  // namespace pyro::detail
