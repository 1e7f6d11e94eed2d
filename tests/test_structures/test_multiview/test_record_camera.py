"""The reference records' camera model (Brown-Conrady, weak variant, perfect init)."""
import numpy as np
import pytest

from metapose_plugin.structures.h36m_cameras import (h36m_camera_param, project_to_2d,
                                                     world_to_camera)
from metapose_plugin.structures.multiview.record_camera import (perfect_monocular_estimate,
                                                                project_record_camera,
                                                                record_camera)
from metapose_plugin.testing.fixtures import shared_fixture_dir


@pytest.fixture(scope='module')
def reference():
    return np.load(shared_fixture_dir('multiview_metapose') / 'metapose_ref.npz')


@pytest.mark.parametrize('index', [0, 1, 2])
def test_projection_and_perfect_init_match_the_reference(reference, index):
    rec = {k.split('/')[-1]: reference[k] for k in reference.files
           if k.startswith(f'rec{index}/in/')}
    cams = [rec[k] for k in ('cam_rot', 'cam_pose3d', 'cam_intr', 'cam_kd')]
    pose = np.broadcast_to(rec['pose3d'], (4, 17, 3))
    uv, depth = project_record_camera(pose, *cams)
    np.testing.assert_allclose(uv, rec['pose2d_repr'], rtol=0, atol=1e-9)  # pixels
    assert (depth > 3000).all()  # mm, cameras 4.5 m away
    bboxes = rec['bboxes'].astype(np.float64)
    origin = bboxes[:, [2, 0]]
    size = np.maximum(bboxes[:, 1] - bboxes[:, 0], bboxes[:, 3] - bboxes[:, 2])
    init = perfect_monocular_estimate(pose, *cams, origin, size)
    assert init.dtype == np.float32
    np.testing.assert_allclose(init, rec['perfect_epi_init'], rtol=0, atol=1e-6)
    weak, _ = project_record_camera(pose, *cams, weak=True)
    assert 0.1 < np.abs(weak - uv).max() < 50  # weak perspective differs, but not wildly


def test_h36m_calibration_projects_as_videopose3d_to_a_fraction_of_a_pixel():
    """(k1, k2, p1, p2, k3) from MMPose's camera_param: Brown-Conrady vs H36M's own model."""
    rng = np.random.default_rng(0)
    worst = 0.0
    for subject in ('S1', 'S9', 'S11'):
        for index in range(4):
            param = h36m_camera_param(subject, index)
            # a 2 m tall cloud of points around the capture volume's centre
            world = rng.normal(size=(17, 3)) * [0.4, 0.4, 0.6] + [0.0, 0.0, 1.0]
            expected = project_to_2d(world_to_camera(world, param), param)
            uv, _ = project_record_camera(world, *record_camera(param))
            worst = max(worst, np.abs(uv - expected).max())
            rot, centre, intr, dist = record_camera(param)
            np.testing.assert_allclose(dist[[0, 1, 4]], param['k'].ravel())
            np.testing.assert_allclose(rot, param['R'].T)
    assert 0 < worst < 0.5  # pixels: the two tangential models differ slightly
