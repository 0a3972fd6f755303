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

REPO = Path(__file__).resolve().parents[2]
OPERATIONS = json.loads((REPO / "spec" / "operations.json").read_text())["operations"]
CODES = json.loads((REPO / "spec" / "error_codes.json").read_text())["codes"]
OP_IDS = [op["name"] for op in OPERATIONS]

# Builtins that some exception classes also inherit (conventions §16).
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


def split_top_level(text: str) -> List[str]:
    """Splits "a: Dict[str, str] = None, b: int" on commas outside brackets."""
    parts, depth, current = [], 0, ""
    for ch in text:
        if ch in "[(":
            depth += 1
        elif ch in "])":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += ch
    if current.strip():
        parts.append(current.strip())
    return parts


def pybind_params(method) -> List[Param]:
    """Parameters from the pybind11 signature line, e.g.
    "run_in_vm(self: pyro._core.Pyro, environment: str, *, vcpu_count: int = 1) -> ..."."""
    first = method.__doc__.splitlines()[0]
    m = re.match(r"^\w+\((.*)\)\s*->", first)
    assert m, f"unexpected pybind11 signature: {first}"
    params, keyword_only = [], False
    for part in split_top_level(m.group(1)):
        if part == "*":
            keyword_only = True
            continue
        name = part.split(":", 1)[0].strip()
        if name == "self":
            continue
        default = part.split(" = ", 1)[1].strip() if " = " in part else None
        params.append(Param(name, keyword_only, default))
    return params


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
CALLBACK_PARAMS = {"progress"}


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


@pytest.mark.parametrize("op", OPERATIONS, ids=OP_IDS)
def test_c_declaration_exists(op):
    headers = "\n".join(p.read_text() for p in sorted((REPO / "include" / "pyro" / "c").glob("*.h")))
    pattern = rf"PYRO_EXTERN\(\s*pyro_status\s*\)\s*pyro_{op['name']}\s*\("
    assert re.search(pattern, headers), f"no `pyro_{op['name']}` declaration in include/pyro/c/*.h"


@pytest.mark.parametrize("op", OPERATIONS, ids=OP_IDS)
def test_cpp_method_exists(op):
    header = (REPO / "include" / "pyro" / "client.hpp").read_text()
    assert re.search(rf"\b{op['name']}\s*\(", header), f"no `Pyro::{op['name']}` in client.hpp"


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
