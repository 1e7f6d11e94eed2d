import math
import os.path as osp

import numpy as np
import pytest

from metapose_plugin.datasets.datasets import H36MSequenceDataset
from metapose_plugin.datasets.samples.h36m_sequence_sample import (DEFAULT_SEQUENCES,
                                                                   make_videopose3d_sample,
                                                                   videopose3d_metadata,
                                                                   write_mmpose_layout)
from metapose_plugin.engine.fileio import UnreadableFileError
from metapose_plugin.structures.h36m_cameras import project_to_2d

REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
SAMPLE = osp.join(REPO, 'data', 'h36m_videopose3d_sample')
TEST_SUBJECTS = ('S9', 'S11')
#: frames of each test video of the shipped sample (the generator's table)
TEST_LENGTHS = [n for s, _, n in DEFAULT_SEQUENCES if s in TEST_SUBJECTS]
CENTRE = 13  # (27 - 1) // 2


def _dataset(src='gt', **kwargs) -> H36MSequenceDataset:
    cfg = dict(
        data_root=SAMPLE,
        ann_file='data_3d_h36m.npz',
        keypoint_2d_file=f'data_2d_h36m_{src}.npz',
        subjects=list(TEST_SUBJECTS),
        seq_len=27)
    cfg.update(kwargs)
    return H36MSequenceDataset(**cfg)


def _by_video(dataset):
    """data infos grouped by (subject, action, subaction, camera)."""
    groups = {}
    for index in range(len(dataset)):
        info = dataset.get_data_info(index)
        key = (info['subject'], info['action'], info['subaction'],
               info['camera_id'])
        groups.setdefault(key, []).append(info)
    return groups


@pytest.mark.parametrize('mode, step', [('per_frame', 1), ('chunks', 1),
                                        ('test_chunks', 1), ('per_frame', 3),
                                        ('chunks', 2), ('test_chunks', 3)])
def test_window_counts(mode, step):
    dataset = _dataset(sample_mode=mode, seq_step=step)
    if mode == 'per_frame':
        expected = sum(TEST_LENGTHS)
    else:  # chunks of 27 over each of the `step` interleaved sub-sequences
        expected = sum(
            math.ceil(len(range(phase, n, step)) / 27)
            for n in TEST_LENGTHS for phase in range(step))
    assert len(dataset) == 4 * expected  # 4 cameras


def test_every_frame_is_a_real_target_once():
    for mode, step in (('per_frame', 2), ('chunks', 1), ('chunks', 2),
                       ('test_chunks', 2)):
        for (subject, *_), infos in _by_video(
                _dataset(sample_mode=mode, seq_step=step)).items():
            real = np.concatenate([
                i['target_frame_ids'][~i['target_pad_mask']] for i in infos
            ])
            num = max(real) + 1
            assert num in TEST_LENGTHS
            if mode == 'test_chunks':  # the last window overlaps
                assert sorted(set(real.tolist())) == list(range(num))
            else:
                assert sorted(real.tolist()) == list(range(num))


def test_per_frame_edge_padding_and_stride():
    dataset = _dataset(seq_step=2)
    groups = _by_video(dataset)
    video = dataset.videos[0]
    infos = groups[(video['subject'], video['action'], video['subaction'],
                    video['camera_id'])]
    num = len(video['keypoints'])
    for t, info in enumerate(infos):
        raw = t + (np.arange(27) - CENTRE) * 2
        np.testing.assert_array_equal(info['frame_ids'],
                                      np.clip(raw, 0, num - 1))
        np.testing.assert_array_equal(info['pad_mask'],
                                      (raw < 0) | (raw >= num))
        assert info['target_frame_ids'].tolist() == [t]
        assert not info['target_pad_mask'].any()
        np.testing.assert_array_equal(info['keypoints'],
                                      video['keypoints'][info['frame_ids']])
        np.testing.assert_array_equal(info['lifting_target'],
                                      video['keypoints_3d'][[t]])
    first = infos[0]  # left half: frame 0 repeated
    assert first['pad_mask'][:CENTRE].all() and not first['pad_mask'][CENTRE]
    np.testing.assert_array_equal(first['keypoints'][:CENTRE + 1],
                                  np.repeat(video['keypoints'][:1], 14, 0))


