// scan_tree (lib/workspace/host_tree): the host-side manifest of a directory.
#include <doctest/doctest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "pyro/error.hpp"
#include "util/sha256.hpp"
#include "workspace/host_tree.hpp"
#include "test_support.hpp"

namespace pyro::detail {
namespace {
namespace fs = std::filesystem;

struct TestDir : test::TestDir {
  TestDir() : test::TestDir("pyro-test-tree") {}
};
}  // namespace

TEST_CASE("scan_tree: files, directories and a symlink, sorted, not followed") {
  TestDir t;
  fs::create_directories(t / "b/c");
  std::ofstream(t / "b/c/file.txt") << "content";
  fs::permissions(t / "b/c/file.txt", fs::perms(0640));
  std::ofstream(t / "a-top") << "";
  fs::create_directory_symlink("b", t / "link-to-b");

  const auto entries = scan_tree(t.str());
  REQUIRE(entries.size() == 5);
  CHECK(entries[0].path == "a-top");
  CHECK(entries[1].path == "b");
  CHECK(entries[2].path == "b/c");
  CHECK(entries[3].path == "b/c/file.txt");
  CHECK(entries[4].path == "link-to-b");

  CHECK(entries[1].type == "directory");
  CHECK(entries[3].type == "file");
  CHECK(entries[3].size == 7);
  CHECK(entries[3].mode == 0640);
  CHECK(entries[3].sha256 == sha256_hex("content"));
  CHECK(entries[0].sha256 == sha256_hex(""));
  struct stat st {};
  REQUIRE(::lstat((t / "b/c/file.txt").c_str(), &st) == 0);
  CHECK(entries[3].mtime == st.st_mtim.tv_sec);
  CHECK(entries[4].type == "symlink");
  CHECK(entries[4].target == "b");
  CHECK(entries[4].size == 1);

  SUBCASE("json round trip") {
    for (const auto& e : entries) {
      const nlohmann::json j = e;
      CHECK(j.at("path") == e.path);
      CHECK(j.contains("target") == (e.type == "symlink"));
      CHECK(j.get<TreeEntry>() == e);
    }
  }
}

TEST_CASE("scan_tree: errors") {
  TestDir t;
  CHECK_THROWS_AS(scan_tree((t / "missing").string()), Error);
  try {
    scan_tree((t / "missing").string());
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::kNotFound);
  }
  std::ofstream(t / "file") << "x";
  try {
    scan_tree((t / "file").string());
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::kInvalidArgument);
  }
}

TEST_CASE("scan_tree: deep and wide trees keep every path intact") {
  // Many long-named directories make the result vector reallocate while a
  // directory's own path is in use (regression: a dangling reference).
  TestDir t;
  const std::string dir_name = "a-directory-with-a-long-name";
  size_t expected = 0;
  for (int i = 0; i < 40; ++i) {
    const auto d = t.path() / (dir_name + std::to_string(i)) / "nested-subdirectory-level";
    std::filesystem::create_directories(d);
    std::ofstream(d / "file-with-a-long-name.txt") << i;
    expected += 3;
  }
  const auto entries = scan_tree(t.str());
  REQUIRE(entries.size() == expected);
  for (const auto& e : entries) {
    CHECK(e.path.rfind(dir_name, 0) == 0);
    CHECK(std::filesystem::exists(t.path() / e.path));
  }
}

}  // namespace pyro::detail
