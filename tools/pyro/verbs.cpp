// The verbs: every table command (`run`, `env list`, `workspace exec`, ...) by its
// words, the groups between them (`env`, `workspace file`) with generated help,
// and the verbs outside the table (`mcp serve`, `version`, `help`).
#include <algorithm>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "adapters.hpp"
#include "args.hpp"
#include "cli.hpp"
#include "command_table.hpp"
#include "global_options.hpp"
#include "mcp/cmd_mcp.hpp"
#include "output.hpp"
#include "pyro/client.hpp"
#include "pyro/version.hpp"

namespace pyro_cli {
namespace {

bool is_help(const std::string& word) { return word == "--help" || word == "-h"; }

// The commands under `group` ("workspace file"; "" for all), in table order.
std::vector<const Command*> members(std::string_view group) {
  std::vector<const Command*> out;
  for (const auto& c : commands()) {
    if (group.empty() || c.verb.starts_with(fmt::format("{} ", group))) out.push_back(&c);
  }
  return out;
}

std::string group_help(const std::string& group) {
  std::string out = fmt::format("usage: pyro {} SUB-VERB [ARGS...]\n\nsub-verbs:\n", group);
  for (const Command* c : members(group)) {
    out += fmt::format("  {:<24} {}\n", c->verb.substr(group.size() + 1), c->spec.summary);
  }
  return out + fmt::format("\n`pyro {} SUB-VERB --help` describes one.\n", group);
}

int run_command(const Command& cmd, const GlobalOptions& global, Args args) {
  ParsedArgs parsed = parse_args(cmd.spec, args);
  if (parsed.help) {
    write_bytes(stdout, format_help(cmd.spec));
    return kExitOk;
  }
  nlohmann::json arguments = arguments_from(cmd, parsed);
  GlobalOptions options = global;
  const Adapter* adapter = cmd.adapter;
  if (adapter != nullptr && adapter->prepare != nullptr) adapter->prepare(cmd, parsed, arguments, options);
  if (adapter != nullptr && adapter->run != nullptr) return adapter->run(cmd, parsed, arguments, options);
  pyro::Pyro client(options.client);
  return call_and_print(cmd, parsed, arguments, client);
}

const CommandSpec kVersionSpec = {
    .path = "version",
    .usage = "pyro version [--json]",
    .summary = "Print the version of the pyro library this CLI runs on.",
    .flags = {{"json", 0, "", "print {\"version\": ...} as one JSON object"}},
};

int version(Args args) {
  ParsedArgs parsed = parse_args(kVersionSpec, args);
  if (parsed.help) {
    write_bytes(stdout, format_help(kVersionSpec));
  } else if (!parsed.positionals.empty()) {
    throw UsageError("version", fmt::format("unexpected argument `{}`", parsed.positionals[0]));
  } else {
    write_bytes(stdout, parsed.has("json") ? nlohmann::json{{"version", pyro::version()}}.dump() + "\n"
                                           : fmt::format("pyro {}\n", pyro::version()));
  }
  return kExitOk;
}

}  // namespace

std::string verbs_help() {
  std::string out = "verbs:\n";
  std::vector<std::string> groups;
  for (const Command* c : members("")) {
    std::string first = c->verb.substr(0, c->verb.find(' '));
    if (members(first).size() > 8) {  // a large group: one line, its own help lists the rest
      if (std::find(groups.begin(), groups.end(), first) != groups.end()) continue;
      groups.push_back(first);
      out += fmt::format("  {:<24} {} (`pyro {} --help`)\n", first + " SUB-VERB ...", first + " verbs", first);
    } else {
      out += fmt::format("  {:<24} {}\n", c->verb, c->spec.summary);
    }
  }
  out += fmt::format("  {:<24} {}\n", "mcp serve", "serve pyro's operations as MCP tools on stdin/stdout");
  out += fmt::format("  {:<24} {}\n", "version", "print the library version");
  return out + fmt::format("  {:<24} {}\n", "help [VERB]", "show help for pyro or for one verb");
}

int dispatch(const GlobalOptions& global, Args words) {
  const std::string& verb = words[0];
  if (verb == "version") return version(words.subspan(1));
  if (verb == "mcp") return cmd_mcp(global, words.subspan(1));
  if (verb == "help") {
    if (words.size() == 1) {
      write_bytes(stdout, format_help(global_spec()) + "\n" + verbs_help());
      return kExitOk;
    }
    std::vector<std::string> with_help(words.begin() + 1, words.end());
    with_help.push_back("--help");
    return dispatch(global, with_help);
  }
  // The longest run of words naming a group, then the command they name.
  std::string path;
  for (size_t i = 0; i < words.size(); ++i) {
    std::string group = path;
    path += (i == 0 ? "" : " ") + words[i];
    if (const Command* c = find_command(path)) return run_command(*c, global, words.subspan(i + 1));
    if (members(path).empty()) {
      if (group.empty()) throw UsageError("", fmt::format("unknown verb `{}`", path));
      throw UsageError(group, fmt::format("unknown verb `{}`: try `pyro {} --help`", path, group));
    }
    if (i + 1 == words.size()) {
      throw UsageError(path, fmt::format("missing sub-verb after `{}`, e.g. `pyro {}`", path, members(path)[0]->verb));
    }
    if (is_help(words[i + 1])) {
      write_bytes(stdout, group_help(path));
      return kExitOk;
    }
  }
  throw UsageError("", "missing verb");  // not reached: the last word ends the loop
}

}  // namespace pyro_cli
