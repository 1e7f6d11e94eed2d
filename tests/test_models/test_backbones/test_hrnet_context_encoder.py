import pytest
import torch
from mmpose.models.backbones import HRNet

from metapose_plugin.models.backbones import HRNetContextEncoder
from metapose_plugin.models.converters import convert_hrnet_checkpoint
from metapose_plugin.testing import parity_fixture_dir

FIXTURES = parity_fixture_dir()

TINY_EXTRA = dict(
    stage1=dict(num_modules=1, num_branches=1, block='BOTTLENECK', num_blocks=(1, ),
                num_channels=(8, )),
    stage2=dict(num_modules=1, num_branches=2, block='BASIC', num_blocks=(1, 1),
                num_channels=(4, 8)),
    stage3=dict(num_modules=1, num_branches=3, block='BASIC', num_blocks=(1, 1, 1),
                num_channels=(4, 8, 16)),
    stage4=dict(num_modules=2, num_branches=4, block='BASIC', num_blocks=(1, 1, 1, 1),
                num_channels=(4, 8, 16, 32)))

W32_EXTRA = dict(
    stage1=dict(num_modules=1, num_branches=1, block='BOTTLENECK', num_blocks=(4, ),
                num_channels=(64, )),
    stage2=dict(num_modules=1, num_branches=2, block='BASIC', num_blocks=(4, 4),
                num_channels=(32, 64)),
    stage3=dict(num_modules=4, num_branches=3, block='BASIC', num_blocks=(4, 4, 4),
                num_channels=(32, 64, 128)),
    stage4=dict(num_modules=3, num_branches=4, block='BASIC', num_blocks=(4, 4, 4, 4),
                num_channels=(32, 64, 128, 256)))


def _randomise_bn(module):
    """Non-trivial BN statistics so that eval and train mode differ."""
    gen = torch.Generator().manual_seed(0)
    for m in module.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.copy_(torch.randn(m.num_features, generator=gen) * 0.1)
            m.running_var.copy_(torch.rand(m.num_features, generator=gen) + 0.5)


def test_levels_are_final_output_and_first_stage4_branches():
    torch.manual_seed(0)
    encoder = HRNetContextEncoder(TINY_EXTRA)
    _randomise_bn(encoder)
    reference = HRNet(TINY_EXTRA)
    reference.eval()
    reference.load_state_dict(encoder.state_dict())
    branch_outputs = {}
    for i, branch in enumerate(reference.stage4[0].branches):
        branch.register_forward_hook(lambda m, inp, out, i=i: branch_outputs.__setitem__(i, out))
    x = torch.randn(2, 3, 128, 96)
    with torch.no_grad():
        levels = encoder(x)
        (expected_final, ) = reference(x)
    assert [tuple(t.shape) for t in levels] == [(2, 4, 32, 24), (2, 8, 16, 12), (2, 16, 8, 6),
                                                (2, 32, 4, 3)]
    assert encoder.out_channels == [4, 8, 16, 32]
    torch.testing.assert_close(levels[0], expected_final)
    for level in (1, 2, 3):
        torch.testing.assert_close(levels[level], branch_outputs[level])


def test_frozen_and_always_eval():
    encoder = HRNetContextEncoder(TINY_EXTRA)
    assert all(not p.requires_grad for p in encoder.parameters())
    parent = torch.nn.Sequential(encoder, torch.nn.Linear(2, 2))
    assert parent.train() is parent and encoder.train() is encoder
    assert parent[1].training
    assert not any(m.training for m in encoder.modules())
    _randomise_bn(encoder)
    x = torch.randn(1, 3, 128, 96)
    before = [b.clone() for b in encoder.buffers()]
    encoder(x)
    assert all(torch.equal(a, b) for a, b in zip(before, encoder.buffers()))


def test_rejects_three_branch_stage4():
    extra = {**TINY_EXTRA, 'stage4': dict(TINY_EXTRA['stage3'])}
    with pytest.raises(ValueError, match='num_branches'):
        HRNetContextEncoder(extra)


@pytest.mark.shared_fixture(FIXTURES / 'hrnet_w32.pt', FIXTURES / 'io.pt')
def test_w32_matches_reference_features():
    state_dict = torch.load(FIXTURES / 'hrnet_w32.pt')
    io = torch.load(FIXTURES / 'io.pt')
    encoder = HRNetContextEncoder(W32_EXTRA)
    converted, missing, unexpected = convert_hrnet_checkpoint(
        state_dict, expected_keys=encoder.state_dict().keys())
    assert not missing and not unexpected
    encoder.load_state_dict({k: v.float() if v.is_floating_point() else v
                             for k, v in converted.items()})
    with torch.no_grad():
        levels = encoder(io['images'].permute(0, 3, 1, 2))
    for ours, expected in zip(levels, io['hrnet_features']):
        torch.testing.assert_close(ours, expected, atol=1e-4, rtol=0)


@pytest.mark.parametrize('layout', ['mmpose', 'original'])
def test_pretrained_init_cfg_loads_both_checkpoint_layouts(tmp_path, layout):
    """An MMPose top-down checkpoint (``backbone.`` keys, numpy in ``meta``,
    loaded under torch's weights_only default) and an original HRNet .pth
    (bare keys plus the heatmap ``final_layer``) both load through init_cfg."""
    import numpy as np
    torch.manual_seed(1)
    source = HRNetContextEncoder(extra=TINY_EXTRA)
    _randomise_bn(source)
    weights = source.state_dict()
    path = tmp_path / f'{layout}.pth'
    if layout == 'mmpose':
        state_dict = {f'backbone.{k}': v for k, v in weights.items()}
        state_dict['head.final_layer.weight'] = torch.zeros(17, 4, 1, 1)
        torch.save(dict(state_dict=state_dict,
                        meta=dict(dataset_meta=dict(sigmas=np.ones(17, dtype=np.float32)))),
                   path)
        init_cfg = dict(type='Pretrained', checkpoint=str(path), prefix='backbone.')
    else:
        state_dict = dict(weights, **{'final_layer.weight': torch.zeros(17, 4, 1, 1)})
        torch.save(state_dict, path)
        init_cfg = dict(type='Pretrained', checkpoint=str(path))
    torch.manual_seed(2)
    target = HRNetContextEncoder(extra=TINY_EXTRA, init_cfg=init_cfg)
    assert not torch.equal(target.conv1.weight, weights['conv1.weight'])
    target.init_weights()
    for key, value in target.state_dict().items():
        torch.testing.assert_close(value, weights[key], msg=key)
