"""tools/check_parity.py (default kind: MetaPose and CA-PF) on the shared
fixture, on a copy without a required output, and the converter it uses."""
import importlib.util
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch

from metapose_plugin.parity.metapose import REQUIRED_OUTPUTS
from metapose_plugin.testing import parity_fixture_dir

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
FIXTURE = parity_fixture_dir()
needs_fixture = pytest.mark.shared_fixture(*(FIXTURE / name for name in (
    'io.pt', 'capf_lifter.pt', 'metapose.pt', 'hrnet_w32.pt')))


def load_tool(name):
    spec = importlib.util.spec_from_file_location(name, osp.join(ROOT, 'tools', f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@needs_fixture
def test_check_parity_on_shared_fixture():
    torch.set_num_threads(1)
    result = load_tool('check_parity').check(str(FIXTURE))
    assert result.passed, result.summary()
    # HRNet and every required output, the prompt strings and ids included
    assert set(result.compared) == {'hrnet_features', *REQUIRED_OUTPUTS}
    assert len(result.compared) == 6 and not result.skipped


@needs_fixture
def test_tool_exits_1_without_a_required_output(tmp_path):
    io = torch.load(FIXTURE / 'io.pt')
    del io['metapose_text_features']
    torch.save(io, tmp_path / 'io.pt')
    for name in ('capf_lifter.pt', 'metapose.pt'):  # no HRNet: the saved features
        os.symlink(FIXTURE / name, tmp_path / name)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        p for p in (ROOT, os.environ.get('PYTHONPATH')) if p), OMP_NUM_THREADS='1')
    proc = subprocess.run([sys.executable, 'tools/check_parity.py', str(tmp_path)], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 1, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert 'required but not compared: metapose_text_features' in proc.stdout
    assert 'hrnet_features' in proc.stdout and 'skipped (no hrnet_w32.pt' in proc.stdout
    assert 'metapose_output' in proc.stdout and 'FAIL' in proc.stdout.splitlines()[-2]


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
