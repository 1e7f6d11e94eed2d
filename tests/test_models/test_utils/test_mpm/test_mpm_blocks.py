import numpy as np
import pytest
import torch
from torch import nn

from metapose_plugin.models.utils.mpm.mpm_attention import MPMAttention
from metapose_plugin.models.utils.mpm.mpm_layer_norm import MPMLayerNorm
from metapose_plugin.models.utils.mpm.mpm_strided_layer import MPMStridedLayer
from metapose_plugin.models.utils.mpm.uvd_refine import UVDRefine, uvd_to_xyz
from metapose_plugin.structures.mpm_masks import (GROUPS_2D_H36M17, draw_frame_mask,
                                                  draw_joint_mask, draw_tube_mask, h36m16_groups)
from metapose_plugin.structures.pose_ops import mean_joint_error, mirror_poses


def test_layer_norm_uses_unbiased_std_plus_eps():
    torch.manual_seed(0)
    x = torch.randn(3, 5, 7, dtype=torch.float64)
    norm = MPMLayerNorm(7, eps=0.5).double()
    with torch.no_grad():
        norm.weight.uniform_(0.5, 1.5)
        norm.bias.normal_()
    centred = x - x.mean(-1, keepdim=True)
    std = (centred.pow(2).sum(-1, keepdim=True) / 6).sqrt()  # C - 1 = 6
    expected = norm.weight * centred / (std + 0.5) + norm.bias
    torch.testing.assert_close(norm(x), expected)
    torch_norm = nn.LayerNorm(7, eps=0.5).double()
    assert not torch.allclose(torch_norm(x), centred / (std + 0.5))


