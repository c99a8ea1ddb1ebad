"""environment.yml (conda) and pyproject.toml (pip) describe the same environment."""

import tomllib

import yaml
from packaging.requirements import Requirement

from helpers.paths import ROOT

#: Packages conda-forge names differently from PyPI.
CONDA_NAMES = {"psycopg2-binary": "psycopg2"}


def pyproject_requirements() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    wanted = project["dependencies"] + extras["test"] + extras["bench"]
    requirements = [Requirement(line) for line in wanted]
    return {CONDA_NAMES.get(r.name, r.name).lower(): str(r.specifier) for r in requirements}


def environment_requirements() -> dict[str, str]:
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    found: dict[str, str] = {}
    for entry in environment["dependencies"]:
        lines = entry["pip"] if isinstance(entry, dict) else [entry]
        for line in lines:
            if line.startswith("-e") or line.split("=")[0] in ("python", "pip"):
                continue
            requirement = Requirement(line)
            found[requirement.name.lower()] = str(requirement.specifier)
    return found


def test_same_packages_and_versions() -> None:
    assert environment_requirements() == pyproject_requirements()


def test_same_python() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert project["requires-python"] == ">=3.11"
    assert "python=3.11" in environment["dependencies"]
    pip_section = next(e["pip"] for e in environment["dependencies"] if isinstance(e, dict))
    assert "-e ." in pip_section, "conda users get the project itself installed too"
