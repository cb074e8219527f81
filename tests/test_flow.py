import numpy as np
import pytest

from stan.data.davis import index_davis
from stan.flow import opencv
from stan.flow.cache import complete_last_frame, load_flow, load_frames, save_flow
from stan.flow.flo import TAG, read_flo, write_flo
from stan.flow.stage import compute_video_flow, export_flo, pair_estimator
from stan.flow.visualize import color_wheel, flow_to_color
from stan.io import InputError


def shifted_pair(dx: int, dy: int, h: int = 96, w: int = 128):
    """A smooth random texture and the same texture moved by (dx, dy) pixels."""
    rng = np.random.default_rng(0)
    import cv2

    big = cv2.resize(rng.random((h // 4, w // 4, 3)).astype(np.float32), (w + 40, h + 40))
    big = cv2.GaussianBlur(big, (0, 0), 1.0)
    a = (big[20 : 20 + h, 20 : 20 + w] * 255).astype(np.uint8)
    b = (big[20 - dy : 20 - dy + h, 20 - dx : 20 - dx + w] * 255).astype(np.uint8)
    return a, b


def test_flo_round_trip(tmp_path):
    flow = np.random.default_rng(1).normal(size=(5, 7, 2)).astype(np.float32)
    write_flo(tmp_path / "a.flo", flow)
    raw = (tmp_path / "a.flo").read_bytes()
    assert raw[:4] == b"PIEH" and np.frombuffer(raw[:4], "<f4")[0] == TAG
    assert np.array_equal(read_flo(tmp_path / "a.flo"), flow)
    (tmp_path / "bad.flo").write_bytes(b"nope" + raw[4:20])
    with pytest.raises(InputError, match="bad magic"):
        read_flo(tmp_path / "bad.flo")
    (tmp_path / "short.flo").write_bytes(raw[:30])
    with pytest.raises(InputError, match="truncated"):
        read_flo(tmp_path / "short.flo")


def test_cache_round_trip_is_within_quantisation(tmp_path):
    flow = np.random.default_rng(2).normal(scale=20, size=(3, 8, 9, 2)).astype(np.float32)
    save_flow(tmp_path / "v.npz", flow, ["00000", "00001", "00002"])
    back = load_flow(tmp_path / "v.npz")
    assert back.dtype == np.float32 and back.shape == flow.shape
    assert np.abs(back - flow).max() <= 1 / 32 + 1e-6
    assert load_frames(tmp_path / "v.npz") == ["00000", "00001", "00002"]


def test_last_frame_convention():
    pairs = np.arange(2 * 2 * 3 * 2, dtype=np.float32).reshape(2, 2, 3, 2)
    full = complete_last_frame(pairs, (2, 3))
    assert full.shape[0] == 3 and np.array_equal(full[2], full[1])
    assert complete_last_frame(pairs[:0], (2, 3)).shape == (1, 2, 3, 2)


def test_color_wheel_and_flow_colours():
    wheel = color_wheel()
    assert wheel.shape == (55, 3) and tuple(wheel[0]) == (255, 0, 0)
    flow = np.zeros((4, 4, 2), np.float32)
    assert (flow_to_color(flow) == 255).all()  # no motion is white
    flow[..., 0] = 1.0  # rightward motion is red in the Middlebury key, leftward cyan
    right = flow_to_color(flow)[0, 0]
    left = flow_to_color(-flow)[0, 0]
    assert right[0] == 255 and right[1] < 50
    assert left[0] < 50 and left[1] > 200 and left[2] > 200


@pytest.mark.parametrize("method", ["dis", "farneback"])
def test_opencv_backends_recover_a_shift(method):
    a, b = shifted_pair(3, -2)
    flow = pair_estimator(method, {})([a, b])[0]
    centre = flow[20:-20, 20:-20].reshape(-1, 2)
    assert np.allclose(np.median(centre, axis=0), [3, -2], atol=0.3)


def test_tvl1_is_clear_when_unavailable():
    if opencv.tvl1_available():
        pytest.skip("OpenCV contrib is installed here")
    with pytest.raises(RuntimeError, match="opencv-contrib-python-headless"):
        pair_estimator("tvl1", {})


def test_unknown_method():
    with pytest.raises(InputError, match="flow.method"):
        pair_estimator("nope", {})


def test_video_flow_stage_and_export(tmp_path, tiny_synthetic):
    df = index_davis(tiny_synthetic, "val")
    video = df["video"].iloc[0]
    compute_video_flow(df, video, "dis", {}, tmp_path / "v.npz")
    flow = load_flow(tmp_path / "v.npz")
    assert flow.shape == (8, 64, 96, 2)
    assert np.array_equal(flow[-1], flow[-2])
    export_flo(tmp_path / "v.npz", tmp_path / "flo")
    files = sorted((tmp_path / "flo").glob("*.flo"))
    assert len(files) == 8 and np.array_equal(read_flo(files[3]), flow[3])
