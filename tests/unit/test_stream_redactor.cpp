// Redaction of live output chunks (lib/workspace/stream_redactor.hpp): a secret
// split across chunks, at every split point and in random chunkings, never shows,
// and the chunks together give the same text as redacting the whole stream.
#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "workspace/redaction.hpp"
#include "workspace/stream_redactor.hpp"

using pyro::detail::kRedacted;
using pyro::detail::Redactor;
using pyro::detail::StreamRedactor;

namespace {

// Consecutive markers collapse: adjacent secrets may come out as one or two.
std::string collapse(std::string s) {
  const std::string twice = std::string(kRedacted) + std::string(kRedacted);
  for (size_t at; (at = s.find(twice)) != std::string::npos;) s.erase(at, kRedacted.size());
  return s;
}

std::string stream_in_chunks(const Redactor& r, const std::string& text, const std::vector<size_t>& cuts,
                             bool truncated = false) {
  StreamRedactor live(r);
  std::string out;
  size_t from = 0;
  for (size_t cut : cuts) {
    const std::string shown = live.feed(std::string_view(text).substr(from, cut - from));
    out += shown;
    from = cut;
  }
  out += live.feed(std::string_view(text).substr(from));
  out += live.finish(truncated);
  return out;
}

}  // namespace

TEST_CASE("stream redaction: no secrets passes every chunk through at once") {
  Redactor none;
  StreamRedactor live(none);
  CHECK(live.feed("abc") == "abc");
  CHECK(live.feed("") == "");
  CHECK(live.finish(false) == "");
}

TEST_CASE("stream redaction: a secret split at every point never appears in any chunk") {
  const std::string secret = "TOKEN-0123456789";
  Redactor r({secret});
  const std::string text = "hello " + secret + " world\n" + secret + " end";
  const std::string whole = r.redact(text);
  for (size_t a = 0; a <= text.size(); ++a) {
    StreamRedactor live(r);
    const std::string first = live.feed(std::string_view(text).substr(0, a));
    const std::string second = live.feed(std::string_view(text).substr(a));
    const std::string last = live.finish(false);
    for (const std::string* chunk : {&first, &second, &last}) {
      // Not even a prefix of the secret longer than 5 bytes ("TOKEN" alone is not secret-shaped).
      CHECK_MESSAGE(chunk->find("TOKEN-") == std::string::npos, "split at ", a, ": ", *chunk);
    }
    CHECK_MESSAGE(collapse(first + second + last) == collapse(whole), "split at ", a);
  }
}

TEST_CASE("stream redaction: random chunkings give the whole text's redaction") {
  Redactor r({"hunter2", "s3cr3t", "abcd", "cdef"});
  std::mt19937 rng(1234);
  const std::string alphabet = "hunter2s3cr3tabcdefx ";
  for (int round = 0; round < 300; ++round) {
    std::string text;
    std::uniform_int_distribution<size_t> len(0, 80), pick(0, alphabet.size() - 1);
    for (size_t i = len(rng); i > 0; --i) text += alphabet[pick(rng)];
    if (round % 3 == 0) text += "hunter2";
    std::vector<size_t> cuts;
    std::uniform_int_distribution<size_t> at(0, text.size());
    for (int i = 0; i < 5; ++i) cuts.push_back(at(rng));
    std::sort(cuts.begin(), cuts.end());
    const std::string streamed = stream_in_chunks(r, text, cuts);
    CHECK_MESSAGE(collapse(streamed) == collapse(r.redact(text)), text);
    CHECK(streamed.find("hunter2") == std::string::npos);
    CHECK(streamed.find("s3cr3t") == std::string::npos);
  }
}

TEST_CASE("stream redaction: a truncated stream drops a held-back start of a secret") {
  Redactor r({"hunter2"});
  CHECK(stream_in_chunks(r, "ok hunt", {4}, /*truncated=*/true) == r.redact_truncated("ok hunt"));
  CHECK(stream_in_chunks(r, "ok hunt", {4}, /*truncated=*/false) == "ok hunt");
}

TEST_CASE("stream redaction: chunks that each end like the start of a secret all come out") {
  const std::string secret(64, 'S');
  Redactor r({secret});
  StreamRedactor live(r);
  std::string out;
  // Many chunks that each end in a possible start of the secret.
  for (int i = 0; i < 1000; ++i) out += live.feed(std::string(100, 'x') + std::string(10, 'S'));
  out += live.finish(false);
  CHECK(out.size() == 1000 * 110);
}
