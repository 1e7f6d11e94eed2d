import math

import pytest
import torch
from mmpose.registry import MODELS

from metapose_plugin.models.utils.finepose.part_text_cross_attention import PartTextCrossAttention

B, H, F, K, C, S = 2, 3, 5, 6, 16, 7


@pytest.fixture(autouse=True)
def one_thread():
    torch.set_num_threads(1)


def build(text_rows='sample', init=True):
    torch.manual_seed(0)
    model = MODELS.build(dict(type='FinePOSEDenoiser', num_frames=F, num_joints=K, embed_dims=C,
                              depth=2, num_heads=4, text_rows=text_rows))
    if init:
        model.init_weights()
    for p in (model.spatial_pos_embed, model.temporal_pos_embed,
              model.text_cross_attn.out_proj.weight):
        torch.nn.init.normal_(p, std=0.1)  # non-trivial values for the tests below
    return model.eval()


def inputs(seed=0):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(B, F, K, 2, generator=g), torch.randn(B, H, F, K, 3, generator=g),
            torch.tensor([3, 700]), torch.randn(B, S, C, generator=g),
            torch.randn(B, C, generator=g))


def test_init_weights_zero_pos_embed_and_identity_cross_attention():
    torch.manual_seed(0)
    model = MODELS.build(dict(type='FinePOSEDenoiser', num_frames=F, num_joints=K, embed_dims=C,
                              depth=2, num_heads=4))
    torch.nn.init.normal_(model.spatial_pos_embed)
    model.init_weights()
    assert model.spatial_pos_embed.abs().sum() == 0 and model.temporal_pos_embed.abs().sum() == 0
    seen = {}
    model.text_cross_attn.register_forward_hook(lambda m, a, o: seen.update(x=a[0], y=o))
    model(*inputs())
    torch.testing.assert_close(seen['y'], seen['x'])


def test_shapes_and_hypotheses_are_independent():
    model = build()
    c, x, t, tokens, pooled = inputs()
    with torch.no_grad():
        out = model(c, x, t, tokens, pooled)
        single = model(c, x[:, 1:2], t, tokens, pooled)
    assert out.shape == (B, H, F, K, 3)
    torch.testing.assert_close(out[:, 1:2], single, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('text_rows,leaks', [('sample', False), ('modulo', True)])
def test_text_rows(text_rows, leaks):
    model = build(text_rows)
    c, x, t, tokens, pooled = inputs()
    other = tokens.clone()
    other[1] = torch.randn(S, C)  # change only sample 1's text tokens
    with torch.no_grad():
        a = model(c, x, t, tokens, pooled)
        b = model(c, x, t, other, pooled)
    assert torch.allclose(a[0], b[0]) != leaks
    assert not torch.allclose(a[1], b[1])


def reference_cross_attention(block, x, text, cond):
    """The reference layout: text tiled with repeat (row r reads text r mod
    B), explicit softmax, then the stylization."""
    R, T, D = x.shape
    M = block.num_heads
    q = block.query(block.norm(x)).view(R, T, M, -1)
    k = block.key(block.text_norm(text)).repeat(R // text.shape[0], 1, 1).view(R, -1, M, D // M)
    v = block.value(block.text_norm(text)).repeat(R // text.shape[0], 1, 1).view(R, -1, M, D // M)
    w = torch.softmax(torch.einsum('bnhd,bmhd->bnmh', q, k) / math.sqrt(D // M), dim=2)
    y = torch.einsum('bnmh,bmhd->bnhd', w, v).reshape(R, T, D)
    emb = cond.repeat_interleave(R // cond.shape[0], dim=0)[:, None]
    scale, shift = block.cond_proj(torch.nn.functional.silu(emb)).chunk(2, dim=-1)
    return x + block.out_proj(torch.nn.functional.silu(block.out_norm(y) * (1 + scale) + shift))


def test_cross_attention_matches_explicit_reference_layout():
    torch.manual_seed(0)
    block = PartTextCrossAttention(C, 4, text_rows='modulo')
    torch.nn.init.normal_(block.out_proj.weight)
    x, text, cond = torch.randn(B * H * K, F, C), torch.randn(B, S, C), torch.randn(B, C)
    expected = reference_cross_attention(block, x, text, cond)
    torch.testing.assert_close(block(x, text, cond), expected, rtol=1e-5, atol=1e-5)


def test_wrong_window_or_joints_is_a_clear_error():
    model = build()
    c, x, t, tokens, pooled = inputs()
    with pytest.raises(ValueError, match=r'keypoints_2d.*F = 5 frames'):
        model(c[:, :4], x[:, :, :4], t, tokens, pooled)
    with pytest.raises(ValueError, match='noisy'):
        model(c, x[..., :4, :], t, tokens, pooled)


@pytest.mark.parametrize('text_rows', ['sample', 'modulo'])
# F * K = 30 tokens per sequence: passes of 1 and of 4 (not dividing B * H = 6)
@pytest.mark.parametrize('pass_tokens', [30, 149])
def test_sequence_passes_give_the_same_result(text_rows, pass_tokens):
    model = build(text_rows)
    c, x, t, tokens, pooled = inputs()
    tokens[1] += 1  # the two samples read different texts
    with torch.no_grad():
        whole = model(c, x, t, tokens, pooled)
        model.cpu_tokens_per_pass = pass_tokens
        passes = model(c, x, t, tokens, pooled)
    torch.testing.assert_close(passes, whole, rtol=1e-5, atol=1e-6)


def test_sequence_passes_keep_gradients():
    model = build()
    c, x, t, tokens, pooled = inputs()
    tokens.requires_grad_(True)
    model(c, x, t, tokens, pooled).square().sum().backward()
    whole = tokens.grad.clone()
    tokens.grad = None
    model.cpu_tokens_per_pass = 60  # 2 sequences per pass
    model(c, x, t, tokens, pooled).square().sum().backward()
    torch.testing.assert_close(tokens.grad, whole, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize('text_rows', ['sample', 'modulo'])
def test_cross_attention_on_a_slice_of_rows_equals_the_slice_of_all_rows(text_rows):
    torch.manual_seed(0)
    block = PartTextCrossAttention(C, 4, text_rows=text_rows)
    torch.nn.init.normal_(block.out_proj.weight)
    x, text, cond = torch.randn(B * H * K, F, C), torch.randn(B, S, C), torch.randn(B, C)
    whole = block(x, text, cond)
    first, rows = 7, 20  # rows 7..26 cross the boundary of the two samples
    part = block(x[first:first + rows], text, cond, first_row=first, rows_per_sample=H * K)
    torch.testing.assert_close(part, whole[first:first + rows], rtol=1e-5, atol=1e-6)
