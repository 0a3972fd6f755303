// Fuzz target: the CLI argument parser (tools/pyro/args, global_options) and the
// conversion of a verb's words into the table's JSON arguments (command_table).
// The input is an argv list as NUL-separated words (without the program name).
// The global flags are parsed as `pyro` does; the words after the verb are parsed
// against a command generated from the operation table (picked by the first
// byte), then converted to its arguments. Properties checked beyond "no crash":
// failures are UsageError only, the parse accounts for every word, and every
// argument produced is a param of the operation with each required word present.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "args.hpp"
#include "cli.hpp"
#include "command_table.hpp"
#include "global_options.hpp"

namespace {

using namespace pyro_cli;

std::vector<std::string> split_words(std::string_view input) {
  std::vector<std::string> words;
  if (input.empty()) return words;
  size_t start = 0;
  for (;;) {
    const size_t nul = input.find('\0', start);
    words.emplace_back(input.substr(start, nul == std::string_view::npos ? std::string_view::npos : nul - start));
    if (nul == std::string_view::npos) break;
    start = nul + 1;
  }
  return words;
}

// A command that reads no host file or stdin while its arguments are converted.
const Command& pick_command(uint8_t selector) {
  std::vector<const Command*> usable;
  for (const auto& c : commands()) {
    if (c.file_of.empty()) usable.push_back(&c);
  }
  return *usable[selector % usable.size()];
}

void parse_verb(const Command& cmd, Args args) {
  ParsedArgs parsed;
  nlohmann::json arguments;
  try {
    parsed = parse_args(cmd.spec, args);
    if (parsed.help) return;
    arguments = arguments_from(cmd, parsed);
  } catch (const UsageError&) {
    return;
  }
  if (parsed.positionals.size() + parsed.rest.size() > args.size()) std::abort();
  if (!arguments.is_object()) std::abort();
  for (const auto& [name, value] : arguments.items()) {
    bool known = false;
    for (const auto& p : cmd.params) known = known || p["name"] == name;
    if (!known) std::abort();
  }
  for (const auto& w : cmd.words) {
    if (!w.optional && !arguments.contains(w.param)) std::abort();
  }
  (void)arguments.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const Command& cmd = pick_command(data[0]);
  const std::vector<std::string> words =
      split_words(std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1));
  const Args args(words);
  CommandLine line;
  try {
    line = parse_command_line(args);
  } catch (const UsageError&) {
    parse_verb(cmd, args);  // the same words as a verb's arguments
    return 0;
  }
  if (line.verb > args.size()) std::abort();
  if (line.help || line.verb == args.size()) return 0;
  parse_verb(cmd, args.subspan(line.verb + 1));
  return 0;
}
