#include "env/image_import.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string_view>
#include <unordered_set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "env/archive_util.hpp"
#include "pyro/error.hpp"
#include "util/relative_path.hpp"
#include "util/sha256.hpp"
#include "util/temp_dir.hpp"

namespace pyro::detail {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr uintmax_t kMaxJsonBytes = 16u << 20;  // manifests and configs are small

const char* const kOciIndexTypes[] = {"application/vnd.oci.image.index.v1+json",
                                      "application/vnd.docker.distribution.manifest.list.v2+json"};

// Failures all carry the same "import image `<source>`: " prefix.
class Context {
 public:
  Context(std::string source, const ProgressHandler& progress)
      : source_(std::move(source)), progress_(progress) {}

  [[noreturn]] void fail(ErrorCode code, const std::string& cause) const {
    throw Error(code, fmt::format("import image `{}`: {}", source_, cause));
  }
  void note(const std::string& message) const {
    if (progress_) progress_(message);
  }

 private:
  std::string source_;
  const ProgressHandler& progress_;
};

std::string parent_of(const std::string& rel) {
  const size_t slash = rel.rfind('/');
  return slash == std::string::npos ? std::string() : rel.substr(0, slash);
}

std::string base_of(const std::string& rel) {
  const size_t slash = rel.rfind('/');
  return slash == std::string::npos ? rel : rel.substr(slash + 1);
}

std::string join_rel(const std::string& dir, std::string_view name) {
  return dir.empty() ? std::string(name) : dir + "/" + std::string(name);
}

bool lstat_path(const fs::path& path, struct stat* st) { return ::lstat(path.c_str(), st) == 0; }

// Walks `rel_dir` below `root` one component at a time so that nothing is ever
// written through a symlink. Returns the first component that is a symlink, or
// "" when none is. Missing components are fine. With `remove_files`, a component
// that is a plain file is removed: a later layer may turn a file into a directory
// implicitly, by adding entries below it.
std::string symlink_on_path(const fs::path& root, const std::string& rel_dir, bool remove_files) {
  std::string prefix;
  size_t pos = 0;
  while (pos < rel_dir.size()) {
    size_t slash = rel_dir.find('/', pos);
    if (slash == std::string::npos) slash = rel_dir.size();
    prefix = rel_dir.substr(0, slash);
    pos = slash + 1;
    struct stat st {};
    if (!lstat_path(root / prefix, &st)) return "";  // the rest does not exist yet
    if (S_ISLNK(st.st_mode)) return prefix;
    if (!S_ISDIR(st.st_mode)) {
      if (remove_files) ::unlink((root / prefix).c_str());
      return "";
    }
  }
  return "";
}


struct ExtractStats {
  uint64_t bytes = 0;
  size_t skipped_devices = 0;
  size_t warnings = 0;
  std::string first_warning;
};

// Extracts one tar file into `root`. With `layer` set the entries are an image
// layer: whiteouts delete lower content and ownership and modes are kept.
class TarExtractor {
 public:
  TarExtractor(const Context& ctx, fs::path root, std::string what, bool layer)
      : ctx_(ctx), root_(std::move(root)), what_(std::move(what)), layer_(layer) {}

