#include "workspace/patch.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <set>

#include "pyro/error.hpp"
#include "workspace/text_diff.hpp"

namespace pyro::detail {
namespace {

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// Header lines may come from a CRLF patch file; hunk content keeps its '\r'.
std::string_view header(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

// Git quotes names with unusual bytes C-style: "a/f\303\266o".
std::optional<std::string> unquote_c(std::string_view s, size_t& used) {
  std::string out;
  for (size_t i = 1; i < s.size(); ++i) {
    char c = s[i];
    if (c == '"') {
      used = i + 1;
      return out;
    }
    if (c != '\\') {
      out += c;
      continue;
    }
    if (++i >= s.size()) return std::nullopt;
    c = s[i];
    switch (c) {
      case 'a': out += '\a'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'v': out += '\v'; break;
      case '\\': out += '\\'; break;
      case '"': out += '"'; break;
      default: {
        if (c < '0' || c > '7' || i + 2 >= s.size()) return std::nullopt;
        int v = 0;
        for (int k = 0; k < 3; ++k) {
          char d = s[i + k];
          if (d < '0' || d > '7') return std::nullopt;
          v = v * 8 + (d - '0');
        }
        out += static_cast<char>(v);
        i += 2;
      }
    }
  }
  return std::nullopt;
}

// Drops "." and empty components, and a leading "/workspace/" (the guest's
// workspace root), so that `./x`, `x` and `/workspace/x` name one file.
// `..` and other absolute paths are left for check_patch_paths to reject.
std::string normalize_path(std::string path) {
  bool absolute = starts_with(path, "/");
  if (starts_with(path, "/workspace/")) {
    path = path.substr(11);
    absolute = false;
  }
  std::string out = absolute ? "/" : "";
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t slash = path.find('/', pos);
    if (slash == std::string::npos) slash = path.size();
    std::string_view comp = std::string_view(path).substr(pos, slash - pos);
    if (!comp.empty() && comp != ".") {
      if (!out.empty() && out.back() != '/') out += '/';
      out += comp;
    }
    pos = slash + 1;
  }
  return out;
}

std::string strip_prefix(std::string path, std::string_view prefix) {
  return starts_with(path, prefix) ? path.substr(prefix.size()) : path;
}

class Parser {
 public:
  explicit Parser(std::string_view text) {
    size_t pos = 0;
    while (pos < text.size()) {
      size_t nl = text.find('\n', pos);
      if (nl == std::string_view::npos) nl = text.size();
      lines_.push_back(text.substr(pos, nl - pos));
      pos = nl + 1;
    }
  }

  ParsedPatch parse() {
    ParsedPatch out;
    while (i_ < lines_.size()) {
      std::string_view h = header(lines_[i_]);
      if (starts_with(h, "diff --git ")) {
        out.files.push_back(parse_git());
      } else if (starts_with(h, "--- ") && i_ + 1 < lines_.size() &&
                 starts_with(header(lines_[i_ + 1]), "+++ ")) {
        out.files.push_back(parse_plain());
      } else if (starts_with(h, "--- ")) {
        fail(i_, "`---` header is not followed by a `+++` header");
      } else if (starts_with(h, "@@ ")) {
        fail(i_, "hunk header before any `---`/`+++` file header");
      } else {
        reject_binary(h);
        ++i_;
      }
    }
    if (out.files.empty()) fail(lines_.size() == 0 ? 0 : lines_.size() - 1, "no file patch found");
    return out;
  }

 private:
  [[noreturn]] void fail(size_t index, const std::string& why) const {
    throw Error(ErrorCode::kInvalidArgument, fmt::format("parse patch: line {}: {}", index + 1, why));
  }

  void reject_binary(std::string_view h) const {
    if (starts_with(h, "GIT binary patch") ||
        (starts_with(h, "Binary files ") && h.size() >= 7 && h.substr(h.size() - 7) == " differ"))
      fail(i_, "binary patches are not supported");
  }

