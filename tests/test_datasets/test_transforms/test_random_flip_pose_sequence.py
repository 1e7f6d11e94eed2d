import os.path as osp
from copy import deepcopy

import numpy as np
import pytest

from metapose_plugin.datasets.datasets import H36MSequenceDataset
from metapose_plugin.datasets.datasets.videopose3d_layout import read_videopose3d_3d
from metapose_plugin.datasets.transforms import RandomFlipPoseSequence
from metapose_plugin.structures.h36m_cameras import project_to_2d, world_to_camera

REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
SAMPLE = osp.join(REPO, 'data', 'h36m_videopose3d_sample')
LEFT, RIGHT = [4, 5, 6, 11, 12, 13], [1, 2, 3, 14, 15, 16]


@pytest.fixture(scope='module')
def dataset():
    return H36MSequenceDataset(
        data_root=SAMPLE, ann_file='data_3d_h36m.npz',
        keypoint_2d_file='data_2d_h36m_gt.npz', subjects=['S1', 'S11'],
        seq_len=9, sample_mode='chunks')


def test_flipped_3d_projects_onto_flipped_2d(dataset):
    flip = RandomFlipPoseSequence(flip_prob=1.0)
    world = read_videopose3d_3d(osp.join(SAMPLE, 'data_3d_h36m.npz'))
    for index in range(0, len(dataset), 5):
        info = dataset.get_data_info(index)
        original = deepcopy(info)
        out = flip(info)
        assert out['flip'] is True
        camera = out['camera_param']
        w = camera['w']
        # mirrored pixels, left and right swapped
        np.testing.assert_allclose(out['keypoints'][:, RIGHT, 0],
                                   w - original['keypoints'][:, LEFT, 0])
        np.testing.assert_allclose(out['keypoints'][:, LEFT, 1],
                                   original['keypoints'][:, RIGHT, 1])
        np.testing.assert_allclose(out['keypoints_3d'][:, LEFT, 0],
                                   -original['keypoints_3d'][:, RIGHT, 0])
        np.testing.assert_array_equal(out['lifting_target'],
                                      out['keypoints_3d'])
        # the mirrored triple is consistent: distortion included, to 1e-3 px
        pixels = project_to_2d(out['keypoints_3d'].astype(np.float64), camera)
        assert np.abs(pixels - out['keypoints']).max() < 1e-3
        # and the mirrored camera maps the world pose to the mirrored 3D
        key = [k for k in world[info['subject']]
               if k.replace(' ', '_') in info['target_img_path'][0]][0]
        joints = world[info['subject']][key][info['frame_ids']]
        mirrored = world_to_camera(joints, camera)[:, [0, 4, 5, 6, 1, 2, 3, 7,
                                                       8, 9, 10, 14, 15, 16, 11,
                                                       12, 13]]
        np.testing.assert_allclose(mirrored, out['keypoints_3d'], atol=1e-5)
        # the dataset's camera is untouched
        np.testing.assert_array_equal(
            dataset.get_data_info(index)['camera_param']['c'],
            original['camera_param']['c'])


def test_double_flip_is_identity_and_prob_zero(dataset):
    info = dataset.get_data_info(3)
    twice = RandomFlipPoseSequence(1.0)(RandomFlipPoseSequence(1.0)(
        deepcopy(info)))
    for key in ('keypoints', 'keypoints_3d', 'lifting_target'):
        np.testing.assert_allclose(twice[key], info[key], atol=1e-4)
    for key in 'cpR':
        np.testing.assert_allclose(twice['camera_param'][key],
                                   info['camera_param'][key])
    kept = RandomFlipPoseSequence(0.0)(deepcopy(info))
    assert kept['flip'] is False
    np.testing.assert_array_equal(kept['keypoints'], info['keypoints'])
    with pytest.raises(ValueError, match='flip_prob must be in'):
        RandomFlipPoseSequence(1.5)


def test_flip_probability_is_drawn(dataset):
    np.random.seed(0)
    flip = RandomFlipPoseSequence(0.5)
    draws = [flip(dataset.get_data_info(0))['flip'] for _ in range(200)]
    assert 70 < sum(draws) < 130
