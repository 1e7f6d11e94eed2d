import os
import os.path as osp
import random

import numpy as np
import pytest
import torch
from mmengine.hooks import CheckpointHook, Hook

from metapose_plugin.engine import AtomicCheckpointHook, AtomicLocalBackend
from metapose_plugin.engine.hooks.atomic_checkpoint_hook import RNG_STATE_KEY


def _crash_on_call(monkeypatch, module, name, number):
    """Make ``module.name`` raise on its ``number``-th call."""
    original = getattr(module, name)
    calls = []

    def crashing(*args, **kwargs):
        calls.append(1)
        if len(calls) == number:
            raise RuntimeError(f'simulated crash inside {name}')
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, crashing)


def _pointer(work_dir):
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        return f.read()


def test_default_backend_is_atomic(tmp_path, toy_runner):
    hook = AtomicCheckpointHook(interval=1)
    runner = toy_runner(tmp_path, max_epochs=1, checkpoint_hook=hook)
    runner.train()
    assert isinstance(hook.file_backend, AtomicLocalBackend)
    assert _pointer(tmp_path) == osp.join(str(tmp_path), 'epoch_1.pth')


def test_keeps_max_keep_ckpts_after_success(tmp_path, toy_runner):
    hook = AtomicCheckpointHook(interval=1, max_keep_ckpts=2)
    toy_runner(tmp_path, max_epochs=3, checkpoint_hook=hook).train()
    ckpts = sorted(f for f in os.listdir(tmp_path) if f.endswith('.pth'))
    assert ckpts == ['epoch_2.pth', 'epoch_3.pth']


@pytest.mark.parametrize('hook_cls, crash_in, call, survives', [
    (AtomicCheckpointHook, 'torch.save', 3, True),
    (AtomicCheckpointHook, 'os.replace', 5, True),
    (CheckpointHook, 'torch.save', 3, False),
])
def test_crash_while_saving(tmp_path, toy_runner, monkeypatch, hook_cls,
                            crash_in, call, survives):
    """Epoch 3's save crashes (serialising, or writing the file: the rename
    is the last step of the atomic ``put``; each save renames the checkpoint
    and then the pointer, so epoch 3's checkpoint is the 5th rename). With
    ``max_keep_ckpts=1`` MMEngine's own hook has already removed epoch 2 (the
    contrast case); ours keeps it and the pointer names it."""
    module, name = crash_in.split('.')
    _crash_on_call(monkeypatch, {'torch': torch, 'os': os}[module], name, call)
    hook = hook_cls(interval=1, max_keep_ckpts=1)
    runner = toy_runner(tmp_path, max_epochs=3, checkpoint_hook=hook)
    with pytest.raises(RuntimeError, match='simulated crash'):
        runner.train()
    monkeypatch.undo()

    previous = osp.join(str(tmp_path), 'epoch_2.pth')
    assert not osp.exists(osp.join(str(tmp_path), 'epoch_3.pth'))
    assert osp.exists(previous) is survives
    assert _pointer(tmp_path) == previous
    if survives:
        assert not [f for f in os.listdir(tmp_path) if f.endswith('.tmp')]
        state = torch.load(previous, map_location='cpu')
        assert state['meta']['epoch'] == 2


def test_crash_while_writing_the_pointer_keeps_the_previous_one(
        tmp_path, toy_runner, monkeypatch):
    """Epoch 3's checkpoint is in place, its pointer write fails: the pointer
    still names epoch 2, which is still there (removed only after the new
    pointer is written)."""
    real_fsync, calls = os.fsync, []

    def fsync(fd):
        calls.append(os.readlink(f'/proc/self/fd/{fd}'))
        if 'last_checkpoint' in calls[-1] and sum('last_checkpoint' in c for c in calls) == 3:
            raise OSError('simulated crash while writing the pointer')
        return real_fsync(fd)

    monkeypatch.setattr(os, 'fsync', fsync)
    hook = AtomicCheckpointHook(interval=1, max_keep_ckpts=1)
    with pytest.raises(OSError, match='simulated crash'):
        toy_runner(tmp_path, max_epochs=3, checkpoint_hook=hook).train()
    monkeypatch.undo()
    assert _pointer(tmp_path) == osp.join(str(tmp_path), 'epoch_2.pth')
    assert sorted(f for f in os.listdir(tmp_path) if f.endswith('.pth')) == [
        'epoch_2.pth', 'epoch_3.pth']
    assert not [f for f in os.listdir(tmp_path) if f.endswith('.tmp')]


def test_stale_temporaries_removed_when_training_starts(tmp_path, toy_runner):
    leftover = tmp_path / '.epoch_2.pth.a1b2c3d4.tmp'
    leftover.write_bytes(b'\x00' * 10)
    toy_runner(tmp_path, max_epochs=1, checkpoint_hook=AtomicCheckpointHook(interval=1)).train()
    assert not leftover.exists()
    assert 'epoch_1.pth' in os.listdir(tmp_path)


class _NoisyHook(Hook):
    """Draws from the global generators during training (as augmentation
    and dropout do) and during validation-time work after each epoch."""

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        model = runner.model
        with torch.no_grad():
            model.linear.weight.add_(1e-3 * torch.randn_like(model.linear.weight))
            model.linear.bias.add_(1e-3 * float(np.random.randn()))

    def after_train_epoch(self, runner):
        torch.randn(7), np.random.rand(3), random.random()  # e.g. a validation


class _Stop(Exception):
    pass


class _StopBeforeEpoch(Hook):
    """Ends the run (a crash) before training epoch ``epoch`` (0-based)."""

    def __init__(self, epoch: int) -> None:
        self.epoch = epoch

    def before_train_epoch(self, runner):
        if runner.epoch == self.epoch:
            raise _Stop()


def _final_weights(work_dir):
    return torch.load(osp.join(work_dir, 'epoch_3.pth'), map_location='cpu')['state_dict']


@pytest.mark.parametrize('hook_cls, equal', [(AtomicCheckpointHook, True),
                                             (CheckpointHook, False)])
def test_resume_continues_the_random_stream(tmp_path, toy_runner, hook_cls, equal):
    """A run resumed from epoch 1 ends with the weights of the run that was
    never interrupted; with MMEngine's own hook (reseeded on resume) they
    differ, which shows that the training draws random numbers."""
    whole, parts = tmp_path / 'whole', tmp_path / 'parts'
    torch.manual_seed(0)  # the toy model is built before the runner seeds
    toy_runner(whole, max_epochs=3, checkpoint_hook=hook_cls(interval=1),
               custom_hooks=[_NoisyHook()]).train()
    torch.manual_seed(0)
    with pytest.raises(_Stop):
        toy_runner(parts, max_epochs=3, checkpoint_hook=hook_cls(interval=1),
                   custom_hooks=[_NoisyHook(), _StopBeforeEpoch(1)]).train()
    toy_runner(parts, max_epochs=3, checkpoint_hook=hook_cls(interval=1),
               custom_hooks=[_NoisyHook()], resume=True).train()
    expected, got = _final_weights(whole), _final_weights(parts)
    assert all(torch.equal(expected[k], got[k]) for k in expected) is equal
    if equal:
        saved = torch.load(osp.join(parts, 'epoch_3.pth'), map_location='cpu')
        assert saved[RNG_STATE_KEY]['epoch'] == 3 and len(saved[RNG_STATE_KEY]['ranks']) == 1
