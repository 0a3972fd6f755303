// The environment operations of class Pyro: list, inspect, pull (run the builder
// scripts), import (unpack an OCI/docker image into an ext4 root) and prune.
// Every write to <home>/environments/<dir> happens under that environment's lock
// file, the one the shell builders take too, and lands by rename.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>

#include <nlohmann/json.hpp>

#include "core/client_impl.hpp"
#include "env/ext4_image.hpp"
#include "env/image_import.hpp"
#include "env/script_runner.hpp"
#include "runtime/snapshot_templates.hpp"
#include "util/disk_usage.hpp"
#include "util/file_lock.hpp"
#include "util/guest_tools.hpp"
#include "util/progress.hpp"
#include "util/private_dir.hpp"
#include "util/sha256.hpp"

namespace pyro {
inline namespace v1 {
namespace fs = std::filesystem;

namespace {

std::string join(const std::vector<std::string>& items, const char* sep) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : sep) + item;
  return out;
}

fs::path lock_path_for(const fs::path& env_dir) {
  // fmt, not "." + string: gcc 12 at -O3 flags the latter with a false -Wrestrict.
  return env_dir.parent_path() / fmt::format(".{}.lock", env_dir.filename().string());
}

// Links (or, across filesystems, copies) the shared kernel and initramfs.
void link_boot_files(const fs::path& from, const fs::path& to) {
  for (const char* name : {"vmlinux", "initrd.img"}) {
    std::error_code ec;
    fs::create_hard_link(from / name, to / name, ec);
    if (ec) fs::copy_file(from / name, to / name, fs::copy_options::overwrite_existing);
  }
}

}  // namespace

namespace {
// The catalog knows files; whether a snapshot template exists is the templates' business.
EnvironmentInfo with_snapshot_state(EnvironmentInfo info, const std::string& home) {
  if (info.installed) {
    const VmOptions shape;
    info.snapshot_ready =
        detail::template_ready(home, info.sha256, shape.vcpu_count, shape.mem_mib, shape.network);
  }
  return info;
}
}  // namespace

std::vector<EnvironmentInfo> Pyro::list_environments() {
  auto all = impl_->catalog.list();
  for (auto& info : all) info = with_snapshot_state(std::move(info), impl_->home);
  return all;
}

EnvironmentInfo Pyro::inspect_environment(const std::string& name) {
  detail::validate_name("name", name);
  return with_snapshot_state(impl_->catalog.inspect(name), impl_->home);
}

EnvironmentInfo Pyro::pull_environment(const std::string& name, const PullOptions& options) {
  return impl_->pull(name, options);
}

EnvironmentInfo Pyro::Impl::pull(const std::string& name, const PullOptions& pull_options) {
  detail::validate_name("name", name);
  const detail::CatalogEntry* entry = catalog.find(name);
  if (!entry) {
    catalog.inspect(name);  // throws kNotFound for unknown names
    throw Error(ErrorCode::kFailedPrecondition,
                fmt::format("pull environment `{}`: it was imported, not built from the catalog; "
                            "import it again instead", name));
  }
  const std::string what = fmt::format("pull environment `{}`", name);
  detail::GuestTools tools = detail::find_guest_tools(options.guest_dir);
  std::error_code ec;
  detail::make_private_dir((fs::path(home) / "environments").string());

  // Every environment boots the busybox kernel and initramfs, so it comes first.
  if (entry->kind == "initramfs" || !catalog.inspect("busybox").installed) {
    std::vector<std::string> argv = {tools.bootset_script, "--agent", tools.agent, "--home", home};
    if (pull_options.force && entry->kind == "initramfs") argv.push_back("--force");
    detail::run_script(argv, pull_options.progress, what, "download kernel");
  }
  if (entry->kind == "rootfs") {
    std::vector<std::string> argv = {tools.rootfs_script, "--name", entry->name, "--dir", entry->dir,
                                     "--suite", entry->suite, "--variant", entry->variant,
                                     "--packages", join(entry->packages, ","), "--home", home};
    if (pull_options.force) argv.push_back("--force");
    detail::run_script(argv, pull_options.progress, what, "build rootfs");
  }
  EnvironmentInfo info = catalog.inspect(name);
  if (!info.installed) {
    throw Error(ErrorCode::kInternal, fmt::format("{}: the builder succeeded but left no environment", what));
  }
  return info;
}

