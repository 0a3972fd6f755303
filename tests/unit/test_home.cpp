// The pyro home's directories are private (lib/runtime/home.cpp): homes made 0755 by
// older versions are fixed when a client opens them.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <filesystem>

#include "runtime/home.hpp"
#include "test_support.hpp"

namespace pyro::detail {
namespace {

namespace fs = std::filesystem;

mode_t mode_of(const fs::path& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

}  // namespace

TEST_CASE("home: an old 0755 home and its directories become 0700") {
  test::TestDir dir("pyro-test-home");
  const fs::path home = dir / "home";
  for (const char* sub : {"", "environments", "workspaces", "run"}) {
    fs::create_directories(home / sub);
    ::chmod((home / sub).c_str(), 0755);
  }
  secure_home(home.string());
  for (const char* sub : {"", "environments", "workspaces", "run", "templates"}) {
    CAPTURE(sub);
    CHECK(mode_of(home / sub) == 0700);
  }
}

TEST_CASE("home: a shared sticky directory used as the home keeps its mode") {
  test::TestDir dir("pyro-test-home");
  const fs::path shared = dir / "shared";
  fs::create_directory(shared);
  ::chmod(shared.c_str(), 01777);  // like /tmp
  secure_home(shared.string());
  CHECK(mode_of(shared) == 01777);
  CHECK(mode_of(shared / "workspaces") == 0700);
}

}  // namespace pyro::detail