  ExtractStats run(const fs::path& tar_path) {
    ArchiveReader reader(archive_read_new());
    ArchiveWriter writer(archive_write_disk_new());
    if (!reader || !writer) ctx_.fail(ErrorCode::kInternal, "libarchive: out of memory");
    archive_read_support_filter_all(reader.get());
    archive_read_support_format_tar(reader.get());
    archive_read_support_format_empty(reader.get());
    if (archive_read_open_filename(reader.get(), tar_path.c_str(), 1 << 16) != ARCHIVE_OK) {
      ctx_.fail(ErrorCode::kInvalidArgument,
                fmt::format("{}: not a tar archive: {}", what_, archive_message(reader.get())));
    }
    // No standard lookup: uid/gid numbers are kept as they are, never mapped
    // through the host's user database. Our own checks run first; libarchive's
    // secure flags are a second line (absolute paths are ours, see below).
    int flags = ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT;
    if (layer_) {
      flags |= ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_XATTR;
      if (::geteuid() == 0) flags |= ARCHIVE_EXTRACT_OWNER;
    }
    archive_write_disk_set_options(writer.get(), flags);

    archive_entry* entry = nullptr;
    for (;;) {
      const int r = archive_read_next_header(reader.get(), &entry);
      if (r == ARCHIVE_EOF) break;
      if (r < ARCHIVE_WARN) {
        ctx_.fail(ErrorCode::kInvalidArgument,
                  fmt::format("{}: read: {}", what_, archive_message(reader.get())));
      }
      apply_entry(reader.get(), writer.get(), entry);
    }
    // Directory modes and times are set here, after their contents.
    if (archive_write_close(writer.get()) != ARCHIVE_OK) {
      ctx_.fail(code_for_errno(archive_errno(writer.get())),
                fmt::format("{}: finish: {}", what_, archive_message(writer.get())));
    }
    return stats_;
  }

 private:
  void apply_entry(archive* reader, archive* writer, archive_entry* entry) {
    const char* raw = archive_entry_pathname(entry);
    if (raw == nullptr) raw = archive_entry_pathname_utf8(entry);
    if (raw == nullptr) ctx_.fail(ErrorCode::kInvalidArgument, what_ + " has an entry with an unreadable name");
    const std::string name = raw;
    const auto rel = normalize_relative_path(name);
    if (!rel) ctx_.fail(ErrorCode::kInvalidArgument, fmt::format("{} entry `{}` escapes the root", what_, name));
    if (rel->empty()) return;  // the root itself: keep the caller's directory

    const std::string dir = parent_of(*rel);
    const std::string base = base_of(*rel);
    const bool whiteout = layer_ && base.rfind(".wh.", 0) == 0;
    check_no_symlink(dir, name, !whiteout);
    if (whiteout) {
      apply_whiteout(dir, base, name);
      return;
    }

    const mode_t type = archive_entry_filetype(entry);
    const char* link = archive_entry_hardlink(entry);
    if (link == nullptr && (type == AE_IFCHR || type == AE_IFBLK) && (!layer_ || ::geteuid() != 0)) {
      ++stats_.skipped_devices;
      return;
    }
    if (link == nullptr && type == AE_IFSOCK) return;  // sockets are runtime objects
    if (!layer_ && link == nullptr && type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK) return;

    std::string link_abs;
    if (link != nullptr) link_abs = check_hardlink(*rel, link, name);

    replace_existing(*rel, link == nullptr && type == AE_IFDIR);

    const std::string abs = (root_ / *rel).string();
    archive_entry_set_pathname(entry, abs.c_str());
    if (link != nullptr) archive_entry_set_hardlink(entry, link_abs.c_str());
    const int64_t size = archive_entry_size_is_set(entry) ? archive_entry_size(entry) : 0;

    check_write(writer, archive_write_header(writer, entry), name);
    copy_data(reader, writer, name);
    check_write(writer, archive_write_finish_entry(writer), name);
    created_.insert(*rel);
    if (link == nullptr && type == AE_IFREG && size > 0) stats_.bytes += static_cast<uint64_t>(size);
  }

  void check_no_symlink(const std::string& rel_dir, const std::string& name, bool remove_files) {
    const std::string link = symlink_on_path(root_, rel_dir, remove_files);
    if (!link.empty()) {
      ctx_.fail(ErrorCode::kInvalidArgument,
                fmt::format("{} entry `{}` goes through the symlink `{}`", what_, name, link));
    }
  }

