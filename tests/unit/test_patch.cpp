// parse_unified_patch / check_patch_paths / apply_file_patch on hand-written
// plain and git patches. Round trips against unified_diff are in test_text_diff.cpp.
#include <doctest/doctest.h>

#include <string>

#include "pyro/error.hpp"
#include "workspace/patch.hpp"
#include "workspace/text_diff.hpp"

using pyro::detail::apply_file_patch;
using pyro::detail::check_patch_paths;
using pyro::detail::FilePatch;
using pyro::detail::parse_unified_patch;
using pyro::detail::unified_diff;

namespace {

std::string numbered(int from, int to) {
  std::string s;
  for (int i = from; i <= to; ++i) s += "line " + std::to_string(i) + "\n";
  return s;
}

// The message of the kInvalidArgument error `fn` throws ("" if none).
template <typename Fn>
std::string invalid_argument(Fn fn) {
  try {
    fn();
  } catch (const pyro::Error& e) {
    CHECK(e.code() == pyro::ErrorCode::kInvalidArgument);
    return e.what();
  }
  FAIL("no error thrown");
  return "";
}

std::string parse_error(const std::string& text) {
  return invalid_argument([&] { parse_unified_patch(text); });
}

std::string path_error(const std::string& text) {
  return invalid_argument([&] { check_patch_paths(parse_unified_patch(text)); });
}

}  // namespace

TEST_CASE("parse a git diff with modify, create, delete and rename") {
  const std::string text =
      "commit message lines are ignored\n"
      "diff --git a/src/main.c b/src/main.c\n"
      "index 1234567..89abcde 100644\n"
      "--- a/src/main.c\n"
      "+++ b/src/main.c\n"
      "@@ -1,2 +1,2 @@\n"
      " int x;\n"
      "-int y;\n"
      "+long y;\n"
      "diff --git a/new.txt b/new.txt\n"
      "new file mode 100755\n"
      "index 0000000..e69de29\n"
      "--- /dev/null\n"
      "+++ b/new.txt\n"
      "@@ -0,0 +1 @@\n"
      "+hello\n"
      "diff --git a/gone.txt b/gone.txt\n"
      "deleted file mode 100644\n"
      "--- a/gone.txt\n"
      "+++ /dev/null\n"
      "@@ -1 +0,0 @@\n"
      "-bye\n"
      "diff --git a/old name.txt b/new name.txt\n"
      "similarity index 100%\n"
      "rename from old name.txt\n"
      "rename to new name.txt\n"
      "diff --git a/empty b/empty\n"
      "new file mode 100644\n"
      "index 0000000..e69de29\n";
  auto p = parse_unified_patch(text);
  REQUIRE(p.files.size() == 5);
  CHECK(p.files[0].action == FilePatch::kModify);
  CHECK(p.files[0].old_path == "src/main.c");
  CHECK(p.files[0].new_path == "src/main.c");
  REQUIRE(p.files[0].hunks.size() == 1);
  CHECK(p.files[0].hunks[0].lines.size() == 3);
  CHECK(p.files[1].action == FilePatch::kCreate);
  CHECK(p.files[1].new_path == "new.txt");
  CHECK(p.files[1].new_mode == "100755");
  CHECK(p.files[2].action == FilePatch::kDelete);
  CHECK(p.files[2].old_path == "gone.txt");
  CHECK(p.files[3].action == FilePatch::kRename);
  CHECK(p.files[3].old_path == "old name.txt");
  CHECK(p.files[3].new_path == "new name.txt");
  CHECK(p.files[3].hunks.empty());
  CHECK(p.files[4].action == FilePatch::kCreate);
  CHECK(p.files[4].new_path == "empty");
  CHECK_NOTHROW(check_patch_paths(p));

  CHECK(apply_file_patch(p.files[0], "int x;\nint y;\n").content == "int x;\nlong y;\n");
  CHECK(apply_file_patch(p.files[1], std::nullopt).content == "hello\n");
  auto del = apply_file_patch(p.files[2], "bye\n");
  CHECK(del.ok);
  CHECK_FALSE(del.content.has_value());
  CHECK(apply_file_patch(p.files[3], "same\n").content == "same\n");
  CHECK(apply_file_patch(p.files[4], std::nullopt).content == "");
}

