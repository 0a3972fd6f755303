// The workspace methods of the real `pyro-agent` (fs_stat, fs_list, fs_read,
// fs_manifest, fs_apply, sync), run on the host with `--socket PATH
// --workspace-root DIR` against a prepared temporary tree, plus its base64 decoder.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>

#include "../wait_until.hpp"
#include "protocol/base64.hpp"
#include "protocol/frame.hpp"
#include "protocol/message.hpp"
#include "util/sha256.hpp"

#ifndef PYRO_AGENT_BINARY
#error "PYRO_AGENT_BINARY must name the pyro-agent binary"
#endif

namespace {

namespace fs = std::filesystem;
namespace proto = pyro::protocol;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

std::string base64(std::string_view bytes) { return pyro::protocol::base64_encode(bytes); }

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void spit(const fs::path& p, const std::string& content, fs::perms perms = fs::perms(0644)) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << content;
  fs::permissions(p, perms);
}

struct Outcome {
  std::string out;
  int data_frames = 0;
  proto::Response response;
  const json& result() const { return response.result; }
};

// The agent serving a temporary workspace root; the test listens on its socket.
class FsAgent {
 public:
  FsAgent() {
    char tmpl[] = "/tmp/pyro-agent-fs-XXXXXX";
    if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    root_ = dir_ / "root";
    fs::create_directory(root_);
    std::string sock = (dir_ / "agent.sock").string();
    listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, sock.c_str(), sizeof addr.sun_path - 1);
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listen_fd_, 1) != 0) {
      throw std::runtime_error("listen on test socket failed");
    }
    std::string root = root_.string(), log = (dir_ / "agent.log").string();
    pid_ = ::fork();
    if (pid_ == 0) {
      int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd >= 0) ::dup2(fd, 2);
      ::execl(PYRO_AGENT_BINARY, "pyro-agent", "--socket", sock.c_str(), "--workspace-root", root.c_str(),
              static_cast<char*>(nullptr));
      ::_exit(127);
    }
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 3000) != 1) throw std::runtime_error("agent did not connect");
    fd_ = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    auto hello = read_frame(3000);
    if (!hello || hello->type != proto::FrameType::kEvent) throw std::runtime_error("no hello event");
    hello_ = proto::parse_payload(*hello);
  }

  ~FsAgent() {
    ::close(fd_);
    bool exited = pyro::test::poll_until([&] { return ::waitpid(pid_, nullptr, WNOHANG) == pid_; },
                                         std::chrono::seconds(10));
    if (!exited) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    ::close(listen_fd_);
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  const fs::path& root() const { return root_; }
  const fs::path& dir() const { return dir_; }
  const json& hello() const { return hello_; }

  Outcome call(std::string_view method, const json& params) {
    uint32_t stream = next_stream_;
    next_stream_ += 2;
    std::string bytes = proto::encode_frame(proto::make_request(stream, method, params));
    if (::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(bytes.size())) {
      throw std::runtime_error("send to agent failed");
    }
    Outcome o;
    for (;;) {
      auto f = read_frame(10000);
      if (!f) throw std::runtime_error("timed out waiting for the agent");
      REQUIRE(f->stream == stream);
      if (f->type == proto::FrameType::kData) {
        auto split = proto::split_data(*f);
        REQUIRE(split);
        CHECK(split->first == proto::Channel::kStdout);
        CHECK(split->second.size() <= proto::kMaxDataChunk);
        o.out.append(split->second);
        ++o.data_frames;
        continue;
      }
      REQUIRE(f->type == proto::FrameType::kResponse);
      o.response = proto::parse_response(*f);
      return o;
    }
  }

  // Calls and requires success.
  json ok(std::string_view method, const json& params) {
    Outcome o = call(method, params);
    const std::string why = std::string(method) + ": " + o.response.error_code + ": " + o.response.error_message;
    REQUIRE_MESSAGE(o.response.ok, why);
    return o.result();
  }

  std::string error_code(std::string_view method, const json& params) {
    Outcome o = call(method, params);
    const std::string why = std::string(method) + " " + params.dump() + " succeeded";
    CHECK_MESSAGE(!o.response.ok, why);
    return o.response.error_code;
  }

 private:
  std::optional<proto::Frame> read_frame(int timeout_ms) {
    auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
      if (auto f = decoder_.next()) return f;
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) return std::nullopt;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left)) <= 0) continue;
      char buf[65536];
      ssize_t n = ::read(fd_, buf, sizeof buf);
      if (n <= 0) return std::nullopt;
      if (!decoder_.feed(std::string_view(buf, static_cast<size_t>(n)))) {
        throw std::runtime_error("malformed frame: " + decoder_.error());
      }
    }
  }

  fs::path dir_, root_;
  int listen_fd_ = -1, fd_ = -1;
  pid_t pid_ = -1;
  uint32_t next_stream_ = 1;
  proto::FrameDecoder decoder_;
  json hello_;
};

