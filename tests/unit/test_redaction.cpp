// Redaction of secret values (lib/workspace/redaction.hpp): whole texts, and output
// read from cursors where a secret may straddle two reads.
#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

#include "workspace/redaction.hpp"

using pyro::detail::kRedacted;
using pyro::detail::Redactor;

namespace {

// Consecutive markers collapse: adjacent secrets may come out as one or two.
std::string collapse(std::string s) {
  const std::string twice = std::string(kRedacted) + std::string(kRedacted);
  for (size_t at; (at = s.find(twice)) != std::string::npos;) s.erase(at, kRedacted.size());
  return s;
}

// Reads `stream` the way the host reads a ring: from a cursor, with lookbehind, at
// most `max_bytes` (raised to one secret's length) at or after it, of the `available`
// bytes; `finished` once everything is there and read.
struct Reader {
  const Redactor& redactor;
  int64_t cursor = 0;
  std::string output;

  // One read; true when it moved the cursor.
  bool read(const std::string& stream, size_t available, size_t max_bytes, bool complete) {
    const size_t lb = redactor.lookbehind();
    const size_t begin = static_cast<size_t>(cursor) > lb ? static_cast<size_t>(cursor) - lb : 0;
    const size_t want = std::max(max_bytes, lb + 1);
    const size_t end = std::min(available, static_cast<size_t>(cursor) + want);
    const bool finished = complete && end == stream.size();
    auto r = redactor.redact_window(std::string_view(stream).substr(begin, end - begin),
                                    static_cast<int64_t>(begin), cursor, finished);
    output += r.output;
    const bool moved = r.next_cursor != cursor;
    CHECK(r.next_cursor >= cursor);
    cursor = r.next_cursor;
    return moved;
  }
};

}  // namespace

TEST_CASE("redaction: no secrets is the identity") {
  Redactor none;
  CHECK(none.empty());
  CHECK(none.lookbehind() == 0);
  CHECK(none.redact("a secret-free text") == "a secret-free text");
  auto r = none.redact_window("abcdef", 10, 12, /*finished=*/false);
  CHECK(r.output == "cdef");
  CHECK(r.next_cursor == 16);
  CHECK_FALSE(r.held_back);
  CHECK(Redactor({""}).empty());  // empty values hide nothing
}

TEST_CASE("redaction: whole texts") {
  Redactor r({"hunter2", "s3cr3t"});
  CHECK(r.lookbehind() == 6);
  CHECK(r.redact("pw=hunter2 and s3cr3t; hunter2") == "pw=[REDACTED] and [REDACTED]; [REDACTED]");
  CHECK(r.redact("hunter") == "hunter");
  // Overlapping occurrences become one marker and leak nothing.
  Redactor overlap({"abcd", "cdef"});
  CHECK(overlap.redact("xabcdefy") == "x[REDACTED]y");
  CHECK(overlap.redact("abcabcd") == "abc[REDACTED]");
  // A cut-off stream drops a trailing start of a secret.
  CHECK(r.redact_truncated("ok hunt") == "ok ");
  CHECK(r.redact_truncated("ok hunter2") == "ok [REDACTED]");
  CHECK(r.redact_truncated("ok") == "ok");
}

TEST_CASE("redaction: a secret split across two reads at every split point never appears") {
  const std::string secret = "TOKEN-0123456789";
  Redactor r({secret});
  const std::string stream = "hello " + secret + " world\n" + secret;
  const std::string expected = "hello [REDACTED] world\n[REDACTED]";
  for (size_t split = 0; split <= stream.size(); ++split) {
    CAPTURE(split);
    Reader reader{r};
    reader.read(stream, split, 1 << 20, /*complete=*/false);
    CHECK(reader.output.find(secret.substr(0, 2)) == std::string::npos);
    reader.read(stream, stream.size(), 1 << 20, /*complete=*/true);
    CHECK(reader.output == expected);
    CHECK(reader.cursor == static_cast<int64_t>(stream.size()));
  }
}

TEST_CASE("redaction: the same cursor always gives the same output") {
  Redactor r({"password"});
  const std::string stream = "a password b pass";
  auto first = r.redact_window(stream, 0, 3, false);
  auto again = r.redact_window(stream, 0, 3, false);
  CHECK(first.output == again.output);
  CHECK(first.next_cursor == again.next_cursor);
  CHECK(first.output == " b ");  // the occurrence began before the cursor: its tail is dropped
  CHECK(first.held_back);                 // "pass" may become "password"
  CHECK(first.next_cursor == 13);
}

TEST_CASE("redaction: a held-back prefix is released when the output is finished") {
  Redactor r({"password"});
  auto held = r.redact_window("login: pass", 0, 0, /*finished=*/false);
  CHECK(held.output == "login: ");
  CHECK(held.next_cursor == 7);
  auto released = r.redact_window("login: pass", 0, 7, /*finished=*/true);
  CHECK(released.output == "pass");
  CHECK(released.next_cursor == 11);
  CHECK_FALSE(released.held_back);
}

