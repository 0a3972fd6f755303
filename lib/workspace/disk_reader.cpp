#include "workspace/disk_reader.hpp"

#include "workspace/workspace_path.hpp"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string_view>

#include <boost/process.hpp>
#include <fmt/format.h>

#include "pyro/error.hpp"
#include "util/find_executable.hpp"
#include "util/temp_dir.hpp"

namespace pyro::detail {
namespace {

namespace fs = std::filesystem;
namespace bp = boost::process;

constexpr uint64_t kRootInode = 2;   // ext2/3/4 root directory
constexpr size_t kStatBatch = 4096;  // commands per debugfs run

[[noreturn]] void fail(ErrorCode code, const std::string& image, const std::string& cause) {
  throw Error(code, fmt::format("read disk `{}`: {}", image, cause));
}

// `path` relative to the image root ("" is the root), or kInvalidArgument.
std::string normalize_disk_path(const std::string& image, std::string_view path) {
  try {
    return workspace_relative_path(path);
  } catch (const Error& e) {
    fail(ErrorCode::kInvalidArgument, image, e.what());
  }
}

// debugfs' argument syntax: double quotes group, "" inside them is one quote.
std::string quote(const std::string& rel) {
  std::string out = "\"/";
  for (const char c : rel) {
    out += c;
    if (c == '"') out += '"';
  }
  return out + "\"";
}

std::string inode_ref(uint64_t ino) { return fmt::format("<{}>", ino); }

std::string find_debugfs() {
  std::string path = find_executable("debugfs");
  if (!path.empty()) return path;
  for (const char* candidate : {"/usr/sbin/debugfs", "/sbin/debugfs"}) {
    if (::access(candidate, X_OK) == 0) return candidate;
  }
  throw Error(ErrorCode::kUnavailable, "read disk: `debugfs` not found in PATH, /usr/sbin or /sbin; install e2fsprogs");
}

// Runs debugfs read-only on `image` with one command (-R) or a batch (-f) and
// returns at most `max_out` bytes of its stdout. debugfs reports most failures
// on stderr with exit status 0, so any stderr line but its banner is an error.
std::string run_debugfs(const std::string& image, const std::vector<std::string>& commands,
                        uint64_t max_out = UINT64_MAX) {
  struct stat st {};
  if (::stat(image.c_str(), &st) != 0) fail(ErrorCode::kNotFound, image, "the disk image does not exist");
  const std::string debugfs = find_debugfs();
  TempDir tmp(fs::temp_directory_path(), "pyro-debugfs-", "read disk");  // a command file and stderr
  std::vector<std::string> args;
  if (commands.size() == 1) {
    args = {"-R", commands.front()};
  } else {
    std::ofstream file(tmp / "commands");
    for (const auto& c : commands) file << c << '\n';
    if (!file.flush()) fail(ErrorCode::kInternal, image, "write the debugfs command file");
    args = {"-f", (tmp / "commands").string()};
  }
  args.push_back(image);  // no -w: debugfs opens the image read-only

  std::string out;
  const fs::path err_path = tmp / "stderr";
  try {
    bp::ipstream pipe;
    bp::child child(bp::exe = debugfs, bp::args = args, bp::env["DEBUGFS_PAGER"] = "__none__", bp::std_in < bp::null,
                    bp::std_out > pipe, bp::std_err > err_path.string());
    char buf[1 << 16];
    bool cut = false;
    while (pipe.read(buf, sizeof buf) || pipe.gcount() > 0) {
      const uint64_t n = static_cast<uint64_t>(pipe.gcount());
      const uint64_t room = max_out - std::min<uint64_t>(max_out, out.size());
      out.append(buf, static_cast<size_t>(std::min(n, room)));
      if (n >= room && max_out != UINT64_MAX) {
        cut = true;
        break;
      }
    }
    if (cut) {
      child.terminate();  // the rest is not wanted
      return out;
    }
    child.wait();
    if (child.exit_code() != 0) {
      fail(ErrorCode::kInternal, image, fmt::format("debugfs exited with status {}", child.exit_code()));
    }
  } catch (const bp::process_error& e) {
    fail(ErrorCode::kUnavailable, image, fmt::format("run `{}`: {}", debugfs, e.what()));
  }

  std::ifstream err_file(err_path);
  std::string line, errors;
  bool not_found = false;
  while (std::getline(err_file, line)) {
    if (line.rfind("debugfs ", 0) == 0 && line.find('(') != std::string::npos) continue;  // version banner
    while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.pop_back();
    if (line.empty()) continue;
    if (line.find("File not found by ext2_lookup") != std::string::npos) not_found = true;
    if (errors.size() < 2048) errors += (errors.empty() ? "" : "; ") + line;
  }
  if (not_found) throw Error(ErrorCode::kNotFound, fmt::format("read disk `{}`: not found ({})", image, errors));
  if (!errors.empty()) fail(ErrorCode::kInternal, image, fmt::format("debugfs: {}", errors));
  return out;
}

struct DiskEntry {
  TreeEntry entry;
  uint64_t ino = 0;
};

uint64_t parse_number(const std::string& text, size_t pos, int base) {
  return std::strtoull(text.c_str() + pos, nullptr, base);
}

// Reads one `stat` block starting at `pos` (its first line) into `e`: size,
// mode, mtime, type, and the target of a fast symlink. Returns the position
// after the block's last parsed field; `*fast_link` says if a target was read.
size_t parse_stat_block(const std::string& out, size_t pos, size_t next_block, DiskEntry& e, bool* fast_link) {
  auto field = [&](const char* key) {
    const size_t at = out.find(key, pos);
    return at == std::string::npos || at >= next_block ? std::string::npos : at + std::strlen(key);
  };
  const size_t ino = field("Inode: ");
  const size_t type = field("Type: ");
  const size_t mode = field("Mode: ");
  const size_t size = field("Size: ");
  const size_t mtime = field(" mtime: 0x");
  if (ino == std::string::npos || type == std::string::npos || mode == std::string::npos ||
      size == std::string::npos || mtime == std::string::npos) {
    throw Error(ErrorCode::kInternal, fmt::format("read disk: unexpected debugfs `stat` output: `{}`",
                                                  out.substr(pos, std::min<size_t>(200, next_block - pos))));
  }
  e.ino = parse_number(out, ino, 10);
  const std::string_view type_name(out.c_str() + type, out.find(' ', type) - type);
  e.entry.type = type_name == "regular" ? "file" : type_name == "directory" ? "directory"
               : type_name == "symlink" ? "symlink" : "other";
  e.entry.mode = static_cast<uint32_t>(parse_number(out, mode, 8) & 07777);
  e.entry.size = e.entry.type == "file" || e.entry.type == "symlink" ? parse_number(out, size, 10) : 0;
  e.entry.mtime = static_cast<int64_t>(parse_number(out, mtime, 16));
  size_t end = mtime;
  *fast_link = false;
  if (e.entry.type == "symlink") {
    // The target is printed raw; its length is the inode size, so any byte works.
    const size_t dest = field("Fast link dest: \"");
    if (dest != std::string::npos && dest + e.entry.size <= out.size()) {
      e.entry.target = out.substr(dest, e.entry.size);
      end = dest + e.entry.size;
      *fast_link = true;
    }
  }
  return end;
}

// Fills mtime (and, for a symlink, the target) of each entry from batched `stat`
// and `cat` runs addressed by inode number, so names need no quoting.
void fill_details(const std::string& image, std::vector<DiskEntry>& entries) {
  std::vector<DiskEntry*> slow_links;
  for (size_t first = 0; first < entries.size(); first += kStatBatch) {
    const size_t last = std::min(entries.size(), first + kStatBatch);
    std::vector<std::string> commands;
    for (size_t i = first; i < last; ++i) commands.push_back("stat " + inode_ref(entries[i].ino));
    if (commands.size() == 1) commands.push_back("stat " + inode_ref(kRootInode));  // keeps the -f echo lines
    const std::string out = run_debugfs(image, commands);
    size_t cursor = 0;
    for (size_t i = first; i < last; ++i) {
      const std::string marker = "debugfs: " + commands[i - first] + "\n";
      const size_t at = out.find(marker, cursor);
      if (at == std::string::npos) fail(ErrorCode::kInternal, image, "unexpected debugfs `stat` output");
      cursor = at + marker.size();
      // Nothing free-form precedes the target, so the next marker after the
      // block's fixed fields is the real one.
      DiskEntry probe;
      const size_t next = out.find("debugfs: stat <", cursor);
      bool fast = false;
      cursor = parse_stat_block(out, cursor, next == std::string::npos ? out.size() : next, probe, &fast);
      entries[i].entry.mtime = probe.entry.mtime;
      if (entries[i].entry.type == "symlink") {
        if (fast) {
          entries[i].entry.target = probe.entry.target;
        } else {
          slow_links.push_back(&entries[i]);
        }
      }
    }
  }
  // Long targets live in a data block: `cat` prints exactly `size` bytes.
  for (DiskEntry* link : slow_links) {
    link->entry.target = run_debugfs(image, {"cat " + inode_ref(link->ino)});
    link->entry.target.resize(std::min<size_t>(link->entry.target.size(), link->entry.size));
  }
}

DiskEntry stat_entry(const std::string& image, const std::string& rel) {
  const std::string out = run_debugfs(image, {"stat " + quote(rel)});
  DiskEntry e;
  bool fast = false;
  parse_stat_block(out, 0, out.size(), e, &fast);
  e.entry.path = rel;
  if (e.entry.type == "symlink" && !fast) {
    e.entry.target = run_debugfs(image, {"cat " + inode_ref(e.ino)});
    e.entry.target.resize(std::min<size_t>(e.entry.target.size(), e.entry.size));
  }
  return e;
}

const char* type_for_mode(uint32_t mode) { return tree_entry_type(mode); }

}  // namespace

TreeEntry stat_disk(const std::string& image, const std::string& path) {
  const std::string rel = normalize_disk_path(image, path);
  try {
    return stat_entry(image, rel).entry;
  } catch (const Error& e) {
    if (e.code() != ErrorCode::kNotFound) throw;
    fail(ErrorCode::kNotFound, image, fmt::format("`{}`: not found", path));
  }
}

std::vector<TreeEntry> list_disk(const std::string& image, const std::string& path, bool recursive) {
  const TreeEntry top = stat_disk(image, path);
  if (top.type != "directory") fail(ErrorCode::kInvalidArgument, image, fmt::format("`{}`: not a directory", path));
  const uint64_t top_ino = stat_entry(image, top.path).ino;

  // `ls -p` prints `/inode/mode/uid/gid/name/size/` per entry. Names cannot hold
  // '/', so splitting the whole output on '/' gives groups of 7 fields (the 7th
  // is the line break, plus the echoed command in batch mode) whatever bytes the
  // names contain, newlines included.
  std::vector<DiskEntry> entries;
  std::map<uint64_t, std::string> level = {{top_ino, top.path}};
  while (!level.empty()) {
    std::vector<std::string> commands;
    for (const auto& [ino, _] : level) commands.push_back("ls -p " + inode_ref(ino));
    const std::string out = run_debugfs(image, commands);
    std::vector<std::string> fields;
    size_t pos = out.find('/');
    while (pos != std::string::npos && pos < out.size()) {
      const size_t next = out.find('/', pos + 1);
      if (next == std::string::npos) break;
      fields.push_back(out.substr(pos + 1, next - pos - 1));
      pos = next;
    }
    // The trailing text after the last '/' is the final separator.
    fields.push_back(pos == std::string::npos ? "" : out.substr(pos + 1));
    if (fields.size() % 7 != 0) fail(ErrorCode::kInternal, image, "unexpected debugfs `ls -p` output");

    std::map<uint64_t, std::string> next_level;
    const std::string* dir = nullptr;
    for (size_t i = 0; i + 7 <= fields.size(); i += 7) {
      const uint64_t ino = std::strtoull(fields[i].c_str(), nullptr, 10);
      const uint32_t mode = static_cast<uint32_t>(std::strtoul(fields[i + 1].c_str(), nullptr, 8));
      const std::string& name = fields[i + 4];
      if (name == ".") {  // each listing starts with its own directory
        const auto it = level.find(ino);
        dir = it == level.end() ? nullptr : &it->second;
        continue;
      }
      if (name == ".." || ino == 0 || name.empty()) continue;  // ino 0: an unused slot (lost+found has many)
      if (dir == nullptr) fail(ErrorCode::kInternal, image, "unexpected debugfs `ls -p` output");
      DiskEntry e;
      e.ino = ino;
      e.entry.path = dir->empty() ? name : *dir + "/" + name;
      e.entry.type = type_for_mode(mode);
      e.entry.mode = mode & 07777;
      if (e.entry.type == "file" || e.entry.type == "symlink") {
        e.entry.size = std::strtoull(fields[i + 5].c_str(), nullptr, 10);
      }
      if (recursive && e.entry.type == "directory") next_level.emplace(ino, e.entry.path);
      entries.push_back(std::move(e));
    }
    level = std::move(next_level);
  }

  fill_details(image, entries);
  std::vector<TreeEntry> result;
  result.reserve(entries.size());
  for (auto& e : entries) result.push_back(std::move(e.entry));
  std::sort(result.begin(), result.end(), [](const TreeEntry& a, const TreeEntry& b) { return a.path < b.path; });
  return result;
}

DiskFile read_disk_file(const std::string& image, const std::string& path, uint64_t max_bytes) {
  const std::string rel = normalize_disk_path(image, path);
  DiskEntry e;
  try {
    e = stat_entry(image, rel);
  } catch (const Error& err) {
    if (err.code() != ErrorCode::kNotFound) throw;
    fail(ErrorCode::kNotFound, image, fmt::format("`{}`: not found", path));
  }
  if (e.entry.type != "file") {
    fail(ErrorCode::kInvalidArgument, image, fmt::format("`{}`: not a regular file but a {}", path, e.entry.type));
  }
  DiskFile file;
  file.size = e.entry.size;
  file.truncated = file.size > max_bytes;
  const uint64_t want = std::min(file.size, max_bytes);
  if (want > 0) file.content = run_debugfs(image, {"cat " + inode_ref(e.ino)}, want);
  if (file.content.size() != want) {
    fail(ErrorCode::kInternal, image, fmt::format("`{}`: read {} of {} bytes", path, file.content.size(), want));
  }
  return file;
}

void dump_disk(const std::string& image, const std::string& dest_dir) {
  std::error_code ec;
  fs::create_directories(dest_dir, ec);
  if (ec) fail(ErrorCode::kInternal, image, fmt::format("create `{}`: {}", dest_dir, ec.message()));
  // rdump writes the root's entries into dest_dir (it must exist); read-only on the image.
  run_debugfs(image, {"rdump / " + quote(dest_dir)});
}

}  // namespace pyro::detail
