// The host's checks of agent replies (lib/workspace/guest_reply, agent_files,
// exec, output reads, the export writer) against a lying agent on a socketpair.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <vector>

#include "fake_agent.hpp"
#include "protocol/base64.hpp"
#include "runtime/agent_exec.hpp"
#include "test_support.hpp"
#include "workspace/agent_files.hpp"
#include "workspace/export_writer.hpp"
#include "workspace/guest_reply.hpp"
#include "workspace/process_io.hpp"

namespace pyro::detail {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;
using test::entry;
using test::FakeAgent;
using test::code_of;

// An agent that answers every request with `result`.
FakeAgent::Script answer(json result) {
  return [result](const FakeAgent::Peer& p, const std::string&, const json&, uint32_t stream) {
    p.result(stream, result);
  };
}

ErrorCode manifest_code(const json& entries) {
  FakeAgent agent(answer({{"entries", entries}, {"truncated", false}}));
  return code_of([&] { agent_manifest(agent.conn(), ""); });
}

}  // namespace

TEST_CASE("check_reply_path: only normalised relative paths within the limits") {
  CHECK(code_of([] { check_reply_path("src/a.c", "t"); }) == ErrorCode::kOk);
  for (const std::string& bad : std::vector<std::string>{"", "/etc/passwd", "../x", "a/../b", "a//b", "./a", "a/.", "a/", std::string("a\0b", 3),
                          std::string(300, 'n'), std::string(5000, 'a')}) {
    CAPTURE(bad);
    CHECK(code_of([&] { check_reply_path(bad, "t"); }) == ErrorCode::kAgentProtocol);
  }
  std::string deep;
  for (size_t i = 0; i <= GuestReplyLimits::kMaxDepth; ++i) deep += i ? "/d" : "d";
  CHECK(code_of([&] { check_reply_path(deep, "t"); }) == ErrorCode::kAgentProtocol);
}

TEST_CASE("agent_manifest: a well-formed manifest is returned sorted") {
  FakeAgent agent(answer({{"entries", {entry("b/x", "file", 3), entry("a", "directory"), entry("b", "directory"),
                                       {{"path", "a/l"}, {"type", "symlink"}, {"size", 4}, {"mode", 0777},
                                        {"mtime", 0}, {"target", "/etc"}}}},
                          {"truncated", false}}));
  auto entries = agent_manifest(agent.conn(), "");
  REQUIRE(entries.size() == 4);
  CHECK(entries[0].path == "a");
  CHECK(entries[1].path == "a/l");
  CHECK(entries[1].target == "/etc");
  CHECK(entries[3].path == "b/x");
}

