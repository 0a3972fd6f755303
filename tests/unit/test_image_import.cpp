// Importing OCI / docker-save images (lib/env/image_import) and making ext4 images
// of them (lib/env/ext4_image). Every image is built here with libarchive's writer.
#include <archive.h>
#include <archive_entry.h>
#include <doctest/doctest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "env/ext4_image.hpp"
#include "env/image_import.hpp"
#include "pyro/error.hpp"
#include "util/sha256.hpp"
#include "test_support.hpp"

namespace pyro::detail {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct TestDir : test::TestDir {
  TestDir() : test::TestDir("pyro-test-import") {}
};

struct Entry {
  std::string path;
  char type = 'f';  // f file, d directory, l symlink, h hard link, c char device, p fifo
  std::string data;  // file content, or the link target
  int mode = 0644;
  int64_t uid = 0;
  int64_t gid = 0;
};

Entry dir(std::string path, int mode = 0755) { return {std::move(path), 'd', "", mode}; }
Entry file(std::string path, std::string data, int mode = 0644) { return {std::move(path), 'f', std::move(data), mode}; }
Entry symlink(std::string path, std::string target) { return {std::move(path), 'l', std::move(target), 0777}; }
Entry hardlink(std::string path, std::string target) { return {std::move(path), 'h', std::move(target)}; }

void write_tar(const fs::path& out, const std::vector<Entry>& entries, bool gzip) {
  archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  if (gzip) archive_write_add_filter_gzip(a);
  REQUIRE(archive_write_open_filename(a, out.c_str()) == ARCHIVE_OK);
  for (const auto& e : entries) {
    archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, e.path.c_str());
    archive_entry_set_uid(entry, e.uid);
    archive_entry_set_gid(entry, e.gid);
    archive_entry_set_mtime(entry, 1700000000, 0);
    switch (e.type) {
      case 'd': archive_entry_set_filetype(entry, AE_IFDIR); break;
      case 'l':
        archive_entry_set_filetype(entry, AE_IFLNK);
        archive_entry_set_symlink(entry, e.data.c_str());
        break;
      case 'h':
        archive_entry_set_filetype(entry, AE_IFREG);
        archive_entry_set_hardlink(entry, e.data.c_str());
        break;
      case 'c':
        archive_entry_set_filetype(entry, AE_IFCHR);
        archive_entry_set_rdev(entry, makedev(1, 3));  // the host's /dev/null, 0666
        break;
      case 'p': archive_entry_set_filetype(entry, AE_IFIFO); break;
      default:
        archive_entry_set_filetype(entry, AE_IFREG);
        archive_entry_set_size(entry, static_cast<la_int64_t>(e.data.size()));
    }
    archive_entry_set_perm(entry, e.mode);
    REQUIRE(archive_write_header(a, entry) == ARCHIVE_OK);
    if (e.type == 'f' && !e.data.empty()) archive_write_data(a, e.data.data(), e.data.size());
    archive_entry_free(entry);
  }
  REQUIRE(archive_write_close(a) == ARCHIVE_OK);
  archive_write_free(a);
}

// Tars a whole directory (an image layout) with paths relative to it.
void tar_directory(const fs::path& dir, const fs::path& out) {
  std::vector<Entry> entries;
  for (const auto& item : fs::recursive_directory_iterator(dir)) {
    const std::string rel = item.path().lexically_relative(dir).string();
    if (item.is_directory()) {
      entries.push_back(::pyro::detail::dir(rel));
    } else {
      std::ifstream in(item.path(), std::ios::binary);
      std::stringstream content;
      content << in.rdbuf();
      entries.push_back(file(rel, content.str()));
    }
  }
  write_tar(out, entries, false);
}

