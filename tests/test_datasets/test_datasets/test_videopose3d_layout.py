import os.path as osp

import numpy as np
import pytest

from metapose_plugin.datasets.datasets.videopose3d_layout import (VIDEOPOSE3D_KEPT_JOINTS,
                                                                  pair_videopose3d_videos,
                                                                  read_videopose3d_2d,
                                                                  read_videopose3d_3d,
                                                                  split_action_key)
from metapose_plugin.datasets.samples.h36m_sequence_sample import (make_videopose3d_sample,
                                                                   videopose3d_metadata)

SEQUENCES = (('S1', 'Photo 1', 6), ('S1', 'WalkDog', 5), ('S9',
                                                          'SittingDown 2', 4))


@pytest.fixture
def sample():
    """Fresh dicts of a tiny sample: 3D, gt 2D."""
    positions_3d, gt, _ = make_videopose3d_sample(SEQUENCES, seed=3)
    return positions_3d, gt


def _write(tmp_path, positions_3d, positions_2d, metadata=None):
    file_3d = osp.join(tmp_path, 'data_3d_h36m.npz')
    file_2d = osp.join(tmp_path, 'data_2d_h36m_gt.npz')
    np.savez(file_3d, positions_3d=positions_3d)
    np.savez(
        file_2d,
        positions_2d=positions_2d,
        metadata=videopose3d_metadata() if metadata is None else metadata)
    return file_3d, file_2d


@pytest.mark.parametrize('key, expected', [
    ('Photo 1', ('TakingPhoto', 2)), ('Photo', ('TakingPhoto', 1)),
    ('WalkDog', ('WalkingDog', 1)), ('WalkDog 1', ('WalkingDog', 2)),
    ('SittingDown 2', ('SittingDown', 3)), ('Walking', ('Walking', 1)),
    ('TakingPhoto 1', ('TakingPhoto', 2))
])
def test_action_names(key, expected):
    assert split_action_key(key) == expected


def test_read_and_pair(tmp_path, sample):
    positions_3d, gt = sample
    file_3d, file_2d = _write(tmp_path, *sample)
    poses = read_videopose3d_3d(file_3d)
    assert poses['S1']['Photo 1'].shape == (6, 17, 3)
    np.testing.assert_array_equal(
        poses['S1']['Photo 1'],
        positions_3d['S1']['Photo 1'][:, list(VIDEOPOSE3D_KEPT_JOINTS)])
    poses_2d, metadata = read_videopose3d_2d(file_2d)
    assert metadata['layout_name'] == 'h36m'
    assert len(poses_2d['S9']['SittingDown 2']) == 4
    videos = pair_videopose3d_videos(file_3d, file_2d, cameras=[1, 3])
    assert [(v['subject'], v['action'], v['subaction'], v['camera_index'])
            for v in videos] == [
                ('S1', 'TakingPhoto', 2, 1), ('S1', 'TakingPhoto', 2, 3),
                ('S1', 'WalkingDog', 1, 1), ('S1', 'WalkingDog', 1, 3),
                ('S9', 'SittingDown', 3, 1), ('S9', 'SittingDown', 3, 3)]
    only = pair_videopose3d_videos(
        file_3d, file_2d, subjects=['S1'], actions=['WalkDog'])
    assert {v['action_key'] for v in only} == {'WalkDog'} and len(only) == 4


def test_2d_cut_to_mocap_length(tmp_path, sample):
    positions_3d, gt = sample
    longer = [np.concatenate([v, v[-2:] + 50]) for v in gt['S1']['WalkDog']]
    gt['S1']['WalkDog'] = longer
    videos = pair_videopose3d_videos(*_write(tmp_path, positions_3d, gt),
                                     subjects=['S1'], actions=['WalkingDog'])
    for video in videos:
        assert len(video['keypoints']) == 5
        np.testing.assert_array_equal(video['keypoints'],
                                      longer[video['camera_index']][:5])


def _expect(tmp_path, positions_3d, positions_2d, match, metadata=None,
            **kwargs):
    files = _write(tmp_path, positions_3d, positions_2d, metadata)
    with pytest.raises(ValueError, match=match):
        pair_videopose3d_videos(*files, **kwargs)


