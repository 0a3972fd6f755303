#include "ops/operation_table.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "ops/embedded_spec.hpp"
#include "pyro/error.hpp"

namespace pyro::ops {
namespace {

using nlohmann::json;

ParamSpec parse_param(const json& p) {
  ParamSpec spec;
  spec.name = p.at("name").get<std::string>();
  spec.aliases = p.value("aliases", std::vector<std::string>{});
  spec.type = p.at("type").get<std::string>();
  spec.optional = p.value("optional", false);
  if (p.contains("default")) spec.default_value = p["default"];
  if (p.contains("minimum")) spec.minimum = p["minimum"].get<double>();
  if (p.contains("maximum")) spec.maximum = p["maximum"].get<double>();
  spec.doc = p.value("doc", "");
  if (p.contains("enum")) spec.enum_values = p["enum"];
  if (p.contains("schema")) spec.schema = p["schema"];
  return spec;
}

std::vector<OperationSpec> parse_operations() {
  json table = json::parse(operations_json());
  std::vector<OperationSpec> operations;
  for (const auto& op : table.at("operations")) {
    OperationSpec spec;
    spec.name = op.at("name").get<std::string>();
    // Operations without an `mcp` field are offered under their own name.
    const json& mcp = op.contains("mcp") ? op["mcp"] : json();
    spec.tool_name = mcp.is_string() ? mcp.get<std::string>() : spec.name;
    spec.since = op.value("since", "");
    spec.summary = op.value("summary", "");
    spec.result = op.value("result", "none");
    spec.errors = op.value("errors", std::vector<std::string>{});
    spec.annotations = op.value("annotations", json::object());
    spec.profiles = op.value("profiles", std::vector<std::string>{});
    for (const auto& p : op.value("params", json::array())) spec.params.push_back(parse_param(p));
    operations.push_back(std::move(spec));
  }
  return operations;
}

}  // namespace

const ParamSpec* OperationSpec::find_param(std::string_view param) const {
  for (const auto& p : params) {
    if (p.name == param) return &p;
    for (const auto& alias : p.aliases) {
      if (alias == param) return &p;
    }
  }
  return nullptr;
}

const std::vector<OperationSpec>& all_operations() {
  static const std::vector<OperationSpec> operations = parse_operations();
  return operations;
}

const OperationSpec* find_operation(std::string_view name) {
  for (const auto& op : all_operations()) {
    if (op.name == name || op.tool_name == name) return &op;
  }
  return nullptr;
}

const std::vector<std::string>& profile_names() {
  static const std::vector<std::string> names = {"vm-run", "workspace-core", "workspace-full"};
  return names;
}

std::vector<const OperationSpec*> operations_for_profile(std::string_view profile) {
  bool known = false;
  for (const auto& name : profile_names()) known = known || name == profile;
  if (!known) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("select profile `{}`: expected one of {}", profile, fmt::join(profile_names(), ", ")));
  }
  std::vector<const OperationSpec*> offered;
  for (const auto& op : all_operations()) {
    for (const auto& p : op.profiles) {
      if (p == profile) offered.push_back(&op);
    }
  }
  return offered;
}

json result_schema(const std::string& result_type) {
  static const json schemas = json::parse(result_schemas_json());
  if (result_type == "none") {
    return {{"type", "object"}, {"properties", json::object()}, {"additionalProperties", false}};
  }
  if (result_type.starts_with("list[") && result_type.ends_with("]")) {
    json item_schema = result_schema(result_type.substr(5, result_type.size() - 6));
    if (item_schema.is_null()) return nullptr;
    return {{"type", "object"},
            {"properties", {{"items", {{"type", "array"}, {"items", std::move(item_schema)}}}}},
            {"required", {"items"}}};
  }
  auto it = schemas.find(result_type);
  return it == schemas.end() ? json() : *it;
}

}  // namespace pyro::ops
