"""End-to-end tests of MetaPose3DInferencer on the 5-frame demo video with
tiny random models (nothing downloaded)."""
import os.path as osp

import cv2
import mmengine
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmpose.registry import MODELS

from metapose_plugin.apis import MetaPose3DInferencer
from metapose_plugin.engine import CheckpointMismatchError, UnreadableFileError

from ..conftest import CAPF_TINY, METAPOSE_TINY, VIDEO, tiny_pose2d_config
from ..test_bvh_export import check_against_input

NUM_FRAMES, FRAME_W, FRAME_H = 5, 960, 540


def _frames(count: int):
    capture = cv2.VideoCapture(VIDEO)
    frames = [capture.read()[1] for _ in range(count)]
    capture.release()
    return frames


def _run(inferencer, inputs, **kwargs):
    return [r['predictions'][0] for r in inferencer(inputs, **kwargs)]


def _inferencer(**kwargs) -> MetaPose3DInferencer:
    args = dict(pose3d=CAPF_TINY, pose2d=tiny_pose2d_config(), det_model='whole_image',
                device='cpu')
    args.update(kwargs)
    return MetaPose3DInferencer(**args)


def test_video_reuse_outputs_and_equivalence(shared_checkpoints, tmp_path):
    pose2d_ckpt, lifter_ckpt = shared_checkpoints
    reusing = _inferencer(pose2d_weights=pose2d_ckpt, pose3d_weights=lifter_ckpt)
    recomputing = _inferencer(pose2d_weights=pose2d_ckpt, pose3d_weights=lifter_ckpt,
                              reuse_features=False)
    assert reusing.feature_reuse, reusing.feature_reuse_reason
    assert not recomputing.feature_reuse
    assert 'reuse_features=False' in recomputing.feature_reuse_reason

    reused = _run(reusing, VIDEO, vis_out_dir=str(tmp_path / 'vis'),
                  pred_out_dir=str(tmp_path / 'pred'), show_progress=True)
    recomputed = _run(recomputing, VIDEO)
    assert len(reused) == len(recomputed) == NUM_FRAMES
    for frame_a, frame_b in zip(reused, recomputed):
        assert len(frame_a) == len(frame_b) == 1
        np.testing.assert_allclose(frame_a[0]['keypoints_2d'], frame_b[0]['keypoints_2d'])
        np.testing.assert_allclose(frame_a[0]['keypoints_3d'], frame_b[0]['keypoints_3d'],
                                   rtol=1e-4, atol=1e-5)

    video = cv2.VideoCapture(str(tmp_path / 'vis' / 'demo.mp4'))
    assert int(video.get(cv2.CAP_PROP_FRAME_COUNT)) == NUM_FRAMES
    # 2D frame beside one square 3D panel of side max(w, h)
    assert int(video.get(cv2.CAP_PROP_FRAME_WIDTH)) == FRAME_W * 2
    video.release()

    records = mmengine.load(str(tmp_path / 'pred' / 'demo.json'))
    assert [r['frame_id'] for r in records] == list(range(NUM_FRAMES))
    for record in records:
        (person, ) = record['instances']
        assert np.shape(person['keypoints_2d']) == (17, 2)
        assert np.shape(person['keypoint_scores_2d']) == (17, )
        assert np.shape(person['keypoints_3d']) == (17, 3)
        assert np.shape(person['bbox']) == (4, )
        # whole-image box, and the same person tracked over the frames
        np.testing.assert_allclose(person['bbox'], [0, 0, FRAME_W, FRAME_H])
        assert person['track_id'] == 0
        # the lifter predicts (not root-subtracted) joints near a pose scale
        assert np.isfinite(person['keypoints_3d']).all()


