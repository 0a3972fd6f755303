// The QEMU backend: finds the binary, reports its version, launches machines and
// says which accelerators this host can use.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "backend/backend.hpp"
#include "backend/qemu/jail.hpp"

namespace pyro::detail {

/// "7.2.22" from `qemu-system-x86_64 --version` output; "" when not recognised.
std::string parse_qemu_version(std::string_view version_output);

/// What stands in the way of KVM given the state of /dev/kvm and /sys/module; ""
/// when nothing does. Paths are parameters so tests can point them elsewhere.
std::string kvm_obstacle(const std::string& dev_kvm, const std::string& pvm_module_dir);

class QemuMachine;

class QemuBackend final : public Backend {
 public:
  QemuBackend(std::string qemu_binary, JailSettings jail);

  std::string name() const override { return "qemu"; }
  std::string version() override;
  std::unique_ptr<Machine> launch(const MachineSpec& spec) override;
  std::unique_ptr<Machine> attach(const std::string& run_dir, const MachineRef& ref) override;
  std::string accelerator_obstacle(Accelerator accel) override;
  Drive create_overlay(const std::string& base, const std::string& overlay_path) override;
  JailMode jail_mode() const override { return jail_.mode; }
  std::vector<JailLayer> jail_layers() override;

 private:
  std::unique_ptr<QemuMachine> launch_daemon(const MachineSpec& spec, const std::vector<std::string>& argv,
                                                   int log_fd);
  /// The absolute path of the binary; throws Error(kUnavailable) when missing.
  std::string resolve_binary() const;
  /// `qemu-img` next to the configured binary, else from PATH; throws Error(kUnavailable).
  std::string resolve_img_tool() const;
  uint64_t tsc_khz();
  /// The host's jail facts, probed on first use.
  const JailHost& jail_host();
  /// The command line for `spec`: QEMU's, behind the jailer when there is one.
  /// Applies the mode: throws in strict mode for a missing layer, logs in best-effort.
  std::vector<std::string> launch_argv(const MachineSpec& spec, bool& jailed);

  const std::string qemu_binary_;  // as configured: a name (searched in PATH) or a path
  std::mutex mu_;
  std::string version_;  // cached once known
  bool tsc_read_ = false;
  uint64_t tsc_khz_ = 0;
  const JailSettings jail_;
  std::optional<JailHost> jail_host_;
  std::set<std::string> jail_warned_;  // layers already reported as skipped
};

}  // namespace pyro::detail
