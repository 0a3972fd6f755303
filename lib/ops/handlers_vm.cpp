// Handlers of the VM operations (the lifecycle ones act on VMs the calling
// client owns) and the environment operations.
#include <array>

#include "ops/handlers.hpp"

namespace pyro::ops {
namespace {

using json = ResultJson;

json run_in_vm(Pyro& client, const Arguments& args, const CallOptions& call) {
  VmOptions vm;
  vm.vcpu_count = args.u32("vcpu_count", vm.vcpu_count);
  vm.mem_mib = args.u32("mem_mib", vm.mem_mib);
  vm.network = args.boolean("network", vm.network);
  // Raw guest bytes go out as they are; the server's serialiser replaces invalid UTF-8.
  return json_of(
      client.run_in_vm(args.string("environment"), args.string("command"), vm, exec_options(args, call)));
}

json create_vm(Pyro& client, const Arguments& args, const CallOptions&) {
  VmOptions vm;
  vm.vcpu_count = args.u32("vcpu_count", vm.vcpu_count);
  vm.mem_mib = args.u32("mem_mib", vm.mem_mib);
  vm.network = args.boolean("network", vm.network);
  return json_of(client.create_vm(args.string("environment"), vm));
}

json start_vm(Pyro& client, const Arguments& args, const CallOptions&) {
  return json_of(client.start_vm(args.string("vm_id")));
}

json exec_vm(Pyro& client, const Arguments& args, const CallOptions& call) {
  return json_of(client.exec_vm(args.string("vm_id"), args.string("command"), exec_options(args, call)));
}

json status_vm(Pyro& client, const Arguments& args, const CallOptions&) {
  return json_of(client.status_vm(args.string("vm_id")));
}

json list_vms(Pyro& client, const Arguments&, const CallOptions&) { return items_of(client.list_vms()); }

json delete_vm(Pyro& client, const Arguments& args, const CallOptions&) {
  client.delete_vm(args.string("vm_id"));
  return json::object();
}

json list_environments(Pyro& client, const Arguments&, const CallOptions&) {
  return items_of(client.list_environments());
}

json pull_environment(Pyro& client, const Arguments& args, const CallOptions& call) {
  PullOptions options;
  options.force = args.boolean("force");
  options.progress = call.progress;
  return json_of(client.pull_environment(args.string("name"), options));
}

json inspect_environment(Pyro& client, const Arguments& args, const CallOptions&) {
  return json_of(client.inspect_environment(args.string("name")));
}

json prune_environments(Pyro& client, const Arguments& args, const CallOptions&) {
  PruneOptions options;
  options.all = args.boolean("all");
  options.dry_run = args.boolean("dry_run");
  return json_of(client.prune_environments(options));
}

json import_environment(Pyro& client, const Arguments& args, const CallOptions& call) {
  ImportOptions options;
  options.force = args.boolean("force");
  options.progress = call.progress;
  return json_of(
      client.import_environment(args.string("name"), args.string("source"), options));
}

json doctor(Pyro& client, const Arguments&, const CallOptions&) { return json_of(client.doctor()); }

constexpr std::array<HandlerEntry, 13> kEntries = {{
    {"run_in_vm", run_in_vm},
    {"create_vm", create_vm},
    {"start_vm", start_vm},
    {"exec_vm", exec_vm},
    {"status_vm", status_vm},
    {"list_vms", list_vms},
    {"delete_vm", delete_vm},
    {"list_environments", list_environments},
    {"pull_environment", pull_environment},
    {"inspect_environment", inspect_environment},
    {"prune_environments", prune_environments},
    {"import_environment", import_environment},
    {"doctor", doctor},
}};

}  // namespace

std::span<const HandlerEntry> vm_handlers() { return kEntries; }

}  // namespace pyro::ops
