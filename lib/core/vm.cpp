#include "core/vm.hpp"

#include <fmt/format.h>

#include "core/home.hpp"
#include "core/logging.hpp"
#include "pyro/error.hpp"

namespace pyro::detail {
namespace {

// The agent kills a command at its timeout; this covers draining and the reply.
constexpr auto kExecReplyGrace = std::chrono::seconds(15);
constexpr auto kStopGrace = std::chrono::milliseconds(1000);
constexpr size_t kConsoleTailBytes = 2048;

uint64_t ms_since(Clock::time_point start) {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count());
}

// A wait that ended because cancel() killed the VM reports kCancelled, not a crash.
[[noreturn]] void rethrow_in_context(const Error& e, bool cancelled, const std::string& context) {
  throw Error(cancelled ? ErrorCode::kCancelled : e.code(), fmt::format("{}: {}", context, e.what()));
}

}  // namespace

Vm::Vm(VmInfo info, BootSet boot, std::string home)
    : info_(std::move(info)), boot_(std::move(boot)), home_(std::move(home)) {}

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

void Vm::boot_once(Backend& backend, Accelerator accel, std::chrono::milliseconds timeout) {
  const auto started = Clock::now();
  const Deadline deadline = started + timeout;
  run_dir_ = create_run_dir(home_, info_.vm_id);
  listener_ = std::make_unique<AgentListener>(run_dir_ + "/agent.sock");

  MachineSpec spec;
  spec.vm_id = info_.vm_id;
  spec.boot = boot_;
  spec.vcpu_count = info_.vcpu_count;
  spec.mem_mib = info_.mem_mib;
  spec.network = info_.network;
  spec.accelerator = accel;
  spec.run_dir = run_dir_;
  spec.agent_socket = listener_->path();
  if (!boot_.rootfs_path.empty()) {
    // The initramfs mounts it read-only under a tmpfs overlay, then switches root.
    spec.drives.push_back(Drive{boot_.rootfs_path, /*read_only=*/true, "raw"});
    spec.kernel_args.push_back("pyro.root=/dev/vda");
  }
  auto machine = backend.launch(spec);
  {
    std::lock_guard lock(info_mutex_);
    machine_ = std::move(machine);
  }

  DeathCheck dead = [this] { return death_description(); };
  UniqueFd fd = listener_->accept(deadline, dead);
  agent_ = std::make_unique<AgentConnection>(std::move(fd), dead);
  const AgentHello& hello = agent_->wait_hello(deadline);

  std::lock_guard lock(info_mutex_);
  info_.state = VmState::kRunning;
  info_.accelerator = accelerator_name(accel);
  info_.pid = machine_->pid();
  info_.boot_ms = ms_since(started);
  log(LogLevel::kInfo, "vm `{}` booted with {} in {} ms (agent {}, kernel {})", info_.vm_id,
      info_.accelerator, info_.boot_ms, hello.agent_version, hello.kernel);
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
  const auto timeout_ms = static_cast<int64_t>(options.timeout_seconds * 1000.0);
  nlohmann::json params = {
      {"command", command},
      {"timeout_ms", timeout_ms},
      {"stdout_limit", options.max_output_bytes},
      {"stderr_limit", options.max_output_bytes},
  };
  if (!options.env.empty()) params["env"] = options.env;
  if (!options.cwd.empty()) params["cwd"] = options.cwd;

  ExecResult result;
  result.vm_id = info_.vm_id;
  // The agent enforces the limits; the host enforces them again so a faulty
  // guest cannot make the host buffer without bound.
  auto sink = [&](protocol::Channel channel, std::string_view bytes) {
    std::string& out = channel == protocol::Channel::kStderr ? result.stderr_data : result.stdout_data;
    size_t room = options.max_output_bytes > out.size() ? options.max_output_bytes - out.size() : 0;
    out.append(bytes.substr(0, room));
  };
  const Deadline deadline = Clock::now() + std::chrono::milliseconds(timeout_ms) + kExecReplyGrace;
  nlohmann::json reply;
  try {
    reply = agent_->call("exec", params, deadline, sink);
  } catch (const Error& e) {
    bool cancelled;
    {
      std::lock_guard lock(info_mutex_);
      cancelled = cancelled_;
    }
    rethrow_in_context(e, cancelled, fmt::format("exec in vm `{}`", info_.vm_id));
  }
  try {
    result.exit_code = reply.at("exit_code").get<int>();
    result.signal = reply.value("signal", 0);
    result.timed_out = reply.value("timed_out", false);
    result.duration_ms = reply.value("duration_ms", uint64_t{0});
    result.stdout_truncated = reply.value("stdout_truncated", false) ||
                              reply.value("stdout_bytes", uint64_t{0}) > result.stdout_data.size();
    result.stderr_truncated = reply.value("stderr_truncated", false) ||
                              reply.value("stderr_bytes", uint64_t{0}) > result.stderr_data.size();
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorCode::kAgentProtocol,
                fmt::format("exec in vm `{}`: malformed exec result: {}", info_.vm_id, e.what()));
  }
  return result;
}

void Vm::cancel() noexcept {
  std::lock_guard lock(info_mutex_);
  cancelled_ = true;
  if (machine_) machine_->kill();
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
