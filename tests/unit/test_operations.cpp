// The dispatcher (lib/ops): every table operation has a handler, arguments are
// checked against the table before anything runs, and Pyro::call answers in the
// result's JSON form. No VM: only operations that read the (empty) home run.
#include <doctest/doctest.h>

#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "ops/handlers.hpp"
#include "ops/operation_table.hpp"
#include "ops/tool_definitions.hpp"
#include "pyro/client.hpp"
#include "pyro/error.hpp"
#include "pyro/operations.hpp"
#include "test_support.hpp"

namespace pyro::ops {
namespace {

using nlohmann::json;

// The code of the pyro::Error that `call` throws; fails the test when it throws none.
ErrorCode error_of(Pyro& client, const std::string& op, const std::string& args, std::string* message = nullptr) {
  try {
    client.call(op, args);
  } catch (const Error& e) {
    if (message) *message = e.what();
    return e.code();
  }
  FAIL("call `" << op << "` with " << args << " did not fail");
  return ErrorCode::kInternal;
}

struct ClientFixture {
  test::TestDir dir{"pyro-test-ops"};
  Pyro client{[this] {
    ClientOptions o;
    o.home = (dir / "home").string();
    return o;
  }()};
};

}  // namespace

TEST_CASE("operations: every table operation has a handler and every handler an operation") {
  std::set<std::string> table;
  for (const auto& op : all_operations()) {
    CAPTURE(op.name);
    CHECK((find_handler(op.name) != nullptr));
    table.insert(op.name);
  }
  for (auto entries : {vm_handlers(), workspace_handlers(), service_handlers()}) {
    for (const auto& entry : entries) {
      CAPTURE(entry.operation);
      CHECK(table.contains(std::string(entry.operation)));
    }
  }
}

TEST_CASE("operations: every result type has a schema and every profile tool a definition") {
  for (const auto& op : all_operations()) {
    CAPTURE(op.name);
    CHECK_FALSE(result_schema(op.result).is_null());
    for (const auto& profile : op.profiles) {
      bool known = false;
      for (const auto& p : profile_names()) known = known || p == profile;
      CHECK(known);
    }
  }
  json tools = json::parse(tool_definitions_json("workspace-full"));
  CHECK(tools.size() == operations_for_profile("workspace-full").size());
  CHECK(json::parse(tool_definitions_json("vm-run")).at(0).at("name") == "vm_run");
  CHECK_THROWS_AS(tool_definitions_json("everything"), Error);
}

TEST_CASE("operations: Pyro::call checks arguments against the table before running anything") {
  ClientFixture f;
  std::string message;
  CHECK(error_of(f.client, "no_such_op", "{}", &message) == ErrorCode::kInvalidArgument);
  CHECK(message.find("no such operation") != std::string::npos);
  CHECK(error_of(f.client, "list_vms", "{", &message) == ErrorCode::kInvalidArgument);
  CHECK(message.find("not JSON") != std::string::npos);
  CHECK(error_of(f.client, "list_vms", "[1]") == ErrorCode::kInvalidArgument);
  CHECK(error_of(f.client, "list_vms", R"({"extra": 1})", &message) == ErrorCode::kInvalidArgument);
  CHECK(message.find("unknown argument `extra`") != std::string::npos);
  // Missing, mistyped, out of range: named, and no VM was asked for.
  CHECK(error_of(f.client, "run_in_vm", R"({"command": "true"})", &message) == ErrorCode::kInvalidArgument);
  CHECK(message.find("`environment`") != std::string::npos);
  CHECK(error_of(f.client, "vm_run", R"({"environment": "busybox", "command": 7})", &message) ==
        ErrorCode::kInvalidArgument);
  CHECK(message.find("call `vm_run`") != std::string::npos);
  CHECK(error_of(f.client, "run_in_vm", R"({"environment": "busybox", "command": "true", "vcpu_count": 99})",
                 &message) == ErrorCode::kInvalidArgument);
  CHECK(message.find("maximum") != std::string::npos);
  std::string deep(200, '[');
  CHECK(error_of(f.client, "list_vms", deep, &message) == ErrorCode::kInvalidArgument);
  CHECK(message.find("deeper") != std::string::npos);
}

TEST_CASE("operations: Pyro::call answers in the result's JSON form") {
  ClientFixture f;
  CHECK(json::parse(f.client.call("list_vms", "")) == json{{"items", json::array()}});
  CHECK(json::parse(f.client.call("list_workspaces", "null")) == json{{"items", json::array()}});
  json envs = json::parse(f.client.call("list_environments", "{}"));
  REQUIRE(envs.at("items").is_array());
  CHECK_FALSE(envs["items"].empty());  // the catalog, installed or not
  CHECK(envs["items"][0].contains("installed"));
  // An operation's own error comes through with its code.
  CHECK(error_of(f.client, "status_workspace", R"({"workspace": "nope"})") == ErrorCode::kNotFound);
}

}  // namespace pyro::ops
