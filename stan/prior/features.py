"""Deep features per superpixel, two ways behind one interface.

- ``patch`` (ref. 48's way): crop each superpixel's bounding box from the image, resize it to
  ``patch_size`` x ``patch_size``, run the AlexNet trunk on the batch of crops and average its
  relu5 map: one forward per superpixel.
- ``pooled``: run the trunk once on the whole image and average its relu5 map over each
  superpixel. A feature cell contributes with the share of it the superpixel covers, so a
  superpixel that covers the whole image gets the plain mean of the map, which is exactly what
  ``patch`` computes when the image is already ``patch_size`` square.
"""

from __future__ import annotations

import cv2
import numpy as np
import torch

from stan.prior.alexnet import AlexNetFeatures


def _to_tensor(image: np.ndarray, device) -> torch.Tensor:
    """(h, w, 3) uint8 -> (1, 3, h, w) float on ``device``."""
    return torch.from_numpy(np.ascontiguousarray(image)).to(device).permute(2, 0, 1)[None].float()


def cell_coverage(labels: np.ndarray, n: int, feat_hw: tuple[int, int]) -> np.ndarray:
    """(n, fh * fw) float32: the share of each feature cell covered by each superpixel.

    Pixel (y, x) of an (h, w) label map falls into cell (y * fh // h, x * fw // w).
    """
    h, w = labels.shape
    fh, fw = feat_hw
    rows = (np.arange(h) * fh // h)[:, None]
    cols = (np.arange(w) * fw // w)[None, :]
    cell = (rows * fw + cols).ravel()
    counts = np.bincount(labels.ravel() * (fh * fw) + cell, minlength=n * fh * fw)
    counts = counts.reshape(n, fh * fw).astype(np.float32)
    return counts / np.maximum(counts.sum(0, keepdims=True), 1)


def pooled_features(
    trunk: AlexNetFeatures, image: np.ndarray, labels: np.ndarray, n: int
) -> torch.Tensor:
    """(n, 256) features: one trunk forward, relu5 averaged over each superpixel."""
    device = next(trunk.parameters()).device
    fmap = trunk(_to_tensor(image, device))[0]  # (256, fh, fw)
    c, fh, fw = fmap.shape
    cover = torch.from_numpy(cell_coverage(labels, n, (fh, fw))).to(device)
    cover = cover / cover.sum(1, keepdim=True).clamp_min(1e-12)
    return cover @ fmap.reshape(c, fh * fw).T


def crop_patches(image: np.ndarray, boxes: np.ndarray, size: int) -> np.ndarray:
    """(len(boxes), size, size, 3) uint8 crops of the boxes ``x0, y0, x1, y1``, resized."""
    out = np.empty((len(boxes), size, size, 3), np.uint8)
    for i, (x0, y0, x1, y1) in enumerate(boxes):
        out[i] = cv2.resize(image[y0:y1, x0:x1], (size, size), interpolation=cv2.INTER_LINEAR)
    return out


def patch_features(
    trunk: AlexNetFeatures,
    image: np.ndarray,
    boxes: np.ndarray,
    size: int,
    batch_size: int = 256,
) -> torch.Tensor:
    """(len(boxes), 256) features: the trunk on each box's resized crop, relu5 averaged."""
    device = next(trunk.parameters()).device
    crops = crop_patches(image, boxes, size)
    out = []
    for start in range(0, len(crops), batch_size):
        batch = torch.from_numpy(crops[start : start + batch_size]).to(device)
        out.append(trunk(batch.permute(0, 3, 1, 2)).mean(dim=(2, 3)))
    if not out:
        return torch.zeros((0, 256), device=device)
    return torch.cat(out)
