"""Precision-recall and F-measure-threshold curves of several methods on one dataset."""

from __future__ import annotations

import logging
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from stan.io import InputError, atomic_path, reading  # noqa: E402

log = logging.getLogger(__name__)

_CURVE_KEYS = ("thresholds", "precision", "recall", "fmeasure")


def load_curves(path: Path, method: str) -> dict[str, np.ndarray]:
    """Dataset-level curves written by ``score_method`` (keys ``thresholds``, ``precision``...)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: curves of method {method!r} not found; run its evaluate rule")
    with reading(path, f"curve file of method {method!r}"), np.load(path) as data:
        missing = [k for k in _CURVE_KEYS if k not in data.files]
        if missing:
            raise InputError(
                f"{path}: not a curve file of method {method!r} (missing {missing}); delete it "
                "and rerun its evaluate rule"
            )
        return {k: data[k] for k in _CURVE_KEYS}


def plot_pr(
    curve_files: dict[str, Path], out_png: Path, title: str, with_threshold_panel: bool = True
) -> None:
    """Plot the precision-recall curve of every method; optionally F-measure vs threshold too.

    Curves are dataset-level (mean over videos of per-video mean curves). The legend gives each
    method's maximum of its dataset F curve (the table's maxF is the mean of per-video maxima).
    """
    if not curve_files:
        raise InputError("no curve files given; list methods under evaluate.methods in config.yaml")
    n_panels = 2 if with_threshold_panel else 1
    fig, axes = plt.subplots(1, n_panels, figsize=(5.2 * n_panels, 4.6), squeeze=False)
    pr_ax = axes[0, 0]
    for method, path in curve_files.items():
        curves = load_curves(path, method)
        label = f"{method} (curve max F {curves['fmeasure'].max():.3f})"
        (line,) = pr_ax.plot(curves["recall"], curves["precision"], lw=1.6, label=label)
        if with_threshold_panel:
            axes[0, 1].plot(
                curves["thresholds"], curves["fmeasure"], lw=1.6, color=line.get_color()
            )
    pr_ax.set(xlabel="recall", ylabel="precision", xlim=(0, 1), ylim=(0, 1.02), title="PR curve")
    pr_ax.grid(alpha=0.3)
    pr_ax.legend(loc="lower left", fontsize="small")
    if with_threshold_panel:
        f_ax = axes[0, 1]
        f_ax.set(
            xlabel="threshold (8-bit, map >= t)",
            ylabel="F-measure (beta^2 = 0.3)",
            xlim=(0, 255),
            ylim=(0, 1.02),
            title="F-measure vs threshold",
        )
        f_ax.grid(alpha=0.3)
    fig.suptitle(title)
    fig.tight_layout()
    with atomic_path(out_png) as tmp:
        fig.savefig(tmp, format="png", dpi=120)
    plt.close(fig)
    log.info("wrote %s (%d methods)", out_png, len(curve_files))
