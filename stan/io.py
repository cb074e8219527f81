"""Reading and writing frames, masks and maps, with clear errors and atomic writes.

Every per-frame output of the pipeline (saliency maps, priors, coarse labels, CRF maps) is an
8-bit PNG named like the dataset's ground truth; ``write_png`` writes it through a temporary
file and a rename so that a killed job never leaves a half-written image behind.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np


class InputError(ValueError):
    """Bad user input: a message that names the file and says how to fix it."""


REBUILD = "delete it (`rm {path}`) and run snakemake again: it rebuilds the file"


def damaged_error(
    path: str | os.PathLike, what: str, err: BaseException, fix: str = REBUILD
) -> InputError:
    """The error for a cache, table or checkpoint that exists but cannot be read.

    It names the file, says it is damaged and the ``fix`` (by default: delete it, the workflow
    rebuilds it; ``{path}`` in it is filled in). The reader's own message is
    kept unless it advises unpickling (NumPy and PyTorch do so for a corrupt file), which is
    never the fix for a file this pipeline wrote.
    """
    text = str(err).strip()
    detail = type(err).__name__
    if text and "pickle" not in text.lower():
        detail += f": {text.splitlines()[0][:100]}"
    return InputError(f"{path}: damaged {what} ({detail}); {fix.format(path=path)}")


@contextlib.contextmanager
def reading(path: str | os.PathLike, what: str, fix: str = REBUILD) -> Iterator[None]:
    """Turn any failure to read ``path`` inside the block into :func:`damaged_error`."""
    try:
        yield
    except InputError:
        raise
    except Exception as err:
        raise damaged_error(path, what, err, fix) from None


def read_image(path: str | os.PathLike) -> np.ndarray:
    """Read a colour frame as an RGB ``uint8`` array of shape (H, W, 3)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: frame not found; check the dataset root in config.yaml")
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise InputError(f"{path}: cannot decode image (corrupt or not an image); replace the file")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def read_gray(path: str | os.PathLike) -> np.ndarray:
    """Read a single-channel 8-bit map (saliency map, prior, ground truth) as ``uint8`` (H, W).

    Colour or palette masks are reduced to their maximum channel and an alpha channel is dropped
    (DAVIS ``bear/00077.png`` has one), so any non-zero object pixel stays non-zero.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: map not found")
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if image is None:
        raise InputError(f"{path}: cannot decode image (corrupt or not an image); replace the file")
    if image.ndim == 3:
        image = image[..., :3].max(axis=2) if image.shape[2] >= 3 else image[..., 0]
    if image.dtype == np.uint16:
        image = (image >> 8).astype(np.uint8)
    if image.dtype == bool:
        image = image.astype(np.uint8) * 255
    return image.astype(np.uint8, copy=False)


def read_mask(path: str | os.PathLike) -> np.ndarray:
    """Read a ground-truth mask as ``bool`` (H, W): foreground is ``value > 128`` as in PySODMetrics.

    Binary masks stored as 0/1 are promoted to 0/255 first so they are not read as empty.
    """
    gray = read_gray(path)
    if gray.max() == 1:
        gray = gray * 255
    return gray > 128


def to_uint8(saliency: np.ndarray) -> np.ndarray:
    """Map a float saliency map in [0, 1] to ``uint8`` 0..255 (rounded, clipped)."""
    return np.clip(np.rint(np.asarray(saliency, dtype=np.float64) * 255.0), 0, 255).astype(np.uint8)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it onto ``path`` only on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; give outputs the usual permissions
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


@contextlib.contextmanager
def atomic_dir(path: str | os.PathLike) -> Iterator[Path]:
    """Yield an empty temporary folder next to ``path``; on success it replaces ``path`` (an
    older folder there is removed after the rename), on failure it is deleted: a killed job never
    leaves a partly written map folder behind."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.tmp-", dir=path.parent))
    try:
        yield tmp
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o777 & ~umask)  # mkdtemp made it private; give it a normal folder's mode
        old = None
        if path.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{path.name}.old-", dir=path.parent))
            os.replace(path, old / path.name)
        os.replace(tmp, path)
        if old is not None:
            shutil.rmtree(old)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)


def write_png(path: str | os.PathLike, image: np.ndarray) -> None:
    """Write an 8-bit grey (H, W) or RGB (H, W, 3) PNG atomically."""
    image = np.asarray(image)
    if image.dtype != np.uint8:
        raise TypeError(f"write_png expects uint8, got {image.dtype} for {path}")
    if image.ndim == 3:
        image = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    with atomic_path(path) as tmp:
        if not cv2.imwrite(str(tmp), image):
            raise OSError(f"{path}: could not write PNG")
