// A private temporary directory (mkdtemp), removed with everything in it when the
// object goes away, unless release()d.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace pyro::detail {

class TempDir {
 public:
  /// Creates `<parent>/<prefix>XXXXXX`. Throws Error(kResourceExhausted) when the
  /// disk is full, else Error(kInternal); messages start with `what`.
  TempDir(const std::filesystem::path& parent, std::string_view prefix, std::string_view what);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const noexcept { return path_; }
  std::filesystem::path operator/(std::string_view name) const { return path_ / name; }
  /// Keeps the directory: the destructor then removes nothing.
  void release() noexcept { path_.clear(); }

 private:
  std::filesystem::path path_;
};

}  // namespace pyro::detail
