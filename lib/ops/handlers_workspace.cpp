// Handlers of the workspace operations. `workspace` is an id or a name; host
// paths (seed_path, source_path, output_path, secrets' file_path) are relative to
// the calling process's cwd.
#include <array>

#include "ops/handlers.hpp"
#include "ops/structured_arguments.hpp"

namespace pyro::ops {
namespace {

using json = ResultJson;

json create_workspace(Pyro& client, const Arguments& args, const CallOptions& call) {
  WorkspaceOptions options;
  options.vcpu_count = args.u32("vcpu_count", options.vcpu_count);
  options.mem_mib = args.u32("mem_mib", options.mem_mib);
  options.network_policy = network_policy_from_name(args.string("network_policy", "off"));
  options.seed_path = args.string("seed_path");
  options.name = args.string("name");
  options.labels = args.string_map("labels");
  options.disk_mib = args.u64("disk_mib", options.disk_mib);
  options.secrets = secrets_argument(args);
  options.progress = call.progress;
  return json_of(client.create_workspace(args.string("environment"), options));
}

json list_workspaces(Pyro& client, const Arguments&, const CallOptions&) {
  return items_of(client.list_workspaces());
}

json status_workspace(Pyro& client, const Arguments& args, const CallOptions&) {
  return json_of(client.status_workspace(args.string("workspace")));
}

json update_workspace(Pyro& client, const Arguments& args, const CallOptions&) {
  WorkspaceUpdate update;
  if (args.has("name")) update.name = args.string("name");
  if (args.has("labels")) update.labels = args.string_map("labels");
  return json_of(client.update_workspace(args.string("workspace"), update));
}

json delete_workspace(Pyro& client, const Arguments& args, const CallOptions&) {
  client.delete_workspace(args.string("workspace"));
  return json::object();
}

json exec_workspace(Pyro& client, const Arguments& args, const CallOptions& call) {
  ExecOptions exec = exec_options(args, call);
  exec.secret_env = args.string_map("secret_env");
  return json_of(client.exec_workspace(args.string("workspace"), args.string("command"), exec));
}

json push_workspace_sync(Pyro& client, const Arguments& args, const CallOptions&) {
  PushOptions options;
  options.dest = args.string("dest", options.dest);
  return json_of(
      client.push_workspace_sync(args.string("workspace"), args.string("source_path"), options));
}

json list_workspace_files(Pyro& client, const Arguments& args, const CallOptions&) {
  return items_of(client.list_workspace_files(args.string("workspace"), args.string("path"),
                                              args.boolean("recursive")));
}

json read_workspace_file(Pyro& client, const Arguments& args, const CallOptions&) {
  return json_of(client.read_workspace_file(args.string("workspace"), args.string("path"),
                                                       args.u64("max_bytes", WorkspaceLimits::kDefaultReadBytes)));
}

json write_workspace_file(Pyro& client, const Arguments& args, const CallOptions&) {
  return json_of(client.write_workspace_file(args.string("workspace"), args.string("path"),
                                                        args.string("text")));
}

json apply_workspace_patch(Pyro& client, const Arguments& args, const CallOptions&) {
  PatchOptions options;
  options.dry_run = args.boolean("dry_run");
  return json_of(
      client.apply_workspace_patch(args.string("workspace"), args.string("patch"), options));
}

json diff_workspace(Pyro& client, const Arguments& args, const CallOptions&) {
  return json_of(client.diff_workspace(args.string("workspace")));
}

json export_workspace(Pyro& client, const Arguments& args, const CallOptions&) {
  return json_of(client.export_workspace(args.string("workspace"), args.string("path"),
                                                    args.string("output_path")));
}

json create_snapshot(Pyro& client, const Arguments& args, const CallOptions&) {
  return json_of(client.create_snapshot(args.string("workspace"), args.string("name")));
}

json list_snapshots(Pyro& client, const Arguments& args, const CallOptions&) {
  return items_of(client.list_snapshots(args.string("workspace")));
}

json delete_snapshot(Pyro& client, const Arguments& args, const CallOptions&) {
  client.delete_snapshot(args.string("workspace"), args.string("name"));
  return json::object();
}

json reset_workspace(Pyro& client, const Arguments& args, const CallOptions&) {
  return json_of(client.reset_workspace(args.string("workspace"), args.string("snapshot")));
}

json stop_workspace(Pyro& client, const Arguments& args, const CallOptions&) {
  return json_of(client.stop_workspace(args.string("workspace")));
}

json start_workspace(Pyro& client, const Arguments& args, const CallOptions&) {
  return json_of(client.start_workspace(args.string("workspace")));
}

json list_workspace_disk(Pyro& client, const Arguments& args, const CallOptions&) {
  return items_of(client.list_workspace_disk(args.string("workspace"), args.string("path"),
                                             args.boolean("recursive")));
}

json read_workspace_disk(Pyro& client, const Arguments& args, const CallOptions&) {
  return json_of(client.read_workspace_disk(args.string("workspace"), args.string("path"),
                                                       args.u64("max_bytes", WorkspaceLimits::kDefaultReadBytes)));
}

json export_workspace_disk(Pyro& client, const Arguments& args, const CallOptions&) {
  return json_of(
      client.export_workspace_disk(args.string("workspace"), args.string("output_path")));
}

constexpr std::array<HandlerEntry, 22> kEntries = {{
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

std::span<const HandlerEntry> workspace_handlers() { return kEntries; }

}  // namespace pyro::ops
