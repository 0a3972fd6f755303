#include "args.hpp"

#include <charconv>
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace pyro_cli {
namespace {

const FlagSpec* find_long(const CommandSpec& spec, std::string_view name) {
  for (const auto& f : spec.flags) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

const FlagSpec* find_short(const CommandSpec& spec, char c) {
  for (const auto& f : spec.flags) {
    if (f.short_name != 0 && f.short_name == c) return &f;
  }
  return nullptr;
}

[[noreturn]] void fail(const CommandSpec& spec, const std::string& message) {
  throw UsageError(std::string(spec.path), message);
}

std::string unknown_flag_message(const CommandSpec& spec, std::string_view shown) {
  if (!spec.path.empty() && is_global_flag(shown)) {
    return fmt::format("flag `{}` is global: give it before the verb, as in `pyro {} ... {}`",
                       shown, shown, spec.path);
  }
  return fmt::format("unknown flag `{}`", shown);
}

void record(const CommandSpec& spec, ParsedArgs& out, const FlagSpec& flag, std::string value) {
  auto& values = out.flags[std::string(flag.name)];
  if (!values.empty() && !flag.repeatable) {
    fail(spec, fmt::format("flag `--{}` given more than once", flag.name));
  }
  values.push_back(std::move(value));
}

// Word-wraps the lines of `text` longer than `width`; shorter lines stay as written.
std::string wrap(std::string_view text, size_t width) {
  std::string out;
  for (size_t start = 0; start < text.size();) {
    size_t eol = std::min(text.find('\n', start), text.size());
    std::string_view line = text.substr(start, eol - start);
    start = eol + 1;
    while (line.size() > width) {
      size_t cut = line.rfind(' ', width);
      if (cut == std::string_view::npos || cut == 0) cut = std::min(line.find(' '), line.size());
      out += std::string(line.substr(0, cut)) + "\n";
      line = line.substr(std::min(cut + 1, line.size()));
    }
    out += std::string(line) + "\n";
  }
  return out;
}

}  // namespace

size_t ParsedArgs::count(std::string_view name) const {
  auto it = flags.find(name);
  return it == flags.end() ? 0 : it->second.size();
}

const std::string* ParsedArgs::value(std::string_view name) const {
  auto it = flags.find(name);
  return it == flags.end() || it->second.empty() ? nullptr : &it->second.back();
}

std::span<const std::string> ParsedArgs::values(std::string_view name) const {
  auto it = flags.find(name);
  if (it == flags.end()) return {};
  return it->second;
}

ParsedArgs parse_args(const CommandSpec& spec, Args args) {
  ParsedArgs out;
  out.consumed = args.size();
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      if (spec.stop_at_positional) {
        out.consumed = i + 1;
        return out;
      }
      if (!spec.takes_rest) fail(spec, "unexpected `--`: this command takes no command words");
      out.saw_separator = true;
      out.rest.assign(args.begin() + static_cast<std::ptrdiff_t>(i) + 1, args.end());
      return out;
    }
    if (arg.starts_with("--")) {
      std::string_view body = std::string_view(arg).substr(2);
      auto eq = body.find('=');
      std::string_view name = body.substr(0, eq);
      bool inline_value = eq != std::string_view::npos;
      if (name == "help" && !inline_value) {
        out.help = true;
        return out;
      }
      const FlagSpec* flag = find_long(spec, name);
      if (flag == nullptr) fail(spec, unknown_flag_message(spec, fmt::format("--{}", name)));
      if (flag->value_name.empty()) {
        if (inline_value) fail(spec, fmt::format("flag `--{}` takes no value", name));
        record(spec, out, *flag, "");
        continue;
      }
      if (inline_value) {
        record(spec, out, *flag, std::string(body.substr(eq + 1)));
        continue;
      }
      // A following flag is almost always a forgotten value, not a value.
      if (i + 1 >= args.size() || args[i + 1].starts_with("--")) {
        fail(spec, fmt::format("flag `--{}` needs a value ({}); write `--{}=VALUE` for a value "
                               "starting with `--`",
                               name, flag->value_name, name));
      }
      record(spec, out, *flag, args[++i]);
      continue;
    }
    if (arg.size() > 1 && arg[0] == '-') {
      // A cluster of short flags, e.g. -vv; only the last may take a value.
      for (size_t k = 1; k < arg.size(); ++k) {
        char c = arg[k];
        if (c == 'h') {
          out.help = true;
          return out;
        }
        const FlagSpec* flag = find_short(spec, c);
        if (flag == nullptr) {
          fail(spec, unknown_flag_message(spec, fmt::format("-{}", c)));
        }
        if (flag->value_name.empty()) {
          record(spec, out, *flag, "");
          continue;
        }
        if (k + 1 < arg.size()) {
          record(spec, out, *flag, arg.substr(k + 1));
        } else if (i + 1 < args.size()) {
          record(spec, out, *flag, args[++i]);
        } else {
          fail(spec, fmt::format("flag `-{}` needs a value ({})", c, flag->value_name));
        }
        break;
      }
      continue;
    }
    if (spec.stop_at_positional) {
      out.consumed = i;
      return out;
    }
    out.positionals.push_back(arg);
  }
  return out;
}

std::string format_help(const CommandSpec& spec) {
  std::string out = fmt::format("usage: {}\n\n{}\n", spec.usage, spec.summary);
  out += "\noptions:\n";
  auto line = [&out](std::string left, std::string_view help) {
    if (left.size() < 26) {
      out += fmt::format("  {:<26}{}\n", left, help);
    } else {
      out += fmt::format("  {}\n  {:<26}{}\n", left, "", help);
    }
  };
  for (const auto& f : spec.flags) {
    std::string left = f.short_name != 0 ? fmt::format("-{}, --{}", f.short_name, f.name)
                                         : fmt::format("--{}", f.name);
    if (!f.value_name.empty()) left += fmt::format(" {}", f.value_name);
    line(std::move(left), f.help);
  }
  line("-h, --help", "show this help and exit");
  if (!spec.details.empty()) {
    out += "\n" + wrap(spec.details, 80);
  }
  return out;
}

int64_t parse_integer(const CommandSpec& spec, std::string_view flag, const std::string& value,
                      double min, double max) {
  int64_t out = 0;
  const char* end = value.data() + value.size();
  auto [ptr, ec] = std::from_chars(value.data(), end, out);
  if (value.empty() || ec == std::errc::invalid_argument || ptr != end) {
    fail(spec, fmt::format("parse `--{}`: `{}` is not an integer", flag, value));
  }
  if (ec != std::errc() || static_cast<double>(out) < min || static_cast<double>(out) > max) {
    fail(spec, fmt::format("parse `--{}`: `{}` is out of range {}-{}", flag, value, min, max));
  }
  return out;
}

double parse_number(const CommandSpec& spec, std::string_view flag, const std::string& value,
                    double min, double max) {
  double out = 0;
  const char* end = value.data() + value.size();
  auto [ptr, ec] = std::from_chars(value.data(), end, out);
  if (value.empty() || ec != std::errc() || ptr != end || !std::isfinite(out)) {
    fail(spec, fmt::format("parse `--{}`: `{}` is not a number", flag, value));
  }
  if (out < min || out > max) {
    fail(spec, fmt::format("parse `--{}`: `{}` is out of range {}-{}", flag, value, min, max));
  }
  return out;
}

}  // namespace pyro_cli
