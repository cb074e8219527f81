"""Official-checkpoint loading and the FlowNet2Estimator (input sizes, batching, errors)."""

import os
import sys
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest
import torch

from stan.flow.flownet2 import (
    CheckpointError,
    FlowNet2Estimator,
    build_model,
    expected_shapes,
    identify_model,
    load_checkpoint,
    read_state_dict,
)
from stan.flow.flownet2.estimator import check_frames, full_fp32, resolve_device
from stan.flow.flownet2.preprocess import network_size, resize_pairs, restore_flow
from stan.io import InputError

REFERENCE = Path(
    os.environ.get(
        "STAN_FLOWNET2_REFERENCE",
        Path(__file__).resolve().parents[2] / "shared" / "reference" / "flownet2",
    )
)
needs_reference = pytest.mark.skipif(
    not (REFERENCE / "golden.npz").is_file(),
    reason=f"FlowNet2 reference vectors not found in {REFERENCE} (set STAN_FLOWNET2_REFERENCE)",
)


@pytest.fixture(scope="module")
def golden():
    return np.load(REFERENCE / "golden.npz")


@pytest.fixture(scope="module")
def s_weights():
    """Synthetic FlowNet2S weights from the reference ``fill_weights.py``."""
    sys.path.insert(0, str(REFERENCE))
    try:
        from fill_weights import fill_state_dict
    finally:
        sys.path.remove(str(REFERENCE))
    return fill_state_dict(expected_shapes("FlowNet2S"))


@pytest.fixture(scope="module")
def s_estimator(s_weights):
    return FlowNet2Estimator.from_state_dict("FlowNet2S", s_weights, device="cpu", batch_size=2)


def tiny_state_dict(name):
    """The keys of ``name`` with 1-element tensors: right keys, wrong shapes, no memory."""
    return OrderedDict((k, torch.zeros(1)) for k in expected_shapes(name))


# --- checkpoint files -----------------------------------------------------------------------


@needs_reference
def test_official_layout_legacy_format_with_module_prefix(tmp_path, s_weights, golden):
    state = OrderedDict((f"module.{k}", v) for k, v in s_weights.items())
    path = tmp_path / "FlowNet2-S_checkpoint.pth.tar"
    torch.save(
        {"epoch": 0, "state_dict": state, "best_EPE": 1e10},
        path,
        _use_new_zipfile_serialization=False,
    )
    estimator = FlowNet2Estimator("FlowNet2S", path, device="cpu")
    flow = estimator.estimate([golden["frame0"], golden["frame1"]])
    assert flow.shape == (1, 192, 320, 2) and flow.dtype == np.float32
    np.testing.assert_allclose(
        flow[0].transpose(2, 0, 1), golden["FlowNet2S_flow"], rtol=1e-4, atol=1e-3
    )


def test_bare_state_dict_in_zip_format_is_read(tmp_path):
    path = tmp_path / "bare.pth"
    torch.save({"conv1.0.weight": torch.ones(2, 2)}, path)
    assert list(read_state_dict(path)) == ["conv1.0.weight"]


def test_missing_file_names_file_source_and_config_key(tmp_path):
    path = tmp_path / "nowhere" / "FlowNet2_checkpoint.pth.tar"
    with pytest.raises(CheckpointError) as err:
        FlowNet2Estimator("FlowNet2", path, device="cpu")
    message = str(err.value)
    assert str(path) in message
    assert "flow.flownet2.checkpoint" in message
    assert "NVIDIA flownet2-pytorch" in message and "FlowNet2_checkpoint.pth.tar" in message
    assert isinstance(err.value, InputError)
    with pytest.raises(CheckpointError, match="flow.flownet2.checkpoint is empty"):
        FlowNet2Estimator("FlowNet2", "", device="cpu")


def test_unreadable_file_is_a_clear_error(tmp_path):
    path = tmp_path / "FlowNet2-C_checkpoint.pth.tar"
    path.write_bytes(b"<html>404 not found</html>")
    with pytest.raises(CheckpointError, match="cannot read it as a PyTorch checkpoint"):
        read_state_dict(path, "FlowNet2C")


def test_missing_and_unexpected_keys_are_listed(tmp_path):
    state = tiny_state_dict("FlowNet2S")
    del state["conv1.0.weight"]
    state["conv7.0.weight"] = torch.zeros(1)
    path = tmp_path / "broken.pth.tar"
    torch.save({"epoch": 0, "state_dict": state, "best_EPE": 1.0}, path)
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(build_model("FlowNet2S", "meta"), "FlowNet2S", path)
    message = str(err.value)
    assert "1 missing keys: conv1.0.weight" in message
    assert "1 unexpected keys: conv7.0.weight" in message
    assert "shape mismatches" in message and "flow.flownet2.checkpoint" in message


