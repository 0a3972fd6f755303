"""Every examples/*.py runs as its own process against real VMs (the model in the
OpenAI example is the scripted Responses-API server of test_integrations.py), and
the MCP client configs are valid and start a server the way a client would.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from optional_modules import require_module
from pyro.tools import PROFILES, openai_tools
from test_integrations import ScriptedResponsesServer, mcp_tools_list

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"

# What each example must print on success, and the optional packages it imports.
EXPECTED = {
    "python_run.py": ("hello from pyro", []),
    "python_lifecycle.py": ("processor(s)", []),
    "python_workspace.py": ("hello from a patched workspace", []),
    "python_shell.py": ("hello from a pyro service", []),
    "openai_responses_vm_run.py": ("The VM printed: hello from pyro", ["openai"]),
    "langchain_vm_run.py": ("hello from pyro", ["langchain_core"]),
    "pydantic_ai_vm_run.py": ("hello from pyro", ["pydantic_ai"]),
}
CONFIGS = ["claude_desktop_mcp_config.json", "cursor_mcp_config.json"]


def test_every_example_is_checked():
    assert sorted(p.name for p in EXAMPLES.glob("*.py")) == sorted(EXPECTED)


def run_example(name: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(EXAMPLES / name)], capture_output=True,
                          text=True, timeout=300, env=env, cwd=ROOT, check=False)


@pytest.mark.vm
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_runs(name, busybox):
    expected, packages = EXPECTED[name]
    for package in packages:
        require_module(package)
    env = dict(os.environ)  # PYTHONPATH already points at the built package
    for key in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
        env.pop(key, None)  # no real model: each example takes its key-less path
    if name == "openai_responses_vm_run.py":
        with ScriptedResponsesServer() as server:
            env.update(OPENAI_BASE_URL=server.base_url, OPENAI_API_KEY="scripted")
            r = run_example(name, env)
        assert server.requests and server.requests[0]["tools"] == openai_tools("vm-run")
    else:
        r = run_example(name, env)
    assert r.returncode == 0, f"stdout:\n{r.stdout}\nstderr:\n{r.stderr}"
    if expected is not None:
        assert expected in r.stdout, r.stdout
    if name == "python_shell.py":
        assert "hi from /tmp" in r.stdout, r.stdout


def test_openai_example_without_a_key_says_what_is_missing():
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    require_module("openai")
    r = run_example("openai_responses_vm_run.py", env)
    assert r.returncode == 2 and "OPENAI_API_KEY" in r.stderr


def server_args(config: dict) -> list:
    servers = config["mcpServers"]
    assert list(servers) == ["pyro"]
    entry = servers["pyro"]
    assert entry["command"] == "pyro"
    args = entry["args"]
    assert args[:3] == ["mcp", "serve", "--profile"] and args[3] in PROFILES, args
    return args


@pytest.mark.parametrize("name", CONFIGS)
def test_mcp_config_is_valid(name):
    server_args(json.loads((EXAMPLES / name).read_text()))


def test_mcp_config_doc_matches_the_files():
    text = (EXAMPLES / "mcp_client_config.md").read_text()
    blocks = [json.loads(b) for b in re.findall(r"```json\n(.*?)```", text, re.S)]
    files = [json.loads((EXAMPLES / name).read_text()) for name in CONFIGS]
    assert blocks == files
    for profile in PROFILES:
        assert f"`{profile}`" in text


@pytest.mark.parametrize("name", CONFIGS)
def test_mcp_config_starts_a_server(cli, name):
    args = server_args(json.loads((EXAMPLES / name).read_text()))
    tools = mcp_tools_list(cli, args)
    assert [t["name"] for t in tools] == [t["name"] for t in openai_tools(args[3])]
