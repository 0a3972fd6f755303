// Operation arguments: checked against the operation's params, then read as C++ values.
// Every problem is a pyro::Error(kInvalidArgument) naming the argument, so a model
// gets a result it can correct (over MCP: an isError result, not a JSON-RPC error).
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "ops/operation_table.hpp"

namespace pyro::ops {

class Arguments {
 public:
  /// Checks `args` (an object, or null for none) against `op.params`: no unknown
  /// names (a param's aliases count as its name; a param given twice, under two
  /// spellings, is refused), every required one present, each of the declared type (for `json`
  /// params: the schema's top-level type), within its minimum/maximum and among
  /// its `enum` values. Null counts as absent. The table's defaults are filled in.
  /// Messages name the operation as `called_as` (the caller's spelling: the table
  /// name or the MCP tool name).
  Arguments(const OperationSpec& op, const nlohmann::json& args, const std::string& called_as);

  // Reads take the param's table name, whichever spelling the caller used.
  bool has(const std::string& name) const { return values_.contains(name); }

  // Typed reads; `fallback` applies when the argument is absent and has no default.
  std::string string(const std::string& name, const std::string& fallback = "") const;
  bool boolean(const std::string& name, bool fallback = false) const;
  double number(const std::string& name, double fallback = 0) const;
  uint32_t u32(const std::string& name, uint32_t fallback = 0) const;
  uint64_t u64(const std::string& name, uint64_t fallback = 0) const;
  std::map<std::string, std::string> string_map(const std::string& name) const;
  /// A `json` parameter as given (its top-level type checked), or null when absent.
  const nlohmann::json& value(const std::string& name) const;
  /// The operation as the caller named it, for messages about an argument's content.
  const std::string& tool() const { return tool_; }

 private:
  uint64_t unsigned_value(const std::string& name, uint64_t max) const;

  std::string tool_;
  nlohmann::json values_ = nlohmann::json::object();
};

}  // namespace pyro::ops
