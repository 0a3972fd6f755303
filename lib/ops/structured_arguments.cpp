#include "ops/structured_arguments.hpp"

#include <cmath>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "pyro/error.hpp"

namespace pyro::ops {
namespace {

using nlohmann::json;

[[noreturn]] void invalid(const Arguments& args, std::string_view where, std::string_view what) {
  throw pyro::Error(pyro::ErrorCode::kInvalidArgument,
                    fmt::format("call `{}`: argument `{}`: {}", args.tool(), where, what));
}

// Integral JSON numbers (2.0 counts, as in JSON Schema) within [min, max].
bool integral_in(const json& v, double min, double max) {
  if (!v.is_number()) return false;
  double d = v.get<double>();
  return std::isfinite(d) && std::trunc(d) == d && d >= min && d <= max;
}

std::string string_field(const Arguments& args, const std::string& where, const json& obj,
                         const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return "";
  if (!it->is_string()) invalid(args, fmt::format("{}.{}", where, key), "expected a string");
  return it->get<std::string>();
}

}  // namespace

pyro::ServiceReadiness readiness_argument(const Arguments& args) {
  pyro::ServiceReadiness readiness;
  const json& r = args.value("readiness");
  if (r.is_null()) return readiness;
  for (const auto& [key, value] : r.items()) {
    static constexpr std::string_view kKnown[] = {"type", "path", "port", "url", "command",
                                                  "timeout_seconds", "interval_ms"};
    bool known = false;
    for (auto k : kKnown) known = known || k == key;
    if (!known) invalid(args, "readiness", fmt::format("unknown field `{}`", key));
  }
  readiness.type = string_field(args, "readiness", r, "type");
  if (readiness.type != "file" && readiness.type != "tcp" && readiness.type != "http" &&
      readiness.type != "command") {
    invalid(args, "readiness.type", "expected one of \"file\", \"tcp\", \"http\", \"command\"");
  }
  readiness.path = string_field(args, "readiness", r, "path");
  readiness.url = string_field(args, "readiness", r, "url");
  readiness.command = string_field(args, "readiness", r, "command");
  if (auto it = r.find("port"); it != r.end() && !it->is_null()) {
    if (!integral_in(*it, 1, 65535)) invalid(args, "readiness.port", "expected an integer 1-65535");
    readiness.port = static_cast<uint32_t>(it->get<double>());
  }
  if (auto it = r.find("timeout_seconds"); it != r.end() && !it->is_null()) {
    if (!it->is_number() || it->get<double>() < 0 ||
        it->get<double>() > pyro::WorkspaceLimits::kMaxReadinessTimeoutSeconds) {
      invalid(args, "readiness.timeout_seconds", "expected a number 0-600");
    }
    readiness.timeout_seconds = it->get<double>();
  }
  if (auto it = r.find("interval_ms"); it != r.end() && !it->is_null()) {
    if (!integral_in(*it, 10, 60000)) invalid(args, "readiness.interval_ms", "expected an integer 10-60000");
    readiness.interval_ms = static_cast<uint32_t>(it->get<double>());
  }
  // The field each type needs; the core checks the values themselves.
  auto need = [&](bool present, std::string_view field) {
    if (!present) invalid(args, "readiness", fmt::format("type \"{}\" needs `{}`", readiness.type, field));
  };
  if (readiness.type == "file") need(!readiness.path.empty(), "path");
  if (readiness.type == "tcp") need(readiness.port != 0, "port");
  if (readiness.type == "http") need(!readiness.url.empty(), "url");
  if (readiness.type == "command") need(!readiness.command.empty(), "command");
  return readiness;
}

std::vector<uint32_t> published_ports_argument(const Arguments& args) {
  std::vector<uint32_t> ports;
  const json& list = args.value("published_ports");
  if (list.is_null()) return ports;
  if (list.size() > pyro::WorkspaceLimits::kMaxPublishedPorts) {
    invalid(args, "published_ports",
            fmt::format("{} ports; at most {}", list.size(), pyro::WorkspaceLimits::kMaxPublishedPorts));
  }
  for (size_t i = 0; i < list.size(); ++i) {
    if (!integral_in(list[i], 1, 65535)) {
      invalid(args, fmt::format("published_ports[{}]", i),
              fmt::format("{} is not a TCP port (an integer 1-65535)", list[i].dump()));
    }
    ports.push_back(static_cast<uint32_t>(list[i].get<double>()));
  }
  return ports;
}

std::vector<pyro::WorkspaceSecret> secrets_argument(const Arguments& args) {
  std::vector<pyro::WorkspaceSecret> secrets;
  const json& list = args.value("secrets");
  if (list.is_null()) return secrets;
  for (size_t i = 0; i < list.size(); ++i) {
    std::string where = fmt::format("secrets[{}]", i);
    const json& item = list[i];
    if (!item.is_object()) invalid(args, where, "expected an object {\"name\", \"value\" or \"file_path\"}");
    for (const auto& [key, value] : item.items()) {
      if (key != "name" && key != "value" && key != "file_path") {
        invalid(args, where, fmt::format("unknown field `{}`", key));
      }
    }
    pyro::WorkspaceSecret secret;
    secret.name = string_field(args, where, item, "name");
    secret.value = string_field(args, where, item, "value");
    secret.file_path = string_field(args, where, item, "file_path");
    // The rules on names and on value vs file_path are the core's (secret_store).
    secrets.push_back(std::move(secret));
  }
  return secrets;
}

}  // namespace pyro::ops
