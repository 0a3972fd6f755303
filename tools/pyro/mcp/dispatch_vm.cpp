// Dispatchers of run_in_vm and the environment operations.
#include <array>

#include "json_types.hpp"
#include "mcp/dispatch.hpp"
#include "output.hpp"

namespace pyro_mcp {
namespace {

using nlohmann::json;

json run_in_vm(pyro::Pyro& client, const Arguments& args) {
  pyro::VmOptions vm;
  vm.vcpu_count = args.u32("vcpu_count", vm.vcpu_count);
  vm.mem_mib = args.u32("mem_mib", vm.mem_mib);
  vm.network = args.boolean("network", vm.network);
  // Raw guest bytes go out as they are; the server's serialiser replaces invalid UTF-8.
  return pyro_json::to_json(
      client.run_in_vm(args.string("environment"), args.string("command"), vm, exec_options(args)));
}

json list_environments(pyro::Pyro& client, const Arguments&) {
  return items_of(client.list_environments());
}

json pull_environment(pyro::Pyro& client, const Arguments& args) {
  pyro::PullOptions options;
  options.force = args.boolean("force");
  options.progress = pyro_cli::stderr_progress();  // stderr: stdout belongs to the protocol
  return pyro_json::to_json(client.pull_environment(args.string("name"), options));
}

json inspect_environment(pyro::Pyro& client, const Arguments& args) {
  return pyro_json::to_json(client.inspect_environment(args.string("name")));
}

json prune_environments(pyro::Pyro& client, const Arguments& args) {
  pyro::PruneOptions options;
  options.all = args.boolean("all");
  options.dry_run = args.boolean("dry_run");
  return pyro_json::to_json(client.prune_environments(options));
}

json import_environment(pyro::Pyro& client, const Arguments& args) {
  pyro::ImportOptions options;
  options.force = args.boolean("force");
  options.progress = pyro_cli::stderr_progress();
  return pyro_json::to_json(
      client.import_environment(args.string("name"), args.string("source"), options));
}

json doctor(pyro::Pyro& client, const Arguments&) { return pyro_json::to_json(client.doctor()); }

constexpr std::array<DispatchEntry, 7> kEntries = {{
    {"run_in_vm", run_in_vm},
    {"list_environments", list_environments},
    {"pull_environment", pull_environment},
    {"inspect_environment", inspect_environment},
    {"prune_environments", prune_environments},
    {"import_environment", import_environment},
    {"doctor", doctor},
}};

}  // namespace

std::span<const DispatchEntry> vm_dispatchers() { return kEntries; }

}  // namespace pyro_mcp
