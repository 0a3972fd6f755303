// Helpers shared by the unit tests.
#pragma once

#include <doctest/doctest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>
#include <system_error>

#include "pyro/error.hpp"

namespace pyro::test {

// A fresh directory under the system temp directory, removed with everything in it
// when the test ends. `prefix` names it, so a leftover shows which test made it.
class TestDir {
 public:
  explicit TestDir(const std::string& prefix) {
    std::string pattern = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  ~TestDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TestDir(const TestDir&) = delete;
  TestDir& operator=(const TestDir&) = delete;

  std::filesystem::path operator/(const std::string& rel) const { return path_ / rel; }
  const std::filesystem::path& path() const { return path_; }
  std::string str() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

/// The code of the pyro::Error that `fn` throws, or kOk when it throws none.
template <class F>
pyro::ErrorCode code_of(F&& fn) {
  try {
    fn();
  } catch (const pyro::Error& e) {
    return e.code();
  }
  return pyro::ErrorCode::kOk;
}

}  // namespace pyro::test
