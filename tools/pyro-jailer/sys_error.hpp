// Errors of the jailer's setup steps: "<action> `<object>`: <errno text>".
#pragma once

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace pyro_jailer {

[[noreturn]] inline void fail(const std::string& action, const std::string& object, int err = errno) {
  throw std::runtime_error(action + (object.empty() ? "" : " `" + object + "`") + ": " + std::strerror(err));
}

}  // namespace pyro_jailer