def test_causal_windows_end_at_their_target():
    dataset = _dataset(causal=True, seq_step=2)
    video = dataset.videos[0]
    infos = _by_video(dataset)[(video['subject'], video['action'], video['subaction'],
                                video['camera_id'])]
    num = len(video['keypoints'])
    for t, info in enumerate(infos):
        raw = t + (np.arange(27) - 26) * 2
        np.testing.assert_array_equal(info['frame_ids'], np.clip(raw, 0, num - 1))
        np.testing.assert_array_equal(info['pad_mask'], raw < 0)
        assert info['target_frame_ids'].tolist() == [t]
        np.testing.assert_array_equal(info['lifting_target'], video['keypoints_3d'][[t]])
    with pytest.raises(ValueError, match="causal=True needs sample_mode='per_frame'"):
        _dataset(causal=True, sample_mode='chunks')


def test_chunk_grids_and_short_video_padding():
    chunks = _by_video(_dataset(sample_mode='chunks'))
    tests = _by_video(_dataset(sample_mode='test_chunks'))
    # S9 Walking: 28 frames -> 2 windows; grid offset (54 - 28) // 2 = 13
    walking = chunks[('S9', 'Walking', 1, 0)]
    assert [i['frame_ids'][0] for i in walking] == [0, 14]
    assert walking[0]['pad_mask'].sum() == 13
    assert walking[1]['pad_mask'].sum() == 13
    # test chunks: [0, 27) and the last 27 frames, right-aligned
    walking = tests[('S9', 'Walking', 1, 0)]
    assert [i['frame_ids'].tolist() for i in walking] == [
        list(range(27)), list(range(1, 28))]
    # S9 SittingDown: 20 frames < 27 -> one window, padded, not dropped
    for groups, left in ((chunks, 3), (tests, 0)):
        (info, ) = groups[('S9', 'SittingDown', 1, 2)]
        expected = np.clip(np.arange(27) - left, 0, 19)
        np.testing.assert_array_equal(info['frame_ids'], expected)
        assert info['pad_mask'].sum() == 7
        assert info['lifting_target'].shape == (27, 17, 3)
        np.testing.assert_array_equal(info['target_pad_mask'],
                                      info['pad_mask'])


def test_3d_projects_onto_the_gt_2d():
    """Camera-frame 3D + camera_param give the `gt` file's pixels."""
    dataset = _dataset(subjects=None, sample_mode='chunks')
    worst = 0.0
    for index in range(len(dataset)):
        info = dataset.get_data_info(index)
        pixels = project_to_2d(info['keypoints_3d'].astype(np.float64),
                               info['camera_param'])
        worst = max(worst, np.abs(pixels - info['keypoints']).max())
    assert worst < 1e-3
    # the cpn-like file is a few pixels away
    noisy = _dataset(src='cpn_ft_h36m_dbb', sample_mode='chunks')
    info = noisy.get_data_info(0)
    error = np.abs(project_to_2d(info['keypoints_3d'].astype(np.float64),
                                 info['camera_param']) - info['keypoints'])
    assert 1 < error.mean() < 10


def test_data_info_keys_and_shapes():
    info = _dataset(subjects=['S1'], cameras=[2]).get_data_info(5)
    assert info['keypoints'].shape == (27, 17, 2)
    assert info['keypoints_visible'].shape == (27, 17)
    assert info['keypoints_3d'].shape == (27, 17, 3)
    assert info['lifting_target'].shape == (1, 17, 3)
    assert info['lifting_target_visible'].shape == (1, 17)
    assert info['keypoints'].dtype == info['keypoints_3d'].dtype == np.float32
    assert info['camera_id'] == 2 and info['subject'] == 'S1'
    assert info['camera_param']['id'] == '58860488'
    assert info['camera_param']['T'].shape == (3, 1)
    assert 3 < info['keypoints_3d'][..., 2].min()  # camera frame, metres
    assert info['target_img_path'] == [
        'S1/S1_Directions_1.58860488/S1_Directions_1.58860488_000006.jpg'
    ]
    assert info['flip_indices'][1] == 4
    # camera_param is a fresh copy: a transform may modify it
    dataset = _dataset()
    dataset.get_data_info(0)['camera_param']['c'][0] = -1
    assert dataset.get_data_info(0)['camera_param']['c'][0] > 0


