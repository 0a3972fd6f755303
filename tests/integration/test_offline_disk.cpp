// The disk of a stopped workspace, read through a throwaway inspector VM (never
// parsed on the host), on real VMs: the same answers as while running, a disk
// crafted to make a host-side extractor write outside its directory, and a huge
// sparse file.
#include <doctest/doctest.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "pyro/pyro.hpp"
#include "workspace_test_support.hpp"

namespace fs = std::filesystem;

namespace {

using pyro_test::client;
using pyro_test::code_of;
using pyro_test::TempDir;
using pyro_test::WorkspaceGuard;

// Small disks: the tests hash them before and after.
constexpr uint64_t kDiskMib = 64;

std::string quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Runs a shell command on the host; its stdout.
std::string host_run(const std::string& command) {
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  REQUIRE(p != nullptr);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = ::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int status = ::pclose(p);
  INFO(command << ": " << out);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  return out;
}

std::string sha256_of(const fs::path& file) { return host_run("sha256sum " + quoted(file.string())).substr(0, 64); }

std::string sbin_tool(const std::string& name) {
  for (const char* dir : {"/usr/sbin/", "/sbin/", "/usr/bin/", "/bin/"}) {
    if (::access((std::string(dir) + name).c_str(), X_OK) == 0) return std::string(dir) + name;
  }
  return "";
}

fs::path pyro_home() {
  const char* home = std::getenv("PYRO_HOME");
  REQUIRE(home != nullptr);
  return home;
}

// The run directories of the test's home: an inspector leaves none behind.
std::vector<std::string> run_entries() {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(pyro_home() / "run", ec)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

// Every entry below `root`: type, then content or target, by relative path.
std::map<std::string, std::string> host_tree(const fs::path& root) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    const std::string rel = fs::relative(e.path(), root).string();
    if (e.is_symlink()) {
      out[rel] = "symlink " + fs::read_symlink(e.path()).string();
    } else if (e.is_regular_file()) {
      out[rel] = "file " + pyro_test::slurp(e.path());
    } else {
      out[rel] = "other";
    }
  }
  return out;
}

// Bytes allocated below `root` (files that vanish while we look are skipped).
uint64_t allocated_below(const fs::path& root) {
  uint64_t total = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) == 0) total += static_cast<uint64_t>(st.st_blocks) * 512;
  }
  return total;
}

// Replaces every byte string `from` by `to` (same length) in `file`; returns how
// many it found. Reads in chunks, so a sparse image of gigabytes is fine.
size_t replace_bytes(const fs::path& file, const std::string& from, const std::string& to) {
  REQUIRE(from.size() == to.size());
  std::fstream io(file, std::ios::in | std::ios::out | std::ios::binary);
  REQUIRE(io);
  constexpr size_t kChunk = 1 << 20;
  std::vector<uint64_t> hits;
  std::string buf(kChunk + from.size(), '\0');
  for (uint64_t offset = 0;; offset += kChunk) {
    io.seekg(static_cast<std::streamoff>(offset));
    io.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    const size_t got = static_cast<size_t>(io.gcount());
    io.clear();
    const std::string_view view(buf.data(), got);
    for (size_t at = view.find(from); at != std::string_view::npos && at < kChunk; at = view.find(from, at + 1)) {
      hits.push_back(offset + at);
    }
    if (got < buf.size()) break;
  }
  for (uint64_t at : hits) {
    io.seekp(static_cast<std::streamoff>(at));
    io.write(to.data(), static_cast<std::streamsize>(to.size()));
  }
  io.flush();
  return hits.size();
}

bool forged_path(const std::string& path) {
  return path.empty() || path.front() == '/' || path.find("..") != std::string::npos ||
         path.find("canary") != std::string::npos;
}

}  // namespace

