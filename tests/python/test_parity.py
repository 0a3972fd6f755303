"""Every surface agrees with the operation table (spec/operations.json) and the
error table (spec/error_codes.json): the Python module, its .pyi stubs, the C
headers and the C++ header. No VM needed."""

import ast
import json
import re
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import pytest

import pyro
from pybind_signature import signature_params

REPO = Path(__file__).resolve().parents[2]
OPERATIONS = json.loads((REPO / "spec" / "operations.json").read_text())["operations"]
CODES = json.loads((REPO / "spec" / "error_codes.json").read_text())["codes"]
OP_IDS = [op["name"] for op in OPERATIONS]

# Builtins that some exception classes also inherit (docs/contributing.md, "Conventions").
BUILTIN_BASES = {
    "invalid_argument": ValueError,
    "not_found": LookupError,
    "deadline_exceeded": TimeoutError,
    "permission_denied": PermissionError,
    "unimplemented": NotImplementedError,
}


class Param:
    def __init__(self, name: str, keyword_only: bool, default: Optional[str]):
        self.name, self.keyword_only, self.default = name, keyword_only, default

    def __repr__(self):
        return f"Param({self.name!r}, kw={self.keyword_only}, default={self.default!r})"


def pybind_params(method) -> List[Param]:
    """Parameters from the pybind11 signature line, e.g.
    "run_in_vm(self: pyro._core.Pyro, environment: str, *, vcpu_count: int = 1) -> ..."."""
    return [Param(*p) for p in signature_params(method)]


def stub_params(stub: ast.ClassDef, name: str) -> List[Param]:
    for node in stub.body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            a = node.args
            positional = a.posonlyargs + a.args
            defaults = [None] * (len(positional) - len(a.defaults)) + list(a.defaults)
            params = [
                Param(arg.arg, False, ast.unparse(d) if d is not None else None)
                for arg, d in zip(positional, defaults)
            ]
            params += [
                Param(arg.arg, True, ast.unparse(d) if d is not None else None)
                for arg, d in zip(a.kwonlyargs, a.kw_defaults)
            ]
            return [p for p in params if p.name != "self"]
    raise AssertionError(f"_core.pyi: class Pyro has no method `{name}`")


# Callback parameters exist only on surfaces that can take a callable (C++, C
# through options structs, Python), not in the table (MCP and the CLI cannot
# pass one). In Python they come last, keyword-only, defaulting to None.
CALLBACK_PARAMS = {"progress", "on_output", "cancel"}


def without_callbacks(params: List[Param], where: str) -> List[Param]:
    kept = [p for p in params if p.name not in CALLBACK_PARAMS]
    tail = params[len(kept):]
    assert params[: len(kept)] == kept, f"{where}: callback parameters must come last"
    for p in tail:
        assert p.keyword_only and p.default == "None", f"{where}: `{p.name}` must be keyword-only, default None"
    return kept


def check_against_table(op: Dict, params: List[Param], where: str) -> None:
    table = op["params"]
    params = without_callbacks(params, where)
    assert [p.name for p in params] == [t["name"] for t in table], where
    for p, t in zip(params, table):
        optional = t.get("optional", False)
        # Required parameters are positional; optional ones keyword-only.
        assert p.keyword_only == optional, f"{where}: `{p.name}` keyword_only={p.keyword_only}"
        if not optional:
            assert p.default is None, f"{where}: required `{p.name}` has a default"
        elif "default" in t:
            assert p.default is not None, f"{where}: `{p.name}` lacks its default"
            assert ast.literal_eval(p.default) == t["default"], (
                f"{where}: `{p.name}` default {p.default} != table {t['default']}"
            )
        else:
            assert p.default == "None", f"{where}: optional `{p.name}` should default to None"


@pytest.fixture(scope="module")
def pyi_pyro() -> ast.ClassDef:
    tree = ast.parse((REPO / "python" / "pyro" / "_core.pyi").read_text())
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == "Pyro":
            return node
    raise AssertionError("_core.pyi has no class Pyro")


@pytest.mark.parametrize("op", OPERATIONS, ids=OP_IDS)
def test_python_method_matches_table(op):
    method = getattr(pyro.Pyro, op["name"], None)
    assert method is not None, f"pyro.Pyro has no method `{op['name']}`"
    check_against_table(op, pybind_params(method), f"pyro.Pyro.{op['name']}")


@pytest.mark.parametrize("op", OPERATIONS, ids=OP_IDS)
def test_stub_matches_table(op, pyi_pyro):
    check_against_table(op, stub_params(pyi_pyro, op["name"]), f"_core.pyi Pyro.{op['name']}")


