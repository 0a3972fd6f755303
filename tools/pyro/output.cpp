#include "output.hpp"

#include <cerrno>
#include <string>
#include <system_error>

namespace pyro_cli {

void write_bytes(std::FILE* stream, std::string_view bytes) {
  if (!bytes.empty() && std::fwrite(bytes.data(), 1, bytes.size(), stream) != bytes.size()) {
    throw std::system_error(errno, std::generic_category(),
                            stream == stdout ? "write stdout" : "write stderr");
  }
  if (std::fflush(stream) != 0) {
    throw std::system_error(errno, std::generic_category(),
                            stream == stdout ? "write stdout" : "write stderr");
  }
}

void print_json_line(const nlohmann::json& doc) {
  std::string line = doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  line += '\n';
  write_bytes(stdout, line);
}

nlohmann::json to_json(const pyro::ExecResult& r) {
  return {
      {"exit_code", r.exit_code},
      {"signal", r.signal},
      {"timed_out", r.timed_out},
      {"stdout", r.stdout_data},
      {"stderr", r.stderr_data},
      {"stdout_truncated", r.stdout_truncated},
      {"stderr_truncated", r.stderr_truncated},
      {"duration_ms", r.duration_ms},
      {"vm_id", r.vm_id},
  };
}

nlohmann::json to_json(const pyro::EnvironmentInfo& e) {
  return {
      {"name", e.name},
      {"description", e.description},
      {"installed", e.installed},
      {"path", e.path},
      {"kernel_version", e.kernel_version},
      {"agent_version", e.agent_version},
      {"sha256", e.sha256},
  };
}

nlohmann::json to_json(const pyro::DoctorReport& r) {
  nlohmann::json checks = nlohmann::json::array();
  for (const auto& c : r.checks) {
    checks.push_back({{"name", c.name}, {"ok", c.ok}, {"detail", c.detail}});
  }
  return {
      {"ok", r.ok},
      {"accelerator", r.accelerator},
      {"accelerator_reason", r.accelerator_reason},
      {"qemu_version", r.qemu_version},
      {"home", r.home},
      {"checks", std::move(checks)},
  };
}

}  // namespace pyro_cli
