"""The pure-PyTorch FlowNet2 ops: correlation, warping (resample2d) and channel norm."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from stan.flow.flownet2 import Correlation, channel_norm, correlate, warp


def correlation_loop(f1, f2, max_displacement, stride2):
    """Plain per-pixel, per-displacement definition of the FlowNetC correlation (numpy, float64)."""
    f1 = f1.double().numpy()
    f2 = f2.double().numpy()
    b, c, h, w = f1.shape
    radius = max_displacement // stride2
    d = 2 * radius + 1
    out = np.zeros((b, d * d, h, w))
    for j in range(-radius, radius + 1):
        for i in range(-radius, radius + 1):
            channel = (j + radius) * d + (i + radius)
            for y in range(h):
                for x in range(w):
                    y2, x2 = y + j * stride2, x + i * stride2
                    if 0 <= y2 < h and 0 <= x2 < w:
                        out[:, channel, y, x] = (f1[:, :, y, x] * f2[:, :, y2, x2]).sum(1) / c
    return out


@pytest.mark.parametrize(
    ("shape", "max_displacement", "stride2"),
    [((2, 5, 7, 9), 20, 2), ((1, 8, 11, 6), 4, 2), ((2, 3, 5, 8), 3, 1), ((1, 4, 3, 3), 0, 1)],
)
def test_correlation_matches_loop(shape, max_displacement, stride2):
    gen = torch.Generator().manual_seed(sum(shape) + max_displacement)
    f1 = torch.randn(shape, generator=gen)
    f2 = torch.randn(shape, generator=gen)
    got = correlate(f1, f2, max_displacement, stride2)
    d = 2 * (max_displacement // stride2) + 1
    assert got.shape == (shape[0], d * d, shape[2], shape[3])
    np.testing.assert_allclose(
        got.numpy(), correlation_loop(f1, f2, max_displacement, stride2), rtol=1e-5, atol=1e-6
    )


def test_correlation_peak_is_dy_major():
    # f2 is f1 shifted by dy=+4, dx=-6: f2[y + 4, x - 6] = f1[y, x]; NOTES.md puts the peak at 259.
    gen = torch.Generator().manual_seed(0)
    f1 = torch.randn(1, 16, 24, 24, generator=gen)
    f2 = torch.roll(f1, shifts=(4, -6), dims=(2, 3))
    corr = Correlation()(f1, f2)
    assert corr.shape == (1, 441, 24, 24)
    assert int(corr[0, :, 12, 12].argmax()) == (2 + 10) * 21 + (-3 + 10) == 259


def test_correlation_rejects_unsupported_settings():
    with pytest.raises(ValueError, match="kernel_size=1"):
        Correlation(kernel_size=3)
    with pytest.raises(ValueError, match="multiple of stride2"):
        correlate(torch.zeros(1, 1, 4, 4), torch.zeros(1, 1, 4, 4), 5, 2)


def test_correlation_gradient_matches_loop_definition():
    gen = torch.Generator().manual_seed(1)
    f1 = torch.randn(1, 3, 5, 6, generator=gen, dtype=torch.float64, requires_grad=True)
    f2 = torch.randn(1, 3, 5, 6, generator=gen, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda a, b: correlate(a, b, 4, 2), (f1, f2))


def _ramp_image(h=12, w=16):
    ys, xs = torch.meshgrid(
        torch.arange(h, dtype=torch.float32), torch.arange(w, dtype=torch.float32), indexing="ij"
    )
    gen = torch.Generator().manual_seed(2)
    noise = torch.rand(2, h, w, generator=gen)
    return torch.stack([xs * 3 + ys * 0.5, noise[0] * 100, noise[1]])[None]  # (1, 3, H, W)


def test_warp_integer_shift_and_border_replication():
    image = _ramp_image()
    flow = torch.zeros(1, 2, 12, 16)
    flow[:, 0] = 3.0  # sample 3 px to the right
    flow[:, 1] = -2.0  # and 2 px up
    out = warp(image, flow)
    torch.testing.assert_close(out[..., 2:, :13], image[..., :10, 3:], rtol=0, atol=1e-5)
    # Outside the image the nearest border pixel is replicated (no zeros, no mask).
    torch.testing.assert_close(out[..., 2:, 13:], image[..., :10, 15:16].expand(-1, -1, -1, 3))
    torch.testing.assert_close(out[..., :2, :13], image[..., :1, 3:].expand(-1, -1, 2, -1))


def test_warp_subpixel_is_bilinear():
    image = _ramp_image()
    flow = torch.zeros(1, 2, 12, 16)
    flow[:, 0] = 0.25
    flow[:, 1] = -1.5  # negative, non-integer: floor, not truncation, picks the neighbours
    out = warp(image, flow)
    a, b = 0.25, 0.5  # weights towards the right / bottom neighbour (y - 1.5 = (y - 2) + 0.5)
    i = image[0]
    expected = (
        (1 - a) * (1 - b) * i[:, 0:10, 0:15]
        + a * (1 - b) * i[:, 0:10, 1:16]
        + (1 - a) * b * i[:, 1:11, 0:15]
        + a * b * i[:, 1:11, 1:16]
    )
    torch.testing.assert_close(out[0, :, 2:, :15], expected, rtol=1e-6, atol=1e-4)
    # The ramp channel is linear in x and y, so bilinear sampling is exact there.
    xs = torch.arange(15, dtype=torch.float32) + 0.25
    ys = torch.arange(2, 12, dtype=torch.float32) - 1.5
    torch.testing.assert_close(out[0, 0, 2:, :15], xs[None, :] * 3 + ys[:, None] * 0.5)


def test_warp_matches_grid_sample_border():
    gen = torch.Generator().manual_seed(3)
    image = torch.randn(2, 3, 10, 14, generator=gen)
    flow = torch.randn(2, 2, 10, 14, generator=gen) * 6
    h, w = 10, 14
    ys, xs = torch.meshgrid(
        torch.arange(h, dtype=torch.float32), torch.arange(w, dtype=torch.float32), indexing="ij"
    )
    grid = torch.stack(
        [2 * (xs + flow[:, 0]) / (w - 1) - 1, 2 * (ys + flow[:, 1]) / (h - 1) - 1], dim=-1
    )
    ref = F.grid_sample(image, grid, mode="bilinear", padding_mode="border", align_corners=True)
    torch.testing.assert_close(warp(image, flow), ref, rtol=1e-4, atol=1e-4)


def test_channel_norm_value_and_gradient_at_zero():
    x = torch.tensor([[[[3.0, 0.0]], [[4.0, 0.0]]]], requires_grad=True)  # (1, 2, 1, 2)
    out = channel_norm(x)
    assert out.shape == (1, 1, 1, 2)
    torch.testing.assert_close(out.detach(), torch.tensor([[[[5.0, 0.0]]]]))
    out.sum().backward()
    assert torch.isfinite(x.grad).all()
    torch.testing.assert_close(x.grad[0, :, 0, 0], torch.tensor([0.6, 0.8]))
    torch.testing.assert_close(x.grad[0, :, 0, 1], torch.tensor([0.0, 0.0]))


def test_channel_norm_matches_reduction_and_gradcheck():
    gen = torch.Generator().manual_seed(4)
    x = torch.randn(2, 3, 5, 7, generator=gen, dtype=torch.float64, requires_grad=True)
    torch.testing.assert_close(channel_norm(x), x.norm(dim=1, keepdim=True))
    assert torch.autograd.gradcheck(channel_norm, (x,))
