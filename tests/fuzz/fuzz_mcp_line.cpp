// Fuzz target: `pyro mcp serve`'s JSON-RPC line handling (tools/pyro/mcp/session)
// with every tool of the workspace-full profile and no VM: a tools/call only checks
// its arguments against the operation's params (lib/ops/arguments), as Pyro::call
// does before running the operation. The input is a sequence of lines. Properties checked beyond "no
// crash": argument problems are pyro::Error only, every message sent is one line of
// JSON-RPC 2.0 that parses back, and a request gets at most one answer per line.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "mcp/protocol.hpp"
#include "mcp/session.hpp"
#include "ops/arguments.hpp"
#include "ops/operation_table.hpp"
#include "pyro/error.hpp"
#include "pyro/operations.hpp"

namespace {

using nlohmann::json;

const json& tools() {
  static const json all = json::parse(pyro::tool_definitions_json("workspace-full"));
  return all;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  size_t sent = 0;
  pyro_mcp::Session* session_ptr = nullptr;
  pyro_mcp::Session session(
      tools(),
      [&sent](const json& message) {
        const std::string line = pyro_mcp::to_line(message);
        if (line.empty() || line.back() != '\n' || line.find('\n') != line.size() - 1) std::abort();
        // Parsed back unless it is the (large, constant) tools/list answer, which
        // would cost most of the run time.
        if (!message.contains("result") || !message["result"].contains("tools")) {
          const json back = json::parse(line);  // throws (a finding) if not JSON
          if (!back.is_object() || back.value("jsonrpc", "") != "2.0") std::abort();
        }
        ++sent;
      },
      [&session_ptr](const json& id, const std::string& tool, const json& arguments, const json& token) {
        if (!token.is_null() && !token.is_string() && !token.is_number_integer()) std::abort();
        json result = json::object();
        const pyro::ops::OperationSpec* op = pyro::ops::find_operation(tool);
        if (op == nullptr) std::abort();  // the session launched a tool it does not list
        try {
          pyro::ops::Arguments args(*op, arguments, tool);
        } catch (const pyro::Error& e) {
          result = {{"isError", true}, {"message", e.what()}};
        }
        session_ptr->finish_call(id, result);
      });
  session_ptr = &session;

  std::string_view input(reinterpret_cast<const char*>(data), size);
  while (!input.empty()) {
    const size_t nl = input.find('\n');
    const std::string line(input.substr(0, nl));
    input = nl == std::string_view::npos ? std::string_view() : input.substr(nl + 1);
    const size_t before = sent;
    session.handle_line(line);
    if (sent > before + 1) std::abort();
  }
  session.wait_for_calls();
  return 0;
}