void write_text(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

// Moves `file` into the layout's blob store; returns its descriptor.
json add_blob(const fs::path& layout, const fs::path& file, const std::string& media_type) {
  const std::string hex = sha256_file_hex(file.string());
  fs::create_directories(layout / "blobs/sha256");
  const uint64_t size = fs::file_size(file);
  fs::rename(file, layout / "blobs/sha256" / hex);
  return {{"mediaType", media_type}, {"digest", "sha256:" + hex}, {"size", size}};
}

json add_json_blob(const fs::path& layout, const json& doc, const std::string& media_type) {
  const fs::path tmp = layout / "blob.tmp";
  write_text(tmp, doc.dump());
  return add_blob(layout, tmp, media_type);
}

json image_config(const std::vector<std::string>& diff_ids = {}) {
  return {{"architecture", "amd64"},
          {"os", "linux"},
          {"config",
           {{"Env", {"PATH=/usr/bin:/bin", "LANG=C.UTF-8"}},
            {"Entrypoint", {"/bin/sh", "-c"}},
            {"Cmd", {"echo hi"}},
            {"WorkingDir", "/srv"}}},
          {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}}};
}

// An OCI layout in `layout` whose layers are the given tar.gz files.
json make_oci_layout(const fs::path& layout, const std::vector<fs::path>& layers) {
  fs::create_directories(layout);
  write_text(layout / "oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  json manifest = {{"schemaVersion", 2},
                   {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                   {"config", add_json_blob(layout, image_config(), "application/vnd.oci.image.config.v1+json")},
                   {"layers", json::array()}};
  for (const auto& layer : layers) {
    manifest["layers"].push_back(add_blob(layout, layer, "application/vnd.oci.image.layer.v1.tar+gzip"));
  }
  json descriptor = add_json_blob(layout, manifest, "application/vnd.oci.image.manifest.v1+json");
  descriptor["annotations"] = {{"org.opencontainers.image.ref.name", "test/image:1"}};
  descriptor["platform"] = {{"architecture", "amd64"}, {"os", "linux"}};
  write_text(layout / "index.json", json{{"schemaVersion", 2}, {"manifests", {descriptor}}}.dump());
  return descriptor;
}

std::vector<Entry> layer_one() {
  return {dir("bin"), file("bin/sh", "#!fake shell\n", 0755), dir("etc"), file("etc/hostname", "one\n"),
          file("etc/remove-me", "x"), dir("opq"), file("opq/old", "o"), dir("opq/sub"), file("opq/sub/old2", "2"),
          file("keep", "keep"), dir("dirthenfile"), file("dirthenfile/x", "x"), file("filethendir", "f"),
          dir("./dotted/"), file("./dotted/a", "a")};
}

std::vector<Entry> layer_two() {
  Entry secret = file("secret", "s", 0750);
  secret.uid = 1234;
  secret.gid = 5678;
  return {file("etc/hostname", "two\n"),
          file("etc/.wh.remove-me", ""),
          dir("opq"),
          file("opq/new", "new"),  // before the opaque marker: must survive it
          file("opq/.wh..wh..opq", ""),
          dir("opq/sub"),
          secret,
          hardlink("hard", "keep"),
          symlink("sym", "/etc/hostname"),
          file("dirthenfile", "now a file"),
          dir("filethendir"),
          file("filethendir/y", "y")};
}

// The tree as "path kind mode uid:gid content" lines, sorted.
std::vector<std::string> describe_tree(const fs::path& root) {
  std::vector<std::string> lines;
  for (const auto& item : fs::recursive_directory_iterator(root)) {
    struct stat st {};
    REQUIRE(::lstat(item.path().c_str(), &st) == 0);
    std::string line = item.path().lexically_relative(root).string();
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", st.st_mode & 07777);
    if (S_ISDIR(st.st_mode)) {
      line += " d ";
    } else if (S_ISLNK(st.st_mode)) {
      line += " l -> " + fs::read_symlink(item.path()).string();
      lines.push_back(line);
      continue;
    } else {
      line += " f ";
    }
    line += mode;
    if (::geteuid() == 0) line += " " + std::to_string(st.st_uid) + ":" + std::to_string(st.st_gid);
    if (S_ISREG(st.st_mode)) line += " " + read_text(item.path());
    lines.push_back(line);
  }
  std::sort(lines.begin(), lines.end());
  return lines;
}

std::vector<std::string> expected_tree() {
  const bool root = ::geteuid() == 0;  // else owners are not kept, nor compared
  auto line = [&](const std::string& path, char kind, const std::string& mode, const std::string& content = "",
                  const std::string& owner = "0:0") {
    std::string l = path + " " + kind + " " + mode;
    if (root) l += " " + owner;
    if (kind == 'f') l += " " + content;
    return l;
  };
  std::vector<std::string> lines = {
      line("bin", 'd', "0755"), line("bin/sh", 'f', "0755", "#!fake shell\n"),
      line("dirthenfile", 'f', "0644", "now a file"), line("dotted", 'd', "0755"), line("dotted/a", 'f', "0644", "a"),
      line("etc", 'd', "0755"), line("etc/hostname", 'f', "0644", "two\n"), line("filethendir", 'd', "0755"),
      line("filethendir/y", 'f', "0644", "y"), line("hard", 'f', "0644", "keep"), line("keep", 'f', "0644", "keep"),
      line("opq", 'd', "0755"), line("opq/new", 'f', "0644", "new"), line("opq/sub", 'd', "0755"),
      line("secret", 'f', "0750", "s", "1234:5678"), "sym l -> /etc/hostname"};
  std::sort(lines.begin(), lines.end());
  return lines;
}

void check_unpacked(const fs::path& root) {
  auto joined = [](const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& l : lines) out += l + "\n";
    return out;
  };
  CHECK(joined(describe_tree(root)) == joined(expected_tree()));
  struct stat keep {}, hard {};
  REQUIRE(::lstat((root / "keep").c_str(), &keep) == 0);
  REQUIRE(::lstat((root / "hard").c_str(), &hard) == 0);
  CHECK(keep.st_ino == hard.st_ino);
}

