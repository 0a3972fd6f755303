#include "render.hpp"

#include <algorithm>
#include <ctime>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "output.hpp"

namespace pyro_cli {
namespace {

using nlohmann::json;

std::string str(const json& r, const char* key) { return r.value(key, ""); }
uint64_t num(const json& r, const char* key) { return r.value(key, uint64_t{0}); }

std::string plural(uint64_t n, std::string_view one, std::string_view many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

// One value for people: "-" for nothing, yes/no, lists space-separated, K=V pairs.
std::string cell(const json& v, std::string_view format = "") {
  if (v.is_number() && format == "octal") return fmt::format("{:04o}", v.get<uint64_t>());
  if (v.is_number() && format == "size") return format_size(v.get<uint64_t>());
  if (v.is_number() && format == "time") {  // unix seconds as UTC "2024-05-01 12:00"
    std::time_t t = v.get<std::time_t>();
    std::tm tm{};
    char buf[32];
    return gmtime_r(&t, &tm) != nullptr && std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", &tm) > 0 ? buf : "-";
  }
  if (v.is_boolean()) return v.get<bool>() ? "yes" : "no";
  if (v.is_string()) return v.get_ref<const std::string&>().empty() ? "-" : v.get<std::string>();
  if (v.is_null() || (v.is_structured() && v.empty())) return "-";
  if (!v.is_structured()) return v.dump();
  std::string out;
  for (const auto& [k, item] : v.items()) {
    out += fmt::format("{}{}{}{}", out.empty() ? "" : " ", v.is_object() ? k : "", v.is_object() ? "=" : "", cell(item));
  }
  return out;
}

// `key: value` lines, aligned.
std::string details(const json& r) {
  size_t width = 0;
  for (const auto& [k, v] : r.items()) width = std::max(width, k.size() + 1);
  std::string out;
  for (const auto& [k, v] : r.items()) out += fmt::format("{:<{}} {}\n", k + ":", width, cell(v));
  return out;
}

// A table of `items` with `columns` ("key[:HEADER[:format]]"); the last column is not padded.
std::string table(std::vector<std::string> columns, const json& items) {
  if (columns.empty() && !items.empty()) {
    for (const auto& [k, v] : items[0].items()) columns.push_back(k);
  }
  std::vector<std::vector<std::string>> rows(1);
  std::vector<std::pair<std::string, std::string>> keys;  // key, format
  for (const auto& col : columns) {
    auto first = col.find(':'), second = col.find(':', first + 1);
    std::string header = first == std::string::npos ? col : col.substr(first + 1, second - first - 1);
    if (header.empty()) header = col.substr(0, first);
    std::transform(header.begin(), header.end(), header.begin(), [](unsigned char c) { return std::toupper(c); });
    rows[0].push_back(header);
    keys.emplace_back(col.substr(0, first), second == std::string::npos ? "" : col.substr(second + 1));
  }
  for (const auto& item : items) {
    rows.emplace_back();
    for (const auto& [key, format] : keys) rows.back().push_back(cell(item.value(key, json()), format));
  }
  std::vector<size_t> width(keys.size(), 0);
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      out += i + 1 == row.size() ? row[i] + "\n" : fmt::format("{:<{}}  ", row[i], width[i]);
    }
  }
  return out;
}

bool patch_ok(const json& r) {
  // A dry run "applies" when every hunk matched, though nothing changed.
  const json& files = r.value("files", json::array());
  return r.value("applied", false) ||
         (r.value("dry_run", false) && !files.empty() &&
          std::all_of(files.begin(), files.end(), [](const json& f) { return f.value("ok", false); }));
}

// The per-file, per-hunk report of a patch that did not apply.
std::string patch_report(const json& r) {
  std::string out = fmt::format("pyro: {}\n", str(r, "summary"));
  for (const auto& f : r["files"]) {
    std::string name = str(f, "old_path").empty() || f["old_path"] == f["path"]
                           ? str(f, "path") : fmt::format("{} -> {}", str(f, "old_path"), str(f, "path"));
    out += fmt::format("  {} {} ({}){}{}\n", f.value("ok", false) ? "ok  " : "FAIL", name, str(f, "action"),
                       str(f, "message").empty() ? "" : ": ", str(f, "message"));
    for (const auto& h : f.value("hunks", json::array())) {
      bool applied = h.value("applied", false);
      int64_t offset = h.value("offset", int64_t{0});
      out += fmt::format("    hunk {} at line {}: {}{}{}{}\n", num(h, "index"), num(h, "old_start"),
                         applied ? "matches" : "does not match",
                         applied && offset != 0 ? fmt::format(", offset {}", offset) : "",
                         str(h, "message").empty() ? "" : ": ", str(h, "message"));
    }
  }
  return out;
}

std::string doctor_report(const json& r) {
  size_t width = 0;
  for (const auto& c : r["checks"]) width = std::max(width, str(c, "name").size());
  std::string out;
  for (const auto& c : r["checks"]) {
    out += fmt::format("{:<4}  {:<{}}  {}\n", c.value("ok", false) ? "ok" : "FAIL", str(c, "name"), width,
                       str(c, "detail"));
  }
  out += fmt::format("\naccelerator: {}\n", str(r, "accelerator").empty() ? "none" : str(r, "accelerator"));
  for (const char* key : {"accelerator_reason", "qemu_version", "home"}) {
    if (!str(r, key).empty()) out += fmt::format("{}: {}\n", key, str(r, key));
  }
  return out;
}

std::string diff_text(const json& r, bool stat) {
  std::string out = stat ? "" : str(r, "unified");
  if (!out.empty() && out.back() != '\n') out += '\n';
  for (const auto& e : r["entries"]) {
    bool binary = e.value("binary", false);
    if (stat) {
      out += fmt::format("{:<12} {}{}\n", str(e, "status"), str(e, "path"), binary ? " (binary)" : "");
    } else if (binary) {  // the unified text covers text files only; name the rest as diff(1) does
      out += fmt::format("Binary file {} differs\n", str(e, "path"));
    }
  }
  if (stat) out += fmt::format("{} added, {} modified, {} deleted\n", num(r, "added"), num(r, "modified"), num(r, "deleted"));
  return out;
}

std::string prune_text(const json& r, bool dry_run) {
  std::string out;
  for (const auto& path : r["removed"]) out += fmt::format("{} {}\n", dry_run ? "would remove" : "removed", path.get<std::string>());
  return out + fmt::format("{} {} in {}\n", dry_run ? "would free" : "freed", format_size(num(r, "bytes_freed")),
                           plural(r["removed"].size(), "path", "paths"));
}

bool live(const json& service) { return str(service, "state") == "starting" || str(service, "state") == "running"; }

// "web running (pid 42, ready: http)" and one "127.0.0.1:HOST -> guest PORT" line per published port.
std::string service_summary(const json& s) {
  std::vector<std::string> detail;
  if (live(s) && num(s, "pid") != 0) detail.push_back(fmt::format("pid {}", num(s, "pid")));
  if (!live(s)) {
    detail.push_back(num(s, "signal") != 0 ? fmt::format("signal {}", num(s, "signal"))
                                           : fmt::format("exit {}", s.value("exit_code", 0)));
  }
  if (live(s) && !str(s, "readiness").empty()) {
    detail.push_back(fmt::format("{}: {}", s.value("ready", false) ? "ready" : "not ready", str(s, "readiness")));
  }
  if (num(s, "restarts") > 0) detail.push_back(plural(num(s, "restarts"), "restart", "restarts"));
  std::string out = fmt::format("{} {}", str(s, "name"), str(s, "state"));
  if (!detail.empty()) out += fmt::format(" ({})", fmt::join(detail, ", "));
  out += "\n";
  for (const auto& p : s.value("published_ports", json::array())) {
    out += fmt::format("{}:{} -> guest {}\n", str(p, "host"), num(p, "host_port"), num(p, "guest_port"));
  }
  return out;
}

// Services with the derived cells of their table: "exit 3" / "signal 15", "8080->40123,...".
json service_rows(json items) {
  for (auto& s : items) {
    s["exit"] = live(s) ? "-" : num(s, "signal") != 0 ? fmt::format("signal {}", num(s, "signal"))
                                                      : fmt::format("exit {}", s.value("exit_code", 0));
    std::vector<std::string> ports;
    for (const auto& p : s.value("published_ports", json::array())) {
      ports.push_back(fmt::format("{}->{}", num(p, "guest_port"), num(p, "host_port")));
    }
    s["ports"] = fmt::format("{}", fmt::join(ports, ","));
  }
  return items;
}

// The one-line form of a result type, or the generic `key: value` lines.
std::string one_line(const Command& cmd, const ParsedArgs& parsed, const json& args, const json& r) {
  const std::string& type = cmd.result;
  if (type == "DoctorReport") return doctor_report(r);
  if (type == "WorkspaceDiff") return diff_text(r, parsed.has("stat"));
  if (type == "PruneResult") return prune_text(r, args.value("dry_run", false));
  if (type == "PatchResult") return patch_ok(r) ? str(r, "summary") + "\n" : "";
  if (type == "ServiceInfo") return service_summary(r);
  if (type == "EnvironmentInfo") {
    return fmt::format("{}: installed at {} (sha256 {}, {})\n", str(r, "name"), str(r, "path"),
                       str(r, "sha256").substr(0, 12), format_size(num(r, "size_bytes")));
  }
  if (type == "ExportResult" || type == "PushResult") {
    std::string to = type == "PushResult" ? argument_or_default(cmd, args, "dest").get<std::string>() : str(r, "output_path");
    std::string links = type == "PushResult" ? ", " + plural(num(r, "symlinks"), "symlink", "symlinks") : "";
    return fmt::format("{} {}, {}{} ({}) to {}\n", type == "PushResult" ? "pushed" : "exported",
                       plural(num(r, "files"), "file", "files"), plural(num(r, "directories"), "directory", "directories"),
                       links, format_size(num(r, "bytes")), to);
  }
  if (type == "WorkspaceFileEntry") return fmt::format("wrote {} ({} bytes)\n", str(r, "path"), num(r, "size"));
  if (type == "WorkspaceSnapshotInfo") {
    return fmt::format("snapshot {} created ({})\n", str(r, "name"), format_size(num(r, "disk_bytes")));
  }
  if (type == "ShellInfo") {
    std::string detail = str(r, "state") == "running" ? fmt::format("pid {}", num(r, "pid"))
                                                      : fmt::format("exit {}", r.value("exit_code", 0));
    return fmt::format("{} {} ({}, {}x{})\n", str(r, "shell_id"), str(r, "state"), detail, num(r, "cols"), num(r, "rows"));
  }
  if (type == "WorkspaceInfo") {
    std::string out = fmt::format("{} {}", str(r, "workspace_id"), str(r, "state"));
    if (str(r, "state") == "running" && !str(r, "start_mode").empty()) {
      out += fmt::format(" ({} start, {} ms)", str(r, "start_mode"), num(r, "boot_ms"));
    }
    if (!str(r, "crash_reason").empty()) out += ": " + str(r, "crash_reason");
    return out + "\n";
  }
  return details(r);
}

}  // namespace

