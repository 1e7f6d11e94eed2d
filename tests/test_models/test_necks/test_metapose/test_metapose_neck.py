import math

import pytest
import torch

from metapose_plugin.models.heads import ContextLiftingHead
from metapose_plugin.models.necks import (MetaPoseNeck, SemanticEnhancer, SpatialEnhancer,
                                          TransformationAlignment)

B, K, C, C_TEXT = 2, 5, 16, 12
FEAT_CHANNELS = (3, 6, 7)   # L = 3, T = 4
SIZES = ((16, 12), (8, 6), (4, 3))


def inputs(seed=0):
    g = torch.Generator().manual_seed(seed)
    feats = [torch.randn(B, c, h, w, generator=g) for c, (h, w) in zip(FEAT_CHANNELS, SIZES)]
    frame = torch.rand(B, K, 2, generator=g) * 2 - 1
    crop = torch.rand(B, K, 2, generator=g) * torch.tensor([191.0, 255.0])
    text = torch.randn(B, K, C_TEXT, generator=g)
    return feats, frame, crop, text


def neck(**kwargs):
    torch.manual_seed(0)
    module = MetaPoseNeck(feat_channels=FEAT_CHANNELS, text_channels=C_TEXT, embed_dims=C,
                          num_keypoints=K, num_blocks=2, num_heads=2, num_points=3,
                          align_heads=2, **kwargs)
    module.init_weights()
    return module


def test_shapes_and_no_in_place():
    feats, frame, crop, text = inputs()
    crop_before = crop.clone()
    tokens = neck().eval()(feats, keypoints_frame=frame, keypoints_crop=crop, text_feats=text)
    assert tokens.shape == (B, 4, K, C)
    assert torch.equal(crop, crop_before)


def test_missing_text_and_bad_shapes_are_named():
    feats, frame, crop, _ = inputs()
    with pytest.raises(ValueError, match='text_feats'):
        neck()(feats, keypoints_frame=frame, keypoints_crop=crop)
    with pytest.raises(ValueError, match='keypoints_crop'):
        neck()(feats, keypoints_frame=frame, keypoints_crop=crop[:, :3], text_feats=inputs()[3])


def test_faithful_eval_is_random_unless_noise_given():
    feats, frame, crop, text = inputs()
    model = neck(faithful=True, kl_weight=0.0).eval()
    kwargs = dict(keypoints_frame=frame, keypoints_crop=crop, text_feats=text)
    with torch.no_grad():
        a, b = model(feats, **kwargs), model(feats, **kwargs)
        noise = torch.randn(B, 4, K, C)
        c, d = model(feats, noise=noise, **kwargs), model(feats, noise=noise, **kwargs)
    assert (a - b).abs().max() > 1e-4
    torch.testing.assert_close(c, d)
    assert model.aux_losses == {}


def test_default_eval_deterministic_and_kl_in_training():
    feats, frame, crop, text = inputs()
    model = neck(kl_weight=0.5)
    kwargs = dict(keypoints_frame=frame, keypoints_crop=crop, text_feats=text)
    model.eval()
    with torch.no_grad():
        torch.testing.assert_close(model(feats, **kwargs), model(feats, **kwargs))
    assert model.aux_losses == {}
    model.train()
    model(feats, **kwargs)
    assert set(model.aux_losses) == {'loss_kl'}
    with pytest.raises(ValueError, match='kl_weight'):
        TransformationAlignment(faithful=True, kl_weight=0.1)


def test_default_alignment_kl_and_mean_at_eval():
    torch.manual_seed(0)
    align = TransformationAlignment(embed_dims=8, num_tokens=2, num_heads=2, kl_weight=0.5)
    assert align.source_norm is not None and align.cross_attn.text_norm is None
    spatial, semantic = torch.randn(2, 2, 3, 8), torch.randn(2, 2, 3, 8)
    _, kl = align.train()(spatial, semantic)
    mean, logvar = align.dist_proj(align.source_norm(spatial)).unbind(-1)
    expected = 0.5 * 0.5 * (mean**2 + logvar.exp() - 1 - logvar).mean()
    torch.testing.assert_close(kl, expected)
    align.eval()
    out, kl = align(spatial, semantic)
    assert kl is None
    # at eval G = mean: a very different noise argument is ignored
    torch.testing.assert_close(out, align(spatial, semantic, torch.full_like(spatial, 9.0))[0])
    # and mean / logvar reach the output (not erased)
    with torch.no_grad():
        align.dist_proj.bias.add_(torch.tensor([3.0, 1.0]))
    assert (align(spatial, semantic)[0] - out).abs().max() > 1e-4


