#include "workspace/text_diff.hpp"

#include <algorithm>
#include <cstdint>
#include <unordered_map>

namespace pyro::detail {

std::vector<TextLine> split_lines(std::string_view text) {
  std::vector<TextLine> lines;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) {
      lines.push_back({text.substr(pos), false});
      break;
    }
    lines.push_back({text.substr(pos, nl - pos), true});
    pos = nl + 1;
  }
  return lines;
}

namespace {

// Past this edit distance the O(D^2) trace of Myers' search (D = 4000 is 64 MB)
// or its running time is no longer worth a minimal diff: replace everything.
// Texts past 2^31 lines are not supported (int32 trace).
constexpr int64_t kMaxEditDistance = 4000;
constexpr int64_t kMaxSnakeSteps = 400'000'000;

// Lines become small integers so that comparisons are cheap. The last line
// without '\n' differs from the same text with one, as in GNU diff.
void number_lines(const std::vector<TextLine>& a, const std::vector<TextLine>& b,
                  std::vector<int>& ia, std::vector<int>& ib) {
  std::unordered_map<std::string_view, int> with_nl, without_nl;
  auto id = [&](const TextLine& l) {
    auto& table = l.has_newline ? with_nl : without_nl;
    auto [it, inserted] = table.try_emplace(l.text, 0);
    if (inserted) it->second = static_cast<int>(with_nl.size() + without_nl.size());
    return it->second;
  };
  for (const auto& l : a) ia.push_back(id(l));
  for (const auto& l : b) ib.push_back(id(l));
}

// Myers' greedy O(ND) search on a[a0,a1) x b[b0,b1); marks deleted/inserted
// lines in the `changed` arrays (indexed like a and b). Returns false when the
// search was abandoned (caller replaces the whole range).
bool myers(const std::vector<int>& a, const std::vector<int>& b, size_t a0, size_t a1, size_t b0,
           size_t b1, std::vector<char>& del, std::vector<char>& ins) {
  const int64_t n = static_cast<int64_t>(a1 - a0), m = static_cast<int64_t>(b1 - b0);
  const int64_t max_d = std::min<int64_t>(n + m, kMaxEditDistance);
  // trace[d] holds V after round d for k in [-d, d], stored at index k + d.
  std::vector<std::vector<int32_t>> trace;  // int32: halves the O(D^2) memory
  std::vector<int64_t> v(2 * static_cast<size_t>(max_d) + 3, 0);
  const int64_t off = max_d + 1;
  int64_t steps = 0;
  int64_t found_d = -1;
  for (int64_t d = 0; d <= max_d && found_d < 0; ++d) {
    for (int64_t k = -d; k <= d; k += 2) {
      int64_t x = (k == -d || (k != d && v[off + k - 1] < v[off + k + 1])) ? v[off + k + 1]
                                                                          : v[off + k - 1] + 1;
      int64_t y = x - k;
      while (x < n && y < m && a[a0 + x] == b[b0 + y]) ++x, ++y, ++steps;
      v[off + k] = x;
      if (x >= n && y >= m) found_d = d;
    }
    trace.emplace_back(v.begin() + (off - d), v.begin() + (off + d + 1));
    if (steps > kMaxSnakeSteps) return false;
  }
  if (found_d < 0) return false;

  int64_t x = n, y = m;
  for (int64_t d = found_d; d > 0; --d) {
    const auto& pv = trace[d - 1];
    auto prev_v = [&](int64_t k) { return pv[k + d - 1]; };
    int64_t k = x - y;
    bool down = (k == -d || (k != d && prev_v(k - 1) < prev_v(k + 1)));
    int64_t pk = down ? k + 1 : k - 1;
    int64_t px = prev_v(pk), py = px - pk;
    if (down) {
      ins[b0 + py] = 1;  // step (px,py) -> (px,py+1)
    } else {
      del[a0 + px] = 1;  // step (px,py) -> (px+1,py)
    }
    x = px;
    y = py;
  }
  return true;
}

// GNU diff's shift_boundaries (analyze.c): slide each run of changes so that
// runs merge where they can, end as late as possible, and line up with a run in
// the other file. This makes the choice among equally short scripts the one
// `diff -u` prints. `changed`/`other` carry one guard byte at each end.
void shift_boundaries(const std::vector<int>& equivs, char* changed, const char* other) {
  const int64_t i_end = static_cast<int64_t>(equivs.size());
  int64_t i = 0, j = 0;
  while (true) {
    while (i < i_end && !changed[i]) {
      while (other[j++]) {
      }
      ++i;
    }
    if (i == i_end) break;
    int64_t start = i;
    while (changed[++i]) {
    }
    while (other[j]) ++j;
    int64_t runlength, corresponding;
    do {
      runlength = i - start;
      while (start && equivs[start - 1] == equivs[i - 1]) {
        changed[--start] = 1;
        changed[--i] = 0;
        while (changed[start - 1]) --start;
        while (other[--j]) {
        }
      }
      corresponding = other[j - 1] ? i : i_end;
      while (i != i_end && equivs[start] == equivs[i]) {
        changed[start++] = 0;
        changed[i++] = 1;
        while (changed[i]) ++i;
        while (other[++j]) corresponding = i;
      }
    } while (runlength != i - start);
    while (corresponding < i) {
      changed[--start] = 1;
      changed[--i] = 0;
      while (other[--j]) {
      }
    }
  }
}

struct Change {
  size_t old_pos, deleted, new_pos, inserted;
};

void append_range(std::string& out, size_t first, size_t count) {
  // GNU: "l" for one line, "l,n" otherwise, and the line *before* for empty ranges.
  if (count == 1) {
    out += std::to_string(first + 1);
  } else {
    out += std::to_string(count == 0 ? first : first + 1);
    out += ',';
    out += std::to_string(count);
  }
}

void append_line(std::string& out, char op, const TextLine& line) {
  out += op;
  out += line.text;
  out += '\n';
  if (!line.has_newline) out += "\\ No newline at end of file\n";
}

}  // namespace

