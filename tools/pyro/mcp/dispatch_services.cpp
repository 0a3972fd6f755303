// Dispatchers of the service and shell operations (issue 5). `workspace` is an id
// or a name; the structured arguments are read by json_params.cpp.
#include <array>

#include "json_types.hpp"
#include "mcp/dispatch.hpp"
#include "mcp/json_params.hpp"

namespace pyro_mcp {
namespace {

using nlohmann::json;

pyro::OutputReadOptions read_options(const Arguments& args) {
  pyro::OutputReadOptions options;
  options.cursor = static_cast<int64_t>(args.number("cursor", static_cast<double>(options.cursor)));
  options.tail_lines = args.u32("tail_lines", options.tail_lines);
  options.max_bytes = args.u64("max_bytes", options.max_bytes);
  options.wait_seconds = args.number("wait_seconds", options.wait_seconds);
  return options;
}

json start_service(pyro::Pyro& client, const Arguments& args) {
  pyro::ServiceOptions options;
  options.cwd = args.string("cwd");
  options.env = args.string_map("env");
  options.secret_env = args.string_map("secret_env");
  options.readiness = readiness_argument(args);
  options.published_ports = published_ports_argument(args);
  options.restart = args.string("restart", options.restart);
  options.max_restarts = args.u32("max_restarts", options.max_restarts);
  return pyro_json::to_json(client.start_service(args.string("workspace"), args.string("name"),
                                                 args.string("command"), options));
}

json list_services(pyro::Pyro& client, const Arguments& args) {
  return items_of(client.list_services(args.string("workspace")));
}

json status_service(pyro::Pyro& client, const Arguments& args) {
  return pyro_json::to_json(client.status_service(args.string("workspace"), args.string("name")));
}

json logs_service(pyro::Pyro& client, const Arguments& args) {
  return pyro_json::to_json(
      client.logs_service(args.string("workspace"), args.string("name"), read_options(args)));
}

json stop_service(pyro::Pyro& client, const Arguments& args) {
  pyro::ServiceStopOptions options;
  options.signal = args.string("signal", options.signal);
  options.grace_seconds = args.number("grace_seconds", options.grace_seconds);
  return pyro_json::to_json(client.stop_service(args.string("workspace"), args.string("name"), options));
}

json open_shell(pyro::Pyro& client, const Arguments& args) {
  pyro::ShellOptions options;
  options.cwd = args.string("cwd");
  options.env = args.string_map("env");
  options.secret_env = args.string_map("secret_env");
  options.cols = args.u32("cols", options.cols);
  options.rows = args.u32("rows", options.rows);
  return pyro_json::to_json(client.open_shell(args.string("workspace"), options));
}

json write_shell(pyro::Pyro& client, const Arguments& args) {
  return pyro_json::to_json(
      client.write_shell(args.string("workspace"), args.string("shell_id"), args.string("input")));
}

json read_shell(pyro::Pyro& client, const Arguments& args) {
  return pyro_json::to_json(
      client.read_shell(args.string("workspace"), args.string("shell_id"), read_options(args)));
}

json resize_shell(pyro::Pyro& client, const Arguments& args) {
  return pyro_json::to_json(client.resize_shell(args.string("workspace"), args.string("shell_id"),
                                                args.u32("cols"), args.u32("rows")));
}

json signal_shell(pyro::Pyro& client, const Arguments& args) {
  return pyro_json::to_json(client.signal_shell(args.string("workspace"), args.string("shell_id"),
                                                args.string("signal", "INT")));
}

json close_shell(pyro::Pyro& client, const Arguments& args) {
  client.close_shell(args.string("workspace"), args.string("shell_id"));
  return json::object();
}

constexpr std::array<DispatchEntry, 11> kEntries = {{
    {"start_service", start_service},
    {"list_services", list_services},
    {"status_service", status_service},
    {"logs_service", logs_service},
    {"stop_service", stop_service},
    {"open_shell", open_shell},
    {"write_shell", write_shell},
    {"read_shell", read_shell},
    {"resize_shell", resize_shell},
    {"signal_shell", signal_shell},
    {"close_shell", close_shell},
}};

}  // namespace

std::span<const DispatchEntry> service_dispatchers() { return kEntries; }

}  // namespace pyro_mcp
