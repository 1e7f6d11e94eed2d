"""Google MetaPose's TensorFlow stage-2 checkpoints -> MultiViewMetaPoseLifter.

``tests/data/multiview_metapose_tf/`` holds a small checkpoint in the
released layout, written with TensorFlow 2.15 (Keras 2) by the script beside
it, with its variables dumped to ``cam4_variables.npz`` and the stage's
TensorFlow output on fixed inputs in ``cam4_outputs.npz``. Without
TensorFlow (CI) the conversion is checked on the dump; with TensorFlow the
checkpoint files themselves are read too.
"""
import importlib.util
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmpose.registry import MODELS

from metapose_plugin.models.converters.ckpt_kinds import (checkpoint_converters,
                                                          detect_checkpoint_kind,
                                                          load_reference_checkpoint)
from metapose_plugin.models.converters.multiview_tf_ckpt_convert import (
    convert_multiview_tf_checkpoint, load_tf_checkpoint)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
DATA = osp.join(REPO, 'tests', 'data', 'multiview_metapose_tf')
TINY = osp.join(REPO, 'configs', 'multiview_metapose',
                'multiview-metapose_tiny-ccat-mlp-1stage_1xb32-10e_h36m-videopose3d-sample.py')
HAS_TF = importlib.util.find_spec('tensorflow') is not None


def dumped_variables() -> dict:
    with np.load(osp.join(DATA, 'cam4_variables.npz')) as data:
        return dict(data)


def tiny_lifter():
    return MODELS.build(Config.fromfile(TINY).model)


def test_converted_stage_equals_tensorflow_output():
    variables = dumped_variables()
    assert detect_checkpoint_kind(list(variables)) == 'multiview_tf'
    model = tiny_lifter()
    converted, missing, unexpected = convert_multiview_tf_checkpoint(
        variables, expected_keys=model.state_dict())
    assert not missing and not unexpected
    model.load_state_dict(converted, strict=True)
    # the spec gives the same placement as the target's keys
    by_spec, _, _ = convert_multiview_tf_checkpoint(variables, main_mlp_spec='32,32,ccat,32')
    assert by_spec.keys() == converted.keys()
    outputs = np.load(osp.join(DATA, 'cam4_outputs.npz'))
    with torch.no_grad():
        ours = model.stages[0](torch.from_numpy(outputs['inputs']))
    assert ours.dtype == torch.float64
    np.testing.assert_allclose(ours.numpy(), outputs['outputs'], rtol=1e-9, atol=1e-12)


def test_refuses_missing_and_unexpected_variables():
    variables = dumped_variables()
    expected = list(tiny_lifter().state_dict())
    dropped = {k: v for k, v in variables.items() if 'pose_mlp/layer_with_weights-1/bias' not in k}
    with pytest.raises(KeyError, match=r'stages\.0\.pose_mlp\.1\.bias'):
        convert_multiview_tf_checkpoint(dropped, expected_keys=expected)
    extra = dict(variables, **{'models/0/other/kernel/.ATTRIBUTES/VARIABLE_VALUE': np.zeros(1)})
    with pytest.raises(KeyError, match='models/0/other/kernel'):
        convert_multiview_tf_checkpoint(extra, expected_keys=expected)
    # the CLI's table function uses the README's H36M spec: 7 dense layers there
    converted, _, _ = checkpoint_converters()['multiview_tf'](variables)
    assert 'stages.0.main_mlp.4.weight' in converted


@pytest.mark.skipif(HAS_TF, reason='checks the message shown where TensorFlow is missing')
def test_reading_without_tensorflow_names_the_extra():
    with pytest.raises(ImportError, match=r'metapose-plugin\[tf\]'):
        load_reference_checkpoint(osp.join(DATA, 'cam4', 'model'))


@pytest.mark.skipif(not HAS_TF, reason='TensorFlow is an optional extra')
def test_checkpoint_files_read_as_the_dump():
    variables = load_tf_checkpoint(osp.join(DATA, 'cam4', 'model'))
    dump = dumped_variables()
    assert set(variables) - {'_CHECKPOINTABLE_OBJECT_GRAPH'} == set(dump)
    for key, value in dump.items():
        np.testing.assert_array_equal(variables[key], value)
