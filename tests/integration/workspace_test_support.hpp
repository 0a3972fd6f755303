// Helpers shared by the workspace integration tests: one client per test binary,
// error codes of a call, temporary directories and a guard that deletes a workspace.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>

#include "pyro/pyro.hpp"

namespace pyro_test {

namespace fs = std::filesystem;

inline pyro::Pyro& client() {
  static pyro::Pyro instance;
  return instance;
}

inline pyro::ErrorCode code_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const pyro::Error& e) {
    return e.code();
  }
  return pyro::ErrorCode::kOk;
}

inline std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

struct TempDir {
  fs::path path;
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "pyro-ws-test-XXXXXX").string();
    path = ::mkdtemp(pattern.data());
  }
  ~TempDir() { fs::remove_all(path); }
};

// Deletes the workspace whatever the test did.
struct WorkspaceGuard {
  std::string id;
  ~WorkspaceGuard() {
    try {
      if (!id.empty()) client().delete_workspace(id);
    } catch (...) {
    }
  }
};

}  // namespace pyro_test
