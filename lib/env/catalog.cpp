#include "env/catalog.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "env/catalog_data.hpp"
#include "pyro/error.hpp"
#include "util/disk_usage.hpp"

namespace pyro::detail {
namespace fs = std::filesystem;
namespace {

nlohmann::json read_manifest(const fs::path& dir) {
  std::ifstream in(dir / "manifest.json");
  if (!in) return nullptr;
  auto manifest = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  return manifest.is_object() ? manifest : nullptr;  // a corrupt manifest = not installed
}

bool has_boot_files(const fs::path& dir, bool rootfs) {
  std::error_code ec;
  return fs::is_regular_file(dir / "vmlinux", ec) && fs::is_regular_file(dir / "initrd.img", ec) &&
         (!rootfs || fs::is_regular_file(dir / "rootfs.ext4", ec));
}

}  // namespace

Catalog::Catalog(std::string home) : home_(std::move(home)) {
  auto table = nlohmann::json::parse(catalog_json());
  for (const auto& e : table.at("environments")) {
    CatalogEntry entry;
    entry.name = e.at("name").get<std::string>();
    entry.dir = e.at("dir").get<std::string>();
    entry.kind = e.at("kind").get<std::string>();
    entry.version = e.value("version", "");
    entry.suite = e.value("suite", "");
    entry.variant = e.value("variant", "");
    entry.description = e.value("description", "");
    entry.packages = e.value("packages", std::vector<std::string>{});
    entries_.push_back(std::move(entry));
  }
}

const CatalogEntry* Catalog::find(const std::string& name) const {
  for (const auto& e : entries_) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

std::string Catalog::import_dir_name(const std::string& name) {
  static const std::regex kValid("[a-z0-9][a-z0-9._-]{0,63}(:[A-Za-z0-9][A-Za-z0-9._-]{0,63})?");
  if (!std::regex_match(name, kValid)) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("check environment name `{}`: use lowercase letters, digits, `.`, `_`, `-`, "
                            "and an optional `:tag`", name));
  }
  std::string dir = "img_" + name;
  std::replace(dir.begin(), dir.end(), ':', '_');
  return dir;
}

std::string Catalog::environment_dir(const std::string& name) const {
  const CatalogEntry* entry = find(name);
  return (fs::path(home_) / "environments" / (entry ? entry->dir : import_dir_name(name))).string();
}

EnvironmentInfo Catalog::inspect(const std::string& name) const {
  const CatalogEntry* entry = find(name);
  EnvironmentInfo info;
  info.name = name;
  fs::path dir;
  if (entry) {
    dir = environment_dir(name);
    info.description = entry->description;
    info.source = "catalog";
    info.version = entry->version;
    info.packages = entry->packages;
    info.has_rootfs = entry->kind == "rootfs";
  } else {
    std::string known;
    for (const auto& e : entries_) known += (known.empty() ? "`" : ", `") + e.name + "`";
    const bool valid_import_name = [&] {
      try {
        dir = environment_dir(name);
        return true;
      } catch (const Error&) {
        return false;
      }
    }();
    if (!valid_import_name || !fs::exists(dir / "manifest.json")) {
      throw Error(ErrorCode::kNotFound,
                  fmt::format("find environment `{}`: neither in the catalog ({}) nor imported", name, known));
    }
    info.source = "import";
    info.has_rootfs = true;
  }
  nlohmann::json manifest = read_manifest(dir);
  if (manifest.is_null()) return info;
  info.installed = has_boot_files(dir, info.has_rootfs);
  if (!info.installed) return info;
  info.path = dir.string();
  info.kernel_version = manifest.value("kernel_version", "");
  info.agent_version = manifest.value("agent_version", "");
  info.sha256 = manifest.value("sha256", "");
  info.built_at = manifest.value("built_at", "");
  if (!entry) {
    info.description = manifest.value("description", "");
    info.version = manifest.value("version", "");
  }
  info.size_bytes = allocated_bytes(dir.string());
  return info;
}

std::vector<EnvironmentInfo> Catalog::list() const {
  std::vector<EnvironmentInfo> out;
  for (const auto& e : entries_) out.push_back(inspect(e.name));
  std::vector<EnvironmentInfo> imported;
  std::error_code ec;
  for (const auto& d : fs::directory_iterator(fs::path(home_) / "environments", ec)) {
    auto manifest = read_manifest(d.path());
    if (manifest.is_null() || manifest.value("source", "") != "import") continue;
    try {
      imported.push_back(inspect(manifest.value("name", "")));
    } catch (const Error&) {
      // a manifest whose name does not map back to its directory: not ours
    }
  }
  std::sort(imported.begin(), imported.end(), [](auto& a, auto& b) { return a.name < b.name; });
  out.insert(out.end(), imported.begin(), imported.end());
  return out;
}

BootSet Catalog::resolve(const std::string& name) const {
  EnvironmentInfo info = inspect(name);
  if (!info.installed) {
    throw Error(ErrorCode::kNotFound,
                fmt::format("find environment `{}`: not installed in `{}`; pull it first "
                            "(`pyro env pull {}`, or pull_environment)",
                            name, environment_dir(name), name));
  }
  fs::path dir = info.path;
  BootSet boot{(dir / "vmlinux").string(), (dir / "initrd.img").string(), "", info.sha256};
  if (info.has_rootfs) boot.rootfs_path = (dir / "rootfs.ext4").string();
  return boot;
}

}  // namespace pyro::detail
