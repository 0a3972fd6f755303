// Dispatchers of the workspace operations. `workspace` is an id or a name; host
// paths (seed_path, source_path, output_path, secrets' file_path) are relative to
// the server's cwd.
#include <array>

#include "json_types.hpp"
#include "mcp/dispatch.hpp"
#include "mcp/json_params.hpp"

namespace pyro_mcp {
namespace {

using nlohmann::json;

json create_workspace(pyro::Pyro& client, const Arguments& args) {
  pyro::WorkspaceOptions options;
  options.vcpu_count = args.u32("vcpu_count", options.vcpu_count);
  options.mem_mib = args.u32("mem_mib", options.mem_mib);
  options.network_policy = pyro::network_policy_from_name(args.string("network_policy", "off"));
  options.seed_path = args.string("seed_path");
  options.name = args.string("name");
  options.labels = args.string_map("labels");
  options.disk_mib = args.u64("disk_mib", options.disk_mib);
  options.secrets = secrets_argument(args);
  return pyro_json::to_json(client.create_workspace(args.string("environment"), options));
}

json list_workspaces(pyro::Pyro& client, const Arguments&) {
  return items_of(client.list_workspaces());
}

json status_workspace(pyro::Pyro& client, const Arguments& args) {
  return pyro_json::to_json(client.status_workspace(args.string("workspace")));
}

json update_workspace(pyro::Pyro& client, const Arguments& args) {
  pyro::WorkspaceUpdate update;
  if (args.has("name")) update.name = args.string("name");
  if (args.has("labels")) update.labels = args.string_map("labels");
  return pyro_json::to_json(client.update_workspace(args.string("workspace"), update));
}

json delete_workspace(pyro::Pyro& client, const Arguments& args) {
  client.delete_workspace(args.string("workspace"));
  return json::object();
}

json exec_workspace(pyro::Pyro& client, const Arguments& args) {
  pyro::ExecOptions exec = exec_options(args);
  exec.secret_env = args.string_map("secret_env");
  return pyro_json::to_json(client.exec_workspace(args.string("workspace"), args.string("command"), exec));
}

json push_workspace_sync(pyro::Pyro& client, const Arguments& args) {
  pyro::PushOptions options;
  options.dest = args.string("dest", options.dest);
  return pyro_json::to_json(
      client.push_workspace_sync(args.string("workspace"), args.string("source_path"), options));
}

json list_workspace_files(pyro::Pyro& client, const Arguments& args) {
  return items_of(client.list_workspace_files(args.string("workspace"), args.string("path"),
                                              args.boolean("recursive")));
}

json read_workspace_file(pyro::Pyro& client, const Arguments& args) {
  return pyro_json::to_json(client.read_workspace_file(args.string("workspace"), args.string("path"),
                                                       args.u64("max_bytes", 65536)));
}

json write_workspace_file(pyro::Pyro& client, const Arguments& args) {
  return pyro_json::to_json(client.write_workspace_file(args.string("workspace"), args.string("path"),
                                                        args.string("text")));
}

json apply_workspace_patch(pyro::Pyro& client, const Arguments& args) {
  pyro::PatchOptions options;
  options.dry_run = args.boolean("dry_run");
  return pyro_json::to_json(
      client.apply_workspace_patch(args.string("workspace"), args.string("patch"), options));
}

json diff_workspace(pyro::Pyro& client, const Arguments& args) {
  return pyro_json::to_json(client.diff_workspace(args.string("workspace")));
}

json export_workspace(pyro::Pyro& client, const Arguments& args) {
  return pyro_json::to_json(client.export_workspace(args.string("workspace"), args.string("path"),
                                                    args.string("output_path")));
}

json create_snapshot(pyro::Pyro& client, const Arguments& args) {
  return pyro_json::to_json(client.create_snapshot(args.string("workspace"), args.string("name")));
}

json list_snapshots(pyro::Pyro& client, const Arguments& args) {
  return items_of(client.list_snapshots(args.string("workspace")));
}

json delete_snapshot(pyro::Pyro& client, const Arguments& args) {
  client.delete_snapshot(args.string("workspace"), args.string("name"));
  return json::object();
}

json reset_workspace(pyro::Pyro& client, const Arguments& args) {
  return pyro_json::to_json(client.reset_workspace(args.string("workspace"), args.string("snapshot")));
}

json stop_workspace(pyro::Pyro& client, const Arguments& args) {
  return pyro_json::to_json(client.stop_workspace(args.string("workspace")));
}

json start_workspace(pyro::Pyro& client, const Arguments& args) {
  return pyro_json::to_json(client.start_workspace(args.string("workspace")));
}

json list_workspace_disk(pyro::Pyro& client, const Arguments& args) {
  return items_of(client.list_workspace_disk(args.string("workspace"), args.string("path"),
                                             args.boolean("recursive")));
}

json read_workspace_disk(pyro::Pyro& client, const Arguments& args) {
  return pyro_json::to_json(client.read_workspace_disk(args.string("workspace"), args.string("path"),
                                                       args.u64("max_bytes", 65536)));
}

json export_workspace_disk(pyro::Pyro& client, const Arguments& args) {
  return pyro_json::to_json(
      client.export_workspace_disk(args.string("workspace"), args.string("output_path")));
}

constexpr std::array<DispatchEntry, 22> kEntries = {{
    {"create_workspace", create_workspace},
    {"list_workspaces", list_workspaces},
    {"status_workspace", status_workspace},
    {"update_workspace", update_workspace},
    {"delete_workspace", delete_workspace},
    {"exec_workspace", exec_workspace},
    {"push_workspace_sync", push_workspace_sync},
    {"list_workspace_files", list_workspace_files},
    {"read_workspace_file", read_workspace_file},
    {"write_workspace_file", write_workspace_file},
    {"apply_workspace_patch", apply_workspace_patch},
    {"diff_workspace", diff_workspace},
    {"export_workspace", export_workspace},
    {"create_snapshot", create_snapshot},
    {"list_snapshots", list_snapshots},
    {"delete_snapshot", delete_snapshot},
    {"reset_workspace", reset_workspace},
    {"stop_workspace", stop_workspace},
    {"start_workspace", start_workspace},
    {"list_workspace_disk", list_workspace_disk},
    {"read_workspace_disk", read_workspace_disk},
    {"export_workspace_disk", export_workspace_disk},
}};

}  // namespace

std::span<const DispatchEntry> workspace_dispatchers() { return kEntries; }

}  // namespace pyro_mcp