def test_canonical_names_and_filters():
    dataset = _dataset(subjects=None, sample_mode='test_chunks')
    names = {(v['subject'], v['action'], v['subaction'])
             for v in dataset.videos}
    assert names == {
        ('S1', 'Directions', 2), ('S1', 'TakingPhoto', 2),
        ('S1', 'WalkingDog', 1), ('S5', 'SittingDown', 3),
        ('S5', 'Walking', 2), ('S5', 'Greeting', 1), ('S9', 'Walking', 1),
        ('S9', 'Walking', 2), ('S9', 'TakingPhoto', 1),
        ('S9', 'SittingDown', 1), ('S11', 'WalkingDog', 2),
        ('S11', 'Directions', 2)
    }
    # the references' prompt word: the file's key up to its first space
    words = {(v['subject'], v['action'], v['subaction']): v['action_word']
             for v in dataset.videos}
    assert words[('S1', 'TakingPhoto', 2)] == 'Photo'
    assert words[('S1', 'WalkingDog', 1)] == 'WalkDog'
    assert words[('S9', 'Walking', 2)] == 'Walking'
    assert dataset.get_data_info(0)['action_word'] == dataset.videos[0]['action_word']
    only = _dataset(subjects=None, actions=['Photo', 'WalkingDog'],
                    cameras=[0, 3], sample_mode='test_chunks')
    assert {(v['subject'], v['action'], v['camera_id'])
            for v in only.videos} == {
                (s, a, c) for s, a in (('S1', 'TakingPhoto'),
                                       ('S1', 'WalkingDog'),
                                       ('S9', 'TakingPhoto'),
                                       ('S11', 'WalkingDog')) for c in (0, 3)
            }


def test_subset_frac_is_evenly_spaced():
    full = _dataset()
    half = _dataset(subset_frac=0.25)
    assert len(half) == round(len(full) * 0.25)
    ids = [(i['subject'], i['action'], i['subaction'], i['camera_id'],
            int(i['target_frame_ids'][0]))
           for i in map(half.get_data_info, range(len(half)))]
    all_ids = [(i['subject'], i['action'], i['subaction'], i['camera_id'],
                int(i['target_frame_ids'][0]))
               for i in map(full.get_data_info, range(len(full)))]
    assert ids == all_ids[::4]


def test_mmpose_layout_gives_the_same_windows(tmp_path):
    paths = write_mmpose_layout(
        str(tmp_path), osp.join(SAMPLE, 'data_3d_h36m.npz'),
        osp.join(SAMPLE, 'data_2d_h36m_gt.npz'),
        osp.join(SAMPLE, 'data_2d_h36m_cpn_ft_h36m_dbb.npz'))
    for det, src in ((None, 'gt'), (paths['test_det'], 'cpn_ft_h36m_dbb')):
        ours = _dataset(src=src, sample_mode='test_chunks', seq_len=9,
                        seq_step=2)
        theirs = H36MSequenceDataset(
            ann_file=paths['test'], camera_param_file=paths['cameras'],
            keypoint_2d_file=det, sample_mode='test_chunks', seq_len=9,
            seq_step=2)
        assert theirs.ann_format == 'mmpose'
        assert len(ours) == len(theirs)
        for index in range(len(ours)):
            a, b = ours.get_data_info(index), theirs.get_data_info(index)
            for key in ('subject', 'action', 'subaction', 'camera_id',
                        'target_img_path'):
                assert a[key] == b[key]
            for key in ('frame_ids', 'pad_mask', 'keypoints'):
                np.testing.assert_array_equal(a[key], b[key])
            np.testing.assert_allclose(a['keypoints_3d'], b['keypoints_3d'],
                                       atol=1e-6)


def _write(tmp_path, sequences, **edit):
    positions_3d, gt, _ = make_videopose3d_sample(sequences, seed=1)
    np.savez(osp.join(tmp_path, '3d.npz'), positions_3d=positions_3d)
    np.savez(osp.join(tmp_path, '2d.npz'), positions_2d=gt,
             metadata=videopose3d_metadata())
    return dict(data_root=str(tmp_path), ann_file='3d.npz',
                keypoint_2d_file='2d.npz', seq_len=5, **edit)


