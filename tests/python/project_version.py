"""The package version from its one source, `project(pyro VERSION x.y.z ...)` in the
top-level CMakeLists.txt (cmake/PyroVersion.cmake), read the way pyproject.toml's
scikit-build-core regex provider reads it."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The same pattern as [tool.scikit-build.metadata.version] in pyproject.toml.
VERSION_REGEX = r"project\(pyro VERSION (?P<value>[0-9.]+)"


def project_version() -> str:
    m = re.search(VERSION_REGEX, (ROOT / "CMakeLists.txt").read_text())
    assert m, "no `project(pyro VERSION ...)` in CMakeLists.txt"
    return m.group("value")