  // `.wh.NAME` removes NAME of lower layers; `.wh..wh..opq` removes everything of
  // lower layers in its directory. Entries of this layer are kept either way,
  // whatever their order in the tar.
  void apply_whiteout(const std::string& dir, const std::string& base, const std::string& name) {
    if (base == ".wh..wh..opq") {
      struct stat st {};
      if (lstat_path(root_ / dir, &st) && S_ISDIR(st.st_mode)) remove_lower(dir);
      return;
    }
    if (base.rfind(".wh..wh.", 0) == 0) return;  // aufs bookkeeping (.wh..wh.plnk, ...)
    const std::string target = join_rel(dir, std::string_view(base).substr(4));
    if (base.size() == 4) ctx_.fail(ErrorCode::kInvalidArgument, fmt::format("{} whiteout `{}` names nothing", what_, name));
    if (created_.count(target) != 0) return;
    std::error_code ec;
    fs::remove_all(root_ / target, ec);  // never follows a symlink
    if (ec) ctx_.fail(code_for_errno(ec.value()), fmt::format("{} whiteout `{}`: {}", what_, name, ec.message()));
  }

  void remove_lower(const std::string& dir) {
    std::vector<std::string> children;
    std::error_code ec;
    for (const auto& child : fs::directory_iterator(root_ / dir, ec)) {
      children.push_back(child.path().filename().string());
    }
    for (const auto& child : children) {
      const std::string rel = join_rel(dir, child);
      if (created_.count(rel) != 0) {
        struct stat st {};
        if (lstat_path(root_ / rel, &st) && S_ISDIR(st.st_mode)) remove_lower(rel);
        continue;
      }
      fs::remove_all(root_ / rel, ec);
      if (ec) ctx_.fail(code_for_errno(ec.value()), fmt::format("{} opaque whiteout in `{}`: {}", what_, dir, ec.message()));
    }
  }

  // Returns the absolute path of a hard link's target, which must already exist
  // inside the root and be reachable without symlinks.
  std::string check_hardlink(const std::string& rel, const char* link, const std::string& name) {
    const auto target = normalize_relative_path(link);
    if (!target || target->empty()) {
      ctx_.fail(ErrorCode::kInvalidArgument,
                fmt::format("{} hard link `{}` -> `{}` escapes the root", what_, name, link));
    }
    if (*target == rel) {
      ctx_.fail(ErrorCode::kInvalidArgument, fmt::format("{} hard link `{}` points to itself", what_, name));
    }
    const std::string via = symlink_on_path(root_, parent_of(*target), false);
    if (!via.empty()) {
      ctx_.fail(ErrorCode::kInvalidArgument,
                fmt::format("{} hard link `{}` -> `{}` goes through the symlink `{}`", what_, name, link, via));
    }
    struct stat st {};
    if (!lstat_path(root_ / *target, &st)) {
      ctx_.fail(ErrorCode::kInvalidArgument,
                fmt::format("{} hard link `{}`: its target `{}` does not exist", what_, name, link));
    }
    if (S_ISDIR(st.st_mode)) {
      ctx_.fail(ErrorCode::kInvalidArgument,
                fmt::format("{} hard link `{}`: its target `{}` is a directory", what_, name, link));
    }
    return (root_ / *target).string();
  }

  // Later layers win: a directory stays a directory (and is merged); anything
  // else in the way is removed first, so that nothing is written through an old
  // symlink or into a file shared by an old hard link.
  void replace_existing(const std::string& rel, bool is_dir) {
    const fs::path path = root_ / rel;
    struct stat st {};
    if (!lstat_path(path, &st)) return;
    if (is_dir && S_ISDIR(st.st_mode)) return;
    std::error_code ec;
    fs::remove_all(path, ec);
    if (ec) ctx_.fail(code_for_errno(ec.value()), fmt::format("{} replace `{}`: {}", what_, rel, ec.message()));
  }

  void copy_data(archive* reader, archive* writer, const std::string& name) {
    const void* buf = nullptr;
    size_t len = 0;
    la_int64_t offset = 0;
    for (;;) {
      const int r = archive_read_data_block(reader, &buf, &len, &offset);
      if (r == ARCHIVE_EOF) return;
      if (r < ARCHIVE_WARN) {
        ctx_.fail(ErrorCode::kInvalidArgument,
                  fmt::format("{} entry `{}`: read: {}", what_, name, archive_message(reader)));
      }
      // A failed write(2) (ENOSPC) comes back as ARCHIVE_WARN: anything but OK is fatal.
      if (archive_write_data_block(writer, buf, len, offset) != ARCHIVE_OK) {
        ctx_.fail(code_for_errno(archive_errno(writer)),
                  fmt::format("{} entry `{}`: write: {}", what_, name, archive_message(writer)));
      }
    }
  }

