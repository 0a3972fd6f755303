#include "mcp/tool_table.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>

#include <fmt/format.h>

#include "mcp/embedded_tables.hpp"

namespace pyro_mcp {
namespace {

using nlohmann::json;

// The workspace-core profile: enough to create a sandbox, work in it and hand the
// result back, without snapshots, disk inspection or lifecycle fiddling.
constexpr std::array<std::string_view, 15> kWorkspaceCoreOperations = {
    "run_in_vm",          "list_environments",     "create_workspace",
    "list_workspaces",    "status_workspace",      "delete_workspace",
    "exec_workspace",     "push_workspace_sync",   "list_workspace_files",
    "read_workspace_file", "write_workspace_file", "apply_workspace_patch",
    "diff_workspace",     "export_workspace",      "reset_workspace",
};

bool is_environment_operation(std::string_view op) {
  return op.ends_with("_environment") || op.ends_with("_environments");
}

// "0.3" -> {0, 3}; a malformed version sorts first, so it is never offered by accident.
std::pair<int, int> parse_since(const std::string& since) {
  int major = -1, minor = -1;
  if (std::sscanf(since.c_str(), "%d.%d", &major, &minor) != 2) return {-1, -1};
  return {major, minor};
}

ParamSpec parse_param(const json& p) {
  ParamSpec spec;
  spec.name = p.at("name").get<std::string>();
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

std::vector<ToolSpec> parse_operations() {
  json table = json::parse(operations_json());
  std::vector<ToolSpec> tools;
  for (const auto& op : table.at("operations")) {
    ToolSpec tool;
    tool.operation = op.at("name").get<std::string>();
    // Operations without an `mcp` field are offered under their own name.
    const json& mcp = op.contains("mcp") ? op["mcp"] : json();
    tool.name = mcp.is_string() ? mcp.get<std::string>() : tool.operation;
    tool.since = op.value("since", "");
    tool.summary = op.value("summary", "");
    tool.result = op.value("result", "none");
    tool.errors = op.value("errors", std::vector<std::string>{});
    tool.annotations = op.value("annotations", json::object());
    for (const auto& p : op.value("params", json::array())) tool.params.push_back(parse_param(p));
    tools.push_back(std::move(tool));
  }
  return tools;
}

bool in_profile(const ToolSpec& tool, Profile profile) {
  switch (profile) {
    case Profile::kVmRun:
      return tool.operation == "run_in_vm";
    case Profile::kWorkspaceCore:
      return std::find(kWorkspaceCoreOperations.begin(), kWorkspaceCoreOperations.end(),
                       tool.operation) != kWorkspaceCoreOperations.end();
    case Profile::kWorkspaceFull:
      // VM lifecycle ops and doctor stay out: a VM belongs to one client, and the
      // server's client is invisible to the model. Everything from 0.3 on is in.
      return tool.operation == "run_in_vm" || is_environment_operation(tool.operation) ||
             parse_since(tool.since) >= std::pair{0, 3};
  }
  return false;
}

json param_schema(const ParamSpec& p) {
  json schema;
  if (p.type == "object") {
    schema = {{"type", "object"}, {"additionalProperties", {{"type", "string"}}}};
  } else if (p.type == "json") {
    // The table spells the whole schema of a structured parameter.
    schema = p.schema.is_object() ? p.schema : json::object();
  } else {
    schema = {{"type", p.type}};
  }
  if (!p.doc.empty()) schema["description"] = p.doc;
  if (!p.default_value.is_null()) schema["default"] = p.default_value;
  if (p.enum_values.is_array()) schema["enum"] = p.enum_values;
  auto bound = [&](const std::optional<double>& v) -> json {
    if (p.type == "integer") return static_cast<int64_t>(*v);
    return *v;
  };
  if (p.minimum) schema["minimum"] = bound(p.minimum);
  if (p.maximum) schema["maximum"] = bound(p.maximum);
  return schema;
}

json input_schema(const ToolSpec& tool) {
  json properties = json::object();
  json required = json::array();
  for (const auto& p : tool.params) {
    properties[p.name] = param_schema(p);
    if (!p.optional) required.push_back(p.name);
  }
  json schema = {{"type", "object"}, {"properties", std::move(properties)},
                 {"additionalProperties", false}};
  if (!required.empty()) schema["required"] = std::move(required);
  return schema;
}

// "run_in_vm" -> "Run in VM": a display name for clients that show one.
std::string title_of(const std::string& operation) {
  std::string title;
  size_t start = 0;
  while (start <= operation.size()) {
    size_t end = operation.find('_', start);
    if (end == std::string::npos) end = operation.size();
    std::string word = operation.substr(start, end - start);
    if (word == "vm" || word == "vms") {
      word = word == "vm" ? "VM" : "VMs";
    } else if (title.empty() && !word.empty()) {
      word[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(word[0])));
    }
    if (!title.empty()) title += ' ';
    title += word;
    start = end + 1;
  }
  return title;
}

// The table may give only some hints; MCP's defaults (destructive, open world)
// are wrong for pyro, whose operations touch only its own VMs and cache.
json full_annotations(const ToolSpec& tool) {
  bool read_only = tool.annotations.value("readOnlyHint", false);
  return {
      {"title", title_of(tool.operation)},
      {"readOnlyHint", read_only},
      {"destructiveHint", tool.annotations.value("destructiveHint", !read_only)},
      {"idempotentHint", tool.annotations.value("idempotentHint", read_only)},
      {"openWorldHint", tool.annotations.value("openWorldHint", false)},
  };
}

std::string description_of(const ToolSpec& tool) {
  std::string text = tool.summary;
  if (!tool.errors.empty()) {
    text += fmt::format("\nFailures are results with isError true and structuredContent "
                        "{{\"error\": {{\"code\", \"message\"}}}}; expected codes: {}.",
                        fmt::join(tool.errors, ", "));
  }
  return text;
}

}  // namespace

json error_schema() {
  return {
      {"type", "object"},
      {"properties",
       {{"error",
         {{"type", "object"},
          {"properties", {{"code", {{"type", "string"}, {"description", "wire name, e.g. not_found"}}},
                          {"message", {{"type", "string"}}}}},
          {"required", {"code", "message"}}}}}},
      {"required", {"error"}},
      {"additionalProperties", false},
  };
}

std::optional<Profile> parse_profile(std::string_view name) {
  if (name == "vm-run") return Profile::kVmRun;
  if (name == "workspace-core") return Profile::kWorkspaceCore;
  if (name == "workspace-full") return Profile::kWorkspaceFull;
  return std::nullopt;
}

const std::vector<ToolSpec>& all_operations() {
  static const std::vector<ToolSpec> operations = parse_operations();
  return operations;
}

std::vector<ToolSpec> tools_for_profile(Profile profile) {
  std::vector<ToolSpec> tools;
  for (const auto& tool : all_operations()) {
    if (in_profile(tool, profile)) tools.push_back(tool);
  }
  return tools;
}

json output_schema(const std::string& result_type) {
  static const json schemas = json::parse(result_schemas_json());
  if (result_type == "none") {
    return {{"type", "object"}, {"properties", json::object()}, {"additionalProperties", false}};
  }
  if (result_type.starts_with("list[") && result_type.ends_with("]")) {
    std::string item = result_type.substr(5, result_type.size() - 6);
    json item_schema = output_schema(item);
    if (item_schema.is_null()) return nullptr;
    return {{"type", "object"},
            {"properties", {{"items", {{"type", "array"}, {"items", std::move(item_schema)}}}}},
            {"required", {"items"}}};
  }
  auto it = schemas.find(result_type);
  return it == schemas.end() ? json() : *it;
}

json tool_definition(const ToolSpec& tool) {
  json def = {
      {"name", tool.name},
      {"title", title_of(tool.operation)},
      {"description", description_of(tool)},
      {"inputSchema", input_schema(tool)},
      {"annotations", full_annotations(tool)},
  };
  json out = output_schema(tool.result);
  if (!out.is_null()) {
    // Error results carry {"error": ...} as structuredContent, and some clients (the
    // TypeScript SDK) validate it against outputSchema even when isError is true.
    def["outputSchema"] = {{"type", "object"}, {"anyOf", {std::move(out), error_schema()}}};
  }
  return def;
}

}  // namespace pyro_mcp