EnvironmentInfo Pyro::import_environment(const std::string& name, const std::string& source,
                                         const ImportOptions& options) {
  const std::string what = fmt::format("import environment `{}`", name);
  if (impl_->catalog.find(name)) {
    throw Error(ErrorCode::kAlreadyExists, fmt::format("{}: `{}` is a catalog name", what, name));
  }
  const fs::path dir = fs::path(impl_->home) / "environments" / detail::Catalog::import_dir_name(name);
  std::error_code ec;
  if (!fs::exists(source, ec)) {
    throw Error(ErrorCode::kNotFound, fmt::format("{}: source `{}` does not exist", what, source));
  }
  // The kernel and initramfs (with the agent) come from the busybox boot set.
  if (!impl_->catalog.inspect("busybox").installed) impl_->pull("busybox", {.progress = options.progress});
  const detail::BootSet busybox = impl_->catalog.resolve("busybox");

  detail::make_private_dir(dir.parent_path().string());
  auto lock = detail::FileLock::acquire(lock_path_for(dir).string());
  if (fs::exists(dir / "manifest.json") && !options.force) {
    throw Error(ErrorCode::kAlreadyExists,
                fmt::format("{}: it exists already; pass force to replace it", what));
  }
  const fs::path tmp = dir.parent_path() / fmt::format(".{}.tmp.{}", dir.filename().string(), ::getpid());
  fs::remove_all(tmp, ec);
  // Private staging: the unpacked image's setuid files stay out of other users' reach.
  detail::make_private_dir((tmp / "root").string());
  ::chmod(tmp.c_str(), 0700);
  struct RemoveOnExit {
    fs::path path;
    ~RemoveOnExit() {
      std::error_code ignored;
      fs::remove_all(path, ignored);
    }
  } cleanup{tmp};

  auto progress = [&](const Progress& event) {
    if (!event.message.empty()) detail::log(LogLevel::kInfo, "{}: {}", what, event.message);
    if (options.progress) options.progress(event);
  };
  detail::ImageSummary image = detail::unpack_image(source, (tmp / "root").string(), progress);
  detail::check_rootfs_usable((tmp / "root").string());
  detail::make_ext4_image((tmp / "root").string(), (tmp / "rootfs.ext4").string(), 256ull << 20, progress);
  fs::remove_all(tmp / "root");
  link_boot_files(fs::path(busybox.kernel_path).parent_path(), tmp);

  auto busybox_manifest = nlohmann::json::parse(std::ifstream(fs::path(busybox.kernel_path).parent_path() / "manifest.json"));
  const std::string rootfs_sha = detail::sha256_file_hex((tmp / "rootfs.ext4").string());
  nlohmann::json manifest = {
      {"format", 1},
      {"name", name},
      {"kind", "rootfs"},
      {"source", "import"},
      {"description", fmt::format("imported from {} `{}`", image.format, fs::path(source).filename().string())},
      {"version", image.reference},
      {"image_format", image.format},
      {"image_digest", image.manifest_digest},
      {"image_layers", image.layers},
      {"image_env", image.env},
      {"image_working_dir", image.working_dir},
      {"kernel_version", busybox_manifest.value("kernel_version", "")},
      {"agent_version", busybox_manifest.value("agent_version", "")},
      {"rootfs_sha256", rootfs_sha},
      // The content hash covers what boots: kernel + initramfs (busybox's hash) and the root.
      {"sha256", detail::sha256_hex(fmt::format("import\nboot={}\nrootfs={}\n", busybox.environment_sha256, rootfs_sha))},
      {"built_at", detail::utc_now_rfc3339()},
  };
  std::ofstream(tmp / "manifest.json") << manifest.dump(2) << "\n";

  // Swap in: the old environment (if any) moves aside first, so a crash between the
  // two renames leaves either the old or the new one, never a half one.
  const fs::path old = dir.parent_path() / fmt::format(".{}.old.{}", dir.filename().string(), ::getpid());
  if (fs::exists(dir)) fs::rename(dir, old);
  fs::rename(tmp, dir);
  fs::remove_all(old, ec);
  return impl_->catalog.inspect(name);
}

PruneResult Pyro::prune_environments(const PruneOptions& options) {
  PruneResult result;
  const fs::path envs = fs::path(impl_->home) / "environments";
  auto remove = [&](const fs::path& path) {
    result.bytes_freed += detail::allocated_bytes(path.string());
    result.removed.push_back(path.string());
    std::error_code ec;
    if (!options.dry_run) fs::remove_all(path, ec);
  };
  // One try-lock per environment, kept until the end: a build in progress holds its
  // lock, and everything of that environment is then left alone.
  std::map<std::string, detail::FileLock> locks;
  auto idle = [&](const std::string& dir_name) {
    auto it = locks.find(dir_name);
    if (it == locks.end()) {
      auto lock = detail::FileLock::try_acquire((envs / ("." + dir_name + ".lock")).string());
      it = locks.emplace(dir_name, std::move(lock)).first;
    }
    return it->second.held();
  };
  std::error_code ec;
  std::vector<fs::path> entries;
  for (const auto& e : fs::directory_iterator(envs, ec)) entries.push_back(e.path());
  std::sort(entries.begin(), entries.end());
  bool builds_running = false;
  for (const auto& path : entries) {
    const std::string name = path.filename().string();
    if (name.ends_with(".lock")) {
      builds_running |= !idle(name.substr(1, name.size() - 6));
    } else if (name.starts_with(".")) {
      // Leftovers of interrupted builds and swaps: .<dir>.tmp.* and .<dir>.old.*
      for (const char* marker : {".tmp.", ".old."}) {
        auto at = name.find(marker);
        if (at != std::string::npos && idle(name.substr(1, at - 1))) remove(path);
      }
    } else if (options.all && fs::is_directory(path) && idle(name)) {
      remove(path);
    }
  }
  // Downloads are shared by every builder: only when none is running.
  const fs::path cache = fs::path(impl_->home) / "cache";
  if (fs::exists(cache) && !builds_running) remove(cache);
  const fs::path templates = fs::path(impl_->home) / "templates";
  if (options.all) {
    if (fs::exists(templates)) remove(templates);
  } else {
    // Templates of environments no longer installed, or made by another QEMU.
    std::vector<std::string> live;
    for (const auto& info : impl_->catalog.list()) {
      if (info.installed) live.push_back(info.sha256);
    }
    std::string qemu;
    try {
      qemu = impl_->backend->version();
    } catch (const Error&) {
      // no VMM: keep templates of every QEMU version
    }
    for (const auto& path : detail::stale_templates(impl_->home, live, qemu)) remove(path);
  }
  return result;
}

}  // namespace v1
}  // namespace pyro
