"""projects/metapose/demo/inferencer_demo.py with each sequence lifter family
on the demo video (tiny random models, MMPose's 2D model on the whole
image): JSON, per-track arrays and the video written, one 3D pose per frame
and track; and the errors of bad input."""
import os.path as osp
import sys

import cv2
import mmengine
import numpy as np
import pytest
from mmengine.config import Config
from mmpose.apis import MMPoseInferencer

from metapose_plugin.apis import MetaPose3DInferencer
from metapose_plugin.testing import load_script

from ..conftest import CAPF_TINY, REPO, VIDEO, tiny_pose2d_config

DEMO = osp.join(REPO, 'projects', 'metapose', 'demo', 'inferencer_demo.py')
NUM_FRAMES, FRAME_W = 5, 960
LIFTERS = {
    'finepose': 'finepose/finepose_tiny-mixste-27frm-cpn_clip_1xb4-1e_h36m-videopose3d-sample.py',
    'mpm': 'mpm/mpm-lift_tiny-27frm-tds2_1xb32-2e_h36m-videopose3d-sample.py',
    'videopose3d': ('video_pose_lift/'
                    'video-pose-lift_tcn-27frm-supv-cpn-ft_1xb64-3e_h36m-videopose3d-sample.py'),
    'motionbert': ('motionbert/'
                   'motionbert_tiny-dstformer-27frm-cpn-ft_1xb8-1e_h36m-videopose3d-sample.py'),
}


@pytest.fixture(scope='module')
def pose2d_config(tmp_path_factory):
    path = tmp_path_factory.mktemp('pose2d') / 'pose2d.py'
    tiny_pose2d_config().dump(str(path))
    return str(path)


@pytest.mark.parametrize('lifter', sorted(LIFTERS))
def test_demo_video_through_the_cli(tmp_path, monkeypatch, pose2d_config, lifter):
    out = tmp_path / 'out'
    monkeypatch.setattr(sys, 'argv', [
        DEMO, '--input', VIDEO, '--pose3d', osp.join(REPO, 'configs', LIFTERS[lifter]),
        '--pose2d', pose2d_config, '--det-model', 'whole_image', '--device', 'cpu',
        '--output-root', str(out), '--save-predictions', '--batch-size', '2'])
    load_script(DEMO).main()
    records = mmengine.load(str(out / 'predictions' / 'demo.json'))
    assert [r['frame_id'] for r in records] == list(range(NUM_FRAMES))
    for record in records:
        (person, ) = record['instances']
        assert person['track_id'] == 0 and person['interpolated'] is False
        assert np.shape(person['keypoints_2d']) == (17, 2)
        pose = np.asarray(person['keypoints_3d'])
        assert pose.shape == (17, 3) and np.isfinite(pose).all()
        np.testing.assert_array_equal(pose[0], 0)
    with np.load(str(out / 'predictions' / 'demo_tracks.npz')) as tracks:
        assert tracks['track0/keypoints_3d'].shape == (NUM_FRAMES, 17, 3)
        assert float(tracks['fps']) == pytest.approx(5)
    video = cv2.VideoCapture(str(out / 'visualizations' / 'demo.mp4'))
    assert int(video.get(cv2.CAP_PROP_FRAME_COUNT)) == NUM_FRAMES
    assert int(video.get(cv2.CAP_PROP_FRAME_WIDTH)) == FRAME_W * 2
    video.release()


