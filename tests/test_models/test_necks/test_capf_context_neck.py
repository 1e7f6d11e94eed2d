import pytest
import torch
import torch.nn.functional as F

from metapose_plugin.models.necks import CAPFContextNeck

FEAT_CHANNELS = (3, 5, 6, 7)


def _inputs(batch=2, num_keypoints=4, seed=0):
    gen = torch.Generator().manual_seed(seed)
    feats = [torch.randn(batch, c, 16 // 2**i, 12 // 2**i, generator=gen)
             for i, c in enumerate(FEAT_CHANNELS)]
    frame = torch.rand(batch, num_keypoints, 2, generator=gen) * 2 - 1
    crop = torch.rand(batch, num_keypoints, 2, generator=gen) * torch.tensor([191.0, 255.0])
    return feats, frame, crop


def _neck(**kwargs):
    torch.manual_seed(0)
    neck = CAPFContextNeck(feat_channels=FEAT_CHANNELS, embed_dims=8, num_keypoints=4,
                           num_blocks=2, num_heads=2, num_points=2, **kwargs)
    neck.init_weights()
    return neck.eval()


def test_shapes_and_coordinate_token_untouched():
    neck = _neck()
    feats, frame, crop = _inputs()
    tokens = neck(feats, keypoints_frame=frame, keypoints_crop=crop)
    assert tokens.shape == (2, 5, 4, 8)
    torch.testing.assert_close(tokens[:, 0], neck.coord_embed(frame) + neck.pos_embed[:, 0])


def test_initial_tokens_sample_crop_reference():
    neck = _neck()
    neck.blocks = torch.nn.ModuleList()
    feats, frame, crop = _inputs()
    tokens = neck(feats, keypoints_frame=frame, keypoints_crop=crop)
    grid = crop / torch.tensor([96.0, 128.0]) - 1
    for level, feat in enumerate(feats):
        # (B, C_l, K, 1) -> (B, K, C_l)
        sampled = F.grid_sample(feat, grid[:, :, None], align_corners=True)[..., 0].transpose(1, 2)
        torch.testing.assert_close(tokens[:, level + 1], neck.feat_embed[level](sampled))


def test_inputs_not_modified_in_place():
    neck = _neck()
    feats, frame, crop = _inputs()
    frame_before, crop_before = frame.clone(), crop.clone()
    neck(feats, keypoints_frame=frame, keypoints_crop=crop)
    assert torch.equal(frame, frame_before) and torch.equal(crop, crop_before)


def test_init_weights_and_drop_path_schedule():
    neck = CAPFContextNeck(feat_channels=FEAT_CHANNELS, embed_dims=8, num_keypoints=4,
                           num_blocks=2, num_heads=2, num_points=2, drop_path_range=(0.0, 0.2))
    torch.nn.init.normal_(neck.pos_embed)
    for block in neck.blocks:
        torch.nn.init.normal_(block.attn.sampling_offsets.weight)
        torch.nn.init.normal_(block.attn.attention_weights.bias)
    neck.init_weights()
    assert neck.pos_embed.abs().sum() == 0
    # the neck's init_weights reaches every block's Deformable-DETR init
    for block in neck.blocks:
        assert block.attn.sampling_offsets.weight.abs().sum() == 0
        assert block.attn.attention_weights.bias.abs().sum() == 0
    assert neck.pos_embed.shape == (1, 5, 4, 8)
    assert isinstance(neck.blocks[0].drop_path, torch.nn.Identity)
    assert neck.blocks[1].drop_path.drop_prob == pytest.approx(0.2)
    assert all(b.attn.padding_mode == 'border' for b in neck.blocks)
    assert neck.blocks[0].norm1.eps == 1e-5


def test_bad_inputs_raise_clear_errors():
    neck = _neck()
    feats, frame, crop = _inputs()
    with pytest.raises(ValueError, match='text_feats'):
        neck(feats, keypoints_frame=frame, keypoints_crop=crop, text_feats=torch.zeros(2, 4, 3))
    with pytest.raises(ValueError, match='keypoints_frame'):
        neck(feats, keypoints_frame=frame[:, :3], keypoints_crop=crop)
