// Progress of long work (env pull, env import, workspace create --seed) on stderr:
// a one-line bar redrawn with \r on a terminal, plain "pyro: <stage>: <message>"
// lines otherwise (logs, CI, the MCP server's stderr).
//
//   ProgressPrinter printer(stderr, ::isatty(STDERR_FILENO));
//   options.progress = printer.handler();
//   client.call(...);   // printer.finish() (or its destructor) ends the bar's line
#pragma once

#include <cstdio>
#include <string>

#include "pyro/types.hpp"

namespace pyro_cli {

/// "42% 12.3 MiB of 40.0 MiB", "2 of 3 layers", "1000 entries"; "" without a unit.
std::string progress_counter(const pyro::Progress& progress);

/// "<stage>: <message> (<counter>)", leaving out what is empty.
std::string progress_line(const pyro::Progress& progress);

class ProgressPrinter {
 public:
  /// `bar`: redraw one line per stage (a terminal); else one plain line per event.
  /// `width`: the terminal's columns, the bar's line is cut to fit.
  ProgressPrinter(std::FILE* out, bool bar, size_t width = 80);
  ~ProgressPrinter() { finish(); }
  ProgressPrinter(const ProgressPrinter&) = delete;
  ProgressPrinter& operator=(const ProgressPrinter&) = delete;

  /// For stderr: a bar when it is a terminal, as wide as the terminal.
  static ProgressPrinter for_stderr();

  /// A handler writing to this printer; valid while the printer lives.
  pyro::ProgressHandler handler();
  /// Ends a bar's line with a newline (nothing when no bar is drawn).
  void finish();

 private:
  void draw(const pyro::Progress& progress);
  void write(const std::string& text);

  std::FILE* out_;
  bool bar_;
  size_t width_;
  std::string stage_;     ///< the stage whose bar is on the line; empty: none
};

}  // namespace pyro_cli