TEST_CASE("rename with edits, quoted names and CRLF patch headers") {
  auto p = parse_unified_patch(
      "diff --git \"a/caf\\303\\251.txt\" \"b/tea.txt\"\r\n"
      "similarity index 80%\r\n"
      "rename from \"caf\\303\\251.txt\"\r\n"
      "rename to tea.txt\r\n"
      "--- \"a/caf\\303\\251.txt\"\r\n"
      "+++ b/tea.txt\r\n"
      "@@ -1,2 +1,2 @@\r\n"
      " keep\r\n"
      "-hot\r\n"
      "+cold\r\n");
  REQUIRE(p.files.size() == 1);
  CHECK(p.files[0].action == FilePatch::kRename);
  CHECK(p.files[0].old_path == "caf\xC3\xA9.txt");
  CHECK(p.files[0].new_path == "tea.txt");
  // Content lines keep their CR: the file is CRLF.
  auto r = apply_file_patch(p.files[0], "keep\r\nhot\r\n");
  CHECK(r.ok);
  CHECK(r.content == "keep\r\ncold\r\n");
}

TEST_CASE("plain diff -u headers: timestamps, no prefixes, /workspace root, ./") {
  auto p = parse_unified_patch(
      "--- notes.txt\t2024-01-01 10:00:00.000000000 +0000\n"
      "+++ notes.txt\t2024-01-02 10:00:00.000000000 +0000\n"
      "@@ -1 +1 @@\n"
      "-a\n"
      "+b\n"
      "--- /workspace/src/x.py\n"
      "+++ /workspace/src/x.py\n"
      "@@ -1 +1 @@\n"
      "-a\n"
      "+b\n"
      "--- ./dir/./y\n"
      "+++ ./dir/./y\n"
      "@@ -1 +1 @@\n"
      "-a\n"
      "+b\n");
  REQUIRE(p.files.size() == 3);
  CHECK(p.files[0].old_path == "notes.txt");
  CHECK(p.files[1].old_path == "src/x.py");
  CHECK(p.files[2].old_path == "dir/y");
  CHECK(p.files[0].hunks[0].old_count == 1);  // count defaults to 1
  CHECK_NOTHROW(check_patch_paths(p));
}

TEST_CASE("a hunk that moved is applied at the nearest offset") {
  auto p = parse_unified_patch(unified_diff(numbered(1, 20), numbered(1, 9) + "new\n" + numbered(11, 20),
                                            "a/f", "b/f"));
  auto r = apply_file_patch(p.files[0], "header 1\nheader 2\n" + numbered(1, 20));
  CHECK(r.ok);
  CHECK(r.content == "header 1\nheader 2\n" + numbered(1, 9) + "new\n" + numbered(11, 20));
  REQUIRE(r.hunks.size() == 1);
  CHECK(r.hunks[0].applied);
  CHECK(r.hunks[0].offset == 2);
  CHECK(r.hunks[0].message.find("offset") != std::string::npos);
}

TEST_CASE("an offset search never goes back before the previous hunk") {
  // Both hunks have the same context. The first moved down by 3 and used the
  // lines where the second says it starts, so the second may only move forward.
  std::string text = "p\nq\nr\na\nb\nc\na\nb\nc\n";
  auto p = parse_unified_patch(
      "--- f\n+++ f\n"
      "@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n"
      "@@ -4,3 +4,3 @@\n a\n-b\n+B2\n c\n");
  auto r = apply_file_patch(p.files[0], text);
  CHECK(r.ok);
  CHECK(r.content == "p\nq\nr\na\nB\nc\na\nB2\nc\n");
  CHECK(r.hunks[0].offset == 3);
  CHECK(r.hunks[1].offset == 3);
}

