import os.path as osp
import pickle

import numpy as np
import pytest
import torch

from metapose_plugin.datasets.datasets.h36m_annotations import H36M_CAMERAS
from metapose_plugin.structures.h36m_cameras import (camera_intrinsics, h36m_calibrated_subjects,
                                                     h36m_camera_param, project_to_2d,
                                                     world_to_camera)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
MMPOSE_SAMPLE = osp.join(REPO, 'data', 'h36m_sample')


def _mmpose_cameras() -> dict:
    with open(osp.join(MMPOSE_SAMPLE, 'cameras.pkl'), 'rb') as file:
        return pickle.load(file)


def test_table_equals_mmpose_cameras_pkl():
    """The shipped table in MMPose's convention equals MMPose's own
    cameras.pkl (made by its preprocess_h36m.py from metadata.xml)."""
    reference = _mmpose_cameras()
    tolerances = dict(R=1e-6, T=1e-6, c=1e-4, f=1e-4, k=1e-7, p=1e-9)
    assert h36m_calibrated_subjects() == ('S1', 'S5', 'S6', 'S7', 'S8',
                                          'S9', 'S11')
    for subject in h36m_calibrated_subjects():
        for index, serial in enumerate(H36M_CAMERAS):
            ours = h36m_camera_param(subject, index)
            theirs = reference[(subject, serial)]
            for key, tol in tolerances.items():
                assert ours[key].shape == np.asarray(theirs[key]).shape
                np.testing.assert_allclose(ours[key], theirs[key], atol=tol)
            assert (ours['w'], ours['h']) == (theirs['w'], theirs['h'])
            assert ours['id'] == str(theirs['id'])
            assert ours['name'] == str(theirs['name'])


def test_projection_reproduces_real_h36m_2d():
    """Camera-frame 3D of MMPose's real H36M sample projected with the table
    gives its ground-truth 2D (official projection with distortion) to
    1e-3 px; without the distortion terms it is off by pixels."""
    with np.load(osp.join(MMPOSE_SAMPLE, 'test_h36m_body3d.npz')) as data:
        names, joints, part = data['imgname'], data['S'], data['part']
    for name, joints_3d, keypoints in zip(names, joints, part):
        subject = str(name).split('/')[0]
        camera = H36M_CAMERAS.index(str(name).split('.')[-2].split('_')[0])
        param = h36m_camera_param(subject, camera)
        points = joints_3d[:, :3].astype(np.float64)
        error = np.abs(project_to_2d(points, param) - keypoints[:, :2]).max()
        assert error < 1e-3
        linear = camera_intrinsics(param)
        linear[4:] = 0
        assert np.abs(project_to_2d(points, linear) -
                      keypoints[:, :2]).max() > 0.5


def test_world_to_camera_convention():
    param = h36m_camera_param('S9', 2)
    rotation, centre = param['R'], param['T'][:, 0]
    np.testing.assert_allclose(rotation @ rotation.T, np.eye(3), atol=1e-9)
    assert np.linalg.det(rotation) == pytest.approx(1.0)
    # the camera centre maps to the origin, a point on the optical axis to z
    np.testing.assert_allclose(world_to_camera(centre, param), 0, atol=1e-9)
    ahead = centre + 4.0 * rotation[:, 2]
    np.testing.assert_allclose(
        world_to_camera(ahead, param), [0, 0, 4.0], atol=1e-9)


def test_intrinsics_pixels_and_normalised():
    param = h36m_camera_param('S1', 0)
    w, h = param['w'], param['h']
    pixels = camera_intrinsics(param)
    np.testing.assert_allclose(pixels[:2], param['f'][:, 0])
    np.testing.assert_allclose(pixels[2:4], param['c'][:, 0])
    np.testing.assert_allclose(pixels[7:], param['p'][::-1, 0])
    normalised = camera_intrinsics(param, normalize=True)
    rng = np.random.default_rng(0)
    points = rng.uniform([-1, -1, 3], [1, 1, 6], (5, 17, 3))
    in_pixels = project_to_2d(points, pixels)
    np.testing.assert_allclose(
        project_to_2d(points, normalised),
        in_pixels / w * 2 - [1, h / w],
        atol=1e-12)


def test_projection_pinhole_numpy_and_torch():
    param = h36m_camera_param('S11', 1)
    rng = np.random.default_rng(1)
    points = rng.uniform([-1, -1, 3], [1, 1, 6], (2, 4, 17, 3))
    pinhole = camera_intrinsics(param)
    pinhole[4:] = 0
    expected = points[..., :2] / points[..., 2:] * param['f'][:, 0] + \
        param['c'][:, 0]
    np.testing.assert_allclose(project_to_2d(points, pinhole), expected,
                               atol=1e-9)
    # torch, one 9-vector per batch element broadcast over frames and joints
    batch = np.stack([camera_intrinsics(param)] * 2)
    out = project_to_2d(torch.from_numpy(points), torch.from_numpy(batch))
    assert isinstance(out, torch.Tensor) and out.shape == (2, 4, 17, 2)
    np.testing.assert_allclose(out.numpy(), project_to_2d(points, param),
                               atol=1e-9)


def test_uncalibrated_subject_and_bad_camera():
    with pytest.raises(ValueError, match="'S2' has no camera calibration"):
        h36m_camera_param('S2', 0)
    with pytest.raises(ValueError, match='camera index 4 of subject'):
        h36m_camera_param('S1', 4)
