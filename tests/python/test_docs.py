"""The docs say what the code does: the Python method tables of docs/python.md
against the module's signatures, the aliases of docs/mcp.md against the table, and
the notes that models and users trip over. No VM."""

import re
from pathlib import Path

import pyro
from pybind_signature import signature_params

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
OPERATIONS = pyro._core.operation_table()["operations"]


def documented_signatures(text: str):
    """(name, [param names]) of each `name(params)` in the first cell of a table row."""
    for line in text.splitlines():
        if not line.startswith("| `"):
            continue
        for name, params in re.findall(r"`(\w+)\(([^`]*)\)`", line.split(" | ")[0]):
            names = [p.split("=", 1)[0].strip() for p in params.split(",")]
            yield name, [n for n in names if n and n != "*"]


def test_python_md_method_tables_match_the_module():
    checked = 0
    for name, params in documented_signatures((DOCS / "python.md").read_text()):
        method = getattr(pyro.Pyro, name, None)
        if method is None:
            continue
        actual = [p for p, _, _ in signature_params(method)]
        # Every documented parameter exists (no `secret_env` on run_in_vm), and in order.
        assert params == [p for p in actual if p in params], (name, params, actual)
        assert set(params) <= set(actual), (name, sorted(set(params) - set(actual)))
        checked += 1
    assert checked >= 40


def test_mcp_md_lists_every_tool_alias():
    text = " ".join((DOCS / "mcp.md").read_text().split())
    for op in OPERATIONS:
        if op.get("mcp") and op.get("profiles"):
            assert f"`{op['name']}` → `{op['mcp']}`" in text, op["name"]
    for op in OPERATIONS:
        for param in op.get("params", []):
            for alias in param.get("aliases", []):
                assert f"`{alias}`" in text and f"for `{param['name']}`" in text, alias


def test_integration_guides_say_which_profile_has_services_and_shells():
    integrations = (DOCS / "integrations.md").read_text()
    assert "once pyro has them" not in integrations
    client_config = (REPO / "examples" / "mcp_client_config.md").read_text()
    for text in (integrations, client_config):
        (full,) = [line for line in text.splitlines() if line.startswith("| `workspace-full`")]
        for tools in ("service_", "shell_", "disk", "stop"):
            assert tools in full, (tools, full)


def test_readiness_docs_warn_about_busybox_wget_timeout():
    text = " ".join((DOCS / "workspaces.md").read_text().split())
    assert "`wget -T N`" in text and "segfaults" in text
