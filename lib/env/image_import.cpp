#include "env/image_import.hpp"

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
#include "env/safe_extract.hpp"
#include "pyro/error.hpp"
#include "util/progress.hpp"
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
  // Progress of stage "unpack image", counted in layers once they are known.
  void note(const std::string& message) const {
    report_progress(progress_, "unpack image", message, layers_done_, layers_, layers_ ? "layers" : "");
  }
  void count_layers(uint64_t done, uint64_t total) const {
    layers_done_ = done;
    layers_ = total;
  }
  const std::string& source() const { return source_; }

 private:
  std::string source_;
  const ProgressHandler& progress_;
  mutable uint64_t layers_done_ = 0;
  mutable uint64_t layers_ = 0;
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

// Bounds of one layer (or the outer archive): far above real images, far below
// what would fill a disk by surprise.
constexpr ExtractLimits kLayerLimits{.max_bytes = 64ull << 30, .max_entries = 4000000};

// Applies the whiteouts of an image layer on top of the safe extractor (which
// has already refused a whiteout reached through a symlink): `.wh.NAME` removes
// NAME of lower layers; `.wh..wh..opq` removes everything of lower layers in its
// directory. Entries of this layer are kept either way, whatever their order.
class Whiteouts {
 public:
  Whiteouts(const Context& ctx, std::filesystem::path root, std::string what)
      : ctx_(ctx), root_(std::move(root)), what_(std::move(what)) {}

  bool apply(const std::string& rel, const std::string& name, const std::unordered_set<std::string>& extracted) {
    const std::string dir = parent_of(rel);
    const std::string base = base_of(rel);
    if (base.rfind(".wh.", 0) != 0) return false;
    if (base == ".wh..wh..opq") {
      struct stat st {};
      if (::lstat((root_ / dir).c_str(), &st) == 0 && S_ISDIR(st.st_mode)) remove_lower(dir, extracted);
      return true;
    }
    if (base.rfind(".wh..wh.", 0) == 0) return true;  // aufs bookkeeping (.wh..wh.plnk, ...)
    // The name comes from the layer: `.wh...` would name `..`, the root's parent.
    const std::string_view victim = std::string_view(base).substr(4);
    if (victim.empty() || victim == "." || victim == ".." || victim.find('/') != std::string_view::npos) {
      ctx_.fail(ErrorCode::kInvalidArgument, fmt::format("{} whiteout `{}` names no entry", what_, name));
    }
    const std::string target = join_rel(dir, victim);
    if (extracted.count(target) != 0) return true;
    std::error_code ec;
    std::filesystem::remove_all(root_ / target, ec);  // never follows a symlink
    if (ec) ctx_.fail(code_for_errno(ec.value()), fmt::format("{} whiteout `{}`: {}", what_, name, ec.message()));
    return true;
  }

 private:
  void remove_lower(const std::string& dir, const std::unordered_set<std::string>& extracted) {
    std::vector<std::string> children;
    std::error_code ec;
    for (const auto& child : std::filesystem::directory_iterator(root_ / dir, ec)) {
      children.push_back(child.path().filename().string());
    }
    for (const auto& child : children) {
      const std::string rel = join_rel(dir, child);
      if (extracted.count(rel) != 0) {
        struct stat st {};
        if (::lstat((root_ / rel).c_str(), &st) == 0 && S_ISDIR(st.st_mode)) remove_lower(rel, extracted);
        continue;
      }
      std::filesystem::remove_all(root_ / rel, ec);
      if (ec) {
        ctx_.fail(code_for_errno(ec.value()), fmt::format("{} opaque whiteout in `{}`: {}", what_, dir, ec.message()));
      }
    }
  }

  const Context& ctx_;
  const std::filesystem::path root_;
  const std::string what_;
};

// Extracts one tar file into `root`. With `layer` set the entries are an image
// layer: whiteouts delete lower content, ownership (as root), modes (setuid
// included: the guest needs them; the tree is in a 0700 staging directory) and
// xattrs are kept. Devices, FIFOs and sockets are never created on the host.
ExtractStats extract_tar(const Context& ctx, const std::filesystem::path& root, const std::string& what,
                         bool layer, const std::filesystem::path& tar_path) {
  SafeExtractOptions options;
  options.error_prefix = fmt::format("import image `{}`: {}", ctx.source(), what);
  options.limits = kLayerLimits;
  options.special_files = SpecialFiles::kSkip;
  options.keep_modes = layer;  // the outer archive's files are only read, by us
  options.keep_owner = layer;
  options.keep_xattrs = layer;
  options.replace_files_on_path = layer;
  Whiteouts whiteouts(ctx, root, what);
  if (layer) {
    options.intercept = [&](const std::string& rel, const std::string& name,
                            const std::unordered_set<std::string>& extracted) {
      return whiteouts.apply(rel, name, extracted);
    };
  }
  return safe_extract_file(tar_path.string(), root.string(), options);
}

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
    extract_tar(ctx, unpacked->path(), "archive", false, source);
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
    ctx.note("not running as root: files will belong to the importing user");
  }
  for (size_t i = 0; i < plan.layers.size(); ++i) {
    const LayerRef& layer = plan.layers[i];
    ctx.count_layers(i, plan.layers.size());
    const uint64_t size = fs::file_size(layer.path, ec);
    ctx.note(fmt::format("layer {}/{}: {} ({})", i + 1, plan.layers.size(),
                         layer.digest.empty() ? layer.path.filename().string() : layer.digest, human_size(size)));
    if (!layer.digest.empty()) verify_blob(ctx, layer.path, layer.digest, layer.size);
    const ExtractStats stats = extract_tar(ctx, root, fmt::format("layer {}", i + 1), true, layer.path);
    summary.unpacked_bytes += stats.bytes;
    summary.skipped_devices += stats.skipped_special;
    if (stats.skipped_special != 0) {
      ctx.note(fmt::format("layer {}: left out {} device nodes, fifos or sockets (the guest's devtmpfs provides /dev)",
                           i + 1, stats.skipped_special));
    }
    if (stats.warnings != 0) {
      ctx.note(fmt::format("layer {}: {} warnings, the first: {}", i + 1, stats.warnings, stats.first_warning));
    }
  }
  ctx.count_layers(plan.layers.size(), plan.layers.size());
  ctx.note(fmt::format("unpacked {} of files", human_size(summary.unpacked_bytes)));
  return summary;
}

}  // namespace pyro::detail
