"""The tools stop with an error naming the file instead of a number from a
wrong checkpoint or a traceback from inside a library."""
import os
import os.path as osp
import runpy
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmpose.registry import MODELS

from ._tool_utils import REPO

FINEPOSE_TINY = ('configs/finepose/'
                 'finepose_tiny-mixste-27frm-cpn_clip_1xb4-1e_h36m-videopose3d-sample.py')
MPM_LIFT_TINY = 'configs/mpm/mpm-lift_tiny-27frm-tds2_1xb32-2e_h36m-videopose3d-sample.py'


def _run(args):
    env = dict(os.environ, PYTHONPATH=REPO, OMP_NUM_THREADS='1')
    proc = subprocess.run([sys.executable, *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=300)
    return proc.returncode, proc.stdout + proc.stderr


def test_test_tool_refuses_another_methods_checkpoint(tmp_path):
    """The issue's case: an MPM config with a FinePOSE checkpoint reported
    P1 from random weights and exited 0."""
    with DefaultScope.overwrite_default_scope('mmpose'):
        model = MODELS.build(Config.fromfile(osp.join(REPO, FINEPOSE_TINY)).model)
    checkpoint = tmp_path / 'finepose.pth'
    torch.save(dict(state_dict=model.state_dict(), meta=dict()), checkpoint)
    code, output = _run(['tools/test.py', MPM_LIFT_TINY, str(checkpoint), '--work-dir',
                         str(tmp_path / 'work'), '--cfg-options', 'model.backbone.init_cfg=None'])
    assert code != 0
    assert f'CheckpointMismatchError: {checkpoint} does not fit the model MPMSequenceLifter' \
        in output
    assert 'missing keys (backbone.' in output and 'unexpected keys (' in output
    assert 'Epoch(test)' not in output  # no number


@pytest.mark.parametrize('damage', ['truncated', 'garbage'])
def test_converter_names_an_unreadable_checkpoint(tmp_path, monkeypatch, capsys, damage):
    source = tmp_path / 'best_epoch.bin'
    torch.save({'model': {'w': torch.zeros(100, 100)}}, source)
    data = source.read_bytes()
    source.write_bytes(data[:len(data) // 2] if damage == 'truncated' else b'x' * 3000)
    monkeypatch.setattr(sys, 'argv', ['convert_reference_ckpt.py', str(source),
                                      str(tmp_path / 'out.pth')])
    with pytest.raises(SystemExit) as stop:  # argparse's error: usage, message, exit 2
        runpy.run_path(osp.join(REPO, 'tools', 'convert_reference_ckpt.py'),
                       run_name='__main__')
    assert stop.value.code == 2
    assert f'{source}: cannot be read as a reference checkpoint' in capsys.readouterr().err
    assert not (tmp_path / 'out.pth').exists()
