from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmpose.registry import MODELS

from metapose_plugin.models.converters import (convert_capf_checkpoint, convert_hrnet_checkpoint,
                                               rename_state_dict)
from metapose_plugin.models.converters.ckpt_convert import convert_hrnet_topdown_checkpoint
from metapose_plugin.testing import parity_fixture_dir
from metapose_plugin.utils import register_all_modules

FIXTURES = parity_fixture_dir()
W32_CONFIG = (Path(__file__).parents[3] /
              'configs/capf/capf_hrnet-w32-cpn_1xb512-60e_h36m-256x192.py')


def test_rename_table_reports_missing_and_unexpected():
    sd = {'a.0.weight': torch.zeros(1), 'a.1.weight': torch.ones(1), 'junk': torch.zeros(1),
          'final_layer.bias': torch.zeros(1)}
    renames = [(r'a\.(\d)\.(.*)', r'b.layers.\1.\2')]
    converted, missing, unexpected = rename_state_dict(
        sd, renames, ignore=[r'final_layer\..*'], expected_keys=['b.layers.0.weight', 'b.extra'],
        strict=False)
    assert set(converted) == {'b.layers.0.weight', 'b.layers.1.weight'}
    assert converted['b.layers.1.weight'] is sd['a.1.weight']
    assert missing == ['b.extra'] and unexpected == ['junk']
    with pytest.raises(KeyError, match=r"missing keys \['b.extra'\], unexpected keys \['junk'\]"):
        rename_state_dict(sd, renames, ignore=[r'final_layer\..*'], expected_keys=['b.extra'],
                          source='x.pth')


def test_hrnet_prefixes_and_heads():
    sd = {'backbone.conv1.weight': 1, 'backbone.stage4.0.fuse_layers.0.1.0.weight': 2,
          'keypoint_head.final_layer.weight': 3, 'head.final_layer.bias': 4}
    converted, _, unexpected = convert_hrnet_checkpoint({'state_dict': sd}, prefix='backbone.')
    assert converted == {'backbone.conv1.weight': 1,
                         'backbone.stage4.0.fuse_layers.0.1.0.weight': 2}
    assert not unexpected
    original = {'conv1.weight': 1, 'final_layer.weight': 3}
    assert convert_hrnet_checkpoint(original)[0] == {'conv1.weight': 1}


def test_capf_training_checkpoint_layout():
    sd = {'module.backbone.layer1.0.conv1.weight': 1, 'module.backbone.final_layer.weight': 2,
          'module.volume_net.context_blocks.3.sampling_offsets.bias': 3,
          'module.volume_net.context_blocks.0.mlp.fc1.weight': 4,
          'module.volume_net.res_blocks.1.attn.qkv.weight': 5,
          'module.volume_net.head.1.bias': 6, 'module.volume_net.Spatial_pos_embed': 7}
    converted, _, _ = convert_capf_checkpoint({'model': sd, 'epoch': 3})
    assert converted == {
        'backbone.layer1.0.conv1.weight': 1, 'neck.blocks.3.attn.sampling_offsets.bias': 3,
        'neck.blocks.0.mlp.fc1.weight': 4, 'head.scale_blocks.1.attn.qkv.weight': 5,
        'head.fc.bias': 6, 'neck.pos_embed': 7}
    with pytest.raises(KeyError, match='volume_net.unknown|unknown'):
        convert_capf_checkpoint({'module.volume_net.unknown': 0})


def _w32_capf_model():
    register_all_modules()
    cfg = Config.fromfile(W32_CONFIG)
    cfg.model.backbone.init_cfg = None
    model = MODELS.build(cfg.model)
    return model.eval()