TEST_CASE("a conflicting hunk is reported with its index, line and the mismatch") {
  std::string old_text = numbered(1, 30);
  std::string new_text = old_text;
  new_text.replace(new_text.find("line 2\n"), 7, "LINE 2\n");
  new_text.replace(new_text.find("line 15\n"), 8, "LINE 15\n");
  new_text.replace(new_text.find("line 28\n"), 8, "LINE 28\n");
  auto p = parse_unified_patch(unified_diff(old_text, new_text, "a/f", "b/f"));
  REQUIRE(p.files[0].hunks.size() == 3);

  std::string current = old_text;
  current.replace(current.find("line 14\n"), 8, "changed 14\n");
  auto r = apply_file_patch(p.files[0], current);
  CHECK_FALSE(r.ok);
  CHECK_FALSE(r.content.has_value());
  REQUIRE(r.hunks.size() == 3);
  CHECK(r.hunks[0].applied);
  CHECK_FALSE(r.hunks[1].applied);
  CHECK(r.hunks[1].index == 2);
  CHECK(r.hunks[1].old_start == 12);
  CHECK(r.hunks[1].message ==
        "context mismatch at line 14: expected `line 14`, found `changed 14`");
  CHECK(r.hunks[2].applied);
  CHECK(r.message.find("1 of 3") != std::string::npos);
}

TEST_CASE("file-level failures: create over a file, edit a missing file, delete changed content") {
  auto create = parse_unified_patch("--- /dev/null\n+++ b/x\n@@ -0,0 +1 @@\n+a\n").files[0];
  auto r = apply_file_patch(create, std::string("exists\n"));
  CHECK_FALSE(r.ok);
  CHECK(r.message == "create `x`: file already exists");

  auto modify = parse_unified_patch("--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n").files[0];
  r = apply_file_patch(modify, std::nullopt);
  CHECK_FALSE(r.ok);
  CHECK(r.message == "modify `x`: file does not exist");

  auto del = parse_unified_patch("--- a/x\n+++ /dev/null\n@@ -1 +0,0 @@\n-a\n").files[0];
  r = apply_file_patch(del, std::string("a\nmore\n"));
  CHECK_FALSE(r.ok);
  CHECK(r.message.find("1 lines would remain") != std::string::npos);
}

TEST_CASE("no-newline markers are honoured on each side") {
  auto add_newline = parse_unified_patch(
      "--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n");
  auto hunk = add_newline.files[0].hunks[0];
  CHECK(hunk.lines[1].no_newline);
  CHECK_FALSE(hunk.lines[2].no_newline);
  CHECK(apply_file_patch(add_newline.files[0], std::string("a\nb")).content == "a\nb\n");
  // The same patch does not apply when the file already ends with a newline.
  auto r = apply_file_patch(add_newline.files[0], std::string("a\nb\n"));
  CHECK_FALSE(r.ok);
  CHECK(r.hunks[0].message.find("no newline") != std::string::npos);

  auto drop_newline = parse_unified_patch(
      "--- a/x\n+++ b/x\n@@ -1 +1 @@\n-b\n+b\n\\ No newline at end of file\n");
  CHECK(apply_file_patch(drop_newline.files[0], std::string("b\n")).content == "b");
}

