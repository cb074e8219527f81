"""OpenCV optical-flow backends: DIS (default), Farneback and TV-L1.

Each backend maps two RGB uint8 frames to an (H, W, 2) float32 flow from the first to the second
(u right, v down, in pixels). TV-L1 lives in OpenCV's contrib modules; it is available only when
``opencv-contrib-python-headless`` is installed instead of ``opencv-python-headless``.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

DIS_PRESETS = {
    "ultrafast": cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST,
    "fast": cv2.DISOPTICAL_FLOW_PRESET_FAST,
    "medium": cv2.DISOPTICAL_FLOW_PRESET_MEDIUM,
}


def _gray(frame: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)


def dis(preset: str = "medium") -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """Dense Inverse Search (Kroeger et al., ECCV 2016)."""
    if preset not in DIS_PRESETS:
        raise ValueError(
            f"unknown DIS preset {preset!r} (config key flow.dis_preset); use {sorted(DIS_PRESETS)}"
        )
    engine = cv2.DISOpticalFlow_create(DIS_PRESETS[preset])

    def run(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return engine.calc(_gray(a), _gray(b), None)

    return run


def farneback() -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """Polynomial-expansion flow (Farneback, SCIA 2003) with OpenCV's usual parameters."""

    def run(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return cv2.calcOpticalFlowFarneback(_gray(a), _gray(b), None, 0.5, 4, 15, 3, 5, 1.2, 0)

    return run


def tvl1() -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """Dual TV-L1 flow (Zach et al., 2007), from OpenCV contrib."""
    optflow = getattr(cv2, "optflow", None)
    if optflow is None or not hasattr(optflow, "DualTVL1OpticalFlow_create"):
        raise RuntimeError(
            "flow.method 'tvl1' needs OpenCV's contrib modules: "
            "pip uninstall opencv-python-headless && pip install opencv-contrib-python-headless, "
            "or choose flow.method: dis"
        )
    engine = optflow.DualTVL1OpticalFlow_create()

    def run(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return engine.calc(_gray(a), _gray(b), None)

    return run


def tvl1_available() -> bool:
    try:
        tvl1()
    except RuntimeError:
        return False
    return True
