// Fuzz target: the CLI argument parser (tools/pyro/args, global_options). The input
// is an argv list as NUL-separated words (without the program name). The global
// flags are parsed as `pyro` does; the words after the verb are parsed against a
// flag table using every feature (value, boolean, repeatable and short flags, `--`
// with command words), and flag values through the strict number parsers.
// Properties checked beyond "no crash": failures are UsageError only, and the
// parse accounts for every word.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "args.hpp"
#include "cli.hpp"
#include "global_options.hpp"

namespace {

using namespace pyro_cli;

constexpr FlagSpec kFlags[] = {
    {"mem-mib", 0, "N", "memory"},
    {"timeout", 't', "SECONDS", "deadline"},
    {"env", 'e', "KEY=VALUE", "environment", true},
    {"json", 0, "", "json output"},
    {"verbose", 'v', "", "more", true},
    {"force", 'f', "", "force"},
};

constexpr CommandSpec kVerbSpec = {
    .path = "workspace exec",
    .usage = "pyro workspace exec ID [flags] -- COMMAND...",
    .summary = "fuzzing spec",
    .flags = kFlags,
    .takes_rest = true,
};

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

void parse_verb(Args args) {
  ParsedArgs parsed;
  try {
    parsed = parse_args(kVerbSpec, args);
  } catch (const UsageError&) {
    return;
  }
  if (parsed.help) return;
  if (parsed.positionals.size() + parsed.rest.size() > args.size()) std::abort();
  for (const auto& [name, values] : parsed.flags) {
    for (const std::string& value : values) {
      try {
        (void)parse_u32(kVerbSpec, name, value);
      } catch (const UsageError&) {
      }
      try {
        (void)parse_u64(kVerbSpec, name, value);
      } catch (const UsageError&) {
      }
      try {
        (void)parse_number(kVerbSpec, name, value);
      } catch (const UsageError&) {
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::vector<std::string> words = split_words(std::string_view(reinterpret_cast<const char*>(data), size));
  const Args args(words);
  CommandLine line;
  try {
    line = parse_command_line(args);
  } catch (const UsageError&) {
    parse_verb(args);  // the same words as a verb's arguments
    return 0;
  }
  if (line.verb > args.size()) std::abort();
  if (line.help || line.verb == args.size()) return 0;
  parse_verb(args.subspan(line.verb + 1));
  return 0;
}