std::string big_content() {
  std::string s;
  for (int i = 0; i < 200000; ++i) s.push_back(static_cast<char>((i * 7 + i / 251) & 0xff));
  return s;
}

// a.txt, dir/b.bin (200 kB binary), dir/sub/c.txt, link -> a.txt, empty/, lost+found/x.
void prepare_tree(const fs::path& root) {
  spit(root / "a.txt", "hello\n", fs::perms(0640));
  spit(root / "dir/b.bin", big_content());
  spit(root / "dir/sub/c.txt", "c\n");
  fs::create_symlink("a.txt", root / "link");
  fs::create_directory(root / "empty");
  spit(root / "lost+found/x", "recovered");
}

std::vector<std::string> paths_of(const json& entries) {
  std::vector<std::string> out;
  for (const auto& e : entries) out.push_back(e["path"]);
  return out;
}

// A manifest without directory mtimes (creating and removing entries changes them).
json content_manifest(FsAgent& agent) {
  json m = agent.ok("fs_manifest", json::object());
  CHECK(m["truncated"] == false);
  for (auto& e : m["entries"]) {
    if (e["type"] == "directory") e.erase("mtime");
  }
  return m["entries"];
}

json write_op(const std::string& path, const std::string& data) {
  return {{"op", "write"}, {"path", path}, {"data", base64(data)}};
}

}  // namespace

TEST_CASE("protocol base64: decodes the canonical form, rejects everything else") {
  using pyro::protocol::base64_decode;
  CHECK(base64_decode("") == std::string());
  CHECK(base64_decode("aGVsbG8=") == std::string("hello"));
  CHECK(base64_decode("aGVsbG8") == std::string("hello"));  // padding is optional
  CHECK(base64_decode("aGVsbG8h") == std::string("hello!"));
  CHECK(base64_decode("aA==") == std::string("h"));
  CHECK(base64_decode("+/+/") == std::string("\xfb\xff\xbf", 3));
  for (const char* bad : {"a", "aGVsbG8==", "aGV sbG8=", "aGVs\nbG8=", "aGVsbG9=", "aB==", "a===", "=",
                          "aA=a", "aGVsbG8-", "aGVsbG8_"}) {
    CHECK_MESSAGE(!base64_decode(bad), std::string(bad));
  }
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (size_t len = 0; len <= all.size(); len += 37) {
    CHECK(base64_decode(base64(all.substr(0, len))) == all.substr(0, len));
  }
}

TEST_CASE("agent fs: hello announces protocol 1.2 and the workspace methods") {
  FsAgent agent;
  CHECK(agent.hello()["protocol"]["minor"] >= 2);  // 1.2 brought these methods; later minors keep them
  const json& methods = agent.hello()["methods"];
  for (const char* m : {"workspace_mount", "fs_stat", "fs_list", "fs_read", "fs_manifest", "fs_apply", "sync"}) {
    CHECK_MESSAGE(std::find(methods.begin(), methods.end(), m) != methods.end(), std::string(m));
  }
  CHECK(agent.ok("sync", json::object()) == json::object());
  // Ending every process is for PID 1 of a VM only, never the machine running the tests.
  CHECK(agent.error_code("sync", {{"readonly", true}}) == "failed_precondition");
  CHECK(agent.error_code("sync", {{"readonly", "yes"}}) == "invalid_argument");
  // Outside a VM the agent never mounts anything.
  CHECK(agent.error_code("workspace_mount", {{"device", "/dev/null"}}) == "failed_precondition");
  CHECK(agent.error_code("workspace_mount", {{"device", "/dev/pyro-no-such-disk"}}) == "not_found");
  CHECK(agent.error_code("workspace_mount", {{"device", "vdb"}}) == "invalid_argument");
}

