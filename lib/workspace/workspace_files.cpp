// WorkspaceManager: the file operations on a running workspace (through the
// agent's fs_* methods, docs/agent-protocol.md), patches, the comparison with the
// baseline, and export to the host.
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>

#include <fmt/format.h>

#include "pyro/error.hpp"
#include "util/file_lock.hpp"
#include "util/logging.hpp"
#include "util/sha256.hpp"
#include "util/temp_dir.hpp"
#include "workspace/agent_files.hpp"
#include "workspace/disk_inspector.hpp"
#include "workspace/export_writer.hpp"
#include "workspace/host_tree.hpp"
#include "workspace/patch.hpp"
#include "workspace/seed.hpp"
#include "workspace/text_diff.hpp"
#include "workspace/workspace_manager.hpp"
#include "workspace/workspace_path.hpp"
#include "workspace/workspace_session.hpp"

namespace pyro::detail {
namespace fs = std::filesystem;
namespace {

// Text diffs are for reading: beyond this a file is only reported as changed.
constexpr uint64_t kMaxDiffFileBytes = 1ull << 20;

std::string read_host_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// "src/a.c" below "src" -> "a.c"; the root itself -> "".
std::string below(const std::string& path, const std::string& root) {
  if (root.empty()) return path;
  if (path == root) return "";
  return path.substr(root.size() + 1);
}

PatchFileReport to_report(const FilePatch& fp, const FileApplyResult& r) {
  PatchFileReport report;
  switch (fp.action) {
    case FilePatch::kCreate: report.action = "create"; break;
    case FilePatch::kModify: report.action = "modify"; break;
    case FilePatch::kDelete: report.action = "delete"; break;
    case FilePatch::kRename: report.action = "rename"; break;
  }
  report.path = fp.action == FilePatch::kDelete ? fp.old_path : fp.new_path;
  if (fp.action == FilePatch::kRename) report.old_path = fp.old_path;
  report.ok = r.ok;
  report.message = r.message;
  for (const HunkReport& h : r.hunks) {
    report.hunks.push_back(PatchHunkReport{static_cast<uint32_t>(h.index), static_cast<uint32_t>(std::max(h.old_start, 0)),
                                           h.applied, h.offset, h.message});
  }
  return report;
}

std::string patch_summary(const PatchResult& result) {
  size_t failed_files = 0, failed_hunks = 0, hunks = 0;
  std::string first;
  for (const auto& f : result.files) {
    hunks += f.hunks.size();
    if (!f.ok) ++failed_files;
    for (const auto& h : f.hunks) {
      if (!h.applied) {
        ++failed_hunks;
        if (first.empty()) first = fmt::format("{} hunk #{}: {}", f.path, h.index, h.message);
      }
    }
    if (!f.ok && first.empty()) first = fmt::format("{}: {}", f.path, f.message);
  }
  if (failed_files == 0) {
    return fmt::format("{} {} file(s), {} hunk(s)", result.dry_run ? "would apply to" : "applied to",
                       result.files.size(), hunks);
  }
  return fmt::format("not applied, nothing changed: {} of {} file(s) failed ({} hunk(s)); first: {}", failed_files,
                     result.files.size(), failed_hunks, first);
}

// The diff of the agent's tree against the baseline (`before`, scanned on the
// host). The guest hashes only files within the text-diff bound; a larger file is
// changed when its size differs, else it is hashed alone. Only files within the
// bound are read, so a huge (or sparse) file costs the host nothing.
WorkspaceDiff compare_with_baseline(AgentConnection& agent, const std::map<std::string, TreeEntry>& before,
                                    const std::string& baseline_root) {
  std::map<std::string, TreeEntry> after;
  for (TreeEntry& e : agent_manifest(agent, "", kMaxDiffFileBytes)) after.emplace(e.path, std::move(e));
  after.erase("lost+found");

  auto current_content = [&](const std::string& path, uint64_t size) -> std::string {
    return agent_read(agent, path, std::max<uint64_t>(size, 1)).content;
  };
  auto content_changed = [&](const std::string& path, const TreeEntry& old, const TreeEntry& now) {
    if (old.size != now.size) return true;
    if (now.size <= kMaxDiffFileBytes || !now.sha256.empty()) return old.sha256 != now.sha256;
    const std::vector<TreeEntry> alone = agent_manifest(agent, path);
    if (alone.size() != 1 || alone.front().path != path || alone.front().sha256.empty()) {
      throw Error(ErrorCode::kAgentProtocol, fmt::format("hash `{}`: the agent gave no sha256 for it", path));
    }
    return old.sha256 != alone.front().sha256;
  };
  WorkspaceDiff diff;
  auto text_diff = [&](WorkspaceDiffEntry& entry, const std::string& old_text, const std::string& new_text,
                       const std::string& old_label, const std::string& new_label) {
    if (looks_binary(old_text) || looks_binary(new_text)) {
      entry.binary = true;
      return;
    }
    diff.unified += unified_diff(old_text, new_text, old_label, new_label);
  };
  std::map<std::string, int> paths;
  for (const auto& [p, e] : before) paths[p] |= 1;
  for (const auto& [p, e] : after) paths[p] |= 2;
  for (const auto& [path, where] : paths) {
    WorkspaceDiffEntry entry;
    entry.path = path;
    if (where == 1) {
      const TreeEntry& old = before.at(path);
      entry.status = "deleted";
      entry.type = old.type;
      entry.old_size = old.size;
      if (old.type == "file" && old.size <= kMaxDiffFileBytes) {
        text_diff(entry, read_host_file(baseline_root + "/" + path), "", "a/" + path, "/dev/null");
      }
      ++diff.deleted;
    } else if (where == 2) {
      const TreeEntry& now = after.at(path);
      entry.status = "added";
      entry.type = now.type;
      entry.new_size = now.size;
      if (now.type == "file" && now.size <= kMaxDiffFileBytes) {
        text_diff(entry, "", current_content(path, now.size), "/dev/null", "b/" + path);
      }
      ++diff.added;
    } else {
      const TreeEntry& old = before.at(path);
      const TreeEntry& now = after.at(path);
      entry.type = now.type;
      entry.old_size = old.size;
      entry.new_size = now.size;
      const bool changed = old.type == "file" && now.type == "file" && content_changed(path, old, now);
      if (old.type != now.type) {
        entry.status = "type_changed";
      } else if (now.type == "file" && (changed || old.mode != now.mode)) {
        entry.status = "modified";
        if (changed && old.size <= kMaxDiffFileBytes && now.size <= kMaxDiffFileBytes) {
          text_diff(entry, read_host_file(baseline_root + "/" + path), current_content(path, now.size), "a/" + path,
                    "b/" + path);
        }
      } else if (now.type == "symlink" && old.target != now.target) {
        entry.status = "modified";
      } else {
        continue;  // directories: their entries tell what changed
      }
      ++diff.modified;
    }
    diff.entries.push_back(std::move(entry));
  }
  return diff;
}

}  // namespace

std::vector<WorkspaceFileEntry> WorkspaceManager::list_workspace_files(const std::string& workspace,
                                                                       const std::string& path, bool recursive) {
  const std::string rel = workspace_relative_path(path);
  Session session(ctx_, store_, workspace);
  try {
    std::vector<WorkspaceFileEntry> out;
    for (const TreeEntry& e : agent_list(session.agent(), rel, recursive)) out.push_back(to_file_entry(e));
    return out;
  } catch (const Error& e) {
    throw session.fail(e, fmt::format("list `{}` in workspace `{}`", rel, session.id()));
  }
}

WorkspaceFileContent WorkspaceManager::read_workspace_file(const std::string& workspace, const std::string& path,
                                                           uint64_t max_bytes) {
  const std::string rel = workspace_relative_path(path);
  check_max_bytes(max_bytes);
  Session session(ctx_, store_, workspace);
  AgentFile file;
  try {
    file = agent_read(session.agent(), rel, max_bytes);
  } catch (const Error& e) {
    throw session.fail(e, fmt::format("read `{}` in workspace `{}`", rel, session.id()));
  }
  if (looks_binary(file.content)) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("read `{}` in workspace `{}`: binary content ({} bytes); use export_workspace", rel,
                            session.id(), file.size));
  }
  const bool truncated = file.content.size() < file.size;
  return WorkspaceFileContent{rel, std::move(file.content), file.size, truncated};
}

