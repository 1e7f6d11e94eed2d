"""The sequence-lifting configs: MMPose's VideoPose3D and MotionBERT recipes
(``mmpose::`` bases) on H36MSequenceDataset."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner
from mmpose.registry import DATASETS

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
VP3D = 'configs/video_pose_lift/'
VP3D_REAL = VP3D + ('video-pose-lift_tcn-27frm-supv-cpn-ft_8xb128-160e_'
                    'h36m-videopose3d.py')
VP3D_SAMPLE = VP3D + ('video-pose-lift_tcn-27frm-supv-cpn-ft_1xb64-3e_'
                      'h36m-videopose3d-sample.py')
MB = 'configs/motionbert/'
MB_REAL = MB + 'motionbert_dstformer-243frm-cpn-ft_8xb32-240e_h36m-videopose3d.py'
MB_SAMPLE = MB + 'motionbert_tiny-dstformer-27frm-cpn-ft_1xb8-1e_h36m-videopose3d-sample.py'


def _cfg(path: str) -> Config:
    return Config.fromfile(osp.join(REPO, path))


@pytest.mark.parametrize('path, backbone, modes', [
    (VP3D_REAL, 'TCN', ('per_frame', 'per_frame')),
    (VP3D_SAMPLE, 'TCN', ('per_frame', 'per_frame')),
    (MB_REAL, 'DSTFormer', ('chunks', 'test_chunks')),
    (MB_SAMPLE, 'DSTFormer', ('chunks', 'test_chunks')),
])
def test_configs_change_only_the_data(path, backbone, modes):
    cfg = _cfg(path)
    assert cfg.custom_imports['imports'] == ['metapose_plugin']
    assert cfg.model.type == 'PoseLifter'
    assert cfg.model.backbone.type == backbone
    for loader, mode in zip(('train_dataloader', 'test_dataloader'), modes):
        dataset = cfg[loader].dataset
        assert dataset.type == 'H36MSequenceDataset'
        assert dataset.sample_mode == mode
        # nothing of MMPose's Human36mDataset arguments is left over
        assert not {'causal', 'pad_video_seq', 'multiple_target',
                    'camera_param_file', 'data_prefix'} & set(dataset)
        meta_keys = dataset.pipeline[-1].meta_keys
        for key in ('subject', 'action', 'subaction', 'camera_id',
                    'target_frame_ids', 'target_pad_mask'):
            assert key in meta_keys
    assert cfg.test_evaluator.type == 'H36MSequenceMetric'
    assert cfg.default_hooks.checkpoint.save_best == 'P1'
    if 'sample' in path:
        assert cfg.train_dataloader.dataset.data_root.endswith(
            'data/h36m_videopose3d_sample/')
        assert cfg.train_dataloader.num_workers == 0
    else:
        assert cfg.train_dataloader.dataset.data_root == \
            'data/h36m_videopose3d/'
        # S8 held out for validation, S9/S11 only tested
        assert cfg.train_dataloader.dataset.subjects == ['S1', 'S5', 'S6', 'S7']
        assert cfg.val_dataloader.dataset.subjects == ['S8']
        assert cfg.test_dataloader.dataset.subjects == ['S9', 'S11']


@pytest.mark.parametrize('path, shape', [(VP3D_SAMPLE, (34, 27)),
                                         (MB_SAMPLE, (27, 17, 3))])
def test_sample_pipelines_feed_mmpose_codecs(path, shape):
    cfg = _cfg(path)
    for loader in ('train_dataloader', 'test_dataloader'):
        dataset = DATASETS.build(cfg[loader].dataset)
        packed = dataset[len(dataset) - 1]
        assert tuple(packed['inputs'].shape) == shape
        sample = packed['data_samples']
        assert torch.is_tensor(sample.gt_instance_labels.lifting_target_label)
        assert sample.metainfo['subject'] in ('S1', 'S5', 'S9', 'S11')
        assert len(sample.metainfo['target_frame_ids']) == len(
            sample.gt_instances.lifting_target)


def test_motionbert_sample_trains_and_evaluates(tmp_path):
    """MMPose's MotionBERT recipe (tiny) trains one epoch on the sample and
    evaluates every test frame once (in-process Runner)."""
    torch.manual_seed(0)
    torch.set_num_threads(1)
    cfg = _cfg(MB_SAMPLE)
    cfg.work_dir = str(tmp_path)
    cfg.default_hooks.logger.interval = 1
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.cameras = [1]  # kept short
    runner = Runner.from_cfg(cfg)
    runner.train()
    metrics = runner.test()
    assert metrics['P1'] > 0
    frames = {k: v for k, v in metrics.items() if k.startswith('P1/')}
    assert set(frames) == {
        'P1/Directions', 'P1/SittingDown', 'P1/TakingPhoto', 'P1/Walking',
        'P1/WalkingDog'
    }