TEST_CASE("agent fs: stat") {
  FsAgent agent;
  prepare_tree(agent.root());
  json a = agent.ok("fs_stat", {{"path", "a.txt"}});
  struct stat st {};
  REQUIRE(::lstat((agent.root() / "a.txt").c_str(), &st) == 0);
  CHECK(a == json{{"path", "a.txt"}, {"type", "file"}, {"size", 6}, {"mode", 0640}, {"mtime", st.st_mtim.tv_sec}});
  CHECK(agent.ok("fs_stat", {{"path", "/workspace/a.txt"}})["path"] == "a.txt");
  CHECK(agent.ok("fs_stat", {{"path", "./dir//sub/"}})["path"] == "dir/sub");

  json link = agent.ok("fs_stat", {{"path", "link"}});
  CHECK(link["type"] == "symlink");
  CHECK(link["target"] == "a.txt");
  for (const char* root : {"", ".", "/workspace", "/workspace/"}) {
    json r = agent.ok("fs_stat", {{"path", root}});
    CHECK(r["type"] == "directory");
    CHECK(r["path"] == ".");
  }
  CHECK(agent.ok("fs_stat", json::object())["type"] == "directory");
  CHECK(agent.error_code("fs_stat", {{"path", "missing"}}) == "not_found");
  CHECK(agent.error_code("fs_stat", {{"path", "a.txt/x"}}) == "not_found");
  CHECK(agent.error_code("fs_stat", {{"path", 3}}) == "invalid_argument");
}

TEST_CASE("agent fs: list") {
  FsAgent agent;
  prepare_tree(agent.root());
  json top = agent.ok("fs_list", {{"path", ""}});
  CHECK(top["truncated"] == false);
  CHECK(paths_of(top["entries"]) == std::vector<std::string>{"a.txt", "dir", "empty", "link"});

  json all = agent.ok("fs_list", {{"path", "."}, {"recursive", true}});
  CHECK(paths_of(all["entries"]) ==
        std::vector<std::string>{"a.txt", "dir", "dir/b.bin", "dir/sub", "dir/sub/c.txt", "empty", "link"});
  // The root's lost+found is left out of listings of the root, not when asked for by path.
  CHECK(paths_of(agent.ok("fs_list", {{"path", "lost+found"}})["entries"]) ==
        std::vector<std::string>{"lost+found/x"});
  for (const auto& e : all["entries"]) {
    CHECK_FALSE(e.contains("sha256"));
    if (e["path"] == "dir/b.bin") CHECK(e["size"] == 200000);
    if (e["path"] == "link") CHECK(e["target"] == "a.txt");
  }

  json sub = agent.ok("fs_list", {{"path", "dir"}, {"recursive", true}});
  CHECK(paths_of(sub["entries"]) == std::vector<std::string>{"dir/b.bin", "dir/sub", "dir/sub/c.txt"});
  CHECK(agent.ok("fs_list", {{"path", "empty"}})["entries"] == json::array());

  json file = agent.ok("fs_list", {{"path", "dir/sub/c.txt"}});
  REQUIRE(file["entries"].size() == 1);
  CHECK(file["entries"][0]["path"] == "dir/sub/c.txt");
  CHECK(file["entries"][0]["type"] == "file");

  json limited = agent.ok("fs_list", {{"recursive", true}, {"limit", 3}});
  CHECK(limited["truncated"] == true);
  CHECK(limited["entries"].size() == 3);

  CHECK(agent.error_code("fs_list", {{"path", "nope"}}) == "not_found");
  CHECK(agent.error_code("fs_list", {{"limit", -1}}) == "invalid_argument");
  CHECK(agent.error_code("fs_list", {{"recursive", "yes"}}) == "invalid_argument");
}

