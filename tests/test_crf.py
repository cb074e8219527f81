"""Dense-CRF refinement: it sharpens blurred maps, the stage writes one PNG per frame."""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest
import yaml

from stan.crf import CRFConfig, refine_map, refine_video, saliency_unary
from stan.io import InputError, read_gray, read_mask, write_png

REPO = Path(__file__).resolve().parents[1]


def synthetic_object(seed: int = 0, shift: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """An orange ellipse and a bar on a noisy blue background: (RGB uint8, bool mask)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:96, :128]
    mask = ((yy - 50) / 22) ** 2 + ((xx - 60 - shift) / 30) ** 2 < 1
    mask |= (np.abs(yy - 30) < 6) & (np.abs(xx - 85 - shift) < 14)
    image = np.empty((96, 128, 3), np.float32)
    image[:] = (60, 110, 160)
    image[mask] = (200, 80, 40)
    image += rng.normal(0, 8, image.shape)
    return np.clip(image, 0, 255).astype(np.uint8), mask


def blurred_map(mask: np.ndarray) -> np.ndarray:
    """A coarse network-like map: the mask grown by 4 px, blurred, squeezed to [0.1, 0.9]."""
    grown = cv2.dilate(mask.astype(np.uint8), np.ones((9, 9), np.uint8)).astype(np.float32)
    return cv2.GaussianBlur(grown, (0, 0), 5) * 0.8 + 0.1


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / (a | b).sum())


def test_crf_sharpens_a_blurred_map_toward_the_mask():
    image, mask = synthetic_object()
    coarse = blurred_map(mask)
    refined = refine_map(image, np.rint(coarse * 255).astype(np.uint8), CRFConfig(keep_input=0))
    assert refined.shape == mask.shape and refined.dtype == np.float32
    assert 0.0 <= refined.min() and refined.max() <= 1.0
    before, after = iou(coarse > 0.5, mask), iou(refined > 0.5, mask)
    assert before < 0.8 and after > 0.95, (before, after)
    assert np.abs(refined - mask).mean() < 0.25 * np.abs(coarse - mask).mean()
    # the default output keeps half of the (stretched) input: still the mask at 0.5, less error
    default = refine_map(image, np.rint(coarse * 255).astype(np.uint8))
    assert iou(default > 0.5, mask) > 0.95
    assert np.abs(default - mask).mean() < 0.75 * np.abs(coarse - mask).mean()


def test_half_scale_agrees_with_full_resolution():
    image, mask = synthetic_object()
    coarse = np.rint(blurred_map(mask) * 255).astype(np.uint8)
    full = refine_map(image, coarse)
    half = refine_map(image, coarse, CRFConfig(scale=0.5))
    assert half.shape == full.shape and 0.0 <= half.min() and half.max() <= 1.0
    assert iou(half > 0.5, full > 0.5) > 0.9 and iou(half > 0.5, mask) > 0.9  # 48x64 grid


def test_pairwise_terms_do_the_work():
    """Without pairwise terms the CRF keeps the unary's decision: the map's own threshold."""
    image, mask = synthetic_object()
    coarse = blurred_map(mask)
    unary_only = CRFConfig(gaussian_compat=0, bilateral_compat=0)
    refined = refine_map(image, coarse, unary_only)
    np.testing.assert_array_equal(refined > 0.5, coarse > 0.5)


def test_float_and_uint8_maps_agree_and_bad_input_is_refused():
    image, mask = synthetic_object()
    coarse = np.rint(blurred_map(mask) * 255).astype(np.uint8)
    from_uint8 = refine_map(image, coarse)
    from_float = refine_map(image, coarse.astype(np.float32) / 255)
    np.testing.assert_allclose(from_uint8, from_float, atol=1e-5)
    with pytest.raises(InputError, match="must match"):
        refine_map(image, coarse[:-1])
    with pytest.raises(InputError, match=r"\[0, 1\]"):
        refine_map(image, coarse.astype(np.float32))


def test_unary_is_negative_log_probability_and_finite():
    unary = saliency_unary(np.array([[0.0, 0.5, 1.0]]), prob_clip=1e-5)
    assert unary.shape == (2, 3) and unary.dtype == np.float32
    np.testing.assert_allclose(unary[:, 1], [np.log(2), np.log(2)], rtol=1e-6)
    np.testing.assert_allclose(unary[1, 0], -np.log(1e-5), rtol=1e-5)  # salient cost at p = 0
    np.testing.assert_allclose(unary[0, 2], -np.log(1e-5), rtol=1e-3)  # background cost at 1
    assert np.isfinite(unary).all()


def test_config_defaults_match_config_yaml_and_schema():
    config = yaml.safe_load((REPO / "config.yaml").read_text())["crf"]
    schema = yaml.safe_load((REPO / "workflow" / "schemas" / "config.schema.yaml").read_text())
    properties = schema["properties"]["crf"]["properties"]
    defaults = CRFConfig().to_dict()
    assert set(config) == set(properties) == set(defaults)
    for key, value in defaults.items():
        assert config[key] == value == properties[key]["default"], key
    assert CRFConfig.from_dict(config) == CRFConfig()


def test_config_errors_name_the_key():
    with pytest.raises(InputError, match="crf: unknown keys"):
        CRFConfig.from_dict({"iteration": 5})
    with pytest.raises(InputError, match="crf.iterations"):
        CRFConfig(iterations=0)
    with pytest.raises(InputError, match="crf.bilateral_srgb"):
        CRFConfig(bilateral_srgb=0)
    with pytest.raises(InputError, match="crf.scale"):
        CRFConfig(scale=1.5)
    with pytest.raises(InputError, match="crf.normalize"):
        CRFConfig(normalize="max")
    with pytest.raises(InputError, match="crf.keep_input"):
        CRFConfig(keep_input=1.0)
    with pytest.raises(InputError, match="crf.peak_percentile"):
        CRFConfig(peak_percentile=0)


def tiny_video(root: Path, n_frames: int = 3) -> pd.DataFrame:
    """Frames, masks and blurred maps of one moving object; returns the manifest."""
    rows = []
    for i in range(n_frames):
        image, mask = synthetic_object(seed=i, shift=3 * i)
        frame = f"{i:05d}"
        image_path = root / "frames" / f"{frame}.png"
        gt_path = root / "gt" / f"{frame}.png"
        write_png(image_path, image)
        write_png(gt_path, mask.astype(np.uint8) * 255)
        write_png(
            root / "maps" / "vid" / f"{frame}.png",
            np.rint(blurred_map(mask) * 255).astype(np.uint8),
        )
        rows.append(("vid", frame, str(image_path), str(gt_path), "test"))
    return pd.DataFrame(rows, columns=["video", "frame", "image", "gt", "split"])


def test_refine_video_writes_every_frame_and_workers_agree(tmp_path):
    manifest = tiny_video(tmp_path)
    csv = tmp_path / "manifest.csv"
    manifest.to_csv(csv, index=False)
    out1, out2 = tmp_path / "crf1" / "vid", tmp_path / "crf2" / "vid"
    assert refine_video(csv, "vid", tmp_path / "maps" / "vid", out1, {}) == 3
    assert refine_video(manifest, "vid", tmp_path / "maps" / "vid", out2, {}, workers=2) == 3
    assert sorted(p.name for p in out1.iterdir()) == ["00000.png", "00001.png", "00002.png"]
    for row in manifest.itertuples():
        a, b = read_gray(out1 / f"{row.frame}.png"), read_gray(out2 / f"{row.frame}.png")
        np.testing.assert_array_equal(a, b)
        assert iou(a > 127, read_mask(row.gt)) > 0.95
    # a second run replaces the folder; no temporary folder is left beside it
    refine_video(csv, "vid", tmp_path / "maps" / "vid", out1, {"iterations": 2})
    assert sorted(p.name for p in out1.parent.iterdir()) == ["vid"]


def test_refine_video_errors(tmp_path):
    manifest = tiny_video(tmp_path, n_frames=2)
    (tmp_path / "maps" / "vid" / "00001.png").unlink()
    with pytest.raises(InputError, match=r"1 of 2 saliency maps .* missing.*00001\.png"):
        refine_video(manifest, "vid", tmp_path / "maps" / "vid", tmp_path / "out" / "vid", {})
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
    with pytest.raises(InputError, match="video 'nope' has no frames"):
        refine_video(manifest, "nope", tmp_path / "maps" / "vid", tmp_path / "out" / "x", {})


def test_missing_pydensecrf_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "pydensecrf.densecrf", None)
    image, mask = synthetic_object()
    with pytest.raises(ImportError, match="pydensecrf2"):
        refine_map(image, blurred_map(mask))


def weak_map(mask: np.ndarray, peak: float = 0.3) -> np.ndarray:
    """A map with the right ranking but a low peak (an undertrained network): 8-bit."""
    blurred = cv2.GaussianBlur(mask.astype(np.float32), (0, 0), 4)
    return np.rint(blurred / blurred.max() * peak * 255).astype(np.uint8)


def test_a_weak_map_is_erased_read_as_is_and_kept_when_normalised():
    """Peak 0.3: no pixel has P(salient) > 0.5, so map / 255 as the unary labels everything
    background; stretched per frame (the default) or by the video's peak the object survives."""
    image, mask = synthetic_object()
    weak = weak_map(mask)
    raw = refine_map(image, weak, CRFConfig(normalize="none"))
    assert (raw > 0.5).sum() == 0
    for cfg in (CRFConfig(), CRFConfig(normalize="video")):
        refined = refine_map(image, weak, cfg, peak=weak.max() / 255)
        assert iou(refined > 0.5, mask) > 0.9, cfg.normalize
    # per-frame stretch: the result does not depend on the map's scale
    np.testing.assert_allclose(
        refine_map(image, weak), refine_map(image, weak_map(mask, 0.9)), atol=0.02
    )
    with pytest.raises(InputError, match="needs the video's peak"):
        refine_map(image, weak, CRFConfig(normalize="video"))


def test_keep_input_blends_the_marginal_with_the_normalised_map():
    image, mask = synthetic_object()
    coarse = np.rint(blurred_map(mask) * 255).astype(np.uint8)
    marginal = refine_map(image, coarse, CRFConfig(keep_input=0))
    blended = refine_map(image, coarse, CRFConfig(keep_input=0.25))
    stretched = (coarse - coarse.min()) / (coarse.max() - coarse.min())
    np.testing.assert_allclose(blended, 0.75 * marginal + 0.25 * stretched, atol=1e-5)


def test_refine_video_with_the_video_peak(tmp_path):
    manifest = tiny_video(tmp_path, n_frames=2)
    for row in manifest.itertuples():  # make the maps weak: peak 0.3
        path = tmp_path / "maps" / "vid" / f"{row.frame}.png"
        write_png(path, np.rint(read_gray(path) * 0.3).astype(np.uint8))
    out = tmp_path / "crf" / "vid"
    refine_video(manifest, "vid", tmp_path / "maps" / "vid", out, {"normalize": "video"})
    for row in manifest.itertuples():
        assert iou(read_gray(out / f"{row.frame}.png") > 127, read_mask(row.gt)) > 0.9
