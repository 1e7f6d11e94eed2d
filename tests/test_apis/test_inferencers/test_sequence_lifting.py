"""Offline lifting with sequence lifters, on synthetic 2D keypoint files
(tiny random models): the windows each frame is lifted in, the real future,
FinePOSE lifting each frame once, overlap averaging, gaps, determinism."""
import os.path as osp

import mmengine
import numpy as np
import pytest
import torch
from mmengine.config import Config

from metapose_plugin.apis import MetaPose3DInferencer

from ..conftest import REPO
from ..test_bvh_export import check_against_input

CONFIGS = osp.join(REPO, 'configs')
VIDEOPOSE = osp.join(CONFIGS, 'video_pose_lift',
                     'video-pose-lift_tcn-27frm-supv-cpn-ft_1xb64-3e_h36m-videopose3d-sample.py')
MPM = osp.join(CONFIGS, 'mpm', 'mpm-lift_tiny-27frm-tds2_1xb32-2e_h36m-videopose3d-sample.py')
FINEPOSE = osp.join(CONFIGS, 'finepose',
                    'finepose_tiny-mixste-27frm-cpn_clip_1xb4-1e_h36m-videopose3d-sample.py')
WIDTH, HEIGHT, F = 2000, 1000, 27


def _npz(path, frames, people=1, present=None, edit=None):
    """People whose 2D spells the frame index: every joint of person p at
    x = w / 2 + t + 500 p pixels (the codecs' normalised x is (t + 500 p) /
    1000), y = 300 + 20 k; ``present`` (T,) masks person 0, ``edit``
    changes the keypoints (T, N, 17, 2) in place."""
    t = np.arange(frames, dtype=np.float32)
    keypoints = np.zeros((frames, people, 17, 2), np.float32)
    keypoints[..., 0] = (WIDTH / 2 + t[:, None, None] + 500 * np.arange(people)[:, None])
    keypoints[..., 1] = 300 + 20 * np.arange(17)
    track_ids = np.tile(np.arange(people), (frames, 1))
    if present is not None:
        track_ids[~present, 0] = -1
    if edit is not None:
        edit(keypoints)
    np.savez(path, keypoints=keypoints, scores=np.full(keypoints.shape[:3], 0.9, np.float32),
             track_ids=track_ids, fps=np.float64(50), image_size=np.array([WIDTH, HEIGHT]))
    return str(path)


def _inferencer(config, causal=False, **cfg_options):
    cfg = Config.fromfile(config)
    cfg.model.backbone.init_cfg = None
    if causal:
        cfg.model.backbone.causal = True
        cfg.test_dataloader.dataset.causal = True
    cfg.merge_from_dict(cfg_options)
    torch.manual_seed(0)
    return MetaPose3DInferencer(pose3d=cfg, pose2d=None, device='cpu')


def _lift(inferencer, path, **kwargs):
    """Per frame the list of people (JSON dicts); 64 windows per lifter
    call unless told (one call per window is slow on a loaded CPU)."""
    kwargs.setdefault('batch_size', 64)
    return [r['predictions'][0] for r in inferencer(path, keypoint_format='h36m', **kwargs)]


def _pose(frames, t, person=0):
    return np.asarray(frames[t][person]['keypoints_3d'])


def _record(monkeypatch, model):
    """Every window the lifter runs on: its input tensor, frame ids and
    prediction (F_t, 17, 3)."""
    calls = []
    test_step = model.test_step

    def recording(data):
        outputs = test_step(data)
        for inputs, output in zip(data['inputs'], outputs):
            calls.append(dict(inputs=inputs.detach().clone(),
                              frame_ids=np.asarray(output.metainfo['frame_ids']),
                              track_id=output.metainfo['track_id'],
                              keypoints=np.asarray(output.pred_instances.keypoints,
                                                   np.float32).reshape(-1, 17, 3)))
        return outputs

    monkeypatch.setattr(model, 'test_step', recording)
    return calls


def _window_frames(inputs, frames=F):
    """The frame index each window position holds, read back from the
    normalised 2D input (whatever the codec's layout): x * 1000."""
    x = inputs.float()
    if x.shape[-1] == frames and x.shape[-2] != 2:  # (K * 2, F): VideoPose3D's layout
        x = x.reshape(-1, frames).T.reshape(frames, -1, 2)
    else:  # (.., F, K, C)
        x = x.reshape(frames, -1, x.shape[-1])
    return np.rint(x[:, 0, 0].numpy() * 1000).astype(int)


@pytest.mark.parametrize('config, step, causal', [(VIDEOPOSE, 1, False), (MPM, 2, False),
                                                  (VIDEOPOSE, 1, True)])
