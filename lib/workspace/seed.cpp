#include "workspace/seed.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "env/archive_util.hpp"
#include "pyro/error.hpp"
#include "util/relative_path.hpp"
#include "util/sparse_copy.hpp"
#include "util/unique_fd.hpp"

namespace pyro::detail {
namespace {

namespace fs = std::filesystem;


// Failures all read "materialize seed `<seed>`: <cause>".
class Context {
 public:
  explicit Context(std::string seed) : seed_(std::move(seed)) {}
  [[noreturn]] void fail(ErrorCode code, const std::string& cause) const {
    throw Error(code, fmt::format("materialize seed `{}`: {}", seed_, cause));
  }
  [[noreturn]] void fail_errno(const std::string& action, const std::string& path, int err) const {
    fail(code_for_errno(err), fmt::format("{} `{}`: {}", action, path, std::strerror(err)));
  }

 private:
  std::string seed_;
};

// Counts against the limits before anything is written.
class Budget {
 public:
  Budget(const Context& ctx, const SeedLimits& limits) : ctx_(ctx), limits_(limits) {}
  void add_entry(const std::string& name) {
    if (++entries_ > limits_.max_entries) {
      ctx_.fail(ErrorCode::kResourceExhausted,
                fmt::format("more than {} entries (at `{}`)", limits_.max_entries, name));
    }
  }
  void add_bytes(uint64_t bytes, const std::string& name) {
    stats.bytes += bytes;
    if (stats.bytes > limits_.max_bytes) {
      ctx_.fail(ErrorCode::kResourceExhausted,
                fmt::format("more than {} bytes of files (at `{}`)", limits_.max_bytes, name));
    }
  }
  SeedStats stats;

 private:
  const Context& ctx_;
  const SeedLimits& limits_;
  uint64_t entries_ = 0;
};

// ---- a host directory ----

struct PendingDir {
  fs::path path;
  mode_t mode;
  struct timespec mtime;
};

class DirCopier {
 public:
  DirCopier(const Context& ctx, Budget& budget) : ctx_(ctx), budget_(budget) {}

  void run(const fs::path& from, const fs::path& to) {
    copy_children(from, to, "");
    // Modes and times of directories last: a read-only directory is filled first,
    // and filling a directory changes its mtime. Deepest first.
    for (auto it = dirs_.rbegin(); it != dirs_.rend(); ++it) {
      if (::chmod(it->path.c_str(), it->mode) != 0) ctx_.fail_errno("set the mode of", it->path, errno);
      const struct timespec times[2] = {{0, UTIME_OMIT}, it->mtime};
      ::utimensat(AT_FDCWD, it->path.c_str(), times, AT_SYMLINK_NOFOLLOW);
    }
  }

 private:
  void copy_children(const fs::path& from, const fs::path& to, const std::string& rel_dir) {
    std::error_code ec;
    std::vector<std::string> names;
    for (fs::directory_iterator it(from, ec), end; !ec && it != end; it.increment(ec)) {
      names.push_back(it->path().filename().string());
    }
    if (ec) ctx_.fail(code_for_errno(ec.value()), fmt::format("read directory `{}`: {}", from.string(), ec.message()));
    for (const std::string& name : names) {
      const std::string rel = rel_dir.empty() ? name : rel_dir + "/" + name;
      copy_entry(from / name, to / name, rel);
    }
  }

  void copy_entry(const fs::path& src, const fs::path& dst, const std::string& rel) {
    struct stat st {};
    if (::lstat(src.c_str(), &st) != 0) ctx_.fail_errno("stat", src, errno);
    if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode) && !S_ISLNK(st.st_mode)) {
      ctx_.fail(ErrorCode::kInvalidArgument, fmt::format("`{}` is a special file (device, fifo or socket)", rel));
    }
    budget_.add_entry(rel);
    const struct timespec times[2] = {{0, UTIME_OMIT}, st.st_mtim};
    if (S_ISDIR(st.st_mode)) {
      if (::mkdir(dst.c_str(), 0700) != 0) ctx_.fail_errno("create directory", dst, errno);
      ++budget_.stats.dirs;
      dirs_.push_back({dst, static_cast<mode_t>(st.st_mode & 07777), st.st_mtim});
      copy_children(src, dst, rel);
    } else if (S_ISLNK(st.st_mode)) {
      std::error_code ec;
      const fs::path target = fs::read_symlink(src, ec);
      if (ec) ctx_.fail(code_for_errno(ec.value()), fmt::format("read link `{}`: {}", src.string(), ec.message()));
      if (::symlink(target.c_str(), dst.c_str()) != 0) ctx_.fail_errno("create symlink", dst, errno);
      ::utimensat(AT_FDCWD, dst.c_str(), times, AT_SYMLINK_NOFOLLOW);
      ++budget_.stats.symlinks;
    } else {
      budget_.add_bytes(static_cast<uint64_t>(st.st_size), rel);
      copy_file(src, dst, st);
      ++budget_.stats.files;
    }
  }

