"""The environment: conda/Binder and pip install the same pinned packages, with no warnings."""
import subprocess
import sys
import tomllib

import yaml

from graders.build import ROOT


def test_environment_yml_names_the_same_packages_as_pyproject():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert sorted(p for p in pip if p != "-e .") == sorted(pyproject)
    assert "-e ." in pip  # the course's own packages
    assert all("==" in requirement for requirement in pyproject), "pin every package"


def test_testclient_imports_without_a_deprecation_warning():
    # Starlette 1.x warns when TestClient has to use plain httpx: httpx2 must be installed.
    code = "from fastapi.testclient import TestClient; import forge.main"
    result = subprocess.run([sys.executable, "-W", "error", "-c", code], capture_output=True, text=True)
    assert result.returncode == 0 and result.stderr == "", result.stderr
