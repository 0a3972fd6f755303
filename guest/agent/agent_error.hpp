// An error answered to the host as `{"error": {"code", "message"}}`.
#pragma once

#include <stdexcept>
#include <string>

namespace pyro::agent {

/// Thrown by request handlers; `code` is a wire name from spec/error_codes.json.
class AgentError : public std::runtime_error {
 public:
  AgentError(std::string code, const std::string& message)
      : std::runtime_error(message), code_(std::move(code)) {}
  const std::string& code() const noexcept { return code_; }

 private:
  std::string code_;
};

}  // namespace pyro::agent
