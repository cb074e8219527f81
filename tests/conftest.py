"""Shared fixtures: the team's data folder beside the repo, tiny synthetic datasets."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("STAN_SHARED_DATA", REPO.parent / "shared" / "data"))
DAVIS_ROOT = SHARED_DATA / "DAVIS"
SEGTRACK_ROOT = SHARED_DATA / "SegTrackV2"


@pytest.fixture(scope="module")
def code(tmp_path_factory) -> Path:
    """A private copy of the workflow code, so a test can edit it without touching the repo."""
    copy = tmp_path_factory.mktemp("code") / "repo"
    ignore = shutil.ignore_patterns(".venv", "results", ".snakemake", ".git", "*.egg-info")
    shutil.copytree(REPO, copy, ignore=ignore)
    return copy


@pytest.fixture(scope="session")
def davis_root() -> Path:
    if not (DAVIS_ROOT / "JPEGImages" / "480p").is_dir():
        pytest.skip(f"DAVIS-2016 not found at {DAVIS_ROOT} (set STAN_SHARED_DATA)")
    return DAVIS_ROOT


@pytest.fixture(scope="session")
def tiny_synthetic(tmp_path_factory) -> Path:
    """A small synthetic set in the DAVIS layout (2 train + 1 test videos, 8 frames, 64x96)."""
    from stan.data.synthetic import SyntheticConfig, generate

    root = tmp_path_factory.mktemp("synthetic") / "synthetic"
    generate(SyntheticConfig(n_train=2, n_test=1, n_frames=8, height=64, width=96, seed=3), root)
    return root