def test_bad_arguments_and_inputs(tmp_path):
    cfg = _write(tmp_path, (('S1', 'Walking', 6), ('S9', 'Eating 1', 3)))
    H36MSequenceDataset(**cfg)  # fine as written
    cases = [
        (dict(sample_mode='windows'), 'sample_mode must be one of'),
        (dict(ann_format='h5'), 'ann_format must be one of'),
        (dict(seq_step=0), 'seq_len and seq_step must be >= 1'),
        (dict(subset_frac=0), r'subset_frac must be in \(0, 1\]'),
        (dict(cameras=[4]), r'cameras \[4\] are not camera indices'),
        (dict(actions=['Dancing']), "unknown Human3.6M action 'Dancing'"),
        (dict(keypoint_2d_file=None), 'needs keypoint_2d_file'),
        (dict(keypoint_2d_file='none.npz'), 'keypoint_2d_file .* not exist'),
        (dict(ann_file='none.npz'), 'ann_file .* does not exist'),
        (dict(subjects=['S5']), r"3d\.npz: subject 'S5' is missing"),
        (dict(camera_param_file='none.pkl'), 'camera_param_file .* not'),
    ]
    for edit, match in cases:
        with pytest.raises(ValueError, match=match):
            H36MSequenceDataset(**dict(cfg, **edit))
    # a subject without calibration
    cfg = _write(tmp_path, (('S1', 'Walking', 6), ))
    data = dict(np.load(osp.join(tmp_path, '3d.npz'), allow_pickle=True))
    poses = data['positions_3d'].item()
    poses['S2'] = poses.pop('S1')
    np.savez(osp.join(tmp_path, '3d.npz'), positions_3d=poses)
    data = np.load(osp.join(tmp_path, '2d.npz'), allow_pickle=True)
    poses_2d = data['positions_2d'].item()
    poses_2d['S2'] = poses_2d.pop('S1')
    np.savez(osp.join(tmp_path, '2d.npz'), positions_2d=poses_2d,
             metadata=data['metadata'])
    with pytest.raises(ValueError, match="'S2' has no camera calibration"):
        H36MSequenceDataset(**cfg)
    # neither layout
    np.savez(osp.join(tmp_path, 'other.npz'), joints=np.zeros(3))
    with pytest.raises(ValueError, match='neither the VideoPose3D layout'):
        H36MSequenceDataset(**dict(cfg, ann_file='other.npz'))


def test_mmpose_layout_bad_inputs(tmp_path):
    paths = write_mmpose_layout(
        str(tmp_path), osp.join(SAMPLE, 'data_3d_h36m.npz'),
        osp.join(SAMPLE, 'data_2d_h36m_gt.npz'))
    with pytest.raises(ValueError, match='needs camera_param_file'):
        H36MSequenceDataset(ann_file=paths['test'])
    with pytest.raises(ValueError, match=r"subjects \['S1'\] are missing"):
        H36MSequenceDataset(ann_file=paths['test'], subjects=['S1'],
                            camera_param_file=paths['cameras'])
    data = dict(np.load(paths['test']))
    data['S'][7, 3, 1] = np.nan
    np.savez(paths['test'], **data)
    with pytest.raises(ValueError, match="field 'joints_3d' is not finite"):
        H36MSequenceDataset(ann_file=paths['test'],
                            camera_param_file=paths['cameras'])


def test_shipped_sample_is_the_generator_output():
    """data/h36m_videopose3d_sample = write_videopose3d_sample defaults."""
    positions_3d, gt, noisy = make_videopose3d_sample()
    expected = {'3d': positions_3d, 'gt': gt, 'cpn_ft_h36m_dbb': noisy}
    for name, field in (('3d', 'positions_3d'), ('gt', 'positions_2d'),
                        ('cpn_ft_h36m_dbb', 'positions_2d')):
        path = osp.join(
            SAMPLE, 'data_3d_h36m.npz' if name == '3d' else
            f'data_2d_h36m_{name}.npz')
        with np.load(path, allow_pickle=True) as data:
            shipped = data[field].item()
        assert shipped.keys() == expected[name].keys()
        for subject, actions in shipped.items():
            assert actions.keys() == expected[name][subject].keys()
            for key, value in actions.items():
                np.testing.assert_allclose(
                    np.asarray(value), np.asarray(expected[name][subject][key]),
                    atol=1e-4)


