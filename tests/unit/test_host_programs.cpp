#include <doctest/doctest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

#include "runtime/host_programs.hpp"
#include "util/temp_dir.hpp"

using pyro::detail::HostProgram;

namespace {

// Runs `body` with $PATH set to `path`, then puts the old value back.
template <typename Body>
void with_path(const std::string& path, Body body) {
  const char* old = ::getenv("PATH");
  const std::string saved = old ? old : "";
  ::setenv("PATH", path.c_str(), 1);
  body();
  ::setenv("PATH", saved.c_str(), 1);
}

bool names(const std::vector<HostProgram>& list, std::string_view program) {
  return std::any_of(list.begin(), list.end(), [&](const HostProgram& p) { return p.program == program; });
}

}  // namespace

TEST_CASE("host programs: an empty PATH misses every program looked up by name") {
  pyro::detail::TempDir dir(std::filesystem::temp_directory_path(), "pyro-path-", "test");
  with_path(dir.path().string(), [] {
    auto missing = pyro::detail::missing_host_programs();
    CHECK(names(missing, "mke2fs"));
    CHECK(names(missing, "mmdebstrap"));
    for (const HostProgram& p : pyro::detail::host_programs()) {
      if (p.program.front() != '/') CHECK_MESSAGE(names(missing, p.program), p.program);
    }
  });
}

TEST_CASE("host programs: a program in PATH counts as present, a non-executable file does not") {
  pyro::detail::TempDir dir(std::filesystem::temp_directory_path(), "pyro-path-", "test");
  std::ofstream(dir / "mke2fs") << "#!/bin/sh\n";
  std::filesystem::permissions(dir / "mke2fs", std::filesystem::perms::owner_all);
  std::ofstream(dir / "cpio") << "not executable\n";
  with_path(dir.path().string(), [] {
    auto missing = pyro::detail::missing_host_programs();
    CHECK_FALSE(names(missing, "mke2fs"));
    CHECK(names(missing, "cpio"));
  });
}

TEST_CASE("host programs: the install command names each package once, in table order") {
  std::vector<HostProgram> missing{{"apt-get", "apt", "x"}, {"cpio", "cpio", "y"}, {"apt-cache", "apt", "z"}};
  CHECK(pyro::detail::install_command(missing) == "apt-get install apt cpio");
}
