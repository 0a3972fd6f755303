// class Pyro: the operations every surface maps onto. Owns its VMs; each VM has
// its own lock, so operations on different VMs run concurrently.
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "core/client_impl.hpp"
#include "runtime/host_programs.hpp"

namespace pyro {
inline namespace v1 {
using detail::to_ms;

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

namespace {

// One check for the programs pyro runs besides QEMU: what is missing, what for, and
// the apt-get line that installs it (a pip install brings none of them).
template <typename Check>
void check_host_programs(Check& check) {
  std::vector<detail::HostProgram> required;
  std::vector<detail::HostProgram> optional;
  for (const detail::HostProgram& p : detail::missing_host_programs()) (p.required ? required : optional).push_back(p);
  auto describe = [](const std::vector<detail::HostProgram>& list) {
    std::string text;
    for (const detail::HostProgram& p : list) {
      text += fmt::format("{}`{}` ({}: {})", text.empty() ? "" : ", ", p.program, p.package, p.needed_for);
    }
    return text;
  };
  std::string detail;
  if (required.empty() && optional.empty()) {
    detail = fmt::format("all {} present", detail::host_programs().size());
  } else if (required.empty()) {
    detail = fmt::format("optional, missing: {}; install with `{}`", describe(optional),
                         detail::install_command(optional));
  } else {
    std::vector<detail::HostProgram> all = required;
    all.insert(all.end(), optional.begin(), optional.end());
    detail = fmt::format("missing: {}{}; install with `{}`", describe(required),
                         optional.empty() ? "" : "; optional, missing: " + describe(optional),
                         detail::install_command(all));
  }
  check("host programs", required.empty(), detail);
}

}  // namespace

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
  check_host_programs(check);
  std::string kvm = impl_->backend->accelerator_obstacle(Accelerator::kKvm);
  check("kvm", true, kvm.empty() ? "/dev/kvm is present; a test boot decides" : "unusable: " + kvm);
  // The jail: one line per layer; a missing layer fails only in strict mode.
  const detail::JailMode jail = impl_->backend->jail_mode();
  check("jail", true, fmt::format("mode {}{}", detail::jail_mode_name(jail),
                                  jail == detail::JailMode::kOff ? ": VMMs run unconfined, as this user" : ""));
  for (const detail::JailLayer& layer : impl_->backend->jail_layers()) {
    const bool strict = jail == detail::JailMode::kStrict;
    check("jail " + layer.name, layer.available || !strict,
          layer.available ? layer.detail
                          : fmt::format("{}: {}", strict ? "unavailable" : "skipped (best-effort)", layer.detail));
  }

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
      Vm vm(detail::throwaway_vm_info("doctor"), *boot, impl_->home);
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


}  // namespace v1
}  // namespace pyro