WorkspaceFileEntry WorkspaceManager::write_workspace_file(const std::string& workspace, const std::string& path,
                                                          const std::string& text) {
  const std::string rel = workspace_relative_path(path);
  if (rel.empty()) throw Error(ErrorCode::kInvalidArgument, "check `path`: names /workspace itself, not a file");
  if (text.size() > WorkspaceLimits::kMaxFileWriteBytes) {
    throw Error(ErrorCode::kInvalidArgument, fmt::format("check `text`: {} bytes, at most {}", text.size(),
                                                         WorkspaceLimits::kMaxFileWriteBytes));
  }
  if (looks_binary(text)) {
    throw Error(ErrorCode::kInvalidArgument, "check `text`: not UTF-8 text (NUL byte or invalid UTF-8)");
  }
  Session session(ctx_, store_, workspace);
  try {
    AgentOps ops;
    ops.write(rel, text, 0644);
    agent_apply(session.agent(), ops, /*atomic=*/true);
    agent_sync(session.agent());
    return to_file_entry(agent_stat(session.agent(), rel));
  } catch (const Error& e) {
    throw session.fail(e, fmt::format("write `{}` in workspace `{}`", rel, session.id()));
  }
}

PushResult WorkspaceManager::push_workspace_sync(const std::string& workspace, const std::string& source_path,
                                                 const PushOptions& options) {
  const std::string dest = workspace_relative_path(options.dest, "dest");
  if (source_path.empty()) throw Error(ErrorCode::kInvalidArgument, "check `source_path`: empty");
  Session session(ctx_, store_, workspace);
  // Unpacked (or copied) on the host first, with the seed's safety rules, in a
  // staging directory of the store (swept if we die; never inside a usual source).
  TempDir staging(store_.root(), ".tmp-push-", "push");
  FileLock staging_lock = FileLock::acquire((staging / "lock").string());
  const std::string content = (staging / "content").string();
  fs::create_directory(content);
  materialize_seed(source_path, content, SeedLimits{});
  std::vector<TreeEntry> tree = scan_tree(content);

  PushResult result;
  try {
    AgentConnection& agent = session.agent();
    AgentBatch batch(agent);
    auto target = [&](const std::string& p) { return dest.empty() ? p : dest + "/" + p; };
    if (!dest.empty()) batch.ops().mkdir(dest, 0755);
    for (const TreeEntry& e : tree) {
      if (e.type == "directory") {
        batch.ops().mkdir(target(e.path), e.mode);
        ++result.directories;
      } else if (e.type == "symlink") {
        batch.ops().symlink(target(e.path), e.target);
        ++result.symlinks;
      } else if (e.type == "file") {
        batch.write_file(target(e.path), content + "/" + e.path, e.mode);
        ++result.files;
        result.bytes += e.size;
      }
    }
    batch.flush();
    agent_sync(agent);
  } catch (const Error& e) {
    throw session.fail(e, fmt::format("push `{}` into workspace `{}`", source_path, session.id()));
  }
  return result;
}

