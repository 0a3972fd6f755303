"""Thin adapters of pyro's tools to agent frameworks.

    from pyro.integrations.langchain import vm_run_tool      # needs langchain-core
    from pyro.integrations.pydantic_ai import vm_run_tool    # needs pydantic-ai-slim

Each adapter only wraps `pyro.tools` (the core's tool definitions, calls through
`dispatch`): same tool names, parameters, limits and {"error": {"code", "message"}}
results as the OpenAI tools and the MCP server.
The framework packages are optional; import a submodule only when you have its
framework installed (`pip install 'pyro-sandbox[langchain]'`, `[pydantic-ai]`).
"""