TEST_CASE("agent_manifest: forged entries are kAgentProtocol") {
  json lnk = {{"path", "lnk"}, {"type", "symlink"}, {"size", 4}, {"mode", 0777}, {"mtime", 0}, {"target", "/tmp"}};
  SUBCASE("escaping and absolute paths") {
    CHECK(manifest_code({entry("../../../../tmp/x", "file", 1)}) == ErrorCode::kAgentProtocol);
    CHECK(manifest_code({entry("/tmp/x", "file", 1)}) == ErrorCode::kAgentProtocol);
    CHECK(manifest_code({entry(".", "directory")}) == ErrorCode::kAgentProtocol);
  }
  SUBCASE("a file below a symlink") {
    CHECK(manifest_code({lnk, entry("lnk/planted.txt", "file", 1)}) == ErrorCode::kAgentProtocol);
  }
  SUBCASE("a file below a file, or below a missing directory") {
    CHECK(manifest_code({entry("f", "file", 1), entry("f/x", "file", 1)}) == ErrorCode::kAgentProtocol);
    CHECK(manifest_code({entry("d/x", "file", 1)}) == ErrorCode::kAgentProtocol);
  }
  SUBCASE("duplicates") {
    CHECK(manifest_code({entry("a", "file", 1), entry("a", "directory")}) == ErrorCode::kAgentProtocol);
  }
  SUBCASE("unknown types, mode bits, sizes, targets") {
    CHECK(manifest_code({entry("a", "device")}) == ErrorCode::kAgentProtocol);
    json setuid = entry("a", "file", 1);
    setuid["mode"] = 0104755;
    CHECK(manifest_code({setuid}) == ErrorCode::kAgentProtocol);
    CHECK(manifest_code({entry("a", "file", GuestReplyLimits::kMaxFileSize + 1)}) == ErrorCode::kAgentProtocol);
    json no_target = lnk;
    no_target.erase("target");
    CHECK(manifest_code({no_target}) == ErrorCode::kAgentProtocol);
    json long_target = lnk;
    long_target["target"] = std::string(5000, 'x');
    CHECK(manifest_code({long_target}) == ErrorCode::kAgentProtocol);
    json file_target = entry("a", "file", 1);
    file_target["target"] = "/etc";
    CHECK(manifest_code({file_target}) == ErrorCode::kAgentProtocol);
    json bad_hash = entry("a", "file", 1);
    bad_hash["sha256"] = "../../x";
    CHECK(manifest_code({bad_hash}) == ErrorCode::kAgentProtocol);
  }
  SUBCASE("fields of the wrong type") {
    json size_text = entry("a", "file");
    size_text["size"] = "10";
    CHECK(manifest_code({size_text}) == ErrorCode::kAgentProtocol);
    json negative = entry("a", "file");
    negative["size"] = -1;
    CHECK(manifest_code({negative}) == ErrorCode::kAgentProtocol);
    json path_number = entry("a", "file");
    path_number["path"] = 7;
    CHECK(manifest_code({path_number}) == ErrorCode::kAgentProtocol);
    CHECK(manifest_code(json::array({"a"})) == ErrorCode::kAgentProtocol);
    FakeAgent agent(answer({{"entries", "a"}}));
    CHECK(code_of([&] { agent_manifest(agent.conn(), ""); }) == ErrorCode::kAgentProtocol);
  }
  SUBCASE("more entries than asked for") {
    // (A manifest of more than its limit does not fit one frame; a listing does.)
    json many = json::array();
    for (size_t i = 0; i <= GuestReplyLimits::kMaxListEntries; ++i) many.push_back(entry(std::to_string(i), "other"));
    FakeAgent agent(answer({{"entries", many}}));
    CHECK(code_of([&] { agent_list(agent.conn(), "", false); }) == ErrorCode::kAgentProtocol);
  }
}

TEST_CASE("agent_manifest and agent_list: entries outside the requested root") {
  FakeAgent agent(answer({{"entries", {entry("src/a", "file", 1), entry("other/b", "file", 1)}}}));
  CHECK(code_of([&] { agent_manifest(agent.conn(), "src"); }) == ErrorCode::kAgentProtocol);
  FakeAgent lister(answer({{"entries", {entry("src/a", "directory"), entry("src/a/b", "file", 1)}}}));
  CHECK(code_of([&] { agent_list(lister.conn(), "src", /*recursive=*/false); }) == ErrorCode::kAgentProtocol);
  FakeAgent single(answer({{"entries", {entry("src", "file", 1)}}}));
  CHECK(agent_list(single.conn(), "src", false).size() == 1);  // fs_list of a file lists the file
}

TEST_CASE("agent_stat: the entry of another path, or a root that is no directory") {
  FakeAgent agent(answer(entry("etc/passwd", "file", 1)));
  CHECK(code_of([&] { agent_stat(agent.conn(), "a"); }) == ErrorCode::kAgentProtocol);
  FakeAgent root(answer(entry(".", "directory")));
  CHECK(agent_stat(root.conn(), "").type == "directory");
  FakeAgent root_file(answer(entry(".", "file", 1)));
  CHECK(code_of([&] { agent_stat(root_file.conn(), ""); }) == ErrorCode::kAgentProtocol);
}

TEST_CASE("agent_read: more data than asked for is kAgentProtocol") {
  FakeAgent agent([](const FakeAgent::Peer& p, const std::string&, const json& params, uint32_t stream) {
    const uint64_t asked = params.at("max_bytes").get<uint64_t>();
    p.data(stream, std::string(asked + 1, 'x'));
    p.result(stream, {{"size", asked + 1}, {"bytes", asked + 1}, {"eof", true}});
  });
  CHECK(code_of([&] { agent_read(agent.conn(), "f", 10); }) == ErrorCode::kAgentProtocol);
  CHECK(agent.conn().broken());
}

