"""The tiny FinePOSE config trains and tests on the shipped synthetic sample
through tools/train.py and tools/test.py (CPU)."""
import json
import os.path as osp
import re

import pytest

from ._tool_utils import run_tool, train_scalars

FINEPOSE_TINY = ('configs/finepose/'
                 'finepose_tiny-mixste-27frm-cpn_clip_1xb4-1e_h36m-videopose3d-sample.py')


def test_tiny_finepose_trains_and_tests(tmp_path):
    work_dir = str(tmp_path / 'train')
    run_tool(['tools/train.py', FINEPOSE_TINY, '--work-dir', work_dir, '--cfg-options',
              'train_cfg.val_interval=1000', 'default_hooks.logger.interval=1',
              'randomness.seed=0'])
    scalars = train_scalars(work_dir)
    assert scalars and all(r['loss'] > 0 and 'mpjpe' in r for r in scalars)
    ckpt = osp.join(work_dir, 'epoch_1.pth')
    assert osp.isfile(ckpt)
    output = run_tool([
        'tools/test.py', FINEPOSE_TINY, ckpt, '--work-dir', str(tmp_path / 'test'),
        '--cfg-options', "test_dataloader.dataset.subjects=['S9']",
        "test_dataloader.dataset.actions=['Walking']", 'model.test_cfg.num_hypotheses=3',
        'model.test_cfg.num_steps=2'
    ])
    line = next(line for line in output.splitlines() if re.search(r'Epoch\(test\) +\[', line)
                and ' P1: ' in line)
    metrics = dict(re.findall(r'(\S+): ([\d.]+)', line))
    for name in ('P1', 'P2', 'P1/J-Agg', 'P1/P-Agg', 'P1/J-Best(oracle)', 'P1/P-Best(oracle)',
                 'P2/J-Best(oracle)', 'P1/Walking'):
        assert name in metrics, name
    # the headline is P-Agg (the config's aggregation: no ground truth), never an oracle
    assert float(metrics['P1']) == pytest.approx(float(metrics['P1/P-Agg']), abs=1e-3)
    assert float(metrics['P1/J-Best(oracle)']) <= float(metrics['P1/J-Agg'])
    assert json.loads(json.dumps(metrics))
