"""PretrainedFromRun: a model starts from the checkpoint another config's run writes."""
import os
import os.path as osp

import pytest
import torch
from mmengine.model import BaseModule
from torch import nn

from metapose_plugin.models.weight_init import PretrainedFromRunInit


class Encoder(BaseModule):
    """Stands for a backbone whose init_cfg loads the ``backbone.`` keys of a run."""

    def __init__(self, init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.fc = nn.Linear(3, 2)


def _repo_with_config(tmp_path, body: str = '') -> str:
    """A repository layout: <repo>/configs/method/pre.py (a run's config)."""
    config = tmp_path / 'repo' / 'configs' / 'method' / 'pre.py'
    config.parent.mkdir(parents=True)
    config.write_text(body)
    return str(config)


def _save_backbone(path: str) -> dict:
    torch.manual_seed(0)
    state = {f'backbone.{k}': v for k, v in Encoder().state_dict().items()}
    os.makedirs(osp.dirname(path), exist_ok=True)
    torch.save(dict(state_dict=state), path)
    return state


def test_finds_the_default_work_dir_beside_the_configs(tmp_path, monkeypatch):
    config = _repo_with_config(tmp_path)
    state = _save_backbone(str(tmp_path / 'repo' / 'work_dirs' / 'pre' / 'epoch_2.pth'))
    monkeypatch.chdir(tmp_path)  # the working directory plays no part
    encoder = Encoder(init_cfg=dict(type='PretrainedFromRun', config=config,
                                    checkpoint='epoch_2.pth', prefix='backbone.'))
    assert not torch.equal(encoder.fc.weight, state['backbone.fc.weight'])
    encoder.init_weights()
    torch.testing.assert_close(encoder.fc.weight, state['backbone.fc.weight'])


def test_reads_the_work_dir_the_config_sets(tmp_path):
    work_dir = tmp_path / 'elsewhere'
    config = _repo_with_config(tmp_path, f"work_dir = '{work_dir}'\n")
    _save_backbone(str(work_dir / 'epoch_1.pth'))
    init = PretrainedFromRunInit(config=config, checkpoint='epoch_1.pth')
    assert init.checkpoint == str(work_dir / 'epoch_1.pth')


def test_missing_checkpoint_names_the_config_to_train(tmp_path):
    config = _repo_with_config(tmp_path)
    encoder = Encoder(init_cfg=dict(type='PretrainedFromRun', config=config,
                                    checkpoint='epoch_50.pth', prefix='backbone.'))
    with pytest.raises(FileNotFoundError, match=r'epoch_50\.pth.*tools/train\.py .*pre\.py'):
        encoder.init_weights()
    with pytest.raises(FileNotFoundError, match='no_such.py does not exist'):
        PretrainedFromRunInit(config=str(tmp_path / 'no_such.py'), checkpoint='epoch_1.pth')


def test_an_explicit_path_bypasses_the_run(tmp_path):
    path = str(tmp_path / 'mine' / 'encoder.pth')
    _save_backbone(path)
    init = PretrainedFromRunInit(config=str(tmp_path / 'unused.py'), checkpoint=path)
    assert init.checkpoint == path