# ---- C and C++ signatures (headers parsed with regexes, no compiler) ----------

SCHEMAS = json.loads((REPO / "spec" / "result_schemas.json").read_text())


def strip_comments(text: str) -> str:
    return re.sub(r"//[^\n]*", "", re.sub(r"/\*.*?\*/", "", text, flags=re.S))


def split_params(text: str) -> List[str]:
    """Splits a parameter list on commas outside <>, () and {}."""
    parts, depth, current = [], 0, ""
    for ch in text:
        depth += ch in "<({"
        depth -= ch in ">)}"
        if ch == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += ch
    return parts + [current.strip()] if current.strip() else parts


def norm_type(text: str) -> str:
    """`const std::map<std::string, std::string> &` -> `std::map<std::string,std::string>`;
    C pointers keep their stars: `const char * const *` -> `const char*const*`."""
    text = re.sub(r"\s*([<>,*&])\s*", r"\1", " ".join(text.split()))
    return text


class Decl:
    """One parameter or struct field: type, name, default (text or None)."""

    def __init__(self, text: str) -> None:
        text, _, default = text.partition("=")
        m = re.match(r"^(.*?)\s*\b(\w+)\s*$", text.strip(), re.S)
        assert m, f"cannot parse declaration `{text}`"
        self.type, self.name = norm_type(m.group(1)), m.group(2)
        self.default = default.strip() or None

    def __repr__(self) -> str:
        return f"{self.type} {self.name}" + (f" = {self.default}" if self.default else "")


def _workspace_limits() -> Dict[str, str]:
    header = (REPO / "include" / "pyro" / "workspace.hpp").read_text()
    return dict(re.findall(r"static constexpr \w+ (k\w+) = ([^;]+);", header))


def cpp_value(text: str) -> object:
    """A C++ default initializer as a Python value (`1ull << 20`, `"TERM"`, `false`, `{}`,
    `WorkspaceLimits::kDefaultReadBytes`)."""
    text = text.strip()
    named = re.fullmatch(r"(?:WorkspaceLimits::)(k\w+)", text)
    if named:
        return cpp_value(_workspace_limits()[named.group(1)])
    if text == "{}":
        return None
    if text in ("true", "false"):
        return text == "true"
    if text.startswith('"'):
        return ast.literal_eval(text)
    return eval(re.sub(r"(?<=\d)(ull|ul|u|ll|l|f)\b", "", text, flags=re.I), {"__builtins__": {}})


def zero_of(table_type: str) -> object:
    return {"string": "", "integer": 0, "number": 0, "boolean": False}.get(table_type)


def snake(type_name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type_name).lower()


# The callback parameters of CALLBACK_PARAMS, in structs.
CALLBACK_FIELDS = {"progress", "progress_payload", "on_output", "output_payload", "cancel"}
# Table types on the C++ side; `json` parameters by name.
CPP_TYPES = {
    "string": {"std::string", "std::optional<std::string>"},
    "integer": {"uint32_t", "uint64_t", "int64_t", "int32_t", "int"},
    "number": {"double"},
    "boolean": {"bool"},
    "object": {"std::map<std::string,std::string>", "std::optional<std::map<std::string,std::string>>"},
}
CPP_JSON_TYPES = {
    "secrets": "std::vector<WorkspaceSecret>",
    "readiness": "ServiceReadiness",
    "published_ports": "std::vector<uint32_t>",
}
# Options structs shared by operations whose table parameters differ: the field that
# one of them does not take, with the reason (C++ and C alike).
SHARED_STRUCT_FIELDS = {
    ("run_in_vm", "secret_env"): "ExecOptions is shared with exec_workspace; secrets exist only in workspaces "
                                 "(a non-empty secret_env is invalid_argument for a VM)",
    ("exec_vm", "secret_env"): "the same ExecOptions as run_in_vm",
    ("read_shell", "tail_lines"): "OutputReadOptions is shared with logs_service; tail_lines applies to services only",
}
# The C++ mapping's exceptions, each with its reason.
CPP_EXCEPTIONS = {
    ("create_workspace", "network_policy"):
        "the enum pyro::NetworkPolicy (kOff, kEgress, kEgressPublishedPorts) spells the table's string values",
}


def cpp_structs() -> Dict[str, List[Decl]]:
    text = "\n".join(strip_comments((REPO / "include" / "pyro" / f).read_text())
                     for f in ("types.hpp", "workspace.hpp", "operations.hpp"))
    text = re.sub(r"\)[^;{}()]*\{[^{}]*\}", ");", text)  # inline member function bodies
    structs = {}
    for m in re.finditer(r"\bstruct\s+(\w+)\s*\{(.*?)\n\};", text, re.S):
        fields = [f.strip() for f in m.group(2).split(";")]
        structs[m.group(1)] = [Decl(f) for f in fields if f and "(" not in f and not f.startswith(("static", "friend", "using"))]
    return structs