  void copy_file(const fs::path& src, const fs::path& dst, const struct stat& st) {
    UniqueFd in(::open(src.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!in) ctx_.fail_errno("open", src, errno);
    UniqueFd out(::open(dst.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!out) ctx_.fail_errno("create", dst, errno);
    copy_fd_sparse(in.get(), out.get(), static_cast<uint64_t>(st.st_size), src.string(), dst.string());
    if (::fchmod(out.get(), st.st_mode & 07777) != 0) ctx_.fail_errno("set the mode of", dst, errno);
    const struct timespec times[2] = {{0, UTIME_OMIT}, st.st_mtim};
    ::futimens(out.get(), times);
  }

  const Context& ctx_;
  Budget& budget_;
  std::vector<PendingDir> dirs_;
};

// ---- an archive ----

class ArchiveExtractor {
 public:
  ArchiveExtractor(const Context& ctx, Budget& budget, fs::path root)
      : ctx_(ctx), budget_(budget), root_(std::move(root)) {}

  void run(const std::string& archive_path) {
    ArchiveReader reader(archive_read_new());
    ArchiveWriter writer(archive_write_disk_new());
    if (!reader || !writer) ctx_.fail(ErrorCode::kInternal, "libarchive: out of memory");
    archive_read_support_filter_all(reader.get());
    archive_read_support_format_tar(reader.get());  // ustar, pax, gnutar
    archive_read_support_format_zip(reader.get());
    if (archive_read_open_filename(reader.get(), archive_path.c_str(), 1 << 16) != ARCHIVE_OK) {
      ctx_.fail(ErrorCode::kInvalidArgument,
                fmt::format("not a directory nor a tar or zip archive: {}", archive_message(reader.get())));
    }
    // Our checks run first; libarchive's secure flags are a second line (entry
    // paths are made absolute below the canonical root, so no NOABSOLUTEPATHS).
    archive_write_disk_set_options(writer.get(), ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME |
                                                     ARCHIVE_EXTRACT_SECURE_SYMLINKS |
                                                     ARCHIVE_EXTRACT_SECURE_NODOTDOT);
    archive_entry* entry = nullptr;
    for (;;) {
      const int r = archive_read_next_header(reader.get(), &entry);
      if (r == ARCHIVE_EOF) break;
      if (r < ARCHIVE_WARN) {
        ctx_.fail(ErrorCode::kInvalidArgument, fmt::format("read archive: {}", archive_message(reader.get())));
      }
      apply_entry(reader.get(), writer.get(), entry);
    }
    if (archive_write_close(writer.get()) != ARCHIVE_OK) {
      ctx_.fail(code_for_errno(archive_errno(writer.get())), fmt::format("finish: {}", archive_message(writer.get())));
    }
  }

 private:
  void apply_entry(archive* reader, archive* writer, archive_entry* entry) {
    const char* raw = archive_entry_pathname(entry);
    if (raw == nullptr) raw = archive_entry_pathname_utf8(entry);
    if (raw == nullptr) ctx_.fail(ErrorCode::kInvalidArgument, "an archive entry has an unreadable name");
    const std::string name = raw;
    const auto rel = normalize_relative_path(name);
    if (!rel) {
      ctx_.fail(ErrorCode::kInvalidArgument,
                fmt::format("entry `{}` is absolute or has a `..` component", name));
    }
    if (rel->empty()) return;  // the root itself: keep dest_dir as it is

    const char* link = archive_entry_hardlink(entry);
    const mode_t type = archive_entry_filetype(entry);
    if (link == nullptr && type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK) {
      ctx_.fail(ErrorCode::kInvalidArgument, fmt::format("entry `{}` is a device, fifo or socket", name));
    }
    check_no_symlink_parent(*rel, name);
    budget_.add_entry(name);

    std::string link_abs;
    if (link != nullptr) link_abs = check_hardlink(*rel, link, name);

    // A later entry of the same name replaces an earlier one, except that
    // directories merge; a symlink in the way is removed, never written through.
    const fs::path abs = root_ / *rel;
    struct stat st {};
    if (::lstat(abs.c_str(), &st) == 0 && !(S_ISDIR(st.st_mode) && link == nullptr && type == AE_IFDIR)) {
      std::error_code ec;
      fs::remove_all(abs, ec);
      if (ec) ctx_.fail(code_for_errno(ec.value()), fmt::format("replace `{}`: {}", name, ec.message()));
    }

    const bool regular = link == nullptr && type == AE_IFREG;
    if (regular && archive_entry_size_is_set(entry)) {
      budget_.add_bytes(static_cast<uint64_t>(std::max<int64_t>(0, archive_entry_size(entry))), name);
    }
    archive_entry_set_pathname(entry, abs.c_str());
    if (link != nullptr) archive_entry_set_hardlink(entry, link_abs.c_str());
    check_write(writer, archive_write_header(writer, entry), name);
    if (link == nullptr && type == AE_IFREG) copy_data(reader, writer, name, !archive_entry_size_is_set(entry));
    check_write(writer, archive_write_finish_entry(writer), name);

    if (link != nullptr || type == AE_IFREG) {
      ++budget_.stats.files;
    } else if (type == AE_IFDIR) {
      ++budget_.stats.dirs;
    } else {
      ++budget_.stats.symlinks;
    }
  }

  // Refuses an entry whose parent directories include a symlink (an earlier
  // entry), as writing there would land wherever the link points.
  void check_no_symlink_parent(const std::string& rel, const std::string& name) {
    size_t slash = rel.find('/');
    while (slash != std::string::npos) {
      const std::string prefix = rel.substr(0, slash);
      struct stat st {};
      if (::lstat((root_ / prefix).c_str(), &st) != 0) return;  // the rest does not exist yet
      if (S_ISLNK(st.st_mode)) {
        ctx_.fail(ErrorCode::kInvalidArgument, fmt::format("entry `{}` goes through the symlink `{}`", name, prefix));
      }
      if (!S_ISDIR(st.st_mode)) {
        ctx_.fail(ErrorCode::kInvalidArgument, fmt::format("entry `{}` is below the non-directory `{}`", name, prefix));
      }
      slash = rel.find('/', slash + 1);
    }
  }

  // A hard link must name an earlier regular file of the archive, inside the
  // tree and not reached through a symlink.
  std::string check_hardlink(const std::string& rel, const char* link, const std::string& name) {
    const auto target = normalize_relative_path(link);
    if (!target || target->empty()) {
      ctx_.fail(ErrorCode::kInvalidArgument, fmt::format("hard link `{}` -> `{}` leaves the tree", name, link));
    }
    if (*target == rel) ctx_.fail(ErrorCode::kInvalidArgument, fmt::format("hard link `{}` points to itself", name));
    check_no_symlink_parent(*target, name);
    struct stat st {};
    if (::lstat((root_ / *target).c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
      ctx_.fail(ErrorCode::kInvalidArgument,
                fmt::format("hard link `{}` -> `{}`: the target is not an earlier file of the archive", name, link));
    }
    return (root_ / *target).string();
  }

  void copy_data(archive* reader, archive* writer, const std::string& name, bool count_bytes) {
    const void* buf = nullptr;
    size_t len = 0;
    la_int64_t offset = 0;
    for (;;) {
      const int r = archive_read_data_block(reader, &buf, &len, &offset);
      if (r == ARCHIVE_EOF) return;
      if (r < ARCHIVE_WARN) {
        ctx_.fail(ErrorCode::kInvalidArgument, fmt::format("entry `{}`: read: {}", name, archive_message(reader)));
      }
      // Entries without a declared size (streamed zip) are counted as they come.
      if (count_bytes) budget_.add_bytes(len, name);
      if (archive_write_data_block(writer, buf, len, offset) != ARCHIVE_OK) {
        ctx_.fail(code_for_errno(archive_errno(writer)),
                  fmt::format("entry `{}`: write: {}", name, archive_message(writer)));
      }
    }
  }

  void check_write(archive* writer, int r, const std::string& name) {
    if (r == ARCHIVE_OK || r == ARCHIVE_WARN) return;  // WARN: a time or mode it could not set
    ctx_.fail(code_for_errno(archive_errno(writer)), fmt::format("entry `{}`: {}", name, archive_message(writer)));
  }

  const Context& ctx_;
  Budget& budget_;
  fs::path root_;
};

void empty_directory(const fs::path& dir) {
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code ignored;
    fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add | fs::perm_options::nofollow, ignored);
    fs::remove_all(it->path(), ignored);
  }
}

}  // namespace

