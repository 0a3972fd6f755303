// Typed access to the optional params of the fs_* methods; every failure is an
// AgentError `invalid_argument` naming the method and the param.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "agent_error.hpp"

namespace pyro::agent {

[[noreturn]] inline void invalid_param(std::string_view op, const std::string& message) {
  throw AgentError("invalid_argument", std::string(op) + ": " + message);
}

/// An integer param in [0, max]; `fallback` when missing or null.
inline uint64_t uint_param(const nlohmann::json& params, const char* name, uint64_t fallback,
                           uint64_t max, std::string_view op) {
  auto it = params.find(name);
  if (it == params.end() || it->is_null()) return fallback;
  if (!it->is_number_integer()) invalid_param(op, std::string("`") + name + "` is not an integer");
  if (it->is_number_unsigned() || it->get<int64_t>() >= 0) {
    uint64_t v = it->get<uint64_t>();
    if (v <= max) return v;
  }
  invalid_param(op, std::string("`") + name + "` is out of range");
}

inline bool bool_param(const nlohmann::json& params, const char* name, bool fallback, std::string_view op) {
  auto it = params.find(name);
  if (it == params.end() || it->is_null()) return fallback;
  if (!it->is_boolean()) invalid_param(op, std::string("`") + name + "` is not a boolean");
  return it->get<bool>();
}

}  // namespace pyro::agent