TEST_CASE("agent_read: `bytes` that disagree with the data") {
  FakeAgent agent([](const FakeAgent::Peer& p, const std::string&, const json&, uint32_t stream) {
    p.data(stream, "abc");
    p.result(stream, {{"size", 3}, {"bytes", 2}, {"eof", true}});
  });
  CHECK(code_of([&] { agent_read(agent.conn(), "f", 10); }) == ErrorCode::kAgentProtocol);
}

TEST_CASE("agent_read_to_file: a file declared 10 bytes that streams 200 MiB") {
  test::TestDir dir("pyro-test-reply");
  std::mutex mu;
  uint64_t largest_ask = 0;
  FakeAgent agent([&](const FakeAgent::Peer& p, const std::string&, const json& params, uint32_t stream) {
    {
      std::lock_guard lock(mu);
      largest_ask = std::max(largest_ask, params.at("max_bytes").get<uint64_t>());
    }
    const std::string chunk(64 * 1024, 'x');
    for (int i = 0; i < 200 * 16; ++i) {
      if (!p.data(stream, chunk)) return;  // the host gave up
    }
    p.result(stream, {{"size", 10}, {"bytes", 200u << 20}, {"eof", true}});
  });
  const std::string local = (dir / "out").string();
  CHECK(code_of([&] { agent_read_to_file(agent.conn(), "f", 10, local, 0644); }) == ErrorCode::kAgentProtocol);
  CHECK(fs::file_size(local) <= 10);
  std::lock_guard lock(mu);
  CHECK(largest_ask == 10);
}

