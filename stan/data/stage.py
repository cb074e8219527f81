"""Stage functions of the data stage: build a dataset's manifest, generate the synthetic set."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from stan.data.check import check_lengths
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


def source_files(adapter: str, settings: dict) -> list[str]:
    """What the adapter reads from the dataset root to index it, for the manifest's inputs.

    DAVIS: the frame and mask folders (a folder's time changes when a file is added, removed or
    renamed in it), the split files and ``db_info.yml``; changing a frame in place does not
    rerun the manifest (the video's ``check_frames`` job and the rules reading the frame do).
    The other adapters convert masks or decode videos while indexing, so every file under their
    root counts. The synthetic set is the workflow's own output (tracked as a folder); a fold
    (adapter ``fold``) has no root of its own.
    """
    if adapter in ("synthetic", "fold") or not settings.get("root"):
        return []  # a fold reads only its base dataset's manifest (its only input)
    root = Path(settings["root"])
    if not root.is_dir():
        return []
    if adapter != "davis":
        return [str(f) for f in _walk(root, files=True)]
    sources = [root / "db_info.yml"] if (root / "db_info.yml").is_file() else []
    for sub in ("JPEGImages", "Annotations"):
        if (root / sub / "480p").is_dir():
            sources += _walk(root / sub / "480p", files=False)
    if (root / "ImageSets" / "480p").is_dir():
        sources += _walk(root / "ImageSets" / "480p", files=True)
    return [str(f) for f in sources]


def _walk(folder: Path, files: bool) -> list[Path]:
    """The non-hidden files (or the folders, ``folder`` included) under ``folder``, sorted."""
    found = [] if files else [folder]
    for parent, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        if files:
            found += [Path(parent) / n for n in sorted(names) if not n.startswith(".")]
        else:
            found += [Path(parent) / d for d in dirs]
    return found


def build_manifest(
    adapter: str,
    settings: dict,
    out_csv: str | Path,
    cache_dir: str | Path,
    dataset: str = "<dataset>",
) -> None:
    """Index a dataset and write its manifest CSV (the frames are checked per video later)."""
    df = index_dataset(adapter, settings, cache_dir)
    check_lengths(df, f"data.{dataset}.root")
    write_manifest(df, out_csv)
    counts = df.groupby("split")["video"].nunique().to_dict()
    log.info("%s: %d frames, videos per split %s -> %s", adapter, len(df), counts, out_csv)


def build_synthetic(settings: dict, root: str | Path) -> None:
    """Generate the built-in synthetic dataset in the DAVIS layout."""
    cfg = SyntheticConfig(**settings)
    generate(cfg, root)
    log.info("synthetic set %s written to %s", cfg, root)
