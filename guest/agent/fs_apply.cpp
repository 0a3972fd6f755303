// `fs_apply`: a batch of write / mkdir / delete / rename / symlink ops on the
// workspace, all-or-nothing by default (docs/agent-protocol.md, "fs_apply").
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <functional>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "agent_error.hpp"
#include "protocol/base64.hpp"
#include "fs.hpp"
#include "fs_journal.hpp"
#include "fs_params.hpp"
#include "fs_paths.hpp"
#include "protocol/sha256.hpp"

namespace pyro::agent {
namespace {

using nlohmann::json;

enum class OpKind { kWrite, kMkdir, kDelete, kRename, kSymlink };

struct Op {
  OpKind kind;
  std::string name;  // as sent: "write", ...
  std::string path;  // for rename: `from`
  std::string to;
  std::string data;
  std::string target;
  std::optional<std::string> expect;  // lowercase hex, or "absent"
  std::optional<mode_t> mode;
  bool append = false;
  bool recursive = false;
};

bool is_hex64(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string string_field(const json& op, const char* name, const std::string& where) {
  auto it = op.find(name);
  if (it == op.end() || !it->is_string()) invalid_param(where, std::string("`") + name + "` must be a string");
  return it->get<std::string>();
}

Op parse_op(const json& raw, size_t index) {
  const std::string where = "fs_apply: op " + std::to_string(index);
  if (!raw.is_object()) invalid_param(where, "not an object");
  Op op;
  op.name = string_field(raw, "op", where);
  auto not_root = [&](const std::string& rel, const char* field) {
    if (rel.empty()) invalid_param(where, std::string("`") + field + "` may not be the workspace root");
  };
  auto mode = [&](uint64_t fallback) {
    return static_cast<mode_t>(uint_param(raw, "mode", fallback, 07777, where));
  };
  auto expect = [&] {
    auto it = raw.find("expect_sha256");
    if (it == raw.end() || it->is_null()) return;
    if (!it->is_string()) invalid_param(where, "`expect_sha256` must be a string");
    std::string value = it->get<std::string>();
    for (char& c : value) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (value != "absent" && !is_hex64(value)) {
      invalid_param(where, "`expect_sha256` must be 64 hex digits or \"absent\"");
    }
    op.expect = value;
  };
  if (op.name == "write") {
    op.kind = OpKind::kWrite;
    op.path = workspace_path_param(raw, "path", where);
    not_root(op.path, "path");
    auto decoded = protocol::base64_decode(string_field(raw, "data", where));
    if (!decoded) invalid_param(where, "`data` is not base64");
    op.data = std::move(*decoded);
    if (raw.contains("mode") && !raw["mode"].is_null()) op.mode = mode(0644);
    op.append = bool_param(raw, "append", false, where);
    expect();
  } else if (op.name == "mkdir") {
    op.kind = OpKind::kMkdir;
    op.path = workspace_path_param(raw, "path", where);
    op.mode = mode(0755);
  } else if (op.name == "delete") {
    op.kind = OpKind::kDelete;
    op.path = workspace_path_param(raw, "path", where);
    not_root(op.path, "path");
    op.recursive = bool_param(raw, "recursive", false, where);
    expect();
  } else if (op.name == "rename") {
    op.kind = OpKind::kRename;
    op.path = workspace_path_param(raw, "from", where);
    op.to = workspace_path_param(raw, "to", where);
    not_root(op.path, "from");
    not_root(op.to, "to");
    if (op.to.compare(0, op.path.size() + 1, op.path + "/") == 0) {
      invalid_param(where, "cannot move `" + op.path + "` into itself");
    }
  } else if (op.name == "symlink") {
    op.kind = OpKind::kSymlink;
    op.path = workspace_path_param(raw, "path", where);
    not_root(op.path, "path");
    op.target = string_field(raw, "target", where);
    if (op.target.empty() || op.target.size() >= PATH_MAX || op.target.find('\0') != std::string::npos) {
      invalid_param(where, "`target` must be 1..4095 bytes without NUL");
    }
  } else {
    invalid_param(where, "unknown op `" + op.name + "`");
  }
  return op;
}

[[noreturn]] void precondition(const std::string& op, const std::string& rel, const std::string& what) {
  throw AgentError("failed_precondition", op + " `" + shown(rel) + "`: " + what);
}

bool write_all(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

bool dir_is_empty(int parent, const std::string& name) {
  int fd = ::openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return false;
  DIR* dir = ::fdopendir(fd);
  if (!dir) {
    ::close(fd);
    return false;
  }
  bool empty = true;
  while (dirent* e = ::readdir(dir)) {
    if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) {
      empty = false;
      break;
    }
  }
  ::closedir(dir);
  return empty;
}

// Unlinks a temp entry unless it was renamed into place.
struct TempGuard {
  int dir;
  std::string name;
  bool armed = true;
  ~TempGuard() {
    if (armed) ::unlinkat(dir, name.c_str(), 0);
  }
};

class Applier {
 public:
  Applier(int root, Journal& journal) : root_(root), journal_(journal) {}

  void run(const Op& op) {
    switch (op.kind) {
      case OpKind::kWrite: return write(op);
      case OpKind::kMkdir: return ensure_dirs(op.path, *op.mode, "mkdir");
      case OpKind::kDelete: return remove(op);
      case OpKind::kRename: return rename(op);
      case OpKind::kSymlink: return symlink(op);
    }
  }

 private:
  // lstat of `rel`'s last component in `parent`; false when it does not exist.
  bool lstat_at(const ParentRef& parent, const std::string& rel, const char* op, struct stat& st) {
    if (::fstatat(parent.dir.get(), parent.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) return true;
    if (errno != ENOENT) throw_fs_error(op, rel, errno);
    return false;
  }

  void check_expect(const Op& op) {
    if (!op.expect) return;
    ParentRef parent;
    struct stat st {};
    bool exists = false;
    if (open_parent(root_, op.path, parent)) {
      exists = lstat_at(parent, op.path, op.name.c_str(), st);
    } else if (errno != ENOENT && errno != ENOTDIR) {
      throw_resolve_error(op.name, op.path, errno);
    }
    if (*op.expect == "absent") {
      if (exists) precondition(op.name, op.path, "expected to be absent, but it exists");
      return;
    }
    if (!exists) precondition(op.name, op.path, "expected sha256 " + *op.expect + ", but it is absent");
    if (!S_ISREG(st.st_mode)) precondition(op.name, op.path, "expected a regular file with sha256 " + *op.expect);
    UniqueFd fd(::openat(parent.dir.get(), parent.name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    if (!fd) throw_fs_error(op.name, op.path, errno);
    std::string actual = protocol::sha256_fd_hex(fd.get());
    if (actual.empty()) throw_fs_error(op.name, op.path, errno);
    if (actual != *op.expect) {
      precondition(op.name, op.path, "expected sha256 " + *op.expect + ", found " + actual);
    }
  }

  // mkdir -p of `rel`, confined; `last_mode` for the last component when created.
  void ensure_dirs(const std::string& rel, mode_t last_mode, const char* op) {
    size_t pos = 0;
    while (!rel.empty()) {
      const size_t slash = rel.find('/', pos);
      const std::string prefix = rel.substr(0, slash);
      const bool last = slash == std::string::npos;
      UniqueFd dir(open_beneath(root_, prefix, O_PATH | O_DIRECTORY));
      if (!dir && errno == ENOTDIR) precondition(op, prefix, "exists and is not a directory");
      if (!dir && errno != ENOENT) throw_resolve_error(op, prefix, errno);
      if (!dir) {
        ParentRef parent = open_parent_or_throw(root_, prefix, op);
        const mode_t mode = last ? last_mode : 0755;
        if (::mkdirat(parent.dir.get(), parent.name.c_str(), mode) != 0) throw_fs_error(op, prefix, errno);
        journal_.created(prefix, true);
        // mkdir applies the umask; the mode asked for is the mode wanted.
        if (::fchmodat(parent.dir.get(), parent.name.c_str(), mode, 0) != 0) throw_fs_error(op, prefix, errno);
      }
      if (last) break;
      pos = slash + 1;
    }
  }

  // Puts a new entry at `rel` (made by `make` under a temp name in the same
  // directory), atomically replacing what is there; the original is kept
  // hard-linked in the stash until commit.
  void put(const ParentRef& parent, const std::string& rel, bool exists, const char* op,
           const std::function<void(int dir, const std::string& tmp)>& make) {
    TempGuard temp{parent.dir.get(), unique_name(".pyro-tmp-")};
    make(parent.dir.get(), temp.name);
    if (exists) {
      const std::string backup = journal_.stash_path();
      ParentRef stash = open_parent_or_throw(root_, backup, op);
      if (::linkat(parent.dir.get(), parent.name.c_str(), stash.dir.get(), stash.name.c_str(), 0) != 0) {
        throw_fs_error(op, rel, errno);
      }
      journal_.replaced(rel, backup);
    }
    if (::renameat(parent.dir.get(), temp.name.c_str(), parent.dir.get(), parent.name.c_str()) != 0) {
      throw_fs_error(op, rel, errno);
    }
    temp.armed = false;
    if (!exists) journal_.created(rel, false);
  }

  void write(const Op& op) {
    check_expect(op);
    ensure_dirs(parent_of(op.path), 0755, "write");
    ParentRef parent = open_parent_or_throw(root_, op.path, "write");
    struct stat st {};
    const bool exists = lstat_at(parent, op.path, "write", st);
    if (exists && S_ISDIR(st.st_mode)) precondition("write", op.path, "is a directory");
    if (op.append && exists) {
      if (!S_ISREG(st.st_mode)) precondition("write", op.path, "cannot append: not a regular file");
      UniqueFd fd(::openat(parent.dir.get(), parent.name.c_str(),
                           O_WRONLY | O_APPEND | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
      if (!fd) throw_fs_error("write", op.path, errno);
      journal_.appended(op.path, st.st_size, st.st_mtim);
      if (!write_all(fd.get(), op.data) || ::fsync(fd.get()) != 0) throw_fs_error("write", op.path, errno);
      return;
    }
    const bool keep_owner = exists && S_ISREG(st.st_mode);
    const mode_t mode = op.mode ? *op.mode : (keep_owner ? (st.st_mode & 07777) : 0644);
    put(parent, op.path, exists, "write", [&](int dir, const std::string& tmp) {
      UniqueFd fd(::openat(dir, tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
      if (!fd) throw_fs_error("write", op.path, errno);
      if (!write_all(fd.get(), op.data)) throw_fs_error("write", op.path, errno);
      if (keep_owner && ::fchown(fd.get(), st.st_uid, st.st_gid) != 0) throw_fs_error("write", op.path, errno);
      // After fchown, which may clear set-id bits.
      if (::fchmod(fd.get(), mode) != 0) throw_fs_error("write", op.path, errno);
      // The content is durable before the name points at it: no half-written file.
      if (::fsync(fd.get()) != 0) throw_fs_error("write", op.path, errno);
    });
  }

  void symlink(const Op& op) {
    ensure_dirs(parent_of(op.path), 0755, "symlink");
    ParentRef parent = open_parent_or_throw(root_, op.path, "symlink");
    struct stat st {};
    const bool exists = lstat_at(parent, op.path, "symlink", st);
    if (exists && S_ISDIR(st.st_mode)) precondition("symlink", op.path, "is a directory");
    put(parent, op.path, exists, "symlink", [&](int dir, const std::string& tmp) {
      if (::symlinkat(op.target.c_str(), dir, tmp.c_str()) != 0) throw_fs_error("symlink", op.path, errno);
    });
  }

  void remove(const Op& op) {
    check_expect(op);
    ParentRef parent;
    struct stat st {};
    if (!open_parent(root_, op.path, parent)) {
      if (op.expect == "absent" && (errno == ENOENT || errno == ENOTDIR)) return;
      throw_resolve_error("delete", op.path, errno);
    }
    if (!lstat_at(parent, op.path, "delete", st)) {
      if (op.expect == "absent") return;
      throw_resolve_error("delete", op.path, ENOENT);
    }
    if (S_ISDIR(st.st_mode) && !op.recursive && !dir_is_empty(parent.dir.get(), parent.name)) {
      precondition("delete", op.path, "directory not empty and `recursive` not set");
    }
    // Moved aside, not removed: the stash is dropped only when the batch commits.
    const std::string backup = journal_.stash_path();
    ParentRef stash = open_parent_or_throw(root_, backup, "delete");
    if (::renameat2(parent.dir.get(), parent.name.c_str(), stash.dir.get(), stash.name.c_str(),
                    RENAME_NOREPLACE) != 0) {
      throw_fs_error("delete", op.path, errno);
    }
    journal_.moved(op.path, backup);
  }

  void rename(const Op& op) {
    ParentRef from = open_parent_or_throw(root_, op.path, "rename");
    struct stat st {};
    if (!lstat_at(from, op.path, "rename", st)) throw_resolve_error("rename", op.path, ENOENT);
    if (op.to == op.path) return;
    ensure_dirs(parent_of(op.to), 0755, "rename");
    ParentRef to = open_parent_or_throw(root_, op.to, "rename");
    struct stat existing {};
    if (lstat_at(to, op.to, "rename", existing)) {
      if (S_ISDIR(existing.st_mode)) {
        throw AgentError("already_exists", "rename `" + op.to + "`: a directory exists there");
      }
      const std::string backup = journal_.stash_path();
      ParentRef stash = open_parent_or_throw(root_, backup, "rename");
      if (::renameat2(to.dir.get(), to.name.c_str(), stash.dir.get(), stash.name.c_str(), RENAME_NOREPLACE) != 0) {
        throw_fs_error("rename", op.to, errno);
      }
      journal_.moved(op.to, backup);
    }
    if (::renameat2(from.dir.get(), from.name.c_str(), to.dir.get(), to.name.c_str(), RENAME_NOREPLACE) != 0) {
      throw_fs_error("rename", op.path, errno);
    }
    journal_.moved(op.path, op.to);
  }

  int root_;
  Journal& journal_;
};

// The error for op `index` failing with `code`/`message`, after its changes were undone.
AgentError op_failure(size_t index, const std::string& code, const std::string& message,
                      const std::string& undo_failures, const std::string& outcome) {
  std::string text = "fs_apply: op " + std::to_string(index) + ": " + message;
  if (!undo_failures.empty()) {
    return AgentError("internal", text + "; rollback incomplete: " + undo_failures);
  }
  return AgentError(code, text + "; " + outcome);
}

// Runs `op`; on failure undoes `journal` and throws op_failure.
void run_or_undo(Applier& applier, Journal& journal, const Op& op, size_t index, const std::string& outcome) {
  std::string code, message;
  try {
    applier.run(op);
    return;
  } catch (const AgentError& e) {
    code = e.code();
    message = e.what();
  } catch (const std::exception& e) {
    code = "internal";
    message = e.what();
  }
  throw op_failure(index, code, message, journal.rollback(), outcome);
}

}  // namespace

json fs_apply(Workspace& ws, const json& params) {
  auto it = params.find("ops");
  if (it == params.end() || !it->is_array()) invalid_param("fs_apply", "`ops` must be an array");
  std::vector<Op> ops;
  for (size_t i = 0; i < it->size(); ++i) ops.push_back(parse_op((*it)[i], i));
  const bool atomic = bool_param(params, "atomic", true, "fs_apply");

  UniqueFd root = ws.open_root();
  std::unique_lock<std::shared_mutex> writing(ws.lock());
  if (atomic) {
    Journal journal(root.get());
    Applier applier(root.get(), journal);
    for (size_t i = 0; i < ops.size(); ++i) run_or_undo(applier, journal, ops[i], i, "nothing changed");
    journal.commit();
  } else {
    for (size_t i = 0; i < ops.size(); ++i) {
      Journal journal(root.get());
      Applier applier(root.get(), journal);
      run_or_undo(applier, journal, ops[i], i,
                  std::to_string(i) + " of " + std::to_string(ops.size()) + " ops applied");
      journal.commit();
    }
  }
  return {{"applied", ops.size()}};
}

}  // namespace pyro::agent
