"""Geometry, Keras Adam and mixture fitting of multi-view MetaPose."""
import math

import pytest
import torch

from metapose_plugin.engine.optimizers.keras_adam import KerasAdam
from metapose_plugin.structures.multiview.multiview_geometry import (align_aba, bone_length_prior,
                                                                     bone_lengths, gmm_log_prob,
                                                                     mixture_nll, param_to_scale,
                                                                     rotation_from_6d,
                                                                     rotation_to_6d, scale_to_param,
                                                                     weak_project)
from metapose_plugin.structures.multiview.spherical_mixture_fit import (fit_heatmap_mixture,
                                                                        mixture_from_keypoints)


def _random_rotation(gen, batch=()):
    q, r = torch.linalg.qr(torch.randn(*batch, 3, 3, generator=gen, dtype=torch.float64))
    q = q * torch.sign(torch.diagonal(r, dim1=-2, dim2=-1))[..., None, :]
    return q * torch.sign(torch.linalg.det(q))[..., None, None]


def test_weak_project_matches_per_view_loop():
    gen = torch.Generator().manual_seed(0)
    pose = torch.randn(2, 5, 3, generator=gen, dtype=torch.float64)
    rot = _random_rotation(gen, (2, 3))
    scale, shift = torch.rand(2, 3, generator=gen) + 0.5, torch.randn(2, 3, 3, generator=gen)
    out = weak_project(pose, rot, scale.double(), shift.double())
    assert out.shape == (2, 3, 5, 3)
    for b in range(2):
        for v in range(3):
            expected = pose[b] @ rot[b, v] * scale[b, v] + shift[b, v]
            torch.testing.assert_close(out[b, v], expected.double())


def test_6d_round_trip_and_orthonormality():
    gen = torch.Generator().manual_seed(1)
    rot = _random_rotation(gen, (4, ))
    torch.testing.assert_close(rotation_from_6d(rotation_to_6d(rot)), rot)
    out = rotation_from_6d(torch.randn(6, 6, generator=gen, dtype=torch.float64))
    torch.testing.assert_close(out @ out.transpose(-1, -2), torch.eye(3).double().expand(6, 3, 3))
    assert torch.allclose(torch.linalg.det(out), torch.ones(6, dtype=torch.float64))
    scale = torch.tensor([0.2, 1.0, 3.5])
    torch.testing.assert_close(param_to_scale(scale_to_param(scale)), scale)


def test_reference_alignment_keeps_reflections_proper_one_does_not():
    gen = torch.Generator().manual_seed(2)
    a = torch.randn(17, 3, generator=gen, dtype=torch.float64)
    mirrored = a * torch.tensor([1.0, 1.0, -1.0], dtype=torch.float64)
    ref, proper = align_aba(a, mirrored), align_aba(a, mirrored, proper=True)
    assert torch.linalg.det(ref.rot).item() == pytest.approx(-1, abs=1e-9)
    assert torch.linalg.det(proper.rot).item() == pytest.approx(1, abs=1e-9)
    assert (ref.a2b - mirrored).abs().max() < 1e-9  # a reflection fits exactly
    assert (proper.a2b - mirrored).abs().max() > 1e-2


def test_alignment_recovers_a_similarity_and_scales_differ_under_noise():
    gen = torch.Generator().manual_seed(3)
    a = torch.randn(17, 3, generator=gen, dtype=torch.float64)
    rot = _random_rotation(gen)
    b = a @ rot * 2.5 + torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
    for proper in (False, True):
        al = align_aba(a, b, proper=proper)
        torch.testing.assert_close(al.a2b, b)
        torch.testing.assert_close(al.b2a, a)
        assert al.scale.item() == pytest.approx(2.5)
    noisy = b + 0.5 * torch.randn(17, 3, generator=gen, dtype=torch.float64)
    ratio, least_squares = align_aba(a, noisy).scale, align_aba(a, noisy, proper=True).scale
    assert ratio > least_squares  # the norm ratio also counts the noise's energy


def test_gmm_log_prob_matches_explicit_sum_and_zero_weight_stays_finite():
    gen = torch.Generator().manual_seed(4)
    points = torch.randn(7, 2, generator=gen)
    params = torch.rand(7, 3, 4, generator=gen, dtype=torch.float64) + 0.1
    params[:, 0, 0] = 0.0
    out = gmm_log_prob(points, params)
    assert out.dtype == torch.float64
    expected = torch.zeros(7, dtype=torch.float64)
    for m in range(3):
        pi, mu, var = params[:, m, 0], params[:, m, 1:3], params[:, m, 3]
        dens = torch.exp(-((points.double() - mu)**2).sum(-1) / (2 * var)) / (2 * math.pi * var)
        expected += (pi + 1e-8) * dens
    torch.testing.assert_close(out, expected.log())
    mix = params.reshape(1, 7, 1, 3, 4)
    nll = mixture_nll(points.reshape(1, 7, 1, 2), mix)
    assert nll.dtype == torch.float32 and nll.item() == pytest.approx(-out.mean().item(), rel=1e-6)