  // A path from a `---`/`+++` line: quoted, or up to a tab (diff's timestamp).
  // nullopt for /dev/null.
  std::optional<std::string> header_path(size_t index, std::string_view rest) const {
    std::string path;
    if (starts_with(rest, "\"")) {
      size_t used = 0;
      auto unq = unquote_c(rest, used);
      if (!unq) fail(index, "bad quoted file name");
      path = *unq;
    } else {
      path = std::string(rest.substr(0, rest.find('\t')));
    }
    if (path == "/dev/null") return std::nullopt;
    return path;
  }

  // "diff --git a/x b/x": the names, used only when no other header gives them
  // (hunkless mode changes, empty files). Sets has_prefix when they have a/ b/.
  std::pair<std::string, std::string> git_names(std::string_view rest, bool& has_prefix) const {
    has_prefix = false;
    if (starts_with(rest, "\"")) {
      size_t used = 0;
      auto a = unquote_c(rest, used);
      if (!a || used >= rest.size() || rest[used] != ' ') fail(i_, "bad quoted name in `diff --git`");
      std::string_view tail = rest.substr(used + 1);
      std::optional<std::string> b = std::string(tail);
      if (starts_with(tail, "\"")) b = unquote_c(tail, used);
      if (!b) fail(i_, "bad quoted name in `diff --git`");
      has_prefix = starts_with(*a, "a/") && starts_with(*b, "b/");
      return {*a, *b};
    }
    // Unquoted names may hold spaces: the two halves are the same file unless renamed.
    if (rest.size() % 2 == 1) {
      size_t half = rest.size() / 2;
      std::string_view a = rest.substr(0, half), b = rest.substr(half + 1);
      if (rest[half] == ' ' && starts_with(a, "a/") && starts_with(b, "b/") &&
          a.substr(2) == b.substr(2)) {
        has_prefix = true;
        return {std::string(a), std::string(b)};
      }
      if (rest[half] == ' ' && a == b) return {std::string(a), std::string(b)};
    }
    size_t split = rest.find(" b/");
    if (starts_with(rest, "a/") && split != std::string_view::npos) {
      has_prefix = true;
      return {std::string(rest.substr(0, split)), std::string(rest.substr(split + 1))};
    }
    size_t space = rest.find(' ');
    if (space == std::string_view::npos) fail(i_, "cannot read the file names of `diff --git`");
    return {std::string(rest.substr(0, space)), std::string(rest.substr(space + 1))};
  }

