"""Stage functions of the data stage: build a dataset's manifest, generate the synthetic set."""

from __future__ import annotations

import logging
from pathlib import Path

from stan.data.manifest import write_manifest
from stan.data.synthetic import SyntheticConfig, generate
from stan.io import InputError

log = logging.getLogger(__name__)


def index_dataset(adapter: str, settings: dict, gt_cache: str | Path):
    """Run the adapter named ``adapter`` with its config section ``settings``."""
    root = settings.get("root", "")
    test_split = settings.get("test_split")
    if adapter in ("davis", "synthetic"):
        from stan.data.davis import index_davis

        return index_davis(root, test_split=test_split or "val")
    if adapter == "fbms":
        from stan.data.fbms import index_fbms

        return index_fbms(root, test_split=test_split or "Testset", gt_cache=Path(gt_cache))
    if adapter == "segtrackv2":
        from stan.data.segtrackv2 import index_segtrackv2

        return index_segtrackv2(root, test_split=test_split or "all", gt_cache=Path(gt_cache))
    if adapter == "videos":
        from stan.data.videos import index_videos

        return index_videos(root, frames_dir=Path(gt_cache), test_split=test_split or "all")
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