TEST_CASE("agent fs: read") {
  FsAgent agent;
  prepare_tree(agent.root());
  const std::string big = big_content();
  Outcome whole = agent.call("fs_read", {{"path", "dir/b.bin"}, {"max_bytes", 1 << 20}});
  REQUIRE(whole.response.ok);
  CHECK(whole.out == big);
  CHECK(whole.data_frames >= 4);
  CHECK(whole.result() == json{{"size", 200000}, {"bytes", 200000}, {"eof", true}});

  Outcome part = agent.call("fs_read", {{"path", "dir/b.bin"}, {"offset", 1000}, {"max_bytes", 70000}});
  REQUIRE(part.response.ok);
  CHECK(part.out == big.substr(1000, 70000));
  CHECK(part.result() == json{{"size", 200000}, {"bytes", 70000}, {"eof", false}});

  Outcome tail = agent.call("fs_read", {{"path", "dir/b.bin"}, {"offset", 199990}, {"max_bytes", 100}});
  CHECK(tail.out == big.substr(199990));
  CHECK(tail.result()["eof"] == true);
  Outcome past = agent.call("fs_read", {{"path", "dir/b.bin"}, {"offset", 300000}, {"max_bytes", 100}});
  CHECK(past.out.empty());
  CHECK(past.result() == json{{"size", 200000}, {"bytes", 0}, {"eof", true}});

  // Symlinks that stay inside are followed.
  Outcome via_link = agent.call("fs_read", {{"path", "link"}, {"max_bytes", 100}});
  REQUIRE(via_link.response.ok);
  CHECK(via_link.out == "hello\n");

  CHECK(agent.error_code("fs_read", {{"path", "dir"}, {"max_bytes", 10}}) == "failed_precondition");
  CHECK(agent.error_code("fs_read", {{"path", "nope"}, {"max_bytes", 10}}) == "not_found");
  CHECK(agent.error_code("fs_read", {{"path", "a.txt"}, {"offset", "0"}}) == "invalid_argument");
}

TEST_CASE("agent fs: manifest hashes regular files and skips the root lost+found") {
  FsAgent agent;
  prepare_tree(agent.root());
  json m = agent.ok("fs_manifest", json::object());
  CHECK(m["truncated"] == false);
  CHECK(paths_of(m["entries"]) ==
        std::vector<std::string>{"a.txt", "dir", "dir/b.bin", "dir/sub", "dir/sub/c.txt", "empty", "link"});
  for (const auto& e : m["entries"]) {
    if (e["type"] == "file") {
      // Checked against the host library's independent SHA-256.
      CHECK(e["sha256"] == pyro::detail::sha256_hex(slurp(agent.root() / e["path"].get<std::string>())));
    } else {
      CHECK_FALSE(e.contains("sha256"));
    }
  }
  json sub = agent.ok("fs_manifest", {{"path", "dir/sub/c.txt"}});
  REQUIRE(sub["entries"].size() == 1);
  CHECK(sub["entries"][0]["sha256"] == pyro::detail::sha256_hex("c\n"));
  CHECK(agent.ok("fs_manifest", {{"limit", 2}})["truncated"] == true);
}

TEST_CASE("agent fs: manifest leaves files over max_hash_bytes unhashed") {
  FsAgent agent;
  prepare_tree(agent.root());
  json m = agent.ok("fs_manifest", {{"max_hash_bytes", 6}});
  std::map<std::string, json> by_path;
  for (const auto& e : m["entries"]) by_path[e["path"]] = e;
  CHECK(by_path.at("a.txt")["sha256"] == pyro::detail::sha256_hex("hello\n"));  // 6 bytes: at the bound
  CHECK(by_path.at("dir/sub/c.txt").contains("sha256"));
  CHECK_FALSE(by_path.at("dir/b.bin").contains("sha256"));
  CHECK(by_path.at("dir/b.bin")["size"] == 200000);
  json alone = agent.ok("fs_manifest", {{"path", "dir/b.bin"}, {"max_hash_bytes", 0}});
  REQUIRE(alone["entries"].size() == 1);
  CHECK_FALSE(alone["entries"][0].contains("sha256"));
  CHECK(agent.error_code("fs_manifest", {{"max_hash_bytes", -1}}) == "invalid_argument");
}