  FilePatch parse_git() {
    const size_t start = i_;
    bool has_prefix = false;
    auto [git_old, git_new] = git_names(header(lines_[i_]).substr(11), has_prefix);
    if (has_prefix) {
      git_old = git_old.substr(2);
      git_new = git_new.substr(2);
    }
    ++i_;
    FilePatch fp;
    bool is_new = false, is_deleted = false;
    std::optional<std::string> rename_from, rename_to;
    for (; i_ < lines_.size(); ++i_) {
      std::string_view h = header(lines_[i_]);
      auto value = [&](std::string_view key) -> std::string {
        std::string_view v = h.substr(key.size());
        if (starts_with(v, "\"")) {
          size_t used = 0;
          auto unq = unquote_c(v, used);
          if (!unq) fail(i_, "bad quoted file name");
          return *unq;
        }
        return std::string(v);
      };
      if (starts_with(h, "old mode ") || starts_with(h, "index ") ||
          starts_with(h, "similarity index ") || starts_with(h, "dissimilarity index ")) {
        continue;
      } else if (starts_with(h, "new mode ")) {
        fp.new_mode = value("new mode ");
      } else if (starts_with(h, "new file mode ")) {
        is_new = true;
        fp.new_mode = value("new file mode ");
      } else if (starts_with(h, "deleted file mode ")) {
        is_deleted = true;
      } else if (starts_with(h, "rename from ")) {
        rename_from = value("rename from ");
      } else if (starts_with(h, "rename to ")) {
        rename_to = value("rename to ");
      } else if (starts_with(h, "copy from ") || starts_with(h, "copy to ")) {
        fail(i_, "git copies are not supported");
      } else {
        reject_binary(h);
        break;
      }
    }
    if (rename_from.has_value() != rename_to.has_value())
      fail(start, "`rename from` without `rename to` (or the reverse)");

    std::optional<std::string> old_path = git_old, new_path = git_new;
    bool has_headers = i_ < lines_.size() && starts_with(header(lines_[i_]), "--- ");
    if (has_headers) {
      if (i_ + 1 >= lines_.size() || !starts_with(header(lines_[i_ + 1]), "+++ "))
        fail(i_, "`---` header is not followed by a `+++` header");
      old_path = header_path(i_, header(lines_[i_]).substr(4));
      new_path = header_path(i_ + 1, header(lines_[i_ + 1]).substr(4));
      if (has_prefix && old_path) *old_path = strip_prefix(*old_path, "a/");
      if (has_prefix && new_path) *new_path = strip_prefix(*new_path, "b/");
      if (!old_path) is_new = true;
      if (!new_path) is_deleted = true;
      i_ += 2;
    }
    if (rename_from) {
      old_path = rename_from;
      new_path = rename_to;
    }
    if (is_new && is_deleted) fail(start, "file is both created and deleted");
    if (rename_from && (is_new || is_deleted)) fail(start, "a renamed file cannot be created or deleted");
    if (is_new) {
      fp.action = FilePatch::kCreate;
      fp.new_path = normalize_path(*new_path);
    } else if (is_deleted) {
      fp.action = FilePatch::kDelete;
      fp.old_path = normalize_path(*old_path);
    } else {
      fp.old_path = normalize_path(*old_path);
      fp.new_path = normalize_path(*new_path);
      fp.action = fp.old_path == fp.new_path ? FilePatch::kModify : FilePatch::kRename;
    }
    if (has_headers) parse_hunks(fp);
    return fp;
  }

  FilePatch parse_plain() {
    const size_t start = i_;
    auto old_path = header_path(i_, header(lines_[i_]).substr(4));
    auto new_path = header_path(i_ + 1, header(lines_[i_ + 1]).substr(4));
    i_ += 2;
    if (!old_path && !new_path) fail(start, "both sides are /dev/null");
    // Like `patch -p1` when both names carry git's prefixes (or the one name
    // there is carries its own).
    bool strip = old_path && new_path
                     ? starts_with(*old_path, "a/") && starts_with(*new_path, "b/")
                     : (old_path ? starts_with(*old_path, "a/") : starts_with(*new_path, "b/"));
    if (strip && old_path) *old_path = old_path->substr(2);
    if (strip && new_path) *new_path = new_path->substr(2);
    FilePatch fp;
    if (!old_path) {
      fp.action = FilePatch::kCreate;
      fp.new_path = normalize_path(*new_path);
    } else if (!new_path) {
      fp.action = FilePatch::kDelete;
      fp.old_path = normalize_path(*old_path);
    } else {
      // `diff -u x.orig x`: plain diffs name the edited file last.
      fp.action = FilePatch::kModify;
      fp.old_path = fp.new_path = normalize_path(*new_path);
    }
    parse_hunks(fp);
    if (fp.hunks.empty()) fail(start, "file header without hunks");
    return fp;
  }

  static bool parse_number(std::string_view& s, int& out) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    if (ec != std::errc() || p == s.data() || out < 0) return false;
    s.remove_prefix(static_cast<size_t>(p - s.data()));
    return true;
  }

