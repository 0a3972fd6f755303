#include "ops/arguments.hpp"

#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "pyro/error.hpp"

namespace pyro::ops {
namespace {

using nlohmann::json;

[[noreturn]] void invalid(const std::string& tool, const std::string& what) {
  throw pyro::Error(pyro::ErrorCode::kInvalidArgument, fmt::format("call `{}`: {}", tool, what));
}

const char* json_type_name(const json& v) {
  if (v.is_boolean()) return "boolean";
  if (v.is_number_integer() || v.is_number_unsigned()) return "integer";
  if (v.is_number()) return "number";
  return v.type_name();  // "string", "object", "array", "null"
}

bool is_integral(const json& v) {
  if (v.is_number_integer() || v.is_number_unsigned()) return true;
  // JSON Schema counts 2.0 as an integer; so do we.
  return v.is_number_float() && std::isfinite(v.get<double>()) &&
         std::trunc(v.get<double>()) == v.get<double>();
}

bool has_type(const ParamSpec& p, const json& v) {
  if (p.type == "string") return v.is_string();
  if (p.type == "boolean") return v.is_boolean();
  if (p.type == "number") return v.is_number();
  if (p.type == "integer") return is_integral(v);
  if (p.type == "object") {
    if (!v.is_object()) return false;
    for (const auto& [key, value] : v.items()) {
      if (!value.is_string()) return false;
    }
    return true;
  }
  if (p.type == "json") {
    // Only the top level here; the dispatcher reads the rest and names what is wrong.
    std::string type = p.schema.is_object() ? p.schema.value("type", "") : "";
    if (type.empty()) return true;
    if (type == "array") return v.is_array();
    if (type == "object") return v.is_object();
    ParamSpec scalar = p;
    scalar.type = type;
    return has_type(scalar, v);
  }
  return false;
}

std::string expected_type(const ParamSpec& p) {
  if (p.type == "object") return "an object of strings";
  if (p.type == "json") {
    std::string type = p.schema.is_object() ? p.schema.value("type", "") : "";
    return type == "array" || type == "object" ? fmt::format("an {}", type) : fmt::format("a {}", type);
  }
  return fmt::format("a {}", p.type);
}

bool in_enum(const ParamSpec& p, const json& v) {
  if (!p.enum_values.is_array()) return true;
  for (const auto& allowed : p.enum_values) {
    if (allowed == v) return true;
  }
  return false;
}

}  // namespace

Arguments::Arguments(const OperationSpec& op, const json& args, const std::string& called_as)
    : tool_(called_as) {
  if (!args.is_null() && !args.is_object()) {
    invalid(tool_, fmt::format("arguments: expected an object, got {}", json_type_name(args)));
  }
  // Each argument under its param's name; `spelled` keeps the caller's spelling
  // (the name or an alias) for messages.
  json given_values = json::object();
  std::map<std::string, std::string> spelled;
  if (args.is_object()) {
    for (const auto& [key, value] : args.items()) {
      const ParamSpec* p = op.find_param(key);
      if (p == nullptr) invalid(tool_, fmt::format("unknown argument `{}`", key));
      if (value.is_null()) continue;
      if (auto seen = spelled.find(p->name); seen != spelled.end()) {
        invalid(tool_, fmt::format("arguments `{}` and `{}` are the same parameter: give one", seen->second, key));
      }
      spelled[p->name] = key;
      given_values[p->name] = value;
    }
  }
  for (const auto& p : op.params) {
    auto it = given_values.find(p.name);
    if (it == given_values.end()) {
      if (!p.optional) invalid(tool_, fmt::format("missing required argument `{}`", p.name));
      if (!p.default_value.is_null()) values_[p.name] = p.default_value;
      continue;
    }
    const json& given = *it;
    const std::string& name = spelled.at(p.name);
    if (!has_type(p, given)) {
      invalid(tool_, fmt::format("argument `{}`: expected {}, got {}", name, expected_type(p), json_type_name(given)));
    }
    if (given.is_number()) {
      double v = given.get<double>();
      if (p.minimum && v < *p.minimum) {
        invalid(tool_, fmt::format("argument `{}`: {} is below the minimum {}", name, given.dump(), *p.minimum));
      }
      if (p.maximum && v > *p.maximum) {
        invalid(tool_, fmt::format("argument `{}`: {} is above the maximum {}", name, given.dump(), *p.maximum));
      }
    }
    if (!in_enum(p, given)) {
      std::vector<std::string> allowed;
      for (const auto& a : p.enum_values) allowed.push_back(a.dump());
      invalid(tool_, fmt::format("argument `{}`: {} is not one of {}", name, given.dump(), fmt::join(allowed, ", ")));
    }
    values_[p.name] = given;
  }
}

const json& Arguments::value(const std::string& name) const {
  static const json kNull;
  auto it = values_.find(name);
  return it == values_.end() ? kNull : *it;
}

std::string Arguments::string(const std::string& name, const std::string& fallback) const {
  auto it = values_.find(name);
  return it == values_.end() ? fallback : it->get<std::string>();
}

bool Arguments::boolean(const std::string& name, bool fallback) const {
  auto it = values_.find(name);
  return it == values_.end() ? fallback : it->get<bool>();
}

double Arguments::number(const std::string& name, double fallback) const {
  auto it = values_.find(name);
  return it == values_.end() ? fallback : it->get<double>();
}

uint64_t Arguments::unsigned_value(const std::string& name, uint64_t max) const {
  const json& v = values_.at(name);
  if (v.is_number_unsigned()) {
    if (v.get<uint64_t>() <= max) return v.get<uint64_t>();
  } else if (v.is_number_integer()) {
    if (v.get<int64_t>() >= 0 && static_cast<uint64_t>(v.get<int64_t>()) <= max) return v.get<uint64_t>();
  } else {
    double d = v.get<double>();
    if (d >= 0 && d <= static_cast<double>(max)) return static_cast<uint64_t>(d);
  }
  invalid(tool_, fmt::format("argument `{}`: {} is out of range 0..{}", name, v.dump(), max));
}

uint32_t Arguments::u32(const std::string& name, uint32_t fallback) const {
  if (!has(name)) return fallback;
  return static_cast<uint32_t>(unsigned_value(name, std::numeric_limits<uint32_t>::max()));
}

uint64_t Arguments::u64(const std::string& name, uint64_t fallback) const {
  if (!has(name)) return fallback;
  return unsigned_value(name, std::numeric_limits<uint64_t>::max());
}

std::map<std::string, std::string> Arguments::string_map(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return {};
  return it->get<std::map<std::string, std::string>>();
}

}  // namespace pyro::ops
