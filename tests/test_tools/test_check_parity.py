import importlib.util
import os.path as osp

import pytest
import torch

from metapose_plugin.testing import parity_fixture_dir

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
FIXTURE = str(parity_fixture_dir())


def load_tool(name):
    spec = importlib.util.spec_from_file_location(name, osp.join(ROOT, 'tools', f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(not osp.isfile(osp.join(FIXTURE, 'io.pt')), reason='fixture not available')
def test_check_parity_on_shared_fixture(capsys):
    torch.set_num_threads(1)
    assert load_tool('check_parity').check(FIXTURE)
    out = capsys.readouterr().out
    for name in ('hrnet_features', 'metapose_text_features', 'capf_output', 'metapose_output'):
        assert name in out and 'FAIL' not in out


def test_metapose_conversion_splits_and_refuses():
    from metapose_plugin.models.converters.ckpt_convert import convert_metapose_checkpoint
    g = torch.Generator().manual_seed(0)
    in_proj = torch.randn(12, 4, generator=g)
    projection = torch.randn(4, 3, generator=g)
    checkpoint = {'model': {
        'module.text_encoder.transformer.resblocks.0.attn.in_proj_weight': in_proj,
        'module.text_encoder.text_projection': projection,
        'module.text_encoder.visual.conv1.weight': torch.zeros(1),
        'module.pose_net.dis_cross.text_norm.weight': torch.ones(4),
        'module.learnable_prompts': torch.ones(2, 4)}}
    converted, _, _ = convert_metapose_checkpoint(checkpoint)
    layer = 'text_encoder.text_model.encoder.layers.0.self_attn.'
    assert torch.equal(converted[layer + 'q_proj.weight'], in_proj[:4])
    assert torch.equal(converted[layer + 'v_proj.weight'], in_proj[8:])
    assert torch.equal(converted['text_encoder.text_projection.weight'], projection.t())
    assert 'neck.alignment.cross_attn.text_norm.weight' in converted
    assert 'text_encoder.learnable_prompts' in converted
    assert not any('visual' in k for k in converted)
    with pytest.raises(KeyError, match='pose_net.unknown'):
        convert_metapose_checkpoint({'pose_net.unknown': torch.zeros(1)})
    with pytest.raises(KeyError, match='missing'):
        convert_metapose_checkpoint({}, expected_keys=['neck.coord_embed.weight'])
