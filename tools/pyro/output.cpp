#include "output.hpp"

#include <cerrno>
#include <string>
#include <system_error>

#include <fmt/format.h>

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
      {"source", e.source},
      {"version", e.version},
      {"packages", e.packages},
      {"size_bytes", e.size_bytes},
      {"built_at", e.built_at},
      {"has_rootfs", e.has_rootfs},
      {"snapshot_ready", e.snapshot_ready},
  };
}

nlohmann::json to_json(const pyro::PruneResult& r) {
  return {{"removed", r.removed}, {"bytes_freed", r.bytes_freed}};
}

std::string format_size(uint64_t bytes) {
  if (bytes < 1024) return fmt::format("{} B", bytes);
  if (bytes < (1ull << 20)) return fmt::format("{:.1f} KiB", static_cast<double>(bytes) / 1024);
  if (bytes < (1ull << 30)) {
    return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / (1ull << 20));
  }
  return fmt::format("{:.1f} GiB", static_cast<double>(bytes) / (1ull << 30));
}

std::string format_installed_line(const pyro::EnvironmentInfo& e) {
  return fmt::format("{}: installed at {} (sha256 {}, {})\n", e.name, e.path,
                     e.sha256.substr(0, 12), format_size(e.size_bytes));
}

pyro::ProgressHandler stderr_progress() {
  return [](std::string_view message) {
    // One write per line, so progress never interleaves with log lines.
    std::string line = fmt::format("pyro: {}\n", message);
    std::fwrite(line.data(), 1, line.size(), stderr);
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
