// Pyro::call and the public accessors of the operation table: JSON text in and
// out, so the ABI carries no JSON library types.
#include <fmt/format.h>

#include "ops/dispatcher.hpp"
#include "ops/embedded_spec.hpp"
#include "ops/operation_table.hpp"
#include "ops/tool_definitions.hpp"
#include "pyro/client.hpp"
#include "pyro/error.hpp"
#include "pyro/operations.hpp"

namespace pyro {
inline namespace v1 {
namespace {

using nlohmann::json;

// Arguments come from models and other programs: deeper documents are refused,
// since nlohmann/json copies and serialises values recursively.
constexpr int kMaxArgumentDepth = 64;
struct TooDeep {};

json parse_arguments(std::string_view operation, std::string_view text) {
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) return nullptr;
  json parsed;
  try {
    parsed = json::parse(
        text,
        [](int depth, json::parse_event_t, json&) {
          if (depth > kMaxArgumentDepth) throw TooDeep{};
          return true;
        },
        /*allow_exceptions=*/false);
  } catch (const TooDeep&) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("call `{}`: the arguments nest deeper than {} levels", operation, kMaxArgumentDepth));
  }
  if (parsed.is_discarded()) {
    throw Error(ErrorCode::kInvalidArgument, fmt::format("call `{}`: the arguments are not JSON", operation));
  }
  return parsed;
}

}  // namespace

std::string Pyro::call(std::string_view operation, std::string_view arguments_json,
                       const CallOptions& options) {
  json arguments = parse_arguments(operation, arguments_json);
  ops::ResultJson result = ops::dispatch(*this, operation, arguments, options);
  // Guest output may hold invalid UTF-8: replaced, never a failed call.
  return result.dump(-1, ' ', false, ops::ResultJson::error_handler_t::replace);
}

std::string operation_table_json() { return ops::operations_json(); }

std::string result_schemas_json() { return ops::result_schemas_json(); }

std::string tool_name(std::string_view name) {
  const ops::OperationSpec* op = ops::find_operation(name);
  return op == nullptr ? "" : op->tool_name;
}

std::string tool_definitions_json(std::string_view profile) {
  json tools = json::array();
  for (const auto* op : ops::operations_for_profile(profile)) tools.push_back(ops::tool_definition(*op));
  return tools.dump();
}

}  // namespace v1
}  // namespace pyro