void render(const Command& cmd, const ParsedArgs& parsed, const json& args, const json& r) {
  const std::string& type = cmd.result;
  if (cmd.show == "none" || type == "none") return;
  if (cmd.show.starts_with("field:")) {
    write_bytes(stdout, cell(r.value(cmd.show.substr(6), json())) + "\n");
  } else if (cmd.show == "details") {
    write_bytes(stdout, details(r));
  } else if (type == "list[ServiceInfo]") {
    write_bytes(stdout, table(cmd.columns, service_rows(r["items"])));
  } else if (type.starts_with("list[")) {
    write_bytes(stdout, table(cmd.columns, r["items"]));
  } else if (type == "ExecResult") {
    relay_exec(r, argument_or_default(cmd, args, "timeout_seconds"), argument_or_default(cmd, args, "max_output_bytes"));
  } else if (type == "ServiceLogs" || type == "ShellOutput") {
    relay_chunk(r, true);
  } else if (type == "WorkspaceFileContent") {
    write_bytes(stdout, str(r, "content"));
    if (r.value("truncated", false)) {
      write_bytes(stderr, fmt::format("pyro: `{}` truncated at {} of {} bytes\n", str(r, "path"),
                                      str(r, "content").size(), num(r, "size")));
    }
  } else if (type == "PatchResult" && !patch_ok(r)) {
    write_bytes(stderr, patch_report(r));
  } else {
    write_bytes(stdout, one_line(cmd, parsed, args, r));
  }
}