TEST_CASE("a stopped workspace's disk reads as it did while running") {
  TempDir seed;
  fs::create_directories(seed.path / "src");
  std::ofstream(seed.path / "README.md") << "# offline\n";
  std::ofstream(seed.path / "src" / "main.c") << "int main(void) {\n  return 0;\n}\n";
  std::ofstream(seed.path / "old.txt") << "to be deleted\n";
  // Over the 1 MiB text-diff bound: compared by size, else hashed alone.
  const std::string two_mib(2u << 20, 'a');
  std::ofstream(seed.path / "large.txt") << two_mib;
  std::ofstream(seed.path / "same.txt") << two_mib;
  auto ws = client().create_workspace("busybox", {.seed_path = seed.path.string(), .disk_mib = kDiskMib});
  WorkspaceGuard guard{ws.workspace_id};
  const std::string id = ws.workspace_id;
  auto r = client().exec_workspace(
      id, "echo new > added.txt && rm old.txt && echo '/* more */' >> src/main.c && mkdir -p deep/er && "
          "printf 'a\\000b' > deep/er/blob && ln -s src/main.c link && chmod 600 README.md && "
          "echo 0123456789 > deep/digits.txt && printf b | dd of=large.txt bs=1 seek=1000 conv=notrunc 2>/dev/null");
  REQUIRE(r.exit_code == 0);

  const auto live_diff = client().diff_workspace(id);
  const auto live_all = client().list_workspace_files(id, "", true);
  const auto live_deep = client().list_workspace_files(id, "deep");
  const auto live_main = client().read_workspace_file(id, "src/main.c");
  const auto live_cut = client().read_workspace_file(id, "deep/digits.txt", 4);
  const auto live_dir_code = code_of([&] { client().read_workspace_file(id, "src"); });
  const auto live_missing_code = code_of([&] { client().read_workspace_file(id, "missing.txt"); });
  const auto live_binary_code = code_of([&] { client().read_workspace_file(id, "deep/er/blob"); });
  REQUIRE(live_diff.added >= 4);
  std::map<std::string, std::string> live_status;
  for (const auto& e : live_diff.entries) live_status[e.path] = e.status;
  CHECK(live_status["large.txt"] == "modified");  // same size, other content
  CHECK(live_status.count("same.txt") == 0);

  client().stop_workspace(id);
  const fs::path disk = fs::path(ws.path) / "disk.ext4";
  const std::string disk_sha = sha256_of(disk);
  const auto runs_before = run_entries();

  const auto diff = client().diff_workspace(id);
  CHECK(diff.unified == live_diff.unified);
  CHECK(diff.added == live_diff.added);
  CHECK(diff.modified == live_diff.modified);
  CHECK(diff.deleted == live_diff.deleted);
  REQUIRE(diff.entries.size() == live_diff.entries.size());
  for (size_t i = 0; i < diff.entries.size(); ++i) {
    const auto& a = diff.entries[i];
    const auto& b = live_diff.entries[i];
    CAPTURE(b.path);
    CHECK(a.path == b.path);
    CHECK(a.status == b.status);
    CHECK(a.type == b.type);
    CHECK(a.old_size == b.old_size);
    CHECK(a.new_size == b.new_size);
    CHECK(a.binary == b.binary);
  }

  auto same_listing = [](const std::vector<pyro::WorkspaceFileEntry>& got,
                         const std::vector<pyro::WorkspaceFileEntry>& want) {
    REQUIRE(got.size() == want.size());
    for (size_t i = 0; i < got.size(); ++i) {
      CAPTURE(want[i].path);
      CHECK(got[i].path == want[i].path);
      CHECK(got[i].type == want[i].type);
      CHECK(got[i].size == want[i].size);
      CHECK(got[i].mode == want[i].mode);
      CHECK(got[i].mtime == want[i].mtime);
      CHECK(got[i].target == want[i].target);
    }
  };
  same_listing(client().list_workspace_disk(id, "", true), live_all);
  same_listing(client().list_workspace_disk(id, "/workspace/deep"), live_deep);

  const auto main_c = client().read_workspace_disk(id, "src/main.c");
  CHECK(main_c.content == live_main.content);
  CHECK(main_c.size == live_main.size);
  const auto cut = client().read_workspace_disk(id, "deep/digits.txt", 4);
  CHECK(cut.content == live_cut.content);
  CHECK(cut.truncated == live_cut.truncated);
  CHECK(cut.size == live_cut.size);
  CHECK(code_of([&] { client().read_workspace_disk(id, "src"); }) == live_dir_code);
  CHECK(code_of([&] { client().read_workspace_disk(id, "missing.txt"); }) == live_missing_code);
  CHECK(code_of([&] { client().read_workspace_disk(id, "deep/er/blob"); }) == live_binary_code);

  // Inspections never write the disk, and leave no VM directory behind.
  CHECK(sha256_of(disk) == disk_sha);
  CHECK(run_entries() == runs_before);
  CHECK(client().status_workspace(id).state == pyro::WorkspaceState::kStopped);

  // Running again: the disk operations refuse, the live ones see what was there.
  client().start_workspace(id);
  CHECK(code_of([&] { client().list_workspace_disk(id); }) == pyro::ErrorCode::kFailedPrecondition);
  CHECK(client().read_workspace_file(id, "added.txt").content == "new\n");
}

