import copy

import numpy as np
import pytest

from metapose_plugin.datasets import H36MImageDataset
from metapose_plugin.datasets.transforms import (LoadPersonCrop,
                                                 RandomFlipImageLifting)


def _loaded_samples(pkl_cfg):
    dataset = H36MImageDataset(**pkl_cfg(), pipeline=[dict(
        type='LoadPersonCrop')])
    return [dataset[i] for i in range(len(dataset))]


def test_flip_twice_is_identity(pkl_cfg):
    flip = RandomFlipImageLifting(prob=1.0)
    for sample in _loaded_samples(pkl_cfg):
        original = copy.deepcopy(sample)
        once = flip(copy.deepcopy(sample))
        assert once['flip'] is True
        assert not np.array_equal(once['img'], original['img'])
        twice = flip(copy.deepcopy(once))
        assert twice['flip'] is False
        for key in ('img', 'keypoints', 'keypoint_labels', 'lifting_target',
                    'lifting_target_label', 'target_root',
                    'keypoints_visible', 'lifting_target_visible'):
            # float32 crop x: W - 1 - (W - 1 - x) rounds in the last bit
            np.testing.assert_allclose(
                twice[key], original[key], rtol=0, atol=1e-4, err_msg=key)
        np.testing.assert_array_equal(twice['img'], original['img'])


def test_flip_values(pkl_cfg):
    sample = _loaded_samples(pkl_cfg)[0]
    flipped = RandomFlipImageLifting(prob=1.0)(copy.deepcopy(sample))
    swap = sample['flip_indices']
    np.testing.assert_array_equal(flipped['img'], sample['img'][:, ::-1])
    np.testing.assert_allclose(flipped['keypoints'][0, :, 0],
                               191 - sample['keypoints'][0, swap, 0])
    np.testing.assert_allclose(flipped['keypoint_labels'][0, :, 0],
                               -sample['keypoint_labels'][0, swap, 0])
    np.testing.assert_allclose(flipped['lifting_target'][0, :, 0],
                               -sample['lifting_target'][0, swap, 0])
    np.testing.assert_allclose(flipped['lifting_target'][0, :, 1:],
                               sample['lifting_target'][0, swap, 1:])
    np.testing.assert_allclose(flipped['target_root'][0],
                               sample['target_root'][0] * [-1, 1, 1])
    assert flipped['flip_direction'] == 'horizontal'
    # the left hip (4) of the flipped sample is the mirrored right hip (1)
    np.testing.assert_allclose(flipped['keypoints'][0, 4, 1],
                               sample['keypoints'][0, 1, 1])


def test_flip_prob_zero_keeps_sample(pkl_cfg):
    sample = _loaded_samples(pkl_cfg)[1]
    out = RandomFlipImageLifting(prob=0.0)(copy.deepcopy(sample))
    assert out['flip'] is False and out['flip_direction'] is None
    np.testing.assert_array_equal(out['img'], sample['img'])
    with pytest.raises(ValueError, match='prob'):
        RandomFlipImageLifting(prob=1.5)


def _project(points, camera):
    """Pinhole projection (no distortion) of camera-frame points."""
    focal = np.array([camera['fx'], camera['fy']])
    principal = np.array([camera['cx'], camera['cy']])
    return points[:, :2] / points[:, 2:] * focal + principal


def test_flipped_3d_projects_onto_flipped_2d(pkl_cfg, pkl_records):
    """Root-relative projections agree as well after the flip as before.

    The crop mirror (about the box centre) and the 3D mirror (X -> -X,
    about the principal point) differ in absolute position, but both negate
    every x offset from the root; the residual of the pinhole model (lens
    distortion, ~1 px) is mirrored too, so its size is unchanged.
    """
    flip = RandomFlipImageLifting(prob=1.0)
    for sample, record in zip(_loaded_samples(pkl_cfg), pkl_records):
        camera = record['camera']
        ratio = 191 / (200 * record['scale'][0] - 1)  # crop px / frame px

        def residual(s):
            joints = s['lifting_target'][0] + s['target_root'][0]
            projected = _project(joints.astype(np.float64), camera)
            projected_rel = (projected - projected[:1]) * ratio
            crop_rel = s['keypoints'][0] - s['keypoints'][0, :1]
            frame = s['keypoint_labels'][0]
            frame_rel = (frame - frame[:1]) * 1000 / 2 * ratio
            return projected_rel - crop_rel, projected_rel - frame_rel

        before_crop, before_frame = residual(sample)
        after_crop, after_frame = residual(flip(copy.deepcopy(sample)))
        swap = sample['flip_indices']
        assert np.abs(before_crop).max() < 1.5  # distortion only
        np.testing.assert_allclose(after_crop,
                                   before_crop[swap] * [-1, 1], atol=1e-3)
        np.testing.assert_allclose(after_frame,
                                   before_frame[swap] * [-1, 1], atol=1e-3)


def test_crop_then_flip_moves_dot(tmp_path):
    import cv2
    img = np.zeros((1002, 1000, 3), np.uint8)
    cv2.circle(img, (430, 560), 4, (255, 255, 255), -1)
    path = str(tmp_path / 'f.png')
    cv2.imwrite(path, img)
    results = LoadPersonCrop()(
        dict(
            img_path=path,
            center=np.array([500.0, 500.0]),
            scale=np.array([2.0, 2.0]),
            keypoints=np.array([[[430.0, 560.0]] * 17]),
            flip_indices=list(range(17))))
    flipped = RandomFlipImageLifting(prob=1.0)(results)
    ys, xs = np.nonzero(flipped['img'][..., 0] > 100)
    np.testing.assert_allclose([xs.mean(), ys.mean()],
                               flipped['keypoints'][0, 0], atol=0.3)
