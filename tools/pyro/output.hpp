// Output helpers of the CLI: exact byte writes and the JSON form of results.
// JSON goes out as one line per document (JSON Lines); readers must ignore
// keys they do not know, since new fields are only ever added.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "pyro/json.hpp"
#include "pyro/types.hpp"

namespace pyro_cli {

/// Writes `bytes` unchanged (binary-safe, nothing added) and flushes.
/// Throws std::system_error when the stream cannot be written.
void write_bytes(std::FILE* stream, std::string_view bytes);

/// Writes `doc` as one line to stdout. Invalid UTF-8 in strings (raw guest
/// output) becomes U+FFFD instead of failing.
void print_json_line(const nlohmann::json& doc);

/// The one JSON form of a result (pyro/json.hpp), as a document to print.
template <typename T>
nlohmann::json json_of(const T& value) {
  return nlohmann::json::parse(pyro::to_json(value));
}

/// A JSON array of json_of(item) for every item, in order.
template <typename T>
nlohmann::json json_array_of(const std::vector<T>& items) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& item : items) out.push_back(json_of(item));
  return out;
}

/// A byte count for people: "812 B", "3.4 MiB", "1.2 GiB".
std::string format_size(uint64_t bytes);

/// One line about an installed environment, as `pyro env pull` and `pyro env
/// import` print it: "debian:12: installed at PATH (sha256 0123456789ab, 212.5 MiB)".
std::string format_installed_line(const pyro::EnvironmentInfo& env);

/// A progress handler that writes each line to stderr as "pyro: <line>".
pyro::ProgressHandler stderr_progress();

}  // namespace pyro_cli
