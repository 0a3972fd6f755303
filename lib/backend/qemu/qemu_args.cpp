#include "backend/qemu/qemu_args.hpp"

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <fmt/format.h>

#include "backend/qemu/console_keeper.hpp"
#include "pyro/error.hpp"
#include "util/unix_socket.hpp"

namespace pyro::detail {
namespace {

std::string join_path(const std::string& dir, std::string_view name) {
  if (!dir.empty() && dir.back() == '/') return dir + std::string(name);
  return dir + "/" + std::string(name);
}

[[noreturn]] void reject(const MachineSpec& spec, const std::string& cause) {
  throw Error(ErrorCode::kInvalidArgument, fmt::format("launch vm `{}`: {}", spec.vm_id, cause));
}

void require_path(const MachineSpec& spec, const std::string& path, std::string_view field) {
  if (path.empty()) reject(spec, fmt::format("`{}` is empty", field));
  if (path.front() != '/') reject(spec, fmt::format("`{}` is not absolute: `{}`", field, path));
}

// QEMU splits option values at commas (`-qmp unix:...,server=on`); a comma in a
// path would silently change the meaning of the option.
void require_no_comma(const MachineSpec& spec, const std::string& path, std::string_view field) {
  if (path.find(',') != std::string::npos) {
    reject(spec, fmt::format("`{}` contains a comma, which qemu options cannot carry: `{}`", field, path));
  }
}

void require_socket_path(const MachineSpec& spec, const std::string& path, std::string_view field) {
  if (path.size() > max_unix_socket_path()) {
    reject(spec, fmt::format("`{}` is longer than the {} bytes a unix socket path may have: `{}`",
                             field, max_unix_socket_path(), path));
  }
}

void validate(const MachineSpec& spec, const QemuHostInfo& host) {
  if (host.qemu_binary.empty()) reject(spec, "no qemu binary given");
  if (spec.vcpu_count == 0) reject(spec, "`vcpu_count` must be at least 1");
  if (spec.mem_mib == 0) reject(spec, "`mem_mib` must be at least 1");
  require_path(spec, spec.boot.kernel_path, "kernel_path");
  require_path(spec, spec.boot.initrd_path, "initrd_path");
  require_path(spec, spec.run_dir, "run_dir");
  require_path(spec, spec.agent_socket, "agent_socket");
  require_no_comma(spec, spec.run_dir, "run_dir");
  require_no_comma(spec, spec.agent_socket, "agent_socket");
  require_socket_path(spec, spec.agent_socket, "agent_socket");
  require_socket_path(spec, join_path(spec.run_dir, kQmpSocketName), "run_dir");
  for (const auto& drive : spec.drives) {
    require_path(spec, drive.path, "drives[].path");
    require_no_comma(spec, drive.path, "drives[].path");
    if (drive.format != "raw" && drive.format != "qcow2") {
      reject(spec, fmt::format("`drives[].format` must be raw or qcow2, not `{}`", drive.format));
    }
    if (!drive.backing_path.empty()) {
      if (drive.format != "qcow2") reject(spec, "`drives[].backing_path` needs format qcow2");
      require_path(spec, drive.backing_path, "drives[].backing_path");
      require_no_comma(spec, drive.backing_path, "drives[].backing_path");
    }
  }
  if (spec.memory_file) {
    require_path(spec, spec.memory_file->path, "memory_file.path");
    require_no_comma(spec, spec.memory_file->path, "memory_file.path");
  }
}

}  // namespace

uint64_t lpj_for_tsc_khz(uint64_t tsc_khz) { return tsc_khz * 1000 / kGuestKernelHz; }

uint64_t parse_cpuinfo_tsc_khz(std::string_view cpuinfo) {
  std::istringstream in{std::string(cpuinfo)};
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("cpu MHz", 0) != 0) continue;
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    const char* start = line.c_str() + colon + 1;
    char* end = nullptr;
    double mhz = std::strtod(start, &end);
    if (end == start || !(mhz > 0) || !std::isfinite(mhz)) return 0;
    return static_cast<uint64_t>(std::llround(mhz * 1000.0));
  }
  return 0;
}

uint64_t read_host_tsc_khz() {
  std::ifstream in("/proc/cpuinfo");
  if (!in) return 0;
  std::ostringstream text;
  text << in.rdbuf();
  return parse_cpuinfo_tsc_khz(text.str());
}

std::string build_kernel_cmdline(const MachineSpec& spec, const QemuHostInfo& host) {
  // panic=-1 with -no-reboot: a guest panic ends the QEMU process at once.
  // cryptomgr.notests: the crypto self-tests cost ~0.35 s of boot under TCG.
  std::string cmdline = "console=ttyS0 quiet panic=-1 cryptomgr.notests";
  // Under TCG the kernel's PIT-based TSC calibration fails now and then and the
  // boot hangs (feasibility.md §3.8); giving the rate avoids the calibration.
  if (spec.accelerator == Accelerator::kTcg && host.tsc_khz > 0) {
    cmdline += fmt::format(" tsc_early_khz={} lpj={}", host.tsc_khz, lpj_for_tsc_khz(host.tsc_khz));
  }
  // Under TCG the clocksource watchdog compares the TSC with jiffies, which lose ticks
  // whenever the host is busy, and marks the TSC unstable; the guest then keeps time
  // with refined-jiffies, which cannot go tickless: 250 timer interrupts a second in
  // an idle VM, each a trip through TCG. QEMU's TSC follows the host clock, so trust it.
  if (spec.accelerator == Accelerator::kTcg) cmdline += " tsc=reliable";
  cmdline += spec.network ? " pyro.net=1" : " pyro.net=0";
  for (const auto& arg : spec.kernel_args) {
    if (!arg.empty()) cmdline += " " + arg;
  }
  return cmdline;
}

