"""The reference checkpoint kinds ``tools/convert_reference_ckpt.py`` knows.

Each method keeps its rename tables in a module of its own; this table names
those modules. A converter module exposes ``CONVERTERS`` (kind -> function
taking the loaded checkpoint and returning ``(state_dict, missing,
unexpected)``, refusing missing or unexpected keys; those that accept
``expected_keys`` also refuse keys the target model lacks),
``CONVERTER_VERSIONS`` (kind -> an integer bumped whenever the output
changes: the model zoo's cache is keyed by it) and ``detect_kind(keys)`` (the
kind of a state dict from its ``module.``-stripped keys, or None). The
modules are imported on demand.
"""
import importlib
import os.path as osp
import pickle
import warnings
from typing import Callable, Dict, Iterable, Optional

import torch

from metapose_plugin.engine.fileio import UnreadableFileError, read_or_raise
from metapose_plugin.models.converters.multiview_tf_ckpt_convert import load_tf_checkpoint

CONVERTER_MODULES = (
    'metapose_plugin.models.converters.ckpt_convert',  # capf, metapose, hrnet
    'metapose_plugin.models.converters.finepose_ckpt_convert',
    'metapose_plugin.models.converters.mpm_ckpt_convert',
    'metapose_plugin.models.converters.multiview_tf_ckpt_convert',  # TensorFlow checkpoints
)


def _modules():
    for name in CONVERTER_MODULES:
        try:
            yield importlib.import_module(name)
        except ModuleNotFoundError as err:
            if err.name != name:  # a real import error inside the module
                raise


def checkpoint_converters() -> Dict[str, Callable]:
    """Every known kind -> its conversion function."""
    converters = {}
    for module in _modules():
        converters.update(module.CONVERTERS)
    return converters


def converter_versions() -> Dict[str, int]:
    """Every known kind -> the version of its conversion."""
    versions = {}
    for module in _modules():
        versions.update(module.CONVERTER_VERSIONS)
    return versions


def detect_checkpoint_kind(keys: Iterable[str]) -> Optional[str]:
    """The kind of a state dict from its (``module.``-stripped) keys."""
    keys = list(keys)
    for module in _modules():
        kind = module.detect_kind(keys)
        if kind is not None:
            return kind
    return None


def _torch_load_trusted(path: str):
    """``torch.load`` on the CPU, tensors only first, in full (with a warning)
    if the file pickles more than tensors."""
    try:
        return torch.load(path, map_location='cpu', weights_only=True)
    except pickle.UnpicklingError:
        warnings.warn(f'{path}: the checkpoint pickles more than tensors; loading it in full '
                      '(weights_only=False)')
        return torch.load(path, map_location='cpu', weights_only=False)


def load_reference_checkpoint(path: str) -> dict:
    """Load a reference checkpoint: a TensorFlow checkpoint (``path`` is its
    prefix, or its ``.index`` file) as a dict of NumPy arrays, anything else
    with ``torch.load`` on the CPU.

    ``torch.load`` first runs with ``weights_only=True``; checkpoints that
    pickle more than tensors (optimizer or random states of the references)
    are loaded in full, with a warning: load only files you trust.

    Args:
        path (str): Checkpoint file or TensorFlow prefix.

    Returns:
        dict: The checkpoint.
    """
    prefix = path[:-len('.index')] if path.endswith('.index') else path
    if osp.isfile(prefix + '.index'):
        return load_tf_checkpoint(prefix)
    checkpoint = read_or_raise(path, _torch_load_trusted,
                               'a reference checkpoint (a file written by torch.save)')
    if not isinstance(checkpoint, dict):
        raise UnreadableFileError(
            f'{path}: expected a dict checkpoint, got {type(checkpoint).__name__}')
    return checkpoint
