import shutil

import pytest
import torch

from metapose_plugin.parity import check_parity
from metapose_plugin.parity.mpm import CORE_OUTPUTS
from metapose_plugin.testing.fixtures import shared_fixture_dir

FIXTURE = shared_fixture_dir('mpm_parity')
FILES = ('weights.pt', 'inputs.pt', 'outputs.pt', 'meta.pt')


@pytest.mark.shared_fixture(*(FIXTURE / name for name in FILES))
def test_mpm_parity_passes_and_can_fail(tmp_path, capsys):
    torch.set_num_threads(1)
    reference = torch.load(FIXTURE / 'outputs.pt', weights_only=True)
    result = check_parity('mpm', str(FIXTURE))
    assert result.passed, result.summary()
    # every output of outputs.pt, the masks and the mirrored inputs
    assert set(result.compared) == set(reference) | {'masks_pretrain', 'masks_completion',
                                                     'flip_inputs'}
    assert set(CORE_OUTPUTS) <= set(result.compared) and not result.skipped
    # a perturbed weight is caught; an output removed from outputs.pt, and the
    # refine outputs it holds without refine weights, are required but missing
    for name in ('inputs.pt', 'meta.pt'):
        shutil.copy(FIXTURE / name, tmp_path / name)
    weights = torch.load(FIXTURE / 'weights.pt', weights_only=True)
    weights['weights']['lifter_Model']['fcn.1.bias'][0] += 0.01
    del weights['weights']['refine']
    torch.save(weights, tmp_path / 'weights.pt')
    del reference['comp3d_loss']
    torch.save(reference, tmp_path / 'outputs.pt')
    capsys.readouterr()
    result = check_parity('mpm', str(tmp_path))
    assert not result.passed and 'lift_raw_out' in result.failed
    assert set(result.missing_required) == {'comp3d_loss', 'refine_xyz', 'refine_out3d',
                                            'refine_loss'}
    assert 'skipped (no refine weights)' in capsys.readouterr().out
