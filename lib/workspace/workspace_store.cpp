#include "workspace/workspace_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include <fmt/format.h>

#include "pyro/error.hpp"
#include "runtime/home.hpp"
#include "util/private_dir.hpp"
#include "util/unique_fd.hpp"

namespace pyro::detail {
namespace fs = std::filesystem;
namespace {

constexpr const char* kRecordName = "workspace.json";
constexpr const char* kStagingPrefix = ".tmp-";

bool is_id_shape(const std::string& s) {
  if (s.size() != 15 || s.rfind("ws-", 0) != 0) return false;
  return std::all_of(s.begin() + 3, s.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
}

}  // namespace

void to_json(nlohmann::json& j, const WorkspaceRecord& r) {
  j = {{"format", kWorkspaceFormat},
       {"id", r.id},
       {"name", r.name},
       {"labels", r.labels},
       {"environment", r.environment},
       {"environment_sha256", r.environment_sha256},
       {"vcpu_count", r.vcpu_count},
       {"mem_mib", r.mem_mib},
       {"disk_mib", r.disk_mib},
       {"network_policy", r.network_policy},
       {"secret_names", r.secret_names},
       {"created_at", r.created_at},
       {"updated_at", r.updated_at},
       {"state", r.state},
       {"vmm_pid", r.vmm.pid},
       {"vmm_start_time", r.vmm.start_time},
       {"accelerator", r.accelerator},
       {"boot_ms", r.boot_ms},
       {"start_mode", r.start_mode},
       {"crash_reason", r.crash_reason}};
}

void from_json(const nlohmann::json& j, WorkspaceRecord& r) {
  r.id = j.at("id").get<std::string>();
  r.name = j.value("name", "");
  r.labels = j.value("labels", std::map<std::string, std::string>{});
  r.environment = j.at("environment").get<std::string>();
  r.environment_sha256 = j.value("environment_sha256", "");
  r.vcpu_count = j.value("vcpu_count", 1u);
  r.mem_mib = j.value("mem_mib", 256u);
  r.disk_mib = j.value("disk_mib", uint64_t{0});
  r.network_policy = j.value("network_policy", j.value("network", false) ? "egress" : "off");
  r.secret_names = j.value("secret_names", std::vector<std::string>{});
  r.created_at = j.value("created_at", "");
  r.updated_at = j.value("updated_at", "");
  r.state = j.value("state", "stopped");
  r.vmm.pid = j.value("vmm_pid", int64_t{0});
  r.vmm.start_time = j.value("vmm_start_time", uint64_t{0});
  r.accelerator = j.value("accelerator", "");
  r.boot_ms = j.value("boot_ms", uint64_t{0});
  r.start_mode = j.value("start_mode", "");
  r.crash_reason = j.value("crash_reason", "");
}

WorkspaceStore::WorkspaceStore(const std::string& home) : root_(home + "/workspaces") {
  if (const std::error_code ec = make_private_dir(root_)) {
    throw Error(ErrorCode::kPermissionDenied,
                fmt::format("create workspace directory `{}`: {}", root_, ec.message()));
  }
}

std::optional<WorkspaceRecord> WorkspaceStore::load(const std::string& id) const {
  if (id.empty() || id.find('/') != std::string::npos || id[0] == '.') return std::nullopt;
  std::ifstream in(dir(id) + "/" + kRecordName);
  if (!in) return std::nullopt;
  try {
    return nlohmann::json::parse(in).get<WorkspaceRecord>();
  } catch (const std::exception& e) {
    throw Error(ErrorCode::kInternal, fmt::format("read workspace `{}`: corrupt `{}`: {}", id, kRecordName, e.what()));
  }
}

void WorkspaceStore::save_to(const std::string& directory, const WorkspaceRecord& record) {
  const std::string path = directory + "/" + kRecordName;
  const std::string tmp = path + ".tmp";
  {
    // 0600: the record holds guest-derived text (a crash reason).
    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600));
    const std::string text = nlohmann::json(record).dump(2) + "\n";
    size_t done = 0;
    while (fd && done < text.size()) {
      const ssize_t n = ::write(fd.get(), text.data() + done, text.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      done += static_cast<size_t>(n);
    }
    if (!fd || done != text.size() || ::fchmod(fd.get(), 0600) != 0) {
      throw Error(ErrorCode::kResourceExhausted, fmt::format("write `{}`: {}", tmp, std::strerror(errno)));
    }
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    throw Error(ErrorCode::kInternal, fmt::format("rename `{}`: {}", tmp, std::strerror(errno)));
  }
}

void WorkspaceStore::save(const WorkspaceRecord& record) const { save_to(dir(record.id), record); }

std::vector<WorkspaceRecord> WorkspaceStore::list() const {
  std::vector<WorkspaceRecord> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(root_, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name[0] == '.') continue;
    try {
      if (auto r = load(name)) out.push_back(std::move(*r));
    } catch (const Error&) {
      // a corrupt record is reported when that workspace is used, not by list
    }
  }
  std::sort(out.begin(), out.end(), [](const WorkspaceRecord& a, const WorkspaceRecord& b) {
    return std::tie(a.created_at, a.id) < std::tie(b.created_at, b.id);
  });
  return out;
}

std::string WorkspaceStore::resolve(const std::string& id_or_name) const {
  if (id_or_name.empty()) {
    throw Error(ErrorCode::kInvalidArgument, "check `workspace`: empty (give an id or a name)");
  }
  if (is_id_shape(id_or_name) && load(id_or_name)) return id_or_name;
  for (const auto& r : list()) {
    if (r.name == id_or_name) return r.id;
  }
  throw Error(ErrorCode::kNotFound, fmt::format("find workspace `{}`: no workspace has this id or name under `{}`",
                                                id_or_name, root_));
}

bool WorkspaceStore::name_taken(const std::string& name, const std::string& except_id) const {
  for (const auto& r : list()) {
    if (r.name == name && r.id != except_id) return true;
  }
  return false;
}

FileLock WorkspaceStore::lock(const std::string& id) const { return FileLock::acquire(dir(id) + "/lock"); }

FileLock WorkspaceStore::names_lock() const { return FileLock::acquire(root_ + "/.names.lock"); }

void WorkspaceStore::sweep_staging() const noexcept {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(root_, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(kStagingPrefix, 0) != 0 && name.rfind(".deleting-", 0) != 0) continue;
    // A live creator holds the staging directory's lock; a dead one does not.
    FileLock held = FileLock::try_acquire(entry.path().string() + "/lock");
    if (!held.held()) continue;
    fs::remove_all(entry.path(), ec);
  }
}

std::string new_workspace_id() {
  // Same randomness as VM ids, other prefix.
  std::string vm = new_vm_id();  // "vm-" + 12 hex
  return "ws-" + vm.substr(3);
}

void validate_workspace_name(const char* what, const std::string& name, bool allow_id_shape) {
  const bool ok_chars = std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
  });
  if (name.empty() || name.size() > 63 || !ok_chars || !std::isalnum(static_cast<unsigned char>(name[0]))) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("check `{}`: `{}` is not 1-63 characters of A-Z a-z 0-9 . _ - starting with a "
                            "letter or digit",
                            what, name));
  }
  if (!allow_id_shape && is_id_shape(name)) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("check `{}`: `{}` looks like a workspace id; pick another name", what, name));
  }
}

}  // namespace pyro::detail
