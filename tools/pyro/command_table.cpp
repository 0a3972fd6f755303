#include "command_table.hpp"

#include <algorithm>
#include <cctype>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "adapters.hpp"
#include "output.hpp"
#include "pyro/operations.hpp"
#include "shell_quote.hpp"

namespace pyro_cli {
namespace {

using nlohmann::json;

std::string kebab(std::string name) {
  std::replace(name.begin(), name.end(), '_', '-');
  return name;
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// What a flag's value looks like in help: N, SECONDS, K=V, or the param's last word.
std::string value_name(const json& p) {
  const std::string name = p["name"].get<std::string>();
  const std::string type = p["type"].get<std::string>();
  if (type == "integer") return "N";
  if (type == "number") return name.find("seconds") != std::string::npos ? "SECONDS" : "X";
  if (type == "object") return "K=V";
  if (type == "json") return "JSON";
  return upper(name.substr(name.rfind('_') + 1));
}

// The doc, then what the table says about the values: range, choices, default.
std::string flag_help(const json& p) {
  std::string help = p.value("doc", "");
  auto add = [&help](const std::string& part) { help += (help.empty() ? "" : "; ") + part; };
  if (p.contains("enum")) {
    std::vector<std::string> names;
    for (const auto& v : p["enum"]) names.push_back(v.get<std::string>());
    add(fmt::format("one of {}", fmt::join(names, ", ")));
  }
  if (p.contains("minimum") && p.contains("maximum")) {
    add(fmt::format("{}-{}", p["minimum"].dump(), p["maximum"].dump()));
  }
  if (p["type"] == "object") add("repeatable");
  const json& def = p.value("default", json());
  if (!def.is_null() && p["type"] != "boolean" && def != "") {
    help += fmt::format(" (default {})", def.is_string() ? def.get<std::string>() : def.dump());
  }
  return help;
}

Command make_command(const json& op) {
  Command c;
  c.op = op["name"].get<std::string>();
  c.verb = op["cli"].get<std::string>();
  c.result = op["result"].get<std::string>();
  c.params = op["params"];
  c.adapter = find_adapter(c.op);
  static const json kNone = json::object();
  const json& shape = op.contains("cli_args") ? op["cli_args"] : kNone;
  // A member of `cli_args`, or nothing to iterate.
  auto part = [&shape](const char* key) -> const json& { return shape.contains(key) ? shape[key] : kNone; };
  std::set<std::string> special;
  std::string usage = "pyro " + c.verb;
  for (const auto& entry : part("words")) {
    std::string text = entry.get<std::string>();
    Word w;
    auto eq = text.find('=');
    w.label = eq == std::string::npos ? "" : text.substr(eq + 1);
    w.param = text.substr(0, eq);
    w.optional = w.param.ends_with('?');
    if (w.optional) w.param.pop_back();
    if (w.label.empty()) {
      w.label = w.param;
      std::replace(w.label.begin(), w.label.end(), '_', ' ');
    }
    usage += w.optional ? fmt::format(" [{}]", upper(w.param)) : " " + upper(w.param);
    special.insert(w.param);
    c.words.push_back(std::move(w));
  }
  c.rest = shape.value("rest", "");
  special.insert(c.rest);
  c.show = shape.value("show", "");
  for (const auto& col : part("columns")) c.columns.push_back(col.get<std::string>());
  for (const auto& [param, flag] : part("files").items()) {
    c.file_of[param] = flag.get<std::string>();
  }
  if (c.adapter != nullptr) special.insert(c.adapter->replaces.begin(), c.adapter->replaces.end());
  const json& spelling = part("flags");
  for (const auto& p : c.params) {
    const std::string name = p["name"].get<std::string>();
    if (special.contains(name)) continue;
    if (auto it = c.file_of.find(name); it != c.file_of.end()) {
      c.spec.flags.push_back({it->second, 0, "FILE", p.value("doc", "") + " (a host file; `-` reads stdin)"});
      continue;
    }
    std::string flag = spelling.contains(name) ? spelling[name].get<std::string>() : kebab(name);
    c.flag_of[name] = flag;
    c.spec.flags.push_back({flag, 0, p["type"] == "boolean" ? "" : value_name(p), flag_help(p),
                            p["type"] == "object"});
  }
  if (c.adapter != nullptr) c.spec.flags.insert(c.spec.flags.end(), c.adapter->flags.begin(), c.adapter->flags.end());
  c.spec.flags.push_back({"json", 0, "", "print the result as one JSON line (the form of Pyro::call)"});
  c.spec.path = c.verb;
  c.spec.usage = usage + " [OPTIONS]" + (c.rest.empty() ? "" : " -- COMMAND...");
  c.spec.summary = op["summary"].get<std::string>();
  c.spec.details = shape.value("details", "");
  c.spec.takes_rest = !c.rest.empty();
  return c;
}

const json& param_spec(const Command& cmd, std::string_view name) {
  for (const auto& p : cmd.params) {
    if (p["name"] == name) return p;
  }
  static const json kNone;
  return kNone;
}

[[noreturn]] void usage(const Command& cmd, const std::string& message) { throw UsageError(cmd.verb, message); }

// A flag's values as the JSON value of `p`, checked against its type, range and choices.
json typed_value(const Command& cmd, const json& p, const std::string& flag, std::span<const std::string> values) {
  const std::string type = p["type"].get<std::string>();
  const std::string& v = values.back();
  double min = p.value("minimum", -9.2e18), max = p.value("maximum", 9.2e18);
  if (type == "boolean") return true;
  if (type == "integer") return parse_integer(cmd.spec, flag, v, min, max);
  if (type == "number") return parse_number(cmd.spec, flag, v, min, max);
  if (type == "object") {
    json map = json::object();
    for (const auto& kv : values) {
      auto eq = kv.find('=');
      if (eq == std::string::npos || eq == 0) usage(cmd, fmt::format("parse `--{}`: `{}` is not of the form K=V", flag, kv));
      map[kv.substr(0, eq)] = kv.substr(eq + 1);  // the last K wins, as with env(1)
    }
    return map;
  }
  if (type == "json") {
    json doc = json::parse(v, nullptr, false);
    if (doc.is_discarded()) usage(cmd, fmt::format("parse `--{}`: not JSON", flag));
    return doc;
  }
  if (p.contains("enum") && std::find(p["enum"].begin(), p["enum"].end(), v) == p["enum"].end()) {
    usage(cmd, fmt::format("parse `--{}`: `{}` is not one of {}", flag, v, p["enum"].dump()));
  }
  return v;
}

}  // namespace

const std::vector<Command>& commands() {
  static const std::vector<Command> all = [] {
    std::vector<Command> out;
    json table = json::parse(pyro::operation_table_json());
    for (const auto& op : table["operations"]) {
      if (op.value("cli", json()).is_string()) out.push_back(make_command(op));
    }
    return out;
  }();
  return all;
}

const Command* find_command(std::string_view verb) {
  for (const auto& c : commands()) {
    if (c.verb == verb) return &c;
  }
  return nullptr;
}

json arguments_from(const Command& cmd, const ParsedArgs& parsed) {
  json args = json::object();
  const auto& words = parsed.positionals;
  for (size_t i = 0; i < cmd.words.size(); ++i) {
    if (i < words.size()) {
      args[cmd.words[i].param] = words[i];
    } else if (!cmd.words[i].optional) {
      usage(cmd, fmt::format("missing {}", cmd.words[i].label));
    }
  }
  if (words.size() > cmd.words.size()) {
    usage(cmd, fmt::format("unexpected argument `{}`{}", words[cmd.words.size()],
                           cmd.rest.empty() ? "" : ": put the command after `--`"));
  }
  if (!cmd.rest.empty()) {
    if (parsed.rest.empty()) {
      usage(cmd, fmt::format("missing command: give it after `--`, as in `pyro {} ... -- ls`", cmd.verb));
    }
    std::string command = parsed.rest.size() == 1 ? parsed.rest[0] : shell_join(parsed.rest);
    if (command.empty()) usage(cmd, "the command after `--` is empty");
    args[cmd.rest] = command;
  }
  for (const auto& [param, flag] : cmd.flag_of) {
    if (parsed.has(flag)) args[param] = typed_value(cmd, param_spec(cmd, param), flag, parsed.values(flag));
  }
  for (const auto& [param, flag] : cmd.file_of) {
    if (const std::string* path = parsed.value(flag)) args[param] = read_host_input(*path, kebab(param));
  }
  for (const auto& p : cmd.params) {
    const std::string name = p["name"].get<std::string>();
    bool typed = cmd.flag_of.contains(name) || cmd.file_of.contains(name);
    if (p.value("optional", false) || args.contains(name) || !typed) continue;  // words: the adapter's
    usage(cmd, cmd.file_of.contains(name) ? fmt::format("missing `--{} FILE` (`-` reads stdin)", cmd.file_of.at(name))
                                          : fmt::format("missing `--{}`", cmd.flag_of.at(name)));
  }
  return args;
}

json argument_or_default(const Command& cmd, const json& args, std::string_view param) {
  if (auto it = args.find(std::string(param)); it != args.end()) return *it;
  return param_spec(cmd, param).value("default", json());
}

}  // namespace pyro_cli