TEST_CASE("agent fs: paths cannot escape the workspace root") {
  FsAgent agent;
  prepare_tree(agent.root());
  spit(agent.dir() / "outside.txt", "secret");
  fs::create_symlink("/", agent.root() / "slash");
  fs::create_symlink("../..", agent.root() / "up");
  fs::create_symlink("../../outside.txt", agent.root() / "dir/out");
  fs::create_symlink("../../outside.txt", agent.root() / "dir/sub/inside");  // root/outside.txt: absent

  for (const std::string bad : {"../x", "/etc/passwd", "a/../../x", "dir/../a.txt", "..", "/workspace/../x"}) {
    CHECK_MESSAGE(agent.error_code("fs_stat", {{"path", bad}}) == "invalid_argument", bad);
    CHECK_MESSAGE(agent.error_code("fs_read", {{"path", bad}, {"max_bytes", 10}}) == "invalid_argument", bad);
    CHECK_MESSAGE(agent.error_code("fs_list", {{"path", bad}}) == "invalid_argument", bad);
  }
  CHECK(agent.error_code("fs_stat", {{"path", std::string("a\0b", 3)}}) == "invalid_argument");

  // The links themselves can be inspected; nothing resolves through them.
  CHECK(agent.ok("fs_stat", {{"path", "slash"}})["target"] == "/");
  CHECK(agent.ok("fs_list", {{"path", "up"}})["entries"][0]["type"] == "symlink");
  for (const char* through : {"slash/etc/passwd", "up/outside.txt", "dir/out", "slash"}) {
    Outcome o = agent.call("fs_read", {{"path", through}, {"max_bytes", 100}});
    CHECK_MESSAGE(o.response.error_code == "invalid_argument", std::string(through));
    CHECK(o.out.empty());
  }
  CHECK(agent.error_code("fs_list", {{"path", "slash/etc"}}) == "invalid_argument");
  CHECK(agent.error_code("fs_stat", {{"path", "up/outside.txt"}}) == "invalid_argument");
  // ".." inside a link is fine while it stays beneath the root.
  CHECK(agent.error_code("fs_read", {{"path", "dir/sub/inside"}, {"max_bytes", 9}}) == "not_found");

  // Writes through a link are refused. (These links lead only into the test's own
  // directory, so a broken agent cannot litter the host.)
  fs::create_symlink("..", agent.root() / "parent");
  fs::create_symlink(agent.dir(), agent.root() / "abs");
  CHECK(agent.error_code("fs_apply", {{"ops", {write_op("parent/pwned.txt", "x")}}}) == "invalid_argument");
  CHECK(agent.error_code("fs_apply", {{"ops", {write_op("abs/pwned.txt", "x")}}}) == "invalid_argument");
  CHECK(agent.error_code("fs_apply", {{"ops", {write_op("../pwned.txt", "x")}}}) == "invalid_argument");
  CHECK_FALSE(fs::exists(agent.dir() / "pwned.txt"));
  // Writing onto the link replaces the link, never its target.
  agent.ok("fs_apply", {{"ops", {write_op("dir/out", "mine")}}});
  CHECK(slurp(agent.dir() / "outside.txt") == "secret");
  CHECK(fs::is_regular_file(fs::symlink_status(agent.root() / "dir/out")));
}

TEST_CASE("agent fs: apply writes, appends, keeps modes, checks expect_sha256") {
  FsAgent agent;
  prepare_tree(agent.root());
  json r = agent.ok("fs_apply", {{"ops",
                                  {write_op("new/deep/f.txt", "one\n"),
                                   {{"op", "write"}, {"path", "new/deep/f.txt"}, {"data", base64("two\n")}, {"append", true}},
                                   {{"op", "write"}, {"path", "fresh.log"}, {"data", base64("x")}, {"append", true}},
                                   {{"op", "write"}, {"path", "run.sh"}, {"data", base64("#!/bin/sh\n")}, {"mode", 0755}},
                                   write_op("a.txt", std::string("\0bin\xff", 5))}}});
  CHECK(r == json{{"applied", 5}});
  CHECK(slurp(agent.root() / "new/deep/f.txt") == "one\ntwo\n");
  CHECK(slurp(agent.root() / "fresh.log") == "x");
  CHECK(agent.ok("fs_stat", {{"path", "run.sh"}})["mode"] == 0755);
  CHECK(agent.ok("fs_stat", {{"path", "new/deep/f.txt"}})["mode"] == 0644);
  CHECK(agent.ok("fs_stat", {{"path", "new/deep"}})["mode"] == 0755);
  CHECK(slurp(agent.root() / "a.txt") == std::string("\0bin\xff", 5));
  CHECK(agent.ok("fs_stat", {{"path", "a.txt"}})["mode"] == 0640);  // a replaced file keeps its mode

  const std::string c_hash = pyro::detail::sha256_hex("c\n");
  agent.ok("fs_apply", {{"ops", {{{"op", "write"}, {"path", "dir/sub/c.txt"}, {"data", base64("C\n")},
                                  {"expect_sha256", c_hash}},
                                 {{"op", "write"}, {"path", "brand_new"}, {"data", ""}, {"expect_sha256", "absent"}}}}});
  CHECK(slurp(agent.root() / "dir/sub/c.txt") == "C\n");
  CHECK(fs::file_size(agent.root() / "brand_new") == 0);
  CHECK(agent.error_code("fs_apply", {{"ops", {{{"op", "write"}, {"path", "brand_new"}, {"data", ""},
                                                {"expect_sha256", "absent"}}}}}) == "failed_precondition");
  CHECK(agent.error_code("fs_apply", {{"ops", {{{"op", "write"}, {"path", "dir"}, {"data", ""}}}}}) ==
        "failed_precondition");

  // No temp or stash entries are left behind.
  for (const auto& e : fs::recursive_directory_iterator(agent.root())) {
    CHECK_MESSAGE(e.path().filename().string().rfind(".pyro-", 0) != 0, e.path().string());
  }
}

