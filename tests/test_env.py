"""envs/stan.yaml (the rules' conda environment) agrees with pyproject.toml and resolves from
wherever Snakemake copies it. Conda itself is not run here (no conda on the CI machine)."""

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

REPO = Path(__file__).resolve().parents[1]
ENV = REPO / "envs" / "stan.yaml"
PROJECT_LINE = "-e ${STAN_REPO}"


def env_pip_lines() -> list[str]:
    deps = yaml.safe_load(ENV.read_text())["dependencies"]
    return next(d["pip"] for d in deps if isinstance(d, dict) and "pip" in d)


def test_env_pins_match_pyproject():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    wanted = {Requirement(r).name: Requirement(r) for r in project["dependencies"]}
    lines = env_pip_lines()
    assert PROJECT_LINE in lines, "the env must install the checkout (its dependencies with it)"
    pinned = [Requirement(line) for line in lines if not line.startswith("-")]
    assert pinned, "expected the torch pin (its wheel index is the env's own choice)"
    for req in pinned:
        assert req.name in wanted, f"{req.name} is in envs/stan.yaml but not in pyproject.toml"
        assert req.specifier == wanted[req.name].specifier, req.name
    conda = yaml.safe_load(ENV.read_text())["dependencies"]
    python = next(d for d in conda if isinstance(d, str) and d.startswith("python="))
    assert SpecifierSet(project["requires-python"]).contains(python.split("=", 1)[1] + ".0")
    assert "pip" in conda


def test_every_rule_names_the_env_by_a_path_that_exists():
    found = 0
    for smk in [REPO / "Snakefile", *(REPO / "workflow" / "rules").glob("*.smk")]:
        for path in re.findall(r"conda:\s*\n\s*\"([^\"]+)\"", smk.read_text()):
            assert (smk.parent / path).resolve() == ENV, f"{smk.name}: conda path {path}"
            found += 1
    assert found >= 20


def test_the_project_line_resolves_from_any_folder(tmp_path):
    """Conda runs pip in the folder of Snakemake's copy of the env file (.snakemake/conda/);
    ${STAN_REPO}, which the Snakefile sets, still points at the checkout."""
    assert "os.environ.update(STAN_REPO=workflow.basedir)" in (REPO / "Snakefile").read_text()
    requirements = tmp_path / "condaenv.requirements.txt"
    requirements.write_text(PROJECT_LINE + "\n")
    pip = [sys.executable, "-m", "pip", "install", "--dry-run", "--no-deps", "--no-index"]
    result = subprocess.run(
        [*pip, "--no-build-isolation", "-r", requirements.name],
        cwd=tmp_path,
        env={**os.environ, "STAN_REPO": str(REPO)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Would install stan-" in result.stdout