std::string unified_diff(std::string_view old_text, std::string_view new_text,
                         const std::string& old_label, const std::string& new_label,
                         int context) {
  if (old_text == new_text) return {};
  const size_t ctx = static_cast<size_t>(std::max(context, 0));
  const auto a = split_lines(old_text);
  const auto b = split_lines(new_text);
  std::vector<int> ia, ib;
  number_lines(a, b, ia, ib);
  const size_t n = ia.size(), m = ib.size();

  // Flags with a guard byte at each end (shift_boundaries reads one past).
  std::vector<char> del_buf(n + 2, 0), ins_buf(m + 2, 0);
  char* del = del_buf.data() + 1;
  char* ins = ins_buf.data() + 1;

  size_t pre = 0;
  while (pre < n && pre < m && ia[pre] == ib[pre]) ++pre;
  size_t suf = 0;
  while (suf < n - pre && suf < m - pre && ia[n - 1 - suf] == ib[m - 1 - suf]) ++suf;
  {
    std::vector<char> d(n, 0), i(m, 0);
    if (!myers(ia, ib, pre, n - suf, pre, m - suf, d, i)) {
      std::fill(d.begin() + pre, d.end() - suf, 1);
      std::fill(i.begin() + pre, i.end() - suf, 1);
    }
    std::copy(d.begin(), d.end(), del);
    std::copy(i.begin(), i.end(), ins);
  }
  shift_boundaries(ia, del, ins);
  shift_boundaries(ib, ins, del);

  std::vector<Change> changes;
  for (size_t i = 0, j = 0; i < n || j < m;) {
    if (i < n && j < m && !del[i] && !ins[j]) {
      ++i, ++j;
      continue;
    }
    Change c{i, 0, j, 0};
    while (i < n && del[i]) ++i;
    while (j < m && ins[j]) ++j;
    c.deleted = i - c.old_pos;
    c.inserted = j - c.new_pos;
    changes.push_back(c);
  }
  if (changes.empty()) return {};  // only possible if equal, kept for safety

  std::string out = "--- " + old_label + "\n+++ " + new_label + "\n";
  for (size_t h = 0; h < changes.size();) {
    size_t last = h;
    while (last + 1 < changes.size() &&
           changes[last + 1].old_pos - (changes[last].old_pos + changes[last].deleted) <= 2 * ctx)
      ++last;
    const Change& f = changes[h];
    const Change& l = changes[last];
    size_t lead = std::min(ctx, f.old_pos);
    size_t first0 = f.old_pos - lead, first1 = f.new_pos - lead;
    size_t end0 = std::min(n, l.old_pos + l.deleted + ctx);
    size_t end1 = l.new_pos + l.inserted + (end0 - (l.old_pos + l.deleted));
    out += "@@ -";
    append_range(out, first0, end0 - first0);
    out += " +";
    append_range(out, first1, end1 - first1);
    out += " @@\n";
    size_t i = first0;
    for (size_t c = h; c <= last; ++c) {
      for (; i < changes[c].old_pos; ++i) append_line(out, ' ', a[i]);
      for (size_t k = 0; k < changes[c].deleted; ++k) append_line(out, '-', a[i++]);
      for (size_t k = 0; k < changes[c].inserted; ++k)
        append_line(out, '+', b[changes[c].new_pos + k]);
    }
    for (; i < end0; ++i) append_line(out, ' ', a[i]);
    h = last + 1;
  }
  return out;
}

bool looks_binary(std::string_view data) {
  if (data.substr(0, 8000).find('\0') != std::string_view::npos) return true;
  // Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing past U+10FFFF.
  const auto* s = reinterpret_cast<const unsigned char*>(data.data());
  const size_t n = data.size();
  for (size_t i = 0; i < n;) {
    unsigned char c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp, min;
    if ((c & 0xE0) == 0xC0) {
      len = 2, cp = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3, cp = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4, cp = c & 0x07, min = 0x10000;
    } else {
      return true;
    }
    if (i + len > n) return true;
    for (size_t k = 1; k < len; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return true;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return true;
    i += len;
  }
  return false;
}

}  // namespace pyro::detail