TEST_CASE("agent fs: a failing expect_sha256 in an atomic batch changes nothing") {
  FsAgent agent;
  prepare_tree(agent.root());
  json before = content_manifest(agent);
  const std::string before_a = slurp(agent.root() / "a.txt");
  Outcome o = agent.call("fs_apply",
                         {{"ops",
                           {write_op("x/new.txt", "new"), {{"op", "delete"}, {"path", "a.txt"}},
                            {{"op", "write"}, {"path", "dir/sub/c.txt"}, {"data", base64("changed")},
                             {"expect_sha256", std::string(64, 'a')}},
                            write_op("never.txt", "no")}}});
  CHECK(o.response.error_code == "failed_precondition");
  CHECK(o.response.error_message.find("op 2") != std::string::npos);
  CHECK(o.response.error_message.find("dir/sub/c.txt") != std::string::npos);
  CHECK(content_manifest(agent) == before);
  CHECK(slurp(agent.root() / "a.txt") == before_a);
  CHECK_FALSE(fs::exists(agent.root() / "x"));
}

TEST_CASE("agent fs: every kind of op is rolled back when a later one fails") {
  FsAgent agent;
  prepare_tree(agent.root());
  spit(agent.root() / "dir/e.txt", "existing target");
  json before = content_manifest(agent);
  json ops = {{{"op", "mkdir"}, {"path", "m/n"}},
              write_op("a.txt", "replaced"),
              {{"op", "write"}, {"path", "dir/sub/c.txt"}, {"data", base64("more")}, {"append", true}},
              {{"op", "rename"}, {"from", "dir/b.bin"}, {"to", "moved/far/b.bin"}},
              {{"op", "rename"}, {"from", "link"}, {"to", "dir/e.txt"}},
              {{"op", "symlink"}, {"path", "s/l"}, {"target", "../a.txt"}},
              {{"op", "symlink"}, {"path", "a.txt"}, {"target", "dir"}},
              {{"op", "delete"}, {"path", "dir"}, {"recursive", true}},
              {{"op", "delete"}, {"path", "empty"}},
              {{"op", "delete"}, {"path", "no/such/file"}}};
  Outcome o = agent.call("fs_apply", {{"ops", ops}});
  CHECK(o.response.error_code == "not_found");
  CHECK(o.response.error_message.find("op 9") != std::string::npos);
  CHECK(content_manifest(agent) == before);
  CHECK(fs::is_symlink(agent.root() / "link"));

  // The same batch without the failing op goes through.
  ops.erase(ops.end() - 1);
  CHECK(agent.ok("fs_apply", {{"ops", ops}}) == json{{"applied", 9}});
  CHECK(fs::is_directory(agent.root() / "m/n"));
  CHECK(slurp(agent.root() / "moved/far/b.bin") == big_content());
  CHECK(fs::read_symlink(agent.root() / "s/l") == "../a.txt");
  CHECK(fs::read_symlink(agent.root() / "a.txt") == "dir");
  CHECK_FALSE(fs::exists(agent.root() / "dir"));
  CHECK_FALSE(fs::exists(agent.root() / "empty"));
  CHECK_FALSE(fs::exists(fs::symlink_status(agent.root() / "link")));
}

