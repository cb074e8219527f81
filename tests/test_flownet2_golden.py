"""FlowNet2 models against the reference keys and golden outputs of upstream flownet2-pytorch.

The reference folder (``shared/reference/flownet2``: ``flownet2_keys.json``, ``golden.npz``,
``fill_weights.py``) is located next to the repository, or at ``$STAN_FLOWNET2_REFERENCE``.
Tolerances are those recommended in its README (float32 on CPU).
"""

import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from stan.flow.flownet2 import MODELS, build_model, expected_shapes

REFERENCE = Path(
    os.environ.get(
        "STAN_FLOWNET2_REFERENCE",
        Path(__file__).resolve().parents[2] / "shared" / "reference" / "flownet2",
    )
)
pytestmark = pytest.mark.skipif(
    not (REFERENCE / "golden.npz").is_file(),
    reason=f"FlowNet2 reference vectors not found in {REFERENCE} (set STAN_FLOWNET2_REFERENCE)",
)

FINAL = {"rtol": 1e-4, "atol": 1e-3}
INTERMEDIATE = {"rtol": 1e-4, "atol": 1e-4}
CORR = {"rtol": 1e-4, "atol": 1e-5}


@pytest.fixture(scope="module")
def golden():
    return np.load(REFERENCE / "golden.npz")


@pytest.fixture(scope="module")
def fill_state_dict():
    """``fill_state_dict`` of the reference, caching the stacks' tensors: they share key names
    (``flownetc.conv1.0.weight`` is the same tensor in FlowNet2CS, FlowNet2CSS and FlowNet2)."""
    sys.path.insert(0, str(REFERENCE))
    try:
        from fill_weights import fill_state_dict as fill
    finally:
        sys.path.remove(str(REFERENCE))
    cache = {}

    def fill_cached(shapes):
        filled = fill({k: v for k, v in shapes.items() if k not in cache})
        cache.update({k: v for k, v in filled.items() if k.startswith("flownet")})
        return {k: filled[k] if k in filled else cache[k] for k in shapes}

    return fill_cached


@pytest.fixture(scope="module")
def pair(golden):
    frames = np.stack([golden["frame0"], golden["frame1"]])  # (2, H, W, 3)
    return torch.from_numpy(frames.transpose(3, 0, 1, 2)[None].astype(np.float32))


def filled_model(name, fill_state_dict):
    model = build_model(name, "meta")
    model.load_state_dict(fill_state_dict(model.state_dict()), strict=True, assign=True)
    return model.eval()


@pytest.mark.parametrize("name", list(MODELS))
def test_keys_and_shapes_match_upstream_in_order(name):
    reference = json.loads((REFERENCE / "flownet2_keys.json").read_text())[name]
    assert list(expected_shapes(name).items()) == [(k, tuple(s)) for k, s in reference]


def test_fill_weights_reproduce_probe_values(golden, fill_state_dict):
    for key, values in zip(golden["weight_probe_keys"], golden["weight_probe_values"], strict=True):
        model = next(m for m in MODELS if str(key) in expected_shapes(m))
        shape = expected_shapes(model)[str(key)]
        filled = fill_state_dict({str(key): shape})[str(key)]
        np.testing.assert_array_equal(filled.flatten()[:8].numpy(), values)


def test_flownet2_reproduces_golden_flow_and_intermediates(golden, pair, fill_state_dict):
    # Runs first: FlowNet2CS and FlowNet2CSS below reuse its cached stack weights.
    model = filled_model("FlowNet2", fill_state_dict)
    with torch.no_grad():
        out = model.intermediates(pair)
    for sub in ("flownetc", "flownets_1", "flownets_2", "flownets_d"):
        np.testing.assert_allclose(out[sub][0].numpy(), golden[f"FlowNet2_{sub}"], **INTERMEDIATE)
    fusion_input = out["fusion_input"][0].numpy()
    np.testing.assert_allclose(fusion_input, golden["FlowNet2_flownetfusion_input"], **FINAL)
    np.testing.assert_allclose(out["flow"][0].numpy(), golden["FlowNet2_flownetfusion"], **FINAL)
    np.testing.assert_allclose(out["flow"][0].numpy(), golden["FlowNet2_flow"], **FINAL)


@pytest.mark.parametrize(
    "name", ["FlowNet2CS", "FlowNet2CSS", "FlowNet2C", "FlowNet2S", "FlowNet2SD"]
)
def test_model_reproduces_golden_flow(name, golden, pair, fill_state_dict):
    model = filled_model(name, fill_state_dict)
    with torch.no_grad():
        flow = model(pair)
    assert flow.shape == (1, 2, 192, 320) and flow.dtype == torch.float32
    np.testing.assert_allclose(flow[0].numpy(), golden[f"{name}_flow"], **FINAL)
    if name == "FlowNet2C":
        with torch.no_grad():
            corr = model.correlate(model.network_input(pair))[2]
        np.testing.assert_allclose(corr[0].numpy(), golden["FlowNet2C_corr"], **CORR)


def test_train_mode_returns_multiscale_flows(pair, fill_state_dict):
    model = filled_model("FlowNet2S", fill_state_dict).train()
    with torch.no_grad():
        flows = model(pair)
    assert [tuple(f.shape[-2:]) for f in flows] == [(48, 80), (24, 40), (12, 20), (6, 10), (3, 5)]
