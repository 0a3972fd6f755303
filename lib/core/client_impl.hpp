// Pyro::Impl: the state behind class Pyro, shared by the files that implement its
// operations (pyro.cpp: VMs; environments.cpp: the environment cache).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "backend/backend.hpp"
#include "backend/qemu/jail.hpp"
#include "env/catalog.hpp"
#include "pyro/client.hpp"
#include "pyro/error.hpp"
#include "runtime/accelerator.hpp"
#include "runtime/home.hpp"
#include "runtime/validate.hpp"
#include "runtime/vm.hpp"
#include "util/logging.hpp"
#include "workspace/workspace_manager.hpp"

namespace pyro::detail {

inline std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : fallback;
}

// A short-lived VM of the default shape that no client lists (accelerator probe, doctor).
inline VmInfo throwaway_vm_info(const char* purpose) {
  VmInfo info;
  info.vm_id = new_vm_id();
  info.environment = purpose;
  const VmOptions shape;
  info.vcpu_count = shape.vcpu_count;
  info.mem_mib = shape.mem_mib;
  return info;
}

inline std::chrono::milliseconds to_ms(double seconds) {
  return std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000.0));
}

}  // namespace pyro::detail

namespace pyro {
inline namespace v1 {
using detail::Accelerator;
using detail::Vm;


struct Pyro::Impl {
  ClientOptions options;
  std::string home;
  std::unique_ptr<detail::Backend> backend;
  detail::Catalog catalog;

  std::mutex vms_mutex;
  std::map<std::string, std::shared_ptr<Vm>> vms;
  uint64_t created_seq = 0;
  std::map<std::string, uint64_t> order;  // vm_id -> creation sequence

  bool snapshots_enabled = true;  // ClientOptions::snapshots / $PYRO_SNAPSHOTS, "0" disables

  std::mutex accel_mutex;
  std::optional<detail::AcceleratorChoice> accel;

  explicit Impl(ClientOptions opts)
      : options(std::move(opts)),
        home(detail::resolve_home(options.home)),
        backend(detail::make_qemu_backend(detail::env_or("PYRO_QEMU", options.qemu_binary), detail::jail_settings(options.jail, options.guest_dir))),
        catalog(home) {
    options.accelerator = options.accelerator.empty() ? detail::env_or("PYRO_ACCEL", "auto") : options.accelerator;
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
    const std::string snapshots =
        options.snapshots.empty() ? detail::env_or("PYRO_SNAPSHOTS", "") : options.snapshots;
    snapshots_enabled = snapshots != "0";
    detail::secure_home(home);
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

  // The accelerator, chosen once per client; the test boot reuses `boot`. It gets the
  // client's boot timeout like any boot: a fixed 15 s failed nested KVM (a cold boot
  // there takes 10-15 s, tests/nested_kvm) and fell back to tcg for good.
  detail::AcceleratorChoice accelerator_for(const detail::BootSet& boot) {
    std::lock_guard lock(accel_mutex);
    if (!accel) {
      accel = detail::choose_accelerator(options.accelerator, *backend, [&](Accelerator a) {
        Vm vm(detail::throwaway_vm_info("probe"), boot, home);
        vm.start(*backend, a, detail::to_ms(options.boot_timeout_seconds));
        vm.ping();
      });
      detail::log(LogLevel::kInfo, "accelerator {}: {}", detail::accelerator_name(accel->accelerator),
                  accel->reason);
    }
    return *accel;
  }

  std::mutex workspaces_mutex;
  std::unique_ptr<detail::WorkspaceManager> workspace_manager;

  // Created on first use: most clients never touch a workspace.
  detail::WorkspaceManager& workspaces() {
    std::lock_guard lock(workspaces_mutex);
    if (!workspace_manager) {
      detail::WorkspaceContext ctx;
      ctx.home = home;
      ctx.backend = backend.get();
      ctx.resolve_environment = [this](const std::string& env) { return resolve_environment(env); };
      ctx.accelerator = [this](const detail::BootSet& boot) { return accelerator_for(boot).accelerator; };
      ctx.boot_timeout = detail::to_ms(options.boot_timeout_seconds);
      ctx.snapshots = snapshots_enabled;
      workspace_manager = std::make_unique<detail::WorkspaceManager>(std::move(ctx));
    }
    return *workspace_manager;
  }

  /// Builds a catalog environment (environments.cpp).
  EnvironmentInfo pull(const std::string& name, const PullOptions& options);

  // The boot set of `environment`, pulling a missing catalog environment when the
  // client was opened with auto_pull.
  detail::BootSet resolve_environment(const std::string& environment) {
    try {
      return catalog.resolve(environment);
    } catch (const Error& e) {
      if (e.code() != ErrorCode::kNotFound || !options.auto_pull || !catalog.find(environment)) throw;
    }
    detail::log(LogLevel::kInfo, "environment `{}` is not installed; pulling it (auto_pull)", environment);
    pull(environment, {});
    return catalog.resolve(environment);
  }

  VmInfo create(const std::string& environment, const VmOptions& vm_options) {
    detail::validate_name("environment", environment);
    detail::validate_vm_options(vm_options);
    detail::BootSet boot = resolve_environment(environment);
    VmInfo info;
    info.vm_id = detail::new_vm_id();
    info.environment = environment;
    info.vcpu_count = vm_options.vcpu_count;
    info.mem_mib = vm_options.mem_mib;
    info.network = vm_options.network;
    info.created_at = detail::utc_now_rfc3339();
    auto vm = std::make_shared<Vm>(info, std::move(boot), home, snapshots_enabled);
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
    vm->start(*backend, choice.accelerator, detail::to_ms(options.boot_timeout_seconds));
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
      vm->start(*backend, choice.accelerator, detail::to_ms(options.boot_timeout_seconds));
    } else if (info.state != VmState::kRunning) {
      throw Error(ErrorCode::kFailedPrecondition,
                  fmt::format("exec in vm `{}`: it is {}", vm_id, vm_state_name(info.state)));
    }
    return vm->exec(command, exec);
  }
};

}  // namespace v1
}  // namespace pyro
