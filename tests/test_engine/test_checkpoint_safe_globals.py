import copy
import os.path as osp
import pickle

import numpy as np
import pytest
import torch
from mmengine.hooks import Hook
from mmengine.logging import HistoryBuffer

from metapose_plugin.engine import checkpoint_safe_globals


def _qualified_names(entries):
    names = set()
    for entry in entries:
        if isinstance(entry, tuple):
            names.add(entry[1])
        else:
            names.add(f'{entry.__module__}.{entry.__qualname__}')
    return names


@pytest.fixture(scope='module')
def runner_ckpt(tmp_path_factory, toy_runner):
    work_dir = tmp_path_factory.mktemp('ckpt')
    toy_runner(
        work_dir, max_epochs=1,
        checkpoint_hook=dict(type='CheckpointHook', interval=1)).train()
    return osp.join(str(work_dir), 'epoch_1.pth')


def _unsafe_globals_without_allow_list(path):
    """Globals of ``path`` outside PyTorch's built-in allow-list."""
    registered = torch.serialization.get_safe_globals()
    torch.serialization.clear_safe_globals()
    try:
        return set(torch.serialization.get_unsafe_globals_in_checkpoint(path))
    finally:
        torch.serialization.add_safe_globals(registered)


def test_allow_list_covers_runner_checkpoint(runner_ckpt):
    needed = _unsafe_globals_without_allow_list(runner_ckpt)
    # The checkpoint does need an allow-list (NumPy meta, HistoryBuffer)...
    assert {'numpy.ndarray', 'builtins.getattr', 'builtins.bytes',
            'mmengine.logging.history_buffer.HistoryBuffer'} <= needed
    # ...and ours covers all of it.
    assert needed <= _qualified_names(checkpoint_safe_globals())


def test_runner_checkpoint_loads_weights_only(runner_ckpt):
    state = torch.load(runner_ckpt, map_location='cpu', weights_only=True)
    meta = state['meta']['dataset_meta']
    np.testing.assert_array_equal(meta['flip_indices'], [0, 2, 1])
    assert meta['colors'].dtype == np.uint8
    assert meta['empty'].shape == (0, )
    assert meta['scale'] == 1.5
    buffer = state['message_hub']['log_scalars']['train/loss']
    assert isinstance(buffer, HistoryBuffer)
    assert buffer.min() <= buffer.mean() <= buffer.max()


class _NotAllowListed:

    def __init__(self):
        self.payload = 1


class _BigBytes:
    """Pickles as ``bytes(10**6)``."""

    def __reduce__(self):
        return bytes, (10**6, )


@pytest.mark.parametrize('obj', [
    _NotAllowListed(),
    _BigBytes(),
    HistoryBuffer.update,  # pickled as getattr(HistoryBuffer, 'update')
    np.array(['a', 'b'], dtype=object),
])
def test_other_globals_are_rejected(tmp_path, obj):
    path = tmp_path / 'evil.pth'
    torch.save({'x': obj}, path)
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path, weights_only=True)


class _CrashAfter(Hook):
    """Raise after ``num_iters`` training iterations (a killed run)."""

    def __init__(self, num_iters):
        self.num_iters = num_iters

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        if runner.iter + 1 == self.num_iters:
            raise RuntimeError('simulated kill')


class _RecordStart(Hook):
    """Record the runner state when training (re)starts."""

    def before_train(self, runner):
        self.epoch, self.iter = runner.epoch, runner.iter
        self.optim = copy.deepcopy(runner.optim_wrapper.state_dict())
        self.lr = runner.optim_wrapper.get_lr()['lr'][0]
        self.schedulers = copy.deepcopy(
            [s.state_dict() for s in runner.param_schedulers])


def _assert_same_state(a, b):
    """Recursive equality of (nested) state dicts with tensors."""
    if isinstance(a, dict):
        assert a.keys() == b.keys()
        for key in a:
            _assert_same_state(a[key], b[key])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _assert_same_state(x, y)
    elif isinstance(a, torch.Tensor):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    else:
        assert a == b


def test_killed_run_resumes_from_last_checkpoint(tmp_path, toy_runner):
    """Killed in epoch 3 (2 iterations per epoch), resumed from epoch 2."""
    ckpt = dict(type='CheckpointHook', interval=1)
    with pytest.raises(RuntimeError, match='simulated kill'):
        toy_runner(tmp_path, max_epochs=4, checkpoint_hook=ckpt,
                   custom_hooks=[_CrashAfter(5)]).train()
    saved = torch.load(tmp_path / 'epoch_2.pth', map_location='cpu')
    assert (saved['meta']['epoch'], saved['meta']['iter']) == (2, 4)

    record = _RecordStart()
    runner = toy_runner(tmp_path, max_epochs=4, checkpoint_hook=ckpt,
                        custom_hooks=[record], resume=True)
    runner.train()
    assert (record.epoch, record.iter) == (2, 4)
    _assert_same_state(record.optim, saved['optimizer'])
    _assert_same_state(record.schedulers, saved['param_schedulers'])
    # lr 0.01 halved after each of the 2 finished epochs.
    assert record.lr == pytest.approx(0.01 * 0.5**2)
    assert saved['optimizer']['param_groups'][0]['lr'] == pytest.approx(
        record.lr)
    assert (runner.epoch, runner.iter) == (4, 8)
