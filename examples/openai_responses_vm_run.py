"""A complete OpenAI Responses-API tool loop with pyro's `vm_run` tool.

    pip install openai
    OPENAI_API_KEY=... PYTHONPATH=<build>/python python3 examples/openai_responses_vm_run.py

The model gets the tools of one profile (here vm-run: the single `vm_run` tool).
Each `function_call` it emits is answered with a `function_call_output` carrying
`pyro.tools.dispatch`'s JSON: the command's result, or {"error": {"code", "message"}}
when pyro failed, so the model can see what went wrong and try again. The loop ends
when a response contains no more calls. Set PYRO_EXAMPLE_MODEL to pick the model;
OPENAI_BASE_URL works as usual for compatible servers.
"""

import os
import sys
from typing import Any, List

import openai

import pyro
from pyro.tools import dispatch_json, openai_tools

MODEL = os.environ.get("PYRO_EXAMPLE_MODEL", "gpt-4.1-mini")
PROMPT = ("Run `echo hello from pyro` in the busybox environment with the vm_run tool "
          "and tell me exactly what it printed.")


def run(client: openai.OpenAI, pyro_client: "pyro.Pyro", prompt: str = PROMPT,
        model: str = MODEL, profile: str = "vm-run", max_turns: int = 8) -> str:
    """Runs the tool loop and returns the model's final text."""
    tools = openai_tools(profile)
    conversation: List[Any] = [{"role": "user", "content": prompt}]
    for _ in range(max_turns):
        response = client.responses.create(model=model, input=conversation, tools=tools)
        calls = [item for item in response.output if item.type == "function_call"]
        if not calls:
            return response.output_text
        # The model's own items go back first, so each output follows its call.
        conversation += response.output
        for call in calls:
            print(f"-> {call.name} {call.arguments}", file=sys.stderr)
            output = dispatch_json(pyro_client, call.name, call.arguments, profile=profile)
            print(f"<- {output}", file=sys.stderr)
            conversation.append(
                {"type": "function_call_output", "call_id": call.call_id, "output": output})
    raise RuntimeError(f"the model still wanted tools after {max_turns} turns")


def main() -> int:
    if not os.environ.get("OPENAI_API_KEY"):
        print("set OPENAI_API_KEY (and optionally OPENAI_BASE_URL, PYRO_EXAMPLE_MODEL) to run "
              "this example", file=sys.stderr)
        return 2
    with pyro.Pyro() as pyro_client:
        print(run(openai.OpenAI(), pyro_client))
    return 0


if __name__ == "__main__":
    sys.exit(main())
