"""Readers of 2D keypoint files, the input of offline lifting without a 2D
model.

Two layouts, told by the file suffix:

- ``.json``: MMPose's prediction file of a video, as
  ``demo/inferencer_demo.py --pred-out-dir`` writes it: a list of
  ``{'frame_id': int, 'instances': [{'keypoints': K x [x, y],
  'keypoint_scores': K floats, 'bbox': [x1, y1, x2, y2] (or [[...]]),
  'bbox_score': float, 'track_id': int (optional)}, ...]}``, one entry per
  frame. It holds neither the frame size nor the frame rate: pass
  ``image_size`` and ``fps``. Unless every person has a ``track_id`` (a
  3D inferencer's file), people are tracked here (:class:`PersonTracker`).
- ``.npz``: ``keypoints`` (T, N, K, 2) frame pixels, ``scores`` (T, N, K),
  ``track_ids`` (T, N) int, -1 for an empty slot, ``fps`` (scalar) and
  ``image_size`` (2,) ``(w, h)`` pixels. A slot whose keypoints are not
  finite is empty too.

Keypoints are in COCO-17 (``keypoint_format='coco'``, MMPose's default
``'human'`` models) or H36M-17 order (``'h36m'``) and are converted to the
lifter's H36M joints with MMPose's converter (:func:`to_h36m`). A box
missing from the file is the keypoints' extent.

Note:
    - T: frames, N: person slots per frame, K: joints (17)
"""
import os.path as osp
from typing import Optional, Sequence, Tuple

import mmengine
import numpy as np
from mmengine.structures import InstanceData
from mmpose.structures import PoseDataSample

from metapose_plugin.engine.fileio import load_npz, read_or_raise
from metapose_plugin.structures.pose_tracks import FramePeople, Pose2DVideo, keypoint_boxes

from .lifter_inputs import NUM_H36M_JOINTS, to_h36m
from .person_tracker import PersonTracker

KEYPOINT_FORMATS = ('coco', 'h36m')
KEYPOINT_FILE_SUFFIXES = ('.json', '.npz')
NPZ_FIELDS = ('keypoints', 'scores', 'track_ids', 'fps', 'image_size')


def is_keypoint_file(path) -> bool:
    """Whether ``path`` names a 2D keypoint file (by its suffix)."""
    return isinstance(path, str) and osp.splitext(path)[1].lower() in KEYPOINT_FILE_SUFFIXES


def read_keypoint_file(path: str,
                       keypoint_format: str = 'coco',
                       image_size: Optional[Sequence[int]] = None,
                       fps: Optional[float] = None,
                       tracker: Optional[PersonTracker] = None) -> Pose2DVideo:
    """Read a 2D keypoint file (see the module docstring) as tracked H36M 2D.

    Args:
        path (str): ``.json`` or ``.npz`` file.
        keypoint_format (str): ``'coco'`` or ``'h36m'`` joint order.
        image_size (Sequence[int], optional): Frame (w, h) in pixels;
            required for JSON, must agree with an npz's ``image_size``.
        fps (float, optional): Frame rate; required for JSON, must agree
            with an npz's ``fps``.
        tracker (PersonTracker, optional): Tracks JSON people without a
            ``track_id``; IoU at 0.3 when None.

    Returns:
        Pose2DVideo: Per frame the people, keypoints (N, 17, 2) pixels in
        H36M order.

    Raises:
        FileNotFoundError: If ``path`` does not exist.
        ValueError: Naming the file, frame and field, for an unreadable
            file, a missing field, a wrong joint count, lengths that do not
            match, or values that disagree with ``image_size`` / ``fps``.
    """
    if keypoint_format not in KEYPOINT_FORMATS:
        raise ValueError(f'keypoint_format must be one of {KEYPOINT_FORMATS}, got '
                         f'{keypoint_format!r}')
    if not osp.isfile(path):
        raise FileNotFoundError(f'2D keypoint file {path!r} does not exist')
    if path.lower().endswith('.npz'):
        video = _read_npz(path, image_size, fps)
    else:
        video = _read_json(path, image_size, fps, tracker or PersonTracker())
    dataset = 'h36m' if keypoint_format == 'h36m' else 'coco'
    for people in video.frames:
        if len(people) and dataset != 'h36m':
            people.keypoints, people.scores = to_h36m(people.keypoints, people.scores, dataset)
    return video


def _size_and_rate(path: str, image_size, fps, stored_size=None,
                   stored_fps=None) -> Tuple[Tuple[int, int], float]:
    """The frame size and rate: the file's, the arguments', checked."""
    for name, given, stored in (('image_size', image_size, stored_size),
                                ('fps', fps, stored_fps)):
        if given is None and stored is None:
            raise ValueError(f'{path}: the file has no {name}; pass {name}= (the video\'s '
                             f'{"(w, h) in pixels" if name == "image_size" else "frame rate"})')
        if given is not None and stored is not None and not np.allclose(given, stored):
            raise ValueError(f'{path}: {name}={given} given, but the file says {stored}')
    size = np.ravel(stored_size if stored_size is not None else image_size)
    rate = float(stored_fps if stored_fps is not None else fps)
    if size.shape != (2, ) or (size <= 0).any() or not rate > 0:
        raise ValueError(f'{path}: image_size must be (w, h) > 0 and fps > 0, got '
                         f'{size.tolist()} and {rate}')
    return (int(size[0]), int(size[1])), rate


def _check_joints(path: str, where: str, field: str, array: np.ndarray, shape: tuple) -> None:
    if array.shape != shape:
        raise ValueError(f'{path}: {where}{field} has shape {array.shape}, expected {shape} '
                         f'({NUM_H36M_JOINTS} joints; K x 2 coordinates for keypoints)')


