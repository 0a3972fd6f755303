#include "backend/qemu/qemu_machine.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <thread>

#include <fmt/format.h>

#include "backend/qemu/console_keeper.hpp"
#include "backend/qemu/qemu_args.hpp"
#include "util/daemon_process.hpp"
#include "util/file_tail.hpp"

namespace pyro::detail {
namespace {

constexpr size_t kExitLogTailBytes = 2048;

std::string trim(std::string s) {
  auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  auto last = s.find_last_not_of(" \t\r\n");
  return s.substr(first, last - first + 1);
}

}  // namespace

QemuMachine::QemuMachine(std::unique_ptr<ProcessHandle> child, std::string run_dir, bool owned)
    : child_(std::move(child)), run_dir_(std::move(run_dir)), owned_(owned) {}

QemuMachine::~QemuMachine() {
  {
    std::lock_guard lock(qmp_mu_);
    qmp_.reset();
  }
  if (!owned_) return;  // a detached VMM lives on; its sockets are its own
  child_->kill();
  ::unlink(run_path(kQmpSocketName).c_str());
}

MachineRef QemuMachine::ref() const {
  if (auto* daemon = dynamic_cast<const DaemonProcess*>(child_.get())) {
    return {daemon->pid(), daemon->start_time()};
  }
  return {pid(), process_start_time(pid()).value_or(0)};
}

void QemuMachine::pause(std::chrono::milliseconds timeout) {
  try {
    qmp_execute("stop", nullptr, deadline_after(timeout));
  } catch (const QmpCommandError& e) {
    throw Error(ErrorCode::kUnavailable, fmt::format("pause vm: {}", e.what()));
  }
}

void QemuMachine::nudge(std::chrono::milliseconds timeout) {
  try {
    qmp_execute("inject-nmi", nullptr, deadline_after(timeout));
  } catch (const QmpCommandError& e) {
    throw Error(ErrorCode::kUnavailable, fmt::format("inject an nmi: {}", e.what()));
  }
}

void QemuMachine::resume(std::chrono::milliseconds timeout) {
  try {
    qmp_execute("cont", nullptr, deadline_after(timeout));
  } catch (const QmpCommandError& e) {
    throw Error(ErrorCode::kUnavailable, fmt::format("resume vm: {}", e.what()));
  }
}

std::string QemuMachine::run_path(std::string_view name) const {
  if (!run_dir_.empty() && run_dir_.back() == '/') return run_dir_ + std::string(name);
  return run_dir_ + "/" + std::string(name);
}

void QemuMachine::connect_qmp(Deadline deadline) {
  QmpClient client = QmpClient::connect(run_path(kQmpSocketName), deadline,
                                        [this] { return child_->alive(); });
  std::lock_guard lock(qmp_mu_);
  qmp_.emplace(std::move(client));
}

nlohmann::json QemuMachine::qmp_execute(const std::string& command, const nlohmann::json& arguments,
                                        Deadline deadline) {
  std::lock_guard lock(qmp_mu_);
  if (!qmp_ && !owned_) {
    // An attached (detached-VMM) machine connects on first use.
    qmp_.emplace(QmpClient::connect(run_path(kQmpSocketName), deadline, [this] { return child_->alive(); }));
  }
  if (!qmp_) {
    throw Error(ErrorCode::kUnavailable, fmt::format("qmp command `{}`: not connected", command));
  }
  try {
    return qmp_->execute(command, arguments, deadline);
  } catch (const QmpCommandError&) {
    throw;  // the connection is still in step
  } catch (const Error&) {
    // A timed-out or broken exchange leaves the stream in an unknown state.
    qmp_.reset();
    throw;
  }
}

std::string QemuMachine::log_tail(size_t max_bytes) const {
  return read_file_tail(run_path(kQemuLogName), max_bytes);
}

std::string QemuMachine::exit_description() {
  std::string status = child_->exit_description();
  if (status.empty()) return {};
  std::string log = trim(log_tail(kExitLogTailBytes));
  return log.empty() ? status : status + ": " + log;
}

std::string QemuMachine::console_tail(size_t max_bytes) {
  return read_console_tail(run_dir_, max_bytes, !child_->alive());
}

void QemuMachine::stop(std::chrono::milliseconds grace) {
  const Deadline deadline = deadline_after(grace);
  bool asked = false;
  {
    std::lock_guard lock(qmp_mu_);
    if (!qmp_ && !owned_ && child_->alive()) {
      try {
        qmp_.emplace(QmpClient::connect(run_path(kQmpSocketName), deadline, [this] { return child_->alive(); }));
      } catch (const Error&) {
        // no QMP: the kill below still ends it
      }
    }
    if (qmp_ && child_->alive()) {
      try {
        qmp_->execute("quit", deadline);
        asked = true;
      } catch (const QmpCommandError&) {
        // refused: nothing will happen, so do not wait
      } catch (const Error&) {
        asked = true;  // QEMU may close the socket before its reply arrives
      }
    }
    qmp_.reset();
  }
  if (!asked || !child_->wait_until(deadline)) child_->kill();
}

void QemuMachine::kill() {
  child_->kill();
  std::lock_guard lock(qmp_mu_);
  qmp_.reset();
}

namespace {

// QMP commands answer in well under a millisecond; polling this often keeps a
// restore's latency close to what QEMU itself needs.
constexpr auto kMigrationPollInterval = std::chrono::milliseconds(1);

const nlohmann::json kIgnoreShared = {
    {"capabilities", {{{"capability", "x-ignore-shared"}, {"state", true}}}}};

// The migration stream goes through a descriptor the host opened and hands over on
// QMP, under this name: QEMU needs neither a path to the state file nor a shell
// (a jailed QEMU can start no process: `-sandbox spawn=deny`).
constexpr const char* kStateFdName = "pyro-state";
constexpr const char* kStateFdUri = "fd:pyro-state";

UniqueFd open_state_file(const std::string& path, int flags, const std::string& what) {
  UniqueFd fd(::open(path.c_str(), flags | O_CLOEXEC, 0600));
  if (!fd) throw Error(ErrorCode::kUnavailable, fmt::format("{}: open: {}", what, std::strerror(errno)));
  return fd;
}

}  // namespace

void QemuMachine::pass_fd(const char* name, int fd, Deadline deadline) {
  std::lock_guard lock(qmp_mu_);
  if (!qmp_) throw Error(ErrorCode::kUnavailable, "qmp command `getfd`: not connected");
  try {
    qmp_->execute_with_fd("getfd", {{"fdname", name}}, fd, deadline);
  } catch (const QmpCommandError&) {
    throw;
  } catch (const Error&) {
    qmp_.reset();
    throw;
  }
}

void QemuMachine::save_state(const std::string& state_path, std::chrono::milliseconds timeout) {
  const Deadline deadline = deadline_after(timeout);
  const std::string what = fmt::format("save vm state to `{}`", state_path);
  try {
    qmp_execute("stop", nullptr, deadline);
    // RAM in a shared memory file is not copied into the stream: the file is the RAM.
    qmp_execute("migrate-set-capabilities", kIgnoreShared, deadline);
    {
      UniqueFd out = open_state_file(state_path, O_WRONLY | O_CREAT | O_TRUNC, what);
      pass_fd(kStateFdName, out.get(), deadline);
    }
    qmp_execute("migrate", {{"uri", kStateFdUri}}, deadline);
    for (;;) {
      nlohmann::json info = qmp_execute("query-migrate", nullptr, deadline);
      const std::string status = info.value("status", "");
      if (status == "completed") return;
      if (status == "failed" || status == "cancelled") {
        throw Error(ErrorCode::kUnavailable,
                    fmt::format("{}: migration {}: {}", what, status, info.value("error-desc", "no reason given")));
      }
      if (Clock::now() >= deadline) {
        try {
          qmp_execute("migrate_cancel", nullptr, deadline_after(std::chrono::seconds(1)));
        } catch (const Error&) {
        }
        throw Error(ErrorCode::kDeadlineExceeded, fmt::format("{}: deadline exceeded ({})", what, status));
      }
      std::this_thread::sleep_for(kMigrationPollInterval);
    }
  } catch (const QmpCommandError& e) {
    throw Error(ErrorCode::kUnavailable, fmt::format("{}: {}", what, e.what()));
  } catch (const Error& e) {
    if (e.code() == ErrorCode::kDeadlineExceeded || child_->alive()) throw;
    throw Error(ErrorCode::kUnavailable, fmt::format("{}: qemu {}", what, exit_description()));
  }
}

void QemuMachine::load_state(const std::string& state_path, std::chrono::milliseconds timeout) {
  const Deadline deadline = deadline_after(timeout);
  const std::string what = fmt::format("load vm state from `{}`", state_path);
  try {
    qmp_execute("migrate-set-capabilities", kIgnoreShared, deadline);
    {
      UniqueFd in = open_state_file(state_path, O_RDONLY, what);
      pass_fd(kStateFdName, in.get(), deadline);
    }
    qmp_execute("migrate-incoming", {{"uri", kStateFdUri}}, deadline);
    // The source was paused when it saved, so the loaded VM ends up paused too.
    // QEMU 7.2 exits when an incoming migration fails, which the catch reports.
    for (;;) {
      const std::string status = qmp_execute("query-status", nullptr, deadline).value("status", "");
      if (status == "running") return;
      if (status == "paused") break;
      if (status != "inmigrate") {
        throw Error(ErrorCode::kUnavailable, fmt::format("{}: the vm is `{}` after loading", what, status));
      }
      if (Clock::now() >= deadline) {
        throw Error(ErrorCode::kDeadlineExceeded, fmt::format("{}: deadline exceeded", what));
      }
      std::this_thread::sleep_for(kMigrationPollInterval);
    }
    qmp_execute("cont", nullptr, deadline);
  } catch (const QmpCommandError& e) {
    throw Error(ErrorCode::kUnavailable, fmt::format("{}: {}", what, e.what()));
  } catch (const Error& e) {
    if (child_->alive()) throw;
    // Give QEMU a moment to finish writing why it gave up.
    child_->wait_until(deadline_after(std::chrono::milliseconds(200)));
    throw Error(ErrorCode::kUnavailable, fmt::format("{}: qemu {}", what, exit_description()));
  }
}

std::string QemuMachine::monitor_command(const std::string& command, Deadline deadline) {
  nlohmann::json reply = qmp_execute("human-monitor-command", {{"command-line", command}}, deadline);
  return reply.is_string() ? reply.get<std::string>() : std::string();
}

void QemuMachine::add_port_forward(uint32_t host_port, uint32_t guest_port, std::chrono::milliseconds timeout) {
  // Only ever 127.0.0.1 on the host; the guest side defaults to its fixed 10.0.2.15.
  const std::string rule = fmt::format("tcp:127.0.0.1:{}-:{}", host_port, guest_port);
  std::string out;
  try {
    out = monitor_command(fmt::format("hostfwd_add {} {}", kNetdevId, rule), deadline_after(timeout));
  } catch (const QmpCommandError& e) {
    throw Error(ErrorCode::kUnavailable, fmt::format("forward `{}`: {}", rule, e.what()));
  }
  // HMP prints nothing on success and a sentence on failure (a port taken, no such netdev).
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  if (!out.empty()) {
    const bool taken = out.find("ould not set up") != std::string::npos;  // the bind failed
    throw Error(taken ? ErrorCode::kAlreadyExists : ErrorCode::kUnavailable,
                fmt::format("forward `{}`: {}", rule, out));
  }
}

void QemuMachine::remove_port_forward(uint32_t host_port, std::chrono::milliseconds timeout) {
  const std::string rule = fmt::format("tcp:127.0.0.1:{}", host_port);
  std::string out;
  try {
    out = monitor_command(fmt::format("hostfwd_remove {} {}", kNetdevId, rule), deadline_after(timeout));
  } catch (const QmpCommandError& e) {
    throw Error(ErrorCode::kUnavailable, fmt::format("remove forward `{}`: {}", rule, e.what()));
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  // Success says "host forwarding rule for ... removed"; a missing rule "... not found".
  if (out.find("removed") == std::string::npos) {
    throw Error(ErrorCode::kNotFound, fmt::format("remove forward `{}`: {}", rule, out.empty() ? "no answer" : out));
  }
}

}  // namespace pyro::detail
