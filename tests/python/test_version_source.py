"""One version source: pyproject.toml's metadata reads CMakeLists.txt's project()
version, and no operation claims a later one (test_python_api.py checks that
`pyro.__version__` is that version)."""

import json
import tomllib

from project_version import ROOT, VERSION_REGEX, project_version


def as_tuple(version: str) -> tuple:
    return tuple(int(part) for part in version.split("."))


def test_pyproject_reads_the_version_from_cmakelists():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in pyproject["project"]
    assert "version" in pyproject["project"]["dynamic"]
    provider = pyproject["tool"]["scikit-build"]["metadata"]["version"]
    assert provider == {"provider": "scikit_build_core.metadata.regex", "input": "CMakeLists.txt",
                        "regex": VERSION_REGEX}


def test_no_operation_is_newer_than_the_package():
    operations = json.loads((ROOT / "spec" / "operations.json").read_text())
    since = {op["name"]: op["since"] for op in operations["operations"]}
    newest = max(since.values(), key=as_tuple)
    assert as_tuple(newest) <= as_tuple(project_version())[:2], since