int exit_status(const Command& cmd, const json& r) {
  if (cmd.result == "ExecResult") return r.value("exit_code", kExitPyroError);
  if (cmd.result == "DoctorReport") return r.value("ok", false) ? kExitOk : kExitCheckFailed;
  if (cmd.result == "PatchResult") return patch_ok(r) ? kExitOk : kExitCheckFailed;
  return kExitOk;
}

void relay_exec(const json& r, const json& timeout_seconds, const json& max_output_bytes) {
  write_bytes(stdout, str(r, "stdout"));
  const std::string err = str(r, "stderr");
  write_bytes(stderr, err);
  std::string notes;
  // Seconds as the user would write them: 5, not 5.000000.
  if (r.value("timed_out", false)) notes += fmt::format("pyro: command timed out after {}s\n", timeout_seconds.get<double>());
  for (const char* stream : {"stdout", "stderr"}) {
    if (r.value(fmt::format("{}_truncated", stream), false)) {
      notes += fmt::format("pyro: {} truncated at {} bytes\n", stream, max_output_bytes.dump());
    }
  }
  // Keep the note on a line of its own even when the guest's stderr has no final newline.
  if (!notes.empty() && !err.empty() && err.back() != '\n') notes.insert(notes.begin(), '\n');
  write_bytes(stderr, notes);
}

void relay_chunk(const json& chunk, bool with_cursor) {
  const std::string output = str(chunk, "output");
  write_bytes(stdout, output);
  std::string notes;
  if (num(chunk, "missed_bytes") > 0) {
    notes += fmt::format("pyro: {} bytes were dropped from the output ring before cursor {}\n",
                         num(chunk, "missed_bytes"), chunk.value("cursor", int64_t{0}));
  }
  if (with_cursor) {
    notes += fmt::format("pyro: next cursor: {}{}\n", num(chunk, "next_cursor"),
                         chunk.value("more", false) ? " (more output is waiting)" : "");
  }
  // Keep the note on a line of its own even when the output has no final newline.
  if (!notes.empty() && !output.empty() && output.back() != '\n') notes.insert(notes.begin(), '\n');
  write_bytes(stderr, notes);
}

}  // namespace pyro_cli
