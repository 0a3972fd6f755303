#include "util/sparse_copy.hpp"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <random>
#include <vector>

#include <fmt/format.h>

#include "pyro/error.hpp"
#include "util/unique_fd.hpp"

namespace pyro::detail {
namespace {

[[noreturn]] void fail(const std::string& action, const std::string& path, int err) {
  const ErrorCode code = err == ENOSPC || err == EDQUOT ? ErrorCode::kResourceExhausted : ErrorCode::kInternal;
  throw Error(code, fmt::format("copy file: {} `{}`: {}", action, path, std::strerror(err)));
}

// pread/pwrite for when copy_file_range cannot be used (old kernels, some file systems).
void copy_range_plain(int in, int out, off_t offset, off_t end, const std::string& from, const std::string& to) {
  std::vector<char> buf(1 << 20);
  while (offset < end) {
    const size_t want = static_cast<size_t>(std::min<off_t>(end - offset, static_cast<off_t>(buf.size())));
    const ssize_t n = ::pread(in, buf.data(), want, offset);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("read", from, errno);
    }
    if (n == 0) return;  // the file shrank meanwhile; ftruncate fixes the size
    for (ssize_t done = 0; done < n;) {
      const ssize_t w = ::pwrite(out, buf.data() + done, static_cast<size_t>(n - done), offset + done);
      if (w < 0) {
        if (errno == EINTR) continue;
        fail("write", to, errno);
      }
      done += w;
    }
    offset += n;
  }
}

void copy_range(int in, int out, off_t offset, off_t end, const std::string& from, const std::string& to) {
  while (offset < end) {
    off_t in_off = offset;
    off_t out_off = offset;
    const ssize_t n = ::copy_file_range(in, &in_off, out, &out_off, static_cast<size_t>(end - offset), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP || errno == EBADF) {
        copy_range_plain(in, out, offset, end, from, to);
        return;
      }
      fail("copy data to", to, errno);
    }
    if (n == 0) return;
    offset += n;
  }
}

std::string random_suffix() {
  std::random_device rd;
  return fmt::format("{:08x}{:08x}", rd(), rd());
}

}  // namespace

void copy_fd_sparse(int in, int out, uint64_t size, const std::string& from, const std::string& to) {
  const off_t end = static_cast<off_t>(size);
  off_t offset = 0;
  while (offset < end) {
    off_t data = ::lseek(in, offset, SEEK_DATA);
    if (data < 0) {
      if (errno == ENXIO) break;  // only a hole is left
      if (errno != EINVAL && errno != EOPNOTSUPP) fail("seek in", from, errno);
      copy_range(in, out, offset, end, from, to);  // no hole support: copy everything
      break;
    }
    off_t hole = ::lseek(in, data, SEEK_HOLE);
    if (hole < 0) fail("seek in", from, errno);
    hole = std::min(hole, end);
    if (data >= hole) break;
    copy_range(in, out, data, hole, from, to);
    offset = hole;
  }
  if (::ftruncate(out, end) != 0) fail("set the size of", to, errno);
}

void copy_file_sparse(const std::string& from, const std::string& to) {
  UniqueFd in(::open(from.c_str(), O_RDONLY | O_CLOEXEC));
  if (!in) {
    if (errno == ENOENT) throw Error(ErrorCode::kNotFound, fmt::format("copy file `{}`: not found", from));
    fail("open", from, errno);
  }
  struct stat st {};
  if (::fstat(in.get(), &st) != 0) fail("stat", from, errno);
  if (!S_ISREG(st.st_mode)) {
    throw Error(ErrorCode::kInternal, fmt::format("copy file `{}`: not a regular file", from));
  }

  const std::string tmp = to + ".tmp-" + random_suffix();
  UniqueFd out(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, st.st_mode & 0777));
  if (!out) fail("create", tmp, errno);
  try {
    if (::ioctl(out.get(), FICLONE, in.get()) != 0) {
      copy_fd_sparse(in.get(), out.get(), static_cast<uint64_t>(st.st_size), from, tmp);
    }
    if (::fchmod(out.get(), st.st_mode & 07777) != 0) fail("set the mode of", tmp, errno);
    if (::fsync(out.get()) != 0) fail("sync", tmp, errno);
    const int out_fd = out.release();
    if (::close(out_fd) != 0) fail("close", tmp, errno);
    if (::rename(tmp.c_str(), to.c_str()) != 0) fail("rename to", to, errno);
  } catch (...) {
    out.reset();
    ::unlink(tmp.c_str());
    throw;
  }
  // Make the rename itself durable.
  const auto slash = to.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : to.substr(0, slash));
  UniqueFd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir_fd) ::fsync(dir_fd.get());
}

}  // namespace pyro::detail
