// Output helpers of the CLI: exact byte writes and the JSON form of results.
// JSON goes out as one line per document (JSON Lines); readers must ignore
// keys they do not know, since new fields are only ever added.
#pragma once

#include <cstdio>
#include <string_view>

#include <nlohmann/json.hpp>

#include "pyro/types.hpp"

namespace pyro_cli {

/// Writes `bytes` unchanged (binary-safe, nothing added) and flushes.
/// Throws std::system_error when the stream cannot be written.
void write_bytes(std::FILE* stream, std::string_view bytes);

/// Writes `doc` as one line to stdout. Invalid UTF-8 in strings (raw guest
/// output) becomes U+FFFD instead of failing.
void print_json_line(const nlohmann::json& doc);

nlohmann::json to_json(const pyro::ExecResult& result);
nlohmann::json to_json(const pyro::EnvironmentInfo& env);
nlohmann::json to_json(const pyro::DoctorReport& report);

}  // namespace pyro_cli