// A single-layer OCI layout holding `entries`, unpacked into a fresh rootfs.
ErrorCode import_layer(const TestDir& tmp, const std::string& name, const std::vector<Entry>& entries,
                       std::string* message = nullptr) {
  const fs::path work = tmp / name;
  fs::create_directories(work / "rootfs");
  write_tar(work / "layer.tar.gz", entries, true);
  make_oci_layout(work / "layout", {work / "layer.tar.gz"});
  try {
    unpack_image((work / "layout").string(), (work / "rootfs").string(), {});
  } catch (const Error& e) {
    if (message) *message = e.what();
    return e.code();
  }
  return ErrorCode::kOk;
}

ErrorCode unpack_code(const std::string& source, const fs::path& rootfs) {
  try {
    unpack_image(source, rootfs.string(), {});
  } catch (const Error& e) {
    return e.code();
  }
  return ErrorCode::kOk;
}

std::string run_output(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buf[4096];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  ::pclose(pipe);
  return out;
}

}  // namespace

TEST_CASE("import an OCI layout directory with two gzip layers") {
  TestDir tmp;
  write_tar(tmp / "l1.tar.gz", layer_one(), true);
  write_tar(tmp / "l2.tar.gz", layer_two(), true);
  const json descriptor = make_oci_layout(tmp / "layout", {tmp / "l1.tar.gz", tmp / "l2.tar.gz"});
  fs::create_directories(tmp / "rootfs");
  std::vector<std::string> notes;
  const ImageSummary s = unpack_image((tmp / "layout").string(), (tmp / "rootfs").string(),
                                     [&](const Progress& p) { notes.emplace_back(p.message); });
  CHECK(s.format == "oci-layout");
  CHECK(s.reference == "test/image:1");
  CHECK(s.manifest_digest == descriptor["digest"].get<std::string>());
  CHECK(s.layers == 2);
  CHECK(s.unpacked_bytes > 0);
  CHECK(s.env == std::vector<std::string>{"PATH=/usr/bin:/bin", "LANG=C.UTF-8"});
  CHECK(s.entrypoint_cmd == std::vector<std::string>{"/bin/sh", "-c", "echo hi"});
  CHECK(s.working_dir == "/srv");
  CHECK_FALSE(notes.empty());
  check_unpacked(tmp / "rootfs");
  CHECK(fs::directory_iterator(tmp.path()) != fs::directory_iterator());
  for (const auto& item : fs::directory_iterator(tmp.path())) {  // no temporary left next to the root
    CHECK(item.path().filename().string().rfind(".pyro-import-", 0) != 0);
  }
}

