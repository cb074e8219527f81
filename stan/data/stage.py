"""Stage functions of the data stage: build a dataset's manifest, generate the synthetic set."""

from __future__ import annotations

import logging
from pathlib import Path

from stan.data.manifest import write_manifest
from stan.data.synthetic import SyntheticConfig, generate
from stan.io import InputError

log = logging.getLogger(__name__)


def index_dataset(adapter: str, settings: dict, cache_dir: str | Path):
    """Run the adapter named ``adapter`` with its config section ``settings``.

    ``cache_dir`` receives converted masks (FBMS, SegTrackV2) or decoded frames (videos). Without
    ``test_split`` each adapter uses its own default: DAVIS ``val``, FBMS ``Testset``,
    SegTrackV2 ``none`` (all training, as in the paper), videos ``all``. The ``fold`` adapter
    reads the base dataset's manifest (``root``) and makes one cross-validation fold of it
    (``stan.data.folds``).
    """
    root = settings.get("root", "")
    if adapter == "fold":  # root: the base dataset's manifest CSV
        from stan.data.folds import fold_manifest

        return fold_manifest(root, settings.get("folds"), settings.get("fold"))
    split = {"test_split": settings["test_split"]} if "test_split" in settings else {}
    if adapter in ("davis", "synthetic"):
        from stan.data.davis import index_davis

        return index_davis(root, **split)
    if adapter == "fbms":
        from stan.data.fbms import index_fbms

        return index_fbms(root, gt_cache=Path(cache_dir), **split)
    if adapter == "segtrackv2":
        from stan.data.segtrackv2 import index_segtrackv2

        return index_segtrackv2(root, gt_cache=Path(cache_dir), **split)
    if adapter == "videos":
        from stan.data.videos import index_videos

        return index_videos(root, frames_dir=Path(cache_dir), **split)
    raise InputError(f"unknown dataset adapter {adapter!r} (config key data.<dataset>.adapter)")


def build_manifest(
    adapter: str, settings: dict, out_csv: str | Path, cache_dir: str | Path
) -> None:
    """Index a dataset and write its manifest CSV."""
    df = index_dataset(adapter, settings, cache_dir)
    write_manifest(df, out_csv)
    counts = df.groupby("split")["video"].nunique().to_dict()
    log.info("%s: %d frames, videos per split %s -> %s", adapter, len(df), counts, out_csv)


def build_synthetic(settings: dict, root: str | Path) -> None:
    """Generate the built-in synthetic dataset in the DAVIS layout."""
    cfg = SyntheticConfig(**settings)
    generate(cfg, root)
    log.info("synthetic set %s written to %s", cfg, root)
