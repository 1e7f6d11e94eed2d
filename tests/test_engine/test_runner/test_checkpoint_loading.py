"""A checkpoint of each method loaded into each other method's config is
refused, naming the file and the first mismatching keys; its own loads."""
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmpose.registry import MODELS

from metapose_plugin.engine.runner import (CheckpointMismatchError, check_state_dict_keys,
                                           checkpoint_state_dict, state_dict_mismatch)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

#: method -> its tiny config
METHODS = {
    'capf': 'capf/capf_tiny-hrnet-cpn_1xb2-1e_h36m-256x192-sample.py',
    'metapose': 'metapose/metapose_tiny-hrnet-cpn_clip_1xb2-1e_h36m-256x192-sample.py',
    'finepose': ('finepose/'
                 'finepose_tiny-mixste-27frm-cpn_clip_1xb4-1e_h36m-videopose3d-sample.py'),
    'mpm_pretrain': 'mpm/mpm-pretrain_tiny-27frm-tds2_1xb32-2e_h36m-videopose3d-sample.py',
    'mpm_lift': 'mpm/mpm-lift_tiny-27frm-tds2_1xb32-2e_h36m-videopose3d-sample.py',
    'multiview': ('multiview_metapose/'
                  'multiview-metapose_tiny-ccat-mlp-1stage_1xb32-10e_h36m-videopose3d-sample.py'),
    'video_pose_lift': (
        'video_pose_lift/'
        'video-pose-lift_tcn-27frm-supv-cpn-ft_1xb64-3e_h36m-videopose3d-sample.py'),
    'motionbert': ('motionbert/'
                   'motionbert_tiny-dstformer-27frm-cpn-ft_1xb8-1e_h36m-videopose3d-sample.py'),
}


@pytest.fixture(scope='module')
def models():
    built = {}
    with DefaultScope.overwrite_default_scope('mmpose'):
        for method, config in METHODS.items():
            cfg = Config.fromfile(osp.join(REPO, 'configs', config))
            built[method] = MODELS.build(cfg.model)
    return built


@pytest.mark.parametrize('source', sorted(METHODS))
def test_each_method_refuses_every_other_methods_checkpoint(models, source):
    state_dict = checkpoint_state_dict(dict(state_dict=models[source].state_dict()))
    filename = f'work_dirs/{source}/epoch_1.pth'
    check_state_dict_keys(models[source], state_dict, filename)  # its own fits
    for target, model in models.items():
        if target == source:
            continue
        mismatch = state_dict_mismatch(model, state_dict)
        with pytest.raises(CheckpointMismatchError) as info:
            check_state_dict_keys(model, state_dict, filename)
        message = str(info.value)
        assert message.startswith(f'{filename} does not fit the model {type(model).__name__}')
        first = (mismatch['missing'] or mismatch['unexpected'] or mismatch['shape'])[0]
        assert first in message, (source, target)


def test_module_prefix_and_documented_buffers(models):
    """A DDP ``module.`` prefix is removed as MMEngine does; a missing
    BatchNorm counter (old checkpoints) is not a mismatch."""
    state_dict = models['capf'].state_dict()
    wrapped = {f'module.{k}': v for k, v in state_dict.items()
               if not k.endswith('num_batches_tracked')}
    assert any(k.endswith('num_batches_tracked') for k in state_dict)
    check_state_dict_keys(models['capf'], checkpoint_state_dict(dict(state_dict=wrapped)), 'x')
