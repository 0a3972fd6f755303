// `workspace file list|read` and `workspace disk list|read` take the same
// arguments and print the same way; they differ only in where the files are
// read (the running VM, or the disk of a stopped one) and in their help lines.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "args.hpp"
#include "cli.hpp"
#include "pyro/client.hpp"

namespace pyro_cli {

inline constexpr std::array<FlagSpec, 2> kFileListFlags = {{
    {"recursive", 'r', "", "descend into directories"},
    {"json", 0, "", "print one JSON array of file objects"},
}};

inline constexpr std::string_view kFileListDetails =
    "PATH is relative to /workspace (default: /workspace itself). Prints a table:\n"
    "TYPE MODE SIZE MTIME (UTC) PATH. With --json one array of objects: path, type\n"
    "(file, directory, symlink, other), size, mode, mtime (unix seconds), target\n"
    "(ignore keys you do not know).\n";

inline constexpr std::array<FlagSpec, 2> kFileReadFlags = {{
    {"max-bytes", 0, "N", "read at most N bytes, 1-1048576 (default 65536)"},
    {"json", 0, "", "print one JSON object instead of the raw content"},
}};

inline constexpr std::string_view kFileReadDetails =
    "Copies the content unchanged to stdout; when the file is longer than\n"
    "--max-bytes a `pyro:` note on stderr says so. With --json one object: path,\n"
    "content, size (of the whole file), truncated (ignore keys you do not know).\n"
    "\n"
    "exit status: 0; 125 when pyro failed (not_found; invalid_argument: binary file).\n";

/// Pyro::list_workspace_files or Pyro::list_workspace_disk.
using ListFilesCall = std::vector<pyro::WorkspaceFileEntry> (pyro::Pyro::*)(
    const std::string& workspace, const std::string& path, bool recursive);

/// Pyro::read_workspace_file or Pyro::read_workspace_disk.
using ReadFileCall = pyro::WorkspaceFileContent (pyro::Pyro::*)(
    const std::string& workspace, const std::string& path, uint64_t max_bytes);

/// WORKSPACE [PATH] [--recursive] [--json]: a table of files, or a JSON array.
int run_file_list_verb(const CommandSpec& spec, const GlobalOptions& global, Args args,
                       ListFilesCall list);

/// WORKSPACE PATH [--max-bytes N] [--json]: the content on stdout, or a JSON object.
int run_file_read_verb(const CommandSpec& spec, const GlobalOptions& global, Args args,
                       ReadFileCall read);

}  // namespace pyro_cli
