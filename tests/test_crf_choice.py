"""bench/crf_quality.py's nested choice of CRF settings on cross-validation folds."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from crf_quality import choose, nested_choice  # noqa: E402


def rows(setting: str, scores: dict[str, tuple[float, float, float]]) -> list[dict]:
    """One row per video: (max F before, max F after, MAE after)."""
    return [
        {"video": v, "setting": setting, "maxF_before": b, "maxF_after": a, "MAE_after": m}
        for v, (b, a, m) in scores.items()
    ]


def table(*parts: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame([row for part in parts for row in part])
    df["drop"] = df["maxF_before"] - df["maxF_after"]
    return df


def test_a_setting_that_lowers_one_video_too_much_is_never_chosen():
    df = table(
        rows("sharp", {"a": (0.5, 0.9, 0.01), "b": (0.8, 0.75, 0.01)}),  # b drops by 0.05
        rows("soft", {"a": (0.5, 0.7, 0.05), "b": (0.8, 0.81, 0.05)}),
    )
    assert choose(df, max_drop=0.02, tie=0.002) == "soft"
    assert choose(df, max_drop=0.10, tie=0.002) == "sharp"
    with pytest.raises(SystemExit, match="more than 0.01"):
        choose(df[df["setting"] == "sharp"], max_drop=0.01, tie=0.002)


def test_near_ties_in_max_f_go_to_the_lower_mae():
    df = table(
        rows("k0", {"a": (0.5, 0.700, 0.04)}),
        rows("k3", {"a": (0.5, 0.701, 0.06)}),
        rows("k5", {"a": (0.5, 0.690, 0.02)}),
    )
    assert choose(df, max_drop=0.02, tie=0.002) == "k0"
    assert choose(df, max_drop=0.02, tie=0.02) == "k5"


def test_each_fold_is_chosen_on_the_other_folds_videos_only(capsys):
    # fold 0 = {a}, fold 1 = {b}: "x" is best on a, "y" on b; each fold gets the other's choice
    df = table(
        rows("x", {"a": (0.5, 0.9, 0.02), "b": (0.5, 0.6, 0.02)}),
        rows("y", {"a": (0.5, 0.6, 0.02), "b": (0.5, 0.9, 0.02)}),
    )
    nested_choice(df, [["a"], ["b"]], max_drop=0.02, tie=0.002)
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| ")]
    assert [line.split("|")[1:3] for line in lines[-2:]] == [[" 0 ", " y "], [" 1 ", " x "]]
    assert [line.split("|")[4].strip() for line in lines[-2:]] == ["0.600", "0.600"]
