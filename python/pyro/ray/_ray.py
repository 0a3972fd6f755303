"""The one place pyro.ray imports Ray, so a missing extra fails with a clear message."""

try:
    import ray  # noqa: F401  (re-exported for the modules of pyro.ray)
except ImportError as error:  # pragma: no cover - depends on the environment
    raise ImportError(
        "pyro.ray needs Ray: pip install 'pyro-sandbox[ray]' (or pip install ray)") from error

#: The namespace of pyro's named actors (one per workspace).
NAMESPACE = "pyro"