def test_lifter_inputs_are_the_2d_crop(shared_checkpoints):
    """Crop view of a joint = frame view mapped by the 2D model's affine."""
    from mmpose.structures.bbox import get_warp_matrix
    pose2d_ckpt, lifter_ckpt = shared_checkpoints
    inferencer = _inferencer(pose2d_weights=pose2d_ckpt, pose3d_weights=lifter_ckpt,
                             reuse_features=False)
    frame = _frames(1)[0]
    inferencer._video_input = False
    (info, ) = inferencer.preprocess_single(frame, index=0)
    sample = info['data_samples']
    people = inferencer._buffer['people']
    keypoints = people['keypoints_2d'][0]
    # whole-image box, padding 1.25, height enlarged to the 192 / 256 aspect
    scale = np.array([FRAME_W * 1.25, FRAME_W * 1.25 * 256 / 192])
    matrix = get_warp_matrix(np.array([FRAME_W / 2, FRAME_H / 2]), scale, 0, (192, 256))
    np.testing.assert_allclose(sample.gt_instances.keypoints[0],
                               keypoints @ matrix[:, :2].T + matrix[:, 2], atol=1e-3)
    np.testing.assert_allclose(sample.gt_instance_labels.keypoint_labels[0].numpy(),
                               keypoints / FRAME_W * 2 - [1, FRAME_H / FRAME_W], atol=1e-6)
    expected = cv2.warpAffine(frame, matrix, (192, 256), flags=cv2.INTER_LINEAR)
    np.testing.assert_array_equal(info['inputs'].numpy().transpose(1, 2, 0), expected)


def test_feature_reuse_not_taken():
    other_widths = _inferencer(pose2d=tiny_pose2d_config(channels=(6, 12, 24, 48)))
    assert not other_widths.feature_reuse
    assert 'architecture' in other_widths.feature_reuse_reason
    random_weights = _inferencer()
    assert not random_weights.feature_reuse
    assert 'weights differ' in random_weights.feature_reuse_reason
    # without reuse the pipeline still runs on frames given as arrays
    results = _run(other_widths, _frames(2))
    assert len(results) == 2 and np.shape(results[0][0]['keypoints_3d']) == (17, 3)


def test_rtmdet_detector_lifts_every_person(tmp_path):
    import mmdet
    base = osp.join(osp.dirname(mmdet.__file__), '.mim', 'configs', 'rtmdet',
                    'rtmdet_tiny_8xb32-300e_coco.py')
    det_cfg = tmp_path / 'rtmdet_tiny_3boxes.py'
    det_cfg.write_text(f'_base_ = [{base!r}]\n'
                       'model = dict(test_cfg=dict(nms_pre=50, max_per_img=3))\n')
    inferencer = _inferencer(det_model=str(det_cfg), det_cat_ids=tuple(range(80)))
    frames = _run(inferencer, _frames(2), bbox_thr=0.0, nms_thr=1.0)
    for people in frames:
        assert len(people) == 3
        ids = [p['track_id'] for p in people]
        assert ids == sorted(set(ids))
        for person in people:
            assert np.shape(person['keypoints_3d']) == (17, 3)
            x1, y1, x2, y2 = person['bbox']
            assert x2 > x1 and y2 > y1


def test_image_and_folder_inputs(tmp_path):
    small_w, small_h = FRAME_W // 4, FRAME_H // 4
    folder = tmp_path / 'images'
    folder.mkdir()
    for i, frame in enumerate(_frames(2)):
        cv2.imwrite(str(folder / f'{i}.png'), cv2.resize(frame, (small_w, small_h)))
    (folder / 'notes.txt').write_text('not an image')
    inferencer = _inferencer()
    results = _run(inferencer, str(folder), pred_out_dir=str(tmp_path / 'pred'),
                   vis_out_dir=str(tmp_path / 'vis'))
    assert len(results) == 2
    assert sorted(p.name for p in (tmp_path / 'pred').iterdir()) == ['0.json', '1.json']
    drawn = cv2.imread(str(tmp_path / 'vis' / '0.png'))
    assert drawn.shape == (small_w, small_w * 2, 3)
    single = _run(inferencer, str(folder / '1.png'))
    np.testing.assert_allclose(single[0][0]['keypoints_3d'], results[1][0]['keypoints_3d'],
                               rtol=1e-5, atol=1e-6)


def test_bad_inputs(tmp_path):
    inferencer = _inferencer()
    with pytest.raises(FileNotFoundError, match='missing.mp4'):
        next(inferencer(str(tmp_path / 'missing.mp4')))
    broken = tmp_path / 'broken.mp4'
    broken.write_bytes(b'not a video' * 10)
    with pytest.raises(UnreadableFileError, match=rf'{broken}: cannot be read as a video'):
        next(inferencer(str(broken)))
    empty = tmp_path / 'empty'
    empty.mkdir()
    with pytest.raises(ValueError, match='no image files'):
        next(inferencer(str(empty)))
    bad_image = tmp_path / 'bad.jpg'
    bad_image.write_bytes(b'not an image')
    with pytest.raises(ValueError, match='cannot decode image .*bad.jpg'):
        next(inferencer(str(bad_image)))
    with pytest.raises(ValueError, match='no text encoder'):
        next(inferencer(_frames(1), action='Walking'))


