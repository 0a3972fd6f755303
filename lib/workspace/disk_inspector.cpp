#include "workspace/disk_inspector.hpp"

#include <fmt/format.h>

#include "pyro/error.hpp"
#include "runtime/home.hpp"
#include "runtime/vm.hpp"
#include "util/logging.hpp"
#include "workspace/workspace_vm.hpp"

namespace pyro::detail {
namespace {

// Mounting replays the journal into the overlay: seconds at worst under TCG.
constexpr auto kMountTimeout = std::chrono::seconds(30);

}  // namespace

DiskInspector::OverlayDir::~OverlayDir() {
  if (!path.empty()) remove_run_dir(path);
}

DiskInspector::DiskInspector(const WorkspaceContext& ctx, const WorkspaceStore& store, const WorkspaceRecord& record) {
  const auto started = Clock::now();
  const BootSet boot = ctx.resolve_environment(record.environment);
  const Accelerator accel = ctx.accelerator(boot);
  VmInfo info{.vm_id = new_vm_id(), .environment = record.environment, .vcpu_count = record.vcpu_count,
              .mem_mib = record.mem_mib, .network = record.network_policy != "off"};
  // Its own directory: the VM's run directory is recreated between boot attempts.
  overlay_dir_.path = create_run_dir(ctx.home, info.vm_id + "-disk");
  const std::string vm_id = info.vm_id;
  Drive overlay = ctx.backend->create_overlay(store.disk_path(record.id), overlay_dir_.path + "/disk.qcow2");

  // The workspace's shape, so a clone of its own template fits; the overlay takes
  // the place of the template's blank disk.
  vm_ = std::make_unique<Vm>(std::move(info), boot, ctx.home, ctx.snapshots, std::vector<Drive>{std::move(overlay)});
  vm_->set_template_source([&ctx, record, boot](Accelerator a) {  // ctx outlives every inspector
    return ensure_workspace_template(ctx, record, boot, a);
  });
  vm_->start(*ctx.backend, accel, ctx.boot_timeout);
  const std::string device = boot.rootfs_path.empty() ? "/dev/vda" : "/dev/vdb";
  vm_->agent().call("workspace_mount", {{"device", device}, {"path", "/workspace"}}, deadline_after(kMountTimeout));
  log(LogLevel::kInfo, "workspace `{}`: disk inspector `{}` ready ({}) in {} ms", record.id, vm_id,
      vm_->start_mode(),
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count());
}

DiskInspector::~DiskInspector() {
  if (vm_) {
    vm_->cancel();  // SIGKILL at once: nothing in it is worth a clean shutdown
    vm_->stop();
  }
}

AgentConnection& DiskInspector::agent() { return vm_->agent(); }

}  // namespace pyro::detail
