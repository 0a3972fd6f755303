// copy_file_sparse (lib/util/sparse_copy): content kept, holes kept, atomic replace.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "pyro/error.hpp"
#include "util/sparse_copy.hpp"
#include "test_support.hpp"

namespace pyro::detail {
namespace {
namespace fs = std::filesystem;

// Under $TMPDIR rather than a fixed /tmp, which may be a tmpfs where FICLONE and holes differ from disks.
struct TestDir : test::TestDir {
  TestDir() : test::TestDir("pyro-test-sparse") {}
};

std::string read_range(const fs::path& path, off_t offset, size_t len) {
  std::string out(len, '\0');
  const int fd = ::open(path.c_str(), O_RDONLY);
  REQUIRE(fd >= 0);
  REQUIRE(::pread(fd, out.data(), len, offset) == static_cast<ssize_t>(len));
  ::close(fd);
  return out;
}
}  // namespace

TEST_CASE("copy_file_sparse: a 64 MiB file with 4 KiB of data stays sparse") {
  TestDir t;
  constexpr off_t kSize = 64 << 20;
  constexpr off_t kDataAt = 20 << 20;
  const std::string data(4096, 'z');
  {
    const int fd = ::open((t / "big").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0640);
    REQUIRE(fd >= 0);
    REQUIRE(::pwrite(fd, data.data(), data.size(), kDataAt) == 4096);
    REQUIRE(::ftruncate(fd, kSize) == 0);
    ::close(fd);
  }
  struct stat src {};
  REQUIRE(::stat((t / "big").c_str(), &src) == 0);
  if (static_cast<off_t>(src.st_blocks) * 512 >= kSize / 2) {
    MESSAGE("the temporary directory's file system does not keep holes; skipping the sparseness check");
  }

  std::ofstream(t / "copy") << "old content";
  copy_file_sparse((t / "big").string(), (t / "copy").string());

  struct stat st {};
  REQUIRE(::stat((t / "copy").c_str(), &st) == 0);
  CHECK(st.st_size == kSize);
  CHECK((st.st_mode & 07777) == 0640);
  if (static_cast<off_t>(src.st_blocks) * 512 < kSize / 2) {
    CHECK(static_cast<off_t>(st.st_blocks) * 512 <= 1 << 20);
  }
  CHECK(read_range(t / "copy", kDataAt, 4096) == data);
  CHECK(read_range(t / "copy", 0, 4096) == std::string(4096, '\0'));
  CHECK(read_range(t / "copy", kSize - 4096, 4096) == std::string(4096, '\0'));
  // No temporary file is left next to it.
  size_t files = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(t.path())) ++files;
  CHECK(files == 2);
}

TEST_CASE("copy_file_sparse: a file ending in data, and an empty file") {
  TestDir t;
  std::ofstream(t / "small") << "abc";
  copy_file_sparse((t / "small").string(), (t / "small.copy").string());
  CHECK(read_range(t / "small.copy", 0, 3) == "abc");
  std::ofstream(t / "empty") << "";
  copy_file_sparse((t / "empty").string(), (t / "empty.copy").string());
  CHECK(fs::file_size(t / "empty.copy") == 0);
}

TEST_CASE("copy_file_sparse: errors") {
  TestDir t;
  try {
    copy_file_sparse((t / "missing").string(), (t / "x").string());
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::kNotFound);
  }
  std::ofstream(t / "src") << "abc";
  try {
    copy_file_sparse((t / "src").string(), (t / "no-such-dir/x").string());
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::kInternal);
  }
}

}  // namespace pyro::detail