TEST_CASE("import an OCI layout tarball") {
  TestDir tmp;
  write_tar(tmp / "l1.tar.gz", layer_one(), true);
  write_tar(tmp / "l2.tar.gz", layer_two(), true);
  make_oci_layout(tmp / "layout", {tmp / "l1.tar.gz", tmp / "l2.tar.gz"});
  tar_directory(tmp / "layout", tmp / "image.tar");
  fs::create_directories(tmp / "rootfs");
  const ImageSummary s = unpack_image((tmp / "image.tar").string(), (tmp / "rootfs").string(), {});
  CHECK(s.format == "oci-layout");
  CHECK(s.layers == 2);
  check_unpacked(tmp / "rootfs");
  for (const auto& item : fs::directory_iterator(tmp.path())) {
    CHECK(item.path().filename().string().rfind(".pyro-import-", 0) != 0);
  }
}

TEST_CASE("import a docker-save tarball") {
  TestDir tmp;
  const fs::path save = tmp / "save";
  fs::create_directories(save / "aaa");
  fs::create_directories(save / "bbb");
  write_tar(save / "aaa/layer.tar", layer_one(), false);
  write_tar(save / "bbb/layer.tar", layer_two(), false);
  const json config = image_config({"sha256:" + sha256_file_hex((save / "aaa/layer.tar").string()),
                                    "sha256:" + sha256_file_hex((save / "bbb/layer.tar").string())});
  write_text(save / "config.tmp", config.dump());
  const std::string config_name = sha256_file_hex((save / "config.tmp").string()) + ".json";
  fs::rename(save / "config.tmp", save / config_name);
  write_text(save / "manifest.json",
             json::array({{{"Config", config_name},
                           {"RepoTags", {"example/app:2"}},
                           {"Layers", {"aaa/layer.tar", "bbb/layer.tar"}}}})
                 .dump());
  tar_directory(save, tmp / "docker.tar");
  fs::create_directories(tmp / "rootfs");
  const ImageSummary s = unpack_image((tmp / "docker.tar").string(), (tmp / "rootfs").string(), {});
  CHECK(s.format == "docker-save");
  CHECK(s.reference == "example/app:2");
  CHECK(s.layers == 2);
  CHECK(s.working_dir == "/srv");
  check_unpacked(tmp / "rootfs");

  SUBCASE("a layer that does not match the config's diff_ids is refused") {
    write_tar(save / "bbb/layer.tar", {file("other", "o")}, false);
    tar_directory(save, tmp / "docker2.tar");
    fs::create_directories(tmp / "rootfs2");
    CHECK(unpack_code((tmp / "docker2.tar").string(), tmp / "rootfs2") == ErrorCode::kInvalidArgument);
  }
}

