"""python/pyro/_core.pyi declares exactly what the compiled `pyro._core` has: every
public name, every public member of every class, each function's and method's
parameters (names, keyword-only, defaults) as pybind11's signatures give them, and
the result type of each table operation. The stub stays hand-written for its readable
types; this check makes any drift a failure. No VM needed."""

import ast
import json
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import pytest

from pybind_signature import signature_params
from pyro import _core

REPO = Path(__file__).resolve().parents[2]
STUB = ast.parse((REPO / "python" / "pyro" / "_core.pyi").read_text())
RESULTS = {op["name"]: op["result"]
           for op in json.loads((REPO / "spec" / "operations.json").read_text())["operations"]}

# (name, keyword-only, default as source text or None)
Param = Tuple[str, bool, Optional[str]]


def is_public(name: str) -> bool:
    return not name.startswith("_") or name in ("__version__", "__init__", "__enter__", "__exit__")


def declared(body: List[ast.stmt]) -> Dict[str, ast.AST]:
    names: Dict[str, ast.AST] = {}
    for node in body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef)):
            names[node.name] = node
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names[node.target.id] = node
        elif isinstance(node, ast.Assign):
            names.update((t.id, node) for t in node.targets if isinstance(t, ast.Name))
    return {k: v for k, v in names.items() if is_public(k)}


STUB_NAMES = declared(STUB.body)
CLASSES = [n for n, node in STUB_NAMES.items() if isinstance(node, ast.ClassDef)]
FUNCTIONS = [(None, n) for n, node in STUB_NAMES.items() if isinstance(node, ast.FunctionDef)] + [
    (c, n) for c in CLASSES for n, node in declared(STUB_NAMES[c].body).items()
    if isinstance(node, ast.FunctionDef) and not node.decorator_list]


runtime_params = signature_params


def stub_params(node: ast.FunctionDef) -> List[Param]:
    a = node.args
    positional = a.posonlyargs + a.args
    defaults = [None] * (len(positional) - len(a.defaults)) + list(a.defaults)
    params = [(p.arg, False, d) for p, d in zip(positional, defaults)]
    params += [(p.arg, True, d) for p, d in zip(a.kwonlyargs, a.kw_defaults)]
    return [(name, kw, None if d is None else ast.unparse(d)) for name, kw, d in params if name != "self"]


def same_default(a: Optional[str], b: Optional[str]) -> bool:
    if a is None or b is None:
        return a == b
    try:
        return ast.literal_eval(a) == ast.literal_eval(b)  # 30 == 30.0, 'x' == "x"
    except ValueError:
        return a == b


def test_stub_declares_every_public_name_and_nothing_else():
    assert set(STUB_NAMES) == {n for n in dir(_core) if is_public(n)}


@pytest.mark.parametrize("name", [c for c in CLASSES if not issubclass(getattr(_core, c), BaseException)])
def test_stub_class_has_the_runtime_members(name):
    cls = getattr(_core, name)
    # An enum (pybind11's py::enum_) is checked by its members only.
    # Dunder methods are left out: pybind11 adds some to every class.
    runtime = set(cls.__members__) if hasattr(cls, "__members__") else {n for n in vars(cls) if n[0] != "_"}
    assert {n for n in declared(STUB_NAMES[name].body) if n[0] != "_"} == runtime


@pytest.mark.parametrize("owner, name", FUNCTIONS, ids=[f"{c or '_core'}.{n}" for c, n in FUNCTIONS])
def test_stub_signature_matches_the_runtime(owner, name):
    node = (declared(STUB_NAMES[owner].body) if owner else STUB_NAMES)[name]
    function = getattr(getattr(_core, owner) if owner else _core, name)
    if owner == "Pyro" and name in ("__enter__", "__exit__"):
        return  # plain lambdas: pybind11 names their parameters arg0, arg1...
    stub, runtime = stub_params(node), runtime_params(function)
    assert [p[:2] for p in stub] == [p[:2] for p in runtime]
    for (param, _, mine), (_, _, theirs) in zip(stub, runtime):
        assert same_default(mine, theirs), f"`{param}`: stub default {mine}, runtime {theirs}"


@pytest.mark.parametrize("operation", list(RESULTS))
def test_stub_result_types_follow_the_table(operation):
    node = declared(STUB_NAMES["Pyro"].body)[operation]
    returns = ast.unparse(node.returns).replace("List[", "list[")
    assert returns == ("None" if RESULTS[operation] == "none" else RESULTS[operation])
