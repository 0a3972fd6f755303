#include "workspace/redaction.hpp"

#include <algorithm>

namespace pyro::detail {

namespace {

// What a terminal's output processing (ONLCR) makes of `text`.
std::string terminal_form(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
  for (char c : text) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

}  // namespace

Redactor::Redactor(std::vector<std::string> secrets) {
  for (auto& s : secrets) {
    if (s.empty()) continue;
    if (s.find('\n') != std::string::npos) secrets_.push_back(terminal_form(s));
    secrets_.push_back(std::move(s));
  }
  // Longest first, so that equal prefixes favour the longer secret (only matters for ties).
  std::sort(secrets_.begin(), secrets_.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
  secrets_.erase(std::unique(secrets_.begin(), secrets_.end()), secrets_.end());
}

uint64_t Redactor::lookbehind() const noexcept {
  size_t longest = 0;
  for (const auto& s : secrets_) longest = std::max(longest, s.size());
  return longest == 0 ? 0 : longest - 1;
}

std::vector<Redactor::Run> Redactor::runs(std::string_view text) const {
  std::vector<Run> found;
  for (const auto& s : secrets_) {
    for (size_t at = text.find(s); at != std::string_view::npos; at = text.find(s, at + 1)) {
      found.push_back({at, at + s.size()});
    }
  }
  std::sort(found.begin(), found.end(), [](const Run& a, const Run& b) { return a.begin < b.begin; });
  std::vector<Run> merged;
  for (const Run& r : found) {
    if (!merged.empty() && r.begin <= merged.back().end) {
      merged.back().end = std::max(merged.back().end, r.end);
    } else {
      merged.push_back(r);
    }
  }
  return merged;
}

size_t Redactor::prefix_suffix_start(std::string_view text, size_t from) const {
  const size_t n = text.size();
  const size_t longest = std::min<size_t>(lookbehind(), n - std::min(from, n));
  for (size_t k = longest; k > 0; --k) {
    const std::string_view suffix = text.substr(n - k);
    for (const auto& s : secrets_) {
      if (k < s.size() && std::string_view(s).substr(0, k) == suffix) return n - k;
    }
  }
  return n;
}

size_t Redactor::suffix_prefix_length(std::string_view text) const {
  const size_t longest = std::min<size_t>(lookbehind(), text.size());
  for (size_t k = longest; k > 0; --k) {
    const std::string_view prefix = text.substr(0, k);
    for (const auto& s : secrets_) {
      if (k < s.size() && std::string_view(s).substr(s.size() - k) == prefix) return k;
    }
  }
  return 0;
}

std::string Redactor::redact(std::string_view text) const {
  if (secrets_.empty()) return std::string(text);
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  for (const Run& r : runs(text)) {
    out.append(text.substr(i, r.begin - i));
    out.append(kRedacted);
    i = r.end;
  }
  out.append(text.substr(i));
  return out;
}

std::string Redactor::redact_truncated(std::string_view text) const {
  if (secrets_.empty()) return std::string(text);
  std::vector<Run> marked = runs(text);
  size_t keep = prefix_suffix_start(text, marked.empty() ? 0 : marked.back().end);
  return redact(text.substr(0, keep));
}

std::string Redactor::redact_excerpt(std::string_view text) const {
  if (secrets_.empty()) return std::string(text);
  // Cut out of the middle of one secret: nothing of it may show.
  for (const auto& s : secrets_) {
    if (text.size() < s.size() && s.find(text) != std::string::npos) return {};
  }
  // Only bytes before the first complete occurrence can be the end of a cut one.
  const std::vector<Run> marked = runs(text);
  const size_t limit = marked.empty() ? text.size() : marked.front().begin;
  return redact_truncated(text.substr(suffix_prefix_length(text.substr(0, limit))));
}

RedactedRead Redactor::redact_window(std::string_view window, int64_t window_offset, int64_t cursor,
                                     bool finished) const {
  const size_t n = window.size();
  const size_t pos = cursor <= window_offset ? 0 : std::min(static_cast<size_t>(cursor - window_offset), n);
  const std::vector<Run> marked = runs(window);

  // Where emission stops: before the longest suffix that may still become a secret.
  // When that cuts a marked run, the run is emitted whole (it is a complete
  // occurrence) and the stop moves to its end; the bytes after it stay held, since
  // the incomplete occurrence began inside the run (the next read drops its tail).
  size_t stop = finished ? n : prefix_suffix_start(window, 0);
  for (const Run& r : marked) {
    if (r.begin < stop && stop < r.end) stop = r.end;
  }

  RedactedRead read;
  read.held_back = stop < n;
  size_t i = pos;
  auto run = marked.begin();
  while (i < stop) {
    while (run != marked.end() && run->end <= i) ++run;
    if (run != marked.end() && run->begin <= i) {
      if (run->begin == i && i >= pos && !(run->begin < pos)) read.output.append(kRedacted);
      i = run->end;  // a run that began before the cursor was reported by an earlier read
      continue;
    }
    const size_t next = run != marked.end() ? std::min(run->begin, stop) : stop;
    read.output.append(window.substr(i, next - i));
    i = next;
  }
  read.next_cursor = window_offset + static_cast<int64_t>(std::max(i, pos));
  return read;
}

}  // namespace pyro::detail
