#include "env/safe_extract.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string_view>

#include <fmt/format.h>

#include "env/archive_util.hpp"
#include "pyro/error.hpp"
#include "util/relative_path.hpp"

namespace pyro::detail {
namespace {

namespace fs = std::filesystem;

std::string parent_of(const std::string& rel) {
  const size_t slash = rel.rfind('/');
  return slash == std::string::npos ? std::string() : rel.substr(0, slash);
}

const char* type_name(mode_t type) {
  switch (type) {
    case AE_IFCHR: return "a character device";
    case AE_IFBLK: return "a block device";
    case AE_IFIFO: return "a fifo";
    case AE_IFSOCK: return "a socket";
    default: return "of an unknown type";
  }
}

// The first component of `rel_dir` below `root` that is a symlink, or "" when none
// is (a missing component ends the walk). With `remove_files`, a plain file on
// the way is removed.
std::string symlink_on_path(const std::string& root, const std::string& rel_dir, bool remove_files) {
  size_t pos = 0;
  while (pos < rel_dir.size()) {
    size_t slash = rel_dir.find('/', pos);
    if (slash == std::string::npos) slash = rel_dir.size();
    const std::string prefix = rel_dir.substr(0, slash);
    pos = slash + 1;
    struct stat st {};
    const std::string path = root + "/" + prefix;
    if (::lstat(path.c_str(), &st) != 0) return "";  // the rest does not exist yet
    if (S_ISLNK(st.st_mode)) return prefix;
    if (!S_ISDIR(st.st_mode)) {
      if (remove_files) ::unlink(path.c_str());
      return "";
    }
  }
  return "";
}

class Extractor {
 public:
  Extractor(const SafeExtractOptions& options, fs::path root) : options_(options), root_(std::move(root)) {}

  ExtractStats run(archive* reader) {
    ArchiveWriter writer(archive_write_disk_new());
    if (!writer) fail(ErrorCode::kInternal, "libarchive: out of memory");
    // No standard lookup: uid/gid numbers are kept as they are, never mapped
    // through the host's user database. Entry paths are made absolute below the
    // canonical root after our checks, so NOABSOLUTEPATHS cannot be used.
    int flags = ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT;
    if (options_.keep_modes) flags |= ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME;
    if (options_.keep_xattrs) flags |= ARCHIVE_EXTRACT_XATTR;
    if (options_.keep_owner && ::geteuid() == 0) flags |= ARCHIVE_EXTRACT_OWNER;
    archive_write_disk_set_options(writer.get(), flags);

    archive_entry* entry = nullptr;
    for (;;) {
      const int r = archive_read_next_header(reader, &entry);
      if (r == ARCHIVE_EOF) break;
      if (r < ARCHIVE_WARN) fail(ErrorCode::kInvalidArgument, fmt::format("read: {}", archive_message(reader)));
      apply_entry(reader, writer.get(), entry);
    }
    // Directory modes and times are set here, after their contents.
    if (archive_write_close(writer.get()) != ARCHIVE_OK) {
      fail(code_for_errno(archive_errno(writer.get())), fmt::format("finish: {}", archive_message(writer.get())));
    }
    return stats_;
  }

  [[noreturn]] void fail(ErrorCode code, const std::string& cause) const {
    throw Error(code, fmt::format("{}: {}", options_.error_prefix, cause));
  }

