// POSIX shell quoting, to turn argv-style words into one `/bin/sh -c` string.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace pyro_cli {

/// Quotes one word so that the shell reads it back unchanged. Words made only
/// of safe characters are left bare; everything else is single-quoted, with an
/// embedded `'` written as `'\''`.
std::string shell_quote(std::string_view word);

/// Joins words into a command line whose shell parse is exactly `words`.
std::string shell_join(std::span<const std::string> words);

}  // namespace pyro_cli