TEST_CASE("path rules reject unsafe and duplicate paths") {
  CHECK(path_error("--- a/../x\n+++ b/../x\n@@ -1 +1 @@\n-a\n+b\n").find("`../x`") !=
        std::string::npos);
  CHECK(path_error("--- /etc/passwd\n+++ /etc/passwd\n@@ -1 +1 @@\n-a\n+b\n").find("`/etc/passwd`") !=
        std::string::npos);
  CHECK_FALSE(path_error("--- a/d/../../x\n+++ b/d/../../x\n@@ -1 +1 @@\n-a\n+b\n").empty());
  CHECK_FALSE(path_error("--- /workspace\n+++ /workspace\n@@ -1 +1 @@\n-a\n+b\n").empty());
  std::string nul_patch = "--- a/x\n+++ b/x";
  nul_patch += '\0';
  nul_patch += "y\n@@ -1 +1 @@\n-a\n+b\n";
  CHECK(path_error(nul_patch).find("NUL") != std::string::npos);
  // The same file twice, also via ./ and a rename's source.
  CHECK(path_error("--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n"
                   "--- a/./x\n+++ b/./x\n@@ -3 +3 @@\n-a\n+b\n")
            .find("more than one") != std::string::npos);
  CHECK(path_error("diff --git a/x b/y\nsimilarity index 100%\nrename from x\nrename to y\n"
                   "diff --git a/x b/x\nnew file mode 100644\n"
                   "--- /dev/null\n+++ b/x\n@@ -0,0 +1 @@\n+a\n")
            .find("`x`") != std::string::npos);
}

TEST_CASE("malformed patches are rejected with the line number") {
  CHECK(parse_error("").find("no file patch") != std::string::npos);
  CHECK(parse_error("just some text\n").find("line 1:") != std::string::npos);
  CHECK(parse_error("--- a/x\nnot plus\n").find("line 1:") != std::string::npos);
  CHECK(parse_error("--- a/x\n+++ b/x\n@@ -1 +1 @\n-a\n+b\n").find("line 3:") != std::string::npos);
  CHECK(parse_error("@@ -1 +1 @@\n-a\n+b\n").find("line 1:") != std::string::npos);
  // Ends early.
  CHECK(parse_error("--- a/x\n+++ b/x\n@@ -1,3 +1,3 @@\n a\n-b\n").find("line 5:") !=
        std::string::npos);
  // Wrong character in a body.
  CHECK(parse_error("--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n a\n*b\n").find("line 5:") !=
        std::string::npos);
  // More lines than the header says.
  CHECK(parse_error("--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n+c\n").find("line 6:") !=
        std::string::npos);
  // A line after a "no newline" line of the same side.
  CHECK(parse_error("--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n a\n\\ No newline at end of file\n-b\n+c\n")
            .find("line 3:") != std::string::npos);
  // Hunks out of order.
  CHECK(parse_error("--- a/x\n+++ b/x\n@@ -5 +5 @@\n-a\n+b\n@@ -1 +1 @@\n-a\n+b\n").find("line 6:") !=
        std::string::npos);
  // A creation whose hunk has old lines.
  CHECK(parse_error("--- /dev/null\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n").find("line 3:") !=
        std::string::npos);
}

TEST_CASE("binary patches are rejected") {
  CHECK(parse_error("diff --git a/img.png b/img.png\nindex 1..2 100644\nGIT binary patch\nliteral 5\n")
            .find("line 3: binary") != std::string::npos);
  CHECK(parse_error("diff --git a/i.png b/i.png\nindex 1..2 100644\n"
                    "Binary files a/i.png and b/i.png differ\n")
            .find("binary") != std::string::npos);
  CHECK(parse_error("Binary files a/x and b/x differ\n").find("line 1:") != std::string::npos);
}

TEST_CASE("a pure insertion hunk and an empty context line") {
  // "-2,0": insert after line 2. The empty body line is a context line whose
  // leading space an editor stripped.
  auto p = parse_unified_patch("--- a/x\n+++ b/x\n@@ -2,0 +3 @@\n+new\n@@ -4,2 +5,2 @@\n\n-d\n+D\n");
  auto r = apply_file_patch(p.files[0], std::string("a\nb\nc\n\nd\n"));
  CHECK(r.ok);
  CHECK(r.content == "a\nb\nnew\nc\n\nD\n");
}