def test_mmpose_2d_predictions_through_the_cli(tmp_path, monkeypatch, pose2d_config):
    """MMPose's own 2D predictions of the demo video (its inferencer's JSON,
    COCO order), with the frame size and rate, no 2D model: per-frame 3D, a
    video on a blank frame and the track's BVH at the file's rate."""
    mmpose_2d = MMPoseInferencer(pose2d=pose2d_config, det_model='whole_image', device='cpu')
    for _ in mmpose_2d(VIDEO, pred_out_dir=str(tmp_path / '2d')):
        pass
    out = tmp_path / 'out'
    monkeypatch.setattr(sys, 'argv', [
        DEMO, '--input', str(tmp_path / '2d' / 'demo.json'), '--pose3d',
        osp.join(REPO, 'configs', LIFTERS['videopose3d']), '--image-size', '960', '540',
        '--fps', '5', '--device', 'cpu', '--output-root', str(out), '--export-bvh'])
    load_script(DEMO).main()  # no --pose2d: a 2D file never builds MMPose's 'human'
    records = mmengine.load(str(out / 'predictions' / 'demo.json'))
    assert len(records) == NUM_FRAMES and all(len(r['instances']) == 1 for r in records)
    bvh = (out / 'predictions' / 'demo_track0.bvh').read_text()
    assert f'Frames: {NUM_FRAMES}\n' in bvh and 'Frame Time: 0.20000000' in bvh
    assert {r['instances'][0]['track_id'] for r in records} == {0}
    # the whole-image box of MMPose's 2D file survives, the 2D is its converted one
    np.testing.assert_allclose(records[0]['instances'][0]['bbox'], [0, 0, 960, 540])
    video = cv2.VideoCapture(str(out / 'visualizations' / 'demo.mp4'))
    assert int(video.get(cv2.CAP_PROP_FRAME_COUNT)) == NUM_FRAMES
    assert int(video.get(cv2.CAP_PROP_FRAME_WIDTH)) == FRAME_W * 2
    video.release()


def test_a_video_without_people(tmp_path):
    """A real detector that finds nobody (threshold above every score):
    MMPose's 2D inferencer falls back to the whole image; no track, error
    before the lifter runs."""
    import mmdet
    base = osp.join(osp.dirname(mmdet.__file__), '.mim', 'configs', 'rtmdet',
                    'rtmdet_tiny_8xb32-300e_coco.py')
    capture = cv2.VideoCapture(VIDEO)
    frames = [capture.read()[1] for _ in range(2)]
    capture.release()
    path = str(tmp_path / 'street.mp4')
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), 5, frames[0].shape[1::-1])
    for frame in frames:
        writer.write(frame)
    writer.release()
    inferencer = MetaPose3DInferencer(
        pose3d=osp.join(REPO, 'configs', LIFTERS['videopose3d']), pose2d=tiny_pose2d_config(),
        det_model=base, device='cpu')
    with pytest.raises(ValueError, match=r'street.mp4: no person to lift in its 2 frames'):
        next(inferencer(path, bbox_thr=1.0))


def test_configs_and_options_that_do_not_fit(tmp_path):
    config = tmp_path / 'td-hm_tiny_coco.py'
    tiny_pose2d_config().dump(str(config))
    with pytest.raises(ValueError, match=r'td-hm_tiny_coco.py is not a lifter config'):
        MetaPose3DInferencer(pose3d=str(config), pose2d=None, device='cpu')
    image_lifter = MetaPose3DInferencer(pose3d=Config.fromfile(CAPF_TINY),
                                        pose2d=tiny_pose2d_config(), det_model='whole_image',
                                        device='cpu')
    with pytest.raises(ValueError, match=r"\['max_gap'\] apply to sequence lifters"):
        next(image_lifter(VIDEO, max_gap=3))
    with pytest.raises(ValueError, match='2D keypoint files need a sequence lifter'):
        next(image_lifter(str(tmp_path / 'clip.npz')))
    broken = tmp_path / 'broken.mp4'
    broken.write_bytes(b'not a video' * 10)
    sequence = MetaPose3DInferencer(pose3d=osp.join(REPO, 'configs', LIFTERS['videopose3d']),
                                    pose2d=tiny_pose2d_config(), det_model='whole_image',
                                    device='cpu')
    with pytest.raises(ValueError, match='broken.mp4: cannot be read as a video'):
        next(sequence(str(broken)))
