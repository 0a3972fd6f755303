// The one safe extractor (lib/env/safe_extract): each hostile archive is built
// in memory with libarchive's writer and extracted with safe_extract_memory, the
// fuzz targets' entry point.
#include <archive.h>
#include <archive_entry.h>
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "env/safe_extract.hpp"
#include "pyro/error.hpp"
#include "archive_builder.hpp"
#include "test_support.hpp"

namespace pyro::detail {
namespace {

namespace fs = std::filesystem;

using Entry = test::ArchiveEntry;

std::string make_tar(const std::vector<Entry>& entries) {
  std::vector<char> buffer(16 << 20);
  size_t used = 0;
  archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  archive_write_set_bytes_in_last_block(a, 1);
  REQUIRE(archive_write_open_memory(a, buffer.data(), buffer.size(), &used) == ARCHIVE_OK);
  test::write_entries(a, entries);
  REQUIRE(archive_write_close(a) == ARCHIVE_OK);
  archive_write_free(a);
  return std::string(buffer.data(), used);
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A root inside a scratch directory, with a sentinel file next to it (outside).
struct Scratch {
  test::TestDir dir{"pyro-test-extract"};
  fs::path root = dir / "root";
  fs::path outside = dir / "outside";
  Scratch() {
    fs::create_directory(root);
    fs::create_directory(outside);
    std::ofstream(outside / "target") << "sentinel";
  }
};

Error extract_error(const std::string& tar, const fs::path& root, const SafeExtractOptions& options = {}) {
  try {
    safe_extract_memory(tar.data(), tar.size(), root.string(), options);
  } catch (const Error& e) {
    return e;
  }
  FAIL("the extraction did not fail");
  return Error(ErrorCode::kOk, "");
}

// Every node below `root` (lstat), as "rel:type".
std::vector<std::string> listing(const fs::path& root) {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    out.push_back(fs::relative(e.path(), root).string());
  }
  return out;
}

}  // namespace

TEST_CASE("safe extract: a plain archive, with a hard link to an earlier file") {
  Scratch s;
  const std::string tar = make_tar({{"d", 'd'}, {"d/f", 'f', "data"}, {"d/l", 'l', "f"}, {"h", 'h', "d/f"}});
  const ExtractStats stats = safe_extract_memory(tar.data(), tar.size(), s.root.string(), {});
  CHECK(stats.files == 2);
  CHECK(stats.dirs == 1);
  CHECK(stats.symlinks == 1);
  CHECK(stats.bytes == 4);
  CHECK(read_file(s.root / "h") == "data");
  CHECK(fs::read_symlink(s.root / "d/l") == "f");
}

TEST_CASE("safe extract: hostile archives change nothing outside the root") {
  Scratch s;
  const std::string outside_abs = (s.outside / "target").string();
  const std::vector<std::pair<const char*, std::vector<Entry>>> cases = {
      {"dotdot", {{"../outside/target", 'f', "evil"}}},
      {"inner dotdot", {{"a/../../outside/target", 'f', "evil"}}},
      {"absolute", {{outside_abs, 'f', "evil"}}},
      {"symlink then a file through it", {{"l", 'l', s.outside.string()}, {"l/target", 'f', "evil"}}},
      {"relative symlink then a file through it", {{"l", 'l', "../outside"}, {"l/target", 'f', "evil"}}},
      {"symlink to a file then the file", {{"t", 'l', outside_abs}, {"t", 'f', "replaced, not followed"}}},
      {"hard link outside", {{"h", 'h', "../outside/target"}}},
      {"hard link absolute", {{"h", 'h', outside_abs}}},
      {"hard link through a symlink", {{"l", 'l', s.outside.string()}, {"h", 'h', "l/target"}}},
      {"hard link to a directory", {{"d", 'd'}, {"h", 'h', "d"}}},
      {"hard link to nothing", {{"h", 'h', "missing"}}},
      {"character device", {{"null", 'c'}}},
      {"block device", {{"sda", 'b'}}},
      {"fifo", {{"pipe", 'p'}}},
      {"below a file", {{"f", 'f', "x"}, {"f/g", 'f', "y"}}},
  };
  for (const auto& [what, entries] : cases) {
    const std::string label = what;
    CAPTURE(label);
    Scratch t;
    // Entries naming the other scratch's outside are rewritten for this one.
    std::vector<Entry> mine = entries;
    for (Entry& e : mine) {
      for (std::string* field : {&e.path, &e.data}) {
        const size_t at = field->find(s.outside.string());
        if (at != std::string::npos) field->replace(at, s.outside.string().size(), t.outside.string());
      }
    }
    const std::string tar = make_tar(mine);
    if (label == "symlink to a file then the file") {
      // Not an error: the later entry replaces the symlink instead of writing through it.
      safe_extract_memory(tar.data(), tar.size(), t.root.string(), {});
      CHECK(read_file(t.root / "t") == "replaced, not followed");
    } else {
      const Error e = extract_error(tar, t.root);
      CHECK(e.code() == ErrorCode::kInvalidArgument);
      CHECK(std::string(e.what()).rfind("extract archive: ", 0) == 0);
    }
    CHECK(read_file(t.outside / "target") == "sentinel");
    CHECK(listing(t.outside) == std::vector<std::string>{"target"});
    for (const auto& entry : fs::recursive_directory_iterator(t.root)) {
      struct stat st {};
      REQUIRE(::lstat(entry.path().c_str(), &st) == 0);
      CHECK((S_ISREG(st.st_mode) || S_ISDIR(st.st_mode) || S_ISLNK(st.st_mode)));  // never a device or fifo
    }
  }
}

TEST_CASE("safe extract: special files can be skipped instead, never created") {
  Scratch s;
  SafeExtractOptions options;
  options.special_files = SpecialFiles::kSkip;
  const std::string tar = make_tar({{"null", 'c'}, {"sda", 'b'}, {"pipe", 'p'}, {"f", 'f', "ok"}});
  const ExtractStats stats = safe_extract_memory(tar.data(), tar.size(), s.root.string(), options);
  CHECK(stats.skipped_special == 3);
  CHECK(listing(s.root) == std::vector<std::string>{"f"});
}

TEST_CASE("safe extract: entry count and total size are bounded") {
  Scratch s;
  std::vector<Entry> many;
  for (int i = 0; i < 1000; ++i) many.push_back({"e" + std::to_string(i), 'f', ""});
  const std::string tar = make_tar(many);
  SafeExtractOptions options;
  options.limits.max_entries = 100;
  const Error e = extract_error(tar, s.root, options);
  CHECK(e.code() == ErrorCode::kResourceExhausted);
  CHECK(listing(s.root).size() == 100);  // it stopped at the limit

  Scratch big;
  const std::string large = make_tar({{"a", 'f', std::string(4096, 'x')}, {"b", 'f', std::string(4096, 'y')}});
  options.limits = {.max_bytes = 6000, .max_entries = 10};
  CHECK(extract_error(large, big.root, options).code() == ErrorCode::kResourceExhausted);
  CHECK_FALSE(fs::exists(big.root / "b"));  // refused before a byte of it is written
}

TEST_CASE("safe extract: garbage is refused, an empty archive is fine") {
  Scratch s;
  const std::string garbage = "this is not an archive at all, not even close";
  CHECK(extract_error(garbage, s.root).code() == ErrorCode::kInvalidArgument);
  const ExtractStats none = safe_extract_memory("", 0, s.root.string(), {});
  CHECK(none.files == 0);
}

}  // namespace pyro::detail
