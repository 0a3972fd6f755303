#include "ops/result_json.hpp"

#include "pyro/json.hpp"

namespace pyro::ops {

ResultJson json_of(const pyro::ExecResult& r) {
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
      {"cancelled", r.cancelled},
  };
}

ResultJson json_of(const pyro::VmInfo& v) {
  return {
      {"vm_id", v.vm_id},
      {"environment", v.environment},
      {"state", pyro::vm_state_name(v.state)},
      {"vcpu_count", v.vcpu_count},
      {"mem_mib", v.mem_mib},
      {"network", v.network},
      {"accelerator", v.accelerator},
      {"pid", v.pid},
      {"created_at", v.created_at},
      {"boot_ms", v.boot_ms},
  };
}

ResultJson json_of(const pyro::EnvironmentInfo& e) {
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

ResultJson json_of(const pyro::DoctorReport& r) {
  ResultJson checks = ResultJson::array();
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

ResultJson json_of(const pyro::PruneResult& r) {
  return {{"removed", r.removed}, {"bytes_freed", r.bytes_freed}};
}

ResultJson json_of(const pyro::WorkspaceInfo& w) {
  return {
      {"workspace_id", w.workspace_id},
      {"name", w.name},
      {"environment", w.environment},
      {"state", pyro::workspace_state_name(w.state)},
      {"vcpu_count", w.vcpu_count},
      {"mem_mib", w.mem_mib},
      {"disk_mib", w.disk_mib},
      {"network", w.network},
      {"network_policy", pyro::network_policy_name(w.network_policy)},
      {"secret_names", w.secret_names},
      {"labels", w.labels},
      {"created_at", w.created_at},
      {"updated_at", w.updated_at},
      {"accelerator", w.accelerator},
      {"pid", w.pid},
      {"boot_ms", w.boot_ms},
      {"start_mode", w.start_mode},
      {"crash_reason", w.crash_reason},
      {"disk_bytes", w.disk_bytes},
      {"path", w.path},
  };
}

ResultJson json_of(const pyro::WorkspaceFileEntry& f) {
  return {
      {"path", f.path},   {"type", f.type},   {"size", f.size},
      {"mode", f.mode},   {"mtime", f.mtime}, {"target", f.target},
  };
}

ResultJson json_of(const pyro::WorkspaceFileContent& c) {
  return {
      {"path", c.path},
      {"content", c.content},
      {"size", c.size},
      {"truncated", c.truncated},
  };
}

ResultJson json_of(const pyro::PushResult& r) {
  return {
      {"files", r.files},
      {"directories", r.directories},
      {"symlinks", r.symlinks},
      {"bytes", r.bytes},
  };
}

ResultJson json_of(const pyro::PatchHunkReport& h) {
  return {
      {"index", h.index},     {"old_start", h.old_start}, {"applied", h.applied},
      {"offset", h.offset},   {"message", h.message},
  };
}

ResultJson json_of(const pyro::PatchFileReport& f) {
  return {
      {"path", f.path},
      {"old_path", f.old_path},
      {"action", f.action},
      {"ok", f.ok},
      {"message", f.message},
      {"hunks", json_array_of(f.hunks)},
  };
}

ResultJson json_of(const pyro::PatchResult& r) {
  return {
      {"applied", r.applied},
      {"dry_run", r.dry_run},
      {"files", json_array_of(r.files)},
      {"summary", r.summary},
  };
}

ResultJson json_of(const pyro::WorkspaceDiffEntry& e) {
  return {
      {"path", e.path},         {"status", e.status},     {"type", e.type},
      {"old_size", e.old_size}, {"new_size", e.new_size}, {"binary", e.binary},
  };
}

ResultJson json_of(const pyro::WorkspaceDiff& d) {
  return {
      {"entries", json_array_of(d.entries)},
      {"unified", d.unified},
      {"added", d.added},
      {"modified", d.modified},
      {"deleted", d.deleted},
      {"changed", d.changed()},
  };
}

ResultJson json_of(const pyro::ExportResult& r) {
  return {
      {"output_path", r.output_path},
      {"files", r.files},
      {"directories", r.directories},
      {"bytes", r.bytes},
  };
}

ResultJson json_of(const pyro::WorkspaceSnapshotInfo& s) {
  return {{"name", s.name}, {"created_at", s.created_at}, {"disk_bytes", s.disk_bytes}};
}

ResultJson json_of(const pyro::PublishedPort& p) {
  return {{"guest_port", p.guest_port}, {"host_port", p.host_port}, {"host", p.host}};
}

namespace {

// A process that has not ended has no exit code yet: null, not a 0 that reads as success.
ResultJson exit_code_of(bool ended, int exit_code) { return ended ? ResultJson(exit_code) : ResultJson(); }

}  // namespace

ResultJson json_of(const pyro::ServiceInfo& s) {
  const bool ended = s.state != "starting" && s.state != "running";
  return {
      {"name", s.name},
      {"command", s.command},
      {"cwd", s.cwd},
      {"state", s.state},
      {"pid", s.pid},
      {"exit_code", exit_code_of(ended, s.exit_code)},
      {"signal", s.signal},
      {"restarts", s.restarts},
      {"started_at", s.started_at},
      {"ended_at", s.ended_at},
      {"readiness", s.readiness},
      {"ready", s.ready},
      {"published_ports", json_array_of(s.published_ports)},
  };
}

ResultJson json_of(const pyro::ShellInfo& s) {
  return {
      {"shell_id", s.shell_id},
      {"state", s.state},
      {"pid", s.pid},
      {"exit_code", exit_code_of(s.state != "running", s.exit_code)},
      {"cols", s.cols},
      {"rows", s.rows},
      {"cwd", s.cwd},
      {"created_at", s.created_at},
  };
}

namespace {

// The chunk's members next to the result's own, not nested under "chunk".
void add_chunk(ResultJson& out, const pyro::OutputChunk& c) {
  out["output"] = c.output;
  out["cursor"] = c.cursor;
  out["next_cursor"] = c.next_cursor;
  out["missed_bytes"] = c.missed_bytes;
  out["more"] = c.more;
}

}  // namespace

ResultJson json_of(const pyro::ServiceLogs& l) {
  ResultJson out = {{"name", l.name}};
  add_chunk(out, l.chunk);
  out["service"] = json_of(l.service);
  return out;
}

ResultJson json_of(const pyro::ShellOutput& o) {
  ResultJson out = {{"shell_id", o.shell_id}};
  add_chunk(out, o.chunk);
  out["shell"] = json_of(o.shell);
  return out;
}

ResultJson json_of(const pyro::Error& e) {
  return {{"code", pyro::error_code_name(e.code())}, {"message", e.what()}};
}

}  // namespace pyro::ops

namespace pyro {
inline namespace v1 {

// The public form: the same JSON as text. Invalid UTF-8 (raw guest output)
// becomes U+FFFD rather than failing the call.
#define PYRO_TEXT_JSON(Type)                                                           \
  std::string to_json(const Type& value) {                                             \
    return ops::json_of(value).dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace); \
  }
PYRO_RESULT_TYPES(PYRO_TEXT_JSON)
#undef PYRO_TEXT_JSON

}  // namespace v1
}  // namespace pyro