 private:
  void apply_entry(archive* reader, archive* writer, archive_entry* entry) {
    const char* raw = archive_entry_pathname(entry);
    if (raw == nullptr) raw = archive_entry_pathname_utf8(entry);
    if (raw == nullptr) fail(ErrorCode::kInvalidArgument, "an entry has an unreadable name");
    const std::string name = raw;
    const auto rel = normalize_relative_path(name);
    if (!rel) fail(ErrorCode::kInvalidArgument, fmt::format("entry `{}` escapes the root (absolute or `..`)", name));
    if (rel->empty()) return;  // the root itself: keep the caller's directory
    if (++entries_ > options_.limits.max_entries) {
      fail(ErrorCode::kResourceExhausted, fmt::format("more than {} entries (at `{}`)", options_.limits.max_entries, name));
    }

    check_parents(parent_of(*rel), name, false);
    if (options_.intercept && options_.intercept(*rel, name, extracted_)) return;

    const char* link = archive_entry_hardlink(entry);
    const mode_t type = archive_entry_filetype(entry);
    if (link == nullptr && type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK) {
      // Never on the host: a device node would open host devices to whoever can
      // reach the tree, and a guest gets its /dev from devtmpfs anyway.
      if (options_.special_files == SpecialFiles::kRefuse) {
        fail(ErrorCode::kInvalidArgument, fmt::format("entry `{}` is {}", name, type_name(type)));
      }
      ++stats_.skipped_special;
      return;
    }
    if (options_.replace_files_on_path) check_parents(parent_of(*rel), name, true);

    std::string link_abs;
    if (link != nullptr) link_abs = check_hardlink(*rel, link, name);
    replace_existing(*rel, name, link == nullptr && type == AE_IFDIR);

    const bool regular = link == nullptr && type == AE_IFREG;
    uint64_t declared = 0;
    if (regular && archive_entry_size_is_set(entry)) {
      declared = static_cast<uint64_t>(std::max<int64_t>(0, archive_entry_size(entry)));
      add_bytes(declared, name);
    }
    const std::string abs = (root_ / *rel).string();
    archive_entry_set_pathname(entry, abs.c_str());
    if (link != nullptr) archive_entry_set_hardlink(entry, link_abs.c_str());
    check_write(writer, archive_write_header(writer, entry), name);
    copy_data(reader, writer, name, declared);
    check_write(writer, archive_write_finish_entry(writer), name);
    extracted_.insert(*rel);

    if (link != nullptr || type == AE_IFREG) {
      ++stats_.files;
    } else if (type == AE_IFDIR) {
      ++stats_.dirs;
    } else {
      ++stats_.symlinks;
    }
  }

  void add_bytes(uint64_t bytes, const std::string& name) {
    stats_.bytes += bytes;
    if (stats_.bytes > options_.limits.max_bytes) {
      fail(ErrorCode::kResourceExhausted,
           fmt::format("more than {} bytes of files (at `{}`)", options_.limits.max_bytes, name));
    }
  }

  // No parent of an entry may be a symlink (writing there would land wherever it
  // points) nor, unless replace_files_on_path, a plain file.
  void check_parents(const std::string& rel_dir, const std::string& name, bool remove_files) {
    std::string prefix;
    size_t pos = 0;
    while (pos < rel_dir.size()) {
      size_t slash = rel_dir.find('/', pos);
      if (slash == std::string::npos) slash = rel_dir.size();
      prefix = rel_dir.substr(0, slash);
      pos = slash + 1;
      struct stat st {};
      if (::lstat((root_ / prefix).c_str(), &st) != 0) return;  // the rest does not exist yet
      if (S_ISLNK(st.st_mode)) {
        fail(ErrorCode::kInvalidArgument, fmt::format("entry `{}` goes through the symlink `{}`", name, prefix));
      }
      if (S_ISDIR(st.st_mode)) continue;
      if (!options_.replace_files_on_path) {
        fail(ErrorCode::kInvalidArgument, fmt::format("entry `{}` is below the non-directory `{}`", name, prefix));
      }
      if (remove_files && ::unlink((root_ / prefix).c_str()) != 0) {
        fail(code_for_errno(errno), fmt::format("replace `{}`: {}", prefix, std::strerror(errno)));
      }
      return;
    }
  }

  // A hard link must name an existing regular file inside the root (an earlier
  // entry, or a lower layer's file), reached without symlinks.
  std::string check_hardlink(const std::string& rel, const char* link, const std::string& name) {
    const auto target = normalize_relative_path(link);
    if (!target || target->empty()) {
      fail(ErrorCode::kInvalidArgument, fmt::format("hard link `{}` -> `{}` escapes the root", name, link));
    }
    if (*target == rel) fail(ErrorCode::kInvalidArgument, fmt::format("hard link `{}` points to itself", name));
    const std::string via = symlink_on_path(root_.string(), parent_of(*target), false);
    if (!via.empty()) {
      fail(ErrorCode::kInvalidArgument,
           fmt::format("hard link `{}` -> `{}` goes through the symlink `{}`", name, link, via));
    }
    struct stat st {};
    if (::lstat((root_ / *target).c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
      fail(ErrorCode::kInvalidArgument,
           fmt::format("hard link `{}` -> `{}`: the target is not an extracted regular file", name, link));
    }
    return (root_ / *target).string();
  }

  // A later entry of the same name wins: a directory stays a directory (and is
  // merged); anything else in the way is removed first, so that nothing is
  // written through an old symlink or into a file shared by an old hard link.
  void replace_existing(const std::string& rel, const std::string& name, bool is_dir) {
    const fs::path path = root_ / rel;
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) return;
    if (is_dir && S_ISDIR(st.st_mode)) return;
    std::error_code ec;
    fs::remove_all(path, ec);  // never follows a symlink
    if (ec) fail(code_for_errno(ec.value()), fmt::format("replace `{}`: {}", name, ec.message()));
  }