  // Warnings (an xattr the filesystem refuses, ownership as non-root) are
  // counted and reported once per layer; failures stop the import.
  void check_write(archive* writer, int r, const std::string& name) {
    if (r == ARCHIVE_OK) return;
    if (r == ARCHIVE_WARN) {
      if (stats_.warnings++ == 0) stats_.first_warning = fmt::format("`{}`: {}", name, archive_message(writer));
      return;
    }
    ctx_.fail(code_for_errno(archive_errno(writer)), fmt::format("{} entry `{}`: {}", what_, name, archive_message(writer)));
  }

  const Context& ctx_;
  const fs::path root_;
  const std::string what_;
  const bool layer_;
  ExtractStats stats_;
  std::unordered_set<std::string> created_;  // paths this tar wrote
};

// ---- the image's metadata ----

struct LayerRef {
  fs::path path;
  std::string digest;  // "sha256:<hex>" to verify, or "" when unknown
  uint64_t size = 0;   // 0: unknown
};

struct ImagePlan {
  ImageSummary summary;
  json config;
  std::vector<LayerRef> layers;
};

bool is_sha256_hex(std::string_view hex) {
  return hex.size() == 64 && std::all_of(hex.begin(), hex.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// `rel` (a path inside the layout) as a file that exists below `layout`, even
// after following symlinks an outer tarball may have contained.
fs::path resolve_inside(const Context& ctx, const fs::path& layout, const std::string& rel, const std::string& what) {
  const auto norm = normalize_relative_path(rel);
  if (!norm || norm->empty()) ctx.fail(ErrorCode::kInvalidArgument, fmt::format("{} `{}` escapes the image", what, rel));
  std::error_code ec;
  const fs::path path = fs::canonical(layout / *norm, ec);
  if (ec) ctx.fail(ErrorCode::kNotFound, fmt::format("{} `{}` is missing", what, rel));
  const std::string base = layout.string() + "/";
  if (path.string().rfind(base, 0) != 0) {
    ctx.fail(ErrorCode::kInvalidArgument, fmt::format("{} `{}` points outside the image", what, rel));
  }
  if (!fs::is_regular_file(path, ec)) ctx.fail(ErrorCode::kInvalidArgument, fmt::format("{} `{}` is not a file", what, rel));
  return path;
}

fs::path blob_path(const Context& ctx, const fs::path& layout, const std::string& digest) {
  const size_t colon = digest.find(':');
  if (colon == std::string::npos || digest.substr(0, colon) != "sha256" || !is_sha256_hex(digest.substr(colon + 1))) {
    ctx.fail(ErrorCode::kInvalidArgument, fmt::format("unsupported or malformed digest `{}`", digest));
  }
  return resolve_inside(ctx, layout, "blobs/sha256/" + digest.substr(colon + 1), "blob");
}

void verify_blob(const Context& ctx, const fs::path& path, const std::string& digest, uint64_t size) {
  std::error_code ec;
  if (size != 0 && fs::file_size(path, ec) != size) {
    ctx.fail(ErrorCode::kInvalidArgument, fmt::format("blob `{}` has {} bytes, its descriptor says {}",
                                                      digest, fs::file_size(path, ec), size));
  }
  const std::string actual = "sha256:" + sha256_file_hex(path.string());
  if (actual != digest) {
    ctx.fail(ErrorCode::kInvalidArgument,
             fmt::format("blob `{}` does not match its digest (its content hashes to `{}`)", digest, actual));
  }
}

json read_json_file(const Context& ctx, const fs::path& path, const std::string& what) {
  std::error_code ec;
  if (fs::file_size(path, ec) > kMaxJsonBytes) ctx.fail(ErrorCode::kInvalidArgument, what + " is too large");
  std::ifstream in(path, std::ios::binary);
  if (!in) ctx.fail(ErrorCode::kNotFound, fmt::format("{} is missing", what));
  json doc = json::parse(in, nullptr, false);
  if (doc.is_discarded()) ctx.fail(ErrorCode::kInvalidArgument, fmt::format("{} is not valid JSON", what));
  return doc;
}

json read_blob_json(const Context& ctx, const fs::path& layout, const json& descriptor, const std::string& what) {
  const std::string digest = descriptor.value("digest", "");
  const fs::path path = blob_path(ctx, layout, digest);
  verify_blob(ctx, path, digest, descriptor.value("size", uint64_t{0}));
  return read_json_file(ctx, path, fmt::format("{} `{}`", what, digest));
}

std::vector<std::string> string_list(const json& value) {
  std::vector<std::string> out;
  if (!value.is_array()) return out;
  for (const auto& item : value) {
    if (item.is_string()) out.push_back(item.get<std::string>());
  }
  return out;
}

void read_config(const Context& ctx, ImagePlan& plan) {
  const json& cfg = plan.config;
  if (!cfg.is_object()) ctx.fail(ErrorCode::kInvalidArgument, "the image config is not a JSON object");
  const std::string os = cfg.value("os", "linux");
  const std::string arch = cfg.value("architecture", "amd64");
  if (os != "linux" || arch != "amd64") {
    ctx.fail(ErrorCode::kInvalidArgument,
             fmt::format("the image is for `{}/{}`; pyro runs linux/amd64 images", os, arch));
  }
  const json inner = cfg.contains("config") && cfg["config"].is_object() ? cfg["config"] : json::object();
  plan.summary.env = string_list(inner.value("Env", json()));
  plan.summary.entrypoint_cmd = string_list(inner.value("Entrypoint", json()));
  for (auto& arg : string_list(inner.value("Cmd", json()))) plan.summary.entrypoint_cmd.push_back(std::move(arg));
  const json wd = inner.value("WorkingDir", json());
  if (wd.is_string()) plan.summary.working_dir = wd.get<std::string>();
}

bool is_index(const json& doc_or_descriptor) {
  const std::string type = doc_or_descriptor.value("mediaType", "");
  for (const char* t : kOciIndexTypes) {
    if (type == t) return true;
  }
  return doc_or_descriptor.contains("manifests");
}

// The manifest descriptor to use from an index: the only one, else linux/amd64.
json select_manifest(const Context& ctx, const json& index) {
  const json manifests = index.value("manifests", json::array());
  if (!manifests.is_array() || manifests.empty()) ctx.fail(ErrorCode::kInvalidArgument, "the image index lists no manifests");
  if (manifests.size() == 1) return manifests[0];
  std::vector<std::string> seen;
  bool any_platform = false;
  for (const auto& m : manifests) {
    if (!m.contains("platform")) continue;
    any_platform = true;
    const std::string os = m["platform"].value("os", "");
    const std::string arch = m["platform"].value("architecture", "");
    if (os == "linux" && arch == "amd64") return m;
    seen.push_back(os + "/" + arch);
  }
  if (!any_platform) return manifests[0];
  ctx.fail(ErrorCode::kInvalidArgument,
           fmt::format("the image has no linux/amd64 manifest (found {})", fmt::join(seen, ", ")));
}

std::string annotation(const json& descriptor, const char* key) {
  if (!descriptor.contains("annotations") || !descriptor["annotations"].is_object()) return "";
  return descriptor["annotations"].value(key, "");
}

std::string docker_repo_tag(const Context& ctx, const fs::path& layout) {
  if (!fs::exists(layout / "manifest.json")) return "";
  const json doc = read_json_file(ctx, layout / "manifest.json", "`manifest.json`");
  if (!doc.is_array() || doc.empty() || !doc[0].is_object()) return "";
  const auto tags = string_list(doc[0].value("RepoTags", json()));
  return tags.empty() ? "" : tags.front();
}

ImagePlan read_oci_layout(const Context& ctx, const fs::path& layout) {
  ImagePlan plan;
  plan.summary.format = "oci-layout";
  const json index = read_json_file(ctx, layout / "index.json", "`index.json`");
  if (!index.is_object()) ctx.fail(ErrorCode::kInvalidArgument, "`index.json` is not a JSON object");
  json descriptor = select_manifest(ctx, index);
  plan.summary.reference = annotation(descriptor, "io.containerd.image.name");
  if (plan.summary.reference.empty()) plan.summary.reference = annotation(descriptor, "org.opencontainers.image.ref.name");
  if (plan.summary.reference.empty()) plan.summary.reference = docker_repo_tag(ctx, layout);

  json manifest = read_blob_json(ctx, layout, descriptor, "manifest");
  if (is_index(descriptor) || is_index(manifest)) {  // a multi-platform image: one level down
    descriptor = select_manifest(ctx, manifest);
    manifest = read_blob_json(ctx, layout, descriptor, "manifest");
    if (is_index(manifest)) ctx.fail(ErrorCode::kInvalidArgument, "image indexes nested more than twice are not supported");
  }
  plan.summary.manifest_digest = descriptor.value("digest", "");
  if (!manifest.contains("config") || !manifest.contains("layers") || !manifest["layers"].is_array()) {
    ctx.fail(ErrorCode::kInvalidArgument, fmt::format("manifest `{}` has no config or layers", plan.summary.manifest_digest));
  }
  plan.config = read_blob_json(ctx, layout, manifest["config"], "config");
  for (const auto& layer : manifest["layers"]) {
    const std::string type = layer.value("mediaType", "");
    const std::string digest = layer.value("digest", "");
    if (type.find("tar") == std::string::npos || type.find("encrypted") != std::string::npos) {
      ctx.fail(ErrorCode::kInvalidArgument, fmt::format("layer `{}` has the unsupported media type `{}`", digest, type));
    }
    plan.layers.push_back({blob_path(ctx, layout, digest), digest, layer.value("size", uint64_t{0})});
  }
  return plan;
}

// Legacy `docker save`: manifest.json lists a config file and `<id>/layer.tar`
// files, verified against the config's diff_ids (the layers are plain tars).
ImagePlan read_docker_save(const Context& ctx, const fs::path& layout) {
  ImagePlan plan;
  plan.summary.format = "docker-save";
  const json doc = read_json_file(ctx, layout / "manifest.json", "`manifest.json`");
  if (!doc.is_array() || doc.empty() || !doc[0].is_object()) {
    ctx.fail(ErrorCode::kInvalidArgument, "`manifest.json` lists no image");
  }
  const json& image = doc[0];
  const auto tags = string_list(image.value("RepoTags", json()));
  if (!tags.empty()) plan.summary.reference = tags.front();
  if (doc.size() > 1) ctx.note(fmt::format("the archive holds {} images; importing the first", doc.size()));

  const std::string config_name = image.value("Config", "");
  const fs::path config_path = resolve_inside(ctx, layout, config_name, "config");
  std::string config_hex = config_path.filename().string();
  if (config_hex.size() == 69 && config_hex.ends_with(".json")) config_hex.resize(64);
  if (is_sha256_hex(config_hex)) verify_blob(ctx, config_path, "sha256:" + config_hex, 0);
  plan.config = read_json_file(ctx, config_path, fmt::format("config `{}`", config_name));

  std::vector<std::string> diff_ids;
  if (plan.config.is_object() && plan.config.contains("rootfs") && plan.config["rootfs"].is_object()) {
    diff_ids = string_list(plan.config["rootfs"].value("diff_ids", json()));
  }
  const auto layer_names = string_list(image.value("Layers", json()));
  for (size_t i = 0; i < layer_names.size(); ++i) {
    LayerRef ref{resolve_inside(ctx, layout, layer_names[i], "layer"), "", 0};
    const std::string hex = ref.path.filename().string();
    if (ref.path.parent_path().filename() == "sha256" && is_sha256_hex(hex)) {
      ref.digest = "sha256:" + hex;
    } else if (diff_ids.size() == layer_names.size()) {
      ref.digest = diff_ids[i];
    }
    if (!ref.digest.empty() && ref.digest.rfind("sha256:", 0) != 0) ref.digest.clear();
    plan.layers.push_back(std::move(ref));
  }
  return plan;
}

std::string human_size(uint64_t bytes) {
  if (bytes >= (1u << 20)) return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / (1 << 20));
  return fmt::format("{:.1f} KiB", static_cast<double>(bytes) / 1024);
}

}  // namespace

ImageSummary unpack_image(const std::string& source, const std::string& rootfs_dir,
                          const ProgressHandler& progress) {
  const Context ctx(source, progress);
  std::error_code ec;
  const auto source_status = fs::status(source, ec);
  if (source.empty() || !fs::exists(source_status)) ctx.fail(ErrorCode::kNotFound, "no such file or directory");
  if (!fs::is_directory(rootfs_dir, ec) || !fs::is_empty(rootfs_dir, ec)) {
    ctx.fail(ErrorCode::kInvalidArgument, fmt::format("root directory `{}` is not an empty directory", rootfs_dir));
  }
  // Canonical, so that libarchive's symlink check never trips over the path above the root.
  const fs::path root = fs::canonical(rootfs_dir);

  std::optional<TempDir> unpacked;
  fs::path layout;
  if (fs::is_directory(source_status)) {
    layout = fs::canonical(source);
  } else {
    ctx.note(fmt::format("unpacking `{}`", source));
    unpacked.emplace(root.parent_path(), ".pyro-import-", "import image");
    TarExtractor(ctx, unpacked->path(), "archive", false).run(source);
    layout = fs::canonical(unpacked->path());
  }

  ImagePlan plan;
  if (fs::exists(layout / "oci-layout") && fs::exists(layout / "index.json")) {
    plan = read_oci_layout(ctx, layout);
  } else if (fs::exists(layout / "manifest.json")) {
    plan = read_docker_save(ctx, layout);
  } else {
    ctx.fail(ErrorCode::kInvalidArgument,
             "not an OCI image layout (`oci-layout`, `index.json`) nor `docker save` output (`manifest.json`)");
  }
  read_config(ctx, plan);

  ImageSummary summary = std::move(plan.summary);
  summary.layers = plan.layers.size();
  ctx.note(fmt::format("image `{}` ({}, {} layers)", summary.reference.empty() ? "unnamed" : summary.reference,
                       summary.format, summary.layers));
  if (::geteuid() != 0) {
    summary.ownership_kept = false;
    ctx.note("not running as root: files will belong to the importing user, device nodes are left out");
  }
  for (size_t i = 0; i < plan.layers.size(); ++i) {
    const LayerRef& layer = plan.layers[i];
    const uint64_t size = fs::file_size(layer.path, ec);
    ctx.note(fmt::format("layer {}/{}: {} ({})", i + 1, plan.layers.size(),
                         layer.digest.empty() ? layer.path.filename().string() : layer.digest, human_size(size)));
    if (!layer.digest.empty()) verify_blob(ctx, layer.path, layer.digest, layer.size);
    const ExtractStats stats = TarExtractor(ctx, root, fmt::format("layer {}", i + 1), true).run(layer.path);
    summary.unpacked_bytes += stats.bytes;
    summary.skipped_devices += stats.skipped_devices;
    if (stats.skipped_devices != 0) {
      ctx.note(fmt::format("layer {}: left out {} device nodes (only root can create them)", i + 1,
                           stats.skipped_devices));
    }
    if (stats.warnings != 0) {
      ctx.note(fmt::format("layer {}: {} warnings, the first: {}", i + 1, stats.warnings, stats.first_warning));
    }
  }
  ctx.note(fmt::format("unpacked {} of files", human_size(summary.unpacked_bytes)));
  return summary;
}

}  // namespace pyro::detail