  // "-l[,s]" or "+l[,s]"; the count defaults to 1.
  static bool parse_range(std::string_view& s, char sign, int& start, int& count) {
    if (s.empty() || s[0] != sign) return false;
    s.remove_prefix(1);
    if (!parse_number(s, start)) return false;
    count = 1;
    if (!s.empty() && s[0] == ',') {
      s.remove_prefix(1);
      if (!parse_number(s, count)) return false;
    }
    return true;
  }

  Hunk parse_hunk_header() {
    std::string_view h = header(lines_[i_]);
    Hunk hunk;
    hunk.line = static_cast<int>(i_ + 1);
    std::string_view s = h.substr(3);
    bool ok = parse_range(s, '-', hunk.old_start, hunk.old_count) && starts_with(s, " ");
    if (ok) {
      s.remove_prefix(1);
      ok = parse_range(s, '+', hunk.new_start, hunk.new_count) &&
           (s == " @@" || starts_with(s, " @@ ") || (starts_with(s, " @@") && s.size() == 3));
    }
    if (!ok) fail(i_, fmt::format("malformed hunk header `{}`", h));
    if ((hunk.old_count > 0 && hunk.old_start == 0) || (hunk.new_count > 0 && hunk.new_start == 0))
      fail(i_, fmt::format("hunk header `{}` starts at line 0", h));
    return hunk;
  }

  void parse_hunks(FilePatch& fp) {
    while (i_ < lines_.size() && starts_with(header(lines_[i_]), "@@ ")) {
      Hunk hunk = parse_hunk_header();
      const size_t header_index = i_++;
      int old_left = hunk.old_count, new_left = hunk.new_count;
      auto mark_no_newline = [&] {
        if (hunk.lines.empty()) fail(i_, "`\\ No newline at end of file` before any hunk line");
        hunk.lines.back().no_newline = true;
      };
      while (old_left > 0 || new_left > 0) {
        if (i_ >= lines_.size())
          fail(i_ - 1, fmt::format("patch ends inside the hunk at line {} ({} old and {} new lines "
                                   "missing)",
                                   header_index + 1, old_left, new_left));
        std::string_view raw = lines_[i_];
        // An empty line is a context line whose space was stripped by an editor.
        char op = raw.empty() ? ' ' : raw[0];
        std::string_view text = raw.empty() ? raw : raw.substr(1);
        if (op == '\\') {
          mark_no_newline();
          ++i_;
          continue;
        }
        bool fits = (op == ' ' && old_left > 0 && new_left > 0) || (op == '-' && old_left > 0) ||
                    (op == '+' && new_left > 0);
        if (op != ' ' && op != '-' && op != '+')
          fail(i_, fmt::format("unexpected `{}` in the hunk at line {} (hunk lines start with "
                               "' ', '-', '+' or '\\')",
                               raw, header_index + 1));
        if (!fits)
          fail(i_, fmt::format("the hunk at line {} has more lines than its header says",
                               header_index + 1));
        if (op != '+') --old_left;
        if (op != '-') --new_left;
        hunk.lines.push_back({op, std::string(text), false});
        ++i_;
      }
      if (i_ < lines_.size() && starts_with(lines_[i_], "\\")) {
        mark_no_newline();
        ++i_;
      }
      check_hunk_body(hunk, header_index);
      check_hunk_against(fp, hunk, header_index);
      fp.hunks.push_back(std::move(hunk));
      // A stray body line right after the hunk means the counts are wrong.
      if (i_ < lines_.size()) {
        std::string_view next = header(lines_[i_]);
        bool next_file = starts_with(next, "--- ") && i_ + 1 < lines_.size() &&
                         starts_with(header(lines_[i_ + 1]), "+++ ");
        bool signature = next == "-- " || next == "--";
        if (!next_file && !signature && !next.empty() &&
            (next[0] == '+' || next[0] == '-' || next[0] == ' '))
          fail(i_, fmt::format("the hunk at line {} has more lines than its header says",
                               header_index + 1));
      }
    }
  }

