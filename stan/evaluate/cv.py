"""Cross-validation summary: one row per method, mean and spread over folds and seeds.

Fold tables are the benchmark tables (``stan.evaluate.table``) of the fold datasets; a method
named with a seed suffix (``STAN-s1``, ``STAN-s1+crf``: the same variant trained with
``train.seed + 1``) counts as one more run of its base method (``STAN``, ``STAN+crf``).
A seed ensemble (``STAN-ens3``: the mean of the maps of ``STAN``, ``STAN-s1``, ``STAN-s2``) is
a method of its own, one run per fold.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import numpy as np
import pandas as pd

from stan.evaluate.table import TABLE_COLUMNS
from stan.io import InputError, atomic_path

log = logging.getLogger(__name__)

CRF_SUFFIX = "+crf"
SEED_PATTERN = re.compile(r"^(?P<base>.+?)-s(?P<offset>[1-9][0-9]*)$")
ENSEMBLE_PATTERN = re.compile(r"^(?P<base>.+?)-ens(?P<size>[2-9]|[1-9][0-9]+)$")
#: the largest per-video max F loss the CRF is allowed (issue: it must never destroy a map)
CRF_TOLERANCE = 0.02
#: columns the CRF rows of the CV table add (cv_table)
CRF_COLUMNS = ["crf_worst_delta", "crf_worst_video", "crf_videos_down"]
#: scores summarised (each as <name>_mean and <name>_std)
CV_SCORES = tuple(c for c in TABLE_COLUMNS if c not in ("method", "n_videos", "n_frames"))


def split_seed(name: str) -> tuple[str, int]:
    """``STAN-s2`` -> (``STAN``, 2); ``STAN-s2+crf`` -> (``STAN+crf``, 2); no suffix: offset 0."""
    crf = name.endswith(CRF_SUFFIX)
    core = name.removesuffix(CRF_SUFFIX)
    match = SEED_PATTERN.match(core)
    base, offset = (match["base"], int(match["offset"])) if match else (core, 0)
    return base + (CRF_SUFFIX if crf else ""), offset


def seed_name(base: str, offset: int) -> str:
    """The inverse of :func:`split_seed`: (``STAN+crf``, 2) -> ``STAN-s2+crf``; offset 0 -> base."""
    crf = base.endswith(CRF_SUFFIX)
    core = base.removesuffix(CRF_SUFFIX)
    return (f"{core}-s{offset}" if offset else core) + (CRF_SUFFIX if crf else "")


def ensemble_members(name: str) -> list[str]:
    """The methods whose maps a seed ensemble averages; [] when ``name`` is not one.

    ``STAN-ens3`` -> [``STAN``, ``STAN-s1``, ``STAN-s2``] (the ensemble's own ``+crf`` refines
    the averaged maps); ``STAN+crf-ens3`` -> [``STAN+crf``, ``STAN-s1+crf``, ``STAN-s2+crf``]
    (the mean of the refined maps). At least two members; seeds are ``train.seed + 0 .. n-1``.
    """
    match = ENSEMBLE_PATTERN.match(name)
    if match is None:
        return []
    return [seed_name(match["base"], k) for k in range(int(match["size"]))]


def crf_changes(scores: dict[str, dict[str, str | Path]]) -> pd.DataFrame:
    """Per-video max F change of each ``M+crf`` over its input ``M``, in every fold.

    ``scores``: fold -> method -> per-video score CSV (``stan score`` output). Returns one row
    per (fold, crf method, video) with ``method`` (the base name, e.g. ``STAN+crf``), ``fold``,
    ``seed``, ``video`` and ``delta`` (max F of the refined map minus that of its input).
    """
    rows = []
    for fold, methods in scores.items():
        for name, path in methods.items():
            source = name.removesuffix(CRF_SUFFIX)
            if source == name or source not in methods:
                continue
            refined = _video_maxf(path)
            plain = _video_maxf(methods[source])
            if set(refined) != set(plain):
                raise InputError(f"{path}: scores other videos than its input's; rerun it")
            base, offset = split_seed(name)
            rows += [
                {
                    "method": base,
                    "fold": fold,
                    "seed": offset,
                    "video": v,
                    "delta": refined[v] - plain[v],
                }
                for v in sorted(refined)
            ]
    return pd.DataFrame(rows, columns=["method", "fold", "seed", "video", "delta"])


def _video_maxf(path: str | Path) -> dict[str, float]:
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: per-video scores not found; run its score rule")
    table = pd.read_csv(path, dtype={"video": str})
    if not {"video", "maxF"} <= set(table.columns):
        raise InputError(f"{path}: not a per-video score table (video, maxF); rerun it")
    return dict(zip(table["video"], table["maxF"].astype(float), strict=True))


def cv_table(
    fold_tables: dict[str, str | Path],
    out_csv: str | Path,
    scores: dict[str, dict[str, str | Path]] | None = None,
) -> pd.DataFrame:
    """Write the summary of the fold tables (fold name -> table CSV); rows in first-seen order.

    Columns: ``method``, ``n_runs`` (folds x seeds), ``n_folds``, ``n_seeds``, ``n_videos``
    (summed over the folds of one seed: every training video once), then ``<score>_mean`` and
    ``<score>_std`` (sample standard deviation over the runs; NaN for a single run) of every
    score of the benchmark table. Each run is one fold's mean over its test videos.

    With ``scores`` (fold -> method -> per-video score CSV), the rows of ``M+crf`` methods also
    get ``crf_worst_delta`` (the lowest per-video max F change of the CRF over its input ``M``,
    over every fold, seed and video), ``crf_worst_video`` (``fold/video, seed k`` of it) and
    ``crf_videos_down`` (how many videos lost more than 0.02); other rows leave them empty.
    """
    if not fold_tables:
        raise InputError("no fold tables given; define fold datasets (data.<name>.adapter: fold)")
    runs = []
    for fold, path in fold_tables.items():
        path = Path(path)
        if not path.is_file():
            raise InputError(f"{path}: table of fold {fold!r} not found; run its table rule")
        table = pd.read_csv(path)
        missing = [c for c in TABLE_COLUMNS if c not in table.columns]
        if missing:
            raise InputError(f"{path}: not a benchmark table (missing {missing}); rerun it")
        for row in table.to_dict("records"):
            base, offset = split_seed(str(row["method"]))
            runs.append({**row, "method": base, "seed": offset, "fold": fold})
    runs = pd.DataFrame(runs)
    rows = []
    for method, group in runs.groupby("method", sort=False):
        row = {
            "method": method,
            "n_runs": len(group),
            "n_folds": group["fold"].nunique(),
            "n_seeds": group["seed"].nunique(),
            "n_videos": int(group["n_videos"].sum() / group["seed"].nunique()),
        }
        for score in CV_SCORES:
            values = group[score].to_numpy(dtype=np.float64)
            values = values[~np.isnan(values)]
            row[f"{score}_mean"] = float(values.mean()) if len(values) else np.nan
            row[f"{score}_std"] = float(values.std(ddof=1)) if len(values) > 1 else np.nan
        if row["n_runs"] != row["n_folds"] * row["n_seeds"]:
            log.warning("%s: %d runs are not folds x seeds", method, row["n_runs"])
        rows.append(row)
    out = pd.DataFrame(rows)
    if scores is not None:
        worst = {}
        for method, group in crf_changes(scores).groupby("method", sort=False):
            low = group.loc[group["delta"].idxmin()]
            worst[method] = {
                "crf_worst_delta": float(low["delta"]),
                "crf_worst_video": f"{low['fold']}/{low['video']}, seed {low['seed']}",
                "crf_videos_down": int((group["delta"] < -CRF_TOLERANCE).sum()),
            }
        crf = pd.DataFrame.from_dict(worst, orient="index", columns=CRF_COLUMNS)
        out = out.join(crf.astype({"crf_videos_down": "Int64"}), on="method")
    with atomic_path(out_csv) as tmp:
        out.to_csv(tmp, index=False)
    log.info("wrote %s (%d methods over %d folds)", out_csv, len(out), len(fold_tables))
    return out