def bare(cpp_type: str) -> str:
    """`const std::string&` -> `std::string`."""
    return re.sub(r"^const\s*", "", cpp_type).rstrip("&")


def cpp_result_type(result: str) -> str:
    if result == "none":
        return "void"
    if result.startswith("list["):
        return f"std::vector<{result[5:-1]}>"
    return result


def cpp_type_ok(op: Dict, t: Dict, decl: Decl) -> bool:
    if (op["name"], t["name"]) in CPP_EXCEPTIONS:
        return True
    if t["type"] == "json":
        return decl.type in (CPP_JSON_TYPES[t["name"]], f"std::optional<{CPP_JSON_TYPES[t['name']]}>")
    return bare(decl.type) in CPP_TYPES[t["type"]]


@pytest.fixture(scope="module")
def cpp_header() -> str:
    return strip_comments((REPO / "include" / "pyro" / "client.hpp").read_text())


@pytest.mark.parametrize("op", OPERATIONS, ids=OP_IDS)
def test_cpp_signature_matches_table(op, cpp_header):
    """Required parameters positional in table order; optional ones as trailing
    parameters with the table's default or as fields of an options struct; the
    result type of the table."""
    name = op["name"]
    m = re.search(rf"\n\s*([\w:<>, ]+?)\s+{name}\s*\(([^;]*?)\)\s*;", cpp_header)
    assert m, f"no `Pyro::{name}` in client.hpp"
    where = f"client.hpp Pyro::{name}"
    assert norm_type(m.group(1)) == cpp_result_type(op["result"]), f"{where}: returns `{m.group(1)}`, table `{op['result']}`"
    params = [Decl(p) for p in split_params(m.group(2))]
    structs = cpp_structs()
    table = op["params"]
    required = [t for t in table if not t.get("optional")]
    optional = {t["name"]: t for t in table if t.get("optional")}
    assert len(params) >= len(required), f"{where}: {params}"
    for decl, t in zip(params, required):
        assert decl.name == t["name"], f"{where}: parameter `{decl.name}` where the table has `{t['name']}`"
        assert decl.default is None, f"{where}: required `{decl.name}` has a default"
        assert cpp_type_ok(op, t, decl), f"{where}: `{decl.name}` is `{decl.type}`, table `{t['type']}`"
    seen = set()
    for decl in params[len(required):]:
        struct = structs.get(bare(decl.type))
        if struct is None:  # a trailing plain parameter
            t = optional.get(decl.name)
            assert t is not None, f"{where}: `{decl.name}` is not an optional parameter of the table"
            assert decl.name not in seen, f"{where}: `{decl.name}` twice"
            seen.add(decl.name)
            assert cpp_type_ok(op, t, decl), f"{where}: `{decl.name}` is `{decl.type}`, table `{t['type']}`"
            assert decl.default is not None, f"{where}: optional `{decl.name}` has no default"
            want = t.get("default", zero_of(t["type"]))
            assert cpp_value(decl.default) == want, (
                f"{where}: `{decl.name}` defaults to {decl.default}, table {want!r}")
            continue
        for field in struct:
            if field.name in CALLBACK_FIELDS or (name, field.name) in SHARED_STRUCT_FIELDS:
                continue
            t = optional.get(field.name)
            assert t is not None, f"{where}: `{bare(decl.type)}.{field.name}` is no optional parameter of the table"
            assert field.name not in seen, f"{where}: `{field.name}` twice"
            seen.add(field.name)
            assert cpp_type_ok(op, t, field), f"{where}: `{bare(decl.type)}.{field.name}` is `{field.type}`, table `{t['type']}`"
            if field.default is not None and "default" in t and (op["name"], t["name"]) not in CPP_EXCEPTIONS:
                assert cpp_value(field.default) == t["default"], (
                    f"{where}: `{bare(decl.type)}.{field.name}` defaults to {field.default}, table {t['default']!r}")
    missing = set(optional) - seen - CALLBACK_PARAMS
    assert not missing, f"{where}: optional table parameters without a C++ parameter or options field: {sorted(missing)}"


