"""StrictLoadRunner refuses a checkpoint that does not fit (load_from,
resume, test), names an unreadable one, and loads a partial one only when
asked."""
import os.path as osp

import pytest
import torch
from mmengine.config import ConfigDict

from metapose_plugin.engine import (CheckpointMismatchError, StrictLoadRunner,
                                    UnreadableFileError)

from ..conftest import ToyDataset, ToyModel


class WiderToyModel(ToyModel):
    """The toy model with one more layer (another 'method')."""

    def __init__(self) -> None:
        super().__init__()
        self.extra = torch.nn.Linear(1, 1)


def _runner(work_dir, model, load_from=None, partial=False, resume=False, lr=0.01):
    return StrictLoadRunner(
        model=model, work_dir=str(work_dir),
        train_dataloader=dict(dataset=ToyDataset(), batch_size=4,
                              sampler=dict(type='DefaultSampler', shuffle=False),
                              collate_fn=dict(type='default_collate')),
        train_cfg=dict(by_epoch=True, max_epochs=1),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=lr)),
        default_hooks=dict(checkpoint=dict(type='AtomicCheckpointHook', interval=1)),
        load_from=load_from, resume=resume, randomness=dict(seed=0), default_scope='mmpose',
        cfg=ConfigDict(load_from_partial=partial),
        experiment_name=f'strict_{osp.basename(str(work_dir))}_{int(partial)}_{int(resume)}')


@pytest.fixture(scope='module')
def toy_checkpoint(tmp_path_factory):
    work_dir = tmp_path_factory.mktemp('toy')
    _runner(work_dir, ToyModel()).train()
    return str(work_dir / 'epoch_1.pth')


def test_fitting_checkpoint_loads(toy_checkpoint, tmp_path):
    runner = _runner(tmp_path, ToyModel(), load_from=toy_checkpoint)
    runner.load_or_resume()
    saved = torch.load(toy_checkpoint, map_location='cpu')['state_dict']
    assert torch.equal(runner.model.linear.weight, saved['linear.weight'])


def test_other_model_refused_with_file_and_keys(toy_checkpoint, tmp_path):
    runner = _runner(tmp_path, WiderToyModel(), load_from=toy_checkpoint)
    before = runner.model.linear.weight.clone()
    with pytest.raises(CheckpointMismatchError,
                       match=rf'{toy_checkpoint} does not fit the model WiderToyModel: 2 missing '
                       r'keys \(extra.weight, extra.bias\).*load_from_partial=True'):
        runner.load_or_resume()
    assert torch.equal(runner.model.linear.weight, before)  # nothing loaded
    # the reverse: keys the model lacks
    wide = tmp_path / 'wide.pth'
    torch.save(dict(state_dict=WiderToyModel().state_dict()), wide)
    with pytest.raises(CheckpointMismatchError, match=r'2 unexpected keys \(extra.weight'):
        _runner(tmp_path / 'b', ToyModel(), load_from=str(wide)).load_or_resume()
    # same keys, another shape
    shaped = tmp_path / 'shaped.pth'
    state = ToyModel().state_dict()
    state['linear.weight'] = torch.zeros(3, 2)
    torch.save(dict(state_dict=state), shaped)
    with pytest.raises(CheckpointMismatchError, match=r'1 keys of another shape '
                       r'\(linear.weight: checkpoint \(3, 2\), model \(1, 2\)\)'):
        _runner(tmp_path / 'c', ToyModel(), load_from=str(shaped)).load_or_resume()


def test_partial_load_on_purpose(toy_checkpoint, tmp_path):
    """Training starts from the fitting tensors (lr 0: they stay as loaded);
    testing with the same flag is strict."""
    runner = _runner(tmp_path, WiderToyModel(), load_from=toy_checkpoint, partial=True, lr=0.0)
    runner.train()
    saved = torch.load(toy_checkpoint, map_location='cpu')['state_dict']
    assert torch.equal(runner.model.linear.weight, saved['linear.weight'])
    with pytest.raises(CheckpointMismatchError, match='2 missing keys'):
        _runner(tmp_path / 'test', WiderToyModel(), load_from=toy_checkpoint,
                partial=True).load_or_resume()
    # nothing fits: refused even when training
    other = tmp_path / 'other.pth'
    torch.save(dict(state_dict={'head.weight': torch.zeros(2)}), other)
    with pytest.raises(CheckpointMismatchError, match='No tensor fits: nothing to load'):
        _runner(tmp_path / 'b', WiderToyModel(), load_from=str(other), partial=True).train()


def test_resume_is_checked_too(toy_checkpoint, tmp_path):
    runner = _runner(tmp_path, WiderToyModel(), load_from=toy_checkpoint, resume=True,
                     partial=True)
    with pytest.raises(CheckpointMismatchError, match='2 missing keys'):
        runner.train()


@pytest.mark.parametrize('damage', ['truncated', 'garbage'])
def test_unreadable_checkpoint_named(toy_checkpoint, tmp_path, damage):
    data = open(toy_checkpoint, 'rb').read()
    path = tmp_path / f'{damage}.pth'
    path.write_bytes(data[:len(data) // 2] if damage == 'truncated' else b'garbage' * 500)
    with pytest.raises(UnreadableFileError, match=rf'{path}: cannot be read as a PyTorch '
                       r'checkpoint'):
        _runner(tmp_path, ToyModel(), load_from=str(path)).load_or_resume()