TEST_CASE("agent_read_to_file: an honest file is copied without setuid bits") {
  test::TestDir dir("pyro-test-reply");
  FakeAgent agent([](const FakeAgent::Peer& p, const std::string&, const json& params, uint32_t stream) {
    const std::string content = "0123456789";
    const auto offset = params.at("offset").get<size_t>();
    const auto n = std::min<size_t>(params.at("max_bytes").get<size_t>(), content.size() - offset);
    p.data(stream, content.substr(offset, n));
    p.result(stream, {{"size", 10}, {"bytes", n}, {"eof", offset + n == 10}});
  });
  const std::string local = (dir / "out").string();
  agent_read_to_file(agent.conn(), "f", 10, local, 04755);
  std::ifstream in(local);
  CHECK(std::string(std::istreambuf_iterator<char>(in), {}) == "0123456789");
  struct stat st {};
  REQUIRE(::stat(local.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0755);
  // Never through a symlink planted at the destination.
  fs::create_symlink(dir / "elsewhere", dir / "link");
  CHECK(code_of([&] { agent_read_to_file(agent.conn(), "f", 10, (dir / "link").string(), 0644); }) ==
        ErrorCode::kInternal);
  CHECK(!fs::exists(dir / "elsewhere"));
}

TEST_CASE("exec: more output than the limit is kAgentProtocol") {
  FakeAgent agent([](const FakeAgent::Peer& p, const std::string&, const json&, uint32_t stream) {
    for (int i = 0; i < 4; ++i) p.data(stream, std::string(1024, 'o'));
    p.result(stream, {{"exit_code", 0}});
  });
  ExecOptions options;
  options.max_output_bytes = 2048;
  CHECK(code_of([&] { exec_over_agent(agent.conn(), "true", options); }) == ErrorCode::kAgentProtocol);
}

TEST_CASE("exec: a reply of the wrong type or a data frame on stdin") {
  FakeAgent agent([](const FakeAgent::Peer& p, const std::string&, const json&, uint32_t stream) {
    p.result(stream, {{"exit_code", "zero"}});
  });
  CHECK(code_of([&] { exec_over_agent(agent.conn(), "true", ExecOptions{}); }) == ErrorCode::kAgentProtocol);
  FakeAgent stdin_data([](const FakeAgent::Peer& p, const std::string&, const json&, uint32_t stream) {
    p.send(protocol::make_data_frame(stream, protocol::Channel::kStdin, "x"));
    p.result(stream, {{"exit_code", 0}});
  });
  CHECK(code_of([&] { exec_over_agent(stdin_data.conn(), "true", ExecOptions{}); }) == ErrorCode::kAgentProtocol);
}

TEST_CASE("AgentConnection: a result that is not an object, garbage, and a stall") {
  FakeAgent array_result([](const FakeAgent::Peer& p, const std::string&, const json&, uint32_t stream) {
    p.send(protocol::Frame{stream, protocol::FrameType::kResponse, protocol::kFlagEndStream, R"({"result":[1]})"});
  });
  CHECK(code_of([&] { array_result.conn().call("ping", json::object(), deadline_after(std::chrono::seconds(5))); }) ==
        ErrorCode::kAgentProtocol);

  FakeAgent garbage([](const FakeAgent::Peer& p, const std::string&, const json&, uint32_t) {
    const std::string junk(64, '\xff');
    (void)::send(p.fd, junk.data(), junk.size(), MSG_NOSIGNAL);
  });
  CHECK(code_of([&] { garbage.conn().call("ping", json::object(), deadline_after(std::chrono::seconds(5))); }) ==
        ErrorCode::kAgentProtocol);
  CHECK(garbage.conn().broken());
  CHECK(code_of([&] { garbage.conn().call("ping", json::object(), deadline_after(std::chrono::seconds(5))); }) ==
        ErrorCode::kAgentProtocol);

  FakeAgent stall([](const FakeAgent::Peer&, const std::string&, const json&, uint32_t) {});
  CHECK(code_of([&] { stall.conn().call("ping", json::object(), deadline_after(std::chrono::milliseconds(200))); }) ==
        ErrorCode::kDeadlineExceeded);
  CHECK(stall.conn().broken());
}

TEST_CASE("chunk_from_read: more data than asked, a negative offset") {
  const json big = {{"data", protocol::base64_encode(std::string(100, 'x'))}, {"offset", 0}, {"end", 100}};
  CHECK(code_of([&] { chunk_from_read(big, 0, Redactor(), 99); }) == ErrorCode::kAgentProtocol);
  CHECK(chunk_from_read(big, 0, Redactor(), 100).output.size() == 100);
  const json negative = {{"data", ""}, {"offset", -5}};
  CHECK(code_of([&] { chunk_from_read(negative, 0, Redactor(), 10); }) == ErrorCode::kAgentProtocol);
  const json wrong = {{"data", ""}, {"offset", 0}, {"more", "yes"}};
  CHECK(code_of([&] { chunk_from_read(wrong, 0, Redactor(), 10); }) == ErrorCode::kAgentProtocol);
}

TEST_CASE("ExportWriter: a symlink it made is never followed, nothing is created twice") {
  test::TestDir dir("pyro-test-export");
  fs::create_directory(dir / "canary");
  fs::create_directory(dir / "staging");
  ExportWriter writer((dir / "staging").string(), "out");
  writer.make_root_directory();
  writer.make_symlink("lnk", (dir / "canary").string());
  CHECK(code_of([&] { writer.create_file("lnk/planted.txt"); }) != ErrorCode::kOk);
  CHECK(code_of([&] { writer.make_directory("lnk/sub"); }) != ErrorCode::kOk);
  CHECK(code_of([&] { writer.make_symlink("lnk/l2", "/"); }) != ErrorCode::kOk);
  CHECK(code_of([&] { writer.create_file("lnk"); }) != ErrorCode::kOk);  // O_EXCL: not through it either
  CHECK(fs::is_empty(dir / "canary"));
  writer.make_directory("d");
  CHECK(code_of([&] { writer.make_directory("d"); }) != ErrorCode::kOk);
  CHECK(code_of([&] { writer.create_file("../escape"); }) == ErrorCode::kAgentProtocol);
  CHECK(!fs::exists(dir / "staging/escape"));
  UniqueFd fd = writer.create_file("d/f");
  CHECK(fd.valid());
}

}  // namespace pyro::detail