TEST_CASE("import refuses entries that escape the root") {
  TestDir tmp;
  const fs::path outside = tmp / "outside";
  fs::create_directories(outside);
  write_text(outside / "passwd", "sentinel");
  std::string message;

  CHECK(import_layer(tmp, "dotdot", {file("../evil", "x")}, &message) == ErrorCode::kInvalidArgument);
  CHECK(message.find("`../evil` escapes the root") != std::string::npos);
  CHECK(import_layer(tmp, "abs", {file("/abs/evil", "x")}) == ErrorCode::kInvalidArgument);
  CHECK(import_layer(tmp, "inner", {dir("a"), file("a/../../evil", "x")}) == ErrorCode::kInvalidArgument);
  CHECK_FALSE(fs::exists(tmp / "evil"));
  CHECK_FALSE(fs::exists(tmp / "dotdot/evil"));
  CHECK_FALSE(fs::exists(tmp / "inner/evil"));
  CHECK_FALSE(fs::exists("/abs/evil"));

  // Writing, hard-linking or whiting out through a symlink, first towards a
  // directory of ours: only once that is safe, towards the host's /etc.
  REQUIRE(import_layer(tmp, "sym", {symlink("link", outside.string()), file("link/passwd", "evil")}, &message) ==
          ErrorCode::kInvalidArgument);
  CHECK(message.find("symlink `link`") != std::string::npos);
  REQUIRE(read_text(outside / "passwd") == "sentinel");
  REQUIRE(import_layer(tmp, "symwh", {symlink("link", outside.string()), file("link/.wh.passwd", "")}) ==
          ErrorCode::kInvalidArgument);
  REQUIRE(fs::exists(outside / "passwd"));
  REQUIRE(import_layer(tmp, "symhl", {symlink("link", outside.string()), hardlink("hl", "link/passwd")}) ==
          ErrorCode::kInvalidArgument);
  CHECK_FALSE(fs::exists(tmp / "symhl/rootfs/hl"));

  const std::string passwd_before = read_text("/etc/passwd");
  CHECK(import_layer(tmp, "etc", {symlink("link", "/etc"), file("link/passwd", "evil")}) ==
        ErrorCode::kInvalidArgument);
  CHECK(read_text("/etc/passwd") == passwd_before);

  CHECK(import_layer(tmp, "hardlink", {hardlink("hl", "../../etc/passwd")}, &message) == ErrorCode::kInvalidArgument);
  CHECK(message.find("../../etc/passwd") != std::string::npos);
  CHECK_FALSE(fs::exists(tmp / "hardlink/rootfs/hl"));
  CHECK(import_layer(tmp, "hardabs", {hardlink("hl", "/etc/passwd")}) == ErrorCode::kInvalidArgument);
  CHECK(read_text("/etc/passwd") == passwd_before);

  // The outer tarball's own entries are held to the same rules.
  write_tar(tmp / "outer.tar", {file("../outer-evil", "x")}, false);
  fs::create_directories(tmp / "outer-rootfs");
  CHECK(unpack_code((tmp / "outer.tar").string(), tmp / "outer-rootfs") == ErrorCode::kInvalidArgument);
  CHECK_FALSE(fs::exists(tmp.path().parent_path() / "outer-evil"));
}

TEST_CASE("import: a hostile whiteout never leaves its directory") {
  TestDir tmp;
  // `.wh...` names `..`: removing it would remove the root's parent.
  for (const std::string name : {".wh...", ".wh..", "sub/.wh..."}) {
    CAPTURE(name);
    const std::string work = std::string("wh-") + std::to_string(std::hash<std::string>()(name));
    std::string message;
    CHECK(import_layer(tmp, work, {dir("sub"), file("keep", "k"), file(name, "")}, &message) ==
          ErrorCode::kInvalidArgument);
    CHECK(message.find("names no entry") != std::string::npos);
    CHECK(fs::exists(tmp / work / "layout/oci-layout"));  // the root's parent and its siblings are intact
    CHECK(fs::exists(tmp / work / "rootfs"));
  }
  // `.wh.` alone names nothing either.
  CHECK(import_layer(tmp, "wh-empty", {file(".wh.", "")}) == ErrorCode::kInvalidArgument);
}

TEST_CASE("import: device nodes and fifos are never created on the host; setuid bits stay, privately") {
  TestDir tmp;
  Entry su = file("bin/su", "#!fake\n", 04755);
  std::vector<std::string> notes;
  const fs::path work = tmp / "dev";
  fs::create_directories(work / "rootfs");
  write_tar(work / "layer.tar.gz", {dir("dev"), {"dev/null", 'c'}, {"dev/fifo", 'p'}, dir("bin"), su}, true);
  make_oci_layout(work / "layout", {work / "layer.tar.gz"});
  const ImageSummary s = unpack_image((work / "layout").string(), (work / "rootfs").string(),
                                      [&](const Progress& p) { notes.emplace_back(p.message); });
  CHECK(s.skipped_devices == 2);
  CHECK(fs::is_empty(work / "rootfs/dev"));
  CHECK(std::any_of(notes.begin(), notes.end(), [](const std::string& n) { return n.find("left out 2") != std::string::npos; }));
  struct stat st {};
  REQUIRE(::lstat((work / "rootfs/bin/su").c_str(), &st) == 0);
  if (::geteuid() == 0) CHECK((st.st_mode & 07777) == 04755);  // the guest needs it (su, sudo)
}

