// JSON-RPC 2.0 message helpers and MCP protocol constants of the server.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace pyro_mcp {

/// Protocol revisions this server speaks, newest first. initialize answers with
/// the client's revision when it is one of these, else with the first.
inline constexpr std::array<std::string_view, 3> kProtocolVersions = {
    "2025-06-18", "2025-03-26", "2024-11-05"};

/// Standard JSON-RPC error codes; the only errors that are not tool results.
inline constexpr int kParseError = -32700;
inline constexpr int kInvalidRequest = -32600;
inline constexpr int kMethodNotFound = -32601;
inline constexpr int kInvalidParams = -32602;

std::string negotiate_protocol_version(std::string_view requested);

nlohmann::json response(const nlohmann::json& id, nlohmann::json result);
nlohmann::json error_response(const nlohmann::json& id, int code, const std::string& message);

/// One protocol line: compact JSON, invalid UTF-8 in strings (raw guest output)
/// replaced by U+FFFD, newline-terminated.
std::string to_line(const nlohmann::json& message);

}  // namespace pyro_mcp
