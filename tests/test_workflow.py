"""The real DAG on a tiny synthetic set, in a temporary directory: the session's run of
workflow/configs/tiny.yaml (``tiny_run`` in tests/conftest.py, about a minute on 2 cores)."""

import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import tiny_snakemake

from stan.data.manifest import load_manifest
from stan.evaluate import score_method
from stan.io import write_png


def snakemake(workdir: Path, *args: str, code: Path) -> subprocess.CompletedProcess:
    """Run the workflow whose code lives in ``code`` on the working directory ``workdir``."""
    return tiny_snakemake(workdir, code, *args)


@pytest.fixture(scope="module")
def demo_run(tiny_run):
    """Rule all of tiny.yaml, run by the code in ``tiny_code`` (shared with other modules)."""
    return tiny_run


def test_demo_produces_table_and_plot(demo_run):
    table = pd.read_csv(demo_run / "results" / "tables" / "synthetic.csv").set_index("method")
    assert "flow-magnitude" in table.index
    numeric = table.select_dtypes("number")
    assert np.isfinite(numeric.to_numpy()).all()
    assert (demo_run / "results" / "plots" / "synthetic_pr.png").stat().st_size > 10_000


def test_baseline_beats_a_constant_map(demo_run, tmp_path, monkeypatch):
    monkeypatch.chdir(demo_run)  # manifest paths are relative to the working directory
    manifest = load_manifest(demo_run / "results" / "manifests" / "synthetic.csv")
    constant = tmp_path / "constant"
    for row in manifest[manifest["split"] == "test"].itertuples():
        write_png(constant / row.video / f"{row.frame}.png", np.full((64, 96), 128, np.uint8))
    const = score_method(
        manifest, constant, "constant", tmp_path / "c.csv", tmp_path / "c.npz"
    ).mean(numeric_only=True)
    table = pd.read_csv(demo_run / "results" / "tables" / "synthetic.csv").set_index("method")
    baseline = table.loc["flow-magnitude"]
    assert baseline["maxF"] > const["maxF"] + 0.05
    assert baseline["S"] > const["S"]


def test_rerun_is_a_no_op_and_code_edits_rerun_their_stage(demo_run, tiny_code):
    result = snakemake(demo_run, "--dry-run", "--quiet", "rules", code=tiny_code)
    assert result.returncode == 0 and "Nothing to be done" in result.stdout + result.stderr
    # Editing a baseline module marks the baseline maps (and what follows) as outdated; Snakemake
    # compares checksums, so the edit must change the file's content, not only its time.
    module = tiny_code / "stan" / "baseline" / "flow_magnitude.py"
    original = module.read_text()
    module.write_text(original + "\n# an edit\n")
    try:
        result = snakemake(demo_run, "--dry-run", "--quiet", "rules", code=tiny_code)
    finally:
        module.write_text(original)  # the code copy is shared: as the run saw it
    assert result.returncode == 0, result.stderr[-3000:]
    assert "flow_magnitude" in result.stdout and "video_flow" not in result.stdout