@pytest.mark.shared_fixture(FIXTURES / 'capf_lifter.pt', FIXTURES / 'io.pt')
def test_capf_lifter_matches_reference_from_features():
    model = _w32_capf_model()
    lifter = torch.load(FIXTURES / 'capf_lifter.pt')
    converted, missing, unexpected = convert_capf_checkpoint(
        lifter, expected_keys=[k for k in model.state_dict() if not k.startswith('backbone.')])
    assert not missing and not unexpected
    assert sum(v.numel() for v in converted.values()) == 14_094_147
    model.load_state_dict({k: v.float() for k, v in converted.items()}, strict=False)
    io = torch.load(FIXTURES / 'io.pt')
    crop = io['keypoints_2d_crop']
    crop_before = crop.clone()
    with torch.no_grad():
        tokens = model.neck(io['hrnet_features'], keypoints_frame=io['keypoints_2d'],
                            keypoints_crop=crop)
        out = model.head(tokens)
    torch.testing.assert_close(out, io['capf_output'][:, 0], atol=1e-5, rtol=0)
    assert torch.equal(crop, crop_before)


@pytest.mark.shared_fixture(*(FIXTURES / name for name in ('capf_lifter.pt', 'hrnet_w32.pt',
                                                           'io.pt')))
def test_capf_full_forward_from_image():
    model = _w32_capf_model()
    checkpoint = {f'volume_net.{k}': v for k, v in torch.load(FIXTURES / 'capf_lifter.pt').items()}
    hrnet = torch.load(FIXTURES / 'hrnet_w32.pt')
    checkpoint.update({f'backbone.{k}': v for k, v in hrnet.items()})
    converted, missing, unexpected = convert_capf_checkpoint(
        checkpoint, expected_keys=model.state_dict().keys())
    assert not missing and not unexpected
    model.load_state_dict({k: v.float() if v.is_floating_point() else v
                           for k, v in converted.items()})
    io = torch.load(FIXTURES / 'io.pt')
    with torch.no_grad():
        feats = model.backbone(io['images'].permute(0, 3, 1, 2))
        out = model.head(model.neck(feats, keypoints_frame=io['keypoints_2d'],
                                    keypoints_crop=io['keypoints_2d_crop']))
    torch.testing.assert_close(out, io['capf_output'][:, 0], atol=1e-4, rtol=0)


def test_original_hrnet_into_mmpose_topdown_model():
    """The original HRNet layout (``final_layer`` beside the backbone keys,
    as ``pose_hrnet_w32_256x192.pth``) -> MMPose's td-hm HRNet-W32, keys checked."""
    register_all_modules()
    import mmpose
    config = (Path(mmpose.__file__).parent / '.mim/configs/body_2d_keypoint/topdown_heatmap/coco' /
              'td-hm_hrnet-w32_8xb64-210e_coco-256x192.py')
    cfg = Config.fromfile(config)
    cfg.model.backbone.init_cfg = None
    target = MODELS.build(cfg.model).state_dict()
    torch.manual_seed(0)
    original = {(k[len('backbone.'):] if k.startswith('backbone.') else
                 k.replace('head.final_layer.', 'final_layer.')): torch.randn_like(v.float())
                for k, v in target.items()}
    assert 'final_layer.weight' in original and 'stage4.0.fuse_layers.0.1.0.weight' in original
    converted, missing, unexpected = convert_hrnet_topdown_checkpoint(
        {'module.' + k: v for k, v in original.items()}, expected_keys=target)
    assert not missing and not unexpected and converted.keys() == target.keys()
    assert converted['head.final_layer.bias'] is original['final_layer.bias']
    assert converted['backbone.stage3.2.branches.1.0.conv2.weight'] is \
        original['stage3.2.branches.1.0.conv2.weight']
    partial = {k: v for k, v in original.items() if k != 'stage2.0.fuse_layers.1.0.0.1.weight'}
    with pytest.raises(KeyError, match=r'missing keys \[.backbone.stage2.0.fuse_layers.1.0.0.1'):
        convert_hrnet_topdown_checkpoint(partial, expected_keys=target)
    with pytest.raises(KeyError, match='unexpected keys.*keypoint_head.x'):
        convert_hrnet_topdown_checkpoint(dict(original, **{'keypoint_head.x': torch.zeros(1)}),
                                         expected_keys=target)
