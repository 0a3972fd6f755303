// Secrets of workspaces (lib/workspace/secret_store.hpp): checks, the 0600 store and
// secret_env resolution.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <fstream>
#include <functional>
#include <unistd.h>

#include "pyro/error.hpp"
#include "test_support.hpp"
#include "workspace/secret_store.hpp"

using namespace pyro::detail;
using pyro::Error;
using pyro::ErrorCode;
using pyro::WorkspaceSecret;

namespace {
using pyro::test::code_of;
}  // namespace

TEST_CASE("secret store: inputs are checked") {
  CHECK(load_secret_inputs({{"api-token", "v1", ""}}).at("api-token") == "v1");
  CHECK(code_of([] { load_secret_inputs({{"bad name", "v", ""}}); }) == ErrorCode::kInvalidArgument);
  CHECK(code_of([] { load_secret_inputs({{"a", "v", ""}, {"a", "w", ""}}); }) == ErrorCode::kInvalidArgument);
  CHECK(code_of([] { load_secret_inputs({{"a", "", ""}}); }) == ErrorCode::kInvalidArgument);
  CHECK(code_of([] { load_secret_inputs({{"a", "v", "/etc/hostname"}}); }) == ErrorCode::kInvalidArgument);
  CHECK(code_of([] { load_secret_inputs({{"a", std::string("x\0y", 3), ""}}); }) == ErrorCode::kInvalidArgument);
  CHECK(code_of([] { load_secret_inputs({{"a", std::string(64 * 1024 + 1, 'x'), ""}}); }) ==
        ErrorCode::kInvalidArgument);
  std::vector<WorkspaceSecret> many;
  for (int i = 0; i < 65; ++i) many.push_back({"s" + std::to_string(i), "v", ""});
  CHECK(code_of([&] { load_secret_inputs(many); }) == ErrorCode::kInvalidArgument);
}

TEST_CASE("secret store: files are read once; errors name the path, never the content") {
  pyro::test::TestDir dir("pyro-secret-test");
  std::ofstream(dir / "token") << "file-secret-value";
  CHECK(load_secret_inputs({{"tok", "", (dir / "token").string()}}).at("tok") == "file-secret-value");
  try {
    load_secret_inputs({{"tok", "", (dir / "missing").string()}});
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::kNotFound);
    CHECK(std::string(e.what()).find((dir / "missing").string()) != std::string::npos);
  }
  if (::geteuid() != 0) {  // root reads anything
    std::ofstream(dir / "locked") << "x";
    ::chmod((dir / "locked").c_str(), 0);
    CHECK(code_of([&] { load_secret_inputs({{"tok", "", (dir / "locked").string()}}); }) ==
          ErrorCode::kPermissionDenied);
  }
  std::ofstream(dir / "empty");
  CHECK(code_of([&] { load_secret_inputs({{"tok", "", (dir / "empty").string()}}); }) == ErrorCode::kInvalidArgument);
}

TEST_CASE("secret store: values are kept 0600 in a 0700 directory and read back") {
  pyro::test::TestDir dir("pyro-secret-test");
  write_secrets(dir.str(), {{"a", "alpha"}, {"b", "beta"}});
  struct stat st {};
  REQUIRE(::stat((dir / "secrets").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);
  REQUIRE(::stat((dir / "secrets/a").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  auto back = read_secrets(dir.str(), {"a", "b"});
  CHECK(back.at("a") == "alpha");
  CHECK(back.at("b") == "beta");
  CHECK(code_of([&] { read_secrets(dir.str(), {"c"}); }) == ErrorCode::kInternal);
  // Nothing is written for a workspace without secrets.
  pyro::test::TestDir none("pyro-secret-test");
  write_secrets(none.str(), {});
  CHECK_FALSE(std::filesystem::exists(none / "secrets"));
}

TEST_CASE("secret store: secret_env merges into env") {
  const SecretValues secrets = {{"tok", "v"}};
  auto env = merge_secret_env({{"A", "1"}}, {{"TOKEN", "tok"}}, secrets, "ws-000000000000");
  CHECK(env.at("A") == "1");
  CHECK(env.at("TOKEN") == "v");
  CHECK(code_of([&] { merge_secret_env({}, {{"TOKEN", "nope"}}, secrets, "ws-1"); }) == ErrorCode::kNotFound);
  CHECK(code_of([&] { merge_secret_env({{"TOKEN", "x"}}, {{"TOKEN", "tok"}}, secrets, "ws-1"); }) ==
        ErrorCode::kInvalidArgument);
  CHECK(code_of([&] { merge_secret_env({}, {{"1BAD", "tok"}}, secrets, "ws-1"); }) == ErrorCode::kInvalidArgument);
  CHECK(code_of([&] { merge_secret_env({}, {{"A-B", "tok"}}, secrets, "ws-1"); }) == ErrorCode::kInvalidArgument);
  CHECK(is_env_var_name("_A1"));
  CHECK_FALSE(is_env_var_name(""));
}
