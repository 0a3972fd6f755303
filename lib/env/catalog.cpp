#include "env/catalog.hpp"

#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "pyro/error.hpp"

namespace pyro::detail {
namespace fs = std::filesystem;

Catalog::Catalog(std::string home) : home_(std::move(home)) {
  entries_.push_back({"busybox", "BusyBox userland on the initramfs (no Debian)"});
}

const CatalogEntry* Catalog::find(const std::string& name) const {
  for (const auto& e : entries_) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

std::string Catalog::environment_dir(const std::string& name) const {
  return (fs::path(home_) / "environments" / name).string();
}

EnvironmentInfo Catalog::inspect(const std::string& name) const {
  const CatalogEntry* entry = find(name);
  if (!entry) {
    std::string known;
    for (const auto& e : entries_) known += (known.empty() ? "`" : ", `") + e.name + "`";
    throw Error(ErrorCode::kNotFound,
                fmt::format("find environment `{}`: not in the catalog (known: {})", name, known));
  }
  EnvironmentInfo info;
  info.name = entry->name;
  info.description = entry->description;
  const fs::path dir = environment_dir(name);
  std::ifstream in(dir / "manifest.json");
  if (!in) return info;
  nlohmann::json manifest = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (!manifest.is_object()) return info;  // a corrupt manifest counts as not installed
  std::error_code ec;
  info.installed = fs::is_regular_file(dir / "vmlinux", ec) && fs::is_regular_file(dir / "initrd.img", ec);
  info.path = dir.string();
  info.kernel_version = manifest.value("kernel_version", "");
  info.agent_version = manifest.value("agent_version", "");
  info.sha256 = manifest.value("sha256", "");
  return info;
}

BootSet Catalog::resolve(const std::string& name) const {
  EnvironmentInfo info = inspect(name);
  if (!info.installed) {
    throw Error(ErrorCode::kNotFound,
                fmt::format("find environment `{}`: not installed in `{}`; build it with "
                            "`guest/scripts/build-bootset.sh --agent <pyro-agent> --home {}`",
                            name, environment_dir(name), home_));
  }
  fs::path dir = info.path;
  return BootSet{(dir / "vmlinux").string(), (dir / "initrd.img").string()};
}

}  // namespace pyro::detail
