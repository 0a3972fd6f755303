// The environment catalog: the built-in entries of spec/environments.json (embedded
// at build time) plus environments imported from OCI/docker images, and where each
// one lives in the cache (<home>/environments/<dir>/, described by manifest.json).
#pragma once

#include <string>
#include <vector>

#include "backend/backend.hpp"
#include "pyro/types.hpp"

namespace pyro::detail {

struct CatalogEntry {
  std::string name;  ///< e.g. "debian:12"
  std::string dir;   ///< cache directory name, e.g. "debian_12"
  std::string kind;  ///< "initramfs" or "rootfs"
  std::string version;
  std::string suite;    ///< Debian suite for rootfs entries, e.g. "bookworm"
  std::string variant;  ///< mmdebstrap variant, e.g. "minbase"
  std::string description;
  std::vector<std::string> packages;
};

class Catalog {
 public:
  explicit Catalog(std::string home);

  const std::vector<CatalogEntry>& entries() const noexcept { return entries_; }
  const CatalogEntry* find(const std::string& name) const;

  /// Catalog entries, then imported environments, each described.
  std::vector<EnvironmentInfo> list() const;

  /// Describes one environment, reading its manifest when installed.
  /// Throws kNotFound for a name that is neither in the catalog nor imported.
  EnvironmentInfo inspect(const std::string& name) const;

  /// The boot set of an installed environment. Throws kNotFound when the name is
  /// unknown or the environment is not installed, saying how to install it.
  BootSet resolve(const std::string& name) const;

  /// Cache directory of a catalog entry or an imported name (which must be valid).
  std::string environment_dir(const std::string& name) const;

  /// Checks an import name (`[a-z0-9][a-z0-9._-]*` with an optional `:tag`) and
  /// returns its directory name. Throws kInvalidArgument.
  static std::string import_dir_name(const std::string& name);

  const std::string& home() const noexcept { return home_; }

 private:
  std::string home_;
  std::vector<CatalogEntry> entries_;
};

}  // namespace pyro::detail
