"""Packaging: environment.yml names every runtime dependency; the CLI is installed."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib

import pytest
import yaml
from conftest import REPO


def _name(req: str) -> str:
    return re.split(r"[<>=!~\[; ]", req.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_names_every_runtime_dependency():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    conda = {_name(d) for d in env["dependencies"] if isinstance(d, str)}
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    pip_only = {_name(p) for p in pip_section if not p.strip().startswith("-")}  # not on conda-forge
    missing = {_name(r) for r in project["dependencies"]} - conda - pip_only
    assert not missing, f"environment.yml lacks {sorted(missing)}"
    assert any("-e ." in p or p.strip() == "." for p in pip_section), "pip section must install the project"
    assert "conda-forge" in env["channels"]


def test_console_script_runs():
    out = subprocess.run([sys.executable, "-m", "mapper.cli", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("mapper ")


@pytest.mark.parametrize("argv", [[], ["gazetteer"]])
def test_cli_without_command_prints_help_and_exits_2(argv):
    out = subprocess.run([sys.executable, "-m", "mapper.cli", *argv], capture_output=True, text=True)
    assert out.returncode == 2
    assert "usage" in out.stdout.lower()