TEST_CASE("import: a later layer never writes through an earlier layer's symlink") {
  TestDir tmp;
  const fs::path outside = tmp / "outside";
  fs::create_directories(outside);
  write_text(outside / "f", "sentinel");
  write_tar(tmp / "l1.tar.gz", {symlink("link", outside.string()), symlink("flink", (outside / "f").string())}, true);
  write_tar(tmp / "l2.tar.gz", {file("flink", "replaced")}, true);  // replaces the link itself
  make_oci_layout(tmp / "layout", {tmp / "l1.tar.gz", tmp / "l2.tar.gz"});
  fs::create_directories(tmp / "rootfs");
  unpack_image((tmp / "layout").string(), (tmp / "rootfs").string(), {});
  CHECK(read_text(outside / "f") == "sentinel");
  CHECK(read_text(tmp / "rootfs/flink") == "replaced");
  CHECK_FALSE(fs::is_symlink(tmp / "rootfs/flink"));

  write_tar(tmp / "l3.tar.gz", {symlink("link", outside.string())}, true);
  write_tar(tmp / "l4.tar.gz", {file("link/f", "evil")}, true);
  make_oci_layout(tmp / "layout2", {tmp / "l3.tar.gz", tmp / "l4.tar.gz"});
  fs::create_directories(tmp / "rootfs2");
  CHECK(unpack_code((tmp / "layout2").string(), tmp / "rootfs2") == ErrorCode::kInvalidArgument);
  CHECK(read_text(outside / "f") == "sentinel");
}

TEST_CASE("import verifies blob digests") {
  TestDir tmp;
  write_tar(tmp / "l1.tar.gz", layer_one(), true);
  const json descriptor = make_oci_layout(tmp / "layout", {tmp / "l1.tar.gz"});
  const json manifest = json::parse(read_text(tmp / "layout/blobs/sha256" /
                                              descriptor["digest"].get<std::string>().substr(7)));
  const fs::path layer = tmp / "layout/blobs/sha256" / manifest["layers"][0]["digest"].get<std::string>().substr(7);
  fs::create_directories(tmp / "rootfs");

  SUBCASE("a changed layer") {
    write_tar(layer, {file("bin/sh", "#!other\n", 0755)}, true);
    std::string message;
    try {
      unpack_image((tmp / "layout").string(), (tmp / "rootfs").string(), {});
    } catch (const Error& e) {
      message = e.what();
      CHECK(e.code() == ErrorCode::kInvalidArgument);
    }
    CHECK(message.find(manifest["layers"][0]["digest"].get<std::string>()) != std::string::npos);
  }
  SUBCASE("a changed layer of the same size") {
    std::string content = read_text(layer);
    content[content.size() / 2] ^= 1;
    write_text(layer, content);
    CHECK(unpack_code((tmp / "layout").string(), tmp / "rootfs") == ErrorCode::kInvalidArgument);
  }
  SUBCASE("a missing layer") {
    fs::remove(layer);
    CHECK(unpack_code((tmp / "layout").string(), tmp / "rootfs") == ErrorCode::kNotFound);
  }
  SUBCASE("a digest that is a path") {
    json index = json::parse(read_text(tmp / "layout/index.json"));
    index["manifests"][0]["digest"] = "sha256:../../../../etc/passwd";
    write_text(tmp / "layout/index.json", index.dump());
    CHECK(unpack_code((tmp / "layout").string(), tmp / "rootfs") == ErrorCode::kInvalidArgument);
  }
}

TEST_CASE("import of a missing source or an unknown format") {
  TestDir tmp;
  fs::create_directories(tmp / "rootfs");
  CHECK(unpack_code((tmp / "no-such-image.tar").string(), tmp / "rootfs") == ErrorCode::kNotFound);
  fs::create_directories(tmp / "empty");
  CHECK(unpack_code((tmp / "empty").string(), tmp / "rootfs") == ErrorCode::kInvalidArgument);
  write_text(tmp / "garbage.tar", "this is not a tar archive, not even close to one");
  CHECK(unpack_code((tmp / "garbage.tar").string(), tmp / "rootfs") == ErrorCode::kInvalidArgument);
}

