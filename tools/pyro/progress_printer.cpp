#include "progress_printer.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>

#include <fmt/format.h>

#include "output.hpp"

namespace pyro_cli {
namespace {

constexpr size_t kBarCells = 20;

std::string bar_cells(uint64_t done, uint64_t total) {
  const size_t filled = static_cast<size_t>(std::min<uint64_t>(done, total) * kBarCells / total);
  return "[" + std::string(filled, '#') + std::string(kBarCells - filled, '-') + "]";
}

// Cuts `text` to `width` bytes without splitting a UTF-8 sequence.
std::string cut(std::string text, size_t width) {
  if (text.size() <= width) return text;
  size_t end = width;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  text.resize(end);
  return text;
}

// Control characters (an archive's entry name may hold escape sequences) shown as '?',
// so a message can neither move the cursor nor break the line.
std::string printable(std::string text) {
  for (char& c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  return text;
}

}  // namespace

std::string progress_counter(const pyro::Progress& p) {
  if (p.unit.empty()) return "";
  const bool bytes = p.unit == "bytes";
  auto amount = [&](uint64_t n) { return bytes ? format_size(n) : fmt::format("{}", n); };
  if (p.total == 0) return bytes ? amount(p.done) : fmt::format("{} {}", p.done, p.unit);
  const uint64_t percent = std::min<uint64_t>(p.done, p.total) * 100 / p.total;
  return fmt::format("{}% {} of {}{}", percent, amount(p.done), amount(p.total), bytes ? "" : " " + std::string(p.unit));
}

std::string progress_line(const pyro::Progress& p) {
  std::string line(p.stage);
  if (!p.message.empty()) line += fmt::format(": {}", p.message);
  const std::string counter = progress_counter(p);
  if (!counter.empty()) line += fmt::format(" ({})", counter);
  return printable(std::move(line));
}

ProgressPrinter::ProgressPrinter(std::FILE* out, bool bar, size_t width)
    : out_(out), bar_(bar), width_(std::max<size_t>(width, 20)) {}

ProgressPrinter ProgressPrinter::for_stderr() {
  const bool tty = ::isatty(STDERR_FILENO) != 0;
  struct winsize ws {};
  size_t width = 80;
  if (tty && ::ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) width = ws.ws_col;
  return ProgressPrinter(stderr, tty, width);
}

pyro::ProgressHandler ProgressPrinter::handler() {
  return [this](const pyro::Progress& progress) { draw(progress); };
}

void ProgressPrinter::draw(const pyro::Progress& p) {
  if (!bar_) {
    write(fmt::format("pyro: {}\n", progress_line(p)));
    return;
  }
  // A new stage keeps the last state of the previous one on its own line.
  if (!stage_.empty() && stage_ != p.stage) write("\n");
  stage_ = p.stage;
  std::string line(p.stage);
  if (p.total != 0) line += " " + bar_cells(p.done, p.total);
  const std::string counter = progress_counter(p);
  if (!counter.empty()) line += " " + counter;
  if (!p.message.empty()) line += fmt::format(": {}", p.message);
  // \r back to the start, the line cut to fit (a wrapped line cannot be redrawn), then clear the rest.
  write("\r" + cut(printable(std::move(line)), width_ - 1) + "\x1b[K");
}

void ProgressPrinter::finish() {
  if (!stage_.empty()) write("\n");
  stage_.clear();
}

void ProgressPrinter::write(const std::string& text) {
  // One write per piece, so progress never interleaves with log lines mid-line.
  std::fwrite(text.data(), 1, text.size(), out_);
  std::fflush(out_);
}

}  // namespace pyro_cli
