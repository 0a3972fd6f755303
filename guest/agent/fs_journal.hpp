// The undo log of `fs_apply`: every change an op makes is recorded so that a failing
// batch (atomic) or op (non-atomic) can be put back exactly as it was. Originals
// that are replaced or deleted are kept in a stash directory at the workspace root
// (`.pyro-apply-*`, same file system, so moves are renames) until commit.
#pragma once

#include <sys/types.h>

#include <ctime>

#include <string>
#include <vector>

namespace pyro::agent {

class Journal {
 public:
  explicit Journal(int root) : root_(root) {}
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  /// A new file, symlink or directory now exists at `rel`; undo removes it.
  void created(const std::string& rel, bool is_dir) { steps_.push_back({Kind::kCreated, rel, "", 0, is_dir}); }
  /// `from` was renamed to `to`; undo renames it back.
  void moved(const std::string& from, const std::string& to) { steps_.push_back({Kind::kMoved, from, to, 0, false}); }
  /// `rel` was replaced; its original is hard-linked at `backup`; undo puts it back.
  void replaced(const std::string& rel, const std::string& backup) {
    steps_.push_back({Kind::kReplaced, rel, backup, 0, false});
  }
  /// `rel` (a regular file of `size` bytes, modified at `mtime`) was appended to;
  /// undo truncates it and puts its mtime back.
  void appended(const std::string& rel, off_t size, const timespec& mtime) {
    steps_.push_back({Kind::kAppended, rel, "", size, false, mtime});
  }

  /// A fresh path in the stash directory (created on first use). Throws AgentError.
  std::string stash_path();

  /// Undoes every step, newest first, then removes the stash. Returns "" or what
  /// could not be undone. Never throws.
  std::string rollback() noexcept;

  /// Keeps the changes and deletes the stash (the backups). Never throws.
  void commit() noexcept;

 private:
  enum class Kind { kCreated, kMoved, kReplaced, kAppended };
  struct Step {
    Kind kind;
    std::string a, b;
    off_t size;
    bool is_dir;
    timespec mtime{};
  };
  void drop_stash() noexcept;

  int root_;
  std::vector<Step> steps_;
  std::string stash_;  // "" until first used
  unsigned next_ = 0;
};

/// A name no other entry has yet, for temp files and stashes: `<prefix><ns>-<seq>`.
std::string unique_name(const char* prefix);

/// Removes the entry `name` in `dirfd`, recursively when it is a directory (never
/// following symlinks). Returns false with errno set on the first failure.
bool remove_tree(int dirfd, const std::string& name);

}  // namespace pyro::agent
