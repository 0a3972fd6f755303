#include "workspace/seed.hpp"

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
#include <unordered_set>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "env/archive_util.hpp"
#include "env/safe_extract.hpp"
#include "pyro/error.hpp"
#include "util/progress.hpp"
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

// Stage "copy seed", throttled: an event when another percent is done (or, with
// no total, another 1000 units), so a seed of many small files costs a caller
// about a hundred calls, not one per file.
class SeedProgress {
 public:
  SeedProgress(const ProgressHandler& handler, uint64_t total, std::string_view unit)
      : handler_(handler), total_(total), unit_(unit) {}
  void start(std::string_view message) { report_progress(handler_, kStage, message, 0, total_, unit_); }
  void add(uint64_t units, std::string_view name) {
    done_ += units;
    total_ = total_ == 0 ? 0 : std::max(total_, done_);  // a file grown since it was measured
    const uint64_t step = total_ == 0 ? done_ / 1000 : done_ * 100 / total_;
    if (step > last_step_) {
      last_step_ = step;
      report_progress(handler_, kStage, name, done_, total_, unit_);
    }
  }
  void finish(std::string_view message) { report_progress(handler_, kStage, message, done_, total_, unit_); }

 private:
  static constexpr std::string_view kStage = "copy seed";
  const ProgressHandler& handler_;
  uint64_t total_;
  std::string_view unit_;
  uint64_t done_ = 0;
  uint64_t last_step_ = 0;
};

// ---- a host directory ----

// Bytes of the regular files below `dir` (symlinks not followed): the total of
// a directory seed's progress.
uint64_t file_bytes_below(const fs::path& dir) {
  uint64_t bytes = 0;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end;
       !ec && it != end; it.increment(ec)) {
    std::error_code ignored;
    if (it->is_regular_file(ignored) && !it->is_symlink(ignored)) bytes += it->file_size(ignored);
  }
  return bytes;
}

struct PendingDir {
  fs::path path;
  mode_t mode;
  struct timespec mtime;
};

class DirCopier {
 public:
  DirCopier(const Context& ctx, Budget& budget, SeedProgress& progress)
      : ctx_(ctx), budget_(budget), progress_(progress) {}

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
      progress_.add(static_cast<uint64_t>(st.st_size), rel);
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
  SeedProgress& progress_;
  std::vector<PendingDir> dirs_;
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

SeedStats materialize_seed(const std::string& seed_path, const std::string& dest_dir, const SeedLimits& limits,
                           const ProgressHandler& progress) {
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
      SeedProgress counter(progress, file_bytes_below(source), "bytes");
      counter.start(fmt::format("copying directory `{}`", seed_path));
      DirCopier(ctx, budget, counter).run(source, root);
      counter.finish(fmt::format("copied {} files", budget.stats.files));
    } else if (S_ISREG(st.st_mode)) {
      // The same rules and limits as a directory, from the one safe extractor.
      SafeExtractOptions options;
      options.error_prefix = fmt::format("materialize seed `{}`", seed_path);
      options.limits = {.max_bytes = limits.max_bytes, .max_entries = limits.max_entries};
      options.allow_zip = true;
      SeedProgress counter(progress, 0, "entries");
      counter.start(fmt::format("unpacking archive `{}`", seed_path));
      options.intercept = [&](const std::string& rel, const std::string&, const std::unordered_set<std::string>&) {
        counter.add(1, rel);
        return false;  // only counted: extracted as usual
      };
      const ExtractStats stats = safe_extract_file(seed_path, root.string(), options);
      counter.finish(fmt::format("unpacked {} files", stats.files));
      budget.stats = {.files = stats.files, .dirs = stats.dirs, .symlinks = stats.symlinks, .bytes = stats.bytes};
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