// A disk the guest could have written: a directory entry whose name is a path out
// of any extraction directory, and a symlink followed by a regular file of the same
// name (an extractor creates the link, then writes the file through it). debugfs
// `rdump` on the host wrote both into the canary directory.
TEST_CASE("a crafted workspace disk cannot write on the host") {
  const std::string mke2fs = sbin_tool("mke2fs");
  const std::string debugfs = sbin_tool("debugfs");
  if (mke2fs.empty() || debugfs.empty()) {
    MESSAGE("e2fsprogs not installed; cannot craft a disk");
    return;
  }
  TempDir canary;
  fs::create_directories(canary.path / "sub");
  std::ofstream(canary.path / "target") << "canary\n";
  std::ofstream(canary.path / "sub" / "keep.txt") << "kept\n";
  const auto canary_before = host_tree(canary.path);

  auto ws = client().create_workspace("busybox", {.disk_mib = kDiskMib});
  WorkspaceGuard guard{ws.workspace_id};
  const std::string id = ws.workspace_id;
  client().stop_workspace(id);
  const fs::path disk = fs::path(ws.path) / "disk.ext4";
  const uintmax_t disk_size = fs::file_size(disk);

  // Crafted on the host, as the guest could write it to its block device: ext4
  // without metadata_csum, so renamed entries need no new checksums. Names that a
  // file system cannot make are given as placeholders of the same length, then
  // their bytes are replaced in the image.
  TempDir work;
  fs::create_directories(work.path / "stage");
  std::ofstream(work.path / "stage" / "hello.txt") << "hello\n";
  std::ofstream(work.path / "payload") << "written by the guest\n";
  const std::string forged = [&] {
    std::string name;
    for (int i = 0; i < 24; ++i) name += "../";
    return name + fs::relative(canary.path, "/").string() + "/x";
  }();
  REQUIRE(forged.size() < 255);
  const std::string forged_placeholder(forged.size(), 'Q');
  const std::string collide = "pyro-collision-name";
  const std::string collide_placeholder = "pyro-collision-namZ";
  fs::remove(disk);
  host_run(mke2fs + " -q -t ext4 -O ^metadata_csum -E root_owner=0:0 -d " + quoted((work.path / "stage").string()) +
           " " + quoted(disk.string()) + " " + std::to_string(disk_size / 1024) + "k");
  auto debugfs_write = [&](const std::string& commands) {
    std::ofstream(work.path / "cmds") << commands;
    host_run(debugfs + " -w -f " + quoted((work.path / "cmds").string()) + " " + quoted(disk.string()));
  };
  const std::string payload = (work.path / "payload").string();

  // Each call either succeeds without a forged entry (and without hiding the
  // directory's other entries) or fails with a message; `must_succeed` when the
  // disk holds nothing a file system refuses.
  auto inspect_everything = [&](bool must_succeed) {
    const std::string disk_sha = sha256_of(disk);
    const auto runs_before = run_entries();
    auto attempt = [&](const std::string& action, const std::function<void()>& fn) {
      try {
        fn();
      } catch (const pyro::Error& e) {
        const std::string message = e.what();
        MESSAGE(action << " failed: " << message);
        CHECK_FALSE(must_succeed);
        CHECK(message.rfind(action, 0) == 0);  // "<action> <object>: <cause>"
      }
    };
    attempt("diff", [&] {
      const auto diff = client().diff_workspace(id);
      bool saw_hello = false, saw_plain = false, saw_collide = false;
      for (const auto& e : diff.entries) {
        CAPTURE(e.path);
        CHECK_FALSE(forged_path(e.path));
        saw_hello |= e.path == "hello.txt";
        saw_plain |= e.path == "evil/plain.txt";
        saw_collide |= e.path == "evil/" + collide;
      }
      CHECK(saw_hello);
      CHECK(saw_plain);
      CHECK(saw_collide);
    });
    attempt("list", [&] {
      bool saw_plain = false;
      for (const auto& e : client().list_workspace_disk(id, "", true)) {
        CAPTURE(e.path);
        CHECK_FALSE(forged_path(e.path));
        saw_plain |= e.path == "evil/plain.txt";
      }
      CHECK(saw_plain);
    });
    // The first entry of that name is the symlink to the host file: refused, or at
    // most what the guest has there; never the host's canary.
    CHECK(code_of([&] { client().read_workspace_disk(id, "evil/" + collide); }) ==
          pyro::ErrorCode::kInvalidArgument);
    CHECK(client().read_workspace_disk(id, "hello.txt").content == "hello\n");

    CHECK(host_tree(canary.path) == canary_before);
    CHECK_FALSE(fs::exists(canary.path / "x"));
    CHECK(sha256_of(disk) == disk_sha);
    CHECK(run_entries() == runs_before);
  };

  // 1. A symlink to the canary, then a regular file of the same name.
  debugfs_write("mkdir evil\nwrite " + payload + " evil/plain.txt\nsymlink evil/" + collide + " " +
                (canary.path / "target").string() + "\nwrite " + payload + " evil/" + collide_placeholder + "\n");
  REQUIRE(replace_bytes(disk, collide_placeholder, collide) == 1);
  REQUIRE(host_run(debugfs + " -R 'ls /evil' " + quoted(disk.string())).find(collide_placeholder) == std::string::npos);
  // The guest kernel lists both entries of that name; the host refuses a listing that
  // names one path twice (agent_protocol), so diff and list may fail, with a message.
  inspect_everything(/*must_succeed=*/false);

  // 2. Plus an entry named like a path out of the directory.
  debugfs_write("write " + payload + " evil/" + forged_placeholder + "\n");
  REQUIRE(replace_bytes(disk, forged_placeholder, forged) == 1);
  REQUIRE(fs::file_size(disk) == disk_size);
  REQUIRE(host_run(debugfs + " -R 'ls /evil' " + quoted(disk.string())).find(forged) != std::string::npos);
  inspect_everything(/*must_succeed=*/false);
  CHECK(code_of([&] { client().read_workspace_disk(id, "evil/" + forged); }) == pyro::ErrorCode::kInvalidArgument);
}

