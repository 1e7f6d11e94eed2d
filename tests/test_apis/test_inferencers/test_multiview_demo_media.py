"""projects/metapose/demo/multiview_demo.py on synchronised media: MMPose's
2D heatmap model and detector per view, heatmap mixtures, MMPose's
Pose3DInferencer for the monocular estimates (tiny random models)."""
import importlib.util
import json
import os.path as osp
import sys

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from ..conftest import REPO, VIDEO, tiny_pose2d_config

DEMO = osp.join(REPO, 'projects', 'metapose', 'demo', 'multiview_demo.py')
LIFTER = osp.join(REPO, 'configs', 'video_pose_lift',
                  'video-pose-lift_tcn-27frm-supv-cpn-ft_1xb64-3e_h36m-videopose3d-sample.py')
FRAMES = 3


def _demo():
    spec = importlib.util.spec_from_file_location('multiview_demo', DEMO)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _write_frame_folders(folder, views=2, frames=FRAMES):
    """Views as folders of frames (view v shifted by 20 v pixels)."""
    capture = cv2.VideoCapture(VIDEO)
    images = [capture.read()[1] for _ in range(frames)]
    for view in range(views):
        (folder / f'view_{view}').mkdir()
        for index, image in enumerate(images):
            cv2.imwrite(str(folder / f'view_{view}' / f'{index:04d}.jpg'),
                        np.roll(image, 20 * view, axis=1))


@pytest.fixture(scope='module')
def lifter_checkpoint(tmp_path_factory):
    from mmpose.registry import MODELS
    with DefaultScope.overwrite_default_scope('mmpose'):
        torch.manual_seed(0)
        model = MODELS.build(Config.fromfile(LIFTER).model)
    path = tmp_path_factory.mktemp('lifter') / 'lifter.pth'
    torch.save(dict(state_dict=model.state_dict()), path)
    return str(path)


def _run(folder, out, pose2d_ckpt, monkeypatch, *extra):
    config = folder / 'pose2d.py'
    tiny_pose2d_config().dump(str(config))
    monkeypatch.setattr(sys, 'argv', [
        DEMO, str(folder), '--out-dir', str(out), '--pose2d', str(config), '--pose2d-weights',
        pose2d_ckpt, '--det-model', 'whole_image', *extra])
    module = _demo()
    module.main()
    with open(out / 'multiview_metapose.json') as file:
        return module, json.load(file)


def test_media_views_give_heatmap_mixtures_and_a_solution(shared_checkpoints, lifter_checkpoint,
                                                          tmp_path, monkeypatch):
    views = tmp_path / 'views'
    views.mkdir()
    _write_frame_folders(views)
    module, result = _run(views, tmp_path / 'out', shared_checkpoints[0], monkeypatch,
                          '--lifter', LIFTER, '--lifter-weights', lifter_checkpoint)
    assert len(result['frames']) == FRAMES
    assert len(result['frames'][0]['views']) == 2
    pose = np.asarray(result['frames'][0]['pose'])
    assert pose.shape == (17, 3) and np.isfinite(pose).all()
    assert osp.isfile(tmp_path / 'out' / 'pose3d_frame0.png')


def test_heatmap_mixture_lies_where_the_heatmap_peaks():
    """A heatmap with one Gaussian blob: the fitted components sit on it, in
    frame pixels through the crop's centre and scale."""
    from metapose_plugin.structures.multiview.multiview_inputs import heatmap_pixel_ranges
    from metapose_plugin.structures.multiview.spherical_mixture_fit import fit_heatmap_mixture
    ys, xs = np.mgrid[0:64, 0:48]
    heatmap = np.exp(-((xs - 30) ** 2 + (ys - 20) ** 2) / (2 * 2.0 ** 2))
    center, scale = np.array([500.0, 400.0]), np.array([192.0, 256.0])
    x_range, y_range = heatmap_pixel_ranges(center, scale, (48, 64))
    mix = fit_heatmap_mixture(torch.as_tensor(heatmap)[None], 4, 5, torch.as_tensor(x_range),
                              torch.as_tensor(y_range))[0].double()
    # MMPose's decoding of heatmap pixel (30, 20): x = 30 * 192 / 48 + 500 - 96
    expected = np.array([30 * 4.0 + 404.0, 20 * 4.0 + 272.0])
    mean = (mix[:, 0:1] * mix[:, 1:3]).sum(0).numpy() / mix[:, 0].sum().item()
    np.testing.assert_allclose(mean, expected, atol=0.5)
    assert (mix[:, 3] > 0).all()


def test_one_media_view_is_refused(shared_checkpoints, tmp_path, monkeypatch):
    views = tmp_path / 'views'
    views.mkdir()
    _write_frame_folders(views, views=1, frames=1)
    with pytest.raises(SystemExit):
        _run(views, tmp_path / 'out', shared_checkpoints[0], monkeypatch)
