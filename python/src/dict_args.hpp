// dict_args.hpp — reading the JSON-shaped arguments (spec type "json") that arrive
// as Python dicts and lists: create_workspace(secrets=[{...}]) and
// start_service(readiness={...}, published_ports=[...]). A value of the wrong
// Python type is a TypeError; a well-typed value that breaks the shape (unknown
// or missing key) is InvalidArgumentError, like every other bad value.
#pragma once

#include <initializer_list>
#include <optional>
#include <string>

#include <pybind11/pybind11.h>

#include "client_handle.hpp"
#include "pyro/error.hpp"

namespace pyro::python {

inline std::string type_name(const pybind11::handle& value) {
  return pybind11::str(pybind11::type::of(value).attr("__name__")).cast<std::string>();
}

[[noreturn]] inline void wrong_type(const std::string& what, const char* expected,
                                    const pybind11::handle& value) {
  throw pybind11::type_error("check `" + what + "`: expected " + expected + ", got " + type_name(value));
}

/// `value` as a dict; `what` names it in errors ("secrets[0]").
inline pybind11::dict dict_arg(const pybind11::handle& value, const std::string& what) {
  if (!pybind11::isinstance<pybind11::dict>(value)) wrong_type(what, "a dict", value);
  return pybind11::reinterpret_borrow<pybind11::dict>(value);
}

/// A list or tuple (a str or a dict is a mistake here, not a sequence of items).
inline pybind11::sequence list_arg(const pybind11::handle& value, const std::string& what,
                                   const char* expected) {
  if (!pybind11::isinstance<pybind11::list>(value) && !pybind11::isinstance<pybind11::tuple>(value)) {
    wrong_type(what, expected, value);
  }
  return pybind11::reinterpret_borrow<pybind11::sequence>(value);
}

/// Every key of `d` is a str among `allowed`.
inline void check_keys(const pybind11::dict& d, const std::string& what,
                       std::initializer_list<const char*> allowed) {
  std::string names;
  for (const char* a : allowed) names += std::string(names.empty() ? "" : ", ") + a;
  for (auto item : d) {
    if (!pybind11::isinstance<pybind11::str>(item.first)) wrong_type(what + " key", "a str", item.first);
    auto key = item.first.cast<std::string>();
    bool known = false;
    for (const char* a : allowed) known = known || key == a;
    if (!known) {
      throw Error(ErrorCode::kInvalidArgument,
                  "check `" + what + "`: unknown key `" + key + "` (expected " + names + ")");
    }
  }
}

/// d[key] when present and not None.
inline std::optional<pybind11::object> field(const pybind11::dict& d, const char* key) {
  if (!d.contains(key)) return std::nullopt;
  pybind11::object v = d[key];
  if (v.is_none()) return std::nullopt;
  return v;
}

inline std::optional<std::string> str_field(const pybind11::dict& d, const char* key, const std::string& what) {
  auto v = field(d, key);
  if (!v) return std::nullopt;
  if (!pybind11::isinstance<pybind11::str>(*v)) wrong_type(what + "." + key, "a str", *v);
  return v->cast<std::string>();
}

/// A str or os.PathLike.
inline std::optional<std::string> path_field(const pybind11::dict& d, const char* key, const std::string& what) {
  auto v = field(d, key);
  if (!v) return std::nullopt;
  if (!pybind11::isinstance<pybind11::str>(*v) && !pybind11::hasattr(*v, "__fspath__")) {
    wrong_type(what + "." + key, "a str or os.PathLike", *v);
  }
  return path_arg(*v);
}

/// An int (not a bool) converted with int_arg's range check.
template <class T>
std::optional<T> int_field(const pybind11::dict& d, const char* key, const std::string& what) {
  auto v = field(d, key);
  if (!v) return std::nullopt;
  if (!pybind11::isinstance<pybind11::int_>(*v) || pybind11::isinstance<pybind11::bool_>(*v)) {
    wrong_type(what + "." + key, "an int", *v);
  }
  return int_arg<T>(v->cast<long long>(), (what + "." + key).c_str());
}

/// An int or a float (not a bool).
inline std::optional<double> number_field(const pybind11::dict& d, const char* key, const std::string& what) {
  auto v = field(d, key);
  if (!v) return std::nullopt;
  bool number = pybind11::isinstance<pybind11::int_>(*v) || pybind11::isinstance<pybind11::float_>(*v);
  if (!number || pybind11::isinstance<pybind11::bool_>(*v)) wrong_type(what + "." + key, "a number", *v);
  return v->cast<double>();
}

}  // namespace pyro::python
