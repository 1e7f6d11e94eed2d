import os.path as osp
import shutil

import pytest
import torch

from metapose_plugin.parity import check_parity
from metapose_plugin.testing.fixtures import shared_fixture_dir

FIXTURE = shared_fixture_dir('mpm_parity')


@pytest.mark.skipif(not osp.isfile(FIXTURE / 'outputs.pt'), reason='fixture not available')
def test_mpm_parity_passes_and_can_fail(tmp_path, capsys):
    torch.set_num_threads(1)
    assert check_parity('mpm', str(FIXTURE))
    out = capsys.readouterr().out
    for name in ('masks_pretrain', 'pre_out2d', 'pre_loss_aug', 'pre_out2d_trainBN',
                 'comp2dlift_tta_out3d', 'comp3d_test_mpjpe', 'lift_raw_out', 'refine_out3d',
                 'lift_raw_vte_trainBN', 'lifter_f81_j16_tta_raw_vte'):
        assert f'{name} ' in out
    assert 'FAIL' not in out and 'skipped' not in out
    # a perturbed weight must be caught
    for name in ('inputs.pt', 'outputs.pt', 'meta.pt'):
        shutil.copy(FIXTURE / name, tmp_path / name)
    weights = torch.load(FIXTURE / 'weights.pt', weights_only=True)
    weights['weights']['lifter_Model']['fcn.1.bias'][0] += 0.01
    del weights['weights']['refine']
    torch.save(weights, tmp_path / 'weights.pt')
    assert not check_parity('mpm', str(tmp_path))
    out = capsys.readouterr().out
    assert 'lift_raw_out ' in out and 'FAIL' in out and 'refine_out3d' in out and 'skipped' in out
