// workspace_results.hpp — deep copies of the C++ workspace results into the
// plain C structs of pyro/c/workspace.h and pyro/c/workspace_files.h.
//
// The C structs are malloc'd field by field so that their `_free` functions can
// release them without any hidden bookkeeping. Every `new_*` throws
// std::bad_alloc on failure (call it inside guard()) and frees what it had
// built so far; the result belongs to the caller.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "capi_internal.hpp"

namespace pyro::capi {

pyro_workspace_info* new_workspace_info(const pyro::WorkspaceInfo& in);
pyro_workspace_list* new_workspace_list(const std::vector<pyro::WorkspaceInfo>& in);
pyro_workspace_snapshot_info* new_snapshot_info(const pyro::WorkspaceSnapshotInfo& in);
pyro_workspace_snapshot_list* new_snapshot_list(const std::vector<pyro::WorkspaceSnapshotInfo>& in);
pyro_workspace_file_entry* new_file_entry(const pyro::WorkspaceFileEntry& in);
pyro_workspace_file_list* new_file_list(const std::vector<pyro::WorkspaceFileEntry>& in);
pyro_workspace_file_content* new_file_content(const pyro::WorkspaceFileContent& in);
pyro_push_result* new_push_result(const pyro::PushResult& in);
pyro_patch_result* new_patch_result(const pyro::PatchResult& in);
pyro_workspace_diff* new_workspace_diff(const pyro::WorkspaceDiff& in);
pyro_export_result* new_export_result(const pyro::ExportResult& in);

/// Labels from parallel C arrays. Throws pyro::Error(kInvalidArgument) naming
/// `what` (e.g. "pyro_workspace_options") for NULL arrays or entries.
std::map<std::string, std::string> to_labels(size_t count, const char* const* keys,
                                             const char* const* values, const char* what);

}  // namespace pyro::capi