SeedStats materialize_seed(const std::string& seed_path, const std::string& dest_dir, const SeedLimits& limits) {
  const Context ctx(seed_path);
  struct stat st {};
  if (seed_path.empty() || ::stat(seed_path.c_str(), &st) != 0) ctx.fail(ErrorCode::kNotFound, "no such file or directory");
  std::error_code ec;
  if (!fs::is_directory(dest_dir, ec) || !fs::is_empty(dest_dir, ec)) {
    ctx.fail(ErrorCode::kInvalidArgument, fmt::format("destination `{}` is not an empty directory", dest_dir));
  }
  // Canonical, so that libarchive's symlink check never trips over the path above the root.
  const fs::path root = fs::canonical(dest_dir);
  Budget budget(ctx, limits);
  try {
    if (S_ISDIR(st.st_mode)) {
      const fs::path source = fs::canonical(seed_path);
      const auto [src_end, _] = std::mismatch(source.begin(), source.end(), root.begin(), root.end());
      if (src_end == source.end()) ctx.fail(ErrorCode::kInvalidArgument, "the destination is inside the seed directory");
      DirCopier(ctx, budget).run(source, root);
    } else if (S_ISREG(st.st_mode)) {
      ArchiveExtractor(ctx, budget, root).run(seed_path);
    } else {
      ctx.fail(ErrorCode::kInvalidArgument, "not a directory nor an archive file");
    }
  } catch (...) {
    empty_directory(root);
    throw;
  }
  return budget.stats;
}

}  // namespace pyro::detail