def test_layer_norm_analytic_backward():
    torch.manual_seed(0)
    norm = MPMLayerNorm(6, eps=1e-3).double()
    with torch.no_grad():
        norm.weight.uniform_(0.5, 1.5)
        norm.bias.normal_()
    x = torch.randn(2, 3, 6, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(norm, (x, ))
    # the same gradients as autograd through the plain expression
    grad = torch.randn(2, 3, 6, dtype=torch.float64)
    norm(x).backward(grad)
    ours = (x.grad.clone(), norm.weight.grad.clone(), norm.bias.grad.clone())
    x.grad = norm.weight.grad = norm.bias.grad = None
    plain = norm.weight * (x - x.mean(-1, keepdim=True)) / (x.std(-1, keepdim=True) + 1e-3)
    (plain + norm.bias).backward(grad)
    for a, b in zip(ours, (x.grad, norm.weight.grad, norm.bias.grad)):
        torch.testing.assert_close(a, b)


def test_attention_fused_equals_explicit_and_dropout_only_in_training():
    torch.manual_seed(0)
    fused = MPMAttention(16, num_heads=4, attn_drop=0.5, fused_attn=True).eval()
    explicit = MPMAttention(16, num_heads=4, attn_drop=0.5, fused_attn=False).eval()
    explicit.load_state_dict(fused.state_dict())
    x = torch.randn(2, 9, 16)
    torch.testing.assert_close(fused(x), explicit(x), atol=1e-6, rtol=1e-5)
    fused.train()
    assert not torch.allclose(fused(x), explicit(x))
    with pytest.raises(ValueError, match='divisible'):
        MPMAttention(10, num_heads=4)


def test_strided_layer_shortens_and_subsamples_residual():
    torch.manual_seed(0)
    layer = MPMStridedLayer(8, 12, stride=3, num_heads=2).eval()
    x = torch.randn(2, 10, 8)
    assert layer(x).shape == (2, 4, 8)
    # with a zero MLP output, the residual is x_after_attention[:, ::3]
    nn.init.zeros_(layer.mlp.fc2.weight)
    nn.init.zeros_(layer.mlp.fc2.bias)
    after_attn = x + layer.attn(layer.norm1(x))
    torch.testing.assert_close(layer(x), after_attn[:, ::3])
    assert MPMStridedLayer(8, 12, stride=1, num_heads=2)(x).shape == (2, 10, 8)


def test_mask_draws_counts_and_reference_call_order():
    rng = np.random.RandomState(3)
    joint = draw_joint_mask(rng, 11, 17, 5)
    frame = draw_frame_mask(rng, 11, 0.6)
    assert joint.shape == (11, 17) and (joint.sum(1) == 5).all()
    assert frame.shape == (11, ) and frame.sum() == int(11 * 0.6)
    # the same calls on numpy's global generator give the same masks
    np.random.seed(3)
    ref_joint = np.zeros((11, 17), bool)
    for f in range(11):
        ref_joint[f, np.random.choice(range(17), 5, replace=False)] = True
    vector = np.array([0.] * 5 + [1.] * 6)
    np.random.shuffle(vector)
    assert (joint == ref_joint).all() and (frame == vector.astype(bool)).all()


def test_tube_masks_groups_random_and_bounds():
    rng = np.random.default_rng(0)
    mask, manner = draw_tube_mask(rng, [2], GROUPS_2D_H36M17, 17)
    assert manner == 2 and sorted(np.flatnonzero(mask)) == [1, 2, 3, 14, 15, 16]
    mask, manner = draw_tube_mask(rng, [7], GROUPS_2D_H36M17, 16)
    assert manner == 7 and mask.shape == (16, ) and mask.sum() == 4
    with pytest.raises(ValueError, match='outside'):
        draw_tube_mask(rng, [1], GROUPS_2D_H36M17, 16)  # joint 16 of 17-joint groups
    groups16 = h36m16_groups(GROUPS_2D_H36M17)
    assert groups16[1] == (10, 11, 12, 13, 14, 15)
    assert draw_tube_mask(rng, [1], groups16, 16)[0].sum() == 6
    with pytest.raises(ValueError, match='nose'):
        h36m16_groups([(8, 9)])


def test_pose_ops():
    pred = torch.zeros(1, 2, 3, 2)
    target = torch.zeros(1, 2, 3, 2)
    target[0, 0, 0] = torch.tensor([3., 4.])
    assert mean_joint_error(pred, target).item() == pytest.approx(5 / 6)
    mask = torch.zeros(1, 2, 3, dtype=torch.bool)
    mask[0, 0, :2] = True
    assert mean_joint_error(pred, target, mask).item() == pytest.approx(2.5)
    poses = torch.arange(12.).view(1, 2, 3, 2)
    mirrored = mirror_poses(poses, [0, 2, 1])
    assert torch.equal(mirrored[..., 1, 1], poses[..., 2, 1])
    assert torch.equal(mirrored[..., 1, 0], -poses[..., 2, 0])
    assert torch.equal(mirror_poses(mirrored, [0, 2, 1]), poses)


def test_uvd_to_xyz_and_refine_blend():
    camera = torch.tensor([[2., 3., 0.1, -0.2]])
    uv = torch.tensor([[[[0.1, -0.2], [0.5, 0.4]]]])
    depth = torch.tensor([[[9., 0.5]]])  # the root's entry is ignored
    xyz = uvd_to_xyz(uv, depth, torch.tensor([[4.]]), camera)
    expected_joint = torch.tensor([(0.5 - 0.1) * 4.5 / 2, (0.4 + 0.2) * 4.5 / 3, 4.5])
    torch.testing.assert_close(xyz[0, 0, 1], expected_joint - torch.tensor([0., 0., 4.]))
    assert torch.equal(xyz[0, 0, 0], torch.zeros(3))
    refine = UVDRefine(2, hidden_dims=8).eval()
    pred = torch.randn(1, 1, 2, 3)
    nn.init.zeros_(refine.mlp.fc2.weight)
    nn.init.zeros_(refine.mlp.fc2.bias)  # sigmoid(0) = 0.5
    out = refine(pred, xyz)
    torch.testing.assert_close(out[..., :2], (pred[..., :2] + xyz[..., :2]) / 2)
    assert torch.equal(out[..., 2], pred[..., 2])