def _read_npz(path: str, image_size, fps) -> Pose2DVideo:
    data = load_npz(path, 'a 2D keypoint npz')
    missing = [field for field in NPZ_FIELDS if field not in data]
    if missing:
        raise ValueError(f'{path}: missing field(s) {missing}; a keypoint npz holds '
                         f'{list(NPZ_FIELDS)}')
    arrays = {field: data[field] for field in NPZ_FIELDS}
    keypoints = np.asarray(arrays['keypoints'], np.float32)
    if keypoints.ndim != 4 or keypoints.shape[2:] != (NUM_H36M_JOINTS, 2):
        raise ValueError(f'{path}: keypoints has shape {keypoints.shape}, expected (T, N, '
                         f'{NUM_H36M_JOINTS}, 2)')
    frames, slots = keypoints.shape[:2]
    scores = np.asarray(arrays['scores'], np.float32)
    track_ids = np.asarray(arrays['track_ids'])
    expected = dict(scores=(frames, slots, NUM_H36M_JOINTS), track_ids=(frames, slots))
    for field, array in (('scores', scores), ('track_ids', track_ids)):
        if array.shape != expected[field]:
            raise ValueError(f'{path}: {field} has shape {array.shape}, expected '
                             f'{expected[field]} to match keypoints {keypoints.shape} '
                             '(T frames, N person slots, K joints)')
    if not np.issubdtype(track_ids.dtype, np.integer):
        raise ValueError(f'{path}: track_ids must be integers, got {track_ids.dtype}')
    size, rate = _size_and_rate(path, image_size, fps, arrays['image_size'], arrays['fps'])
    video = Pose2DVideo(name=osp.basename(path), image_size=size, fps=rate)
    for t in range(frames):
        keep = (track_ids[t] >= 0) & np.isfinite(keypoints[t]).all(axis=(1, 2))
        if not np.isfinite(scores[t][keep]).all():
            raise ValueError(f'{path}: frame {t}: scores of a person are not finite')
        people_keypoints = keypoints[t][keep]
        video.frames.append(FramePeople(
            track_ids=track_ids[t][keep].astype(np.int64), keypoints=people_keypoints,
            scores=scores[t][keep], bboxes=keypoint_boxes(people_keypoints),
            bbox_scores=scores[t][keep].mean(axis=-1)))
    return video


def _read_json(path: str, image_size, fps, tracker: PersonTracker) -> Pose2DVideo:
    records = read_or_raise(path, lambda file: mmengine.load(file, file_format='json'),
                            "MMPose's 2D prediction JSON")
    if not isinstance(records, list) or not all(
            isinstance(r, dict) and 'instances' in r for r in records):
        raise ValueError(f'{path}: expected a list of {{"frame_id", "instances"}} per frame '
                         "(MMPose's inferencer predictions of one video)")
    size, rate = _size_and_rate(path, image_size, fps)
    frames = []
    for t, record in enumerate(records):
        if record.get('frame_id', t) != t:
            raise ValueError(f'{path}: entry {t} has frame_id {record.get("frame_id")}; frames '
                             'must be listed in order from 0')
        frames.append([_json_person(path, t, i, p) for i, p in enumerate(record['instances'])])
    if not all('track_id' in person for people in frames for person in people):
        for people in frames:
            tracker.assign(people)
    return Pose2DVideo(name=osp.basename(path), image_size=size, fps=rate,
                       frames=[_people_of(people) for people in frames])


def _json_person(path: str, frame: int, index: int, person: dict) -> PoseDataSample:
    """One JSON instance as a 2D data sample (with ``track_id``
    when the file has it)."""
    where = f'frame {frame}, instance {index}: '
    for field in ('keypoints', 'keypoint_scores'):
        if field not in person:
            raise ValueError(f'{path}: {where}no {field!r}')
    keypoints = np.asarray(person['keypoints'], np.float32)
    scores = np.asarray(person['keypoint_scores'], np.float32)
    _check_joints(path, where, 'keypoints', keypoints, (NUM_H36M_JOINTS, 2))
    _check_joints(path, where, 'keypoint_scores', scores, (NUM_H36M_JOINTS, ))
    if not (np.isfinite(keypoints).all() and np.isfinite(scores).all()):
        raise ValueError(f'{path}: {where}keypoints or keypoint_scores are not finite')
    box = (np.asarray(person['bbox'], np.float32).reshape(-1)
           if 'bbox' in person else keypoint_boxes(keypoints[None])[0])
    if box.shape != (4, ):
        raise ValueError(f'{path}: {where}bbox has {box.size} values, expected [x1, y1, x2, y2]')
    sample = PoseDataSample(pred_instances=InstanceData(
        keypoints=keypoints[None], keypoint_scores=scores[None], bboxes=box[None],
        bbox_scores=np.array([person.get('bbox_score', scores.mean())], np.float32)))
    if 'track_id' in person:
        sample.set_field(int(person['track_id']), 'track_id')
    return sample


def _people_of(samples) -> FramePeople:
    """Stack one frame's per-person samples (each with ``track_id``)."""
    def stack(field, shape):
        values = [np.asarray(getattr(s.pred_instances, field), np.float32) for s in samples]
        return np.concatenate(values) if values else np.zeros((0, ) + shape, np.float32)

    return FramePeople(track_ids=np.array([s.track_id for s in samples], np.int64),
                       keypoints=stack('keypoints', (NUM_H36M_JOINTS, 2)),
                       scores=stack('keypoint_scores', (NUM_H36M_JOINTS, )),
                       bboxes=stack('bboxes', (4, )), bbox_scores=stack('bbox_scores', ()))
