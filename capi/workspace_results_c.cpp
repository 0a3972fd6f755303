// C ABI: the plain result structs of the workspace operations — deep copies
// from C++ (workspace_results.hpp), their `_free` functions, options `_init`
// functions and the state name.
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>

#include "result_alloc.hpp"
#include "workspace_results.hpp"

namespace {

using pyro::capi::Building;
using pyro::capi::dup;
using pyro::capi::fill_items;
using pyro::capi::free_items;
using pyro::capi::release;
using pyro::capi::release_strings;
using pyro::capi::zalloc;
using pyro::capi::zalloc_array;

void free_hunk(pyro_patch_hunk_report* h) {
  if (h == nullptr) return;
  release(h->message);
  std::free(h);
}

void free_patch_file(pyro_patch_file_report* f) {
  if (f == nullptr) return;
  release(f->path);
  release(f->old_path);
  release(f->action);
  release(f->message);
  free_items(f->hunks, f->hunk_count, free_hunk);
  std::free(f);
}

void free_diff_entry(pyro_workspace_diff_entry* e) {
  if (e == nullptr) return;
  release(e->path);
  release(e->status);
  release(e->type);
  std::free(e);
}

pyro_patch_hunk_report* new_hunk(const pyro::PatchHunkReport& in) {
  Building<pyro_patch_hunk_report> out(zalloc<pyro_patch_hunk_report>(), free_hunk);
  out->index = in.index;
  out->old_start = in.old_start;
  out->applied = in.applied ? 1 : 0;
  out->offset = in.offset;
  out->message = dup(in.message);
  return out.release();
}

pyro_patch_file_report* new_patch_file(const pyro::PatchFileReport& in) {
  Building<pyro_patch_file_report> out(zalloc<pyro_patch_file_report>(), free_patch_file);
  out->path = dup(in.path);
  out->old_path = dup(in.old_path);
  out->action = dup(in.action);
  out->ok = in.ok ? 1 : 0;
  out->message = dup(in.message);
  fill_items(out->hunks, out->hunk_count, in.hunks, new_hunk);
  return out.release();
}

pyro_workspace_diff_entry* new_diff_entry(const pyro::WorkspaceDiffEntry& in) {
  Building<pyro_workspace_diff_entry> out(zalloc<pyro_workspace_diff_entry>(), free_diff_entry);
  out->path = dup(in.path);
  out->status = dup(in.status);
  out->type = dup(in.type);
  out->old_size = in.old_size;
  out->new_size = in.new_size;
  out->binary = in.binary ? 1 : 0;
  return out.release();
}

}  // namespace

