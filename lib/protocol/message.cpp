// JSON payloads of the agent protocol: request, response and event frames.
#include "protocol/message.hpp"

#include <utility>

namespace pyro::protocol {
namespace {

Frame make_frame(uint32_t stream, FrameType type, uint8_t flags, const nlohmann::json& body) {
  Frame f;
  f.stream = stream;
  f.type = type;
  f.flags = flags;
  f.payload = dump_json(body);
  return f;
}

nlohmann::json object_or_empty(const nlohmann::json& value) {
  return value.is_null() ? nlohmann::json::object() : value;
}

const char* type_name(FrameType type) {
  switch (type) {
    case FrameType::kRequest: return "request";
    case FrameType::kResponse: return "response";
    case FrameType::kData: return "data";
    case FrameType::kEvent: return "event";
  }
  return "unknown";
}

}  // namespace

std::string dump_json(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Frame make_request(uint32_t stream, std::string_view method, const nlohmann::json& params) {
  nlohmann::json body = {{"method", std::string(method)}, {"params", object_or_empty(params)}};
  return make_frame(stream, FrameType::kRequest, 0, body);
}

Frame make_response(uint32_t stream, const nlohmann::json& result) {
  nlohmann::json body = {{"result", object_or_empty(result)}};
  return make_frame(stream, FrameType::kResponse, kFlagEndStream, body);
}

Frame make_error_response(uint32_t stream, std::string_view code, std::string_view message) {
  nlohmann::json body = {
      {"error", {{"code", std::string(code)}, {"message", std::string(message)}}}};
  return make_frame(stream, FrameType::kResponse, kFlagEndStream, body);
}

Frame make_event(std::string_view name, nlohmann::json fields) {
  if (fields.is_null()) fields = nlohmann::json::object();
  if (!fields.is_object()) throw std::invalid_argument("build event: fields are not an object");
  fields["event"] = std::string(name);
  return make_frame(0, FrameType::kEvent, 0, fields);
}

nlohmann::json parse_payload(const Frame& frame) {
  const auto fail = [&frame](const std::string& why) {
    return ProtocolError(std::string("parse ") + type_name(frame.type) + " payload on stream " +
                         std::to_string(frame.stream) + ": " + why);
  };
  // The parser itself is iterative; the callback stops it before the value gets deep.
  const auto depth_check = [&fail](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
    if (depth > kMaxJsonDepth) throw fail("nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
    return true;
  };
  nlohmann::json value;
  try {
    value = nlohmann::json::parse(frame.payload, depth_check);
  } catch (const nlohmann::json::exception& e) {
    throw fail(e.what());
  }
  if (!value.is_object()) throw fail("not a JSON object");
  return value;
}

Request parse_request(const Frame& frame) {
  if (frame.type != FrameType::kRequest) {
    throw ProtocolError(std::string("parse request: frame is a ") + type_name(frame.type));
  }
  nlohmann::json body = parse_payload(frame);
  Request r;
  r.stream = frame.stream;
  auto method = body.find("method");
  if (method == body.end() || !method->is_string()) {
    throw ProtocolError("parse request: `method` is missing or not a string");
  }
  r.method = method->get<std::string>();
  auto params = body.find("params");
  if (params != body.end() && !params->is_null()) {
    if (!params->is_object()) throw ProtocolError("parse request: `params` is not an object");
    r.params = std::move(*params);
  }
  return r;
}

Response parse_response(const Frame& frame) {
  if (frame.type != FrameType::kResponse) {
    throw ProtocolError(std::string("parse response: frame is a ") + type_name(frame.type));
  }
  nlohmann::json body = parse_payload(frame);
  Response r;
  r.stream = frame.stream;
  if (auto error = body.find("error"); error != body.end()) {
    if (!error->is_object() || !error->contains("code") || !(*error)["code"].is_string()) {
      throw ProtocolError("parse response: `error.code` is missing or not a string");
    }
    r.error_code = (*error)["code"].get<std::string>();
    if (auto msg = error->find("message"); msg != error->end() && msg->is_string()) {
      r.error_message = msg->get<std::string>();
    }
    return r;
  }
  auto result = body.find("result");
  if (result == body.end() || !result->is_object()) {
    throw ProtocolError("parse response: `result` is missing or not an object");
  }
  r.ok = true;
  r.result = std::move(*result);
  return r;
}

}  // namespace pyro::protocol