@needs_reference
def test_checkpoint_of_another_model_is_identified(tmp_path, s_weights):
    path = tmp_path / "FlowNet2-S_checkpoint.pth.tar"
    torch.save({"epoch": 0, "state_dict": s_weights, "best_EPE": 1.0}, path)
    assert identify_model(s_weights) == "FlowNet2S"
    with pytest.raises(CheckpointError) as err:
        FlowNet2Estimator("FlowNet2C", path, device="cpu")
    message = str(err.value)
    assert "it is a FlowNet2S checkpoint" in message and "flow.method to 'flownet2-s'" in message
    assert "missing keys: conv_redir.0.weight" in message


def test_unknown_model_name_and_bad_batch_size():
    with pytest.raises(InputError, match="flow.method: flownet2, flownet2-c, flownet2-s"):
        FlowNet2Estimator("FlowNet3", "x.pth.tar")
    with pytest.raises(InputError, match="flow.flownet2.batch_size"):
        FlowNet2Estimator.from_state_dict("FlowNet2S", {}, batch_size=0)


# --- input handling -------------------------------------------------------------------------


def test_network_size_rounds_up_to_multiples_of_64():
    assert network_size(480, 854) == (512, 896)
    assert network_size(448, 832) == (448, 832)
    assert network_size(1, 65) == (64, 128)


def test_restore_flow_maps_a_uniform_flow_back_to_input_pixels():
    # A uniform shift of (6.4, -2) px at 128x192 is (6.4 * 150/192, -2 * 100/128) px at 100x150.
    flow = torch.empty(1, 2, 128, 192)
    flow[:, 0], flow[:, 1] = 6.4, -2.0
    out = restore_flow(flow, (100, 150))
    assert out.shape == (1, 2, 100, 150)
    torch.testing.assert_close(out[0, 0], torch.full((100, 150), 5.0))
    torch.testing.assert_close(out[0, 1], torch.full((100, 150), -1.5625))
    assert restore_flow(flow, (128, 192)) is flow


def test_resize_pairs_keeps_frames_apart():
    pairs = torch.zeros(1, 3, 2, 10, 20)
    pairs[:, :, 1] = 255.0
    out = resize_pairs(pairs, (64, 64))
    assert out.shape == (1, 3, 2, 64, 64)
    assert out[:, :, 0].abs().max() == 0 and (out[:, :, 1] == 255).all()


@needs_reference
def test_estimate_any_size_batching_and_consistency(s_estimator, golden):
    # Four 100x150 crops of golden frame0, moving by (2, 3) px per frame: 3 pairs, so with
    # batch_size 2 the last batch is short.
    base = golden["frame0"]
    frames = [
        np.ascontiguousarray(base[40 + 2 * i : 140 + 2 * i, 60 + 3 * i : 210 + 3 * i])
        for i in range(4)
    ]
    flow = s_estimator.estimate(frames)
    assert flow.shape == (3, 100, 150, 2) and flow.dtype == np.float32
    assert np.isfinite(flow).all() and np.abs(flow).max() > 0.1
    # Batch size does not change the result (2 per batch here, each pair alone there).
    single = FlowNet2Estimator.from_state_dict(
        "FlowNet2S", s_estimator.model.state_dict(), "cpu", 1
    )
    np.testing.assert_allclose(single.estimate(frames), flow, rtol=1e-4, atol=1e-4)
    # Same as running the model by hand at 128x192 and mapping the flow back.
    pairs = torch.from_numpy(
        np.stack([frames[2], frames[3]]).transpose(3, 0, 1, 2)[None].astype(np.float32)
    )
    with torch.no_grad():
        by_hand = restore_flow(s_estimator.model(resize_pairs(pairs, (128, 192))), (100, 150))
    np.testing.assert_allclose(flow[2], by_hand[0].permute(1, 2, 0).numpy(), rtol=1e-4, atol=1e-4)


def test_frames_are_validated():
    good = np.zeros((64, 64, 3), np.uint8)
    with pytest.raises(InputError, match="at least 2 frames"):
        check_frames([good])
    with pytest.raises(InputError, match="frame 1: expected an RGB uint8"):
        check_frames([good, good.astype(np.float32)])
    with pytest.raises(InputError, match="frame 2: size"):
        check_frames([good, good, np.zeros((64, 65, 3), np.uint8)])


def test_device_resolution_and_tf32_switch():
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    if not torch.cuda.is_available():
        with pytest.raises(InputError, match="flow.device"):
            resolve_device("cuda", "flow.device")
    before = (torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32)
    with full_fp32():
        assert not torch.backends.cudnn.allow_tf32 and not torch.backends.cuda.matmul.allow_tf32
    assert (torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32) == before
