"""Allow-list for loading MMEngine/MMPose checkpoints with ``weights_only``.

Since PyTorch 2.6 ``torch.load`` defaults to ``weights_only=True``, and
MMEngine 0.10.7 calls it without that argument. Its runner checkpoints hold
more than tensors: NumPy arrays and scalars (the dataset meta in ``meta`` and
in the message hub; an empty array pickles its data as ``bytes()``) and
``HistoryBuffer`` objects (the logged scalars, read on
``--resume``). Rather than switching the safety off, the few globals those
files need are allow-listed here; anything else is still rejected.

The set was found by saving a runner checkpoint and listing its globals with
``torch.serialization.get_unsafe_globals_in_checkpoint``.
"""
import pickle
from typing import Any, Callable, List, Tuple, Union

import numpy as np
import torch
from mmengine.logging import HistoryBuffer

# NumPy 2 renamed ``numpy.core`` to ``numpy._core``; checkpoints written under
# NumPy 1 name the old module, so both names map to the same functions.
try:
    from numpy._core import multiarray as _multiarray
except ImportError:  # NumPy 1
    from numpy.core import multiarray as _multiarray

# Plain numeric dtypes only: no object, string, void or datetime arrays.
_NUMERIC_DTYPE_CODES = '?bhilqBHILQefdg'

# ``HistoryBuffer`` pickles its default statistics as
# ``getattr(HistoryBuffer, name)``.
_HISTORY_BUFFER_STATISTICS = ('min', 'max', 'current', 'mean')


def _history_buffer_getattr(obj: Any, name: str) -> Callable:
    """Stand-in for ``builtins.getattr`` while unpickling a checkpoint.

    Only resolves the default statistics methods of ``HistoryBuffer``; every
    other ``getattr`` in a pickle is refused.

    Raises:
        pickle.UnpicklingError: For any other object or attribute.
    """
    if obj is HistoryBuffer and name in _HISTORY_BUFFER_STATISTICS:
        return getattr(HistoryBuffer, name)
    raise pickle.UnpicklingError(
        f'getattr({obj!r}, {name!r}) is not allow-listed for checkpoint '
        'loading (only HistoryBuffer statistics methods are).')


def _empty_bytes(*args: Any) -> bytes:
    """Stand-in for ``builtins.bytes`` while unpickling a checkpoint.

    Pickle protocol 2 (``torch.save``'s) writes ``b''`` as ``bytes()``: the
    data of an empty NumPy array (e.g. the ``sigmas`` of a dataset without
    them). Only that call is allowed; ``bytes(n)`` or ``bytes(data)`` are not.

    Raises:
        pickle.UnpicklingError: If called with arguments.
    """
    if args:
        raise pickle.UnpicklingError(
            'bytes(...) with arguments is not allow-listed for checkpoint '
            'loading (only the empty bytes() is).')
    return b''


def checkpoint_safe_globals() -> List[Union[Callable, Tuple[Callable, str]]]:
    """The globals that MMEngine/MMPose runner checkpoints need.

    Returns:
        list: Entries for ``torch.serialization.add_safe_globals``: objects,
        or ``(object, 'module.name')`` pairs where the pickled name differs
        from the object's own.
    """
    numeric_dtypes = sorted({type(np.dtype(code))
                             for code in _NUMERIC_DTYPE_CODES},
                            key=lambda cls: cls.__name__)
    return [
        np.ndarray,
        np.dtype,
        *numeric_dtypes,
        _multiarray._reconstruct,
        _multiarray.scalar,
        (_multiarray._reconstruct, 'numpy.core.multiarray._reconstruct'),
        (_multiarray.scalar, 'numpy.core.multiarray.scalar'),
        HistoryBuffer,
        (_history_buffer_getattr, 'builtins.getattr'),
        (_empty_bytes, 'builtins.bytes'),
    ]


def register_checkpoint_safe_globals() -> None:
    """Add :func:`checkpoint_safe_globals` to PyTorch's ``weights_only``
    allow-list (process-wide, idempotent). Called when the plugin is
    imported."""
    registered = torch.serialization.get_safe_globals()
    torch.serialization.add_safe_globals(
        [entry for entry in checkpoint_safe_globals()
         if entry not in registered])