def test_asked_for_and_absent_is_an_error(tmp_path):
    """The issue's cases: a subject whose 2D entries hold no camera, and an
    action without cameras, no longer vanish from the windows."""
    sequences = (('S9', 'Walking', 30), ('S9', 'Photo 1', 30), ('S11', 'Walking', 30))
    positions_3d, gt, _ = make_videopose3d_sample(sequences, seed=1)
    files = dict(data_root=str(tmp_path), ann_file='3d.npz', keypoint_2d_file='2d.npz')
    np.savez(tmp_path / '3d.npz', positions_3d=positions_3d)

    def write_2d(positions_2d):
        np.savez(tmp_path / '2d.npz', positions_2d=positions_2d, metadata=videopose3d_metadata())

    write_2d(dict(gt, S11={action: [] for action in gt['S11']}))
    with pytest.raises(ValueError, match=r"2d\.npz: positions_2d\['S11'\]\['Walking'\] holds "
                       'no camera'):
        H36MSequenceDataset(subjects=['S9', 'S11'], **files)
    write_2d(dict(gt, S9=dict(gt['S9'], **{'Photo 1': []})))
    with pytest.raises(ValueError, match=r"positions_2d\['S9'\]\['Photo 1'\] holds no camera"):
        H36MSequenceDataset(**files)
    write_2d(gt)
    assert len(H36MSequenceDataset(subjects=['S9', 'S11'], **files).videos) == 12
    with pytest.raises(ValueError, match=r"3d\.npz: actions \['Eating'\] are missing for "
                       r"subjects \['S11', 'S9'\]"):
        H36MSequenceDataset(actions=['Walking', 'Eating'], **files)


def test_mmpose_layout_asked_for_and_absent(tmp_path):
    paths = write_mmpose_layout(
        str(tmp_path), osp.join(SAMPLE, 'data_3d_h36m.npz'),
        osp.join(SAMPLE, 'data_2d_h36m_gt.npz'))
    data = dict(np.load(paths['test']))
    keep = np.array(['.54138969_' in str(name) for name in data['imgname']])
    np.savez(paths['test'], **{k: v[keep] for k, v in data.items()})
    files = dict(ann_file=paths['test'], camera_param_file=paths['cameras'])
    with pytest.raises(ValueError, match=r"cameras \[1\] are missing \(present: \[0\]\)"):
        H36MSequenceDataset(cameras=[0, 1], **files)
    with pytest.raises(ValueError, match=r"actions \['Eating'\] are missing"):
        H36MSequenceDataset(actions=['Eating'], **files)


def test_filters_say_what_they_left_out(monkeypatch):
    from metapose_plugin.datasets.datasets import videopose3d_layout
    logged = []
    monkeypatch.setattr(videopose3d_layout, 'print_log', lambda msg, **kw: logged.append(msg))
    dataset = _dataset(subjects=['S9'], cameras=[0, 1])
    assert len(logged) == 1, logged
    kept = sum(len(v['keypoints']) for v in dataset.videos)
    assert f'kept {len(dataset.videos)} videos ({kept} frames)' in logged[0]
    assert "subjects=['S9'] left out" in logged[0] and 'S1, S11, S5' in logged[0]
    assert 'cameras=[0, 1] left out' in logged[0]


@pytest.mark.parametrize('name', ['data_3d_h36m.npz', 'data_2d_h36m_gt.npz'])
def test_truncated_npz_is_named(tmp_path, name):
    """Used to be ``zipfile.BadZipFile: File is not a zip file``."""
    for file in ('data_3d_h36m.npz', 'data_2d_h36m_gt.npz'):
        data = open(osp.join(SAMPLE, file), 'rb').read()
        (tmp_path / file).write_bytes(data[:len(data) // 2] if file == name else data)
    with pytest.raises(UnreadableFileError, match=rf'{tmp_path / name}: cannot be read as '
                       r"(a Human3\.6M npz|a VideoPose3D npz).*\(BadZipFile"):
        _dataset(data_root=str(tmp_path))
