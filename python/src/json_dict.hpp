// json_dict.hpp — to_dict() of every result class: the core's one JSON form of the
// value (pyro::to_json, the same text Pyro.call, the MCP server and `--json` give)
// loaded into Python objects, so no surface spells a result's keys on its own.
#pragma once

#include <pybind11/pybind11.h>

#include "pyro/json.hpp"

namespace pyro::python {

template <class T>
pybind11::dict json_dict(const T& value) {
  return pybind11::module_::import("json").attr("loads")(pyro::to_json(value));
}

}  // namespace pyro::python