  // A line without newline must be the last of its side(s) in the hunk.
  void check_hunk_body(const Hunk& hunk, size_t header_index) const {
    bool old_ended = false, new_ended = false;
    for (const auto& l : hunk.lines) {
      bool on_old = l.op != '+', on_new = l.op != '-';
      if ((on_old && old_ended) || (on_new && new_ended))
        fail(header_index, "a line follows one marked `\\ No newline at end of file`");
      if (l.no_newline) {
        old_ended |= on_old;
        new_ended |= on_new;
      }
    }
  }

  void check_hunk_against(const FilePatch& fp, const Hunk& hunk, size_t header_index) const {
    if (fp.action == FilePatch::kCreate && hunk.old_count != 0)
      fail(header_index, "a hunk of a created file has old lines");
    if (fp.action == FilePatch::kDelete && hunk.new_count != 0)
      fail(header_index, "a hunk of a deleted file has new lines");
    if (!fp.hunks.empty()) {
      const Hunk& prev = fp.hunks.back();
      int prev_end = (prev.old_count == 0 ? prev.old_start : prev.old_start - 1) + prev.old_count;
      int here = hunk.old_count == 0 ? hunk.old_start : hunk.old_start - 1;
      if (here < prev_end) fail(header_index, "hunk overlaps or precedes the previous hunk");
    }
  }

  std::vector<std::string_view> lines_;
  size_t i_ = 0;
};

std::string describe(const TextLine& l) {
  return fmt::format("`{}`{}", l.text, l.has_newline ? "" : " (no newline at end of file)");
}

std::string join(const std::vector<TextLine>& lines) {
  std::string out;
  for (const auto& l : lines) {
    out += l.text;
    if (l.has_newline) out += '\n';
  }
  return out;
}

}  // namespace

ParsedPatch parse_unified_patch(std::string_view text) { return Parser(text).parse(); }

void check_patch_paths(const ParsedPatch& patch) {
  std::set<std::string> seen;
  auto check = [&](const std::string& path) {
    auto bad = [&](std::string_view why) {
      std::string shown = path;  // a NUL would cut the message short
      for (size_t at; (at = shown.find('\0')) != std::string::npos;) shown.replace(at, 1, "\\0");
      throw Error(ErrorCode::kInvalidArgument, fmt::format("check patch path `{}`: {}", shown, why));
    };
    if (path.empty()) bad("empty path");
    if (path.find('\0') != std::string::npos) bad("contains a NUL byte");
    if (path[0] == '/') bad("absolute paths are not allowed (except under `/workspace/`)");
    size_t pos = 0;
    while (pos <= path.size()) {
      size_t slash = std::min(path.find('/', pos), path.size());
      if (std::string_view(path).substr(pos, slash - pos) == "..") bad("`..` leaves the workspace");
      pos = slash + 1;
    }
    if (!seen.insert(path).second) bad("touched by more than one file patch");
  };
  for (const auto& fp : patch.files) {
    if (fp.action != FilePatch::kCreate) check(fp.old_path);
    if (fp.action == FilePatch::kCreate || fp.action == FilePatch::kRename) check(fp.new_path);
  }
}

