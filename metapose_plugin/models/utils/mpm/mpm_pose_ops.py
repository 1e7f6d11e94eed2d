"""Readers of MPM's batches: the packed 2D windows and the root-zeroed 3D labels."""
from typing import Sequence

import torch
from torch import Tensor


def windows_2d(inputs: Tensor, owner: str) -> Tensor:
    """The packed 2D windows of a batch as (B, F, K, 2) float.

    Args:
        inputs (Tensor): (B, F, K, 2) or (B, 1, F, K, 2) normalised 2D.
        owner (str): Class name for the error message.
    """
    if inputs.dim() == 5:
        inputs = inputs[:, 0]
    if inputs.dim() != 4 or inputs.shape[-1] != 2:
        raise ValueError(f'{owner}: inputs must be 2D windows (B, F, K, 2), '
                         f'got {tuple(inputs.shape)}')
    return inputs.float()


def root_zeroed_labels(data_samples: Sequence, device: torch.device, owner: str) -> Tensor:
    """``gt_instance_labels.lifting_target_label`` of a batch, (B, F_t, K, 3)
    root-relative metres with the root joint (0) set to 0.

    Args:
        data_samples (Sequence[PoseDataSample]): The batch.
        device (torch.device): Device of the result.
        owner (str): Class name for the error message.
    """
    try:
        labels = torch.stack([
            torch.as_tensor(d.gt_instance_labels.lifting_target_label) for d in data_samples
        ]).to(device=device, dtype=torch.float32)
    except AttributeError as err:
        raise AttributeError(f'{owner}: data samples need gt_instance_labels.'
                             f'lifting_target_label (F_t, K, 3): {err}') from err
    if labels.dim() == 5:
        labels = labels[:, 0]
    elif labels.dim() == 3:
        labels = labels[:, None]
    labels = labels.clone()
    labels[:, :, 0] = 0
    return labels
