#include "ops/tool_definitions.hpp"

#include <cctype>
#include <cstdint>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace pyro::ops {
namespace {

using nlohmann::json;

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
  auto bound = [&](double v) -> json {
    if (p.type == "integer") return static_cast<int64_t>(v);
    return v;
  };
  if (p.minimum) schema["minimum"] = bound(*p.minimum);
  if (p.maximum) schema["maximum"] = bound(*p.maximum);
  return schema;
}

json input_schema(const OperationSpec& op) {
  json properties = json::object();
  json required = json::array();
  for (const auto& p : op.params) {
    properties[p.name] = param_schema(p);
    if (!p.optional) required.push_back(p.name);
  }
  json schema = {{"type", "object"}, {"properties", std::move(properties)}, {"additionalProperties", false}};
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
json full_annotations(const OperationSpec& op) {
  bool read_only = op.annotations.value("readOnlyHint", false);
  return {
      {"title", title_of(op.name)},
      {"readOnlyHint", read_only},
      {"destructiveHint", op.annotations.value("destructiveHint", !read_only)},
      {"idempotentHint", op.annotations.value("idempotentHint", read_only)},
      {"openWorldHint", op.annotations.value("openWorldHint", false)},
  };
}

std::string description_of(const OperationSpec& op) {
  std::string text = op.summary;
  if (!op.errors.empty()) {
    text += fmt::format("\nFailures are results with isError true and structuredContent "
                        "{{\"error\": {{\"code\", \"message\"}}}}; expected codes: {}.",
                        fmt::join(op.errors, ", "));
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

json tool_definition(const OperationSpec& op) {
  json def = {
      {"name", op.tool_name},
      {"title", title_of(op.name)},
      {"description", description_of(op)},
      {"inputSchema", input_schema(op)},
      {"annotations", full_annotations(op)},
  };
  json out = result_schema(op.result);
  if (!out.is_null()) {
    // Error results carry {"error": ...} as structuredContent, and some clients (the
    // TypeScript SDK) validate it against outputSchema even when isError is true.
    def["outputSchema"] = {{"type", "object"}, {"anyOf", {std::move(out), error_schema()}}};
  }
  return def;
}

}  // namespace pyro::ops