  void copy_data(archive* reader, archive* writer, const std::string& name, uint64_t declared) {
    const void* buf = nullptr;
    size_t len = 0;
    la_int64_t offset = 0;
    uint64_t seen = 0;
    for (;;) {
      const int r = archive_read_data_block(reader, &buf, &len, &offset);
      if (r == ARCHIVE_EOF) return;
      if (r < ARCHIVE_WARN) fail(ErrorCode::kInvalidArgument, fmt::format("entry `{}`: read: {}", name, archive_message(reader)));
      // Bytes beyond the declared size (a streamed zip entry declares none) count as they come.
      const uint64_t before = seen;
      seen += len;
      if (seen > declared) add_bytes(seen - std::max(before, declared), name);
      // A failed write(2) (ENOSPC) comes back as ARCHIVE_WARN: anything but OK is fatal.
      if (archive_write_data_block(writer, buf, len, offset) != ARCHIVE_OK) {
        fail(code_for_errno(archive_errno(writer)), fmt::format("entry `{}`: write: {}", name, archive_message(writer)));
      }
    }
  }

  // Warnings (a time, an owner or an xattr it could not set) are counted; failures stop.
  void check_write(archive* writer, int r, const std::string& name) {
    if (r == ARCHIVE_OK) return;
    if (r == ARCHIVE_WARN) {
      if (stats_.warnings++ == 0) stats_.first_warning = fmt::format("`{}`: {}", name, archive_message(writer));
      return;
    }
    fail(code_for_errno(archive_errno(writer)), fmt::format("entry `{}`: {}", name, archive_message(writer)));
  }

  const SafeExtractOptions& options_;
  const fs::path root_;
  ExtractStats stats_;
  uint64_t entries_ = 0;
  std::unordered_set<std::string> extracted_;
};

ArchiveReader new_reader(const SafeExtractOptions& options) {
  ArchiveReader reader(archive_read_new());
  if (!reader) throw Error(ErrorCode::kInternal, fmt::format("{}: libarchive: out of memory", options.error_prefix));
  // Built-in decoders only: filter_all would also run external programs (lrzip,
  // lzop, grzip...) on matching magic bytes of an archive nobody vouches for.
  for (auto add : {archive_read_support_filter_gzip, archive_read_support_filter_bzip2,
                   archive_read_support_filter_xz, archive_read_support_filter_zstd,
                   archive_read_support_filter_lz4, archive_read_support_filter_compress}) {
    add(reader.get());
  }
  archive_read_support_format_tar(reader.get());  // ustar, pax, gnutar
  archive_read_support_format_empty(reader.get());
  if (options.allow_zip) archive_read_support_format_zip(reader.get());
  return reader;
}

fs::path canonical_root(const std::string& root_dir, const SafeExtractOptions& options) {
  // Canonical, so that libarchive's symlink check never trips over the path above the root.
  std::error_code ec;
  fs::path root = fs::canonical(root_dir, ec);
  if (ec || !fs::is_directory(root, ec)) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("{}: destination `{}` is not a directory", options.error_prefix, root_dir));
  }
  return root;
}

[[noreturn]] void fail_open(archive* reader, const SafeExtractOptions& options) {
  throw Error(ErrorCode::kInvalidArgument,
              fmt::format("{}: not a {}archive: {}", options.error_prefix, options.allow_zip ? "tar or zip " : "tar ",
                          archive_message(reader)));
}

}  // namespace

ExtractStats safe_extract_file(const std::string& archive_path, const std::string& root_dir,
                               const SafeExtractOptions& options) {
  const fs::path root = canonical_root(root_dir, options);
  ArchiveReader reader = new_reader(options);
  if (archive_read_open_filename(reader.get(), archive_path.c_str(), 1 << 16) != ARCHIVE_OK) {
    fail_open(reader.get(), options);
  }
  return Extractor(options, root).run(reader.get());
}

ExtractStats safe_extract_memory(const void* data, size_t size, const std::string& root_dir,
                                 const SafeExtractOptions& options) {
  const fs::path root = canonical_root(root_dir, options);
  ArchiveReader reader = new_reader(options);
  if (archive_read_open_memory(reader.get(), data, size) != ARCHIVE_OK) fail_open(reader.get(), options);
  return Extractor(options, root).run(reader.get());
}

}  // namespace pyro::detail