def test_cpp_json_structs_match_their_schemas():
    """The structs behind `json` parameters have the fields of the table's schema."""
    structs = cpp_structs()
    by_name = {p["name"]: p for op in OPERATIONS for p in op["params"] if p["type"] == "json"}
    assert set(by_name) == set(CPP_JSON_TYPES), "a new `json` parameter needs its C++ type in CPP_JSON_TYPES"
    for name, struct in (("secrets", "WorkspaceSecret"), ("readiness", "ServiceReadiness")):
        schema = by_name[name]["schema"]
        properties = (schema.get("items") or schema)["properties"]
        assert [f.name for f in structs[struct]] == list(properties), f"{struct} vs the `{name}` schema"


# C: `pyro_status pyro_<op>([T **out,] pyro_client *client, <required>, [<optional>], [opts...], pyro_error **err)`.
C_TYPES = {
    "string": {"const char*"},
    "integer": {"uint32_t", "uint64_t", "int64_t", "int32_t", "int"},
    "number": {"double"},
    "boolean": {"int"},
    "object": {"const char*const*"},  # NULL-terminated "KEY=VALUE" strings, like envp
}
# Fields that carry no table parameter, with the reason.
C_EXTRA_FIELDS = {
    "version": "every options struct is versioned (append-only ABI)",
    "progress_payload": "the callback's user data",
    "output_payload": "the output callback's user data",
    "replace_labels": "pyro_workspace_update: C cannot tell an absent label list from an empty one",
}


def c_result_type(result: str) -> str:
    if result.startswith("list["):
        return "pyro_" + re.sub(r"_(info|entry)$", "", snake(result[5:-1])) + "_list"
    return "pyro_" + snake(result)


def c_param_fields(t: Dict) -> Dict[str, set]:
    """The options-struct fields that carry table parameter `t`, with their allowed types."""
    name = t["name"]
    if t["type"] == "object" and name == "labels":  # parallel arrays, sorted by the library
        return {"label_count": {"size_t"}, "label_keys": {"const char*const*"}, "label_values": {"const char*const*"}}
    if t["type"] != "json":
        return {name: C_TYPES[t["type"]]}
    schema = t["schema"]
    if schema["type"] == "array" and schema["items"]["type"] == "object":  # secrets: parallel arrays
        singular = name[:-1]
        fields = {f"{singular}_count": {"size_t"}}
        for prop in schema["items"]["properties"]:
            fields[f"{singular}_{prop.split('_')[0]}s"] = {"const char*const*"}
        return fields
    if schema["type"] == "array":  # published_ports: count + array
        return {f"{name[:-1]}_count": {"size_t"}, name: {"const uint32_t*"}}
    fields = {}  # an object: one field per property, prefixed
    for prop, sub in schema["properties"].items():
        fields[f"{name}_{prop}"] = C_TYPES[sub["type"]]
    return fields


@pytest.fixture(scope="module")
def c_headers() -> str:
    return strip_comments("\n".join(p.read_text() for p in sorted((REPO / "include" / "pyro" / "c").glob("*.h"))))


def c_structs(headers: str) -> Dict[str, List[Decl]]:
    structs = {}
    for m in re.finditer(r"typedef struct (pyro_\w+)\s*\{(.*?)\}\s*\1;", headers, re.S):
        structs[m.group(1)] = [Decl(f) for f in m.group(2).split(";") if f.strip()]
    return structs


