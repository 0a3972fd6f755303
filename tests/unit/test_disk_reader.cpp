// Offline reading of workspace disks (lib/workspace/disk_reader) with debugfs,
// against an ext4 image built here with mke2fs -d.
#include <doctest/doctest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <boost/process.hpp>

#include "pyro/error.hpp"
#include "util/find_executable.hpp"
#include "workspace/disk_reader.hpp"
#include "test_support.hpp"

namespace pyro::detail {
namespace {
namespace fs = std::filesystem;

struct TestDir : test::TestDir {
  TestDir() : test::TestDir("pyro-test-disk") {}
};

std::string tool(const char* name) {
  std::string path = find_executable(name);
  for (const char* dir : {"/usr/sbin/", "/sbin/"}) {
    if (path.empty() && ::access((std::string(dir) + name).c_str(), X_OK) == 0) path = std::string(dir) + name;
  }
  return path;
}

const std::string kLongTarget = "some/dir/" + std::string(90, 'q');  // too long for a fast symlink

// A staging tree and the image made of it.
struct Disk {
  TestDir dir;
  std::string image = (dir / "disk.ext4").string();
  Disk() {
    const fs::path s = dir / "staging";
    fs::create_directories(s / "src/deep");
    std::ofstream(s / "README.md") << "hello disk\n";
    std::ofstream(s / "with space.txt") << "spaced";
    std::ofstream(s / "quote\"name") << "q";
    std::ofstream(s / "src/deep/big.bin") << std::string(10000, 'b');
    fs::permissions(s / "src/deep/big.bin", fs::perms(0600));
    fs::create_symlink("README.md", s / "link");
    fs::create_symlink(kLongTarget, s / "long-link");
    const int rc = boost::process::system(tool("mke2fs"), "-q", "-t", "ext4", "-d", s.string(), image, "16M",
                                          boost::process::std_out > boost::process::null,
                                          boost::process::std_err > boost::process::null);
    REQUIRE(rc == 0);
  }
};

std::vector<std::string> paths(const std::vector<TreeEntry>& entries) {
  std::vector<std::string> out;
  for (const auto& e : entries) out.push_back(e.path);
  return out;
}

const TreeEntry* find(const std::vector<TreeEntry>& entries, const std::string& path) {
  for (const auto& e : entries) {
    if (e.path == path) return &e;
  }
  return nullptr;
}

using pyro::test::code_of;

}  // namespace

TEST_CASE("disk_reader: list, stat, read an ext4 image") {
  if (tool("mke2fs").empty() || tool("debugfs").empty()) {
    MESSAGE("e2fsprogs not installed; skipping");
    return;
  }
  Disk disk;

  SUBCASE("list the root") {
    const auto entries = list_disk(disk.image, "", false);
    const std::vector<std::string> expected = {"README.md", "link", "long-link", "lost+found",
                                               "quote\"name", "src", "with space.txt"};
    CHECK(paths(entries) == expected);
    const TreeEntry* readme = find(entries, "README.md");
    REQUIRE(readme != nullptr);
    CHECK(readme->type == "file");
    CHECK(readme->size == 11);
    CHECK(readme->mode == 0644);
    CHECK(readme->mtime > 1600000000);
    CHECK(find(entries, "src")->type == "directory");
    CHECK(find(entries, "link")->type == "symlink");
    CHECK(find(entries, "link")->target == "README.md");
    CHECK(find(entries, "long-link")->target == kLongTarget);
    CHECK(paths(list_disk(disk.image, "/workspace", false)) == expected);
  }

  SUBCASE("list recursively, and below a directory") {
    const auto entries = list_disk(disk.image, "", true);
    const TreeEntry* big = find(entries, "src/deep/big.bin");
    REQUIRE(big != nullptr);
    CHECK(big->size == 10000);
    CHECK(big->mode == 0600);
    CHECK(find(entries, "src/deep") != nullptr);
    CHECK(std::is_sorted(entries.begin(), entries.end(),
                         [](const TreeEntry& a, const TreeEntry& b) { return a.path < b.path; }));
    CHECK(paths(list_disk(disk.image, "/workspace/src", true)) ==
          std::vector<std::string>{"src/deep", "src/deep/big.bin"});
    CHECK(paths(list_disk(disk.image, "src", false)) == std::vector<std::string>{"src/deep"});
  }

  SUBCASE("read files, with truncation") {
    const DiskFile readme = read_disk_file(disk.image, "README.md", 1 << 20);
    CHECK(readme.content == "hello disk\n");
    CHECK(readme.size == 11);
    CHECK_FALSE(readme.truncated);
    const DiskFile big = read_disk_file(disk.image, "/workspace/src/deep/big.bin", 100);
    CHECK(big.content == std::string(100, 'b'));
    CHECK(big.size == 10000);
    CHECK(big.truncated);
    CHECK(read_disk_file(disk.image, "with space.txt", 100).content == "spaced");
    CHECK(read_disk_file(disk.image, "quote\"name", 100).content == "q");
  }

  SUBCASE("stat") {
    const TreeEntry link = stat_disk(disk.image, "link");
    CHECK(link.type == "symlink");
    CHECK(link.target == "README.md");
    CHECK(stat_disk(disk.image, "long-link").target == kLongTarget);
    const TreeEntry spaced = stat_disk(disk.image, "with space.txt");
    CHECK(spaced.type == "file");
    CHECK(spaced.size == 6);
    CHECK(stat_disk(disk.image, "").type == "directory");
  }

  SUBCASE("errors") {
    CHECK(code_of([&] { stat_disk(disk.image, "nope"); }) == ErrorCode::kNotFound);
    CHECK(code_of([&] { read_disk_file(disk.image, "src/nope", 10); }) == ErrorCode::kNotFound);
    CHECK(code_of([&] { list_disk(disk.image, "nope", false); }) == ErrorCode::kNotFound);
    CHECK(code_of([&] { list_disk(disk.image, "README.md", false); }) == ErrorCode::kInvalidArgument);
    CHECK(code_of([&] { read_disk_file(disk.image, "src", 10); }) == ErrorCode::kInvalidArgument);
    CHECK(code_of([&] { read_disk_file(disk.image, "../etc/passwd", 10); }) == ErrorCode::kInvalidArgument);
    CHECK(code_of([&] { stat_disk(disk.image, "/etc/passwd"); }) == ErrorCode::kInvalidArgument);
    CHECK(code_of([&] { stat_disk((disk.dir / "missing.ext4").string(), ""); }) == ErrorCode::kNotFound);
  }
}

}  // namespace pyro::detail
