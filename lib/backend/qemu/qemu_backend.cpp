#include "backend/qemu/qemu_backend.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <regex>
#include <fmt/format.h>

#include "backend/qemu/console_keeper.hpp"
#include "backend/qemu/qemu_args.hpp"
#include "backend/qemu/qemu_machine.hpp"
#include "pyro/error.hpp"
#include "util/child_process.hpp"
#include "util/daemon_process.hpp"
#include "util/file_tail.hpp"
#include "util/find_executable.hpp"
#include "util/logging.hpp"

namespace pyro::detail {
namespace {

constexpr const char* kDefaultBinary = "qemu-system-x86_64";
constexpr const char* kImgTool = "qemu-img";
// From spawn to the QMP greeting: QEMU has parsed its options, loaded the
// kernel and entered its main loop. Milliseconds normally; generous for a
// loaded 2-core host.
constexpr auto kStartTimeout = std::chrono::seconds(30);
constexpr auto kVersionTimeout = std::chrono::seconds(10);
// Creating an overlay writes a few KiB of qcow2 metadata.
constexpr auto kOverlayTimeout = std::chrono::seconds(30);
constexpr auto kExitGrace = std::chrono::seconds(1);
constexpr size_t kStartLogBytes = 4096;

std::string join(const std::string& dir, std::string_view name) {
  if (!dir.empty() && dir.back() == '/') return dir + std::string(name);
  return dir + "/" + std::string(name);
}

std::string trim(std::string s) {
  auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

// Runs `argv` with its output on a pipe and returns what it printed; `how`, when
// given, receives how it ended ("exited with status 0").
std::string run_and_capture(const std::vector<std::string>& argv, Deadline deadline, std::string* how = nullptr) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    throw Error(ErrorCode::kUnavailable, fmt::format("create pipe: {}", std::strerror(errno)));
  }
  UniqueFd read_end(fds[0]);
  UniqueFd write_end(fds[1]);
  auto child = ChildProcess::spawn({.argv = argv, .output_fd = write_end.get()});
  write_end.reset();
  std::string out;
  char buf[4096];
  for (;;) {
    pollfd p{read_end.get(), POLLIN, 0};
    int rc = ::poll(&p, 1, poll_timeout_ms(deadline));
    if (rc < 0 && errno == EINTR) continue;
    if (rc == 0) {
      child->kill();
      throw Error(ErrorCode::kUnavailable, fmt::format("run `{}`: no answer in time", argv[0]));
    }
    ssize_t n = ::read(read_end.get(), buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (out.size() < (1u << 20)) out.append(buf, static_cast<size_t>(n));
  }
  if (!child->wait_until(deadline)) child->kill();
  if (how) *how = child->exit_description();
  return out;
}

}  // namespace

std::string parse_qemu_version(std::string_view version_output) {
  static const std::regex pattern(R"(QEMU emulator version (\d+\.\d+(\.\d+)?))");
  std::match_results<std::string_view::const_iterator> m;
  if (!std::regex_search(version_output.begin(), version_output.end(), m, pattern)) return {};
  return m[1].str();
}

std::string kvm_obstacle(const std::string& dev_kvm, const std::string& pvm_module_dir) {
  if (::access(dev_kvm.c_str(), F_OK) != 0) return fmt::format("`{}` does not exist", dev_kvm);
  UniqueFd fd(::open(dev_kvm.c_str(), O_RDWR | O_CLOEXEC));
  if (!fd) {
    return fmt::format("`{}` is not readable and writable by this user: {}", dev_kvm,
                       std::strerror(errno));
  }
  // PVM runs guests at CPL 3 and only with PVM-enabled kernels; stock kernels
  // die in its instruction emulator (feasibility.md §0).
  if (::access(pvm_module_dir.c_str(), F_OK) == 0) {
    return fmt::format("`{}` is provided by `kvm_pvm`, which cannot run stock guest kernels", dev_kvm);
  }
  return {};
}

QemuBackend::QemuBackend(std::string qemu_binary, JailSettings jail)
    : qemu_binary_(qemu_binary.empty() ? kDefaultBinary : std::move(qemu_binary)), jail_(std::move(jail)) {}

const JailHost& QemuBackend::jail_host() {
  std::lock_guard lock(mu_);
  if (!jail_host_) {
    std::string jailer, why_not;
    try {
      if (jail_.locate_jailer) jailer = jail_.locate_jailer();
      if (jailer.empty()) why_not = "no way to locate it";
    } catch (const Error& e) {
      why_not = e.what();
    }
    jail_host_ = probe_jail_host(jailer, why_not);
  }
  return *jail_host_;
}

std::vector<JailLayer> QemuBackend::jail_layers() {
  if (jail_.mode == JailMode::kOff) return {};
  return detail::jail_layers(jail_host());
}

std::vector<std::string> QemuBackend::launch_argv(const MachineSpec& spec, bool& jailed) {
  QemuHostInfo qemu{.qemu_binary = resolve_binary(), .tsc_khz = tsc_khz()};
  jailed = false;
  if (jail_.mode == JailMode::kOff) return build_qemu_args(spec, qemu);
  const JailHost& host = jail_host();
  // Skipped layers, grouped by cause, are logged once per backend.
  std::vector<std::pair<std::string, std::string>> skipped;  // cause, layer names
  for (const JailLayer& layer : detail::jail_layers(host)) {
    if (layer.available) continue;
    if (jail_.mode == JailMode::kStrict) {
      throw Error(ErrorCode::kUnavailable,
                  fmt::format("jail vm `{}`: layer `{}` is unavailable: {} (jail mode strict; best-effort would "
                              "skip it)", spec.vm_id, layer.name, layer.detail));
    }
    auto same = std::find_if(skipped.begin(), skipped.end(), [&](const auto& s) { return s.first == layer.detail; });
    if (same == skipped.end()) same = skipped.insert(skipped.end(), {layer.detail, ""});
    same->second += (same->second.empty() ? "`" : ", `") + layer.name + "`";
  }
  for (const auto& [cause, names] : skipped) {
    std::lock_guard lock(mu_);
    if (jail_warned_.insert(names).second) {
      log(LogLevel::kWarn, "jail: skipping {} for every vm (best-effort): {}", names, cause);
    }
  }
  qemu.sandbox = true;
  if (host.jailer.empty()) return build_qemu_args(spec, qemu);
  jailed = true;
  qemu.qemu_daemonizes = false;  // the jailer daemonizes, so QEMU can be its namespace's init
  return build_jailer_args(host, spec, build_qemu_args(spec, qemu), join(spec.run_dir, kPidFileName));
}

std::string QemuBackend::resolve_binary() const {
  std::string path = find_executable(qemu_binary_);
  if (!path.empty()) return path;
  if (qemu_binary_.find('/') != std::string::npos) {
    throw Error(ErrorCode::kUnavailable,
                fmt::format("find VMM `{}`: no executable file at this path", qemu_binary_));
  }
  throw Error(ErrorCode::kUnavailable,
              fmt::format("find VMM `{}`: not found in PATH; install the Debian package "
                          "qemu-system-x86",
                          qemu_binary_));
}

uint64_t QemuBackend::tsc_khz() {
  std::lock_guard lock(mu_);
  if (!tsc_read_) {
    tsc_khz_ = read_host_tsc_khz();
    tsc_read_ = true;
  }
  return tsc_khz_;
}

std::string QemuBackend::version() {
  {
    std::lock_guard lock(mu_);
    if (!version_.empty()) return version_;
  }
  std::string binary = resolve_binary();
  std::string output = run_and_capture({binary, "--version"}, deadline_after(kVersionTimeout));
  std::string version = parse_qemu_version(output);
  if (version.empty()) {
    throw Error(ErrorCode::kUnavailable,
                fmt::format("run `{} --version`: unexpected output: {}", binary,
                            trim(output.substr(0, 200))));
  }
  std::lock_guard lock(mu_);
  version_ = version;
  return version_;
}

std::unique_ptr<Machine> QemuBackend::launch(const MachineSpec& spec) {
  bool jailed = false;
  std::vector<std::string> argv = launch_argv(spec, jailed);
  const std::string log_path = join(spec.run_dir, kQemuLogName);
  UniqueFd log(::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!log) {
    throw Error(ErrorCode::kUnavailable,
                fmt::format("launch vm `{}`: create `{}`: {}", spec.vm_id, log_path, std::strerror(errno)));
  }
  ::unlink(join(spec.run_dir, kQmpSocketName).c_str());  // never connect to a stale one
  ::unlink(join(spec.run_dir, kPidFileName).c_str());
  ConsoleKeeper console = ConsoleKeeper::start(spec.run_dir);  // killed again unless QEMU starts
  std::unique_ptr<QemuMachine> machine;
  if (spec.detached) {
    machine = launch_daemon(spec, argv, log.get());
  } else {
    auto child = ChildProcess::spawn({.argv = argv, .output_fd = log.get()});
    machine = std::make_unique<QemuMachine>(std::move(child), spec.run_dir);
  }
  log.reset();
  try {
    // QEMU answers on QMP only once its options are valid, the kernel is loaded
    // and its main loop runs: a reliable "it started" instead of a sleep.
    machine->connect_qmp(deadline_after(kStartTimeout));
  } catch (const Error& e) {
    std::string why;
    // QEMU accepts a QMP connection before it validates everything, then exits
    // on a bad option; give it a moment so the report names the real cause.
    if (machine->wait_exit(deadline_after(kExitGrace))) {
      why = machine->exit_description();  // includes the end of qemu.log
    } else {
      std::string log_text = trim(machine->log_tail(kStartLogBytes));
      machine->kill();
      why = fmt::format("did not answer on qmp: {}", e.what());
      if (!log_text.empty()) why += ": " + log_text;
    }
    throw Error(ErrorCode::kUnavailable, fmt::format("launch vm `{}`: qemu {}", spec.vm_id, why));
  }
  console.release();  // QEMU has the FIFO open: the keeper ends with it
  if (jailed && !spec.detached) {
    // The jailer is our child; QEMU, its child, is the VM's process.
    std::ifstream in(join(spec.run_dir, kPidFileName));
    int64_t vmm_pid = 0;
    if (in >> vmm_pid && vmm_pid > 0) machine->set_vmm_pid(vmm_pid);
  }
  return machine;
}

// `-daemonize`: the process we start exits once the daemon it forked is set up
// (options checked, sockets listening); the daemon, reparented and in its own
// session, keeps running after this process ends.
std::unique_ptr<QemuMachine> QemuBackend::launch_daemon(const MachineSpec& spec,
                                                        const std::vector<std::string>& argv, int log_fd) {
  const std::string pid_path = join(spec.run_dir, kPidFileName);
  ::unlink(pid_path.c_str());
  auto starter = ChildProcess::spawn({.argv = argv, .output_fd = log_fd, .die_with_parent = false});
  if (!starter->wait_until(deadline_after(kStartTimeout))) {
    starter->kill();
    throw Error(ErrorCode::kUnavailable,
                fmt::format("launch vm `{}`: qemu did not finish daemonizing in time", spec.vm_id));
  }
  const std::string how = starter->exit_description();
  std::ifstream in(pid_path);
  int64_t pid = 0;
  if (how != "exited with status 0" || !(in >> pid) || pid <= 0) {
    throw Error(ErrorCode::kUnavailable,
                fmt::format("launch vm `{}`: qemu {}: {}", spec.vm_id, how,
                            trim(read_file_tail(join(spec.run_dir, kQemuLogName), kStartLogBytes))));
  }
  auto start_time = process_start_time(pid);
  if (!start_time) {
    throw Error(ErrorCode::kUnavailable,
                fmt::format("launch vm `{}`: qemu daemon {} exited at once: {}", spec.vm_id, pid,
                            trim(read_file_tail(join(spec.run_dir, kQemuLogName), kStartLogBytes))));
  }
  return std::make_unique<QemuMachine>(std::make_unique<DaemonProcess>(pid, *start_time), spec.run_dir);
}

std::unique_ptr<Machine> QemuBackend::attach(const std::string& run_dir, const MachineRef& ref) {
  return std::make_unique<QemuMachine>(std::make_unique<DaemonProcess>(ref.pid, ref.start_time), run_dir,
                                       /*owned=*/false);
}

std::string QemuBackend::resolve_img_tool() const {
  const std::string configured = find_executable(qemu_binary_);
  if (const size_t slash = configured.rfind('/'); slash != std::string::npos) {
    const std::string sibling = configured.substr(0, slash + 1) + kImgTool;
    if (::access(sibling.c_str(), X_OK) == 0) return sibling;
  }
  std::string path = find_executable(kImgTool);
  if (path.empty()) {
    throw Error(ErrorCode::kUnavailable,
                fmt::format("find `{}`: not found in PATH; install the Debian package qemu-utils", kImgTool));
  }
  return path;
}

Drive QemuBackend::create_overlay(const std::string& base, const std::string& overlay_path) {
  const std::string tool = resolve_img_tool();
  // -F raw: the base is never probed for a format (its content is a guest's); -u
  // with the size: qemu-img does not even open it.
  struct stat st {};
  if (::stat(base.c_str(), &st) != 0) {
    throw Error(ErrorCode::kNotFound, fmt::format("create overlay of `{}`: {}", base, std::strerror(errno)));
  }
  std::string how;
  const std::string out =
      run_and_capture({tool, "create", "-q", "-u", "-f", "qcow2", "-b", base, "-F", "raw", overlay_path,
                       std::to_string(st.st_size)},
                      deadline_after(kOverlayTimeout), &how);
  if (how != "exited with status 0") {
    ::unlink(overlay_path.c_str());
    throw Error(ErrorCode::kUnavailable,
                fmt::format("create overlay `{}`: `{}` {}: {}", overlay_path, tool, how, trim(out.substr(0, 500))));
  }
  return Drive{overlay_path, /*read_only=*/false, "qcow2", /*persistent=*/false, base};
}

std::string QemuBackend::accelerator_obstacle(Accelerator accel) {
  if (accel == Accelerator::kTcg) return {};
  return kvm_obstacle("/dev/kvm", "/sys/module/kvm_pvm");
}

std::unique_ptr<Backend> make_qemu_backend(const std::string& qemu_binary, JailSettings jail) {
  return std::make_unique<QemuBackend>(qemu_binary, std::move(jail));
}

}  // namespace pyro::detail
