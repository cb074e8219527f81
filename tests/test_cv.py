"""Cross-validation: fold assignment, fold manifests, seed-suffixed names, the summary table."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from stan.data.folds import fold_manifest, fold_videos
from stan.data.manifest import write_manifest
from stan.evaluate import TABLE_COLUMNS, cv_table, ensemble_members, seed_name, split_seed
from stan.io import InputError


def test_folds_test_every_video_once_round_robin():
    names = [f"v{i}" for i in (3, 0, 4, 1, 6, 2, 5)]
    folds = [fold_videos(names, 3, k) for k in range(3)]
    assert folds == [["v0", "v3", "v6"], ["v1", "v4"], ["v2", "v5"]]
    assert sorted(sum(folds, [])) == sorted(names)
    with pytest.raises(InputError, match="folds"):
        fold_videos(names, 1, 0)
    with pytest.raises(InputError, match="0..2"):
        fold_videos(names, 3, 3)


def test_fold_manifest_keeps_base_training_videos_only(tmp_path):
    rows = [
        (video, f"{t:05d}", f"/img/{video}/{t}.jpg", f"/gt/{video}/{t}.png", split)
        for video, split in (("a", "train"), ("b", "train"), ("c", "train"), ("z", "test"))
        for t in range(2)
    ]
    base = tmp_path / "base.csv"
    write_manifest(pd.DataFrame(rows, columns=["video", "frame", "image", "gt", "split"]), base)
    fold = fold_manifest(base, folds=2, fold=1)
    assert sorted(fold["video"].unique()) == ["a", "b", "c"]  # the base's test video is dropped
    splits = fold.groupby("video")["split"].first().to_dict()
    assert splits == {"a": "train", "b": "test", "c": "train"}
    with pytest.raises(InputError, match="cannot make 4 folds"):
        fold_manifest(base, folds=4, fold=0)


def test_split_seed():
    assert split_seed("STAN") == ("STAN", 0)
    assert split_seed("STAN-s2") == ("STAN", 2)
    assert split_seed("STAN-s1+crf") == ("STAN+crf", 1)
    assert split_seed("flow-magnitude") == ("flow-magnitude", 0)
    assert split_seed("motion-prior+crf") == ("motion-prior+crf", 0)


def test_seed_names_and_ensemble_members():
    for name in ("STAN", "STAN-s2", "OS-s1+crf", "STAN+crf"):
        assert seed_name(*split_seed(name)) == name
    assert ensemble_members("STAN-ens3") == ["STAN", "STAN-s1", "STAN-s2"]
    assert ensemble_members("ST+crf-ens2") == ["ST+crf", "ST-s1+crf"]
    assert ensemble_members("STAN-ens12")[-1] == "STAN-s11"
    for name in ("STAN", "STAN-s1", "STAN-ens1", "STAN-ens", "STAN-ens3+crf", "STAN-ens03"):
        assert ensemble_members(name) == []
    assert split_seed("STAN-ens3") == ("STAN-ens3", 0)  # an ensemble is a method of its own


def fold_table(path, rows):
    table = pd.DataFrame([{c: 0.0 for c in TABLE_COLUMNS} | row for row in rows])
    table.to_csv(path, index=False)
    return path


def test_cv_table_mean_and_spread_over_folds_and_seeds(tmp_path):
    f0 = fold_table(
        tmp_path / "f0.csv",
        [
            {"method": "STAN", "n_videos": 2, "maxF": 0.6, "MAE": 0.1},
            {"method": "STAN-s1", "n_videos": 2, "maxF": 0.8, "MAE": 0.1},
            {"method": "prior", "n_videos": 2, "maxF": 0.5, "J_mean_tt": math.nan},
        ],
    )
    f1 = fold_table(
        tmp_path / "f1.csv",
        [
            {"method": "STAN", "n_videos": 1, "maxF": 0.7, "MAE": 0.3},
            {"method": "STAN-s1", "n_videos": 1, "maxF": 0.9, "MAE": 0.3},
            {"method": "prior", "n_videos": 1, "maxF": 0.7, "J_mean_tt": math.nan},
        ],
    )
    out = cv_table({"f0": f0, "f1": f1}, tmp_path / "cv.csv")
    stan = out.set_index("method").loc["STAN"]
    assert (stan["n_runs"], stan["n_folds"], stan["n_seeds"], stan["n_videos"]) == (4, 2, 2, 3)
    assert stan["maxF_mean"] == pytest.approx(0.75)
    assert stan["maxF_std"] == pytest.approx(pd.Series([0.6, 0.8, 0.7, 0.9]).std())
    assert stan["MAE_mean"] == pytest.approx(0.2)
    prior = out.set_index("method").loc["prior"]
    assert prior["n_runs"] == 2 and prior["maxF_std"] == pytest.approx(0.1414213562)
    assert math.isnan(prior["J_mean_tt_mean"])
    assert out["method"].tolist() == ["STAN", "prior"]
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "cv.csv"), out, check_dtype=False)
    with pytest.raises(InputError, match="not found"):
        cv_table({"f9": tmp_path / "nope.csv"}, tmp_path / "x.csv")


def test_cv_table_reports_the_worst_video_the_crf_lowers(tmp_path):
    """The CRF rows name the video whose max F the CRF lowered most, over folds and seeds."""

    def scores(name, values):
        path = tmp_path / f"{name}.csv"
        pd.DataFrame({"video": list(values), "maxF": list(values.values())}).to_csv(path)
        return path

    methods = ["STAN", "STAN-s1", "STAN+crf", "STAN-s1+crf"]
    rows = [{"method": m, "n_videos": 2, "maxF": 0.7} for m in methods]
    tables = {f: fold_table(tmp_path / f"{f}.csv", rows) for f in ("f0", "f1")}
    per_video = {
        "f0": {
            "STAN": scores("a", {"bear": 0.80, "cows": 0.50}),
            "STAN-s1": scores("b", {"bear": 0.80, "cows": 0.50}),
            "STAN+crf": scores("c", {"bear": 0.85, "cows": 0.49}),
            "STAN-s1+crf": scores("d", {"bear": 0.70, "cows": 0.55}),
        },
        "f1": {
            "STAN": scores("e", {"dog": 0.60}),
            "STAN-s1": scores("f", {"dog": 0.60}),
            "STAN+crf": scores("g", {"dog": 0.61}),
            "STAN-s1+crf": scores("h", {"dog": 0.57}),
        },
    }
    out = cv_table(tables, tmp_path / "cv.csv", scores=per_video).set_index("method")
    crf = out.loc["STAN+crf"]
    assert crf["crf_worst_delta"] == pytest.approx(-0.10)
    assert crf["crf_worst_video"] == "f0/bear, seed 1"
    assert crf["crf_videos_down"] == 2  # bear (-0.10) and dog (-0.03); cows -0.01 is within
    assert math.isnan(out.loc["STAN", "crf_worst_delta"])
    per_video["f1"]["STAN+crf"] = scores("i", {"cat": 0.6})
    with pytest.raises(InputError, match="other videos"):
        cv_table(tables, tmp_path / "cv2.csv", scores=per_video)
