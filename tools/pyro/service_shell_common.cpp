#include "service_shell_common.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>

#include <fmt/format.h>

#include "output.hpp"

namespace pyro_cli {
namespace {

std::string or_dash(const std::string& s) { return s.empty() ? "-" : s; }

// "8080->40123,9000->40124", or "-": the ports column of the table.
std::string ports_cell(const pyro::ServiceInfo& s) {
  std::string out;
  for (const auto& p : s.published_ports) {
    out += fmt::format("{}{}->{}", out.empty() ? "" : ",", p.guest_port, p.host_port);
  }
  return or_dash(out);
}

// "exit 3", "signal 15" or "-" when the service is still live.
std::string exit_cell(const pyro::ServiceInfo& s) {
  if (service_is_live(s)) return "-";
  if (s.signal != 0) return fmt::format("signal {}", s.signal);
  return fmt::format("exit {}", s.exit_code);
}

}  // namespace

pyro::OutputReadOptions parse_output_read_flags(const CommandSpec& spec, const ParsedArgs& parsed) {
  pyro::OutputReadOptions options;
  if (auto* v = parsed.value("cursor")) {
    uint64_t cursor = parse_u64(spec, "cursor", *v);
    if (cursor > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      throw UsageError(std::string(spec.path), fmt::format("parse `--cursor`: `{}` is out of range", *v));
    }
    options.cursor = static_cast<int64_t>(cursor);
  }
  if (auto* v = parsed.value("tail")) options.tail_lines = parse_u32(spec, "tail", *v);
  if (auto* v = parsed.value("max-bytes")) options.max_bytes = parse_u64(spec, "max-bytes", *v);
  if (auto* v = parsed.value("wait")) options.wait_seconds = parse_number(spec, "wait", *v);
  return options;
}

uint32_t parse_port(const CommandSpec& spec, std::string_view flag, const std::string& value) {
  uint32_t port = parse_u32(spec, flag, value);
  if (port == 0 || port > 65535) {
    throw UsageError(std::string(spec.path),
                     fmt::format("parse `--{}`: `{}` is not a TCP port (1-65535)", flag, value));
  }
  return port;
}

void note_chunk(const pyro::OutputChunk& chunk, bool with_cursor) {
  std::string notes;
  if (chunk.missed_bytes > 0) {
    notes += fmt::format("pyro: {} bytes were dropped from the output ring before cursor {}\n",
                         chunk.missed_bytes, chunk.cursor);
  }
  if (with_cursor) {
    notes += fmt::format("pyro: next cursor: {}{}\n", chunk.next_cursor,
                         chunk.more ? " (more output is waiting)" : "");
  }
  // Keep the note on a line of its own even when the output has no final newline.
  if (!notes.empty() && !chunk.output.empty() && chunk.output.back() != '\n') {
    notes.insert(notes.begin(), '\n');
  }
  write_bytes(stderr, notes);
}

bool service_is_live(const pyro::ServiceInfo& s) {
  return s.state == "starting" || s.state == "running";
}

std::string format_service_summary(const pyro::ServiceInfo& s) {
  std::string detail;
  if (s.pid != 0 && service_is_live(s)) detail = fmt::format("pid {}", s.pid);
  if (!service_is_live(s)) detail = exit_cell(s);
  if (!s.readiness.empty() && service_is_live(s)) {
    detail += fmt::format("{}{}: {}", detail.empty() ? "" : ", ", s.ready ? "ready" : "not ready",
                          s.readiness);
  }
  if (s.restarts > 0) detail += fmt::format("{}{} restarts", detail.empty() ? "" : ", ", s.restarts);
  std::string out = fmt::format("{} {}", s.name, s.state);
  if (!detail.empty()) out += fmt::format(" ({})", detail);
  out += "\n";
  for (const auto& p : s.published_ports) {
    out += fmt::format("{}:{} -> guest {}\n", p.host, p.host_port, p.guest_port);
  }
  return out;
}

std::string format_service_details(const pyro::ServiceInfo& s) {
  std::string out;
  auto line = [&out](std::string_view key, std::string_view value) {
    out += fmt::format("{:<16} {}\n", fmt::format("{}:", key), value);
  };
  line("name", s.name);
  line("state", s.state);
  line("pid", s.pid == 0 ? "-" : fmt::format("{}", s.pid));
  line("exit_code", service_is_live(s) ? "-" : fmt::format("{}", s.exit_code));
  line("signal", s.signal == 0 ? "-" : fmt::format("{}", s.signal));
  line("restarts", fmt::format("{}", s.restarts));
  line("command", s.command);
  line("cwd", or_dash(s.cwd));
  line("readiness", or_dash(s.readiness));
  line("ready", s.ready ? "yes" : "no");
  line("started_at", or_dash(s.started_at));
  line("ended_at", or_dash(s.ended_at));
  for (const auto& p : s.published_ports) {
    line("published_port", fmt::format("{}:{} -> guest {}", p.host, p.host_port, p.guest_port));
  }
  return out;
}

std::string format_service_table(const std::vector<pyro::ServiceInfo>& services) {
  size_t name_w = 4, ports_w = 5;  // "NAME", "PORTS"
  for (const auto& s : services) {
    name_w = std::max(name_w, s.name.size());
    ports_w = std::max(ports_w, ports_cell(s).size());
  }
  std::string out = fmt::format("{:<{}}  {:<8}  {:>7}  {:<9}  {:>8}  {:<{}}  {}\n", "NAME", name_w,
                                "STATE", "PID", "EXIT", "RESTARTS", "PORTS", ports_w, "COMMAND");
  for (const auto& s : services) {
    out += fmt::format("{:<{}}  {:<8}  {:>7}  {:<9}  {:>8}  {:<{}}  {}\n", s.name, name_w, s.state,
                       s.pid == 0 ? "-" : fmt::format("{}", s.pid), exit_cell(s), s.restarts,
                       ports_cell(s), ports_w, s.command);
  }
  return out;
}

std::string format_shell_line(const pyro::ShellInfo& s) {
  std::string detail = s.state == "running" ? fmt::format("pid {}", s.pid)
                                            : fmt::format("exit {}", s.exit_code);
  return fmt::format("{} {} ({}, {}x{})\n", s.shell_id, s.state, detail, s.cols, s.rows);
}

}  // namespace pyro_cli
