#include "exec_output.hpp"

#include <fmt/format.h>

#include "output.hpp"
#include "shell_quote.hpp"

namespace pyro_cli {

std::string command_from_words(std::span<const std::string> words) {
  return words.size() == 1 ? words[0] : shell_join(words);
}

std::map<std::string, std::string> parse_key_values(const CommandSpec& spec, std::string_view flag,
                                                    std::span<const std::string> values) {
  std::map<std::string, std::string> out;
  for (const auto& kv : values) {
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw UsageError(std::string(spec.path),
                       fmt::format("parse `--{}`: `{}` is not of the form K=V", flag, kv));
    }
    out[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  return out;
}

std::string command_after_separator(const CommandSpec& spec, const ParsedArgs& parsed,
                                    std::string_view example, size_t positionals) {
  const std::string verb(spec.path);
  if (parsed.positionals.size() > positionals) {
    throw UsageError(verb, fmt::format("unexpected argument `{}`: put the command after `--`",
                                       parsed.positionals[positionals]));
  }
  if (!parsed.saw_separator || parsed.rest.empty()) {
    throw UsageError(verb, fmt::format("missing command: give it after `--`, as in `{}`", example));
  }
  std::string command = command_from_words(parsed.rest);
  if (command.empty()) throw UsageError(verb, "the command after `--` is empty");
  return command;
}

pyro::ExecOptions parse_exec_flags(const CommandSpec& spec, const ParsedArgs& parsed) {
  pyro::ExecOptions exec;
  if (auto* v = parsed.value("timeout-seconds")) {
    exec.timeout_seconds = parse_number(spec, "timeout-seconds", *v);
  }
  if (auto* v = parsed.value("max-output-bytes")) {
    exec.max_output_bytes = parse_u64(spec, "max-output-bytes", *v);
  }
  if (auto* v = parsed.value("cwd")) exec.cwd = *v;
  exec.env = parse_key_values(spec, "env", parsed.values("env"));
  return exec;
}

int print_exec_result(const ParsedArgs& parsed, const pyro::ExecResult& result,
                      const pyro::ExecOptions& exec) {
  if (parsed.has("json")) {
    print_json_line(json_of(result));
  } else {
    relay_exec_result(result, exec);
  }
  return result.exit_code;
}

void relay_exec_result(const pyro::ExecResult& result, const pyro::ExecOptions& exec) {
  write_bytes(stdout, result.stdout_data);
  write_bytes(stderr, result.stderr_data);
  std::string notes;
  if (result.timed_out) {
    // Seconds as the user would write them: 5, not 5.000000.
    notes += fmt::format("pyro: command timed out after {}s\n", exec.timeout_seconds);
  }
  if (result.stdout_truncated) {
    notes += fmt::format("pyro: stdout truncated at {} bytes\n", exec.max_output_bytes);
  }
  if (result.stderr_truncated) {
    notes += fmt::format("pyro: stderr truncated at {} bytes\n", exec.max_output_bytes);
  }
  // Keep the note on a line of its own even when the guest's stderr has no final newline.
  if (!notes.empty() && !result.stderr_data.empty() && result.stderr_data.back() != '\n') {
    notes.insert(notes.begin(), '\n');
  }
  write_bytes(stderr, notes);
}

}  // namespace pyro_cli