TEST_CASE("ext4 check_rootfs_usable wants /bin/sh inside the root") {
  TestDir tmp;
  const fs::path root = tmp / "root";
  fs::create_directories(root / "usr/bin");
  CHECK_THROWS_AS(check_rootfs_usable(root.string()), Error);
  // A relative escape resolves inside the root (as in the guest), not on the host.
  fs::create_directories(root / "bin");
  fs::create_symlink("../../../../../../bin/sh", root / "bin/sh");
  try {
    check_rootfs_usable(root.string());
    FAIL("a root without /bin/sh was accepted");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::kInvalidArgument);
    CHECK(std::string(e.what()).find("no /bin/sh") != std::string::npos);
  }
  // Merged /usr: bin -> usr/bin, usr/bin/sh -> /usr/bin/busybox (absolute, inside the root).
  fs::remove_all(root / "bin");
  fs::create_symlink("usr/bin", root / "bin");
  fs::create_symlink("/usr/bin/busybox", root / "usr/bin/sh");
  write_text(root / "usr/bin/busybox", "#!fake");
  CHECK_THROWS_AS(check_rootfs_usable(root.string()), Error);  // not executable yet
  fs::permissions(root / "usr/bin/busybox", fs::perms(0755));
  CHECK_NOTHROW(check_rootfs_usable(root.string()));
}

TEST_CASE("ext4 image of a small tree keeps owners and modes") {
  const char* debugfs = ::access("/usr/sbin/debugfs", X_OK) == 0 ? "/usr/sbin/debugfs" : "/sbin/debugfs";
  if (::access(debugfs, X_OK) != 0) return;  // e2fsprogs missing: nothing to check with
  TestDir tmp;
  const fs::path root = tmp / "root";
  fs::create_directories(root / "bin");
  write_text(root / "bin/sh", "#!fake");
  fs::permissions(root / "bin/sh", fs::perms(0755));
  write_text(root / "file", "hello");
  REQUIRE(::chmod((root / "file").c_str(), 0640) == 0);
  const bool as_root = ::geteuid() == 0;
  if (as_root) REQUIRE(::lchown((root / "file").c_str(), 1234, 5678) == 0);

  std::vector<std::string> notes;
  const std::string image = (tmp / "root.ext4").string();
  make_ext4_image(root.string(), image, 0, [&](const Progress& p) { notes.emplace_back(p.message); });
  CHECK(fs::file_size(image) == 64ull << 20);
  CHECK(fs::is_directory(root / "workspace"));
  CHECK_FALSE(notes.empty());

  const std::string listing = run_output(std::string(debugfs) + " -R 'ls -l /' " + image + " 2>&1");
  CHECK(listing.find("workspace") != std::string::npos);
  CHECK(listing.find("file") != std::string::npos);
  const std::string stat = run_output(std::string(debugfs) + " -R 'stat /file' " + image + " 2>&1");
  CHECK(stat.find("Mode:  0640") != std::string::npos);
  if (as_root) {
    CHECK(stat.find("User:  1234") != std::string::npos);
    CHECK(stat.find("Group:  5678") != std::string::npos);
  }
  const std::string root_stat = run_output(std::string(debugfs) + " -R 'stat /' " + image + " 2>&1");
  CHECK(root_stat.find("User:     0") != std::string::npos);

  SUBCASE("a tree without /bin/sh is refused before mke2fs runs") {
    fs::remove(root / "bin/sh");
    CHECK_THROWS_AS(make_ext4_image(root.string(), (tmp / "bad.ext4").string(), 0, {}), Error);
    CHECK_FALSE(fs::exists(tmp / "bad.ext4"));
  }
  SUBCASE("mke2fs failing leaves no image, and the error carries its stderr") {
    const fs::path bad = tmp / "bad.ext4";
    try {
      make_ext4_filesystem((tmp / "missing").string(), bad.string(), 64ull << 20, "x", 0);
      FAIL("make_ext4_filesystem should throw");
    } catch (const Error& e) {
      const std::string message = e.what();
      CHECK(message.rfind("make ext4 image `" + bad.string() + "`: `mke2fs` exited with status ", 0) == 0);
      CHECK(message.find("populating file system") != std::string::npos);  // mke2fs's own words
    }
    CHECK_FALSE(fs::exists(bad));
  }
}

}  // namespace pyro::detail