def test_bone_prior_is_scale_invariant():
    gen = torch.Generator().manual_seed(5)
    pose = torch.randn(17, 3, generator=gen)
    assert bone_lengths(pose).shape == (16, )
    prior = bone_length_prior(bone_lengths(pose) * 3, pose * 0.1)
    assert prior.item() == pytest.approx(0, abs=1e-6)
    assert bone_length_prior(bone_lengths(pose), pose + 0.3 * torch.randn(17, 3, generator=gen)) > 0


def test_keras_adam_follows_the_keras_update_and_differs_from_torch():
    gen = torch.Generator().manual_seed(6)
    target = torch.randn(5, generator=gen, dtype=torch.float64)
    start = torch.randn(5, generator=gen, dtype=torch.float64)
    ours, torch_p = start.clone().requires_grad_(), start.clone().requires_grad_()
    opt, opt_torch = KerasAdam([ours], lr=0.1), torch.optim.Adam([torch_p], lr=0.1, eps=1e-7)
    manual, m, v = start.clone(), torch.zeros_like(start), torch.zeros_like(start)
    for step in range(1, 5):
        for param, optim in ((ours, opt), (torch_p, opt_torch)):
            optim.zero_grad()
            ((param - target)**3).abs().sum().backward()
            optim.step()
        grad = 3 * (manual - target).abs()**2 * torch.sign(manual - target)
        m += (grad - m) * (1 - 0.9)
        v += (grad**2 - v) * (1 - 0.999)
        manual -= 0.1 * math.sqrt(1 - 0.999**step) / (1 - 0.9**step) * m / (v.sqrt() + 1e-7)
    torch.testing.assert_close(ours.detach(), manual, atol=1e-12, rtol=0)
    assert (ours.detach() - torch_p.detach()).abs().max() > 1e-9


def test_heatmap_mixture_fit_recovers_two_blobs_in_xy_order():
    ys, xs = torch.meshgrid(torch.arange(48.0), torch.arange(64.0), indexing='ij')
    blob = lambda x, y, s: torch.exp(-((xs - x)**2 + (ys - y)**2) / (2 * s * s))  # noqa: E731
    heatmap = 3 * blob(15, 30, 2.0) + blob(50, 10, 3.0)
    mix = fit_heatmap_mixture(heatmap[None], num_components=4, steps=20)[0]
    assert mix.shape == (4, 4) and mix[:, 0].sum().item() == pytest.approx(1, abs=1e-5)
    mean = (mix[:, :1] * mix[:, 1:3]).sum(0)
    expected = (3 * 4 * torch.tensor([15.0, 30.0]) + 9 * torch.tensor([50.0, 10.0])) / (12 + 9)
    torch.testing.assert_close(mean, expected, atol=0.5, rtol=0)
    big = mix[mix[:, 0].argmax()]
    assert big[1:3].tolist() == pytest.approx([15, 30], abs=1.0)  # (x, y), not (row, col)
    assert (mix[:, 3] >= (0.5 * 47 / 48)**2 - 1e-6).all()  # half-pixel floor, px^2
    # units follow the ranges (EM starts from unit sigmas, so only the mixture mean is exact)
    scaled = fit_heatmap_mixture(heatmap, 4, 20, x_range=(0, 126), y_range=(0, 94))
    torch.testing.assert_close((scaled[:, :1] * scaled[:, 1:3]).sum(0), 2 * mean, atol=0.01,
                               rtol=0)
    with pytest.raises(ValueError, match='non-negative'):
        fit_heatmap_mixture(-heatmap)


def test_mixture_from_keypoints_sharpens_with_confidence():
    kpts = torch.tensor([[10.0, 20.0], [5.0, 6.0]])
    mix = mixture_from_keypoints(kpts, torch.tensor([1.0, 0.5]), sigma=4.0)
    assert mix.shape == (2, 4, 4)
    torch.testing.assert_close(mix[:, :, 1:3], kpts[:, None].expand(2, 4, 2))
    assert mix[0, 0, 3].item() == pytest.approx(16) and mix[1, 0, 3].item() == pytest.approx(64)
    with pytest.raises(ValueError, match='sigma'):
        mixture_from_keypoints(kpts, torch.ones(2), sigma=0.0)


def test_heatmap_mixture_fit_with_per_map_ranges_equals_separate_fits():
    ys, xs = torch.meshgrid(torch.arange(16.0), torch.arange(12.0), indexing='ij')
    maps = torch.stack([torch.exp(-((xs - 4)**2 + (ys - 9)**2) / 4),
                        torch.exp(-((xs - 8)**2 + (ys - 3)**2) / 2)])
    x_ranges = torch.tensor([[100.0, 144.0], [10.0, 54.0]])
    y_ranges = torch.tensor([[200.0, 260.0], [0.0, 60.0]])
    joint = fit_heatmap_mixture(maps, 3, 5, x_ranges, y_ranges)
    for i in range(2):
        alone = fit_heatmap_mixture(maps[i], 3, 5, x_ranges[i].tolist(), y_ranges[i].tolist())
        torch.testing.assert_close(joint[i], alone)
