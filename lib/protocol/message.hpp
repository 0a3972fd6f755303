// JSON payloads of the agent protocol (docs/agent-protocol.md): building and parsing
// request, response and event frames. Shared by host and guest; nlohmann/json only.
//
//   Frame f = make_request(1, "exec", {{"command", "echo hi"}});
//   Request r = parse_request(f);  // r.method == "exec"
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "protocol/frame.hpp"

namespace pyro::protocol {

/// A payload that is not valid JSON, not an object, or lacks a required field.
/// Maps to the host error code `agent_protocol` (or `invalid_argument` in the agent).
class ProtocolError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A parsed request frame.
struct Request {
  uint32_t stream = 0;
  std::string method;
  nlohmann::json params = nlohmann::json::object();
};

/// A parsed response frame: either `result` (ok) or `error_code` + `error_message`.
struct Response {
  uint32_t stream = 0;
  bool ok = false;
  nlohmann::json result = nlohmann::json::object();
  std::string error_code;
  std::string error_message;
};

/// Serialises JSON compactly. Invalid UTF-8 in strings is replaced with U+FFFD
/// instead of throwing, so payloads can always be built.
std::string dump_json(const nlohmann::json& value);

/// `{"method": method, "params": params}` on `stream`. `params` null means `{}`.
Frame make_request(uint32_t stream, std::string_view method, const nlohmann::json& params);

/// `{"result": result}` on `stream`, flagged END_STREAM. `result` null means `{}`.
Frame make_response(uint32_t stream, const nlohmann::json& result);

/// `{"error": {"code": code, "message": message}}` on `stream`, flagged END_STREAM.
Frame make_error_response(uint32_t stream, std::string_view code, std::string_view message);

/// `{"event": name, ...fields}` on stream 0. Throws std::invalid_argument when
/// `fields` is neither null nor an object.
Frame make_event(std::string_view name, nlohmann::json fields);

/// How deep a payload may nest. No message needs more than a few levels, and
/// nlohmann/json copies and serialises values recursively: a peer's 4 MiB of `[`
/// would otherwise overflow the reader's stack at the first copy or log line.
inline constexpr int kMaxJsonDepth = 64;

/// Parses a request, response or event payload. Throws ProtocolError on invalid
/// JSON, JSON nested deeper than kMaxJsonDepth, or when the payload is not a JSON
/// object.
nlohmann::json parse_payload(const Frame& frame);

/// Parses a request frame. Throws ProtocolError when the frame is not a request,
/// `method` is missing or not a string, or `params` is present but not an object.
Request parse_request(const Frame& frame);

/// Parses a response frame. Throws ProtocolError when the frame is not a response or
/// holds neither an object `result` nor an `error` with a string `code`.
Response parse_response(const Frame& frame);

}  // namespace pyro::protocol