TEST_CASE("agent fs: rename, mkdir and delete") {
  FsAgent agent;
  prepare_tree(agent.root());
  agent.ok("fs_apply", {{"ops", {{{"op", "rename"}, {"from", "a.txt"}, {"to", "n1/n2/a.txt"}},
                                 {{"op", "mkdir"}, {"path", "made/here"}, {"mode", 0700}},
                                 {{"op", "mkdir"}, {"path", "dir/sub"}}}}});
  CHECK_FALSE(fs::exists(agent.root() / "a.txt"));
  CHECK(slurp(agent.root() / "n1/n2/a.txt") == "hello\n");
  CHECK(agent.ok("fs_stat", {{"path", "made/here"}})["mode"] == 0700);

  CHECK(agent.error_code("fs_apply", {{"ops", {{{"op", "delete"}, {"path", "dir"}}}}}) == "failed_precondition");
  CHECK(fs::exists(agent.root() / "dir/b.bin"));
  agent.ok("fs_apply", {{"ops", {{{"op", "delete"}, {"path", "dir"}, {"recursive", true}},
                                 {{"op", "delete"}, {"path", "link"}},
                                 {{"op", "delete"}, {"path", "gone"}, {"expect_sha256", "absent"}}}}});
  CHECK_FALSE(fs::exists(agent.root() / "dir"));
  CHECK_FALSE(fs::exists(fs::symlink_status(agent.root() / "link")));
  CHECK(agent.error_code("fs_apply", {{"ops", {{{"op", "delete"}, {"path", "gone"}}}}}) == "not_found");
  CHECK(agent.error_code("fs_apply", {{"ops", {{{"op", "delete"}, {"path", "n1/n2/a.txt"},
                                                {"expect_sha256", std::string(64, '0')}}}}}) ==
        "failed_precondition");
  CHECK(fs::exists(agent.root() / "n1/n2/a.txt"));
  CHECK(agent.error_code("fs_apply", {{"ops", {{{"op", "rename"}, {"from", "n1"}, {"to", "n1/n2/x"}}}}}) ==
        "invalid_argument");
  CHECK(agent.error_code("fs_apply", {{"ops", {{{"op", "rename"}, {"from", "n1/n2/a.txt"}, {"to", "made"}}}}}) ==
        "already_exists");
  CHECK(agent.error_code("fs_apply", {{"ops", {{{"op", "mkdir"}, {"path", "n1/n2/a.txt/x"}}}}}) ==
        "failed_precondition");
}

TEST_CASE("agent fs: a non-atomic batch stops at the first error and says how far it got") {
  FsAgent agent;
  Outcome o = agent.call("fs_apply", {{"atomic", false},
                                      {"ops", {write_op("one", "1"), write_op("two", "2"),
                                               {{"op", "delete"}, {"path", "missing"}}, write_op("four", "4")}}});
  CHECK(o.response.error_code == "not_found");
  CHECK(o.response.error_message.find("2 of 4 ops applied") != std::string::npos);
  CHECK(slurp(agent.root() / "one") == "1");
  CHECK(slurp(agent.root() / "two") == "2");
  CHECK_FALSE(fs::exists(agent.root() / "four"));
}

TEST_CASE("agent fs: malformed fs_apply params") {
  FsAgent agent;
  for (const json& params :
       {json::object(), json{{"ops", "x"}}, json{{"ops", {{{"op", "chmod"}, {"path", "a"}}}}},
        json{{"ops", {{{"op", "write"}, {"path", "a"}, {"data", "not base64!"}}}}},
        json{{"ops", {{{"op", "write"}, {"path", "a"}}}}},
        json{{"ops", {{{"op", "write"}, {"path", "a"}, {"data", ""}, {"mode", 010000}}}}},
        json{{"ops", {{{"op", "write"}, {"path", ""}, {"data", ""}}}}},
        json{{"ops", {{{"op", "write"}, {"path", "a"}, {"data", ""}, {"expect_sha256", "abc"}}}}},
        json{{"ops", {{{"op", "symlink"}, {"path", "a"}, {"target", ""}}}}},
        json{{"ops", {{{"op", "rename"}, {"from", "a"}}}}}, json{{"ops", json::array()}, {"atomic", 1}}}) {
    CHECK_MESSAGE(agent.error_code("fs_apply", params) == "invalid_argument", params.dump());
  }
  CHECK(fs::is_empty(agent.root()));
  CHECK(agent.ok("fs_apply", {{"ops", json::array()}}) == json{{"applied", 0}});
}
