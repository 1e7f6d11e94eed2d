"""Convert Google MetaPose's TensorFlow stage-2 checkpoints (Usman et al.,
CVPR 2022, google-research ``metapose``) to :class:`MultiViewMetaPoseLifter`
keys.

The released ``ckpt/h36m/cam{2,3,4}/model`` checkpoints are Keras 2
``save_weights`` files of the solver model: variables
``models/<stage>/main_mlp/layer_with_weights-<n>/{kernel,bias}`` and
``models/<stage>/pose_mlp/...`` (:class:`EquivariantStageModel`), or
``models/<stage>/layer_with_weights-<n>/...`` (:class:`FlatStageModel`),
each under ``/.ATTRIBUTES/VARIABLE_VALUE``, plus the optimizer's state (not
converted). Keras kernels are (in, out): ``weight = kernel.T``; the values
stay float64.

Reading the checkpoint files needs TensorFlow, an optional extra used only
here: ``pip install "metapose-plugin[tf]"``. The conversion itself works on
the variables as NumPy arrays (:func:`convert_multiview_tf_checkpoint`).
"""
import os.path as osp
import re
from typing import Dict, Iterable, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from torch import Tensor

#: The H36M spec of google-research metapose's README (the released checkpoints).
README_MAIN_MLP_SPEC = '512,512,ccat,512,512,ccat,512'
_VALUE = '/.ATTRIBUTES/VARIABLE_VALUE'
_STACK = re.compile(r'models/(\d+)/(?:(main_mlp|pose_mlp)/)?layer_with_weights-(\d+)/'
                    r'(kernel|bias)' + re.escape(_VALUE))
#: Not converted: optimizer state, save counter, the object graph.
TF_IGNORE = (r'.*/\.OPTIMIZER_SLOT/.*', r'optimizer/.*', r'save_counter/.*',
             r'_CHECKPOINTABLE_OBJECT_GRAPH')


def load_tf_checkpoint(prefix: str) -> Dict[str, np.ndarray]:
    """Every variable of a TensorFlow checkpoint by its key.

    Args:
        prefix (str): Checkpoint prefix (``.../model`` for ``model.index`` and
            ``model.data-*``).

    Returns:
        dict[str, np.ndarray]: Checkpoint key -> value.
    """
    try:
        import tensorflow as tf
    except ImportError as err:
        raise ImportError(
            f'reading the TensorFlow checkpoint {prefix!r} needs TensorFlow, which the plugin '
            'uses only for this conversion: pip install "metapose-plugin[tf]"') from err
    if not osp.isfile(prefix + '.index'):
        raise FileNotFoundError(f'{prefix}.index: no TensorFlow checkpoint with prefix {prefix!r}')
    reader = tf.train.load_checkpoint(prefix)
    return {key: reader.get_tensor(key) for key in reader.get_variable_to_shape_map()}


def _dense_positions(spec: Union[str, Sequence]) -> List[int]:
    """Indices of the ``Dense`` layers in the ``main_mlp`` of
    :func:`equivariant_mlp` for ``spec`` (context layers take an index but
    have no weights)."""
    entries = spec.split(',') if isinstance(spec, str) else list(spec)
    positions = [0]
    for index, entry in enumerate(entries, start=1):
        if str(entry).strip() not in ('ccat', 'cn'):
            positions.append(index)
    return positions + [len(entries) + 1]


def _positions_from_keys(expected_keys: Iterable[str], stack: str) -> Dict[int, List[int]]:
    """Per stage, the ``Dense`` indices of ``stack`` among the target's keys."""
    positions: Dict[int, set] = {}
    for key in expected_keys:
        match = re.fullmatch(rf'stages\.(\d+)\.{stack}\.(\d+)\.weight', key)
        if match:
            positions.setdefault(int(match.group(1)), set()).add(int(match.group(2)))
    return {stage: sorted(found) for stage, found in positions.items()}


def convert_multiview_tf_checkpoint(
        variables: Dict[str, np.ndarray],
        main_mlp_spec: Union[str, Sequence] = README_MAIN_MLP_SPEC,
        expected_keys: Optional[Iterable[str]] = None,
        strict: bool = True) -> Tuple[Dict[str, Tensor], List[str], List[str]]:
    """Stage-model variables -> ``stages.<i>.{main_mlp,pose_mlp,mlp}.<n>.{weight,bias}``.

    Args:
        variables (dict[str, np.ndarray]): Checkpoint key -> value
            (:func:`load_tf_checkpoint`).
        main_mlp_spec (str | list): The equivariant stage's spec, which places
            the context layers between the dense ones. Defaults to the
            README's H36M spec. Ignored when ``expected_keys`` is given.
        expected_keys (Iterable[str], optional): Keys of the target
            :class:`MultiViewMetaPoseLifter`; they give the dense layers'
            indices and the missing-key check. Defaults to None.
        strict (bool): Raise on missing or unexpected keys. Defaults to True.

    Returns:
        tuple: ``(converted, missing, unexpected)``.
    """
    expected = None if expected_keys is None else list(expected_keys)
    main_positions = None if expected is None else _positions_from_keys(expected, 'main_mlp')
    converted, unexpected = {}, []
    for key, value in variables.items():
        if any(re.fullmatch(p, key) for p in TF_IGNORE):
            continue
        match = _STACK.fullmatch(key)
        if match is None:
            unexpected.append(key)
            continue
        stage, stack, layer, kind = (int(match.group(1)), match.group(2) or 'mlp',
                                     int(match.group(3)), match.group(4))
        if stack == 'main_mlp':
            positions = (main_positions.get(stage, []) if main_positions is not None else
                         _dense_positions(main_mlp_spec))
            if layer >= len(positions):
                unexpected.append(key)
                continue
            index = positions[layer]
        else:
            index = layer  # pose_mlp / flat mlp: only dense layers
        array = np.asarray(value)
        tensor = torch.from_numpy(np.ascontiguousarray(array.T if kind == 'kernel' else array))
        converted[f'stages.{stage}.{stack}.{index}.{"weight" if kind == "kernel" else "bias"}'] = \
            tensor
    missing = [] if expected is None else sorted(set(expected) - set(converted))
    if strict and (missing or unexpected):
        raise KeyError('multi-view MetaPose TF checkpoint: cannot convert the variables; missing '
                       f'keys {missing}, unexpected keys {unexpected}')
    return converted, missing, unexpected


CONVERTERS = dict(multiview_tf=convert_multiview_tf_checkpoint)
#: Bumped when a conversion's output changes (keys the model zoo's cache).
CONVERTER_VERSIONS = dict(multiview_tf=1)


def detect_kind(keys: List[str]) -> Optional[str]:
    """``'multiview_tf'`` for the variables of a MetaPose stage-2 checkpoint."""
    if any(_STACK.fullmatch(k) for k in keys):
        return 'multiview_tf'
    return None
