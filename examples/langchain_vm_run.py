"""pyro's `vm_run` as a LangChain tool, in a plain tool-calling loop.

    pip install langchain-core              # plus a chat model package, e.g. langchain-openai
    PYTHONPATH=<build>/python python3 examples/langchain_vm_run.py

`vm_run_tool()` is a StructuredTool whose argument schema comes from pyro's
operation table; bind it to any chat model that supports tool calling. Without
langchain-openai and OPENAI_API_KEY, the example invokes the tool directly, the way
LangChain would after a model asked for it.
"""

import os
import sys
from typing import Any

from langchain_core.messages import HumanMessage

import pyro
from pyro.integrations.langchain import vm_run_tool

PROMPT = ("Run `echo hello from pyro` in the busybox environment with the vm_run tool "
          "and tell me exactly what it printed.")


def run(model: Any, pyro_client: "pyro.Pyro", prompt: str = PROMPT, max_turns: int = 8) -> str:
    """Binds vm_run to `model` and loops until it answers without tool calls."""
    tool = vm_run_tool(pyro_client)
    bound = model.bind_tools([tool])
    messages: list = [HumanMessage(prompt)]
    for _ in range(max_turns):
        reply = bound.invoke(messages)
        messages.append(reply)
        if not reply.tool_calls:
            return reply.text
        for call in reply.tool_calls:
            messages.append(tool.invoke(call))  # a ToolCall in, a ToolMessage out
    raise RuntimeError(f"the model still wanted tools after {max_turns} turns")


def main() -> int:
    with pyro.Pyro() as pyro_client:
        try:
            from langchain_openai import ChatOpenAI
        except ImportError:
            ChatOpenAI = None
        if ChatOpenAI is not None and os.environ.get("OPENAI_API_KEY"):
            model = ChatOpenAI(model=os.environ.get("PYRO_EXAMPLE_MODEL", "gpt-4.1-mini"))
            print(run(model, pyro_client))
            return 0
        print("no chat model configured (langchain-openai + OPENAI_API_KEY); "
              "invoking the tool directly", file=sys.stderr)
        result = vm_run_tool(pyro_client).invoke(
            {"environment": "busybox", "command": "echo hello from pyro"})
        print(result)
        return 0 if result.get("exit_code") == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
