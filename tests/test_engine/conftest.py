"""A toy MMEngine runner (linear regression, numpy dataset meta) for the
engine tests: real runner checkpoints in a fraction of a second."""
import numpy as np
import pytest
import torch
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch.utils.data import Dataset


class ToyDataset(Dataset):
    """8 random (x, y) pairs; ``metainfo`` holds NumPy arrays and scalars
    as MMPose's dataset meta does, so they end up in checkpoints."""

    metainfo = dict(
        sigmas=np.linspace(0.1, 0.2, 3, dtype=np.float32),
        colors=np.zeros((2, 3), np.uint8),
        empty=np.zeros(0, np.float32),
        flip_indices=np.array([0, 2, 1]),
        scale=np.float64(1.5),
        num_keypoints=np.int64(3))

    def __init__(self) -> None:
        rng = np.random.RandomState(0)
        self.x = torch.from_numpy(rng.randn(8, 2).astype(np.float32))
        self.y = torch.from_numpy(rng.randn(8, 1).astype(np.float32))

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, index: int) -> dict:
        return dict(x=self.x[index], y=self.y[index])


class ToyModel(BaseModel):

    def __init__(self) -> None:
        super().__init__()
        self.linear = torch.nn.Linear(2, 1)

    def forward(self, x, y, mode='loss'):
        return dict(loss=((self.linear(x) - y)**2).mean())


def build_toy_runner(work_dir, max_epochs=3, checkpoint_hook=None,
                     custom_hooks=None, resume=False) -> Runner:
    """Runner with 2 iterations per epoch, AdamW and a per-epoch lr decay."""
    default_hooks = dict(logger=dict(type='LoggerHook', interval=1))
    if checkpoint_hook is not None:
        default_hooks['checkpoint'] = checkpoint_hook
    return Runner(
        model=ToyModel(),
        work_dir=str(work_dir),
        train_dataloader=dict(
            dataset=ToyDataset(),
            batch_size=4,
            sampler=dict(type='DefaultSampler', shuffle=True),
            collate_fn=dict(type='default_collate')),
        train_cfg=dict(by_epoch=True, max_epochs=max_epochs),
        optim_wrapper=dict(optimizer=dict(type='AdamW', lr=0.01)),
        param_scheduler=dict(type='ExponentialLR', gamma=0.5, by_epoch=True),
        default_hooks=default_hooks,
        custom_hooks=custom_hooks,
        resume=resume,
        randomness=dict(seed=0),
        experiment_name=f'toy_{work_dir.name}_{int(resume)}')


@pytest.fixture(scope='session')
def toy_runner():
    """Factory: ``toy_runner(work_dir, **kwargs)`` -> Runner."""
    return build_toy_runner
