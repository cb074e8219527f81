"""The ``coarse`` config section as a dataclass, validated with errors that name the key."""

from __future__ import annotations

from dataclasses import dataclass

from stan.io import InputError
from stan.sections import section_values


@dataclass(frozen=True)
class CoarseConfig:
    # saliency sources fused into the coarse labels (see stan.coarse.sources)
    sources: tuple = ("mbd", "rbd", "ft", "sr")
    # fusion weights: "fit" (non-negative least squares on ground-truth frames), "uniform",
    # or a mapping {source name: weight}; normalised to sum 1
    weights: object = "fit"
    # "fit" (one threshold maximising the mean IoU on ground-truth frames; it beat Otsu in
    # bench/coarse_quality.py), "otsu" per map (the paper's setting), or a fixed number in [0, 1]
    threshold: object = "fit"
    # keep ground truth only on every k-th frame of each training video (position 0, k, 2k, ...)
    # and label the others coarsely, as FBMS is labelled (k = 20); 0 keeps all ground truth
    sparse_gt_every: int = 0
    # at most this many ground-truth frames (spread evenly over the training split) fit weights
    fit_max_frames: int = 100
    # salient and background pixels drawn from each fitting frame (each class)
    fit_pixels_per_class: int = 1000
    # erase files are looked up as <erase_dir>/<dataset>/<video>.yaml (used by the rules)
    erase_dir: str = "workflow/erase"
    # frames per contact sheet (spread evenly over the coarse-labelled frames) and panel width
    sheet_frames: int = 12
    sheet_width: int = 240
    # seed of the pixel sampling for weight fitting
    seed: int = 0

    @classmethod
    def from_dict(cls, params: dict | None) -> CoarseConfig:
        """Build from the ``coarse`` config section; unknown keys and bad types are errors."""
        params = section_values(cls, params, "coarse")
        for key in (
            "sparse_gt_every",
            "fit_max_frames",
            "fit_pixels_per_class",
            "sheet_frames",
            "sheet_width",
            "seed",
        ):
            if key in params:
                value = params[key]
                if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                    raise InputError(
                        f"config key coarse.{key} must be a non-negative integer, got {value!r}"
                    )
        for key in ("fit_max_frames", "fit_pixels_per_class", "sheet_width"):
            if params.get(key, 1) == 0:
                raise InputError(f"config key coarse.{key} must be at least 1")
        threshold = params.get("threshold", "fit")
        if threshold not in ("otsu", "fit") and (
            isinstance(threshold, bool)
            or not isinstance(threshold, int | float)
            or not 0 <= threshold <= 1
        ):
            raise InputError(
                f"config key coarse.threshold is {threshold!r}; use 'otsu', 'fit' or a number in "
                "[0, 1]"
            )
        weights = params.get("weights", "fit")
        if weights not in ("fit", "uniform") and not isinstance(weights, dict):
            raise InputError(
                f"config key coarse.weights is {weights!r}; use 'fit', 'uniform' or a mapping "
                "from source name to weight"
            )
        if "sources" in params and isinstance(params["sources"], list):
            params["sources"] = tuple(params["sources"])
        return cls(**params)
