// Unified diffs for `apply_workspace_patch`: parse one (plain `diff -u` or
// `git diff`, several files), check its paths, and apply it to one file's
// content at a time. Pure functions: no I/O; the caller reads and writes files.
//
//   auto patch = pyro::detail::parse_unified_patch(text);   // throws on bad input
//   pyro::detail::check_patch_paths(patch);                 // throws on unsafe paths
//   for (const auto& fp : patch.files) {
//     auto r = pyro::detail::apply_file_patch(fp, read(fp.old_path));
//     if (!r.ok) report(r.message, r.hunks);
//   }
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pyro::detail {

/// One line of a hunk body.
struct PatchLine {
  char op = ' ';             ///< ' ' context, '-' removed, '+' added
  std::string text;          ///< without the '\n'; a '\r' is kept (CRLF files)
  bool no_newline = false;   ///< followed by "\ No newline at end of file"
};

struct Hunk {
  int old_start = 0, old_count = 0;  ///< as written; old_count 0 means "insert after old_start"
  int new_start = 0, new_count = 0;
  int line = 0;                      ///< line of the "@@" header in the patch text (1-based)
  std::vector<PatchLine> lines;
};

/// The change to one file. Paths are relative, `/`-separated, with the `a/`
/// `b/` prefixes and any `/workspace/` root removed.
///  - kCreate: old_path is empty, new_path is the file to create.
///  - kDelete: old_path is the file to delete, new_path is empty.
///  - kModify: old_path == new_path.
///  - kRename: old_path moves to new_path; hunks (possibly none) edit it on the way.
struct FilePatch {
  enum Action { kCreate, kModify, kDelete, kRename };
  std::string old_path, new_path;
  Action action = kModify;
  std::string new_mode;  ///< git's "new file mode"/"new mode" (e.g. "100755"), else empty
  std::vector<Hunk> hunks;
};

struct ParsedPatch {
  std::vector<FilePatch> files;
};

/// Parses a unified diff holding one or more files. Lines outside file patches
/// (commit messages, `Only in` notes) are ignored.
/// Throws pyro::Error(kInvalidArgument, "parse patch: line N: why") for
/// malformed input, binary patches, copies, and text with no file patch.
ParsedPatch parse_unified_patch(std::string_view text);

/// Checks every path: relative, no `..`, no NUL, not empty, and no path
/// touched by two file patches. Throws pyro::Error(kInvalidArgument) naming it.
void check_patch_paths(const ParsedPatch& patch);

struct HunkReport {
  int index = 0;         ///< 1-based position of the hunk in its file patch
  int old_start = 0;     ///< line the hunk said it starts at
  bool applied = false;
  int offset = 0;        ///< lines between the stated and the actual position
  std::string message;   ///< why it failed, or where it applied when moved; else empty
};

struct FileApplyResult {
  bool ok = false;
  std::optional<std::string> content;  ///< the new content; nullopt for a delete or a failure
  std::vector<HunkReport> hunks;
  std::string message;                 ///< file-level failure ("file already exists", ...)
};

/// Applies one file patch to `original` (the current content of old_path, or
/// nullopt when it does not exist). Hunks must match their context exactly;
/// one that does not match where it says is tried at the nearest offset,
/// never before the end of the previous hunk (GNU patch without fuzz). Every
/// hunk is tried and reported, even after a failure. Line endings and the
/// final newline follow the original and the patch's "\ No newline" markers.
/// Never throws for content problems: they are reported in the result.
FileApplyResult apply_file_patch(const FilePatch& patch, const std::optional<std::string>& original);

}  // namespace pyro::detail
