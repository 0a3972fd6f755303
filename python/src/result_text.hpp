// result_text.hpp — helpers the result classes share: text and bytes from C++
// strings, and a repr built from to_dict() so the two never disagree.
#pragma once

#include <string>

#include <pybind11/pybind11.h>

namespace pyro::python {

/// UTF-8 text, invalid bytes replaced (guest output and file content are not trusted).
inline pybind11::str text(const std::string& raw) {
  PyObject* s = PyUnicode_DecodeUTF8(raw.data(), static_cast<Py_ssize_t>(raw.size()), "replace");
  if (!s) throw pybind11::error_already_set();
  return pybind11::reinterpret_steal<pybind11::str>(s);
}

inline pybind11::bytes bytes(const std::string& raw) { return pybind11::bytes(raw.data(), raw.size()); }

/// "Name(a=1, b='x')" from a to_dict() result.
inline std::string repr_of(const char* name, const pybind11::dict& d) {
  std::string out = std::string(name) + "(";
  bool first = true;
  for (auto item : d) {
    if (!first) out += ", ";
    first = false;
    out += pybind11::str(item.first).cast<std::string>() + "=" +
           pybind11::repr(item.second).cast<std::string>();
  }
  return out + ")";
}

}  // namespace pyro::python
