import numpy as np

from stan.baseline.flow_magnitude import (
    FlowMagnitudeConfig,
    camera_flow,
    flow_magnitude_saliency,
    residual_magnitude,
)


def camera_plus_object(h=80, w=120):
    """Flow of a zooming, panning camera plus a square object moving on its own."""
    gy, gx = np.mgrid[0:h, 0:w].astype(np.float32)
    flow = np.stack([0.02 * (gx - w / 2) + 2.0, 0.02 * (gy - h / 2) - 1.0], -1)
    obj = np.zeros((h, w), bool)
    obj[30:50, 60:85] = True
    flow[obj] += [5.0, 3.0]
    return flow, obj


def test_camera_motion_is_removed():
    flow, obj = camera_plus_object()
    residual = residual_magnitude(flow, FlowMagnitudeConfig())
    assert residual[~obj].max() < 0.1
    assert np.allclose(residual[obj], np.hypot(5, 3), atol=0.1)


def test_affine_and_none_models():
    flow, obj = camera_plus_object()
    affine = residual_magnitude(flow, FlowMagnitudeConfig(model="affine"))
    assert affine[~obj].max() < 0.1
    assert np.array_equal(camera_flow(flow, FlowMagnitudeConfig(model="none")), np.zeros_like(flow))


def test_saliency_highlights_the_moving_object():
    flow, obj = camera_plus_object()
    sal = flow_magnitude_saliency(flow)
    assert sal.dtype == np.float32 and 0 <= sal.min() and sal.max() <= 1
    assert sal[obj].mean() > 0.8 and sal[~obj].mean() < 0.1


def test_static_frame_is_not_stretched_into_noise():
    flow = np.random.default_rng(0).normal(scale=0.05, size=(40, 60, 2)).astype(np.float32)
    assert flow_magnitude_saliency(flow).max() < 0.2
