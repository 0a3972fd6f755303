// The environment catalog: names a caller may pass as `environment`, and where
// each one's boot set lives in the cache. Only `busybox` (the initramfs alone) is
// built in for now; entries are data so Debian images can join without changing
// callers.
#pragma once

#include <string>
#include <vector>

#include "backend/backend.hpp"
#include "pyro/types.hpp"

namespace pyro::detail {

struct CatalogEntry {
  std::string name;
  std::string description;
};

class Catalog {
 public:
  explicit Catalog(std::string home);

  const std::vector<CatalogEntry>& entries() const noexcept { return entries_; }

  /// Describes one environment, reading its manifest when installed.
  /// Throws kNotFound for a name the catalog does not know.
  EnvironmentInfo inspect(const std::string& name) const;

  /// The boot set of an installed environment. Throws kNotFound when the name is
  /// unknown or the environment is not installed, saying how to install it.
  BootSet resolve(const std::string& name) const;

  std::string environment_dir(const std::string& name) const;

 private:
  const CatalogEntry* find(const std::string& name) const;
  std::string home_;
  std::vector<CatalogEntry> entries_;
};

}  // namespace pyro::detail
