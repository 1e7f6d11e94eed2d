import importlib.util
import os.path as osp
import shutil

import pytest
import torch

from metapose_plugin.parity import check_parity
from metapose_plugin.testing import shared_fixture_dir

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
FIXTURE = shared_fixture_dir('finepose_parity')
pytestmark = pytest.mark.skipif(not (FIXTURE / 'io.pt').is_file(),
                                reason='finepose_parity fixture not available')


@pytest.fixture(autouse=True)
def one_thread():
    torch.set_num_threads(1)


def test_check_parity_tool_passes_on_the_shared_fixture(capsys):
    spec = importlib.util.spec_from_file_location(
        'check_parity', osp.join(ROOT, 'tools', 'check_parity.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    assert tool.check(str(FIXTURE), kind='finepose')
    out = capsys.readouterr().out
    for name in ('a/xf_proj', 'b/denoiser_out', 'train/loss_mpjpe', 'c/samples',
                 'c/step_pred_noise', 'd/err_J_Agg', 'd/p2_P_Best', 'd/J_Agg_index'):
        line = next(line for line in out.splitlines() if line.startswith(name))
        assert line.endswith('OK'), line
    assert 'FAIL' not in out and 'skipped' not in out


def reduced_copy(tmp_path, keep):
    io = torch.load(FIXTURE / 'io.pt', weights_only=True)
    torch.save({k: v for k, v in io.items() if keep(k)}, tmp_path / 'io.pt')
    shutil.copy(FIXTURE / 'weights_fp16.pt', tmp_path / 'weights_fp16.pt')
    return io


def test_a_folder_without_large_outputs_is_compared_where_possible(tmp_path, capsys):
    reduced_copy(tmp_path, lambda k: not k.startswith(('b/', 'c/', 'd/', 'train/')))
    assert check_parity('finepose', str(tmp_path))
    out = capsys.readouterr().out
    assert 'a/xf_out' in out and 'OK' in out
    assert 'c/samples' in out and 'skipped (no recorded sampling draws)' in out


def test_a_wrong_reference_output_fails(tmp_path, capsys):
    io = reduced_copy(tmp_path, lambda k: not k.startswith(('b/', 'c/', 'd/', 'train/')))
    io = {k: v for k, v in io.items() if not k.startswith(('b/', 'c/', 'd/', 'train/'))}
    io['a/xf_proj'] = io['a/xf_proj'] + 1e-4
    torch.save(io, tmp_path / 'io.pt')
    assert not check_parity('finepose', str(tmp_path))
    assert 'FAIL' in capsys.readouterr().out


def test_missing_weights_file_is_named(tmp_path):
    torch.save({}, tmp_path / 'io.pt')
    with pytest.raises(FileNotFoundError, match='weights_fp16.pt'):
        check_parity('finepose', str(tmp_path))
