"""Which lifters MetaPose3DInferencer runs, read from the config, and the
windows of each sequence lifter's test dataset."""
import os.path as osp

import pytest
from mmengine.config import Config

from metapose_plugin.apis.inferencers.lifter_config import (SequenceWindowSpec,
                                                            check_video_lifter, is_image_lifter,
                                                            sequence_window_spec)
from metapose_plugin.apis.model_zoo.metafile import load_model_index
from metapose_plugin.testing.tiny_pose2d import mmpose_config

from ..conftest import CAPF_TINY, METAPOSE_TINY, REPO, tiny_pose2d_config

CONFIGS = osp.join(REPO, 'configs')


@pytest.mark.parametrize('config, spec', [
    ('finepose/finepose_mixste-243frm-cpn_clip-b32_1xb4-100e_h36m-videopose3d.py',
     SequenceWindowSpec(243, 1, False, True)),
    ('finepose/finepose_mixste-243frm-cpn_clip-b32_1xb4-100e_h36m-videopose3d-video.py',
     SequenceWindowSpec(243, 1, False, False)),
    ('mpm/mpm-lift_c256-l4-243frm-tds2-cpn_1xb256-50e_h36m-videopose3d.py',
     SequenceWindowSpec(243, 2, False, False)),
    ('video_pose_lift/video-pose-lift_tcn-27frm-supv-cpn-ft_8xb128-160e_h36m-videopose3d.py',
     SequenceWindowSpec(27, 1, False, False)),
    ('motionbert/motionbert_dstformer-243frm-cpn-ft_8xb32-240e_h36m-videopose3d.py',
     SequenceWindowSpec(243, 1, False, True)),
])
def test_sequence_windows_of_our_configs(config, spec):
    cfg = Config.fromfile(osp.join(CONFIGS, config))
    assert not is_image_lifter(cfg, config)
    assert sequence_window_spec(cfg, config) == spec


def test_mmpose_configs_and_dataset_defaults():
    motionbert = Config.fromfile(mmpose_config(
        'body_3d_keypoint', 'motionbert', 'h36m', 'motionbert_dstformer-243frm_8xb32-240e_h36m.py'))
    assert sequence_window_spec(motionbert, 'mb') == SequenceWindowSpec(243, 1, False, True)
    videopose = Config.fromfile(mmpose_config(
        'body_3d_keypoint', 'video_pose_lift', 'h36m',
        'video-pose-lift_tcn-27frm-supv_8xb128-160e_h36m.py'))
    assert sequence_window_spec(videopose, 'vp') == SequenceWindowSpec(27, 1, False, False)
    # Human36mDataset's own default is causal: a config without the key is
    del videopose.test_dataloader.dataset['causal']
    assert sequence_window_spec(videopose, 'vp').causal


def test_image_lifters_and_non_lifters():
    assert is_image_lifter(Config.fromfile(CAPF_TINY), 'capf')
    assert is_image_lifter(Config.fromfile(METAPOSE_TINY), 'metapose')
    with pytest.raises(ValueError, match=r'pose2d.py is not a lifter config .*model.type '
                       r'TopdownPoseEstimator, test_dataloader.dataset.type \'CocoDataset\''):
        is_image_lifter(tiny_pose2d_config(), 'pose2d.py')
    multiview = Config.fromfile(osp.join(
        CONFIGS, 'multiview_metapose',
        'multiview-metapose_tiny-ccat-mlp-1stage_1xb32-10e_h36m-videopose3d-sample.py'))
    with pytest.raises(ValueError, match='is not a lifter config'):
        is_image_lifter(multiview, 'mv')
    with pytest.raises(ValueError, match=r"x.py: model.type 'NoSuchLifter' is not a registered"):
        is_image_lifter(Config(dict(model=dict(type='NoSuchLifter'))), 'x.py')


def test_zoo_sequence_lifters_lift_video_offline():
    """The released FinePOSE and MPM lifters of model-index.yml are sequence
    lifters of the offline path; MPM's refine stage is refused by name."""
    entries = {e.name: e for e in load_model_index().values()
               if e.collection in ('FinePOSE', 'MPM')}
    lifters = {name: e for name, e in entries.items() if 'pretrain' not in name}
    assert any('finepose' in name for name in lifters) and any('refine' in n for n in lifters)
    for name, entry in lifters.items():
        cfg = Config.fromfile(entry.config)
        assert not is_image_lifter(cfg, name)
        if cfg.model.get('refine') is not None:
            with pytest.raises(ValueError, match=rf'{name}: model.refine'):
                check_video_lifter(cfg, name)
            continue
        check_video_lifter(cfg, name)
        assert sequence_window_spec(cfg, name).seq_len == 243
