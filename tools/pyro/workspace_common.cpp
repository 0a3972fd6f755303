#include "workspace_common.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "output.hpp"
#include "pyro/error.hpp"

namespace pyro_cli {
namespace {

std::string or_dash(const std::string& s) { return s.empty() ? "-" : s; }

std::string plural(uint64_t n, std::string_view one, std::string_view many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

// mtime as UTC "2024-05-01 12:00", short enough for a table column.
std::string format_mtime(int64_t seconds) {
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  if (gmtime_r(&t, &tm) == nullptr) return "-";
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", &tm);
  return buf;
}

}  // namespace

void check_positionals(const CommandSpec& spec, const ParsedArgs& parsed,
                       std::initializer_list<std::string_view> required, size_t optional) {
  size_t i = 0;
  for (std::string_view name : required) {
    if (parsed.positionals.size() <= i) {
      throw UsageError(std::string(spec.path), fmt::format("missing {}", name));
    }
    ++i;
  }
  if (parsed.positionals.size() > required.size() + optional) {
    throw UsageError(std::string(spec.path),
                     fmt::format("unexpected argument `{}`",
                                 parsed.positionals[required.size() + optional]));
  }
}

ParsedArgs parse_verb_args(const CommandSpec& spec, Args args,
                           std::initializer_list<std::string_view> required, size_t optional) {
  ParsedArgs parsed = parse_args(spec, args);
  if (parsed.help) {
    write_bytes(stdout, format_help(spec));
    return parsed;
  }
  check_positionals(spec, parsed, required, optional);
  return parsed;
}

void print_json_or_text(const ParsedArgs& parsed, const nlohmann::json& json,
                        std::string_view human) {
  if (parsed.has("json")) {
    print_json_line(json);
  } else {
    write_bytes(stdout, human);
  }
}

std::string read_host_input(const std::string& path, std::string_view what) {
  if (path == "-") {
    std::ostringstream buf;
    buf << std::cin.rdbuf();
    return buf.str();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    int err = errno;
    throw pyro::Error(err == ENOENT ? pyro::ErrorCode::kNotFound : pyro::ErrorCode::kInvalidArgument,
                      fmt::format("read {} `{}`: {}", what, path, std::strerror(err)));
  }
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) {
    throw pyro::Error(pyro::ErrorCode::kInvalidArgument,
                      fmt::format("read {} `{}`: read failed", what, path));
  }
  return data;
}

void progress_note(std::string_view message) {
  if (isatty(STDERR_FILENO) == 0) return;
  std::string line = fmt::format("pyro: {}\n", message);
  std::fwrite(line.data(), 1, line.size(), stderr);
}

std::string format_workspace_details(const pyro::WorkspaceInfo& w) {
  std::string labels;
  for (const auto& [k, v] : w.labels) {
    labels += fmt::format("{}{}={}", labels.empty() ? "" : " ", k, v);
  }
  std::string out;
  auto line = [&out](std::string_view key, std::string_view value) {
    out += fmt::format("{:<13} {}\n", fmt::format("{}:", key), value);
  };
  line("workspace_id", w.workspace_id);
  line("name", or_dash(w.name));
  line("environment", w.environment);
  line("state", pyro::workspace_state_name(w.state));
  if (!w.crash_reason.empty()) line("crash_reason", w.crash_reason);
  line("vcpu_count", fmt::format("{}", w.vcpu_count));
  line("mem_mib", fmt::format("{}", w.mem_mib));
  line("disk_mib", fmt::format("{}", w.disk_mib));
  line("disk_bytes", fmt::format("{} ({})", w.disk_bytes, format_size(w.disk_bytes)));
  line("network", pyro::network_policy_name(w.network_policy));
  line("secrets", w.secret_names.empty() ? "-" : fmt::format("{}", fmt::join(w.secret_names, " ")));
  line("labels", or_dash(labels));
  line("created_at", w.created_at);
  line("updated_at", or_dash(w.updated_at));
  line("accelerator", or_dash(w.accelerator));
  line("pid", w.pid == 0 ? "-" : fmt::format("{}", w.pid));
  line("start_mode", or_dash(w.start_mode));
  line("boot_ms", w.boot_ms == 0 ? "-" : fmt::format("{}", w.boot_ms));
  line("path", w.path);
  return out;
}

std::string format_workspace_state_line(const pyro::WorkspaceInfo& w) {
  std::string out = fmt::format("{} {}", w.workspace_id, pyro::workspace_state_name(w.state));
  if (w.state == pyro::WorkspaceState::kRunning && !w.start_mode.empty()) {
    out += fmt::format(" ({} start, {} ms)", w.start_mode, w.boot_ms);
  }
  if (!w.crash_reason.empty()) out += fmt::format(": {}", w.crash_reason);
  return out + "\n";
}

std::string format_file_table(const std::vector<pyro::WorkspaceFileEntry>& entries) {
  size_t size_w = 4;  // "SIZE"
  for (const auto& e : entries) size_w = std::max(size_w, fmt::format("{}", e.size).size());
  std::string out = fmt::format("{:<9}  {:<4}  {:>{}}  {:<16}  {}\n", "TYPE", "MODE", "SIZE", size_w,
                                "MTIME", "PATH");
  for (const auto& e : entries) {
    std::string path = e.type == "symlink" ? fmt::format("{} -> {}", e.path, e.target) : e.path;
    out += fmt::format("{:<9}  {:04o}  {:>{}}  {:<16}  {}\n", e.type, e.mode, e.size, size_w,
                       format_mtime(e.mtime), path);
  }
  return out;
}

void relay_file_content(const pyro::WorkspaceFileContent& c) {
  write_bytes(stdout, c.content);
  if (c.truncated) {
    write_bytes(stderr, fmt::format("pyro: `{}` truncated at {} of {} bytes\n", c.path,
                                    c.content.size(), c.size));
  }
}

std::string format_export_line(const pyro::ExportResult& r) {
  return fmt::format("exported {}, {} ({}) to {}\n", plural(r.files, "file", "files"),
                     plural(r.directories, "directory", "directories"), format_size(r.bytes),
                     r.output_path);
}

}  // namespace pyro_cli