PatchResult WorkspaceManager::apply_workspace_patch(const std::string& workspace, const std::string& patch,
                                                    const PatchOptions& options) {
  if (patch.size() > WorkspaceLimits::kMaxPatchBytes) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("check `patch`: {} bytes, at most {}", patch.size(), WorkspaceLimits::kMaxPatchBytes));
  }
  // Preflight on the host: a malformed patch or a bad path never reaches the guest.
  ParsedPatch parsed = parse_unified_patch(patch);
  check_patch_paths(parsed);
  Session session(ctx_, store_, workspace);
  PatchResult result;
  result.dry_run = options.dry_run;
  try {
    AgentConnection& agent = session.agent();
    AgentOps ops;
    bool all_ok = true;
    for (const FilePatch& fp : parsed.files) {
      std::optional<std::string> original;
      uint32_t mode = 0644;
      std::string expect = "absent";
      if (fp.action != FilePatch::kCreate) {
        if (auto st = agent_try_stat(agent, fp.old_path)) {
          if (st->type != "file") {
            FileApplyResult r;
            r.message = fmt::format("`{}` is a {}, not a file", fp.old_path, st->type);
            result.files.push_back(to_report(fp, r));
            all_ok = false;
            continue;
          }
          AgentFile f = agent_read(agent, fp.old_path, WorkspaceLimits::kMaxPatchBytes * 4);
          if (f.content.size() < f.size) {
            FileApplyResult r;
            r.message = fmt::format("`{}` is too large to patch ({} bytes)", fp.old_path, f.size);
            result.files.push_back(to_report(fp, r));
            all_ok = false;
            continue;
          }
          mode = st->mode;
          expect = sha256_hex(f.content);
          original = std::move(f.content);
        }
      } else if (agent_try_stat(agent, fp.new_path)) {
        original = std::string();  // exists: apply_file_patch reports "already exists"
        FileApplyResult r = apply_file_patch(fp, original);
        if (r.ok) r = FileApplyResult{false, std::nullopt, r.hunks, fmt::format("`{}` exists already", fp.new_path)};
        result.files.push_back(to_report(fp, r));
        all_ok = false;
        continue;
      }
      FileApplyResult r = apply_file_patch(fp, original);
      result.files.push_back(to_report(fp, r));
      if (!r.ok) {
        all_ok = false;
        continue;
      }
      switch (fp.action) {
        case FilePatch::kCreate:
          ops.write(fp.new_path, *r.content, fp.new_mode == "100755" ? 0755 : 0644, "absent");
          break;
        case FilePatch::kModify:
          ops.write(fp.new_path, *r.content, mode, expect);
          break;
        case FilePatch::kDelete:
          ops.remove(fp.old_path, expect);
          break;
        case FilePatch::kRename:
          ops.remove(fp.old_path, expect);
          ops.write(fp.new_path, *r.content, mode, "absent");
          break;
      }
    }
    result.applied = all_ok && !options.dry_run;
    if (all_ok && !options.dry_run) {
      try {
        agent_apply(agent, ops, /*atomic=*/true);
        agent_sync(agent);
      } catch (const Error& e) {
        if (e.code() != ErrorCode::kFailedPrecondition) throw;
        // A file changed between our read and the apply (a process in the guest):
        // the agent rolled everything back.
        result.applied = false;
        result.summary = fmt::format("not applied, nothing changed: {}", e.what());
        return result;
      }
    }
  } catch (const Error& e) {
    throw session.fail(e, fmt::format("apply patch in workspace `{}`", session.id()));
  }
  result.summary = patch_summary(result);
  return result;
}