namespace pyro::capi {

pyro_workspace_info* new_workspace_info(const pyro::WorkspaceInfo& in) {
  Building<pyro_workspace_info> out(zalloc<pyro_workspace_info>(), pyro_workspace_info_free);
  out->workspace_id = dup(in.workspace_id);
  out->name = dup(in.name);
  out->environment = dup(in.environment);
  out->state = static_cast<pyro_workspace_state>(in.state);
  out->vcpu_count = in.vcpu_count;
  out->mem_mib = in.mem_mib;
  out->disk_mib = in.disk_mib;
  out->network_policy = dup(pyro::network_policy_name(in.network_policy));
  auto** keys = zalloc_array<const char*>(in.labels.size());
  out->label_keys = keys;
  auto** values = zalloc_array<const char*>(in.labels.size());
  out->label_values = values;
  out->label_count = in.labels.size();
  size_t i = 0;
  for (const auto& [k, v] : in.labels) {
    keys[i] = dup(k);
    values[i] = dup(v);
    ++i;
  }
  out->created_at = dup(in.created_at);
  out->updated_at = dup(in.updated_at);
  out->accelerator = dup(in.accelerator);
  out->pid = in.pid;
  out->boot_ms = in.boot_ms;
  out->start_mode = dup(in.start_mode);
  out->crash_reason = dup(in.crash_reason);
  out->disk_bytes = in.disk_bytes;
  out->path = dup(in.path);
  pyro::capi::dup_strings(in.secret_names, out->secret_names, out->secret_count);
  return out.release();
}

pyro_workspace_list* new_workspace_list(const std::vector<pyro::WorkspaceInfo>& in) {
  Building<pyro_workspace_list> out(zalloc<pyro_workspace_list>(), pyro_workspace_list_free);
  fill_items(out->items, out->count, in, new_workspace_info);
  return out.release();
}

pyro_workspace_snapshot_info* new_snapshot_info(const pyro::WorkspaceSnapshotInfo& in) {
  Building<pyro_workspace_snapshot_info> out(zalloc<pyro_workspace_snapshot_info>(),
                                             pyro_workspace_snapshot_info_free);
  out->name = dup(in.name);
  out->created_at = dup(in.created_at);
  out->disk_bytes = in.disk_bytes;
  return out.release();
}

pyro_workspace_snapshot_list* new_snapshot_list(const std::vector<pyro::WorkspaceSnapshotInfo>& in) {
  Building<pyro_workspace_snapshot_list> out(zalloc<pyro_workspace_snapshot_list>(),
                                             pyro_workspace_snapshot_list_free);
  fill_items(out->items, out->count, in, new_snapshot_info);
  return out.release();
}

pyro_workspace_file_entry* new_file_entry(const pyro::WorkspaceFileEntry& in) {
  Building<pyro_workspace_file_entry> out(zalloc<pyro_workspace_file_entry>(),
                                          pyro_workspace_file_entry_free);
  out->path = dup(in.path);
  out->type = dup(in.type);
  out->size = in.size;
  out->mode = in.mode;
  out->mtime = in.mtime;
  out->target = dup(in.target);
  return out.release();
}

pyro_workspace_file_list* new_file_list(const std::vector<pyro::WorkspaceFileEntry>& in) {
  Building<pyro_workspace_file_list> out(zalloc<pyro_workspace_file_list>(),
                                         pyro_workspace_file_list_free);
  fill_items(out->items, out->count, in, new_file_entry);
  return out.release();
}

pyro_workspace_file_content* new_file_content(const pyro::WorkspaceFileContent& in) {
  Building<pyro_workspace_file_content> out(zalloc<pyro_workspace_file_content>(),
                                            pyro_workspace_file_content_free);
  out->path = dup(in.path);
  out->content = dup(in.content);
  out->content_len = in.content.size();
  out->size = in.size;
  out->truncated = in.truncated ? 1 : 0;
  return out.release();
}

pyro_push_result* new_push_result(const pyro::PushResult& in) {
  auto* out = zalloc<pyro_push_result>();
  out->files = in.files;
  out->directories = in.directories;
  out->symlinks = in.symlinks;
  out->bytes = in.bytes;
  return out;
}

pyro_patch_result* new_patch_result(const pyro::PatchResult& in) {
  Building<pyro_patch_result> out(zalloc<pyro_patch_result>(), pyro_patch_result_free);
  out->applied = in.applied ? 1 : 0;
  out->dry_run = in.dry_run ? 1 : 0;
  fill_items(out->files, out->file_count, in.files, new_patch_file);
  out->summary = dup(in.summary);
  return out.release();
}

pyro_workspace_diff* new_workspace_diff(const pyro::WorkspaceDiff& in) {
  Building<pyro_workspace_diff> out(zalloc<pyro_workspace_diff>(), pyro_workspace_diff_free);
  fill_items(out->entries, out->entry_count, in.entries, new_diff_entry);
  out->unified = dup(in.unified);
  out->unified_len = in.unified.size();
  out->added = in.added;
  out->modified = in.modified;
  out->deleted = in.deleted;
  return out.release();
}

pyro_export_result* new_export_result(const pyro::ExportResult& in) {
  Building<pyro_export_result> out(zalloc<pyro_export_result>(), pyro_export_result_free);
  out->output_path = dup(in.output_path);
  out->files = in.files;
  out->directories = in.directories;
  out->bytes = in.bytes;
  return out.release();
}

std::map<std::string, std::string> to_labels(size_t count, const char* const* keys,
                                             const char* const* values, const char* what) {
  std::map<std::string, std::string> labels;
  if (count == 0) return labels;
  if (keys == nullptr || values == nullptr) {
    throw pyro::Error(pyro::ErrorCode::kInvalidArgument,
                      std::string("read labels of `") + what + "`: label_count is " +
                          std::to_string(count) + " but label_keys or label_values is NULL");
  }
  for (size_t i = 0; i < count; ++i) {
    if (keys[i] == nullptr || values[i] == nullptr) {
      throw pyro::Error(pyro::ErrorCode::kInvalidArgument,
                        std::string("read label ") + std::to_string(i) + " of `" + what +
                            "`: key and value must not be NULL");
    }
    labels[keys[i]] = values[i];
  }
  return labels;
}

}  // namespace pyro::capi

