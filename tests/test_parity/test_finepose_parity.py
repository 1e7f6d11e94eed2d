"""FinePOSE parity (``metapose_plugin.parity.finepose``) on the shared fixture
and on altered copies of it."""
import shutil

import pytest
import torch

from metapose_plugin.parity import check_parity
from metapose_plugin.parity.finepose import REQUIRED_OUTPUTS
from metapose_plugin.testing import shared_fixture_dir

FIXTURE = shared_fixture_dir('finepose_parity')
pytestmark = pytest.mark.shared_fixture(FIXTURE / 'io.pt', FIXTURE / 'weights_fp16.pt')


@pytest.fixture(autouse=True)
def one_thread():
    torch.set_num_threads(1)


def test_every_required_output_is_compared_and_passes():
    result = check_parity('finepose', str(FIXTURE))
    assert result.passed, result.summary()
    # the text path from the action strings, tokenisation included
    assert {'in/pre_text_tokens', 'in/input_text_tokens', 'a/xf_proj'} <= set(result.compared)
    assert set(result.compared) == set(REQUIRED_OUTPUTS)
    assert len(result.compared) == len(REQUIRED_OUTPUTS) == 37
    assert not result.skipped and not result.failed


LARGE = ('b/', 'c/', 'd/', 'train/')


def text_only_copy(tmp_path, change=None):
    """The fixture without its large outputs (b, c, d, train), altered by
    ``change``."""
    io = torch.load(FIXTURE / 'io.pt', weights_only=True)
    io = {k: v for k, v in io.items() if not k.startswith(LARGE)}
    if change is not None:
        change(io)
    torch.save(io, tmp_path / 'io.pt')
    shutil.copy(FIXTURE / 'weights_fp16.pt', tmp_path / 'weights_fp16.pt')


def test_a_fixture_without_outputs_fails_naming_them(tmp_path, capsys):
    text_only_copy(tmp_path)
    result = check_parity('finepose', str(tmp_path))
    assert not result.passed and not result.failed
    assert 'a/xf_proj' in result.compared
    assert result.missing_required == [n for n in REQUIRED_OUTPUTS if n.startswith(LARGE)]
    assert 'required but not compared: b/time_mlp_out' in capsys.readouterr().out


def test_other_token_ids_fail(tmp_path):
    def change(io):
        io['in/input_text_tokens'][1, 2] += 1  # another word for the second sample

    text_only_copy(tmp_path, change)
    assert check_parity('finepose', str(tmp_path)).failed == ['in/input_text_tokens']


def test_missing_weights_file_is_named(tmp_path):
    torch.save({}, tmp_path / 'io.pt')
    with pytest.raises(FileNotFoundError, match='weights_fp16.pt'):
        check_parity('finepose', str(tmp_path))