std::vector<std::string> build_qemu_args(const MachineSpec& spec, const QemuHostInfo& host) {
  validate(spec, host);
  std::vector<std::string> args{host.qemu_binary};
  auto add = [&args](std::initializer_list<std::string> items) {
    args.insert(args.end(), items.begin(), items.end());
  };
  if (spec.accelerator == Accelerator::kTcg) {
    // microvm leaves PIT, PIC and RTC off without an in-kernel irqchip, and a guest
    // that must calibrate its TSC against the PIT hangs without one. Given the TSC
    // rate (tsc_early_khz, below) it calibrates nothing, and the PIT's timer would
    // only wake QEMU's main loop dozens of times a second in every idle VM.
    const bool need_pit = host.tsc_khz == 0;
    add({"-M", need_pit ? "microvm,pit=on,pic=on,rtc=on" : "microvm,pit=off,pic=on,rtc=on", "-accel", "tcg"});
    // qemu64 (the default model, which keeps `svm` for nested KVM) plus ARAT: without
    // an always-running APIC timer the guest needs a one-shot broadcast timer, microvm
    // has none, and the kernel stays on a periodic 250 Hz tick even when idle.
    add({"-cpu", "qemu64,+arat"});
  } else {
    // Plain `-cpu host` makes QEMU abort on hosts refusing IA32_ARCH_CAPABILITIES.
    add({"-M", "microvm", "-accel", "kvm", "-cpu", "host,-arch-capabilities"});
  }
  add({"-m", std::to_string(spec.mem_mib), "-smp", std::to_string(spec.vcpu_count)});
  add({"-nodefaults", "-no-user-config", "-display", "none", "-no-reboot"});
  add({"-kernel", spec.boot.kernel_path, "-initrd", spec.boot.initrd_path});
  add({"-append", build_kernel_cmdline(spec, host)});
  // The console goes through a FIFO to a keeper that bounds it on disk (console_keeper.hpp).
  add({"-chardev", "pipe,id=console,path=" + console_chardev_path(spec.run_dir), "-serial", "chardev:console"});
  add({"-qmp", "unix:" + join_path(spec.run_dir, kQmpSocketName) + ",server=on,wait=off"});
  if (spec.detached) {
    // A detached VMM outlives its starter: it listens, and each later process connects.
    add({"-chardev", "socket,id=agent,path=" + spec.agent_socket + ",server=on,wait=off"});
    if (host.qemu_daemonizes) add({"-daemonize", "-pidfile", join_path(spec.run_dir, kPidFileName)});
  } else {
    // No server=on: QEMU connects to the socket the host already listens on.
    add({"-chardev", "socket,id=agent,path=" + spec.agent_socket});
  }
  add({"-device", "virtio-serial-device", "-device", "virtserialport,chardev=agent,name=pyro.agent"});
  // cache=unsafe for disks thrown away with the VM (flushes would only cost time);
  // a persistent disk (a workspace's) honours the guest's flushes.
  for (size_t i = 0; i < spec.drives.size(); ++i) {
    const Drive& drive = spec.drives[i];
    const std::string id = fmt::format("drive{}", i);
    std::string options = fmt::format("file={},format={},if=none,id={},readonly={},cache={}", drive.path,
                                      drive.format, id, drive.read_only ? "on" : "off",
                                      drive.persistent ? "writeback" : "unsafe");
    // Named on the command line rather than taken from the overlay's header, and
    // opened as raw: the backing file's content is never probed for a format.
    if (!drive.backing_path.empty()) options += ",backing.driver=raw,backing.file.filename=" + drive.backing_path;
    add({"-drive", options, "-device", "virtio-blk-device,drive=" + id});
  }
  if (spec.network) {
    add({"-netdev", fmt::format("user,id={}", kNetdevId), "-device", fmt::format("virtio-net-device,netdev={}", kNetdevId)});
  }
  // The RAM backend is not a device: a template (shared) and its clones (private)
  // may differ here and still agree on the device list a restore needs.
  if (spec.memory_file) {
    add({"-object", fmt::format("memory-backend-file,id=mem,size={}M,mem-path={},share={}", spec.mem_mib,
                                spec.memory_file->path, spec.memory_file->shared ? "on" : "off"),
         "-machine", "memory-backend=mem"});
  }
  if (spec.incoming) add({"-incoming", "defer"});
  if (host.sandbox) add({"-sandbox", host.qemu_daemonizes ? kSandboxOptionDaemonizing : kSandboxOption});
  return args;
}

}  // namespace pyro::detail
