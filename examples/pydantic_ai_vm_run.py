"""pyro's `vm_run` as a PydanticAI tool.

    pip install 'pydantic-ai-slim[openai]'
    OPENAI_API_KEY=... PYTHONPATH=<build>/python python3 examples/pydantic_ai_vm_run.py

`vm_run_tool()` is a pydantic_ai.Tool carrying the operation table's JSON Schema.
Without OPENAI_API_KEY the agent runs on PydanticAI's FunctionModel with a scripted
stand-in that asks for one vm_run call: the VM is real, only the model is not.
"""

import os
import sys

from pydantic_ai import Agent

import pyro
from pyro.integrations.pydantic_ai import vm_run_tool

PROMPT = ("Run `echo hello from pyro` in the busybox environment with the vm_run tool "
          "and tell me exactly what it printed.")


def scripted_model():
    """A FunctionModel that calls vm_run once, then reports the tool's stdout."""
    from pydantic_ai.messages import ModelResponse, TextPart, ToolCallPart, ToolReturnPart
    from pydantic_ai.models.function import FunctionModel

    def respond(messages, info):
        returns = [part for m in messages for part in m.parts if isinstance(part, ToolReturnPart)]
        if not returns:
            return ModelResponse(parts=[ToolCallPart("vm_run", {
                "environment": "busybox", "command": "echo hello from pyro"})])
        return ModelResponse(parts=[TextPart(f"The VM said: {returns[-1].content['stdout']}")])

    return FunctionModel(respond)


def main() -> int:
    with pyro.Pyro() as pyro_client:
        model = (os.environ.get("PYRO_EXAMPLE_MODEL", "openai:gpt-4.1-mini")
                 if os.environ.get("OPENAI_API_KEY") else scripted_model())
        agent = Agent(model, tools=[vm_run_tool(pyro_client)])
        print(agent.run_sync(PROMPT).output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
