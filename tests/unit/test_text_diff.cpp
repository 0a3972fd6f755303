// unified_diff is checked against the system's GNU `diff -u` and by round
// trips through the patch parser and applier.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "workspace/patch.hpp"
#include "workspace/text_diff.hpp"

using pyro::detail::apply_file_patch;
using pyro::detail::FilePatch;
using pyro::detail::looks_binary;
using pyro::detail::parse_unified_patch;
using pyro::detail::split_lines;
using pyro::detail::unified_diff;

namespace {

// Random texts. `alphabet` small means many repeated lines (ambiguous diffs);
// fresh lines are unique across the whole test.
struct TextGen {
  std::mt19937 rng;
  int fresh = 0;
  explicit TextGen(unsigned seed) : rng(seed) {}
  int below(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng); }
  std::string fresh_line() { return "fresh line " + std::to_string(fresh++); }

  std::vector<std::string> lines(int max_lines, int alphabet) {
    std::vector<std::string> out(static_cast<size_t>(below(max_lines + 1)));
    for (auto& l : out) l = alphabet > 0 ? "w" + std::to_string(below(alphabet)) : fresh_line();
    return out;
  }
  // Deletes, inserts and replaces runs of lines.
  std::vector<std::string> edit(std::vector<std::string> v, int alphabet) {
    int edits = 1 + below(4);
    for (int e = 0; e < edits; ++e) {
      size_t at = static_cast<size_t>(below(static_cast<int>(v.size()) + 1));
      size_t del = std::min(v.size() - at, static_cast<size_t>(below(3)));
      v.erase(v.begin() + static_cast<long>(at), v.begin() + static_cast<long>(at + del));
      int ins = below(3);
      for (int k = 0; k < ins; ++k)
        v.insert(v.begin() + static_cast<long>(at),
                 alphabet > 0 ? "w" + std::to_string(below(alphabet)) : fresh_line());
    }
    return v;
  }
  std::string join(const std::vector<std::string>& v, bool final_newline, bool crlf) {
    std::string out;
    for (size_t i = 0; i < v.size(); ++i) {
      out += v[i];
      if (i + 1 < v.size() || final_newline) out += crlf ? "\r\n" : "\n";
    }
    return out;
  }
};

std::string write_temp(const std::string& content) {
  char name[] = "/tmp/pyro-text-diff-XXXXXX";
  int fd = mkstemp(name);
  REQUIRE(fd >= 0);
  REQUIRE(write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()));
  close(fd);
  return name;
}

// `diff -U<context>` of the system; nullopt when it is not installed.
std::optional<std::string> gnu_diff(const std::string& a, const std::string& b, int context) {
  if (access("/usr/bin/diff", X_OK) != 0) return std::nullopt;
  std::string fa = write_temp(a), fb = write_temp(b);
  std::string cmd = "/usr/bin/diff -U" + std::to_string(context) + " --label old --label new " +
                    fa + " " + fb;
  FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  std::string out;
  char buf[4096];
  size_t got;
  while ((got = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, got);
  pclose(p);
  unlink(fa.c_str());
  unlink(fb.c_str());
  return out;
}

int changed_lines(const std::string& diff) {
  int n = 0;
  for (const auto& l : split_lines(diff))
    if (!l.text.empty() && (l.text[0] == '-' || l.text[0] == '+') && l.text.substr(0, 3) != "---" &&
        l.text.substr(0, 3) != "+++")
      ++n;
  return n;
}

void check_round_trip(const std::string& a, const std::string& b, int context) {
  std::string d = unified_diff(a, b, "a/f.txt", "b/f.txt", context);
  if (a == b) {
    CHECK(d.empty());
    return;
  }
  auto patch = parse_unified_patch(d);
  REQUIRE(patch.files.size() == 1);
  CHECK(patch.files[0].old_path == "f.txt");
  auto r = apply_file_patch(patch.files[0], a);
  CHECK_MESSAGE(r.ok, d);
  CHECK_MESSAGE(r.content == b, d);
}

}  // namespace

TEST_CASE("split_lines keeps CR and marks the unterminated last line") {
  auto l = split_lines("a\r\nb\nc");
  REQUIRE(l.size() == 3);
  CHECK(l[0].text == "a\r");
  CHECK(l[2].text == "c");
  CHECK_FALSE(l[2].has_newline);
  CHECK(split_lines("").empty());
  CHECK(split_lines("\n").size() == 1);
}

TEST_CASE("unified_diff of equal texts is empty") {
  CHECK(unified_diff("", "", "a", "b").empty());
  CHECK(unified_diff("x\ny", "x\ny", "a", "b").empty());
}

TEST_CASE("unified_diff matches GNU diff -u on texts with distinct lines") {
  if (!gnu_diff("", "x\n", 3)) {
    MESSAGE("skipped: /usr/bin/diff is missing");
    return;
  }
  TextGen gen(20240601);
  int compared = 0;
  for (int i = 0; i < 50; ++i) {
    auto old_lines = gen.lines(30, 0);
    auto new_lines = gen.edit(old_lines, 0);
    bool crlf = i % 7 == 0;
    std::string a = gen.join(old_lines, gen.below(4) != 0, crlf);
    std::string b = gen.join(new_lines, gen.below(4) != 0, crlf);
    for (int context : {3, 0, 1}) {
      auto expected = gnu_diff(a, b, context);
      CHECK_MESSAGE(unified_diff(a, b, "old", "new", context) == *expected,
                    "case " << i << " context " << context);
      ++compared;
    }
  }
  CHECK(compared == 150);
}

