#include "runtime/home.hpp"

#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <random>

#include <fmt/format.h>

#include "pyro/error.hpp"
#include "util/logging.hpp"
#include "util/private_dir.hpp"

namespace pyro::detail {
namespace fs = std::filesystem;

std::string resolve_home(const std::string& configured) {
  if (!configured.empty()) return fs::absolute(configured).lexically_normal().string();
  if (const char* h = std::getenv("PYRO_HOME"); h && *h) return fs::absolute(h).lexically_normal().string();
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return (fs::path(x) / "pyro").string();
  if (const char* home = std::getenv("HOME"); home && *home) {
    return (fs::path(home) / ".cache" / "pyro").string();
  }
  throw Error(ErrorCode::kInvalidArgument,
              "resolve the pyro home: none of PYRO_HOME, XDG_CACHE_HOME or HOME is set");
}

void secure_home(const std::string& home) noexcept {
  std::error_code ec;
  fs::create_directories(home, ec);
  struct stat st {};
  if (::stat(home.c_str(), &st) == 0 && st.st_uid == ::geteuid() && (st.st_mode & S_ISVTX) == 0 &&
      (st.st_mode & 077) != 0 && ::chmod(home.c_str(), 0700) != 0) {
    log(LogLevel::kWarn, "make the pyro home `{}` private: {}", home, std::strerror(errno));
  }
  for (const char* sub : {"environments", "workspaces", "run", "templates"}) {
    const std::string dir = (fs::path(home) / sub).string();
    if (const std::error_code err = make_private_dir(dir)) {
      log(LogLevel::kWarn, "make `{}` private: {}", dir, err.message());
    }
  }
}

std::string create_run_dir(const std::string& home, const std::string& vm_id) {
  fs::path dir = fs::path(home) / "run" / vm_id;
  make_private_dir(dir.parent_path().string());
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    throw Error(ErrorCode::kPermissionDenied,
                fmt::format("create run directory `{}`: {}", dir.string(), std::strerror(errno)));
  }
  std::ofstream(dir / "owner") << ::getpid() << "\n";
  return dir.string();
}

void remove_run_dir(const std::string& run_dir) noexcept {
  // The console keeper may leave its done mark between remove_all's listing and its
  // final rmdir (it writes it when QEMU's end of the FIFO closes); once the directory
  // is gone it can create nothing there, so a few rounds always finish.
  for (int round = 0; round < 5; ++round) {
    std::error_code ec;
    fs::remove_all(run_dir, ec);
    if (!fs::exists(fs::symlink_status(run_dir, ec))) return;
  }
}

void sweep_stale_run_dirs(const std::string& home) noexcept {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(fs::path(home) / "run", ec)) {
    std::ifstream in(entry.path() / "owner");
    long pid = 0;
    if (!(in >> pid) || pid <= 0) continue;  // being created right now, or not ours
    if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;
    log(LogLevel::kInfo, "removing stale run directory `{}` (owner {} is gone)",
        entry.path().string(), pid);
    fs::remove_all(entry.path(), ec);
  }
}

std::string new_vm_id() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  return fmt::format("vm-{:012x}", rng() & 0xffffffffffffull);
}

std::string utc_now_rfc3339() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace pyro::detail