WorkspaceDiff WorkspaceManager::diff_workspace(const std::string& workspace) {
  Session session(ctx_, store_, workspace);
  const std::string baseline_root = store_.baseline_dir(session.id());
  std::map<std::string, TreeEntry> before;
  for (TreeEntry& e : scan_tree(baseline_root)) before.emplace(e.path, std::move(e));
  before.erase("lost+found");
  try {
    // The current tree: from the workspace's agent while running, else from a
    // throwaway inspector VM's, which mounts the disk (never parsed on the host).
    std::optional<DiskInspector> inspector;
    if (!session.running()) inspector.emplace(ctx_, store_, session.record());
    AgentConnection& agent = inspector ? inspector->agent() : session.agent();
    return compare_with_baseline(agent, before, baseline_root);
  } catch (const Error& e) {
    throw session.fail(e, fmt::format("diff workspace `{}`", session.id()));
  }
}

ExportResult WorkspaceManager::export_workspace(const std::string& workspace, const std::string& path,
                                                const std::string& output_path) {
  const std::string rel = workspace_relative_path(path);
  if (output_path.empty()) throw Error(ErrorCode::kInvalidArgument, "check `output_path`: empty");
  const std::string out = fs::absolute(output_path).lexically_normal().string();
  struct stat st {};
  if (::lstat(out.c_str(), &st) == 0) {
    throw Error(ErrorCode::kAlreadyExists, fmt::format("check `output_path`: `{}` exists already", out));
  }
  Session session(ctx_, store_, workspace);
  // Written into a private directory next to the target through directory fds
  // (ExportWriter: no guest-made symlink is ever followed), renamed into place at
  // the end: all or nothing, and a failure removes what was written.
  TempDir staging(fs::path(out).parent_path(), ".pyro-export-", "export");
  ExportWriter writer(staging.path().string(), "out");
  ExportResult result;
  result.output_path = out;
  // Nothing in a workspace is larger than its disk: a guest that claims more lies.
  const uint64_t disk_bytes = session.record().disk_mib << 20;
  auto count_bytes = [&](const TreeEntry& e) {
    result.bytes += e.size;
    if (result.bytes > disk_bytes) {
      throw Error(ErrorCode::kAgentProtocol, fmt::format("the guest lists {} bytes of files (at `{}`) on a disk of {}",
                                                         result.bytes, e.path, disk_bytes));
    }
  };
  try {
    AgentConnection& agent = session.agent();
    TreeEntry top = agent_stat(agent, rel);
    if (top.type == "file") {
      count_bytes(top);
      UniqueFd fd = writer.create_root_file();
      agent_read_to_fd(agent, rel, top.size, fd.get(), out);
      writer.finish_file(fd.get(), top.mode, rel);
      result.files = 1;
    } else if (top.type == "directory") {
      writer.make_root_directory();
      // Checked and sorted: parents come first and are directories of this listing.
      for (const TreeEntry& e : agent_manifest(agent, rel)) {
        const std::string local = below(e.path, rel);
        if (e.type == "directory") {
          writer.make_directory(local);
          ++result.directories;
        } else if (e.type == "file") {
          count_bytes(e);
          UniqueFd fd = writer.create_file(local);
          agent_read_to_fd(agent, e.path, e.size, fd.get(), out + "/" + local);
          writer.finish_file(fd.get(), e.mode, local);
          ++result.files;
        } else if (e.type == "symlink") {
          writer.make_symlink(local, e.target);  // stored verbatim, never followed here
        }
      }
    } else {
      throw Error(ErrorCode::kInvalidArgument, fmt::format("`{}` is a {}; export copies files and directories", rel,
                                                           top.type));
    }
    const std::string staged = (staging / "out").string();
    int renamed = ::renameat2(AT_FDCWD, staged.c_str(), AT_FDCWD, out.c_str(), RENAME_NOREPLACE);
    if (renamed != 0 && errno == EINVAL) renamed = ::rename(staged.c_str(), out.c_str());  // no NOREPLACE here
    if (renamed != 0) {
      throw Error(errno == EEXIST ? ErrorCode::kAlreadyExists : ErrorCode::kInternal,
                  fmt::format("rename the export to `{}`: {}", out, std::strerror(errno)));
    }
  } catch (const Error& e) {
    throw session.fail(e, fmt::format("export `{}` from workspace `{}`", rel, session.id()));
  }
  return result;
}

}  // namespace pyro::detail
