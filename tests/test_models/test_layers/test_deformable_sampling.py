import numpy as np
import pytest
import torch

from metapose_plugin.models.layers import (crop_to_grid, grid_to_kernel_locations,
                                           sample_at_reference, sample_feature_levels)


def naive_bilinear(feat: np.ndarray, x: float, y: float, padding: str) -> np.ndarray:
    """Bilinear read of feat (C, H, W) at grid point (x, y), align_corners=True."""
    C, H, W = feat.shape
    px, py = (x + 1) / 2 * (W - 1), (y + 1) / 2 * (H - 1)
    if padding == 'border':
        px, py = min(max(px, 0), W - 1), min(max(py, 0), H - 1)
    x0, y0 = int(np.floor(px)), int(np.floor(py))
    out = np.zeros(C)
    for xi, wx in ((x0, 1 - (px - x0)), (x0 + 1, px - x0)):
        for yi, wy in ((y0, 1 - (py - y0)), (y0 + 1, py - y0)):
            if 0 <= xi < W and 0 <= yi < H:
                out += wx * wy * feat[:, yi, xi]
    return out


@pytest.mark.parametrize('padding', ['zeros', 'border'])
def test_sample_feature_levels_matches_naive_bilinear(padding):
    rng = np.random.RandomState(0)
    feats = [torch.from_numpy(rng.randn(2, c, h, w)) for c, h, w in ((3, 5, 4), (2, 3, 6))]
    points = torch.from_numpy(rng.uniform(-1.4, 1.4, (2, 4, 3, 2)))
    out = sample_feature_levels(feats, points, padding)
    assert [o.shape for o in out] == [(2, 4, 3, 3), (2, 4, 3, 2)]
    for level, feat in enumerate(feats):
        for b in range(2):
            for k in range(4):
                for n in range(3):
                    x, y = points[b, k, n].tolist()
                    expected = naive_bilinear(feat[b].numpy(), x, y, padding)
                    np.testing.assert_allclose(out[level][b, k, n].numpy(), expected, atol=1e-10)


def test_per_level_points_read_their_own_level():
    rng = np.random.RandomState(1)
    feats = [torch.from_numpy(rng.randn(1, 2, 4, 4)) for _ in range(3)]
    points = torch.from_numpy(rng.uniform(-1, 1, (1, 3, 5, 1, 2)))
    out = sample_feature_levels(feats, points, 'zeros')
    for level in range(3):
        x, y = points[0, level, 2, 0].tolist()
        expected = naive_bilinear(feats[level][0].numpy(), x, y, 'zeros')
        np.testing.assert_allclose(out[level][0, 2, 0].numpy(), expected, atol=1e-10)
    with pytest.raises(ValueError, match='levels'):
        sample_feature_levels(feats[:2], points, 'zeros')
    with pytest.raises(ValueError, match='padding_mode'):
        sample_feature_levels(feats, points, 'reflection')


def test_sample_at_reference_shapes():
    feats = [torch.randn(2, c, 8, 6) for c in (3, 5)]
    out = sample_at_reference(feats, torch.zeros(2, 7, 2))
    assert [o.shape for o in out] == [(2, 7, 3), (2, 7, 5)]


def test_crop_to_grid_is_reference_formula_and_not_in_place():
    kp = torch.tensor([[[0.0, 0.0], [96.0, 128.0], [191.0, 255.0]]])
    before = kp.clone()
    grid = crop_to_grid(kp)
    torch.testing.assert_close(grid, torch.tensor([[[-1.0, -1.0], [0.0, 0.0],
                                                    [191 / 96 - 1, 255 / 128 - 1]]]))
    torch.testing.assert_close(kp, before)


def test_grid_to_kernel_locations():
    points = torch.tensor([[-1.0, -1.0], [1.0, 1.0], [3.0, -5.0]])
    loc = grid_to_kernel_locations(points, height=4, width=6, clamp=False)
    # grid -1 -> pixel 0 -> (0 + 0.5) / size; grid 1 -> pixel size-1
    torch.testing.assert_close(loc[0], torch.tensor([0.5 / 6, 0.5 / 4]))
    torch.testing.assert_close(loc[1], torch.tensor([5.5 / 6, 3.5 / 4]))
    clamped = grid_to_kernel_locations(points, height=4, width=6, clamp=True)
    torch.testing.assert_close(clamped[2], torch.tensor([5.5 / 6, 0.5 / 4]))