def test_bad_files(tmp_path, sample):
    positions_3d, gt = sample
    # a missing field names the file and the field
    np.savez(osp.join(tmp_path, 'x.npz'), poses=positions_3d)
    with pytest.raises(ValueError, match=r"x\.npz: no field 'positions_3d'"):
        read_videopose3d_3d(osp.join(tmp_path, 'x.npz'))
    # a COCO-layout detector file
    _expect(tmp_path, positions_3d, gt, "layout_name='coco'",
            metadata=dict(layout_name='coco', num_joints=17))
    # a 2D array of the wrong shape
    bad = {s: dict(a) for s, a in gt.items()}
    bad['S1']['Photo 1'] = [v[:, :16] for v in gt['S1']['Photo 1']]
    _expect(tmp_path, positions_3d, bad,
            r"positions_2d\['S1'\]\['Photo 1'\] camera 0 has shape")


def test_mismatched_entries(tmp_path, sample):
    positions_3d, gt = sample
    # subject in 3D, not in 2D
    no_s9 = {'S1': gt['S1']}
    _expect(tmp_path, positions_3d, no_s9,
            r"data_2d_h36m_gt\.npz: subject 'S9' is missing")
    # action in 3D, not in 2D (and the reverse)
    fewer = {'S1': {'Photo 1': gt['S1']['Photo 1']}, 'S9': gt['S9']}
    _expect(tmp_path, positions_3d, fewer,
            r"data_2d_h36m_gt\.npz: subject 'S1' lacks actions \['WalkDog'\]")
    more_3d = {s: dict(a) for s, a in positions_3d.items()}
    del more_3d['S9']['SittingDown 2']
    _expect(tmp_path, more_3d, gt,
            r"data_3d_h36m\.npz: subject 'S9' lacks actions "
            r"\['SittingDown 2'\]")
    # a filter that skips the mismatched action is fine
    assert pair_videopose3d_videos(
        *_write(tmp_path, positions_3d, fewer), actions=['TakingPhoto'],
        subjects=['S1'])
    # a camera missing from the 2D entry
    three = {s: {a: v[:3] for a, v in acts.items()} for s, acts in gt.items()}
    _expect(tmp_path, positions_3d, three,
            r"\['S1'\]\['Photo 1'\] camera 3 is missing", cameras=[3])


def test_bad_values(tmp_path, sample):
    positions_3d, gt = sample
    # 2D shorter than 3D
    short = {s: dict(a) for s, a in gt.items()}
    short['S9']['SittingDown 2'] = [v[:3] for v in gt['S9']['SittingDown 2']]
    _expect(tmp_path, positions_3d, short,
            r"\['S9'\]\['SittingDown 2'\] camera 0 has 3 frames, fewer than "
            r'the 4')
    # NaN keypoints in 2D and in 3D name the first frame
    nan_2d = {s: {a: [v.copy() for v in vs] for a, vs in acts.items()}
              for s, acts in gt.items()}
    nan_2d['S1']['WalkDog'][2][3, 5, 0] = np.nan
    _expect(tmp_path, positions_3d, nan_2d,
            r"\['S1'\]\['WalkDog'\] camera 2 is not finite in 1 frames "
            r'\(first: \[3\]\)')
    nan_3d = {s: {a: v.copy() for a, v in acts.items()}
              for s, acts in positions_3d.items()}
    nan_3d['S1']['Photo 1'][4, 0, 2] = np.inf
    _expect(tmp_path, nan_3d, gt,
            r"positions_3d\['S1'\]\['Photo 1'\] is not finite")
    # an unknown action name
    renamed = {s: dict(a) for s, a in positions_3d.items()}
    renamed['S1']['Dancing 1'] = renamed['S1'].pop('Photo 1')
    renamed_2d = {s: dict(a) for s, a in gt.items()}
    renamed_2d['S1']['Dancing 1'] = renamed_2d['S1'].pop('Photo 1')
    _expect(tmp_path, renamed, renamed_2d,
            r"subject 'S1' action key 'Dancing 1': unknown Human3\.6M action")