TEST_CASE("unified_diff matches GNU diff -u on edge cases") {
  if (!gnu_diff("", "x\n", 3)) return;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "a\n"},           {"a\n", ""},          {"a", "a\n"},         {"a\n", "a"},
      {"a\nb", "a\nc"},      {"x\n\n", "x\n"},     {"\n\n\n", "\n"},     {"a\nb\nc\n", "a\nc\n"},
      {"a\r\nb\r\n", "a\nb\n"},
      // Inserting a block that ends like its surroundings: GNU slides it down.
      {"f\n}\n\ng\n}\n", "f\n}\n\nnew\n}\n\ng\n}\n"},
  };
  for (const auto& [old_text, new_text] : cases) {
    const auto& a = old_text;  // clang 14 cannot capture a structured binding
    const auto& b = new_text;
    for (int context : {3, 0})
      CHECK_MESSAGE(unified_diff(a, b, "old", "new", context) == *gnu_diff(a, b, context),
                    "old=" << a << " new=" << b);
  }
}

TEST_CASE("unified_diff on repetitive texts is as short as GNU diff and mostly identical") {
  if (!gnu_diff("", "x\n", 3)) return;
  TextGen gen(77);
  int identical = 0;
  const int cases = 50;
  for (int i = 0; i < cases; ++i) {
    auto old_lines = gen.lines(25, 4);
    std::string a = gen.join(old_lines, gen.below(3) != 0, false);
    std::string b = gen.join(gen.edit(old_lines, 4), gen.below(3) != 0, false);
    std::string ours = unified_diff(a, b, "old", "new");
    std::string theirs = *gnu_diff(a, b, 3);
    // Several shortest scripts exist; ours is a shortest one (GNU's heuristics may not be).
    CHECK(changed_lines(ours) <= changed_lines(theirs));
    identical += ours == theirs;
    check_round_trip(a, b, 3);
  }
  MESSAGE(identical << " of " << cases << " repetitive cases byte-identical to GNU diff");
  CHECK(identical >= cases / 2);
}

TEST_CASE("unified_diff round-trips through parse and apply") {
  TextGen gen(12345);
  for (int i = 0; i < 300; ++i) {
    int alphabet = i % 3 == 0 ? 0 : 2 + gen.below(6);
    auto old_lines = gen.lines(40, alphabet);
    auto new_lines = gen.edit(old_lines, alphabet);
    bool crlf = i % 5 == 0;
    std::string a = gen.join(old_lines, gen.below(3) != 0, crlf);
    std::string b = gen.join(new_lines, gen.below(3) != 0, crlf);
    check_round_trip(a, b, i % 4);
  }
}

TEST_CASE("unified_diff from and to nothing round-trips as create and delete") {
  std::string text = "one\ntwo\nthree";
  auto created = parse_unified_patch(unified_diff("", text, "/dev/null", "b/new.txt"));
  REQUIRE(created.files.size() == 1);
  CHECK(created.files[0].action == FilePatch::kCreate);
  CHECK(created.files[0].new_path == "new.txt");
  auto r = apply_file_patch(created.files[0], std::nullopt);
  CHECK(r.ok);
  CHECK(r.content == text);

  auto deleted = parse_unified_patch(unified_diff(text, "", "a/old.txt", "/dev/null"));
  CHECK(deleted.files[0].action == FilePatch::kDelete);
  auto d = apply_file_patch(deleted.files[0], text);
  CHECK(d.ok);
  CHECK_FALSE(d.content.has_value());
}

TEST_CASE("unified_diff falls back to one replacing hunk when the texts share nothing and are large") {
  std::string a, b;
  for (int i = 0; i < 5000; ++i) {
    a += "a" + std::to_string(i) + "\n";
    b += "b" + std::to_string(i) + "\n";
  }
  std::string d = unified_diff(a, b, "old", "new");
  CHECK(changed_lines(d) == 10000);
  check_round_trip(a, b, 3);
}

TEST_CASE("looks_binary: NUL bytes and invalid UTF-8") {
  CHECK_FALSE(looks_binary(""));
  CHECK_FALSE(looks_binary("plain text\n"));
  CHECK_FALSE(looks_binary("h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80"));
  CHECK(looks_binary(std::string("a\0b", 3)));
  CHECK(looks_binary("\xFF\xFE"));
  CHECK(looks_binary("\xC0\xAF"));          // overlong '/'
  CHECK(looks_binary("\xED\xA0\x80"));      // surrogate
  CHECK(looks_binary("\xE2\x82"));          // truncated
  CHECK(looks_binary("\xF4\x90\x80\x80"));  // past U+10FFFF
  std::string late_nul(9000, 'x');
  late_nul[8500] = '\0';
  CHECK_FALSE(looks_binary(late_nul));  // NUL past the first 8000 bytes is valid UTF-8
}
