// class Pyro: the operations every surface maps onto. Owns its VMs; each VM has
// its own lock, so operations on different VMs run concurrently.
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>

#include <fmt/format.h>

#include "backend/backend.hpp"
#include "core/accelerator.hpp"
#include "core/home.hpp"
#include "core/logging.hpp"
#include "core/validate.hpp"
#include "core/vm.hpp"
#include "env/catalog.hpp"
#include "pyro/client.hpp"
#include "pyro/error.hpp"

namespace pyro {
inline namespace v1 {
using detail::Accelerator;
using detail::Vm;

namespace {

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : fallback;
}

std::chrono::milliseconds to_ms(double seconds) {
  return std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000.0));
}

}  // namespace

struct Pyro::Impl {
  ClientOptions options;
  std::string home;
  std::unique_ptr<detail::Backend> backend;
  detail::Catalog catalog;

  std::mutex vms_mutex;
  std::map<std::string, std::shared_ptr<Vm>> vms;
  uint64_t created_seq = 0;
  std::map<std::string, uint64_t> order;  // vm_id -> creation sequence

  std::mutex accel_mutex;
  std::optional<detail::AcceleratorChoice> accel;

  explicit Impl(ClientOptions opts)
      : options(std::move(opts)),
        home(detail::resolve_home(options.home)),
        backend(detail::make_qemu_backend(env_or("PYRO_QEMU", options.qemu_binary))),
        catalog(home) {
    options.accelerator = options.accelerator.empty() ? env_or("PYRO_ACCEL", "auto") : options.accelerator;
    if (options.accelerator != "auto" && options.accelerator != "kvm" && options.accelerator != "tcg") {
      throw Error(ErrorCode::kInvalidArgument,
                  fmt::format("check `accelerator`: unknown `{}` (expected auto, kvm or tcg)",
                              options.accelerator));
    }
    if (!(options.boot_timeout_seconds > 0) || options.boot_timeout_seconds > 600) {
      throw Error(ErrorCode::kInvalidArgument,
                  fmt::format("check `boot_timeout_seconds`: {} is not in (0, 600]",
                              options.boot_timeout_seconds));
    }
    detail::sweep_stale_run_dirs(home);
  }

  ~Impl() {
    std::map<std::string, std::shared_ptr<Vm>> doomed;
    {
      std::lock_guard lock(vms_mutex);
      doomed.swap(vms);
    }
    for (auto& [id, vm] : doomed) vm->cancel();
    for (auto& [id, vm] : doomed) {
      std::lock_guard op(vm->op_mutex());
      vm->stop();
    }
  }

  std::shared_ptr<Vm> find(const std::string& vm_id, const char* action) {
    std::lock_guard lock(vms_mutex);
    auto it = vms.find(vm_id);
    if (it == vms.end()) {
      throw Error(ErrorCode::kNotFound, fmt::format("{} vm `{}`: no such vm in this client", action, vm_id));
    }
    return it->second;
  }

  std::shared_ptr<Vm> take(const std::string& vm_id) {
    std::lock_guard lock(vms_mutex);
    auto it = vms.find(vm_id);
    if (it == vms.end()) return nullptr;
    auto vm = it->second;
    vms.erase(it);
    order.erase(vm_id);
    return vm;
  }

  // The accelerator, chosen once per client; the test boot reuses `boot`.
  detail::AcceleratorChoice accelerator_for(const detail::BootSet& boot) {
    std::lock_guard lock(accel_mutex);
    if (!accel) {
      accel = detail::choose_accelerator(options.accelerator, *backend, [&](Accelerator a) {
        VmInfo probe;
        probe.vm_id = detail::new_vm_id();
        probe.environment = "probe";
        probe.vcpu_count = 1;
        probe.mem_mib = 256;
        Vm vm(probe, boot, home);
        vm.start(*backend, a, std::chrono::seconds(15));
        vm.ping();
      });
      detail::log(LogLevel::kInfo, "accelerator {}: {}", detail::accelerator_name(accel->accelerator),
                  accel->reason);
    }
    return *accel;
  }

  VmInfo create(const std::string& environment, const VmOptions& vm_options) {
    detail::validate_name("environment", environment);
    detail::validate_vm_options(vm_options);
    detail::BootSet boot = catalog.resolve(environment);
    VmInfo info;
    info.vm_id = detail::new_vm_id();
    info.environment = environment;
    info.vcpu_count = vm_options.vcpu_count;
    info.mem_mib = vm_options.mem_mib;
    info.network = vm_options.network;
    info.created_at = detail::utc_now_rfc3339();
    auto vm = std::make_shared<Vm>(info, std::move(boot), home);
    std::lock_guard lock(vms_mutex);
    vms.emplace(info.vm_id, vm);
    order.emplace(info.vm_id, ++created_seq);
    return info;
  }

  VmInfo start(const std::string& vm_id) {
    auto vm = find(vm_id, "start");
    std::lock_guard op(vm->op_mutex());
    VmInfo info = vm->info();
    auto choice = accelerator_for(catalog.resolve(info.environment));
    vm->start(*backend, choice.accelerator, to_ms(options.boot_timeout_seconds));
    return vm->info();
  }

