// The QEMU command line for a MachineSpec: pure, so it is unit-tested directly.
//
//   QemuHostInfo host{.qemu_binary = "/usr/bin/qemu-system-x86_64",
//                     .tsc_khz = read_host_tsc_khz()};
//   std::vector<std::string> argv = build_qemu_args(spec, host);  // argv[0] is the binary
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "backend/backend.hpp"

namespace pyro::detail {

/// Facts about the host that shape the command line.
struct QemuHostInfo {
  std::string qemu_binary;  ///< absolute path, becomes argv[0]
  uint64_t tsc_khz = 0;     ///< host TSC rate; 0 = unknown (then the guest calibrates itself)
  /// QEMU's own seccomp filter (`-sandbox`), a layer of the jail (docs/jail.md).
  bool sandbox = false;
  /// A detached VMM daemonizes itself (`-daemonize -pidfile`); false when the jailer
  /// does it (QEMU then runs in the foreground as the init of its PID namespace).
  bool qemu_daemonizes = true;
};

/// The `-sandbox` value: every seccomp group QEMU offers, denied.
inline constexpr const char* kSandboxOption =
    "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny";
/// The same for a QEMU that daemonizes itself (no jailer found): its `-daemonize`
/// fork and setsid come after the filter is installed, so `spawn=deny` kills it
/// (SIGSYS) and `elevateprivileges=deny` makes it fail.
inline constexpr const char* kSandboxOptionDaemonizing =
    "on,obsolete=deny,resourcecontrol=deny";

/// Guest kernel tick rate (Debian kernels: CONFIG_HZ=250); lpj = tsc_khz * 1000 / HZ.
inline constexpr uint64_t kGuestKernelHz = 250;
/// The user-mode network backend of a VM with network; port forwards name it.
inline constexpr const char* kNetdevId = "n0";

/// The file names QEMU creates inside MachineSpec::run_dir.
inline constexpr std::string_view kConsoleLogName = "console.log";  // written by the console keeper
inline constexpr std::string_view kQmpSocketName = "qmp.sock";
inline constexpr std::string_view kQemuLogName = "qemu.log";
inline constexpr std::string_view kPidFileName = "qemu.pid";  // detached VMMs only

/// Loops-per-jiffy for a TSC rate, as passed in `lpj=`.
uint64_t lpj_for_tsc_khz(uint64_t tsc_khz);

/// The `cpu MHz` of the first processor in /proc/cpuinfo text, in kHz (rounded); 0 if absent.
uint64_t parse_cpuinfo_tsc_khz(std::string_view cpuinfo);

/// The host TSC rate from /proc/cpuinfo; 0 when unknown.
uint64_t read_host_tsc_khz();

/// The kernel command line (the value of -append).
std::string build_kernel_cmdline(const MachineSpec& spec, const QemuHostInfo& host);

/// The full argv, argv[0] being host.qemu_binary. Throws Error(kInvalidArgument)
/// for a spec no VM can be started from (0 vCPUs, empty paths, ...).
std::vector<std::string> build_qemu_args(const MachineSpec& spec, const QemuHostInfo& host);

}  // namespace pyro::detail