TEST_CASE("a huge sparse file in a stopped workspace costs the host no space") {
  auto ws = client().create_workspace("busybox", {.disk_mib = kDiskMib});
  WorkspaceGuard guard{ws.workspace_id};
  const std::string id = ws.workspace_id;
  auto r = client().exec_workspace(id, "truncate -s 1G big 2>/dev/null || dd if=/dev/zero of=big bs=1 count=0 seek=1G; "
                                       "stat -c %s big");
  REQUIRE(r.exit_code == 0);
  REQUIRE(r.stdout_data == "1073741824\n");
  client().stop_workspace(id);
  const fs::path disk = fs::path(ws.path) / "disk.ext4";
  const std::string disk_sha = sha256_of(disk);

  // The library's temporary files go to a directory of our own, so what it
  // allocates there and in the home (inspector overlays) is measured alone. The
  // peak counts: anything written is removed again when the call returns.
  TempDir tmp;
  const char* old_tmpdir = std::getenv("TMPDIR");
  const std::string saved = old_tmpdir ? old_tmpdir : "";
  ::setenv("TMPDIR", tmp.path.c_str(), 1);
  auto usage = [&] { return allocated_below(tmp.path) + allocated_below(pyro_home() / "run") +
                            allocated_below(ws.path); };
  const uint64_t before = usage();
  std::atomic<bool> done{false};
  std::atomic<uint64_t> peak{before};
  std::thread sampler([&] {
    while (!done) {
      const uint64_t now = usage();
      if (now > peak) peak = now;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));  // hygiene: a sampler's period, not a wait
    }
  });
  pyro::WorkspaceDiff diff;
  pyro::ErrorCode code = code_of([&] { diff = client().diff_workspace(id); });
  done = true;
  sampler.join();
  if (old_tmpdir) {
    ::setenv("TMPDIR", saved.c_str(), 1);
  } else {
    ::unsetenv("TMPDIR");
  }
  REQUIRE(code == pyro::ErrorCode::kOk);

  const uint64_t grown = peak - before;
  MESSAGE("host allocation grew by at most " << grown / 1024 << " KiB during the diff");
  CHECK(grown < (64ull << 20));
  bool saw_big = false;
  for (const auto& e : diff.entries) {
    if (e.path != "big") continue;
    saw_big = true;
    CHECK(e.status == "added");
    CHECK(e.new_size == (1ull << 30));
  }
  CHECK(saw_big);
  CHECK(sha256_of(disk) == disk_sha);
}

