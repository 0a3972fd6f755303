// Handlers of the service and shell operations (issue 5). `workspace` is an id
// or a name; the structured arguments are read by structured_arguments.cpp.
#include <array>

#include "ops/handlers.hpp"
#include "ops/structured_arguments.hpp"

namespace pyro::ops {
namespace {

using json = ResultJson;

OutputReadOptions read_options(const Arguments& args) {
  OutputReadOptions options;
  options.cursor = static_cast<int64_t>(args.number("cursor", static_cast<double>(options.cursor)));
  options.tail_lines = args.u32("tail_lines", options.tail_lines);
  options.max_bytes = args.u64("max_bytes", options.max_bytes);
  options.wait_seconds = args.number("wait_seconds", options.wait_seconds);
  return options;
}

json start_service(Pyro& client, const Arguments& args, const CallOptions&) {
  ServiceOptions options;
  options.cwd = args.string("cwd");
  options.env = args.string_map("env");
  options.secret_env = args.string_map("secret_env");
  options.readiness = readiness_argument(args);
  options.published_ports = published_ports_argument(args);
  options.restart = args.string("restart", options.restart);
  options.max_restarts = args.u32("max_restarts", options.max_restarts);
  return json_of(client.start_service(args.string("workspace"), args.string("name"),
                                                 args.string("command"), options));
}

json list_services(Pyro& client, const Arguments& args, const CallOptions&) {
  return items_of(client.list_services(args.string("workspace")));
}

json status_service(Pyro& client, const Arguments& args, const CallOptions&) {
  return json_of(client.status_service(args.string("workspace"), args.string("name")));
}

json logs_service(Pyro& client, const Arguments& args, const CallOptions&) {
  return json_of(
      client.logs_service(args.string("workspace"), args.string("name"), read_options(args)));
}

json stop_service(Pyro& client, const Arguments& args, const CallOptions&) {
  ServiceStopOptions options;
  options.signal = args.string("signal", options.signal);
  options.grace_seconds = args.number("grace_seconds", options.grace_seconds);
  return json_of(client.stop_service(args.string("workspace"), args.string("name"), options));
}

json open_shell(Pyro& client, const Arguments& args, const CallOptions&) {
  ShellOptions options;
  options.cwd = args.string("cwd");
  options.env = args.string_map("env");
  options.secret_env = args.string_map("secret_env");
  options.cols = args.u32("cols", options.cols);
  options.rows = args.u32("rows", options.rows);
  return json_of(client.open_shell(args.string("workspace"), options));
}

json write_shell(Pyro& client, const Arguments& args, const CallOptions&) {
  return json_of(
      client.write_shell(args.string("workspace"), args.string("shell_id"), args.string("input")));
}

json read_shell(Pyro& client, const Arguments& args, const CallOptions&) {
  return json_of(
      client.read_shell(args.string("workspace"), args.string("shell_id"), read_options(args)));
}

json resize_shell(Pyro& client, const Arguments& args, const CallOptions&) {
  return json_of(client.resize_shell(args.string("workspace"), args.string("shell_id"),
                                                args.u32("cols"), args.u32("rows")));
}

json signal_shell(Pyro& client, const Arguments& args, const CallOptions&) {
  return json_of(client.signal_shell(args.string("workspace"), args.string("shell_id"),
                                                args.string("signal", "INT")));
}

json close_shell(Pyro& client, const Arguments& args, const CallOptions&) {
  client.close_shell(args.string("workspace"), args.string("shell_id"));
  return json::object();
}

constexpr std::array<HandlerEntry, 11> kEntries = {{
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

std::span<const HandlerEntry> service_handlers() { return kEntries; }

}  // namespace pyro::ops
