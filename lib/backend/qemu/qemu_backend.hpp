// The QEMU backend: finds the binary, reports its version, launches machines and
// says which accelerators this host can use.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "backend/backend.hpp"

namespace pyro::detail {

/// "7.2.22" from `qemu-system-x86_64 --version` output; "" when not recognised.
std::string parse_qemu_version(std::string_view version_output);

/// What stands in the way of KVM given the state of /dev/kvm and /sys/module; ""
/// when nothing does. Paths are parameters so tests can point them elsewhere.
std::string kvm_obstacle(const std::string& dev_kvm, const std::string& pvm_module_dir);

class QemuMachine;

class QemuBackend final : public Backend {
 public:
  explicit QemuBackend(std::string qemu_binary);

  std::string name() const override { return "qemu"; }
  std::string version() override;
  std::unique_ptr<Machine> launch(const MachineSpec& spec) override;
  std::unique_ptr<Machine> attach(const std::string& run_dir, const MachineRef& ref) override;
  std::string accelerator_obstacle(Accelerator accel) override;
  Drive create_overlay(const std::string& base, const std::string& overlay_path) override;

 private:
  std::unique_ptr<QemuMachine> launch_daemon(const MachineSpec& spec, const std::vector<std::string>& argv,
                                                   int log_fd);
  /// The absolute path of the binary; throws Error(kUnavailable) when missing.
  std::string resolve_binary() const;
  /// `qemu-img` next to the configured binary, else from PATH; throws Error(kUnavailable).
  std::string resolve_img_tool() const;
  uint64_t tsc_khz();

  const std::string qemu_binary_;  // as configured: a name (searched in PATH) or a path
  std::mutex mu_;
  std::string version_;  // cached once known
  bool tsc_read_ = false;
  uint64_t tsc_khz_ = 0;
};

}  // namespace pyro::detail
