import numpy as np
import pytest

from metapose_plugin.datasets.transforms.generate_mpm_masks import GenerateMPMMasks
from metapose_plugin.structures.mpm_masks import GROUPS_3D_H36M17, h36m16_groups

F, K = 9, 17


def results(idx=0, joints=K):
    return dict(keypoints=np.zeros((F, joints, 2), np.float32), sample_idx=idx)


def test_random_masks_counts_and_seeding():
    transform = GenerateMPMMasks(num_masked_joints=5, frame_mask_ratio=0.6, seed=3)
    out = transform(results(7))
    for dims in ('2d', '3d'):
        assert out[f'mpm_joint_mask_{dims}'].shape == (F, K)
        assert (out[f'mpm_joint_mask_{dims}'].sum(1) == 5).all()
        assert out[f'mpm_frame_mask_{dims}'].sum() == int(F * 0.6)
    assert not (out['mpm_joint_mask_2d'] == out['mpm_joint_mask_3d']).all()
    again = transform(results(7))
    assert (again['mpm_joint_mask_2d'] == out['mpm_joint_mask_2d']).all()
    other = transform(results(8))
    assert not (other['mpm_joint_mask_2d'] == out['mpm_joint_mask_2d']).all()
    with pytest.raises(KeyError, match='sample_idx'):
        transform(dict(keypoints=np.zeros((F, K, 2))))


def test_unseeded_masks_follow_numpy_global_generator():
    transform = GenerateMPMMasks()
    np.random.seed(0)
    first = transform(results())['mpm_joint_mask_2d']
    np.random.seed(0)
    assert (transform(results())['mpm_joint_mask_2d'] == first).all()


def test_tube_masks_and_16_joints():
    transform = GenerateMPMMasks(mode='tube', manners_2d=(1, ), manners_3d=(5, ), seed=0)
    out = transform(results())
    assert out['mpm_manner_2d'] == 1 and out['mpm_manner_3d'] == 5
    assert (out['mpm_joint_mask_2d'] == out['mpm_joint_mask_2d'][:1]).all()
    assert sorted(np.flatnonzero(out['mpm_joint_mask_2d'][0])) == [11, 12, 13, 14, 15, 16]
    assert out['mpm_joint_mask_3d'][0].sum() == 2 and not out['mpm_frame_mask_3d'].any()
    with pytest.raises(ValueError, match='outside'):
        GenerateMPMMasks(mode='tube', manners_3d=(1, ), seed=0)(results(joints=16))
    fixed = GenerateMPMMasks(mode='tube', manners_3d=(1, ), groups_3d=h36m16_groups(
        GROUPS_3D_H36M17), seed=0)(results(joints=16))
    assert sorted(np.flatnonzero(fixed['mpm_joint_mask_3d'][0])) == [13, 14, 15]
    with pytest.raises(ValueError, match='keypoints'):
        transform(dict(keypoints=np.zeros((K, 2)), sample_idx=0))
    with pytest.raises(ValueError, match='mode'):
        GenerateMPMMasks(mode='block')