TEST_CASE("without snapshot templates the inspector boots cold; a disk that does not mount fails cleanly") {
  auto ws = client().create_workspace("busybox", {.disk_mib = kDiskMib});
  WorkspaceGuard guard{ws.workspace_id};
  const std::string id = ws.workspace_id;
  client().write_workspace_file(id, "kept.txt", "kept\n");
  client().stop_workspace(id);
  const auto runs_before = run_entries();

  // How each inspector started, from the library's log.
  std::mutex log_mutex;
  std::vector<std::string> ready_lines;
  pyro::set_log_handler(pyro::LogLevel::kInfo, [&](pyro::LogLevel, std::string_view message) {
    std::lock_guard lock(log_mutex);
    if (message.find("disk inspector") != std::string_view::npos) ready_lines.emplace_back(message);
  });
  pyro::Pyro cold({.snapshots = "0"});
  CHECK(cold.read_workspace_disk(id, "kept.txt").content == "kept\n");
  CHECK(client().read_workspace_disk(id, "kept.txt").content == "kept\n");
  pyro::set_log_handler(pyro::LogLevel::kOff, {});
  REQUIRE(ready_lines.size() == 2);
  CHECK(ready_lines[0].find("(cold)") != std::string::npos);
  CHECK(ready_lines[1].find("(clone)") != std::string::npos);
  CHECK(run_entries() == runs_before);

  // No ext4 superblock: the guest cannot mount it, the call says so, nothing stays.
  const fs::path disk = fs::path(ws.path) / "disk.ext4";
  {
    std::fstream io(disk, std::ios::in | std::ios::out | std::ios::binary);
    const std::string zeros(1 << 20, '\0');
    io.write(zeros.data(), static_cast<std::streamsize>(zeros.size()));
  }
  const std::string disk_sha = sha256_of(disk);
  try {
    client().list_workspace_disk(id);
    FAIL("listing a disk without a file system succeeded");
  } catch (const pyro::Error& e) {
    const std::string message = e.what();
    CHECK(e.code() == pyro::ErrorCode::kUnavailable);
    CHECK(message.rfind("list ", 0) == 0);
    CHECK(message.find("mount") != std::string::npos);
  }
  CHECK(run_entries() == runs_before);
  CHECK(sha256_of(disk) == disk_sha);
  CHECK(client().status_workspace(id).state == pyro::WorkspaceState::kStopped);
}
