"""MetaPose3dLocalVisualizer: MMPose's 3D visualizer on matplotlib >= 3.10
and NumPy 2, with one panel per person."""
import numpy as np
import pytest
import torch
from mmengine.structures import InstanceData
from mmpose.datasets.datasets.utils import parse_pose_metainfo
from mmpose.structures import PoseDataSample
from mmpose.visualization import Pose3dLocalVisualizer

from metapose_plugin.testing import record_3d_panels
from metapose_plugin.visualization import MetaPose3dLocalVisualizer

H, W = 60, 80


def _visualizer(cls, name):
    visualizer = cls(name=name)
    visualizer.set_dataset_meta(
        parse_pose_metainfo(dict(from_file='configs/_base_/datasets/h36m.py')))
    return visualizer


def _samples(num_people: int, seed: int = 0):
    rng = np.random.RandomState(seed)
    pose = PoseDataSample(pred_instances=InstanceData(
        keypoints=rng.uniform(-0.5, 0.5, (num_people, 17, 3)),
        keypoint_scores=np.ones((num_people, 17))))
    det = PoseDataSample(pred_instances=InstanceData(
        keypoints=rng.uniform(0, W, (num_people, 17, 2)),
        keypoint_scores=np.ones((num_people, 17))))
    return pose, det


@pytest.mark.parametrize('num_people,num_instances,panels', [(2, -1, 2), (1, 3, 3), (3, 1, 1),
                                                             (0, 1, 1)])
def test_panels_per_person(num_people, num_instances, panels):
    visualizer = _visualizer(MetaPose3dLocalVisualizer, f'vis3d-{num_people}-{num_instances}')
    pose, det = _samples(num_people)
    image = np.zeros((H, W, 3), np.uint8)
    drawn = visualizer.add_datasample('frame', image, pose, det_data_sample=det, draw_gt=False,
                                      dataset_2d='h36m', dataset_3d='h36m',
                                      num_instances=num_instances)
    # 2D image (padded to the panels' size, as MMPose does) beside square
    # panels of side W
    assert drawn.shape == (W, 2 * panels * W, 3)
    panel_area = drawn[:, panels * W:]
    if num_people:
        # every drawn person's panel has non-white pixels
        for index in range(min(num_people, panels)):
            assert (panel_area[:, index * W:(index + 1) * W] < 250).any()
    blank = range(min(num_people, panels), panels)
    for index in blank:
        assert (panel_area[:, index * W:(index + 1) * W] == 255).all()


def test_tensor_keypoints_numpy2():
    """NumPy 2 refuses ``np.array(tensor, copy=False)`` in MMPose's drawing."""
    pose, det = _samples(1)
    det.pred_instances.keypoints = torch.from_numpy(det.pred_instances.keypoints)
    image = np.zeros((H, W, 3), np.uint8)
    ours = _visualizer(MetaPose3dLocalVisualizer, 'vis3d-tensors')
    drawn = ours.add_datasample('frame', image, pose, det_data_sample=det, draw_gt=False,
                                dataset_2d='h36m', dataset_3d='h36m')
    assert (drawn[:H, :W] != 0).any()  # the 2D skeleton was drawn on the black frame
    if int(np.__version__.split('.')[0]) >= 2:
        base = _visualizer(Pose3dLocalVisualizer, 'vis3d-base-tensors')
        with pytest.raises(ValueError, match='copy'):
            base._draw_instances_kpts(image.copy(), det.pred_instances)


def test_plot_frame_is_upright_on_real_pose():
    """Camera-frame H36M joints (y down) are shown head up, feet at 0."""
    import os.path as osp
    from metapose_plugin.visualization import to_plot_frame
    repo = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
    pose = np.load(osp.join(repo, 'data', 'h36m_sample', 'test_h36m_body3d.npz'))['S'][:, :, :3]
    plot = to_plot_frame(pose)
    pelvis, head = 0, 10
    assert plot.shape == pose.shape
    # standing, walking and sitting frames alike: the head is above the pelvis
    assert np.all(plot[:, head, 2] > plot[:, pelvis, 2] + 0.3)
    np.testing.assert_allclose(plot[..., 2].min(axis=1), 0.0, atol=1e-12)
    # depth is the camera's z, mirrored; left/right stays the camera's x, mirrored
    np.testing.assert_allclose(plot[..., 1], -pose[..., 2])
    np.testing.assert_allclose(plot[..., 0], -pose[..., 0])


@pytest.mark.parametrize('frame', ['camera', 'display'])
def test_panels_are_upright_with_the_given_threshold(frame, monkeypatch):
    """A real standing pose reaches MMPose's panel head up whether the sample
    holds camera-frame joints (the plugin's inferencer) or joints MMPose's
    Pose3DInferencer already turned upright; ``kpt_thr`` reaches the panel."""
    import os.path as osp
    repo = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
    camera = np.load(osp.join(repo, 'data', 'h36m_sample', 'test_h36m_body3d.npz'))['S'][:1, :, :3]
    keypoints = camera.copy()
    if frame == 'display':  # MMPose's Pose3DInferencer.forward: (-x, z, -y), feet at 0
        keypoints = keypoints[..., [0, 2, 1]]
        keypoints[..., 0] *= -1
        keypoints[..., 2] *= -1
        keypoints[..., 2] -= keypoints[..., 2].min(axis=-1, keepdims=True)
    panels = record_3d_panels(monkeypatch)
    visualizer = _visualizer(MetaPose3dLocalVisualizer, f'vis3d-upright-{frame}')
    visualizer.keypoints_frame = frame
    _, det = _samples(1)
    det.pred_instances.keypoint_scores[:] = 0.1  # a weak 2D model
    pose = PoseDataSample(pred_instances=InstanceData(keypoints=keypoints,
                                                      keypoint_scores=np.ones((1, 17))))
    visualizer.add_datasample('frame', np.zeros((H, W, 3), np.uint8), pose,
                              det_data_sample=det, draw_gt=False, dataset_2d='h36m',
                              dataset_3d='h36m', kpt_thr=0.05)
    [(shown, kpt_thr)] = panels
    assert kpt_thr == 0.05  # all 17 joints pass (scores 1, 2D scores 0.1)
    pelvis, head, ankles = 0, 10, (3, 6)
    assert shown[0, head, 2] > shown[0, pelvis, 2] + 0.3 > shown[0, ankles, 2].max() + 0.3
    np.testing.assert_allclose(shown[0, :, 2].min(), 0.0, atol=1e-9)
    with pytest.raises(ValueError, match='keypoints_frame must be one of'):
        MetaPose3dLocalVisualizer(name='vis3d-bad-frame', keypoints_frame='world')