def test_unconvertible_2d_keypoints():
    with pytest.raises(ValueError, match="'mpii'"):
        _inferencer(pose2d=tiny_pose2d_config(dataset='mpii'))


def test_metapose_action_prompts():
    inferencer = _inferencer(pose3d=Config.fromfile(METAPOSE_TINY))
    frames = _frames(1)
    agnostic = _run(inferencer, frames)
    walking = _run(inferencer, frames, action='Walking')
    np.testing.assert_allclose(agnostic[0][0]['keypoints_2d'], walking[0][0]['keypoints_2d'])
    assert not np.allclose(agnostic[0][0]['keypoints_3d'], walking[0][0]['keypoints_3d'])
    # without an action the prompts are the action-agnostic ones: a text
    # encoder forced into action-agnostic mode ignores action= and agrees
    inferencer.model.text_encoder.builder.action_agnostic = True
    forced = _run(inferencer, frames, action='Walking')
    np.testing.assert_allclose(agnostic[0][0]['keypoints_3d'], forced[0][0]['keypoints_3d'],
                               rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match='unknown action'):
        next(inferencer(frames, action='Juggling'))


def test_lifter_checkpoint_is_checked(shared_checkpoints, tmp_path):
    """A checkpoint of another lifter (here MetaPose's into CA-PF's config)
    or a truncated one stops the set-up, naming the file."""
    with DefaultScope.overwrite_default_scope('mmpose'):
        metapose = MODELS.build(Config.fromfile(METAPOSE_TINY).model)
    other = tmp_path / 'metapose.pth'
    torch.save(dict(state_dict=metapose.state_dict()), other)
    with pytest.raises(CheckpointMismatchError, match=rf'{other} does not fit the model '
                       r'ContextPoseLifter: \d+ missing keys \(neck\..*unexpected keys'):
        _inferencer(pose3d_weights=str(other))
    truncated = tmp_path / 'truncated.pth'
    data = open(shared_checkpoints[1], 'rb').read()
    truncated.write_bytes(data[:len(data) // 2])
    with pytest.raises(UnreadableFileError, match=rf'{truncated}: cannot be read as a PyTorch '
                       'checkpoint'):
        _inferencer(pose3d_weights=str(truncated))
    # the right checkpoint loads
    assert _inferencer(pose3d_weights=shared_checkpoints[1]).model is not None


def test_export_bvh_beside_the_json(shared_checkpoints, tmp_path):
    """One BVH per track of the demo video; an independent reader's forward
    kinematics gives the JSON's bone directions (within 0.5 degree)."""
    pose2d_ckpt, lifter_ckpt = shared_checkpoints
    inferencer = _inferencer(pose2d_weights=pose2d_ckpt, pose3d_weights=lifter_ckpt)
    _run(inferencer, VIDEO, pred_out_dir=str(tmp_path / 'pred'), export_bvh=True)
    written = sorted(p.name for p in (tmp_path / 'pred').iterdir())
    assert written == ['demo.json', 'demo_track0.bvh']
    records = mmengine.load(str(tmp_path / 'pred' / 'demo.json'))
    keypoints = np.array([r['instances'][0]['keypoints_3d'] for r in records])
    # the tiny random lifter puts some joints on the root: those bones have
    # no direction to compare; the others must match
    assert check_against_input(str(tmp_path / 'pred' / 'demo_track0.bvh'), keypoints) >= 8
    fps = cv2.VideoCapture(VIDEO).get(cv2.CAP_PROP_FPS)
    with open(tmp_path / 'pred' / 'demo_track0.bvh') as f:
        assert f'Frame Time: {1 / fps:.8f}' in f.read()
    with pytest.raises(ValueError, match='export_bvh needs a video input and pred_out_dir'):
        _run(inferencer, VIDEO, export_bvh=True)
    with pytest.raises(ValueError, match='export_bvh needs a video input'):
        _run(inferencer, _frames(1), pred_out_dir=str(tmp_path / 'img'), export_bvh=True)