TEST_CASE("redaction: overlapping secrets across a cut never leak") {
  // "abcd" is emitted whole as a marker; "cdef" started inside it, so "e" waits.
  Redactor r({"abcd", "cdef"});
  auto one = r.redact_window("xabcde", 0, 0, false);
  CHECK(one.output == "x[REDACTED]");
  CHECK(one.next_cursor == 5);
  CHECK(one.held_back);
  auto two = r.redact_window("bcdefy", 2, 5, true);
  CHECK(two.output == "y");  // "cdef" began before the cursor: its tail is dropped
  auto other = r.redact_window("bcdexy", 2, 5, true);
  CHECK(other.output == "exy");  // it never completed: the held byte is plain text
}

TEST_CASE("redaction: random streams read in random pieces match the whole-text redaction") {
  std::mt19937 rng(12345);
  const std::vector<std::vector<std::string>> secret_sets = {
      {"k"}, {"ab"}, {"aba"}, {"abcd", "cdef"}, {"aaaa"}, {"xyzzy", "zy", "yzz"}, {"0123456789abcdef"}};
  for (const auto& secrets : secret_sets) {
    Redactor r(secrets);
    for (int round = 0; round < 200; ++round) {
      // Text from a small alphabet with secrets planted, so occurrences overlap and touch.
      std::string stream;
      const std::string alphabet = "abcdefxyz0 \n";
      while (stream.size() < 200) {
        if (rng() % 4 == 0) {
          stream += secrets[rng() % secrets.size()];
        } else {
          stream += alphabet[rng() % alphabet.size()];
        }
      }
      Reader reader{r};
      size_t available = 0;
      for (int guard = 0; reader.cursor < static_cast<int64_t>(stream.size()) && guard < 10000; ++guard) {
        available = std::min(stream.size(), available + rng() % 20);
        reader.read(stream, available, 1 + rng() % 16, /*complete=*/true);
      }
      CAPTURE(stream);
      REQUIRE(reader.cursor == static_cast<int64_t>(stream.size()));
      for (const auto& s : secrets) CHECK(reader.output.find(s) == std::string::npos);
      CHECK(collapse(reader.output) == collapse(r.redact(stream)));
    }
  }
}

// A PEM-like multi-line value, as a terminal shows it: every "\n" becomes "\r\n".
namespace {
const std::string kPem = "-----BEGIN KEY-----\nMIIBOgIBAAJBAKj34GkxFhD9\nQzUQ1x0=\n-----END KEY-----\n";
std::string onlcr(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}
}  // namespace

TEST_CASE("redaction: a multi-line secret is found in its terminal form too") {
  Redactor r({kPem});
  CHECK(r.redact("key: " + kPem + "done") == "key: [REDACTED]done");
  CHECK(r.redact("$ cat key\r\n" + onlcr(kPem) + "$ ") == "$ cat key\r\n[REDACTED]$ ");
  CHECK(r.lookbehind() == onlcr(kPem).size() - 1);  // the longer form sets the window
  // A value that has "\r\n" already gets "\r\r\n" from the terminal.
  Redactor crlf({"one\r\ntwo"});
  CHECK(crlf.redact("x one\r\r\ntwo y") == "x [REDACTED] y");
  CHECK(crlf.redact("x one\r\ntwo y") == "x [REDACTED] y");
}

TEST_CASE("redaction: a terminal-form secret split across two reads at every split point never appears") {
  Redactor r({kPem});
  const std::string shown = onlcr(kPem);
  const std::string stream = "$ cat key.pem\r\n" + shown + "$ echo ok\r\nok\r\n" + shown;
  const std::string expected = "$ cat key.pem\r\n[REDACTED]$ echo ok\r\nok\r\n[REDACTED]";
  // No line of the key may show, whatever the cut.
  const std::vector<std::string> lines = {"MIIBOgIBAAJBAKj34GkxFhD9", "QzUQ1x0=", "BEGIN KEY", "END KEY"};
  for (size_t split = 0; split <= stream.size(); ++split) {
    CAPTURE(split);
    Reader reader{r};
    reader.read(stream, split, 1 << 20, /*complete=*/false);
    for (const auto& line : lines) CHECK(reader.output.find(line) == std::string::npos);
    reader.read(stream, stream.size(), 1 << 20, /*complete=*/true);
    CHECK(reader.output == expected);
  }
}

TEST_CASE("redaction: an excerpt cut at both ends shows no piece of a secret") {
  Redactor r({"TOKEN-0123456789"});
  const std::string text = "boot ok\nTOKEN-0123456789\nlast words TOKEN-0123456789\n";
  // Every cut of the head and the tail, as a log tail read from a larger file would be.
  for (size_t head = 0; head <= text.size(); ++head) {
    for (size_t tail = head; tail <= text.size(); ++tail) {
      const std::string out = r.redact_excerpt(std::string_view(text).substr(head, tail - head));
      CAPTURE(head);
      CAPTURE(tail);
      CHECK(out.find("0123") == std::string::npos);
      CHECK(out.find("TOK") == std::string::npos);
    }
  }
  CHECK(r.redact_excerpt(text) == "boot ok\n[REDACTED]\nlast words [REDACTED]\n");
  CHECK(r.redact_excerpt("456789 rest") == " rest");  // the end of a cut secret goes
  CHECK(Redactor({"ab"}).redact_excerpt("ab") == "[REDACTED]");
}
