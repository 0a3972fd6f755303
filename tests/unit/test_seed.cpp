// Workspace seeds (lib/workspace/seed): host directories and archives, every
// archive written here with libarchive's writer.
#include <archive.h>
#include <archive_entry.h>
#include <doctest/doctest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "pyro/error.hpp"
#include "workspace/seed.hpp"
#include "archive_builder.hpp"
#include "test_support.hpp"

namespace pyro::detail {
namespace {

namespace fs = std::filesystem;

struct TestDir : test::TestDir {
  TestDir() : test::TestDir("pyro-test-seed") {}
};

using Entry = test::ArchiveEntry;

enum class Kind { kTar, kTarGz, kZip };

void write_archive(const fs::path& path, Kind kind, const std::vector<Entry>& entries) {
  archive* a = archive_write_new();
  if (kind == Kind::kZip) {
    archive_write_set_format_zip(a);
  } else {
    archive_write_set_format_pax_restricted(a);
    if (kind == Kind::kTarGz) archive_write_add_filter_gzip(a);
  }
  REQUIRE(archive_write_open_filename(a, path.c_str()) == ARCHIVE_OK);
  test::write_entries(a, entries);
  REQUIRE(archive_write_close(a) == ARCHIVE_OK);
  archive_write_free(a);
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const std::vector<Entry> kProject = {
    {"project", 'd', "", 0755},
    {"project/README", 'f', "hello\n", 0644},
    {"project/bin", 'd', "", 0755},
    {"project/bin/run.sh", 'f', "#!/bin/sh\necho hi\n", 0755},
    {"project/link", 'l', "README"},
};

void check_project(const fs::path& dest, const SeedStats& stats) {
  CHECK(stats.files == 2);
  CHECK(stats.dirs == 2);
  CHECK(stats.symlinks == 1);
  CHECK(stats.bytes == 6 + 18);
  // The single top-level directory is kept.
  CHECK(read_file(dest / "project/README") == "hello\n");
  CHECK(read_file(dest / "project/bin/run.sh") == "#!/bin/sh\necho hi\n");
  CHECK((fs::status(dest / "project/bin/run.sh").permissions() & fs::perms::owner_exec) != fs::perms::none);
  CHECK(fs::is_symlink(dest / "project/link"));
  CHECK(fs::read_symlink(dest / "project/link") == "README");
}

Error seed_error(const fs::path& seed, const fs::path& dest, const SeedLimits& limits = {}) {
  try {
    materialize_seed(seed.string(), dest.string(), limits);
  } catch (const Error& e) {
    return e;
  }
  FAIL("materialize_seed did not throw for " << seed.string());
  return Error(ErrorCode::kOk, "");
}

}  // namespace

TEST_CASE("seed: archives of every format, detected by content") {
  TestDir t;
  const std::pair<Kind, const char*> formats[] = {
      {Kind::kTar, "p.tar"}, {Kind::kTarGz, "p.tar.gz"}, {Kind::kTarGz, "p.tgz"}, {Kind::kZip, "p.zip"},
      {Kind::kTarGz, "no-extension"}, {Kind::kZip, "misnamed.tar"}};
  for (const auto& [kind, name] : formats) {
    const std::string& archive_name = name;  // clang 14 cannot capture a structured binding
    CAPTURE(archive_name);
    write_archive(t / name, kind, kProject);
    const fs::path dest = t / (std::string("out-") + name);
    fs::create_directory(dest);
    check_project(dest, materialize_seed((t / name).string(), dest.string(), {}));
  }
}

TEST_CASE("seed: a host directory keeps modes and symlinks") {
  TestDir t;
  fs::create_directories(t / "src/sub");
  std::ofstream(t / "src/sub/tool") << "#!/bin/sh\n";
  fs::permissions(t / "src/sub/tool", fs::perms(0750));
  std::ofstream(t / "src/data") << "12345";
  fs::create_symlink("/etc/passwd", t / "src/abs-link");
  fs::create_directory(t / "dest");
  const SeedStats stats = materialize_seed((t / "src").string(), (t / "dest").string(), {});
  CHECK(stats.files == 2);
  CHECK(stats.dirs == 1);
  CHECK(stats.symlinks == 1);
  CHECK(stats.bytes == 10 + 5);
  CHECK(read_file(t / "dest/sub/tool") == "#!/bin/sh\n");
  CHECK((fs::status(t / "dest/sub/tool").permissions() & fs::perms::all) == fs::perms(0750));
  CHECK(fs::read_symlink(t / "dest/abs-link") == "/etc/passwd");  // verbatim, never followed

  SUBCASE("a fifo is refused") {
    REQUIRE(::mkfifo((t / "src/pipe").c_str(), 0644) == 0);
    fs::create_directory(t / "dest2");
    CHECK(seed_error(t / "src", t / "dest2").code() == ErrorCode::kInvalidArgument);
    CHECK(fs::is_empty(t / "dest2"));
  }
}

TEST_CASE("seed: missing seed, unknown format") {
  TestDir t;
  fs::create_directory(t / "dest");
  CHECK(seed_error(t / "nope.tar", t / "dest").code() == ErrorCode::kNotFound);
  std::ofstream(t / "text.tar") << "this is not an archive at all\n";
  CHECK(seed_error(t / "text.tar", t / "dest").code() == ErrorCode::kInvalidArgument);
}

TEST_CASE("seed: unsafe archive entries are refused") {
  const std::vector<std::pair<const char*, std::vector<Entry>>> cases = {
      {"absolute", {{"/etc/evil", 'f', "x"}}},
      {"dotdot", {{"a/../../evil", 'f', "x"}}},
      {"through symlink", {{"l", 'l', "/tmp"}, {"l/evil", 'f', "x"}}},
      {"through relative symlink", {{"d", 'd'}, {"d/up", 'l', ".."}, {"d/up/evil", 'f', "x"}}},
      {"hard link outside", {{"h", 'h', "../../etc/passwd"}}},
      {"hard link absolute", {{"h", 'h', "/etc/passwd"}}},
      {"hard link through symlink", {{"l", 'l', "/etc"}, {"h", 'h', "l/passwd"}}},
      {"device", {{"dev", 'c'}}},
      {"fifo", {{"pipe", 'p'}}},
  };
  for (const auto& [what, entries] : cases) {
    const auto& case_name = what;  // clang 14 cannot capture a structured binding
    CAPTURE(case_name);
    TestDir t;
    write_archive(t / "bad.tar", Kind::kTar, entries);
    fs::create_directory(t / "dest");
    const Error e = seed_error(t / "bad.tar", t / "dest");
    CHECK(e.code() == ErrorCode::kInvalidArgument);
    CHECK(fs::is_empty(t / "dest"));  // emptied again
  }
}

TEST_CASE("seed: a hard link to an earlier file is fine") {
  TestDir t;
  write_archive(t / "h.tar", Kind::kTar, {{"a", 'f', "data"}, {"b", 'h', "a"}});
  fs::create_directory(t / "dest");
  const SeedStats stats = materialize_seed((t / "h.tar").string(), (t / "dest").string(), {});
  CHECK(stats.files == 2);
  CHECK(read_file(t / "dest/b") == "data");
}

TEST_CASE("seed: limits") {
  TestDir t;
  write_archive(t / "p.tar", Kind::kTar, kProject);
  fs::create_directories(t / "dir/a/b");
  std::ofstream(t / "dir/a/b/f") << std::string(1000, 'x');
  fs::create_directory(t / "dest");
  CHECK(seed_error(t / "p.tar", t / "dest", {.max_bytes = 10}).code() == ErrorCode::kResourceExhausted);
  CHECK(seed_error(t / "p.tar", t / "dest", {.max_entries = 4}).code() == ErrorCode::kResourceExhausted);
  CHECK(seed_error(t / "dir", t / "dest", {.max_bytes = 999}).code() == ErrorCode::kResourceExhausted);
  CHECK(seed_error(t / "dir", t / "dest", {.max_entries = 2}).code() == ErrorCode::kResourceExhausted);
  CHECK(fs::is_empty(t / "dest"));
  // Exactly at the limits is fine.
  CHECK(materialize_seed((t / "p.tar").string(), (t / "dest").string(), {.max_bytes = 24, .max_entries = 5}).files == 2);
}

}  // namespace pyro::detail
