import os
import os.path as osp

import pytest
import torch
from mmengine.hooks import CheckpointHook

from metapose_plugin.engine import AtomicCheckpointHook, AtomicLocalBackend


def _crash_on_third_call(monkeypatch, module, name):
    """Make ``module.name`` raise on its third call (the epoch-3 save)."""
    original = getattr(module, name)
    calls = []

    def crashing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
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


@pytest.mark.parametrize('hook_cls, crash_in, survives', [
    (AtomicCheckpointHook, 'torch.save', True),
    (AtomicCheckpointHook, 'os.replace', True),
    (CheckpointHook, 'torch.save', False),
])
def test_crash_while_saving(tmp_path, toy_runner, monkeypatch, hook_cls,
                            crash_in, survives):
    """Epoch 3's save crashes (serialising, or writing the file: the rename
    is the last step of the atomic ``put``). With ``max_keep_ckpts=1``
    MMEngine's own hook has already removed epoch 2 (the contrast case);
    ours keeps it and the pointer names it."""
    module, name = crash_in.split('.')
    _crash_on_third_call(monkeypatch, {'torch': torch, 'os': os}[module],
                         name)
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
