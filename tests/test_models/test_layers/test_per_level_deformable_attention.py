import math

import numpy as np
import pytest
import torch

from metapose_plugin.models.layers import DeformableContextBlock, PerLevelDeformableAttention


def naive_bilinear(feat, x, y, padding):
    """Bilinear read of feat (C, H, W) at grid point (x, y), align_corners=True."""
    C, H, W = feat.shape
    px, py = (x + 1) / 2 * (W - 1), (y + 1) / 2 * (H - 1)
    if padding == 'border':
        px, py = min(max(px, 0), W - 1), min(max(py, 0), H - 1)
    x0, y0 = math.floor(px), math.floor(py)
    out = feat.new_zeros(C)
    for xi, wx in ((x0, 1 - (px - x0)), (x0 + 1, px - x0)):
        for yi, wy in ((y0, 1 - (py - y0)), (y0 + 1, py - y0)):
            if 0 <= xi < W and 0 <= yi < H:
                out = out + wx * wy * feat[:, yi, xi]
    return out


def naive_deformable(attn, query, reference, feats):
    """Loop over batch, level, joint, head and point."""
    B, L, K, C = query.shape
    M, P = attn.num_heads, attn.num_points
    out = torch.zeros(B, L, K, C, dtype=query.dtype)
    for b in range(B):
        for level in range(L):
            proj = attn.embed_proj[level]
            for k in range(K):
                q = query[b, level, k]
                logits = attn.attention_weights(q).view(M, P)
                offsets = torch.tanh(attn.sampling_offsets(q)).view(M, P, 2)
                ref = reference[b, level, k] if reference.dim() == 4 else reference[b, k]
                for m in range(M):
                    w = torch.softmax(logits[m], dim=0)
                    acc = 0
                    for p in range(P):
                        x, y = (ref + offsets[m, p]).tolist()
                        v = proj(naive_bilinear(feats[level][b], x, y, attn.padding_mode))
                        acc = acc + w[p] * v
                    out[b, level, k, m * attn.value_dims:(m + 1) * attn.value_dims] = acc
    return out


def _random_attention(padding, seed=0):
    torch.manual_seed(seed)
    attn = PerLevelDeformableAttention(8, (3, 5), num_heads=2, num_points=3,
                                       padding_mode=padding).double()
    for p in attn.parameters():
        torch.nn.init.normal_(p, std=0.5)
    return attn


@pytest.mark.parametrize('padding', ['zeros', 'border'])
@pytest.mark.parametrize('per_level', [False, True])
def test_matches_naive_loops(padding, per_level):
    attn = _random_attention(padding)
    torch.manual_seed(1)
    feats = [torch.randn(2, 3, 5, 4).double(), torch.randn(2, 5, 3, 6).double()]
    query = torch.randn(2, 2, 4, 8).double()
    reference = torch.rand(2, 2, 4, 2).double() * 2.4 - 1.2
    if not per_level:
        reference = reference[:, 0]
    out = attn(query, reference, feats)
    assert out.shape == (2, 2, 4, 8)
    torch.testing.assert_close(out, naive_deformable(attn, query, reference, feats))


def test_init_weights_deformable_detr_grid():
    attn = PerLevelDeformableAttention(128, (32, 64, 128, 256), num_heads=4, num_points=4)
    attn.init_weights()
    bias = attn.sampling_offsets.bias.view(4, 4, 2)
    for h in range(4):
        t = 2 * math.pi * h / 4
        direction = np.array([math.cos(t), math.sin(t)])
        direction /= np.abs(direction).max()
        for s in range(4):
            np.testing.assert_allclose(bias[h, s].detach().numpy(), 0.01 * (s + 1) * direction,
                                       atol=1e-7)
    assert attn.sampling_offsets.weight.abs().sum() == 0
    assert attn.attention_weights.weight.abs().sum() == 0
    assert attn.attention_weights.bias.abs().sum() == 0
    assert attn.embed_proj[3].weight.shape == (32, 256)


def test_block_init_weights_reaches_attention():
    block = DeformableContextBlock(16, (4, 8), num_heads=2, num_points=2)
    torch.nn.init.normal_(block.attn.attention_weights.weight)
    block.init_weights()
    assert block.attn.attention_weights.weight.abs().sum() == 0


def test_kernel_requires_border_padding():
    with pytest.raises(ValueError, match='border'):
        PerLevelDeformableAttention(8, (3, ), num_heads=2, padding_mode='zeros', use_kernel=True)


def test_kernel_flag_is_ignored_on_cpu():
    attn = _random_attention('border')
    kernel = PerLevelDeformableAttention(8, (3, 5), num_heads=2, num_points=3,
                                         use_kernel=True).double()
    kernel.load_state_dict(attn.state_dict())
    feats = [torch.randn(1, 3, 5, 4).double(), torch.randn(1, 5, 3, 6).double()]
    query = torch.randn(1, 2, 3, 8).double()
    reference = torch.rand(1, 3, 2).double() * 2 - 1
    torch.testing.assert_close(kernel(query, reference, feats), attn(query, reference, feats))


@pytest.mark.skipif(not torch.cuda.is_available(), reason='MMCV ms_deform_attn needs CUDA')
def test_kernel_matches_pytorch_on_cuda():
    attn = _random_attention('border').cuda()
    kernel = PerLevelDeformableAttention(8, (3, 5), num_heads=2, num_points=3,
                                         use_kernel=True).double().cuda()
    kernel.load_state_dict(attn.state_dict())
    torch.manual_seed(2)
    feats = [torch.randn(2, 3, 5, 4).double().cuda(), torch.randn(2, 5, 3, 6).double().cuda()]
    query = torch.randn(2, 2, 4, 8).double().cuda()
    reference = (torch.rand(2, 4, 2).double() * 2.4 - 1.2).cuda()
    torch.testing.assert_close(kernel(query, reference, feats), attn(query, reference, feats))


def test_block_guided_pre_norm_residual():
    torch.manual_seed(0)
    block = DeformableContextBlock(16, (4, 8), num_heads=2, num_points=2).double().eval()
    for p in block.parameters():
        torch.nn.init.normal_(p, std=0.3)
    feats = [torch.randn(2, 4, 6, 5).double(), torch.randn(2, 8, 3, 3).double()]
    x = torch.randn(2, 2, 3, 16).double()
    guide = torch.randn(2, 1, 3, 16).double()
    reference = torch.rand(2, 3, 2).double() * 2 - 1
    h = torch.nn.functional.layer_norm(x + guide, (16, ), block.norm1.weight, block.norm1.bias,
                                       1e-5)
    x1 = x + naive_deformable(block.attn, h, reference, feats)
    n2 = torch.nn.functional.layer_norm(x1, (16, ), block.norm2.weight, block.norm2.bias, 1e-5)
    expected = x1 + block.mlp.fc2(torch.nn.functional.gelu(block.mlp.fc1(n2)))
    torch.testing.assert_close(block(x, guide, reference, feats), expected)
