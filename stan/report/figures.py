"""Figures beyond the PR curves: a qualitative grid (paper Figure 8), an ablation chart (Figure 6).

The PR and F-measure-vs-threshold curves of every method are drawn by ``stan.evaluate.plot_pr``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from stan.data.manifest import load_manifest  # noqa: E402
from stan.io import InputError, atomic_path, read_gray, read_image, reading  # noqa: E402

log = logging.getLogger(__name__)


def showcase_frame(manifest: pd.DataFrame, video: str) -> pd.Series:
    """The frame a figure shows for ``video``: its first annotated frame, else its first frame."""
    frames = manifest[manifest["video"] == video]
    if frames.empty:
        raise InputError(f"video {video!r} is not in the manifest (config key report.videos)")
    annotated = frames[frames["gt"].astype(str).str.strip() != ""]
    return (annotated if not annotated.empty else frames).iloc[0]


def _save(fig, out_png: str | Path, dpi: int = 110) -> None:
    with atomic_path(out_png) as tmp:
        fig.savefig(tmp, format="png", dpi=dpi)
    plt.close(fig)


def qualitative_grid(
    manifest_csv: str | Path,
    videos: Sequence[str],
    method_roots: dict[str, str | Path],
    out_png: str | Path,
    title: str = "",
) -> None:
    """One row per video: the frame, its ground truth, then each method's saliency map.

    ``method_roots``: method -> folder of its maps (``<root>/<video>/<frame>.png``).
    """
    if not videos:
        raise InputError("no video to show; list some under report.videos or add test videos")
    manifest = load_manifest(manifest_csv)
    columns = ["frame", "ground truth", *method_roots]
    first = read_image(showcase_frame(manifest, videos[0])["image"])
    aspect = first.shape[1] / first.shape[0]
    cell_w = 2.2
    fig, axes = plt.subplots(
        len(videos),
        len(columns),
        figsize=(cell_w * len(columns), cell_w / aspect * len(videos) + 0.7),
        squeeze=False,
    )
    for r, video in enumerate(videos):
        row = showcase_frame(manifest, video)
        image = read_image(row["image"])
        panels: list[np.ndarray | None] = [image, read_gray(row["gt"]) if row["gt"] else None]
        for method, root in method_roots.items():
            path = Path(root) / video / f"{row['frame']}.png"
            if not path.is_file():
                raise InputError(f"{path}: saliency map of {method!r} missing; run its stage")
            panels.append(read_gray(path))
        for c, panel in enumerate(panels):
            ax = axes[r, c]
            ax.set_xticks([])
            ax.set_yticks([])
            if panel is None:
                ax.imshow(np.full(image.shape[:2], 235, np.uint8), cmap="gray", vmin=0, vmax=255)
                ax.text(0.5, 0.5, "no ground truth", ha="center", va="center", fontsize=8,
                        transform=ax.transAxes)  # fmt: skip
            elif panel.ndim == 3:
                ax.imshow(panel)
            else:
                ax.imshow(panel, cmap="gray", vmin=0, vmax=255)
            if r == 0:
                ax.set_title(columns[c], fontsize=9)
            if c == 0:
                ax.set_ylabel(f"{video}\n{row['frame']}", fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    _save(fig, out_png)
    log.info("wrote %s (%d videos x %d methods)", out_png, len(videos), len(method_roots))


def ablation_chart(
    table_csv: str | Path, variants: Sequence[str], out_png: str | Path, title: str = ""
) -> list[str]:
    """Bar charts of max F and MAE per variant (paper Figure 6), from a benchmark table.

    Shows the ``variants`` present in the table, in that order; when none is, every method of the
    table (the figure's title says so). Returns the methods shown.
    """
    table_csv = Path(table_csv)
    if not table_csv.is_file():
        raise InputError(f"{table_csv}: benchmark table not found; run the evaluate stage")
    with reading(table_csv, "benchmark table"):
        table = pd.read_csv(table_csv)
    missing = [c for c in ("method", "maxF", "MAE") if c not in table.columns]
    if missing or table.empty:
        raise InputError(f"{table_csv}: not a benchmark table (missing {missing} or no rows)")
    table = table.set_index("method")
    shown = [v for v in variants if v in table.index]
    heading = "ablation variants"
    if not shown:
        shown = list(table.index)
        heading = f"no ablation variant ({', '.join(variants)}) evaluated: all methods"
    fig, axes = plt.subplots(1, 2, figsize=(max(6.0, 1.1 * len(shown) + 3), 3.8))
    positions = np.arange(len(shown))
    for ax, column, label in (
        (axes[0], "maxF", "max F-measure (higher is better)"),
        (axes[1], "MAE", "MAE (lower is better)"),
    ):
        values = table.loc[shown, column].to_numpy(dtype=float)
        bars = ax.bar(positions, values, color="tab:blue" if column == "maxF" else "tab:orange")
        ax.bar_label(bars, labels=[f"{v:.3f}" for v in values], fontsize=8, padding=2)
        slanted = len(shown) > 4 or max(len(m) for m in shown) > 8
        ax.set_xticks(
            positions, shown, rotation=30 if slanted else 0, ha="right" if slanted else "center"
        )
        top = np.nanmax(values) if np.isfinite(values).any() else 1.0
        ax.set_ylim(0, 1.05 if column == "maxF" else max(top * 1.25, 0.01))
        ax.set_title(label, fontsize=9)
        ax.grid(axis="y", alpha=0.3)
    fig.suptitle(f"{title}: {heading}" if title else heading, fontsize=10)
    fig.tight_layout()
    _save(fig, out_png)
    log.info("wrote %s (%s)", out_png, ", ".join(shown))
    return shown
