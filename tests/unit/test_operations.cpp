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

TEST_CASE("operations: aliases resolve in the core and are never listed") {
  // The table name and the MCP tool name name the same operation.
  CHECK(tool_name("start_service") == "service_start");
  CHECK(tool_name("service_start") == "service_start");
  CHECK(tool_name("run_in_vm") == "vm_run");
  CHECK(tool_name("list_vms") == "list_vms");
  CHECK(tool_name("no_such_op").empty());
  const OperationSpec* op = find_operation("stop_workspace");
  REQUIRE(op != nullptr);
  CHECK(op == find_operation("workspace_stop"));
  REQUIRE(op->find_param("workspace_id") != nullptr);
  CHECK(op->find_param("workspace_id")->name == "workspace");

  // Aliases are spellings, never tools or properties of their own.
  for (const auto& profile : profile_names()) {
    for (const auto& tool : json::parse(tool_definitions_json(profile))) {
      const std::string name = tool.at("name").get<std::string>();
      CAPTURE(name);
      CHECK(find_operation(name)->tool_name == name);
      CHECK_FALSE(tool.at("inputSchema").at("properties").contains("workspace_id"));
    }
  }

  ClientFixture f;
  std::string message;
  // `workspace_id` reaches the operation as `workspace`: its own not_found, not an argument error.
  CHECK(error_of(f.client, "status_service", R"({"workspace_id": "nope", "name": "web"})", &message) ==
        ErrorCode::kNotFound);
  CHECK(error_of(f.client, "workspace_status", R"({"workspace_id": "nope"})") == ErrorCode::kNotFound);
  // A null alias counts as absent, like a null argument.
  CHECK(error_of(f.client, "workspace_status", R"({"workspace": "nope", "workspace_id": null})") ==
        ErrorCode::kNotFound);
  // Both spellings at once: refused, naming both.
  CHECK(error_of(f.client, "workspace_status", R"({"workspace": "a", "workspace_id": "b"})", &message) ==
        ErrorCode::kInvalidArgument);
  CHECK(message.find("`workspace`") != std::string::npos);
  CHECK(message.find("`workspace_id`") != std::string::npos);
  // Messages name the argument as the caller spelled it.
  CHECK(error_of(f.client, "stop_workspace", R"({"workspace_id": 7})", &message) == ErrorCode::kInvalidArgument);
  CHECK(message.find("argument `workspace_id`: expected a string") != std::string::npos);
  CHECK(message.find("call `stop_workspace`") != std::string::npos);
  // An alias belongs to its param's operation only.
  CHECK(error_of(f.client, "list_vms", R"({"workspace_id": "x"})", &message) == ErrorCode::kInvalidArgument);
  CHECK(message.find("unknown argument `workspace_id`") != std::string::npos);
}

}  // namespace pyro::ops