def test_alignment_faithful_matches_manual_computation():
    torch.manual_seed(0)
    align = TransformationAlignment(embed_dims=8, num_tokens=3, num_heads=2, faithful=True,
                                    kl_weight=0.0).eval()
    spatial, semantic, noise = (torch.randn(2, 3, 4, 8) for _ in range(3))
    out, kl = align(spatial, semantic, noise)
    assert kl is None
    mean, logvar = align.dist_proj(spatial).unbind(-1)
    prompt = (mean[..., None] + (0.5 * logvar).exp()[..., None] * noise).reshape(2, 12, 8)
    fused = torch.stack([align.fusion[t](torch.cat([spatial[:, t], semantic[:, t]], -1))
                         for t in range(3)], 1).reshape(2, 12, 8)
    attn = align.cross_attn
    q = attn.query(attn.norm(fused)).view(2, 12, 2, 4)
    k = attn.key(attn.text_norm(prompt)).view(2, 12, 2, 4)
    v = attn.value(attn.text_norm(prompt)).view(2, 12, 2, 4)
    w = torch.einsum('bnhd,bmhd->bnmh', q, k).div(math.sqrt(4)).softmax(dim=2)
    expected = fused + torch.einsum('bnmh,bmhd->bnhd', w, v).reshape(2, 12, 8)
    torch.testing.assert_close(out, expected.view(2, 3, 4, 8))


def test_faithful_layer_norm_erases_mean_and_std():
    """SPEC section 6: with LN on G the output ignores mean and logvar."""
    torch.manual_seed(0)
    align = TransformationAlignment(embed_dims=8, num_tokens=2, num_heads=2, faithful=True,
                                    kl_weight=0.0).eval()
    spatial, semantic, noise = (torch.randn(1, 2, 3, 8) for _ in range(3))
    out, _ = align(spatial, semantic, noise)
    with torch.no_grad():
        align.dist_proj.bias.add_(torch.tensor([3.0, 1.0]))
    shifted, _ = align(spatial, semantic, noise)
    torch.testing.assert_close(out, shifted, atol=1e-4, rtol=1e-4)


def test_semantic_reference_moves_per_level():
    torch.manual_seed(0)
    enhancer = SemanticEnhancer(embed_dims=C, feat_channels=FEAT_CHANNELS, num_keypoints=K,
                                num_blocks=2, num_heads=2, num_points=3)
    enhancer.init_weights()
    block = enhancer.blocks[0]
    torch.testing.assert_close(block.offsets.bias, torch.tensor([0.01, 0.0]))
    assert block.offsets.weight.abs().sum() == 0
    assert abs(enhancer.query_embed.weight.std().item() - 1.0) < 0.3
    feats, _, crop, _ = inputs()
    x = torch.randn(B, 3, K, C)
    reference = crop / torch.tensor([96.0, 128.0]) - 1
    with torch.no_grad():
        block.offsets.weight.normal_()
    _, moved = block(x, enhancer.query_embed.weight.view(1, 3, K, C), torch.randn(B, 1, K, C),
                     reference.unsqueeze(1), feats)
    assert moved.shape == (B, 3, K, 2)
    assert (moved[:, 0] - moved[:, 1]).abs().max() > 1e-4


def test_spatial_enhancer_appends_guide():
    enhancer = SpatialEnhancer(embed_dims=C, feat_channels=FEAT_CHANNELS, num_blocks=1,
                               num_heads=2, num_points=3)
    feats, _, crop, _ = inputs()
    guide = torch.randn(B, 1, K, C)
    out = enhancer(torch.randn(B, 3, K, C), guide, crop / torch.tensor([96.0, 128.0]) - 1, feats)
    assert out.shape == (B, 4, K, C)
    assert torch.equal(out[:, 3:], guide)


def test_position_embedding_init():
    model = neck()
    for embed in (model.point_pos_embed, model.text_pos_embed, model.level_pos_embed):
        assert 0.01 < embed.std().item() < 0.03


@pytest.mark.parametrize('faithful', [False, True])
def test_w32_lifter_parameter_count(faithful):
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    lifter = MetaPoseNeck(faithful=faithful, kl_weight=0.0 if faithful else 1e-3)
    head = ContextLiftingHead(drop_path_range=(0.1, 0.2), with_pos_embed=True)
    assert count(lifter) + count(head) == 14_999_309
