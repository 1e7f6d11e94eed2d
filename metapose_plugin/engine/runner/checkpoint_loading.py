"""Read a checkpoint, and refuse one whose keys do not fit the model.

MMEngine loads a state dict non-strictly by default: a checkpoint of another
method leaves the model with random weights and a logged warning, and the
test tool reports a number. The runner (``load_from``, ``--resume``,
``tools/test.py``), the inferencer and the tools call
:func:`check_state_dict_keys` instead, which raises
:class:`CheckpointMismatchError` naming the file and the first mismatching
keys, unless partial loading is asked for explicitly.
"""
import logging
import re
from collections import OrderedDict
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

from mmengine.logging import print_log
from mmengine.runner.checkpoint import _load_checkpoint
from torch import Tensor, nn

from ..fileio import UnreadableFileError, read_or_raise

#: Keys that may be missing from a checkpoint, or present in it without the
#: model having them, without making it another model's checkpoint: buffers
#: whose values follow from the model's definition.
#:
#: - ``num_batches_tracked``: the batch counter of BatchNorm, absent from
#:   checkpoints written before PyTorch 0.4.1 (e.g. some HRNet releases);
#:   unused when the momentum is set, as in every model here.
#: - ``position_ids``: ``arange`` index buffer of HF CLIP's text
#:   embeddings, persistent in older ``transformers`` (so in older
#:   checkpoints) and non-persistent in newer ones.
IGNORED_KEY_SUFFIXES: Tuple[str, ...] = ('num_batches_tracked', 'position_ids')

#: Keys listed per kind of mismatch in an error message.
LISTED_KEYS = 5

#: MMEngine's default ``revise_keys``: remove a DataParallel/DDP prefix.
DEFAULT_REVISE_KEYS: Sequence[Tuple[str, str]] = ((r'^module\.', ''), )


class CheckpointMismatchError(ValueError):
    """A checkpoint whose parameter names or shapes do not fit the model."""


def read_checkpoint(filename: str, map_location='cpu') -> dict:
    """Load a checkpoint (local path or URL) as MMEngine does.

    Args:
        filename (str): Local path, URL, ``open-mmlab://``... (MMEngine's
            ``CheckpointLoader`` schemes).
        map_location (str | Callable): See ``torch.load``. Defaults to
            ``'cpu'``.

    Returns:
        dict: The checkpoint.

    Raises:
        FileNotFoundError: A local file that does not exist.
        UnreadableFileError: A truncated, corrupt or non-checkpoint file, or
            one that does not hold a dict.
    """
    expected = 'a PyTorch checkpoint (a file written by torch.save)'
    checkpoint = read_or_raise(
        filename, lambda path: _load_checkpoint(path, map_location=map_location), expected)
    if not isinstance(checkpoint, Mapping):
        raise UnreadableFileError(f'{filename}: holds a {type(checkpoint).__name__}, '
                                  f'expected {expected} holding a dict')
    return checkpoint


def checkpoint_state_dict(
        checkpoint: Mapping,
        revise_keys: Sequence[Tuple[str, str]] = DEFAULT_REVISE_KEYS) -> Dict[str, Tensor]:
    """The parameter dict of a runner checkpoint (``checkpoint['state_dict']``,
    or the checkpoint itself) with ``revise_keys`` applied, as MMEngine
    renames them before loading."""
    state_dict = checkpoint.get('state_dict', checkpoint)
    revised = OrderedDict()
    for key, value in state_dict.items():
        for pattern, replacement in revise_keys:
            key = re.sub(pattern, replacement, key)
        revised[key] = value
    return revised


def _ignored(key: str) -> bool:
    return key.rsplit('.', 1)[-1] in IGNORED_KEY_SUFFIXES


def _listed(keys: List[str]) -> str:
    shown = ', '.join(keys[:LISTED_KEYS])
    return shown + (', ...' if len(keys) > LISTED_KEYS else '')


def state_dict_mismatch(model: nn.Module,
                        state_dict: Mapping[str, Tensor]) -> Dict[str, List[str]]:
    """How ``state_dict`` differs from ``model.state_dict()``.

    Returns:
        dict: ``missing`` (model keys the state dict lacks, in model order),
        ``unexpected`` (state dict keys the model lacks, in file order),
        ``shape`` (common keys of different shape, ``'key: checkpoint
        (a, b), model (c, d)'``); :data:`IGNORED_KEY_SUFFIXES` are left out.
    """
    own = model.state_dict()
    missing = [k for k in own if k not in state_dict and not _ignored(k)]
    unexpected = [k for k in state_dict if k not in own and not _ignored(k)]
    shape = [
        f'{k}: checkpoint {tuple(v.shape)}, model {tuple(own[k].shape)}'
        for k, v in state_dict.items()
        if k in own and hasattr(v, 'shape') and tuple(v.shape) != tuple(own[k].shape)
    ]
    return dict(missing=missing, unexpected=unexpected, shape=shape)


def check_state_dict_keys(model: nn.Module,
                          state_dict: Mapping[str, Tensor],
                          filename: str,
                          partial: bool = False,
                          partial_option: Optional[str] = None) -> None:
    """Refuse a state dict that does not fit ``model``.

    Args:
        model (nn.Module): The model to load into (unwrapped).
        state_dict (Mapping[str, Tensor]): Its keys as they will be loaded
            (:func:`checkpoint_state_dict`).
        filename (str): The checkpoint's name, for the message.
        partial (bool): Load a partial fit on purpose: the mismatch is
            logged instead of raised, unless no key fits at all. Defaults to
            False.
        partial_option (str, optional): How the caller allows partial loading
            (e.g. ``'load_from_partial=True'``), for the message.

    Raises:
        CheckpointMismatchError: With the counts and the first
            :data:`LISTED_KEYS` keys of each kind of mismatch.
    """
    mismatch = state_dict_mismatch(model, state_dict)
    if not any(mismatch.values()):
        return
    parts = [f'{len(keys)} {kind} ({_listed(keys)})' for kind, keys in (
        ('missing keys', mismatch['missing']), ('unexpected keys', mismatch['unexpected']),
        ('keys of another shape', mismatch['shape'])) if keys]
    message = (f'{filename} does not fit the model {type(model).__name__}: '
               f'{"; ".join(parts)}')
    fitting = len(state_dict) - len(mismatch['unexpected']) - len(mismatch['shape'])
    if partial and fitting > 0:
        print_log(f'{message}. Loading the {fitting} fitting tensors only (partial loading '
                  'was asked for).', logger='current', level=logging.WARNING)
        return
    if partial:
        raise CheckpointMismatchError(f'{message}. No tensor fits: nothing to load.')
    hint = (f' To load only the fitting tensors on purpose, set {partial_option}.'
            if partial_option else '')
    raise CheckpointMismatchError(
        f'{message}. Is it a checkpoint of another method or config?{hint}')
