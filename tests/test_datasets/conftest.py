"""Fixtures shared by the dataset and transform tests: the sample data."""
import os.path as osp
import pickle

import pytest
from mmengine.registry import DefaultScope

import metapose_plugin.datasets  # noqa: F401 (registers the transforms)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PKL_ROOT = osp.join(REPO, 'data', 'capf_pkl_sample')
NPZ_ROOT = osp.join(REPO, 'data', 'h36m_sample')

META_KEYS = ('id', 'img_path', 'subject', 'action', 'subaction', 'camera_id',
             'frame_id', 'frame_size', 'flip', 'flip_direction',
             'flip_indices', 'input_size', 'img_shape', 'ori_shape', 'center',
             'scale')


@pytest.fixture(autouse=True)
def mmpose_scope():
    """Build registry types in the ``mmpose`` scope, without a global."""
    import mmpose.datasets  # noqa: F401 (registers PackPoseInputs)
    with DefaultScope.overwrite_default_scope('mmpose'):
        yield


@pytest.fixture
def pkl_records():
    with open(osp.join(PKL_ROOT, 'labels.pkl'), 'rb') as file:
        return pickle.load(file)


@pytest.fixture
def pkl_cfg():
    """Factory of H36MImageDataset kwargs for the CA-PF pickle sample."""
    return _pkl_cfg


@pytest.fixture
def npz_cfg():
    """Factory of H36MImageDataset kwargs for the MMPose npz sample."""
    return _npz_cfg


@pytest.fixture
def make_pipeline():
    """Factory of the test pipeline (crop, optional flip, pack)."""
    return _pipeline


def _pkl_cfg(**kwargs) -> dict:
    cfg = dict(
        ann_file='labels.pkl',
        data_root=PKL_ROOT,
        data_prefix=dict(img='images/'),
        keypoint_2d_src='gt')
    cfg.update(kwargs)
    return cfg


def _npz_cfg(**kwargs) -> dict:
    cfg = dict(
        ann_file='test_h36m_body3d.npz',
        data_root=NPZ_ROOT,
        camera_param_file='cameras.pkl',
        keypoint_2d_det_file='test_h36m_2d_detection.npy',
        keypoint_2d_src='gt')
    cfg.update(kwargs)
    return cfg


def _pipeline(flip_prob=None) -> list:
    pipeline = [dict(type='LoadPersonCrop', input_size=(192, 256))]
    if flip_prob is not None:
        pipeline.append(dict(type='RandomFlipImageLifting', prob=flip_prob))
    pipeline.append(dict(type='PackPoseInputs', meta_keys=META_KEYS))
    return pipeline