extern "C" {

const char* pyro_workspace_state_str(pyro_workspace_state state) {
  const long long raw = pyro::capi::enum_value(state);
  if (raw < PYRO_WORKSPACE_STOPPED || raw > PYRO_WORKSPACE_CRASHED) return "unknown";
  return pyro::workspace_state_name(static_cast<pyro::WorkspaceState>(state));
}

pyro_status pyro_workspace_options_init(pyro_workspace_options* opts, unsigned int version) {
  static constexpr pyro_workspace_options kDefaults = PYRO_WORKSPACE_OPTIONS_INIT;
  if (opts == nullptr || (version != 1 && version != PYRO_WORKSPACE_OPTIONS_VERSION)) return PYRO_E_INVALID_ARGUMENT;
  // A version 1 struct ends where the progress fields begin.
  std::memcpy(opts, &kDefaults, version == 1 ? offsetof(pyro_workspace_options, progress) : sizeof kDefaults);
  opts->version = version;
  return PYRO_OK;
}

pyro_status pyro_workspace_update_init(pyro_workspace_update* update, unsigned int version) {
  static constexpr pyro_workspace_update kDefaults = PYRO_WORKSPACE_UPDATE_INIT;
  if (update == nullptr || version != PYRO_WORKSPACE_UPDATE_VERSION) return PYRO_E_INVALID_ARGUMENT;
  *update = kDefaults;
  return PYRO_OK;
}

pyro_status pyro_push_options_init(pyro_push_options* opts, unsigned int version) {
  static constexpr pyro_push_options kDefaults = PYRO_PUSH_OPTIONS_INIT;
  if (opts == nullptr || version != PYRO_PUSH_OPTIONS_VERSION) return PYRO_E_INVALID_ARGUMENT;
  *opts = kDefaults;
  return PYRO_OK;
}

pyro_status pyro_patch_options_init(pyro_patch_options* opts, unsigned int version) {
  static constexpr pyro_patch_options kDefaults = PYRO_PATCH_OPTIONS_INIT;
  if (opts == nullptr || version != PYRO_PATCH_OPTIONS_VERSION) return PYRO_E_INVALID_ARGUMENT;
  *opts = kDefaults;
  return PYRO_OK;
}

void pyro_workspace_info_free(pyro_workspace_info* i) {
  if (i == nullptr) return;
  release(i->workspace_id);
  release(i->name);
  release(i->environment);
  release_strings(i->label_keys, i->label_count);
  release_strings(i->label_values, i->label_count);
  release(i->created_at);
  release(i->updated_at);
  release(i->accelerator);
  release(i->start_mode);
  release(i->crash_reason);
  release(i->path);
  release(i->network_policy);
  release_strings(i->secret_names, i->secret_count);
  std::free(i);
}

void pyro_workspace_list_free(pyro_workspace_list* l) {
  if (l == nullptr) return;
  free_items(l->items, l->count, pyro_workspace_info_free);
  std::free(l);
}

void pyro_workspace_snapshot_info_free(pyro_workspace_snapshot_info* i) {
  if (i == nullptr) return;
  release(i->name);
  release(i->created_at);
  std::free(i);
}

void pyro_workspace_snapshot_list_free(pyro_workspace_snapshot_list* l) {
  if (l == nullptr) return;
  free_items(l->items, l->count, pyro_workspace_snapshot_info_free);
  std::free(l);
}

void pyro_workspace_file_entry_free(pyro_workspace_file_entry* e) {
  if (e == nullptr) return;
  release(e->path);
  release(e->type);
  release(e->target);
  std::free(e);
}

void pyro_workspace_file_list_free(pyro_workspace_file_list* l) {
  if (l == nullptr) return;
  free_items(l->items, l->count, pyro_workspace_file_entry_free);
  std::free(l);
}

void pyro_workspace_file_content_free(pyro_workspace_file_content* c) {
  if (c == nullptr) return;
  release(c->path);
  release(c->content);
  std::free(c);
}

void pyro_push_result_free(pyro_push_result* r) { std::free(r); }

void pyro_patch_result_free(pyro_patch_result* r) {
  if (r == nullptr) return;
  free_items(r->files, r->file_count, free_patch_file);
  release(r->summary);
  std::free(r);
}

void pyro_workspace_diff_free(pyro_workspace_diff* d) {
  if (d == nullptr) return;
  free_items(d->entries, d->entry_count, free_diff_entry);
  release(d->unified);
  std::free(d);
}

void pyro_export_result_free(pyro_export_result* r) {
  if (r == nullptr) return;
  release(r->output_path);
  std::free(r);
}

}  // extern "C"