@pytest.mark.parametrize("op", OPERATIONS, ids=OP_IDS)
def test_c_signature_matches_table(op, c_headers):
    """The out parameter of the result type, the client, the required parameters by
    name and C type, optional ones as trailing parameters or options-struct fields, err."""
    name = op["name"]
    m = re.search(rf"PYRO_EXTERN\(\s*pyro_status\s*\)\s*pyro_{name}\s*\((.*?)\);", c_headers, re.S)
    assert m, f"no `pyro_{name}` declaration in include/pyro/c/*.h"
    where = f"pyro_{name}"
    params = [Decl(p) for p in split_params(m.group(1))]
    if op["result"] != "none":
        out = params.pop(0)
        assert (out.type, out.name) == (c_result_type(op["result"]) + "**", "out"), (
            f"{where}: first parameter `{out}`, want `{c_result_type(op['result'])} **out`")
    client = params.pop(0)
    assert (client.type, client.name) == ("pyro_client*", "client"), f"{where}: `{client}` where the client goes"
    err = params.pop()
    assert (err.type, err.name) == ("pyro_error**", "err"), f"{where}: last parameter `{err}`"
    table = op["params"]
    required = [t for t in table if not t.get("optional")]
    optional = [t for t in table if t.get("optional")]
    for decl, t in zip(params, required):
        assert decl.name == t["name"], f"{where}: parameter `{decl.name}` where the table has `{t['name']}`"
        assert decl.type in C_TYPES[t["type"]], f"{where}: `{decl.name}` is `{decl.type}`, table `{t['type']}`"
    params = params[len(required):]
    structs = c_structs(c_headers)
    seen = set()
    # C has no default arguments: leading optional parameters may be positional
    # (NULL or the documented value meaning the default), in table order.
    while params and not params[0].type.startswith("const pyro_"):
        decl, t = params.pop(0), optional[len(seen)] if len(seen) < len(optional) else None
        assert t is not None and decl.name == t["name"], f"{where}: `{decl.name}` out of the table's order"
        assert decl.type in C_TYPES[t["type"]], f"{where}: `{decl.name}` is `{decl.type}`, table `{t['type']}`"
        seen.add(decl.name)
    wanted = {t["name"]: c_param_fields(t) for t in optional if t["name"] not in seen}
    field_owner = {f: (p, types) for p, fields in wanted.items() for f, types in fields.items()}
    found = set()
    for decl in params:
        struct = structs.get(decl.type[len("const "):].rstrip("*"))
        assert struct is not None and decl.type.endswith("*"), f"{where}: `{decl}` is no options struct"
        for field in struct:
            if field.name in C_EXTRA_FIELDS or field.name in CALLBACK_PARAMS or (name, field.name) in SHARED_STRUCT_FIELDS:
                continue
            owner = field_owner.get(field.name)
            assert owner is not None, f"{where}: `{decl.type}` field `{field.name}` carries no optional table parameter"
            assert field.type in owner[1], f"{where}: field `{field.name}` is `{field.type}`, want one of {owner[1]}"
            found.add(field.name)
    missing = sorted(f for f in field_owner if f not in found)
    assert not missing, f"{where}: optional table parameters without a C parameter or options field: {missing}"

@pytest.mark.parametrize("code", CODES, ids=[c["name"] for c in CODES])
def test_exception_class(code):
    cls = getattr(pyro, code["python"], None)
    assert cls is not None, f"pyro.{code['python']} is missing"
    assert issubclass(cls, pyro.Error)
    assert cls.code == code["name"]
    assert code["python"] in pyro.__all__
    builtin = BUILTIN_BASES.get(code["name"])
    if builtin is not None:
        assert issubclass(cls, builtin), f"{cls.__name__} should also be a {builtin.__name__}"


@pytest.mark.parametrize("code", CODES, ids=[c["name"] for c in CODES])
def test_error_code_values_in_headers(code):
    c_header = (REPO / "include" / "pyro" / "c" / "error.h").read_text()
    c_name = "PYRO_E_" + code["name"].upper()
    assert re.search(rf"\b{c_name}\s*=\s*-{code['value']}\b", c_header), c_name
    cpp_header = (REPO / "include" / "pyro" / "error.hpp").read_text()
    pascal = "k" + "".join(w.capitalize() for w in code["name"].split("_"))
    assert re.search(rf"\b{pascal}\s*=\s*{code['value']}\b", cpp_header), pascal


def test_stub_exports_every_public_name():
    tree = ast.parse((REPO / "python" / "pyro" / "_core.pyi").read_text())
    declared = set()
    for node in tree.body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef)):
            declared.add(node.name)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            declared.add(node.target.id)
    assert set(pyro.__all__) <= declared, set(pyro.__all__) - declared


# ---- the CLI (source-level, like the header checks above) ----------

CLI_OPS = [op for op in OPERATIONS if op.get("cli")]
CLI_SOURCES = "\n".join(p.read_text() for p in sorted((REPO / "tools" / "pyro").glob("*.cpp")))


@pytest.mark.parametrize("op", CLI_OPS, ids=[op["name"] for op in CLI_OPS])
def test_cli_verb_exists(op):
    """The CLI generates its verbs from the table: what `cli_args` names must be params of the op."""
    params = {p["name"] for p in op["params"]}
    shape = op.get("cli_args", {})
    words = [w.split("=")[0].rstrip("?") for w in shape.get("words", [])]
    named = words + ([shape["rest"]] if "rest" in shape else []) + list(shape.get("flags", {})) + list(shape.get("files", {}))
    assert set(named) <= params, f"`cli_args` of {op['name']} names unknown params {set(named) - params}"
    assert len(set(named)) == len(named), f"`cli_args` of {op['name']} names a param twice"
    assert f'.path = "{op["cli"]}"' not in CLI_SOURCES, f"`pyro {op['cli']}` is written by hand in tools/pyro/"

# The MCP server, `pyro.tools` and Pyro::call share the core's dispatcher: that every
# table operation has a handler is checked on the compiled code (tests/unit/test_operations.cpp).
