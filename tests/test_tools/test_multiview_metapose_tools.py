"""Multi-view MetaPose stage 2 through tools/train.py and tools/test.py on the sample."""
import glob
import os.path as osp
import re

import pytest

from ._tool_utils import run_tool, train_scalars

TINY = ('configs/multiview_metapose/'
        'multiview-metapose_tiny-ccat-mlp-1stage_1xb32-10e_h36m-videopose3d-sample.py')
KEYS = ('pmpjpe_ref', 'pmpjpe', 'nmpjpe', 'pck150', 'objective')


def _metrics(output: str, split: str):
    found = []
    for line in output.splitlines():
        if re.search(rf'Epoch\({split}\) +\[', line) and 'multiview/pmpjpe' in line:
            found.append({k: float(re.search(rf'multiview/{k}: ([-\d.e+]+)', line).group(1))
                          for k in KEYS})
    return found


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    work_dir = str(tmp_path_factory.mktemp('mv_train'))
    output = run_tool(['tools/train.py', TINY, '--work-dir', work_dir, '--cfg-options',
                       'randomness.seed=0'])
    return dict(work_dir=work_dir, output=output)


def test_stage2_trains_and_validates(trained):
    losses = [r['loss'] for r in train_scalars(trained['work_dir'])]
    assert len(losses) == 30  # S1: 96 frames, batch 32 -> 3 iterations x 10 epochs
    # the random stage starts far off (its update is O(1) bbox units) and is pulled in
    assert losses[-1] < 0.5 * max(losses[:3])
    val = _metrics(trained['output'], 'val')
    assert len(val) == 10
    assert val[-1]['objective'] < 0.2 * val[0]['objective']  # the 2D-only criterion improves
    assert val[-1]['pmpjpe'] < val[0]['pmpjpe'] and val[-1]['pmpjpe_ref'] < val[0]['pmpjpe_ref']


def test_test_tool_evaluates_the_checkpoint(trained, tmp_path):
    checkpoint = sorted(glob.glob(osp.join(trained['work_dir'], 'epoch_*.pth')))[-1]
    output = run_tool(['tools/test.py', TINY, checkpoint, '--work-dir', str(tmp_path)])
    (metrics, ) = _metrics(output, 'test')
    assert all(metrics[k] == metrics[k] for k in KEYS)  # finite, present
    assert 0 < metrics['pmpjpe'] < 1000 and 0 <= metrics['pck150'] <= 100
