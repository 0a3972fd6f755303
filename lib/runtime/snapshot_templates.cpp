#include "runtime/snapshot_templates.hpp"

#include <sys/random.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "protocol/base64.hpp"
#include "pyro/error.hpp"
#include "runtime/home.hpp"
#include "util/file_lock.hpp"
#include "util/logging.hpp"
#include "util/sha256.hpp"

namespace pyro::detail {
namespace fs = std::filesystem;
namespace {

constexpr auto kLockPollInterval = std::chrono::milliseconds(25);
constexpr auto kRemoveLockWait = std::chrono::seconds(2);
constexpr const char* kTmpSuffix = ".tmp";
constexpr const char* kLockSuffix = ".lock";
constexpr const char* kDeadMarker = ".dead.";

std::string random_raw(size_t bytes) {
  std::string raw(bytes, '\0');
  size_t got = 0;
  while (got < bytes) {
    ssize_t n = ::getrandom(raw.data() + got, bytes - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw Error(ErrorCode::kInternal, fmt::format("read random bytes: {}", std::strerror(errno)));
    got += static_cast<size_t>(n);
  }
  return raw;
}

std::string random_hex(size_t bytes) {
  std::string hex;
  for (unsigned char c : random_raw(bytes)) hex += fmt::format("{:02x}", c);
  return hex;
}

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

nlohmann::json read_meta(const fs::path& dir) {
  std::ifstream in(dir / "meta.json");
  if (!in) return nullptr;
  nlohmann::json meta = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  return meta.is_object() ? meta : nlohmann::json();
}

bool complete(const fs::path& dir) {
  std::error_code ec;
  return fs::is_regular_file(dir / "ram", ec) && fs::is_regular_file(dir / "state", ec) &&
         fs::is_regular_file(dir / "meta.json", ec);
}

// Moves `dir` aside first so nobody finds a half-deleted template.
void remove_dir(const fs::path& dir) noexcept {
  std::error_code ec;
  fs::path doomed = dir;
  try {
    doomed += std::string(kDeadMarker) + random_hex(4);
  } catch (const std::exception&) {
    doomed += std::string(kDeadMarker) + std::to_string(::getpid());
  }
  fs::rename(dir, doomed, ec);
  fs::remove_all(ec ? dir : doomed, ec);
}

}  // namespace

nlohmann::json clone_restore_params(const std::string& vm_id) {
  const std::string seed = protocol::base64_encode(random_raw(kCloneSeedBytes));
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  const std::string suffix = vm_id.size() > 8 ? vm_id.substr(vm_id.size() - 8) : vm_id;
  return {
      {"seed", seed},
      {"realtime_ns", std::chrono::duration_cast<std::chrono::nanoseconds>(now).count()},
      {"hostname", "pyro-" + suffix},
      {"machine_id", random_hex(16)},
  };
}

std::string template_key(const TemplateIdentity& id) {
  // One field per line: no field can run into the next.
  std::string text = fmt::format("pyro-template\nformat={}\nqemu={}\nenvironment_sha256={}\naccelerator={}\n"
                                 "vcpu_count={}\nmem_mib={}\nnetwork={}\n",
                                 kTemplateFormat, id.qemu_version, id.environment_sha256, id.accelerator,
                                 id.vcpu_count, id.mem_mib, id.network ? 1 : 0);
  // Only workspace templates carry the field, so the keys of VM templates stay as they were.
  if (id.workspace_disk_mib) text += fmt::format("workspace_disk_mib={}\n", id.workspace_disk_mib);
  // Only KVM templates carry it (TCG's CPU is QEMU's own), so TCG keys stay as they were.
  if (!id.cpu.empty()) text += fmt::format("cpu={}\n", id.cpu);
  return sha256_hex(text);
}

TemplateStore::TemplateStore(std::string home) : root_((fs::path(home) / "templates").string()) {}

std::string TemplateStore::lock_path(const std::string& key) const {
  return (fs::path(root_) / (key + kLockSuffix)).string();
}

std::optional<SnapshotTemplate> TemplateStore::find(const std::string& key) const {
  const fs::path dir = fs::path(root_) / key;
  if (!complete(dir)) return std::nullopt;
  nlohmann::json meta = read_meta(dir);
  if (!meta.is_object() || meta.value("key", "") != key) return std::nullopt;
  return SnapshotTemplate{key, dir.string(), (dir / "ram").string(), (dir / "state").string(),
                          meta.value("id", "")};
}

SnapshotTemplate TemplateStore::ensure(const TemplateIdentity& identity, Deadline deadline,
                                       const std::function<void(const std::string& dir)>& build) {
  const std::string key = template_key(identity);
  if (auto found = find(key)) return *found;
  std::error_code ec;
  fs::create_directories(root_, ec);
  if (ec) {
    throw Error(ErrorCode::kInternal, fmt::format("create `{}`: {}", root_, ec.message()));
  }
  for (;;) {
    FileLock lock = FileLock::try_acquire(lock_path(key));
    if (lock.held()) {
      if (auto found = find(key)) return *found;  // the creator we waited for finished
      const fs::path final_dir = fs::path(root_) / key;
      const fs::path tmp = fs::path(root_) / (key + kTmpSuffix);
      fs::remove_all(tmp, ec);  // left by a creator that died
      if (!fs::create_directory(tmp, ec) || ec) {
        throw Error(ErrorCode::kInternal, fmt::format("create `{}`: {}", tmp.string(), ec.message()));
      }
      fs::permissions(tmp, fs::perms::owner_all, ec);
      try {
        build(tmp.string());
        if (!fs::is_regular_file(tmp / "ram", ec) || !fs::is_regular_file(tmp / "state", ec)) {
          throw Error(ErrorCode::kInternal,
                      fmt::format("create snapshot template `{}`: `ram` or `state` is missing", key));
        }
        nlohmann::json meta = {
            {"format", kTemplateFormat},
            {"key", key},
            {"id", random_hex(8)},
            {"qemu_version", identity.qemu_version},
            {"environment", identity.environment},
            {"environment_sha256", identity.environment_sha256},
            {"accelerator", identity.accelerator},
            {"vcpu_count", identity.vcpu_count},
            {"mem_mib", identity.mem_mib},
            {"network", identity.network},
            {"cpu", identity.cpu},
            {"created_at", utc_now_rfc3339()},
        };
        std::ofstream out(tmp / "meta.json");
        out << meta.dump(2) << "\n";
        out.close();
        if (!out) {
          throw Error(ErrorCode::kInternal,
                      fmt::format("write `{}`: {}", (tmp / "meta.json").string(), std::strerror(errno)));
        }
        // The guest's memory and device state: its owner's alone, like everything in the home.
        fs::permissions(tmp / "ram", fs::perms::owner_read | fs::perms::owner_write, ec);
        fs::permissions(tmp / "state", fs::perms::owner_read | fs::perms::owner_write, ec);
        if (fs::exists(final_dir, ec)) remove_dir(final_dir);  // incomplete: find() refused it
        fs::rename(tmp, final_dir, ec);
        if (ec) {
          throw Error(ErrorCode::kInternal,
                      fmt::format("rename `{}` to `{}`: {}", tmp.string(), final_dir.string(), ec.message()));
        }
      } catch (...) {
        fs::remove_all(tmp, ec);
        throw;
      }
      if (auto found = find(key)) return *found;
      throw Error(ErrorCode::kInternal, fmt::format("create snapshot template `{}`: vanished after creation", key));
    }
    if (Clock::now() >= deadline) {
      throw Error(ErrorCode::kDeadlineExceeded,
                  fmt::format("wait for snapshot template `{}`: another creator still holds `{}`", key,
                              lock_path(key)));
    }
    std::this_thread::sleep_for(kLockPollInterval);
  }
}

void TemplateStore::remove(const SnapshotTemplate& tmpl) noexcept {
  try {
    const Deadline give_up = deadline_after(kRemoveLockWait);
    FileLock lock = FileLock::try_acquire(lock_path(tmpl.key));
    while (!lock.held() && Clock::now() < give_up) {
      std::this_thread::sleep_for(kLockPollInterval);
      lock = FileLock::try_acquire(lock_path(tmpl.key));
    }
    if (!lock.held()) {
      log(LogLevel::kWarn, "remove snapshot template `{}`: it is being recreated; left alone", tmpl.dir);
      return;
    }
    nlohmann::json meta = read_meta(tmpl.dir);
    if (meta.is_object() && meta.value("id", "") != tmpl.id) return;  // already replaced
    remove_dir(tmpl.dir);
  } catch (const std::exception& e) {
    log(LogLevel::kWarn, "remove snapshot template `{}`: {}", tmpl.dir, e.what());
  }
}

std::vector<std::string> stale_templates(const std::string& home,
                                         const std::vector<std::string>& live_environment_sha256,
                                         const std::string& qemu_version) {
  std::vector<std::string> stale;
  try {
    const fs::path root = fs::path(home) / "templates";
    std::error_code ec;
    auto unlocked = [&](const std::string& key) {
      return FileLock::try_acquire((root / (key + kLockSuffix)).string()).held();
    };
    for (const auto& entry : fs::directory_iterator(root, ec)) {
      const std::string name = entry.path().filename().string();
      const fs::path path = entry.path();
      if (name.find(kDeadMarker) != std::string::npos) {
        stale.push_back(path.string());
      } else if (ends_with(name, kTmpSuffix)) {
        if (unlocked(name.substr(0, name.size() - std::strlen(kTmpSuffix)))) stale.push_back(path.string());
      } else if (ends_with(name, kLockSuffix)) {
        const std::string key = name.substr(0, name.size() - std::strlen(kLockSuffix));
        if (!fs::exists(root / key, ec) && !fs::exists(root / (key + kTmpSuffix), ec) && unlocked(key)) {
          stale.push_back(path.string());
        }
      } else if (entry.is_directory(ec)) {
        nlohmann::json meta = read_meta(path);
        const bool unusable = !meta.is_object() || !complete(path) || meta.value("format", 0) != kTemplateFormat;
        const std::string env_sha = meta.is_object() ? meta.value("environment_sha256", "") : "";
        const bool orphan = std::find(live_environment_sha256.begin(), live_environment_sha256.end(), env_sha) ==
                            live_environment_sha256.end();
        const bool old_qemu = !qemu_version.empty() && meta.is_object() &&
                              meta.value("qemu_version", "") != qemu_version;
        if ((unusable || orphan || old_qemu) && unlocked(name)) stale.push_back(path.string());
      }
    }
  } catch (const std::exception& e) {
    log(LogLevel::kWarn, "list stale snapshot templates in `{}`: {}", home, e.what());
  }
  return stale;
}

bool template_ready(const std::string& home, const std::string& environment_sha256, uint32_t vcpu_count,
                    uint32_t mem_mib, bool network) {
  if (environment_sha256.empty()) return false;
  try {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(fs::path(home) / "templates", ec)) {
      const fs::path path = entry.path();
      if (path.filename().string().find('.') != std::string::npos || !complete(path)) continue;
      nlohmann::json meta = read_meta(path);
      if (meta.is_object() && meta.value("format", 0) == kTemplateFormat &&
          meta.value("environment_sha256", "") == environment_sha256 &&
          meta.value("vcpu_count", 0u) == vcpu_count && meta.value("mem_mib", 0u) == mem_mib &&
          meta.value("network", false) == network) {
        return true;
      }
    }
  } catch (const std::exception&) {
  }
  return false;
}

}  // namespace pyro::detail