  // Runs one command, then deletes the VM whatever happened.
  ExecResult exec_then_delete(const std::string& vm_id, const std::string& command,
                              const ExecOptions& exec) {
    auto vm = find(vm_id, "exec in");
    struct DeleteOnExit {
      Impl* impl;
      std::string id;
      ~DeleteOnExit() {
        if (auto doomed = impl->take(id)) {
          std::lock_guard op(doomed->op_mutex());
          doomed->stop();
        }
      }
    } cleanup{this, vm_id};
    detail::validate_command(command);
    detail::validate_exec_options(exec);
    std::lock_guard op(vm->op_mutex());
    VmInfo info = vm->info();
    if (info.state == VmState::kCreated) {
      auto choice = accelerator_for(catalog.resolve(info.environment));
      vm->start(*backend, choice.accelerator, to_ms(options.boot_timeout_seconds));
    } else if (info.state != VmState::kRunning) {
      throw Error(ErrorCode::kFailedPrecondition,
                  fmt::format("exec in vm `{}`: it is {}", vm_id, vm_state_name(info.state)));
    }
    return vm->exec(command, exec);
  }
};

Pyro::Pyro(ClientOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Pyro::~Pyro() = default;

const std::string& Pyro::home() const noexcept { return impl_->home; }

ExecResult Pyro::run_in_vm(const std::string& environment, const std::string& command,
                           const VmOptions& vm, const ExecOptions& exec) {
  // Check everything before booting, so a bad argument costs no VM.
  detail::validate_command(command);
  detail::validate_exec_options(exec);
  VmInfo info = impl_->create(environment, vm);
  return impl_->exec_then_delete(info.vm_id, command, exec);
}

VmInfo Pyro::create_vm(const std::string& environment, const VmOptions& vm) {
  return impl_->create(environment, vm);
}

VmInfo Pyro::start_vm(const std::string& vm_id) { return impl_->start(vm_id); }

ExecResult Pyro::exec_vm(const std::string& vm_id, const std::string& command,
                         const ExecOptions& exec) {
  return impl_->exec_then_delete(vm_id, command, exec);
}

VmInfo Pyro::status_vm(const std::string& vm_id) { return impl_->find(vm_id, "status of")->info(); }

std::vector<VmInfo> Pyro::list_vms() {
  std::vector<std::pair<uint64_t, std::shared_ptr<Vm>>> sorted;
  {
    std::lock_guard lock(impl_->vms_mutex);
    for (auto& [id, vm] : impl_->vms) sorted.emplace_back(impl_->order[id], vm);
  }
  std::sort(sorted.begin(), sorted.end(), [](auto& a, auto& b) { return a.first < b.first; });
  std::vector<VmInfo> out;
  for (auto& [seq, vm] : sorted) out.push_back(vm->info());
  return out;
}

void Pyro::delete_vm(const std::string& vm_id) {
  auto vm = impl_->take(vm_id);
  if (!vm) {
    throw Error(ErrorCode::kNotFound, fmt::format("delete vm `{}`: no such vm in this client", vm_id));
  }
  vm->cancel();  // an exec or boot in progress on another thread ends now
  std::lock_guard op(vm->op_mutex());
  vm->stop();
}

DoctorReport Pyro::doctor() {
  DoctorReport report;
  report.home = impl_->home;
  auto check = [&](std::string name, bool ok, std::string detail) {
    report.checks.push_back({std::move(name), ok, std::move(detail)});
    return ok;
  };
  std::error_code ec;
  std::filesystem::create_directories(impl_->home, ec);
  check("home", !ec && ::access(impl_->home.c_str(), W_OK) == 0,
        ec ? fmt::format("`{}`: {}", impl_->home, ec.message()) : fmt::format("`{}` is writable", impl_->home));
  bool vmm_ok = false;
  try {
    report.qemu_version = impl_->backend->version();
    vmm_ok = check("vmm", true, fmt::format("{} {}", impl_->backend->name(), report.qemu_version));
  } catch (const Error& e) {
    check("vmm", false, e.what());
  }
  std::string kvm = impl_->backend->accelerator_obstacle(Accelerator::kKvm);
  check("kvm", true, kvm.empty() ? "/dev/kvm is present; a test boot decides" : "unusable: " + kvm);

  std::optional<detail::BootSet> boot;
  for (const auto& entry : impl_->catalog.entries()) {
    EnvironmentInfo env = impl_->catalog.inspect(entry.name);
    if (env.installed && !boot) boot = impl_->catalog.resolve(entry.name);
    check("environment " + env.name, env.installed,
          env.installed ? fmt::format("kernel {}, agent {}, at `{}`", env.kernel_version, env.agent_version, env.path)
                        : fmt::format("not installed in `{}`", impl_->catalog.environment_dir(env.name)));
  }
  if (vmm_ok && boot) {
    try {
      auto choice = impl_->accelerator_for(*boot);
      report.accelerator = detail::accelerator_name(choice.accelerator);
      report.accelerator_reason = choice.reason;
      VmInfo probe;
      probe.vm_id = detail::new_vm_id();
      probe.environment = "doctor";
      probe.vcpu_count = 1;
      probe.mem_mib = 256;
      Vm vm(probe, *boot, impl_->home);
      vm.start(*impl_->backend, choice.accelerator, to_ms(impl_->options.boot_timeout_seconds));
      vm.ping();
      check("boot", true, fmt::format("a {} VM booted to its agent in {} ms", report.accelerator, vm.info().boot_ms));
    } catch (const Error& e) {
      check("boot", false, e.what());
    }
  } else {
    report.accelerator_reason = kvm.empty() ? "undecided: a test boot needs an installed environment"
                                            : "kvm unusable: " + kvm + "; tcg would be used";
    check("boot", false, vmm_ok ? "no installed environment to boot" : "no usable VMM");
  }
  report.ok = std::all_of(report.checks.begin(), report.checks.end(), [](auto& c) { return c.ok; });
  return report;
}

std::vector<EnvironmentInfo> Pyro::list_environments() {
  std::vector<EnvironmentInfo> out;
  for (const auto& entry : impl_->catalog.entries()) out.push_back(impl_->catalog.inspect(entry.name));
  return out;
}

}  // namespace v1
}  // namespace pyro
