"""Tracks from per-frame people: grouping by id, short gaps interpolated and
marked, long gaps split (new ids for the later pieces), short pieces
dropped."""
import numpy as np
import pytest

from metapose_plugin.structures.pose_tracks import (FramePeople, Pose2DVideo, build_tracks,
                                                    fill_and_split)


def _people(ids, xs):
    """People whose keypoints are all at (x, 2 x), one x per person."""
    xs = np.asarray(xs, np.float32)
    keypoints = np.stack([np.stack([xs, 2 * xs], -1)] * 3, axis=1)  # (N, 3, 2)
    return FramePeople(track_ids=np.asarray(ids, np.int64), keypoints=keypoints,
                       scores=np.full((len(ids), 3), 0.5, np.float32),
                       bboxes=np.zeros((len(ids), 4), np.float32),
                       bbox_scores=np.ones(len(ids), np.float32))


def test_short_gap_is_interpolated_and_marked_long_gap_splits():
    frame_ids = np.array([0, 1, 2, 5, 6, 20, 21])
    values = dict(x=np.array([0., 1., 2., 8., 9., 50., 51.]))
    first, second = fill_and_split(frame_ids, values, max_gap=2)
    assert first['frame_ids'].tolist() == list(range(7))
    assert first['interpolated'].tolist() == [False] * 3 + [True, True] + [False] * 2
    np.testing.assert_allclose(first['x'], [0, 1, 2, 4, 6, 8, 9])
    assert second['frame_ids'].tolist() == [20, 21]
    assert not second['interpolated'].any()
    # frames 7..19 missing: 13 frames
    assert len(fill_and_split(frame_ids, values, max_gap=12)) == 2
    assert len(fill_and_split(frame_ids, values, max_gap=13)) == 1
    assert len(fill_and_split(frame_ids, values, max_gap=0)) == 3


def test_build_tracks_splits_and_drops():
    frames = [_people([7], [0.])] + [_people([7, 3], [i, 100.]) for i in range(1, 4)]
    frames += [_people([], [])] * 10  # both leave for 10 frames
    frames += [_people([7], [20.]), _people([7], [21.])]  # person 7 comes back
    video = Pose2DVideo(name='clip', image_size=(64, 48), fps=25.0, frames=frames)
    tracks, dropped = build_tracks(video, max_gap=3, min_length=3)
    assert [t.track_id for t in tracks] == [7, 3]  # input ids kept, by first frame
    assert [t.frame_ids.tolist() for t in tracks] == [[0, 1, 2, 3], [1, 2, 3]]
    np.testing.assert_allclose(tracks[0].keypoints[:, 0, 0], [0, 1, 2, 3])
    np.testing.assert_allclose(tracks[1].keypoints[:, 0], [[100, 200]] * 3)
    assert dropped == [(7, 14, 2)]  # the return of person 7: 2 frames < 3
    tracks, dropped = build_tracks(video, max_gap=3, min_length=1)
    assert [t.frame_ids[0] for t in tracks] == [0, 1, 14] and not dropped
    assert [t.track_id for t in tracks] == [7, 3, 8]  # the return of 7: a new id
    tracks, _ = build_tracks(video, max_gap=10, min_length=1)
    assert [len(t) for t in tracks] == [16, 3]
    assert tracks[0].interpolated.sum() == 10


def test_repeated_id_in_a_frame_is_refused():
    video = Pose2DVideo(name='clip', image_size=(64, 48), fps=25.0,
                        frames=[_people([1, 1], [0., 1.])])
    with pytest.raises(ValueError, match=r'frame 0: track ids \[1, 1\] repeat'):
        build_tracks(video, max_gap=1, min_length=1)
