import numpy as np
import pytest

from metapose_plugin.datasets.transforms.set_window_lifting_target import SetWindowLiftingTarget


def test_window_becomes_the_target():
    keypoints_3d = np.random.default_rng(0).normal(size=(5, 3, 3))
    results = dict(keypoints_3d=keypoints_3d, keypoints_3d_visible=np.ones((5, 3)),
                   lifting_target=keypoints_3d[2:3], lifting_target_visible=np.ones((1, 3)),
                   frame_ids=np.arange(5), pad_mask=np.array([1, 0, 0, 0, 0], bool),
                   target_frame_ids=np.array([2]), target_pad_mask=np.zeros(1, bool))
    out = SetWindowLiftingTarget()(results)
    assert out['lifting_target'].shape == (5, 3, 3)
    assert np.array_equal(out['lifting_target'], keypoints_3d)
    assert out['lifting_target_visible'].shape == (5, 3)
    assert out['target_frame_ids'].tolist() == list(range(5))
    assert out['target_pad_mask'].tolist() == [True, False, False, False, False]
    with pytest.raises(KeyError, match='keypoints_3d'):
        SetWindowLiftingTarget()(dict(sample_idx=3))
