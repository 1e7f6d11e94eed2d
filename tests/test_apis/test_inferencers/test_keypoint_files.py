"""2D keypoint files as input of offline lifting: MMPose's prediction JSON
and the documented npz, COCO or H36M order, and errors naming file and
field."""
import json

import numpy as np
import pytest

from metapose_plugin.apis.inferencers.keypoint_files import read_keypoint_file


def _coco_person(x0, frame, track_id=None):
    """A COCO-17 person: joint j at (x0 + j, 10 j + frame), score 0.9; the
    hips (COCO 11, 12) at x0 + 11 and x0 + 12."""
    keypoints = [[x0 + j, 10.0 * j + frame] for j in range(17)]
    person = dict(keypoints=keypoints, keypoint_scores=[0.9] * 17,
                  bbox=[[x0, 0.0, x0 + 20, 200.0]], bbox_score=0.8)
    if track_id is not None:
        person['track_id'] = track_id
    return person


def _write_json(path, frames):
    path.write_text(json.dumps([dict(frame_id=i, instances=people)
                                for i, people in enumerate(frames)]))
    return str(path)


def _npz(path, **overrides):
    frames, slots = 4, 2
    keypoints = np.zeros((frames, slots, 17, 2), np.float32)
    keypoints[..., 0] = np.arange(17)
    keypoints[:, 1, :, 0] += 500
    fields = dict(keypoints=keypoints, scores=np.full((frames, slots, 17), 0.7, np.float32),
                  track_ids=np.array([[0, 5], [0, -1], [0, 5], [0, 5]]), fps=np.float64(30),
                  image_size=np.array([640, 480]))
    fields.update(overrides)
    np.savez(path, **{k: v for k, v in fields.items() if v is not None})
    return str(path)


def test_mmpose_json_is_tracked_and_converted_to_h36m(tmp_path):
    # person A walks right by 2 px a frame, B stays far right; the file's
    # order of the two swaps in frame 1 (no track ids in MMPose's 2D file)
    frames = [[_coco_person(0, 0), _coco_person(300, 0)],
              [_coco_person(302, 1), _coco_person(2, 1)],
              [_coco_person(4, 2), _coco_person(304, 2)]]
    video = read_keypoint_file(_write_json(tmp_path / 'clip.json', frames),
                               image_size=(640, 480), fps=25)
    assert video.name == 'clip.json' and video.image_size == (640, 480) and video.fps == 25
    ids = [people.track_ids.tolist() for people in video.frames]
    assert ids[0] == ids[2] and ids[1] == ids[0][::-1]
    people = video.frames[0]
    assert people.keypoints.shape == (2, 17, 2) and people.scores.shape == (2, 17)
    # H36M joint 0 (pelvis) is the mean of the COCO hips, joint 1 the right hip (COCO 12)
    np.testing.assert_allclose(people.keypoints[0, 0], [11.5, 115])
    np.testing.assert_allclose(people.keypoints[0, 1], [12, 120])
    np.testing.assert_allclose(people.bboxes[0], [0, 0, 20, 200])


def test_json_track_ids_are_kept(tmp_path):
    frames = [[_coco_person(0, 0, track_id=4)], [_coco_person(300, 1, track_id=4)]]
    video = read_keypoint_file(_write_json(tmp_path / 'ids.json', frames), 'coco', (640, 480), 25)
    assert [p.track_ids.tolist() for p in video.frames] == [[4], [4]]


def test_npz_slots_and_h36m_order(tmp_path):
    video = read_keypoint_file(_npz(tmp_path / 'clip.npz'), keypoint_format='h36m')
    assert video.image_size == (640, 480) and video.fps == 30
    assert [p.track_ids.tolist() for p in video.frames] == [[0, 5], [0], [0, 5], [0, 5]]
    np.testing.assert_array_equal(video.frames[0].keypoints[1, :, 0], np.arange(17) + 500)
    np.testing.assert_allclose(video.frames[0].bboxes[1], [500, 0, 516, 0])
    np.testing.assert_allclose(video.frames[0].bbox_scores, [0.7, 0.7])


@pytest.mark.parametrize('overrides, message', [
    (dict(keypoints=np.zeros((4, 2, 16, 2))), r'keypoints has shape \(4, 2, 16, 2\), expected '
     r'\(T, N, 17, 2\)'),
    (dict(scores=np.zeros((3, 2, 17))), r'scores has shape \(3, 2, 17\), expected \(4, 2, 17\)'),
    (dict(track_ids=np.zeros((4, 3), int)), r'track_ids has shape \(4, 3\), expected \(4, 2\)'),
    (dict(track_ids=np.zeros((4, 2))), 'track_ids must be integers'),
    (dict(fps=None), r"missing field\(s\) \['fps'\]"),
])
def test_npz_errors_name_the_file_and_field(tmp_path, overrides, message):
    path = _npz(tmp_path / 'bad.npz', **overrides)
    with pytest.raises(ValueError, match=message) as error:
        read_keypoint_file(path)
    assert 'bad.npz' in str(error.value)


def test_json_errors_name_the_file_frame_and_field(tmp_path):
    good = [[_coco_person(0, 0)]]
    path = _write_json(tmp_path / 'clip.json', good)
    with pytest.raises(ValueError, match=r'clip.json: the file has no image_size; pass '
                       r'image_size='):
        read_keypoint_file(path, fps=25)
    with pytest.raises(ValueError, match='clip.json: the file has no fps'):
        read_keypoint_file(path, image_size=(640, 480))
    short = [[dict(_coco_person(0, 0), keypoints=[[0, 0]] * 16)]]
    with pytest.raises(ValueError, match=r'short.json: frame 0, instance 0: keypoints has shape '
                       r'\(16, 2\), expected \(17, 2\)'):
        read_keypoint_file(_write_json(tmp_path / 'short.json', short), 'coco', (640, 480), 25)
    mismatched = [[dict(_coco_person(0, 0), keypoint_scores=[0.9] * 12)]]
    with pytest.raises(ValueError, match=r'frame 0, instance 0: keypoint_scores has shape'):
        read_keypoint_file(_write_json(tmp_path / 'm.json', mismatched), 'coco', (640, 480), 25)
    (tmp_path / 'garbage.json').write_text('{not json')
    with pytest.raises(ValueError,
                       match="garbage.json: cannot be read as MMPose's 2D prediction JSON"):
        read_keypoint_file(str(tmp_path / 'garbage.json'), 'coco', (640, 480), 25)
    with pytest.raises(ValueError, match=r"npz.npz: image_size=\(320, 240\) given, but the "
                       r'file says \[640 480\]'):
        read_keypoint_file(_npz(tmp_path / 'npz.npz'), image_size=(320, 240))
    with pytest.raises(FileNotFoundError, match='missing.json'):
        read_keypoint_file(str(tmp_path / 'missing.json'))
    (tmp_path / 'truncated.npz').write_bytes(b'PK\x03\x04 truncated')
    with pytest.raises(ValueError, match='truncated.npz: cannot be read as a 2D keypoint npz'):
        read_keypoint_file(str(tmp_path / 'truncated.npz'))