def test_each_frame_sees_its_real_window(tmp_path, monkeypatch, config, step, causal):
    frames = 200
    inferencer = _inferencer(config, causal)
    calls = _record(monkeypatch, inferencer.model)
    lifted = _lift(inferencer, _npz(tmp_path / 'track.npz', frames))
    assert len(lifted) == frames and all(len(people) == 1 for people in lifted)
    assert len(calls) == frames
    offsets = np.arange(F) - (F - 1 if causal else F // 2)
    for t, call in enumerate(calls):
        expected = np.clip(t + step * offsets, 0, frames - 1)  # edge padding at the ends
        np.testing.assert_array_equal(_window_frames(call['inputs']), expected, err_msg=f't={t}')
        np.testing.assert_array_equal(call['frame_ids'], expected)


@pytest.mark.parametrize('config, causal', [(VIDEOPOSE, False), (MPM, False),
                                            (VIDEOPOSE, True)])
def test_the_future_matters_for_centred_lifters_only(tmp_path, config, causal):
    frames, t = 60, 30
    later = t + F // 4

    def move_later_frame(keypoints):
        keypoints[later] += 40

    inferencer = _inferencer(config, causal)
    plain = _lift(inferencer, _npz(tmp_path / 'plain.npz', frames))
    moved = _lift(inferencer, _npz(tmp_path / 'moved.npz', frames, edit=move_later_frame))
    assert not np.allclose(_pose(plain, later), _pose(moved, later))  # the edit reached the lifter
    if causal:
        np.testing.assert_array_equal(_pose(plain, t), _pose(moved, t))
    else:
        assert np.abs(_pose(plain, t) - _pose(moved, t)).max() > 1e-4


def test_finepose_lifts_each_frame_in_one_window(tmp_path, monkeypatch):
    windows, steps = 3, 2  # the tiny config's K
    frames = windows * F
    inferencer = _inferencer(FINEPOSE)
    denoiser_calls = []
    inferencer.model.backbone.register_forward_hook(lambda *args: denoiser_calls.append(1))
    calls = _record(monkeypatch, inferencer.model)
    lifted = _lift(inferencer, _npz(tmp_path / 'track.npz', frames), batch_size=1)
    assert len(denoiser_calls) == windows * steps
    assert len(lifted) == frames and all(len(people) == 1 for people in lifted)
    assert [c['frame_ids'].tolist() for c in calls] == [
        list(range(i * F, (i + 1) * F)) for i in range(windows)]
    for index, call in enumerate(calls):
        np.testing.assert_array_equal(_window_frames(call['inputs']),
                                      np.arange(index * F, (index + 1) * F))
        for position, frame in enumerate(call['frame_ids']):
            np.testing.assert_array_equal(_pose(lifted, frame), call['keypoints'][position])


def test_finepose_overlap_averages_the_windows(tmp_path, monkeypatch):
    frames, overlap = 81, 9  # windows start at 0, 18, 36, 54
    inferencer = _inferencer(FINEPOSE)
    calls = _record(monkeypatch, inferencer.model)
    lifted = _lift(inferencer, _npz(tmp_path / 'track.npz', frames), overlap=overlap)
    assert [c['frame_ids'][0] for c in calls] == [0, 18, 36, 54]
    sums, counts = np.zeros((frames, 17, 3)), np.zeros(frames)
    for call in calls:
        sums[call['frame_ids']] += call['keypoints']
        counts[call['frame_ids']] += 1
    assert set(counts.tolist()) == {1, 2}
    for frame in range(frames):
        np.testing.assert_allclose(_pose(lifted, frame), sums[frame] / counts[frame], atol=1e-6)


def test_finepose_is_deterministic_per_track(tmp_path):
    path = _npz(tmp_path / 'two.npz', 60, people=2)
    inferencer = _inferencer(FINEPOSE, **{'model.test_cfg.num_hypotheses': 3})
    once = _lift(inferencer, path, batch_size=1)
    again = _lift(inferencer, path, batch_size=1)
    batched = _lift(inferencer, path, batch_size=4)
    for t in range(60):
        for person in range(2):
            np.testing.assert_array_equal(_pose(once, t, person), _pose(again, t, person))
            # same noise, same windows; batched matrix products round differently:
            # measured max difference 2.2e-7 m (batch 1 vs 4, tiny FinePOSE, CPU)
            np.testing.assert_allclose(_pose(once, t, person), _pose(batched, t, person),
                                       rtol=0, atol=1e-6)
    # each track draws its own noise: the two people differ beyond their 2D
    assert not np.allclose(_pose(once, 30, 0), _pose(once, 30, 1), atol=1e-3)
    # num_hypotheses / num_steps per call: fewer steps, another result
    fewer = _lift(inferencer, path, num_steps=1)
    assert not np.allclose(_pose(once, 30), _pose(fewer, 30))
    assert inferencer.model.test_cfg['num_steps'] == 2  # restored after the call


def test_gaps_tracks_and_outputs(tmp_path):
    frames = 120
    present = np.ones(frames, bool)
    present[40:60] = False  # leaves for 20 frames: a new track after
    present[70:72] = False  # missed for 2 frames: interpolated
    path = _npz(tmp_path / 'walk.npz', frames, present=present)
    inferencer = _inferencer(VIDEOPOSE)
    lifted = _lift(inferencer, path, max_gap=5, pred_out_dir=str(tmp_path / 'pred'),
                   export_bvh=True)
    assert [len(people) for people in lifted] == [1] * 40 + [0] * 20 + [1] * 60
    assert {lifted[t][0]['track_id'] for t in range(40)} == {0}
    assert {lifted[t][0]['track_id'] for t in range(60, 120)} == {1}
    flags = [lifted[t][0]['interpolated'] for t in range(60, 120)]
    assert [60 + i for i, flag in enumerate(flags) if flag] == [70, 71]
    # linear in time between frames 69 and 72, as the 2D it replaces
    np.testing.assert_allclose(np.asarray(lifted[70][0]['keypoints_2d'])[:, 0], WIDTH / 2 + 70)
    records = mmengine.load(str(tmp_path / 'pred' / 'walk.json'))
    assert [r['frame_id'] for r in records] == list(range(frames))
    assert records[70]['instances'][0]['interpolated'] is True
    np.testing.assert_allclose(records[100]['instances'][0]['keypoints_3d'], _pose(lifted, 100))
    with np.load(str(tmp_path / 'pred' / 'walk_tracks.npz')) as tracks:
        assert tracks['track_ids'].tolist() == [0, 1] and float(tracks['fps']) == 50
        assert tracks['track1/keypoints_3d'].shape == (60, 17, 3)
        assert tracks['track1/frame_ids'].tolist() == list(range(60, 120))
        np.testing.assert_array_equal(tracks['track1/keypoints_3d'][:, 0], 0)  # root-relative
        # one BVH per track: its frames at the file's rate, its 3D's bones
        for track_id, length in ((0, 40), (1, 60)):
            bvh = str(tmp_path / 'pred' / f'walk_track{track_id}.bvh')
            with open(bvh) as f:
                text = f.read()
            assert f'Frames: {length}\n' in text and f'Frame Time: {1 / 50:.8f}' in text
            assert check_against_input(bvh, tracks[f'track{track_id}/keypoints_3d']) >= 8
    short = _lift(inferencer, path, max_gap=5, min_track_length=50)
    assert [len(people) for people in short] == [0] * 60 + [1] * 60
    joined = _lift(inferencer, path, max_gap=25)
    assert all(len(people) == 1 for people in joined)
    assert sum(people[0]['interpolated'] for people in joined) == 22


def test_bad_inputs_fail_before_the_lifter(tmp_path, monkeypatch):
    inferencer = _inferencer(VIDEOPOSE)
    calls = _record(monkeypatch, inferencer.model)
    bad = tmp_path / 'bad.npz'
    np.savez(bad, keypoints=np.zeros((5, 1, 16, 2)), scores=np.zeros((5, 1, 16)),
             track_ids=np.zeros((5, 1), int), fps=30.0, image_size=np.array([64, 48]))
    with pytest.raises(ValueError, match=r'bad.npz: keypoints has shape \(5, 1, 16, 2\)'):
        _lift(inferencer, str(bad))
    empty = _npz(tmp_path / 'empty.npz', 10, present=np.zeros(10, bool))
    with pytest.raises(ValueError, match='empty.npz: no person to lift in its 10 frames'):
        _lift(inferencer, empty)
    with pytest.raises(ValueError, match='overlap=3: only sequence-to-sequence lifters'):
        _lift(inferencer, _npz(tmp_path / 'ok.npz', 10), overlap=3)
    with pytest.raises(ValueError, match='num_hypotheses / num_steps apply to diffusion'):
        _lift(inferencer, _npz(tmp_path / 'ok.npz', 10), num_steps=3)
    with pytest.raises(ValueError, match='export_bvh needs pred_out_dir'):
        _lift(inferencer, _npz(tmp_path / 'ok.npz', 10), export_bvh=True)
    with pytest.raises(ValueError, match='action= is for MetaPose'):
        _lift(inferencer, _npz(tmp_path / 'ok.npz', 10), action='Walking')
    assert not calls


def test_lift_sequence_lifts_an_array_as_a_track_of_a_file(tmp_path):
    inferencer = _inferencer(VIDEOPOSE)
    frames = _lift(inferencer, _npz(tmp_path / 'one.npz', 40))
    keypoints = np.load(tmp_path / 'one.npz')['keypoints'][:, 0]
    lifted = inferencer.lift_sequence(keypoints, (WIDTH, HEIGHT), batch_size=7)
    assert lifted.shape == (40, 17, 3)
    np.testing.assert_allclose(lifted, np.stack([_pose(frames, t) for t in range(40)]),
                               atol=1e-6)
    with pytest.raises(ValueError, match=r'keypoints must be \(T, 17, 2\).*\(40, 16, 2\)'):
        inferencer.lift_sequence(keypoints[:, :16], (WIDTH, HEIGHT))
    with pytest.raises(ValueError, match=r'scores must be \(40, 17\)'):
        inferencer.lift_sequence(keypoints, (WIDTH, HEIGHT), scores=np.ones((40, 16)))
