#include "workspace/export_writer.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "pyro/error.hpp"
#include "workspace/guest_reply.hpp"

namespace pyro::detail {
namespace {

constexpr int kDirFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
constexpr int kFileFlags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;

}  // namespace

ExportWriter::ExportWriter(const std::string& staging, std::string name)
    : staging_(::open(staging.c_str(), kDirFlags)), name_(std::move(name)) {
  if (!staging_) fail("open", staging, errno);
}

void ExportWriter::fail(const char* op, const std::string& rel, int err) {
  throw Error(err == ENOSPC || err == EDQUOT ? ErrorCode::kResourceExhausted : ErrorCode::kInternal,
              fmt::format("{} `{}`: {}", op, rel, std::strerror(err)));
}

void ExportWriter::make_root_directory() {
  if (::mkdirat(staging_.get(), name_.c_str(), 0755) != 0) fail("create", name_, errno);
}

UniqueFd ExportWriter::create_root_file() {
  UniqueFd fd(::openat(staging_.get(), name_.c_str(), kFileFlags, 0600));
  if (!fd) fail("create", name_, errno);
  return fd;
}

UniqueFd ExportWriter::open_parent(const std::string& rel, std::string& leaf) {
  check_reply_path(rel, "export");  // the listing was checked; this writer relies on it
  UniqueFd dir(::openat(staging_.get(), name_.c_str(), kDirFlags));
  if (!dir) fail("open", name_, errno);
  size_t start = 0;
  for (size_t slash = rel.find('/'); slash != std::string::npos; slash = rel.find('/', start)) {
    const std::string part = rel.substr(start, slash - start);
    UniqueFd next(::openat(dir.get(), part.c_str(), kDirFlags));
    // ELOOP/ENOTDIR: a component is a symlink or a file here; never followed.
    if (!next) fail("open", rel.substr(0, slash), errno);
    dir = std::move(next);
    start = slash + 1;
  }
  leaf = rel.substr(start);
  return dir;
}

void ExportWriter::make_directory(const std::string& rel) {
  std::string leaf;
  UniqueFd parent = open_parent(rel, leaf);
  if (::mkdirat(parent.get(), leaf.c_str(), 0755) != 0) fail("create", rel, errno);
}

UniqueFd ExportWriter::create_file(const std::string& rel) {
  std::string leaf;
  UniqueFd parent = open_parent(rel, leaf);
  UniqueFd fd(::openat(parent.get(), leaf.c_str(), kFileFlags, 0600));
  if (!fd) fail("create", rel, errno);
  return fd;
}

void ExportWriter::make_symlink(const std::string& rel, const std::string& target) {
  std::string leaf;
  UniqueFd parent = open_parent(rel, leaf);
  if (::symlinkat(target.c_str(), parent.get(), leaf.c_str()) != 0) fail("create symlink", rel, errno);
}

void ExportWriter::finish_file(int fd, uint32_t mode, const std::string& rel) {
  if (::fchmod(fd, mode & 0777) != 0) fail("chmod", rel, errno);
}

}  // namespace pyro::detail
