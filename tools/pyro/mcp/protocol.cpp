#include "mcp/protocol.hpp"

namespace pyro_mcp {

std::string negotiate_protocol_version(std::string_view requested) {
  for (auto version : kProtocolVersions) {
    if (version == requested) return std::string(version);
  }
  return std::string(kProtocolVersions.front());
}

nlohmann::json response(const nlohmann::json& id, nlohmann::json result) {
  return {{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}};
}

nlohmann::json error_response(const nlohmann::json& id, int code, const std::string& message) {
  return {{"jsonrpc", "2.0"}, {"id", id}, {"error", {{"code", code}, {"message", message}}}};
}

std::string to_line(const nlohmann::json& message) {
  std::string line = message.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  line += '\n';
  return line;
}

}  // namespace pyro_mcp
