import numpy as np
import pytest

from metapose_plugin.datasets.transforms import SelectJoints

H36M_FLIP = [0, 4, 5, 6, 1, 2, 3, 7, 8, 9, 10, 14, 15, 16, 11, 12, 13]
WITHOUT_NOSE = [0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14, 15, 16]


def _sample(frames=5, joints=17):
    rng = np.random.default_rng(0)
    return dict(keypoints=rng.normal(size=(frames, joints, 2)),
                keypoints_visible=rng.random((frames, joints)),
                keypoints_3d=rng.normal(size=(frames, joints, 3)),
                lifting_target=rng.normal(size=(1, joints, 3)),
                lifting_target_visible=rng.random((1, joints)),
                flip_indices=list(H36M_FLIP), num_keypoints=joints, sample_idx=3)


def test_mpm_16_joints_drop_the_nose_and_keep_the_flip_pairs():
    sample = _sample()
    original = {k: np.copy(v) for k, v in sample.items() if isinstance(v, np.ndarray)}
    out = SelectJoints(WITHOUT_NOSE)(sample)
    assert out['keypoints'].shape == (5, 16, 2) and out['keypoints_3d'].shape == (5, 16, 3)
    assert out['lifting_target'].shape == (1, 16, 3) and out['keypoints_visible'].shape == (5, 16)
    np.testing.assert_array_equal(out['keypoints'][:, 9], original['keypoints'][:, 10])
    np.testing.assert_array_equal(out['lifting_target_visible'][:, 8],
                                  original['lifting_target_visible'][:, 8])
    # SPEC_MPM: 16-joint left [4, 5, 6, 10, 11, 12], right [1, 2, 3, 13, 14, 15]
    flip = out['flip_indices']
    for left, right in zip([4, 5, 6, 10, 11, 12], [1, 2, 3, 13, 14, 15]):
        assert flip[left] == right and flip[right] == left
    assert [flip[j] for j in (0, 7, 8, 9)] == [0, 7, 8, 9]
    assert out['num_keypoints'] == 16


def test_bad_joint_lists_are_refused():
    with pytest.raises(ValueError, match='distinct'):
        SelectJoints([0, 0, 1])
    with pytest.raises(ValueError, match='sample 3: field keypoints has 17 joints'):
        SelectJoints([0, 17])(_sample())
    with pytest.raises(ValueError, match=r'joints \[1\] are kept but their flip partners'):
        SelectJoints([0, 1])(_sample())