FileApplyResult apply_file_patch(const FilePatch& fp, const std::optional<std::string>& original) {
  FileApplyResult r;
  const std::string& name = fp.action == FilePatch::kCreate ? fp.new_path : fp.old_path;
  if (fp.action == FilePatch::kCreate && original) {
    r.message = fmt::format("create `{}`: file already exists", name);
    return r;
  }
  if (fp.action != FilePatch::kCreate && !original) {
    static constexpr const char* kVerb[] = {"create", "modify", "delete", "rename"};
    r.message = fmt::format("{} `{}`: file does not exist", kVerb[fp.action], name);
    return r;
  }
  const std::string_view text = original ? std::string_view(*original) : std::string_view();
  const std::vector<TextLine> orig = split_lines(text);
  const int n = static_cast<int>(orig.size());
  std::vector<TextLine> out;
  int cursor = 0;  // orig[0, cursor) is already copied or replaced
  int failed = 0;

  for (size_t h = 0; h < fp.hunks.size(); ++h) {
    const Hunk& hunk = fp.hunks[h];
    std::vector<TextLine> old_side, new_side;
    for (const auto& l : hunk.lines) {
      TextLine t{l.text, !l.no_newline};
      if (l.op != '+') old_side.push_back(t);
      if (l.op != '-') new_side.push_back(t);
    }
    const int len = static_cast<int>(old_side.size());
    const int stated = std::max(0, hunk.old_count == 0 ? hunk.old_start : hunk.old_start - 1);
    HunkReport rep{static_cast<int>(h + 1), hunk.old_start, false, 0, ""};

    auto matches = [&](int pos) {
      if (pos < cursor || pos + len > n) return false;
      for (int k = 0; k < len; ++k)
        if (!(orig[pos + k] == old_side[k])) return false;
      // Lines cannot follow one that has no newline.
      bool more_after = pos + len < n;
      bool inserts_after_unterminated = len == 0 && pos > 0 && !orig[pos - 1].has_newline &&
                                        !new_side.empty();
      bool new_ends_unterminated = !new_side.empty() && !new_side.back().has_newline;
      return !inserts_after_unterminated && !(more_after && new_ends_unterminated);
    };
    int found = -1;
    for (int off = 0; found < 0 && (stated + off <= n || stated - off >= cursor); ++off) {
      if (matches(stated + off)) found = stated + off;
      else if (off > 0 && matches(stated - off)) found = stated - off;
    }

    if (found >= 0) {
      out.insert(out.end(), orig.begin() + cursor, orig.begin() + found);
      out.insert(out.end(), new_side.begin(), new_side.end());
      cursor = found + len;
      rep.applied = true;
      rep.offset = found - stated;
      if (rep.offset != 0)
        rep.message = fmt::format("applied at line {} (offset {:+d} lines)", found + 1, rep.offset);
    } else {
      ++failed;
      int at = std::min(stated, n);
      int k = 0;
      while (k < len && at + k < n && orig[at + k] == old_side[k]) ++k;
      if (k < len && at + k < n) {
        std::string hint;
        const TextLine& want = old_side[k];
        const TextLine& got = orig[at + k];
        if (std::string(want.text) + "\r" == got.text || std::string(got.text) + "\r" == want.text)
          hint = " (line endings differ: CRLF vs LF)";
        rep.message = fmt::format("context mismatch at line {}: expected {}, found {}{}", at + k + 1,
                                  describe(want), describe(got), hint);
      } else if (k < len) {
        rep.message = fmt::format("context mismatch at line {}: expected {}, found end of file",
                                  at + k + 1, describe(old_side[k]));
      } else if (stated < cursor) {
        rep.message = fmt::format("overlaps the previous hunk, which ends at line {}", cursor);
      } else if (stated > n) {
        rep.message = fmt::format("starts at line {}, past the end of the file ({} lines)",
                                  hunk.old_start, n);
      } else {
        rep.message = "would put lines after a line that has no newline at end of file";
      }
    }
    r.hunks.push_back(std::move(rep));
  }
  if (failed > 0) {
    r.message = fmt::format("patch `{}`: {} of {} hunks failed", name, failed, fp.hunks.size());
    return r;
  }
  out.insert(out.end(), orig.begin() + cursor, orig.end());
  if (fp.action == FilePatch::kDelete) {
    if (!out.empty()) {
      r.message = fmt::format("delete `{}`: content does not match the patch ({} lines would remain)",
                              name, out.size());
      return r;
    }
    r.ok = true;
    return r;
  }
  r.ok = true;
  r.content = join(out);
  return r;
}

}  // namespace pyro::detail
